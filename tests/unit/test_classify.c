/* test_classify.c - loops and bounces: what makes a message one we must never answer. */
#include "classify.h"
#include "testutil.h"

static void
classify(const char *raw, const char *envelope_from, cd_classification *c)
{
	cd_message *m = tu_parse_str(raw);
	cd_classify(m, envelope_from, "support@example.test", c);
	cd_message_free(m);
}

#define BASE "From: a@example.org\nTo: support@example.test\nSubject: hi\n"

static void
test_plain_mail_is_answerable(void)
{
	cd_classification c;
	classify(BASE "\nhello\n", "a@example.org", &c);
	g_assert_false(cd_classification_never_answer(&c));
	classify(BASE "Auto-Submitted: no\n\nhello\n", NULL, &c);
	g_assert_false(cd_classification_never_answer(&c));
}

static void
test_rfc3834(void)
{
	cd_classification c;
	classify(BASE "Auto-Submitted: auto-replied\n\nI am away\n", NULL, &c);
	g_assert_true(c.auto_reply);
	g_assert_cmpstr(c.reason, ==, "Auto-Submitted: auto-replied");
	classify(BASE "Auto-Submitted: auto-generated; owner-email=x@y\n\nx\n", NULL, &c);
	g_assert_true(c.auto_reply);
	classify(BASE "X-Autoreply: yes\n\nx\n", NULL, &c);
	g_assert_true(c.auto_reply);
	classify(BASE "X-Auto-Response-Suppress: All\n\nx\n", NULL, &c);
	g_assert_true(c.auto_reply);
}

static void
test_bulk(void)
{
	cd_classification c;
	classify(BASE "Precedence: bulk\n\nx\n", NULL, &c);
	g_assert_true(c.bulk);
	classify(BASE "Precedence: junk\n\nx\n", NULL, &c);
	g_assert_true(c.bulk);
	classify(BASE "Precedence: list\n\nx\n", NULL, &c);
	g_assert_true(c.bulk);
	classify(BASE "List-Id: <users.lists.example.org>\n\nx\n", NULL, &c);
	g_assert_true(c.bulk);
}

static void
test_null_return_path(void)
{
	cd_classification c;
	classify(BASE "\nx\n", "", &c);
	g_assert_true(c.auto_reply);
	classify("Return-Path: <>\n" BASE "\nx\n", NULL, &c);
	g_assert_true(c.auto_reply);
	classify("From: MAILER-DAEMON@mx.example.org\nSubject: failure\n\nx\n", "", &c);
	g_assert_true(c.bounce);
}

static void
test_our_own_loop(void)
{
	cd_classification c;
	classify(BASE "X-Loop: support@example.test\n\nx\n", NULL, &c);
	g_assert_true(c.loop);
	classify(BASE "X-Loop: someone-else@example.org\n\nx\n", NULL, &c);
	g_assert_false(c.loop);
}

static void
test_dsn(void)
{
	GBytes *b = tu_src_file("demo/mail/06-bounce.eml");
	cd_message *m = tu_parse(b);
	cd_classification c;
	cd_classify(m, "", "support@example.test", &c);
	g_assert_true(c.bounce);
	g_assert_cmpstr(m->dsn_status, ==, "5.1.1");
	g_assert_cmpstr(m->dsn_action, ==, "failed");
	g_assert_cmpstr(m->dsn_recipient, ==, "nobody@example.org");
	g_assert_cmpstr(m->dsn_original_message_id, ==, "out-1@example.test");
	cd_message_free(m);
	g_bytes_unref(b);
	/* a real-world DSN from the corpus */
	b = tu_shared_file("corpus/rt/multipart-report");
	m = tu_parse(b);
	cd_classify(m, NULL, "support@example.test", &c);
	g_assert_true(c.bounce);
	cd_message_free(m);
	g_bytes_unref(b);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/classify/plain", test_plain_mail_is_answerable);
	g_test_add_func("/classify/rfc3834", test_rfc3834);
	g_test_add_func("/classify/bulk", test_bulk);
	g_test_add_func("/classify/null-return-path", test_null_return_path);
	g_test_add_func("/classify/loop", test_our_own_loop);
	g_test_add_func("/classify/dsn", test_dsn);
	return g_test_run();
}
