/* test_template.c - the template language and the shipped templates: every construct, HTML
 * escaping, sections over arrays and objects with outer-context fallback, value tests, partials
 * and their depth limit, each syntax error's message and FILE:LINE:COL, one-line subjects whatever
 * the values hold, language fallback part by part, the output cap, the current set of a folder
 * that follows its files, the checker (unknown variables with their position, missing and
 * misplaced files), and that templates/ loads, checks clean and renders every kind in en and de. */
#include "result.h"
#include "rules.h"
#include "template.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* ---- helpers ---- */

static JsonObject *
vars_of(const char *json)
{
	JsonParser *p = json_parser_new();
	GError *e = NULL;
	if (!json_parser_load_from_data(p, json, -1, &e))
		g_error("bad test JSON: %s\n%s", e->message, json);
	JsonObject *o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
	g_object_unref(p);
	return o;
}

/* set_of - a linked set from path, text, path, text, ..., NULL */
static cd_tmpl_set *
set_of(const char *path, ...)
{
	cd_tmpl_set *set = cd_tmpl_set_new();
	va_list ap;
	va_start(ap, path);
	for (const char *p = path; p; p = va_arg(ap, const char *)) {
		const char *text = va_arg(ap, const char *);
		GError *e = NULL;
		if (!cd_tmpl_set_add(set, p, text, strlen(text), &e))
			g_error("%s did not parse: %s", p, e->message);
	}
	va_end(ap);
	GError *e = NULL;
	if (!cd_tmpl_set_link(set, &e))
		g_error("set did not link: %s", e->message);
	return set;
}

/* render_txt - text (as email/en/t.txt, with a subject) rendered with json */
static char *
render_as(const char *ext, const char *text, const char *json)
{
	char *path = g_strdup_printf("email/en/t.%s", ext);
	gboolean sub = strcmp(ext, "subject") == 0;
	cd_tmpl_set *set = set_of(path, text, sub ? "email/en/t.txt" : "email/en/t.subject", "s", "email/en/t.txt",
	                          sub ? "x" : text, NULL);
	JsonObject *v = vars_of(json);
	cd_rendered r;
	GError *e = NULL;
	g_assert_true(cd_tmpl_render_email(set, "t", "en", v, &r, &e));
	g_assert_no_error(e);
	char *out = g_strdup(strcmp(ext, "html") == 0 ? r.html : sub ? r.subject : r.text);
	cd_rendered_clear(&r);
	json_object_unref(v);
	cd_tmpl_set_free(set);
	g_free(path);
	return out;
}

static void
assert_txt(const char *text, const char *json, const char *want)
{
	char *out = render_as("txt", text, json);
	g_assert_cmpstr(out, ==, want);
	g_free(out);
}

static void
assert_html(const char *text, const char *json, const char *want)
{
	char *out = render_as("html", text, json);
	g_assert_cmpstr(out, ==, want);
	g_free(out);
}

/* parse_err - the error message of text as email/en/t.txt */
static char *
parse_err(const char *path, const char *text, gsize len)
{
	cd_tmpl_set *set = cd_tmpl_set_new();
	GError *e = NULL;
	g_assert_false(cd_tmpl_set_add(set, path, text, len, &e));
	g_assert_error(e, CD_ERROR, CD_ERROR_CONFIG);
	char *m = g_strdup(e->message);
	g_error_free(e);
	cd_tmpl_set_free(set);
	return m;
}

static void
write_file(const char *dir, const char *rel, const char *text)
{
	char *p = g_build_filename(dir, rel, NULL);
	char *d = g_path_get_dirname(p);
	g_mkdir_with_parents(d, 0755);
	GError *e = NULL;
	g_file_set_contents(p, text, -1, &e);
	g_assert_no_error(e);
	g_free(d);
	g_free(p);
}

static char *
src_path(const char *rel)
{
	const char *src = g_getenv("CAREDESK_SRC");
	return g_build_filename(src ? src : ".", rel, NULL);
}

static gboolean
has_problem(GPtrArray *problems, const char *want)
{
	for (guint i = 0; i < problems->len; i++)
		if (strcmp(g_ptr_array_index(problems, i), want) == 0)
			return TRUE;
	return FALSE;
}

static char *
joined(GPtrArray *problems)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < problems->len; i++)
		g_string_append_printf(s, "%s\n", (char *)g_ptr_array_index(problems, i));
	return g_string_free(s, FALSE);
}

/* ---- values ---- */

static void
test_values(void)
{
	const char *v = "{\"a\": \"A&B <i>\\\"q\\\" 'x'\", \"n\": 42, \"d\": 49.5, \"t\": true, \"f\": false, \"z\": null,"
	                " \"o\": {\"p\": {\"q\": \"deep\"}}, \"arr\": [1, 2]}";
	/* text: verbatim; numbers, booleans; null, missing, objects and arrays render as nothing */
	assert_txt("{{a}}|{{n}}|{{d}}|{{t}}|{{f}}|{{z}}|{{missing}}|{{o}}|{{arr}}|{{o.p.q}}|{{o.x.q}}|{{ a }}", v,
	           "A&B <i>\"q\" 'x'|42|49.5|true|false|||||deep||A&B <i>\"q\" 'x'\n");
	/* HTML: escaped, unless raw */
	assert_html("<p>{{a}}</p>{{{a}}}{{& a }}", v,
	            "<p>A&amp;B &lt;i&gt;&quot;q&quot; &#39;x&#39;</p>A&B <i>\"q\" 'x'A&B <i>\"q\" 'x'");
	assert_html("<a href=\"{{a}}\">`{{a}}`</a>", "{\"a\": \"\\\" onclick=`x`\"}",
	            "<a href=\"&quot; onclick=&#96;x&#96;\">`&quot; onclick=&#96;x&#96;`</a>");
	/* text keeps no trailing blank lines and ends with one newline */
	assert_txt("x\n\n\n  ", "{}", "x\n");
	assert_txt("", "{}", "");
	/* comments */
	assert_txt("a{{! a comment with }} b", "{}", "a b\n");
	assert_txt("a{{! several\nlines\n}}b", "{}", "ab\n");
	/* {{.}} is the current value */
	assert_txt("{{#arr}}<{{.}}>{{/arr}}", v, "<1><2>\n");
}

/* ---- sections ---- */

