/* util.h - small helpers with no mail knowledge: time, hashes, refs, text. */
#ifndef CD_UTIL_H
#define CD_UTIL_H

#include <glib.h>

/* Unix seconds now (UTC); CAREDESK_NOW overrides it for tests of timers. */
gint64 cd_now(void);

/* lower-case hex SHA-256 of data into out[65]. */
void cd_sha256_hex(const void *data, gsize len, char out[65]);

/* Ticket and RMA references: T-000123 and RMA-000045. */
char *cd_ticket_ref(gint64 id);
char *cd_rma_ref(gint64 id);
/* cd_parse_ref - the id in "T-000123" / "t-123" (prefix "T") or "RMA-45"; 0 when not one. */
gint64 cd_parse_ref(const char *text, const char *prefix);

/* cd_format_time - "2026-11-23 09:32" in UTC, or "-" for 0. */
char *cd_format_time(gint64 t);

/* cd_address_normalize - lower-cased, trimmed mail address, or NULL when it is not one. */
char *cd_address_normalize(const char *addr);

/* cd_utf8_clean - valid UTF-8 without NUL bytes (invalid sequences become U+FFFD). */
char *cd_utf8_clean(const char *data, gssize len);

/* cd_argv_word - the n-th word (1-based) of argv that is not an option or the value of -c/--config:
 * `caredesk -c F ticket list` has "ticket" as word 1 and "list" as word 2. NULL when there is none. */
const char *cd_argv_word(int argc, char **argv, int n);

/* cd_write_file_atomic - write data to path with the given mode (tmp + fsync + rename). */
gboolean cd_write_file_atomic(const char *path, const void *data, gsize len, int mode, GError **error);

#endif
