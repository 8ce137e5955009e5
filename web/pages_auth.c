/* pages_auth.c - login, logout, registration, activation and password reset. Login failures go
 * through the login guard (core/loginguard.h) and all get one answer; the blocklist refuses
 * registration and login; argon2id runs outside the database lock. */
#include "account.h"
#include "activation.h"
#include "app.h"
#include "blocklist.h"
#include "customer.h"
#include "loginguard.h"
#include "result.h"
#include "util.h"

#include <string.h>

static const char bad_login[] = "The email address or the password is wrong.";

static int
login_form(web_req *r, int status, const char *error, const char *email)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "Log in");
	vset(v, "error", error);
	vset(v, "email", email);
	return send_page(r, status, "login", v);
}

/* web_blocked - whether any of the request's IP, email or phone is on the blocklist (logs why) */
gboolean
web_blocked(web_req *r, const char *email, const char *phone)
{
	gboolean b = FALSE;
	char *why = NULL;
	GError *e = NULL;
	cd_blocklist_match(app->store, CD_BLOCK_IP, r->ip, &b, &why, &e);
	if (!b && email && *email)
		cd_blocklist_match(app->store, CD_BLOCK_EMAIL, email, &b, &why, &e);
	if (!b && phone && *phone)
		cd_blocklist_match(app->store, CD_BLOCK_PHONE, phone, &b, &why, &e);
	if (e) {
		g_warning("blocklist: %s", e->message);
		g_error_free(e);
	}
	if (b)
		g_message("blocked web request from %s (%s): %s", r->ip, email ? email : "-", why ? why : "");
	g_free(why);
	return b;
}

void
web_commit_or_warn(gboolean ok, GError *e, const char *what)
{
	if (ok && cd_store_commit(app->store, &e))
		return;
	g_warning("%s: %s", what, e ? e->message : "?");
	g_clear_error(&e);
	cd_store_rollback(app->store);
}

int
web_login_gate(web_req *r, const char *account, const char *page, const char *title)
{
	cd_login_gate gate;
	gint64 wait;
	GError *e = NULL;
	if (!cd_login_gate_check(app->store, &app->web, account, r->ip, &gate, &wait, &e)) {
		g_clear_error(&e);
		return send_error(r, 503, "Please try again in a moment.");
	}
	if (gate == CD_LOGIN_ALLOWED)
		return 0;
	char *msg = gate == CD_LOGIN_LOCKED
	                ? g_strdup_printf("Too many failed logins for this account. It is locked for %" G_GINT64_FORMAT
	                                  " more seconds.", wait)
	                : g_strdup_printf("Too many failed logins from your network. Please wait %" G_GINT64_FORMAT
	                                  " seconds before trying again.", wait);
	JsonObject *v = json_object_new();
	vset(v, "title", title);
	vset(v, "error", msg);
	if (strcmp(page, "admin_login") == 0)
		json_object_set_boolean_member(v, "admin_page", TRUE);
	int rc = send_page(r, 429, page, v);
	g_free(msg);
	return rc;
}

gboolean
web_password_check(const char *hash, const char *password)
{
	/* argon2id without the lock: other requests go on meanwhile */
	app_unlock();
	gboolean good;
	if (hash)
		good = cd_password_verify(hash, password);
	else {
		cd_password_dummy_verify(password);
		good = FALSE;
	}
	app_lock();
	return good;
}