static void
test_sections(void)
{
	const char *v = "{\"t\": true, \"f\": false, \"z\": null, \"e\": \"\", \"s\": \"str\", \"zero\": 0, \"none\": [],"
	                " \"obj\": {\"x\": \"inner\"}, \"name\": \"outer\", \"ref\": \"T-1\","
	                " \"items\": [{\"name\": \"a\", \"sub\": [{\"k\": 1}, {\"k\": 2}]}, {\"name\": \"b\", \"sub\": []},"
	                " {\"other\": 1}],"
	                " \"status\": \"shipped\", \"n\": 3}";
	/* false, null, "" and [] (and a missing name) skip; true, a string, 0 and an object render once */
	assert_txt("{{#t}}T{{/t}}{{#f}}F{{/f}}{{#z}}Z{{/z}}{{#e}}E{{/e}}{{#none}}N{{/none}}{{#missing}}M{{/missing}}"
	           "{{#s}}S{{/s}}{{#zero}}0{{/zero}}{{#obj}}O{{/obj}}",
	           v, "TS0O\n");
	/* inverted: the opposite */
	assert_txt("{{^t}}T{{/t}}{{^f}}F{{/f}}{{^z}}Z{{/z}}{{^e}}E{{/e}}{{^none}}N{{/none}}{{^missing}}M{{/missing}}"
	           "{{^s}}S{{/s}}{{^obj}}O{{/obj}}",
	           v, "FZENM\n");
	/* an object is the new context; names it lacks come from outside */
	assert_txt("{{#obj}}{{x}} {{name}}{{/obj}}", v, "inner outer\n");
	/* arrays: each element in turn; a name the element lacks falls back to the outer contexts */
	assert_txt("{{#items}}[{{name}}:{{#sub}}{{k}}{{name}}{{ref}},{{/sub}}]{{/items}}", v,
	           "[a:1aT-1,2aT-1,][b:][outer:]\n");
	/* a section over a string pushes it: {{.}} is the string, names still resolve outside */
	assert_txt("{{#s}}{{.}}/{{ref}}{{/s}}", v, "str/T-1\n");
	/* value tests */
	assert_txt("{{#status=shipped}}sent{{/status=shipped}}{{#status=paid}}paid{{/status=paid}}"
	           "{{^status=new|paid}}not new or paid{{/status=new|paid}}{{#status=new|shipped}}!{{/status=new|shipped}}"
	           "{{#n=3}} three{{/n=3}}{{#t=true}} yes{{/t=true}}{{#missing=x}}M{{/missing=x}}{{^missing=x}} m{{/missing=x}}",
	           v, "sentnot new or paid! three yes m\n");
	/* a line holding only a section tag goes whole */
	assert_txt("Hello\n{{#t}}\n  yes\n{{/t}}\n{{^t}}\n  no\n{{/t}}\nend\n", v, "Hello\n  yes\nend\n");
	assert_txt("  {{#t}}  \r\nx\r\n  {{/t}}\r\ny", v, "x\r\ny\n");
	/* not alone on its line: kept as it is */
	assert_txt("a {{#t}}b{{/t}} c\n", v, "a b c\n");
	assert_txt("{{! note }}\nline\n", v, "line\n");
}

/* ---- partials ---- */

static void
test_partials(void)
{
	cd_tmpl_set *set =
	    set_of("email/en/k.subject", "[{{ref}}] {{> sig}}", "email/en/k.txt", "Hi\n  {{> sig}}\nbye {{> inline}}!",
	           "email/en/k.html", "<p>{{> sig}}</p>", "email/de/k.txt", "Hallo\n{{> sig}}\n{{> only_en}}\n",
	           "email/partials/en/sig.txt", "-- \n{{name}}\n", "email/partials/en/sig.html", "<b>{{name}}</b>",
	           "email/partials/de/sig.txt", "Gruß, {{name}} {{> deeper}}", "email/partials/de/deeper.txt", "({{ref}})",
	           "email/partials/en/only_en.txt", "EN", "email/partials/en/inline.txt", "{{name}}", NULL);
	JsonObject *v = vars_of("{\"name\": \"Ann & Bo\", \"ref\": \"T-9\"}");
	cd_rendered r;
	GError *e = NULL;
	g_assert_true(cd_tmpl_render_email(set, "k", "en", v, &r, &e));
	/* a standalone partial takes its line; the subject's .txt partial is made one line */
	g_assert_cmpstr(r.subject, ==, "[T-9] -- Ann & Bo");
	g_assert_cmpstr(r.text, ==, "Hi\n-- \nAnn & Bo\nbye Ann & Bo!\n");
	g_assert_cmpstr(r.html, ==, "<p><b>Ann &amp; Bo</b></p>");
	cd_rendered_clear(&r);
	/* German: its own partial (which includes another), and en's for a partial it lacks */
	g_assert_true(cd_tmpl_render_email(set, "k", "de", v, &r, &e));
	g_assert_cmpstr(r.text, ==, "Hallo\nGruß, Ann & Bo (T-9)EN\n");
	cd_rendered_clear(&r);
	json_object_unref(v);
	cd_tmpl_set_free(set);

	/* unknown partial: an error at load, at the tag */
	set = cd_tmpl_set_new();
	g_assert_true(cd_tmpl_set_add(set, "email/de/k.txt", "x\n  {{> nope }}", 15, NULL));
	g_assert_false(cd_tmpl_set_link(set, &e));
	g_assert_error(e, CD_ERROR, CD_ERROR_CONFIG);
	g_assert_cmpstr(e->message, ==,
	                "email/de/k.txt:2:3: unknown partial 'nope': expected a file email/partials/de/nope.txt or "
	                "email/partials/en/nope.txt");
	g_clear_error(&e);
	cd_tmpl_set_free(set);

	/* a partial that includes itself, through another */
	set = cd_tmpl_set_new();
	g_assert_true(cd_tmpl_set_add(set, "email/en/k.txt", "{{> a}}", 7, NULL));
	g_assert_true(cd_tmpl_set_add(set, "email/partials/en/a.txt", "A{{> b}}", 8, NULL));
	g_assert_true(cd_tmpl_set_add(set, "email/partials/en/b.txt", "B\n{{#x}}{{> a}}{{/x}}", 21, NULL));
	g_assert_false(cd_tmpl_set_link(set, &e));
	g_assert_cmpstr(e->message, ==,
	                "email/partials/en/b.txt:2:7: partial 'a' includes itself (directly or through other partials)");
	g_clear_error(&e);
	cd_tmpl_set_free(set);

	/* the depth limit: a chain of CD_TMPL_MAX_PARTIAL_DEPTH partials is fine, one more is not */
	for (int extra = 0; extra <= 1; extra++) {
		set = cd_tmpl_set_new();
		g_assert_true(cd_tmpl_set_add(set, "email/en/k.txt", "{{> p1}}", 8, NULL));
		int n = CD_TMPL_MAX_PARTIAL_DEPTH + extra;
		for (int i = 1; i <= n; i++) {
			char *path = g_strdup_printf("email/partials/en/p%d.txt", i);
			char *text = i < n ? g_strdup_printf("%d {{> p%d}}", i, i + 1) : g_strdup_printf("%d", i);
			g_assert_true(cd_tmpl_set_add(set, path, text, strlen(text), NULL));
			g_free(path);
			g_free(text);
		}
		if (extra == 0) {
			g_assert_true(cd_tmpl_set_link(set, &e));
			g_assert_true(cd_tmpl_render_email(set, "k", NULL, NULL, &r, &e) == FALSE); /* no subject */
			g_assert_error(e, CD_ERROR, CD_ERROR_NOTFOUND);
			g_clear_error(&e);
		} else {
			g_assert_false(cd_tmpl_set_link(set, &e));
			g_assert_true(g_str_has_prefix(e->message, "email/"));
			g_assert_nonnull(strstr(e->message, ":1:1: partials nested too deep: {{> p"));
			g_assert_nonnull(strstr(e->message, "at most 8"));
			g_clear_error(&e);
		}
		cd_tmpl_set_free(set);
	}
}

