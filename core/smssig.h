/* smssig.h - what the SMS webhooks need to trust and read a request: form and query decoding
 * (application/x-www-form-urlencoded), the Twilio request signature (X-Twilio-Signature: base64
 * of HMAC-SHA1, keyed with the auth token, over the full URL followed by every POST parameter's
 * name and value, sorted by name), and the MAC that makes our Kannel dlr-url unforgeable. */
#ifndef CD_SMSSIG_H
#define CD_SMSSIG_H

#include "secret.h"

#include <glib.h>

typedef struct {
	char *name, *value;
} cd_form_param;

/* cd_form_parse - name=value pairs of a query string or form body ('+' is a blank, %XX a byte;
 * invalid UTF-8 is kept as bytes), in order. GPtrArray of cd_form_param*, owned. */
GPtrArray *cd_form_parse(const char *text, gssize len);

/* cd_form_get - the first value of name, or NULL. */
const char *cd_form_get(GPtrArray *params, const char *name);

/* cd_twilio_signature - the expected X-Twilio-Signature (newly allocated). */
char *cd_twilio_signature(const char *auth_token, const char *url, GPtrArray *params);

/* cd_twilio_verify - whether signature is the one for url and params (constant-time compare). */
gboolean cd_twilio_verify(const char *auth_token, const char *url, GPtrArray *params, const char *signature);

/* cd_dlr_mac - the token of our dlr-url for outbox row row_id. */
void cd_dlr_mac(const cd_secret *s, gint64 row_id, char out[CD_TOKEN_CHARS + 1]);

#endif
