/* thread.h - which ticket an inbound message belongs to, in order of trust:
 * 1. a reply address token (HMAC over ticket and recipient) valid for the sender;
 * 2. In-Reply-To, then References, matching a Message-ID we stored or sent;
 * 3. a subject tag [T-123], only from the ticket's customer, a contact allowed to follow, or an agent.
 * A stranger copying a tag gets a new ticket. */
#ifndef CD_THREAD_H
#define CD_THREAD_H

#include "customer.h"
#include "message.h"
#include "secret.h"
#include "store.h"

typedef struct {
	gint64 ticket_id;  /* 0: no match */
	const char *via;   /* "reply-token", "in-reply-to", "references", "subject-tag" */
} cd_thread_match;

/* recipients: normalised addresses the message was delivered to (envelope and headers). */
gboolean cd_thread_find(cd_store *store, const cd_secret *secret, const cd_message *m, const cd_sender *sender,
                        GPtrArray *recipients, cd_thread_match *out, GError **error);

/* cd_thread_subject_tag - the ticket id of the first [T-123] / [T-000123] tag in subject, or 0. */
gint64 cd_thread_subject_tag(const char *subject);

/* cd_thread_by_message_id - the ticket holding a message (in or out) or outbox row with that id. */
gboolean cd_thread_by_message_id(cd_store *store, const char *message_id, gint64 *ticket_id, GError **error);

#endif
