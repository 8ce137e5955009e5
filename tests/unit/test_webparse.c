/* test_webparse.c - the request parsing of caredesk-web (web/parse.h): forms, cookies, paths. */
#include "httpparse.h"
#include "testutil.h"

#include <string.h>

static void
test_form(void)
{
	const char *body = "csrf=AB12&email=ann%40example.net&pw=p%C3%A4ss+word&empty=&flag&x=%zz&email=second&=v";
	GHashTable *t = web_parse_form(body, strlen(body));
	g_assert_cmpstr(g_hash_table_lookup(t, "csrf"), ==, "AB12");
	g_assert_cmpstr(g_hash_table_lookup(t, "email"), ==, "ann@example.net"); /* the first one wins */
	g_assert_cmpstr(g_hash_table_lookup(t, "pw"), ==, "päss word");
	g_assert_cmpstr(g_hash_table_lookup(t, "empty"), ==, "");
	g_assert_cmpstr(g_hash_table_lookup(t, "flag"), ==, "");
	g_assert_cmpstr(g_hash_table_lookup(t, "x"), ==, "%zz");
	g_assert_false(g_hash_table_contains(t, ""));
	g_hash_table_unref(t);
}

static void
test_form_hostile(void)
{
	/* NUL and invalid UTF-8 come out as U+FFFD; the field count is bounded */
	const char *body = "a=%00%FF%C3&b=%2";
	GHashTable *t = web_parse_form(body, strlen(body));
	const char *a = g_hash_table_lookup(t, "a");
	g_assert_true(g_utf8_validate(a, -1, NULL));
	g_assert_null(strchr(a, '\0') == a + strlen(a) ? NULL : a);
	g_assert_cmpstr(g_hash_table_lookup(t, "b"), ==, "%2");
	g_hash_table_unref(t);
	GString *many = g_string_new(NULL);
	for (int i = 0; i < 1000; i++)
		g_string_append_printf(many, "f%d=1&", i);
	t = web_parse_form(many->str, many->len);
	g_assert_cmpuint(g_hash_table_size(t), ==, WEB_MAX_FIELDS);
	g_hash_table_unref(t);
	g_string_free(many, TRUE);
	t = web_parse_form(NULL, 0);
	g_assert_cmpuint(g_hash_table_size(t), ==, 0);
	g_hash_table_unref(t);
}

static void
test_cookies(void)
{
	GHashTable *t = web_parse_cookies(" cd_session=abc ; cd_pre=\"q\"; ; =x; junk; cd_session=evil");
	g_assert_cmpstr(g_hash_table_lookup(t, "cd_session"), ==, "abc");
	g_assert_cmpstr(g_hash_table_lookup(t, "cd_pre"), ==, "q");
	g_assert_false(g_hash_table_contains(t, "junk"));
	g_assert_cmpuint(g_hash_table_size(t), ==, 2);
	g_hash_table_unref(t);
	t = web_parse_cookies(NULL);
	g_assert_cmpuint(g_hash_table_size(t), ==, 0);
	g_hash_table_unref(t);
}

static void
test_segments(void)
{
	char *s;
	g_assert_cmpstr((s = web_path_segment("/orders/A%201001/invoice.pdf", 0)), ==, "orders");
	g_free(s);
	g_assert_cmpstr((s = web_path_segment("/orders/A%201001/invoice.pdf", 1)), ==, "A 1001");
	g_free(s);
	g_assert_cmpstr((s = web_path_segment("//orders//x/", 1)), ==, "x");
	g_free(s);
	g_assert_null(web_path_segment("/orders/", 1));
	g_assert_null(web_path_segment("/orders/x", 2));
	g_assert_null(web_path_segment(NULL, 0));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/webparse/form", test_form);
	g_test_add_func("/webparse/form-hostile", test_form_hostile);
	g_test_add_func("/webparse/cookies", test_cookies);
	g_test_add_func("/webparse/segments", test_segments);
	return g_test_run();
}
