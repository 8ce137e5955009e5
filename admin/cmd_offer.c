/* cmd_offer.c - `caredesk offer create|list|show|accept|reject`: offers to customers (core/offer.h). */
#include "admin.h"
#include "log.h"
#include "offer.h"
#include "parse.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* The parts of an offer read from options and an optional JSON file; strings owned by `strings`. */
typedef struct {
	GPtrArray *strings;
	GArray *lines;        /* cd_offer_line_data */
	const char *customer, *title, *currency, *ref, *ticket;
	gint64 valid_until;
} offer_input;

static const char *
own(offer_input *in, char *s)
{
	if (s)
		g_ptr_array_add(in->strings, s);
	return s;
}

/* parse_line_option - "SKU:QTY:PRICE[:DESCRIPTION]". */
static void
parse_line_option(offer_input *in, const char *spec)
{
	char **parts = g_strsplit(spec, ":", 4);
	gint64 qty = 0;
	cd_offer_line_data l = {0};
	if (g_strv_length(parts) < 3 || *g_strstrip(parts[0]) == '\0' || !cd_parse_positive(parts[1], 1000000, &qty) ||
	    !cd_parse_cents(parts[2], &l.unit_price_cents))
		cd_die(EX_USAGE, "--line '%s': expected SKU:QUANTITY:PRICE[:DESCRIPTION], like PX-200:1:199.00:printer", spec);
	l.sku = own(in, g_strdup(parts[0]));
	l.quantity = (gint)qty;
	l.description = parts[3] ? own(in, g_strstrip(g_strdup(parts[3]))) : NULL;
	g_array_append_val(in->lines, l);
	g_strfreev(parts);
}

static const char *
json_string(offer_input *in, JsonObject *o, const char *member, const char *file, const char *where)
{
	JsonNode *n = json_object_get_member(o, member);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return NULL;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		cd_die(EX_DATAERR, "%s: %s%s: expected a string", file, where, member);
	return own(in, g_strdup(json_node_get_string(n)));
}

static void
read_offer_file(offer_input *in, const char *path)
{
	JsonParser *p = json_parser_new();
	GError *error = NULL;
	if (!json_parser_load_from_file(p, path, &error))
		cd_die(EX_DATAERR, "%s: %s", path, error->message);
	JsonNode *root = json_parser_get_root(p);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		cd_die(EX_DATAERR, "%s: expected an object {\"customer\", \"title\", \"valid_until\", \"lines\": [...]}", path);
	JsonObject *o = json_node_get_object(root);
	static const char *const known[] = {"customer", "title", "currency", "valid_until", "ref", "ticket", "lines", NULL};
	GList *names = json_object_get_members(o);
	for (GList *l = names; l; l = l->next)
		if (!g_strv_contains(known, l->data))
			cd_die(EX_DATAERR, "%s: unknown field '%s' (fields: customer, title, currency, valid_until, ref, ticket, lines)",
			       path, (char *)l->data);
	g_list_free(names);
	in->customer = json_string(in, o, "customer", path, "");
	in->title = json_string(in, o, "title", path, "");
	in->currency = json_string(in, o, "currency", path, "");
	in->ref = json_string(in, o, "ref", path, "");
	in->ticket = json_string(in, o, "ticket", path, "");
	const char *until = json_string(in, o, "valid_until", path, "");
	if (until && !cd_parse_time(until, &in->valid_until))
		cd_die(EX_DATAERR, "%s: valid_until: '%s' is not a date like 2026-06-30", path, until);
	JsonNode *ln = json_object_get_member(o, "lines");
	if (ln == NULL || !JSON_NODE_HOLDS_ARRAY(ln))
		cd_die(EX_DATAERR, "%s: lines: expected an array of {\"sku\", \"description\", \"quantity\", \"unit_price\"}",
		       path);
	JsonArray *arr = json_node_get_array(ln);
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		char *where = g_strdup_printf("lines[%u].", i);
		JsonNode *n = json_array_get_element(arr, i);
		if (!JSON_NODE_HOLDS_OBJECT(n))
			cd_die(EX_DATAERR, "%s: lines[%u]: expected an object", path, i);
		JsonObject *lo = json_node_get_object(n);
		cd_offer_line_data l = {.sku = json_string(in, lo, "sku", path, where),
		                        .description = json_string(in, lo, "description", path, where)};
		if (l.sku == NULL)
			cd_die(EX_DATAERR, "%s: %ssku: missing", path, where);
		JsonNode *q = json_object_get_member(lo, "quantity");
		l.quantity = q && JSON_NODE_HOLDS_VALUE(q) && json_node_get_value_type(q) == G_TYPE_INT64 ? (gint)json_node_get_int(q)
		             : q == NULL                                                                  ? 1
		                                                                                          : 0;
		if (l.quantity <= 0)
			cd_die(EX_DATAERR, "%s: %squantity: expected a whole number >= 1", path, where);
		JsonNode *pr = json_object_get_member(lo, "unit_price");
		gboolean ok = pr != NULL && JSON_NODE_HOLDS_VALUE(pr);
		if (ok && json_node_get_value_type(pr) == G_TYPE_STRING)
			ok = cd_parse_cents(json_node_get_string(pr), &l.unit_price_cents);
		else if (ok && (json_node_get_value_type(pr) == G_TYPE_DOUBLE || json_node_get_value_type(pr) == G_TYPE_INT64)) {
			double v = json_node_get_double(pr);
			ok = v >= 0 && v < 1e13;
			l.unit_price_cents = ok ? (gint64)(v * 100 + 0.5) : 0;
		} else {
			ok = FALSE;
		}
		if (!ok)
			cd_die(EX_DATAERR, "%s: %sunit_price: expected an amount like 49.90", path, where);
		g_array_append_val(in->lines, l);
		g_free(where);
	}
	g_object_unref(p);
}

