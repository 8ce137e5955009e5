/* parse.c - money, times and counts as people type them (see parse.h). */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

gboolean
cd_parse_cents(const char *text, gint64 *out)
{
	if (text == NULL)
		return FALSE;
	char *s = g_strstrip(g_strdup(text));
	const char *p = s;
	gint64 units = 0, frac = 0;
	int ndigits = 0, nfrac = 0;
	gboolean ok = TRUE;
	while (g_ascii_isdigit(*p)) {
		if (units > (G_MAXINT64 / 100 - 9) / 10) {
			ok = FALSE;
			break;
		}
		units = units * 10 + (*p++ - '0');
		ndigits++;
	}
	if (ok && (*p == '.' || *p == ',')) {
		p++;
		while (g_ascii_isdigit(*p) && nfrac < 3) {
			frac = frac * 10 + (*p++ - '0');
			nfrac++;
		}
		if (nfrac == 0 || nfrac > 2)
			ok = FALSE;
	}
	if (ok && (ndigits == 0 || *p != '\0'))
		ok = FALSE;
	g_free(s);
	if (!ok)
		return FALSE;
	*out = units * 100 + (nfrac == 1 ? frac * 10 : frac);
	return TRUE;
}

char *
cd_format_cents(gint64 cents)
{
	const char *sign = cents < 0 ? "-" : "";
	guint64 a = cents < 0 ? (guint64)(-(cents + 1)) + 1 : (guint64)cents;
	return g_strdup_printf("%s%" G_GUINT64_FORMAT ".%02u", sign, a / 100, (unsigned)(a % 100));
}

/* date_only - "YYYY-MM-DD" exactly. */
static gboolean
date_only(const char *s, gint64 *out)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return FALSE;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !g_ascii_isdigit(s[i]))
			return FALSE;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
		return FALSE;
	GDateTime *dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	if (dt == NULL)
		return FALSE;
	*out = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return TRUE;
}

gboolean
cd_parse_time(const char *text, gint64 *out)
{
	if (text == NULL)
		return FALSE;
	char *s = g_strstrip(g_strdup(text));
	gboolean ok = FALSE;
	gint64 v = 0;
	if (*s == '\0') {
		ok = FALSE;
	} else if (strspn(s, "0123456789") == strlen(s) && strlen(s) <= 12) {
		v = g_ascii_strtoll(s, NULL, 10);
		ok = TRUE;
	} else if (date_only(s, &v)) {
		ok = TRUE;
	} else {
		/* "2026-05-01 10:30" reads as ISO 8601 with a T; without a zone it is UTC */
		if (strlen(s) > 10 && s[10] == ' ')
			s[10] = 'T';
		if (strlen(s) == 16 && s[10] == 'T') {
			char *full = g_strconcat(s, ":00", NULL);
			g_free(s);
			s = full;
		}
		GTimeZone *utc = g_time_zone_new_utc();
		GDateTime *dt = g_date_time_new_from_iso8601(s, utc);
		g_time_zone_unref(utc);
		if (dt) {
			v = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
			ok = TRUE;
		}
	}
	g_free(s);
	if (ok)
		*out = v;
	return ok;
}

char *
cd_format_date(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	if (dt == NULL)
		return g_strdup("?");
	char *s = g_date_time_format(dt, "%Y-%m-%d");
	g_date_time_unref(dt);
	return s;
}

gboolean
cd_parse_positive(const char *text, gint64 max, gint64 *out)
{
	if (text == NULL)
		return FALSE;
	char *s = g_strstrip(g_strdup(text));
	gboolean ok = *s != '\0' && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18;
	gint64 v = ok ? g_ascii_strtoll(s, NULL, 10) : 0;
	g_free(s);
	if (!ok || v < 1 || v > max)
		return FALSE;
	*out = v;
	return TRUE;
}
