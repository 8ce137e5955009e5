/* rawstore.h - the first and only durable step every inbound message takes before it is
 * acknowledged: its bytes, once (by SHA-256), and a row for each arrival. Also the lock that
 * lets exactly one process at a time run the pipeline over pending raw messages.
 *
 * This module needs only SQLite and GLib, so the MTA pipe can link it without GMime. */
#ifndef CD_RAWSTORE_H
#define CD_RAWSTORE_H

#include "store.h"

typedef struct {
	const char *channel;       /* "email" (default) or "sms" */
	const char *source;        /* "pipe", "maildir", "imap", "pop3", "sms-spool", ... */
	const char *recipient;     /* envelope recipient or mailbox; NULL when unknown */
	const char *source_ref;    /* file name, UID, provider id */
	const char *envelope_from;
	const char *queue;         /* --queue given by the MTA */
} cd_raw_origin;

typedef enum {
	CD_RAW_NEW,        /* bytes never seen: stored, pending */
	CD_RAW_PENDING,    /* seen before, not processed yet */
	CD_RAW_SEEN,       /* seen and processed before: this arrival is a no-op */
} cd_raw_status;

/* cd_raw_store - inside a transaction: store the bytes unless already there, record the arrival. */
gboolean cd_raw_store(cd_store *store, const void *bytes, gsize len, const char sha256[65],
                      const cd_raw_origin *origin, gint64 *raw_id, cd_raw_status *status, GError **error);

gint64 cd_raw_pending_count(cd_store *store);

/* The pipeline lock: a file beside the database. flock(2), so it dies with its holder and
 * survives exec(2) when the descriptor is inherited. */
int cd_proclock_open(const char *db_path, GError **error);
gboolean cd_proclock_try(int fd);
void cd_proclock_wait(int fd);
void cd_proclock_release(int fd);

#endif
