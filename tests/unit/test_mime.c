/* test_mime.c - parsing: headers (RFC 2047, 8-bit), bodies, attachments (RFC 2231 names, size limit,
 * paths), HTML-only mail, nested messages and their depth limit, hostile structure, unparsable input. */
#include "mime.h"
#include "testutil.h"

#include <string.h>

static cd_attachment *
att(cd_message *m, guint i)
{
	g_assert_cmpuint(i, <, m->attachments->len);
	return g_ptr_array_index(m->attachments, i);
}

static void
test_headers_and_text(void)
{
	GBytes *b = tu_src_file("demo/mail/01-new-request.eml");
	cd_message *m = tu_parse(b);
	g_assert_true(m->parsed);
	g_assert_cmpstr(m->from.addr, ==, "alice@example.org");
	g_assert_cmpstr(m->from.name, ==, "Alice Martin");
	g_assert_cmpstr(m->subject, ==, "Printer PX-200 shows error E42");
	g_assert_cmpstr(m->message_id, ==, "req-1@mail.example.org");
	g_assert_cmpuint(m->to->len, ==, 1);
	g_assert_cmpint(m->date, ==, 1795421520);
	g_assert_nonnull(strstr(m->text, "Martin & Söhne"));
	g_assert_null(strstr(m->reply_text, "Martin & Söhne"));
	g_assert_nonnull(strstr(m->reply_text, "error E42"));
	cd_message_free(m);
	g_bytes_unref(b);
}

static void
test_alternative_and_rfc2231(void)
{
	GBytes *b = tu_src_file("demo/mail/02-reply-from-alice.eml");
	cd_message *m = tu_parse(b);
	g_assert_cmpstr(m->in_reply_to, ==, "req-1@mail.example.org");
	g_assert_cmpuint(m->references->len, ==, 1);
	g_assert_nonnull(strstr(m->text, "I forgot the photo"));
	g_assert_null(strstr(m->text, "<p>")); /* the text comes from text/plain, not HTML */
	g_assert_nonnull(m->html);
	g_assert_cmpuint(m->attachments->len, ==, 1);
	g_assert_cmpstr(att(m, 0)->filename, ==, "display E42 – foto.png");
	g_assert_cmpstr(att(m, 0)->content_type, ==, "image/png");
	g_assert_cmpuint(att(m, 0)->size, ==, 70);
	cd_message_free(m);
	g_bytes_unref(b);
}

static void
test_html_only(void)
{
	GBytes *b = tu_src_file("demo/mail/03-html-only.eml");
	cd_message *m = tu_parse(b);
	g_assert_cmpstr(m->subject, ==, "Lieferung für Bestellung A1002 beschädigt");
	g_assert_nonnull(strstr(m->text, "die Lieferung für Bestellung A1002 kam beschädigt an"));
	g_assert_null(strstr(m->text, "alert"));
	g_assert_null(strstr(m->html, "<script"));
	g_assert_null(strstr(m->html, "onclick"));
	cd_message_free(m);
	g_bytes_unref(b);
}

static void
test_mbox_from_line_and_8bit_header(void)
{
	GBytes *b = tu_shared_file("corpus/mikel-mail/plain_emails/raw_email.eml");
	cd_message *m = tu_parse(b);
	g_assert_true(m->parsed);
	g_assert_nonnull(m->from.addr);
	g_assert_nonnull(m->subject);
	g_assert_null(cd_message_header(m, "From ")); /* the envelope line is not a header */
	cd_message_free(m);
	g_bytes_unref(b);
	b = tu_shared_file("corpus/mikel-mail/error_emails/trademark_character_in_subject.eml");
	m = tu_parse(b);
	g_assert_true(g_utf8_validate(m->subject, -1, NULL));
	g_assert_cmpstr(m->subject, ==, "GA.comô has a lead for you"); /* raw UTF-8 bytes in the header */
	cd_message_free(m);
	g_bytes_unref(b);
}

static void
test_unparsable_is_kept(void)
{
	GBytes *b = tu_shared_file("corpus/rt/lorem-ipsum");
	cd_message *m = tu_parse(b);
	g_assert_false(m->parsed);
	g_assert_nonnull(strstr(m->text, "Lorem ipsum"));
	cd_message_free(m);
	g_bytes_unref(b);
}

static void
test_attachment_size_limit_and_paths(void)
{
	GString *raw = g_string_new("From: a@example.org\nSubject: big\nMIME-Version: 1.0\n"
	                            "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nsee attached\n"
	                            "--x\nContent-Type: application/octet-stream\n"
	                            "Content-Disposition: attachment; filename=\"../../etc/passwd\"\n\n");
	for (int i = 0; i < 3000; i++)
		g_string_append(raw, "0123456789\n");
	g_string_append(raw, "--x--\n");
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	opt.max_attachment_bytes = 1000;
	cd_message *m = cd_mime_parse(raw->str, raw->len, &opt);
	g_assert_cmpuint(m->attachments->len, ==, 1);
	cd_attachment *a = att(m, 0);
	g_assert_cmpstr(a->filename, ==, "passwd");
	g_assert_cmpuint(a->size, ==, 32999); /* the last newline belongs to the boundary */
	g_assert_null(a->data);
	g_assert_nonnull(strstr(a->note, "not stored"));
	g_assert_cmpuint(m->notes->len, >=, 1);
	g_assert_nonnull(strstr(m->text, "see attached"));
	cd_message_free(m);
	g_string_free(raw, TRUE);
}

