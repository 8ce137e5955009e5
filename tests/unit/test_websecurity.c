/* test_websecurity.c - the security pieces of web accounts: the blocklist (CIDR ranges v4 and v6,
 * domains and their subdomains, phone numbers, card fingerprints, expiry), argon2id passwords,
 * hashed tokens, sessions (idle and maximum age, logout, a password change ends them all), single-
 * use expiring reset links, API tokens, and the login guard (IP delays doubling, account lock-out
 * and its end, one audit row per failure). */
#include "account.h"
#include "blocklist.h"
#include "customer.h"
#include "loginguard.h"
#include "template.h"
#include "testutil.h"
#include "util.h"

#include <string.h>

static cd_web_settings
settings(void)
{
	cd_web_settings s;
	g_assert_true(cd_web_settings_load(NULL, &s, NULL));
	return s;
}

static gint64
new_customer(cd_store *st, const char *email)
{
	gint64 id;
	g_assert_true(cd_customer_create(st, email, NULL, "X", "active", &id, NULL));
	return id;
}

static void
test_cidr(void)
{
	g_assert_true(cd_ip_in_cidr("192.0.2.77", "192.0.2.0/24"));
	g_assert_false(cd_ip_in_cidr("192.0.3.1", "192.0.2.0/24"));
	g_assert_true(cd_ip_in_cidr("10.1.2.3", "10.0.0.0/8"));
	g_assert_true(cd_ip_in_cidr("203.0.113.9", "203.0.113.9"));
	g_assert_false(cd_ip_in_cidr("203.0.113.10", "203.0.113.9"));
	g_assert_true(cd_ip_in_cidr("2001:db8::1", "2001:db8::/32"));
	g_assert_false(cd_ip_in_cidr("2001:db9::1", "2001:db8::/32"));
	g_assert_true(cd_ip_in_cidr("::ffff:192.0.2.5", "192.0.2.0/24")); /* v4-mapped */
	g_assert_false(cd_ip_in_cidr("192.0.2.5", "::/0"));
	g_assert_true(cd_ip_in_cidr("192.0.2.5", "0.0.0.0/0"));
	g_assert_false(cd_ip_in_cidr("not an ip", "0.0.0.0/0"));
	g_assert_false(cd_ip_in_cidr("192.0.2.5", "192.0.2.0/33"));
	char *n = cd_blocklist_normalize(CD_BLOCK_IP, "192.0.2.77/24");
	g_assert_cmpstr(n, ==, "192.0.2.0/24");
	g_free(n);
	n = cd_blocklist_normalize(CD_BLOCK_IP, "2001:DB8:0::1");
	g_assert_cmpstr(n, ==, "2001:db8::1");
	g_free(n);
	g_assert_null(cd_blocklist_normalize(CD_BLOCK_IP, "999.1.1.1"));
}

