/* webconf.h - the [web] settings of caredesk.conf that accounts, login abuse blocking and the web
 * server read (listen and base_url stay in config.h), with their defaults:
 *
 *   [web]
 *   activation = link               # how a new web account activates: link (mailed link), email
 *                                   # (code by mail), sms (code by SMS; needs a phone), admin (approval)
 *   session_idle_minutes = 120      # a session unused this long ends
 *   session_max_hours = 168         # and every session ends after this long
 *   reset_minutes = 60              # a password reset link is valid this long (single use)
 *   min_password_length = 10
 *   login_ip_free_failures = 5      # failed logins from one IP before it must wait between tries
 *   login_ip_first_delay_seconds = 2  # the first wait
 *   login_ip_max_delay_seconds = 300  # the wait doubles with each further failure up to this
 *   login_account_max_failures = 10 # failed logins for one address before it is locked
 *   login_lockout_seconds = 900     # how long the lock lasts
 *   login_failure_window_seconds = 3600  # failures older than this are forgotten
 *   tls_proxy = false               # behind a TLS-terminating proxy: Secure cookies, HSTS, and plain
 *                                   # HTTP (X-Forwarded-Proto not https) redirected to base_url
 *   trusted_proxies =               # CIDRs whose X-Forwarded-For names the client (comma-separated)
 *   threads = 8
 *
 *   [web.activation]                # per customer group: GROUP = link | email | sms | admin
 *   [web.groups]                    # new registrations by mail domain: example.com = business
 */
#ifndef CD_WEBCONF_H
#define CD_WEBCONF_H

#include "config.h"

typedef struct {
	char *activation;
	gint session_idle_minutes;
	gint session_max_hours;
	gint reset_minutes;
	gint min_password_length;
	gint ip_free_failures;
	gint ip_first_delay_seconds;
	gint ip_max_delay_seconds;
	gint account_max_failures;
	gint lockout_seconds;
	gint failure_window_seconds;
	gboolean tls_proxy;
	char **trusted_proxies;   /* NULL-terminated, may be empty */
	gint threads;
} cd_web_settings;

/* cd_web_settings_load - defaults overridden by cfg (NULL: defaults); CD_ERROR_CONFIG for a bad value. */
gboolean cd_web_settings_load(const cd_config *cfg, cd_web_settings *out, GError **error);
void cd_web_settings_clear(cd_web_settings *s);

/* cd_web_activation_policy - the policy of a customer group (NULL: none): [web.activation] GROUP,
 * else [web] activation. */
const char *cd_web_activation_policy(const cd_config *cfg, const cd_web_settings *s, const char *group);
/* cd_web_group_for_email - the group [web.groups] gives the address's domain (or a parent), or NULL. */
char *cd_web_group_for_email(const cd_config *cfg, const char *email);
/* cd_web_policy_valid - link, email, sms or admin. */
gboolean cd_web_policy_valid(const char *policy);

#endif
