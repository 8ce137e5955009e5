/* pages_orders.c - the customer's orders: list, detail with lines and state history, the invoice
 * as printable HTML and as PDF, and opening a return (RMA) from an order line under the same
 * checks as by mail (core/rma.h). Another customer's order is a 404 like a missing one. */
#include "app.h"
#include "httpparse.h"
#include "notify.h"
#include "pdf.h"
#include "result.h"
#include "rma.h"
#include "rows.h"
#include "ticket.h"
#include "util.h"

#include <string.h>

#define MONEY(col, cur) "printf('%d.%02d', " col " / 100, abs(" col ") % 100) || ' ' || " cur
#define DAY(col) "strftime('%Y-%m-%d', " col ", 'unixepoch')"

static const char order_sql[] =
	"SELECT id, ref, status, currency, " DAY("ordered_at") " AS ordered, " DAY("delivered_at") " AS delivered, "
	"(SELECT " MONEY("coalesce(sum(quantity * unit_price_cents), 0)", "o.currency") " FROM order_lines "
	"WHERE order_id = o.id) AS total, "
	"(SELECT coalesce(sum(quantity * unit_price_cents), 0) FROM order_lines WHERE order_id = o.id) AS total_cents "
	"FROM orders o WHERE customer_id = ?1 AND ref = ?2";

static const char lines_sql[] =
	"SELECT l.line_no, l.sku, coalesce(l.description, l.sku) AS description, l.quantity, l.serial, "
	MONEY("l.unit_price_cents", "o.currency") " AS price, " MONEY("l.quantity * l.unit_price_cents", "o.currency")
	" AS amount FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.customer_id = ?1 AND o.ref = ?2 "
	"ORDER BY l.line_no";

static void
address_vars(JsonObject *v, gint64 customer_id)
{
	JsonObject *addr = rows_one("SELECT name, street, postcode, city, country FROM customer_addresses "
	                            "WHERE customer_id = ?1 AND kind = ?2",
	                            customer_id, "invoice");
	if (addr)
		json_object_set_object_member(v, "invoice_address", addr);
}

static int
orders_list(web_req *r)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "My orders");
	JsonArray *a = rows_all("SELECT o.ref, o.status, " DAY("o.ordered_at") " AS ordered, "
	                        "(SELECT " MONEY("coalesce(sum(quantity * unit_price_cents), 0)", "o.currency")
	                        " FROM order_lines WHERE order_id = o.id) AS total "
	                        "FROM orders o WHERE o.customer_id = ?1 ORDER BY o.ordered_at DESC, o.id DESC LIMIT 500",
	                        r->customer_id, NULL);
	if (a == NULL)
		a = json_array_new();
	json_object_set_boolean_member(v, "none", json_array_get_length(a) == 0);
	json_object_set_array_member(v, "orders", a);
	vset(v, "nav_orders", "1");
	return send_page(r, 200, "orders", v);
}

static int
order_detail(web_req *r, const char *ref, const char *error, const char *notice)
{
	JsonObject *o = rows_one(order_sql, r->customer_id, ref);
	if (o == NULL)
		return send_not_found(r);
	JsonObject *v = json_object_new();
	char *title = g_strdup_printf("Order %s", json_object_get_string_member(o, "ref"));
	vset(v, "title", title);
	g_free(title);
	gint64 oid = json_object_get_int_member(o, "id");
	json_object_set_object_member(v, "order", o);
	JsonArray *lines = rows_all(lines_sql, r->customer_id, ref);
	json_object_set_array_member(v, "lines", lines ? lines : json_array_new());
	JsonArray *hist = rows_all("SELECT strftime('%Y-%m-%d %H:%M', at, 'unixepoch') AS at, action, from_state, "
	                           "to_state FROM audit_events WHERE entity = 'order' AND entity_id = ?1 ORDER BY id",
	                           oid, NULL);
	json_object_set_array_member(v, "history", hist ? hist : json_array_new());
	JsonArray *rmas = rows_all("SELECT printf('RMA-%06d', r.id) AS ref, r.status, r.quantity, l.line_no "
	                           "FROM rmas r LEFT JOIN order_lines l ON l.id = r.order_line_id WHERE r.order_id = ?1 "
	                           "ORDER BY r.id",
	                           oid, NULL);
	json_object_set_boolean_member(v, "has_rmas", rmas && json_array_get_length(rmas) > 0);
	json_object_set_array_member(v, "rmas", rmas ? rmas : json_array_new());
	vset(v, "error", error);
	vset(v, "notice", notice);
	vset(v, "nav_orders", "1");
	return send_page(r, error ? 400 : 200, "order", v);
}