static void
test_blocklist(void)
{
	cd_store *st = tu_store(NULL);
	gboolean b;
	char *why = NULL;
	g_assert_true(cd_blocklist_add(st, CD_BLOCK_IP, "198.51.100.0/24", "scanner", 0, "test", NULL));
	g_assert_true(cd_blocklist_add(st, CD_BLOCK_DOMAIN, "@Evil.Example", "fraud", 0, "test", NULL));
	g_assert_true(cd_blocklist_add(st, CD_BLOCK_EMAIL, "Mallory@Example.com", NULL, 0, "test", NULL));
	g_assert_true(cd_blocklist_add(st, CD_BLOCK_PHONE, "0049 30 1234-567", "sim swap", 0, "test", NULL));
	g_assert_true(cd_blocklist_add(st, CD_BLOCK_CARD, "4111-1111-1111-1111", "chargeback", 0, "test", NULL));
	g_assert_true(cd_blocklist_add(st, CD_BLOCK_EMAIL, "temp@example.com", "for now", cd_now() + 60, "test", NULL));
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_IP, "198.51.100.200", &b, &why, NULL));
	g_assert_true(b);
	g_assert_cmpstr(why, ==, "scanner");
	g_free(why);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_IP, "198.51.101.1", &b, NULL, NULL));
	g_assert_false(b);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_EMAIL, "x@mail.evil.example", &b, &why, NULL));
	g_assert_true(b);
	g_assert_cmpstr(why, ==, "fraud");
	g_free(why);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_EMAIL, "x@notevil.example", &b, NULL, NULL));
	g_assert_false(b);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_EMAIL, "MALLORY@example.com", &b, &why, NULL));
	g_assert_true(b);
	g_assert_cmpstr(why, ==, "");
	g_free(why);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_PHONE, "+49 (30) 1234567", &b, NULL, NULL));
	g_assert_true(b);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_CARD, "4111 1111 1111 1111", &b, NULL, NULL));
	g_assert_true(b);
	g_assert_cmpint(tu_int(st, "SELECT count(*) FROM blocklist WHERE value LIKE '%4111%'"), ==, 0);
	char *fp = cd_card_fingerprint("4111111111111111");
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_CARD, fp, &b, NULL, NULL));
	g_assert_true(b);
	g_free(fp);
	/* expiry */
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_EMAIL, "temp@example.com", &b, NULL, NULL));
	g_assert_true(b);
	tu_set_now(cd_now() + 120);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_EMAIL, "temp@example.com", &b, NULL, NULL));
	g_assert_false(b);
	g_unsetenv("CAREDESK_NOW");
	/* removal; values that are not of their kind */
	gboolean removed;
	g_assert_true(cd_blocklist_remove(st, CD_BLOCK_IP, "198.51.100.5/24", &removed, NULL));
	g_assert_true(removed);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_IP, "198.51.100.200", &b, NULL, NULL));
	g_assert_false(b);
	GError *e = NULL;
	g_assert_false(cd_blocklist_add(st, CD_BLOCK_PHONE, "call me", NULL, 0, "test", &e));
	g_assert_nonnull(e);
	g_clear_error(&e);
	g_assert_true(cd_blocklist_match(st, CD_BLOCK_IP, "garbage", &b, NULL, NULL));
	g_assert_false(b);
	cd_store_close(st);
}

static void
test_passwords(void)
{
	char *h = cd_password_hash("correct horse battery");
	g_assert_nonnull(h);
	g_assert_true(g_str_has_prefix(h, "$argon2id$"));
	g_assert_true(cd_password_verify(h, "correct horse battery"));
	g_assert_false(cd_password_verify(h, "correct horse batterY"));
	g_assert_false(cd_password_verify(NULL, "x"));
	g_assert_false(cd_password_verify("garbage", "x"));
	char *h2 = cd_password_hash("correct horse battery");
	g_assert_cmpstr(h, !=, h2); /* salted */
	g_free(h);
	g_free(h2);
	char a[65], b[65];
	char *t1 = cd_token_new(a), *t2 = cd_token_new(b);
	g_assert_cmpuint(strlen(t1), ==, 43);
	g_assert_cmpstr(t1, !=, t2);
	char again[65];
	cd_token_hash(t1, again);
	g_assert_cmpstr(a, ==, again);
	g_assert_cmpstr(a, !=, t1);
	g_free(t1);
	g_free(t2);
}

static void
test_sessions(void)
{
	cd_store *st = tu_store(NULL);
	cd_web_settings s = settings();
	gint64 cid = new_customer(st, "ann@example.net"), got;
	char *t1, *t2;
	g_assert_true(cd_session_create(st, &s, cid, "192.0.2.1", &t1, NULL));
	g_assert_true(cd_session_create(st, &s, cid, "192.0.2.1", &t2, NULL));
	g_assert_cmpint(tu_int(st, "SELECT count(*) FROM web_sessions"), ==, 2);
	char *stored = tu_text(st, "SELECT group_concat(token_hash) FROM web_sessions");
	g_assert_null(strstr(stored, t1));
	g_free(stored);
	g_assert_true(cd_session_lookup(st, &s, t1, &got, NULL));
	g_assert_cmpint(got, ==, cid);
	g_assert_true(cd_session_lookup(st, &s, "nope", &got, NULL));
	g_assert_cmpint(got, ==, 0);
	/* logout ends one */
	g_assert_true(cd_session_end(st, t1, NULL));
	g_assert_true(cd_session_lookup(st, &s, t1, &got, NULL));
	g_assert_cmpint(got, ==, 0);
	g_assert_true(cd_session_lookup(st, &s, t2, &got, NULL));
	g_assert_cmpint(got, ==, cid);
	/* idle too long */
	gint64 now = cd_now();
	tu_set_now(now + s.session_idle_minutes * 60 + 5);
	g_assert_true(cd_session_lookup(st, &s, t2, &got, NULL));
	g_assert_cmpint(got, ==, 0);
	g_unsetenv("CAREDESK_NOW");
	/* a password change ends them all */
	char *t3;
	g_assert_true(cd_session_create(st, &s, cid, NULL, &t3, NULL));
	cd_actor a = {.actor_kind = "customer", .actor_id = cid, .channel = "web"};
	g_assert_true(cd_customer_set_password(st, cid, "$argon2id$x", &a, NULL, NULL));
	g_assert_true(cd_session_lookup(st, &s, t3, &got, NULL));
	g_assert_cmpint(got, ==, 0);
	g_assert_cmpint(tu_int(st, "SELECT count(*) FROM audit_events WHERE action = 'password'"), ==, 1);
	/* a disabled customer's session stops working */
	char *t4;
	g_assert_true(cd_session_create(st, &s, cid, NULL, &t4, NULL));
	tu_exec(st, "UPDATE customers SET status = 'disabled' WHERE id = %" G_GINT64_FORMAT, cid);
	g_assert_true(cd_session_lookup(st, &s, t4, &got, NULL));
	g_assert_cmpint(got, ==, 0);
	g_free(t1);
	g_free(t2);
	g_free(t3);
	g_free(t4);
	cd_web_settings_clear(&s);
	cd_store_close(st);
}

