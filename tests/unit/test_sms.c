/* test_sms.c - the SMS channel's pure parts: E.164 normalisation, GSM-7/UCS-2 segment counting,
 * keywords, webhook forms and the Twilio signature; and SMS ingestion on a real database
 * (STOP honoured before anything, STATUS only for the sender's own ticket, per-number limits). */
#include "ingest_sms.h"
#include "notify.h"
#include "phone.h"
#include "result.h"
#include "smsenc.h"
#include "smskw.h"
#include "smssig.h"
#include "testutil.h"

#include <string.h>

static void
test_phone(void)
{
	struct {
		const char *in, *country, *want;
	} cases[] = {
		{"0151 1234 5678", "DE", "+4915112345678"},
		{"+49 (151) 1234-5678", "DE", "+4915112345678"},
		{"004915112345678", NULL, "+4915112345678"},
		{"015112345678", "de", "+4915112345678"},
		{"(415) 555-2671", "US", "+14155552671"},
		{"+1 415 555 2671", "DE", "+14155552671"},
		{"06 12 34 56 78", "FR", "+33612345678"},
		{"1234", "DE", NULL},
		{"not a number", "DE", NULL},
		{"015112345678", NULL, NULL},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *got = cd_phone_e164(cases[i].in, cases[i].country);
		g_assert_cmpstr(got, ==, cases[i].want);
		g_free(got);
	}
	char *short_code = cd_phone_normalize("12 34", "DE");
	g_assert_cmpstr(short_code, ==, "1234");
	g_free(short_code);
	g_assert_null(cd_phone_normalize("abc", "DE"));
}

static void
check_size(const char *text, gboolean ucs2, guint units, guint segments)
{
	cd_sms_size s;
	cd_sms_measure(text, &s);
	g_assert_cmpint(s.ucs2, ==, ucs2);
	g_assert_cmpuint(s.units, ==, units);
	g_assert_cmpuint(s.segments, ==, segments);
}

static void
test_segments(void)
{
	check_size("", FALSE, 0, 1);
	check_size("Hello", FALSE, 5, 1);
	char *s160 = g_strnfill(160, 'a'), *s161 = g_strnfill(161, 'a'), *s306 = g_strnfill(306, 'a'),
	     *s307 = g_strnfill(307, 'a');
	check_size(s160, FALSE, 160, 1);
	check_size(s161, FALSE, 161, 2);
	check_size(s306, FALSE, 306, 2);
	check_size(s307, FALSE, 307, 3);
	/* extension table: two septets each; still GSM-7 */
	check_size("€", FALSE, 2, 1);
	check_size("{[~]}|^\\", FALSE, 16, 1);
	char *euros = g_strnfill(80, 'x');
	GString *e = g_string_new(NULL);
	for (int i = 0; i < 81; i++)
		g_string_append(e, "€");
	check_size(e->str, FALSE, 162, 2);
	/* GSM-7 basic accented letters stay GSM-7; others force UCS-2 */
	check_size("Grüße àèéìòù ÄÖÜ ñ ß", FALSE, 20, 1);
	check_size("ç", TRUE, 1, 1); /* only capital Ç is in the basic table */
	check_size("Привет", TRUE, 6, 1);
	/* emoji outside the BMP: a surrogate pair, two units */
	check_size("🔥", TRUE, 2, 1);
	GString *u = g_string_new(NULL);
	for (int i = 0; i < 35; i++)
		g_string_append(u, "🔥");
	check_size(u->str, TRUE, 70, 1);
	g_string_append(u, "a");
	check_size(u->str, TRUE, 71, 2);
	/* cutting to a cap */
	char *fit = cd_sms_fit(s307, 2);
	cd_sms_size f;
	cd_sms_measure(fit, &f);
	g_assert_cmpuint(f.segments, ==, 2);
	g_assert_true(g_str_has_suffix(fit, "..."));
	g_free(fit);
	fit = cd_sms_fit(u->str, 1);
	cd_sms_measure(fit, &f);
	g_assert_cmpuint(f.segments, ==, 1);
	g_assert_true(g_utf8_validate(fit, -1, NULL));
	g_free(fit);
	g_string_free(u, TRUE);
	g_string_free(e, TRUE);
	g_free(euros);
	g_free(s160);
	g_free(s161);
	g_free(s306);
	g_free(s307);
}

