/* charset.h - turning the bytes of a text part into valid UTF-8.
 *
 * Declared charset first; when it is missing, unknown or wrong, a sane fallback
 * (UTF-8 if the bytes are valid UTF-8, else Windows-1252, else ISO-8859-1, which cannot fail).
 * The result never holds invalid UTF-8 or NUL bytes. */
#ifndef CD_CHARSET_H
#define CD_CHARSET_H

#include <glib.h>

/* cd_charset_to_utf8 - *note (may be NULL) receives a newly allocated remark when a fallback was used. */
char *cd_charset_to_utf8(const char *data, gsize len, const char *declared, gboolean is_html, char **note);

#endif
