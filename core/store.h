/* store.h - the SQLite database: opening it durably, migrating it, statements and transactions.
 *
 * One cd_store is one connection, used by one thread at a time. The database runs in WAL mode
 * with synchronous=FULL (a commit we acknowledge must survive power loss), foreign keys on and
 * a busy timeout; every failure is reported through result.h so callers can tell a locked or
 * full database (retry later) from a broken one. */
#ifndef CD_STORE_H
#define CD_STORE_H

#include <glib.h>
#include <sqlite3.h>

typedef struct cd_store cd_store;

typedef enum {
	CD_STORE_MIGRATE = 1 << 0,   /* apply pending migrations (the default for writers) */
	CD_STORE_READONLY = 1 << 1,  /* open read-only; refuses when migrations are pending */
	CD_STORE_CREATE = 1 << 2,    /* create the file when missing (caredesk init) */
} cd_store_flags;

cd_store *cd_store_open(const char *path, int busy_timeout_ms, cd_store_flags flags, GError **error);
void cd_store_close(cd_store *store);
sqlite3 *cd_store_db(cd_store *store);
const char *cd_store_path(cd_store *store);

/* The schema version this program writes, and the one found in the file. */
int cd_store_latest_version(void);
int cd_store_version(cd_store *store);

/* cd_store_stmt - a prepared statement for sql, cached per connection, reset with bindings cleared. */
sqlite3_stmt *cd_store_stmt(cd_store *store, const char *sql, GError **error);

gboolean cd_store_exec(cd_store *store, const char *sql, GError **error);

/* cd_store_step - step a statement; TRUE with *row set when a row is ready or done. */
gboolean cd_store_step(cd_store *store, sqlite3_stmt *st, gboolean *row, GError **error);
/* cd_store_run - step a statement that returns no rows, then reset it. */
gboolean cd_store_run(cd_store *store, sqlite3_stmt *st, GError **error);

gboolean cd_store_begin(cd_store *store, GError **error);   /* BEGIN IMMEDIATE */
gboolean cd_store_commit(cd_store *store, GError **error);
void cd_store_rollback(cd_store *store);
gboolean cd_store_in_transaction(cd_store *store);

gboolean cd_store_savepoint(cd_store *store, const char *name, GError **error);
gboolean cd_store_release(cd_store *store, const char *name, GError **error);
void cd_store_rollback_to(cd_store *store, const char *name);

gint64 cd_store_last_id(cd_store *store);
int cd_store_changes(cd_store *store);

/* Settings: small key/value facts kept in the database. */
char *cd_store_get_setting(cd_store *store, const char *key);
gboolean cd_store_set_setting(cd_store *store, const char *key, const char *value, GError **error);

/* One-value lookups: the first column of the first row of `sql`, whose ?1 is bound to `key`
 * (text) or, when key is NULL, to key_id. No row: *id = 0 / *text = NULL, and TRUE. FALSE only on a
 * database error. */
gboolean cd_store_lookup_id(cd_store *store, const char *sql, const char *key, gint64 key_id, gint64 *id,
                            GError **error);
gboolean cd_store_lookup_text(cd_store *store, const char *sql, const char *key, gint64 key_id, char **text,
                              GError **error);

/* Column helpers: text as a newly allocated string (NULL for NULL). */
char *cd_col_dup(sqlite3_stmt *st, int col);
const char *cd_col_text(sqlite3_stmt *st, int col);

#endif