static void
check_kw(const char *text, cd_smskw_kind kind, const char *lang, const char *arg)
{
	cd_smskw kw;
	cd_smskw_parse(text, &kw);
	if (kw.kind != kind)
		g_error("'%s': kind %s, expected %s", text, cd_smskw_name(kw.kind), cd_smskw_name(kind));
	g_assert_cmpstr(kw.lang, ==, lang);
	g_assert_cmpstr(kw.arg, ==, arg);
	cd_smskw_clear(&kw);
}

static void
test_keywords(void)
{
	check_kw("STOP", CD_SMSKW_STOP, "en", NULL);
	check_kw("  stop! ", CD_SMSKW_STOP, "en", NULL);
	check_kw("Stopp", CD_SMSKW_STOP, "de", NULL);
	check_kw("ARRÊT", CD_SMSKW_STOP, "fr", NULL);
	check_kw("arrêt", CD_SMSKW_STOP, "fr", NULL);
	check_kw("Baja", CD_SMSKW_STOP, "es", NULL);
	check_kw("start", CD_SMSKW_START, "en", NULL);
	check_kw("ANMELDEN", CD_SMSKW_START, "de", NULL);
	check_kw("help?", CD_SMSKW_HELP, "en", NULL);
	check_kw("Hilfe", CD_SMSKW_HELP, "de", NULL);
	check_kw("aide", CD_SMSKW_HELP, "fr", NULL);
	check_kw("AYUDA", CD_SMSKW_HELP, "es", NULL);
	check_kw("please stop sending", CD_SMSKW_NONE, NULL, NULL);
	check_kw("STATUS T-000123", CD_SMSKW_STATUS, "en", "T-000123");
	check_kw("status t123", CD_SMSKW_STATUS, "en", "T123");
	check_kw("Estado RMA-000045", CD_SMSKW_STATUS, "es", "RMA-000045");
	check_kw("status of my order", CD_SMSKW_NONE, NULL, NULL);
	check_kw("RMA A1001 broken screen", CD_SMSKW_RMA, "en", "A1001");
	check_kw("123456", CD_SMSKW_CODE, NULL, "123456");
	check_kw("Code: 123-456", CD_SMSKW_CODE, NULL, "123456");
	check_kw("código 123 456", CD_SMSKW_CODE, NULL, "123456");
	check_kw("1234567", CD_SMSKW_NONE, NULL, NULL);
	check_kw("My printer is on fire", CD_SMSKW_NONE, NULL, NULL);
	cd_smskw kw;
	cd_smskw_parse("STATUS RMA45", &kw);
	g_assert_cmpint(kw.rma_id, ==, 45);
	g_assert_cmpint(kw.ticket_id, ==, 0);
	cd_smskw_clear(&kw);
	cd_smskw_parse("rma  A1001   Display   kaputt", &kw);
	g_assert_cmpstr(kw.reason, ==, "Display kaputt");
	cd_smskw_clear(&kw);
}

