/* rules.c - rule sets as a whole: loading a folder (all or nothing), reference counting,
 * decisions, and the process-wide current set that follows the folder (cd_rules_current). */
#include "rules_int.h"
#include "result.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_RULES_FILE (16 * 1024 * 1024)

static gint
by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* rules_files - the *.rules names in dir, sorted (dot files skipped: editors' locks and temps) */
static GPtrArray *
rules_files(const char *dir, GError **error)
{
	GError *e = NULL;
	GDir *d = g_dir_open(dir, 0, &e);
	if (d == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: cannot read the rules folder: %s", dir, e->message);
		g_error_free(e);
		return NULL;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	while ((n = g_dir_read_name(d)) != NULL)
		if (n[0] != '.' && g_str_has_suffix(n, ".rules"))
			g_ptr_array_add(names, g_strdup(n));
	g_dir_close(d);
	g_ptr_array_sort(names, by_name);
	return names;
}

static cd_ruleset *
fail_with(cd_ruleset *rs, GPtrArray *errors, GError **error)
{
	GString *msg = g_string_new(NULL);
	for (guint i = 0; i < errors->len; i++)
		g_string_append_printf(msg, "%s%s", i ? "\n" : "", (char *)g_ptr_array_index(errors, i));
	if (errors->len >= 20)
		g_string_append(msg, "\n(stopped after 20 errors)");
	g_set_error_literal(error, CD_ERROR, CD_ERROR_CONFIG, msg->str);
	g_string_free(msg, TRUE);
	g_ptr_array_unref(errors);
	cd_ruleset_unref(rs);
	return NULL;
}

cd_ruleset *
cd_rules_load_flags(const char *dir, cd_rules_flags flags, GError **error)
{
	GPtrArray *names = rules_files(dir, error);
	if (names == NULL)
		return NULL;
	cd_ruleset *rs = rr_set_new(flags);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < names->len && errors->len < 20; i++) {
		const char *name = g_ptr_array_index(names, i);
		char *path = g_build_filename(dir, name, NULL);
		char *text = NULL;
		gsize len = 0;
		GError *e = NULL;
		if (!g_file_get_contents(path, &text, &len, &e)) {
			g_ptr_array_add(errors, g_strdup_printf("%s: cannot read: %s", name, e->message));
			g_error_free(e);
		} else if (len > MAX_RULES_FILE) {
			g_ptr_array_add(errors, g_strdup_printf("%s: larger than %d MiB", name, MAX_RULES_FILE >> 20));
		} else {
			rr_parse_file(rs, name, text, len, errors);
		}
		g_free(text);
		g_free(path);
	}
	g_ptr_array_unref(names);
	if (errors->len)
		return fail_with(rs, errors, error);
	g_ptr_array_unref(errors);
	rr_finish(rs);
	return rs;
}

cd_ruleset *
cd_rules_load(const char *dir, GError **error)
{
	return cd_rules_load_flags(dir, 0, error);
}

cd_ruleset *
cd_rules_parse_text(const char *name, const char *text, gsize len, cd_rules_flags flags, GError **error)
{
	cd_ruleset *rs = rr_set_new(flags);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	if (len > MAX_RULES_FILE)
		g_ptr_array_add(errors, g_strdup_printf("%s: larger than %d MiB", name, MAX_RULES_FILE >> 20));
	else
		rr_parse_file(rs, name, text, len, errors);
	if (errors->len)
		return fail_with(rs, errors, error);
	g_ptr_array_unref(errors);
	rr_finish(rs);
	return rs;
}

cd_ruleset *
cd_ruleset_ref(cd_ruleset *rs)
{
	g_atomic_int_inc(&rs->refs);
	return rs;
}

void
cd_ruleset_unref(cd_ruleset *rs)
{
	if (rs == NULL || !g_atomic_int_dec_and_test(&rs->refs))
		return;
	g_ptr_array_unref(rs->rules);
	g_ptr_array_unref(rs->patterns);
	g_ptr_array_unref(rs->files);
	g_ptr_array_unref(rs->header_names);
	g_hash_table_unref(rs->header_ids);
	for (guint i = 0; rs->slots && i < rs->n_slots; i++)
		rp_slot_clear(&rs->slots[i]);
	g_free(rs->slots);
	g_free(rs->pf_words);
	g_ptr_array_unref(rs->pool);
	g_mutex_clear(&rs->pool_lock);
	g_free(rs);
}

gboolean
cd_ruleset_has_reject(const cd_ruleset *rs)
{
	return rs->has_reject;
}

guint
cd_ruleset_count(const cd_ruleset *rs)
{
	return rs->rules->len;
}

/* ---- decisions ---- */

void
cd_rule_decision_init(cd_rule_decision *d)
{
	memset(d, 0, sizeof *d);
	d->tags = g_ptr_array_new_with_free_func(g_free);
	d->captures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	d->replies = g_ptr_array_new_with_free_func(g_free);
	d->notifies = g_ptr_array_new_with_free_func(g_free);
	d->sms = g_ptr_array_new_with_free_func(g_free);
	d->matched = g_ptr_array_new_with_free_func(g_free);
	d->limit_hits = g_ptr_array_new_with_free_func(g_free);
}

void
cd_rule_decision_clear(cd_rule_decision *d)
{
	g_free(d->type);
	g_free(d->queue);
	g_free(d->priority);
	g_free(d->assign);
	g_free(d->reject);
	if (d->tags)
		g_ptr_array_unref(d->tags);
	if (d->captures)
		g_hash_table_unref(d->captures);
	if (d->replies)
		g_ptr_array_unref(d->replies);
	if (d->notifies)
		g_ptr_array_unref(d->notifies);
	if (d->sms)
		g_ptr_array_unref(d->sms);
	if (d->matched)
		g_ptr_array_unref(d->matched);
	if (d->limit_hits)
		g_ptr_array_unref(d->limit_hits);
	memset(d, 0, sizeof *d);
}

/* ---- the current set of a folder ---- */

typedef struct {
	cd_ruleset *rs;   /* in force; NULL when none ever loaded */
	char *listing;    /* the folder as last looked at */
	gint64 checked;   /* monotonic time of that look */
	gint gen;         /* cd_rules_invalidate generation seen */
	gboolean tried;
} current_state;

static GMutex current_lock;
static GHashTable *current_states; /* dir -> current_state* (lives as long as the process) */
static gint current_gen;           /* bumped by cd_rules_invalidate, from a signal handler too */

/* listing - names, sizes, mtimes and inodes of the folder's *.rules files */
static char *
listing(const char *dir)
{
	GError *e = NULL;
	GPtrArray *names = rules_files(dir, &e);
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

cd_ruleset *
cd_rules_current(const char *dir)
{
	g_mutex_lock(&current_lock);
	if (current_states == NULL)
		current_states = g_hash_table_new(g_str_hash, g_str_equal);
	current_state *st = g_hash_table_lookup(current_states, dir);
	if (st == NULL) {
		st = g_new0(current_state, 1);
		g_hash_table_insert(current_states, g_strdup(dir), st);
	}
	gint gen = g_atomic_int_get(&current_gen);
	gint64 now = g_get_monotonic_time();
	gboolean forced = !st->tried || gen != st->gen;
	if (forced || now - st->checked >= G_USEC_PER_SEC) {
		st->checked = now;
		char *list = listing(dir);
		if (forced || g_strcmp0(list, st->listing) != 0) {
			st->tried = TRUE;
			st->gen = gen;
			g_free(st->listing);
			st->listing = list;
			list = NULL;
			GError *error = NULL;
			cd_ruleset *rs = cd_rules_load(dir, &error);
			if (rs) {
				cd_ruleset_unref(st->rs);
				st->rs = rs;
				g_info("rules: %u rules loaded from %s", cd_ruleset_count(rs), dir);
			} else {
				g_warning("rules in %s not loaded%s:\n%s", dir,
				          st->rs ? " (the previous rules stay in force)" : "", error->message);
				g_error_free(error);
			}
		}
		g_free(list);
	}
	cd_ruleset *rs = st->rs ? cd_ruleset_ref(st->rs) : NULL;
	g_mutex_unlock(&current_lock);
	return rs;
}

void
cd_rules_invalidate(void)
{
	g_atomic_int_inc(&current_gen);
}
