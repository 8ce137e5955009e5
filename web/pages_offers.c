/* pages_offers.c - the customer's offers: list, detail with lines, total and validity, accept or
 * reject with an optional comment (core/offer.h: an expired or decided offer cannot change; the
 * workflow audits it and the observer notifies the agent), and the offer as PDF. */
#include "app.h"
#include "offer.h"
#include "httpparse.h"
#include "pdf.h"
#include "result.h"
#include "rows.h"
#include "util.h"

#include <string.h>

#define MONEY(col, cur) "printf('%d.%02d', " col " / 100, abs(" col ") % 100) || ' ' || " cur

static const char offer_sql[] =
	"SELECT id, ref, title, status, currency, decision_comment AS comment, "
	"strftime('%Y-%m-%d', created_at, 'unixepoch') AS created, "
	"strftime('%Y-%m-%d %H:%M', valid_until, 'unixepoch') AS valid_until, "
	"strftime('%Y-%m-%d %H:%M', decided_at, 'unixepoch') AS decided, "
	"(status = 'new' AND (valid_until IS NULL OR valid_until > unixepoch())) AS open, "
	"(SELECT " MONEY("coalesce(sum(quantity * unit_price_cents), 0)", "o.currency") " FROM offer_lines "
	"WHERE offer_id = o.id) AS total FROM offers o WHERE customer_id = ?1 AND ref = ?2";

static const char lines_sql[] =
	"SELECT l.line_no, l.sku, coalesce(l.description, l.sku) AS description, l.quantity, "
	MONEY("l.unit_price_cents", "o.currency") " AS price, " MONEY("l.quantity * l.unit_price_cents", "o.currency")
	" AS amount FROM offer_lines l JOIN offers o ON o.id = l.offer_id WHERE o.customer_id = ?1 AND o.ref = ?2 "
	"ORDER BY l.line_no";

static int
offers_list(web_req *r)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "My offers");
	JsonArray *a = rows_all("SELECT ref, coalesce(title, '') AS title, status, "
	                        "strftime('%Y-%m-%d', valid_until, 'unixepoch') AS valid_until, "
	                        "(SELECT " MONEY("coalesce(sum(quantity * unit_price_cents), 0)", "o.currency")
	                        " FROM offer_lines WHERE offer_id = o.id) AS total "
	                        "FROM offers o WHERE customer_id = ?1 ORDER BY id DESC LIMIT 500",
	                        r->customer_id, NULL);
	if (a == NULL)
		a = json_array_new();
	json_object_set_boolean_member(v, "none", json_array_get_length(a) == 0);
	json_object_set_array_member(v, "offers", a);
	vset(v, "nav_offers", "1");
	return send_page(r, 200, "offers", v);
}

static int
offer_detail(web_req *r, const char *ref, int status, const char *error)
{
	JsonObject *o = rows_one(offer_sql, r->customer_id, ref);
	if (o == NULL)
		return send_not_found(r);
	JsonObject *v = json_object_new();
	char *title = g_strdup_printf("Offer %s", web_str(o, "ref"));
	vset(v, "title", title);
	g_free(title);
	gboolean open = json_object_get_int_member(o, "open") != 0;
	json_object_set_boolean_member(v, "open", open);
	json_object_set_boolean_member(v, "expired_unchanged",
	                               !open && strcmp(web_str(o, "status"), "new") == 0);
	json_object_set_object_member(v, "offer", o);
	JsonArray *lines = rows_all(lines_sql, r->customer_id, ref);
	json_object_set_array_member(v, "lines", lines ? lines : json_array_new());
	vset(v, "error", error);
	vset(v, "nav_offers", "1");
	return send_page(r, status, "offer", v);
}

