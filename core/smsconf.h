/* smsconf.h - the [sms] section of caredesk.conf, with defaults: which transport sends (Kannel,
 * a Twilio-style REST API, or an smstools spool folder), the default country for phone numbers,
 * the segment cap, per-number limits and how long a text joins the sender's open ticket. */
#ifndef CD_SMSCONF_H
#define CD_SMSCONF_H

#include "config.h"

typedef enum {
	CD_SMS_NONE,     /* no transport: SMS rows wait in the outbox */
	CD_SMS_KANNEL,
	CD_SMS_TWILIO,
	CD_SMS_SPOOL,
} cd_sms_transport;

typedef struct {
	cd_sms_transport transport; /* provider = kannel | twilio | spool (transport is an alias) */
	char *url;                  /* kannel: the sendsms URL (may carry username= and password=);
	                             * twilio: the API base URL (default https://api.twilio.com) */
	char *username, *password;  /* kannel sendsms user (password from password_file) */
	char *from;                 /* our number or short code */
	char *default_country;      /* ISO region for national numbers (default DE) */
	gint64 max_segments;        /* segment cap of one outbound SMS (default 3) */
	gint64 per_number_hourly;   /* SMS to one number per hour (default 5) */
	gint64 per_number_daily;    /* and per 24 hours (default 20) */
	gint64 join_window_hours;   /* a text joins the sender's open ticket updated this recently (default 72) */
	char *spool_dir;            /* spool: the smstools outgoing folder (absolute) */
	char *account_sid;          /* twilio */
	char *auth_token;           /* twilio: from auth_token_file; also signs inbound webhooks */
	char *inbound_token;        /* kannel get-url: when set, the token= parameter must match */
	char **agent_priorities;    /* priorities whose new tickets are texted to agents (default urgent high) */
} cd_sms_settings;

/* cd_sms_default_country - [sms] default_country (default DE), newly allocated: the region of
 * numbers written nationally (phone.h). */
char *cd_sms_default_country(const cd_config *cfg);

/* cd_sms_normalize_number - text as E.164 in the configured default country (else its digits, see
 * cd_phone_normalize); NULL for NULL or no digits. */
char *cd_sms_normalize_number(const cd_config *cfg, const char *text);

gboolean cd_sms_settings_load(const cd_config *cfg, cd_sms_settings *out, GError **error);
void cd_sms_settings_clear(cd_sms_settings *s);

#endif
