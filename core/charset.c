/* charset.c - charset conversion to UTF-8 with fallbacks (see charset.h). */
#include "charset.h"
#include "mime.h"
#include "util.h"

#include <gmime/gmime.h>
#include <string.h>

static char *
convert_with(const char *data, gsize len, const char *charset)
{
	const char *iconv_name = g_mime_charset_iconv_name(charset);
	if (iconv_name == NULL)
		return NULL;
	iconv_t cd = g_mime_iconv_open("UTF-8", iconv_name);
	if (cd == (iconv_t)-1)
		return NULL;
	char *out = g_mime_iconv_strndup(cd, data, len);
	g_mime_iconv_close(cd);
	return out;
}

static gboolean
is_utf8_name(const char *charset)
{
	return g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0;
}

static gboolean
is_ascii_name(const char *charset)
{
	return g_ascii_strcasecmp(charset, "us-ascii") == 0 || g_ascii_strcasecmp(charset, "ascii") == 0 ||
	       g_ascii_strcasecmp(charset, "ansi_x3.4-1968") == 0;
}

/* sniff_meta_charset - charset from <meta charset=...> or http-equiv in the first bytes of HTML. */
static char *
sniff_meta_charset(const char *data, gsize len)
{
	gsize n = MIN(len, 4096);
	char *head = g_ascii_strdown(data, n);
	char *found = NULL;
	const char *p = head;
	while ((p = strstr(p, "charset")) != NULL) {
		p += 7;
		while (*p == ' ' || *p == '=' || *p == '"' || *p == '\'')
			p++;
		const char *s = p;
		while (g_ascii_isalnum(*p) || *p == '-' || *p == '_' || *p == ':' || *p == '.')
			p++;
		if (p > s) {
			found = g_strndup(s, p - s);
			break;
		}
	}
	g_free(head);
	return found;
}

/* count_utf8_multibyte - valid multi-byte UTF-8 sequences in data: a sign that it really is UTF-8. */
static gsize
count_utf8_multibyte(const char *data, gsize len)
{
	gsize count = 0;
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *bad;
		if (g_utf8_validate(p, end - p, &bad)) {
			bad = end;
		}
		for (const char *q = p; q < bad; q = g_utf8_next_char(q))
			if ((guchar)*q >= 0x80)
				count++;
		if (bad >= end)
			break;
		p = bad + 1;
	}
	return count;
}

char *
cd_charset_to_utf8(const char *data, gsize len, const char *declared, gboolean is_html, char **note)
{
	char *sniffed = NULL;
	char *result = NULL;
	char *without_nul = NULL;
	cd_mime_init(); /* GMime's charset tables */
	if (memchr(data, '\0', len) != NULL) {
		/* NUL bytes are never text; iconv and C strings would stop at them */
		without_nul = g_malloc(len);
		gsize n = 0;
		for (gsize i = 0; i < len; i++)
			if (data[i] != '\0')
				without_nul[n++] = data[i];
		data = without_nul;
		len = n;
	}
	if (note)
		*note = NULL;
	if ((declared == NULL || *declared == '\0') && is_html)
		declared = sniffed = sniff_meta_charset(data, len);
	gboolean valid_utf8 = g_utf8_validate_len(data, len, NULL);

	if (declared == NULL || *declared == '\0' || is_ascii_name(declared) || is_utf8_name(declared)) {
		if (valid_utf8) {
			result = cd_utf8_clean(data, len);
			goto done;
		}
		if (declared && is_utf8_name(declared) && count_utf8_multibyte(data, len) > 0) {
			/* mostly UTF-8 with some damage: keep what is valid */
			result = cd_utf8_clean(data, len);
			if (note)
				*note = g_strdup("invalid UTF-8 sequences replaced");
			goto done;
		}
	} else {
		result = convert_with(data, len, declared);
		if (result != NULL) {
			char *clean = cd_utf8_clean(result, -1);
			g_free(result);
			result = clean;
			goto done;
		}
		if (valid_utf8) {
			result = cd_utf8_clean(data, len);
			if (note)
				*note = g_strdup_printf("charset \"%s\" failed; text was valid UTF-8", declared);
			goto done;
		}
	}
	/* Undeclared or wrong, and not UTF-8: the most common real-world case is Windows-1252. */
	result = convert_with(data, len, "windows-1252");
	if (result == NULL)
		result = convert_with(data, len, "iso-8859-1");
	if (result == NULL) /* cannot happen with a working iconv; never lose the text anyway */
		result = cd_utf8_clean(data, len);
	else {
		char *clean = cd_utf8_clean(result, -1);
		g_free(result);
		result = clean;
	}
	if (note)
		*note = g_strdup_printf("charset \"%s\" %s; decoded as Windows-1252", declared ? declared : "(none)",
		                        declared ? "did not fit" : "missing");
done:
	g_free(without_nul);
	g_free(sniffed);
	return result;
}
