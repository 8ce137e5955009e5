/* test_rules.c - the filter rule language: every lexer and parser error (file:line:col), each
 * field, operator and action, order and stop, first-wins, reloading that keeps the old set on
 * error, PCRE2 limits, the shipped filters/, the prefilter's literals, and that the prefilter
 * (and JIT) never change a decision over ../shared/corpus, the demo mail and generated mail. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "result.h"
#include "rules.h"
#include "rules_int.h" /* rp_requirements_of */
#include "testutil.h"

#include <glib/gstdio.h>
#include <pcre2.h>
#include <string.h>

/* ---- helpers ---- */

static cd_ruleset *
load_ok_flags(const char *text, cd_rules_flags flags)
{
	GError *e = NULL;
	cd_ruleset *rs = cd_rules_parse_text("t.rules", text, strlen(text), flags, &e);
	if (rs == NULL)
		g_error("rules did not load: %s\n%s", e->message, text);
	return rs;
}

static cd_ruleset *
load_ok(const char *text)
{
	return load_ok_flags(text, 0);
}

/* load_err - the whole error message of text, which must not load */
static char *
load_err_len(const char *text, gsize len)
{
	GError *e = NULL;
	cd_ruleset *rs = cd_rules_parse_text("t.rules", text, len, 0, &e);
	if (rs != NULL)
		g_error("rules loaded but should not: %s", text);
	g_assert_error(e, CD_ERROR, CD_ERROR_CONFIG);
	char *m = g_strdup(e->message);
	g_error_free(e);
	return m;
}

static char *
load_err(const char *text)
{
	return load_err_len(text, strlen(text));
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = g_build_filename(dir, name, NULL);
	GError *e = NULL;
	g_file_set_contents(p, text, -1, &e);
	g_assert_no_error(e);
	g_free(p);
}

static cd_message *
msg_new(const char *from, const char *subject, const char *body)
{
	cd_message *m = cd_message_new();
	m->from.addr = g_strdup(from);
	m->subject = g_strdup(subject);
	m->text = g_strdup(body);
	m->reply_text = g_strdup(body);
	m->raw_size = (body ? strlen(body) : 0) + 200;
	return m;
}

static void
msg_header(cd_message *m, const char *name, const char *value)
{
	cd_header *h = g_new0(cd_header, 1);
	h->name = g_strdup(name);
	h->value = g_strdup(value);
	g_ptr_array_add(m->headers, h);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
append_list(GString *s, const char *name, GPtrArray *a)
{
	g_string_append_printf(s, "%s=[", name);
	for (guint i = 0; a && i < a->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", (char *)g_ptr_array_index(a, i));
	g_string_append(s, "] ");
}

/* decision_text - everything a decision holds, as one comparable line */
static char *
decision_text(const cd_rule_decision *d)
{
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "type=%s queue=%s priority=%s assign=%s reject=%s drop=%d ", d->type, d->queue,
	                       d->priority, d->assign, d->reject, d->drop);
	append_list(s, "tags", d->tags);
	GPtrArray *caps = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, d->captures);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(caps, g_strdup_printf("%s:%s", (char *)k, (char *)v));
	g_ptr_array_sort(caps, cmp_str);
	append_list(s, "captures", caps);
	g_ptr_array_unref(caps);
	append_list(s, "replies", d->replies);
	append_list(s, "notifies", d->notifies);
	append_list(s, "sms", d->sms);
	append_list(s, "matched", d->matched);
	append_list(s, "limits", d->limit_hits);
	return g_string_free(s, FALSE);
}

typedef struct {
	const char *channel, *customer;
	const char *const *tags;
} who;

static const who EMAIL_KNOWN = {"email", "known", NULL};

/* run - evaluate; returns the decision as text; d (if not NULL) receives the decision */
static char *
run_full(cd_ruleset *rs, const cd_message *m, const who *w, cd_rule_decision *d, GString *trace)
{
	cd_rule_input in = {.channel = w->channel, .msg = m, .customer = w->customer, .customer_tags = w->tags};
	cd_rule_decision local;
	cd_rule_decision *dd = d ? d : &local;
	cd_rule_decision_init(dd);
	cd_rules_evaluate(rs, &in, dd, trace);
	char *t = decision_text(dd);
	if (d == NULL)
		cd_rule_decision_clear(dd);
	return t;
}

static gboolean
has(GPtrArray *a, const char *v)
{
	for (guint i = 0; i < a->len; i++)
		if (strcmp(g_ptr_array_index(a, i), v) == 0)
			return TRUE;
	return FALSE;
}

/* tags_of - the tags rules gave m, sorted, comma-separated */
static char *
tags_of(cd_ruleset *rs, const cd_message *m, const who *w)
{
	cd_rule_decision d;
	g_free(run_full(rs, m, w, &d, NULL));
	g_ptr_array_sort(d.tags, cmp_str);
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < d.tags->len; i++)
		g_string_append_printf(s, "%s%s", i ? "," : "", (char *)g_ptr_array_index(d.tags, i));
	cd_rule_decision_clear(&d);
	return g_string_free(s, FALSE);
}

/* ---- lexer and parser errors ---- */

typedef struct {
	const char *text;
	const char *error;
} error_case;

static const error_case lex_errors[] = {
	{"rule \"abc", "t.rules:1:6: expected a closing \" for the string that starts here, got end of file"},
	{"rule \"abc\nthen stop", "t.rules:1:6: expected a closing \" for the string that starts here, got end of line"},
	{"rule \"a\\qb\" then stop", "t.rules:1:8: expected \\\" or \\\\ after a backslash in a string, got 'q'"},
	{"rule \"x\" when subject ~ /abc\nthen stop",
	 "t.rules:1:25: expected a closing / for the regex that starts here, got end of line"},
	{"rule \"x\" when subject ~ /abc\\/", "t.rules:1:25: expected a closing / for the regex that starts here, got end of file"},
	{"rule \"x\" when subject ~ /abc/ig then stop", "t.rules:1:31: expected regex flags (i, m, s, x or u), got 'g'"},
	{"rule \"x\" when subject != \"a\" then stop",
	 "t.rules:1:23: expected a word, \"string\", /regex/, (, ), ~, ==, =, < or >, got '!' (negate with not)"},
	{"rule \"x\" then tag a\n  ; tag b",
	 "t.rules:2:3: expected a word, \"string\", /regex/, (, ), ~, ==, =, < or >, got ';'"},
	{"rule \"x\" then tag \x01", "t.rules:1:19: expected a word, \"string\", /regex/, (, ), ~, ==, =, < or >, got control character U+0001"},
	{"# comment\nrule \"x\xff\" then stop", "t.rules:2:8: expected UTF-8 text, got byte 0xff"},
};

static void
test_lex_errors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(lex_errors); i++) {
		char *m = load_err(lex_errors[i].text);
		g_assert_cmpstr(m, ==, lex_errors[i].error);
		g_free(m);
	}
	/* a NUL byte */
	const char nul[] = "rule \"x\" then stop\n\0tag";
	char *m = load_err_len(nul, sizeof nul - 1);
	g_assert_cmpstr(m, ==, "t.rules:2:1: expected UTF-8 text, got a NUL byte");
	g_free(m);
	/* columns count characters, not bytes */
	m = load_err("rule \"Rückgabe\" when subjekt ~ /x/ then stop");
	g_assert_true(g_str_has_prefix(m, "t.rules:1:22: expected a field (from, to, cc, subject, body, fullbody, header "
	                                  "\"NAME\", attachment.name, attachment.type, size, channel, customer or "
	                                  "customer.tag), got 'subjekt'"));
	g_free(m);
}

#define ACTIONS "type, queue, priority, tag, assign, capture, reply, notify, sms, reject, drop or stop"
#define FIELDS                                                                                              \
	"from, to, cc, subject, body, fullbody, header \"NAME\", attachment.name, attachment.type, size, channel, " \
	"customer or customer.tag"

