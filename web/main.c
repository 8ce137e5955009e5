/* main.c - caredesk-web: the customer web view (civetweb). For now it serves /healthz, which
 * answers 200 when the database opens and 503 otherwise, for load balancers and monitors. */
#include "config.h"
#include "log.h"
#include "sms_http.h"
#include "store.h"

#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	stopping = 1;
}

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

int
main(int argc, char **argv)
{
	cd_log_init("caredesk-web", CD_LOG_STDERR);
	char *config = NULL;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx = g_option_context_new("- the customer web view");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	cd_config *cfg = cd_config_load(config, &error);
	if (cfg == NULL)
		cd_die(EX_CONFIG, "%s", error->message);
	const char *options[] = {"listening_ports", cfg->web_listen, "num_threads", "8", NULL};
	mg_init_library(0);
	struct mg_context *ctx = mg_start(NULL, NULL, options);
	if (ctx == NULL)
		cd_die(EX_UNAVAILABLE, "cannot listen on %s", cfg->web_listen);
	mg_set_request_handler(ctx, "/healthz$", healthz, cfg);
	web_sms_register(ctx, cfg);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("caredesk-web: serving %s (Ctrl-C stops)\n", cfg->web_base_url);
	fflush(stdout);
	while (!stopping)
		pause();
	mg_stop(ctx);
	mg_exit_library();
	cd_config_free(cfg);
	g_free(config);
	return EX_OK;
}
