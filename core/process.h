/* process.h - running the pipeline over raw messages that are stored but not yet processed
 * (deferred pipe mode, crash recovery, reprocessing), batch by batch, one transaction each.
 *
 * Crash safety: before a batch, its raw ids go to a small in-flight file beside the database.
 * If the process dies inside the batch, the next run finds the file, counts an attempt on
 * those rows and retries them one at a time; a row that failed twice is taken in without
 * parsing (raw bytes as text, flagged unparsed), so one poison message never blocks the queue. */
#ifndef CD_PROCESS_H
#define CD_PROCESS_H

#include "ingest.h"
#include "mime.h"

typedef struct {
	guint processed;   /* raw rows taken through the pipeline */
	guint tickets;     /* new tickets */
	guint duplicates;
	guint fallbacks;   /* taken in unparsed after a failure */
	guint failed;      /* could not be taken in at all (state failed) */
	guint dropped;     /* dropped by a rule */
	guint rejected;    /* rejected by a rule */
	char *reject_text; /* the last rejection's text (for the MTA, in sync pipe mode); g_free it */
} cd_process_stats;

void cd_mime_options_from_config(cd_mime_options *opt, const cd_config *cfg);

/* cd_process_pending - process pending raw rows (only_raw_id: just that one) until none are left. */
gboolean cd_process_pending(cd_ingest_ctx *ctx, gint64 only_raw_id, cd_process_stats *stats, GError **error);

/* cd_process_parsed - the pipeline for a parsed message inside the caller's transaction, with the
 * fallback to an unparsed ticket when the pipeline fails for a non-transient reason. */
gboolean cd_process_parsed(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, GBytes *raw, const cd_envelope *env,
                           cd_process_stats *stats, GError **error);

#endif
