/* config.c - reading caredesk.conf (see config.h). */
#include "config.h"
#include "result.h"

#include <string.h>

#define DEFAULT_CONF "/etc/caredesk/caredesk.conf"

const char *
cd_config_locate(const char *explicit_path)
{
	if (explicit_path && *explicit_path)
		return explicit_path;
	const char *env = g_getenv("CAREDESK_CONF");
	if (env && *env)
		return env;
	return DEFAULT_CONF;
}

char *
cd_config_str(const cd_config *cfg, const char *group, const char *key, const char *def)
{
	char *v = g_key_file_get_string(cfg->keyfile, group, key, NULL);
	if (v)
		g_strstrip(v);
	if (v == NULL || *v == '\0') {
		g_free(v);
		return g_strdup(def);
	}
	return v;
}

gboolean
cd_config_int(const cd_config *cfg, const char *group, const char *key, gint64 def, gint64 min, gint64 *out,
              GError **error)
{
	*out = def;
	if (!g_key_file_has_key(cfg->keyfile, group, key, NULL))
		return TRUE;
	GError *e = NULL;
	gint64 v = g_key_file_get_int64(cfg->keyfile, group, key, &e);
	if (e != NULL || v < min) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [%s] %s: expected a number >= %" G_GINT64_FORMAT, cfg->path,
		            group, key, min);
		g_clear_error(&e);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

gboolean
cd_config_file_text(const cd_config *cfg, const char *group, const char *key, char **out, GError **error)
{
	*out = NULL;
	char *name = cd_config_str(cfg, group, key, NULL);
	if (name == NULL)
		return TRUE;
	char *path = cd_config_resolve(cfg, name);
	char *text = NULL;
	GError *e = NULL;
	gboolean ok = g_file_get_contents(path, &text, NULL, &e);
	if (ok) {
		*out = g_strdup(g_strchomp(text));
		memset(text, 0, strlen(text)); /* secrets: do not leave a copy behind */
	} else {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [%s] %s: %s", cfg->path, group, key, e->message);
		g_error_free(e);
	}
	g_free(text);
	g_free(path);
	g_free(name);
	return ok;
}

char *
cd_config_resolve(const cd_config *cfg, const char *value)
{
	if (value == NULL || *value == '\0')
		return NULL;
	if (g_path_is_absolute(value))
		return g_strdup(value);
	return g_build_filename(cfg->dir, value, NULL);
}

static char *
get_string(GKeyFile *kf, const char *group, const char *key, const char *def)
{
	char *v = g_key_file_get_string(kf, group, key, NULL);
	if (v == NULL)
		return g_strdup(def);
	g_strstrip(v);
	return v;
}

static gboolean
get_int64(GKeyFile *kf, const char *group, const char *key, gint64 def, gint64 min, gint64 *out,
          const char *path, GError **error)
{
	GError *e = NULL;
	if (!g_key_file_has_key(kf, group, key, NULL)) {
		*out = def;
		return TRUE;
	}
	gint64 v = g_key_file_get_int64(kf, group, key, &e);
	if (e != NULL || v < min) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [%s] %s: expected an integer >= %" G_GINT64_FORMAT,
		            path, group, key, min);
		g_clear_error(&e);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

