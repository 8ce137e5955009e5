/* pages_account.c - the home redirect, the stylesheet, and the customer's account page: settings
 * (language, notification channel), invoice and shipping addresses, and changing the password
 * (which ends every other session). */
#include "account.h"
#include "app.h"
#include "httpparse.h"
#include "rows.h"
#include "util.h"

#include <string.h>

int
page_home(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc = send_redirect(&r, r.customer_id ? "/orders" : "/login");
	req_end(&r);
	return rc;
}

int
page_static(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	if (strcmp(r.path, "/favicon.ico") == 0) {
		/* no icon: an empty answer the browser caches, instead of a 404 on every page */
		int rc = send_body(&r, 204, "image/x-icon", "", 0, NULL);
		req_end(&r);
		return rc;
	}
	char *path = g_build_filename(app->templates_dir, "web", "static", "style.css", NULL);
	char *css = NULL;
	gsize len = 0;
	int rc;
	if (g_file_get_contents(path, &css, &len, NULL))
		rc = send_body(&r, 200, "text/css; charset=utf-8", css, len, NULL);
	else
		rc = send_body(&r, 404, "text/plain", "", 0, NULL);
	g_free(css);
	g_free(path);
	req_end(&r);
	return rc;
}

static int
account_page(web_req *r, int status, const char *error, const char *notice)
{
	JsonObject *v = json_object_new();
	vset(v, "title", "My account");
	JsonObject *me = rows_one("SELECT email, name, phone, coalesce(language, 'en') AS language, notify_channel "
	                          "FROM customers WHERE id = ?1",
	                          r->customer_id, NULL);
	if (me) {
		const char *lang = web_str(me, "language");
		json_object_set_boolean_member(me, "lang_en", strcmp(lang, "de") != 0);
		json_object_set_boolean_member(me, "lang_de", strcmp(lang, "de") == 0);
		json_object_set_boolean_member(me, "by_sms", strcmp(web_str(me, "notify_channel"), "sms") == 0);
		json_object_set_object_member(v, "me", me);
	}
	static const char *const kinds[] = {"invoice", "shipping"};
	JsonArray *addrs = json_array_new();
	for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
		JsonObject *a = rows_one("SELECT name, street, postcode, city, country FROM customer_addresses "
		                         "WHERE customer_id = ?1 AND kind = ?2",
		                         r->customer_id, kinds[i]);
		if (a == NULL)
			a = json_object_new();
		vset(a, "kind", kinds[i]);
		char *label = web_t(r, i == 0 ? "Invoice address" : "Shipping address");
		vset(a, "label", label);
		g_free(label);
		json_array_add_object_element(addrs, a);
	}
	json_object_set_array_member(v, "addresses", addrs);
	vset(v, "error", error);
	vset(v, "notice", notice);
	vint(v, "min_password", app->web.min_password_length);
	vset(v, "nav_account", "1");
	return send_page(r, status, "account", v);
}

static char *
field(web_req *r, const char *name, glong max)
{
	char *v = g_strstrip(g_strdup(req_form(r, name)));
	if (g_utf8_strlen(v, -1) > max) {
		char *cut = g_utf8_substring(v, 0, max);
		g_free(v);
		v = cut;
	}
	return v;
}

static int
save_settings(web_req *r)
{
	const char *lang = req_form(r, "language");
	const char *channel = req_form(r, "notify_channel");
	if ((strcmp(lang, "en") != 0 && strcmp(lang, "de") != 0) ||
	    (strcmp(channel, "email") != 0 && strcmp(channel, "sms") != 0))
		return account_page(r, 400, "Please choose a language and a channel from the lists.", NULL);
	gint64 phone = 0;
	cd_store_lookup_id(app->store, "SELECT id FROM customers WHERE id = ?1 AND phone IS NOT NULL", NULL,
	                   r->customer_id, &phone, NULL);
	if (strcmp(channel, "sms") == 0 && phone == 0)
		return account_page(r, 400, "We have no phone number of yours: notifications by SMS are not possible.", NULL);
	GError *e = NULL;
	sqlite3_stmt *st = cd_store_stmt(app->store,
	                                 "UPDATE customers SET language = ?2, notify_channel = ?3, updated_at = unixepoch() "
	                                 "WHERE id = ?1",
	                                 &e);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, r->customer_id);
		sqlite3_bind_text(st, 2, lang, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, channel, -1, SQLITE_TRANSIENT);
		ok = cd_store_run(app->store, st, &e);
	}
	if (!ok) {
		g_warning("settings: %s", e ? e->message : "?");
		g_clear_error(&e);
		return send_error(r, 503, "Please try again in a moment.");
	}
	g_free(r->lang);
	r->lang = g_strdup(lang);
	return account_page(r, 200, NULL, "Your settings were saved.");
}

