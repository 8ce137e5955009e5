/* test_outbox.c - the outbox: queueing with rendering, suppression (bouncing addresses, the RFC 3834
 * daily limit), leases, backoff and permanent failure, VERP addresses and bounces; and the bytes
 * compose.c builds (headers safe from CR/LF, RFC 2047, alternatives, threading). */
#include "compose.h"
#include "outbox.h"
#include "result.h"
#include "template.h"
#include "testutil.h"

#include <gmime/gmime.h>
#include <string.h>

#define NOW 1800000000

typedef struct {
	cd_store *store;
	cd_config cfg;
	cd_secret secret;
	cd_mail_settings mail;
	cd_tmpl_set *templates;
	cd_outbox_ctx ob;
} fixture;

static void
add(cd_tmpl_set *set, const char *path, const char *text)
{
	GError *error = NULL;
	g_assert_true(cd_tmpl_set_add(set, path, text, strlen(text), &error));
	g_assert_no_error(error);
}

static void
fixture_init(fixture *f)
{
	memset(f, 0, sizeof *f);
	tu_set_now(NOW);
	f->store = tu_store(NULL);
	f->cfg.domain = "example.test";
	f->cfg.support_address = "support@example.test";
	f->cfg.web_base_url = "https://help.example.test";
	memset(f->secret.key, 7, sizeof f->secret.key);
	f->mail.auto_reply_per_day = 3;
	f->mail.bounce_limit = 2;
	f->mail.max_attempts = 4;
	f->mail.backoff_seconds = 60;
	f->mail.backoff_max_seconds = 3600;
	f->mail.from_name = "Support";
	f->templates = cd_tmpl_set_new();
	add(f->templates, "email/en/ticket_ack.subject", "[{{ticket.ref}}] {{ticket.subject}}");
	add(f->templates, "email/en/ticket_ack.txt", "Hello {{customer.name}}, we got it: {{ticket.ref}}.\n");
	add(f->templates, "email/en/ticket_ack.html", "<p>Hello {{customer.name}}</p>");
	add(f->templates, "email/de/ticket_ack.subject", "[{{ticket.ref}}] Eingang: {{ticket.subject}}");
	add(f->templates, "email/de/ticket_ack.txt", "Hallo {{customer.name}}.\n");
	GError *error = NULL;
	g_assert_true(cd_tmpl_set_link(f->templates, &error));
	g_assert_no_error(error);
	f->ob = (cd_outbox_ctx){.store = f->store, .cfg = &f->cfg, .secret = &f->secret, .templates = f->templates,
	                        .mail = &f->mail};
	tu_exec(f->store, "INSERT INTO customers(email, name, language, status, created_at, updated_at) VALUES "
	                  "('carla@example.org', 'Carla', NULL, 'active', 1, 1), "
	                  "('dora@example.de', 'Dora', 'de', 'active', 1, 1)");
}

static void
fixture_clear(fixture *f)
{
	cd_tmpl_set_free(f->templates);
	cd_store_close(f->store);
}

static gint64
ack(fixture *f, gint64 customer, const char *to, const char **why)
{
	JsonObject *vars = json_object_new();
	JsonObject *t = json_object_new();
	json_object_set_string_member(t, "ref", "T-000007");
	json_object_set_string_member(t, "subject", "Printer\r\nBcc: evil@example.com");
	json_object_set_object_member(vars, "ticket", t);
	cd_outbox_msg msg = {.kind = "ticket_ack", .recipient = to, .customer_id = customer, .vars = vars,
	                     .auto_reply = TRUE, .in_reply_to = "c1@example.org"};
	gint64 row = 0;
	GError *error = NULL;
	g_assert_true(cd_outbox_enqueue(&f->ob, &msg, &row, why, &error));
	g_assert_no_error(error);
	json_object_unref(vars);
	return row;
}

