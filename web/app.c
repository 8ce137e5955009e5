/* app.c - process state, request context and responses of caredesk-web (see app.h). */
#include "app.h"
#include "webtext.h"
#include "account.h"
#include "blocklist.h"
#include "log.h"
#include "httpparse.h"
#include "result.h"
#include "util.h"

#include <glib/gstdio.h>
#include <sodium.h>
#include <sys/stat.h>
#include <string.h>

web_app *app;

#define SESSION_COOKIE "cd_session"
#define PRE_COOKIE "cd_pre"
#define ADMIN_COOKIE "cd_admin"

static const char security_headers[] =
	"Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
	"frame-ancestors 'none'; base-uri 'none'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"X-Frame-Options: DENY\r\n"
	"Referrer-Policy: same-origin\r\n"
	"Cache-Control: no-store\r\n";

gboolean
app_init(web_app *a, cd_config *cfg, GError **error)
{
	memset(a, 0, sizeof *a);
	a->cfg = cfg;
	g_mutex_init(&a->lock);
	if (!cd_web_settings_load(cfg, &a->web, error) || !cd_workflow_settings_load(cfg, &a->wf, error))
		return FALSE;
	a->secret = cd_secret_load(cfg->secret_key_path, error);
	if (a->secret == NULL)
		return FALSE;
	a->store = cd_store_open(cfg->database, cfg->busy_timeout_ms, CD_STORE_MIGRATE, error);
	if (a->store == NULL)
		return FALSE;
	if (!cd_notify_setup(&a->outbox, &a->mail, a->store, cfg, a->secret, error))
		return FALSE;
	a->templates_dir = g_strdup(cfg->templates_dir);
	cd_tmpl_set *web = cd_tmpl_web_load(a->templates_dir, error);
	if (web == NULL)
		return FALSE;
	cd_tmpl_set_free(web);
	app = a;
	return TRUE;
}

void
app_close(web_app *a)
{
	cd_notify_teardown(&a->outbox, &a->mail);
	if (a->store)
		cd_store_close(a->store);
	cd_secret_free(a->secret);
	cd_web_settings_clear(&a->web);
	g_free(a->templates_dir);
	g_mutex_clear(&a->lock);
	app = NULL;
}

void
app_lock(void)
{
	g_mutex_lock(&app->lock);
}

void
app_unlock(void)
{
	g_mutex_unlock(&app->lock);
}

/* web_templates - the page set, reloaded when its files change (checked at most once a second) */
static cd_tmpl_set *
web_templates(GError **error)
{
	static GMutex m;
	static cd_tmpl_set *set;
	static gint64 checked;
	static char *stamp;
	g_mutex_lock(&m);
	gint64 now = g_get_monotonic_time();
	if (set == NULL || now - checked > G_USEC_PER_SEC) {
		checked = now;
		/* the stamp: names, sizes and mtimes of web/ */
		GString *s = g_string_new(NULL);
		char *dir = g_build_filename(app->templates_dir, "web", NULL);
		GPtrArray *stack = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(stack, dir);
		for (guint i = 0; i < stack->len && i < 64; i++) {
			const char *d = g_ptr_array_index(stack, i);
			GDir *gd = g_dir_open(d, 0, NULL);
			const char *n;
			while (gd && (n = g_dir_read_name(gd))) {
				char *p = g_build_filename(d, n, NULL);
				GStatBuf st;
				if (g_stat(p, &st) == 0) {
					g_string_append_printf(s, "%s:%ld:%ld;", p, (long)st.st_size, (long)st.st_mtime);
					if (S_ISDIR(st.st_mode)) {
						g_ptr_array_add(stack, p);
						continue;
					}
				}
				g_free(p);
			}
			if (gd)
				g_dir_close(gd);
		}
		g_ptr_array_unref(stack);
		if (set == NULL || g_strcmp0(stamp, s->str) != 0) {
			GError *e = NULL;
			cd_tmpl_set *fresh = cd_tmpl_web_load(app->templates_dir, &e);
			if (fresh) {
				if (set)
					cd_tmpl_set_free(set);
				set = fresh;
				g_free(stamp);
				stamp = g_strdup(s->str);
			} else {
				g_warning("web templates: %s", e->message);
				if (set == NULL) {
					g_propagate_error(error, e);
					g_string_free(s, TRUE);
					g_mutex_unlock(&m);
					return NULL;
				}
				g_error_free(e);
			}
		}
		g_string_free(s, TRUE);
	}
	cd_tmpl_set *r = cd_tmpl_set_ref(set);
	g_mutex_unlock(&m);
	return r;
}