static int
save_address(web_req *r)
{
	const char *kind = req_form(r, "kind");
	if (strcmp(kind, "invoice") != 0 && strcmp(kind, "shipping") != 0)
		return account_page(r, 400, "Unknown address.", NULL);
	static const char *const names[] = {"name", "street", "postcode", "city", "country"};
	char *vals[5];
	for (int i = 0; i < 5; i++)
		vals[i] = field(r, names[i], 200);
	GError *e = NULL;
	sqlite3_stmt *st = cd_store_stmt(app->store,
	                                 "INSERT INTO customer_addresses(customer_id, kind, name, street, postcode, city, "
	                                 "country, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, unixepoch(), "
	                                 "unixepoch()) ON CONFLICT (customer_id, kind) WHERE kind IN ('invoice','shipping') "
	                                 "DO UPDATE SET name = ?3, street = ?4, postcode = ?5, city = ?6, country = ?7, "
	                                 "updated_at = unixepoch()",
	                                 &e);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, r->customer_id);
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
		for (int i = 0; i < 5; i++)
			sqlite3_bind_text(st, 3 + i, vals[i], -1, SQLITE_TRANSIENT);
		ok = cd_store_run(app->store, st, &e);
	}
	for (int i = 0; i < 5; i++)
		g_free(vals[i]);
	if (!ok) {
		g_warning("address: %s", e ? e->message : "?");
		g_clear_error(&e);
		return send_error(r, 503, "Please try again in a moment.");
	}
	return account_page(r, 200, NULL, "Your address was saved.");
}

static int
change_password(web_req *r)
{
	const char *current = req_form(r, "current");
	const char *password = req_form(r, "password");
	if (g_utf8_strlen(password, -1) < app->web.min_password_length || strlen(password) > 1024)
		return account_page(r, 400, "Please choose a longer new password.", NULL);
	char *hash = NULL;
	cd_store_lookup_text(app->store, "SELECT password_hash FROM customers WHERE id = ?1", NULL, r->customer_id, &hash,
	                     NULL);
	app_unlock();
	gboolean good = cd_password_verify(hash, current);
	char *fresh = good ? cd_password_hash(password) : NULL;
	app_lock();
	g_free(hash);
	if (!good)
		return account_page(r, 400, "Your current password is not right.", NULL);
	GError *e = NULL;
	char *token = NULL;
	gboolean ok = fresh && cd_store_begin(app->store, &e) &&
	              cd_customer_set_password(app->store, r->customer_id, fresh, req_actor(r), "changed on the web", &e) &&
	              cd_session_create(app->store, &app->web, r->customer_id, r->ip, &token, &e) &&
	              cd_store_commit(app->store, &e);
	g_free(fresh);
	if (!ok) {
		g_warning("password change: %s", e ? e->message : "?");
		g_clear_error(&e);
		cd_store_rollback(app->store);
		return send_error(r, 503, "Please try again in a moment.");
	}
	/* every session ended with the change; this browser gets a new one */
	req_set_session(r, token);
	g_free(token);
	return account_page(r, 200, NULL, "Your password was changed. You were logged out everywhere else.");
}

int
page_account(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	int rc = require_area(&r, "account");
	if (rc == 0)
		rc = require_login(&r);
	if (rc == 0) {
		char *what = web_path_segment(r.path, 1);
		if (!r.post)
			rc = what ? send_not_found(&r) : account_page(&r, 200, NULL, NULL);
		else if (!req_csrf_ok(&r))
			rc = refuse_csrf(&r);
		else if (g_strcmp0(what, "settings") == 0)
			rc = save_settings(&r);
		else if (g_strcmp0(what, "address") == 0)
			rc = save_address(&r);
		else if (g_strcmp0(what, "password") == 0)
			rc = change_password(&r);
		else
			rc = send_not_found(&r);
		g_free(what);
	}
	req_end(&r);
	return rc;
}