static char *
nested_message(int depth)
{
	GString *s = g_string_new(NULL);
	for (int i = 0; i < depth; i++)
		g_string_append_printf(s, "From: level%d@example.org\nSubject: level %d\nMIME-Version: 1.0\n"
		                          "Content-Type: message/rfc822\n\n", i, i);
	g_string_append(s, "From: inner@example.org\nSubject: innermost\n\ninnermost text\n");
	return g_string_free(s, FALSE);
}

static void
test_nested_depth_limit(void)
{
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	opt.max_nesting = 3;
	char *raw = nested_message(2);
	cd_message *m = cd_mime_parse(raw, strlen(raw), &opt);
	g_assert_nonnull(strstr(m->text, "innermost text"));
	g_assert_nonnull(strstr(m->text, "Forwarded message"));
	g_assert_cmpuint(m->attachments->len, >=, 1);
	g_assert_cmpstr(att(m, 0)->content_type, ==, "message/rfc822");
	cd_message_free(m);
	g_free(raw);
	raw = nested_message(12);
	m = cd_mime_parse(raw, strlen(raw), &opt);
	g_assert_null(strstr(m->text, "innermost text"));
	gboolean noted = FALSE;
	for (guint i = 0; i < m->notes->len; i++)
		noted |= strstr(g_ptr_array_index(m->notes, i), "deeper than 3") != NULL;
	g_assert_true(noted);
	cd_message_free(m);
	g_free(raw);
}

static void
test_hostile_structure(void)
{
	/* 20,000 nested multiparts and 20,000 sibling parts: bounded work, no crash */
	GString *s = g_string_new("From: x@example.org\nSubject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < 20000; i++)
		g_string_append_printf(s, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	g_string_append(s, "Content-Type: text/plain\n\ndeep text\n");
	gint64 t0 = g_get_monotonic_time();
	cd_message *m = tu_parse_str(s->str);
	g_assert_true(g_utf8_validate(m->text, -1, NULL));
	cd_message_free(m);
	g_string_assign(s, "From: x@example.org\nSubject: wide\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=w\n\n");
	for (int i = 0; i < 20000; i++)
		g_string_append(s, "--w\nContent-Type: application/octet-stream\n\nx\n");
	g_string_append(s, "--w--\n");
	m = tu_parse_str(s->str);
	g_assert_cmpuint(m->attachments->len, <=, 5000);
	cd_message_free(m);
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	g_test_message("hostile structures parsed in %.2f s", secs);
	g_assert_cmpfloat(secs, <, 20.0 * tu_time_scale());
	g_string_free(s, TRUE);
}

/* test_huge_nested_html_mail - a 10 MB HTML-only mail, 200,000 nested elements: taken in within
 * the time budget, its text readable, the HTML for display bounded (Zammad's users wait minutes). */
static void
test_huge_nested_html_mail(void)
{
	GString *s = g_string_new("From: x@example.org\nSubject: html bomb\nMIME-Version: 1.0\n"
	                          "Content-Type: text/html; charset=utf-8\n\n<html><body><p>Visible start</p>");
	while (s->len < 10 * 1024 * 1024)
		g_string_append(s, "<div><span><a href=\"https://t.example/x\">link</a>");
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	gint64 t0 = g_get_monotonic_time();
	cd_message *m = cd_mime_parse(s->str, s->len, &opt);
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	g_test_message("10 MB nested HTML mail parsed in %.2f s", secs);
	g_assert_cmpfloat(secs, <, 10.0 * tu_time_scale());
	g_assert_nonnull(strstr(m->text, "Visible start"));
	g_assert_nonnull(m->html);
	gboolean noted = FALSE;
	for (guint i = 0; i < m->notes->len; i++)
		noted |= strstr(g_ptr_array_index(m->notes, i), "truncated") != NULL;
	g_assert_true(noted); /* 10 MB is over html_max_bytes: the raw message keeps the rest */
	cd_message_free(m);
	g_string_free(s, TRUE);
}

static void
test_corpus_dsn_and_digest(void)
{
	GBytes *b = tu_shared_file("corpus/python-test_email/msg_02.txt");
	cd_message *m = tu_parse(b);
	g_assert_true(m->parsed);
	g_assert_true(g_utf8_validate(m->text, -1, NULL));
	g_assert_cmpuint(m->attachments->len, >=, 1);
	cd_message_free(m);
	g_bytes_unref(b);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	cd_mime_init();
	g_test_add_func("/mime/headers-and-text", test_headers_and_text);
	g_test_add_func("/mime/alternative-rfc2231", test_alternative_and_rfc2231);
	g_test_add_func("/mime/html-only", test_html_only);
	g_test_add_func("/mime/mbox-from-8bit-header", test_mbox_from_line_and_8bit_header);
	g_test_add_func("/mime/unparsable", test_unparsable_is_kept);
	g_test_add_func("/mime/attachment-limit-paths", test_attachment_size_limit_and_paths);
	g_test_add_func("/mime/nested-depth", test_nested_depth_limit);
	g_test_add_func("/mime/hostile-structure", test_hostile_structure);
	g_test_add_func("/mime/digest", test_corpus_dsn_and_digest);
	g_test_add_func("/mime/huge-nested-html", test_huge_nested_html_mail);
	return g_test_run();
}
