/* rules_lint.c - what `caredesk filters check` adds to loading: templates that do not exist
 * (CHANNEL/NAME.* or CHANNEL/LANG/NAME.*), rules that can never run because an earlier rule stops
 * unconditionally, captures whose pattern lacks the named group; and the set written back as text
 * (check -v). */
#include "rules_int.h"

#include <string.h>

/* add_names - the file names in path */
static void
add_names(const char *path, GPtrArray *names)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *n;
	while (d && (n = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_strdup(n));
	if (d)
		g_dir_close(d);
}

/* template_names - file names in templates_dir/sub and in its language folders (sub/LANG/, the
 * layout of template.h; sub/partials/ holds no templates a rule could name) */
static GPtrArray *
template_names(const char *templates_dir, const char *sub)
{
	char *path = g_build_filename(templates_dir, sub, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *top = g_ptr_array_new_with_free_func(g_free);
	add_names(path, top);
	for (guint i = 0; i < top->len; i++) {
		const char *n = g_ptr_array_index(top, i);
		char *p = g_build_filename(path, n, NULL);
		if (!g_file_test(p, G_FILE_TEST_IS_DIR))
			g_ptr_array_add(names, g_strdup(n));
		else if (strcmp(n, "partials") != 0)
			add_names(p, names);
		g_free(p);
	}
	g_ptr_array_unref(top);
	g_free(path);
	return names;
}

/* has_template - a file NAME.* */
static gboolean
has_template(GPtrArray *names, const char *name)
{
	gsize n = strlen(name);
	for (guint i = 0; i < names->len; i++) {
		const char *f = g_ptr_array_index(names, i);
		if (strncmp(f, name, n) == 0 && f[n] == '.' && f[n + 1] != '\0')
			return TRUE;
	}
	return FALSE;
}

static gboolean
stops(const rr_rule *r)
{
	for (guint i = 0; i < r->n_actions; i++)
		if (r->actions[i].kind == RA_STOP)
			return TRUE;
	return FALSE;
}

static void G_GNUC_PRINTF(5, 6)
problem(GPtrArray *problems, const char *file, guint line, guint col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(problems, g_strdup_printf("%s:%u:%u: %s", file, line, col, msg));
	g_free(msg);
}

gboolean
cd_rules_lint(const cd_ruleset *rs, const char *templates_dir, GPtrArray *problems)
{
	guint before = problems->len;
	GPtrArray *email = templates_dir ? template_names(templates_dir, "email") : NULL;
	GPtrArray *sms = templates_dir ? template_names(templates_dir, "sms") : NULL;
	const rr_rule *stopper = NULL;
	for (guint i = 0; i < rs->rules->len; i++) {
		const rr_rule *r = g_ptr_array_index(rs->rules, i);
		if (stopper)
			problem(problems, r->file, r->line, r->col,
			        "rule \"%s\" can never run: rule \"%s\" at %s:%u has no conditions and stops", r->name,
			        stopper->name, stopper->file, stopper->line);
		for (guint k = 0; k < r->n_actions; k++) {
			const ra_action *a = &r->actions[k];
			if (a->kind == RA_CAPTURE && a->group < 0)
				problem(problems, r->file, a->pat->line, a->pat->col,
				        "capture %s: the pattern %s has no group (?<%s>...), so it never captures anything", a->arg,
				        a->pat->source, a->arg);
			if (templates_dir && a->kind == RA_REPLY && !has_template(email, a->arg) && !has_template(sms, a->arg))
				problem(problems, r->file, a->line, a->col,
				        "reply \"%s\": no such template (no %s/email/%s.* or %s/sms/%s.*)", a->arg, templates_dir,
				        a->arg, templates_dir, a->arg);
			if (templates_dir && a->kind == RA_SMS && !has_template(sms, a->arg))
				problem(problems, r->file, a->line, a->col, "sms \"%s\": no such template (no %s/sms/%s.*)", a->arg,
				        templates_dir, a->arg);
		}
		if (stopper == NULL && r->when == NULL && stops(r))
			stopper = r;
	}
	if (email)
		g_ptr_array_unref(email);
	if (sms)
		g_ptr_array_unref(sms);
	return problems->len == before;
}

/* append_value - a value as a rule file spells it: a plain word as is, anything else quoted */
static void
append_value(GString *out, const char *v, gboolean always_quote)
{
	static const char *const reserved[] = {"rule", "when", "then", "and", "or", "not", NULL};
	gboolean word = !always_quote && (g_ascii_isalnum(*v) || *v == '_' || (guchar)*v >= 0x80);
	for (const char *p = v; *p && word; p++)
		word = g_ascii_isalnum(*p) || (guchar)*p >= 0x80 || strchr("_.-@+", *p) != NULL;
	for (const char *const *r = reserved; *r && word; r++)
		word = strcmp(v, *r) != 0;
	if (word) {
		g_string_append(out, v);
		return;
	}
	g_string_append_c(out, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *v);
	}
	g_string_append_c(out, '"');
}

void
cd_rules_describe(const cd_ruleset *rs, GString *out)
{
	for (guint i = 0; i < rs->rules->len; i++) {
		const rr_rule *r = g_ptr_array_index(rs->rules, i);
		g_string_append_printf(out, "%s# %s:%u\nrule ", i ? "\n" : "", r->file, r->line);
		append_value(out, r->name, TRUE);
		g_string_append_c(out, '\n');
		if (r->when) {
			g_string_append(out, "  when ");
			rr_describe_cond(rs, r->when, out);
			g_string_append_c(out, '\n');
		}
		for (guint k = 0; k < r->n_actions; k++) {
			const ra_action *a = &r->actions[k];
			g_string_append(out, k ? "       " : "  then ");
			g_string_append(out, ra_name(a->kind));
			switch (a->kind) {
			case RA_CAPTURE:
				g_string_append_printf(out, " %s = ", a->arg);
				rr_describe_field(&a->field, out);
				g_string_append_printf(out, " ~ %s", a->pat->source);
				break;
			case RA_REPLY:
			case RA_NOTIFY:
			case RA_SMS:
			case RA_REJECT:
				g_string_append_c(out, ' ');
				append_value(out, a->arg, TRUE);
				break;
			case RA_DROP:
			case RA_STOP:
				break;
			default:
				g_string_append_c(out, ' ');
				append_value(out, a->arg, FALSE);
				break;
			}
			g_string_append_c(out, '\n');
		}
	}
}
