/* pipe.c - MTA pipe mode (see pipe.h).
 *
 * Exit codes (sysexits), decided in pipe_exit_code() and nowhere else:
 *   0  EX_OK        stored (or a re-delivery of something already stored)
 *   75 EX_TEMPFAIL  anything transient, and anything unexpected: the MTA keeps the mail and retries
 *   77 EX_NOPERM    a filter rule said reject; "5.7.1 text" is printed for the MTA's bounce
 * Any other code would make Postfix bounce the customer's mail, so an exit we did not choose
 * (a library calling exit()) is turned into 75 by an atexit hook. */
#include "pipe.h"
#include "config.h"
#include "log.h"
#include "rawstore.h"
#include "result.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

static gboolean exit_chosen;

static void
unexpected_exit_is_tempfail(void)
{
	if (!exit_chosen)
		_exit(EX_TEMPFAIL);
}

static int
pipe_exit_code(cd_result r)
{
	exit_chosen = TRUE;
	switch (r) {
	case CD_OK:
		return EX_OK;
	case CD_REJECT:
		return EX_NOPERM;
	case CD_TEMP:
	case CD_INTERNAL:
		return EX_TEMPFAIL;
	}
	return EX_TEMPFAIL;
}

/* read_stdin - the whole message, at most max bytes. */
static GBytes *
read_stdin(gint64 max, GError **error)
{
	GByteArray *buf = g_byte_array_sized_new(64 * 1024);
	guint8 chunk[65536];
	for (;;) {
		ssize_t n = read(0, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cd_set_error_errno(error, errno, "reading the message from stdin", NULL);
			g_byte_array_unref(buf);
			return NULL;
		}
		if (n == 0)
			break;
		if ((gint64)buf->len + n > max) {
			g_set_error(error, CD_ERROR, CD_ERROR_TEMP,
			            "message larger than max_message_bytes (%" G_GINT64_FORMAT "): raise it, or lower the MTA's "
			            "message_size_limit below it",
			            max);
			g_byte_array_unref(buf);
			return NULL;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	return g_byte_array_free_to_bytes(buf);
}

typedef struct {
	char *config;
	char *queue;
	char *sender;
	char *recipient;
	gboolean sync;
	gboolean verbose;
} pipe_options;

static gboolean
parse_options(int *argc, char ***argv, pipe_options *o, GError **error)
{
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config, "configuration file", "FILE"},
		{"queue", 'q', 0, G_OPTION_ARG_STRING, &o->queue, "queue for new tickets (default: the first queue)", "Q"},
		{"sender", 'f', 0, G_OPTION_ARG_STRING, &o->sender, "envelope sender (Postfix: ${sender})", "ADDR"},
		{"recipient", 'r', 0, G_OPTION_ARG_STRING, &o->recipient, "envelope recipient (Postfix: ${recipient})", "ADDR"},
		{"sync", 0, 0, G_OPTION_ARG_NONE, &o->sync, "process before exiting (as pipe_processing = sync)", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "log more", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *ctx = g_option_context_new("- take one message from an MTA on stdin");
	g_option_context_set_summary(ctx,
	                             "Exit codes: 0 stored; 75 temporary failure (the MTA retries); 77 rejected by a rule.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	gboolean ok = g_option_context_parse(ctx, argc, argv, error);
	g_option_context_free(ctx);
	return ok;
}

/* store_message - the durable step: bytes and arrival in one committed transaction. */
static cd_result
store_message(const cd_config *cfg, GBytes *msg, const pipe_options *o, gint64 *raw_id, cd_raw_status *status,
              gboolean *rules_reject)
{
	GError *error = NULL;
	cd_store *store = cd_store_open(cfg->database, cfg->busy_timeout_ms, CD_STORE_MIGRATE, &error);
	if (store == NULL)
		goto fail;
	/* Checkpoints are the processor's work (its connection checkpoints as it commits): a front
	 * that checkpointed on close copied everything the processor had written since, on the MTA's
	 * time (pipe mode: 300 -> 337 msgs/s, p90 12 -> 10 ms, docs/BENCHMARKS.md). Should nothing
	 * else run, a front still checkpoints once the WAL passes 32 MiB. */
	sqlite3_db_config(cd_store_db(store), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (!cd_store_exec(store, "PRAGMA wal_autocheckpoint = 8192", &error)) {
		cd_store_close(store);
		goto fail;
	}
	gsize len;
	const void *data = g_bytes_get_data(msg, &len);
	char sha[65];
	cd_sha256_hex(data ? data : "", len, sha);
	char *recipient = cd_address_normalize(o->recipient);
	cd_raw_origin origin = {.source = "pipe", .recipient = recipient ? recipient : o->recipient,
	                        .envelope_from = o->sender, .queue = o->queue};
	gboolean ok = cd_store_begin(store, &error) &&
	              cd_raw_store(store, data ? data : "", len, sha, &origin, raw_id, status, &error) &&
	              cd_store_commit(store, &error);
	if (!ok)
		cd_store_rollback(store);
	char *rr = ok ? cd_store_get_setting(store, "rules_have_reject") : NULL;
	*rules_reject = g_strcmp0(rr, "1") == 0;
	g_free(rr);
	g_free(recipient);
	cd_store_close(store);
	if (ok)
		return CD_OK;
fail:
	g_warning("message not stored, the MTA will retry: %s", error->message);
	cd_result r = cd_result_of(error);
	g_error_free(error);
	return r == CD_OK ? CD_TEMP : r;
}

/* process_now - sync mode: run the pipeline on this message in the engine and wait for its verdict. */
static cd_result
process_now(const cd_config *cfg, gint64 raw_id)
{
	char *engine = mailgw_engine_path();
	char *id = g_strdup_printf("%" G_GINT64_FORMAT, raw_id);
	char *argv[] = {engine, "process", "--raw-id", id, "-c", cfg->path, NULL};
	int code = mailgw_run_engine_sync(argv);
	g_free(id);
	g_free(engine);
	if (code == EX_NOPERM)
		return CD_REJECT;
	/* Stored either way: a failed pipeline run leaves the row pending for the next processor. */
	if (code != EX_OK)
		g_warning("processing failed (exit %d); the message is stored and stays pending", code);
	return CD_OK;
}

static void
pipe_options_clear(pipe_options *o)
{
	g_free(o->config);
	g_free(o->queue);
	g_free(o->sender);
	g_free(o->recipient);
}

int
mailgw_pipe_main(int argc, char **argv)
{
	pipe_options o = {0};
	GError *error = NULL;
	cd_config *cfg = NULL;
	cd_result r = CD_TEMP;
	if (!parse_options(&argc, &argv, &o, &error)) {
		g_warning("%s (the MTA will retry)", error->message);
		goto out;
	}
	/* from here on an exit we did not choose must not bounce the mail (--help exited above) */
	atexit(unexpected_exit_is_tempfail);
	cd_log_set_verbose(o.verbose);
	cfg = cd_config_load(o.config, &error);
	if (cfg == NULL) {
		g_warning("%s (the MTA will retry)", error->message);
		goto out;
	}
	GBytes *msg = read_stdin(cfg->max_message_bytes, &error);
	if (msg == NULL) {
		g_warning("%s (the MTA will retry)", error->message);
		goto out;
	}
	gint64 raw_id = 0;
	cd_raw_status status = CD_RAW_NEW;
	gboolean rules_reject = FALSE;
	r = store_message(cfg, msg, &o, &raw_id, &status, &rules_reject);
	g_bytes_unref(msg);
	if (r == CD_OK && status != CD_RAW_SEEN) {
		/* A rule that rejects must answer the MTA: then the pipeline runs before the exit. */
		if (cfg->pipe_sync || o.sync || rules_reject)
			r = process_now(cfg, raw_id);
		else
			mailgw_spawn_processor(cfg->path, cfg->database);
	}
out:
	g_clear_error(&error);
	cd_config_free(cfg);
	pipe_options_clear(&o);
	return pipe_exit_code(r);
}
