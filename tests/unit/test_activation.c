/* test_activation.c - activating pending customers: a right code activates (customer pending ->
 * active, audited); wrong codes count attempts and fail the activation at the limit; codes expire;
 * a new code supersedes the old; link tokens; admin approval; and what the customer is told. */
#include "activation.h"
#include "result.h"
#include "testutil.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

#define NOW 1800000000

static const cd_actor sms = {.actor_kind = "customer", .actor = "+4915112345678", .channel = "sms"};
static const cd_actor web = {.actor_kind = "system", .actor = "web", .channel = "web"};

static cd_store *
store_with_customer(gint64 *id)
{
	cd_store *s = tu_store(NULL);
	GError *error = NULL;
	g_assert_true(cd_store_exec(s, "INSERT INTO customers(email, phone, status, created_at, updated_at) "
	                               "VALUES ('dora@example.org', '+4915112345678', 'pending', 0, 0)",
	                            &error));
	*id = cd_store_last_id(s);
	tu_set_now(NOW);
	return s;
}

/* try - cd_activation_try_code; returns whether it activated, *why what the customer is told. */
static gboolean
try(cd_store *s, gint64 customer, const char *code, char **why)
{
	gboolean activated;
	GError *error = NULL;
	g_assert_true(cd_activation_try_code(s, customer, code, &sms, &activated, why, &error));
	g_assert_no_error(error);
	g_assert_true(activated == (*why == NULL));
	return activated;
}

static char *
wrong_code(const char *code)
{
	/* a six-digit code that is not `code` */
	char *w = g_strdup(code);
	w[0] = w[0] == '9' ? '0' : w[0] + 1;
	return w;
}

static void
test_right_code(void)
{
	gint64 c;
	cd_store *s = store_with_customer(&c);
	gint64 id;
	char *code, *why;
	GError *error = NULL;
	g_assert_true(cd_activation_create(s, c, "sms", 60, 5, 0, &web, &id, &code, &error));
	g_assert_cmpuint(strlen(code), ==, 6);
	g_assert_cmpuint(strspn(code, "0123456789"), ==, 6);
	/* only a hash is kept */
	char *hash = tu_text_id(s, "SELECT code_hash FROM activations WHERE id = ?", id);
	g_assert_cmpuint(strlen(hash), ==, 64);
	g_assert_null(strstr(hash, code));
	g_free(hash);
	g_assert_cmpint(tu_int_id(s, "SELECT expires_at FROM activations WHERE id = ?", id), ==, NOW + 3600);
	char *w = wrong_code(code);
	g_assert_false(try(s, c, w, &why));
	g_assert_cmpstr(why, ==, "the code is not right: 4 attempts left");
	g_free(why);
	/* blanks and dashes do not matter */
	char *spaced = g_strdup_printf(" %.3s-%s ", code, code + 3);
	g_assert_true(try(s, c, spaced, &why));
	char *st = tu_text_id(s, "SELECT status FROM customers WHERE id = ?", c);
	g_assert_cmpstr(st, ==, "active");
	g_free(st);
	st = tu_text_id(s, "SELECT state FROM activations WHERE id = ?", id);
	g_assert_cmpstr(st, ==, "activated");
	g_free(st);
	char *h = tu_text_id(s, "SELECT group_concat(entity || ':' || action || ':' || coalesce(to_state, '') || ':' || channel, ' ') "
	                    "FROM (SELECT * FROM audit_events WHERE customer_id = ? ORDER BY id)",
	                 c);
	g_assert_cmpstr(h, ==, "activation:created:pending:web activation:attempt::sms activation:status:activated:sms "
	                       "customer:status:active:sms");
	g_free(h);
	/* once active: nothing to do, and said so */
	g_assert_false(try(s, c, code, &why));
	g_assert_cmpstr(why, ==, "your account is already active");
	g_free(why);
	char *again = NULL;
	g_assert_false(cd_activation_create(s, c, "sms", 60, 5, 0, &web, &id, &again, &error));
	g_assert_null(again);
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_clear_error(&error);
	g_free(spaced);
	g_free(w);
	g_free(code);
	cd_store_close(s);
}

static void
test_attempts_and_expiry(void)
{
	gint64 c;
	cd_store *s = store_with_customer(&c);
	gint64 id;
	char *code, *why;
	GError *error = NULL;
	g_assert_true(cd_activation_create(s, c, "email", 60, 3, 0, &web, &id, &code, &error));
	char *w = wrong_code(code);
	g_assert_false(try(s, c, w, &why));
	g_assert_cmpstr(why, ==, "the code is not right: 2 attempts left");
	g_free(why);
	g_assert_false(try(s, c, w, &why));
	g_assert_cmpstr(why, ==, "the code is not right: 1 attempt left");
	g_free(why);
	g_assert_false(try(s, c, w, &why));
	g_assert_cmpstr(why, ==, "too many wrong codes: please ask for a new one");
	g_free(why);
	/* the right code no longer helps */
	g_assert_false(try(s, c, code, &why));
	g_assert_cmpstr(why, ==, "too many wrong codes: please ask for a new one");
	g_free(why);
	char *st = tu_text_id(s, "SELECT state || ':' || attempts FROM activations WHERE id = ?", id);
	g_assert_cmpstr(st, ==, "failed:3");
	g_free(st);
	g_free(code);
	g_free(w);
	/* a new code; it expires after its minutes, whether or not the timer ran */
	g_assert_true(cd_activation_create(s, c, "sms", 10, 3, 0, &web, &id, &code, &error));
	tu_set_now(NOW + 10 * 60);
	g_assert_false(try(s, c, code, &why));
	g_assert_cmpstr(why, ==, "your activation code has expired: please ask for a new one");
	g_free(why);
	st = tu_text_id(s, "SELECT state FROM activations WHERE id = ?", id);
	g_assert_cmpstr(st, ==, "expired");
	g_free(st);
	g_free(code);
	/* a new code supersedes the one before */
	char *old_code, *new_code;
	gint64 old_id, new_id;
	g_assert_true(cd_activation_create(s, c, "sms", 60, 3, 0, &web, &old_id, &old_code, &error));
	g_assert_true(cd_activation_create(s, c, "sms", 60, 3, 0, &web, &new_id, &new_code, &error));
	st = tu_text_id(s, "SELECT state FROM activations WHERE id = ?", old_id);
	g_assert_cmpstr(st, ==, "expired");
	g_free(st);
	if (strcmp(old_code, new_code) != 0) {
		g_assert_false(try(s, c, old_code, &why));
		g_free(why);
	}
	g_assert_true(try(s, c, new_code, &why));
	g_free(old_code);
	g_free(new_code);
	cd_store_close(s);
}