static const error_case parse_errors[] = {
	{"when subject ~ /a/ then stop", "t.rules:1:1: expected rule, got 'when'"},
	{"rule then stop",
	 "t.rules:1:6: expected the rule's name in quotes after rule (like rule \"RMA by subject\"), got 'then'"},
	{"rule \"\" then stop",
	 "t.rules:1:6: expected the rule's name in quotes after rule (like rule \"RMA by subject\"), got \"\""},
	{"rule \"x\" stop", "t.rules:1:10: expected when or then after the rule's name, got 'stop'"},
	{"rule \"x\" when subjct ~ /a/ then stop", "t.rules:1:15: expected a field (" FIELDS "), got 'subjct'"},
	{"rule \"x\" when header Foo ~ /a/ then stop",
	 "t.rules:1:22: expected a header name in quotes after header (like \"Auto-Submitted\"), got 'Foo'"},
	{"rule \"x\" when header \"Bad Name\" exists then stop",
	 "t.rules:1:22: expected a header name in quotes after header (like \"Auto-Submitted\"), got \"Bad Name\""},
	{"rule \"x\" when subject is \"a\" then stop",
	 "t.rules:1:23: expected an operator after subject (~, ==, contains or exists), got 'is'"},
	{"rule \"x\" when header \"X-A\" > 5 then stop",
	 "t.rules:1:28: expected ~, ==, contains or exists after header \"X-A\" (< and > compare numbers: size), got '>'"},
	{"rule \"x\" when subject < 5 then stop",
	 "t.rules:1:23: expected ~, ==, contains or exists after subject (< and > compare numbers: size), got '<'"},
	{"rule \"x\" when size ~ /a/ then stop", "t.rules:1:20: expected ==, < or > after size, got '~'"},
	{"rule \"x\" when size > lots then stop",
	 "t.rules:1:22: expected a number (like 500, 20k or 5M) after size >, got 'lots'"},
	{"rule \"x\" when size < 5X then stop", "t.rules:1:22: expected a number (like 500, 20k or 5M) after size <, got '5X'"},
	{"rule \"x\" when subject ~ \"a\" then stop", "t.rules:1:25: expected a /regex/ after subject ~, got \"a\""},
	{"rule \"x\" when channel == fax then stop", "t.rules:1:26: expected email or sms after channel ==, got 'fax'"},
	{"rule \"x\" when customer == vip then stop",
	 "t.rules:1:27: expected known, unknown or agent after customer ==, got 'vip'"},
	{"rule \"x\" when subject contains then stop",
	 "t.rules:1:32: expected a \"string\" after subject contains, got 'then'"},
	{"rule \"x\" when subject ~ /a/ stop", "t.rules:1:29: expected then, or and/or to continue the condition, got 'stop'"},
	{"rule \"x\" when (subject ~ /a/ then stop", "t.rules:1:30: expected ')' to close the '(' at 1:15, got 'then'"},
	{"rule \"x\" when then stop",
	 "t.rules:1:15: expected a condition (a field like subject, not, or '('), got 'then'"},
	{"rule \"x\" when subject ~ /a/ and then stop",
	 "t.rules:1:33: expected a condition (a field like subject, not, or '('), got 'then'"},
	{"rule \"x\" then", "t.rules:1:14: expected an action after then (" ACTIONS "), got end of file"},
	{"rule \"x\" then frobnicate", "t.rules:1:15: expected an action after then (" ACTIONS "), got 'frobnicate'"},
	{"rule \"x\" then stop\n  when", "t.rules:2:3: expected an action (" ACTIONS ") or the next rule, got 'when'"},
	{"rule \"x\" then type bug", "t.rules:1:20: expected ticket, rma, activation or spam after type, got 'bug'"},
	{"rule \"x\" then priority high-ish", "t.rules:1:24: expected low, normal, high or urgent after priority, got 'high-ish'"},
	{"rule \"x\" then queue", "t.rules:1:20: expected a queue name after queue, got end of file"},
	{"rule \"x\" then tag \"\"", "t.rules:1:19: expected a tag after tag, got \"\""},
	{"rule \"x\" then assign (", "t.rules:1:22: expected an agent's login after assign, got '('"},
	{"rule \"x\" then notify", "t.rules:1:21: expected a queue or an agent's login after notify, got end of file"},
	{"rule \"x\" then reject", "t.rules:1:21: expected the text the sender is told, in quotes after reject, got end of file"},
	{"rule \"x\" then reply \"../x\"",
	 "t.rules:1:21: expected a template name after reply (letters, digits, '-', '_', '.'), got \"../x\""},
	{"rule \"x\" then sms \"a b\"",
	 "t.rules:1:19: expected a template name after sms (letters, digits, '-', '_', '.'), got \"a b\""},
	{"rule \"x\" then capture 1x = subject ~ /(?<x>a)/",
	 "t.rules:1:23: expected a capture name after capture (letters, digits, _), got '1x'"},
	{"rule \"x\" then capture x subject ~ /a/", "t.rules:1:25: expected = after capture x, got 'subject'"},
	{"rule \"x\" then capture x = subjekt ~ /a/",
	 "t.rules:1:27: expected a field after capture x = (" FIELDS "), got 'subjekt'"},
	{"rule \"x\" then capture x = size ~ /a/",
	 "t.rules:1:27: expected a text field after capture x = (size is a number), got 'size'"},
	{"rule \"x\" then capture x = subject /a/", "t.rules:1:35: expected ~ /regex/ after capture x = subject, got /a/"},
	{"rule \"x\" then capture x = subject ~ \"a\"",
	 "t.rules:1:37: expected a /regex/ with a group (?<x>...) after capture x = ... ~, got \"a\""},
	{"rule \"x\" when subject ~ /(abc/ then stop",
	 "t.rules:1:30: expected a valid regular expression, got /(abc/: missing closing parenthesis at offset 4"},
	{"rule \"x\" when subject ~ /ü(/ then stop",
	 "t.rules:1:28: expected a valid regular expression, got /ü(/: missing closing parenthesis at offset 3"},
	{"rule \"x\" then capture x = body ~ /a{2,1}/",
	 "t.rules:1:40: expected a valid regular expression, got /a{2,1}/: numbers out of order in {} quantifier at offset 5"},
};

static void
test_parse_errors(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(parse_errors); i++) {
		char *m = load_err(parse_errors[i].text);
		if (strcmp(m, parse_errors[i].error) != 0)
			g_error("case %" G_GSIZE_FORMAT ": %s\n  got:      %s\n  expected: %s", i, parse_errors[i].text, m,
			        parse_errors[i].error);
		g_free(m);
	}
}

/* Every broken rule of every file is reported (first error of each), in order; nothing loads. */
static void
test_all_errors_nothing_loads(void)
{
	char *m = load_err("rule \"a\" then tag ok\n"
	                   "rule \"b\" when subject ~ /(/ then stop\n"
	                   "rule \"c\" then tag fine\n"
	                   "rule \"d\" then type nonsense\n"
	                   "rule \"e\" then tag \"unterminated\n");
	char **lines = g_strsplit(m, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 3);
	g_assert_true(g_str_has_prefix(lines[0], "t.rules:2:27: expected a valid regular expression, got /(/"));
	g_assert_cmpstr(lines[1], ==, "t.rules:4:20: expected ticket, rma, activation or spam after type, got 'nonsense'");
	g_assert_cmpstr(lines[2], ==, "t.rules:5:19: expected a closing \" for the string that starts here, got end of line");
	g_strfreev(lines);
	g_free(m);

	/* at most 20 */
	GString *many = g_string_new(NULL);
	for (int i = 0; i < 30; i++)
		g_string_append(many, "rule \"x\" then type bug\n");
	m = load_err(many->str);
	lines = g_strsplit(m, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 21);
	g_assert_cmpstr(lines[20], ==, "(stopped after 20 errors)");
	g_strfreev(lines);
	g_free(m);
	g_string_free(many, TRUE);

	/* a folder: files in name order, errors of every file, a good file does not load alone */
	char *dir = tu_tempdir();
	write_file(dir, "30-c.rules", "rule \"c\" then priority top\n");
	write_file(dir, "10-a.rules", "rule \"a\" then tag a\n");
	write_file(dir, "20-b.rules", "# b\nrule \"b\" when subjec ~ /x/ then stop\n");
	GError *e = NULL;
	cd_ruleset *rs = cd_rules_load(dir, &e);
	g_assert_null(rs);
	g_assert_error(e, CD_ERROR, CD_ERROR_CONFIG);
	lines = g_strsplit(e->message, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 2);
	g_assert_true(g_str_has_prefix(lines[0], "20-b.rules:2:15: expected a field ("));
	g_assert_cmpstr(lines[1], ==, "30-c.rules:1:24: expected low, normal, high or urgent after priority, got 'top'");
	g_strfreev(lines);
	g_clear_error(&e);

	/* a missing folder */
	char *missing = g_build_filename(dir, "nope", NULL);
	g_assert_null(cd_rules_load(missing, &e));
	g_assert_true(g_str_has_prefix(e->message, missing));
	g_clear_error(&e);
	g_free(missing);
	g_free(dir);
}

/* Grammar corners that must load: comments anywhere, quoted keywords, no conditions, numbers. */
static cd_ruleset *shipped(cd_rules_flags flags);

static void
test_parse_accepts(void)
{
	cd_ruleset *rs = load_ok("# a comment\n"
	                         "rule \"all\"   # trailing comment\n"
	                         "  then tag \"then\"   # a keyword as a value needs quotes\n"
	                         "rule \"sizes\" when size > 20k and size < 5M or size == 1G then tag sized\n"
	                         "rule \"nested\" when not (not subject exists or (from ~ /a/ and to ~ /b/)) then drop\n"
	                         "rule \"header\" when header \"X-Spam-Flag\" == YES then tag spam\n"
	                         "rule \"regex with # and slash\" when subject ~ /a#b\\/c/x then tag x\n");
	g_assert_cmpuint(cd_ruleset_count(rs), ==, 5);
	g_assert_false(cd_ruleset_has_reject(rs));
	GString *d = g_string_new(NULL);
	cd_rules_describe(rs, d);
	g_assert_nonnull(strstr(d->str, "when size > 20480 and size < 5242880 or size == 1073741824\n"));
	g_assert_nonnull(strstr(d->str, "when not (not subject exists or from ~ /a/ and to ~ /b/)\n"));
	g_assert_nonnull(strstr(d->str, "when header \"X-Spam-Flag\" == \"YES\"\n"));
	g_string_free(d, TRUE);
	cd_ruleset_unref(rs);

	/* what describe writes parses back to the same rules */
	rs = shipped(0);
	d = g_string_new(NULL);
	cd_rules_describe(rs, d);
	cd_ruleset_unref(rs);
	rs = load_ok(d->str);
	GString *again = g_string_new(NULL);
	cd_rules_describe(rs, again);
	cd_ruleset_unref(rs);
	GRegex *comments = g_regex_new("^# .*\n", G_REGEX_MULTILINE, 0, NULL);
	char *a = g_regex_replace_literal(comments, d->str, -1, 0, "", 0, NULL);
	char *b = g_regex_replace_literal(comments, again->str, -1, 0, "", 0, NULL);
	g_assert_cmpstr(a, ==, b);
	g_assert_nonnull(strstr(a, "rule \"VIP customers\"\n  when customer.tag == \"vip\"\n  then priority high\n       queue vip\n       notify \"vip\"\n"));
	g_free(a);
	g_free(b);
	g_regex_unref(comments);
	g_string_free(again, TRUE);
	g_string_free(d, TRUE);

	rs = load_ok("rule \"r\" then reject \"5.7.1 no thanks\"\n");
	g_assert_true(cd_ruleset_has_reject(rs));
	cd_ruleset_unref(rs);
	/* an empty file is an empty set */
	rs = load_ok("# nothing yet\n");
	g_assert_cmpuint(cd_ruleset_count(rs), ==, 0);
	cd_ruleset_unref(rs);
}

/* ---- fields and operators ---- */

static const char *const OPS_MAIL =
    "From: Alice <Alice@Example.org>\n"
    "To: support@example.test, sales@example.test\n"
    "Cc: boss@example.org\n"
    "Subject: Order A1001 broken - URGENT\n"
    "X-Custom: first\n"
    "X-Custom: second\n"
    "Message-ID: <m1@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=b\n"
    "\n"
    "--b\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Hello, the screen is broken.\n"
    "\n"
    "On Mon, 2 Nov 2026 at 10:00, Bob <bob@example.org> wrote:\n"
    "> quoted kaputt text\n"
    "--b\n"
    "Content-Type: application/pdf; name=invoice-1.pdf\n"
    "Content-Disposition: attachment; filename=invoice-1.pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0=\n"
    "--b--\n";

