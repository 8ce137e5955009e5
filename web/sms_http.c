/* sms_http.c - SMS webhooks (see sms_http.h). The handlers share one database connection and one
 * notifier, so they take turns (a mutex): SMS traffic is small next to a transaction's fsync. */
#include "sms_http.h"
#include "app.h"
#include "audit.h"
#include "ingest_sms.h"
#include "log.h"
#include "notify.h"
#include "result.h"
#include "smsconf.h"
#include "smssig.h"
#include "util.h"

#include <civetweb.h>
#include <string.h>
#include <sysexits.h>

#define MAX_BODY 65536

/* what the handlers share: the app's connection, secret and outbox (used under app_lock: the
 * notifier is process-wide and bound to that one connection), and the [sms] settings */
typedef struct {
	const cd_config *cfg;
	cd_secret *secret;
	cd_store *store;
	cd_ingest_ctx ingest;
	cd_sms_settings sms;
} sms_web;

static void
reply(struct mg_connection *conn, int status, const char *type, const char *body)
{
	mg_printf(conn,
	          "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
	          "Connection: close\r\n\r\n%s",
	          status, mg_get_response_code_text(conn, status), type, strlen(body), body);
}

/* fail - a failure as HTTP: transient ones 503 (the gateway retries), others 500. */
static int
fail(struct mg_connection *conn, const GError *error)
{
	int status = cd_result_of(error) == CD_TEMP ? 503 : 500;
	g_warning("SMS webhook: %s (answered %d)", error ? error->message : "?", status);
	reply(conn, status, "text/plain; charset=utf-8", status == 503 ? "try again later\n" : "internal error\n");
	return status;
}

static void
refresh_rules(sms_web *w)
{
	cd_ruleset *rules = cd_rules_current(w->cfg->filters_dir);
	if (w->ingest.rules)
		cd_ruleset_unref(w->ingest.rules);
	w->ingest.rules = rules;
}

/* refuse - 403 and an audit row (in its own transaction). */
static int
refuse(sms_web *w, struct mg_connection *conn, const char *what, const char *why)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	cd_actor actor = {.actor_kind = "system", .actor = ri->remote_addr, .channel = "sms"};
	char *note = g_strdup_printf("%s from %s: %s", what, ri->remote_addr, why);
	cd_audit_event ev = {.actor = &actor, .entity = "webhook", .action = "refused", .note = note};
	GError *error = NULL;
	if (!cd_store_begin(w->store, &error) || !cd_audit(w->store, &ev, &error) || !cd_store_commit(w->store, &error)) {
		cd_store_rollback(w->store);
		g_warning("cannot audit a refused webhook: %s", error ? error->message : "?");
		g_clear_error(&error);
	}
	g_message("%s", note);
	g_free(note);
	reply(conn, 403, "text/plain; charset=utf-8", "forbidden\n");
	return 403;
}

static GPtrArray *
read_form(struct mg_connection *conn)
{
	GString *body = g_string_new(NULL);
	char buf[4096];
	int n;
	while (body->len < MAX_BODY && (n = mg_read(conn, buf, sizeof buf)) > 0)
		g_string_append_len(body, buf, n);
	GPtrArray *params = cd_form_parse(body->str, (gssize)body->len);
	g_string_free(body, TRUE);
	return params;
}

static int
take_in(sms_web *w, struct mg_connection *conn, const cd_sms_in *in, const char *type, const char *ok_body)
{
	if (in->from == NULL || *in->from == '\0' || in->text == NULL) {
		reply(conn, 400, "text/plain; charset=utf-8", "from and text are required\n");
		return 400;
	}
	GError *error = NULL;
	cd_sms_outcome out;
	refresh_rules(w);
	if (!cd_sms_take_in(&w->ingest, in, &out, &error)) {
		int status = fail(conn, error);
		g_error_free(error);
		return status;
	}
	g_info("SMS from %s: %s (ticket %" G_GINT64_FORMAT ")", in->from, out.what, out.ticket_id);
	reply(conn, 200, type, ok_body);
	return 200;
}

static int
kannel_mo(struct mg_connection *conn, void *data)
{
	sms_web *w = data;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	GPtrArray *q = cd_form_parse(ri->query_string, -1);
	int status;
	app_lock();
	const char *token = cd_form_get(q, "token");
	if (w->sms.inbound_token && g_strcmp0(token, w->sms.inbound_token) != 0) {
		status = refuse(w, conn, "Kannel get-url", "wrong or missing token");
	} else {
		cd_sms_in in = {.from = cd_form_get(q, "from"), .to = cd_form_get(q, "to"), .text = cd_form_get(q, "text"),
		                .source = "kannel", .provider_id = cd_form_get(q, "id"), .sent_at = cd_form_get(q, "time")};
		status = take_in(w, conn, &in, "text/plain; charset=utf-8", "");
	}
	app_unlock();
	g_ptr_array_unref(q);
	return status;
}

/* signed_url - the URL the provider signed: our base URL and the request's path and query. */
static char *
signed_url(sms_web *w, struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *base = w->cfg->web_base_url ? w->cfg->web_base_url : "";
	gsize blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	return g_strdup_printf("%.*s%s%s%s", (int)blen, base, ri->local_uri, ri->query_string ? "?" : "",
	                       ri->query_string ? ri->query_string : "");
}