/* ---- syntax errors ---- */

static void
test_errors(void)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{"a\n{{#items}}\nx\n", "t.txt:2:1: expected {{/items}} to close the section {{#items}} that starts here, got the end "
		                       "of the file"},
		{"{{#a}}{{^b}}x{{/a}}", "t.txt:1:14: expected {{/b}} to close {{^b}} from 1:7, got {{/a}}"},
		{"x {{/a}}", "t.txt:1:3: expected no {{/a}} here: no section is open"},
		{"ab {{name", "t.txt:1:4: expected }} to close the tag {{ that starts here, got the end of the file (a tag is "
		              "on one line)"},
		{"{{#name\n}}", "t.txt:1:1: expected }} to close the tag {{# that starts here, got the end of the line (a tag is "
		                "on one line)"},
		{"{{{raw}}", "t.txt:1:7: expected }}} to close {{{, got }}"},
		{"x{{! never closed\n", "t.txt:1:2: expected }} to end the comment {{! that starts here, got the end of the file"},
		{"{{}}", "t.txt:1:3: expected a name after {{, got }}"},
		{"{{# }}", "t.txt:1:5: expected a name after {{#, got }}"},
		{"{{{ }}}", "t.txt:1:5: expected a name after {{{, got }}}"},
		{"{{first name}}", "t.txt:1:8: expected a name (letters, digits, '_' and '-', with dots between parts: "
		                   "ticket.ref), got a space"},
		{"äö {{ticket..ref}}", "t.txt:1:13: expected a name (letters, digits, '_' and '-', with dots between parts: "
		                       "ticket.ref), got '.'"},
		{"{{a.}}", "t.txt:1:4: expected a name (letters, digits, '_' and '-', with dots between parts: ticket.ref), got "
		           "'.'"},
		{"{{né}}", "t.txt:1:4: expected a name (letters, digits, '_' and '-', with dots between parts: ticket.ref), got "
		           "'é'"},
		{"{{> foot.er}}", "t.txt:1:9: expected a partial name (letters, digits, '_' and '-'), got '.'"},
		{"{{>}}", "t.txt:1:4: expected a partial name after {{>, got }}"},
		{"{{=<% %>=}}", "t.txt:1:3: expected a name after {{, got '=' (changing the delimiters is not supported)"},
		{"{{a=b}}", "t.txt:1:4: expected a name (letters, digits, '_' and '-', with dots between parts: ticket.ref), got "
		            "'='"},
		{"{{#a=}}x{{/a=}}", "t.txt:1:6: expected a value after '=' (letters, digits, '_', '-' and '.'; values separated "
		                    "by '|'), got the end of the tag"},
		{"{{#a=x||y}}", "t.txt:1:8: expected a value after '=' (letters, digits, '_', '-' and '.'; values separated by "
		                "'|'), got '|'"},
		{"{{#=x}}", "t.txt:1:4: expected a name after {{#, got '='"},
		{"{{#a=x}}{{/a=y}}", "t.txt:1:9: expected {{/a=x}} to close {{#a=x}} from 1:1, got {{/a=y}}"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *m = parse_err("email/en/t.txt", cases[i].text, strlen(cases[i].text));
		char *want = g_strconcat("email/en/", cases[i].want, NULL);
		g_assert_cmpstr(m, ==, want);
		g_free(want);
		g_free(m);
	}
	/* too deep: CD_TMPL_MAX_SECTION_DEPTH sections nest, one more does not */
	GString *s = g_string_new(NULL);
	for (int i = 0; i < CD_TMPL_MAX_SECTION_DEPTH; i++)
		g_string_append_printf(s, "{{#s%d}}", i);
	for (int i = CD_TMPL_MAX_SECTION_DEPTH - 1; i >= 0; i--)
		g_string_append_printf(s, "{{/s%d}}", i);
	cd_tmpl_set *set = cd_tmpl_set_new();
	g_assert_true(cd_tmpl_set_add(set, "email/en/t.txt", s->str, s->len, NULL));
	cd_tmpl_set_free(set);
	g_string_prepend(s, "{{#over}}\n");
	g_string_append(s, "{{/over}}");
	char *m = parse_err("email/en/t.txt", s->str, s->len);
	g_assert_true(g_str_has_prefix(m, "email/en/t.txt:2:"));
	g_assert_nonnull(strstr(m, ": expected at most 32 nested sections, got one more: {{#s31}} is too deep"));
	g_free(m);
	g_string_free(s, TRUE);
	/* not UTF-8; a NUL */
	m = parse_err("email/en/t.txt", "ok\nab\xff", 6);
	g_assert_cmpstr(m, ==, "email/en/t.txt:2:3: expected UTF-8 text, got byte 0xff");
	g_free(m);
	m = parse_err("email/en/t.txt", "a\0b", 3);
	g_assert_cmpstr(m, ==, "email/en/t.txt:1:2: expected UTF-8 text, got a NUL byte");
	g_free(m);
	/* paths that are not templates */
	m = parse_err("email/t.txt", "x", 1);
	g_assert_cmpstr(m, ==, "email/t.txt: not in a language folder (CHANNEL/LANG/KIND.EXT, like email/en/ticket_ack.txt)");
	g_free(m);
	m = parse_err("sms/en/t.html", "x", 1);
	g_assert_cmpstr(m, ==, "sms/en/t.html: not an SMS template (sms/LANG/KIND.txt: an SMS is text only)");
	g_free(m);
	m = parse_err("email/partials/en/t.subject", "x", 1);
	g_assert_cmpstr(m, ==, "email/partials/en/t.subject: not a partial (.txt or .html)");
	g_free(m);
}

/* ---- one-line subjects ---- */

static void
test_subject_one_line(void)
{
	const char *v = "{\"ref\": \"T-1\", \"s\": \"Hello\\r\\nBcc: victim@example.org\\n\\nbody\", \"u\": \"a\\u2028b\\u0085c\\td\","
	                " \"lf\": \"\\n\"}";
	char *out = render_as("subject", "[{{ref}}] {{s}} {{{s}}}", v);
	g_assert_cmpstr(out, ==, "[T-1] Hello Bcc: victim@example.org body Hello Bcc: victim@example.org body");
	g_assert_null(strpbrk(out, "\r\n"));
	g_free(out);
	out = render_as("subject", "  {{u}}\n{{lf}}{{#ref}}\nx\n{{/ref}}\n", v);
	g_assert_cmpstr(out, ==, "a b c d x");
	g_free(out);
	/* a subject with nothing in it is empty, not blank */
	out = render_as("subject", "{{lf}}\r\n", v);
	g_assert_cmpstr(out, ==, "");
	g_free(out);
}

