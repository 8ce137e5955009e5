/* store.c - SQLite connection, pragmas, migrations, cached statements (see store.h). */
#include "store.h"
#include "result.h"
#include "schema.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct cd_store {
	sqlite3 *db;
	char *path;
	GHashTable *stmts; /* sql text -> sqlite3_stmt* */
	gint64 busy_timeout_us;
	gint64 busy_since;  /* monotonic time of this wait's first retry */
};

/* busy_wait - SQLite's own busy handler sleeps 1, 2, 5, 10, ... 100 ms between tries, so a writer
 * that waited on a 5 ms transaction often sleeps 10 ms more. Ours tries again after 100 µs,
 * doubling to at most 2 ms, until busy_timeout has passed: an MTA pipe waiting on the processor
 * gets the lock soon after it is free. */
static int
busy_wait(void *data, int count)
{
	cd_store *store = data;
	gint64 now = g_get_monotonic_time();
	if (count == 0)
		store->busy_since = now;
	if (now - store->busy_since >= store->busy_timeout_us)
		return 0;
	gint64 pause = MIN((gint64)100 << MIN(count, 5), 2000);
	g_usleep((gulong)MIN(pause, store->busy_timeout_us - (now - store->busy_since)));
	return 1;
}

static void
stmt_finalize(gpointer p)
{
	sqlite3_finalize(p);
}

sqlite3 *
cd_store_db(cd_store *store)
{
	return store->db;
}

const char *
cd_store_path(cd_store *store)
{
	return store->path;
}

static gboolean
store_fail(cd_store *store, int rc, const char *what, GError **error)
{
	cd_set_error_sqlite(error, rc, what, store->db ? sqlite3_errmsg(store->db) : NULL);
	return FALSE;
}

gboolean
cd_store_exec(cd_store *store, const char *sql, GError **error)
{
	char *msg = NULL;
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		cd_set_error_sqlite(error, rc, "database", msg);
		sqlite3_free(msg);
		return FALSE;
	}
	return TRUE;
}

sqlite3_stmt *
cd_store_stmt(cd_store *store, const char *sql, GError **error)
{
	sqlite3_stmt *st = g_hash_table_lookup(store->stmts, sql);
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	int rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		store_fail(store, rc, "prepare", error);
		return NULL;
	}
	g_hash_table_insert(store->stmts, g_strdup(sql), st);
	return st;
}

gboolean
cd_store_step(cd_store *store, sqlite3_stmt *st, gboolean *row, GError **error)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*row = TRUE;
		return TRUE;
	}
	*row = FALSE;
	if (rc == SQLITE_DONE)
		return TRUE;
	store_fail(store, rc, "database", error);
	sqlite3_reset(st);
	return FALSE;
}

gboolean
cd_store_run(cd_store *store, sqlite3_stmt *st, GError **error)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		sqlite3_reset(st);
		return TRUE;
	}
	store_fail(store, rc, "database", error);
	sqlite3_reset(st);
	return FALSE;
}

gboolean
cd_store_begin(cd_store *store, GError **error)
{
	return cd_store_exec(store, "BEGIN IMMEDIATE", error);
}

gboolean
cd_store_commit(cd_store *store, GError **error)
{
	if (!cd_store_exec(store, "COMMIT", error)) {
		cd_store_rollback(store);
		return FALSE;
	}
	return TRUE;
}

