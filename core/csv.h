/* csv.h - a reader of RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a field in
 * double quotes may hold commas, line breaks and doubled quotes (""); a UTF-8 byte order mark at the
 * start is skipped. Every record carries the line it starts on, so a bad one can be named.
 *
 * Errors are per record (a quote inside an unquoted field, text after a closing quote, a quote left
 * open at the end): the record is reported with line and column, and reading goes on at the next
 * line, so an importer can skip it. */
#ifndef CD_CSV_H
#define CD_CSV_H

#include <glib.h>

typedef struct cd_csv cd_csv;

/* cd_csv_new - a reader over data (not copied: it must outlive the reader). */
cd_csv *cd_csv_new(const char *data, gsize len);
void cd_csv_free(cd_csv *csv);

/* cd_csv_next - the next record. TRUE with *fields (NULL-terminated, g_strfreev) and *line set, or
 * TRUE with *fields NULL at the end. FALSE with *error (CD_ERROR_INVALID, "4:7: ...", line:column)
 * and *line for a malformed record, *fields then holding the fields read before the fault (so the
 * caller can tell whose record it was); the next call continues after it. Empty lines are skipped. */
gboolean cd_csv_next(cd_csv *csv, char ***fields, guint *line, GError **error);

#endif
