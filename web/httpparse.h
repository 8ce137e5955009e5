/* httpparse.h - the pure parsing of HTTP request parts, apart from civetweb so the fuzzer can reach it:
 * application/x-www-form-urlencoded bodies and query strings, and Cookie headers. Every name and
 * value comes out percent-decoded and as valid UTF-8 without NUL bytes (anything else becomes
 * U+FFFD); the first of repeated names wins. Limits bound the work a hostile request costs. */
#ifndef WEB_HTTPPARSE_H
#define WEB_HTTPPARSE_H

#include <glib.h>

#define WEB_MAX_FIELDS 200          /* fields of a form or query; the rest are ignored */
#define WEB_MAX_FORM_BYTES (1 << 20) /* bytes of a form body read */

/* web_parse_form - name=value&... (+ is a blank) into a new table of char* -> char*. */
GHashTable *web_parse_form(const char *data, gsize len);
/* web_parse_cookies - "a=1; b=2" into a new table (values are not percent-decoded, only trimmed). */
GHashTable *web_parse_cookies(const char *header);
/* web_url_decode - percent-decoding of len bytes (plus_is_space for forms), cleaned to UTF-8. */
char *web_url_decode(const char *s, gsize len, gboolean plus_is_space);
/* web_path_segment - the n-th segment (0-based) of a path like /orders/A1001/invoice.pdf,
 * percent-decoded; NULL when there is none. */
char *web_path_segment(const char *path, guint n);

#endif