static void
test_signature(void)
{
	/* Twilio's documented example: https://www.twilio.com/docs/usage/security */
	GPtrArray *p = cd_form_parse("CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030"
	                             "&To=%2B18005551212",
	                             -1);
	g_assert_cmpstr(cd_form_get(p, "Caller"), ==, "+12349013030");
	const char *url = "https://mycompany.com/myapp.php?foo=1&bar=2";
	char *sig = cd_twilio_signature("12345", url, p);
	g_assert_cmpstr(sig, ==, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
	g_assert_true(cd_twilio_verify("12345", url, p, sig));
	g_assert_false(cd_twilio_verify("12346", url, p, sig));
	g_assert_false(cd_twilio_verify("12345", "https://mycompany.com/myapp.php", p, sig));
	g_assert_false(cd_twilio_verify("12345", url, p, NULL));
	g_assert_false(cd_twilio_verify("", url, p, sig));
	g_free(sig);
	g_ptr_array_unref(p);
	p = cd_form_parse("text=Gr%C3%BC%C3%9Fe+%E2%82%AC&x&=v&bad=%zz", -1);
	g_assert_cmpstr(cd_form_get(p, "text"), ==, "Grüße €");
	g_assert_cmpstr(cd_form_get(p, "x"), ==, "");
	g_assert_cmpstr(cd_form_get(p, "bad"), ==, "%zz");
	g_ptr_array_unref(p);
}

/* result.c: which HTTP answers of an SMS gateway are worth retrying */
static void
test_http_classification(void)
{
	g_assert_true(cd_http_is_transient(0));    /* no answer: refused, timeout */
	g_assert_true(cd_http_is_transient(503));
	g_assert_true(cd_http_is_transient(500));
	g_assert_true(cd_http_is_transient(429));
	g_assert_true(cd_http_is_transient(403));  /* our credentials: the admin fixes them, the SMS waits */
	g_assert_false(cd_http_is_transient(400)); /* Twilio: invalid number */
	g_assert_false(cd_http_is_transient(404));
	g_assert_false(cd_http_is_transient(202));
}

/* ---- ingestion on a database ---- */

typedef struct {
	cd_store *store;
	cd_config *cfg;
	cd_outbox_ctx ob;
	cd_mail_settings mail;
	cd_secret secret;
	cd_ingest_ctx ctx;
} fixture;

static void
fixture_init(fixture *f)
{
	memset(f, 0, sizeof *f);
	char *path = NULL;
	f->store = tu_store(&path);
	char *dir = g_path_get_dirname(path);
	char *conf = g_build_filename(dir, "caredesk.conf", NULL);
	char *text = g_strdup_printf("[caredesk]\ndatabase = %s\ntemplates = %s/templates\ndomain = example.test\n"
	                             "support_address = support@example.test\n[sms]\nper_number_hourly = 3\n",
	                             path, g_getenv("CAREDESK_SRC"));
	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	GError *error = NULL;
	f->cfg = cd_config_load(conf, &error);
	g_assert_no_error(error);
	g_assert_true(cd_notify_setup(&f->ob, &f->mail, f->store, f->cfg, &f->secret, &error));
	f->ctx = (cd_ingest_ctx){.store = f->store, .cfg = f->cfg, .secret = &f->secret};
	g_free(text);
	g_free(conf);
	g_free(dir);
	g_free(path);
}

static void
fixture_clear(fixture *f)
{
	cd_notify_teardown(&f->ob, &f->mail);
	cd_config_free(f->cfg);
	cd_store_close(f->store);
}

static void
text_in(fixture *f, const char *from, const char *text, const char *id, cd_sms_outcome *out)
{
	cd_sms_in in = {.from = from, .to = "1234", .text = text, .source = "test", .provider_id = id};
	GError *error = NULL;
	g_assert_true(cd_sms_take_in(&f->ctx, &in, out, &error));
	g_assert_no_error(error);
}

static gint64
sent_to(fixture *f, const char *number, const char *kind)
{
	char *sql = g_strdup_printf("SELECT count(*) FROM outbox WHERE recipient = '%s' AND kind = '%s' "
	                            "AND state = 'queued'",
	                            number, kind);
	gint64 n = tu_int(f->store, sql);
	g_free(sql);
	return n;
}

static void
test_ingest(void)
{
	fixture f;
	fixture_init(&f);
	cd_sms_outcome out;
	text_in(&f, "0151 1234 5678", "My printer is on fire", "a1", &out);
	g_assert_cmpstr(out.what, ==, "new ticket");
	gint64 t1 = out.ticket_id;
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM tickets WHERE id = ?1 AND channel = 'sms'", t1), ==, 1);
	g_assert_cmpint(sent_to(&f, "+4915112345678", "ticket_ack"), ==, 1);
	/* delivery reports out of order: the final one stays */
	gint64 row = tu_int(f.store, "SELECT id FROM outbox WHERE kind = 'ticket_ack'"), found = 0;
	GError *error = NULL;
	cd_delivery_report delivered = {.status = "delivered", .final = TRUE},
	                   interim = {.status = "accepted by SMSC"};
	g_assert_true(cd_outbox_delivery_report(f.store, row, NULL, &delivered, &found, &error));
	g_assert_cmpint(found, ==, row);
	g_assert_true(cd_outbox_delivery_report(f.store, row, NULL, &interim, &found, &error));
	g_assert_no_error(error);
	char *ds = tu_text_id(f.store, "SELECT delivery_status FROM outbox WHERE id = ?1", row);
	g_assert_cmpstr(ds, ==, "delivered");
	g_free(ds);
	g_assert_true(cd_outbox_delivery_report(f.store, 0, "no-such-ref", &interim, &found, &error));
	g_assert_cmpint(found, ==, 0);
	/* the same delivery again: a no-op */
	text_in(&f, "0151 1234 5678", "My printer is on fire", "a1", &out);
	g_assert_true(out.duplicate);
	/* more text joins the open ticket */
	text_in(&f, "+4915112345678", "It is still burning", "a2", &out);
	g_assert_cmpstr(out.what, ==, "reply");
	g_assert_cmpint(out.ticket_id, ==, t1);
	/* STATUS of one's own ticket is answered; of another's is not */
	char *status = g_strdup_printf("STATUS T-%06" G_GINT64_FORMAT, t1);
	text_in(&f, "+4915112345678", status, "a3", &out);
	g_assert_cmpstr(out.what, ==, "status");
	g_assert_cmpint(sent_to(&f, "+4915112345678", "status_reply"), ==, 1);
	text_in(&f, "+4917000000001", status, "b1", &out);
	g_assert_cmpstr(out.what, ==, "new ticket");
	g_assert_cmpint(sent_to(&f, "+4917000000001", "status_reply"), ==, 0);
	g_free(status);
	/* STOP: the confirmation and nothing else */
	text_in(&f, "+4915112345678", "stop", "a4", &out);
	g_assert_cmpint(sent_to(&f, "+4915112345678", "sms_stop"), ==, 1);
	text_in(&f, "+4915112345678", "HELP", "a5", &out);
	g_assert_cmpint(sent_to(&f, "+4915112345678", "sms_help"), ==, 0);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM outbox WHERE recipient = '+4915112345678' "
	                                "AND state = 'cancelled' AND last_error LIKE '%opted out%'"),
	                ==, 1);
	/* START: answers again */
	text_in(&f, "+4915112345678", "Start", "a6", &out);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM sms_optouts"), ==, 0);
	/* the hourly limit (3 here): a flood of HELP gets three answers at most */
	for (int i = 0; i < 20; i++) {
		char *id = g_strdup_printf("c%d", i);
		text_in(&f, "+4916099999999", "help", id, &out);
		g_free(id);
	}
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM outbox WHERE recipient = '+4916099999999' "
	                                "AND state = 'queued'"),
	                ==, 3);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM audit_events a JOIN outbox o ON o.id = a.entity_id "
	                                "WHERE a.entity = 'outbox' AND a.action = 'suppressed' AND a.note LIKE '%hourly limit%' "
	                                "AND o.recipient = '+4916099999999'"),
	                ==, 17);
	fixture_clear(&f);
}