static int
invoice_html(web_req *r, const char *ref)
{
	JsonObject *o = rows_one(order_sql, r->customer_id, ref);
	if (o == NULL)
		return send_not_found(r);
	JsonObject *v = json_object_new();
	char *title = g_strdup_printf("Invoice %s", json_object_get_string_member(o, "ref"));
	vset(v, "title", title);
	g_free(title);
	json_object_set_object_member(v, "order", o);
	JsonArray *lines = rows_all(lines_sql, r->customer_id, ref);
	json_object_set_array_member(v, "lines", lines ? lines : json_array_new());
	address_vars(v, r->customer_id);
	return send_page(r, 200, "invoice", v);
}

const char *
web_str(JsonObject *o, const char *name)
{
	JsonNode *n = o ? json_object_get_member(o, name) : NULL;
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
	                                                                                       : "";
}

static void
free_row(gpointer p)
{
	g_strfreev(p);
}

GPtrArray *
web_pdf_lines(JsonArray *lines)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(free_row);
	for (guint i = 0; lines && i < json_array_get_length(lines); i++) {
		JsonObject *l = json_array_get_object_element(lines, i);
		char **row = g_new0(char *, 5);
		row[0] = g_strdup_printf("%s  %s", web_str(l, "sku"), web_str(l, "description"));
		row[1] = g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member(l, "quantity"));
		row[2] = g_strdup(web_str(l, "price"));
		row[3] = g_strdup(web_str(l, "amount"));
		g_ptr_array_add(rows, row);
	}
	return rows;
}

int
web_send_pdf(web_req *r, GBytes *pdf, const char *filename)
{
	if (pdf == NULL)
		return send_error(r, 500, "The document could not be made.");
	char *h = g_strdup_printf("Content-Disposition: attachment; filename=\"%s\"\r\n", filename);
	gsize len;
	const char *data = g_bytes_get_data(pdf, &len);
	int rc = send_body(r, 200, "application/pdf", data, len, h);
	g_free(h);
	g_bytes_unref(pdf);
	return rc;
}