/* ---- languages ---- */

static void
test_language_fallback(void)
{
	cd_tmpl_set *set = set_of("email/en/k.subject", "EN subject {{ref}}", "email/en/k.txt", "EN text",
	                          "email/en/k.html", "<p>EN html</p>", "email/de/k.subject", "DE Betreff {{ref}}",
	                          "sms/en/k.txt", "EN sms {{ref}}\n\n", "sms/de/k.txt", "DE sms {{ref}}", NULL);
	JsonObject *v = vars_of("{\"ref\": \"T-5\"}");
	cd_rendered r;
	GError *e = NULL;
	static const struct {
		const char *lang, *subject;
	} cases[] = {
		{"de", "DE Betreff T-5"}, {"de-DE", "DE Betreff T-5"}, {"DE_at", "DE Betreff T-5"}, {"en", "EN subject T-5"},
		{NULL, "EN subject T-5"}, {"fr", "EN subject T-5"}, {"../de", "EN subject T-5"}, {"", "EN subject T-5"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_true(cd_tmpl_render_email(set, "k", cases[i].lang, v, &r, &e));
		g_assert_no_error(e);
		/* part by part: German subject, English text and HTML */
		g_assert_cmpstr(r.subject, ==, cases[i].subject);
		g_assert_cmpstr(r.text, ==, "EN text\n");
		g_assert_cmpstr(r.html, ==, "<p>EN html</p>");
		cd_rendered_clear(&r);
	}
	char *sms = NULL;
	g_assert_true(cd_tmpl_render_sms(set, "k", "de", v, &sms, &e));
	g_assert_cmpstr(sms, ==, "DE sms T-5");
	g_free(sms);
	g_assert_true(cd_tmpl_render_sms(set, "k", "it", v, &sms, &e));
	g_assert_cmpstr(sms, ==, "EN sms T-5");
	g_free(sms);
	/* a kind that is not there */
	g_assert_false(cd_tmpl_render_email(set, "nope", "de", v, &r, &e));
	g_assert_error(e, CD_ERROR, CD_ERROR_NOTFOUND);
	g_assert_cmpstr(e->message, ==, "no email template nope: no email/en/nope.subject");
	g_assert_null(r.subject);
	g_clear_error(&e);
	g_assert_false(cd_tmpl_render_sms(set, "nope", NULL, v, &sms, &e));
	g_assert_error(e, CD_ERROR, CD_ERROR_NOTFOUND);
	g_assert_null(sms);
	g_clear_error(&e);
	/* has: English text (and subject, for email) */
	g_assert_true(cd_tmpl_has(set, "email", "k"));
	g_assert_true(cd_tmpl_has(set, "sms", "k"));
	g_assert_false(cd_tmpl_has(set, "email", "nope"));
	g_assert_false(cd_tmpl_has(set, "web", "k"));
	/* no HTML in any language: NULL */
	cd_tmpl_set *plain = set_of("email/en/p.subject", "s", "email/en/p.txt", "t", NULL);
	g_assert_true(cd_tmpl_render_email(plain, "p", "de", NULL, &r, &e));
	g_assert_null(r.html);
	g_assert_cmpstr(r.text, ==, "t\n");
	cd_rendered_clear(&r);
	cd_rendered_clear(&r); /* twice is fine */
	cd_tmpl_set_free(plain);
	json_object_unref(v);
	cd_tmpl_set_free(set);
}

/* ---- limits ---- */

static void
test_output_cap(void)
{
	/* 1000 elements x 3 nested x ~10 bytes: far beyond CD_TMPL_MAX_OUTPUT */
	GString *json = g_string_new("{\"a\": [");
	for (int i = 0; i < 1000; i++)
		g_string_append_printf(json, "%s%d", i ? "," : "", i);
	g_string_append(json, "]}");
	cd_tmpl_set *set = set_of("email/en/k.subject", "s", "email/en/k.txt", "{{#a}}{{#a}}{{#a}}0123456789{{/a}}{{/a}}{{/a}}",
	                          NULL);
	JsonObject *v = vars_of(json->str);
	cd_rendered r;
	GError *e = NULL;
	g_assert_false(cd_tmpl_render_email(set, "k", "en", v, &r, &e));
	g_assert_error(e, CD_ERROR, CD_ERROR_INVALID);
	g_assert_cmpstr(e->message, ==, "email/en/k.txt: the rendered text is larger than 1048576 bytes");
	g_assert_null(r.subject);
	g_assert_null(r.text);
	g_clear_error(&e);
	json_object_unref(v);
	cd_tmpl_set_free(set);
	g_string_free(json, TRUE);
}

/* ---- the checker ---- */

static void
test_check(void)
{
	char *dir = tu_tempdir();
	write_file(dir, "email/en/ticket_ack.subject", "[{{ticket.ref}}] {{ticket.subjet}}\n");
	write_file(dir, "email/en/ticket_ack.txt", "Hi {{customer.name}},\n\n{{#ticket}}\n{{ref}} {{queue}} {{nope}}\n{{/ticket}}\n"
	                                           "{{> footer}}\n");
	write_file(dir, "email/en/ticket_ack.html", "<p>{{#attachments}}{{name}}{{/attachments}}</p>\n");
	write_file(dir, "email/de/ticket_ack.html", "<p>{{ticket.ref}}</p>\n");
	write_file(dir, "email/partials/en/footer.txt", "-- \n{{site.name}} {{agent.name}}\n");
	write_file(dir, "email/en/agent_new_ticket.subject", "[{{ticket.ref}}] {{ticket}}\n");
	write_file(dir, "email/en/agent_new_ticket.txt",
	           "{{#attachments}}\n{{name}} {{size}} {{ticket.ref}} {{bogus}}\n{{/attachments}}\n{{name}}\n"
	           "{{#message.html_available}}{{message.text}}{{/message.html_available}}\n{{> footer}}\n");
	write_file(dir, "email/en/broken.txt", "a\n{{#x}}\n");
	write_file(dir, "email/de/custom.txt", "{{captures.order}} {{ticket.ref}} {{rma.ref}}\n");
	write_file(dir, "email/de/custom.subject", "x\n");
	write_file(dir, "email/stray.txt", "x\n");
	write_file(dir, "email/en/notes.md", "x\n");
	write_file(dir, "email/en/README", "ignored\n");
	write_file(dir, "email/en/.swp", "ignored\n");
	write_file(dir, "email/en/ticket_ack.txt~", "ignored\n");
	write_file(dir, "sms/en/status_reply.txt", "{{ref}}: {{state}} {{ticket.ref}}\n");
	write_file(dir, "web/anything.html", "{{not checked}}\n");
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	guint count = 0;
	g_assert_false(cd_tmpl_check_dir_count(dir, problems, &count));
	g_assert_cmpuint(count, ==, 11);
	char *all = joined(problems);
	static const char *const want[] = {
		/* unknown variables, with the kind's names of the same group */
		"email/en/ticket_ack.subject:1:18: unknown variable 'ticket.subjet': kind ticket_ack has no ticket.subjet (it "
		"has ticket.queue, ticket.ref, ticket.status, ticket.subject)",
		/* inside {{#ticket}}: ref and queue are ticket's */
		"email/en/ticket_ack.txt:4:19: unknown variable 'nope': kind ticket_ack does not provide it (caredesk "
		"templates vars ticket_ack lists what it does)",
		"email/en/ticket_ack.html:1:4: unknown variable 'attachments': kind ticket_ack does not provide it (caredesk "
		"templates vars ticket_ack lists what it does)",
		"email/en/ticket_ack.html:1:20: unknown variable 'name': kind ticket_ack does not provide it (caredesk "
		"templates vars ticket_ack lists what it does)",
		/* in a partial: checked with each includer's kind */
		"email/partials/en/footer.txt:2:15: unknown variable 'agent.name': kind ticket_ack does not provide it "
		"(caredesk templates vars ticket_ack lists what it does) (email/en/ticket_ack.txt includes it)",
		"email/en/agent_new_ticket.subject:1:18: 'ticket' is not a value but a group (ticket.priority, ticket.queue, "
		"ticket.ref, ticket.subject, ticket.url): name one of its parts",
		"email/en/agent_new_ticket.txt:2:34: unknown variable 'bogus': kind agent_new_ticket does not provide it "
		"(caredesk templates vars agent_new_ticket lists what it does)",
		"email/en/agent_new_ticket.txt:4:1: unknown variable 'name': kind agent_new_ticket does not provide it "
		"(caredesk templates vars agent_new_ticket lists what it does)",
		/* syntax errors, each file's */
		"email/en/broken.txt:2:1: expected {{/x}} to close the section {{#x}} that starts here, got the end of the file",
		/* a kind not in the table: the common variables, ticket.*, message.text and captures */
		"email/de/custom.txt:1:35: unknown variable 'rma.ref': custom is no known kind, so it gets only the common "
		"variables, ticket.ref, ticket.subject, ticket.status, ticket.queue, message.text and the rule's captures.NAME",
		"email/de/custom.subject:1:1: kind custom has no English text (email/en/custom.txt), the fallback of every language",
		"sms/en/status_reply.txt:1:20: unknown variable 'ticket.ref': kind status_reply does not provide it "
		"(caredesk templates vars status_reply lists what it does)",
		/* layout */
		"email/stray.txt: not in a language folder (CHANNEL/LANG/KIND.EXT, like email/en/ticket_ack.txt)",
		"email/en/notes.md: not a template (.subject, .txt or .html)",
		"email/de/ticket_ack.html:1:1: an HTML template needs its text alternative: no email/de/ticket_ack.txt beside it",
		"email/en/rma_refused.txt: missing (and its .subject): caredesk sends rma_refused (to the customer: return "
		"refused, and why), and English is every language's fallback",
		"sms/en/ticket_ack.txt: missing: caredesk sends ticket_ack (to the customer when a ticket opens), and English "
		"is every language's fallback",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
		if (!has_problem(problems, want[i]))
			g_error("missing problem:\n%s\nin:\n%s", want[i], all);
	/* nothing about what is fine: names inside sections, the footer's site.name, web/, ignored files */
	g_assert_null(strstr(all, "'ref'"));
	g_assert_null(strstr(all, "'queue'"));
	g_assert_null(strstr(all, "'size'"));
	g_assert_null(strstr(all, "site.name"));
	g_assert_null(strstr(all, "captures.order'"));
	g_assert_null(strstr(all, "web/"));
	g_assert_null(strstr(all, "README"));
	g_assert_null(strstr(all, "swp"));
	g_assert_null(strstr(all, "~"));
	g_assert_null(strstr(all, "sms/en/status_reply.txt: missing"));
	/* every problem is FILE:LINE:COL: or FILE: */
	for (guint i = 0; i < problems->len; i++) {
		const char *p = g_ptr_array_index(problems, i);
		g_assert_true(g_str_has_prefix(p, "email/") || g_str_has_prefix(p, "sms/"));
	}
	g_free(all);
	g_ptr_array_unref(problems);

	/* a folder that is not there */
	problems = g_ptr_array_new_with_free_func(g_free);
	char *missing = g_build_filename(dir, "nope", NULL);
	g_assert_false(cd_tmpl_check_dir(missing, problems));
	g_assert_cmpuint(problems->len, ==, 1);
	g_assert_true(g_str_has_suffix(g_ptr_array_index(problems, 0), "nope: cannot read the templates folder: no such folder"));
	g_ptr_array_unref(problems);
	g_free(missing);
	g_free(dir);
}

/* ---- loading a folder, and the current set ---- */

static void
test_load_and_current(void)
{
	char *dir = tu_tempdir();
	write_file(dir, "email/en/k.subject", "one {{ref}}\n");
	write_file(dir, "email/en/k.txt", "text\n");
	write_file(dir, "email/en/odd.md", "not a template: ignored when loading\n");
	write_file(dir, "email/loose.txt", "ignored when loading\n");
	GError *e = NULL;
	cd_tmpl_set *set = cd_tmpl_set_load(dir, &e);
	g_assert_no_error(e);
	g_assert_cmpuint(cd_tmpl_set_count(set), ==, 2);
	cd_tmpl_set_free(set);

	cd_tmpl_set *cur = cd_tmpl_current(dir, &e);
	g_assert_no_error(e);
	JsonObject *v = vars_of("{\"ref\": \"R\"}");
	cd_rendered r;
	g_assert_true(cd_tmpl_render_email(cur, "k", NULL, v, &r, &e));
	g_assert_cmpstr(r.subject, ==, "one R");
	cd_rendered_clear(&r);
	/* a change is seen (the size differs; the listing is looked at after invalidate at once) */
	write_file(dir, "email/en/k.subject", "two {{ref}}\n");
	cd_tmpl_invalidate();
	cd_tmpl_set *cur2 = cd_tmpl_current(dir, &e);
	g_assert_true(cur2 != cur);
	g_assert_true(cd_tmpl_render_email(cur2, "k", NULL, v, &r, &e));
	g_assert_cmpstr(r.subject, ==, "two R");
	cd_rendered_clear(&r);
	/* the old set stays usable for whoever holds it */
	g_assert_true(cd_tmpl_render_email(cur, "k", NULL, v, &r, &e));
	g_assert_cmpstr(r.subject, ==, "one R");
	cd_rendered_clear(&r);
	cd_tmpl_set_free(cur);
	/* a broken file: the previous set stays in force, with a warning */
	write_file(dir, "email/en/k.txt", "{{#open}}\n");
	cd_tmpl_invalidate();
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING,
	                      "templates in * not loaded (the previous templates stay in force): email/en/k.txt:1:1: *");
	cd_tmpl_set *cur3 = cd_tmpl_current(dir, &e);
	g_test_assert_expected_messages();
	g_assert_no_error(e);
	g_assert_true(cur3 == cur2);
	cd_tmpl_set_free(cur3);
	cd_tmpl_set_free(cur2);
	json_object_unref(v);

	/* a folder that never loaded: NULL with the error */
	char *bad = tu_tempdir();
	write_file(bad, "sms/en/x.txt", "{{/x}}");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "templates in * not loaded: sms/en/x.txt:1:1: *");
	g_assert_null(cd_tmpl_current(bad, &e));
	g_test_assert_expected_messages();
	g_assert_error(e, CD_ERROR, CD_ERROR_CONFIG);
	g_assert_nonnull(strstr(e->message, "sms/en/x.txt:1:1: expected no {{/x}} here"));
	g_clear_error(&e);
	g_assert_null(cd_tmpl_set_load(bad, &e));
	g_assert_cmpstr(e->message, ==, "sms/en/x.txt:1:1: expected no {{/x}} here: no section is open");
	g_clear_error(&e);
	g_free(bad);
	g_free(dir);
}

