/* pages_tickets.c - the customer's tickets and RMAs: lists, a ticket's conversation (text escaped by
 * the template, HTML run through the sanitiser again before it is shown) with its files to
 * download, a reply from the web, and an RMA's state and history. Internal notes never show. */
#include "app.h"
#include "html.h"
#include "notify.h"
#include "httpparse.h"
#include "result.h"
#include "rows.h"
#include "ticket.h"
#include "util.h"

#include <string.h>

static int
tickets_list(web_req *r)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "My tickets and returns");
	JsonArray *t = rows_all("SELECT printf('T-%06d', id) AS ref, subject, status, type, "
	                        "strftime('%Y-%m-%d', updated_at, 'unixepoch') AS updated FROM tickets "
	                        "WHERE customer_id = ?1 AND type IN ('ticket', 'rma') ORDER BY updated_at DESC, id DESC "
	                        "LIMIT 500",
	                        r->customer_id, NULL);
	JsonArray *m = rows_all("SELECT printf('RMA-%06d', r.id) AS ref, r.status, r.quantity, o.ref AS order_ref, "
	                        "l.sku, strftime('%Y-%m-%d', r.created_at, 'unixepoch') AS created FROM rmas r "
	                        "LEFT JOIN orders o ON o.id = r.order_id LEFT JOIN order_lines l ON l.id = r.order_line_id "
	                        "WHERE r.customer_id = ?1 ORDER BY r.id DESC LIMIT 500",
	                        r->customer_id, NULL);
	json_object_set_boolean_member(v, "no_tickets", t == NULL || json_array_get_length(t) == 0);
	json_object_set_boolean_member(v, "no_rmas", m == NULL || json_array_get_length(m) == 0);
	json_object_set_array_member(v, "tickets", t ? t : json_array_new());
	json_object_set_array_member(v, "rmas", m ? m : json_array_new());
	vset(v, "nav_tickets", "1");
	return send_page(r, 200, "tickets", v);
}

static JsonObject *
ticket_row(web_req *r, gint64 id)
{
	JsonObject *t = rows_one("SELECT id, printf('T-%06d', id) AS ref, subject, status, type, "
	                         "strftime('%Y-%m-%d %H:%M', created_at, 'unixepoch') AS created FROM tickets "
	                         "WHERE id = ?1 AND customer_id = ?2 AND type IN ('ticket', 'rma')",
	                         id, NULL);
	(void)r;
	return t;
}

static int
ticket_detail(web_req *r, gint64 id, const char *error)
{
	/* rows_one binds ?2 only as text: check the owner here */
	JsonObject *t = rows_one("SELECT id, printf('T-%06d', id) AS ref, subject, status, type, customer_id, "
	                         "strftime('%Y-%m-%d %H:%M', created_at, 'unixepoch') AS created FROM tickets "
	                         "WHERE id = ?1 AND type IN ('ticket', 'rma')",
	                         id, NULL);
	if (t == NULL || json_object_get_int_member(t, "customer_id") != r->customer_id) {
		if (t)
			json_object_unref(t);
		return send_not_found(r);
	}
	JsonObject *v = json_object_new();
	char *title = g_strdup_printf("%s %s", web_str(t, "ref"), web_str(t, "subject"));
	vset(v, "title", title);
	g_free(title);
	JsonArray *msgs = rows_all("SELECT id, direction, author_kind, coalesce(from_name, from_addr, '') AS author, "
	                           "strftime('%Y-%m-%d %H:%M', created_at, 'unixepoch') AS at, "
	                           "coalesce(body_full, body_reply, '') AS text, body_html FROM messages "
	                           "WHERE ticket_id = ?1 AND kind <> 'note' ORDER BY id",
	                           id, NULL);
	for (guint i = 0; msgs && i < json_array_get_length(msgs); i++) {
		JsonObject *m = json_array_get_object_element(msgs, i);
		const char *html = web_str(m, "body_html");
		if (*html) {
			char *clean = cd_html_sanitize(html, strlen(html), NULL, NULL);
			json_object_set_string_member(m, "html", clean);
			g_free(clean);
		}
		json_object_remove_member(m, "body_html");
		/* the files sent as files (inline images of signatures and the like are not listed) */
		JsonArray *files = rows_all("SELECT id, coalesce(filename, 'attachment') AS name, size FROM attachments "
		                            "WHERE message_id = ?1 AND content IS NOT NULL AND inline = 0 ORDER BY id",
		                            json_object_get_int_member(m, "id"), NULL);
		for (guint j = 0; files && j < json_array_get_length(files); j++) {
			JsonObject *f = json_array_get_object_element(files, j);
			char *size = g_format_size((guint64)json_object_get_int_member(f, "size"));
			json_object_set_string_member(f, "size", size);
			g_free(size);
			char *url = g_strdup_printf("/tickets/T-%06" G_GINT64_FORMAT "/files/%" G_GINT64_FORMAT, id,
			                            json_object_get_int_member(f, "id"));
			json_object_set_string_member(f, "url", url);
			g_free(url);
		}
		json_object_set_array_member(m, "files", files ? files : json_array_new());
		json_object_set_boolean_member(m, "mine", strcmp(web_str(m, "direction"), "in") == 0);
		if (strcmp(web_str(m, "direction"), "out") == 0)
			json_object_set_string_member(m, "author", "Support");
	}
	json_object_set_array_member(v, "messages", msgs ? msgs : json_array_new());
	JsonArray *rmas = rows_all("SELECT printf('RMA-%06d', id) AS ref, status FROM rmas WHERE ticket_id = ?1", id, NULL);
	json_object_set_array_member(v, "rmas", rmas ? rmas : json_array_new());
	json_object_set_boolean_member(v, "closed", strcmp(web_str(t, "status"), "closed") == 0);
	json_object_set_object_member(v, "ticket", t);
	vset(v, "error", error);
	vset(v, "nav_tickets", "1");
	return send_page(r, error ? 400 : 200, "ticket", v);
}

