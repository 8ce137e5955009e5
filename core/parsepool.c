/* parsepool.c - ordered parallel parsing (see parsepool.h). */
#include "parsepool.h"

struct cd_parse_pool {
	GPtrArray *items;
	cd_parse_load_fn load;
	gpointer user;
	const cd_mime_options *opt;
	guint window;
	GMutex lock;
	GCond cond;
	cd_parsed **slots;
	guint claimed;     /* next index a worker takes */
	guint delivered;   /* next index the consumer takes */
	gboolean stop;
	GPtrArray *threads;
};

static cd_parsed *
parse_one(cd_parse_pool *p, guint i)
{
	cd_parsed *r = g_new0(cd_parsed, 1);
	r->item = g_ptr_array_index(p->items, i);
	r->bytes = p->load(r->item, p->user, &r->error);
	if (r->bytes != NULL) {
		gsize len;
		const void *data = g_bytes_get_data(r->bytes, &len);
		r->msg = cd_mime_parse(data ? data : "", len, p->opt);
	}
	return r;
}

static gpointer
worker(gpointer data)
{
	cd_parse_pool *p = data;
	for (;;) {
		g_mutex_lock(&p->lock);
		while (!p->stop && p->claimed < p->items->len && p->claimed >= p->delivered + p->window)
			g_cond_wait(&p->cond, &p->lock);
		if (p->stop || p->claimed >= p->items->len) {
			g_mutex_unlock(&p->lock);
			return NULL;
		}
		guint i = p->claimed++;
		g_mutex_unlock(&p->lock);
		cd_parsed *r = parse_one(p, i);
		g_mutex_lock(&p->lock);
		p->slots[i] = r;
		g_cond_broadcast(&p->cond);
		g_mutex_unlock(&p->lock);
	}
}

guint
cd_parse_threads(void)
{
	return MAX(1, g_get_num_processors());
}

cd_parse_pool *
cd_parse_pool_new(GPtrArray *items, cd_parse_load_fn load, gpointer user, const cd_mime_options *opt, guint threads,
                  guint window)
{
	cd_mime_init();
	cd_parse_pool *p = g_new0(cd_parse_pool, 1);
	p->items = items;
	p->load = load;
	p->user = user;
	p->opt = opt;
	p->window = MAX(window, 1);
	g_mutex_init(&p->lock);
	g_cond_init(&p->cond);
	p->slots = g_new0(cd_parsed *, items->len + 1);
	p->threads = g_ptr_array_new();
	for (guint i = 0; i < threads && i < items->len; i++)
		g_ptr_array_add(p->threads, g_thread_new("parse", worker, p));
	return p;
}

cd_parsed *
cd_parse_pool_next(cd_parse_pool *p)
{
	if (p->delivered >= p->items->len)
		return NULL;
	if (p->threads->len == 0) {
		guint i = p->delivered++;
		return parse_one(p, i);
	}
	g_mutex_lock(&p->lock);
	while (p->slots[p->delivered] == NULL)
		g_cond_wait(&p->cond, &p->lock);
	cd_parsed *r = p->slots[p->delivered];
	p->slots[p->delivered] = NULL;
	p->delivered++;
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
	return r;
}

void
cd_parsed_free(cd_parsed *r)
{
	if (r == NULL)
		return;
	if (r->bytes)
		g_bytes_unref(r->bytes);
	g_clear_error(&r->error);
	cd_message_free(r->msg);
	g_free(r);
}

void
cd_parse_pool_free(cd_parse_pool *p)
{
	if (p == NULL)
		return;
	g_mutex_lock(&p->lock);
	p->stop = TRUE;
	g_cond_broadcast(&p->cond);
	g_mutex_unlock(&p->lock);
	for (guint i = 0; i < p->threads->len; i++)
		g_thread_join(g_ptr_array_index(p->threads, i));
	g_ptr_array_unref(p->threads);
	for (guint i = 0; i < p->items->len; i++)
		cd_parsed_free(p->slots[i]);
	g_free(p->slots);
	g_mutex_clear(&p->lock);
	g_cond_clear(&p->cond);
	g_free(p);
}