/* an urgent ticket is texted to agents with a phone; an agent's SMS answer reaches the customer */
static void
test_agent_sms(void)
{
	fixture f;
	fixture_init(&f);
	char *dir = g_build_filename(g_getenv("CAREDESK_SRC"), "filters", NULL);
	GError *error = NULL;
	f.ctx.rules = cd_rules_load(dir, &error);
	g_assert_no_error(error);
	g_free(dir);
	tu_exec(f.store, "INSERT INTO agents(login, email, name, phone, created_at) VALUES "
	                 "('ana', 'ana@example.test', 'Ana', '+4917612345678', 1), "
	                 "('ben', 'ben@example.test', 'Ben', NULL, 1)");
	cd_sms_outcome out;
	text_in(&f, "+4915177777777", "Urgent: the server room is flooded", "u1", &out);
	gint64 t = out.ticket_id;
	char *prio = tu_text_id(f.store, "SELECT priority FROM tickets WHERE id = ?1", t);
	g_assert_cmpstr(prio, ==, "urgent");
	g_free(prio);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM outbox WHERE kind = 'agent_sms_ticket' "
	                                "AND recipient = '+4917612345678' AND state = 'queued'"),
	                ==, 1);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM outbox WHERE kind = 'agent_sms_ticket'"), ==, 1);
	/* the agent answers by SMS: relayed to the customer (who has no mail address: by SMS) */
	text_in(&f, "+49 176 12345678", "We are on our way", "u2", &out);
	g_assert_cmpstr(out.what, ==, "agent reply");
	g_assert_cmpint(out.ticket_id, ==, t);
	char *body = tu_text(f.store, "SELECT body_text FROM outbox WHERE kind = 'agent_reply' AND channel = 'sms' "
	                              "AND recipient = '+4915177777777'");
	g_assert_nonnull(strstr(body, "We are on our way"));
	g_free(body);
	char *st = tu_text_id(f.store, "SELECT status FROM tickets WHERE id = ?1", t);
	g_assert_cmpstr(st, ==, "pending");
	g_free(st);
	/* an agent's SMS without a notification to answer is kept, not relayed */
	tu_exec(f.store, "UPDATE agents SET phone = '+4917600000000' WHERE login = 'ben'");
	text_in(&f, "+4917600000000", "Hello?", "u3", &out);
	g_assert_cmpint(out.ticket_id, ==, 0);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM outbox WHERE kind = 'agent_reply'"), ==, 1);
	cd_ruleset_unref(f.ctx.rules);
	fixture_clear(&f);
}

