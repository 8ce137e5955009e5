/* loginguard.h - login abuse blocking: failure counters per account (the address tried, whether
 * an account exists or not, so the answers cannot tell them apart) and per client IP.
 *
 * An IP may fail login_ip_free_failures times; after that each failure makes it wait before its
 * next try, login_ip_first_delay_seconds (2 s) doubling up to login_ip_max_delay_seconds. An address failing
 * login_account_max_failures times is locked for login_lockout_seconds: the right password is
 * refused too until then. Failures older than login_failure_window_seconds are forgotten. A
 * success clears the address's counter and the IP's. Every failure writes an audit row
 * (entity customer, or agent for the admin pages; action login_failed, the IP and why in the note). */
#ifndef CD_LOGINGUARD_H
#define CD_LOGINGUARD_H

#include "store.h"
#include "webconf.h"

typedef enum {
	CD_LOGIN_ALLOWED,
	CD_LOGIN_IP_WAIT,        /* the IP must wait *wait seconds */
	CD_LOGIN_LOCKED,         /* the address is locked for *wait more seconds */
} cd_login_gate;

/* cd_login_gate_check - whether a login attempt for account (a normalised address) from ip may be
 * checked at all. Refused attempts count no failure. */
gboolean cd_login_gate_check(cd_store *store, const cd_web_settings *s, const char *account, const char *ip,
                             cd_login_gate *gate, gint64 *wait, GError **error);

/* cd_login_failed - count a failure (customer_id 0 for an unknown address) and audit it with why. */
gboolean cd_login_failed(cd_store *store, const cd_web_settings *s, const char *account, const char *ip,
                         gint64 customer_id, const char *why, GError **error);

/* cd_agent_login_failed - the same for the admin pages' login: account is "agent:LOGIN", the audit
 * row's entity is the agent (agent_id 0 for an unknown login). */
gboolean cd_agent_login_failed(cd_store *store, const cd_web_settings *s, const char *account, const char *ip,
                               gint64 agent_id, const char *why, GError **error);

/* cd_login_succeeded - forget the failures of account and ip. */
gboolean cd_login_succeeded(cd_store *store, const char *account, const char *ip, GError **error);

#endif
