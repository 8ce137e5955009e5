/* activation.h - how a pending customer becomes active: a 6-digit code sent by email or SMS, a link
 * with a random token, a reply to the activation mail (proved by its reply token, see thread.c), or
 * an admin's approval. Codes expire and allow a limited number of wrong attempts. Only the SHA-256
 * of a code is stored; codes come from libsodium's random generator. The activation and the
 * customer move through cd_activation_machine and cd_customer_machine (workflow.h), audited.
 *
 * Limiting how often a code may be requested (each new code supersedes the old ones and so resets
 * the attempts) is the caller's job: the web view's abuse blocking and the SMS rate limit. */
#ifndef CD_ACTIVATION_H
#define CD_ACTIVATION_H

#include "audit.h"
#include "store.h"

/* cd_activation_create - a new pending activation of a pending customer. channel: "email" or "sms"
 * (a 6-digit code) or "link" (a 43-character URL-safe token). Valid for `minutes`, failing after
 * max_attempts wrong codes. Pending activations the customer had are superseded (expired).
 * *code: newly allocated, the only copy: send it. ticket_id: the activation ticket (0: none).
 * CD_ERROR_INVALID when the customer is not pending. */
gboolean cd_activation_create(cd_store *store, gint64 customer_id, const char *channel, gint minutes,
                              gint max_attempts, gint64 ticket_id, const cd_actor *actor, gint64 *activation_id,
                              char **code, GError **error);

/* cd_activation_try_code - a code the customer sent (SMS, mail, web form; blanks and dashes are
 * ignored). Right code of a pending, unexpired activation: the activation is activated, the customer
 * pending -> active, *activated TRUE. Otherwise *why (newly allocated) says why in words for the
 * customer: wrong code (and how many attempts are left), expired, too many attempts, nothing
 * pending, already active. A wrong code counts an attempt on every pending activation of the
 * customer; the last allowed one fails them. FALSE only for store errors (or no such customer). */
gboolean cd_activation_try_code(cd_store *store, gint64 customer_id, const char *code, const cd_actor *actor,
                                gboolean *activated, char **why, GError **error);

/* cd_activation_try_token - a link token (the web's activation page): like try_code, for the customer
 * the token was made for (*customer_id, 0 when the token is unknown). A wrong token counts no
 * attempt: it names no customer, and 256 random bits are not guessed. */
gboolean cd_activation_try_token(cd_store *store, const char *token, const cd_actor *actor, gint64 *customer_id,
                                 gboolean *activated, char **why, GError **error);

/* cd_activation_approve - activate a pending customer without a code: channel "admin" (caredesk
 * activations approve) or "email" (a verified reply to the activation mail). Recorded as an
 * activation of that channel; pending codes are superseded. CD_ERROR_INVALID when not pending. */
gboolean cd_activation_approve(cd_store *store, gint64 customer_id, const char *channel, const cd_actor *actor,
                               const char *note, GError **error);

#endif