static void
test_enqueue_renders(void)
{
	fixture f;
	fixture_init(&f);
	const char *why = NULL;
	gint64 row = ack(&f, 1, "carla@example.org", &why);
	g_assert_null(why);
	char *s = tu_text_id(f.store, "SELECT state || '|' || subject || '|' || body_text FROM outbox WHERE id = ?", row);
	/* the subject is one line: the CR/LF a customer put in their subject became spaces */
	g_assert_cmpstr(s, ==, "queued|[T-000007] Printer Bcc: evil@example.com|Hello Carla, we got it: T-000007.\n");
	g_free(s);
	s = tu_text_id(f.store, "SELECT message_id FROM outbox WHERE id = ?", row);
	g_assert_true(g_str_has_prefix(s, "cd."));
	g_assert_true(g_str_has_suffix(s, "@example.test"));
	g_free(s);
	/* the customer's language picks the template; a part missing in it falls back to English */
	row = ack(&f, 2, "dora@example.de", &why);
	s = tu_text_id(f.store, "SELECT lang || '|' || subject || '|' || body_text FROM outbox WHERE id = ?", row);
	g_assert_cmpstr(s, ==, "de|[T-000007] Eingang: Printer Bcc: evil@example.com|Hallo Dora.\n");
	g_free(s);
	g_assert_cmpint(tu_int_id(f.store, "SELECT body_html IS NOT NULL FROM outbox WHERE id = ?", row), ==, 1);
	fixture_clear(&f);
}

static void
test_missing_template_fails_visibly(void)
{
	fixture f;
	fixture_init(&f);
	cd_outbox_msg msg = {.kind = "no_such_kind", .recipient = "carla@example.org", .customer_id = 1};
	gint64 row = 0;
	const char *why = NULL;
	GError *error = NULL;
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "outbox: template no_such_kind*kept as failed");
	g_assert_true(cd_outbox_enqueue(&f.ob, &msg, &row, &why, &error));
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(why);
	char *s = tu_text_id(f.store, "SELECT state || '|' || last_error FROM outbox WHERE id = ?", row);
	g_assert_true(g_str_has_prefix(s, "failed|template no_such_kind"));
	g_free(s);
	fixture_clear(&f);
}

static void
test_auto_reply_limit(void)
{
	fixture f;
	fixture_init(&f);
	const char *why = NULL;
	for (int i = 0; i < 3; i++) {
		ack(&f, 1, "carla@example.org", &why);
		g_assert_null(why);
	}
	gint64 row = ack(&f, 1, "carla@example.org", &why);
	g_assert_nonnull(why);
	g_assert_cmpint(tu_int_id(f.store, "SELECT state = 'cancelled' FROM outbox WHERE id = ?", row), ==, 1);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM audit_events WHERE action = 'suppressed'"), ==, 1);
	/* another address has its own count; a day later the limit starts again */
	ack(&f, 2, "dora@example.de", &why);
	g_assert_null(why);
	tu_set_now(NOW + 86401);
	ack(&f, 1, "carla@example.org", &why);
	g_assert_null(why);
	fixture_clear(&f);
}

