/* dbcheck.c - test tool: every TEXT value in every table of a caredesk database is valid UTF-8
 * without NUL bytes. Prints each offending table.column.rowid and exits 1 if there is any. */
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cd-dbcheck DB\n");
		return 2;
	}
	sqlite3 *db;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "cd-dbcheck: cannot open %s\n", argv[1]);
		return 2;
	}
	sqlite3_stmt *tables;
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", -1,
	                   &tables, NULL);
	long bad = 0, values = 0;
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char *table = g_strdup((const char *)sqlite3_column_text(tables, 0));
		char *sql = g_strdup_printf("SELECT * FROM \"%s\"", table);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
			while (sqlite3_step(st) == SQLITE_ROW) {
				for (int c = 0; c < sqlite3_column_count(st); c++) {
					if (sqlite3_column_type(st, c) != SQLITE_TEXT)
						continue;
					const char *v = (const char *)sqlite3_column_text(st, c);
					int n = sqlite3_column_bytes(st, c);
					values++;
					if (!g_utf8_validate_len(v, n, NULL) || memchr(v, '\0', n) != NULL) {
						printf("invalid UTF-8: %s.%s (row %d of the scan)\n", table, sqlite3_column_name(st, c),
						       (int)values);
						bad++;
					}
				}
			}
			sqlite3_finalize(st);
		}
		g_free(sql);
		g_free(table);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	printf("cd-dbcheck: %ld text values, %ld invalid\n", values, bad);
	return bad ? 1 : 0;
}
