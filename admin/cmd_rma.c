/* cmd_rma.c - `caredesk rma list|show|request|authorize|reject|receive|inspect|resolve|close`:
 * return requests and the steps agents take on them (core/rma.h). */
#include "admin.h"
#include "log.h"
#include "parse.h"
#include "result.h"
#include "rma.h"
#include "util.h"
#include "workflow.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define RMA_USAGE                                                                                                      \
	"rma list | show REF | request ORDER --customer EMAIL | authorize REF | reject REF REASON | receive REF | "       \
	"inspect REF | resolve REF refund AMOUNT|replace|repair | close REF"

static int
rma_list(int argc, char **argv)
{
	char *status = NULL, *customer = NULL, *order = NULL;
	gint limit = 50;
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &status, "only RMAs in this status", "S"},
		{"customer", 0, 0, G_OPTION_ARG_STRING, &customer, "only this customer's (email)", "EMAIL"},
		{"order", 0, 0, G_OPTION_ARG_STRING, &order, "only RMAs of this order", "REF"},
		{"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "at most N, newest first (default 50)", "N"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "rma list - return requests, newest first", NULL, entries);
	if (status && !cd_machine_has_state(&cd_rma_machine, status)) {
		char *all = cd_machine_states_text(&cd_rma_machine);
		cd_die(EX_USAGE, "unknown RMA status '%s' (one of %s)", status, all);
	}
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(
	    a.store,
	    "SELECT printf('RMA-%06d', r.id) AS ref, r.status, c.email AS customer, o.ref AS \"order\", l.line_no AS line, "
	    "l.sku, r.quantity, r.reason, r.refusal_reason, r.agent_note, "
	    "CASE WHEN r.ticket_id IS NULL THEN NULL ELSE printf('T-%06d', r.ticket_id) END AS ticket, "
	    ADMIN_ISO("r.created_at") " AS created, " ADMIN_ISO("r.updated_at") " AS updated "
	    "FROM rmas r JOIN customers c ON c.id = r.customer_id LEFT JOIN orders o ON o.id = r.order_id "
	    "LEFT JOIN order_lines l ON l.id = r.order_line_id "
	    "WHERE (?1 IS NULL OR r.status = ?1) AND (?2 IS NULL OR c.email = ?2) AND (?3 IS NULL OR o.ref = ?3) "
	    "ORDER BY r.id DESC LIMIT ?4");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, order, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, limit);
	JsonNode *rows = admin_rows(a.store, st);
	static const char *const cols[] = {"ref", "status", "customer", "order", "line", "sku", "quantity", "updated",
	                                   "reason", NULL};
	admin_print_rows(rows, cols);
	json_node_unref(rows);
	admin_close(&a);
	g_free(status);
	g_free(customer);
	g_free(order);
	return EX_OK;
}

static gint64
rma_arg(cd_store *store, int argc, char **argv)
{
	if (argc < 4)
		cd_die(EX_USAGE, "which RMA? (a reference like RMA-000045)");
	gint64 id;
	GError *error = NULL;
	if (!cd_rma_find(store, argv[3], &id, &error))
		admin_fail(error);
	return id;
}