/* ticket_file - a file of one of the customer's own tickets (not of an internal note), always as a
 * download of type application/octet-stream: what a sender called text/html is never shown inline
 * on our origin. */
static int
ticket_file(web_req *r, gint64 ticket_id, const char *which)
{
	gint64 file_id = 0;
	if (which == NULL || !g_ascii_string_to_signed(which, 10, 1, G_MAXINT64, &file_id, NULL))
		return send_not_found(r);
	GError *e = NULL;
	sqlite3_stmt *st = cd_store_stmt(app->store,
	                                 "SELECT a.filename, a.content FROM attachments a JOIN messages m ON m.id = a.message_id "
	                                 "JOIN tickets t ON t.id = m.ticket_id WHERE a.id = ?1 AND t.id = ?2 "
	                                 "AND t.customer_id = ?3 AND m.kind <> 'note' AND a.content IS NOT NULL",
	                                 &e);
	if (st == NULL) {
		g_warning("web file: %s", e->message);
		g_error_free(e);
		return send_error(r, 503, "Please try again in a moment.");
	}
	sqlite3_bind_int64(st, 1, file_id);
	sqlite3_bind_int64(st, 2, ticket_id);
	sqlite3_bind_int64(st, 3, r->customer_id);
	gboolean row = FALSE;
	int rc;
	if (!cd_store_step(app->store, st, &row, &e)) {
		g_warning("web file: %s", e->message);
		g_error_free(e);
		return send_error(r, 503, "Please try again in a moment.");
	}
	if (!row) {
		rc = send_not_found(r);
	} else {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		char *escaped = g_uri_escape_string(name && *name ? name : "attachment", NULL, FALSE);
		char *h = g_strdup_printf("Content-Disposition: attachment; filename=\"attachment\"; "
		                          "filename*=UTF-8''%s\r\n",
		                          escaped);
		rc = send_body(r, 200, "application/octet-stream", (const char *)sqlite3_column_blob(st, 1),
		               (gsize)sqlite3_column_bytes(st, 1), h);
		g_free(h);
		g_free(escaped);
	}
	sqlite3_reset(st);
	return rc;
}

