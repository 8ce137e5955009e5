/* test_rma.c - the RMA authorisation checks and the agents' steps: the order's customer is
 * authorised; a stranger (or an unknown sender) is refused with the same words and no RMA row; past
 * the warranty window a refusal names the window and its end; quantities count what is already
 * returned or asked for; a request that does not name one of several lines waits for an agent; an
 * agent's authorisation re-runs the checks; a full refund returns the order. */
#include "order.h"
#include "result.h"
#include "rma.h"
#include "testutil.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

static gint64
day(int y, int m, int d)
{
	GDateTime *dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	gint64 t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static const cd_actor shop = {.actor_kind = "system", .actor = "shop", .channel = "cli"};
static const cd_actor mail = {.actor_kind = "customer", .actor = "dora@example.org", .channel = "email"};
static const cd_actor agent = {.actor_kind = "agent", .actor = "ana", .channel = "email"};

typedef struct {
	cd_store *store;
	gint64 dora, erik;
} fixture;

static void
order(fixture *f, const char *ref, const char *email, const char *status, gint64 delivered,
      const cd_order_line_data *lines, guint n)
{
	cd_order_data d = {.ref = ref, .email = email, .status = status, .ordered_at = day(2026, 1, 1),
	                   .delivered_at = delivered, .lines = lines, .n_lines = n};
	cd_order_change ch;
	gint64 id;
	GError *error = NULL;
	g_assert_true(cd_order_upsert(f->store, &d, &shop, &ch, &id, &error));
	g_assert_no_error(error);
}

static void
fixture_init(fixture *f)
{
	f->store = tu_store(NULL);
	tu_set_now(day(2026, 6, 1));
	cd_order_line_data printer = {.line_no = 1, .sku = "PX-200", .description = "printer", .quantity = 1,
	                              .unit_price_cents = 19900, .warranty_days = 730, .serial = "SN-1"};
	order(f, "A1001", "dora@example.org", "delivered", day(2026, 3, 5), &printer, 1);
	cd_order_line_data old = {.line_no = 1, .sku = "PX-100", .description = "printer", .quantity = 1,
	                          .unit_price_cents = 14900, .warranty_days = 730};
	order(f, "A1002", "dora@example.org", "delivered", day(2024, 5, 1), &old, 1);
	cd_order_line_data two[] = {
		{.line_no = 1, .sku = "TN-1", .description = "toner", .quantity = 3, .unit_price_cents = 2990, .warranty_days = 365},
		{.line_no = 2, .sku = "CB-1", .description = "cable", .quantity = 2, .unit_price_cents = 990, .warranty_days = 90,
		 .serial = "SN-CB"},
	};
	order(f, "A1003", "dora@example.org", "delivered", day(2026, 4, 1), two, 2);
	cd_order_line_data erik = {.sku = "PX-200", .quantity = 1, .unit_price_cents = 19900, .warranty_days = -1};
	order(f, "A1004", "erik@example.org", "shipped", 0, &erik, 1);
	cd_order_line_data none = {.sku = "GC-1", .description = "gift card", .quantity = 1, .warranty_days = 0};
	order(f, "A1005", "dora@example.org", "shipped", 0, &none, 1);
	order(f, "A1006", "dora@example.org", "cancelled", 0, &none, 1);
	f->dora = tu_int_id(f->store, "SELECT id FROM customers WHERE email = 'dora@example.org'", 0);
	f->erik = tu_int_id(f->store, "SELECT id FROM customers WHERE email = 'erik@example.org'", 0);
}

static void
fixture_clear(fixture *f)
{
	cd_store_close(f->store);
	g_unsetenv("CAREDESK_NOW");
}

/* ask - run cd_rma_request; returns the outcome, *id and *why (g_free it). */
static cd_rma_outcome
ask(fixture *f, const cd_rma_req *req, gboolean auto_authorize, gint64 *id, char **why)
{
	cd_rma_outcome out;
	GError *error = NULL;
	g_assert_true(cd_rma_request(f->store, req, auto_authorize, &mail, &out, id, why, &error));
	g_assert_no_error(error);
	g_assert_true((out == CD_RMA_REFUSED) == (*why != NULL));
	return out;
}

static gint64
rma_count(fixture *f)
{
	return tu_int_id(f->store, "SELECT count(*) FROM rmas", 0);
}

static void
test_owner_authorized(void)
{
	fixture f;
	fixture_init(&f);
	cd_rma_req req = {.customer_id = f.dora, .order_ref = "#a1001", .reason = "the screen is broken", .ticket_id = 0};
	gint64 id;
	char *why;
	g_assert_cmpint(ask(&f, &req, TRUE, &id, &why), ==, CD_RMA_AUTHORIZED);
	g_assert_cmpint(id, ==, 1);
	char *st = tu_text_id(f.store, "SELECT status FROM rmas WHERE id = ?", id);
	g_assert_cmpstr(st, ==, "authorized");
	g_free(st);
	g_assert_cmpint(tu_int_id(f.store, "SELECT authorized_at FROM rmas WHERE id = ?", id), ==, day(2026, 6, 1));
	g_assert_cmpint(tu_int_id(f.store, "SELECT order_line_id IS NOT NULL FROM rmas WHERE id = ?", id), ==, 1);
	/* created (by the customer, by mail) and authorized (by the checks), both on the customer's page */
	char *h = tu_text_id(f.store, "SELECT group_concat(actor_kind || ':' || action || ':' || coalesce(from_state, '') || '>' || "
	                          "to_state || ':' || channel, ' ') FROM (SELECT * FROM audit_events WHERE entity = 'rma' "
	                          "AND entity_id = ? AND customer_id = 1 ORDER BY id)",
	                 id);
	g_assert_cmpstr(h, ==, "customer:created:>requested:email system:status:requested>authorized:email");
	g_free(h);
	char *ref = cd_rma_ref(id);
	g_assert_cmpstr(ref, ==, "RMA-000001");
	g_free(ref);
	/* without auto-authorisation it waits for an agent */
	cd_rma_req req2 = {.customer_id = f.dora, .order_ref = "A1003", .sku = "TN-1"};
	g_assert_cmpint(ask(&f, &req2, FALSE, &id, &why), ==, CD_RMA_REQUESTED);
	st = tu_text_id(f.store, "SELECT status FROM rmas WHERE id = ?", id);
	g_assert_cmpstr(st, ==, "requested");
	g_free(st);
	fixture_clear(&f);
}

static void
test_stranger_refused(void)
{
	fixture f;
	fixture_init(&f);
	gint64 before = rma_count(&f);
	gint64 audits = tu_int_id(f.store, "SELECT count(*) FROM audit_events", 0);
	gint64 id = 99;
	char *foreign = NULL, *unknown = NULL, *anon = NULL;
	cd_rma_req req = {.customer_id = f.erik, .order_ref = "A1001", .reason = "broken"};
	g_assert_cmpint(ask(&f, &req, TRUE, &id, &foreign), ==, CD_RMA_REFUSED);
	g_assert_cmpint(id, ==, 0);
	cd_rma_req req2 = {.customer_id = f.erik, .order_ref = "A9999"};
	g_assert_cmpint(ask(&f, &req2, TRUE, &id, &unknown), ==, CD_RMA_REFUSED);
	cd_rma_req req3 = {.customer_id = 0, .order_ref = "A1001"};
	g_assert_cmpint(ask(&f, &req3, TRUE, &id, &anon), ==, CD_RMA_REFUSED);
	/* the same words whether the order exists or not: nothing learnt, nothing authorised */
	g_assert_cmpstr(foreign, ==, "we could not find order A1001 for your address");
	g_assert_cmpstr(unknown, ==, "we could not find order A9999 for your address");
	g_assert_cmpstr(anon, ==, "we could not find order A1001 for your address");
	g_assert_null(strstr(foreign, "yours"));
	g_assert_cmpint(rma_count(&f), ==, before);
	/* the refusals are audited, on the asker's page, without details about the order's owner */
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM audit_events", 0), ==, audits + 3);
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM audit_events WHERE action = 'refused' AND customer_id = ?",
	                      f.erik),
	                ==, 2);
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM audit_events WHERE action = 'refused' AND note LIKE '%dora%'", 0), ==, 0);
	g_free(foreign);
	g_free(unknown);
	g_free(anon);
	fixture_clear(&f);
}