static void
test_operators(void)
{
	cd_message *m = tu_parse_str(OPS_MAIL);
	g_assert_null(strstr(m->reply_text, "kaputt")); /* the quote is stripped from body */
	char *rules = g_strdup_printf(
	    "rule \"1\" when from == \"alice@example.org\" then tag from-eq\n"
	    "rule \"2\" when from ~ /@example\\.org$/ then tag from-re\n"
	    "rule \"3\" when to ~ /^sales@/ then tag to-any\n"
	    "rule \"4\" when to == \"nobody@example.test\" then tag NO-to\n"
	    "rule \"5\" when cc contains \"BOSS\" then tag cc\n"
	    "rule \"6\" when subject ~ /urgent/ then tag NO-case\n"
	    "rule \"7\" when subject ~ /urgent/i then tag subj-i\n"
	    "rule \"8\" when subject contains \"order a1001\" then tag contains\n"
	    "rule \"9\" when subject == \"order a1001 broken - urgent\" then tag eq\n"
	    "rule \"10\" when subject == \"order a1001\" then tag NO-eq-part\n"
	    "rule \"11\" when body ~ /kaputt/ then tag NO-body\n"
	    "rule \"12\" when fullbody ~ /kaputt/ then tag fullbody\n"
	    "rule \"13\" when header \"x-custom\" ~ /^second$/ then tag hdr-any\n"
	    "rule \"14\" when header \"X-Custom\" == first then tag hdr-eq\n"
	    "rule \"15\" when header \"X-Missing\" exists then tag NO-exists\n"
	    "rule \"16\" when not header \"X-Missing\" exists then tag not-exists\n"
	    "rule \"17\" when attachment.name ~ /\\.pdf$/ then tag att-name\n"
	    "rule \"18\" when attachment.type == \"application/pdf\" then tag att-type\n"
	    "rule \"19\" when size > 100 then tag size-gt\n"
	    "rule \"20\" when size < 10 then tag NO-size-lt\n"
	    "rule \"21\" when size == %" G_GSIZE_FORMAT " then tag size-eq\n"
	    "rule \"22\" when channel == email then tag email\n"
	    "rule \"23\" when channel == sms then tag NO-sms\n"
	    "rule \"24\" when customer == known then tag known\n"
	    "rule \"25\" when customer.tag == VIP then tag vip\n"
	    "rule \"26\" when customer.tag exists then tag tagged\n"
	    "rule \"27\" when (subject ~ /nope/ or from ~ /alice/) and not cc exists then tag NO-paren\n"
	    "rule \"28\" when not (subject ~ /nope/ or channel == sms) then tag not-paren\n"
	    "rule \"29\" when channel == email or channel == sms and customer == unknown then tag and-binds-tighter\n"
	    "rule \"30\" when fullbody ~ /^> quoted/m then tag flag-m\n"
	    "rule \"31\" when fullbody ~ /^> quoted/ then tag NO-flag-m\n"
	    "rule \"32\" when fullbody ~ /hello.*kaputt/is then tag flag-s\n"
	    "rule \"33\" when fullbody ~ /hello.*kaputt/i then tag NO-flag-s\n"
	    "rule \"34\" when subject ~ / order \\s a1001 # the order\n/xi then tag NO-x-newline\n",
	    m->raw_size);
	/* rule 34 is wrong on purpose (a regex cannot span lines): check, then drop it */
	char *err = load_err(rules);
	g_assert_true(g_str_has_prefix(err, "t.rules:34:"));
	g_free(err);
	*strstr(rules, "rule \"34\"") = '\0';
	char *more = g_strconcat(rules,
	                         "rule \"34\" when subject ~ / order \\s a1001 /xi then tag flag-x\n"
	                         "rule \"35\" when header \"Subject\" exists then tag subject-header\n"
	                         "rule \"36\" when to exists and cc exists and attachment.name exists then tag exists\n",
	                         NULL);
	cd_ruleset *rs = load_ok(more);
	static const char *const tags[] = {"gold", "vip", NULL};
	who w = {"email", "known", tags};
	char *got = tags_of(rs, m, &w);
	g_assert_cmpstr(got, ==,
	                "and-binds-tighter,att-name,att-type,cc,contains,email,eq,exists,flag-m,flag-s,flag-x,from-eq,from-re,"
	                "fullbody,hdr-any,hdr-eq,known,not-exists,not-paren,size-eq,size-gt,subj-i,subject-header,tagged,"
	                "to-any,vip");
	g_free(got);
	cd_ruleset_unref(rs);
	g_free(more);
	g_free(rules);
	cd_message_free(m);

	/* u: \w and \b know non-ASCII letters */
	rs = load_ok("rule \"ascii\" when subject ~ /\\bckgabe/ then tag ascii\n"
	             "rule \"unicode\" when subject ~ /\\bckgabe/u then tag NO-unicode\n"
	             "rule \"caseless\" when subject ~ /RÜCKGABE/i then tag caseless-utf8\n");
	m = msg_new("a@example.org", "Rückgabe", "x");
	got = tags_of(rs, m, &EMAIL_KNOWN);
	g_assert_cmpstr(got, ==, "ascii,caseless-utf8");
	g_free(got);
	cd_message_free(m);
	cd_ruleset_unref(rs);

	/* a field without a value matches nothing, so `not` holds */
	rs = load_ok("rule \"a\" when subject ~ /.*/ then tag NO-subject\n"
	             "rule \"b\" when not subject ~ /x/ then tag not-subject\n"
	             "rule \"c\" when customer == unknown then tag NO-customer\n"
	             "rule \"d\" when not customer exists then tag no-customer\n");
	m = cd_message_new();
	cd_rule_input in = {.msg = m};
	cd_rule_decision d;
	cd_rule_decision_init(&d);
	cd_rules_evaluate(rs, &in, &d, NULL);
	g_assert_cmpuint(d.tags->len, ==, 2);
	g_assert_true(has(d.tags, "not-subject") && has(d.tags, "no-customer"));
	cd_rule_decision_clear(&d);
	cd_rule_decision_clear(&d); /* twice is safe */
	/* and no message at all */
	in.msg = NULL;
	cd_rule_decision_init(&d);
	cd_rules_evaluate(rs, &in, &d, NULL);
	g_assert_cmpuint(d.tags->len, ==, 2);
	cd_rule_decision_clear(&d);
	cd_message_free(m);
	cd_ruleset_unref(rs);
}

/* ---- actions, order, stop ---- */

static void
test_actions(void)
{
	cd_ruleset *rs = load_ok("rule \"everything\"\n"
	                         "  when subject ~ /order/i\n"
	                         "  then type rma\n"
	                         "       queue returns\n"
	                         "       priority high\n"
	                         "       tag return\n"
	                         "       assign ana\n"
	                         "       capture order = subject ~ /order\\s*#?\\s*(?<order>[A-Z0-9-]{4,})/i\n"
	                         "       capture serial = body ~ /serial:\\s*(?<serial>\\S+)/\n"
	                         "       reply \"rma-received\"\n"
	                         "       notify returns\n"
	                         "       sms \"rma-received\"\n"
	                         "       reject \"5.7.1 we do not take returns by mail\"\n"
	                         "       drop\n"
	                         "rule \"second: first values win, lists collect once\"\n"
	                         "  then type spam\n"
	                         "       queue other\n"
	                         "       priority low\n"
	                         "       assign bob\n"
	                         "       tag return\n"
	                         "       tag second\n"
	                         "       capture order = body ~ /(?<order>\\d+)/\n"
	                         "       capture reason = body ~ /(?<reason>broken)/\n"
	                         "       reply \"rma-received\"\n"
	                         "       reply \"other\"\n"
	                         "       notify ana\n"
	                         "       reject \"second\"\n");
	cd_message *m = msg_new("a@example.org", "Return of order #A1001", "The screen is broken, serial: SN-77 and 12345");
	cd_rule_decision d;
	char *got = run_full(rs, m, &EMAIL_KNOWN, &d, NULL);
	g_assert_cmpstr(got, ==,
	                "type=rma queue=returns priority=high assign=ana reject=5.7.1 we do not take returns by mail drop=1 "
	                "tags=[return,second] captures=[order:A1001,reason:broken,serial:SN-77] "
	                "replies=[rma-received,other] notifies=[returns,ana] sms=[rma-received] "
	                "matched=[t.rules:1 everything,t.rules:15 second: first values win, lists collect once] limits=[] ");
	g_free(got);
	cd_rule_decision_clear(&d);
	cd_message_free(m);
	cd_ruleset_unref(rs);
}

static void
test_order_and_stop(void)
{
	char *dir = tu_tempdir();
	write_file(dir, "20-second.rules", "rule \"b1\" then tag b1\n"
	                                   "rule \"b2 stops\" when subject ~ /stop/ then tag b2\n  stop\n"
	                                   "rule \"b3\" then tag b3\n");
	write_file(dir, "10-first.rules", "rule \"a1\" then tag a1\nrule \"a2\" when subject ~ /never/ then tag a2\n");
	write_file(dir, "30-third.rules", "rule \"c1\" then tag c1\n");
	write_file(dir, "README.md", "not rules\n");
	write_file(dir, ".20-editor-temp.rules", "this would not parse\n");
	write_file(dir, "40-old.rules~", "neither would this\n");
	GError *e = NULL;
	cd_ruleset *rs = cd_rules_load(dir, &e);
	g_assert_no_error(e);
	g_assert_cmpuint(cd_ruleset_count(rs), ==, 6);

	cd_message *m = msg_new("a@example.org", "please stop here", "x");
	cd_rule_decision d;
	GString *trace = g_string_new(NULL);
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, trace));
	g_assert_cmpuint(d.tags->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(d.tags, 0), ==, "a1");
	g_assert_cmpstr(g_ptr_array_index(d.tags, 1), ==, "b1");
	g_assert_cmpstr(g_ptr_array_index(d.tags, 2), ==, "b2");
	g_assert_cmpuint(d.matched->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(d.matched, 0), ==, "10-first.rules:1 a1");
	g_assert_cmpstr(g_ptr_array_index(d.matched, 2), ==, "20-second.rules:2 b2 stops");
	g_assert_nonnull(strstr(trace->str, "stopped by 20-second.rules:2 rule \"b2 stops\": 2 later rules not evaluated\n"));
	cd_rule_decision_clear(&d);
	cd_message_free(m);

	m = msg_new("a@example.org", "go on", "x");
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, NULL));
	g_assert_cmpuint(d.tags->len, ==, 4); /* a1 b1 b3 c1 */
	g_assert_cmpstr(g_ptr_array_index(d.tags, 3), ==, "c1");
	cd_rule_decision_clear(&d);
	cd_message_free(m);
	g_string_free(trace, TRUE);
	cd_ruleset_unref(rs);
	g_free(dir);
}

