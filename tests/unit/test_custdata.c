/* test_custdata.c - the customer-data core as the web view will call it: search criteria combine,
 * the group of a customer, notes keep author and editor, a merge moves rows of any table that
 * refers to customers (also one added later) and keeps the merged address as a contact, an erase
 * replaces the person's strings only where they stand alone (in tables added later too, unique
 * columns included), percentiles interpolate, and charts
 * render as SVG and PNG. */
#include "chart.h"
#include "custdata.h"
#include "custmerge.h"
#include "customer.h"
#include "report.h"
#include "result.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

static const cd_actor admin = {.actor_kind = "admin", .actor = "ana", .channel = "cli"};

static cd_store *
store_with_people(void)
{
	cd_store *s = tu_store(NULL);
	tu_exec(s, "INSERT INTO customers(id, email, phone, name, company, status, customer_group, created_at, updated_at) VALUES "
	           "(1, 'dora@example.org', '+49 151 2345678', 'Dora Kunde', 'Kunde KG', 'active', 'retail', 100, 100), "
	           "(2, 'isadora@example.org', NULL, 'Isadora', NULL, 'pending', NULL, 200, 200), "
	           "(3, 'dk@example.net', '+49 170 1', 'D. Kunde', NULL, 'active', NULL, 300, 300)");
	return s;
}

static GArray *
search(cd_store *s, const cd_customer_query *q)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	GError *error = NULL;
	g_assert_true(cd_customer_search(s, q, ids, &error));
	g_assert_no_error(error);
	return ids;
}

static void
assert_ids(cd_store *s, const cd_customer_query *q, const char *expected)
{
	GArray *ids = search(s, q);
	GString *got = g_string_new(NULL);
	for (guint i = 0; i < ids->len; i++)
		g_string_append_printf(got, "%s%" G_GINT64_FORMAT, i ? " " : "", g_array_index(ids, gint64, i));
	g_assert_cmpstr(got->str, ==, expected);
	g_string_free(got, TRUE);
	g_array_free(ids, TRUE);
}

