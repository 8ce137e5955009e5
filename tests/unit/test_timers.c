/* test_timers.c - the timers of `caredesk tick` with a fixed clock (CAREDESK_NOW): resolved tickets
 * close after autoclose_days, unanswered tickets escalate once past their queue's SLA, authorized
 * RMAs without goods expire, offers past validity and activation codes expire. A second run changes
 * nothing; two runs at once (two connections, two threads) do each change exactly once. */
#include "config.h"
#include "result.h"
#include "testutil.h"
#include "timers.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

#define DAY 86400
#define NOW 1800000000

/* ticket - a ticket row; last_agent and resolved 0: NULL. The customer wrote when it was created. */
static void
ticket(cd_store *s, int id, int queue, const char *type, const char *status, const char *priority, gint64 created,
       gint64 last_agent, gint64 resolved)
{
	tu_exec(s,
	     "INSERT INTO tickets(id, customer_id, queue_id, type, status, priority, created_at, updated_at, "
	     "last_customer_at, last_agent_at, resolved_at) VALUES (%d, 1, %d, '%s', '%s', '%s', %" G_GINT64_FORMAT
	     ", %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", nullif(%" G_GINT64_FORMAT ", 0), nullif(%" G_GINT64_FORMAT
	     ", 0))",
	     id, queue, type, status, priority, created, resolved ? resolved : created, created, last_agent, resolved);
}

/* The world the timers look at, all relative to NOW:
 *   T1 resolved 8 days ago (closes), T2 resolved 6 days ago (stays);
 *   queue support (SLA 480 min): T3 new, created 9 h ago, no agent (escalates normal -> high),
 *   T4 open, created 9 h ago, agent answered after the customer (stays), T5 pending 9 h (stays),
 *   T6 spam 9 h (stays), T7 urgent 9 h (escalated, stays urgent), T8 created 7 h ago (stays);
 *   queue quiet (no SLA): T9 new 3 days (stays);
 *   RMA 1 authorized 31 days ago (expires), RMA 2 authorized 29 days ago (stays), RMA 3 received;
 *   offer 1 valid until an hour ago (expires), offer 2 valid tomorrow, offer 3 unlimited, offer 4 accepted;
 *   activation 1 expired a minute ago (expires), activation 2 valid 10 more minutes. */
static cd_store *
world(char **path)
{
	cd_store *s = tu_store(path);
	gint64 n = NOW;
	tu_exec(s, "INSERT INTO customers(id, email, status, created_at, updated_at) VALUES (1, 'dora@example.org', 'pending', 0, 0);"
	        "INSERT INTO queues(id, name, sla_minutes, created_at) VALUES (7, 'quiet', NULL, 0);"
	        "UPDATE queues SET sla_minutes = 480 WHERE name = 'support';"
	        "INSERT INTO orders(id, ref, customer_id, ordered_at, created_at, updated_at) VALUES (1, 'A1', 1, 0, 0, 0);");
	ticket(s, 1, 1, "ticket", "resolved", "normal", n - 20 * DAY, 0, n - 8 * DAY);
	ticket(s, 2, 1, "ticket", "resolved", "normal", n - 20 * DAY, 0, n - 6 * DAY);
	ticket(s, 3, 1, "ticket", "new", "normal", n - 9 * 3600, 0, 0);
	ticket(s, 4, 1, "ticket", "open", "normal", n - 9 * 3600, n - 8 * 3600, 0);
	ticket(s, 5, 1, "ticket", "pending", "normal", n - 9 * 3600, 0, 0);
	ticket(s, 6, 1, "spam", "new", "normal", n - 9 * 3600, 0, 0);
	ticket(s, 7, 1, "ticket", "open", "urgent", n - 9 * 3600, 0, 0);
	ticket(s, 8, 1, "ticket", "new", "low", n - 7 * 3600, 0, 0);
	ticket(s, 9, 7, "ticket", "new", "normal", n - 3 * DAY, 0, 0);
#define RMA "INSERT INTO rmas(id, customer_id, order_id, status, created_at, updated_at, authorized_at) " \
            "VALUES (%d, 1, 1, '%s', 0, 0, %" G_GINT64_FORMAT ")"
	tu_exec(s, RMA, 1, "authorized", n - 31 * DAY);
	tu_exec(s, RMA, 2, "authorized", n - 29 * DAY);
	tu_exec(s, RMA, 3, "received", n - 60 * DAY);
#define OFFER "INSERT INTO offers(id, ref, customer_id, status, valid_until, created_at, updated_at) " \
              "VALUES (%d, 'OF-%d', 1, '%s', nullif(%" G_GINT64_FORMAT ", 0), 0, 0)"
	tu_exec(s, OFFER, 1, 1, "new", n - 3600);
	tu_exec(s, OFFER, 2, 2, "new", n + DAY);
	tu_exec(s, OFFER, 3, 3, "new", (gint64)0);
	tu_exec(s, OFFER, 4, 4, "accepted", n - DAY);
#define ACTIVATION "INSERT INTO activations(id, customer_id, channel, code_hash, expires_at, created_at, updated_at) " \
                   "VALUES (%d, 1, 'sms', 'x', %" G_GINT64_FORMAT ", 0, 0)"
	tu_exec(s, ACTIVATION, 1, n - 60);
	tu_exec(s, ACTIVATION, 2, n + 600);
	return s;
}

static void
check_after_run(cd_store *s)
{
	char *states = tu_text(s, "SELECT group_concat(status || ':' || priority || ':' || (escalated_at IS NOT NULL), ' ') "
	                         "FROM (SELECT * FROM tickets ORDER BY id)");
	g_assert_cmpstr(states, ==,
	                "closed:normal:0 resolved:normal:0 new:high:1 open:normal:0 pending:normal:0 new:normal:0 "
	                "open:urgent:1 new:low:0 new:normal:0");
	g_free(states);
	states = tu_text(s, "SELECT group_concat(status, ' ') FROM (SELECT * FROM rmas ORDER BY id)");
	g_assert_cmpstr(states, ==, "expired authorized received");
	g_free(states);
	states = tu_text(s, "SELECT group_concat(status, ' ') FROM (SELECT * FROM offers ORDER BY id)");
	g_assert_cmpstr(states, ==, "expired new new accepted");
	g_free(states);
	states = tu_text(s, "SELECT group_concat(state, ' ') FROM (SELECT * FROM activations ORDER BY id)");
	g_assert_cmpstr(states, ==, "expired pending");
	g_free(states);
	/* one audit row per change, by the timer, on the customer's page */
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM audit_events WHERE actor_kind = 'timer' AND customer_id = 1"), ==, 6);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM audit_events"), ==, 6);
	char *esc = tu_text(s, "SELECT from_state || '>' || to_state || ' ' || note FROM audit_events "
	                      "WHERE action = 'escalated' AND entity_id = 3");
	g_assert_cmpstr(esc, ==, "normal>high no agent answer within 480 minutes (SLA of queue support)");
	g_free(esc);
	g_assert_cmpint(tu_int(s, "SELECT closed_at FROM tickets WHERE id = 1"), ==, NOW);
}

