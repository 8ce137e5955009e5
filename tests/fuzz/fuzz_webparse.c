/* fuzz_webhttpparse.c - libFuzzer target: the request parsing of caredesk-web (web/httpparse.h) on arbitrary
 * bytes, as a form body, a query string, a Cookie header and a path. Checks: every name and value is
 * valid UTF-8 without NUL bytes; no more than WEB_MAX_FIELDS fields; decoding never grows the text.
 * Seeds: tests/fuzz/seeds/webparse. */
#include "httpparse.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_table(GHashTable *t)
{
	if (g_hash_table_size(t) > WEB_MAX_FIELDS)
		__builtin_trap();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, t);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (!g_utf8_validate(k, -1, NULL) || !g_utf8_validate(v, -1, NULL))
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	GHashTable *form = web_parse_form((const char *)data, size);
	check_table(form);
	g_hash_table_unref(form);
	char *text = g_strndup((const char *)data, size);
	GHashTable *cookies = web_parse_cookies(text);
	check_table(cookies);
	g_hash_table_unref(cookies);
	char *dec = web_url_decode((const char *)data, size, TRUE);
	if (!g_utf8_validate(dec, -1, NULL) || strlen(dec) > 3 * size + 3)
		__builtin_trap();
	g_free(dec);
	for (guint n = 0; n < 4; n++) {
		char *seg = web_path_segment(text, n);
		if (seg && !g_utf8_validate(seg, -1, NULL))
			__builtin_trap();
		g_free(seg);
	}
	g_free(text);
	return 0;
}