static int
offer_decide(web_req *r, const char *ref)
{
	if (!req_csrf_ok(r))
		return refuse_csrf(r);
	JsonObject *o = rows_one(offer_sql, r->customer_id, ref);
	if (o == NULL)
		return send_not_found(r);
	gint64 id = json_object_get_int_member(o, "id");
	char *oref = g_strdup(web_str(o, "ref"));
	json_object_unref(o);
	const char *decision = req_form(r, "decision");
	const char *to = strcmp(decision, "accept") == 0 ? "accepted" : strcmp(decision, "reject") == 0 ? "rejected" : NULL;
	int rc;
	if (to == NULL) {
		rc = offer_detail(r, oref, 400, "Please choose accept or reject.");
		g_free(oref);
		return rc;
	}
	const char *comment = req_form(r, "comment");
	char *c = g_utf8_strlen(comment, -1) > 2000 ? g_utf8_substring(comment, 0, 2000) : g_strdup(comment);
	GError *e = NULL;
	gboolean ok = cd_store_begin(app->store, &e) &&
	              cd_offer_decide(app->store, id, to, *g_strstrip(c) ? c : NULL, req_actor(r), &e) &&
	              cd_store_commit(app->store, &e);
	if (ok) {
		char *loc = g_strdup_printf("/offers/%s", oref);
		rc = send_redirect(r, loc);
		g_free(loc);
	} else {
		cd_store_rollback(app->store);
		if (e && (e->code == CD_ERROR_INVALID || e->code == CD_ERROR_NOTFOUND))
			rc = offer_detail(r, oref, 409, "This offer cannot change any more: it has expired or was already decided.");
		else {
			g_warning("offer decision: %s", e ? e->message : "?");
			rc = send_error(r, 503, "Please try again in a moment.");
		}
		g_clear_error(&e);
	}
	g_free(c);
	g_free(oref);
	return rc;
}

static int
offer_pdf(web_req *r, const char *ref)
{
	JsonObject *o = rows_one(offer_sql, r->customer_id, ref);
	if (o == NULL)
		return send_not_found(r);
	JsonArray *lines = rows_all(lines_sql, r->customer_id, ref);
	char *created = g_strdup_printf("Date: %s", web_str(o, "created"));
	char *valid = g_strdup_printf("Valid until: %s", *web_str(o, "valid_until") ? web_str(o, "valid_until") : "-");
	char *status = g_strdup_printf("Status: %s", web_str(o, "status"));
	const char *meta[] = {web_str(o, "title"), created, valid, status, NULL};
	const char *to[] = {r->customer_name && *r->customer_name ? r->customer_name : r->customer_email,
	                    r->customer_email, NULL};
	GPtrArray *rows = web_pdf_lines(lines);
	pdf_doc doc = {.title = "Offer", .ref = web_str(o, "ref"), .meta = meta, .to = to, .lines = rows,
	               .total = web_str(o, "total"), .footer = app->cfg->support_address};
	char *fname = g_strdup_printf("offer-%s.pdf", web_str(o, "ref"));
	for (char *p = fname; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
			*p = '_';
	int rc = web_send_pdf(r, pdf_render(&doc), fname);
	g_free(fname);
	g_ptr_array_unref(rows);
	g_free(created);
	g_free(valid);
	g_free(status);
	if (lines)
		json_array_unref(lines);
	json_object_unref(o);
	return rc;
}

int
page_offers(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc = require_area(&r, "offers");
	if (rc == 0)
		rc = require_login(&r);
	if (rc == 0) {
		char *ref = web_path_segment(r.path, 1);
		char *what = web_path_segment(r.path, 2);
		char *extra = web_path_segment(r.path, 3);
		if (extra)
			rc = send_not_found(&r);
		else if (ref == NULL)
			rc = offers_list(&r);
		else if (what == NULL)
			rc = offer_detail(&r, ref, 200, NULL);
		else if (strcmp(what, "decide") == 0 && r.post)
			rc = offer_decide(&r, ref);
		else if (strcmp(what, "offer.pdf") == 0)
			rc = offer_pdf(&r, ref);
		else
			rc = send_not_found(&r);
		g_free(ref);
		g_free(what);
		g_free(extra);
	}
	req_end(&r);
	return rc;
}
