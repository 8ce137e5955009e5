/* test_order_import.c - orders from the shop: the RFC 4180 reader (quotes, doubled quotes, line
 * breaks in fields, CRLF, BOM, errors with line and column and reading on after them); amounts and
 * dates; CSV and JSON imports from tests/data/orders (idempotent, customers matched or created);
 * bad rows named by line and skipped with their order, or nothing imported with strict; status
 * changes through the order machine; an order never moves to another customer. */
#include "csv.h"
#include "order.h"
#include "order_import.h"
#include "parse.h"
#include "result.h"
#include "testutil.h"
#include "util.h"

#include <string.h>

static const cd_actor importer = {.actor_kind = "admin", .actor = "root", .channel = "cli"};

/* csv_all - every record as "a|b|c" (line:record), errors as "E line: message". */
static char *
csv_all(const char *data)
{
	cd_csv *c = cd_csv_new(data, strlen(data));
	GString *out = g_string_new(NULL);
	for (;;) {
		char **f = NULL;
		guint line = 0;
		GError *error = NULL;
		if (!cd_csv_next(c, &f, &line, &error)) {
			char *partial = f ? g_strjoinv("|", f) : g_strdup("");
			g_string_append_printf(out, "[E%u %s {%s}]", line, error->message, partial);
			g_free(partial);
			g_strfreev(f);
			g_error_free(error);
			continue;
		}
		if (f == NULL)
			break;
		char *j = g_strjoinv("|", f);
		g_string_append_printf(out, "[%u:%s]", line, j);
		g_free(j);
		g_strfreev(f);
	}
	cd_csv_free(c);
	return g_string_free(out, FALSE);
}

static void
test_csv_reader(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a,b,c\n1,2,3\n", "[1:a|b|c][2:1|2|3]"},
		{"a,b\r\n1,2\r\n", "[1:a|b][2:1|2]"},
		{"\xEF\xBB\xBF" "a,b\n", "[1:a|b]"},
		{"a,b", "[1:a|b]"},
		{"a,,\n", "[1:a||]"},
		{"\"x, y\",\"say \"\"hi\"\"\"\n", "[1:x, y|say \"hi\"]"},
		{"\"two\nlines\",z\nnext,row\n", "[1:two\nlines|z][3:next|row]"},
		{"a\n\n\nb\n", "[1:a][4:b]"},
		{"\"\"\n", "[1:]"},
		{"ok,1\nbad\"x,2\nok,3\n", "[1:ok|1][E2 2:4: a quote inside an unquoted field (quote the field and double the quote) {}][3:ok|3]"},
		{"k,\"v\"w,9\nz\n", "[E1 1:6: text after a closing quote (quote the whole field) {k}][2:z]"},
		{"a,\"never\nclosed\n", "[E1 1:3: the quote opened here is never closed {a}]"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *got = csv_all(cases[i].in);
		g_assert_cmpstr(got, ==, cases[i].out);
		g_free(got);
	}
}

static void
test_parse_values(void)
{
	gint64 v;
	g_assert_true(cd_parse_cents("49.90", &v) && v == 4990);
	g_assert_true(cd_parse_cents(" 49,9 ", &v) && v == 4990);
	g_assert_true(cd_parse_cents("12", &v) && v == 1200);
	g_assert_true(cd_parse_cents("0.05", &v) && v == 5);
	g_assert_false(cd_parse_cents("1,234.50", &v));
	g_assert_false(cd_parse_cents("12.345", &v));
	g_assert_false(cd_parse_cents("-3", &v));
	g_assert_false(cd_parse_cents("", &v));
	g_assert_false(cd_parse_cents("4x", &v));
	g_assert_false(cd_parse_cents(".5", &v));
	char *s = cd_format_cents(4990);
	g_assert_cmpstr(s, ==, "49.90");
	g_free(s);
	g_assert_true(cd_parse_time("2026-05-01", &v) && v == 1777593600);
	g_assert_true(cd_parse_time("2026-05-01 10:30", &v) && v == 1777593600 + 37800);
	g_assert_true(cd_parse_time("2026-05-01T10:30:00Z", &v) && v == 1777593600 + 37800);
	g_assert_true(cd_parse_time("2026-05-01T12:30:00+02:00", &v) && v == 1777593600 + 37800);
	g_assert_true(cd_parse_time("1777593600", &v) && v == 1777593600);
	g_assert_false(cd_parse_time("2026-02-30", &v));
	g_assert_false(cd_parse_time("yesterday", &v));
	g_assert_false(cd_parse_time("", &v));
	s = cd_format_date(1777593600 + 37800);
	g_assert_cmpstr(s, ==, "2026-05-01");
	g_free(s);
	g_assert_true(cd_parse_positive("3", 10, &v) && v == 3);
	g_assert_false(cd_parse_positive("0", 10, &v));
	g_assert_false(cd_parse_positive("11", 10, &v));
	g_assert_false(cd_parse_positive("2.5", 10, &v));
}

