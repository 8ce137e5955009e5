/* loginguard.c - failure counters of logins (see loginguard.h). */
#include "loginguard.h"
#include "audit.h"
#include "util.h"

#include <string.h>

static gboolean
counter(cd_store *store, const char *kind, const char *key, gint64 *failures, gint64 *last, gint64 *next_allowed,
        gint64 *locked_until, GError **error)
{
	*failures = *last = *next_allowed = *locked_until = 0;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT failures, last_failure_at, next_allowed_at, locked_until "
	                                 "FROM login_failures WHERE kind = ?1 AND key = ?2",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key ? key : "", -1, SQLITE_TRANSIENT);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (row) {
		*failures = sqlite3_column_int64(st, 0);
		*last = sqlite3_column_int64(st, 1);
		*next_allowed = sqlite3_column_int64(st, 2);
		*locked_until = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return TRUE;
}

gboolean
cd_login_gate_check(cd_store *store, const cd_web_settings *s, const char *account, const char *ip,
                    cd_login_gate *gate, gint64 *wait, GError **error)
{
	*gate = CD_LOGIN_ALLOWED;
	*wait = 0;
	gint64 now = cd_now(), n, last, next, locked;
	if (!counter(store, "account", account, &n, &last, &next, &locked, error))
		return FALSE;
	if (locked > now) {
		*gate = CD_LOGIN_LOCKED;
		*wait = locked - now;
		return TRUE;
	}
	if (!counter(store, "ip", ip, &n, &last, &next, &locked, error))
		return FALSE;
	if (next > now) {
		*gate = CD_LOGIN_IP_WAIT;
		*wait = next - now;
	}
	return TRUE;
}

static gboolean
count(cd_store *store, const cd_web_settings *s, const char *kind, const char *key, GError **error)
{
	gint64 now = cd_now(), n, last, next, locked;
	if (!counter(store, kind, key, &n, &last, &next, &locked, error))
		return FALSE;
	if (now - last > s->failure_window_seconds && locked <= now)
		n = 0;
	n++;
	next = 0;
	gboolean is_ip = kind[0] == 'i';
	if (is_ip && n >= s->ip_free_failures) {
		gint64 delay = s->ip_first_delay_seconds;
		for (gint64 i = s->ip_free_failures; i < n && delay < s->ip_max_delay_seconds; i++)
			delay *= 2;
		next = now + MIN(delay, (gint64)s->ip_max_delay_seconds);
	}
	if (!is_ip && n >= s->account_max_failures && locked <= now) {
		locked = now + s->lockout_seconds;
		n = 0; /* after the lock the address starts afresh */
	}
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO login_failures(kind, key, failures, last_failure_at, next_allowed_at, "
	                                 "locked_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (kind, key) DO UPDATE "
	                                 "SET failures = ?3, last_failure_at = ?4, next_allowed_at = ?5, locked_until = ?6",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key ? key : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, n);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, next);
	sqlite3_bind_int64(st, 6, locked);
	return cd_store_run(store, st, error);
}

/* failed - count and audit a failure of a customer's (entity "customer") or an agent's login */
static gboolean
failed(cd_store *store, const cd_web_settings *s, const char *entity, const char *account, const char *ip, gint64 id,
       const char *why, GError **error)
{
	gboolean customer = strcmp(entity, "customer") == 0;
	cd_actor actor = {.actor_kind = id ? entity : "system", .actor_id = id, .actor = account, .channel = "web"};
	char *note = g_strdup_printf("login failed from %s: %s", ip ? ip : "?", why);
	cd_audit_event ev = {.actor = &actor, .entity = entity, .entity_id = id, .customer_id = customer ? id : 0,
	                     .action = "login_failed", .note = note};
	gboolean ok = count(store, s, "account", account, error) && count(store, s, "ip", ip, error) &&
	              cd_audit(store, &ev, error);
	g_free(note);
	return ok;
}

gboolean
cd_login_failed(cd_store *store, const cd_web_settings *s, const char *account, const char *ip, gint64 customer_id,
                const char *why, GError **error)
{
	return failed(store, s, "customer", account, ip, customer_id, why, error);
}

gboolean
cd_agent_login_failed(cd_store *store, const cd_web_settings *s, const char *account, const char *ip, gint64 agent_id,
                      const char *why, GError **error)
{
	return failed(store, s, "agent", account, ip, agent_id, why, error);
}

gboolean
cd_login_succeeded(cd_store *store, const char *account, const char *ip, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "DELETE FROM login_failures WHERE (kind = 'account' AND key = ?1) "
	                                 "OR (kind = 'ip' AND key = ?2)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, account ? account : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, ip ? ip : "", -1, SQLITE_TRANSIENT);
	return cd_store_run(store, st, error);
}
