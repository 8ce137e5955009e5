/* smsconf.c - the [sms] settings (see smsconf.h). */
#include "smsconf.h"
#include "phone.h"
#include "result.h"

#include <sodium.h>
#include <string.h>

/* secret_file - cd_config_file_text; a file that cannot be read is an error only when required
 * (the transport that needs it); otherwise the value stays NULL (a Twilio webhook is refused). */
static gboolean
secret_file(const cd_config *cfg, const char *key, gboolean required, char **out, GError **error)
{
	GError *e = NULL;
	if (cd_config_file_text(cfg, "sms", key, out, &e))
		return TRUE;
	if (required) {
		g_propagate_error(error, e);
		return FALSE;
	}
	g_debug("%s", e->message);
	g_error_free(e);
	return TRUE;
}

gboolean
cd_sms_settings_load(const cd_config *cfg, cd_sms_settings *out, GError **error)
{
	memset(out, 0, sizeof *out);
	char *provider = cd_config_str(cfg, "sms", "provider", NULL);
	if (provider == NULL)
		provider = cd_config_str(cfg, "sms", "transport", NULL);
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
	out->url = cd_config_str(cfg, "sms", "url", out->transport == CD_SMS_TWILIO ? "https://api.twilio.com" : NULL);
	out->username = cd_config_str(cfg, "sms", "username", NULL);
	out->from = cd_config_str(cfg, "sms", "from", NULL);
	out->default_country = cd_config_str(cfg, "sms", "default_country", "DE");
	out->account_sid = cd_config_str(cfg, "sms", "account_sid", NULL);
	out->inbound_token = cd_config_str(cfg, "sms", "inbound_token", NULL);
	char *spool = cd_config_str(cfg, "sms", "spool_dir", NULL);
	if (spool)
		out->spool_dir = cd_config_resolve(cfg, spool);
	g_free(spool);
	char *prios = cd_config_str(cfg, "sms", "agent_priorities", "urgent high");
	out->agent_priorities = g_regex_split_simple("[\\s,]+", prios, 0, 0);
	g_free(prios);
	ok = ok && cd_config_int(cfg, "sms", "max_segments", 3, 1, &out->max_segments, error) &&
	     cd_config_int(cfg, "sms", "per_number_hourly", 5, 0, &out->per_number_hourly, error) &&
	     cd_config_int(cfg, "sms", "per_number_daily", 20, 0, &out->per_number_daily, error) &&
	     cd_config_int(cfg, "sms", "join_window_hours", 72, 0, &out->join_window_hours, error) &&
	     secret_file(cfg, "password_file", TRUE, &out->password, error) &&
	     secret_file(cfg, "auth_token_file", out->transport == CD_SMS_TWILIO, &out->auth_token, error);
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
	char *c = cfg ? cd_config_str(cfg, "sms", "default_country", NULL) : NULL;
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
