/* test_store.c - the database: pragmas, migrations (forward only, never destructive), and the
 * classification of its failures into temporary and permanent. */
#include "rawstore.h"
#include "result.h"
#include "schema.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#include <string.h>

static int
int_query(cd_store *s, const char *sql)
{
	sqlite3_stmt *st;
	g_assert_cmpint(sqlite3_prepare_v2(cd_store_db(s), sql, -1, &st, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_fresh_database(void)
{
	cd_store *s = tu_store(NULL);
	g_assert_cmpint(cd_store_version(s), ==, cd_schema_latest());
	g_assert_cmpint(int_query(s, "PRAGMA foreign_keys"), ==, 1);
	g_assert_cmpint(int_query(s, "PRAGMA synchronous"), ==, 2); /* FULL */
	sqlite3_stmt *st;
	sqlite3_prepare_v2(cd_store_db(s), "PRAGMA journal_mode", -1, &st, NULL);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	g_assert_cmpstr((const char *)sqlite3_column_text(st, 0), ==, "wal");
	sqlite3_finalize(st);
	/* every table is STRICT */
	g_assert_cmpint(int_query(s, "SELECT count(*) FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
	                             "AND name NOT LIKE 'sqlite_%' AND strict = 0"),
	                ==, 0);
	g_assert_cmpint(int_query(s, "SELECT count(*) FROM queues"), ==, 1);
	cd_store_close(s);
}

static void
test_migrations_forward_and_idempotent(void)
{
	char *path;
	cd_store *s = tu_store(&path);
	GError *error = NULL;
	g_assert_true(cd_store_exec(s, "INSERT INTO settings VALUES ('kept', 'yes')", &error));
	cd_store_close(s);
	/* reopening migrates nothing and keeps data */
	s = cd_store_open(path, 1000, CD_STORE_MIGRATE, &error);
	g_assert_no_error(error);
	char *v = cd_store_get_setting(s, "kept");
	g_assert_cmpstr(v, ==, "yes");
	g_free(v);
	cd_store_close(s);
	/* a database newer than the program is refused, not damaged */
	s = cd_store_open(path, 1000, CD_STORE_MIGRATE, &error);
	cd_store_exec(s, "PRAGMA user_version = 999", NULL);
	cd_store_close(s);
	s = cd_store_open(path, 1000, CD_STORE_MIGRATE, &error);
	g_assert_null(s);
	g_assert_error(error, CD_ERROR, CD_ERROR_STORE);
	g_assert_nonnull(strstr(error->message, "newer than this program"));
	g_clear_error(&error);
	/* without the migrate flag a database at another version is refused */
	sqlite3 *db;
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 0", NULL, NULL, NULL);
	sqlite3_close(db);
	s = cd_store_open(path, 1000, 0, &error);
	g_assert_null(s);
	g_clear_error(&error);
	g_free(path);
}

static void
test_migrations_never_destroy(void)
{
	for (int v = 1; v <= cd_schema_latest(); v++) {
		char *up = g_ascii_strup(cd_schema_migration(v), -1);
		g_assert_null(strstr(up, "DROP "));
		g_assert_null(strstr(up, "DELETE FROM"));
		g_assert_null(strstr(up, "ALTER TABLE RENAME"));
		g_free(up);
	}
}

static void
test_busy_is_transient(void)
{
	char *path;
	cd_store *s = tu_store(&path);
	cd_store_close(s);
	GError *error = NULL;
	cd_store *holder = cd_store_open(path, 100, 0, &error);
	g_assert_no_error(error);
	g_assert_true(cd_store_begin(holder, &error));
	cd_store *other = cd_store_open(path, 100, CD_STORE_MIGRATE, &error);
	g_assert_no_error(error);
	gint64 t0 = g_get_monotonic_time();
	g_assert_false(cd_store_begin(other, &error));
	g_assert_cmpint(g_get_monotonic_time() - t0, >=, 90 * 1000); /* it waited the busy timeout */
	g_assert_cmpint(cd_result_of(error), ==, CD_TEMP);
	g_clear_error(&error);
	cd_store_rollback(holder);
	g_assert_true(cd_store_begin(other, &error));
	cd_store_rollback(other);
	cd_store_close(other);
	cd_store_close(holder);
	g_free(path);
}

static void
test_result_classification(void)
{
	g_assert_true(cd_sqlite_is_transient(SQLITE_BUSY));
	g_assert_true(cd_sqlite_is_transient(SQLITE_FULL));
	g_assert_true(cd_sqlite_is_transient(SQLITE_IOERR_WRITE));
	g_assert_true(cd_sqlite_is_transient(SQLITE_NOMEM));
	g_assert_false(cd_sqlite_is_transient(SQLITE_CONSTRAINT));
	g_assert_false(cd_sqlite_is_transient(SQLITE_MISMATCH));
	GError *e = NULL;
	g_set_error(&e, CD_ERROR, CD_ERROR_REJECT, "no");
	g_assert_cmpint(cd_result_of(e), ==, CD_REJECT);
	g_clear_error(&e);
	g_set_error(&e, CD_ERROR, CD_ERROR_CONFIG, "bad config");
	g_assert_cmpint(cd_result_of(e), ==, CD_TEMP); /* mail waits for the admin, it is not bounced */
	g_clear_error(&e);
	g_assert_cmpint(cd_result_of(NULL), ==, CD_OK);
}

static void
test_raw_store_once(void)
{
	cd_store *s = tu_store(NULL);
	GError *error = NULL;
	const char *msg = "Subject: x\n\nhello\n";
	char sha[65];
	cd_sha256_hex(msg, strlen(msg), sha);
	cd_raw_origin a = {.source = "pipe", .recipient = "a@example.test"};
	cd_raw_origin b = {.source = "pipe", .recipient = "b@example.test"};
	gint64 id1, id2, id3;
	cd_raw_status st;
	g_assert_true(cd_raw_store(s, msg, strlen(msg), sha, &a, &id1, &st, &error));
	g_assert_cmpint(st, ==, CD_RAW_NEW);
	g_assert_true(cd_raw_store(s, msg, strlen(msg), sha, &b, &id2, &st, &error));
	g_assert_cmpint(st, ==, CD_RAW_PENDING);
	g_assert_true(cd_raw_store(s, msg, strlen(msg), sha, &b, &id3, &st, &error));
	g_assert_cmpint(id1, ==, id2);
	g_assert_cmpint(id2, ==, id3);
	g_assert_cmpint(int_query(s, "SELECT count(*) FROM raw_messages"), ==, 1);
	g_assert_cmpint(int_query(s, "SELECT count(*) FROM raw_deliveries"), ==, 2);
	g_assert_cmpint(cd_raw_pending_count(s), ==, 1);
	cd_store_exec(s, "UPDATE raw_messages SET state = 'done'", NULL);
	g_assert_true(cd_raw_store(s, msg, strlen(msg), sha, &a, &id3, &st, &error));
	g_assert_cmpint(st, ==, CD_RAW_SEEN);
	cd_store_close(s);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/store/fresh", test_fresh_database);
	g_test_add_func("/store/migrations", test_migrations_forward_and_idempotent);
	g_test_add_func("/store/migrations-never-destroy", test_migrations_never_destroy);
	g_test_add_func("/store/busy-is-transient", test_busy_is_transient);
	g_test_add_func("/store/result-classification", test_result_classification);
	g_test_add_func("/store/raw-once", test_raw_store_once);
	return g_test_run();
}
