/* template.c - the template language: parsing a file into a tree (FILE:LINE:COL errors), the set
 * of a folder (layout, partials linked at load), rendering email and SMS parts from a JSON vars
 * object (escaping, one-line subjects, size cap), and the process-wide current set of a folder
 * (cd_tmpl_current). The kinds table and the checker are template_kinds.c's. */
#include "template_int.h"
#include "folderwatch.h"
#include "result.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

/* ---- layout ---- */

static gboolean
word_ok(const char *s, const char *extra)
{
	if (*s == '\0')
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && strchr(extra, *s) == NULL)
			return FALSE;
	return TRUE;
}

/* lang_ok - a language folder: two or three lowercase letters */
static gboolean
lang_ok(const char *s)
{
	gsize n = strlen(s);
	if (n < 2 || n > 3)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_islower(*s))
			return FALSE;
	return TRUE;
}

gboolean
ct_classify(const char *path, char **channel, char **lang, char **kind, char **ext, gboolean *partial,
            const char **why)
{
	char **parts = g_strsplit(path, "/", -1);
	guint n = g_strv_length(parts);
	const char *w = NULL;
	gboolean is_partial = n == 4 && strcmp(parts[1], "partials") == 0;
	const char *file = n ? parts[n - 1] : "";
	const char *dot = strrchr(file, '.');
	char *k = dot ? g_strndup(file, (gsize)(dot - file)) : g_strdup(file);
	const char *e = dot ? dot + 1 : "";
	if (n < 2 || (strcmp(parts[0], "email") != 0 && strcmp(parts[0], "sms") != 0 && strcmp(parts[0], "web") != 0))
		w = "not under email/ or sms/";
	else if (n == 3 && strcmp(parts[1], "partials") == 0)
		w = "not in a language folder (CHANNEL/partials/LANG/NAME.EXT, like email/partials/en/footer.txt)";
	else if (n == 2)
		w = "not in a language folder (CHANNEL/LANG/KIND.EXT, like email/en/ticket_ack.txt)";
	else if (!(n == 3 || is_partial))
		w = "too deep (CHANNEL/LANG/KIND.EXT or CHANNEL/partials/LANG/NAME.EXT)";
	else if (!lang_ok(parts[n - 2]))
		w = "not in a language folder (two or three lowercase letters, like en or de)";
	else if (dot == NULL || !word_ok(k, is_partial ? "_-" : "_-."))
		w = is_partial ? "not a partial name (NAME.EXT; letters, digits, '_' and '-')"
		               : "not a template name (KIND.EXT; letters, digits, '_', '-' and '.')";
	else if (strcmp(parts[0], "sms") == 0 && strcmp(e, "txt") != 0)
		w = "not an SMS template (sms/LANG/KIND.txt: an SMS is text only)";
	else if (strcmp(parts[0], "web") == 0 && strcmp(e, "html") != 0)
		w = "not a web page template (web/LANG/PAGE.html)";
	else if (strcmp(e, "txt") != 0 && strcmp(e, "html") != 0 && (is_partial || strcmp(e, "subject") != 0))
		w = is_partial ? "not a partial (.txt or .html)" : "not a template (.subject, .txt or .html)";
	if (w == NULL) {
		if (channel)
			*channel = g_strdup(parts[0]);
		if (lang)
			*lang = g_strdup(parts[n - 2]);
		if (kind)
			*kind = g_strdup(k);
		if (ext)
			*ext = g_strdup(e);
		if (partial)
			*partial = is_partial;
	}
	if (why)
		*why = w;
	g_free(k);
	g_strfreev(parts);
	return w == NULL;
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ignored - editors' backups and locks, dot files, READMEs */
static gboolean
ignored(const char *name)
{
	return name[0] == '.' || g_str_has_suffix(name, "~") || g_str_has_prefix(name, "#") ||
	       g_ascii_strncasecmp(name, "README", 6) == 0;
}

static void
walk(const char *dir, const char *rel, guint level, GPtrArray *files, GPtrArray *problems)
{
	char *path = g_build_filename(dir, rel, NULL);
	GError *e = NULL;
	GDir *d = g_dir_open(path, 0, &e);
	if (d == NULL) {
		if (problems)
			g_ptr_array_add(problems, g_strdup_printf("%s: cannot read: %s", rel, e->message));
		g_error_free(e);
		g_free(path);
		return;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	while ((n = g_dir_read_name(d)) != NULL)
		if (!ignored(n))
			g_ptr_array_add(names, g_strdup(n));
	g_dir_close(d);
	g_ptr_array_sort(names, by_name);
	for (guint i = 0; i < names->len; i++) {
		char *r = g_build_path("/", rel, g_ptr_array_index(names, i), NULL);
		char *full = g_build_filename(dir, r, NULL);
		if (g_file_test(full, G_FILE_TEST_IS_DIR)) {
			if (level < 3)
				walk(dir, r, level + 1, files, problems);
			else if (problems)
				g_ptr_array_add(problems, g_strdup_printf("%s: a folder too deep to hold templates", r));
		} else {
			const char *why;
			if (ct_classify(r, NULL, NULL, NULL, NULL, NULL, &why))
				g_ptr_array_add(files, g_strdup(r));
			else if (problems)
				g_ptr_array_add(problems, g_strdup_printf("%s: %s", r, why));
		}
		g_free(full);
		g_free(r);
	}
	g_ptr_array_unref(names);
	g_free(path);
}

/* list_channels - the template files under each of channels (a NULL-terminated list) */
static gboolean
list_channels(const char *dir, const char *const *channels, GPtrArray *files, GPtrArray *problems, GError **error)
{
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: cannot read the templates folder: %s", dir,
		            g_file_test(dir, G_FILE_TEST_EXISTS) ? "not a folder" : "no such folder");
		return FALSE;
	}
	for (gsize i = 0; channels[i]; i++) {
		char *p = g_build_filename(dir, channels[i], NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			walk(dir, channels[i], 1, files, problems);
		g_free(p);
	}
	return TRUE;
}

gboolean
ct_list_files(const char *dir, GPtrArray *files, GPtrArray *problems, GError **error)
{
	static const char *const channels[] = {"email", "sms", NULL};
	return list_channels(dir, channels, files, problems, error);
}

gboolean
ct_read(const char *dir, const char *rel, char **text, gsize *len, GError **error)
{
	char *path = g_build_filename(dir, rel, NULL);
	GError *e = NULL;
	gboolean ok = g_file_get_contents(path, text, len, &e);
	g_free(path);
	if (!ok) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: cannot read: %s", rel, e->message);
		g_error_free(e);
		return FALSE;
	}
	if (*len > CD_TMPL_MAX_FILE) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: larger than %d bytes: not a template", rel,
		            CD_TMPL_MAX_FILE);
		g_free(*text);
		*text = NULL;
		return FALSE;
	}
	return TRUE;
}

