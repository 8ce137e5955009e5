/* webconf.c - the [web] settings (see webconf.h). */
#include "webconf.h"
#include "result.h"

#include <string.h>

static gboolean
get_int(const cd_config *cfg, const char *key, gint min, gint *out, GError **error)
{
	if (cfg == NULL || cfg->keyfile == NULL || !g_key_file_has_key(cfg->keyfile, "web", key, NULL))
		return TRUE;
	GError *e = NULL;
	gint v = g_key_file_get_integer(cfg->keyfile, "web", key, &e);
	if (e != NULL || v < min) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [web] %s: expected an integer >= %d",
		            cfg->path ? cfg->path : "config", key, min);
		g_clear_error(&e);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

gboolean
cd_web_policy_valid(const char *p)
{
	return p && (strcmp(p, "link") == 0 || strcmp(p, "email") == 0 || strcmp(p, "sms") == 0 ||
	             strcmp(p, "admin") == 0);
}

gboolean
cd_web_settings_load(const cd_config *cfg, cd_web_settings *out, GError **error)
{
	memset(out, 0, sizeof *out);
	out->session_idle_minutes = 120;
	out->session_max_hours = 168;
	out->reset_minutes = 60;
	out->min_password_length = 10;
	out->ip_free_failures = 5;
	out->ip_first_delay_seconds = 2;
	out->ip_max_delay_seconds = 300;
	out->account_max_failures = 10;
	out->lockout_seconds = 900;
	out->failure_window_seconds = 3600;
	out->threads = 8;
	GKeyFile *kf = cfg ? cfg->keyfile : NULL;
	char *act = kf ? g_key_file_get_string(kf, "web", "activation", NULL) : NULL;
	out->activation = act ? g_strstrip(act) : g_strdup("link");
	char *proxies = kf ? g_key_file_get_string(kf, "web", "trusted_proxies", NULL) : NULL;
	out->trusted_proxies = g_strsplit_set(proxies ? proxies : "", ", ", -1);
	g_free(proxies);
	/* drop empty parts */
	guint j = 0;
	for (guint i = 0; out->trusted_proxies[i]; i++) {
		if (*out->trusted_proxies[i])
			out->trusted_proxies[j++] = out->trusted_proxies[i];
		else
			g_free(out->trusted_proxies[i]);
	}
	out->trusted_proxies[j] = NULL;
	const char *path = cfg && cfg->path ? cfg->path : "config";
	if (!cd_web_policy_valid(out->activation)) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [web] activation: expected link, email, sms or admin",
		            path);
		return FALSE;
	}
	if (kf && g_key_file_has_key(kf, "web", "tls_proxy", NULL)) {
		GError *e = NULL;
		out->tls_proxy = g_key_file_get_boolean(kf, "web", "tls_proxy", &e);
		if (e) {
			g_error_free(e);
			g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [web] tls_proxy: expected true or false", path);
			return FALSE;
		}
	}
	return get_int(cfg, "session_idle_minutes", 1, &out->session_idle_minutes, error) &&
	       get_int(cfg, "session_max_hours", 1, &out->session_max_hours, error) &&
	       get_int(cfg, "reset_minutes", 1, &out->reset_minutes, error) &&
	       get_int(cfg, "min_password_length", 8, &out->min_password_length, error) &&
	       get_int(cfg, "login_ip_free_failures", 1, &out->ip_free_failures, error) &&
	       get_int(cfg, "login_ip_first_delay_seconds", 1, &out->ip_first_delay_seconds, error) &&
	       get_int(cfg, "login_ip_max_delay_seconds", 1, &out->ip_max_delay_seconds, error) &&
	       get_int(cfg, "login_account_max_failures", 1, &out->account_max_failures, error) &&
	       get_int(cfg, "login_lockout_seconds", 1, &out->lockout_seconds, error) &&
	       get_int(cfg, "login_failure_window_seconds", 1, &out->failure_window_seconds, error) &&
	       get_int(cfg, "threads", 1, &out->threads, error);
}

void
cd_web_settings_clear(cd_web_settings *s)
{
	g_free(s->activation);
	g_strfreev(s->trusted_proxies);
	memset(s, 0, sizeof *s);
}

const char *
cd_web_activation_policy(const cd_config *cfg, const cd_web_settings *s, const char *group)
{
	if (group && cfg && cfg->keyfile) {
		char *p = g_key_file_get_string(cfg->keyfile, "web.activation", group, NULL);
		if (p && cd_web_policy_valid(g_strstrip(p))) {
			const char *r = g_intern_string(p);
			g_free(p);
			return r;  /* interned: outlives this call */
		}
		g_free(p);
	}
	return s->activation;
}

char *
cd_web_group_for_email(const cd_config *cfg, const char *email)
{
	const char *at = email ? strrchr(email, '@') : NULL;
	if (at == NULL || cfg == NULL || cfg->keyfile == NULL)
		return NULL;
	for (const char *d = at + 1; d && *d; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL) {
		char *g = g_key_file_get_string(cfg->keyfile, "web.groups", d, NULL);
		if (g)
			return g_strstrip(g);
	}
	return NULL;
}
