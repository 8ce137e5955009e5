/* workflow.h - the state machines of tickets, RMAs, offers, orders, activations and customers,
 * each with its allowed transitions as data, and the one function that moves an entity from
 * state to state: it checks the machine, updates the row only if it is still in the state it
 * was read in, stamps the time columns of the new state and writes the audit row (actor,
 * channel, from, to, time, note, customer) in the caller's transaction.
 *
 * Also here: the ticket changes agents make besides status (priority, assignee, queue), and the
 * [workflow] settings of the config file that the RMA, activation and timer modules read.
 *
 * Errors: CD_ERROR_INVALID for an illegal transition or unknown state ("RMA-000045: an RMA cannot
 * go from received to refunded"), CD_ERROR_NOTFOUND for a missing row, store errors as they come. */
#ifndef CD_WORKFLOW_H
#define CD_WORKFLOW_H

#include "audit.h"
#include "config.h"

typedef struct {
	const char *from;
	const char *to;
} cd_transition;

/* A time column set when an entity enters a state; keep: only when the column is still NULL. */
typedef struct {
	const char *state;
	const char *column;
	gboolean keep;
} cd_stamp;

typedef struct {
	const char *entity;              /* audit entity: "ticket" */
	const char *table;               /* "tickets" */
	const char *const *states;       /* NULL-terminated; the first is the initial state */
	const cd_transition *transitions;
	gsize n_transitions;
	const char *noun;                /* in messages: "a ticket" */
	const char *column;              /* the state column: "status" */
	const char *owner;               /* the column holding the customer id ("id" for customers) */
	const char *ref_sql;             /* SQL expression of the reference people see: "printf('T-%06d', id)" */
	const cd_stamp *stamps;
	gsize n_stamps;
	gboolean has_updated_at;         /* the table has an updated_at column */
} cd_machine;

extern const cd_machine cd_ticket_machine;
extern const cd_machine cd_rma_machine;
extern const cd_machine cd_offer_machine;
extern const cd_machine cd_order_machine;
extern const cd_machine cd_activation_machine;
extern const cd_machine cd_customer_machine;

/* cd_machines - every machine above, NULL-terminated (tests and documentation walk it). */
extern const cd_machine *const cd_machines[];

gboolean cd_machine_has_state(const cd_machine *mc, const char *state);
gboolean cd_machine_allows(const cd_machine *mc, const char *from, const char *to);
/* cd_machine_states_text - "new, open, pending, resolved, closed" (newly allocated). */
char *cd_machine_states_text(const cd_machine *mc);
/* cd_machine_transitions_text - "new -> paid | cancelled; paid -> shipped" (newly allocated), for help texts. */
char *cd_machine_transitions_text(const cd_machine *mc);

/* cd_machine_move - move the row id of mc's table from its current state to `to`: CD_ERROR_INVALID
 * (naming entity, reference and both states) when the machine does not allow it, CD_ERROR_NOTFOUND
 * when there is no such row. On success the row is updated (state, updated_at, stamps) and one audit
 * row written with action "status". *from_out (may be NULL) receives the old state, newly allocated. */
gboolean cd_machine_move(cd_store *store, const cd_machine *mc, gint64 id, const char *to, const cd_actor *actor,
                         const char *note, char **from_out, GError **error);

/* A transition observer runs after every successful cd_machine_move, in the same transaction (the
 * outbox uses it to tell customers about their RMA, order and offer). A FALSE return fails the
 * move. One per process; NULL removes it. */
typedef gboolean (*cd_transition_observer)(cd_store *store, const cd_machine *mc, gint64 id, const char *from,
                                           const char *to, const cd_actor *actor, gpointer data, GError **error);
void cd_workflow_set_observer(cd_transition_observer fn, gpointer data);

/* cd_machine_ref - the reference people see for row id ("T-000123", "A1001", "RMA-000045"), or NULL. */
char *cd_machine_ref(cd_store *store, const cd_machine *mc, gint64 id, GError **error);

/* cd_ticket_set_status - move a ticket to a new status (an illegal transition is a CD_ERROR_INVALID
 * error naming both states); stamps resolved_at/closed_at; writes the audit row. */
gboolean cd_ticket_set_status(cd_store *store, gint64 ticket_id, const char *to, const cd_actor *actor,
                              const char *note, GError **error);

/* Ticket priorities, lowest first (NULL-terminated); cd_priority_raise: the next one up (urgent stays). */
extern const char *const cd_ticket_priorities[];
gboolean cd_priority_valid(const char *priority);
const char *cd_priority_raise(const char *priority);

/* Ticket changes by agents and admins; each audited (action priority / assign / queue, old and new
 * value as from/to) and a no-op when nothing changes. *changed (may be NULL) says whether it did.
 * cd_ticket_assign: login NULL unassigns; the agent must be active (else CD_ERROR_NOTFOUND).
 * cd_ticket_set_queue: the queue must exist (CD_ERROR_NOTFOUND naming the queues there are). */
gboolean cd_ticket_set_priority(cd_store *store, gint64 ticket_id, const char *priority, const cd_actor *actor,
                                const char *note, gboolean *changed, GError **error);
gboolean cd_ticket_assign(cd_store *store, gint64 ticket_id, const char *login, const cd_actor *actor,
                          const char *note, gboolean *changed, GError **error);
gboolean cd_ticket_set_queue(cd_store *store, gint64 ticket_id, const char *queue, const cd_actor *actor,
                             const char *note, gboolean *changed, GError **error);

/* The [workflow] group of caredesk.conf (every key optional):
 *
 *   [workflow]
 *   autoclose_days = 7              # resolved tickets close after this many days; 0: never
 *   rma_return_days = 30            # authorized RMAs whose goods did not arrive expire after this; 0: never
 *   activation_code_minutes = 60    # activation codes and links are valid this long (>= 1)
 *   activation_max_attempts = 5     # wrong codes before an activation fails (>= 1)
 *   rma_auto_authorize = true       # an RMA request that passes every check is authorized at once;
 *                                   # false: it waits as requested for an agent
 *   offer_valid_days = 30           # validity of offers created without an explicit date; 0: unlimited
 *
 * SLA escalation takes its minutes from each queue (queues.sla_minutes; NULL or 0: none). */
typedef struct {
	gint autoclose_days;
	gint rma_return_days;
	gint activation_code_minutes;
	gint activation_max_attempts;
	gboolean rma_auto_authorize;
	gint offer_valid_days;
} cd_workflow_settings;

/* cd_workflow_settings_load - the defaults above, overridden by cfg (NULL: defaults only);
 * CD_ERROR_CONFIG naming file, group and key for a bad value. */
gboolean cd_workflow_settings_load(const cd_config *cfg, cd_workflow_settings *out, GError **error);

/* Actor of the timers (caredesk tick and the gateway). */
extern const cd_actor cd_actor_timer;

#endif
