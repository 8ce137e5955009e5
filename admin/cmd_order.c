/* cmd_order.c - `caredesk order import|list|show|set-status`: orders from the shop (core/order.h,
 * core/order_import.h). */
#include "admin.h"
#include "log.h"
#include "order.h"
#include "order_import.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#define BAR_WIDTH 30

static void
progress_bar(guint done, guint total, gpointer data)
{
	const char *name = data;
	/* redraw at most about 200 times, and always at the end */
	if (done != total && total > 200 && done % (total / 200) != 0)
		return;
	guint filled = total ? done * BAR_WIDTH / total : BAR_WIDTH;
	char bar[BAR_WIDTH + 1];
	for (guint i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	fprintf(stderr, "\r%s [%s] %u/%u orders", name, bar, done, total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int
order_import(int argc, char **argv)
{
	gboolean strict = FALSE;
	char *format = NULL;
	GOptionEntry entries[] = {
		{"strict", 0, 0, G_OPTION_ARG_NONE, &strict, "all or nothing: any bad row and nothing is imported", NULL},
		{"format", 'f', 0, G_OPTION_ARG_STRING, &format, "csv or json (default: by the file name, else by content)", "F"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(
	    &argc, &argv, "order import FILE.csv|FILE.json - orders and their lines from the shop",
	    "Creates or updates orders (by order_ref) and their lines (by line_no), matching customers by address\n"
	    "and creating pending ones for new addresses. Importing the same file twice changes nothing.\n"
	    "A bad row is reported with its line (and column) and its whole order skipped; the rest is imported\n"
	    "and the command exits 65 (EX_DATAERR). With --strict nothing is imported when any row is bad.\n"
	    "A status that differs from the stored one moves the order, if its state machine allows it.\n"
	    "\n"
	    "CSV (RFC 4180: commas, \"quoted, fields\" with \"\" for a quote, line breaks inside quotes): a header\n"
	    "row, then one row per order line; order columns repeat on each row of the order. Columns:\n"
	    "  order_ref*     the shop's order number (or: order, ref)\n"
	    "  email*         the customer's address\n"
	    "  name           the customer's name\n"
	    "  status         new, paid, shipped, delivered, cancelled, returned (default new)\n"
	    "  currency       EUR (default), USD, ...\n"
	    "  ordered_at     2026-05-01, 2026-05-01 10:30, 2026-05-01T10:30:00Z or Unix seconds\n"
	    "  delivered_at   same forms; the warranty counts from it\n"
	    "  line_no        1, 2, ... (default: position of the row within its order)\n"
	    "  sku*           the item\n"
	    "  description    what it is\n"
	    "  quantity*      1 or more (or: qty)\n"
	    "  unit_price     49.90 (or: price; default 0)\n"
	    "  warranty_days  default 730\n"
	    "  serial         serial number shipped\n"
	    "  line_delivered_at  when this line was delivered, if not with the order\n"
	    "  (* required; unknown columns are an error)\n"
	    "\n"
	    "JSON: [{\"ref\": \"A1001\", \"email\": \"...\", \"name\": \"...\", \"status\": \"delivered\",\n"
	    "        \"delivered_at\": \"2026-05-01\", \"lines\": [{\"line_no\": 1, \"sku\": \"PX-200\",\n"
	    "        \"description\": \"printer\", \"quantity\": 1, \"unit_price\": \"199.00\", \"warranty_days\": 730,\n"
	    "        \"serial\": \"SN1\"}]}]  (or {\"orders\": [...]}; \"customer\": {\"email\", \"name\"} also works)",
	    entries);
	if (argc < 4)
		cd_die(EX_USAGE, "order import FILE.csv|FILE.json [--strict]");
	cd_import_format fmt = CD_IMPORT_AUTO;
	if (format && g_ascii_strcasecmp(format, "csv") == 0)
		fmt = CD_IMPORT_CSV;
	else if (format && g_ascii_strcasecmp(format, "json") == 0)
		fmt = CD_IMPORT_JSON;
	else if (format)
		cd_die(EX_USAGE, "--format: csv or json, not '%s'", format);
	const char *path = argv[3];
	char *data = NULL;
	gsize len = 0;
	GError *error = NULL;
	if (!g_file_get_contents(path, &data, &len, &error))
		cd_die(EX_NOINPUT, "%s", error->message);
	admin_ctx a;
	admin_open(&a);
	char *name = g_path_get_basename(path);
	cd_import_stats stats;
	gboolean tty = isatty(STDERR_FILENO) && !admin_opt_json;
	gboolean ok = cd_order_import(a.store, name, data, len, fmt, strict, admin_actor(), tty ? progress_bar : NULL, name,
	                              &stats, &error);
	for (guint i = 0; i < stats.problems->len; i++)
		fprintf(stderr, "%s: %s\n", cd_log_progname(), (char *)g_ptr_array_index(stats.problems, i));
	if (!ok && !g_error_matches(error, CD_ERROR, CD_ERROR_INVALID))
		admin_fail(error);
	if (admin_opt_json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "file");
		json_builder_add_string_value(b, name);
		json_builder_set_member_name(b, "imported");
		json_builder_add_boolean_value(b, ok);
		json_builder_set_member_name(b, "error");
		if (ok)
			json_builder_add_null_value(b);
		else
			json_builder_add_string_value(b, error->message);
		const char *keys[] = {"created", "updated", "unchanged", "skipped", "lines"};
		guint vals[] = {stats.orders_created, stats.orders_updated, stats.orders_unchanged, stats.orders_skipped,
		                stats.lines};
		for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
			json_builder_set_member_name(b, keys[i]);
			json_builder_add_int_value(b, vals[i]);
		}
		json_builder_set_member_name(b, "problems");
		json_builder_begin_array(b);
		for (guint i = 0; i < stats.problems->len; i++)
			json_builder_add_string_value(b, g_ptr_array_index(stats.problems, i));
		json_builder_end_array(b);
		json_builder_end_object(b);
		JsonNode *root = json_builder_get_root(b);
		admin_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
	} else if (ok) {
		printf("%s: %u order%s created, %u updated, %u unchanged, %u skipped (%u line%s)\n", name, stats.orders_created,
		       stats.orders_created == 1 ? "" : "s", stats.orders_updated, stats.orders_unchanged, stats.orders_skipped,
		       stats.lines, stats.lines == 1 ? "" : "s");
	}
	int rc = ok ? (stats.problems->len ? EX_DATAERR : EX_OK) : EX_DATAERR;
	if (!ok && !admin_opt_json)
		fprintf(stderr, "%s: %s%s\n", cd_log_progname(), error->message, strict ? " (--strict)" : "");
	g_clear_error(&error);
	cd_import_stats_clear(&stats);
	g_free(name);
	g_free(data);
	g_free(format);
	admin_close(&a);
	return rc;
}

static int
order_list(int argc, char **argv)
{
	char *status = NULL, *customer = NULL;
	gint limit = 50;
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &status, "only orders in this status", "S"},
		{"customer", 0, 0, G_OPTION_ARG_STRING, &customer, "only this customer's (email)", "EMAIL"},
		{"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "at most N, newest first (default 50)", "N"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "order list - orders, newest first", NULL, entries);
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(
	    a.store,
	    "SELECT o.ref, o.status, c.email AS customer, (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) AS lines, "
	    "printf('%d.%02d', o.total_cents / 100, o.total_cents % 100) AS total, o.currency, "
	    "(SELECT count(*) FROM rmas r WHERE r.order_id = o.id) AS rmas, "
	    ADMIN_ISO("o.ordered_at") " AS ordered, " ADMIN_ISO("o.delivered_at") " AS delivered, o.source "
	    "FROM orders o JOIN customers c ON c.id = o.customer_id "
	    "WHERE (?1 IS NULL OR o.status = ?1) AND (?2 IS NULL OR c.email = ?2) ORDER BY o.ordered_at DESC, o.id DESC LIMIT ?3");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit);
	JsonNode *rows = admin_rows(a.store, st);
	static const char *const cols[] = {"ref", "status", "customer", "lines", "total", "currency", "rmas", "ordered",
	                                   "delivered", NULL};
	admin_print_rows(rows, cols);
	json_node_unref(rows);
	admin_close(&a);
	g_free(status);
	g_free(customer);
	return EX_OK;
}

static gint64
order_arg(cd_store *store, int argc, char **argv)
{
	if (argc < 4)
		cd_die(EX_USAGE, "which order? (the shop's reference, like A1001)");
	gint64 id;
	GError *error = NULL;
	if (!cd_order_find(store, argv[3], &id, &error))
		admin_fail(error);
	return id;
}

static int
order_show(int argc, char **argv)
{
	admin_parse(&argc, &argv, "order show REF - an order, its lines, RMAs and history", NULL, NULL);
	admin_ctx a;
	admin_open(&a);
	gint64 id = order_arg(a.store, argc, argv);
	sqlite3_stmt *st = admin_prepare(
	    a.store, "SELECT o.ref, o.id, o.status, c.email AS customer, c.name AS customer_name, o.currency, "
	             "printf('%d.%02d', o.total_cents / 100, o.total_cents % 100) AS total, o.source, "
	             ADMIN_ISO("o.ordered_at") " AS ordered, " ADMIN_ISO("o.delivered_at") " AS delivered, "
	             ADMIN_ISO("o.updated_at") " AS updated FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *order = admin_one(a.store, st);
	JsonObject *o = json_node_get_object(order);
	/* returnable: bought minus RMAs not rejected or expired; warranty_until from the line's or order's delivery */
	st = admin_prepare(
	    a.store,
	    "SELECT l.line_no, l.sku, l.description, l.quantity, printf('%d.%02d', l.unit_price_cents / 100, "
	    "l.unit_price_cents % 100) AS unit_price, l.warranty_days, l.serial, "
	    ADMIN_ISO("l.delivered_at") " AS delivered, "
	    "l.quantity - (SELECT coalesce(sum(r.quantity), 0) FROM rmas r WHERE r.order_line_id = l.id "
	    "AND r.status NOT IN ('rejected', 'expired')) AS returnable, "
	    "CASE WHEN coalesce(l.delivered_at, o.delivered_at) IS NULL THEN NULL ELSE strftime('%Y-%m-%d', "
	    "coalesce(l.delivered_at, o.delivered_at) + l.warranty_days * 86400, 'unixepoch') END AS warranty_until "
	    "FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.order_id = ? ORDER BY l.line_no");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *lines = admin_rows(a.store, st);
	st = admin_prepare(a.store, "SELECT printf('RMA-%06d', r.id) AS ref, r.status, l.line_no AS line, r.quantity, "
	                            ADMIN_ISO("r.created_at") " AS created FROM rmas r LEFT JOIN order_lines l "
	                            "ON l.id = r.order_line_id WHERE r.order_id = ? ORDER BY r.id");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *rmas = admin_rows(a.store, st);
	st = admin_prepare(a.store, admin_history_sql);
	sqlite3_bind_text(st, 1, "order", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	JsonNode *hist = admin_rows(a.store, st);
	if (admin_opt_json) {
		json_object_set_member(o, "lines", lines);
		json_object_set_member(o, "rmas", rmas);
		json_object_set_member(o, "history", hist);
		admin_print_json(order);
	} else {
		printf("Order %s  [%s]\n", admin_str(o, "ref"), admin_str(o, "status"));
		char *who = g_strdup_printf("%s%s%s%s", admin_str(o, "customer"), admin_str(o, "customer_name") ? " (" : "",
		                            admin_str(o, "customer_name") ? admin_str(o, "customer_name") : "",
		                            admin_str(o, "customer_name") ? ")" : "");
		admin_field("Customer:", who);
		g_free(who);
		char *total = g_strdup_printf("%s %s", admin_str(o, "total"), admin_str(o, "currency"));
		admin_field("Total:", total);
		g_free(total);
		admin_field("Ordered:", admin_str(o, "ordered"));
		admin_field("Delivered:", admin_str(o, "delivered"));
		admin_field("Source:", admin_str(o, "source"));
		printf("\nLines:\n");
		static const char *const lcols[] = {"line_no", "sku", "description", "quantity", "unit_price", "returnable",
		                                    "warranty_until", "serial", NULL};
		admin_print_rows(lines, lcols);
		printf("\nRMAs:\n");
		static const char *const rcols[] = {"ref", "status", "line", "quantity", "created", NULL};
		admin_print_rows(rmas, rcols);
		admin_print_history(hist, "History");
		json_node_unref(lines);
		json_node_unref(rmas);
		json_node_unref(hist);
	}
	json_node_unref(order);
	admin_close(&a);
	return EX_OK;
}

static int
order_set_status(int argc, char **argv)
{
	char *note = NULL;
	GOptionEntry entries[] = {
		{"note", 0, 0, G_OPTION_ARG_STRING, &note, "why (kept in the history)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	char *all = cd_machine_states_text(&cd_order_machine);
	char *moves = cd_machine_transitions_text(&cd_order_machine);
	char *summary = g_strdup_printf("Statuses: %s.\nAllowed: %s.\ndelivered stamps the delivery time (the warranty "
	                                "counts from it) unless it is known.",
	                                all, moves);
	g_free(moves);
	admin_parse(&argc, &argv, "order set-status REF STATUS - move an order (as the shop would)", summary, entries);
	g_free(summary);
	if (argc < 5)
		cd_die(EX_USAGE, "order set-status REF STATUS (one of %s)", all);
	g_free(all);
	admin_ctx a;
	admin_open(&a);
	gint64 id = order_arg(a.store, argc, argv);
	GError *error = NULL;
	admin_begin(&a);
	gboolean ok = cd_order_set_status(a.store, id, argv[4], admin_actor(), note, &error);
	admin_commit(&a, ok, error);
	char *ref = cd_machine_ref(a.store, &cd_order_machine, id, NULL);
	printf("order %s is now %s\n", ref, argv[4]);
	g_free(ref);
	g_free(note);
	admin_close(&a);
	return EX_OK;
}

int
cmd_order(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "import") == 0)
		return order_import(argc, argv);
	if (strcmp(sub, "list") == 0)
		return order_list(argc, argv);
	if (strcmp(sub, "show") == 0)
		return order_show(argc, argv);
	if (strcmp(sub, "set-status") == 0)
		return order_set_status(argc, argv);
	cd_die(EX_USAGE, "order: import FILE, list, show REF or set-status REF STATUS");
}
