/* workflow.h - state machines, each with its allowed transitions as data, and the one
 * function that moves an entity from state to state (checking, stamping, auditing). */
#ifndef CD_WORKFLOW_H
#define CD_WORKFLOW_H

#include "audit.h"

typedef struct {
	const char *from;
	const char *to;
} cd_transition;

typedef struct {
	const char *entity;              /* "ticket" */
	const char *table;               /* "tickets" */
	const char *const *states;       /* NULL-terminated */
	const cd_transition *transitions;
	gsize n_transitions;
} cd_machine;

extern const cd_machine cd_ticket_machine;

gboolean cd_machine_has_state(const cd_machine *mc, const char *state);
gboolean cd_machine_allows(const cd_machine *mc, const char *from, const char *to);

/* cd_ticket_set_status - move a ticket to a new status (an illegal transition is a CD_ERROR_INVALID
 * error naming both states); stamps resolved_at/closed_at; writes the audit row. */
gboolean cd_ticket_set_status(cd_store *store, gint64 ticket_id, const char *to, const cd_actor *actor,
                              const char *note, GError **error);

#endif
