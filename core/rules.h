/* rules.h - the filter rule language (the .rules files in filters/): loading, linting and evaluating rules.
 *
 * A rule set is every *.rules file of one folder, in file-name order, rules in file order. It is
 * loaded whole or not at all: any error (file:line:col: expected ..., got ...) leaves no set. A
 * loaded set is immutable and reference-counted, so a message in flight keeps the set it started
 * with while a reload installs a new one (cd_rules_current). Every pattern is compiled once at
 * load (PCRE2, JIT when available) and runs under match and depth limits; a rule whose pattern hits
 * a limit is logged and treated as not matching. The language itself is taught in
 * filters/README.md.
 *
 * Modules: rules.c (sets, decisions, reloading), rules_lex.c, rules_parse.c, rules_regex.c (the
 * only user of PCRE2), rules_prefilter.c (required literals and the multi-literal scan),
 * rules_eval.c (evaluation and the dry-run trace), rules_lint.c. */
#ifndef CD_RULES_H
#define CD_RULES_H

#include "message.h"

#include <glib.h>

typedef struct cd_ruleset cd_ruleset;

typedef struct {
	const char *channel;              /* "email" | "sms" */
	const cd_message *msg;
	const char *customer;             /* "known" | "unknown" | "agent" */
	const char *const *customer_tags; /* NULL-terminated or NULL */
} cd_rule_input;

typedef struct {
	char *type, *queue, *priority, *assign;  /* NULL: not set by any rule (the first rule that sets one wins) */
	GPtrArray *tags;                          /* char*, each once, in order */
	GHashTable *captures;                     /* char* name -> char* value (first capture of a name wins) */
	GPtrArray *replies, *notifies, *sms;      /* char* template / target names, each once, in order */
	char *reject;                             /* reject text, or NULL (the first reject wins) */
	gboolean drop;
	GPtrArray *matched;                       /* char*: "file:line rule-name" of each rule whose conditions held */
	GPtrArray *limit_hits;                    /* char*: rules whose pattern hit a PCRE2 limit (treated as not matching) */
} cd_rule_decision;

/* Load options; cd_rules_load uses none. For benchmarks and the equivalence test. */
typedef enum {
	CD_RULES_NO_JIT = 1 << 0,        /* compile every pattern for the interpreter only */
	CD_RULES_NO_PREFILTER = 1 << 1,  /* run every pattern, without skipping by required literals */
} cd_rules_flags;

/* cd_rules_load - every *.rules file of dir in name order. NULL with CD_ERROR_CONFIG on any
 * error: one line "file:line:col: expected ..., got ..." per problem (up to 20, all files). */
cd_ruleset *cd_rules_load(const char *dir, GError **error);
cd_ruleset *cd_rules_load_flags(const char *dir, cd_rules_flags flags, GError **error);
/* cd_rules_parse_text - one file's text (not NUL-terminated; len bytes) as a whole set; name is
 * the file name used in messages. For tests and the fuzzer. */
cd_ruleset *cd_rules_parse_text(const char *name, const char *text, gsize len, cd_rules_flags flags,
                                GError **error);

cd_ruleset *cd_ruleset_ref(cd_ruleset *rs);
void cd_ruleset_unref(cd_ruleset *rs);
gboolean cd_ruleset_has_reject(const cd_ruleset *rs);   /* any rule with a reject action */
guint cd_ruleset_count(const cd_ruleset *rs);

/* A decision starts with cd_rule_decision_init; evaluation adds to it; clear frees it (and
 * leaves it zeroed: clearing twice is safe, init again to reuse). */
void cd_rule_decision_init(cd_rule_decision *d);
void cd_rule_decision_clear(cd_rule_decision *d);

/* evaluate in order (files by name, rules in file order; stop ends it). trace (may be NULL) gets the
 * dry-run explanation: per rule, which conditions held (with the value they were matched against,
 * shortened), the captures, the actions that would run. Thread-safe for concurrent calls on one ruleset. */
void cd_rules_evaluate(const cd_ruleset *rs, const cd_rule_input *in, cd_rule_decision *out, GString *trace);

/* lint: unknown fields, bad regexes, unknown templates (templates_dir/email/NAME.* or templates_dir/sms/NAME.*; skip the
 * template check when templates_dir is NULL), rules that can never run after an unconditional stop, captures whose
 * pattern lacks the named group. Each problem "file:line:col: message". TRUE when none.
 * (Unknown fields and bad regexes are load errors: a set that loaded has none.) */
gboolean cd_rules_lint(const cd_ruleset *rs, const char *templates_dir, GPtrArray *problems);

/* cd_rules_describe - the set written back as rule text, one rule after the other (filters check -v). */
void cd_rules_describe(const cd_ruleset *rs, GString *out);

/* process-wide current ruleset for dir: reloaded when a *.rules file is added, removed or changed (name, size, mtime
 * listing compared at most once a second) or after cd_rules_invalidate() (call it from a SIGHUP handler: it must be
 * async-signal-safe, e.g. just set a flag). A file that fails to load keeps the previous set in force and logs the
 * error (g_warning with file:line:col). Returns a new reference, or NULL only when no set ever loaded. */
cd_ruleset *cd_rules_current(const char *dir);
void cd_rules_invalidate(void);

#endif
