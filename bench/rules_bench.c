/* rules_bench.c - filter rule evaluation speed: one rule folder over a folder of messages.
 *   cd-bench-rules [--rounds N] RULEDIR MSGDIR
 * Parses every message once (not timed), then evaluates the rules on all of them, N rounds (default
 * 3, the best round counts), in four ways: PCRE2 JIT on/off x prefilter on/off. Prints microseconds
 * per message for each, the ratios, and whether all four gave the same decision for every message
 * (they must: the prefilter only skips patterns that cannot match). Senders alternate between
 * known, unknown and known with the tag vip, so customer rules are exercised too. */
#include "mime.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* decision_text - a decision as one line, to compare the four ways */
static char *
decision_text(const cd_rule_decision *d)
{
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "%s|%s|%s|%s|%s|%d|", d->type, d->queue, d->priority, d->assign, d->reject, d->drop);
	GPtrArray *lists[] = {d->tags, d->replies, d->notifies, d->sms, d->matched, d->limit_hits};
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
		for (guint i = 0; i < lists[l]->len; i++)
			g_string_append_printf(s, "%s,", (char *)g_ptr_array_index(lists[l], i));
		g_string_append_c(s, '|');
	}
	GPtrArray *caps = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, d->captures);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(caps, g_strdup_printf("%s=%s", (char *)k, (char *)v));
	g_ptr_array_sort(caps, cmp_str);
	for (guint i = 0; i < caps->len; i++)
		g_string_append_printf(s, "%s,", (char *)g_ptr_array_index(caps, i));
	g_ptr_array_unref(caps);
	return g_string_free(s, FALSE);
}

typedef struct {
	const char *name;
	cd_rules_flags flags;
	double usec;        /* best round, per message */
	GPtrArray *decided; /* char*, per message */
	guint matched;      /* messages with at least one matching rule */
	guint rule_hits;    /* matching rules over all messages */
	guint limits;
} way;

static const char *const vip_tags[] = {"vip", NULL};

static void
fill_input(cd_rule_input *in, const cd_message *m, guint i)
{
	in->channel = "email";
	in->msg = m;
	in->customer = i % 3 == 1 ? "unknown" : "known";
	in->customer_tags = i % 7 == 0 ? vip_tags : NULL;
}

int
main(int argc, char **argv)
{
	int rounds = 3;
	if (argc > 2 && strcmp(argv[1], "--rounds") == 0) {
		rounds = MAX(1, atoi(argv[2]));
		argv += 2;
		argc -= 2;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: cd-bench-rules [--rounds N] RULEDIR MSGDIR\n");
		return 2;
	}
	const char *ruledir = argv[1], *msgdir = argv[2];

	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(msgdir, 0, NULL);
	const char *n;
	while (d && (n = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(names, g_build_filename(msgdir, n, NULL));
	if (d)
		g_dir_close(d);
	g_ptr_array_sort(names, cmp_str);
	cd_mime_init();
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)cd_message_free);
	gsize body_bytes = 0, full_bytes = 0;
	for (guint i = 0; i < names->len; i++) {
		char *data;
		gsize len;
		if (!g_file_get_contents(g_ptr_array_index(names, i), &data, &len, NULL))
			continue;
		cd_message *m = cd_mime_parse(data, len, &opt);
		body_bytes += m->reply_text ? strlen(m->reply_text) : 0;
		full_bytes += m->text ? strlen(m->text) : 0;
		g_ptr_array_add(msgs, m);
		g_free(data);
	}
	g_ptr_array_unref(names);
	if (msgs->len == 0) {
		fprintf(stderr, "cd-bench-rules: no messages in %s\n", msgdir);
		return 1;
	}

	way ways[] = {
		{"JIT, prefilter", 0, 0, NULL, 0, 0, 0},
		{"JIT, no prefilter", CD_RULES_NO_PREFILTER, 0, NULL, 0, 0, 0},
		{"no JIT, prefilter", CD_RULES_NO_JIT, 0, NULL, 0, 0, 0},
		{"no JIT, no prefilter", CD_RULES_NO_JIT | CD_RULES_NO_PREFILTER, 0, NULL, 0, 0, 0},
	};
	guint nrules = 0;
	for (gsize w = 0; w < G_N_ELEMENTS(ways); w++) {
		GError *error = NULL;
		gint64 l0 = g_get_monotonic_time();
		cd_ruleset *rs = cd_rules_load_flags(ruledir, ways[w].flags, &error);
		if (rs == NULL) {
			fprintf(stderr, "cd-bench-rules: %s\n", error->message);
			return 1;
		}
		if (w == 0)
			printf("rules-bench: %u rules from %s loaded in %.1f ms; %u messages, body %.1f KB, full text %.1f KB on "
			       "average\n",
			       cd_ruleset_count(rs), ruledir, (g_get_monotonic_time() - l0) / 1000.0, msgs->len,
			       body_bytes / 1024.0 / msgs->len, full_bytes / 1024.0 / msgs->len);
		nrules = cd_ruleset_count(rs);
		ways[w].usec = 1e300;
		ways[w].decided = g_ptr_array_new_with_free_func(g_free);
		for (int r = 0; r < rounds; r++) {
			gint64 t0 = g_get_monotonic_time();
			for (guint i = 0; i < msgs->len; i++) {
				cd_rule_input in;
				fill_input(&in, g_ptr_array_index(msgs, i), i);
				cd_rule_decision dec;
				cd_rule_decision_init(&dec);
				cd_rules_evaluate(rs, &in, &dec, NULL);
				if (r == 0) {
					g_ptr_array_add(ways[w].decided, decision_text(&dec));
					ways[w].matched += dec.matched->len > 0;
					ways[w].rule_hits += dec.matched->len;
					ways[w].limits += dec.limit_hits->len;
				}
				cd_rule_decision_clear(&dec);
			}
			double us = (double)(g_get_monotonic_time() - t0) / msgs->len;
			ways[w].usec = MIN(ways[w].usec, us);
		}
		cd_ruleset_unref(rs);
		printf("%-22s %8.1f us/msg  (%u of %u messages matched a rule, %.1f rules each on average; %u limit hits)\n",
		       ways[w].name, ways[w].usec, ways[w].matched, msgs->len, (double)ways[w].rule_hits / msgs->len,
		       ways[w].limits);
	}
	guint differ = 0;
	for (guint i = 0; i < msgs->len; i++)
		for (gsize w = 1; w < G_N_ELEMENTS(ways); w++)
			if (strcmp(g_ptr_array_index(ways[0].decided, i), g_ptr_array_index(ways[w].decided, i)) != 0) {
				if (differ++ < 3)
					fprintf(stderr, "message %u: '%s' (%s) vs '%s' (%s)\n", i, (char *)g_ptr_array_index(ways[0].decided, i),
					        ways[0].name, (char *)g_ptr_array_index(ways[w].decided, i), ways[w].name);
			}
	printf("ratios: JIT speed-up %.1fx with prefilter, %.1fx without; prefilter speed-up %.1fx with JIT, %.1fx "
	       "without\n",
	       ways[2].usec / ways[0].usec, ways[3].usec / ways[1].usec, ways[1].usec / ways[0].usec,
	       ways[3].usec / ways[2].usec);
	printf("rules-bench summary: %u rules, %.1f us/msg (JIT + prefilter; target <= 100), decisions %s\n", nrules,
	       ways[0].usec, differ ? "DIFFER" : "identical in all four ways");
	for (gsize w = 0; w < G_N_ELEMENTS(ways); w++)
		g_ptr_array_unref(ways[w].decided);
	g_ptr_array_unref(msgs);
	return differ ? 1 : 0;
}
