/* main.c - caredesk-web: the customer web view (civetweb). Loads the config, opens the app
 * (app.h) and serves it (server.h) until SIGINT or SIGTERM. */
#include "app.h"
#include "config.h"
#include "log.h"
#include "pdf.h"
#include "result.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
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
	web_app state;
	if (!app_init(&state, cfg, &error))
		cd_die(EX_CONFIG, "%s", error->message);
	struct mg_context *ctx = web_server_start(&state, cfg, NULL, &error);
	if (ctx == NULL)
		cd_die(EX_UNAVAILABLE, "%s", error->message);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("caredesk-web: serving %s (Ctrl-C stops)\n", cfg->web_base_url);
	fflush(stdout);
	while (!stopping)
		pause();
	web_server_stop(ctx);
	app_close(&state);
	pdf_shutdown();
	cd_config_free(cfg);
	g_free(config);
	return EX_OK;
}