static void
test_resets(void)
{
	cd_store *st = tu_store(NULL);
	gint64 cid = new_customer(st, "bob@example.net"), got;
	char *t1, *t2;
	g_assert_true(cd_reset_create(st, cid, 30, &t1, NULL));
	g_assert_true(cd_reset_create(st, cid, 30, &t2, NULL));
	g_assert_true(cd_reset_check(st, t1, &got, NULL));
	g_assert_cmpint(got, ==, 0); /* the newer link replaced it */
	g_assert_true(cd_reset_check(st, t2, &got, NULL));
	g_assert_cmpint(got, ==, cid);
	g_assert_true(cd_reset_use(st, t2, &got, NULL));
	g_assert_cmpint(got, ==, cid);
	g_assert_true(cd_reset_use(st, t2, &got, NULL));
	g_assert_cmpint(got, ==, 0); /* single use */
	char *t3;
	g_assert_true(cd_reset_create(st, cid, 30, &t3, NULL));
	tu_set_now(cd_now() + 31 * 60);
	g_assert_true(cd_reset_use(st, t3, &got, NULL));
	g_assert_cmpint(got, ==, 0); /* expired */
	g_unsetenv("CAREDESK_NOW");
	/* API tokens */
	char *api;
	gint64 id;
	g_assert_true(cd_apitoken_create(st, "shop", &api, NULL));
	g_assert_true(cd_apitoken_check(st, api, &id, NULL));
	g_assert_cmpint(id, >, 0);
	g_assert_true(cd_apitoken_check(st, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &id, NULL));
	g_assert_cmpint(id, ==, 0);
	gboolean revoked;
	g_assert_true(cd_apitoken_revoke(st, "shop", &revoked, NULL));
	g_assert_true(revoked);
	g_assert_true(cd_apitoken_check(st, api, &id, NULL));
	g_assert_cmpint(id, ==, 0);
	g_free(api);
	g_free(t1);
	g_free(t2);
	g_free(t3);
	cd_store_close(st);
}