/* client_ip - the peer, or the last X-Forwarded-For hop when the peer is a trusted proxy */
static void
client_ip(web_req *r)
{
	g_strlcpy(r->ip, r->ri->remote_addr, sizeof r->ip);
	gboolean trusted = FALSE;
	for (guint i = 0; app->web.trusted_proxies[i]; i++)
		trusted = trusted || cd_ip_in_cidr(r->ip, app->web.trusted_proxies[i]);
	r->secure = r->ri->is_ssl;
	if (!trusted)
		return;
	const char *xff = mg_get_header(r->conn, "X-Forwarded-For");
	if (xff) {
		const char *last = strrchr(xff, ',');
		char *v = g_strstrip(g_strdup(last ? last + 1 : xff));
		if (*v && strlen(v) < sizeof r->ip)
			g_strlcpy(r->ip, v, sizeof r->ip);
		g_free(v);
	}
	const char *proto = mg_get_header(r->conn, "X-Forwarded-Proto");
	if (proto && g_ascii_strcasecmp(proto, "https") == 0)
		r->secure = TRUE;
}

static void
make_csrf(web_req *r)
{
	const char *bind = r->session ? r->session : r->pre;
	char *msg = r->agent_session ? g_strconcat("csrf|", bind ? bind : "", "|agent|", r->agent_session, NULL)
	                             : g_strconcat("csrf|", bind ? bind : "", NULL);
	cd_secret_mac(app->secret, msg, r->csrf);
	g_free(msg);
}

static void
add_cookie(web_req *r, const char *name, const char *value, gint64 max_age)
{
	g_ptr_array_add(r->set_cookies,
	                g_strdup_printf("%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s", name, value,
	                                r->secure || app->web.tls_proxy ? "; Secure" : "",
	                                max_age < 0 ? "; Max-Age=0" : ""));
}

void
req_begin(web_req *r, struct mg_connection *conn)
{
	memset(r, 0, sizeof *r);
	r->conn = conn;
	r->ri = mg_get_request_info(conn);
	r->method = r->ri->request_method;
	r->path = r->ri->local_uri ? r->ri->local_uri : "/";
	r->post = strcmp(r->method, "POST") == 0;
	r->set_cookies = g_ptr_array_new_with_free_func(g_free);
	client_ip(r);
	r->query = web_parse_form(r->ri->query_string, r->ri->query_string ? strlen(r->ri->query_string) : 0);
	r->cookies = web_parse_cookies(mg_get_header(conn, "Cookie"));
	const char *ct = mg_get_header(conn, "Content-Type");
	if (r->post && !g_str_has_prefix(r->path, "/api/") && (ct == NULL || g_str_has_prefix(ct, "application/x-www-form-urlencoded"))) {
		GString *body = g_string_new(NULL);
		char buf[8192];
		int n;
		while (body->len < WEB_MAX_FORM_BYTES && (n = mg_read(conn, buf, sizeof buf)) > 0)
			g_string_append_len(body, buf, n);
		r->form = web_parse_form(body->str, body->len);
		g_string_free(body, TRUE);
	} else {
		r->form = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	}
	const char *pre = g_hash_table_lookup(r->cookies, PRE_COOKIE);
	if (pre && strlen(pre) == 43) {
		r->pre = g_strdup(pre);
	} else {
		char hash[65];
		r->pre = cd_token_new(hash);
		r->set_pre = TRUE;
		add_cookie(r, PRE_COOKIE, r->pre, 0);
	}
	app_lock();
	const char *tok = g_hash_table_lookup(r->cookies, SESSION_COOKIE);
	GError *e = NULL;
	if (tok && cd_session_lookup(app->store, &app->web, tok, &r->customer_id, &e) && r->customer_id) {
		r->session = g_strdup(tok);
		sqlite3_stmt *st = cd_store_stmt(app->store, "SELECT name, email, language FROM customers WHERE id = ?", &e);
		gboolean row = FALSE;
		if (st) {
			sqlite3_bind_int64(st, 1, r->customer_id);
			if (cd_store_step(app->store, st, &row, &e) && row) {
				r->customer_name = cd_col_dup(st, 0);
				r->customer_email = cd_col_dup(st, 1);
				r->lang = cd_col_dup(st, 2);
			}
			sqlite3_reset(st);
		}
	}
	const char *atok = g_hash_table_lookup(r->cookies, ADMIN_COOKIE);
	if (e == NULL && atok && cd_agent_session_lookup(app->store, &app->web, atok, &r->agent_id, &e) && r->agent_id) {
		r->agent_session = g_strdup(atok);
		sqlite3_stmt *st = cd_store_stmt(app->store, "SELECT login, name, role FROM agents WHERE id = ?", &e);
		gboolean row = FALSE;
		if (st) {
			sqlite3_bind_int64(st, 1, r->agent_id);
			if (cd_store_step(app->store, st, &row, &e) && row) {
				r->agent_login = cd_col_dup(st, 0);
				r->agent_name = cd_col_dup(st, 1);
				r->agent_role = cd_col_dup(st, 2);
			}
			sqlite3_reset(st);
		}
	}
	if (e) {
		g_warning("session lookup: %s", e->message);
		g_error_free(e);
	}
	make_csrf(r);
}

