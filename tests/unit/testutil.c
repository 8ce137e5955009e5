/* testutil.c - helpers for the unit tests (see testutil.h). */
#include "testutil.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static GPtrArray *tempdirs;

static void
remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	if (d) {
		const char *n;
		while ((n = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(path, n, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				remove_tree(p);
			else
				g_remove(p);
			g_free(p);
		}
		g_dir_close(d);
	}
	g_rmdir(path);
}

static void
cleanup(void)
{
	for (guint i = 0; tempdirs && i < tempdirs->len; i++)
		remove_tree(g_ptr_array_index(tempdirs, i));
}

char *
tu_tempdir(void)
{
	const char *base = g_getenv("CAREDESK_TEST_TMP");
	if (base == NULL)
		base = g_get_tmp_dir();
	g_mkdir_with_parents(base, 0755);
	char *tmpl = g_build_filename(base, "unit.XXXXXX", NULL);
	char *dir = g_mkdtemp(tmpl);
	g_assert_nonnull(dir);
	if (tempdirs == NULL) {
		tempdirs = g_ptr_array_new_with_free_func(g_free);
		atexit(cleanup);
	}
	g_ptr_array_add(tempdirs, g_strdup(dir));
	return dir;
}

cd_store *
tu_store(char **path)
{
	char *dir = tu_tempdir();
	char *db = g_build_filename(dir, "caredesk.db", NULL);
	GError *error = NULL;
	cd_store *s = cd_store_open(db, 2000, CD_STORE_CREATE | CD_STORE_MIGRATE, &error);
	g_assert_no_error(error);
	if (path)
		*path = db;
	else
		g_free(db);
	g_free(dir);
	return s;
}

static GBytes *
read_under(const char *env, const char *fallback, const char *rel)
{
	const char *base = g_getenv(env);
	char *path = g_build_filename(base ? base : fallback, rel, NULL);
	char *data;
	gsize len;
	GError *error = NULL;
	if (!g_file_get_contents(path, &data, &len, &error))
		g_error("test data %s: %s", path, error->message);
	g_free(path);
	return g_bytes_new_take(data, len);
}

GBytes *
tu_src_file(const char *rel)
{
	return read_under("CAREDESK_SRC", ".", rel);
}

GBytes *
tu_shared_file(const char *rel)
{
	return read_under("CAREDESK_SHARED", "../shared", rel);
}

cd_message *
tu_parse(GBytes *b)
{
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	gsize len;
	const void *d = g_bytes_get_data(b, &len);
	return cd_mime_parse(d ? d : "", len, &opt);
}

cd_message *
tu_parse_str(const char *raw)
{
	GBytes *b = g_bytes_new_static(raw, strlen(raw));
	cd_message *m = tu_parse(b);
	g_bytes_unref(b);
	return m;
}

static sqlite3_stmt *
one_row(cd_store *s, const char *sql, gint64 id)
{
	sqlite3_stmt *st;
	g_assert_cmpint(sqlite3_prepare_v2(cd_store_db(s), sql, -1, &st, NULL), ==, SQLITE_OK);
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, id);
	g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
	return st;
}

gint64
tu_int_id(cd_store *s, const char *sql, gint64 id)
{
	sqlite3_stmt *st = one_row(s, sql, id);
	gint64 v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

gint64
tu_int(cd_store *s, const char *sql)
{
	return tu_int_id(s, sql, 0);
}

char *
tu_text_id(cd_store *s, const char *sql, gint64 id)
{
	sqlite3_stmt *st = one_row(s, sql, id);
	const unsigned char *t = sqlite3_column_text(st, 0);
	char *v = t ? g_strdup((const char *)t) : NULL;
	sqlite3_finalize(st);
	return v;
}

char *
tu_text(cd_store *s, const char *sql)
{
	return tu_text_id(s, sql, 0);
}

void
tu_exec(cd_store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	GError *error = NULL;
	g_assert_true(cd_store_exec(s, sql, &error));
	g_assert_no_error(error);
	g_free(sql);
}

void
tu_set_now(gint64 t)
{
	char *v = g_strdup_printf("%" G_GINT64_FORMAT, t);
	g_setenv("CAREDESK_NOW", v, TRUE);
	g_free(v);
}

double
tu_time_scale(void)
{
	const char *v = g_getenv("CAREDESK_TEST_TIME_SCALE");
	double scale = v ? g_ascii_strtod(v, NULL) : 1.0;
	return scale >= 1.0 ? scale : 1.0;
}
