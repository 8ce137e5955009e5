/* process.c - the pending-queue processor (see process.h). */
#include "process.h"
#include "audit.h"
#include "parsepool.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	gint64 raw_id;
	GBytes *bytes;
	char *envelope_from;
	char *queue;
	int attempts;
	GPtrArray *recipients;
} pending_row;

static void
pending_row_free(gpointer p)
{
	pending_row *r = p;
	g_bytes_unref(r->bytes);
	g_free(r->envelope_from);
	g_free(r->queue);
	g_ptr_array_unref(r->recipients);
	g_free(r);
}

void
cd_mime_options_from_config(cd_mime_options *opt, const cd_config *cfg)
{
	cd_mime_options_default(opt);
	if (cfg == NULL)
		return;
	opt->max_attachment_bytes = (gsize)cfg->max_attachment_bytes;
	opt->max_nesting = cfg->max_nesting;
	opt->html.max_input_bytes = (gsize)cfg->html_max_bytes;
	opt->html.max_usec = cfg->html_max_usec;
}

static char *
inflight_path(cd_store *store)
{
	return g_strconcat(cd_store_path(store), "-process.inflight", NULL);
}

/* recover_inflight - rows of a batch that a crashed run left behind get an attempt counted. */
static gboolean
recover_inflight(cd_store *store, GError **error)
{
	char *path = inflight_path(store);
	char *text = NULL;
	gboolean ok = TRUE;
	if (g_file_get_contents(path, &text, NULL, NULL) && *text) {
		g_warning("a previous run stopped inside a batch (%s): retrying those messages one at a time", path);
		ok = cd_store_begin(store, error);
		char **ids = g_strsplit(text, "\n", -1);
		for (char **p = ids; ok && *p; p++) {
			if (**p == '\0')
				continue;
			sqlite3_stmt *st = cd_store_stmt(
			    store, "UPDATE raw_messages SET attempts = attempts + 1 WHERE id = ? AND state = 'pending'", error);
			ok = st != NULL;
			if (ok) {
				sqlite3_bind_int64(st, 1, g_ascii_strtoll(*p, NULL, 10));
				ok = cd_store_run(store, st, error);
			}
		}
		g_strfreev(ids);
		ok = ok ? cd_store_commit(store, error) : (cd_store_rollback(store), FALSE);
	}
	if (ok)
		unlink(path);
	g_free(text);
	g_free(path);
	return ok;
}

static void
inflight_write(cd_store *store, GPtrArray *rows)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < rows->len; i++)
		g_string_append_printf(s, "%" G_GINT64_FORMAT "\n", ((pending_row *)g_ptr_array_index(rows, i))->raw_id);
	char *path = inflight_path(store);
	/* Not fsynced on purpose: it only has to survive the process, not the machine. */
	if (!g_file_set_contents(path, s->str, (gssize)s->len, NULL))
		g_warning("cannot write %s: a crash in this batch would be retried as a batch", path);
	g_free(path);
	g_string_free(s, TRUE);
}

static void
inflight_clear(cd_store *store)
{
	char *path = inflight_path(store);
	unlink(path);
	g_free(path);
}

static gboolean
load_recipients(cd_store *store, pending_row *r, GError **error)
{
	r->recipients = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT recipient FROM raw_deliveries WHERE raw_id = ? AND recipient != ''",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, r->raw_id);
	gboolean row;
	while (cd_store_step(store, st, &row, error) && row) {
		char *a = cd_address_normalize(cd_col_text(st, 0));
		if (a)
			g_ptr_array_add(r->recipients, a);
	}
	sqlite3_reset(st);
	return error == NULL || *error == NULL;
}

