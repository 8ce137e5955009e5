/* httpparse.c - forms, query strings and cookies (see httpparse.h). */
#include "httpparse.h"
#include "util.h"

#include <string.h>

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
web_url_decode(const char *s, gsize len, gboolean plus_is_space)
{
	GString *out = g_string_sized_new(len);
	for (gsize i = 0; i < len; i++) {
		char c = s[i];
		int h, l;
		if (c == '%' && i + 2 < len && (h = hexval(s[i + 1])) >= 0 &&
		    (l = hexval(s[i + 2])) >= 0) {
			g_string_append_c(out, (char)(h * 16 + l));
			i += 2;
		} else if (c == '+' && plus_is_space) {
			g_string_append_c(out, ' ');
		} else {
			g_string_append_c(out, c);
		}
	}
	char *clean = cd_utf8_clean(out->str, (gssize)out->len);
	g_string_free(out, TRUE);
	return clean;
}

GHashTable *
web_parse_form(const char *data, gsize len)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (data == NULL)
		return t;
	if (len > WEB_MAX_FORM_BYTES)
		len = WEB_MAX_FORM_BYTES;
	gsize i = 0;
	while (i < len && g_hash_table_size(t) < WEB_MAX_FIELDS) {
		const char *start = data + i;
		const char *amp = memchr(start, '&', len - i);
		gsize plen = amp ? (gsize)(amp - start) : len - i;
		const char *eq = memchr(start, '=', plen);
		gsize nlen = eq ? (gsize)(eq - start) : plen;
		if (nlen > 0) {
			char *name = web_url_decode(start, nlen, TRUE);
			char *value = eq ? web_url_decode(eq + 1, plen - nlen - 1, TRUE) : g_strdup("");
			if (!g_hash_table_contains(t, name))
				g_hash_table_insert(t, name, value);
			else {
				g_free(name);
				g_free(value);
			}
		}
		i += plen + 1;
	}
	return t;
}

GHashTable *
web_parse_cookies(const char *header)
{
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (header == NULL)
		return t;
	char **parts = g_strsplit(header, ";", WEB_MAX_FIELDS);
	for (guint i = 0; parts[i]; i++) {
		char *p = g_strstrip(parts[i]);
		char *eq = strchr(p, '=');
		if (eq == NULL || eq == p)
			continue;
		*eq = '\0';
		char *name = cd_utf8_clean(g_strstrip(p), -1);
		char *v = eq + 1;
		gsize vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v[vl - 1] = '\0';
			v++;
		}
		if (!g_hash_table_contains(t, name))
			g_hash_table_insert(t, name, cd_utf8_clean(v, -1));
		else
			g_free(name);
	}
	g_strfreev(parts);
	return t;
}

char *
web_path_segment(const char *path, guint n)
{
	if (path == NULL)
		return NULL;
	const char *p = path;
	for (guint k = 0;; k++) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return NULL;
		const char *end = strchr(p, '/');
		gsize len = end ? (gsize)(end - p) : strlen(p);
		if (k == n)
			return web_url_decode(p, len, FALSE);
		p += len;
	}
}
