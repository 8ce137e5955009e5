/* rows.h - query results as template variables: each row of a statement as a JSON object whose
 * members are the column names (text, integers, null), for the page handlers. */
#ifndef WEB_ROWS_H
#define WEB_ROWS_H

#include "store.h"

#include <json-glib/json-glib.h>

/* rows_all - every row of sql with ?1 bound to id1 and ?2 to text2 (NULL: not bound). NULL on error. */
JsonArray *rows_all(const char *sql, gint64 id1, const char *text2);
/* rows_one - the first row, or NULL (none or error). */
JsonObject *rows_one(const char *sql, gint64 id1, const char *text2);

#endif
