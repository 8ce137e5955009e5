/* deliver_sms.c - SMS transports (see deliver_sms.h). */
#include "deliver_sms.h"
#include "result.h"
#include "smsconf.h"
#include "smsenc.h"
#include "smssig.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

struct mailgw_sms {
	engine_ctx *e;
	cd_sms_settings cfg;
	CURL *curl;
};

mailgw_sms *
mailgw_sms_new(engine_ctx *e, GError **error)
{
	cd_sms_settings cfg;
	if (!cd_sms_settings_load(e->cfg, &cfg, error))
		return NULL;
	if (cfg.transport == CD_SMS_NONE) {
		cd_sms_settings_clear(&cfg);
		return NULL;
	}
	mailgw_sms *s = g_new0(mailgw_sms, 1);
	s->e = e;
	s->cfg = cfg;
	if (cfg.transport != CD_SMS_SPOOL) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		s->curl = curl_easy_init();
	}
	return s;
}

void
mailgw_sms_free(mailgw_sms *s)
{
	if (s == NULL)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	cd_sms_settings_clear(&s->cfg);
	g_free(s);
}

static size_t
collect(char *buf, size_t size, size_t nmemb, void *user)
{
	GString *s = user;
	if (s->len < 65536)
		g_string_append_len(s, buf, (gssize)(size * nmemb));
	return size * nmemb;
}

/* perform - the request prepared on s->curl; the HTTP answer classified by result.c. */
static cd_send_result
perform(mailgw_sms *s, const char *what, GString *body, char **detail)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(s->curl);
	long code = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	char *answer = cd_utf8_clean(body->str, (gssize)MIN(body->len, 200));
	g_strstrip(answer);
	if (rc == CURLE_OK && code >= 200 && code < 300) {
		*detail = g_strdup_printf("%s %ld: %s", what, code, answer);
		g_free(answer);
		return CD_SEND_OK;
	}
	if (rc != CURLE_OK)
		code = 0;
	*detail = g_strdup_printf("%s %ld: %s", what, code,
	                          rc != CURLE_OK ? (errbuf[0] ? errbuf : curl_easy_strerror(rc)) : answer);
	g_free(answer);
	return cd_http_is_transient(code) ? CD_SEND_TEMP : CD_SEND_PERM;
}

static void
add_param(GString *q, CURL *c, const char *name, const char *value)
{
	char *v = curl_easy_escape(c, value ? value : "", 0);
	g_string_append_printf(q, "%s%s=%s", q->len ? "&" : "", name, v);
	curl_free(v);
}

static cd_send_result
send_kannel(mailgw_sms *s, const cd_outbox_row *r, char **detail)
{
	CURL *c = s->curl;
	curl_easy_reset(c);
	cd_sms_size size;
	cd_sms_measure(r->body_text, &size);
	GString *q = g_string_new(NULL);
	if (s->cfg.username)
		add_param(q, c, "username", s->cfg.username);
	if (s->cfg.password)
		add_param(q, c, "password", s->cfg.password);
	if (s->cfg.from)
		add_param(q, c, "from", s->cfg.from);
	add_param(q, c, "to", r->recipient);
	add_param(q, c, "text", r->body_text);
	add_param(q, c, "charset", "UTF-8");
	add_param(q, c, "coding", size.ucs2 ? "2" : "0");
	if (s->e->cfg->web_base_url) {
		char mac[CD_TOKEN_CHARS + 1];
		cd_dlr_mac(s->e->secret, r->id, mac);
		char *dlr = g_strdup_printf("%s/sms/dlr?row=%" G_GINT64_FORMAT "&mac=%s&status=%%d", s->e->cfg->web_base_url,
		                            r->id, mac);
		add_param(q, c, "dlr-mask", "31");
		add_param(q, c, "dlr-url", dlr);
		g_free(dlr);
	}
	char *url = g_strdup_printf("%s%s%s", s->cfg.url, strchr(s->cfg.url, '?') ? "&" : "?", q->str);
	curl_easy_setopt(c, CURLOPT_URL, url);
	GString *body = g_string_new(NULL);
	cd_send_result res = perform(s, "Kannel", body, detail);
	g_string_free(body, TRUE);
	g_free(url);
	g_string_free(q, TRUE);
	return res;
}