/* Multi-valued fields, captures from them, and SMS input. */
static void
test_captures_and_values(void)
{
	cd_ruleset *rs = load_ok(
	    "rule \"from a header\"\n"
	    "  when header \"X-Order\" exists\n"
	    "  then capture order = header \"X-Order\" ~ /^#?(?<order>A\\d+)$/\n"
	    "       capture missing = header \"X-Order\" ~ /(?<other>A)/\n"
	    "       capture optional = subject ~ /(x)?(?<optional>y)?z/\n"
	    "rule \"sms\" when channel == sms and body ~ /^\\s*RMA\\s/i\n"
	    "  then capture code = body ~ /RMA\\s+(?<code>\\S+)/i\n"
	    "       sms \"rma-received\"\n");
	cd_message *m = msg_new("a@example.org", "z", "x");
	msg_header(m, "X-Order", "nothing here");
	msg_header(m, "x-order", "#A1001");
	msg_header(m, "X-Order", "A2002");
	cd_rule_decision d;
	GString *trace = g_string_new(NULL);
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, trace));
	g_assert_cmpstr(g_hash_table_lookup(d.captures, "order"), ==, "A1001"); /* the first value that matches */
	g_assert_false(g_hash_table_contains(d.captures, "missing"));
	g_assert_false(g_hash_table_contains(d.captures, "optional")); /* the group did not take part */
	g_assert_nonnull(strstr(trace->str, "-> capture missing = header \"X-Order\" ~ /(?<other>A)/: nothing (the pattern "
	                                    "has no group (?<missing>...))\n"));
	cd_rule_decision_clear(&d);
	cd_message_free(m);

	cd_message *sms = cd_message_new();
	sms->from.addr = g_strdup("+4915112345678");
	sms->text = g_strdup(" rma A1001 screen broken");
	sms->reply_text = g_strdup(sms->text);
	who w = {"sms", "unknown", NULL};
	g_free(run_full(rs, sms, &w, &d, NULL));
	g_assert_cmpstr(g_hash_table_lookup(d.captures, "code"), ==, "A1001");
	g_assert_cmpuint(d.sms->len, ==, 1);
	cd_rule_decision_clear(&d);
	cd_message_free(sms);
	g_string_free(trace, TRUE);
	cd_ruleset_unref(rs);
}

static void
test_trace(void)
{
	cd_ruleset *rs = load_ok("rule \"RMA request by subject\"\n"
	                         "  when subject ~ /\\b(rma|return|defect(ive)?|broken)\\b/i\n"
	                         "   and not header \"Auto-Submitted\" ~ /auto-/\n"
	                         "  then type rma\n"
	                         "       capture order = subject ~ /order\\s*#?\\s*(?<order>[A-Z0-9-]{4,})/i\n"
	                         "       reply \"rma-received\"\n"
	                         "       stop\n"
	                         "rule \"never\" when subject ~ /invoice/ then tag x\n");
	cd_message *m = msg_new("a@example.org", "I want to return order #A1001, the screen is broken", "x");
	GString *t = g_string_new(NULL);
	cd_rule_decision d;
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, t));
	g_assert_cmpstr(t->str, ==,
	                "t.rules:1 rule \"RMA request by subject\": MATCHED\n"
	                "    held  subject ~ /\\b(rma|return|defect(ive)?|broken)\\b/i  \"I want to «return» order #A1001, "
	                "the screen is broken\"\n"
	                "    held  not header \"Auto-Submitted\" ~ /auto-/  (no value)\n"
	                "    -> type rma\n"
	                "    -> capture order = subject ~ /order\\s*#?\\s*(?<order>[A-Z0-9-]{4,})/i: \"A1001\"\n"
	                "    -> reply \"rma-received\"\n"
	                "    -> stop\n"
	                "stopped by t.rules:1 rule \"RMA request by subject\": 1 later rule not evaluated\n");
	cd_rule_decision_clear(&d);
	cd_message_free(m);

	m = msg_new("a@example.org", "Hello there, a long subject that goes on and on and on about nothing much at all really",
	            "x");
	g_string_truncate(t, 0);
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, t));
	g_assert_cmpstr(t->str, ==,
	                "t.rules:1 rule \"RMA request by subject\": no\n"
	                "    no    subject ~ /\\b(rma|return|defect(ive)?|broken)\\b/i  (not run: none of \"rma\", "
	                "\"return\", \"defect\", \"broken\" occurs) in \"Hello there, a long subject that goes on and on and on "
	                "about nothing much at all really\"\n"
	                "t.rules:8 rule \"never\": no\n"
	                "    no    subject ~ /invoice/  (not run: \"invoice\" does not occur) in \"Hello there, a long subject that "
	                "goes on and on and on about nothing much at all really\"\n");
	cd_rule_decision_clear(&d);
	cd_message_free(m);
	cd_ruleset_unref(rs);

	/* without the prefilter the pattern runs and the trace shows the value */
	rs = load_ok_flags("rule \"never\" when subject ~ /invoice/ then tag x\n", CD_RULES_NO_PREFILTER);
	m = msg_new("a@example.org", "Line one\nline two", "x");
	g_string_truncate(t, 0);
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, t));
	g_assert_cmpstr(t->str, ==,
	                "t.rules:1 rule \"never\": no\n"
	                "    no    subject ~ /invoice/  in \"Line one line two\"\n");
	cd_rule_decision_clear(&d);
	cd_message_free(m);
	cd_ruleset_unref(rs);
	g_string_free(t, TRUE);
}

/* ---- PCRE2 limits ---- */

static void
limits_with(cd_rules_flags flags)
{
	cd_ruleset *rs = load_ok_flags("rule \"before\" then tag before\n"
	                               "rule \"runaway\" when body ~ /(a+)+$/ then tag runaway\n"
	                               "rule \"negated runaway\" when not body ~ /(a+)+$/ then tag negated\n"
	                               "rule \"capture runaway\" when subject exists\n"
	                               "  then capture x = body ~ /(?<x>(a|aa)+)$/\n"
	                               "       tag capture\n"
	                               "rule \"after\" then tag after\n",
	                               flags);
	GString *body = g_string_new(NULL);
	for (int i = 0; i < 50000; i++)
		g_string_append_c(body, 'a');
	g_string_append_c(body, '!');
	cd_message *m = msg_new("a@example.org", "s", body->str);
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*t.rules:2 runaway: pattern /(a+)+$/ hit the PCRE2 * limit*");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*t.rules:3 negated runaway: pattern /(a+)+$/ hit the PCRE2*");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*t.rules:4 capture runaway: pattern /(?<x>(a|aa)+)$/ hit*");
	gint64 t0 = g_get_monotonic_time();
	cd_rule_decision d;
	GString *trace = g_string_new(NULL);
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, trace));
	gint64 took = g_get_monotonic_time() - t0;
	g_test_assert_expected_messages();
	g_assert_cmpuint(d.tags->len, ==, 2);
	g_assert_true(has(d.tags, "before") && has(d.tags, "after"));
	g_assert_cmpuint(d.limit_hits->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(d.limit_hits, 0), ==, "t.rules:2 runaway");
	g_assert_cmpuint(d.matched->len, ==, 2);
	g_assert_nonnull(strstr(trace->str, "t.rules:2 rule \"runaway\": not matching (PCRE2 limit)\n"));
	g_assert_cmpint(took, <, 5 * G_USEC_PER_SEC * tu_time_scale()); /* milliseconds in a normal build */
	cd_rule_decision_clear(&d);
	/* logged once per pattern: the second message is quiet but still listed */
	g_free(run_full(rs, m, &EMAIL_KNOWN, &d, NULL));
	g_assert_cmpuint(d.limit_hits->len, ==, 3);
	cd_rule_decision_clear(&d);
	/* an ordinary long body is no limit: linear work on 1 MB passes */
	cd_ruleset *plain =
	    load_ok_flags("rule \"scan\" when body ~ /x.*y|(?:foo\\s+){3}bar|\\bfo+\\s+[a-z]+r\\b/s then tag scan\n", flags);
	GString *big = g_string_new(NULL);
	for (int i = 0; i < 100000; i++)
		g_string_append(big, "foo  foo ");
	g_string_append(big, "bar");
	cd_message *bm = msg_new("a@example.org", "s", big->str);
	g_free(run_full(plain, bm, &EMAIL_KNOWN, &d, NULL));
	g_assert_cmpuint(d.limit_hits->len, ==, 0);
	g_assert_true(has(d.tags, "scan"));
	cd_rule_decision_clear(&d);
	cd_message_free(bm);
	g_string_free(big, TRUE);
	cd_ruleset_unref(plain);
	g_string_free(trace, TRUE);
	g_string_free(body, TRUE);
	cd_message_free(m);
	cd_ruleset_unref(rs);
}

static void
test_limits_jit(void)
{
	limits_with(0);
}

static void
test_limits_interpreter(void)
{
	limits_with(CD_RULES_NO_JIT);
}

/* ---- reloading ---- */

static void
test_reload_keeps_old_set_on_error(void)
{
	char *dir = tu_tempdir();
	cd_ruleset *empty = cd_rules_current(dir);
	g_assert_nonnull(empty);
	g_assert_cmpuint(cd_ruleset_count(empty), ==, 0);

	write_file(dir, "10-a.rules", "rule \"a\" then tag a\n");
	cd_rules_invalidate(); /* what the SIGHUP handler does */
	cd_ruleset *one = cd_rules_current(dir);
	g_assert_cmpuint(cd_ruleset_count(one), ==, 1);
	g_assert_cmpuint(cd_ruleset_count(empty), ==, 0); /* a message in flight keeps its set */
	cd_ruleset_unref(empty);

	write_file(dir, "20-b.rules", "rule \"b\" then tag b\nrule \"broken\" then type nonsense\n");
	cd_rules_invalidate();
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING,
	                      "rules in * not loaded (the previous rules stay in force):\n20-b.rules:2:25: expected ticket, "
	                      "rma, activation or spam after type, got 'nonsense'");
	cd_ruleset *still = cd_rules_current(dir);
	g_test_assert_expected_messages();
	g_assert_true(still == one);
	cd_ruleset_unref(still);
	/* the same broken listing is not retried (or logged) again */
	cd_ruleset *again = cd_rules_current(dir);
	g_assert_true(again == one);
	cd_ruleset_unref(again);

	/* fixed: noticed by the listing (name, size, mtime), at most once a second, without a signal */
	write_file(dir, "20-b.rules", "rule \"b\" then tag b\nrule \"fixed\" then type ticket\n");
	g_usleep(1100 * 1000);
	cd_ruleset *three = cd_rules_current(dir);
	g_assert_cmpuint(cd_ruleset_count(three), ==, 3);
	/* a removed file too */
	char *p = g_build_filename(dir, "10-a.rules", NULL);
	g_unlink(p);
	g_free(p);
	cd_rules_invalidate();
	cd_ruleset *two = cd_rules_current(dir);
	g_assert_cmpuint(cd_ruleset_count(two), ==, 2);
	g_assert_cmpuint(cd_ruleset_count(three), ==, 3);
	g_assert_cmpuint(cd_ruleset_count(one), ==, 1);
	cd_ruleset_unref(one);
	cd_ruleset_unref(two);
	cd_ruleset_unref(three);

	/* a folder whose first load fails has no set */
	char *bad = tu_tempdir();
	write_file(bad, "x.rules", "nonsense\n");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "rules in * not loaded:\nx.rules:1:1: expected rule, got 'nonsense'");
	g_assert_null(cd_rules_current(bad));
	g_test_assert_expected_messages();
	g_free(bad);
	g_free(dir);
}