/* ---- the shipped templates/ ---- */

static const char common_json[] =
	"\"site\": {\"name\": \"Example Shop\", \"support_address\": \"support@shop.example\","
	" \"base_url\": \"https://shop.example\"},"
	" \"customer\": {\"name\": \"Alice Martin\", \"email\": \"alice@example.org\", \"language\": \"%s\"},"
	" \"lang\": \"%s\"";

static const struct {
	const char *kind;
	const char *json;   /* the kind's own variables */
	const char *subject; /* in the subject, both languages */
	const char *text;    /* in the text, both languages */
	const char *en, *de; /* in the text, per language */
	gboolean html;
} shipped[] = {
	{"ticket_ack",
	 "\"ticket\": {\"ref\": \"T-1042\", \"subject\": \"Printer <X200> not working\", \"status\": \"new\","
	 " \"queue\": \"support\"}, \"message\": {\"text\": \"My printer stopped working & shows E-13.\"}",
	 "[T-1042]", "My printer stopped working & shows E-13.", "Hello Alice Martin,", "Guten Tag Alice Martin,", TRUE},
	{"agent_new_ticket",
	 "\"agent\": {\"name\": \"Ana\", \"login\": \"ana\"}, \"ticket\": {\"ref\": \"T-1042\", \"subject\": \"Printer\","
	 " \"priority\": \"high\", \"queue\": \"support\", \"url\": \"https://shop.example/t/1042\"},"
	 " \"message\": {\"text\": \"It is broken.\", \"html_available\": true},"
	 " \"attachments\": [{\"name\": \"photo.jpg\", \"size\": \"120 KB\"}, {\"name\": \"invoice.pdf\", \"size\": \"40 KB\"}],"
	 " \"commands_help\": \"#status resolved | #assign NAME | #priority high\"",
	 "[T-1042]", "photo.jpg (120 KB)", "A new ticket T-1042", "ein neues Ticket T-1042", FALSE},
	{"agent_customer_reply",
	 "\"agent\": {\"name\": \"Ana\", \"login\": \"ana\"}, \"ticket\": {\"ref\": \"T-1042\", \"subject\": \"Printer\","
	 " \"priority\": \"normal\", \"queue\": \"support\", \"url\": \"https://shop.example/t/1042\"},"
	 " \"message\": {\"text\": \"Still broken.\", \"html_available\": false}, \"attachments\": [],"
	 " \"commands_help\": \"#status resolved\"",
	 "[T-1042]", "Still broken.", "Alice Martin replied on ticket T-1042", "Alice Martin hat im Ticket T-1042", FALSE},
	{"agent_reply",
	 "\"agent\": {\"name\": \"Ana\"}, \"ticket\": {\"ref\": \"T-1042\", \"subject\": \"Printer\"},"
	 " \"message\": {\"text\": \"Please try a reset.\", \"html\": \"<p>Please try a <b>reset</b>.</p>\"}",
	 "[T-1042] Re: Printer", "Please try a reset.", "simply reply", "antworten Sie einfach", TRUE},
	{"agent_command_result",
	 "\"agent\": {\"name\": \"Ana\"}, \"ticket\": {\"ref\": \"T-1042\", \"subject\": \"Printer\"},"
	 " \"results\": [{\"command\": \"#status resolved\", \"ok\": true, \"text\": \"status is now resolved\"},"
	 " {\"command\": \"#assign bob\", \"ok\": false, \"text\": \"no agent bob\"}], \"refused\": false, \"reason\": null",
	 "[T-1042]", "#assign bob", "FAILED: no agent bob", "FEHLGESCHLAGEN: no agent bob", FALSE},
	{"rma_requested",
	 "\"rma\": {\"ref\": \"R-77\", \"order_ref\": \"A1001\", \"sku\": \"X200\", \"product\": \"Printer X200\","
	 " \"quantity\": 1, \"reason\": \"display broken\", \"status\": \"requested\"}, \"ticket\": {\"ref\": \"T-1042\"}",
	 "[R-77] [T-1042]", "A1001", "We have received your return request R-77", "Ihre Rücksendeanfrage R-77", TRUE},
	{"rma_authorized",
	 "\"rma\": {\"ref\": \"R-77\", \"order_ref\": \"A1001\", \"sku\": \"X200\", \"product\": \"Printer X200\","
	 " \"quantity\": 1, \"reason\": \"display broken\", \"status\": \"authorized\","
	 " \"return_address\": \"Example Shop Returns\\nDock 4\\n12345 Berlin\", \"return_by\": \"2026-06-30\","
	 " \"instructions\": null}",
	 "[R-77]", "Dock 4", "approved your return R-77", "Rücksendung R-77 genehmigt", TRUE},
	{"rma_refused",
	 "\"rma\": {\"ref\": \"R-77\", \"order_ref\": \"A1001\", \"sku\": \"X200\", \"product\": \"Printer X200\","
	 " \"quantity\": 1, \"reason\": \"changed my mind\", \"status\": \"rejected\","
	 " \"refusal\": \"The 30-day return window ended on 2026-04-01.\"}, \"ticket\": {\"ref\": \"T-1042\"}",
	 "[R-77] [T-1042]", "The 30-day return window ended on 2026-04-01.", "we cannot", "Leider können wir", TRUE},
	{"rma_need_order",
	 "\"rma\": {\"reason\": \"The kettle leaks.\"}, \"ticket\": {\"ref\": \"T-1042\", \"subject\": \"Kettle\"}",
	 "[T-1042]", "The kettle leaks.", "number of your order", "Nummer Ihrer Bestellung", TRUE},
	{"rma_received",
	 "\"rma\": {\"ref\": \"R-77\", \"order_ref\": \"A1001\", \"sku\": \"X200\", \"product\": \"Printer X200\","
	 " \"quantity\": 1, \"reason\": \"broken\", \"status\": \"received\", \"resolution\": null, \"amount\": null,"
	 " \"currency\": null}",
	 "[R-77]", "Printer X200", "has arrived", "Wir prüfen ihn jetzt", TRUE},
	{"rma_resolved",
	 "\"rma\": {\"ref\": \"R-77\", \"order_ref\": \"A1001\", \"sku\": \"X200\", \"product\": \"Printer X200\","
	 " \"quantity\": 1, \"reason\": \"broken\", \"status\": \"refunded\", \"resolution\": \"refund\","
	 " \"amount\": \"49.90\", \"currency\": \"EUR\"}",
	 "[R-77]", "49.90 EUR", "We have refunded 49.90 EUR", "erstattet", TRUE},
	{"activation",
	 "\"activation\": {\"code\": \"482 913\", \"link\": \"https://shop.example/activate?t=abc\", \"minutes\": 30,"
	 " \"reply_hint\": true}",
	 "Example Shop", "482 913", "valid for 30 minutes", "30 Minuten lang gültig", TRUE},
	{"password_reset", "\"reset\": {\"link\": \"https://shop.example/reset?t=xyz\", \"minutes\": 60}",
	 "Example Shop", "https://shop.example/reset?t=xyz", "valid for 60 minutes", "60 Minuten lang gültig", TRUE},
	{"offer_sent",
	 "\"offer\": {\"ref\": \"O-12\", \"title\": \"Office printers\", \"total\": \"1,198.00\", \"currency\": \"EUR\","
	 " \"valid_until\": \"2026-07-31\", \"link\": \"https://shop.example/offers/12\","
	 " \"lines\": [{\"sku\": \"X200\", \"description\": \"Printer X200\", \"quantity\": 2, \"price\": \"599.00\"}]}",
	 "[O-12]", "2 x Printer X200 (X200)  599.00 EUR", "valid until 2026-07-31", "gilt bis 2026-07-31", TRUE},
	{"agent_offer_decided",
	 "\"agent\": {\"name\": \"Ana\"}, \"offer\": {\"ref\": \"OF-12\", \"title\": \"Printers\", \"status\": \"accepted\","
	 " \"total\": \"99.00\", \"currency\": \"EUR\", \"comment\": \"Deliver soon\", \"channel\": \"web\"},"
	 " \"ticket\": {\"ref\": \"T-1042\"}",
	 "[OF-12]", "Deliver soon", "has accepted the offer OF-12", "hat das Angebot OF-12", FALSE},
	{"order_status",
	 "\"order\": {\"ref\": \"A1001\", \"status\": \"shipped\", \"old_status\": \"paid\","
	 " \"link\": \"https://shop.example/orders/A1001\"}",
	 "[A1001]", "https://shop.example/orders/A1001", "has been shipped", "wurde versandt", TRUE},
};

