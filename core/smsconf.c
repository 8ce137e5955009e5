/* smsconf.c - the [sms] settings (see smsconf.h). */
#include "smsconf.h"
#include "phone.h"
#include "result.h"

#include <sodium.h>
#include <string.h>

static char *
str(GKeyFile *kf, const char *key, const char *def)
{
	char *v = g_key_file_get_string(kf, "sms", key, NULL);
	if (v)
		g_strstrip(v);
	if (v == NULL || *v == '\0') {
		g_free(v);
		return g_strdup(def);
	}
	return v;
}

static gboolean
num(const cd_config *cfg, const char *key, gint64 def, gint64 min, gint64 *out, GError **error)
{
	*out = def;
	if (!g_key_file_has_key(cfg->keyfile, "sms", key, NULL))
		return TRUE;
	GError *e = NULL;
	gint64 v = g_key_file_get_int64(cfg->keyfile, "sms", key, &e);
	if (e || v < min) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [sms] %s: expected a number >= %" G_GINT64_FORMAT,
		            cfg->path, key, min);
		g_clear_error(&e);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

/* file_text - the first line of a file named by key (relative to the config), or NULL when unset. */
static gboolean
file_text(const cd_config *cfg, const char *key, gboolean required, char **out, GError **error)
{
	*out = NULL;
	char *name = str(cfg->keyfile, key, NULL);
	if (name == NULL)
		return TRUE;
	char *path = cd_config_resolve(cfg, name);
	char *text = NULL;
	GError *e = NULL;
	gboolean ok = g_file_get_contents(path, &text, NULL, &e);
	if (!ok && !required) {
		/* only the transport that needs it makes this an error (a Twilio webhook is refused without it) */
		g_debug("%s: [sms] %s: %s", cfg->path, key, e->message);
		g_error_free(e);
		ok = TRUE;
	} else if (!ok) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [sms] %s: %s", cfg->path, key, e->message);
		g_error_free(e);
	} else {
		*out = g_strdup(g_strstrip(text));
		sodium_memzero(text, strlen(text));
	}
	g_free(text);
	g_free(path);
	g_free(name);
	return ok;
}

gboolean
cd_sms_settings_load(const cd_config *cfg, cd_sms_settings *out, GError **error)
{
	memset(out, 0, sizeof *out);
	GKeyFile *kf = cfg->keyfile;
	char *provider = str(kf, "provider", NULL);
	if (provider == NULL)
		provider = str(kf, "transport", NULL);
	gboolean ok = TRUE;
	if (provider == NULL || strcmp(provider, "none") == 0)
		out->transport = CD_SMS_NONE;
	else if (strcmp(provider, "kannel") == 0)
		out->transport = CD_SMS_KANNEL;
	else if (strcmp(provider, "twilio") == 0)
		out->transport = CD_SMS_TWILIO;
	else if (strcmp(provider, "spool") == 0)
		out->transport = CD_SMS_SPOOL;
	else {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [sms] provider: expected kannel, twilio or spool, got '%s'",
		            cfg->path, provider);
		ok = FALSE;
	}
	g_free(provider);
	out->url = str(kf, "url", out->transport == CD_SMS_TWILIO ? "https://api.twilio.com" : NULL);
	out->username = str(kf, "username", NULL);
	out->from = str(kf, "from", NULL);
	out->default_country = str(kf, "default_country", "DE");
	out->account_sid = str(kf, "account_sid", NULL);
	out->inbound_token = str(kf, "inbound_token", NULL);
	char *spool = str(kf, "spool_dir", NULL);
	if (spool)
		out->spool_dir = cd_config_resolve(cfg, spool);
	g_free(spool);
	char *prios = str(kf, "agent_priorities", "urgent high");
	out->agent_priorities = g_regex_split_simple("[\\s,]+", prios, 0, 0);
	g_free(prios);
	ok = ok && num(cfg, "max_segments", 3, 1, &out->max_segments, error) &&
	     num(cfg, "per_number_hourly", 5, 0, &out->per_number_hourly, error) &&
	     num(cfg, "per_number_daily", 20, 0, &out->per_number_daily, error) &&
	     num(cfg, "join_window_hours", 72, 0, &out->join_window_hours, error) &&
	     file_text(cfg, "password_file", TRUE, &out->password, error) &&
	     file_text(cfg, "auth_token_file", out->transport == CD_SMS_TWILIO, &out->auth_token, error);
	if (ok && out->transport == CD_SMS_KANNEL && out->url == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [sms] provider = kannel needs url (the sendsms URL)",
		            cfg->path);
		ok = FALSE;
	}
	if (ok && out->transport == CD_SMS_SPOOL && out->spool_dir == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [sms] provider = spool needs spool_dir", cfg->path);
		ok = FALSE;
	}
	if (ok && out->transport == CD_SMS_TWILIO && (out->account_sid == NULL || out->auth_token == NULL)) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [sms] provider = twilio needs account_sid and auth_token_file",
		            cfg->path);
		ok = FALSE;
	}
	if (!ok)
		cd_sms_settings_clear(out);
	return ok;
}

void
cd_sms_settings_clear(cd_sms_settings *s)
{
	g_free(s->url);
	g_free(s->username);
	if (s->password)
		sodium_memzero(s->password, strlen(s->password));
	g_free(s->password);
	g_free(s->from);
	g_free(s->default_country);
	g_free(s->spool_dir);
	g_free(s->account_sid);
	if (s->auth_token)
		sodium_memzero(s->auth_token, strlen(s->auth_token));
	g_free(s->auth_token);
	g_free(s->inbound_token);
	g_strfreev(s->agent_priorities);
	memset(s, 0, sizeof *s);
}

char *
cd_sms_default_country(const cd_config *cfg)
{
	char *c = cfg ? str(cfg->keyfile, "default_country", NULL) : NULL;
	return c ? c : g_strdup("DE");
}

char *
cd_sms_normalize_number(const cd_config *cfg, const char *text)
{
	if (text == NULL)
		return NULL;
	char *country = cd_sms_default_country(cfg);
	char *n = cd_phone_normalize(text, country);
	g_free(country);
	return n;
}