int
page_login(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc;
	if (!r.post) {
		if (r.customer_id)
			rc = send_redirect(&r, "/orders");
		else {
			if (*req_query(&r, "activated"))
				r.flash = "Your account is active. Please log in.";
			if (*req_query(&r, "reset"))
				r.flash = "Your password was changed. Please log in.";
			rc = login_form(&r, 200, NULL, NULL);
		}
		req_end(&r);
		return rc;
	}
	if (!req_csrf_ok(&r)) {
		rc = refuse_csrf(&r);
		req_end(&r);
		return rc;
	}
	char *email = cd_address_normalize(req_form(&r, "email"));
	const char *password = req_form(&r, "password");
	char *account = g_strdup(email ? email : req_form(&r, "email"));
	GError *e = NULL;
	if (web_blocked(&r, email, NULL)) {
		cd_store_begin(app->store, NULL);
		gboolean ok = cd_login_failed(app->store, &app->web, account, r.ip, 0, "blocklisted", &e);
		web_commit_or_warn(ok, e, "login audit");
		rc = login_form(&r, 403, "Logging in is not possible from here. Please contact us.", NULL);
		goto out;
	}
	rc = web_login_gate(&r, account, "login", "Log in");
	if (rc)
		goto out;
	gint64 cid = 0;
	char *hash = NULL, *status = NULL;
	sqlite3_stmt *st = cd_store_stmt(app->store, "SELECT id, password_hash, status FROM customers WHERE email = ?",
	                                 NULL);
	gboolean row = FALSE;
	if (st && email) {
		sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
		if (cd_store_step(app->store, st, &row, NULL) && row) {
			cid = sqlite3_column_int64(st, 0);
			hash = cd_col_dup(st, 1);
			status = cd_col_dup(st, 2);
		}
		sqlite3_reset(st);
	}
	gboolean good = web_password_check(hash, password);
	if (good && g_strcmp0(status, "active") == 0) {
		char *token = NULL;
		gboolean ok = cd_store_begin(app->store, &e) && cd_login_succeeded(app->store, account, r.ip, &e) &&
		              cd_session_create(app->store, &app->web, cid, r.ip, &token, &e);
		if (ok) {
			cd_actor a = {.actor_kind = "customer", .actor_id = cid, .actor = email, .channel = "web"};
			char *note = g_strdup_printf("logged in from %s", r.ip);
			cd_audit_event ev = {.actor = &a, .entity = "customer", .entity_id = cid, .customer_id = cid,
			                     .action = "login", .note = note};
			ok = cd_audit(app->store, &ev, &e) && cd_store_commit(app->store, &e);
			g_free(note);
		}
		if (ok) {
			req_set_session(&r, token);
			rc = send_redirect(&r, "/orders");
		} else {
			g_warning("login: %s", e ? e->message : "?");
			g_clear_error(&e);
			cd_store_rollback(app->store);
			rc = send_error(&r, 503, "Please try again in a moment.");
		}
		g_free(token);
	} else {
		const char *why = good ? (g_strcmp0(status, "pending") == 0 ? "not activated" : "disabled")
		                       : (cid ? "wrong password" : "unknown address");
		gboolean ok = cd_store_begin(app->store, &e) &&
		              cd_login_failed(app->store, &app->web, account, r.ip, cid, why, &e);
		web_commit_or_warn(ok, e, "login failure");
		e = NULL;
		/* only someone who knows the password learns that the account waits for activation */
		rc = login_form(&r, 401,
		                good && g_strcmp0(status, "pending") == 0
		                    ? "Your account is not activated yet. Follow the link we sent you, or enter your code."
		                    : bad_login,
		                NULL);
	}
	g_free(hash);
	g_free(status);
out:
	g_free(email);
	g_free(account);
	req_end(&r);
	return rc;
}

int
page_logout(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc;
	if (!r.post)
		rc = send_redirect(&r, "/");
	else if (!req_csrf_ok(&r))
		rc = refuse_csrf(&r);
	else {
		GError *e = NULL;
		if (r.session && !cd_session_end(app->store, r.session, &e)) {
			g_warning("logout: %s", e->message);
			g_error_free(e);
		}
		req_set_session(&r, NULL);
		rc = send_redirect(&r, "/login");
	}
	req_end(&r);
	return rc;
}

static int
register_form(web_req *r, int status, const char *error)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "Create an account");
	vset(v, "error", error);
	vset(v, "email", req_form(r, "email"));
	vset(v, "name", req_form(r, "name"));
	vset(v, "phone", req_form(r, "phone"));
	vint(v, "min_password", app->web.min_password_length);
	return send_page(r, status, "register", v);
}

static int
check_mail_page(web_req *r, const char *policy)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "Check your messages");
	json_object_set_boolean_member(v, "by_link", strcmp(policy, "link") == 0);
	json_object_set_boolean_member(v, "by_email", strcmp(policy, "email") == 0);
	json_object_set_boolean_member(v, "by_sms", strcmp(policy, "sms") == 0);
	json_object_set_boolean_member(v, "by_admin", strcmp(policy, "admin") == 0);
	return send_page(r, 200, "registered", v);
}