/* ---- the parser ---- */

static void
node_free(gpointer p)
{
	tn_node *n = p;
	g_free(n->name);
	g_free(n->equals);
	g_strfreev(n->path);
	if (n->children)
		g_ptr_array_unref(n->children);
	g_free(n);
}

void
ct_free(ct_tmpl *t)
{
	if (t == NULL)
		return;
	g_free(t->path);
	g_free(t->channel);
	g_free(t->lang);
	g_free(t->kind);
	g_free(t->ext);
	if (t->nodes)
		g_ptr_array_unref(t->nodes);
	g_free(t);
}

/* cursor - a position in the text with its line and column (columns in characters) */
typedef struct {
	const char *at;
	guint line, col;
} cursor;

static void
advance(cursor *c, const char *to)
{
	for (; c->at < to; c->at++) {
		if (*c->at == '\n') {
			c->line++;
			c->col = 1;
		} else if (((guchar)*c->at & 0xC0) != 0x80) {
			c->col++;
		}
	}
}

typedef struct {
	const char *path;
	const char *text, *end;
	cursor cur;   /* at the start of the next tag or text; only moves forward */
	GError **error;
} parser;

static gboolean G_GNUC_PRINTF(4, 5)
fail_at(parser *ps, guint line, guint col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(ps->error, CD_ERROR, CD_ERROR_CONFIG, "%s:%u:%u: %s", ps->path, line, col, msg);
	g_free(msg);
	return FALSE;
}

/* pos - line and column of p (p >= the cursor) */
static cursor
pos(const parser *ps, const char *p)
{
	cursor c = ps->cur;
	advance(&c, p);
	return c;
}

/* describe - one character of the text as a message shows it ("'x'", "a space") */
static char *
describe(const char *p, const char *end)
{
	if (p >= end)
		return g_strdup("the end of the tag");
	if (*p == ' ')
		return g_strdup("a space");
	if (*p == '\t')
		return g_strdup("a tab");
	if ((guchar)*p < 0x20)
		return g_strdup_printf("control character 0x%02x", (guchar)*p);
	const char *next = g_utf8_next_char(p);
	return g_strdup_printf("'%.*s'", (int)(MIN(next, end) - p), p);
}

static const char *
tag_open(tn_kind kind, char sigil)
{
	switch (kind) {
	case TN_SECTION:
		return "{{#";
	case TN_INVERTED:
		return "{{^";
	case TN_PARTIAL:
		return "{{>";
	case TN_RAW:
		return sigil == '&' ? "{{&" : "{{{";
	default:
		return sigil == '/' ? "{{/" : "{{";
	}
}

/* check_part - a name is "." or parts of letters, digits, '_' and '-' joined by dots (a partial's
 * name has no dots); FALSE with the error at the first character that does not fit */
static gboolean
check_part(parser *ps, const char *s, const char *e, const char *opener, gboolean partial)
{
	if (s == e) {
		cursor c = pos(ps, s);
		return fail_at(ps, c.line, c.col, "expected a %s after %s, got %s", partial ? "partial name" : "name",
		               opener, *e == '=' ? "'='" : opener[2] == '{' ? "}}}" : "}}");
	}
	if (!partial && e - s == 1 && *s == '.')
		return TRUE;
	gboolean part_start = TRUE;
	for (const char *p = s; p < e; p++) {
		gboolean ok = g_ascii_isalnum(*p) || *p == '_' || *p == '-' || (!partial && *p == '.' && !part_start);
		if (ok && *p == '.' && p + 1 == e)
			ok = FALSE;
		if (!ok) {
			cursor c = pos(ps, p);
			char *got = describe(p, e);
			fail_at(ps, c.line, c.col,
			        partial ? "expected a partial name (letters, digits, '_' and '-'), got %s"
			                : "expected a name (letters, digits, '_' and '-', with dots between parts: ticket.ref), "
			                  "got %s",
			        got);
			g_free(got);
			return FALSE;
		}
		part_start = *p == '.';
	}
	return TRUE;
}

