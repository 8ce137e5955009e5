/* parse.h - the values people and shops type into imports and commands: amounts of money, points in
 * time and dates; and formatting amounts back. Each parser accepts only the whole string (surrounding
 * blanks aside) and returns FALSE for anything else, leaving *out alone. */
#ifndef CD_PARSE_H
#define CD_PARSE_H

#include <glib.h>

/* cd_parse_cents - "49.90", "49,90", "49", "1234.5", "0.99" (at most two decimals, not negative) into
 * cents. A thousands separator is not accepted: "1,234.50" is refused rather than guessed. */
gboolean cd_parse_cents(const char *text, gint64 *out);

/* cd_format_cents - "49.90" (newly allocated). */
char *cd_format_cents(gint64 cents);

/* cd_parse_time - Unix seconds (UTC) from "2026-05-01" (midnight UTC), "2026-05-01 10:30",
 * "2026-05-01T10:30:00Z", ISO 8601 with an offset, or plain Unix seconds ("1777593600"). */
gboolean cd_parse_time(const char *text, gint64 *out);

/* cd_format_date - "2026-05-01" (UTC, newly allocated). */
char *cd_format_date(gint64 t);

/* cd_parse_positive - a decimal integer in 1..max. */
gboolean cd_parse_positive(const char *text, gint64 max, gint64 *out);

#endif