void
cd_store_rollback(cd_store *store)
{
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
cd_store_in_transaction(cd_store *store)
{
	return !sqlite3_get_autocommit(store->db);
}

gboolean
cd_store_savepoint(cd_store *store, const char *name, GError **error)
{
	char *sql = g_strdup_printf("SAVEPOINT %s", name);
	gboolean ok = cd_store_exec(store, sql, error);
	g_free(sql);
	return ok;
}

gboolean
cd_store_release(cd_store *store, const char *name, GError **error)
{
	char *sql = g_strdup_printf("RELEASE %s", name);
	gboolean ok = cd_store_exec(store, sql, error);
	g_free(sql);
	return ok;
}

void
cd_store_rollback_to(cd_store *store, const char *name)
{
	char *sql = g_strdup_printf("ROLLBACK TO %s; RELEASE %s", name, name);
	sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	g_free(sql);
}

gint64
cd_store_last_id(cd_store *store)
{
	return sqlite3_last_insert_rowid(store->db);
}

int
cd_store_changes(cd_store *store)
{
	return sqlite3_changes(store->db);
}

static int
pragma_int(cd_store *store, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

int
cd_store_version(cd_store *store)
{
	return pragma_int(store, "PRAGMA user_version");
}

int
cd_store_latest_version(void)
{
	return cd_schema_latest();
}

/* store_migrate - apply every migration newer than the file's user_version, in one transaction. */
static gboolean
store_migrate(cd_store *store, GError **error)
{
	int latest = cd_schema_latest();
	if (cd_store_version(store) == latest)
		return TRUE;
	if (!cd_store_begin(store, error))
		return FALSE;
	int have = cd_store_version(store); /* again, now that we hold the write lock */
	if (have > latest) {
		cd_store_rollback(store);
		g_set_error(error, CD_ERROR, CD_ERROR_STORE,
		            "%s: schema version %d is newer than this program's %d: upgrade caredesk", store->path, have,
		            latest);
		return FALSE;
	}
	for (int v = have + 1; v <= latest; v++) {
		if (!cd_store_exec(store, cd_schema_migration(v), error)) {
			cd_store_rollback(store);
			g_prefix_error(error, "migration to schema %d: ", v);
			return FALSE;
		}
		char *sql = g_strdup_printf("PRAGMA user_version = %d", v);
		gboolean ok = cd_store_exec(store, sql, error);
		g_free(sql);
		if (!ok) {
			cd_store_rollback(store);
			return FALSE;
		}
	}
	return cd_store_commit(store, error);
}

static gboolean
store_ensure_wal(cd_store *store, GError **error)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(store->db, "PRAGMA journal_mode", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return store_fail(store, rc, "journal_mode", error);
	rc = sqlite3_step(st);
	gboolean wal = rc == SQLITE_ROW && g_ascii_strcasecmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_fail(store, rc, "journal_mode", error);
	if (wal)
		return TRUE;
	return cd_store_exec(store, "PRAGMA journal_mode = WAL", error);
}

cd_store *
cd_store_open(const char *path, int busy_timeout_ms, cd_store_flags flags, GError **error)
{
	if (!(flags & CD_STORE_CREATE) && access(path, F_OK) != 0) {
		int err = errno;
		cd_set_error_errno(error, err, "database", path);
		return NULL;
	}
	cd_store *store = g_new0(cd_store, 1);
	store->path = g_strdup(path);
	store->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_finalize);
	int oflags = (flags & CD_STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & CD_STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &store->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_fail(store, rc, path, error);
		cd_store_close(store);
		return NULL;
	}
	sqlite3_extended_result_codes(store->db, 1);
	store->busy_timeout_us = (gint64)MAX(busy_timeout_ms, 0) * 1000;
	sqlite3_busy_handler(store->db, busy_wait, store);
	if (!cd_store_exec(store, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY",
	                   error))
		goto fail;
	if (!(flags & CD_STORE_READONLY) && !store_ensure_wal(store, error))
		goto fail;
	if (flags & CD_STORE_MIGRATE) {
		if (!store_migrate(store, error))
			goto fail;
	} else if (cd_store_version(store) != cd_schema_latest()) {
		g_set_error(error, CD_ERROR, CD_ERROR_STORE, "%s: schema version %d, this program needs %d (run caredesk doctor)",
		            path, cd_store_version(store), cd_schema_latest());
		goto fail;
	}
	return store;
fail:
	cd_store_close(store);
	return NULL;
}

void
cd_store_close(cd_store *store)
{
	if (store == NULL)
		return;
	g_hash_table_destroy(store->stmts);
	if (store->db)
		sqlite3_close_v2(store->db);
	g_free(store->path);
	g_free(store);
}

char *
cd_store_get_setting(cd_store *store, const char *key)
{
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT value FROM settings WHERE key = ?", NULL);
	if (st == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	char *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = cd_col_dup(st, 0);
	sqlite3_reset(st);
	return v;
}

gboolean
cd_store_set_setting(cd_store *store, const char *key, const char *value, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(
	    store, "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	    error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return cd_store_run(store, st, error);
}

static sqlite3_stmt *
lookup(cd_store *store, const char *sql, const char *key, gint64 key_id, gboolean *row, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	if (st == NULL)
		return NULL;
	if (key)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, key_id);
	if (!cd_store_step(store, st, row, error))
		return NULL;
	return st;
}

gboolean
cd_store_lookup_id(cd_store *store, const char *sql, const char *key, gint64 key_id, gint64 *id, GError **error)
{
	gboolean row;
	sqlite3_stmt *st = lookup(store, sql, key, key_id, &row, error);
	if (st == NULL)
		return FALSE;
	*id = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return TRUE;
}

gboolean
cd_store_lookup_text(cd_store *store, const char *sql, const char *key, gint64 key_id, char **text, GError **error)
{
	gboolean row;
	sqlite3_stmt *st = lookup(store, sql, key, key_id, &row, error);
	if (st == NULL)
		return FALSE;
	*text = row ? cd_col_dup(st, 0) : NULL;
	sqlite3_reset(st);
	return TRUE;
}

char *
cd_col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? g_strdup((const char *)t) : NULL;
}

const char *
cd_col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}
