/* account.c - passwords, sessions, reset links and API tokens (see account.h). */
#include "account.h"
#include "result.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

char *
cd_password_hash(const char *password)
{
	char out[crypto_pwhash_STRBYTES];
	if (sodium_init() < 0 ||
	    crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                          crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NULL;
	return g_strdup(out);
}

gboolean
cd_password_verify(const char *hash, const char *password)
{
	if (hash == NULL || password == NULL || strlen(hash) >= crypto_pwhash_STRBYTES || sodium_init() < 0)
		return FALSE;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void
cd_password_dummy_verify(const char *password)
{
	static char *dummy;
	static gsize once;
	if (g_once_init_enter(&once)) {
		dummy = cd_password_hash("not a password of anyone");
		g_once_init_leave(&once, 1);
	}
	(void)cd_password_verify(dummy, password ? password : "");
}

void
cd_token_hash(const char *token, char hash[65])
{
	cd_sha256_hex(token, strlen(token), hash);
}

char *
cd_token_new(char hash[65])
{
	guint8 raw[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	if (sodium_init() < 0)
		g_error("libsodium cannot initialise");
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	cd_token_hash(b64, hash);
	return g_strdup(b64);
}

/* run_id - prepare sql, bind ?1 = id, run it */
static gboolean
run_id(cd_store *store, const char *sql, gint64 id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, id);
	return cd_store_run(store, st, error);
}

/* run_hash - prepare sql, bind ?1 = the hash of token, ?2 = now, run it */
static gboolean
run_hash(cd_store *store, const char *sql, const char *token, GError **error)
{
	char hash[65];
	cd_token_hash(token, hash);
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, cd_now());
	return cd_store_run(store, st, error);
}

gboolean
cd_customer_set_password(cd_store *store, gint64 customer_id, const char *hash, const cd_actor *actor,
                         const char *note, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "UPDATE customers SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, cd_now());
	if (!cd_store_run(store, st, error))
		return FALSE;
	if (cd_store_changes(store) == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no customer %" G_GINT64_FORMAT, customer_id);
		return FALSE;
	}
	cd_audit_event ev = {.actor = actor, .entity = "customer", .entity_id = customer_id, .customer_id = customer_id,
	                     .action = "password", .note = note};
	return cd_session_end_all(store, customer_id, error) && cd_audit(store, &ev, error);
}

/* Sessions of customers (web_sessions) and of agents (agent_sessions): the same scheme in two
 * tables, so that a token of one kind never opens the pages of the other. */
typedef struct {
	const char *insert, *purge, *lookup, *touch, *end, *end_all;
} session_sql;

#define SESSION_SQL(table, owner, join)                                                                       \
	{                                                                                                      \
		"INSERT INTO " table "(token_hash, " owner ", created_at, last_seen_at, expires_at, ip) "          \
		"VALUES (?1, ?2, ?3, ?3, ?4, ?5)",                                                                 \
		"DELETE FROM " table " WHERE expires_at < ?1",                                                     \
		"SELECT s.id, s." owner ", s.last_seen_at FROM " table " s " join " AND s.token_hash = ?1 "         \
		"AND s.expires_at > ?2 AND s.last_seen_at > ?3",                                                   \
		"UPDATE " table " SET last_seen_at = ?2 WHERE id = ?1",                                            \
		"DELETE FROM " table " WHERE token_hash = ?1 OR ?2 < 0",                                           \
		"DELETE FROM " table " WHERE " owner " = ?1",                                                      \
	}

static const session_sql customer_sessions =
    SESSION_SQL("web_sessions", "customer_id", "JOIN customers o ON o.id = s.customer_id WHERE o.status = 'active'");
static const session_sql agent_sessions =
    SESSION_SQL("agent_sessions", "agent_id", "JOIN agents o ON o.id = s.agent_id WHERE o.active = 1");

static gboolean
session_create(cd_store *store, const session_sql *q, const cd_web_settings *s, gint64 owner, const char *ip,
               char **token, GError **error)
{
	char hash[65];
	*token = cd_token_new(hash);
	gint64 now = cd_now();
	sqlite3_stmt *st = cd_store_stmt(store, q->insert, error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, owner);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int64(st, 4, now + (gint64)s->session_max_hours * 3600);
		sqlite3_bind_text(st, 5, ip, -1, SQLITE_TRANSIENT);
		ok = cd_store_run(store, st, error);
	}
	/* ended sessions of everyone are forgotten now and then */
	ok = ok && run_id(store, q->purge, now, error);
	if (!ok) {
		g_free(*token);
		*token = NULL;
	}
	return ok;
}