void
req_end(web_req *r)
{
	app_unlock();
	g_hash_table_unref(r->form);
	g_hash_table_unref(r->query);
	g_hash_table_unref(r->cookies);
	g_ptr_array_unref(r->set_cookies);
	g_free(r->session);
	g_free(r->customer_name);
	g_free(r->customer_email);
	g_free(r->lang);
	g_free(r->pre);
	g_free(r->agent_session);
	g_free(r->agent_login);
	g_free(r->agent_name);
	g_free(r->agent_role);
}

const char *
req_form(web_req *r, const char *name)
{
	const char *v = g_hash_table_lookup(r->form, name);
	return v ? v : "";
}

const char *
req_query(web_req *r, const char *name)
{
	const char *v = g_hash_table_lookup(r->query, name);
	return v ? v : "";
}

gboolean
req_csrf_ok(web_req *r)
{
	const char *t = req_form(r, "csrf");
	if (r->set_pre && r->session == NULL && r->agent_session == NULL)
		return FALSE; /* no pre cookie came: the form was not ours */
	return strlen(t) == strlen(r->csrf) && sodium_memcmp(t, r->csrf, strlen(r->csrf)) == 0;
}

void
req_set_session(web_req *r, const char *token)
{
	g_free(r->session);
	r->session = g_strdup(token);
	if (token)
		add_cookie(r, SESSION_COOKIE, token, 0);
	else
		add_cookie(r, SESSION_COOKIE, "", -1);
	make_csrf(r);
}

void
req_set_agent_session(web_req *r, const char *token)
{
	g_free(r->agent_session);
	r->agent_session = g_strdup(token);
	add_cookie(r, ADMIN_COOKIE, token ? token : "", token ? 0 : -1);
	make_csrf(r);
}

const cd_actor *
req_actor(web_req *r)
{
	static __thread cd_actor a;
	a.actor_kind = "customer";
	a.actor_id = r->customer_id;
	a.actor = r->customer_email;
	a.channel = "web";
	return &a;
}

void
vset(JsonObject *o, const char *key, const char *value)
{
	if (value)
		json_object_set_string_member(o, key, value);
	else
		json_object_set_null_member(o, key);
}

void
vint(JsonObject *o, const char *key, gint64 value)
{
	json_object_set_int_member(o, key, value);
}

char *
money(gint64 cents, const char *currency)
{
	const char *sign = cents < 0 ? "-" : "";
	gint64 c = cents < 0 ? -cents : cents;
	return g_strdup_printf("%s%" G_GINT64_FORMAT ".%02d %s", sign, c / 100, (int)(c % 100), currency ? currency : "");
}

int
send_body(web_req *r, int status, const char *type, const char *body, gsize len, const char *extra_headers)
{
	GString *h = g_string_new(NULL);
	g_string_append_printf(h, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s", status,
	                       mg_get_response_code_text(r->conn, status), type, len, security_headers);
	if (r->secure)
		g_string_append(h, "Strict-Transport-Security: max-age=31536000\r\n");
	for (guint i = 0; i < r->set_cookies->len; i++)
		g_string_append_printf(h, "Set-Cookie: %s\r\n", (char *)g_ptr_array_index(r->set_cookies, i));
	if (extra_headers)
		g_string_append(h, extra_headers);
	g_string_append(h, "\r\n");
	/* one write: headers and body in separate segments meet Nagle and delayed ACKs (40 ms stalls) */
	if (strcmp(r->method, "HEAD") != 0 && len)
		g_string_append_len(h, body, (gssize)len);
	mg_write(r->conn, h->str, h->len);
	g_string_free(h, TRUE);
	return status;
}

/* page_lang - the language of the page for r: the customer's, else the browser's (NULL: English) */
static char *
page_lang(web_req *r)
{
	return webtext_lang(app->templates_dir, r->lang, mg_get_header(r->conn, "Accept-Language"));
}

