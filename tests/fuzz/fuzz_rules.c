/* fuzz_rules.c - libFuzzer target: the rule-file parser (lexer, grammar, regex compilation,
 * literal extraction) on arbitrary bytes; what loads is also described, linted and evaluated once
 * on a small message, with and without the prefilter, which must decide alike. Seeds: filters/. */
#include "rules.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
decide(cd_ruleset *rs, const cd_message *m, guint *limits)
{
	static const char *const tags[] = {"vip", NULL};
	cd_rule_input in = {.channel = "email", .msg = m, .customer = "known", .customer_tags = tags};
	cd_rule_decision d;
	cd_rule_decision_init(&d);
	cd_rules_evaluate(rs, &in, &d, NULL);
	GString *s = g_string_new(NULL);
	*limits = d.limit_hits->len;
	g_string_append_printf(s, "%s|%s|%s|%s|%s|%d|%u|%u|%u", d.type, d.queue, d.priority, d.assign, d.reject, d.drop,
	                       d.tags->len, d.matched->len, g_hash_table_size(d.captures));
	for (guint i = 0; i < d.matched->len; i++)
		g_string_append_printf(s, "|%s", (char *)g_ptr_array_index(d.matched, i));
	cd_rule_decision_clear(&d);
	return g_string_free(s, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	GError *error = NULL;
	cd_ruleset *rs = cd_rules_parse_text("fuzz.rules", (const char *)data, size, 0, &error);
	if (rs == NULL) {
		/* every error names the file, a line and a column */
		if (error == NULL || strncmp(error->message, "fuzz.rules:", 11) != 0)
			__builtin_trap();
		g_error_free(error);
		return 0;
	}
	cd_ruleset *plain = cd_rules_parse_text("fuzz.rules", (const char *)data, size, CD_RULES_NO_PREFILTER, NULL);
	if (plain == NULL)
		__builtin_trap();
	GString *text = g_string_new(NULL);
	cd_rules_describe(rs, text);
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	cd_rules_lint(rs, NULL, problems);

	/* a message whose fields hold bits of the input, so that patterns have something to find */
	cd_message *m = cd_message_new();
	char *half = g_utf8_make_valid((const char *)data, (gssize)MIN(size, 200));
	m->from.addr = g_strdup("alice@example.org");
	m->subject = g_strdup(half);
	m->text = g_strconcat("Hello ", half, " order A1001, serial 12345", NULL);
	m->reply_text = g_strdup(m->text);
	m->raw_size = size;
	cd_header *h = g_new0(cd_header, 1);
	h->name = g_strdup("X-Spam-Flag");
	h->value = g_strdup("YES");
	g_ptr_array_add(m->headers, h);
	guint la, lb;
	char *a = decide(rs, m, &la), *b = decide(plain, m, &lb);
	/* with a PCRE2 limit hit they may differ: the prefilter can skip a pattern that cannot match
	 * but would have hit the limit trying */
	if (la == 0 && lb == 0 && strcmp(a, b) != 0)
		__builtin_trap();
	g_free(a);
	g_free(b);
	g_free(half);
	cd_message_free(m);
	g_ptr_array_unref(problems);
	g_string_free(text, TRUE);
	cd_ruleset_unref(plain);
	cd_ruleset_unref(rs);
	return 0;
}
