/* rules.c - rule sets as a whole: loading a folder (all or nothing), reference counting,
 * decisions, and the process-wide current set that follows the folder (cd_rules_current). */
#include "rules_int.h"
#include "folderwatch.h"
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
	g_free(rs->gates);
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

static gpointer
load_rules(const char *dir, GError **error)
{
	return cd_rules_load(dir, error);
}

static gpointer
ref_rules(gpointer rs)
{
	return cd_ruleset_ref(rs);
}

static void
unref_rules(gpointer rs)
{
	cd_ruleset_unref(rs);
}

static char *
rules_summary(gpointer rs)
{
	return g_strdup_printf("%u rules", cd_ruleset_count(rs));
}

static const cd_folder_kind rules_folder = {"rules", rules_files, load_rules, ref_rules, unref_rules, rules_summary, "\n"};

cd_ruleset *
cd_rules_current(const char *dir)
{
	return cd_folder_current(&rules_folder, dir, NULL);
}

void
cd_rules_invalidate(void)
{
	cd_folder_invalidate();
}
