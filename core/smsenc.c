/* smsenc.c - GSM-7 / UCS-2 detection and segment counting (see smsenc.h). */
#include "smsenc.h"

#include <string.h>

/* The GSM 03.38 basic table (one septet each), as Unicode code points, and the extension table
 * (escape + one septet). */
static const gunichar gsm_basic[] = {
	'@', 0xA3, '$', 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, '\n', 0xD8, 0xF8, '\r', 0xC5, 0xE5,
	0x394, '_', 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0xC6, 0xE6, 0xDF, 0xC9,
	' ', '!', '"', '#', 0xA4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	':', ';', '<', '=', '>', '?', 0xA1, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7, 0xBF, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
};
static const gunichar gsm_ext[] = {'^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC, '\f'};

/* septets - 1 or 2 for a GSM-7 character, 0 when it is not one. */
static guint
septets(gunichar c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	for (gsize i = 0; i < G_N_ELEMENTS(gsm_basic); i++)
		if (gsm_basic[i] == c)
			return 1;
	for (gsize i = 0; i < G_N_ELEMENTS(gsm_ext); i++)
		if (gsm_ext[i] == c)
			return 2;
	return 0;
}

guint
cd_sms_segments_for(gboolean ucs2, guint units)
{
	guint single = ucs2 ? 70 : 160, part = ucs2 ? 67 : 153;
	if (units <= single)
		return 1;
	return (units + part - 1) / part;
}

/* next_char - the character at *p (an invalid byte is U+FFFD and one byte), advancing *p. */
static gunichar
next_char(const char **p)
{
	gunichar c = g_utf8_get_char_validated(*p, -1);
	if (c == (gunichar)-1 || c == (gunichar)-2) {
		(*p)++;
		return 0xFFFD;
	}
	*p = g_utf8_next_char(*p);
	return c;
}

void
cd_sms_measure(const char *text, cd_sms_size *out)
{
	guint sept = 0, utf16 = 0;
	gboolean ucs2 = FALSE;
	for (const char *p = text ? text : ""; *p;) {
		gunichar c = next_char(&p);
		guint s = septets(c);
		if (s == 0)
			ucs2 = TRUE;
		sept += s;
		utf16 += c > 0xFFFF ? 2 : 1;
	}
	out->ucs2 = ucs2;
	out->units = ucs2 ? utf16 : sept;
	out->segments = cd_sms_segments_for(ucs2, out->units);
}

char *
cd_sms_fit(const char *text, guint max_segments)
{
	cd_sms_size sz;
	cd_sms_measure(text, &sz);
	if (max_segments == 0 || sz.segments <= max_segments)
		return g_strdup(text ? text : "");
	guint budget = (max_segments == 1 ? (sz.ucs2 ? 70 : 160) : max_segments * (sz.ucs2 ? 67 : 153)) - 3;
	guint used = 0;
	const char *p = text, *end = text;
	while (*p) {
		gunichar c = next_char(&p);
		guint n = sz.ucs2 ? (c > 0xFFFF ? 2 : 1) : septets(c);
		if (used + n > budget)
			break;
		used += n;
		end = p;
	}
	GString *s = g_string_new_len(text, end - text);
	g_string_append(s, "...");
	return g_string_free(s, FALSE);
}