/* start_activation - the policy's activation of a new pending customer, and its message */
static gboolean
start_activation(web_req *r, gint64 cid, const char *policy, GError **error)
{
	if (strcmp(policy, "admin") == 0) {
		cd_audit_event ev = {.actor = req_actor(r), .entity = "customer", .entity_id = cid, .customer_id = cid,
		                     .action = "registered", .note = "waits for an admin's approval (caredesk activations approve)"};
		return cd_audit(app->store, &ev, error);
	}
	const char *channel = strcmp(policy, "link") == 0 ? "link" : policy;
	gint64 aid;
	char *code = NULL;
	if (!cd_activation_create(app->store, cid, channel, app->wf.activation_code_minutes,
	                          app->wf.activation_max_attempts, 0, req_actor(r), &aid, &code, error))
		return FALSE;
	char *link = strcmp(channel, "link") == 0 ? g_strdup_printf("%s/activate?token=%s", app->cfg->web_base_url, code)
	                                          : g_strdup_printf("%s/activate", app->cfg->web_base_url);
	gboolean ok = cd_notify_activation(app->store, cid, channel, strcmp(channel, "link") == 0 ? NULL : code, link,
	                                   app->wf.activation_code_minutes, error);
	g_free(link);
	g_free(code);
	return ok;
}

/* send_reset - a reset link for customer cid by mail; at most RESETS_PER_HOUR of them an hour
 * (asking again and again must not flood anyone's mailbox: the answer page stays the same) */
#define RESETS_PER_HOUR 3
static gboolean
send_reset(gint64 cid, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(app->store,
	                                 "SELECT count(*) FROM password_resets WHERE customer_id = ?1 AND created_at > ?2",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, cd_now() - 3600);
	gboolean row;
	if (!cd_store_step(app->store, st, &row, error))
		return FALSE;
	gint64 recent = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (recent >= RESETS_PER_HOUR) {
		g_message("password reset for customer %" G_GINT64_FORMAT ": %d links in the last hour, none sent", cid,
		          RESETS_PER_HOUR);
		return TRUE;
	}
	char *token = NULL;
	if (!cd_reset_create(app->store, cid, app->web.reset_minutes, &token, error))
		return FALSE;
	char *link = g_strdup_printf("%s/password/reset?token=%s", app->cfg->web_base_url, token);
	gboolean ok = cd_notify_password_reset(app->store, cid, link, app->web.reset_minutes, error);
	g_free(link);
	g_free(token);
	return ok;
}

