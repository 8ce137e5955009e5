/* fetch.c - taking in messages from a batch source (see fetch.h). */
#include "fetch.h"
#include "rawstore.h"

#include <string.h>

/* take_in - one parsed item inside the open transaction. */
static gboolean
take_in(engine_ctx *e, const fetch_source *src, cd_parsed *p, fetch_stats *st, GError **error)
{
	gsize len;
	const void *data = g_bytes_get_data(p->bytes, &len);
	cd_raw_origin origin = {
	    .source = src->source,
	    .recipient = src->recipient,
	    .source_ref = src->ref ? src->ref(p->item) : NULL,
	    .queue = src->queue,
	};
	gint64 raw_id;
	cd_raw_status status;
	if (!cd_raw_store(e->store, data ? data : "", len, p->msg->sha256, &origin, &raw_id, &status, error))
		return FALSE;
	if (status == CD_RAW_SEEN) {
		st->already++;
		return TRUE;
	}
	st->stored++;
	cd_envelope env = {.channel = "email", .queue = src->queue};
	return cd_process_parsed(&e->ingest, raw_id, p->msg, p->bytes, &env, &st->process, error);
}

static gboolean
commit(engine_ctx *e, const fetch_source *src, GPtrArray *done, GError **error)
{
	if (src->before_commit && !src->before_commit(e, done, src->user, error))
		return FALSE;
	if (!cd_store_commit(e->store, error))
		return FALSE;
	if (src->committed)
		src->committed(done, src->user);
	g_ptr_array_set_size(done, 0);
	return TRUE;
}

gboolean
fetch_take_in(engine_ctx *e, GPtrArray *items, const fetch_source *src, fetch_stats *st, GError **error)
{
	st->items += items->len;
	if (items->len == 0)
		return TRUE;
	cd_mime_options opt;
	cd_mime_options_from_config(&opt, e->cfg);
	guint batch = MAX(src->batch, 1);
	guint threads = MIN(cd_parse_threads(), items->len);
	cd_parse_pool *pool = cd_parse_pool_new(items, src->load, src->user, &opt, threads, 2 * batch);
	GPtrArray *done = g_ptr_array_new();
	gboolean ok = TRUE;
	cd_parsed *p;
	while (ok && (p = cd_parse_pool_next(pool)) != NULL) {
		if (!cd_store_in_transaction(e->store))
			ok = cd_store_begin(e->store, error);
		if (ok && p->msg == NULL) {
			g_warning("%s: %s (left in place)", src->ref ? src->ref(p->item) : "message", p->error->message);
			st->skipped++;
		} else if (ok) {
			ok = take_in(e, src, p, st, error);
			if (ok)
				g_ptr_array_add(done, p->item);
		}
		cd_parsed_free(p);
		if (ok && done->len >= batch)
			ok = commit(e, src, done, error);
	}
	if (ok && cd_store_in_transaction(e->store))
		ok = commit(e, src, done, error);
	if (!ok)
		cd_store_rollback(e->store);
	cd_parse_pool_free(pool);
	g_ptr_array_unref(done);
	return ok;
}

void
fetch_stats_clear(fetch_stats *st)
{
	g_free(st->process.reject_text);
	memset(st, 0, sizeof *st);
}