/* ---- lint ---- */

static void
test_lint(void)
{
	char *dir = tu_tempdir();
	char *email = g_build_filename(dir, "email", NULL);
	g_mkdir_with_parents(email, 0755);
	write_file(email, "rma-received.txt", "x");
	write_file(email, "rma-received.subject", "x");
	write_file(email, "ack", "no extension: not a template");
	cd_ruleset *rs = load_ok("rule \"ok\" when subject exists then reply \"rma-received\"\n"
	                         "rule \"unknown templates\" then reply ack\n"
	                         "  sms \"rma-received\"\n"
	                         "rule \"no group\" then capture order = subject ~ /order (\\d+)/\n"
	                         "rule \"catch-all\" then tag all\n  stop\n"
	                         "rule \"dead\" when subject exists then tag dead\n");
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	g_assert_false(cd_rules_lint(rs, dir, problems));
	g_assert_cmpuint(problems->len, ==, 4);
	char *exp0 = g_strdup_printf("t.rules:2:31: reply \"ack\": no such template (no %s/email/ack.* or %s/sms/ack.*)", dir,
	                             dir);
	g_assert_cmpstr(g_ptr_array_index(problems, 0), ==, exp0);
	char *exp1 = g_strdup_printf("t.rules:3:3: sms \"rma-received\": no such template (no %s/sms/rma-received.*)", dir);
	g_assert_cmpstr(g_ptr_array_index(problems, 1), ==, exp1);
	g_assert_cmpstr(g_ptr_array_index(problems, 2), ==,
	                "t.rules:4:48: capture order: the pattern /order (\\d+)/ has no group (?<order>...), so it never "
	                "captures anything");
	g_assert_cmpstr(g_ptr_array_index(problems, 3), ==,
	                "t.rules:7:1: rule \"dead\" can never run: rule \"catch-all\" at t.rules:5 has no conditions and stops");
	g_free(exp0);
	g_free(exp1);
	/* without a templates folder, templates are not checked */
	g_ptr_array_set_size(problems, 0);
	g_assert_false(cd_rules_lint(rs, NULL, problems));
	g_assert_cmpuint(problems->len, ==, 2);
	g_ptr_array_unref(problems);
	cd_ruleset_unref(rs);
	g_free(email);
	g_free(dir);
}

/* ---- the shipped filters/ ---- */

static char *
src_path(const char *rel)
{
	const char *src = g_getenv("CAREDESK_SRC");
	return g_build_filename(src ? src : ".", rel, NULL);
}

static cd_ruleset *
shipped(cd_rules_flags flags)
{
	char *dir = src_path("filters");
	GError *e = NULL;
	cd_ruleset *rs = cd_rules_load_flags(dir, flags, &e);
	g_assert_no_error(e);
	g_free(dir);
	return rs;
}

typedef struct {
	const char *subject, *body;
	const char *header;  /* "Name: value" or NULL */
	const char *channel, *customer, *tag;
	const char *expect;  /* substrings of the decision text, '|' separated */
} shipped_case;

static const shipped_case shipped_cases[] = {
	{"Return", "I want to return order #A1001, the screen is broken", NULL, "email", "known", NULL,
	 "type=rma queue=returns |captures=[order:A1001,reason:I want to return order #A1001, the screen is broken]"
	 "|replies=[] notifies=[] sms=[]"},
	{"Display", "Ich möchte die Bestellung A1001 zurückgeben, das Display ist kaputt.", NULL, "email", "known", NULL,
	 "type=rma |order:A1001,reason:Ich möchte die Bestellung A1001 zurückgeben, das Display ist kaputt]"},
	{"Écran", "Bonjour, je voudrais retourner la commande n° A1001 : l'écran est cassé.", NULL, "email", "known", NULL,
	 "type=rma |order:A1001"},
	{"Pantalla", "Quiero devolver el pedido A1001, la pantalla está rota.", NULL, "email", "known", NULL,
	 "type=rma |order:A1001,reason:Quiero devolver el pedido A1001, la pantalla está rota]"},
	{"RMA for order A1002", "The device stopped working. Serial number: SN-4711-X", NULL, "email", "known", NULL,
	 "type=rma |order:A1002,reason:The device stopped working,serial:SN-4711-X]"},
	{"Hello", "Where is my parcel?", NULL, "email", "known", NULL, "type=(null) queue=(null) priority=(null)|matched=[]"},
	{"Out of office", "I am away until Monday. I will return then.", "Auto-Submitted: auto-replied", "email", "known",
	 NULL, "type=(null) |tags=[auto-reply]|replies=[] |matched=[00-loops.rules:14 "},
	{"Abwesenheitsnotiz", "Ich bin nicht im Büro.", NULL, "email", "known", NULL, "tags=[auto-reply]"},
	{"Undelivered Mail Returned to Sender", "refund", NULL, "email", "unknown", NULL, "type=(null) |tags=[bounce]"},
	{"Newsletter", "Our broken prices!", "List-Id: <news.example.org>", "email", "unknown", NULL,
	 "type=(null) |tags=[bulk]|replies=[]"},
	{"Refund now", "refund", "X-Spam-Flag: YES", "email", "unknown", NULL, "type=spam queue=spam |tags=[spam]|replies=[]"},
	{"You have WON the lottery", "claim", NULL, "email", "unknown", NULL, "type=spam |tags=[spam]"},
	{"You have won", "known customers are not judged by subject", NULL, "email", "known", NULL, "type=(null) "},
	{"URGENT: printer down", "help", NULL, "email", "known", NULL, "priority=urgent "},
	{"Nicht dringend", "eine Frage", NULL, "email", "known", NULL, "priority=(null) "},
	{"Frage", "Es ist dringend, bitte", NULL, "email", "known", NULL, "priority=high "},
	{"Question", "no rush, this is not urgent", NULL, "email", "known", NULL, "priority=(null) "},
	{"Question", "hello", NULL, "email", "known", "vip", "queue=vip priority=high |notifies=[vip]"},
	{"Urgente", "hola", NULL, "email", "known", "vip", "queue=vip priority=urgent "},
	{"Broken", "order A1003 is broken", NULL, "email", "known", "vip", "type=rma queue=returns priority=high "},
	{"Your activation code", "Here it is: 123-456", NULL, "email", "known", NULL,
	 "type=activation |captures=[code:123-456]"},
	{NULL, "123 456", NULL, "sms", "known", NULL, "type=activation |captures=[code:123 456]"},
	{NULL, "Code: 123456", NULL, "sms", "known", NULL, "type=activation |captures=[code:123456]"},
	{NULL, "RMA A1001 screen broken", NULL, "sms", "known", NULL,
	 "type=rma queue=returns |captures=[order:A1001,reason:screen broken]|sms=[] "},
	{"Return", "I return this, it is broken", NULL, "email", "agent", NULL, "type=(null) "},
	{NULL, "RMA A1001 display broken", NULL, "sms", "known", "vip",
	 "type=rma queue=returns priority=high |replies=[] notifies=[vip] sms=[] "},
	{NULL, "I want to return order A1001", NULL, "sms", "known", NULL, "type=(null) "},
};

static void
test_shipped_filters(void)
{
	cd_ruleset *rs = shipped(0);
	g_assert_cmpuint(cd_ruleset_count(rs), >=, 10);
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	gboolean clean = cd_rules_lint(rs, NULL, problems);
	for (guint i = 0; i < problems->len; i++)
		g_printerr("lint: %s\n", (char *)g_ptr_array_index(problems, i));
	g_assert_true(clean);
	g_ptr_array_unref(problems);
	g_assert_false(cd_ruleset_has_reject(rs));

	for (gsize i = 0; i < G_N_ELEMENTS(shipped_cases); i++) {
		const shipped_case *c = &shipped_cases[i];
		cd_message *m = msg_new(strcmp(c->channel, "sms") == 0 ? "+4915112345678" : "customer@example.org", c->subject,
		                        c->body);
		if (c->header) {
			char **kv = g_strsplit(c->header, ": ", 2);
			msg_header(m, kv[0], kv[1]);
			g_strfreev(kv);
		}
		const char *tags[] = {c->tag, NULL};
		who w = {c->channel, c->customer, c->tag ? tags : NULL};
		GString *trace = g_string_new(NULL);
		char *got = run_full(rs, m, &w, NULL, trace);
		char **parts = g_strsplit(c->expect, "|", -1);
		for (char **p = parts; *p; p++)
			if (strstr(got, *p) == NULL)
				g_error("shipped case %" G_GSIZE_FORMAT " (%s / %s): '%s' not in\n%s\n%s", i, c->subject, c->body, *p,
				        got, trace->str);
		g_strfreev(parts);
		g_free(got);
		g_string_free(trace, TRUE);
		cd_message_free(m);
	}

	/* a long mail: the patterns (the reason capture above all) stay far from the limits */
	GString *body = g_string_new(NULL);
	GRand *r = g_rand_new_with_seed(3);
	static const char *const words[] = {"printer", "error", "the", "delivery", "since", "yesterday", "please",
	                                    "help", "restart", "firmware", "cable", "display"};
	while (body->len < 200000)
		g_string_append_printf(body, "%s%s", words[g_rand_int_range(r, 0, G_N_ELEMENTS(words))],
		                       g_rand_int_range(r, 0, 12) ? " " : g_rand_boolean(r) ? ", " : "\n");
	g_string_append(body, "and now the screen is broken, order A1001.");
	cd_message *m = msg_new("customer@example.org", "Help", body->str);
	gint64 t0 = g_get_monotonic_time();
	char *got = run_full(rs, m, &EMAIL_KNOWN, NULL, NULL);
	g_test_message("200 KB mail through the shipped rules: %" G_GINT64_FORMAT " us", g_get_monotonic_time() - t0);
	g_assert_nonnull(strstr(got, "type=rma "));
	g_assert_nonnull(strstr(got, "order:A1001"));
	if (strstr(got, "broken, order A1001]") == NULL)
		g_error("reason: %s", got);
	g_assert_nonnull(strstr(got, "limits=[] "));
	g_free(got);
	cd_message_free(m);
	g_rand_free(r);
	g_string_free(body, TRUE);
	cd_ruleset_unref(rs);
}

