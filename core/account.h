/* account.h - customers' web accounts: argon2id password hashes (libsodium), sessions and password
 * reset links as random 256-bit tokens of which only the SHA-256 is stored, and the shop's API
 * tokens (same scheme). Tokens travel as 43 URL-safe base64 characters.
 *
 * A password change (or reset) ends every session of the customer; logout ends one. */
#ifndef CD_ACCOUNT_H
#define CD_ACCOUNT_H

#include "audit.h"
#include "store.h"
#include "webconf.h"

/* cd_password_hash - argon2id string of password (newly allocated), NULL when out of memory. */
char *cd_password_hash(const char *password);
/* cd_password_verify - whether password matches hash (FALSE for a NULL or malformed hash). */
gboolean cd_password_verify(const char *hash, const char *password);
/* cd_password_dummy_verify - the same work as a verify, for an address with no account: the
 * answer for an unknown user takes as long as for a wrong password. */
void cd_password_dummy_verify(const char *password);

/* cd_token_new - a random 256-bit token (newly allocated) and the hex SHA-256 it is stored as. */
char *cd_token_new(char hash[65]);
void cd_token_hash(const char *token, char hash[65]);

/* cd_customer_set_password - store a new hash (already computed: hashing is slow, do it outside
 * transactions), end every session of the customer and audit it (action "password"). */
gboolean cd_customer_set_password(cd_store *store, gint64 customer_id, const char *hash, const cd_actor *actor,
                                  const char *note, GError **error);

/* Sessions. cd_session_create - *token newly allocated: the cookie value. */
gboolean cd_session_create(cd_store *store, const cd_web_settings *s, gint64 customer_id, const char *ip,
                           char **token, GError **error);
/* cd_session_lookup - the active customer of a session token (0 when unknown, ended, idle too long,
 * past its maximum age, or the customer is no longer active). Refreshes last_seen_at. */
gboolean cd_session_lookup(cd_store *store, const cd_web_settings *s, const char *token, gint64 *customer_id,
                           GError **error);
gboolean cd_session_end(cd_store *store, const char *token, GError **error);
gboolean cd_session_end_all(cd_store *store, gint64 customer_id, GError **error);

/* Agents' sessions (the admin pages of the web view): the same scheme in agent_sessions, apart
 * from the customers' so that neither kind of token opens the other's pages. Lookup finds active
 * agents only. cd_agent_set_password - store a new hash (computed outside transactions), end the
 * agent's sessions and audit it (entity agent, action "password"). */
gboolean cd_agent_session_create(cd_store *store, const cd_web_settings *s, gint64 agent_id, const char *ip,
                                 char **token, GError **error);
gboolean cd_agent_session_lookup(cd_store *store, const cd_web_settings *s, const char *token, gint64 *agent_id,
                                 GError **error);
gboolean cd_agent_session_end(cd_store *store, const char *token, GError **error);
gboolean cd_agent_set_password(cd_store *store, gint64 agent_id, const char *hash, const cd_actor *actor,
                               GError **error);

/* Password resets. cd_reset_create - a new link token for the customer, valid `minutes`; earlier
 * unused ones stop working. cd_reset_check - the customer a token is valid for (0: unknown, used or
 * expired). cd_reset_use - the same, marking it used (single use) in the caller's transaction. */
gboolean cd_reset_create(cd_store *store, gint64 customer_id, gint minutes, char **token, GError **error);
gboolean cd_reset_check(cd_store *store, const char *token, gint64 *customer_id, GError **error);
gboolean cd_reset_use(cd_store *store, const char *token, gint64 *customer_id, GError **error);

/* API tokens of the shop. cd_apitoken_create - *token newly allocated (shown once). cd_apitoken_check
 * - the id of an unrevoked token (0 when none), last_used_at refreshed. */
gboolean cd_apitoken_create(cd_store *store, const char *name, char **token, GError **error);
gboolean cd_apitoken_revoke(cd_store *store, const char *name, gboolean *revoked, GError **error);
gboolean cd_apitoken_check(cd_store *store, const char *token, gint64 *id, GError **error);

#endif