int
page_register(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc;
	if (!r.post) {
		rc = r.customer_id ? send_redirect(&r, "/orders") : register_form(&r, 200, NULL);
		req_end(&r);
		return rc;
	}
	if (!req_csrf_ok(&r)) {
		rc = refuse_csrf(&r);
		req_end(&r);
		return rc;
	}
	char *email = cd_address_normalize(req_form(&r, "email"));
	const char *name = req_form(&r, "name");
	const char *password = req_form(&r, "password");
	char *phone = *req_form(&r, "phone") ? cd_blocklist_normalize(CD_BLOCK_PHONE, req_form(&r, "phone")) : NULL;
	char *group = NULL;
	const char *policy = NULL;
	GError *e = NULL;
	if (email == NULL || strlen(email) > 254) {
		rc = register_form(&r, 400, "Please enter a valid email address.");
		goto out;
	}
	if (*req_form(&r, "phone") && phone == NULL) {
		rc = register_form(&r, 400, "Please enter the phone number with its country code, like +49 30 1234567.");
		goto out;
	}
	if (g_utf8_strlen(password, -1) < app->web.min_password_length || strlen(password) > 1024) {
		char *m = g_strdup_printf("Please choose a password of at least %d characters.", app->web.min_password_length);
		rc = register_form(&r, 400, m);
		g_free(m);
		goto out;
	}
	if (g_utf8_strlen(name, -1) > 200) {
		rc = register_form(&r, 400, "Please enter a shorter name.");
		goto out;
	}
	if (web_blocked(&r, email, phone)) {
		cd_audit_event ev = {.actor = req_actor(&r), .entity = "customer", .action = "registration_refused",
		                     .note = r.ip};
		cd_store_begin(app->store, NULL);
		web_commit_or_warn(cd_audit(app->store, &ev, &e), e, "registration audit");
		e = NULL;
		rc = register_form(&r, 403, "Registration is not possible with these details. Please contact us.");
		goto out;
	}
	group = cd_web_group_for_email(app->cfg, email);
	policy = cd_web_activation_policy(app->cfg, &app->web, group);
	if (strcmp(policy, "sms") == 0 && phone == NULL) {
		rc = register_form(&r, 400, "Please enter your mobile number: we send your activation code by SMS.");
		goto out;
	}
	/* an existing address: the same answer, and its owner gets a reset link instead */
	gint64 existing = 0;
	cd_store_lookup_id(app->store, "SELECT id FROM customers WHERE email = ?1 AND status <> 'disabled'", email, 0,
	                   &existing, NULL);
	if (existing) {
		gboolean ok = cd_store_begin(app->store, &e) && send_reset(existing, &e);
		web_commit_or_warn(ok, e, "registration of a known address");
		rc = check_mail_page(&r, "link");
		goto out;
	}
	app_unlock();
	char *hash = cd_password_hash(password);
	app_lock();
	gint64 cid = 0;
	gboolean ok = hash && cd_store_begin(app->store, &e) &&
	              cd_customer_create(app->store, email, phone, *name ? name : NULL, "pending", &cid, &e);
	if (ok) {
		sqlite3_stmt *st = cd_store_stmt(app->store,
		                                 "UPDATE customers SET password_hash = ?2, customer_group = ?3 WHERE id = ?1", &e);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_int64(st, 1, cid);
			sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, group, -1, SQLITE_TRANSIENT);
			ok = cd_store_run(app->store, st, &e);
		}
	}
	ok = ok && start_activation(&r, cid, policy, &e) && cd_store_commit(app->store, &e);
	g_free(hash);
	if (!ok) {
		gboolean taken = e && e->code == CD_ERROR_STORE;
		g_warning("registration of %s: %s", email, e ? e->message : "?");
		g_clear_error(&e);
		cd_store_rollback(app->store);
		rc = taken ? register_form(&r, 400, "This phone number belongs to another account.")
		           : send_error(&r, 503, "Please try again in a moment.");
		goto out;
	}
	rc = check_mail_page(&r, policy);
out:
	g_free(email);
	g_free(phone);
	g_free(group);
	req_end(&r);
	return rc;
}

static int
activate_form(web_req *r, int status, const char *error)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "Activate your account");
	vset(v, "error", error);
	const char *token = r->post ? req_form(r, "token") : req_query(r, "token");
	vset(v, "token", *token ? token : NULL);
	vset(v, "email", r->post ? req_form(r, "email") : req_query(r, "email"));
	return send_page(r, status, "activate", v);
}

int
page_activate(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc;
	if (!r.post) {
		rc = activate_form(&r, 200, NULL);
		req_end(&r);
		return rc;
	}
	if (!req_csrf_ok(&r)) {
		rc = refuse_csrf(&r);
		req_end(&r);
		return rc;
	}
	GError *e = NULL;
	gboolean activated = FALSE;
	char *why = NULL;
	gint64 cid = 0;
	const char *token = req_form(&r, "token");
	cd_actor actor = {.actor_kind = "customer", .channel = "web", .actor = r.ip};
	gboolean ok = cd_store_begin(app->store, &e);
	if (ok && *token) {
		ok = cd_activation_try_token(app->store, token, &actor, &cid, &activated, &why, &e);
	} else if (ok) {
		char *email = cd_address_normalize(req_form(&r, "email"));
		if (email)
			cd_store_lookup_id(app->store, "SELECT id FROM customers WHERE email = ?1", email, 0, &cid, NULL);
		g_free(email);
		if (cid)
			ok = cd_activation_try_code(app->store, cid, req_form(&r, "code"), &actor, &activated, &why, &e);
	}
	if (ok)
		ok = cd_store_commit(app->store, &e);
	if (!ok) {
		g_warning("activation: %s", e ? e->message : "?");
		g_clear_error(&e);
		cd_store_rollback(app->store);
		rc = send_error(&r, 503, "Please try again in a moment.");
	} else if (activated) {
		rc = send_redirect(&r, "/login?activated=1");
	} else {
		rc = activate_form(&r, 400, cid && why ? why : "This link or code is not valid (any more).");
	}
	g_free(why);
	req_end(&r);
	return rc;
}