/* The demo mail through the shipped rules, parsed for real. */
static void
test_shipped_on_demo_mail(void)
{
	cd_ruleset *rs = shipped(0);
	static const struct {
		const char *file, *expect;
	} cases[] = {
		{"demo/mail/01-new-request.eml", "type=(null) "},
		{"demo/mail/03-html-only.eml", "type=rma queue=returns |order:A1002"},
		{"demo/mail/04-non-utf8.eml", "type=rma |order:A1003"},
		{"demo/mail/05-out-of-office.eml", "tags=[auto-reply]"},
		{"demo/mail/06-bounce.eml", "tags=[bounce]"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		GBytes *b = tu_src_file(cases[i].file);
		cd_message *m = tu_parse(b);
		char *got = run_full(rs, m, &EMAIL_KNOWN, NULL, NULL);
		char **parts = g_strsplit(cases[i].expect, "|", -1);
		for (char **p = parts; *p; p++)
			if (strstr(got, *p) == NULL)
				g_error("%s: '%s' not in %s", cases[i].file, *p, got);
		g_strfreev(parts);
		g_free(got);
		cd_message_free(m);
		g_bytes_unref(b);
	}
	cd_ruleset_unref(rs);
}

/* ---- the prefilter ---- */

/* literals_text - "a,b & c + 3 digits, starts a|b(+4)": the required literal sets (each any-of,
 * all of them required), the digit run, and the literals a match starts with (+slack) */
static char *
literals_text(rp_requirements *r)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; r->sets && i < r->sets->len; i++) {
		char *one = g_strjoinv(",", g_ptr_array_index(r->sets, i));
		g_string_append_printf(s, "%s%s", i ? " & " : "", one);
		g_free(one);
	}
	if (s->len == 0)
		g_string_append(s, "-");
	if (r->digits)
		g_string_append_printf(s, " + %u digits", r->digits);
	for (guint i = 0; r->lead && r->lead[i]; i++) {
		g_string_append_printf(s, "%s%s", i ? "|" : ", starts ", r->lead[i]);
		if (r->lead_slack[i])
			g_string_append_printf(s, "(+%u)", r->lead_slack[i]);
	}
	rp_requirements_clear(r);
	return g_string_free(s, FALSE);
}

static char *
literals_of(const char *text, rx_text_kind kind, const char *flags)
{
	rp_requirements r;
	rp_requirements_of(text, kind, flags, &r);
	return literals_text(&r);
}

static void
check_literals(const char *re, const char *flags, const char *expect)
{
	char *got = literals_of(re, RX_TEXT_REGEX, flags);
	if (strcmp(got, expect) != 0)
		g_error("literals of /%s/%s: got %s, expected %s", re, flags, got, expect);
	g_free(got);
}

static void
test_prefilter_literals(void)
{
	check_literals("\\b(rma|return|defect(ive)?|broken)\\b", "i", "rma,return,defect,broken, starts rma|return|defect|broken");
	check_literals("\\b(rma|return|defect(ive)?|broken)\\b", "", "rma,return,defect,broken, starts rma|return|defect|broken");
	check_literals("order\\s*#?\\s*(?<order>[A-Z0-9-]{4,})", "i", "order, starts order");
	check_literals("colou?r", "", "colour,color, starts colour|color");
	check_literals("foo.*bar", "", "foo & bar, starts foo");          /* both must occur */
	check_literals("foo.*barbaz", "", "barbaz & foo, starts foo");    /* the most selective first */
	check_literals("\\btoner\\s+(still|modem)\\b", "i", "toner & still,modem, starts toner");
	check_literals("(foo.*bar|baz)", "", "foo,baz, starts foo|baz");      /* an alternative keeps one set per branch */
	check_literals("abc|d", "", "-");
	check_literals("(?i)Straße", "", "straße, starts straße"); /* searched as s/ſ and ß/ẞ: 4 forms */
	check_literals("Straße", "", "straße, starts straße");
	check_literals("a+b+", "", "-");
	check_literals("x{3}yz", "", "xxxyz, starts xxxyz");
	check_literals("ab{2,}c", "", "abb, starts abb");
	check_literals("\\Qa.b\\E+c", "", "a.b, starts a.b");
	check_literals("(?=foo)bar", "", "bar, starts bar");
	check_literals("(?!foo)bar", "", "bar, starts bar");
	check_literals("(?<=foo)bar", "", "bar, starts bar");
	check_literals("\\x41BC", "", "abc, starts abc");
	check_literals("\\x{263a}x", "", "☺x, starts ☺x");
	check_literals(" a b c # comment\n d", "x", "abcd, starts abcd");
	check_literals("a(?#comment)bc", "", "abc, starts abc");
	check_literals("(?x) a b", "", "-");
	check_literals("[ab]cd", "", "acd,bcd, starts acd|bcd");
	check_literals("[a-z]cd", "", "cd");
	check_literals("[^a]cd", "", "cd");
	check_literals("[]a]cd", "", "]cd,acd, starts ]cd|acd");
	check_literals("(a|b)cde", "", "acde,bcde, starts acde|bcde");
	check_literals("\\d{5}", "", "- + 5 digits");
	check_literals("(?<name>abc)\\k<name>", "", "abc, starts abc");
	check_literals("ab(*SKIP)cd", "", "-");
	check_literals("\\p{Lu}abc", "", "abc");
	check_literals("(?i:KIT)tens", "", "kittens, starts kittens");
	/* more than 16 forms (5 times s or ſ): the longest piece with at most 16 */
	check_literals("mississippis", "i", "mississippi, starts mississippi");
	check_literals("xsssssyz", "i", "ssssyz, starts ssssyz(+8)");
	check_literals("(?-i)ok", "i", "ok, starts ok");  /* caseless somewhere: searched as ok and oK */
	check_literals("^$", "", "-");
	check_literals("", "", "-");
	check_literals("a\\.b\\/c", "", "a.b/c, starts a.b/c");
	check_literals("(?:ab|cd)(?:ef|gh)", "", "abef,abgh,cdef,cdgh, starts abef|abgh|cdef|cdgh");
	check_literals("x*", "", "-");
	check_literals("(abc)?def", "", "def, starts abcdef|def");
	check_literals("(abc|)def", "", "def, starts abcdef|def");
	check_literals("\\1(a)bc", "", "abc");
	check_literals("a{,3}bc", "", "-");
	check_literals("(?(1)ab|cd)", "", "-");
	/* runs of digits */
	check_literals("order\\s*#?\\s*[A-Z]\\d{3,}", "i", "order + 3 digits, starts order");
	check_literals("\\d{3}[ -]?\\d{3}", "", "- + 3 digits");
	check_literals("[0-9][0-9]\\d", "", "- + 3 digits");
	check_literals("\\d{6}", "u", "-");               /* with u, \\d is any Unicode digit */
	check_literals("(\\d\\d|\\d{4})x", "", "- + 2 digits");
	check_literals("\\d?\\d*", "", "-");
	check_literals("A1001", "", "a1001 + 4 digits, starts a1001");
	check_literals("(?:\\d{2}){3}", "", "- + 6 digits");
	check_literals("\\d{2}\\b\\d{2}", "", "- + 2 digits"); /* zero-width atoms end a run */

	char *l = literals_of("Hello World", RX_TEXT_CONTAINS, "");
	g_assert_cmpstr(l, ==, "hello world, starts hello world");
	g_free(l);
	l = literals_of("Kiss", RX_TEXT_CONTAINS, "");
	g_assert_cmpstr(l, ==, "kiss, starts kiss");
	g_free(l);
	l = literals_of("VIP", RX_TEXT_EQUALS, "");
	g_assert_cmpstr(l, ==, "vip");
	g_free(l);
	l = literals_of("order A1001", RX_TEXT_CONTAINS, "");
	g_assert_cmpstr(l, ==, "order a1001 + 4 digits, starts order a1001");
	g_free(l);
	l = literals_of("Ökonomie", RX_TEXT_CONTAINS, "");
	g_assert_cmpstr(l, ==, "Ökonomie, starts Ökonomie"); /* searched as Ö and ö, K and k */
	g_free(l);
}

/* The prefilter searches ASCII letters case-insensitively, and with a second automaton (for the
 * rare value that holds one) their non-ASCII forms: k and s must be the only ASCII letters that
 * caseless UTF-8 PCRE2 matches outside ASCII, and rx_caseless_set must say so. */