cd_config *
cd_config_load(const char *explicit_path, GError **error)
{
	const char *path = cd_config_locate(explicit_path);
	GKeyFile *kf = g_key_file_new();
	GError *e = NULL;
	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "cannot read config %s: %s", path, e->message);
		g_error_free(e);
		g_key_file_free(kf);
		return NULL;
	}
	cd_config *cfg = g_new0(cd_config, 1);
	cfg->keyfile = kf;
	if (g_path_is_absolute(path)) {
		cfg->path = g_strdup(path);
	} else {
		char *cwd = g_get_current_dir();
		cfg->path = g_build_filename(cwd, path, NULL);
		g_free(cwd);
	}
	cfg->dir = g_path_get_dirname(cfg->path);

	char *v = get_string(kf, "caredesk", "database", "caredesk.db");
	cfg->database = cd_config_resolve(cfg, v);
	g_free(v);
	v = get_string(kf, "caredesk", "secret_key", "secret.key");
	cfg->secret_key_path = cd_config_resolve(cfg, v);
	g_free(v);
	v = get_string(kf, "caredesk", "filters", "filters");
	cfg->filters_dir = cd_config_resolve(cfg, v);
	g_free(v);
	v = get_string(kf, "caredesk", "templates", "templates");
	cfg->templates_dir = cd_config_resolve(cfg, v);
	g_free(v);
	cfg->domain = get_string(kf, "caredesk", "domain", "localhost");
	char *def_support = g_strdup_printf("support@%s", cfg->domain);
	cfg->support_address = get_string(kf, "caredesk", "support_address", def_support);
	g_free(def_support);

	gint64 n = 0;
	gboolean ok = TRUE;
	ok = ok && get_int64(kf, "caredesk", "busy_timeout_ms", 5000, 0, &n, cfg->path, error);
	cfg->busy_timeout_ms = (int)MIN(n, G_MAXINT);
	ok = ok && get_int64(kf, "mail", "max_attachment_bytes", 25 * 1024 * 1024, 0, &cfg->max_attachment_bytes,
	                     cfg->path, error);
	ok = ok && get_int64(kf, "mail", "max_message_bytes", 200 * 1024 * 1024, 1024, &cfg->max_message_bytes,
	                     cfg->path, error);
	ok = ok && get_int64(kf, "mail", "max_nesting", 8, 1, &n, cfg->path, error);
	cfg->max_nesting = (guint)MIN(n, 64);
	ok = ok && get_int64(kf, "mail", "batch_size", 256, 1, &n, cfg->path, error);
	cfg->batch_size = (guint)MIN(n, 100000);
	ok = ok && get_int64(kf, "mail", "html_max_bytes", 4 * 1024 * 1024, 1024, &cfg->html_max_bytes, cfg->path,
	                     error);
	ok = ok && get_int64(kf, "mail", "html_max_ms", 2000, 1, &n, cfg->path, error);
	cfg->html_max_usec = n * 1000;
	if (!ok) {
		cd_config_free(cfg);
		return NULL;
	}
	v = get_string(kf, "mail", "pipe_processing", "deferred");
	if (g_strcmp0(v, "sync") == 0) {
		cfg->pipe_sync = TRUE;
	} else if (g_strcmp0(v, "deferred") != 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [mail] pipe_processing: expected deferred or sync, got '%s'",
		            cfg->path, v);
		g_free(v);
		cd_config_free(cfg);
		return NULL;
	}
	g_free(v);
	cfg->smtp_url = get_string(kf, "mail", "smtp_url", NULL);
	cfg->sendmail = get_string(kf, "mail", "sendmail", NULL);
	cfg->web_listen = get_string(kf, "web", "listen", "127.0.0.1:8080");
	char *def_base = g_strdup_printf("http://%s", cfg->web_listen);
	cfg->web_base_url = get_string(kf, "web", "base_url", def_base);
	g_free(def_base);
	return cfg;
}

void
cd_config_free(cd_config *cfg)
{
	if (cfg == NULL)
		return;
	g_free(cfg->path);
	g_free(cfg->dir);
	g_key_file_free(cfg->keyfile);
	g_free(cfg->database);
	g_free(cfg->secret_key_path);
	g_free(cfg->domain);
	g_free(cfg->support_address);
	g_free(cfg->filters_dir);
	g_free(cfg->templates_dir);
	g_free(cfg->smtp_url);
	g_free(cfg->sendmail);
	g_free(cfg->web_listen);
	g_free(cfg->web_base_url);
	g_free(cfg);
}