static void
test_warranty(void)
{
	fixture f;
	fixture_init(&f);
	gint64 id;
	char *why;
	/* A1002 was delivered 2024-05-01 with 730 days: the window ended 2026-05-01 */
	cd_rma_req req = {.customer_id = f.dora, .order_ref = "A1002", .reason = "paper jam"};
	g_assert_cmpint(ask(&f, &req, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "the warranty of 730 days for line 1 (PX-100 printer) ended on 2026-05-01");
	char *row = tu_text_id(f.store, "SELECT status || '|' || refusal_reason FROM rmas WHERE id = ?", id);
	g_assert_cmpstr(row, ==, "rejected|the warranty of 730 days for line 1 (PX-100 printer) ended on 2026-05-01");
	g_free(row);
	g_free(why);
	/* on its last day it is still within */
	tu_set_now(day(2026, 5, 1));
	g_assert_cmpint(ask(&f, &req, TRUE, &id, &why), ==, CD_RMA_AUTHORIZED);
	/* not delivered yet counts as within, even with 0 warranty days */
	tu_set_now(day(2030, 1, 1));
	cd_rma_req gift = {.customer_id = f.dora, .order_ref = "A1005"};
	g_assert_cmpint(ask(&f, &gift, TRUE, &id, &why), ==, CD_RMA_AUTHORIZED);
	/* a line's own delivery date wins over the order's */
	tu_set_now(day(2026, 6, 1));
	sqlite3_exec(cd_store_db(f.store), "UPDATE order_lines SET delivered_at = strftime('%s', '2026-02-20') "
	                                   "WHERE sku = 'CB-1'", NULL, NULL, NULL);
	cd_rma_req cable = {.customer_id = f.dora, .order_ref = "A1003", .line_no = 2};
	g_assert_cmpint(ask(&f, &cable, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "the warranty of 90 days for line 2 (CB-1 cable) ended on 2026-05-21");
	g_free(why);
	fixture_clear(&f);
}

static void
test_quantity(void)
{
	fixture f;
	fixture_init(&f);
	gint64 id, first;
	char *why;
	cd_rma_req req = {.customer_id = f.dora, .order_ref = "A1003", .line_no = 1, .quantity = 4};
	g_assert_cmpint(ask(&f, &req, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "you asked to return 4 but only 3 of line 1 (TN-1 toner) can still be returned");
	g_free(why);
	req.quantity = 2;
	g_assert_cmpint(ask(&f, &req, TRUE, &first, &why), ==, CD_RMA_AUTHORIZED);
	/* requested (not yet authorized) counts too */
	cd_rma_req one = {.customer_id = f.dora, .order_ref = "A1003", .line_no = 1, .quantity = 1};
	g_assert_cmpint(ask(&f, &one, FALSE, &id, &why), ==, CD_RMA_REQUESTED);
	g_assert_cmpint(ask(&f, &one, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "all 3 of line 1 (TN-1 toner) of order A1003 are already returned or have a return open");
	g_free(why);
	/* a rejected or expired RMA frees its quantity */
	GError *error = NULL;
	g_assert_true(cd_machine_move(f.store, &cd_rma_machine, first, "expired", &agent, NULL, NULL, &error));
	g_assert_cmpint(ask(&f, &one, TRUE, &id, &why), ==, CD_RMA_AUTHORIZED);
	fixture_clear(&f);
}

static void
test_line_choice(void)
{
	fixture f;
	fixture_init(&f);
	gint64 id;
	char *why;
	/* two lines, nothing that picks one: requested, with a note for the agent, even with auto-authorisation */
	cd_rma_req req = {.customer_id = f.dora, .order_ref = "A1003", .reason = "does not work"};
	g_assert_cmpint(ask(&f, &req, TRUE, &id, &why), ==, CD_RMA_REQUESTED);
	g_assert_cmpint(tu_int_id(f.store, "SELECT order_line_id IS NULL FROM rmas WHERE id = ?", id), ==, 1);
	char *note = tu_text_id(f.store, "SELECT agent_note FROM rmas WHERE id = ?", id);
	g_assert_cmpstr(note, ==, "order A1003 has 2 lines and the request does not say which: pick the line when authorizing");
	g_free(note);
	/* the agent must name the line; then the checks run for it */
	GError *error = NULL;
	g_assert_false(cd_rma_authorize(f.store, id, 0, FALSE, &agent, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_false(cd_rma_authorize(f.store, id, 9, FALSE, &agent, NULL, &error));
	g_assert_cmpstr(error->message, ==, "RMA-000001: order A1003 has no line 9");
	g_clear_error(&error);
	g_assert_true(cd_rma_authorize(f.store, id, 1, FALSE, &agent, "toner", &error));
	g_assert_no_error(error);
	g_assert_cmpint(tu_int_id(f.store, "SELECT l.line_no FROM rmas r JOIN order_lines l ON l.id = r.order_line_id "
	                               "WHERE r.id = ?", id),
	                ==, 1);
	/* by SKU (any case) or by serial */
	cd_rma_req by_sku = {.customer_id = f.dora, .order_ref = "A1003", .sku = "tn-1"};
	g_assert_cmpint(ask(&f, &by_sku, TRUE, &id, &why), ==, CD_RMA_AUTHORIZED);
	cd_rma_req by_serial = {.customer_id = f.dora, .order_ref = "A1003", .serial = "sn-cb"};
	g_assert_cmpint(ask(&f, &by_serial, TRUE, &id, &why), ==, CD_RMA_AUTHORIZED);
	g_assert_cmpint(tu_int_id(f.store, "SELECT l.line_no FROM rmas r JOIN order_lines l ON l.id = r.order_line_id "
	                               "WHERE r.id = ?", id),
	                ==, 2);
	/* a named line that does not exist is refused */
	cd_rma_req seven = {.customer_id = f.dora, .order_ref = "A1003", .line_no = 7};
	g_assert_cmpint(ask(&f, &seven, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "order A1003 has no line 7 (it has 2 lines)");
	g_free(why);
	/* no order number: a serial of one of the customer's lines finds it; else the customer is asked */
	cd_rma_req serial_only = {.customer_id = f.dora, .serial = "SN-1"};
	g_assert_cmpint(ask(&f, &serial_only, FALSE, &id, &why), ==, CD_RMA_REQUESTED);
	g_assert_cmpint(tu_int_id(f.store, "SELECT o.ref = 'A1001' FROM rmas r JOIN orders o ON o.id = r.order_id "
	                               "WHERE r.id = ?", id),
	                ==, 1);
	g_assert_true(cd_rma_reject(f.store, id, "test", &agent, &error));
	/* a serial that differs from the shipped one goes to an agent */
	cd_rma_req wrong = {.customer_id = f.dora, .order_ref = "A1001", .serial = "SN-999"};
	g_assert_cmpint(ask(&f, &wrong, TRUE, &id, &why), ==, CD_RMA_REQUESTED);
	note = tu_text_id(f.store, "SELECT agent_note FROM rmas WHERE id = ?", id);
	g_assert_cmpstr(note, ==, "the customer gives serial SN-999 but line 1 (PX-200 printer) was shipped with serial SN-1");
	g_free(note);
	gint64 before = rma_count(&f);
	cd_rma_req nothing = {.customer_id = f.dora, .reason = "broken"};
	g_assert_cmpint(ask(&f, &nothing, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "please tell us the number of the order you want to return");
	g_assert_cmpint(rma_count(&f), ==, before);
	g_free(why);
	/* a cancelled order returns nothing */
	cd_rma_req cancelled = {.customer_id = f.dora, .order_ref = "A1006"};
	g_assert_cmpint(ask(&f, &cancelled, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "order A1006 was cancelled");
	g_free(why);
	fixture_clear(&f);
}

static void
test_agent_steps(void)
{
	fixture f;
	fixture_init(&f);
	gint64 id, other;
	char *why;
	GError *error = NULL;
	cd_rma_req req = {.customer_id = f.dora, .order_ref = "A1001", .reason = "broken"};
	g_assert_cmpint(ask(&f, &req, FALSE, &id, &why), ==, CD_RMA_REQUESTED);
	/* the checks run again when an agent authorizes: here the warranty ended meanwhile */
	tu_set_now(day(2028, 4, 1));
	g_assert_false(cd_rma_authorize(f.store, id, 0, FALSE, &agent, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, "RMA-000001 cannot be authorized: the warranty of 730 days for line 1 "
	                                    "(PX-200 printer) ended on 2028-03-04");
	g_clear_error(&error);
	tu_set_now(day(2026, 6, 1));
	g_assert_true(cd_rma_authorize(f.store, id, 0, FALSE, &agent, NULL, &error));
	g_assert_false(cd_rma_authorize(f.store, id, 0, FALSE, &agent, NULL, &error));
	g_assert_cmpstr(error->message, ==, "RMA-000001: an RMA cannot go from authorized to authorized (it already is)");
	g_clear_error(&error);
	cd_rma_req toner = {.customer_id = f.dora, .order_ref = "A1003", .line_no = 1};
	g_assert_cmpint(ask(&f, &toner, FALSE, &other, &why), ==, CD_RMA_REQUESTED);
	/* a rejection needs its reason, which the customer is told */
	g_assert_false(cd_rma_reject(f.store, other, "", &agent, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_USAGE);
	g_clear_error(&error);
	g_assert_true(cd_rma_reject(f.store, other, "toner cartridges cannot be returned once opened", &agent, &error));
	char *r = tu_text_id(f.store, "SELECT refusal_reason FROM rmas WHERE id = ?", other);
	g_assert_cmpstr(r, ==, "toner cartridges cannot be returned once opened");
	g_free(r);
	/* the rest of the way; steps out of order are refused */
	g_assert_false(cd_rma_set_status(f.store, id, "inspected", &agent, NULL, &error));
	g_assert_cmpstr(error->message, ==, "RMA-000001: an RMA cannot go from authorized to inspected");
	g_clear_error(&error);
	g_assert_false(cd_rma_set_status(f.store, id, "refunded", &agent, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_USAGE);
	g_clear_error(&error);
	g_assert_true(cd_rma_set_status(f.store, id, "received", &agent, NULL, &error));
	g_assert_true(cd_rma_set_status(f.store, id, "inspected", &agent, "screen cracked", &error));
	g_assert_false(cd_rma_refund(f.store, id, 25000, FALSE, &agent, NULL, &error));
	g_assert_cmpstr(error->message, ==,
	                "RMA-000001: a refund of 250.00 is more than the 199.00 paid for 1 of line 1 (PX-200 printer)");
	g_clear_error(&error);
	g_assert_true(cd_rma_refund(f.store, id, 19900, FALSE, &agent, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(tu_int_id(f.store, "SELECT refund_cents FROM rmas WHERE id = ?", id), ==, 19900);
	/* every line refunded: the order is returned, by the checks, on the customer's page */
	char *st = tu_text_id(f.store, "SELECT status FROM orders WHERE ref = 'A1001'", 0);
	g_assert_cmpstr(st, ==, "returned");
	g_free(st);
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM audit_events WHERE entity = 'order' AND to_state = 'returned' "
	                               "AND customer_id = ?", f.dora),
	                ==, 1);
	g_assert_true(cd_rma_set_status(f.store, id, "closed", &agent, NULL, &error));
	g_assert_cmpint(tu_int_id(f.store, "SELECT closed_at IS NOT NULL AND resolved_at IS NOT NULL AND inspected_at IS NOT NULL "
	                               "AND received_at IS NOT NULL FROM rmas WHERE id = ?", id),
	                ==, 1);
	/* already returned: a new request for it is refused with the reason */
	g_assert_cmpint(ask(&f, &req, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_assert_cmpstr(why, ==, "all 1 of line 1 (PX-200 printer) of order A1001 are already returned or have a return open");
	g_free(why);
	/* override past the warranty, noted in the history */
	cd_rma_req old = {.customer_id = f.dora, .order_ref = "A1002"};
	g_assert_cmpint(ask(&f, &old, TRUE, &id, &why), ==, CD_RMA_REFUSED);
	g_free(why);
	cd_rma_req old2 = {.customer_id = f.dora, .order_ref = "A1003", .line_no = 2};
	sqlite3_exec(cd_store_db(f.store), "UPDATE order_lines SET warranty_days = 1 WHERE sku = 'CB-1'", NULL, NULL, NULL);
	g_assert_cmpint(ask(&f, &old2, FALSE, &id, &why), ==, CD_RMA_REFUSED);
	g_free(why);
	sqlite3_exec(cd_store_db(f.store), "UPDATE order_lines SET warranty_days = 365 WHERE sku = 'CB-1'", NULL, NULL, NULL);
	g_assert_cmpint(ask(&f, &old2, FALSE, &id, &why), ==, CD_RMA_REQUESTED);
	sqlite3_exec(cd_store_db(f.store), "UPDATE order_lines SET warranty_days = 1 WHERE sku = 'CB-1'", NULL, NULL, NULL);
	g_assert_false(cd_rma_authorize(f.store, id, 0, FALSE, &agent, NULL, &error));
	g_clear_error(&error);
	g_assert_true(cd_rma_authorize(f.store, id, 0, TRUE, &agent, "goodwill", &error));
	char *n = tu_text_id(f.store, "SELECT note FROM audit_events WHERE entity = 'rma' AND entity_id = ? ORDER BY id DESC "
	                          "LIMIT 1", id);
	g_assert_cmpstr(n, ==, "goodwill; override: the warranty of 1 day for line 2 (CB-1 cable) ended on 2026-04-02");
	g_free(n);
	/* expired RMAs may still receive goods that arrive late */
	g_assert_true(cd_machine_move(f.store, &cd_rma_machine, id, "expired", &agent, NULL, NULL, &error));
	g_assert_true(cd_rma_set_status(f.store, id, "received", &agent, "arrived late", &error));
	gint64 found;
	g_assert_true(cd_rma_find(f.store, "rma-1", &found, &error));
	g_assert_cmpint(found, ==, 1);
	g_assert_false(cd_rma_find(f.store, "RMA-000999", &found, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_NOTFOUND);
	g_clear_error(&error);
	fixture_clear(&f);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rma/owner-authorized", test_owner_authorized);
	g_test_add_func("/rma/stranger-refused", test_stranger_refused);
	g_test_add_func("/rma/warranty", test_warranty);
	g_test_add_func("/rma/quantity", test_quantity);
	g_test_add_func("/rma/line-choice", test_line_choice);
	g_test_add_func("/rma/agent-steps", test_agent_steps);
	return g_test_run();
}