static GPtrArray *
load_batch(cd_store *store, gint64 only_raw_id, guint limit, GError **error)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func(pending_row_free);
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT r.id, b.bytes, r.envelope_from, r.queue, r.attempts FROM raw_messages r "
	                                 "JOIN raw_bodies b ON b.raw_id = r.id "
	                                 "WHERE r.state = 'pending' AND r.channel = 'email' AND (?1 = 0 OR r.id = ?1) ORDER BY r.id LIMIT ?2",
	                                 error);
	if (st == NULL) {
		g_ptr_array_unref(rows);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, only_raw_id);
	sqlite3_bind_int64(st, 2, limit);
	gboolean row;
	while (cd_store_step(store, st, &row, error) && row) {
		pending_row *r = g_new0(pending_row, 1);
		r->raw_id = sqlite3_column_int64(st, 0);
		r->bytes = g_bytes_new(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1));
		r->envelope_from = cd_col_dup(st, 2);
		r->queue = cd_col_dup(st, 3);
		r->attempts = sqlite3_column_int(st, 4);
		g_ptr_array_add(rows, r);
	}
	sqlite3_reset(st);
	if (error && *error) {
		g_ptr_array_unref(rows);
		return NULL;
	}
	for (guint i = 0; i < rows->len; i++) {
		if (!load_recipients(store, g_ptr_array_index(rows, i), error)) {
			g_ptr_array_unref(rows);
			return NULL;
		}
	}
	return rows;
}

gboolean
cd_process_parsed(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, GBytes *raw, const cd_envelope *env,
                  cd_process_stats *stats, GError **error)
{
	cd_store *store = ctx->store;
	GError *e = NULL;
	cd_ingest_outcome out;
	if (!cd_store_savepoint(store, "msg", error))
		return FALSE;
	if (cd_ingest_message(ctx, raw_id, m, env, &out, &e) && cd_store_release(store, "msg", &e)) {
		stats->processed++;
		stats->tickets += out.new_ticket;
		stats->duplicates += out.duplicate;
		stats->dropped += g_strcmp0(out.what, "dropped") == 0;
		cd_ingest_outcome_clear(&out);
		return TRUE;
	}
	cd_store_rollback_to(store, "msg");
	if (cd_result_of(e) == CD_TEMP) {
		cd_ingest_outcome_clear(&out);
		g_propagate_error(error, e);
		return FALSE;
	}
	if (cd_result_of(e) == CD_REJECT) {
		/* Kept raw, audited; the MTA hears of it only in sync mode (the caller prints the text). */
		stats->processed++;
		stats->rejected++;
		g_free(stats->reject_text);
		stats->reject_text = out.reject;
		out.reject = NULL;
		cd_audit_event ev = {.entity = "raw", .entity_id = raw_id, .action = "rejected", .note = e->message};
		gboolean ok = cd_audit(store, &ev, error) && cd_ingest_mark_raw(store, raw_id, "rejected", 0, e->message, error);
		g_error_free(e);
		return ok;
	}
	cd_ingest_outcome_clear(&out);
	/* Not transient: take it in unparsed so an agent still sees it. */
	g_warning("raw message %" G_GINT64_FORMAT ": %s; taking it in unparsed", raw_id, e->message);
	char *reason = g_strdup_printf("processing failed (%s): raw bytes shown as text", e->message);
	gsize len;
	const void *data = g_bytes_get_data(raw, &len);
	cd_message *fallback = cd_mime_unparsed(data ? data : "", len, reason);
	GError *e2 = NULL;
	gboolean ok = cd_store_savepoint(store, "fallback", error);
	if (ok && cd_ingest_message(ctx, raw_id, fallback, env, &out, &e2) && cd_store_release(store, "fallback", &e2)) {
		stats->processed++;
		stats->fallbacks++;
		stats->tickets += out.new_ticket;
	} else if (ok) {
		cd_store_rollback_to(store, "fallback");
		if (cd_result_of(e2) == CD_TEMP) {
			g_propagate_error(error, e2);
			e2 = NULL;
			ok = FALSE;
		} else {
			g_warning("raw message %" G_GINT64_FORMAT ": cannot be taken in at all: %s (kept raw, state failed)",
			          raw_id, e2->message);
			ok = cd_ingest_mark_raw(store, raw_id, "failed", 0, e2->message, error);
			stats->failed++;
		}
	}
	g_clear_error(&e2);
	cd_ingest_outcome_clear(&out);
	cd_message_free(fallback);
	g_free(reason);
	g_error_free(e);
	return ok;
}