static void
test_search(void)
{
	cd_store *s = store_with_people();
	assert_ids(s, &(cd_customer_query){.email = "dora@"}, "1 2");
	assert_ids(s, &(cd_customer_query){.email = "dora@", .status = "active"}, "1");
	assert_ids(s, &(cd_customer_query){.name = "KUNDE"}, "1 3");
	assert_ids(s, &(cd_customer_query){.phone = "0049-151-2345678"}, "");
	assert_ids(s, &(cd_customer_query){.phone = "151 2345"}, "1");
	assert_ids(s, &(cd_customer_query){.email = "50%"}, "");
	assert_ids(s, &(cd_customer_query){.created_from = 150, .created_to = 300}, "2");
	assert_ids(s, &(cd_customer_query){.group = "RETAIL"}, "1");
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	GError *error = NULL;
	g_assert_false(cd_customer_search(s, &(cd_customer_query){.ticket_ref = "X1"}, ids, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_USAGE);
	g_clear_error(&error);
	g_array_free(ids, TRUE);
	cd_store_close(s);
}

static void
test_group_and_notes(void)
{
	cd_store *s = store_with_people();
	GError *error = NULL;
	char *group = NULL;
	g_assert_true(cd_customer_group(s, 1, &group, &error));
	g_assert_cmpstr(group, ==, "retail");
	g_free(group);
	g_assert_true(cd_customer_update(s, &admin, 1, &(cd_customer_settings){.group = ""}, &error));
	g_assert_true(cd_customer_group(s, 1, &group, &error));
	g_assert_null(group);
	gint64 note, owner;
	g_assert_true(cd_customer_note_add(s, &admin, 1, "first", &note, &error));
	cd_actor ben = {.actor_kind = "agent", .actor = "ben", .channel = "web"};
	g_assert_true(cd_customer_note_edit(s, &ben, note, "second", &owner, &error));
	g_assert_cmpint(owner, ==, 1);
	char *who = tu_text_id(s, "SELECT author || '/' || edited_by || '/' || body FROM customer_notes WHERE id = ?1", note);
	g_assert_cmpstr(who, ==, "ana/ben/second");
	g_free(who);
	g_assert_false(cd_customer_note_delete(s, &admin, 99, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_NOTFOUND);
	g_clear_error(&error);
	cd_store_close(s);
}

static void
test_merge_any_table(void)
{
	cd_store *s = store_with_people();
	GError *error = NULL;
	/* a table another module adds later: a merge moves its rows too */
	tu_exec(s, "CREATE TABLE later_sessions(id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id))");
	tu_exec(s, "INSERT INTO later_sessions(customer_id) VALUES (3), (3)");
	tu_exec(s, "INSERT INTO customer_tags VALUES (1, 'vip'), (3, 'vip'), (3, 'reseller')");
	char *moved = NULL;
	g_assert_true(cd_store_begin(s, &error));
	g_assert_true(cd_customer_merge(s, &admin, 1, 3, &moved, &error));
	g_assert_true(cd_store_commit(s, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(moved, ==, "2 tags");
	g_free(moved);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM later_sessions WHERE customer_id = 1"), ==, 2);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM customer_tags WHERE customer_id = 1"), ==, 2);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM customers WHERE id = 3"), ==, 0);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM customer_contacts WHERE customer_id = 1 AND value IN "
	                          "('dk@example.net', '+49 170 1')"),
	                ==, 2);
	cd_sender who;
	g_assert_true(cd_sender_lookup(s, "dk@example.net", &who, &error));
	g_assert_cmpint(who.customer_id, ==, 1);
	g_assert_false(cd_customer_merge(s, &admin, 1, 1, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_USAGE);
	g_clear_error(&error);
	cd_store_close(s);
}

static void
test_erase_standalone(void)
{
	cd_store *s = store_with_people();
	GError *error = NULL;
	tu_exec(s, "INSERT INTO audit_events(at, actor_kind, entity, action, note) VALUES "
	           "(1, 'system', 'x', 'y', 'mail from dora@example.org and isadora@example.org, DORA@EXAMPLE.ORG.')");
	/* a table of another module with a unique column: the second erase cannot write "[erased]" again */
	tu_exec(s, "CREATE TABLE optouts(address TEXT UNIQUE)");
	tu_exec(s, "INSERT INTO optouts VALUES ('dora@example.org'), ('isadora@example.org'), ('carl@example.org')");
	cd_erase_counts n;
	g_assert_true(cd_customer_erase_prepare(s, &error));
	g_assert_true(cd_store_begin(s, &error));
	g_assert_true(cd_customer_erase(s, &admin, 1, FALSE, &n, &error));
	g_assert_true(cd_store_commit(s, &error));
	g_assert_no_error(error);
	char *note = tu_text(s, "SELECT note FROM audit_events WHERE entity = 'x'");
	g_assert_cmpstr(note, ==, "mail from [erased] and isadora@example.org, [erased].");
	g_free(note);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM customers WHERE id = 1 AND email IS NULL AND name IS NULL "
	                          "AND phone IS NULL AND erased_at IS NOT NULL"),
	                ==, 1);
	g_assert_false(cd_customer_erase(s, &admin, 1, FALSE, &n, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
	/* an open order refuses, unless forced */
	tu_exec(s, "INSERT INTO orders(ref, customer_id, status, ordered_at, created_at, updated_at) VALUES ('A1', 2, 'paid', 0, 0, 0)");
	g_assert_false(cd_customer_erase(s, &admin, 2, FALSE, &n, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
	g_assert_true(cd_customer_erase(s, &admin, 2, TRUE, &n, &error));
	g_assert_no_error(error);
	g_assert_cmpint(n.orders, ==, 1);
	char *left = tu_text(s, "SELECT group_concat(address, ' ') FROM (SELECT address FROM optouts ORDER BY address)");
	g_assert_cmpstr(left, ==, "[erased] carl@example.org");
	g_free(left);
	cd_store_close(s);
}

static void
test_percentile(void)
{
	double v[] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100};
	g_assert_cmpfloat_with_epsilon(cd_percentile(v, 10, 0.5), 55, 1e-9);
	g_assert_cmpfloat_with_epsilon(cd_percentile(v, 10, 0.9), 91, 1e-9);
	g_assert_cmpfloat_with_epsilon(cd_percentile(v, 1, 0.9), 10, 1e-9);
	g_assert_true(isnan(cd_percentile(v, 0, 0.5)));
}

static void
test_chart(void)
{
	cd_chart *c = cd_chart_new(CD_CHART_BAR, "Title <&>", "count");
	guint s = cd_chart_add_series(c, "a");
	cd_chart_set(c, s, cd_chart_add_category(c, "x"), 3);
	cd_chart_add_category(c, "y");
	GError *error = NULL;
	GBytes *svg = cd_chart_render(c, CD_CHART_SVG, 400, 300, &error);
	g_assert_no_error(error);
	gsize len;
	const char *data = g_bytes_get_data(svg, &len);
	g_assert_nonnull(g_strstr_len(data, (gssize)len, "<svg"));
	GBytes *png = cd_chart_render(c, CD_CHART_PNG, 400, 300, &error);
	g_assert_cmpmem(g_bytes_get_data(png, NULL), 8, "\x89PNG\r\n\x1a\n", 8);
	cd_chart_format f;
	g_assert_true(cd_chart_format_for("X.PNG", &f) && f == CD_CHART_PNG);
	g_assert_false(cd_chart_format_for("x.gif", &f));
	g_bytes_unref(svg);
	g_bytes_unref(png);
	cd_chart_free(c);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/custdata/search", test_search);
	g_test_add_func("/custdata/group_and_notes", test_group_and_notes);
	g_test_add_func("/custdata/merge_any_table", test_merge_any_table);
	g_test_add_func("/custdata/erase_standalone", test_erase_standalone);
	g_test_add_func("/report/percentile", test_percentile);
	g_test_add_func("/report/chart", test_chart);
	return g_test_run();
}
