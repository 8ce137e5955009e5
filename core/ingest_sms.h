/* ingest_sms.h - one inbound SMS, whichever way it came (Kannel get-url, a Twilio-style webhook,
 * an smstools or gammu spool file): stored raw (channel sms), then processed in the same
 * transaction, the way DESIGN section 2 takes a mail:
 *   - the number normalised to E.164 ([sms] default_country), the sender found by it;
 *   - STOP / START / HELP first (smskw.h): an opted-out number gets nothing but the STOP
 *     confirmation (the outbox cancels every other SMS to it);
 *   - STATUS <ref> answered by SMS when the ticket or RMA is the sender's;
 *   - an agent's SMS answers the ticket of the last urgent/high notification texted to them;
 *   - anything else goes through the filter rules (channel sms: activation codes, RMA <order>
 *     <reason>) and joins the sender's latest open ticket updated within [sms] join_window_hours,
 *     else opens one; a new ticket is acknowledged by SMS (ticket_ack, or the rules' sms kinds).
 * A text that cannot be processed (not a transient failure) is kept raw as 'failed' with an audit
 * row, never lost. */
#ifndef CD_INGEST_SMS_H
#define CD_INGEST_SMS_H

#include "ingest.h"

typedef struct {
	const char *from;         /* the sender's number as the gateway gave it */
	const char *to;           /* our number */
	const char *text;         /* the whole text (concatenated parts joined), UTF-8 */
	const char *source;       /* kannel, twilio, sms-spool */
	const char *provider_id;  /* the gateway's id of the message: a re-delivery is a no-op */
	const char *sent_at;      /* the gateway's time of the message, as text; may be NULL */
} cd_sms_in;

typedef struct {
	gint64 raw_id, ticket_id, message_id;
	gboolean duplicate;
	const char *what;         /* "new ticket", "reply", "stop", "start", "help", "status", "agent reply", ... */
} cd_sms_outcome;

/* cd_sms_ingest - inside the caller's transaction. FALSE only when the transaction must be rolled
 * back (a transient error: the gateway must retry). */
gboolean cd_sms_ingest(cd_ingest_ctx *ctx, const cd_sms_in *in, cd_sms_outcome *out, GError **error);

/* cd_sms_take_in - cd_sms_ingest in its own transaction (BEGIN IMMEDIATE .. COMMIT). TRUE means
 * committed: only then may the gateway be told 200 or the spool file be removed. */
gboolean cd_sms_take_in(cd_ingest_ctx *ctx, const cd_sms_in *in, cd_sms_outcome *out, GError **error);

/* cd_sms_raw_message - the message an SMS raw row holds (what cd_sms_ingest stored), as the rules
 * see it: from the sender's number (normalised with cfg), the text. For `caredesk reprocess`. */
cd_message *cd_sms_raw_message(const cd_config *cfg, const void *bytes, gsize len);

#endif