static gboolean
session_lookup(cd_store *store, const session_sql *q, const cd_web_settings *s, const char *token, gint64 *owner,
               GError **error)
{
	*owner = 0;
	if (token == NULL || strlen(token) != 43)
		return TRUE;
	char hash[65];
	cd_token_hash(token, hash);
	gint64 now = cd_now();
	sqlite3_stmt *st = cd_store_stmt(store, q->lookup, error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now - (gint64)s->session_idle_minutes * 60);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gint64 sid = 0, seen = 0;
	if (row) {
		sid = sqlite3_column_int64(st, 0);
		*owner = sqlite3_column_int64(st, 1);
		seen = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	/* refresh at most once a minute: most requests stay read-only */
	if (sid && now - seen >= 60) {
		st = cd_store_stmt(store, q->touch, error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, now);
		return cd_store_run(store, st, error);
	}
	return TRUE;
}

gboolean
cd_session_create(cd_store *store, const cd_web_settings *s, gint64 customer_id, const char *ip, char **token,
                  GError **error)
{
	return session_create(store, &customer_sessions, s, customer_id, ip, token, error);
}

gboolean
cd_session_lookup(cd_store *store, const cd_web_settings *s, const char *token, gint64 *customer_id, GError **error)
{
	return session_lookup(store, &customer_sessions, s, token, customer_id, error);
}

gboolean
cd_session_end(cd_store *store, const char *token, GError **error)
{
	return token == NULL || run_hash(store, customer_sessions.end, token, error);
}

gboolean
cd_session_end_all(cd_store *store, gint64 customer_id, GError **error)
{
	return run_id(store, customer_sessions.end_all, customer_id, error);
}

gboolean
cd_agent_session_create(cd_store *store, const cd_web_settings *s, gint64 agent_id, const char *ip, char **token,
                        GError **error)
{
	return session_create(store, &agent_sessions, s, agent_id, ip, token, error);
}

gboolean
cd_agent_session_lookup(cd_store *store, const cd_web_settings *s, const char *token, gint64 *agent_id,
                        GError **error)
{
	return session_lookup(store, &agent_sessions, s, token, agent_id, error);
}

gboolean
cd_agent_session_end(cd_store *store, const char *token, GError **error)
{
	return token == NULL || run_hash(store, agent_sessions.end, token, error);
}

gboolean
cd_agent_set_password(cd_store *store, gint64 agent_id, const char *hash, const cd_actor *actor, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "UPDATE agents SET password_hash = ?2 WHERE id = ?1", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, agent_id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	if (!cd_store_run(store, st, error))
		return FALSE;
	if (cd_store_changes(store) == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no agent %" G_GINT64_FORMAT, agent_id);
		return FALSE;
	}
	cd_audit_event ev = {.actor = actor, .entity = "agent", .entity_id = agent_id, .action = "password",
	                     .note = "web password set"};
	return run_id(store, agent_sessions.end_all, agent_id, error) && cd_audit(store, &ev, error);
}

gboolean
cd_reset_create(cd_store *store, gint64 customer_id, gint minutes, char **token, GError **error)
{
	char hash[65];
	*token = cd_token_new(hash);
	gint64 now = cd_now();
	gboolean ok =
	    run_id(store, "UPDATE password_resets SET used_at = 0 WHERE customer_id = ?1 AND used_at IS NULL",
	           customer_id, error);
	sqlite3_stmt *st = ok ? cd_store_stmt(store,
	                                      "INSERT INTO password_resets(customer_id, token_hash, created_at, expires_at) "
	                                      "VALUES (?1, ?2, ?3, ?4)",
	                                      error)
	                      : NULL;
	ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, customer_id);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, now);
		sqlite3_bind_int64(st, 4, now + (gint64)minutes * 60);
		ok = cd_store_run(store, st, error);
	}
	if (!ok) {
		g_free(*token);
		*token = NULL;
	}
	return ok;
}

static gboolean
reset_find(cd_store *store, const char *token, gint64 *id, gint64 *customer_id, GError **error)
{
	*id = *customer_id = 0;
	if (token == NULL || strlen(token) != 43)
		return TRUE;
	char hash[65];
	cd_token_hash(token, hash);
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT r.id, r.customer_id FROM password_resets r JOIN customers c "
	                                 "ON c.id = r.customer_id WHERE r.token_hash = ?1 AND r.used_at IS NULL "
	                                 "AND r.expires_at > ?2 AND c.status <> 'disabled'",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, cd_now());
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (row) {
		*id = sqlite3_column_int64(st, 0);
		*customer_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return TRUE;
}

gboolean
cd_reset_check(cd_store *store, const char *token, gint64 *customer_id, GError **error)
{
	gint64 id;
	return reset_find(store, token, &id, customer_id, error);
}

gboolean
cd_reset_use(cd_store *store, const char *token, gint64 *customer_id, GError **error)
{
	gint64 id;
	if (!reset_find(store, token, &id, customer_id, error))
		return FALSE;
	if (id == 0)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(store, "UPDATE password_resets SET used_at = ?2 WHERE id = ?1", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, cd_now());
	return cd_store_run(store, st, error);
}

gboolean
cd_apitoken_create(cd_store *store, const char *name, char **token, GError **error)
{
	char hash[65];
	*token = cd_token_new(hash);
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO api_tokens(name, token_hash, created_at) VALUES (?1, ?2, ?3) "
	                                 "ON CONFLICT (name) DO UPDATE SET token_hash = ?2, created_at = ?3, "
	                                 "revoked_at = NULL, last_used_at = NULL",
	                                 error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, cd_now());
		ok = cd_store_run(store, st, error);
	}
	if (!ok) {
		g_free(*token);
		*token = NULL;
	}
	return ok;
}

gboolean
cd_apitoken_revoke(cd_store *store, const char *name, gboolean *revoked, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, cd_now());
	gboolean ok = cd_store_run(store, st, error);
	*revoked = ok && cd_store_changes(store) > 0;
	return ok;
}

gboolean
cd_apitoken_check(cd_store *store, const char *token, gint64 *id, GError **error)
{
	*id = 0;
	if (token == NULL || strlen(token) != 43)
		return TRUE;
	char hash[65];
	cd_token_hash(token, hash);
	if (!cd_store_lookup_id(store, "SELECT id FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL", hash, 0,
	                        id, error))
		return FALSE;
	return *id == 0 || run_id(store, "UPDATE api_tokens SET last_used_at = unixepoch() WHERE id = ?1", *id, error);
}
