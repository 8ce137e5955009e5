/* smskw.h - what an inbound SMS asks for, read from its keywords (DESIGN section 7), case-
 * insensitively and in the languages caredesk ships (en, de, fr, es):
 *   STOP / START / HELP (a message that is only that word, trailing punctuation allowed),
 *   STATUS <ref>        (T-000123, T123, RMA-000045, RMA45),
 *   RMA <order> <reason>,
 *   an activation code  (six digits, "123 456" or "123-456", optionally after "code").
 * Anything else is KW_NONE: text for a ticket. RMAs and activation codes are also what the filter
 * rules (filters/10-activation.rules, 20-rma.rules) act on; this parser lets ingestion and
 * `caredesk filters test --sms` name them. Pure: no database. */
#ifndef CD_SMSKW_H
#define CD_SMSKW_H

#include <glib.h>

typedef enum {
	CD_SMSKW_NONE,
	CD_SMSKW_STOP,
	CD_SMSKW_START,
	CD_SMSKW_HELP,
	CD_SMSKW_STATUS,
	CD_SMSKW_RMA,
	CD_SMSKW_CODE,
} cd_smskw_kind;

typedef struct {
	cd_smskw_kind kind;
	const char *lang;     /* the language of the keyword ("en", "de", "fr", "es"), NULL when none */
	char *arg;            /* STATUS: the ref as written; RMA: the order; CODE: the six digits */
	char *reason;         /* RMA: the rest of the text, may be NULL */
	gint64 ticket_id;     /* STATUS T-...: the ticket */
	gint64 rma_id;        /* STATUS RMA-...: the RMA */
} cd_smskw;

/* cd_smskw_parse - text is UTF-8 (any bytes are tolerated). out is to be cleared with cd_smskw_clear. */
void cd_smskw_parse(const char *text, cd_smskw *out);
void cd_smskw_clear(cd_smskw *kw);
const char *cd_smskw_name(cd_smskw_kind kind);

#endif