static gboolean
import_file(cd_store *s, const char *rel, gboolean strict, cd_import_stats *stats, GError **error)
{
	GBytes *b = tu_src_file(rel);
	gsize len;
	const char *data = g_bytes_get_data(b, &len);
	char *name = g_path_get_basename(rel);
	gboolean ok = cd_order_import(s, name, data, len, CD_IMPORT_AUTO, strict, &importer, NULL, NULL, stats, error);
	g_free(name);
	g_bytes_unref(b);
	return ok;
}

static guint progress_calls;

static void
count_progress(guint done, guint total, gpointer data)
{
	g_assert_cmpuint(done, <=, total);
	progress_calls++;
}

static void
test_import_csv(void)
{
	cd_store *s = tu_store(NULL);
	GError *error = NULL;
	cd_import_stats st;
	g_assert_true(import_file(s, "tests/data/orders/orders.csv", FALSE, &st, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(st.orders_created, ==, 4);
	g_assert_cmpuint(st.lines, ==, 5);
	g_assert_cmpuint(st.problems->len, ==, 0);
	cd_import_stats_clear(&st);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM customers WHERE status = 'pending'"), ==, 2);
	char *t = tu_text(s, "SELECT group_concat(ref || ':' || status || ':' || total_cents, ' ') FROM "
	                    "(SELECT * FROM orders ORDER BY ref)");
	g_assert_cmpstr(t, ==, "A1001:delivered:19900 A1002:delivered:14900 A1003:delivered:10950 A1004:shipped:19900");
	g_free(t);
	t = tu_text(s, "SELECT description FROM order_lines WHERE sku = 'CB-1'");
	g_assert_cmpstr(t, ==, "USB cable, 2 m");
	g_free(t);
	g_assert_cmpint(tu_int(s, "SELECT delivered_at FROM orders WHERE ref = 'A1001'"), ==, 1772668800); /* 2026-03-05 */
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM audit_events WHERE entity = 'order' AND customer_id IS NOT NULL"), ==, 4);
	/* the same file again: nothing changes, nothing is audited */
	gint64 audits = tu_int(s, "SELECT count(*) FROM audit_events");
	progress_calls = 0;
	GBytes *b = tu_src_file("tests/data/orders/orders.csv");
	gsize len;
	const char *data = g_bytes_get_data(b, &len);
	g_assert_true(cd_order_import(s, "orders.csv", data, len, CD_IMPORT_CSV, TRUE, &importer, count_progress, NULL, &st,
	                              &error));
	g_bytes_unref(b);
	g_assert_cmpuint(progress_calls, ==, 4);
	g_assert_cmpuint(st.orders_unchanged, ==, 4);
	g_assert_cmpuint(st.orders_created + st.orders_updated, ==, 0);
	cd_import_stats_clear(&st);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM audit_events"), ==, audits);
	/* a changed status moves the order (audited); a forbidden one is a problem naming the line */
	const char *moved = "order_ref,email,status,sku,quantity\n"
	                    "A1004,erik@example.org,delivered,PX-200,1\n"
	                    "A1001,dora@example.org,paid,PX-200,1\n";
	g_assert_true(cd_order_import(s, "moves.csv", moved, strlen(moved), CD_IMPORT_AUTO, FALSE, &importer, NULL, NULL, &st,
	                              &error));
	g_assert_cmpuint(st.orders_updated, ==, 1);
	g_assert_cmpuint(st.problems->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(st.problems, 0), ==,
	                "moves.csv:3: order A1001: A1001: an order cannot go from delivered to paid; order A1001 skipped");
	cd_import_stats_clear(&st);
	t = tu_text(s, "SELECT status || ':' || (delivered_at IS NOT NULL) FROM orders WHERE ref = 'A1004'");
	g_assert_cmpstr(t, ==, "delivered:1");
	g_free(t);
	/* an order never moves to another customer, and a wrong address creates nobody */
	gint64 customers = tu_int(s, "SELECT count(*) FROM customers");
	const char *thief = "order_ref,email,sku,quantity\nA1001,mallory@example.org,PX-200,1\n";
	g_assert_true(cd_order_import(s, "thief.csv", thief, strlen(thief), CD_IMPORT_AUTO, FALSE, &importer, NULL, NULL, &st,
	                              &error));
	g_assert_cmpuint(st.problems->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(st.problems, 0), ==,
	                "thief.csv:2: order A1001: order A1001 belongs to another customer, not to mallory@example.org; "
	                "order A1001 skipped");
	cd_import_stats_clear(&st);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM customers"), ==, customers);
	/* header problems stop the import */
	const char *typo = "order_ref,email,sku,quantitiy\nA1,x@example.org,S,1\n";
	g_assert_false(cd_order_import(s, "typo.csv", typo, strlen(typo), CD_IMPORT_AUTO, FALSE, &importer, NULL, NULL, &st,
	                               &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_true(g_str_has_prefix(error->message, "typo.csv:1: unknown column 'quantitiy' (columns: order_ref, email"));
	g_clear_error(&error);
	cd_import_stats_clear(&st);
	const char *missing = "order_ref,email,sku\nA1,x@example.org,S\n";
	g_assert_false(cd_order_import(s, "missing.csv", missing, strlen(missing), CD_IMPORT_AUTO, FALSE, &importer, NULL,
	                               NULL, &st, &error));
	g_assert_cmpstr(error->message, ==, "missing.csv:1: the header has no column quantity");
	g_clear_error(&error);
	cd_import_stats_clear(&st);
	cd_store_close(s);
}

static const char *const bad_csv_problems[] = {
	"bad_orders.csv:3: column quantity: 'x' is not a whole number from 1 to 1000000; order C3002 skipped",
	"bad_orders.csv:4: column unit_price: '29.9O' is not an amount like 49.90; order C3003 skipped",
	"bad_orders.csv:5: order C3004: status: unknown order status 'teleported' (one of new, paid, shipped, delivered, "
	"cancelled, returned); order C3004 skipped",
	"bad_orders.csv:6: order C3005: email: 'not-an-address' is not a mail address; order C3005 skipped",
	"bad_orders.csv:7:36: text after a closing quote (quote the whole field); order C3006 skipped",
	"bad_orders.csv:9: column email: 'ivan@example.org' differs from 'hana@example.org' on line 8 of the same order; "
	"order C3007 skipped",
	"bad_orders.csv:10: 6 fields, but the header has 7; order C3008 skipped",
	NULL,
};

static void
test_bad_rows(void)
{
	cd_store *s = tu_store(NULL);
	GError *error = NULL;
	cd_import_stats st;
	/* strict: every problem is listed and nothing is imported */
	g_assert_false(import_file(s, "tests/data/orders/bad_orders.csv", TRUE, &st, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, "7 problems in bad_orders.csv: nothing imported");
	g_clear_error(&error);
	g_assert_cmpuint(st.problems->len, ==, g_strv_length((char **)bad_csv_problems));
	for (guint i = 0; i < st.problems->len; i++)
		g_assert_cmpstr(g_ptr_array_index(st.problems, i), ==, bad_csv_problems[i]);
	cd_import_stats_clear(&st);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM orders"), ==, 0);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM customers"), ==, 0);
	g_assert_cmpint(tu_int(s, "SELECT count(*) FROM audit_events"), ==, 0);
	/* not strict: the same problems, the good orders imported (one with a line break in its SKU) */
	g_assert_true(import_file(s, "tests/data/orders/bad_orders.csv", FALSE, &st, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(st.problems->len, ==, 7);
	g_assert_cmpuint(st.orders_created, ==, 2);
	g_assert_cmpuint(st.orders_skipped, ==, 7);
	cd_import_stats_clear(&st);
	char *t = tu_text(s, "SELECT group_concat(ref, ' ') FROM (SELECT ref FROM orders ORDER BY ref)");
	g_assert_cmpstr(t, ==, "C3001 C3009");
	g_free(t);
	t = tu_text(s, "SELECT sku FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.ref = 'C3009'");
	g_assert_cmpstr(t, ==, "multi\nline sku");
	g_free(t);
	cd_store_close(s);
}

static void
test_import_json(void)
{
	cd_store *s = tu_store(NULL);
	GError *error = NULL;
	cd_import_stats st;
	g_assert_true(import_file(s, "tests/data/orders/orders.json", FALSE, &st, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(st.orders_created, ==, 2);
	g_assert_cmpuint(st.lines, ==, 3);
	cd_import_stats_clear(&st);
	char *t = tu_text(s, "SELECT group_concat(ref || ':' || status || ':' || total_cents, ' ') FROM "
	                    "(SELECT * FROM orders ORDER BY ref)");
	g_assert_cmpstr(t, ==, "B2001:delivered:10930 B2002:paid:19900");
	g_free(t);
	t = tu_text(s, "SELECT name FROM customers WHERE email = 'fred@example.org'");
	g_assert_cmpstr(t, ==, "Fred Json");
	g_free(t);
	g_assert_cmpint(tu_int(s, "SELECT warranty_days FROM order_lines WHERE sku = 'CB-1'"), ==, 365);
	g_assert_cmpint(tu_int(s, "SELECT warranty_days FROM order_lines WHERE sku = 'SC-9'"), ==, 730);
	g_assert_true(import_file(s, "tests/data/orders/orders.json", FALSE, &st, &error));
	g_assert_cmpuint(st.orders_unchanged, ==, 2);
	cd_import_stats_clear(&st);
	/* bad entries: named by the line where their object starts */
	g_assert_true(import_file(s, "tests/data/orders/bad_orders.json", FALSE, &st, &error));
	g_assert_cmpuint(st.orders_created, ==, 1);
	g_assert_cmpuint(st.problems->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(st.problems, 0), ==,
	                "bad_orders.json:6: order D4002, lines[1]: quantity: must be a whole number from 1 to 1000000; "
	                "order D4002 skipped");
	g_assert_true(g_str_has_prefix(g_ptr_array_index(st.problems, 1),
	                               "bad_orders.json:8: order D4003: unknown field 'colour' (fields: ref, "));
	g_assert_cmpstr(g_ptr_array_index(st.problems, 2), ==, "bad_orders.json:9: orders[3]: ref: missing; entry skipped");
	cd_import_stats_clear(&st);
	/* broken JSON names line and column */
	const char *broken = "[\n {\"ref\": \"X1\",\n  \"email\": }\n]";
	g_assert_false(cd_order_import(s, "broken.json", broken, strlen(broken), CD_IMPORT_AUTO, FALSE, &importer, NULL,
	                               NULL, &st, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_true(g_str_has_prefix(error->message, "broken.json:3:"));
	g_clear_error(&error);
	cd_import_stats_clear(&st);
	const char *shape = "{\"order\": []}";
	g_assert_false(cd_order_import(s, "shape.json", shape, strlen(shape), CD_IMPORT_AUTO, FALSE, &importer, NULL, NULL,
	                               &st, &error));
	g_assert_cmpstr(error->message, ==, "shape.json: expected an array of orders or {\"orders\": [...]}");
	g_clear_error(&error);
	cd_import_stats_clear(&st);
	cd_store_close(s);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/import/csv-reader", test_csv_reader);
	g_test_add_func("/import/parse-values", test_parse_values);
	g_test_add_func("/import/csv", test_import_csv);
	g_test_add_func("/import/bad-rows", test_bad_rows);
	g_test_add_func("/import/json", test_import_json);
	return g_test_run();
}