/* /password/forgot and /password/reset */
int
page_password(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc;
	GError *e = NULL;
	gboolean reset = g_str_has_prefix(r.path, "/password/reset");
	JsonObject *v = json_object_new();
	if (!reset) {
		vset(v, "title", "Forgot your password?");
		if (!r.post) {
			rc = send_page(&r, 200, "forgot", v);
		} else if (!req_csrf_ok(&r)) {
			json_object_unref(v);
			rc = refuse_csrf(&r);
		} else {
			char *email = cd_address_normalize(req_form(&r, "email"));
			gint64 cid = 0;
			if (email && !web_blocked(&r, email, NULL))
				cd_store_lookup_id(app->store, "SELECT id FROM customers WHERE email = ?1 AND status <> 'disabled'",
				                   email, 0, &cid, NULL);
			if (cid) {
				gboolean ok = cd_store_begin(app->store, &e) && send_reset(cid, &e);
				web_commit_or_warn(ok, e, "password reset");
			}
			g_free(email);
			json_object_set_boolean_member(v, "sent", TRUE);
			rc = send_page(&r, 200, "forgot", v);
		}
		req_end(&r);
		return rc;
	}
	const char *token = r.post ? req_form(&r, "token") : req_query(&r, "token");
	vset(v, "title", "Choose a new password");
	vset(v, "token", token);
	vint(v, "min_password", app->web.min_password_length);
	gint64 cid = 0;
	if (!r.post) {
		cd_reset_check(app->store, token, &cid, NULL);
		if (cid == 0)
			vset(v, "error", "This link is not valid any more. Ask for a new one.");
		json_object_set_boolean_member(v, "valid", cid != 0);
		rc = send_page(&r, cid ? 200 : 400, "reset", v);
		req_end(&r);
		return rc;
	}
	if (!req_csrf_ok(&r)) {
		json_object_unref(v);
		rc = refuse_csrf(&r);
		req_end(&r);
		return rc;
	}
	const char *password = req_form(&r, "password");
	if (g_utf8_strlen(password, -1) < app->web.min_password_length || strlen(password) > 1024) {
		vset(v, "error", "Please choose a longer password.");
		json_object_set_boolean_member(v, "valid", TRUE);
		rc = send_page(&r, 400, "reset", v);
		req_end(&r);
		return rc;
	}
	app_unlock();
	char *hash = cd_password_hash(password);
	app_lock();
	gboolean ok = hash && cd_store_begin(app->store, &e) && cd_reset_use(app->store, token, &cid, &e);
	if (ok && cid) {
		cd_actor a = {.actor_kind = "customer", .actor_id = cid, .actor = r.ip, .channel = "web"};
		ok = cd_customer_set_password(app->store, cid, hash, &a, "reset by mail link", &e);
		/* the link proved the address: a pending account becomes active */
		gint64 pending = 0;
		cd_store_lookup_id(app->store, "SELECT id FROM customers WHERE id = ?1 AND status = 'pending'", NULL, cid,
		                   &pending, NULL);
		if (ok && pending)
			ok = cd_activation_approve(app->store, cid, "email", &a, "password reset link", &e);
	}
	ok = ok && cd_store_commit(app->store, &e);
	g_free(hash);
	if (!ok) {
		g_warning("password reset: %s", e ? e->message : "?");
		g_clear_error(&e);
		cd_store_rollback(app->store);
		json_object_unref(v);
		rc = send_error(&r, 503, "Please try again in a moment.");
	} else if (cid == 0) {
		vset(v, "error", "This link is not valid any more. Ask for a new one.");
		rc = send_page(&r, 400, "reset", v);
	} else {
		json_object_unref(v);
		rc = send_redirect(&r, "/login?reset=1");
	}
	req_end(&r);
	return rc;
}