/* check_name - the name of a tag; sections (and their close tags) may test a value: name=VALUE */
static gboolean
check_name(parser *ps, const char *s, const char *e, const char *opener, gboolean partial, gboolean test_ok)
{
	const char *eq = test_ok ? memchr(s, '=', (gsize)(e - s)) : NULL;
	if (eq == NULL)
		return check_part(ps, s, e, opener, partial);
	if (!check_part(ps, s, eq, opener, FALSE))
		return FALSE;
	for (const char *p = eq + 1; p < e || p == eq + 1; p++) {
		if (p < e && (g_ascii_isalnum(*p) || strchr("_-.", *p) || (*p == '|' && p[-1] != '=' && p[-1] != '|' &&
		                                                            p + 1 < e)))
			continue;
		cursor c = pos(ps, p);
		char *got = describe(p, e);
		fail_at(ps, c.line, c.col,
		        "expected a value after '=' (letters, digits, '_', '-' and '.'; values separated by '|'), got %s", got);
		g_free(got);
		return FALSE;
	}
	return TRUE;
}

static tn_node *
add_node(GPtrArray *to, tn_kind kind, const cursor *at)
{
	tn_node *n = g_new0(tn_node, 1);
	n->kind = kind;
	n->line = at->line;
	n->col = at->col;
	g_ptr_array_add(to, n);
	return n;
}

static void
add_text(parser *ps, GPtrArray *to, const char *from, const char *to_end)
{
	if (to_end <= from)
		return;
	cursor c = pos(ps, from);
	tn_node *n = add_node(to, TN_TEXT, &c);
	n->name = g_strndup(from, (gsize)(to_end - from));
	n->len = (gsize)(to_end - from);
}

/* standalone - whether the tag open..tag_end is alone on its line (blanks around it); then
 * *line_start is where the line starts and *next is after its line break */