static void
test_run_and_rerun(void)
{
	g_setenv("CAREDESK_NOW", G_STRINGIFY(NOW), TRUE);
	cd_store *s = world(NULL);
	cd_timer_stats stats;
	GError *error = NULL;
	g_assert_true(cd_timers_run(s, NULL, NOW, &stats, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(stats.tickets_closed, ==, 1);
	g_assert_cmpuint(stats.tickets_escalated, ==, 2);
	g_assert_cmpuint(stats.rmas_expired, ==, 1);
	g_assert_cmpuint(stats.offers_expired, ==, 1);
	g_assert_cmpuint(stats.activations_expired, ==, 1);
	g_assert_cmpuint(stats.actions->len, ==, 6);
	cd_timer_action *first = g_ptr_array_index(stats.actions, 0);
	g_assert_cmpstr(first->ref, ==, "T-000001");
	g_assert_cmpstr(first->to, ==, "closed");
	g_assert_cmpstr(first->note, ==, "resolved 8 days ago");
	cd_timer_stats_clear(&stats);
	check_after_run(s);
	char *last = cd_store_get_setting(s, "timers_last_run");
	g_assert_cmpstr(last, ==, G_STRINGIFY(NOW));
	g_free(last);
	/* again: nothing more */
	g_assert_true(cd_timers_run(s, NULL, NOW, &stats, &error));
	g_assert_cmpuint(stats.actions->len, ==, 0);
	g_assert_cmpuint(stats.tickets_closed + stats.tickets_escalated + stats.rmas_expired + stats.offers_expired +
	                     stats.activations_expired,
	                 ==, 0);
	cd_timer_stats_clear(&stats);
	check_after_run(s);
	/* an escalated ticket is not escalated again, even when the customer writes again later */
	tu_exec(s, "UPDATE tickets SET last_customer_at = %d WHERE id = 3", NOW);
	g_assert_true(cd_timers_run(s, NULL, NOW + 2 * DAY, &stats, &error));
	g_assert_cmpuint(stats.tickets_escalated, ==, 1); /* T8 only */
	cd_timer_stats_clear(&stats);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM audit_events WHERE action = 'escalated' AND entity_id = 3"), ==, 1);
	cd_store_close(s);
	g_unsetenv("CAREDESK_NOW");
}

static void
test_settings_apply(void)
{
	g_setenv("CAREDESK_NOW", G_STRINGIFY(NOW), TRUE);
	cd_store *s = world(NULL);
	char *dir = tu_tempdir();
	char *path = g_build_filename(dir, "caredesk.conf", NULL);
	g_assert_true(g_file_set_contents(path, "[workflow]\nautoclose_days = 0\nrma_return_days = 28\n", -1, NULL));
	GError *error = NULL;
	cd_config *cfg = cd_config_load(path, &error);
	g_assert_no_error(error);
	cd_timer_stats stats;
	g_assert_true(cd_timers_run(s, cfg, NOW, &stats, &error));
	g_assert_cmpuint(stats.tickets_closed, ==, 0); /* 0: never */
	g_assert_cmpuint(stats.rmas_expired, ==, 2);   /* 31 and 29 days > 28 */
	cd_timer_stats_clear(&stats);
	/* a bad value fails the run before it changes anything */
	g_assert_true(g_file_set_contents(path, "[workflow]\nautoclose_days = soon\n", -1, NULL));
	cd_config_free(cfg);
	cfg = cd_config_load(path, &error);
	g_assert_false(cd_timers_run(s, cfg, NOW, &stats, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_CONFIG);
	g_clear_error(&error);
	cd_timer_stats_clear(&stats);
	/* inside a caller's transaction the run is a savepoint of it */
	g_assert_true(cd_store_begin(s, &error));
	cd_config_free(cfg);
	g_assert_true(cd_timers_run(s, NULL, NOW, &stats, &error));
	g_assert_cmpuint(stats.tickets_closed, ==, 1);
	cd_timer_stats_clear(&stats);
	g_assert_true(cd_store_in_transaction(s));
	cd_store_rollback(s);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM tickets WHERE status = 'closed'"), ==, 0);
	cd_store_close(s);
	g_free(path);
	g_free(dir);
	g_unsetenv("CAREDESK_NOW");
}

typedef struct {
	const char *path;
	cd_timer_stats stats;
	gboolean ok;
	char *error;
} runner;

static gpointer
run_thread(gpointer data)
{
	runner *r = data;
	GError *error = NULL;
	cd_store *s = cd_store_open(r->path, 10000, CD_STORE_MIGRATE, &error);
	r->ok = s && cd_timers_run(s, NULL, NOW, &r->stats, &error);
	if (error)
		r->error = g_strdup(error->message);
	g_clear_error(&error);
	cd_store_close(s);
	return NULL;
}

static void
test_concurrent(void)
{
	g_setenv("CAREDESK_NOW", G_STRINGIFY(NOW), TRUE);
	char *path;
	cd_store *s = world(&path);
	cd_store_close(s);
	for (int round = 0; round < 5; round++) {
		runner r[2] = {{.path = path}, {.path = path}};
		GThread *t0 = g_thread_new("tick0", run_thread, &r[0]);
		GThread *t1 = g_thread_new("tick1", run_thread, &r[1]);
		g_thread_join(t0);
		g_thread_join(t1);
		for (int i = 0; i < 2; i++) {
			if (!r[i].ok)
				g_error("run %d: %s", i, r[i].error);
		}
		/* between them, each change once (round 0); later rounds find nothing due */
		guint total = r[0].stats.actions->len + r[1].stats.actions->len;
		g_assert_cmpuint(total, ==, round == 0 ? 6 : 0);
		cd_timer_stats_clear(&r[0].stats);
		cd_timer_stats_clear(&r[1].stats);
	}
	GError *error = NULL;
	s = cd_store_open(path, 1000, CD_STORE_MIGRATE, &error);
	check_after_run(s);
	cd_store_close(s);
	g_free(path);
	/* CAREDESK_NOW stays set: unsetenv is not thread-safe once threads ran */
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/timers/run-and-rerun", test_run_and_rerun);
	g_test_add_func("/timers/settings", test_settings_apply);
	g_test_add_func("/timers/concurrent", test_concurrent);
	return g_test_run();
}