static int
rma_show(int argc, char **argv)
{
	admin_parse(&argc, &argv, "rma show REF - an RMA, its order line and its history", NULL, NULL);
	admin_ctx a;
	admin_open(&a);
	gint64 id = rma_arg(a.store, argc, argv);
	sqlite3_stmt *st = admin_prepare(
	    a.store,
	    "SELECT printf('RMA-%06d', r.id) AS ref, r.id, r.status, c.email AS customer, c.name AS customer_name, "
	    "o.ref AS \"order\", o.status AS order_status, l.line_no AS line, l.sku, l.description, l.serial AS shipped_serial, "
	    "r.quantity, r.serial, r.reason, r.refusal_reason, r.agent_note, "
	    "CASE WHEN r.refund_cents IS NULL THEN NULL ELSE printf('%d.%02d', r.refund_cents / 100, r.refund_cents % 100) END "
	    "AS refund, CASE WHEN r.ticket_id IS NULL THEN NULL ELSE printf('T-%06d', r.ticket_id) END AS ticket, "
	    ADMIN_ISO("r.created_at") " AS created, " ADMIN_ISO("r.updated_at") " AS updated, "
	    ADMIN_ISO("r.authorized_at") " AS authorized, " ADMIN_ISO("r.received_at") " AS received, "
	    ADMIN_ISO("r.inspected_at") " AS inspected, " ADMIN_ISO("r.resolved_at") " AS resolved, "
	    ADMIN_ISO("r.closed_at") " AS closed "
	    "FROM rmas r JOIN customers c ON c.id = r.customer_id LEFT JOIN orders o ON o.id = r.order_id "
	    "LEFT JOIN order_lines l ON l.id = r.order_line_id WHERE r.id = ?");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *rma = admin_one(a.store, st);
	JsonObject *r = json_node_get_object(rma);
	st = admin_prepare(a.store, admin_history_sql);
	sqlite3_bind_text(st, 1, "rma", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	JsonNode *hist = admin_rows(a.store, st);
	if (admin_opt_json) {
		json_object_set_member(r, "history", hist);
		admin_print_json(rma);
	} else {
		printf("%s  [%s]\n", admin_str(r, "ref"), admin_str(r, "status"));
		char *who = g_strdup_printf("%s%s%s%s", admin_str(r, "customer"), admin_str(r, "customer_name") ? " (" : "",
		                            admin_str(r, "customer_name") ? admin_str(r, "customer_name") : "",
		                            admin_str(r, "customer_name") ? ")" : "");
		admin_field("Customer:", who);
		g_free(who);
		if (admin_str(r, "order")) {
			char *ord = g_strdup_printf("%s (%s)", admin_str(r, "order"), admin_str(r, "order_status"));
			admin_field("Order:", ord);
			g_free(ord);
		}
		char *line = admin_int(r, "line") ? g_strdup_printf("%" G_GINT64_FORMAT " %s%s%s", admin_int(r, "line"),
		                                                    admin_str(r, "sku"), admin_str(r, "description") ? " " : "",
		                                                    admin_str(r, "description") ? admin_str(r, "description") : "")
		                                  : g_strdup("(not named yet)");
		admin_field("Line:", line);
		g_free(line);
		char *qty = g_strdup_printf("%" G_GINT64_FORMAT, admin_int(r, "quantity"));
		admin_field("Quantity:", qty);
		g_free(qty);
		admin_field("Serial:", admin_str(r, "serial"));
		admin_field("Shipped:", admin_str(r, "shipped_serial"));
		admin_field("Reason:", admin_str(r, "reason"));
		admin_field("Refused:", admin_str(r, "refusal_reason"));
		admin_field("For agent:", admin_str(r, "agent_note"));
		admin_field("Refund:", admin_str(r, "refund"));
		admin_field("Ticket:", admin_str(r, "ticket"));
		admin_field("Created:", admin_str(r, "created"));
		admin_field("Authorized:", admin_str(r, "authorized"));
		admin_field("Received:", admin_str(r, "received"));
		admin_field("Inspected:", admin_str(r, "inspected"));
		admin_field("Resolved:", admin_str(r, "resolved"));
		admin_field("Closed:", admin_str(r, "closed"));
		admin_print_history(hist, "History");
		json_node_unref(hist);
	}
	json_node_unref(rma);
	admin_close(&a);
	return EX_OK;
}

static int
rma_request(int argc, char **argv)
{
	char *customer = NULL, *sku = NULL, *serial = NULL, *reason = NULL, *ticket = NULL;
	gint line = 0, quantity = 0;
	gboolean no_auto = FALSE, is_auto = FALSE;
	GOptionEntry entries[] = {
		{"customer", 0, 0, G_OPTION_ARG_STRING, &customer, "who asks (email or id; required)", "EMAIL"},
		{"line", 'l', 0, G_OPTION_ARG_INT, &line, "the order line (default: inferred)", "N"},
		{"sku", 0, 0, G_OPTION_ARG_STRING, &sku, "the item, when the line is not given", "SKU"},
		{"serial", 0, 0, G_OPTION_ARG_STRING, &serial, "the serial number the customer gives", "SERIAL"},
		{"quantity", 'q', 0, G_OPTION_ARG_INT, &quantity, "how many (default 1)", "N"},
		{"reason", 'r', 0, G_OPTION_ARG_STRING, &reason, "what is wrong", "TEXT"},
		{"ticket", 't', 0, G_OPTION_ARG_STRING, &ticket, "the ticket it came with", "T-REF"},
		{"auto", 0, 0, G_OPTION_ARG_NONE, &is_auto, "authorize when every check passes (default: [workflow] rma_auto_authorize)", NULL},
		{"no-auto", 0, 0, G_OPTION_ARG_NONE, &no_auto, "leave it requested for an agent even when every check passes", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "rma request ORDER --customer EMAIL - a return request on a customer's behalf",
	            "Runs the same checks as a request by mail: the order is the customer's, the line exists, the quantity\n"
	            "can still be returned and the warranty has not ended. Prints the RMA and its outcome; exits 65\n"
	            "(EX_DATAERR) when the request is refused, with the reason the customer would be told.",
	            entries);
	if (argc < 4 || customer == NULL)
		cd_die(EX_USAGE, "rma request ORDER --customer EMAIL [--line N] [--quantity N] [--reason TEXT]");
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	cd_workflow_settings ws;
	if (!cd_workflow_settings_load(a.cfg, &ws, &error))
		admin_fail(error);
	gboolean auto_authorize = no_auto ? FALSE : is_auto ? TRUE : ws.rma_auto_authorize;
	gint64 ticket_id = 0;
	if (ticket && (ticket_id = cd_parse_ref(ticket, "T")) == 0)
		cd_die(EX_USAGE, "'%s' is not a ticket reference (like T-000123)", ticket);
	cd_rma_req req = {.customer_id = admin_customer_id(a.store, customer), .order_ref = argv[3], .sku = sku,
	                  .serial = serial, .line_no = line, .quantity = quantity, .reason = reason, .ticket_id = ticket_id};
	cd_rma_outcome outcome;
	gint64 id = 0;
	char *refusal = NULL;
	admin_begin(&a);
	gboolean ok = cd_rma_request(a.store, &req, auto_authorize, admin_actor(), &outcome, &id, &refusal, &error);
	admin_commit(&a, ok, error);
	char *ref = id ? cd_rma_ref(id) : NULL;
	int rc = EX_OK;
	switch (outcome) {
	case CD_RMA_AUTHORIZED:
		printf("%s authorized\n", ref);
		break;
	case CD_RMA_REQUESTED:
		printf("%s requested: an agent decides\n", ref);
		break;
	case CD_RMA_REFUSED:
		printf("%s%srefused: %s\n", ref ? ref : "", ref ? " " : "", refusal);
		rc = EX_DATAERR;
		break;
	}
	g_free(ref);
	g_free(refusal);
	admin_close(&a);
	g_free(customer);
	g_free(sku);
	g_free(serial);
	g_free(reason);
	g_free(ticket);
	return rc;
}

/* rma_step - the commands that move an RMA: authorize, reject, receive, inspect, resolve, close. */
static int
rma_step(int argc, char **argv, const char *sub)
{
	char *note = NULL;
	gint line = 0;
	gboolean override = FALSE;
	GOptionEntry common[] = {
		{"note", 0, 0, G_OPTION_ARG_STRING, &note, "why (kept in the history)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	GOptionEntry authorize[] = {
		{"line", 'l', 0, G_OPTION_ARG_INT, &line, "the order line returned (when the request did not say)", "N"},
		{"override", 0, 0, G_OPTION_ARG_NONE, &override, "authorize even past warranty or quantity (noted in the history)", NULL},
		{"note", 0, 0, G_OPTION_ARG_STRING, &note, "why (kept in the history)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	GOptionEntry resolve[] = {
		{"override", 0, 0, G_OPTION_ARG_NONE, &override, "refund more than was paid", NULL},
		{"note", 0, 0, G_OPTION_ARG_STRING, &note, "why (kept in the history)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	const char *usage = NULL, *summary = NULL;
	GOptionEntry *entries = common;
	if (strcmp(sub, "authorize") == 0) {
		usage = "rma authorize REF - authorize a requested RMA (the checks run again)";
		entries = authorize;
	} else if (strcmp(sub, "reject") == 0) {
		usage = "rma reject REF REASON... - reject it; the reason is what the customer is told";
	} else if (strcmp(sub, "receive") == 0) {
		usage = "rma receive REF - the goods arrived (also after the RMA expired)";
	} else if (strcmp(sub, "inspect") == 0) {
		usage = "rma inspect REF - the goods were inspected";
	} else if (strcmp(sub, "resolve") == 0) {
		usage = "rma resolve REF refund AMOUNT | replace | repair - how an inspected RMA was settled";
		summary = "refund AMOUNT: money back (49.90; at most what was paid for the returned quantity unless --override);\n"
		          "replace: a new item was sent; repair: the item was repaired and sent back. When every line of the\n"
		          "order is refunded in full, the order becomes returned.";
		entries = resolve;
	} else {
		usage = "rma close REF - close a refunded, replaced or repaired RMA";
	}
	admin_parse(&argc, &argv, usage, summary, entries);
	admin_ctx a;
	admin_open(&a);
	gint64 id = rma_arg(a.store, argc, argv);
	GError *error = NULL;
	const cd_actor *actor = admin_actor();
	gboolean ok = TRUE;
	const char *to = NULL;
	char *reason = NULL;
	gint64 cents = 0;
	if (strcmp(sub, "reject") == 0) {
		reason = admin_words(argc, argv, 4);
		if (reason == NULL)
			cd_die(EX_USAGE, "rma reject REF REASON (the reason is what the customer is told)");
		to = "rejected";
	} else if (strcmp(sub, "resolve") == 0) {
		const char *how = argc > 4 ? argv[4] : "";
		if (strcmp(how, "refund") == 0) {
			if (argc < 6 || !cd_parse_cents(argv[5], &cents))
				cd_die(EX_USAGE, "rma resolve REF refund AMOUNT (an amount like 49.90)");
			to = "refunded";
		} else if (strcmp(how, "replace") == 0) {
			to = "replaced";
		} else if (strcmp(how, "repair") == 0) {
			to = "repaired";
		} else {
			cd_die(EX_USAGE, "rma resolve REF refund AMOUNT | replace | repair");
		}
	} else {
		to = strcmp(sub, "authorize") == 0 ? "authorized"
		     : strcmp(sub, "receive") == 0 ? "received"
		     : strcmp(sub, "inspect") == 0 ? "inspected"
		                                   : "closed";
	}
	admin_begin(&a);
	if (strcmp(to, "authorized") == 0)
		ok = cd_rma_authorize(a.store, id, line, override, actor, note, &error);
	else if (strcmp(to, "rejected") == 0)
		ok = cd_rma_reject(a.store, id, reason, actor, &error);
	else if (strcmp(to, "refunded") == 0)
		ok = cd_rma_refund(a.store, id, cents, override, actor, note, &error);
	else
		ok = cd_rma_set_status(a.store, id, to, actor, note, &error);
	if (!ok && strcmp(to, "authorized") == 0 && g_error_matches(error, CD_ERROR, CD_ERROR_INVALID) &&
	    strstr(error->message, "cannot be authorized")) {
		GError *hint = g_error_new(CD_ERROR, CD_ERROR_INVALID, "%s (--override to authorize anyway)", error->message);
		g_error_free(error);
		error = hint;
	}
	admin_commit(&a, ok, error);
	char *ref = cd_rma_ref(id);
	printf("%s is now %s\n", ref, to);
	g_free(ref);
	g_free(reason);
	g_free(note);
	admin_close(&a);
	return EX_OK;
}

int
cmd_rma(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "list") == 0)
		return rma_list(argc, argv);
	if (strcmp(sub, "show") == 0)
		return rma_show(argc, argv);
	if (strcmp(sub, "request") == 0)
		return rma_request(argc, argv);
	static const char *const steps[] = {"authorize", "reject", "receive", "inspect", "resolve", "close", NULL};
	if (g_strv_contains(steps, sub))
		return rma_step(argc, argv, sub);
	cd_die(EX_USAGE, "%s", RMA_USAGE);
}