static gboolean
standalone(const parser *ps, const char *from, const char *open, const char *tag_end, const char **line_start,
           const char **next)
{
	const char *b = open;
	while (b > from && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	if (b > ps->text && b[-1] != '\n')
		return FALSE;
	const char *a = tag_end;
	while (a < ps->end && (*a == ' ' || *a == '\t'))
		a++;
	if (a + 1 < ps->end && a[0] == '\r' && a[1] == '\n')
		a += 2;
	else if (a < ps->end && *a == '\n')
		a++;
	else if (a != ps->end)
		return FALSE;
	*line_start = b;
	*next = a;
	return TRUE;
}

typedef struct {
	tn_node *node;
	GPtrArray *outer; /* the children list the section sits in */
} open_section;

static gboolean
parse_tags(parser *ps, GPtrArray *root)
{
	GPtrArray *stack = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *cur = root;
	const char *p = ps->text;
	gboolean ok = TRUE;
	while (ok && p < ps->end) {
		const char *open = g_strstr_len(p, ps->end - p, "{{");
		if (open == NULL) {
			add_text(ps, cur, p, ps->end);
			break;
		}
		/* g_strstr_len stops at a NUL; the text is validated UTF-8 without NULs */
		const char *s = open + 2;
		char sigil = s < ps->end ? *s : '\0';
		tn_kind kind = TN_VAR;
		gboolean close_tag = FALSE, comment = FALSE;
		switch (sigil) {
		case '{':
		case '&':
			kind = TN_RAW;
			break;
		case '#':
			kind = TN_SECTION;
			break;
		case '^':
			kind = TN_INVERTED;
			break;
		case '>':
			kind = TN_PARTIAL;
			break;
		case '/':
			close_tag = TRUE;
			break;
		case '!':
			comment = TRUE;
			break;
		case '=': {
			cursor c = pos(ps, s);
			ok = fail_at(ps, c.line, c.col, "expected a name after {{, got '=' (changing the delimiters is not "
			                                "supported)");
			continue;
		}
		default:
			sigil = '\0';
			break;
		}
		if (sigil)
			s++;
		const char *delim = sigil == '{' ? "}}}" : "}}";
		gsize dlen = strlen(delim);
		const char *close;
		if (comment) {
			close = g_strstr_len(s, ps->end - s, "}}");
			if (close == NULL) {
				cursor c = pos(ps, open);
				ok = fail_at(ps, c.line, c.col, "expected }} to end the comment {{! that starts here, got the end "
				                                "of the file");
				continue;
			}
		} else {
			const char *eol = memchr(s, '\n', (gsize)(ps->end - s));
			if (eol == NULL)
				eol = ps->end;
			close = g_strstr_len(s, eol - s, delim);
			if (close == NULL) {
				const char *two = sigil == '{' ? g_strstr_len(s, eol - s, "}}") : NULL;
				cursor c = pos(ps, two ? two : open);
				if (two)
					ok = fail_at(ps, c.line, c.col, "expected }}} to close {{{, got }}");
				else
					ok = fail_at(ps, c.line, c.col, "expected %s to close the tag %s that starts here, got the "
					                                "end of the %s (a tag is on one line)",
					             delim, tag_open(kind, sigil), eol == ps->end ? "file" : "line");
				continue;
			}
		}
		const char *tag_end = close + dlen;
		const char *line_start = open, *next = tag_end;
		gboolean alone = (kind == TN_SECTION || kind == TN_INVERTED || kind == TN_PARTIAL || close_tag || comment) &&
		                 standalone(ps, p, open, tag_end, &line_start, &next);
		add_text(ps, cur, p, alone ? line_start : open);
		advance(&ps->cur, open);
		cursor at = ps->cur;
		p = next;
		if (comment)
			continue;
		const char *ns = s, *ne = close;
		while (ns < ne && (*ns == ' ' || *ns == '\t'))
			ns++;
		while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		const char *opener = tag_open(kind, sigil);
		if (!check_name(ps, ns, ne, opener, kind == TN_PARTIAL,
		                kind == TN_SECTION || kind == TN_INVERTED || close_tag)) {
			ok = FALSE;
			continue;
		}
		char *name = g_strndup(ns, (gsize)(ne - ns));
		if (close_tag) {
			open_section *top = stack->len ? g_ptr_array_index(stack, stack->len - 1) : NULL;
			if (top == NULL) {
				ok = fail_at(ps, at.line, at.col, "expected no {{/%s}} here: no section is open", name);
			} else if (strcmp(top->node->name, name) != 0) {
				ok = fail_at(ps, at.line, at.col, "expected {{/%s}} to close {{%c%s}} from %u:%u, got {{/%s}}",
				             top->node->name, top->node->kind == TN_SECTION ? '#' : '^', top->node->name,
				             top->node->line, top->node->col, name);
			} else {
				cur = top->outer;
				g_ptr_array_set_size(stack, stack->len - 1);
			}
			g_free(name);
			continue;
		}
		tn_node *n = add_node(cur, kind, &at);
		n->name = name;
		if (kind != TN_PARTIAL) {
			char *eq = strchr(name, '=');
			char *var = eq ? g_strndup(name, (gsize)(eq - name)) : g_strdup(name);
			n->equals = eq ? g_strdup(eq + 1) : NULL;
			n->path = strcmp(var, ".") == 0 ? g_new0(char *, 1) : g_strsplit(var, ".", -1);
			g_free(var);
		}
		if (kind == TN_SECTION || kind == TN_INVERTED) {
			if (stack->len >= CD_TMPL_MAX_SECTION_DEPTH) {
				ok = fail_at(ps, at.line, at.col, "expected at most %d nested sections, got one more: {{%c%s}} is "
				                                  "too deep",
				             CD_TMPL_MAX_SECTION_DEPTH, kind == TN_SECTION ? '#' : '^', name);
				continue;
			}
			n->children = g_ptr_array_new_with_free_func(node_free);
			open_section *o = g_new(open_section, 1);
			o->node = n;
			o->outer = cur;
			g_ptr_array_add(stack, o);
			cur = n->children;
		}
	}
	if (ok && stack->len) {
		open_section *top = g_ptr_array_index(stack, stack->len - 1);
		ok = fail_at(ps, top->node->line, top->node->col,
		             "expected {{/%s}} to close the section {{%c%s}} that starts here, got the end of the file",
		             top->node->name, top->node->kind == TN_SECTION ? '#' : '^', top->node->name);
	}
	g_ptr_array_unref(stack);
	return ok;
}

static ct_tmpl *
tmpl_new(const char *path)
{
	ct_tmpl *t = g_new0(ct_tmpl, 1);
	t->path = g_strdup(path);
	if (!ct_classify(path, &t->channel, &t->lang, &t->kind, &t->ext, &t->partial, NULL)) {
		/* not a layout path (tests, the fuzzer): a text template in English */
		t->channel = g_strdup("email");
		t->lang = g_strdup("en");
		t->kind = g_path_get_basename(path);
		const char *dot = strrchr(t->kind, '.');
		t->ext = g_strdup(dot ? dot + 1 : "txt");
	}
	t->mode = strcmp(t->ext, "html") == 0 ? TM_HTML : strcmp(t->ext, "subject") == 0 ? TM_LINE : TM_TEXT;
	t->nodes = g_ptr_array_new_with_free_func(node_free);
	return t;
}

ct_tmpl *
ct_empty(const char *path)
{
	return tmpl_new(path);
}

ct_tmpl *
ct_parse(const char *path, const char *text, gsize len, GError **error)
{
	parser ps = {.path = path, .text = text, .end = text + len, .cur = {text, 1, 1}, .error = error};
	const char *bad;
	if (!g_utf8_validate(text, (gssize)len, &bad)) {
		cursor c = pos(&ps, bad);
		if (bad < ps.end && *bad == '\0')
			fail_at(&ps, c.line, c.col, "expected UTF-8 text, got a NUL byte");
		else
			fail_at(&ps, c.line, c.col, "expected UTF-8 text, got byte 0x%02x", bad < ps.end ? (guchar)*bad : 0);
		return NULL;
	}
	ct_tmpl *t = tmpl_new(path);
	if (!parse_tags(&ps, t->nodes)) {
		ct_free(t);
		return NULL;
	}
	return t;
}

/* ---- sets ---- */

cd_tmpl_set *
cd_tmpl_set_new(void)
{
	cd_tmpl_set *set = g_new0(cd_tmpl_set, 1);
	set->refs = 1;
	set->files = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)ct_free);
	return set;
}

cd_tmpl_set *
cd_tmpl_set_ref(cd_tmpl_set *set)
{
	g_atomic_int_inc(&set->refs);
	return set;
}

void
cd_tmpl_set_free(cd_tmpl_set *set)
{
	if (set == NULL || !g_atomic_int_dec_and_test(&set->refs))
		return;
	g_hash_table_destroy(set->files);
	g_free(set);
}