static void
test_prefilter_caseless_letters(void)
{
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	GString *found = g_string_new(NULL);
	for (char ch = 'a'; ch <= 'z'; ch++) {
		int err;
		PCRE2_SIZE off;
		PCRE2_UCHAR pat[2] = {(PCRE2_UCHAR)ch, 0};
		pcre2_code *c = pcre2_compile(pat, 1, PCRE2_UTF | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
		pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
		for (gunichar u = 0x80; u < 0x110000; u++) {
			if (u >= 0xD800 && u < 0xE000)
				continue;
			char buf[8];
			int n = g_unichar_to_utf8(u, buf);
			if (pcre2_match(c, (PCRE2_SPTR)buf, n, 0, 0, md, NULL) >= 0)
				g_string_append_printf(found, "%c:U+%04X ", ch, u);
		}
		pcre2_code_free(c);
	}
	g_assert_cmpstr(found->str, ==, "k:U+212A s:U+017F ");
	g_string_free(found, TRUE);
	pcre2_match_data_free(md);
	gunichar set[8];
	g_assert_cmpuint(rx_caseless_set('k', set, 8), ==, 3);
	g_assert_true(set[0] == 'K' && set[1] == 'k' && set[2] == 0x212A);
	g_assert_cmpuint(rx_caseless_set('s', set, 8), ==, 3);
	g_assert_true(set[0] == 'S' && set[1] == 's' && set[2] == 0x17F);
}

/* rx_caseless_set (what the prefilter searches a caseless literal's characters as) against
 * every code point matched one by one: characters with 1, 2, 3 and 4 members, some whose other
 * cases start with other UTF-8 bytes (Kelvin, Angstrom, Ohm, sharp s), Cherokee, Deseret. */
static void
test_prefilter_caseless_sets(void)
{
	static const gunichar chars[] = {'k', 's', 'a', '1', '-', 0xE9, 0xC9, 0xDF, 0xE5, 0x3C3, 0x3C2, 0x3B8, 0x3C9,
	                                 0xB5, 0x130, 0x131, 0x1C5, 0x1E60, 0x263A, 0x13A0, 0xAB70, 0x10400, 0x1E900};
	/* every code point once, as UTF-8, and where each starts */
	GString *all = g_string_new(NULL);
	for (gunichar u = 1; u < 0x110000; u++)
		if (u < 0xD800 || u >= 0xE000)
			g_string_append_unichar(all, u);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(chars); i++) {
		char lit[8];
		int n = g_unichar_to_utf8(chars[i], lit);
		int err;
		PCRE2_SIZE off;
		pcre2_code *c = pcre2_compile((PCRE2_SPTR)lit, n, PCRE2_UTF | PCRE2_CASELESS | PCRE2_LITERAL, &err, &off, NULL);
		g_assert_nonnull(c);
		g_assert_cmpint(pcre2_jit_compile(c, PCRE2_JIT_COMPLETE), ==, 0);
		GString *want = g_string_new(NULL), *got = g_string_new(NULL);
		for (PCRE2_SIZE at = 0; pcre2_jit_match(c, (PCRE2_SPTR)all->str, all->len, at, 0, md, NULL) > 0;) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			g_string_append_printf(want, "U+%04X ", g_utf8_get_char(all->str + ov[0]));
			at = ov[1];
		}
		gunichar set[16];
		guint k = rx_caseless_set(chars[i], set, 16);
		for (guint j = 0; j < k && j < 16; j++)
			g_string_append_printf(got, "U+%04X ", set[j]);
		if (strcmp(want->str, got->str) != 0)
			g_error("caseless set of U+%04X: PCRE2 matches %s, rx_caseless_set says %s", chars[i], want->str, got->str);
		g_string_free(want, TRUE);
		g_string_free(got, TRUE);
		pcre2_code_free(c);
	}
	pcre2_match_data_free(md);
	g_string_free(all, TRUE);
}

/* rp_scan (the automaton in all its forms, the exotic-form switch, long values cut in pieces
 * scanned side by side) against a plain search: for caseless literals PCRE2 finding the literal
 * caselessly, for the others ASCII-caseless equality; which literals occur, and the first and
 * last place each one starts. */
static void
test_prefilter_scan(void)
{
	static const char *const lits[] = {"kiss", "straße", "défectueux", "rückgabe", "ab", "ss", "k", "order a1",
	                                   "οφί" /* 12 forms: φ is also ϕ */, "ka", "Ökonomie", "xyz", "e\u0301", "garantía", "sk"};
	static const char *const pieces[] = {"kiss", "KISS", "\u212Aiss", "ki\u017F\u017F", "STRASSE", "Straße",
	                                     "STRAẞE", "défectueux", "DÉFECTUEUX", "Rückgabe", "RÜCKGABE", "ab", "AB",
	                                     "ss", "ſs", "k", "K", "\u212A", "order A1", "ORDER a1", "σοφία",
	                                     "ΣΟΦΊΑ", "σοφίας", "ka", "ökonomie", "ÖKONOMIE", "xyz", "e\u0301",
	                                     "garantía", "GARANTÍA", " ", "\n", "x", "é", "a", "1", "ǅ", "\xff"};
	GRand *r = g_rand_new_with_seed(4242);
	for (int round = 0; round < 3; round++) {
		/* round 0: all caseless; 1: none; 2: mixed */
		rp_slot slot = {0};
		slot.lits = g_ptr_array_new_with_free_func(g_free);
		slot.caseless = g_byte_array_new();
		slot.index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		for (gsize i = 0; i < G_N_ELEMENTS(lits); i++) {
			char *l = g_strcompress(lits[i]);
			char *low = g_ascii_strdown(l, -1);
			guint8 ci = round == 0 || (round == 2 && i % 2 == 0);
			g_ptr_array_add(slot.lits, low);
			g_byte_array_append(slot.caseless, &ci, 1);
			g_free(l);
		}
		guint n_bits = rp_build(&slot, 1);
		g_assert_cmpuint(n_bits, ==, G_N_ELEMENTS(lits));
		for (int t = 0; t < 300; t++) {
			GString *text = g_string_new(NULL);
			guint words = (guint)g_rand_int_range(r, 0, t % 3 == 0 ? 600 : 40);
			for (guint w = 0; w < words; w++) {
				char *p = g_strcompress(pieces[g_rand_int_range(r, 0, G_N_ELEMENTS(pieces))]);
				g_string_append(text, p);
				g_free(p);
			}
			guint32 bits[1] = {0}, first[G_N_ELEMENTS(lits)], last[G_N_ELEMENTS(lits)];
			rp_found found = {bits, first, last};
			rp_scan(&slot, text->str, text->len, &found);
			for (guint i = 0; i < slot.lits->len; i++) {
				const char *l = g_ptr_array_index(slot.lits, i);
				gsize n = strlen(l);
				gssize want_first = -1, want_last = -1;
				if (slot.caseless->data[i]) {
					int err;
					PCRE2_SIZE off;
					pcre2_code *c = pcre2_compile((PCRE2_SPTR)l, n, PCRE2_UTF | PCRE2_CASELESS | PCRE2_LITERAL |
					                              PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
					pcre2_match_data *md = pcre2_match_data_create(1, NULL);
					for (PCRE2_SIZE at = 0; at <= text->len &&
					     pcre2_match(c, (PCRE2_SPTR)text->str, text->len, at, 0, md, NULL) > 0;) {
						PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
						if (want_first < 0)
							want_first = (gssize)ov[0];
						want_last = (gssize)ov[0];
						at = ov[0] + 1;
						while (at < text->len && ((guchar)text->str[at] & 0xC0) == 0x80)
							at++;
					}
					pcre2_match_data_free(md);
					pcre2_code_free(c);
				} else {
					for (gsize at = 0; at + n <= text->len; at++)
						if (g_ascii_strncasecmp(text->str + at, l, n) == 0) {
							if (want_first < 0)
								want_first = (gssize)at;
							want_last = (gssize)at;
						}
				}
				gboolean got = (bits[0] >> i) & 1;
				if (got != (want_first >= 0) || (got && (first[i] != want_first || last[i] != want_last)))
					g_error("round %d, text %d (%" G_GSIZE_FORMAT " bytes): literal \"%s\" (%s): found %d at %d..%d, "
					        "expected %d at %d..%d",
					        round, t, text->len, l, slot.caseless->data[i] ? "caseless" : "as is", got,
					        got ? (int)first[i] : -1, got ? (int)last[i] : -1, want_first >= 0, (int)want_first,
					        (int)want_last);
			}
			g_string_free(text, TRUE);
		}
		rp_slot_clear(&slot);
	}
	g_rand_free(r);
}

/* random rules and messages built from words that stress the literal search */
static const char *const WORDS[] = {
	"return", "Return", "RETURN", "kaputt", "KAPUTT", "Straße", "STRASSE", "stress", "kiss", "Kiss",
	"\u212Aiss", "\u017Ftress", "order", "Order", "A1001", "a1001", "défectueux", "DÉFECTUEUX", "broken",
	"Broken", "BROKEN", "urgent", "dringend", "vip", "refund", "#42", "a.b", "foo", "bar", "Rückgabe",
	"RÜCKGABE", "garantía", "GARANTÍA", "123-456", "x", "k", "s", "sk", "ks", "Kelvin", "\u212Aelvin",
};

static const char *
word(GRand *r)
{
	return WORDS[g_rand_int_range(r, 0, G_N_ELEMENTS(WORDS))];
}

/* rword - a random word escaped for a regex (every ASCII punctuation character) */
static const char *
rword(GRand *r, GString *buf)
{
	g_string_truncate(buf, 0);
	for (const char *p = word(r); *p; p++) {
		if ((guchar)*p < 0x80 && !g_ascii_isalnum(*p))
			g_string_append_c(buf, '\\');
		g_string_append_c(buf, *p);
	}
	return buf->str;
}

/* regex_piece - a random piece of pattern, always valid */
static void
regex_piece(GRand *r, GString *re)
{
	GString *a = g_string_new(NULL), *b = g_string_new(NULL), *c = g_string_new(NULL);
	switch (g_rand_int_range(r, 0, 16)) {
	case 0:
		g_string_append(re, "\\b");
		break;
	case 1:
		g_string_append(re, "\\s+");
		break;
	case 2:
		g_string_append(re, "\\d+");
		break;
	case 3:
		g_string_append(re, "[a-z]+");
		break;
	case 4:
		g_string_append_printf(re, "(%s|%s|%s)", rword(r, a), rword(r, b), rword(r, c));
		break;
	case 5:
		g_string_append_printf(re, "(?:%s)?", rword(r, a));
		break;
	case 6:
		g_string_append(re, "[kK]");
		break;
	case 7:
		g_string_append(re, "\\x4b");
		break;
	case 8:
		g_string_append(re, "\\Qa.b\\E");
		break;
	case 9:
		g_string_append_printf(re, "(?i)%s", rword(r, a));
		break;
	case 10:
		g_string_append(re, ".*");
		break;
	case 11:
		g_string_append_printf(re, "(?:%s){1,2}", rword(r, a));
		break;
	case 12:
		g_string_append(re, "[sß]");
		break;
	default:
		g_string_append(re, rword(r, a));
		break;
	}
	g_string_free(a, TRUE);
	g_string_free(b, TRUE);
	g_string_free(c, TRUE);
}

static char *
random_rules(GRand *r, guint n)
{
	static const char *const fields[] = {"subject", "body", "fullbody", "from", "header \"X-Test\"", "to"};
	static const char *const flags[] = {"", "i", "iu", "u", "x", "ix", "m", "s", "i", ""};
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < n; i++) {
		g_string_append_printf(s, "rule \"r%u\"\n  when ", i);
		guint conds = (guint)g_rand_int_range(r, 1, 3);
		for (guint c = 0; c < conds; c++) {
			if (c)
				g_string_append(s, g_rand_boolean(r) ? " and " : " or ");
			if (g_rand_int_range(r, 0, 6) == 0)
				g_string_append(s, "not ");
			const char *f = fields[g_rand_int_range(r, 0, G_N_ELEMENTS(fields))];
			int kind = g_rand_int_range(r, 0, 10);
			if (kind == 0) {
				g_string_append_printf(s, "%s contains \"%s\"", f, word(r));
			} else if (kind == 1) {
				g_string_append_printf(s, "%s == \"%s\"", f, word(r));
			} else {
				GString *re = g_string_new(NULL);
				guint pieces = (guint)g_rand_int_range(r, 1, 4);
				for (guint p = 0; p < pieces; p++)
					regex_piece(r, re);
				g_string_append_printf(s, "%s ~ /%s/%s", f, re->str, flags[g_rand_int_range(r, 0, G_N_ELEMENTS(flags))]);
				g_string_free(re, TRUE);
			}
		}
		g_string_append_printf(s, "\n  then tag t%u\n", i);
		if (g_rand_int_range(r, 0, 8) == 0)
			g_string_append_printf(s, "       capture c%u = body ~ /(?<c%u>\\w+)\\s+%s/i\n", i % 7, i % 7,
			                       g_rand_boolean(r) ? "kaputt" : "return");
		if (g_rand_int_range(r, 0, 40) == 0)
			g_string_append(s, "       stop\n");
	}
	return g_string_free(s, FALSE);
}