static void
test_loginguard(void)
{
	cd_store *st = tu_store(NULL);
	cd_web_settings s = settings();
	s.ip_free_failures = 3;
	s.account_max_failures = 5;
	s.lockout_seconds = 100;
	gint64 t0 = 1800000000;
	tu_set_now(t0);
	cd_login_gate g;
	gint64 wait;
	for (int i = 0; i < 2; i++)
		g_assert_true(cd_login_failed(st, &s, "a@example.net", "192.0.2.1", 0, "unknown address", NULL));
	g_assert_true(cd_login_gate_check(st, &s, "a@example.net", "192.0.2.1", &g, &wait, NULL));
	g_assert_cmpint(g, ==, CD_LOGIN_ALLOWED);
	/* the third failure from the IP: wait 2 s, then 4, 8 */
	g_assert_true(cd_login_failed(st, &s, "b@example.net", "192.0.2.1", 0, "x", NULL));
	g_assert_true(cd_login_gate_check(st, &s, "c@example.net", "192.0.2.1", &g, &wait, NULL));
	g_assert_cmpint(g, ==, CD_LOGIN_IP_WAIT);
	g_assert_cmpint(wait, ==, 2);
	g_assert_true(cd_login_failed(st, &s, "b@example.net", "192.0.2.1", 0, "x", NULL));
	g_assert_true(cd_login_gate_check(st, &s, "c@example.net", "192.0.2.1", &g, &wait, NULL));
	g_assert_cmpint(wait, ==, 4);
	g_assert_true(cd_login_failed(st, &s, "b@example.net", "192.0.2.1", 0, "x", NULL));
	g_assert_true(cd_login_gate_check(st, &s, "c@example.net", "192.0.2.1", &g, &wait, NULL));
	g_assert_cmpint(wait, ==, 8);
	/* another IP is not slowed */
	g_assert_true(cd_login_gate_check(st, &s, "c@example.net", "192.0.2.2", &g, &wait, NULL));
	g_assert_cmpint(g, ==, CD_LOGIN_ALLOWED);
	/* the account: 5 failures (from anywhere) lock it */
	for (int i = 0; i < 3; i++)
		g_assert_true(cd_login_failed(st, &s, "a@example.net", "192.0.2.9", 0, "x", NULL));
	g_assert_true(cd_login_gate_check(st, &s, "a@example.net", "192.0.2.50", &g, &wait, NULL));
	g_assert_cmpint(g, ==, CD_LOGIN_LOCKED);
	g_assert_cmpint(wait, ==, 100);
	tu_set_now(t0 + 101);
	g_assert_true(cd_login_gate_check(st, &s, "a@example.net", "192.0.2.50", &g, &wait, NULL));
	g_assert_cmpint(g, ==, CD_LOGIN_ALLOWED);
	g_assert_cmpint(tu_int(st, "SELECT count(*) FROM audit_events WHERE action = 'login_failed'"), ==, 8);
	/* success forgets */
	g_assert_true(cd_login_succeeded(st, "b@example.net", "192.0.2.1", NULL));
	g_assert_true(cd_login_gate_check(st, &s, "b@example.net", "192.0.2.1", &g, &wait, NULL));
	g_assert_cmpint(g, ==, CD_LOGIN_ALLOWED);
	g_unsetenv("CAREDESK_NOW");
	cd_web_settings_clear(&s);
	cd_store_close(st);
}

/* every shipped page loads and renders with nothing filled in: no template syntax left over, and no
 * script or inline style (the CSP forbids both) */
static void
test_pages(void)
{
	const char *src = g_getenv("CAREDESK_SRC");
	g_assert_nonnull(src);
	char *dir = g_build_filename(src, "templates", NULL);
	GError *e = NULL;
	cd_tmpl_set *set = cd_tmpl_web_load(dir, &e);
	g_assert_no_error(e);
	char *pages = g_build_filename(dir, "web", "en", NULL);
	GDir *d = g_dir_open(pages, 0, NULL);
	g_assert_nonnull(d);
	const char *n;
	guint count = 0;
	while ((n = g_dir_read_name(d)) != NULL) {
		if (!g_str_has_suffix(n, ".html"))
			continue;
		char *page = g_strndup(n, strlen(n) - 5);
		JsonObject *v = json_object_new();
		json_object_set_string_member(v, "title", "<T&>");
		char *html = NULL;
		g_assert_true(cd_tmpl_render_web(set, page, "de", v, &html, &e));
		g_assert_no_error(e);
		g_assert_true(g_str_has_prefix(html, "<!doctype html>"));
		g_assert_null(strstr(html, "{{"));
		g_assert_null(strstr(html, "<script"));
		g_assert_null(strstr(html, "style="));
		g_assert_null(strstr(html, "<T&>"));
		g_assert_nonnull(strstr(html, "&lt;T&amp;&gt;"));
		g_free(html);
		json_object_unref(v);
		g_free(page);
		count++;
	}
	g_dir_close(d);
	g_assert_cmpuint(count, >=, 15);
	cd_tmpl_set_free(set);
	g_free(pages);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/web/cidr", test_cidr);
	g_test_add_func("/web/blocklist", test_blocklist);
	g_test_add_func("/web/passwords", test_passwords);
	g_test_add_func("/web/sessions", test_sessions);
	g_test_add_func("/web/resets", test_resets);
	g_test_add_func("/web/loginguard", test_loginguard);
	g_test_add_func("/web/pages", test_pages);
	return g_test_run();
}
