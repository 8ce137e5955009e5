/* test_charset.c - every text becomes valid UTF-8: declared charsets (the GMime charset vectors in
 * ../shared/corpus), wrong and missing declarations, NUL bytes, HTML meta charsets. */
#include "charset.h"
#include "testutil.h"

#include <string.h>

static void
check_vector(const char *file, const char *charset, const char *reference)
{
	GBytes *in = tu_shared_file(file);
	GBytes *ref = tu_shared_file(reference);
	gsize len, rlen;
	const char *data = g_bytes_get_data(in, &len);
	const char *rdata = g_bytes_get_data(ref, &rlen);
	char *note = NULL;
	char *out = cd_charset_to_utf8(data, len, charset, FALSE, &note);
	g_assert_null(note);
	g_assert_cmpuint(strlen(out), ==, rlen);
	g_assert_true(memcmp(out, rdata, rlen) == 0);
	g_free(out);
	g_bytes_unref(in);
	g_bytes_unref(ref);
}

static void
test_declared_charsets(void)
{
	check_vector("corpus/gmime/charsets/cyrillic.cp1251.txt", "windows-1251", "corpus/gmime/charsets/cyrillic.utf-8.txt");
	check_vector("corpus/gmime/charsets/cyrillic.iso-8859-5.txt", "iso-8859-5", "corpus/gmime/charsets/cyrillic.utf-8.txt");
	check_vector("corpus/gmime/charsets/cyrillic.koi8-r.txt", "koi8-r", "corpus/gmime/charsets/cyrillic.utf-8.txt");
	check_vector("corpus/gmime/charsets/japanese.iso-2022-jp.txt", "iso-2022-jp",
	             "corpus/gmime/charsets/japanese.utf-8.txt");
	check_vector("corpus/gmime/charsets/japanese.shift-jis.txt", "shift_jis", "corpus/gmime/charsets/japanese.utf-8.txt");
}

static void
test_missing_charset_is_windows_1252(void)
{
	char *note = NULL;
	char *out = cd_charset_to_utf8("caf\xe9 \x93quoted\x94 \x80", 16, NULL, FALSE, &note);
	g_assert_cmpstr(out, ==, "café “quoted” €");
	g_assert_nonnull(note);
	g_free(note);
	g_free(out);
	GBytes *fable = tu_shared_file("corpus/gmime/charsets/french-fable.cp1252.txt");
	gsize len;
	const char *d = g_bytes_get_data(fable, &len);
	out = cd_charset_to_utf8(d, len, NULL, FALSE, NULL);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_assert_nonnull(strstr(out, "’"));
	g_free(out);
	g_bytes_unref(fable);
}

static void
test_wrong_declaration(void)
{
	/* declared UTF-8, really Latin-1 */
	char *out = cd_charset_to_utf8("Gr\xfc\xdf" "e", 5, "utf-8", FALSE, NULL);
	g_assert_cmpstr(out, ==, "Grüße");
	g_free(out);
	/* declared Latin-1... but that cannot fail; an unknown charset with valid UTF-8 bytes */
	char *note = NULL;
	out = cd_charset_to_utf8("Grüße", strlen("Grüße"), "x-no-such-charset", FALSE, &note);
	g_assert_cmpstr(out, ==, "Grüße");
	g_assert_nonnull(note);
	g_free(note);
	g_free(out);
	/* mostly UTF-8 with one broken byte: keep the good part */
	out = cd_charset_to_utf8("Grüße \xff ok", strlen("Grüße \xff ok"), "utf-8", FALSE, NULL);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_assert_true(g_str_has_prefix(out, "Grüße "));
	g_free(out);
}

static void
test_nul_bytes_removed(void)
{
	char *out = cd_charset_to_utf8("a\0b\0c", 5, "us-ascii", FALSE, NULL);
	g_assert_cmpstr(out, ==, "abc");
	g_free(out);
}

static void
test_html_meta_charset(void)
{
	const char *html = "<html><head><meta charset=\"koi8-r\"></head><body>\xf0\xd2\xc9\xd7\xc5\xd4</body></html>";
	char *out = cd_charset_to_utf8(html, strlen(html), NULL, TRUE, NULL);
	g_assert_nonnull(strstr(out, "Привет"));
	g_free(out);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/charset/declared", test_declared_charsets);
	g_test_add_func("/charset/missing", test_missing_charset_is_windows_1252);
	g_test_add_func("/charset/wrong", test_wrong_declaration);
	g_test_add_func("/charset/nul", test_nul_bytes_removed);
	g_test_add_func("/charset/html-meta", test_html_meta_charset);
	return g_test_run();
}