static cd_message *
random_message(GRand *r)
{
	GString *subj = g_string_new(NULL), *body = g_string_new(NULL);
	guint n = (guint)g_rand_int_range(r, 0, 6);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(subj, "%s%s", i ? " " : "", word(r));
	n = (guint)g_rand_int_range(r, 0, 60);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(body, "%s%s", word(r), g_rand_int_range(r, 0, 8) ? " " : ".\n");
	cd_message *m = msg_new(g_rand_boolean(r) ? "kiss@example.org" : "a1001@example.org", subj->str, body->str);
	if (g_rand_boolean(r))
		msg_header(m, "X-Test", word(r));
	if (g_rand_boolean(r)) {
		cd_address *a = g_new0(cd_address, 1);
		a->addr = g_strdup_printf("%s@example.test", g_rand_boolean(r) ? "support" : "stress");
		g_ptr_array_add(m->to, a);
	}
	g_string_free(subj, TRUE);
	g_string_free(body, TRUE);
	return m;
}

static void
collect_files(const char *dir, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;
	while (d && (n = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, n, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			collect_files(p, out);
		else
			g_ptr_array_add(out, g_strdup(p));
		g_free(p);
	}
	if (d)
		g_dir_close(d);
}

/* decisions - the decision text of every message under rules loaded with flags */
static GPtrArray *
decisions_traced(const char *rules_text, const char *dir, cd_rules_flags flags, GPtrArray *msgs, gboolean traced)
{
	cd_ruleset *rs;
	if (dir) {
		GError *e = NULL;
		rs = cd_rules_load_flags(dir, flags, &e);
		g_assert_no_error(e);
	} else {
		rs = load_ok_flags(rules_text, flags);
	}
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	static const char *const tags[] = {"vip", NULL};
	for (guint i = 0; i < msgs->len; i++) {
		who w = {i % 5 == 0 ? "sms" : "email", i % 3 == 0 ? "unknown" : "known", i % 4 == 0 ? tags : NULL};
		GString *trace = traced ? g_string_new(NULL) : NULL;
		g_ptr_array_add(out, run_full(rs, g_ptr_array_index(msgs, i), &w, NULL, trace));
		if (trace)
			g_string_free(trace, TRUE);
	}
	cd_ruleset_unref(rs);
	return out;
}

static GPtrArray *
decisions(const char *rules_text, const char *dir, cd_rules_flags flags, GPtrArray *msgs)
{
	return decisions_traced(rules_text, dir, flags, msgs, FALSE);
}

static void
compare(const char *what, GPtrArray *a, GPtrArray *b, guint *matched)
{
	g_assert_cmpuint(a->len, ==, b->len);
	for (guint i = 0; i < a->len; i++) {
		if (strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, i)) != 0)
			g_error("%s: message %u decides differently:\n  %s\n  %s", what, i, (char *)g_ptr_array_index(a, i),
			        (char *)g_ptr_array_index(b, i));
		if (strstr(g_ptr_array_index(a, i), "limits=[] ") == NULL)
			g_error("%s: message %u hit a limit: %s", what, i, (char *)g_ptr_array_index(a, i));
		if (strstr(g_ptr_array_index(a, i), "matched=[] ") == NULL)
			(*matched)++;
	}
}

/* The prefilter only skips patterns that cannot match: the same decisions with it and without it
 * (and with JIT and without), over the shared corpus, the demo mail and generated mail. */
static void
test_prefilter_equivalence(void)
{
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)cd_message_free);
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	const char *shared = g_getenv("CAREDESK_SHARED");
	char *corpus = g_build_filename(shared ? shared : "../shared", "corpus", NULL);
	collect_files(corpus, files);
	char *demo = src_path("demo/mail");
	collect_files(demo, files);
	g_ptr_array_sort(files, cmp_str);
	g_assert_cmpuint(files->len, >, 500);
	for (guint i = 0; i < files->len; i++) {
		char *data;
		gsize len;
		if (!g_file_get_contents(g_ptr_array_index(files, i), &data, &len, NULL))
			continue;
		GBytes *b = g_bytes_new_take(data, len);
		g_ptr_array_add(msgs, tu_parse(b));
		g_bytes_unref(b);
	}
	GRand *r = g_rand_new_with_seed(20261123);
	for (int i = 0; i < 400; i++)
		g_ptr_array_add(msgs, random_message(r));

	/* the shipped rules */
	char *filters = src_path("filters");
	guint matched = 0;
	GPtrArray *on = decisions(NULL, filters, 0, msgs);
	GPtrArray *off = decisions(NULL, filters, CD_RULES_NO_PREFILTER, msgs);
	compare("shipped filters, prefilter on/off", on, off, &matched);
	g_assert_cmpuint(matched, >, 100);
	GPtrArray *nojit = decisions(NULL, filters, CD_RULES_NO_JIT | CD_RULES_NO_PREFILTER, msgs);
	compare("shipped filters, JIT on/off", off, nojit, &matched);
	g_ptr_array_unref(on);
	g_ptr_array_unref(off);
	g_ptr_array_unref(nojit);

	/* random rules full of k, s, ß, case and non-ASCII */
	char *rules = random_rules(r, 400);
	matched = 0;
	on = decisions(rules, NULL, 0, msgs);
	off = decisions(rules, NULL, CD_RULES_NO_PREFILTER, msgs);
	compare("random rules, prefilter on/off", on, off, &matched);
	g_assert_cmpuint(matched, >, 300);
	/* a dry run (with a trace) takes no shortcut that a real run takes, and decides alike */
	GPtrArray *traced = decisions_traced(rules, NULL, 0, msgs, TRUE);
	compare("random rules, with and without a trace", on, traced, &matched);
	g_ptr_array_unref(traced);
	g_ptr_array_unref(on);
	g_ptr_array_unref(off);

	g_free(rules);
	g_free(filters);
	g_rand_free(r);
	g_free(demo);
	g_free(corpus);
	g_ptr_array_unref(files);
	g_ptr_array_unref(msgs);
}

/* ---- threads ---- */

typedef struct {
	cd_ruleset *rs;
	GPtrArray *msgs;
	GPtrArray *expect;
	gboolean ok;
} thread_job;

static gpointer
thread_run(gpointer p)
{
	thread_job *j = p;
	j->ok = TRUE;
	for (int round = 0; round < 20; round++)
		for (guint i = 0; i < j->msgs->len; i++) {
			char *got = run_full(j->rs, g_ptr_array_index(j->msgs, i), &EMAIL_KNOWN, NULL, NULL);
			if (strcmp(got, g_ptr_array_index(j->expect, i)) != 0)
				j->ok = FALSE;
			g_free(got);
		}
	return NULL;
}

static void
test_threads(void)
{
	cd_ruleset *rs = shipped(0);
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)cd_message_free);
	GPtrArray *expect = g_ptr_array_new_with_free_func(g_free);
	GRand *r = g_rand_new_with_seed(7);
	for (int i = 0; i < 50; i++) {
		cd_message *m = random_message(r);
		g_ptr_array_add(msgs, m);
		g_ptr_array_add(expect, run_full(rs, m, &EMAIL_KNOWN, NULL, NULL));
	}
	thread_job jobs[4];
	GThread *th[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (thread_job){rs, msgs, expect, FALSE};
		th[i] = g_thread_new("eval", thread_run, &jobs[i]);
	}
	for (int i = 0; i < 4; i++) {
		g_thread_join(th[i]);
		g_assert_true(jobs[i].ok);
	}
	g_rand_free(r);
	g_ptr_array_unref(msgs);
	g_ptr_array_unref(expect);
	cd_ruleset_unref(rs);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	cd_mime_init();
	g_test_add_func("/rules/lex/errors", test_lex_errors);
	g_test_add_func("/rules/parse/errors", test_parse_errors);
	g_test_add_func("/rules/parse/all-errors-nothing-loads", test_all_errors_nothing_loads);
	g_test_add_func("/rules/parse/accepts", test_parse_accepts);
	g_test_add_func("/rules/operators", test_operators);
	g_test_add_func("/rules/actions", test_actions);
	g_test_add_func("/rules/order-and-stop", test_order_and_stop);
	g_test_add_func("/rules/captures-and-values", test_captures_and_values);
	g_test_add_func("/rules/trace", test_trace);
	g_test_add_func("/rules/limits/jit", test_limits_jit);
	g_test_add_func("/rules/limits/interpreter", test_limits_interpreter);
	g_test_add_func("/rules/reload", test_reload_keeps_old_set_on_error);
	g_test_add_func("/rules/lint", test_lint);
	g_test_add_func("/rules/shipped", test_shipped_filters);
	g_test_add_func("/rules/shipped-demo-mail", test_shipped_on_demo_mail);
	g_test_add_func("/rules/prefilter/literals", test_prefilter_literals);
	g_test_add_func("/rules/prefilter/caseless-letters", test_prefilter_caseless_letters);
	g_test_add_func("/rules/prefilter/caseless-sets", test_prefilter_caseless_sets);
	g_test_add_func("/rules/prefilter/scan", test_prefilter_scan);
	g_test_add_func("/rules/prefilter/equivalence", test_prefilter_equivalence);
	g_test_add_func("/rules/threads", test_threads);
	return g_test_run();
}
