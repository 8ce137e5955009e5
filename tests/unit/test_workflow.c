/* test_workflow.c - the state machines, table-driven from their own data: for every machine and
 * every pair of its states, the move is made exactly when the machine allows it; an allowed move
 * updates the row, stamps its time columns and writes one audit row (actor, channel, from, to,
 * customer); a forbidden one changes nothing and names entity, reference and both states. Also the
 * ticket changes agents make (priority, assignee, queue) and the [workflow] settings. */
#include "config.h"
#include "result.h"
#include "testutil.h"
#include "util.h"
#include "workflow.h"

#include <glib/gstdio.h>
#include <string.h>

/* make_row - a fresh row of mc's table in `state`, owned by customer 1 (for customers: itself). */
static gint64
make_row(cd_store *s, const cd_machine *mc, const char *state)
{
	char *sql = NULL;
	if (mc == &cd_ticket_machine)
		sql = g_strdup_printf("INSERT INTO tickets(customer_id, queue_id, status, created_at, updated_at) "
		                      "VALUES (1, 1, '%s', 100, 100)", state);
	else if (mc == &cd_rma_machine)
		sql = g_strdup_printf("INSERT INTO rmas(customer_id, order_id, status, created_at, updated_at) "
		                      "VALUES (1, 1, '%s', 100, 100)", state);
	else if (mc == &cd_offer_machine)
		sql = g_strdup_printf("INSERT INTO offers(ref, customer_id, status, created_at, updated_at) "
		                      "VALUES ('OF-' || hex(randomblob(6)), 1, '%s', 100, 100)", state);
	else if (mc == &cd_order_machine)
		sql = g_strdup_printf("INSERT INTO orders(ref, customer_id, status, ordered_at, created_at, updated_at) "
		                      "VALUES ('O' || hex(randomblob(6)), 1, '%s', 100, 100, 100)", state);
	else if (mc == &cd_activation_machine)
		sql = g_strdup_printf("INSERT INTO activations(customer_id, channel, state, created_at, updated_at) "
		                      "VALUES (1, 'sms', '%s', 100, 100)", state);
	else if (mc == &cd_customer_machine)
		sql = g_strdup_printf("INSERT INTO customers(email, status, created_at, updated_at) "
		                      "VALUES (hex(randomblob(6)) || '@example.org', '%s', 100, 100)", state);
	g_assert_nonnull(sql);
	tu_exec(s, "%s", sql);
	g_free(sql);
	return cd_store_last_id(s);
}

static cd_store *
fixture_store(void)
{
	cd_store *s = tu_store(NULL);
	tu_exec(s, "INSERT INTO customers(id, email, status, created_at, updated_at) VALUES (1, 'dora@example.org', 'active', 1, 1);"
	        "INSERT INTO orders(id, ref, customer_id, ordered_at, created_at, updated_at) VALUES (1, 'A1', 1, 1, 1, 1);"
	        "INSERT INTO agents(login, email, name, created_at) VALUES ('ana', 'ana@example.test', 'Ana', 1);"
	        "INSERT INTO agents(login, email, name, active, created_at) VALUES ('old', 'old@example.test', 'Old', 0, 1);"
	        "INSERT INTO queues(name, created_at) VALUES ('returns', 1);");
	return s;
}

static const cd_actor test_actor = {.actor_kind = "agent", .actor_id = 7, .actor = "ana", .channel = "email"};

