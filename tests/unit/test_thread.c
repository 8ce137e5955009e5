/* test_thread.c - reply tokens and subject tags: the parts of threading that decide trust. */
#include "secret.h"
#include "thread.h"
#include "testutil.h"

#include <string.h>

static cd_secret *
test_secret(void)
{
	char *dir = tu_tempdir();
	char *path = g_build_filename(dir, "secret.key", NULL);
	char *text = cd_secret_generate_text();
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	GError *error = NULL;
	cd_secret *s = cd_secret_load(path, &error);
	g_assert_no_error(error);
	g_free(text);
	g_free(path);
	g_free(dir);
	return s;
}

static void
test_reply_token(void)
{
	cd_secret *s = test_secret();
	char *addr = cd_reply_address(s, "support@example.test", 123, "Alice@Example.org");
	g_assert_true(g_str_has_prefix(addr, "support+T123."));
	g_assert_true(g_str_has_suffix(addr, "@example.test"));
	g_assert_cmpint(cd_reply_address_ticket(s, addr, "alice@example.org"), ==, 123);
	/* MTAs that fold case do not break it */
	char *lower = g_ascii_strdown(addr, -1);
	g_assert_cmpint(cd_reply_address_ticket(s, lower, "alice@example.org"), ==, 123);
	/* another sender, another ticket number, a changed token, another secret: no */
	g_assert_cmpint(cd_reply_address_ticket(s, addr, "mallory@evil.example"), ==, 0);
	char *other = g_strdup(addr);
	memcpy(other + strlen("support+T"), "124", 3);
	g_assert_cmpint(cd_reply_address_ticket(s, other, "alice@example.org"), ==, 0);
	char *tampered = g_strdup(addr);
	char *dot = strchr(tampered, '.');
	dot[1] = dot[1] == 'A' ? 'B' : 'A';
	g_assert_cmpint(cd_reply_address_ticket(s, tampered, "alice@example.org"), ==, 0);
	cd_secret *s2 = test_secret();
	g_assert_cmpint(cd_reply_address_ticket(s2, addr, "alice@example.org"), ==, 0);
	g_assert_cmpint(cd_reply_address_ticket(s, "support@example.test", "alice@example.org"), ==, 0);
	g_assert_cmpint(cd_reply_address_ticket(s, "support+T.@example.test", "alice@example.org"), ==, 0);
	g_free(addr);
	g_free(lower);
	g_free(other);
	g_free(tampered);
	cd_secret_free(s);
	cd_secret_free(s2);
}

static void
test_subject_tag(void)
{
	g_assert_cmpint(cd_thread_subject_tag("Re: [T-000123] printer"), ==, 123);
	g_assert_cmpint(cd_thread_subject_tag("AW: WG: [t-7] x"), ==, 7);
	g_assert_cmpint(cd_thread_subject_tag("[RMA-000045] x [T-9]"), ==, 9);
	g_assert_cmpint(cd_thread_subject_tag("T-123 without brackets"), ==, 0);
	g_assert_cmpint(cd_thread_subject_tag("[T-] [T-x1] [T-12"), ==, 0);
	g_assert_cmpint(cd_thread_subject_tag(NULL), ==, 0);
	g_assert_cmpint(cd_thread_subject_tag("[T-99999999999999999999999]"), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/thread/reply-token", test_reply_token);
	g_test_add_func("/thread/subject-tag", test_subject_tag);
	return g_test_run();
}
