/* fetch.h - taking in messages from a batch source (Maildir, IMAP, POP3).
 *
 * Items are parsed on worker threads and taken in by one writer in input order: the raw bytes
 * are stored (once, by SHA-256) and the pipeline runs over them, many per transaction. Only after
 * a COMMIT is the source told which items that transaction held, so that it can remove them: a
 * crash at any instant leaves each message committed or still at the source, and taking in a
 * committed one again is a no-op. */
#ifndef MAILGW_FETCH_H
#define MAILGW_FETCH_H

#include "engine.h"
#include "parsepool.h"
#include "process.h"

typedef struct {
	guint items;       /* offered */
	guint stored;      /* taken in for the first time */
	guint already;     /* taken in before (a re-delivery, or a run that died before removing it) */
	guint skipped;     /* could not be loaded now: left at the source */
	cd_process_stats process;
} fetch_stats;

typedef struct {
	const char *source;      /* raw_deliveries.source: "maildir", "imap", "pop3" */
	const char *recipient;   /* the mailbox taken from (no password), or NULL */
	const char *queue;       /* queue for new tickets, or NULL */
	guint batch;             /* items per transaction */
	cd_parse_load_fn load;   /* the bytes of an item (runs on a worker thread) */
	/* ref - raw_deliveries.source_ref of an item (file name, UID, UIDL) */
	const char *(*ref)(gpointer item);
	/* before_commit - optional: more writes inside the transaction, after its items */
	gboolean (*before_commit)(engine_ctx *e, GPtrArray *items, gpointer user, GError **error);
	/* committed - the items of a transaction that has just committed (stored or seen before) */
	void (*committed)(GPtrArray *items, gpointer user);
	gpointer user;
} fetch_source;

/* fetch_take_in - take in every item, committing every src->batch items. FALSE (with error) when a
 * transaction failed: it was rolled back and its items were not reported as committed. */
gboolean fetch_take_in(engine_ctx *e, GPtrArray *items, const fetch_source *src, fetch_stats *st, GError **error);

/* fetch_stats_clear - free what the stats own and zero them. */
void fetch_stats_clear(fetch_stats *st);

#endif
