/* ingest.h - the pipeline for one parsed message, inside the caller's transaction:
 * duplicate check, classification, sender, threading, ticket and message rows, state
 * transitions, audit; then the raw row is marked done.
 *
 * Callers: the pending-queue processor (deferred pipe mode, batch sources) and the Maildir
 * drain. Failures come back classified (result.h); nothing here acknowledges a source. */
#ifndef CD_INGEST_H
#define CD_INGEST_H

#include "config.h"
#include "customer.h"
#include "message.h"
#include "result.h"
#include "rules.h"
#include "secret.h"
#include "store.h"

typedef struct {
	cd_store *store;
	const cd_config *cfg;
	const cd_secret *secret;
	cd_ruleset *rules;          /* NULL: no filter rules */
} cd_ingest_ctx;

typedef struct {
	const char *channel;        /* email */
	const char *envelope_from;  /* NULL unknown, "" null return path */
	const char *queue;          /* NULL: default queue */
	GPtrArray *recipients;      /* char*: normalised envelope recipients, may be NULL */
} cd_envelope;

typedef struct {
	gint64 ticket_id;      /* 0 when no ticket (duplicate, unmatched bounce) */
	gint64 message_id;
	gboolean new_ticket;
	gboolean duplicate;
	const char *what;      /* "new ticket", "reply", "follow-up", "duplicate", "bounce", "dropped", ... */
	char *reject;          /* set (and CD_ERROR_REJECT returned) when a rule rejected the message */
} cd_ingest_outcome;

void cd_ingest_outcome_clear(cd_ingest_outcome *out);

gboolean cd_ingest_message(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, const cd_envelope *env,
                           cd_ingest_outcome *out, GError **error);

/* cd_ingest_evaluate_rules - the filter rules on m as its sender is known now (channel "email" or
 * "sms"); pattern limits hit are logged and noted on m. Shared with SMS ingestion (ingest_sms.c). */
gboolean cd_ingest_evaluate_rules(cd_ingest_ctx *ctx, cd_message *m, const char *channel, const cd_sender *sender,
                                  cd_rule_decision *dec, GError **error);

/* cd_ingest_apply_decision - the rules' decision on the ticket; what it did goes to m's notes. */
gboolean cd_ingest_apply_decision(cd_ingest_ctx *ctx, const cd_rule_decision *dec, gint64 ticket_id, gboolean new_ticket,
                                  gint64 customer_id, cd_message *m, GError **error);

/* cd_ingest_mark_raw - set the state of a raw row after the pipeline ran (done, duplicate, failed, ...). */
gboolean cd_ingest_mark_raw(cd_store *store, gint64 raw_id, const char *state, gint64 message_id, const char *error_text,
                            GError **error);

#endif