static void
test_codes_are_random(void)
{
	gint64 c;
	cd_store *s = store_with_customer(&c);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GError *error = NULL;
	for (int i = 0; i < 50; i++) {
		gint64 id;
		char *code;
		g_assert_true(cd_activation_create(s, c, "sms", 60, 3, 0, &web, &id, &code, &error));
		g_hash_table_add(seen, code);
	}
	/* 50 draws of a million: a repeat has a chance of about 0.1 % */
	g_assert_cmpuint(g_hash_table_size(seen), >=, 49);
	g_hash_table_destroy(seen);
	cd_store_close(s);
}

static void
test_link_token(void)
{
	gint64 c;
	cd_store *s = store_with_customer(&c);
	gint64 id, who;
	char *token, *why;
	gboolean activated;
	GError *error = NULL;
	g_assert_true(cd_activation_create(s, c, "link", 60, 5, 0, &web, &id, &token, &error));
	g_assert_cmpuint(strlen(token), ==, 43);
	g_assert_cmpuint(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), ==, 43);
	g_assert_true(cd_activation_try_token(s, "not-a-token", &web, &who, &activated, &why, &error));
	g_assert_false(activated);
	g_assert_cmpint(who, ==, 0);
	g_assert_cmpstr(why, ==, "this activation link is not valid");
	g_free(why);
	g_assert_cmpint(tu_int_id(s, "SELECT attempts FROM activations WHERE id = ?", id), ==, 0);
	g_assert_true(cd_activation_try_token(s, token, &web, &who, &activated, &why, &error));
	g_assert_true(activated);
	g_assert_null(why);
	g_assert_cmpint(who, ==, c);
	/* used twice: the customer is told the account is active */
	g_assert_true(cd_activation_try_token(s, token, &web, &who, &activated, &why, &error));
	g_assert_false(activated);
	g_assert_cmpstr(why, ==, "your account is already active");
	g_free(why);
	g_free(token);
	/* tokens use '-' and '_' (URL-safe base64): each of many must work as given */
	for (int i = 0; i < 40; i++) {
		gint64 c2;
		char *email = g_strdup_printf("t%d@example.org", i);
		cd_store_exec(s, "BEGIN", NULL);
		sqlite3_stmt *st;
		sqlite3_prepare_v2(cd_store_db(s), "INSERT INTO customers(email, status, created_at, updated_at) "
		                                   "VALUES (?, 'pending', 0, 0)", -1, &st, NULL);
		sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
		g_assert_cmpint(sqlite3_step(st), ==, SQLITE_DONE);
		sqlite3_finalize(st);
		c2 = cd_store_last_id(s);
		g_assert_true(cd_activation_create(s, c2, "link", 60, 5, 0, &web, &id, &token, &error));
		g_assert_true(cd_activation_try_token(s, token, &web, &who, &activated, &why, &error));
		g_assert_true(activated);
		g_assert_cmpint(who, ==, c2);
		cd_store_exec(s, "COMMIT", NULL);
		g_free(token);
		g_free(email);
	}
	cd_store_close(s);
}

static void
test_approve(void)
{
	gint64 c;
	cd_store *s = store_with_customer(&c);
	GError *error = NULL;
	gint64 id;
	char *code, *why;
	g_assert_true(cd_activation_create(s, c, "sms", 60, 5, 0, &web, &id, &code, &error));
	const cd_actor admin = {.actor_kind = "admin", .actor = "root", .channel = "cli"};
	g_assert_true(cd_activation_approve(s, c, "admin", &admin, NULL, &error));
	g_assert_no_error(error);
	char *st = tu_text_id(s, "SELECT group_concat(channel || ':' || state, ' ') FROM (SELECT * FROM activations ORDER BY id)", 0);
	g_assert_cmpstr(st, ==, "sms:expired admin:activated");
	g_free(st);
	st = tu_text_id(s, "SELECT status FROM customers WHERE id = ?", c);
	g_assert_cmpstr(st, ==, "active");
	g_free(st);
	g_assert_false(cd_activation_approve(s, c, "admin", &admin, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, "dora@example.org is active, not pending: nothing to activate");
	g_clear_error(&error);
	g_assert_false(try(s, c, code, &why));
	g_free(why);
	g_assert_false(cd_activation_approve(s, 999, "admin", &admin, NULL, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_NOTFOUND);
	g_clear_error(&error);
	g_free(code);
	cd_store_close(s);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/activation/right-code", test_right_code);
	g_test_add_func("/activation/attempts-and-expiry", test_attempts_and_expiry);
	g_test_add_func("/activation/random", test_codes_are_random);
	g_test_add_func("/activation/link-token", test_link_token);
	g_test_add_func("/activation/approve", test_approve);
	return g_test_run();
}