guint
cd_tmpl_set_count(const cd_tmpl_set *set)
{
	return g_hash_table_size(set->files);
}

gboolean
cd_tmpl_set_add(cd_tmpl_set *set, const char *path, const char *text, gsize len, GError **error)
{
	const char *why;
	if (!ct_classify(path, NULL, NULL, NULL, NULL, NULL, &why)) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: %s", path, why);
		return FALSE;
	}
	ct_tmpl *t = ct_parse(path, text, len, error);
	if (t == NULL)
		return FALSE;
	g_hash_table_replace(set->files, t->path, t);
	set->linked = FALSE;
	return TRUE;
}

static const ct_tmpl *
find(const cd_tmpl_set *set, const char *channel, const char *lang, const char *kind, const char *ext,
     gboolean partial)
{
	char *key = g_strdup_printf("%s/%s%s/%s.%s", channel, partial ? "partials/" : "", lang, kind, ext);
	const ct_tmpl *t = g_hash_table_lookup(set->files, key);
	g_free(key);
	return t;
}

/* find_partial - NAME for a template of lang: CHANNEL/partials/LANG/NAME.EXT, else en's */
static const ct_tmpl *
find_partial(const cd_tmpl_set *set, const ct_tmpl *from, const char *name)
{
	const char *ext = strcmp(from->ext, "subject") == 0 ? "txt" : from->ext;
	const ct_tmpl *p = find(set, from->channel, from->lang, name, ext, TRUE);
	return p ? p : find(set, from->channel, "en", name, ext, TRUE);
}

typedef struct {
	cd_tmpl_set *set;
	GPtrArray *errors;
	gboolean stop;
	GHashTable *depth; /* ct_tmpl* -> levels of partials below it + 1; 0 (absent) while unknown */
	GHashTable *busy;  /* ct_tmpl* being walked: a cycle */
} linker;

static void G_GNUC_PRINTF(4, 5)
link_error(linker *lk, const ct_tmpl *t, const tn_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *full = g_strdup_printf("%s:%u:%u: %s", t->path, n->line, n->col, msg);
	g_free(msg);
	for (guint i = 0; i < lk->errors->len; i++)
		if (strcmp(g_ptr_array_index(lk->errors, i), full) == 0) {
			g_free(full);
			return;
		}
	g_ptr_array_add(lk->errors, full);
}

static void
resolve(linker *lk, const ct_tmpl *t, GPtrArray *nodes)
{
	for (guint i = 0; i < nodes->len && !(lk->stop && lk->errors->len); i++) {
		tn_node *n = g_ptr_array_index(nodes, i);
		if (n->children)
			resolve(lk, t, n->children);
		if (n->kind != TN_PARTIAL)
			continue;
		n->partial = find_partial(lk->set, t, n->name);
		if (n->partial == NULL) {
			const char *ext = strcmp(t->ext, "subject") == 0 ? "txt" : t->ext;
			if (strcmp(t->lang, "en") == 0)
				link_error(lk, t, n, "unknown partial '%s': expected a file %s/partials/en/%s.%s", n->name, t->channel,
				           n->name, ext);
			else
				link_error(lk, t, n, "unknown partial '%s': expected a file %s/partials/%s/%s.%s or %s/partials/en/%s.%s",
				           n->name, t->channel, t->lang, n->name, ext, t->channel, n->name, ext);
		}
	}
}

static gint
by_path(gconstpointer a, gconstpointer b)
{
	return strcmp((*(const ct_tmpl *const *)a)->path, (*(const ct_tmpl *const *)b)->path);
}

static guint depth_of(linker *lk, const ct_tmpl *t);

/* depth_nodes - the deepest chain of partials under nodes (0: none); G_MAXUINT after an error */
static guint
depth_nodes(linker *lk, const ct_tmpl *t, GPtrArray *nodes)
{
	guint max = 0;
	for (guint i = 0; i < nodes->len; i++) {
		const tn_node *n = g_ptr_array_index(nodes, i);
		guint d = 0;
		if (n->children)
			d = depth_nodes(lk, t, n->children);
		else if (n->kind == TN_PARTIAL && n->partial) {
			if (g_hash_table_contains(lk->busy, n->partial)) {
				link_error(lk, t, n, "partial '%s' includes itself (directly or through other partials)", n->name);
				return G_MAXUINT;
			}
			d = depth_of(lk, n->partial);
			if (d != G_MAXUINT && d + 1 > CD_TMPL_MAX_PARTIAL_DEPTH) {
				link_error(lk, t, n, "partials nested too deep: {{> %s}} leads %u partials deep, at most %d", n->name,
				           d + 1, CD_TMPL_MAX_PARTIAL_DEPTH);
				d = G_MAXUINT;
			} else if (d != G_MAXUINT) {
				d++;
			}
		}
		if (d == G_MAXUINT)
			return G_MAXUINT;
		max = MAX(max, d);
	}
	return max;
}

static guint
depth_of(linker *lk, const ct_tmpl *t)
{
	gpointer known = g_hash_table_lookup(lk->depth, t);
	if (known)
		return GPOINTER_TO_UINT(known) == G_MAXUINT ? G_MAXUINT : GPOINTER_TO_UINT(known) - 1;
	g_hash_table_add(lk->busy, (gpointer)t);
	guint d = depth_nodes(lk, t, t->nodes);
	g_hash_table_remove(lk->busy, t);
	g_hash_table_insert(lk->depth, (gpointer)t, GUINT_TO_POINTER(d == G_MAXUINT ? G_MAXUINT : d + 1));
	return d;
}

