/* folderwatch.c - the current object of a watched folder (see folderwatch.h). */
#include "folderwatch.h"
#include "result.h"

#include <errno.h>
#include <sys/stat.h>

typedef struct {
	gpointer obj;     /* in force; NULL when none ever loaded */
	char *listing;    /* the folder as last looked at */
	char *error;      /* the last load error, while nothing loaded */
	gint64 checked;   /* monotonic time of that look */
	gint gen;         /* cd_folder_invalidate generation seen */
	gboolean tried;
} folder_state;

static GMutex lock;
static GHashTable *states; /* "what:dir" -> folder_state* (lives as long as the process) */
static gint generation;

/* listing - names, sizes, mtimes and inodes of the watched files, or "!error" */
static char *
listing(const cd_folder_kind *kind, const char *dir)
{
	GError *e = NULL;
	GPtrArray *names = kind->files(dir, &e);
	if (names == NULL) {
		char *r = g_strdup_printf("!%s", e->message);
		g_error_free(e);
		return r;
	}
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < names->len; i++) {
		const char *n = g_ptr_array_index(names, i);
		char *path = g_build_filename(dir, n, NULL);
		struct stat st;
		if (stat(path, &st) == 0)
			g_string_append_printf(s, "%s|%lld|%lld.%09ld|%llu\n", n, (long long)st.st_size,
			                       (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
			                       (unsigned long long)st.st_ino);
		else
			g_string_append_printf(s, "%s|!%d\n", n, errno);
		g_free(path);
	}
	g_ptr_array_unref(names);
	return g_string_free(s, FALSE);
}

/* reload - load dir again; on failure the previous object stays */
static void
reload(const cd_folder_kind *kind, const char *dir, folder_state *st)
{
	GError *e = NULL;
	gpointer obj = kind->load(dir, &e);
	g_clear_pointer(&st->error, g_free);
	if (obj) {
		if (st->obj)
			kind->unref(st->obj);
		st->obj = obj;
		char *summary = kind->summary(obj);
		g_info("%s: %s loaded from %s", kind->what, summary, dir);
		g_free(summary);
		return;
	}
	char *kept = st->obj ? g_strdup_printf(" (the previous %s stay in force)", kind->what) : g_strdup("");
	g_warning("%s in %s not loaded%s:%s%s", kind->what, dir, kept, kind->error_sep, e->message);
	g_free(kept);
	if (st->obj == NULL)
		st->error = g_strdup(e->message);
	g_error_free(e);
}

gpointer
cd_folder_current(const cd_folder_kind *kind, const char *dir, GError **error)
{
	g_mutex_lock(&lock);
	if (states == NULL)
		states = g_hash_table_new(g_str_hash, g_str_equal);
	char *key = g_strdup_printf("%s:%s", kind->what, dir);
	folder_state *st = g_hash_table_lookup(states, key);
	if (st == NULL) {
		st = g_new0(folder_state, 1);
		g_hash_table_insert(states, key, st);
	} else {
		g_free(key);
	}
	gint gen = g_atomic_int_get(&generation);
	gint64 now = g_get_monotonic_time();
	gboolean forced = !st->tried || gen != st->gen;
	if (forced || now - st->checked >= G_USEC_PER_SEC) {
		st->checked = now;
		char *list = listing(kind, dir);
		if (forced || g_strcmp0(list, st->listing) != 0) {
			st->tried = TRUE;
			st->gen = gen;
			g_free(st->listing);
			st->listing = g_steal_pointer(&list);
			reload(kind, dir, st);
		}
		g_free(list);
	}
	gpointer obj = st->obj ? kind->ref(st->obj) : NULL;
	if (obj == NULL)
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s in %s not loaded: %s", kind->what, dir,
		            st->error ? st->error : "unknown error");
	g_mutex_unlock(&lock);
	return obj;
}

void
cd_folder_invalidate(void)
{
	g_atomic_int_inc(&generation);
}