static gboolean
twilio_signed(sms_web *w, struct mg_connection *conn, GPtrArray *form)
{
	char *url = signed_url(w, conn);
	gboolean ok = cd_twilio_verify(w->sms.auth_token, url, form, mg_get_header(conn, "X-Twilio-Signature"));
	g_free(url);
	return ok;
}

static int
twilio_mo(struct mg_connection *conn, void *data)
{
	sms_web *w = data;
	GPtrArray *form = read_form(conn);
	int status;
	app_lock();
	if (!twilio_signed(w, conn, form)) {
		status = refuse(w, conn, "Twilio webhook", "bad or missing X-Twilio-Signature");
	} else {
		cd_sms_in in = {.from = cd_form_get(form, "From"), .to = cd_form_get(form, "To"),
		                .text = cd_form_get(form, "Body"), .source = "twilio",
		                .provider_id = cd_form_get(form, "MessageSid")};
		status = take_in(w, conn, &in, "text/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>\n");
	}
	app_unlock();
	g_ptr_array_unref(form);
	return status;
}

/* record_report - a delivery report on its row, committed. */
static int
record_report(sms_web *w, struct mg_connection *conn, gint64 row_id, const char *ref, const cd_delivery_report *rep)
{
	GError *error = NULL;
	gint64 found = 0;
	if (!cd_store_begin(w->store, &error) ||
	    !cd_outbox_delivery_report(w->store, row_id, ref, rep, &found, &error) ||
	    !cd_store_commit(w->store, &error)) {
		cd_store_rollback(w->store);
		int s = fail(conn, error);
		g_clear_error(&error);
		return s;
	}
	if (found == 0)
		g_message("delivery report for an unknown SMS (%s)", ref ? ref : "row");
	reply(conn, 200, "text/plain; charset=utf-8", "");
	return 200;
}

/* kannel_report - Kannel's DLR types: 1 delivered, 2 undelivered, 4 buffered, 8 SMSC accepted, 16
 * SMSC rejected. */
static cd_delivery_report
kannel_report(int code)
{
	cd_delivery_report r = {.final = code == 1 || code == 2 || code == 16, .failed = code == 2 || code == 16};
	switch (code) {
	case 1: r.status = "delivered"; break;
	case 2: r.status = "undelivered"; break;
	case 4: r.status = "buffered"; break;
	case 8: r.status = "accepted by SMSC"; break;
	case 16: r.status = "rejected by SMSC"; break;
	default: r.status = "unknown"; break;
	}
	return r;
}

static int
kannel_dlr(struct mg_connection *conn, void *data)
{
	sms_web *w = data;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	GPtrArray *q = cd_form_parse(ri->query_string, -1);
	gint64 row = g_ascii_strtoll(cd_form_get(q, "row") ? cd_form_get(q, "row") : "0", NULL, 10);
	char mac[CD_TOKEN_CHARS + 1];
	cd_dlr_mac(w->secret, row, mac);
	int status;
	app_lock();
	const char *given = cd_form_get(q, "mac");
	if (row <= 0 || given == NULL || g_ascii_strcasecmp(given, mac) != 0) {
		status = refuse(w, conn, "Kannel delivery report", "bad row or mac");
	} else {
		const char *code = cd_form_get(q, "status");
		cd_delivery_report rep = kannel_report((int)g_ascii_strtoll(code ? code : "0", NULL, 10));
		status = record_report(w, conn, row, NULL, &rep);
	}
	app_unlock();
	g_ptr_array_unref(q);
	return status;
}

static int
twilio_status(struct mg_connection *conn, void *data)
{
	sms_web *w = data;
	GPtrArray *form = read_form(conn);
	int status;
	app_lock();
	if (!twilio_signed(w, conn, form)) {
		status = refuse(w, conn, "Twilio status callback", "bad or missing X-Twilio-Signature");
	} else {
		const char *st = cd_form_get(form, "MessageStatus");
		cd_delivery_report rep = {.status = st ? st : "unknown"};
		rep.failed = g_strcmp0(st, "failed") == 0 || g_strcmp0(st, "undelivered") == 0;
		rep.final = rep.failed || g_strcmp0(st, "delivered") == 0;
		status = record_report(w, conn, 0, cd_form_get(form, "MessageSid"), &rep);
	}
	app_unlock();
	g_ptr_array_unref(form);
	return status;
}

void
web_sms_register(struct mg_context *ctx, web_app *a)
{
	static sms_web w; /* lives as long as the server */
	GError *error = NULL;
	w.cfg = a->cfg;
	if (!cd_sms_settings_load(a->cfg, &w.sms, &error))
		cd_die(EX_CONFIG, "%s", error->message);
	w.secret = a->secret;
	w.store = a->store;
	w.ingest.store = w.store;
	w.ingest.cfg = a->cfg;
	w.ingest.secret = w.secret;
	mg_set_request_handler(ctx, "/sms/kannel$", kannel_mo, &w);
	mg_set_request_handler(ctx, "/sms/dlr$", kannel_dlr, &w);
	mg_set_request_handler(ctx, "/sms/twilio$", twilio_mo, &w);
	mg_set_request_handler(ctx, "/sms/twilio/status$", twilio_status, &w);
}