gboolean
ct_link_all(cd_tmpl_set *set, GPtrArray *errors, gboolean stop_at_first)
{
	linker lk = {.set = set, .errors = errors, .stop = stop_at_first};
	guint before = errors->len;
	/* in name order, so that the first error is always the same one */
	GPtrArray *all = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, set->files);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_ptr_array_add(all, v);
	g_ptr_array_sort(all, by_path);
	for (guint i = 0; i < all->len && !(stop_at_first && errors->len > before); i++) {
		const ct_tmpl *t = g_ptr_array_index(all, i);
		resolve(&lk, t, t->nodes);
	}
	if (errors->len == before || !stop_at_first) {
		lk.depth = g_hash_table_new(NULL, NULL);
		lk.busy = g_hash_table_new(NULL, NULL);
		for (guint i = 0; i < all->len && !(stop_at_first && errors->len > before); i++)
			depth_of(&lk, g_ptr_array_index(all, i));
		g_hash_table_destroy(lk.depth);
		g_hash_table_destroy(lk.busy);
	}
	g_ptr_array_unref(all);
	set->linked = errors->len == before;
	return set->linked;
}

gboolean
cd_tmpl_set_link(cd_tmpl_set *set, GError **error)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = ct_link_all(set, errors, TRUE);
	if (!ok)
		g_set_error_literal(error, CD_ERROR, CD_ERROR_CONFIG, g_ptr_array_index(errors, 0));
	g_ptr_array_unref(errors);
	return ok;
}

/* load - every template file of channels under dir */
static cd_tmpl_set *
load(const char *dir, const char *const *channels, GError **error)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	if (!list_channels(dir, channels, files, NULL, error)) {
		g_ptr_array_unref(files);
		return NULL;
	}
	cd_tmpl_set *set = cd_tmpl_set_new();
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < files->len; i++) {
		const char *rel = g_ptr_array_index(files, i);
		char *text = NULL;
		gsize len = 0;
		ok = ct_read(dir, rel, &text, &len, error) && cd_tmpl_set_add(set, rel, text, len, error);
		g_free(text);
	}
	g_ptr_array_unref(files);
	if (ok)
		ok = cd_tmpl_set_link(set, error);
	if (!ok) {
		cd_tmpl_set_free(set);
		return NULL;
	}
	return set;
}

cd_tmpl_set *
cd_tmpl_set_load(const char *dir, GError **error)
{
	static const char *const channels[] = {"email", "sms", NULL};
	return load(dir, channels, error);
}

cd_tmpl_set *
cd_tmpl_web_load(const char *dir, GError **error)
{
	static const char *const channels[] = {"web", NULL};
	return load(dir, channels, error);
}

/* ---- rendering ---- */

#define MAX_STEPS (4u * 1024 * 1024) /* nodes visited for one part: ample for any real template */

typedef struct {
	GString *out;
	GPtrArray *ctx;    /* JsonNode* (not owned), innermost last */
	guint partials;    /* depth */
	guint steps;
	gboolean too_big;
} renderer;

/* lookup - the value of a dotted name: its first part in the innermost context (an object) that
 * has it, the rest inside that value; NULL when missing */
static JsonNode *
lookup(const renderer *r, char **path)
{
	if (path[0] == NULL)
		return r->ctx->len ? g_ptr_array_index(r->ctx, r->ctx->len - 1) : NULL;
	for (guint i = r->ctx->len; i-- > 0;) {
		JsonNode *c = g_ptr_array_index(r->ctx, i);
		if (!JSON_NODE_HOLDS_OBJECT(c) || !json_object_has_member(json_node_get_object(c), path[0]))
			continue;
		JsonNode *v = json_object_get_member(json_node_get_object(c), path[0]);
		for (char **p = path + 1; *p && v; p++)
			v = JSON_NODE_HOLDS_OBJECT(v) && json_object_has_member(json_node_get_object(v), *p)
			        ? json_object_get_member(json_node_get_object(v), *p)
			        : NULL;
		return v;
	}
	return NULL;
}

static gboolean
truthy(JsonNode *v)
{
	if (v == NULL || JSON_NODE_HOLDS_NULL(v))
		return FALSE;
	if (JSON_NODE_HOLDS_ARRAY(v))
		return json_array_get_length(json_node_get_array(v)) > 0;
	if (JSON_NODE_HOLDS_OBJECT(v))
		return TRUE;
	GType t = json_node_get_value_type(v);
	if (t == G_TYPE_BOOLEAN)
		return json_node_get_boolean(v);
	if (t == G_TYPE_STRING)
		return *json_node_get_string(v) != '\0';
	return TRUE;
}

static void
append_escaped(GString *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		case '\'':
			g_string_append(out, "&#39;");
			break;
		case '`':
			g_string_append(out, "&#96;");
			break;
		default:
			g_string_append_c(out, *s);
		}
	}
}