static const struct {
	const char *kind, *json, *en, *de;
} shipped_sms[] = {
	{"ticket_ack", "\"ticket\": {\"ref\": \"T-1042\", \"subject\": \"x\"}", "we received your message (T-1042)",
	 "Ihre Nachricht erhalten (T-1042)"},
	{"activation", "\"activation\": {\"code\": \"482913\", \"minutes\": 15}", "activation code is 482913",
	 "Aktivierungscode für Example Shop: 482913"},
	{"rma_authorized", "\"rma\": {\"ref\": \"R-77\", \"return_by\": \"2026-06-30\"}", "return R-77 is approved",
	 "Rücksendung R-77 ist genehmigt"},
	{"rma_refused", "\"rma\": {\"ref\": \"R-77\", \"refusal\": \"warranty expired\"}", "cannot accept your return R-77: warranty expired",
	 "Rücksendung R-77 nicht annehmen: warranty expired"},
	{"status_reply", "\"ref\": \"T-1042\", \"state\": \"open\"", "T-1042: open", "T-1042: open"},
	{"agent_reply", "\"ticket\": {\"ref\": \"T-1042\"}, \"agent\": {\"name\": \"Ana\"}, \"message\": {\"text\": \"On our way\"}",
	 "(T-1042), Ana: On our way", "(T-1042), Ana: On our way"},
	{"sms_stop", "\"keyword\": \"stop\"", "no more SMS from us. Send START", "keine SMS mehr von uns. Senden Sie START"},
	{"sms_start", "\"keyword\": \"start\"", "SMS from us are on again", "wieder SMS von uns"},
	{"sms_help", "\"keyword\": \"help\"", "STATUS T-123", "STATUS T-123"},
	{"agent_sms_ticket", "\"ticket\": {\"ref\": \"T-1042\", \"priority\": \"urgent\", \"queue\": \"support\", \"subject\": \"SMS: fire\"}",
	 "urgent T-1042 (support): SMS: fire", "urgent T-1042 (support): SMS: fire"},
};