/* Every machine, every pair of states: allowed exactly when the data says so. */
static void
test_every_pair(void)
{
	cd_store *s = fixture_store();
	g_setenv("CAREDESK_NOW", "5000", TRUE);
	guint moves = 0, refusals = 0;
	for (const cd_machine *const *m = cd_machines; *m; m++) {
		const cd_machine *mc = *m;
		for (const char *const *from = mc->states; *from; from++) {
			for (const char *const *to = mc->states; *to; to++) {
				gint64 id = make_row(s, mc, *from);
				gint64 audits = tu_int_id(s, "SELECT count(*) FROM audit_events", 0);
				GError *error = NULL;
				char *old = NULL;
				gboolean ok = cd_machine_move(s, mc, id, *to, &test_actor, "a note", &old, &error);
				char *sql = g_strdup_printf("SELECT %s FROM %s WHERE id = ?", mc->column, mc->table);
				char *now_state = tu_text_id(s, sql, id);
				g_free(sql);
				if (cd_machine_allows(mc, *from, *to)) {
					g_assert_no_error(error);
					g_assert_true(ok);
					g_assert_cmpstr(old, ==, *from);
					g_assert_cmpstr(now_state, ==, *to);
					g_assert_cmpint(tu_int_id(s, "SELECT count(*) FROM audit_events", 0), ==, audits + 1);
					sqlite3_stmt *st;
					sqlite3_prepare_v2(cd_store_db(s),
					                   "SELECT entity, entity_id, customer_id, actor_kind, actor, channel, action, "
					                   "from_state, to_state, note, at FROM audit_events ORDER BY id DESC LIMIT 1",
					                   -1, &st, NULL);
					g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
					g_assert_cmpstr(cd_col_text(st, 0), ==, mc->entity);
					g_assert_cmpint(sqlite3_column_int64(st, 1), ==, id);
					g_assert_cmpint(sqlite3_column_int64(st, 2), ==, mc == &cd_customer_machine ? id : 1);
					g_assert_cmpstr(cd_col_text(st, 3), ==, "agent");
					g_assert_cmpstr(cd_col_text(st, 4), ==, "ana");
					g_assert_cmpstr(cd_col_text(st, 5), ==, "email");
					g_assert_cmpstr(cd_col_text(st, 6), ==, "status");
					g_assert_cmpstr(cd_col_text(st, 7), ==, *from);
					g_assert_cmpstr(cd_col_text(st, 8), ==, *to);
					g_assert_cmpstr(cd_col_text(st, 9), ==, "a note");
					g_assert_cmpint(sqlite3_column_int64(st, 10), ==, 5000);
					sqlite3_finalize(st);
					/* the time columns of the new state are stamped */
					for (gsize i = 0; i < mc->n_stamps; i++) {
						if (strcmp(mc->stamps[i].state, *to) != 0)
							continue;
						char *q = g_strdup_printf("SELECT %s FROM %s WHERE id = ?", mc->stamps[i].column, mc->table);
						g_assert_cmpint(tu_int_id(s, q, id), ==, 5000);
						g_free(q);
					}
					if (mc->has_updated_at) {
						char *q = g_strdup_printf("SELECT updated_at FROM %s WHERE id = ?", mc->table);
						g_assert_cmpint(tu_int_id(s, q, id), ==, 5000);
						g_free(q);
					}
					moves++;
				} else {
					g_assert_false(ok);
					g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
					char *ref = cd_machine_ref(s, mc, id, NULL);
					char *expect = g_strdup_printf("%s: %s cannot go from %s to %s", ref, mc->noun, *from, *to);
					g_assert_true(g_str_has_prefix(error->message, expect));
					g_free(expect);
					g_free(ref);
					g_assert_cmpstr(now_state, ==, *from);
					g_assert_cmpint(tu_int_id(s, "SELECT count(*) FROM audit_events", 0), ==, audits);
					g_assert_null(old);
					g_clear_error(&error);
					refusals++;
				}
				g_free(old);
				g_free(now_state);
			}
		}
	}
	/* every transition of every machine was made once */
	gsize total = 0;
	for (const cd_machine *const *m = cd_machines; *m; m++)
		total += (*m)->n_transitions;
	g_assert_cmpuint(moves, ==, total);
	g_assert_cmpuint(refusals, >, total);
	g_unsetenv("CAREDESK_NOW");
	cd_store_close(s);
}

/* The data itself: transitions join known states, none twice, none to itself, every state reachable
 * from the first, and the schema's CHECK constraints accept exactly the machine's states. */
