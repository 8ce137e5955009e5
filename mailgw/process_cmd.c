/* process_cmd.c - `caredesk-mailgw process`: run the pipeline over pending raw messages.
 *
 * Holds the pipeline lock while it works (inherited from the pipe with --lock-fd, or waited
 * for). After letting go of it, it looks once more: rows committed by a pipe that found the
 * lock taken are then either processed here or by whoever took the lock since. */
#include "engine.h"
#include "log.h"
#include "process.h"
#include "rawstore.h"

#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

static gboolean
process_with_retries(engine_ctx *e, gint64 raw_id, cd_process_stats *stats, GError **error)
{
	gulong delay_ms = 200;
	for (int attempt = 1;; attempt++) {
		g_clear_error(error);
		if (cd_process_pending(&e->ingest, raw_id, stats, error))
			return TRUE;
		if (cd_result_of(*error) != CD_TEMP || attempt >= 6)
			return FALSE;
		g_info("transient failure (%s); retrying in %lu ms", (*error)->message, delay_ms);
		g_usleep(delay_ms * 1000);
		delay_ms *= 2;
	}
}

int
engine_process_main(int argc, char **argv)
{
	char *config = NULL;
	gint lock_fd = -1;
	gint64 raw_id = 0;
	gboolean use_syslog = FALSE, verbose = FALSE;
	gint linger_ms = 0;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		{"raw-id", 0, 0, G_OPTION_ARG_INT64, &raw_id, "process only this raw message", "N"},
		{"lock-fd", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &lock_fd, "inherited pipeline lock", "FD"},
		{"linger-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &linger_ms, "wait before each batch", "MS"},
		{"syslog", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &use_syslog, "log to syslog", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log more", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx = g_option_context_new("process - run the pipeline over stored, pending messages");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	if (use_syslog)
		cd_log_init("caredesk-mailgw", CD_LOG_SYSLOG);
	cd_log_set_verbose(verbose);

	engine_ctx e;
	engine_open(&e, config);
	if (lock_fd < 0) {
		lock_fd = cd_proclock_open(e.cfg->database, &error);
		if (lock_fd < 0)
			cd_die(EX_TEMPFAIL, "%s", error->message);
		cd_proclock_wait(lock_fd);
	}
	cd_process_stats stats = {0};
	gboolean ok;
	for (;;) {
		/* Started by a pipe: wait a moment so that deliveries arriving meanwhile share one
		 * transaction (one fsync) instead of each costing their own. */
		if (linger_ms > 0 && raw_id == 0)
			g_usleep((gulong)linger_ms * 1000);
		engine_reload_rules(&e);
		ok = process_with_retries(&e, raw_id, &stats, &error);
		cd_proclock_release(lock_fd);
		if (!ok || raw_id != 0 || cd_raw_pending_count(e.store) <= 0 || !cd_proclock_try(lock_fd))
			break;
	}
	close(lock_fd);
	int code = EX_OK;
	if (ok && raw_id != 0 && stats.rejected) {
		/* sync pipe mode: the MTA bounces with this status and text */
		printf("5.7.1 %s\n", stats.reject_text ? stats.reject_text : "rejected");
		fflush(stdout);
		code = EX_NOPERM;
	}
	g_free(stats.reject_text);
	if (!ok) {
		g_warning("%s (messages stay stored and pending)", error->message);
		code = engine_exit_code(error);
		g_error_free(error);
	}
	g_info("processed %u, new tickets %u, duplicates %u, taken in unparsed %u, failed %u", stats.processed,
	       stats.tickets, stats.duplicates, stats.fallbacks, stats.failed);
	engine_close(&e);
	g_free(config);
	return code;
}
