/* rows.c - statement rows as JSON objects (see rows.h). Runs under app_lock. */
#include "rows.h"
#include "app.h"

static JsonObject *
row_object(sqlite3_stmt *st)
{
	JsonObject *o = json_object_new();
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		const char *name = sqlite3_column_name(st, i);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL:
			json_object_set_null_member(o, name);
			break;
		case SQLITE_INTEGER:
			json_object_set_int_member(o, name, sqlite3_column_int64(st, i));
			break;
		default:
			json_object_set_string_member(o, name, cd_col_text(st, i));
		}
	}
	return o;
}

JsonArray *
rows_all(const char *sql, gint64 id1, const char *text2)
{
	GError *e = NULL;
	sqlite3_stmt *st = cd_store_stmt(app->store, sql, &e);
	if (st == NULL) {
		g_warning("%s", e->message);
		g_error_free(e);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id1);
	if (text2)
		sqlite3_bind_text(st, 2, text2, -1, SQLITE_TRANSIENT);
	JsonArray *a = json_array_new();
	gboolean row;
	while (cd_store_step(app->store, st, &row, &e) && row)
		json_array_add_object_element(a, row_object(st));
	sqlite3_reset(st);
	if (e) {
		g_warning("%s", e->message);
		g_error_free(e);
		json_array_unref(a);
		return NULL;
	}
	return a;
}

JsonObject *
rows_one(const char *sql, gint64 id1, const char *text2)
{
	JsonArray *a = rows_all(sql, id1, text2);
	JsonObject *o = NULL;
	if (a && json_array_get_length(a) > 0)
		o = json_object_ref(json_array_get_object_element(a, 0));
	if (a)
		json_array_unref(a);
	return o;
}