static void
test_machine_data(void)
{
	cd_store *s = fixture_store();
	for (const cd_machine *const *m = cd_machines; *m; m++) {
		const cd_machine *mc = *m;
		GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		for (gsize i = 0; i < mc->n_transitions; i++) {
			const cd_transition *t = &mc->transitions[i];
			g_assert_true(cd_machine_has_state(mc, t->from));
			g_assert_true(cd_machine_has_state(mc, t->to));
			g_assert_cmpstr(t->from, !=, t->to);
			char *key = g_strdup_printf("%s>%s", t->from, t->to);
			g_assert_false(g_hash_table_contains(seen, key));
			g_hash_table_add(seen, key);
		}
		g_hash_table_destroy(seen);
		for (gsize i = 0; i < mc->n_stamps; i++)
			g_assert_true(cd_machine_has_state(mc, mc->stamps[i].state));
		/* reachability from the initial state */
		GHashTable *reach = g_hash_table_new(g_str_hash, g_str_equal);
		g_hash_table_add(reach, (gpointer)mc->states[0]);
		gboolean grew = TRUE;
		while (grew) {
			grew = FALSE;
			for (gsize i = 0; i < mc->n_transitions; i++)
				if (g_hash_table_contains(reach, mc->transitions[i].from) &&
				    !g_hash_table_contains(reach, mc->transitions[i].to)) {
					g_hash_table_add(reach, (gpointer)mc->transitions[i].to);
					grew = TRUE;
				}
		}
		for (const char *const *st = mc->states; *st; st++)
			g_assert_true(g_hash_table_contains(reach, *st));
		g_hash_table_destroy(reach);
		/* the table accepts every state of the machine and refuses others */
		for (const char *const *st = mc->states; *st; st++)
			make_row(s, mc, *st);
		char *sql = g_strdup_printf("UPDATE %s SET %s = 'no-such-state'", mc->table, mc->column);
		GError *error = NULL;
		g_assert_false(cd_store_exec(s, sql, &error));
		g_assert_error(error, CD_ERROR, CD_ERROR_STORE);
		g_clear_error(&error);
		g_free(sql);
	}
	char *text = cd_machine_transitions_text(&cd_offer_machine);
	g_assert_cmpstr(text, ==, "new -> accepted | rejected | expired");
	g_free(text);
	text = cd_machine_states_text(&cd_ticket_machine);
	g_assert_cmpstr(text, ==, "new, open, pending, resolved, closed");
	g_free(text);
	cd_store_close(s);
}

