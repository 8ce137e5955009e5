/* deliver_sms.h - outbound SMS for `caredesk-mailgw deliver`: an outbox row of channel sms handed
 * to the configured transport ([sms] provider): Kannel's sendsms over HTTP (libcurl; UCS-2 coding
 * when the text is not GSM-7; a dlr-url back to caredesk-web carrying the row and a MAC), a
 * Twilio-style REST call (form POST with basic auth; the MessageSid kept for status callbacks), or
 * a file in an smstools outgoing spool folder. */
#ifndef MAILGW_DELIVER_SMS_H
#define MAILGW_DELIVER_SMS_H

#include "engine.h"
#include "outbox.h"

typedef struct mailgw_sms mailgw_sms;

/* mailgw_sms_new - NULL without error when no transport is configured; NULL with error when the
 * [sms] settings are wrong. */
mailgw_sms *mailgw_sms_new(engine_ctx *e, GError **error);
void mailgw_sms_free(mailgw_sms *s);

/* mailgw_sms_send - one attempt; *detail says what happened, *provider_ref (may stay NULL) is the
 * provider's id of the message. */
cd_send_result mailgw_sms_send(mailgw_sms *s, const cd_outbox_row *r, char **detail, char **provider_ref);

#endif
