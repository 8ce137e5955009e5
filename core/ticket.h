/* ticket.h - tickets, queues and the messages of a conversation (with their attachments). */
#ifndef CD_TICKET_H
#define CD_TICKET_H

#include "audit.h"
#include "message.h"
#include "store.h"

typedef struct {
	gint64 customer_id;     /* 0: none */
	gint64 queue_id;
	const char *subject;
	const char *type;       /* ticket (default), rma, activation, spam */
	const char *channel;    /* email (default), sms, web */
	gboolean unparsed;
	gboolean auto_generated;
	gint64 follow_up_of;    /* 0: none */
} cd_ticket_new;

gboolean cd_ticket_create(cd_store *store, const cd_ticket_new *t, const cd_actor *actor, gint64 *id, GError **error);

/* cd_ticket_status - current status and owner; *found FALSE when there is no such ticket. */
gboolean cd_ticket_get(cd_store *store, gint64 id, gboolean *found, char **status, gint64 *customer_id,
                       GError **error);

/* cd_ticket_touch - record activity: who wrote last (customer or agent) and updated_at. */
gboolean cd_ticket_touch(cd_store *store, gint64 id, gboolean by_customer, GError **error);

/* cd_queue_find - the queue of that name (NULL: the first queue), created when missing. */
gboolean cd_queue_find(cd_store *store, const char *name, gint64 *id, GError **error);

typedef struct {
	gint64 ticket_id;       /* 0: not attached to a ticket (an unmatched bounce) */
	gint64 raw_id;          /* 0: none */
	const char *direction;  /* in, out */
	const char *channel;    /* email, sms, web */
	const char *kind;       /* normal, auto_reply, bounce, note, unparsed */
	const char *author_kind;
	gint64 customer_id;
	gint64 agent_id;
	const char *threaded_by;
	const cd_message *msg;  /* headers, text, html, attachments */
} cd_message_insert;

/* cd_message_store - insert the message and its attachments. */
gboolean cd_message_store(cd_store *store, const cd_message_insert *ins, gint64 *id, GError **error);

#endif