static void
test_errors(void)
{
	cd_store *s = fixture_store();
	GError *error = NULL;
	gint64 t = make_row(s, &cd_ticket_machine, "open");
	g_assert_false(cd_ticket_set_status(s, t, "bogus", &test_actor, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, "unknown ticket status 'bogus' (one of new, open, pending, resolved, closed)");
	g_clear_error(&error);
	g_assert_false(cd_ticket_set_status(s, 999, "open", &test_actor, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_NOTFOUND);
	g_clear_error(&error);
	g_assert_false(cd_ticket_set_status(s, t, "open", &test_actor, NULL, &error));
	g_assert_cmpstr(error->message, ==, "T-000001: a ticket cannot go from open to open (it already is)");
	g_clear_error(&error);
	gint64 r = make_row(s, &cd_rma_machine, "received");
	g_assert_false(cd_machine_move(s, &cd_rma_machine, r, "refunded", &test_actor, NULL, NULL, &error));
	g_assert_cmpstr(error->message, ==, "RMA-000001: an RMA cannot go from received to refunded");
	g_clear_error(&error);
	/* the activation machine's state column is "state" */
	gint64 a = make_row(s, &cd_activation_machine, "expired");
	g_assert_false(cd_machine_move(s, &cd_activation_machine, a, "activated", &test_actor, NULL, NULL, &error));
	g_assert_cmpstr(error->message, ==, "activation 1: an activation cannot go from expired to activated");
	g_clear_error(&error);
	cd_store_close(s);
}

/* A keep-stamp (order delivered_at) is set only when still empty. */
static void
test_keep_stamp(void)
{
	cd_store *s = fixture_store();
	GError *error = NULL;
	g_setenv("CAREDESK_NOW", "7000", TRUE);
	gint64 o = make_row(s, &cd_order_machine, "shipped");
	tu_exec(s, "UPDATE orders SET delivered_at = 1234 WHERE ref != 'A1'");
	g_assert_true(cd_machine_move(s, &cd_order_machine, o, "delivered", &test_actor, NULL, NULL, &error));
	g_assert_cmpint(tu_int_id(s, "SELECT delivered_at FROM orders WHERE id = ?", o), ==, 1234);
	gint64 o2 = make_row(s, &cd_order_machine, "shipped");
	g_assert_true(cd_machine_move(s, &cd_order_machine, o2, "delivered", &test_actor, NULL, NULL, &error));
	g_assert_cmpint(tu_int_id(s, "SELECT delivered_at FROM orders WHERE id = ?", o2), ==, 7000);
	g_unsetenv("CAREDESK_NOW");
	cd_store_close(s);
}

static void
test_ticket_changes(void)
{
	cd_store *s = fixture_store();
	GError *error = NULL;
	gint64 t = make_row(s, &cd_ticket_machine, "open");
	gboolean changed;
	g_assert_true(cd_ticket_set_priority(s, t, "high", &test_actor, "customer is waiting", &changed, &error));
	g_assert_true(changed);
	g_assert_true(cd_ticket_set_priority(s, t, "high", &test_actor, NULL, &changed, &error));
	g_assert_false(changed);
	g_assert_false(cd_ticket_set_priority(s, t, "huge", &test_actor, NULL, &changed, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_true(cd_ticket_assign(s, t, "ana", &test_actor, NULL, &changed, &error));
	g_assert_true(changed);
	g_assert_false(cd_ticket_assign(s, t, "old", &test_actor, NULL, &changed, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_NOTFOUND);
	g_assert_cmpstr(error->message, ==, "no active agent 'old'");
	g_clear_error(&error);
	g_assert_true(cd_ticket_set_queue(s, t, "returns", &test_actor, NULL, &changed, &error));
	g_assert_true(changed);
	g_assert_false(cd_ticket_set_queue(s, t, "nowhere", &test_actor, NULL, &changed, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_NOTFOUND);
	g_assert_cmpstr(error->message, ==, "no queue 'nowhere' (queues: returns, support)");
	g_clear_error(&error);
	g_assert_true(cd_ticket_assign(s, t, NULL, &test_actor, NULL, &changed, &error));
	g_assert_true(changed);
	g_assert_null(tu_text_id(s, "SELECT assignee_id FROM tickets WHERE id = ?", t));
	g_assert_cmpint(tu_int_id(s, "SELECT count(*) FROM audit_events WHERE entity = 'ticket' AND customer_id = 1", 0), ==, 4);
	char *h = tu_text_id(s, "SELECT group_concat(action || ':' || coalesce(from_state, '-') || '>' || coalesce(to_state, '-'), ' ') "
	                    "FROM (SELECT * FROM audit_events WHERE entity = 'ticket' ORDER BY id)", 0);
	g_assert_cmpstr(h, ==, "priority:normal>high assign:->ana queue:support>returns assign:ana>-");
	g_free(h);
	g_assert_cmpstr(cd_priority_raise("low"), ==, "normal");
	g_assert_cmpstr(cd_priority_raise("high"), ==, "urgent");
	g_assert_cmpstr(cd_priority_raise("urgent"), ==, "urgent");
	cd_store_close(s);
}

static cd_config *
config_with(const char *workflow)
{
	char *dir = tu_tempdir();
	char *path = g_build_filename(dir, "caredesk.conf", NULL);
	char *text = g_strdup_printf("[caredesk]\ndatabase = caredesk.db\n\n[workflow]\n%s", workflow);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	GError *error = NULL;
	cd_config *cfg = cd_config_load(path, &error);
	g_assert_no_error(error);
	g_free(text);
	g_free(path);
	g_free(dir);
	return cfg;
}

static void
test_settings(void)
{
	cd_workflow_settings ws;
	GError *error = NULL;
	g_assert_true(cd_workflow_settings_load(NULL, &ws, &error));
	g_assert_cmpint(ws.autoclose_days, ==, 7);
	g_assert_cmpint(ws.rma_return_days, ==, 30);
	g_assert_cmpint(ws.activation_code_minutes, ==, 60);
	g_assert_cmpint(ws.activation_max_attempts, ==, 5);
	g_assert_true(ws.rma_auto_authorize);
	g_assert_cmpint(ws.offer_valid_days, ==, 30);
	cd_config *cfg = config_with("autoclose_days = 0\nrma_return_days = 14\nrma_auto_authorize = false\n"
	                             "activation_max_attempts = 3\n");
	g_assert_true(cd_workflow_settings_load(cfg, &ws, &error));
	g_assert_cmpint(ws.autoclose_days, ==, 0);
	g_assert_cmpint(ws.rma_return_days, ==, 14);
	g_assert_false(ws.rma_auto_authorize);
	g_assert_cmpint(ws.activation_max_attempts, ==, 3);
	cd_config_free(cfg);
	cfg = config_with("activation_code_minutes = 0\n");
	g_assert_false(cd_workflow_settings_load(cfg, &ws, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_CONFIG);
	g_assert_nonnull(strstr(error->message, "[workflow] activation_code_minutes: expected an integer >= 1"));
	g_clear_error(&error);
	cd_config_free(cfg);
	cfg = config_with("rma_auto_authorize = perhaps\n");
	g_assert_false(cd_workflow_settings_load(cfg, &ws, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_CONFIG);
	g_clear_error(&error);
	cd_config_free(cfg);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/workflow/every-pair", test_every_pair);
	g_test_add_func("/workflow/machine-data", test_machine_data);
	g_test_add_func("/workflow/errors", test_errors);
	g_test_add_func("/workflow/keep-stamp", test_keep_stamp);
	g_test_add_func("/workflow/ticket-changes", test_ticket_changes);
	g_test_add_func("/workflow/settings", test_settings);
	return g_test_run();
}
