/* testutil.h - helpers for the unit tests: temp dirs, fresh databases, test data files. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include "mime.h"
#include "store.h"

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

#endif