char *
web_t(web_req *r, const char *english)
{
	char *lang = page_lang(r);
	char *t = webtext(app->templates_dir, lang, english);
	g_free(lang);
	return t;
}

int
send_page(web_req *r, int status, const char *page, JsonObject *vars)
{
	GError *e = NULL;
	cd_tmpl_set *set = web_templates(&e);
	vset(vars, "csrf", r->csrf);
	/* the admin pages show the agent, the customers' pages the customer: never each other's */
	if (json_object_has_member(vars, "admin_page")) {
		if (r->agent_id) {
			JsonObject *u = json_object_new();
			vset(u, "name", r->agent_name);
			vset(u, "login", r->agent_login);
			vset(u, "role", r->agent_role);
			json_object_set_object_member(vars, "agent", u);
		}
	} else if (r->customer_id) {
		JsonObject *u = json_object_new();
		vset(u, "name", r->customer_name && *r->customer_name ? r->customer_name : r->customer_email);
		vset(u, "email", r->customer_email);
		json_object_set_object_member(vars, "user", u);
	}
	if (r->flash && !json_object_has_member(vars, "flash"))
		vset(vars, "flash", r->flash);
	const char *site = app->cfg->domain;
	JsonObject *s = json_object_new();
	vset(s, "name", site);
	vset(s, "support_address", app->cfg->support_address);
	json_object_set_object_member(vars, "site", s);
	/* the customer's language, else the browser's; the handlers' sentences in it too */
	char *lang = json_object_has_member(vars, "admin_page") ? NULL : page_lang(r);
	static const char *const sentences[] = {"title", "error", "notice", "flash", "message"};
	GKeyFile *catalog = webtext_catalog(app->templates_dir, lang);
	for (gsize i = 0; catalog && i < G_N_ELEMENTS(sentences); i++) {
		JsonNode *n = json_object_get_member(vars, sentences[i]);
		if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
			char *t = webtext_in(catalog, json_node_get_string(n));
			vset(vars, sentences[i], t);
			g_free(t);
		}
	}
	if (catalog)
		g_key_file_unref(catalog);
	char *html = NULL;
	gboolean rendered = set != NULL && cd_tmpl_render_web(set, page, lang, vars, &html, &e);
	g_free(lang);
	if (!rendered) {
		g_warning("page %s: %s", page, e ? e->message : "no templates");
		g_clear_error(&e);
		json_object_unref(vars);
		if (set)
			cd_tmpl_set_free(set);
		const char *msg = "internal error\n";
		return send_body(r, 500, "text/plain; charset=utf-8", msg, strlen(msg), NULL);
	}
	cd_tmpl_set_free(set);
	json_object_unref(vars);
	int rc = send_body(r, status, "text/html; charset=utf-8", html, strlen(html), NULL);
	g_free(html);
	return rc;
}

int
send_redirect(web_req *r, const char *location)
{
	char *h = g_strdup_printf("Location: %s\r\n", location);
	int rc = send_body(r, 303, "text/plain; charset=utf-8", "", 0, h);
	g_free(h);
	return rc;
}

int
send_error(web_req *r, int status, const char *message)
{
	JsonObject *v = json_object_new();
	vset(v, "message", message);
	vint(v, "status", status);
	vset(v, "title", status == 404 ? "Not found" : status == 403 ? "Refused" : "Error");
	return send_page(r, status, "error", v);
}

int
send_not_found(web_req *r)
{
	return send_error(r, 404, "There is no such page, or it is not yours.");
}

int
send_json(web_req *r, int status, JsonNode *node)
{
	char *s = json_to_string(node, TRUE);
	json_node_unref(node);
	GString *b = g_string_new(s);
	g_string_append_c(b, '\n');
	int rc = send_body(r, status, "application/json", b->str, b->len, NULL);
	g_string_free(b, TRUE);
	g_free(s);
	return rc;
}

int
require_area(web_req *r, const char *area)
{
	gsize n = strlen(area);
	if (r->path[0] == '/' && strncmp(r->path + 1, area, n) == 0 && (r->path[n + 1] == '\0' || r->path[n + 1] == '/'))
		return 0;
	return send_not_found(r);
}

int
require_login(web_req *r)
{
	if (r->customer_id)
		return 0;
	return send_redirect(r, "/login");
}

int
refuse_csrf(web_req *r)
{
	return send_error(r, 403, "This form has expired or did not come from this site. Go back, reload the page "
	                          "and try again.");
}
