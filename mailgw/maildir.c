/* maildir.c - `caredesk-mailgw maildir DIR`: drain a Maildir (new/ and cur/).
 *
 * Files are parsed on worker threads and taken in by one writer in arrival (name) order,
 * many per transaction; a file is unlinked only after the transaction holding it committed.
 * A crash at any instant leaves each message committed or still in the Maildir, and taking
 * in a committed one again is a no-op (SHA-256 of its bytes). */
#include "engine.h"
#include "fetch.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* compare_names - Maildir names start with the delivery time: name order is arrival order. */
static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(base_name(*(char *const *)a), base_name(*(char *const *)b));
}

static void
list_dir(const char *dir, const char *sub, GPtrArray *out)
{
	char *path = g_build_filename(dir, sub, NULL);
	GDir *d = g_dir_open(path, 0, NULL);
	if (d != NULL) {
		const char *name;
		while ((name = g_dir_read_name(d)) != NULL) {
			if (name[0] == '.')
				continue;
			g_ptr_array_add(out, g_build_filename(path, name, NULL));
		}
		g_dir_close(d);
	}
	g_free(path);
}

static GBytes *
load_file(gpointer item, gpointer user, GError **error)
{
	char *data = NULL;
	gsize len = 0;
	GError *e = NULL;
	if (!g_file_get_contents(item, &data, &len, &e)) {
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "%s", e->message);
		g_error_free(e);
		return NULL;
	}
	return g_bytes_new_take(data, len);
}

static const char *
item_ref(gpointer item)
{
	return base_name(item);
}

static void
unlink_committed(GPtrArray *done, gpointer user)
{
	for (guint i = 0; i < done->len; i++) {
		const char *path = g_ptr_array_index(done, i);
		if (unlink(path) != 0 && errno != ENOENT)
			g_warning("committed but cannot remove %s: %s (taking it in again will be a no-op)", path,
			          g_strerror(errno));
	}
}

static gboolean
drain(engine_ctx *e, const char *dir, const char *queue, fetch_stats *st, GError **error)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	list_dir(dir, "new", files);
	list_dir(dir, "cur", files);
	g_ptr_array_sort(files, compare_names);
	fetch_source src = {
	    .source = "maildir",
	    .queue = queue,
	    .batch = e->cfg->batch_size,
	    .load = load_file,
	    .ref = item_ref,
	    .committed = unlink_committed,
	};
	gboolean ok = fetch_take_in(e, files, &src, st, error);
	g_ptr_array_unref(files);
	return ok;
}

int
engine_maildir_main(int argc, char **argv)
{
	char *config = NULL, *queue = NULL;
	gboolean verbose = FALSE, quiet = FALSE;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		{"queue", 'q', 0, G_OPTION_ARG_STRING, &queue, "queue for new tickets", "Q"},
		{"quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "no summary line", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log more", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx = g_option_context_new("maildir DIR - take in every message of a Maildir, then remove it");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	cd_log_set_verbose(verbose);
	/* argv now: program maildir DIR */
	const char *dir = NULL;
	for (int i = 1; i + 1 < argc && dir == NULL; i++)
		if (strcmp(argv[i], "maildir") == 0)
			dir = argv[i + 1];
	if (dir == NULL)
		cd_die(EX_USAGE, "maildir: which directory? (caredesk-mailgw maildir DIR)");
	char *newdir = g_build_filename(dir, "new", NULL);
	gboolean is_maildir = g_file_test(newdir, G_FILE_TEST_IS_DIR);
	g_free(newdir);
	if (!is_maildir)
		cd_die(EX_NOINPUT, "%s is not a Maildir (no new/ folder)", dir);

	engine_ctx e;
	engine_open(&e, config);
	fetch_stats st = {0};
	gint64 t0 = g_get_monotonic_time();
	gboolean ok = drain(&e, dir, queue, &st, &error);
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	int code = EX_OK;
	if (!ok) {
		g_warning("%s (uncommitted messages stay in the Maildir)", error->message);
		code = engine_exit_code(error);
		g_error_free(error);
	}
	if (!quiet)
		printf("maildir %s: %u files, %u taken in (%u new tickets, %u duplicates, %u unparsed fallbacks), "
		       "%u seen before, %u left in place; %.2f s, %.0f msgs/s\n",
		       dir, st.items, st.stored, st.process.tickets, st.process.duplicates, st.process.fallbacks, st.already,
		       st.skipped, secs, secs > 0 ? (st.stored + st.already) / secs : 0.0);
	fetch_stats_clear(&st);
	engine_close(&e);
	g_free(config);
	g_free(queue);
	return code;
}
