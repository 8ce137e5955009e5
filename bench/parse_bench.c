/* parse_bench.c - parse throughput over a folder of messages, in one thread.
 *   cd-bench-parse --gmime DIR   GMime alone (construct the message, walk nothing): the reference (a)
 *   cd-bench-parse --gmime-decode DIR   GMime, and every part's content decoded (base64, QP)
 *   cd-bench-parse DIR           caredesk's whole parse (charsets, HTML, attachments, quote stripping)
 *   cd-bench-parse --pool DIR    caredesk's whole parse on the Maildir drain's parse threads (one per
 *                                processor) with a consumer that writes nothing: the most (b) could be
 * Prints "parse-gmime|parse-caredesk|parse-pool: N msgs, S s, R msgs/s". */
#include "mime.h"
#include "parsepool.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>

static void
decode_part(GMimeObject *parent, GMimeObject *part, gpointer null_stream)
{
	if (GMIME_IS_PART(part)) {
		GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(part));
		if (dw)
			g_mime_data_wrapper_write_to_stream(dw, null_stream);
	}
}

static gboolean decode_too;

static void
gmime_only(const void *data, gsize len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	if (msg && decode_too) {
		GMimeStream *null = g_mime_stream_null_new();
		g_mime_message_foreach(msg, decode_part, null);
		g_object_unref(null);
	}
	if (msg)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
}

static GBytes *
load_preloaded(gpointer item, gpointer user, GError **error)
{
	return g_bytes_ref(item);
}

/* pool_round - every file through the parse pool, taken in order and dropped. */
static void
pool_round(GPtrArray *files, const cd_mime_options *opt)
{
	cd_parse_pool *pool = cd_parse_pool_new(files, load_preloaded, NULL, opt, cd_parse_threads(), 512);
	cd_parsed *p;
	while ((p = cd_parse_pool_next(pool)) != NULL)
		cd_parsed_free(p);
	cd_parse_pool_free(pool);
}

int
main(int argc, char **argv)
{
	decode_too = argc > 1 && strcmp(argv[1], "--gmime-decode") == 0;
	gboolean pooled = argc > 1 && strcmp(argv[1], "--pool") == 0;
	gboolean pure = argc > 1 && (strcmp(argv[1], "--gmime") == 0 || decode_too);
	if (pure || pooled) {
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: cd-bench-parse [--gmime|--gmime-decode|--pool] DIR [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 1;
	GPtrArray *files = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GDir *d = g_dir_open(argv[1], 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(argv[1], name, NULL);
		char *data;
		gsize len;
		if (g_file_get_contents(p, &data, &len, NULL))
			g_ptr_array_add(files, g_bytes_new_take(data, len));
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	cd_mime_init();
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	gint64 t0 = g_get_monotonic_time();
	guint n = 0;
	for (int r = 0; r < rounds; r++) {
		if (pooled) {
			pool_round(files, &opt);
			n += files->len;
			continue;
		}
		for (guint i = 0; i < files->len; i++) {
			gsize len;
			const void *data = g_bytes_get_data(g_ptr_array_index(files, i), &len);
			if (pure)
				gmime_only(data, len);
			else
				cd_message_free(cd_mime_parse(data, len, &opt));
			n++;
		}
	}
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	printf("%s: %u msgs, %.3f s, %.0f msgs/s\n", decode_too ? "parse-gmime+decode"
	       : pure     ? "parse-gmime"
	       : pooled   ? "parse-pool"
	                  : "parse-caredesk", n, secs, n / secs);
	g_ptr_array_unref(files);
	return 0;
}