/* load_row_bytes - rows that already crashed a run twice are not parsed again. */
static GBytes *
load_row_bytes(gpointer item, gpointer user, GError **error)
{
	pending_row *r = item;
	if (r->attempts >= 2) {
		g_set_error(error, CD_ERROR, CD_ERROR_INTERNAL, "processing crashed twice");
		return NULL;
	}
	return g_bytes_ref(r->bytes);
}

/* process_batch - one transaction over rows; FALSE only for transient failures (nothing committed).
 * The whole batch is parsed (on the parse threads) before the transaction begins: the write lock
 * is then held only for the database work, not for parsing, so MTA pipe deliveries arriving
 * meanwhile wait less for their own commit. */
static gboolean
process_batch(cd_ingest_ctx *ctx, GPtrArray *rows, const cd_mime_options *opt, cd_process_stats *stats,
              GError **error)
{
	cd_store *store = ctx->store;
	inflight_write(store, rows);
	guint threads = rows->len >= 8 ? cd_parse_threads() : 0;
	cd_parse_pool *pool = cd_parse_pool_new(rows, load_row_bytes, NULL, opt, threads, 2 * rows->len);
	cd_message **msgs = g_new0(cd_message *, rows->len);
	for (guint i = 0; i < rows->len; i++) {
		pending_row *r = g_ptr_array_index(rows, i);
		cd_parsed *parsed = cd_parse_pool_next(pool);
		msgs[i] = parsed->msg;
		parsed->msg = NULL;
		if (msgs[i] == NULL) {
			gsize len;
			const void *data = g_bytes_get_data(r->bytes, &len);
			char *reason = g_strdup_printf("%s: raw bytes shown as text", parsed->error->message);
			msgs[i] = cd_mime_unparsed(data ? data : "", len, reason);
			g_free(reason);
			stats->fallbacks++;
		}
		cd_parsed_free(parsed);
	}
	cd_parse_pool_free(pool);
	gboolean ok = cd_store_begin(store, error);
	for (guint i = 0; ok && i < rows->len; i++) {
		pending_row *r = g_ptr_array_index(rows, i);
		cd_envelope env = {.channel = "email", .envelope_from = r->envelope_from, .queue = r->queue,
		                   .recipients = r->recipients};
		ok = cd_process_parsed(ctx, r->raw_id, msgs[i], r->bytes, &env, stats, error);
	}
	for (guint i = 0; i < rows->len; i++)
		cd_message_free(msgs[i]);
	g_free(msgs);
	if (ok)
		ok = cd_store_commit(store, error);
	else
		cd_store_rollback(store);
	if (ok)
		inflight_clear(store);
	return ok;
}

gboolean
cd_process_pending(cd_ingest_ctx *ctx, gint64 only_raw_id, cd_process_stats *stats, GError **error)
{
	cd_mime_options opt;
	cd_mime_options_from_config(&opt, ctx->cfg);
	guint batch = ctx->cfg ? ctx->cfg->batch_size : 256;
	if (!recover_inflight(ctx->store, error))
		return FALSE;
	for (;;) {
		GPtrArray *rows = load_batch(ctx->store, only_raw_id, batch, error);
		if (rows == NULL)
			return FALSE;
		if (rows->len == 0) {
			g_ptr_array_unref(rows);
			return TRUE;
		}
		/* After a crash, suspects go one by one so a poison message is isolated. */
		for (guint i = 0; i < rows->len; i++) {
			if (((pending_row *)g_ptr_array_index(rows, i))->attempts > 0) {
				GPtrArray *single = g_ptr_array_new_with_free_func(pending_row_free);
				g_ptr_array_add(single, g_ptr_array_steal_index(rows, i));
				g_ptr_array_unref(rows);
				rows = single;
				break;
			}
		}
		gboolean ok = process_batch(ctx, rows, &opt, stats, error);
		g_ptr_array_unref(rows);
		if (!ok)
			return FALSE;
		if (only_raw_id)
			return TRUE;
	}
}