static int
offer_create(int argc, char **argv)
{
	char *customer = NULL, *file = NULL, *title = NULL, *until = NULL, *currency = NULL, *ticket = NULL, *ref = NULL;
	char **lines = NULL;
	gint days = -1;
	GOptionEntry entries[] = {
		{"customer", 0, 0, G_OPTION_ARG_STRING, &customer, "for whom (email or id)", "EMAIL"},
		{"line", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &lines, "a line (repeat for more)", "SKU:QTY:PRICE[:DESCRIPTION]"},
		{"file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "the offer as JSON (options override its fields)", "FILE.json"},
		{"title", 0, 0, G_OPTION_ARG_STRING, &title, "what it is about", "TEXT"},
		{"valid-until", 0, 0, G_OPTION_ARG_STRING, &until, "last moment it can be accepted", "DATE"},
		{"valid-days", 0, 0, G_OPTION_ARG_INT, &days, "valid this many days from now (default: [workflow] offer_valid_days)", "N"},
		{"currency", 0, 0, G_OPTION_ARG_STRING, &currency, "EUR (default), USD, ...", "C"},
		{"ticket", 't', 0, G_OPTION_ARG_STRING, &ticket, "the ticket it answers", "T-REF"},
		{"ref", 0, 0, G_OPTION_ARG_STRING, &ref, "the shop's quote number (default OF-000001 style)", "REF"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "offer create - an offer to a customer",
	            "The lines come from --line options or from --file, a JSON document like\n"
	            "  {\"customer\": \"dora@example.org\", \"title\": \"Replacement drum\", \"valid_until\": \"2026-06-30\",\n"
	            "   \"lines\": [{\"sku\": \"DR-1\", \"description\": \"drum unit\", \"quantity\": 1, \"unit_price\": \"89.00\"}]}\n"
	            "A date is 2026-06-30 (the end of that day counts), a time 2026-06-30T12:00:00Z.",
	            entries);
	offer_input in = {.strings = g_ptr_array_new_with_free_func(g_free),
	                  .lines = g_array_new(FALSE, TRUE, sizeof(cd_offer_line_data))};
	if (file)
		read_offer_file(&in, file);
	for (char **l = lines; l && *l; l++)
		parse_line_option(&in, *l);
	if (customer)
		in.customer = customer;
	if (title)
		in.title = title;
	if (currency)
		in.currency = currency;
	if (ref)
		in.ref = ref;
	if (ticket)
		in.ticket = ticket;
	if (until) {
		if (!cd_parse_time(until, &in.valid_until))
			cd_die(EX_USAGE, "--valid-until '%s': expected a date like 2026-06-30 or 2026-06-30T12:00:00Z", until);
		/* a bare date means the whole of that day */
		if (strlen(until) == 10)
			in.valid_until += 86400 - 1;
	}
	if (in.customer == NULL)
		cd_die(EX_USAGE, "offer create --customer EMAIL --line SKU:QTY:PRICE[:DESCRIPTION] ... (or --file FILE.json)");
	if (in.lines->len == 0)
		cd_die(EX_USAGE, "an offer needs at least one line (--line SKU:QTY:PRICE or --file)");
	gint64 ticket_id = 0;
	if (in.ticket && (ticket_id = cd_parse_ref(in.ticket, "T")) == 0)
		cd_die(EX_USAGE, "'%s' is not a ticket reference (like T-000123)", in.ticket);
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	if (in.valid_until == 0) {
		cd_workflow_settings ws;
		if (!cd_workflow_settings_load(a.cfg, &ws, &error))
			admin_fail(error);
		gint d = days >= 0 ? days : ws.offer_valid_days;
		if (d > 0)
			in.valid_until = cd_now() + (gint64)d * 86400;
	}
	cd_offer_data d = {.ref = in.ref, .customer_id = admin_customer_id(a.store, in.customer), .ticket_id = ticket_id,
	                   .title = in.title, .currency = in.currency, .valid_until = in.valid_until,
	                   .lines = (const cd_offer_line_data *)(void *)in.lines->data, .n_lines = in.lines->len};
	gint64 id = 0;
	char *made = NULL;
	admin_begin(&a);
	gboolean ok = cd_offer_create(a.store, &d, admin_actor(), &id, &made, &error);
	admin_commit(&a, ok, error);
	gint64 total = 0;
	for (guint i = 0; i < in.lines->len; i++) {
		cd_offer_line_data *l = &g_array_index(in.lines, cd_offer_line_data, i);
		total += l->unit_price_cents * l->quantity;
	}
	char *amount = cd_format_cents(total);
	char *when = d.valid_until ? cd_format_time(d.valid_until) : g_strdup("no end");
	printf("offer %s created for %s: %u line%s, total %s %s, valid until %s\n", made, in.customer, in.lines->len,
	       in.lines->len == 1 ? "" : "s", amount, d.currency ? d.currency : "EUR", when);
	g_free(when);
	g_free(amount);
	g_free(made);
	admin_close(&a);
	g_ptr_array_unref(in.strings);
	g_array_unref(in.lines);
	g_strfreev(lines);
	g_free(customer);
	g_free(file);
	g_free(title);
	g_free(until);
	g_free(currency);
	g_free(ticket);
	g_free(ref);
	return EX_OK;
}

static int
offer_list(int argc, char **argv)
{
	char *status = NULL, *customer = NULL;
	gint limit = 50;
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &status, "only offers in this status", "S"},
		{"customer", 0, 0, G_OPTION_ARG_STRING, &customer, "only this customer's (email)", "EMAIL"},
		{"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "at most N, newest first (default 50)", "N"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "offer list - offers, newest first", NULL, entries);
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(
	    a.store, "SELECT f.ref, f.status, c.email AS customer, f.title, printf('%d.%02d', f.total_cents / 100, "
	             "f.total_cents % 100) AS total, f.currency, " ADMIN_ISO("f.valid_until") " AS valid_until, "
	             ADMIN_ISO("f.created_at") " AS created, " ADMIN_ISO("f.decided_at") " AS decided "
	             "FROM offers f JOIN customers c ON c.id = f.customer_id "
	             "WHERE (?1 IS NULL OR f.status = ?1) AND (?2 IS NULL OR c.email = ?2) ORDER BY f.id DESC LIMIT ?3");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, limit);
	JsonNode *rows = admin_rows(a.store, st);
	static const char *const cols[] = {"ref", "status", "customer", "total", "currency", "valid_until", "title", NULL};
	admin_print_rows(rows, cols);
	json_node_unref(rows);
	admin_close(&a);
	g_free(status);
	g_free(customer);
	return EX_OK;
}

static gint64
offer_arg(cd_store *store, int argc, char **argv)
{
	if (argc < 4)
		cd_die(EX_USAGE, "which offer? (a reference like OF-000001)");
	gint64 id;
	GError *error = NULL;
	if (!cd_offer_find(store, argv[3], &id, &error))
		admin_fail(error);
	return id;
}

static int
offer_show(int argc, char **argv)
{
	admin_parse(&argc, &argv, "offer show REF - an offer, its lines and its history", NULL, NULL);
	admin_ctx a;
	admin_open(&a);
	gint64 id = offer_arg(a.store, argc, argv);
	sqlite3_stmt *st = admin_prepare(
	    a.store, "SELECT f.ref, f.id, f.status, c.email AS customer, c.name AS customer_name, f.title, "
	             "printf('%d.%02d', f.total_cents / 100, f.total_cents % 100) AS total, f.currency, "
	             "CASE WHEN f.ticket_id IS NULL THEN NULL ELSE printf('T-%06d', f.ticket_id) END AS ticket, "
	             ADMIN_ISO("f.valid_until") " AS valid_until, " ADMIN_ISO("f.created_at") " AS created, "
	             ADMIN_ISO("f.decided_at") " AS decided, f.decision_comment "
	             "FROM offers f JOIN customers c ON c.id = f.customer_id WHERE f.id = ?");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *offer = admin_one(a.store, st);
	JsonObject *o = json_node_get_object(offer);
	st = admin_prepare(a.store, "SELECT line_no, sku, description, quantity, printf('%d.%02d', unit_price_cents / 100, "
	                            "unit_price_cents % 100) AS unit_price FROM offer_lines WHERE offer_id = ? ORDER BY line_no");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *lines = admin_rows(a.store, st);
	st = admin_prepare(a.store, admin_history_sql);
	sqlite3_bind_text(st, 1, "offer", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	JsonNode *hist = admin_rows(a.store, st);
	if (admin_opt_json) {
		json_object_set_member(o, "lines", lines);
		json_object_set_member(o, "history", hist);
		admin_print_json(offer);
	} else {
		printf("Offer %s  [%s]\n", admin_str(o, "ref"), admin_str(o, "status"));
		admin_field("Customer:", admin_str(o, "customer"));
		admin_field("Title:", admin_str(o, "title"));
		char *total = g_strdup_printf("%s %s", admin_str(o, "total"), admin_str(o, "currency"));
		admin_field("Total:", total);
		g_free(total);
		admin_field("Valid until:", admin_str(o, "valid_until"));
		admin_field("Ticket:", admin_str(o, "ticket"));
		admin_field("Created:", admin_str(o, "created"));
		admin_field("Decided:", admin_str(o, "decided"));
		admin_field("Comment:", admin_str(o, "decision_comment"));
		printf("\nLines:\n");
		static const char *const cols[] = {"line_no", "sku", "description", "quantity", "unit_price", NULL};
		admin_print_rows(lines, cols);
		admin_print_history(hist, "History");
		json_node_unref(lines);
		json_node_unref(hist);
	}
	json_node_unref(offer);
	admin_close(&a);
	return EX_OK;
}

/* offer_decide - the customer's answer, recorded by an admin (by phone, by letter). */
static int
offer_decide(int argc, char **argv, const char *to)
{
	char *comment = NULL;
	GOptionEntry entries[] = {
		{"comment", 0, 0, G_OPTION_ARG_STRING, &comment, "what the customer said", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv,
	            strcmp(to, "accepted") == 0 ? "offer accept REF - record that the customer accepted"
	                                        : "offer reject REF - record that the customer declined",
	            NULL, entries);
	admin_ctx a;
	admin_open(&a);
	gint64 id = offer_arg(a.store, argc, argv);
	GError *error = NULL;
	admin_begin(&a);
	gboolean ok = cd_offer_decide(a.store, id, to, comment, admin_actor(), &error);
	admin_commit(&a, ok, error);
	printf("offer %s is now %s\n", argv[3], to);
	g_free(comment);
	admin_close(&a);
	return EX_OK;
}

int
cmd_offer(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "create") == 0)
		return offer_create(argc, argv);
	if (strcmp(sub, "list") == 0)
		return offer_list(argc, argv);
	if (strcmp(sub, "show") == 0)
		return offer_show(argc, argv);
	if (strcmp(sub, "accept") == 0)
		return offer_decide(argc, argv, "accepted");
	if (strcmp(sub, "reject") == 0)
		return offer_decide(argc, argv, "rejected");
	cd_die(EX_USAGE, "offer: create --customer EMAIL --line SKU:QTY:PRICE, list, show REF, accept REF or reject REF");
}
