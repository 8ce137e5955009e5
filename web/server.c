/* server.c - the civetweb server of caredesk-web: its options, the routes of app.h's page
 * handlers (the staff's /admin pages among them), the shop's JSON API (api.c), the SMS callbacks (sms_http.c), /healthz (200 when the
 * database opens, 503 otherwise, for load balancers and monitors), and the redirect of plain-HTTP
 * requests behind a TLS proxy ([web] tls_proxy). main.c and the request fuzzer start it alike. */
#include "server.h"
#include "result.h"
#include "sms_http.h"

#include <string.h>

static int
healthz(struct mg_connection *conn, void *data)
{
	const cd_config *cfg = data;
	GError *error = NULL;
	cd_store *store = cd_store_open(cfg->database, 1000, 0, &error);
	if (store == NULL) {
		mg_send_http_error(conn, 503, "database unavailable: %s\n", error->message);
		g_error_free(error);
		return 503;
	}
	cd_store_close(store);
	mg_send_http_ok(conn, "text/plain; charset=utf-8", 3);
	mg_write(conn, "ok\n", 3);
	return 200;
}

/* tls_redirect - behind a TLS proxy, a request that came as plain HTTP goes to https */
static int
tls_redirect(struct mg_connection *conn, void *data)
{
	(void)data;
	if (!app->web.tls_proxy)
		return 0;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	if (ri->is_ssl || strcmp(ri->local_uri ? ri->local_uri : "", "/healthz") == 0)
		return 0;
	const char *proto = mg_get_header(conn, "X-Forwarded-Proto");
	if (proto && g_ascii_strcasecmp(proto, "https") == 0)
		return 0;
	const char *base = app->cfg->web_base_url;
	if (!g_str_has_prefix(base, "https://"))
		return 0;
	mg_printf(conn,
	          "HTTP/1.1 301 Moved Permanently\r\nLocation: %s%s%s%s\r\nContent-Length: 0\r\n"
	          "X-Content-Type-Options: nosniff\r\n\r\n",
	          base, ri->local_uri ? ri->local_uri : "/", ri->query_string ? "?" : "",
	          ri->query_string ? ri->query_string : "");
	return 301;
}

static const struct {
	const char *pattern;
	mg_request_handler handler;
} routes[] = {
	{"/$", page_home},
	{"/login$", page_login},
	{"/logout$", page_logout},
	{"/register$", page_register},
	{"/activate$", page_activate},
	{"/password/forgot$", page_password},
	{"/password/reset$", page_password},
	{"/account", page_account},
	{"/orders", page_orders},
	{"/offers", page_offers},
	{"/tickets", page_tickets},
	{"/rmas", page_rmas},
	{"/style.css$", page_static},
	{"/favicon.ico$", page_static},
	{"/api/", page_api},
	{"/admin", page_admin},
};

static int
begin_request(struct mg_connection *conn)
{
	return tls_redirect(conn, NULL) ? 1 : 0;
}

struct mg_context *
web_server_start(web_app *state, cd_config *cfg, const char *listen, GError **error)
{
	char *threads = g_strdup_printf("%d", state->web.threads);
	const char *options[] = {"listening_ports", listen ? listen : cfg->web_listen, "num_threads", threads,
	                         "request_timeout_ms", "30000", "enable_keep_alive", "yes", NULL};
	struct mg_callbacks callbacks;
	memset(&callbacks, 0, sizeof callbacks);
	callbacks.begin_request = begin_request;
	mg_init_library(0);
	struct mg_context *ctx = mg_start(&callbacks, NULL, options);
	g_free(threads);
	if (ctx == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "cannot listen on %s", listen ? listen : cfg->web_listen);
		return NULL;
	}
	mg_set_request_handler(ctx, "/healthz$", healthz, cfg);
	web_sms_register(ctx, state);
	for (gsize i = 0; i < G_N_ELEMENTS(routes); i++)
		mg_set_request_handler(ctx, routes[i].pattern, routes[i].handler, NULL);
	return ctx;
}

void
web_server_stop(struct mg_context *ctx)
{
	mg_stop(ctx);
	mg_exit_library();
}