/* value_text - a value as text (buf: room for a number), NULL for null, objects and arrays */
static const char *
value_text(JsonNode *v, char buf[G_ASCII_DTOSTR_BUF_SIZE])
{
	if (v == NULL || JSON_NODE_TYPE(v) != JSON_NODE_VALUE)
		return NULL;
	GType t = json_node_get_value_type(v);
	if (t == G_TYPE_STRING)
		return json_node_get_string(v);
	if (t == G_TYPE_INT64) {
		g_snprintf(buf, G_ASCII_DTOSTR_BUF_SIZE, "%" G_GINT64_FORMAT, json_node_get_int(v));
		return buf;
	}
	if (t == G_TYPE_DOUBLE)
		return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", json_node_get_double(v));
	if (t == G_TYPE_BOOLEAN)
		return json_node_get_boolean(v) ? "true" : "false";
	return NULL;
}

/* equals - whether the value is one of the '|'-separated values of want */
static gboolean
equals(JsonNode *v, const char *want)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	const char *s = value_text(v, buf);
	if (s == NULL)
		return FALSE;
	gsize n = strlen(s);
	for (const char *w = want;; w++) {
		gsize len = strcspn(w, "|");
		if (len == n && strncmp(w, s, n) == 0)
			return TRUE;
		w += len;
		if (*w == '\0')
			return FALSE;
	}
}

static void
append_value(renderer *r, JsonNode *v, gboolean escape)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];
	const char *s = value_text(v, buf);
	if (s == NULL)
		return;
	if (escape)
		append_escaped(r->out, s);
	else
		g_string_append(r->out, s);
}

static void
render_nodes(renderer *r, const ct_tmpl *t, GPtrArray *nodes)
{
	for (guint i = 0; i < nodes->len; i++) {
		if (r->out->len > CD_TMPL_MAX_OUTPUT || ++r->steps > MAX_STEPS) {
			r->too_big = TRUE;
			return;
		}
		const tn_node *n = g_ptr_array_index(nodes, i);
		switch (n->kind) {
		case TN_TEXT:
			g_string_append_len(r->out, n->name, (gssize)n->len);
			break;
		case TN_VAR:
		case TN_RAW:
			append_value(r, lookup(r, n->path), n->kind == TN_VAR && t->mode == TM_HTML);
			break;
		case TN_INVERTED:
			if (n->equals ? !equals(lookup(r, n->path), n->equals) : !truthy(lookup(r, n->path)))
				render_nodes(r, t, n->children);
			break;
		case TN_SECTION: {
			JsonNode *v = lookup(r, n->path);
			if (n->equals) {
				if (equals(v, n->equals))
					render_nodes(r, t, n->children);
				break;
			}
			if (!truthy(v))
				break;
			if (JSON_NODE_HOLDS_ARRAY(v)) {
				JsonArray *a = json_node_get_array(v);
				for (guint k = 0; k < json_array_get_length(a) && !r->too_big; k++) {
					g_ptr_array_add(r->ctx, json_array_get_element(a, k));
					render_nodes(r, t, n->children);
					g_ptr_array_set_size(r->ctx, r->ctx->len - 1);
				}
			} else {
				g_ptr_array_add(r->ctx, v);
				render_nodes(r, t, n->children);
				g_ptr_array_set_size(r->ctx, r->ctx->len - 1);
			}
			break;
		}
		case TN_PARTIAL:
			/* linking made sure partials resolve and nest at most CD_TMPL_MAX_PARTIAL_DEPTH deep */
			if (n->partial && r->partials < CD_TMPL_MAX_PARTIAL_DEPTH) {
				r->partials++;
				render_nodes(r, n->partial, n->partial->nodes);
				r->partials--;
			}
			break;
		}
		if (r->too_big)
			return;
	}
}

/* one_line - control characters (CR, LF, tab, ..., and the Unicode line separators) become one
 * space per run, with the blanks around them; blanks at both ends go */
static void
one_line(GString *s)
{
	GString *o = g_string_sized_new(s->len);
	gboolean gap = FALSE;
	for (const char *p = s->str; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) {
			while (o->len && o->str[o->len - 1] == ' ')
				g_string_truncate(o, o->len - 1);
			gap = TRUE;
			continue;
		}
		if (gap && c == ' ')
			continue;
		if (gap && o->len)
			g_string_append_c(o, ' ');
		gap = FALSE;
		g_string_append_len(o, p, g_utf8_next_char(p) - p);
	}
	g_string_assign(s, g_strstrip(o->str));
	g_string_free(o, TRUE);
}

/* render - one part; the caller's JsonObject is the outermost context */
static char *
render(const ct_tmpl *t, JsonObject *vars, GError **error)
{
	JsonNode *root = json_node_alloc();
	json_node_init_object(root, vars);
	renderer r = {.out = g_string_new(NULL), .ctx = g_ptr_array_new()};
	g_ptr_array_add(r.ctx, root);
	render_nodes(&r, t, t->nodes);
	g_ptr_array_unref(r.ctx);
	json_node_unref(root);
	if (r.too_big) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: the rendered text is larger than %d bytes", t->path,
		            CD_TMPL_MAX_OUTPUT);
		g_string_free(r.out, TRUE);
		return NULL;
	}
	/* values are UTF-8 (JSON), and so is the template: make sure of it all the same */
	if (!g_utf8_validate(r.out->str, (gssize)r.out->len, NULL)) {
		char *v = g_utf8_make_valid(r.out->str, (gssize)r.out->len);
		g_string_assign(r.out, v);
		g_free(v);
	}
	if (t->mode == TM_LINE) {
		one_line(r.out);
	} else if (t->mode == TM_TEXT) {
		gsize n = r.out->len;
		while (n > 0 && g_ascii_isspace(r.out->str[n - 1]))
			n--;
		g_string_truncate(r.out, n);
		if (n > 0 && strcmp(t->channel, "sms") != 0)
			g_string_append_c(r.out, '\n');
	}
	return g_string_free(r.out, FALSE);
}