static int
invoice_pdf(web_req *r, const char *ref)
{
	JsonObject *o = rows_one(order_sql, r->customer_id, ref);
	if (o == NULL)
		return send_not_found(r);
	JsonArray *lines = rows_all(lines_sql, r->customer_id, ref);
	JsonObject *addr = rows_one("SELECT name, street, postcode || ' ' || city AS city, country FROM customer_addresses "
	                            "WHERE customer_id = ?1 AND kind = ?2",
	                            r->customer_id, "invoice");
	char *date = g_strdup_printf("Order date: %s", web_str(o, "ordered"));
	char *status = g_strdup_printf("Status: %s", web_str(o, "status"));
	char *seller = g_strdup_printf("Seller: %s", app->cfg->domain);
	const char *meta[] = {date, status, seller, NULL};
	const char *to[] = {r->customer_name && *r->customer_name ? r->customer_name : r->customer_email,
	                    addr ? web_str(addr, "street") : r->customer_email, addr ? web_str(addr, "city") : NULL,
	                    addr ? web_str(addr, "country") : NULL, NULL};
	GPtrArray *rows = web_pdf_lines(lines);
	pdf_doc doc = {.title = "Invoice", .ref = web_str(o, "ref"), .meta = meta, .to = to, .lines = rows,
	               .total = web_str(o, "total"), .footer = app->cfg->support_address};
	GBytes *pdf = pdf_render(&doc);
	char *fname = g_strdup_printf("invoice-%s.pdf", web_str(o, "ref"));
	for (char *p = fname; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
			*p = '_';
	int rc = web_send_pdf(r, pdf, fname);
	g_free(fname);
	g_ptr_array_unref(rows);
	g_free(date);
	g_free(status);
	g_free(seller);
	if (addr)
		json_object_unref(addr);
	if (lines)
		json_array_unref(lines);
	json_object_unref(o);
	return rc;
}

/* open_rma - a return request from the web: a ticket of type rma with the reason as its first
 * message, then the checks of cd_rma_request */
static int
open_rma(web_req *r, const char *ref)
{
	if (!req_csrf_ok(r))
		return refuse_csrf(r);
	JsonObject *o = rows_one(order_sql, r->customer_id, ref);
	if (o == NULL)
		return send_not_found(r);
	char *oref = g_strdup(web_str(o, "ref"));
	json_object_unref(o);
	gint line_no = (gint)g_ascii_strtoll(req_form(r, "line_no"), NULL, 10);
	gint64 qty = g_ascii_strtoll(req_form(r, "quantity"), NULL, 10);
	const char *reason = req_form(r, "reason");
	int rc;
	if (line_no <= 0 || qty <= 0 || qty > 100000) {
		rc = order_detail(r, oref, "Please choose a line and a quantity of at least 1.", NULL);
		g_free(oref);
		return rc;
	}
	GError *e = NULL;
	char *subject = g_strdup_printf("Return request for order %s, line %d", oref, line_no);
	gint64 queue = 0, tid = 0, mid = 0, rma_id = 0;
	cd_rma_outcome outcome = CD_RMA_REFUSED;
	char *refusal = NULL;
	gboolean ok = cd_store_begin(app->store, &e) && cd_queue_find(app->store, NULL, &queue, &e);
	if (ok) {
		cd_ticket_new t = {.customer_id = r->customer_id, .queue_id = queue, .subject = subject, .type = "rma",
		                   .channel = "web"};
		ok = cd_ticket_create(app->store, &t, req_actor(r), &tid, &e);
	}
	cd_message *m = cd_message_new();
	m->subject = g_strdup(subject);
	m->text = g_strdup_printf("Order %s, line %d, quantity %" G_GINT64_FORMAT "\n\n%s\n", oref, line_no, qty, reason);
	m->reply_text = g_strdup(m->text);
	m->from.addr = g_strdup(r->customer_email);
	m->from.name = g_strdup(r->customer_name);
	if (ok) {
		cd_message_insert ins = {.ticket_id = tid, .direction = "in", .channel = "web", .kind = "normal",
		                         .author_kind = "customer", .customer_id = r->customer_id, .msg = m};
		ok = cd_message_store(app->store, &ins, &mid, &e) && cd_ticket_touch(app->store, tid, TRUE, &e);
	}
	if (ok) {
		cd_rma_req req = {.customer_id = r->customer_id, .order_ref = oref, .line_no = line_no, .quantity = (gint)qty,
		                  .reason = reason, .ticket_id = tid};
		ok = cd_rma_request(app->store, &req, app->wf.rma_auto_authorize, req_actor(r), &outcome, &rma_id, &refusal,
		                    &e);
	}
	/* agents hear of the new ticket (the customer sees the result on the page: no acknowledgement);
	 * authorized and refused RMAs moved through the machine, whose observer told the customer */
	ok = ok && cd_notify_new_ticket(app->store, tid, mid, m, TRUE, NULL, &e);
	if (ok && outcome == CD_RMA_REQUESTED && rma_id)
		ok = cd_notify_rma(app->store, rma_id, "requested", &e);
	cd_message_free(m);
	ok = ok && cd_store_commit(app->store, &e);
	if (!ok) {
		g_warning("rma from the web: %s", e ? e->message : "?");
		g_clear_error(&e);
		cd_store_rollback(app->store);
		rc = send_error(r, 503, "Please try again in a moment.");
	} else if (rma_id) {
		char *loc = g_strdup_printf("/rmas/RMA-%06" G_GINT64_FORMAT, rma_id);
		rc = send_redirect(r, loc);
		g_free(loc);
	} else {
		rc = order_detail(r, oref, refusal ? refusal : "The return could not be opened.", NULL);
	}
	g_free(refusal);
	g_free(subject);
	g_free(oref);
	return rc;
}

int
page_orders(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc = require_area(&r, "orders");
	if (rc == 0)
		rc = require_login(&r);
	if (rc == 0) {
		char *ref = web_path_segment(r.path, 1);
		char *what = web_path_segment(r.path, 2);
		char *extra = web_path_segment(r.path, 3);
		if (extra)
			rc = send_not_found(&r);
		else if (ref == NULL)
			rc = orders_list(&r);
		else if (what == NULL)
			rc = order_detail(&r, ref, NULL, NULL);
		else if (strcmp(what, "invoice") == 0)
			rc = invoice_html(&r, ref);
		else if (strcmp(what, "invoice.pdf") == 0)
			rc = invoice_pdf(&r, ref);
		else if (strcmp(what, "rma") == 0 && r.post)
			rc = open_rma(&r, ref);
		else
			rc = send_not_found(&r);
		g_free(ref);
		g_free(what);
		g_free(extra);
	}
	req_end(&r);
	return rc;
}