static int
ticket_reply(web_req *r, gint64 id)
{
	if (!req_csrf_ok(r))
		return refuse_csrf(r);
	GError *e = NULL;
	gboolean found = FALSE;
	char *status = NULL;
	gint64 owner = 0;
	if (!cd_ticket_get(app->store, id, &found, &status, &owner, &e) || !found || owner != r->customer_id) {
		g_clear_error(&e);
		g_free(status);
		return send_not_found(r);
	}
	char *text = g_strstrip(cd_utf8_clean(req_form(r, "text"), -1));
	int rc;
	if (*text == '\0' || strlen(text) > 100000 || strcmp(status, "closed") == 0) {
		rc = ticket_detail(r, id, strcmp(status, "closed") == 0 ? "This ticket is closed: please open a new one."
		                                                        : "Please write a message.");
		g_free(text);
		g_free(status);
		return rc;
	}
	JsonObject *t = ticket_row(r, id);
	cd_message *m = cd_message_new();
	m->subject = g_strdup_printf("Re: %s", t ? web_str(t, "subject") : "");
	m->text = g_strdup(text);
	m->reply_text = g_strdup(text);
	m->from.addr = g_strdup(r->customer_email);
	m->from.name = g_strdup(r->customer_name);
	if (t)
		json_object_unref(t);
	gint64 mid = 0;
	cd_message_insert ins = {.ticket_id = id, .direction = "in", .channel = "web", .kind = "normal",
	                         .author_kind = "customer", .customer_id = r->customer_id, .msg = m};
	gboolean ok = cd_store_begin(app->store, &e) && cd_message_store(app->store, &ins, &mid, &e) &&
	              cd_ticket_touch(app->store, id, TRUE, &e);
	if (ok && (strcmp(status, "resolved") == 0 || strcmp(status, "pending") == 0))
		ok = cd_ticket_set_status(app->store, id, "open", req_actor(r), "customer replied on the web", &e);
	ok = ok && cd_notify_customer_reply(app->store, id, mid, m, NULL, &e) && cd_store_commit(app->store, &e);
	cd_message_free(m);
	if (ok) {
		char *loc = g_strdup_printf("/tickets/T-%06" G_GINT64_FORMAT, id);
		rc = send_redirect(r, loc);
		g_free(loc);
	} else {
		g_warning("web reply: %s", e ? e->message : "?");
		g_clear_error(&e);
		cd_store_rollback(app->store);
		rc = send_error(r, 503, "Please try again in a moment.");
	}
	g_free(text);
	g_free(status);
	return rc;
}

int
page_tickets(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc = require_area(&r, "tickets");
	if (rc == 0)
		rc = require_login(&r);
	if (rc == 0) {
		char *ref = web_path_segment(r.path, 1);
		char *what = web_path_segment(r.path, 2);
		char *extra = web_path_segment(r.path, 3);
		gint64 id = ref ? cd_parse_ref(ref, "T") : 0;
		if (ref == NULL)
			rc = tickets_list(&r);
		else if (id <= 0)
			rc = send_not_found(&r);
		else if (what == NULL)
			rc = ticket_detail(&r, id, NULL);
		else if (strcmp(what, "reply") == 0 && r.post && extra == NULL)
			rc = ticket_reply(&r, id);
		else if (strcmp(what, "files") == 0 && !r.post && extra != NULL)
			rc = ticket_file(&r, id, extra);
		else
			rc = send_not_found(&r);
		g_free(ref);
		g_free(what);
		g_free(extra);
	}
	req_end(&r);
	return rc;
}

int
page_rmas(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc = require_area(&r, "rmas");
	if (rc == 0)
		rc = require_login(&r);
	if (rc == 0) {
		char *ref = web_path_segment(r.path, 1);
		char *extra = web_path_segment(r.path, 2);
		gint64 id = ref ? cd_parse_ref(ref, "RMA") : 0;
		JsonObject *m = id > 0 && extra == NULL
		                    ? rows_one("SELECT r.id, printf('RMA-%06d', r.id) AS ref, r.status, r.quantity, r.reason, "
		                               "r.refusal_reason, r.customer_id, o.ref AS order_ref, l.line_no, l.sku, "
		                               "coalesce(l.description, l.sku) AS description, "
		                               "CASE WHEN r.ticket_id IS NULL THEN NULL ELSE printf('T-%06d', r.ticket_id) END "
		                               "AS ticket_ref, strftime('%Y-%m-%d %H:%M', r.created_at, 'unixepoch') AS created "
		                               "FROM rmas r LEFT JOIN orders o ON o.id = r.order_id "
		                               "LEFT JOIN order_lines l ON l.id = r.order_line_id WHERE r.id = ?1",
		                               id, NULL)
		                    : NULL;
		if (ref == NULL) {
			rc = send_redirect(&r, "/tickets");
		} else if (m == NULL || json_object_get_int_member(m, "customer_id") != r.customer_id) {
			rc = send_not_found(&r);
		} else {
			JsonObject *v = json_object_new();
			char *title = g_strdup_printf("Return %s", web_str(m, "ref"));
			vset(v, "title", title);
			g_free(title);
			JsonArray *h = rows_all("SELECT strftime('%Y-%m-%d %H:%M', at, 'unixepoch') AS at, action, from_state, "
			                        "to_state FROM audit_events WHERE entity = 'rma' AND entity_id = ?1 ORDER BY id",
			                        id, NULL);
			json_object_set_array_member(v, "history", h ? h : json_array_new());
			json_object_set_object_member(v, "rma", json_object_ref(m));
			vset(v, "nav_tickets", "1");
			rc = send_page(&r, 200, "rma", v);
		}
		if (m)
			json_object_unref(m);
		g_free(ref);
		g_free(extra);
	}
	req_end(&r);
	return rc;
}
