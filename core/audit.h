/* audit.h - the audit trail: who did what, when, from which channel. Every state transition and
 * every refusal writes one row, in the same transaction as the change it describes. */
#ifndef CD_AUDIT_H
#define CD_AUDIT_H

#include "store.h"

typedef struct {
	const char *actor_kind;  /* customer, agent, admin, system, rule, timer */
	gint64 actor_id;         /* 0: none */
	const char *actor;       /* display: address, login, rule name */
	const char *channel;     /* email, sms, web, cli, timer */
} cd_actor;

typedef struct {
	const cd_actor *actor;
	const char *entity;      /* ticket, rma, offer, order, customer, activation, message, raw */
	gint64 entity_id;
	gint64 customer_id;      /* 0: none; lets the customer page show its history */
	const char *action;      /* created, status, reply, bounce, ... */
	const char *from_state;
	const char *to_state;
	const char *note;
} cd_audit_event;

gboolean cd_audit(cd_store *store, const cd_audit_event *ev, GError **error);

/* Actors used by the pipeline. */
extern const cd_actor cd_actor_system_email;

#endif
