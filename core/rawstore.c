/* rawstore.c - raw message store and the pipeline lock (see rawstore.h). */
#include "rawstore.h"
#include "result.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

gboolean
cd_raw_store(cd_store *store, const void *bytes, gsize len, const char sha256[65], const cd_raw_origin *origin,
             gint64 *raw_id, cd_raw_status *status, GError **error)
{
	gint64 now = cd_now();
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT id, state FROM raw_messages WHERE sha256 = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, sha256, 64, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (row) {
		*raw_id = sqlite3_column_int64(st, 0);
		*status = g_strcmp0(cd_col_text(st, 1), "pending") == 0 ? CD_RAW_PENDING : CD_RAW_SEEN;
		sqlite3_reset(st);
	} else {
		sqlite3_reset(st);
		st = cd_store_stmt(store,
		                   "INSERT INTO raw_messages(sha256, size, channel, source, envelope_from, queue, "
		                   "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		                   error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_text(st, 1, sha256, 64, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)len);
		sqlite3_bind_text(st, 3, origin->channel ? origin->channel : "email", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, origin->source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, origin->envelope_from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, origin->queue, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, now);
		if (!cd_store_run(store, st, error))
			return FALSE;
		*raw_id = cd_store_last_id(store);
		st = cd_store_stmt(store, "INSERT INTO raw_bodies(raw_id, bytes) VALUES (?, ?)", error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, *raw_id);
		sqlite3_bind_blob64(st, 2, bytes, len, SQLITE_STATIC);
		if (!cd_store_run(store, st, error))
			return FALSE;
		*status = CD_RAW_NEW;
	}
	st = cd_store_stmt(store,
	                   "INSERT INTO raw_deliveries(raw_id, source, recipient, source_ref, received_at) "
	                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
	                   error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, *raw_id);
	sqlite3_bind_text(st, 2, origin->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, origin->recipient ? origin->recipient : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, origin->source_ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	return cd_store_run(store, st, error);
}

gint64
cd_raw_pending_count(cd_store *store)
{
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT count(*) FROM raw_messages WHERE state = 'pending'", NULL);
	if (st == NULL)
		return -1;
	gint64 n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
cd_proclock_open(const char *db_path, GError **error)
{
	char *path = g_strconcat(db_path, "-process.lock", NULL);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (fd < 0)
		cd_set_error_errno(error, errno, "cannot open lock", path);
	g_free(path);
	return fd;
}

gboolean
cd_proclock_try(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EINTR)
			return FALSE;
	}
	return TRUE;
}

void
cd_proclock_wait(int fd)
{
	while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
		;
}

void
cd_proclock_release(int fd)
{
	flock(fd, LOCK_UN);
}