/* a rule's sms "KIND" answers an SMS with that template instead of the acknowledgement */
static void
test_rule_sms(void)
{
	fixture f;
	fixture_init(&f);
	char *dir = tu_tempdir();
	char *file = g_build_filename(dir, "10-sms.rules", NULL);
	g_assert_true(g_file_set_contents(file, "rule \"printers\"\n  when channel == sms and body ~ /printer/i\n"
	                                        "  then tag printer\n       sms \"sms_help\"\n",
	                                  -1, NULL));
	GError *error = NULL;
	f.ctx.rules = cd_rules_load(dir, &error);
	g_assert_no_error(error);
	cd_sms_outcome out;
	text_in(&f, "+4915188888888", "my printer jams", "r1", &out);
	g_assert_cmpint(sent_to(&f, "+4915188888888", "sms_help"), ==, 1);
	g_assert_cmpint(sent_to(&f, "+4915188888888", "ticket_ack"), ==, 0);
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM ticket_tags WHERE ticket_id = ?1 AND tag = 'printer'",
	                          out.ticket_id),
	                ==, 1);
	/* a reply in the window: the rule's SMS again, no second acknowledgement */
	text_in(&f, "+4915188888888", "printer still jams", "r2", &out);
	g_assert_cmpstr(out.what, ==, "reply");
	g_assert_cmpint(sent_to(&f, "+4915188888888", "sms_help"), ==, 2);
	cd_ruleset_unref(f.ctx.rules);
	g_free(file);
	g_free(dir);
	fixture_clear(&f);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sms/phone", test_phone);
	g_test_add_func("/sms/segments", test_segments);
	g_test_add_func("/sms/keywords", test_keywords);
	g_test_add_func("/sms/signature", test_signature);
	g_test_add_func("/sms/http-classification", test_http_classification);
	g_test_add_func("/sms/ingest", test_ingest);
	g_test_add_func("/sms/agent", test_agent_sms);
	g_test_add_func("/sms/rule-sms", test_rule_sms);
	return g_test_run();
}