static cd_send_result
send_twilio(mailgw_sms *s, const cd_outbox_row *r, char **detail, char **provider_ref)
{
	CURL *c = s->curl;
	curl_easy_reset(c);
	GString *form = g_string_new(NULL);
	add_param(form, c, "To", r->recipient);
	add_param(form, c, "From", s->cfg.from);
	add_param(form, c, "Body", r->body_text);
	if (s->e->cfg->web_base_url) {
		char *cb = g_strdup_printf("%s/sms/twilio/status", s->e->cfg->web_base_url);
		add_param(form, c, "StatusCallback", cb);
		g_free(cb);
	}
	char *url = g_strdup_printf("%s/2010-04-01/Accounts/%s/Messages.json", s->cfg.url, s->cfg.account_sid);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, form->str);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, s->cfg.account_sid);
	curl_easy_setopt(c, CURLOPT_PASSWORD, s->cfg.auth_token);
	GString *body = g_string_new(NULL);
	cd_send_result res = perform(s, "Twilio", body, detail);
	if (res == CD_SEND_OK) {
		JsonParser *p = json_parser_new();
		if (json_parser_load_from_data(p, body->str, (gssize)body->len, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
			JsonObject *o = json_node_get_object(json_parser_get_root(p));
			const char *sid = json_object_get_string_member_with_default(o, "sid", NULL);
			*provider_ref = g_strdup(sid);
		}
		g_object_unref(p);
	}
	g_string_free(body, TRUE);
	g_free(url);
	g_string_free(form, TRUE);
	return res;
}

/* send_spool - an smstools outgoing file (To: without the +; UTF-8 text), written atomically. */
static cd_send_result
send_spool(mailgw_sms *s, const cd_outbox_row *r, char **detail)
{
	const char *to = r->recipient[0] == '+' ? r->recipient + 1 : r->recipient;
	char *text = g_strdup_printf("To: %s\nAlphabet: UTF-8\n\n%s\n", to, r->body_text ? r->body_text : "");
	char *name = g_strdup_printf("caredesk-%" G_GINT64_FORMAT, r->id);
	char *path = g_build_filename(s->cfg.spool_dir, name, NULL);
	/* smstools takes every file of the folder: written under a dot name, then renamed */
	char *dot = g_strdup_printf("%s/.%s", s->cfg.spool_dir, name);
	GError *error = NULL;
	cd_send_result res = CD_SEND_OK;
	if (cd_write_file_atomic(dot, text, strlen(text), 0644, &error) && rename(dot, path) != 0)
		cd_set_error_errno(&error, errno, "cannot rename into", path);
	if (error == NULL) {
		*detail = g_strdup_printf("spool: %s", path);
	} else {
		*detail = g_strdup_printf("spool: %s", error->message);
		res = cd_result_of(error) == CD_TEMP ? CD_SEND_TEMP : CD_SEND_PERM;
		g_error_free(error);
	}
	g_free(dot);
	g_free(path);
	g_free(name);
	g_free(text);
	return res;
}

cd_send_result
mailgw_sms_send(mailgw_sms *s, const cd_outbox_row *r, char **detail, char **provider_ref)
{
	*provider_ref = NULL;
	switch (s->cfg.transport) {
	case CD_SMS_KANNEL: return send_kannel(s, r, detail);
	case CD_SMS_TWILIO: return send_twilio(s, r, detail, provider_ref);
	case CD_SMS_SPOOL: return send_spool(s, r, detail);
	case CD_SMS_NONE: break;
	}
	*detail = g_strdup("no SMS transport");
	return CD_SEND_TEMP;
}