static JsonObject *
shipped_vars(const char *lang, const char *own)
{
	char *common = g_strdup_printf(common_json, lang, lang);
	char *json = g_strdup_printf("{%s, %s}", common, own);
	JsonObject *v = vars_of(json);
	g_free(json);
	g_free(common);
	return v;
}

static void
test_shipped(void)
{
	char *dir = src_path("templates");
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	guint count = 0;
	if (!cd_tmpl_check_dir_count(dir, problems, &count)) {
		char *all = joined(problems);
		g_error("the shipped templates have problems:\n%s", all);
	}
	g_assert_cmpuint(count, >, 90);
	g_ptr_array_unref(problems);
	GError *e = NULL;
	cd_tmpl_set *set = cd_tmpl_set_load(dir, &e);
	g_assert_no_error(e);

	/* every kind of the table has its templates, and the test covers every kind */
	guint email_kinds = 0, sms_kinds = 0;
	for (const char *const *k = cd_tmpl_kinds(); *k; k++) {
		if (strstr(cd_tmpl_kind_channels(*k), "email")) {
			g_assert_true(cd_tmpl_has(set, "email", *k));
			email_kinds++;
		}
		if (strstr(cd_tmpl_kind_channels(*k), "sms")) {
			g_assert_true(cd_tmpl_has(set, "sms", *k));
			sms_kinds++;
		}
	}
	g_assert_cmpuint(email_kinds, ==, G_N_ELEMENTS(shipped));
	g_assert_cmpuint(sms_kinds, ==, G_N_ELEMENTS(shipped_sms));

	static const char *const langs[] = {"en", "de"};
	for (gsize i = 0; i < G_N_ELEMENTS(shipped); i++)
		for (gsize l = 0; l < G_N_ELEMENTS(langs); l++) {
			JsonObject *v = shipped_vars(langs[l], shipped[i].json);
			cd_rendered r;
			if (!cd_tmpl_render_email(set, shipped[i].kind, langs[l], v, &r, &e))
				g_error("%s/%s: %s", shipped[i].kind, langs[l], e->message);
			const char *per = l == 0 ? shipped[i].en : shipped[i].de;
			if (!strstr(r.subject, shipped[i].subject) || !strstr(r.text, shipped[i].text) || !strstr(r.text, per))
				g_error("%s/%s: expected '%s' in the subject, '%s' and '%s' in the text:\nSubject: %s\n\n%s",
				        shipped[i].kind, langs[l], shipped[i].subject, shipped[i].text, per, r.subject, r.text);
			g_assert_null(strpbrk(r.subject, "\r\n"));
			g_assert_null(strstr(r.subject, "{{"));
			g_assert_null(strstr(r.text, "{{"));
			g_assert_false(g_str_has_suffix(r.text, "\n\n"));
			/* the language's own footer or signature */
			if (l == 0)
				g_assert_true(strstr(r.text, "Customer Support") || strstr(r.text, "caredesk for"));
			else
				g_assert_true(strstr(r.text, "Kundenservice") || strstr(r.text, "caredesk für"));
			if (shipped[i].html) {
				g_assert_nonnull(r.html);
				g_assert_true(g_str_has_prefix(r.html, "<!DOCTYPE html>"));
				g_assert_nonnull(strstr(r.html, l == 0 ? "<html lang=\"en\">" : "<html lang=\"de\">"));
				g_assert_null(strstr(r.html, "<script"));
				g_assert_null(strstr(r.html, "<img"));
				g_assert_null(strstr(r.html, "{{"));
				g_assert_nonnull(strstr(r.html, "support@shop.example"));
			} else {
				g_assert_null(r.html);
			}
			if (strcmp(shipped[i].kind, "ticket_ack") == 0) {
				/* the customer's subject is escaped in HTML and kept as it is in text */
				g_assert_nonnull(strstr(r.subject, "Printer <X200> not working"));
				g_assert_nonnull(strstr(r.html, "shows E-13."));
				g_assert_nonnull(strstr(r.html, "stopped working &amp; shows"));
			}
			if (strcmp(shipped[i].kind, "agent_reply") == 0)
				g_assert_nonnull(strstr(r.html, "<p>Please try a <b>reset</b>.</p>")); /* sanitised: raw */
			cd_rendered_clear(&r);
			json_object_unref(v);
		}
	for (gsize i = 0; i < G_N_ELEMENTS(shipped_sms); i++)
		for (gsize l = 0; l < G_N_ELEMENTS(langs); l++) {
			JsonObject *v = shipped_vars(langs[l], shipped_sms[i].json);
			char *text = NULL;
			if (!cd_tmpl_render_sms(set, shipped_sms[i].kind, langs[l], v, &text, &e))
				g_error("sms %s/%s: %s", shipped_sms[i].kind, langs[l], e->message);
			const char *want = l == 0 ? shipped_sms[i].en : shipped_sms[i].de;
			if (!strstr(text, want))
				g_error("sms %s/%s: expected '%s' in: %s", shipped_sms[i].kind, langs[l], want, text);
			g_assert_null(strchr(text, '\n'));
			g_assert_cmpuint(g_utf8_strlen(text, -1), <=, 160);
			g_free(text);
			json_object_unref(v);
		}

	/* a customer's mail cannot add a header through the subject */
	JsonObject *v = shipped_vars("en", "\"ticket\": {\"ref\": \"T-1\", \"subject\": \"Hi\\r\\nBcc: all@example.org\"}");
	cd_rendered r;
	g_assert_true(cd_tmpl_render_email(set, "ticket_ack", "en", v, &r, &e));
	g_assert_cmpstr(r.subject, ==, "[T-1] We received your message: Hi Bcc: all@example.org");
	cd_rendered_clear(&r);
	json_object_unref(v);
	/* an empty subject and no name: no dangling punctuation */
	v = shipped_vars("de", "\"ticket\": {\"ref\": \"T-2\", \"subject\": \"\"}");
	json_object_remove_member(json_object_get_object_member(v, "customer"), "name");
	g_assert_true(cd_tmpl_render_email(set, "ticket_ack", "de", v, &r, &e));
	g_assert_cmpstr(r.subject, ==, "[T-2] Ihre Nachricht ist eingegangen");
	g_assert_true(g_str_has_prefix(r.text, "Guten Tag,\n"));
	cd_rendered_clear(&r);
	json_object_unref(v);
	/* order states are translated; an unknown one is shown as it is */
	v = shipped_vars("de", "\"order\": {\"ref\": \"A1\", \"status\": \"on_hold\"}");
	g_assert_true(cd_tmpl_render_email(set, "order_status", "de", v, &r, &e));
	g_assert_cmpstr(r.subject, ==, "[A1] Neuigkeiten zu Ihrer Bestellung");
	g_assert_nonnull(strstr(r.text, "hat sich geändert: on_hold."));
	cd_rendered_clear(&r);
	json_object_unref(v);
	cd_tmpl_set_free(set);

	/* the rules' template check knows this layout: shipped kinds exist, others do not */
	cd_ruleset *rs = cd_rules_parse_text("t.rules",
	                                     "rule \"a\" then reply ticket_ack\n  sms \"activation\"\n"
	                                     "rule \"b\" then reply \"footer\"\n",
	                                     strlen("rule \"a\" then reply ticket_ack\n  sms \"activation\"\n"
	                                            "rule \"b\" then reply \"footer\"\n"),
	                                     0, &e);
	g_assert_no_error(e);
	problems = g_ptr_array_new_with_free_func(g_free);
	g_assert_false(cd_rules_lint(rs, dir, problems));
	g_assert_cmpuint(problems->len, ==, 1);
	if (!g_str_has_prefix(g_ptr_array_index(problems, 0), "t.rules:3:15: reply \"footer\": no such template"))
		g_error("%s", (char *)g_ptr_array_index(problems, 0));
	g_ptr_array_unref(problems);
	cd_ruleset_unref(rs);
	g_free(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/template/values", test_values);
	g_test_add_func("/template/sections", test_sections);
	g_test_add_func("/template/partials", test_partials);
	g_test_add_func("/template/errors", test_errors);
	g_test_add_func("/template/subject-one-line", test_subject_one_line);
	g_test_add_func("/template/language-fallback", test_language_fallback);
	g_test_add_func("/template/output-cap", test_output_cap);
	g_test_add_func("/template/check", test_check);
	g_test_add_func("/template/load-and-current", test_load_and_current);
	g_test_add_func("/template/shipped", test_shipped);
	return g_test_run();
}
