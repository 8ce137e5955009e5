/* app.h - what every page handler of caredesk-web shares: the process state (config, [web]
 * settings, the one database connection and its lock, page templates, the outbox), the request
 * context (client IP, form, cookies, the logged-in customer, the CSRF token), and the responses
 * with their security headers.
 *
 * Concurrency: civetweb runs handlers on several threads; the database connection (and with it
 * the outbox and the workflow observer) is used under app_lock only. Slow work that needs no
 * database (argon2id hashing, PDF drawing) runs outside it.
 *
 * Security headers on every answer: a CSP without inline script or style, frame-ancestors 'none',
 * X-Content-Type-Options nosniff, Referrer-Policy same-origin, Cache-Control no-store; HSTS when
 * served over TLS. Cookies are HttpOnly and SameSite=Lax, Secure over TLS or behind tls_proxy. */
#ifndef WEB_APP_H
#define WEB_APP_H

#include "config.h"
#include "notify.h"
#include "secret.h"
#include "store.h"
#include "template.h"
#include "webconf.h"
#include "workflow.h"

#include <civetweb.h>
#include <json-glib/json-glib.h>

typedef struct {
	cd_config *cfg;
	cd_web_settings web;
	cd_workflow_settings wf;
	cd_secret *secret;
	cd_store *store;
	GMutex lock;
	cd_outbox_ctx outbox;
	cd_mail_settings mail;
	char *templates_dir;     /* holds web/ (pages) and static/ */
} web_app;

extern web_app *app;

/* app_init - open everything from cfg; FALSE with a reason. */
gboolean app_init(web_app *a, cd_config *cfg, GError **error);
void app_close(web_app *a);
void app_lock(void);
void app_unlock(void);

typedef struct {
	struct mg_connection *conn;
	const struct mg_request_info *ri;
	const char *method;
	const char *path;          /* decoded local URI */
	gboolean post;
	char ip[64];
	gboolean secure;           /* TLS here or at the trusted proxy */
	GHashTable *form;          /* POST fields */
	GHashTable *query;
	GHashTable *cookies;
	char *session;             /* the session cookie's token (NULL: none) */
	gint64 customer_id;        /* 0: not logged in */
	char *customer_name;
	char *customer_email;
	char *lang;
	char *agent_session;       /* the admin cookie's token (NULL: none): agent_sessions, apart from customers' */
	gint64 agent_id;           /* 0: no agent logged in */
	char *agent_login;
	char *agent_name;
	char *agent_role;
	char *pre;                 /* the pre-session cookie binding CSRF tokens of anonymous forms */
	gboolean set_pre;          /* the pre cookie is new: send it */
	char csrf[CD_TOKEN_CHARS + 1];
	GPtrArray *set_cookies;    /* char*: whole Set-Cookie values */
	const char *flash;         /* a note for the next page (static text) */
} web_req;

/* req_begin - parse the request and take app_lock, find the session; req_end - release. */
void req_begin(web_req *r, struct mg_connection *conn);
void req_end(web_req *r);

const char *req_form(web_req *r, const char *name);   /* "" when missing */
const char *req_query(web_req *r, const char *name);  /* "" when missing */

/* req_csrf_ok - the POST carries the token of this session (or anonymous pre cookie). */
gboolean req_csrf_ok(web_req *r);
/* req_set_session - log in (token: the new session cookie value) or out (NULL). */
void req_set_session(web_req *r, const char *token);

/* req_set_agent_session - an agent logs in (token: the new admin cookie value) or out (NULL). */
void req_set_agent_session(web_req *r, const char *token);

/* Login helpers shared by the customers' and the agents' login (pages_auth.c).
 * web_login_gate - 0 when the login guard lets account try from the request's IP, else the answer
 * sent (the page's form with the wait, 429; 503 when the database fails). web_password_check -
 * argon2id outside app_lock (a dummy verify when hash is NULL: the same time for an unknown user). */
int web_login_gate(web_req *r, const char *account, const char *page, const char *title);
gboolean web_password_check(const char *hash, const char *password);
/* web_commit_or_warn - commit when ok, else (or when the commit fails) log what failed and roll back. */
void web_commit_or_warn(gboolean ok, GError *e, const char *what);
/* web_blocked - whether the request's IP, or email or phone (may be NULL), is on the blocklist. */
gboolean web_blocked(web_req *r, const char *email, const char *phone);

/* Responses. Each returns the status for civetweb. */
int send_page(web_req *r, int status, const char *page, JsonObject *vars);   /* vars consumed */
int send_body(web_req *r, int status, const char *type, const char *body, gsize len, const char *extra_headers);
int send_redirect(web_req *r, const char *location);
int send_error(web_req *r, int status, const char *message);
int send_not_found(web_req *r);
int send_json(web_req *r, int status, JsonNode *node);   /* node consumed */
/* require_area - civetweb routes by prefix (/orders also catches /ordersX): 0 when the path is
 * /AREA or under /AREA/, else the 404 answer. Then require_login: anonymous visitors go to
 * /login; 0 when logged in. */
int require_area(web_req *r, const char *area);
/* require_login - redirects anonymous visitors to /login; returns 0 when logged in. */
int require_login(web_req *r);
/* refuse_csrf - the 403 answer to a POST without a valid token. */
int refuse_csrf(web_req *r);

/* Helpers for vars. */
void vset(JsonObject *o, const char *key, const char *value);      /* NULL -> null */
/* web_t - an English sentence of a handler in the page's language (webtext.h), newly allocated.
 * send_page translates the page's title, error, notice, flash and message itself. */
char *web_t(web_req *r, const char *english);
void vint(JsonObject *o, const char *key, gint64 value);
char *money(gint64 cents, const char *currency);                 /* "49.90 EUR" */
const cd_actor *req_actor(web_req *r);                            /* the customer on the web */

/* PDF helpers shared by invoices and offers (pages_orders.c): rows of sku/description, quantity,
 * price, amount from a lines array; sending PDF bytes as a download (consumes pdf). */
GPtrArray *web_pdf_lines(JsonArray *lines);
int web_send_pdf(web_req *r, GBytes *pdf, const char *filename);
/* web_str - a string member of o, "" when missing or not a string. */
const char *web_str(JsonObject *o, const char *name);

/* Page handlers (pages_*.c, api.c). Each is a civetweb request handler. */
int page_home(struct mg_connection *c, void *d);
int page_login(struct mg_connection *c, void *d);
int page_logout(struct mg_connection *c, void *d);
int page_register(struct mg_connection *c, void *d);
int page_activate(struct mg_connection *c, void *d);
int page_password(struct mg_connection *c, void *d);
int page_account(struct mg_connection *c, void *d);
int page_orders(struct mg_connection *c, void *d);
int page_offers(struct mg_connection *c, void *d);
int page_tickets(struct mg_connection *c, void *d);
int page_rmas(struct mg_connection *c, void *d);
int page_static(struct mg_connection *c, void *d);
int page_api(struct mg_connection *c, void *d);
int page_admin(struct mg_connection *c, void *d);

#endif