/* norm_lang - "de-DE", "DE", "de_DE" -> "de"; anything that is not a language -> "en" */
static char *
norm_lang(const char *lang)
{
	if (lang == NULL)
		return g_strdup("en");
	gsize n = strcspn(lang, "-_.@");
	char *l = g_ascii_strdown(lang, (gssize)n);
	if (!lang_ok(l)) {
		g_free(l);
		return g_strdup("en");
	}
	return l;
}

static const ct_tmpl *
pick(const cd_tmpl_set *set, const char *channel, const char *lang, const char *kind, const char *ext)
{
	const ct_tmpl *t = find(set, channel, lang, kind, ext, FALSE);
	return t ? t : find(set, channel, "en", kind, ext, FALSE);
}

static gboolean
usable(const cd_tmpl_set *set, const char *kind, GError **error)
{
	g_return_val_if_fail(set != NULL && kind != NULL, FALSE);
	if (!set->linked) {
		g_set_error(error, CD_ERROR, CD_ERROR_INTERNAL, "templates not linked (cd_tmpl_set_link)");
		return FALSE;
	}
	return TRUE;
}

gboolean
cd_tmpl_render_email(const cd_tmpl_set *set, const char *kind, const char *lang, JsonObject *vars,
                     cd_rendered *out, GError **error)
{
	memset(out, 0, sizeof *out);
	if (!usable(set, kind, error))
		return FALSE;
	char *l = norm_lang(lang);
	const ct_tmpl *subject = pick(set, "email", l, kind, "subject");
	const ct_tmpl *text = pick(set, "email", l, kind, "txt");
	const ct_tmpl *html = pick(set, "email", l, kind, "html");
	g_free(l);
	if (subject == NULL || text == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no email template %s: no email/en/%s.%s", kind, kind,
		            subject == NULL ? "subject" : "txt");
		return FALSE;
	}
	JsonObject *empty = vars ? NULL : json_object_new();
	JsonObject *v = vars ? vars : empty;
	gboolean ok = (out->subject = render(subject, v, error)) != NULL && (out->text = render(text, v, error)) != NULL &&
	              (html == NULL || (out->html = render(html, v, error)) != NULL);
	if (empty)
		json_object_unref(empty);
	if (!ok)
		cd_rendered_clear(out);
	return ok;
}

gboolean
cd_tmpl_render_sms(const cd_tmpl_set *set, const char *kind, const char *lang, JsonObject *vars, char **text,
                   GError **error)
{
	*text = NULL;
	if (!usable(set, kind, error))
		return FALSE;
	char *l = norm_lang(lang);
	const ct_tmpl *t = pick(set, "sms", l, kind, "txt");
	g_free(l);
	if (t == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no SMS template %s: no sms/en/%s.txt", kind, kind);
		return FALSE;
	}
	JsonObject *empty = vars ? NULL : json_object_new();
	*text = render(t, vars ? vars : empty, error);
	if (empty)
		json_object_unref(empty);
	return *text != NULL;
}

gboolean
cd_tmpl_render_web(const cd_tmpl_set *set, const char *page, const char *lang, JsonObject *vars, char **html,
                   GError **error)
{
	*html = NULL;
	if (!usable(set, page, error))
		return FALSE;
	char *l = norm_lang(lang);
	const ct_tmpl *t = pick(set, "web", l, page, "html");
	g_free(l);
	if (t == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no web page template web/en/%s.html", page);
		return FALSE;
	}
	*html = render(t, vars, error);
	return *html != NULL;
}

void
cd_rendered_clear(cd_rendered *r)
{
	g_free(r->subject);
	g_free(r->text);
	g_free(r->html);
	memset(r, 0, sizeof *r);
}

gboolean
cd_tmpl_has(const cd_tmpl_set *set, const char *channel, const char *kind)
{
	if (set == NULL || channel == NULL || kind == NULL)
		return FALSE;
	gboolean email = strcmp(channel, "email") == 0;
	if (!email && strcmp(channel, "sms") != 0)
		return FALSE;
	return find(set, channel, "en", kind, "txt", FALSE) != NULL &&
	       (!email || find(set, channel, "en", kind, "subject", FALSE) != NULL);
}

/* ---- the current set of a folder ---- */

static GPtrArray *
template_files(const char *dir, GError **error)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	if (!ct_list_files(dir, files, NULL, error)) {
		g_ptr_array_unref(files);
		return NULL;
	}
	return files;
}

static gpointer
load_set(const char *dir, GError **error)
{
	return cd_tmpl_set_load(dir, error);
}

static gpointer
ref_set(gpointer set)
{
	return cd_tmpl_set_ref(set);
}

static void
unref_set(gpointer set)
{
	cd_tmpl_set_free(set);
}

static char *
set_summary(gpointer set)
{
	return g_strdup_printf("%u files", cd_tmpl_set_count(set));
}

static const cd_folder_kind template_folder = {"templates", template_files, load_set, ref_set, unref_set, set_summary,
                                               " "};

cd_tmpl_set *
cd_tmpl_current(const char *dir, GError **error)
{
	return cd_folder_current(&template_folder, dir, error);
}

void
cd_tmpl_invalidate(void)
{
	cd_folder_invalidate();
}
