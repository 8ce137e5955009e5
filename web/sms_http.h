/* sms_http.h - the SMS provider webhooks of caredesk-web:
 *   GET  /sms/kannel          Kannel sms-service get-url (from, to, text, id, time; token when
 *                             [sms] inbound_token is set)
 *   POST /sms/twilio          a Twilio-style message webhook, X-Twilio-Signature checked
 *   GET  /sms/dlr             Kannel delivery reports for our outbox rows (row, status, mac)
 *   POST /sms/twilio/status   Twilio-style status callbacks, signed
 * Each answers 200 only after the message or report is committed, 5xx on a transient failure (the
 * gateway retries; a retried message is a no-op), 403 (with an audit row) when not authentic. */
#ifndef WEB_SMS_HTTP_H
#define WEB_SMS_HTTP_H

#include "config.h"

#include "app.h"

/* web_sms_register - add the SMS handlers to ctx; they share a's connection, secret and outbox
 * (under app_lock). Exits on a configuration error. */
void web_sms_register(struct mg_context *ctx, web_app *a);

#endif
