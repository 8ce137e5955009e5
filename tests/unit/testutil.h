/* testutil.h - helpers for the unit tests: temp dirs, fresh databases, test data files. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include "mime.h"
#include "store.h"

/* tu_time_scale - how much slower than a normal build this run is: $CAREDESK_TEST_TIME_SCALE (set
 * by the valgrind run of scripts/check.sh), else 1. Time limits a test asserts are multiplied by it. */
double tu_time_scale(void);
/* tu_tempdir - a new directory under $CAREDESK_TEST_TMP (or /tmp), removed at exit. */
char *tu_tempdir(void);
/* tu_store - a fresh, migrated database in a temp dir; *path receives its file name if not NULL. */
cd_store *tu_store(char **path);
/* tu_src_file / tu_shared_file - bytes of a file in the source tree or in ../shared. */
GBytes *tu_src_file(const char *rel);
GBytes *tu_shared_file(const char *rel);
/* tu_parse - parse bytes with default options. */
cd_message *tu_parse(GBytes *b);
cd_message *tu_parse_str(const char *raw);
/* tu_int / tu_text - the first column of the one row `sql` yields (asserted); the _id forms bind
 * `id` to its ?1. tu_text returns a new string or NULL. */
gint64 tu_int(cd_store *s, const char *sql);
gint64 tu_int_id(cd_store *s, const char *sql, gint64 id);
char *tu_text(cd_store *s, const char *sql);
char *tu_text_id(cd_store *s, const char *sql, gint64 id);
/* tu_exec - run SQL built printf-style, asserting success. */
void tu_exec(cd_store *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* tu_set_now - pin the clock the core reads (CAREDESK_NOW) to t seconds since the epoch. */
void tu_set_now(gint64 t);

#endif