char *
cd_config_default_text(const char *domain)
{
	return g_strdup_printf(
	    "# caredesk.conf - written by `caredesk init`. Relative paths are relative to this file.\n"
	    "[caredesk]\n"
	    "database = caredesk.db\n"
	    "secret_key = secret.key\n"
	    "domain = %s\n"
	    "support_address = support@%s\n"
	    "filters = filters\n"
	    "templates = templates\n"
	    "# How long a writer waits for the database lock before giving up (the MTA then retries).\n"
	    "busy_timeout_ms = 5000\n"
	    "\n"
	    "[mail]\n"
	    "# Outbound mail (caredesk-mailgw deliver): an SMTP server (the URL's path is the EHLO name) or sendmail.\n"
	    "# smtp_url = smtp://127.0.0.1:25/example.com\n"
	    "# sendmail = /usr/sbin/sendmail\n"
	    "# smtp_starttls = try\n"
	    "# smtp_user = caredesk\n"
	    "# smtp_password_file = smtp.password\n"
	    "from_name = Customer Support\n"
	    "# Automatic answers (acknowledgements) to one address per 24 hours (RFC 3834).\n"
	    "auto_reply_per_day = 5\n"
	    "# Hard bounces after which an address gets no more mail.\n"
	    "bounce_limit = 3\n"
	    "# Delivery attempts before a message is marked failed; the first retry waits backoff_seconds, doubling.\n"
	    "max_attempts = 10\n"
	    "backoff_seconds = 60\n"
	    "# A message being sent belongs to its deliverer this long; if that process died, it is sent again after.\n"
	    "lease_seconds = 300\n"
	    "# The customer's files go with the agents' notification, an agent's files with the reply to the\n"
	    "# customer: at most this many bytes of them per mail (0: names only, no files).\n"
	    "forward_files_max_bytes = 10485760\n"
	    "# When set, agent commands also need an Authentication-Results dkim=pass or spf=pass from this host.\n"
	    "# trusted_authserv = mx.example.com\n"
	    "# Attachments larger than this are recorded (name, type, size, hash) but their bytes are not copied.\n"
	    "max_attachment_bytes = 26214400\n"
	    "# Nested message/rfc822 parts deeper than this are kept as attachments, not opened.\n"
	    "max_nesting = 8\n"
	    "# deferred: pipe mode stores the raw message durably, exits 0 and processes it in the background;\n"
	    "# sync: pipe mode processes the message before it exits (slower; lets reject rules answer the MTA).\n"
	    "pipe_processing = deferred\n"
	    "# Messages per transaction when draining a Maildir or the pending queue.\n"
	    "batch_size = 256\n"
	    "# HTML to text: bytes and milliseconds after which conversion stops (the message is still taken).\n"
	    "html_max_bytes = 4194304\n"
	    "html_max_ms = 2000\n"
	    "\n"
	    "[workflow]\n"
	    "# Resolved tickets close after this many days (0: never).\n"
	    "autoclose_days = 7\n"
	    "# Authorized returns whose goods have not arrived after this many days expire.\n"
	    "rma_return_days = 30\n"
	    "# A return request that passes every check is authorized at once (false: an agent decides).\n"
	    "rma_auto_authorize = true\n"
	    "activation_code_minutes = 60\n"
	    "activation_max_attempts = 5\n"
	    "offer_valid_days = 30\n"
	    "\n"
	    "[web]\n"
	    "listen = 127.0.0.1:8080\n"
	    "base_url = http://127.0.0.1:8080\n"
	    "# How new web accounts activate: link (mailed link), email (code by mail), sms (code by SMS),\n"
	    "# admin (caredesk activations approve). Per customer group: [web.activation] GROUP = ...\n"
	    "activation = link\n"
	    "session_idle_minutes = 120\n"
	    "session_max_hours = 168\n"
	    "reset_minutes = 60\n"
	    "min_password_length = 10\n"
	    "# Login abuse blocking: an IP waits (doubling) after this many failures; an address is locked.\n"
	    "login_ip_free_failures = 5\n"
	    "login_ip_first_delay_seconds = 2\n"
	    "login_ip_max_delay_seconds = 300\n"
	    "login_account_max_failures = 10\n"
	    "login_lockout_seconds = 900\n"
	    "login_failure_window_seconds = 3600\n"
	    "# Behind a TLS-terminating proxy: Secure cookies, HSTS, plain HTTP redirected to base_url.\n"
	    "tls_proxy = false\n"
	    "# Proxies whose X-Forwarded-For names the client (comma-separated CIDRs).\n"
	    "trusted_proxies =\n"
	    "\n"
	    "[sms]\n"
	    "# How SMS go out (caredesk-mailgw deliver): kannel (sendsms over HTTP), twilio (a Twilio-style REST API)\n"
	    "# or spool (files in an smstools outgoing folder). Unset: SMS wait in the outbox.\n"
	    "# provider = kannel\n"
	    "# kannel: the sendsms URL and user; twilio: the API base URL (default https://api.twilio.com).\n"
	    "# url = http://127.0.0.1:13013/cgi-bin/sendsms\n"
	    "# username = caredesk\n"
	    "# password_file = kannel.password\n"
	    "# Our number or short code (the sender of what we send).\n"
	    "# from = 1234\n"
	    "# twilio: the account; the auth token also signs the webhooks (X-Twilio-Signature).\n"
	    "# account_sid = AC0123456789abcdef\n"
	    "auth_token_file = sms-auth.token\n"
	    "# spool: the smstools outgoing folder.\n"
	    "# spool_dir = /var/spool/sms/outgoing\n"
	    "# Kannel get-url: when set, the callback URL must carry &token=THIS.\n"
	    "# inbound_token = change-me\n"
	    "# Numbers written nationally (0151 ...) are read in this country (ISO 3166 code).\n"
	    "default_country = DE\n"
	    "# An SMS we send is cut to this many segments (160/153 GSM-7 characters, 70/67 UCS-2 units).\n"
	    "max_segments = 3\n"
	    "# SMS to one number per hour and per 24 hours (more are cancelled, with an audit row).\n"
	    "per_number_hourly = 5\n"
	    "per_number_daily = 20\n"
	    "# A text joins the sender's latest open ticket updated within this many hours, else opens one.\n"
	    "join_window_hours = 72\n"
	    "# New tickets of these priorities are texted to agents who have a phone number.\n"
	    "agent_priorities = urgent high\n",
	    domain, domain);
}