static void
test_claim_lease_backoff(void)
{
	fixture f;
	fixture_init(&f);
	gint64 row = ack(&f, 1, "carla@example.org", NULL);
	GPtrArray *rows = NULL;
	GError *error = NULL;
	g_assert_true(cd_outbox_claim(f.store, "email", 10, 300, &rows, &error));
	g_assert_cmpuint(rows->len, ==, 1);
	cd_outbox_row *r = g_ptr_array_index(rows, 0);
	g_assert_cmpint(r->id, ==, row);
	g_assert_cmpint(r->attempts, ==, 1);
	g_ptr_array_unref(rows);
	/* leased: nobody else takes it until the lease runs out (a deliverer that died) */
	g_assert_true(cd_outbox_claim(f.store, "email", 10, 300, &rows, &error));
	g_assert_cmpuint(rows->len, ==, 0);
	g_ptr_array_unref(rows);
	tu_set_now(NOW + 301);
	g_assert_true(cd_outbox_claim(f.store, "email", 10, 300, &rows, &error));
	g_assert_cmpuint(rows->len, ==, 1);
	g_assert_cmpint(((cd_outbox_row *)g_ptr_array_index(rows, 0))->attempts, ==, 2);
	g_ptr_array_unref(rows);
	/* temporary failures back off, growing; at max_attempts the row fails */
	gint64 prev = 0;
	for (gint64 attempt = 2; attempt <= 4; attempt++) {
		g_assert_true(cd_outbox_record(f.store, &f.mail, row, attempt, CD_SEND_TEMP, "451 try later", &error));
		g_assert_no_error(error);
		if (attempt < 4) {
			gint64 delay = tu_int_id(f.store, "SELECT next_attempt_at FROM outbox WHERE id = ?", row) - (NOW + 301);
			g_assert_cmpint(delay, >=, 60 << (attempt - 1));
			g_assert_cmpint(delay, <=, (60 << (attempt - 1)) * 11 / 10 + 1);
			g_assert_cmpint(delay, >, prev);
			prev = delay;
		}
	}
	char *s = tu_text_id(f.store, "SELECT state || '|' || last_error FROM outbox WHERE id = ?", row);
	g_assert_cmpstr(s, ==, "failed|451 try later");
	g_free(s);
	/* retry puts it back */
	g_assert_true(cd_outbox_retry(f.store, row, &error));
	g_assert_cmpint(tu_int_id(f.store, "SELECT state = 'queued' AND attempts = 0 FROM outbox WHERE id = ?", row), ==, 1);
	g_assert_false(cd_outbox_retry(f.store, row, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
	/* a permanent failure ends it at once; success records sent_at */
	g_assert_true(cd_outbox_record(f.store, &f.mail, row, 1, CD_SEND_PERM, "550 no such user", &error));
	g_assert_cmpint(tu_int_id(f.store, "SELECT state = 'failed' FROM outbox WHERE id = ?", row), ==, 1);
	gint64 row2 = ack(&f, 2, "dora@example.de", NULL);
	g_assert_true(cd_outbox_record(f.store, &f.mail, row2, 1, CD_SEND_OK, "250", &error));
	g_assert_cmpint(tu_int_id(f.store, "SELECT state = 'sent' AND sent_at IS NOT NULL AND last_error IS NULL "
	                                   "FROM outbox WHERE id = ?", row2), ==, 1);
	fixture_clear(&f);
}

static void
test_verp_and_bounces(void)
{
	fixture f;
	fixture_init(&f);
	char *verp = cd_verp_address(&f.secret, "example.test", 42);
	g_assert_true(g_str_has_prefix(verp, "bounces+42."));
	g_assert_cmpint(cd_verp_row(&f.secret, verp), ==, 42);
	char *upper = g_ascii_strup(verp, -1);
	g_assert_cmpint(cd_verp_row(&f.secret, upper), ==, 42); /* some MTAs fold case */
	g_free(upper);
	char *forged = g_strdup(verp);
	forged[9] = '3'; /* bounces+32.<mac of 42> */
	g_assert_cmpint(cd_verp_row(&f.secret, forged), ==, 0);
	g_assert_cmpint(cd_verp_row(&f.secret, "bounces+42@example.test"), ==, 0);
	g_assert_cmpint(cd_verp_row(&f.secret, "support@example.test"), ==, 0);
	g_free(forged);
	g_free(verp);

	GError *error = NULL;
	gint64 r1 = ack(&f, 1, "carla@example.org", NULL);
	g_assert_true(cd_outbox_bounce(f.store, &f.mail, r1, "4.2.2", "delayed", &error));
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM mail_addresses"), ==, 0); /* a delay is not a bounce */
	g_assert_true(cd_outbox_bounce(f.store, &f.mail, r1, "5.1.1", "failed", &error));
	g_assert_no_error(error);
	char *s = tu_text_id(f.store, "SELECT state || '|' || delivery_status FROM outbox WHERE id = ?", r1);
	g_assert_cmpstr(s, ==, "failed|failed 5.1.1");
	g_free(s);
	g_assert_cmpint(tu_int(f.store, "SELECT bouncing FROM mail_addresses"), ==, 0);
	gint64 r2 = ack(&f, 1, "carla@example.org", NULL);
	g_assert_true(cd_outbox_bounce(f.store, &f.mail, r2, "5.1.1", "failed", &error));
	g_assert_cmpint(tu_int(f.store, "SELECT bouncing FROM mail_addresses WHERE address = 'carla@example.org'"), ==, 1);
	/* no more mail to it */
	const char *why = NULL;
	gint64 r3 = ack(&f, 1, "carla@example.org", &why);
	g_assert_cmpstr(why, ==, "the address is bouncing");
	g_assert_cmpint(tu_int_id(f.store, "SELECT state = 'cancelled' FROM outbox WHERE id = ?", r3), ==, 1);
	fixture_clear(&f);
}

static GMimeMessage *
parse_bytes(GBytes *b)
{
	gsize len;
	const char *data = g_bytes_get_data(b, &len);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	g_assert_nonnull(m);
	return m;
}

static void
test_compose(void)
{
	cd_outbox_row row = {.id = 5,
	                     .kind = "ticket_ack",
	                     .recipient = "carla@example.org",
	                     .subject = "[T-000007] Grüße\r\nBcc: evil@example.com",
	                     .body_text = "Hällo\nline two\n",
	                     .body_html = "<p>Hällo</p>",
	                     .headers = "{\"Reply-To\":\"support+T7.ABC@example.test\\r\\nCc: x@evil.example\","
	                                "\"In-Reply-To\":\"c1@example.org\",\"References\":[\"c0@example.org\",\"c1@example.org\"]}",
	                     .message_id = "cd.abc@example.test",
	                     .auto_reply = TRUE};
	cd_compose_opts co = {.from_address = "support@example.test", .from_name = "Support\nTeam", .crlf = TRUE};
	GError *error = NULL;
	GBytes *b = cd_compose_email(&row, &co, &error);
	g_assert_no_error(error);
	gsize len;
	const char *data = g_bytes_get_data(b, &len);
	char *text = g_strndup(data, len);
	/* no smuggled header, every line ends in CRLF, non-ASCII subject encoded */
	g_assert_null(strstr(text, "\nBcc:"));
	g_assert_null(strstr(text, "\nCc:"));
	for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n'))
		g_assert_cmpint(p[-1], ==, '\r');
	g_assert_nonnull(strstr(text, "=?UTF-8?"));
	g_assert_nonnull(strstr(text, "charset=utf-8"));
	GMimeMessage *m = parse_bytes(b);
	g_assert_cmpstr(g_mime_message_get_subject(m), ==, "[T-000007] Grüße Bcc: evil@example.com");
	g_assert_cmpstr(g_mime_message_get_message_id(m), ==, "cd.abc@example.test");
	GMimeObject *o = GMIME_OBJECT(m);
	g_assert_cmpstr(g_mime_object_get_header(o, "In-Reply-To"), ==, "<c1@example.org>");
	g_assert_cmpstr(g_mime_object_get_header(o, "References"), ==, "<c0@example.org> <c1@example.org>");
	g_assert_cmpstr(g_mime_object_get_header(o, "Auto-Submitted"), ==, "auto-replied");
	g_assert_cmpstr(g_mime_object_get_header(o, "X-Loop"), ==, "support@example.test");
	g_assert_true(g_str_has_prefix(g_mime_object_get_header(o, "Reply-To"), "support+T7.ABC@example.test"));
	GMimeObject *body = g_mime_message_get_mime_part(m);
	g_assert_true(GMIME_IS_MULTIPART(body));
	g_assert_cmpstr(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(body)), ==, "alternative");
	GMimeObject *plain = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	char *decoded = g_mime_text_part_get_text(GMIME_TEXT_PART(plain));
	g_assert_cmpstr(decoded, ==, "Hällo\nline two\n");
	g_free(decoded);
	g_object_unref(m);
	g_free(text);
	g_bytes_unref(b);

	/* text only, LF line ends for sendmail; no address, no message */
	row.body_html = NULL;
	row.auto_reply = FALSE;
	row.kind = "agent_reply";
	co.crlf = FALSE;
	b = cd_compose_email(&row, &co, &error);
	data = g_bytes_get_data(b, &len);
	text = g_strndup(data, len);
	g_assert_null(strstr(text, "\r\n"));
	g_assert_null(strstr(text, "Auto-Submitted"));
	g_assert_nonnull(strstr(text, "Content-Type: text/plain; charset=utf-8"));
	g_free(text);
	g_bytes_unref(b);
	row.recipient = "not an address";
	g_assert_null(cd_compose_email(&row, &co, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
}

static void
test_header_value(void)
{
	char *v = cd_header_value("  a\r\n\tb\x01 c  ");
	g_assert_cmpstr(v, ==, "a b c");
	g_free(v);
	v = cd_header_value(NULL);
	g_assert_cmpstr(v, ==, "");
	g_free(v);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/outbox/enqueue-renders", test_enqueue_renders);
	g_test_add_func("/outbox/missing-template", test_missing_template_fails_visibly);
	g_test_add_func("/outbox/auto-reply-limit", test_auto_reply_limit);
	g_test_add_func("/outbox/claim-lease-backoff", test_claim_lease_backoff);
	g_test_add_func("/outbox/verp-and-bounces", test_verp_and_bounces);
	g_test_add_func("/outbox/compose", test_compose);
	g_test_add_func("/outbox/header-value", test_header_value);
	return g_test_run();
}
