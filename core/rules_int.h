/* rules_int.h - what the rules modules share and nobody else sees: tokens, the parsed rules
 * (conditions and actions), compiled patterns, the prefilter and the ruleset itself.
 * The public side is rules.h. */
#ifndef CD_RULES_INT_H
#define CD_RULES_INT_H

#include "rules.h"

/* ---- rules_lex.c: tokens ---- */

typedef enum {
	RT_EOF,
	RT_WORD,    /* letters, digits, _ . - @ + (keywords, fields, names, numbers) */
	RT_STRING,  /* "text" (\" and \\ escapes), text holds the decoded value */
	RT_REGEX,   /* /body/flags, text holds the body as written, flags the letters */
	RT_LPAREN,
	RT_RPAREN,
	RT_TILDE,   /* ~ */
	RT_EQEQ,    /* == */
	RT_EQ,      /* = */
	RT_LT,      /* < */
	RT_GT,      /* > */
	RT_ERROR,   /* a lexical error, already reported */
} rl_kind;

typedef struct {
	rl_kind kind;
	char *text;        /* WORD, STRING, REGEX */
	char *flags;       /* REGEX */
	guint line, col;   /* 1-based; col counts characters */
	gboolean bol;      /* first token of its line */
} rl_token;

/* rl_lex - all tokens of text, ending with RT_EOF; lexical errors are added to errors as
 * "name:line:col: ..." and leave an RT_ERROR token. */
GArray *rl_lex(const char *name, const char *text, gsize len, GPtrArray *errors);
void rl_tokens_free(GArray *tokens);
/* rl_describe - a token for "got ..." in messages. */
char *rl_describe(const rl_token *t);

/* ---- fields ---- */

typedef enum {
	RF_FROM,
	RF_TO,
	RF_CC,
	RF_SUBJECT,
	RF_BODY,
	RF_FULLBODY,
	RF_ATT_NAME,
	RF_ATT_TYPE,
	RF_SIZE,
	RF_CHANNEL,
	RF_CUSTOMER,
	RF_CUSTOMER_TAG,
	RF_HEADER,   /* slot RF_HEADER + header id */
} rf_kind;
#define RF_N_FIXED RF_HEADER

typedef struct {
	rf_kind kind;
	guint slot;          /* kind, or RF_HEADER + header id */
	const char *header;  /* RF_HEADER: the name as first written (owned by the set) */
} rf_field;

const char *rf_name(rf_kind kind);

/* ---- rules_regex.c: PCRE2 ---- */

typedef struct rx_code rx_code;
typedef struct rx_scratch rx_scratch;

typedef enum {
	RX_TEXT_REGEX,     /* the pattern as written */
	RX_TEXT_CONTAINS,  /* a literal, anywhere, case-insensitive */
	RX_TEXT_EQUALS,    /* a literal, the whole value, case-insensitive */
} rx_text_kind;

/* rx_compile - NULL with *err_msg (g_free) and *err_offset (bytes into text) on a bad pattern. */
rx_code *rx_compile(const char *text, gsize len, rx_text_kind kind, const char *flags, gboolean jit, char **err_msg,
                    gsize *err_offset);
void rx_free(rx_code *rx);
gboolean rx_is_jit(const rx_code *rx);
/* rx_group_number - the number of named group name, or -1. */
int rx_group_number(const rx_code *rx, const char *name);
/* rx_caseless_set - the characters a caseless UTF-8 pattern lets c match (c among them), as
 * PCRE2 itself decides (asked once per character and process); the first max go to out; returns
 * how many there are. */
guint rx_caseless_set(gunichar c, gunichar *out, guint max);

rx_scratch *rx_scratch_new(void);
void rx_scratch_free(rx_scratch *s);

typedef enum { RX_NOMATCH = 0, RX_MATCH = 1, RX_LIMIT = 2 } rx_result;
/* rx_match - the leftmost match in subject that starts at from or later and at until or earlier
 * (G_MAXSIZE: anywhere; lookbehinds and \b still see what is before from); on RX_MATCH start and
 * end give the whole match and, when group >= 0, gstart and gend that group (both -1 when it did
 * not take part); what: which limit, on RX_LIMIT. */
rx_result rx_match(const rx_code *rx, rx_scratch *s, const char *subject, gsize len, gsize from, gsize until,
                   int group, gsize *start, gsize *end, gssize *gstart, gssize *gend, const char **what);

/* ---- parsed rules ---- */

typedef struct {
	guint *ids;      /* literal ids in the slot's automaton */
	guint n;
	char **text;     /* the literals (NULL-terminated), for traces */
} rp_group;

typedef struct {
	rx_code *rx;
	char *source;     /* as written, for traces and logs: /re/flags or "text" */
	rx_text_kind kind;
	char *text;       /* the pattern text (regex body or literal) */
	char *flags;      /* regex flags as written ("" for literals) */
	guint slot;       /* field slot it runs on */
	guint line, col;  /* where the pattern starts */
	/* prefilter: the pattern can only match a value in which, for each group, one of the group's
	 * literals occurs */
	rp_group *groups; /* NULL: always run */
	guint n_groups;
	guint digits;     /* and a run of this many ASCII digits (0: no such requirement) */
	/* every match starts with one of these literals (ids in the slot's automaton), at most
	 * lead_slack bytes after its start: matching can begin there (single-valued fields) */
	guint *lead_ids;
	guint *lead_slack;
	char **lead_text;
	guint n_lead;
	/* the same, packed for the evaluator, with literal ids made bit numbers (NULL: none):
	 * n_groups, then per group n and n bits; n_lead, then per lead literal bit and slack */
	const guint32 *pf;
	gboolean ascii_eq; /* == with an ASCII literal: decided without PCRE2 on ASCII values */
	gint memo;        /* patterns alike in kind, text, flags and field share this number and run
	                   * once per message (-1: always run: without the prefilter) */
	gsize text_len;
	gint warned;      /* a limit hit was logged (atomic) */
} rp_pattern;

typedef enum { RC_AND, RC_OR, RC_NOT, RC_TEST } rc_kind;
typedef enum { RO_REGEX, RO_EQ, RO_CONTAINS, RO_EXISTS, RO_LT, RO_GT, RO_NUM_EQ } ro_op;

typedef struct rc_node {
	rc_kind kind;
	struct rc_node *a, *b;  /* AND, OR: a and b; NOT: a */
	rf_field field;         /* TEST */
	ro_op op;
	rp_pattern *pat;        /* REGEX, EQ, CONTAINS */
	gint64 num;             /* LT, GT, NUM_EQ */
	guint line, col;
} rc_node;

typedef enum {
	RA_TYPE, RA_QUEUE, RA_PRIORITY, RA_TAG, RA_ASSIGN, RA_CAPTURE, RA_REPLY, RA_NOTIFY, RA_SMS, RA_REJECT,
	RA_DROP, RA_STOP,
} ra_kind;

typedef struct {
	ra_kind kind;
	char *arg;         /* value, name, template, target, text; CAPTURE: the capture name */
	rf_field field;    /* CAPTURE */
	rp_pattern *pat;   /* CAPTURE */
	int group;         /* CAPTURE: the named group's number, -1 when the pattern lacks it */
	guint line, col;
} ra_action;

typedef struct {
	char *name;
	const char *file;   /* owned by the set */
	guint line, col;
	char *where;        /* "file:line name": what decisions and logs call the rule */
	rc_node *when;      /* NULL: always */
	const rp_pattern *gate; /* the first test evaluated, when it is a pattern test: rr_finish */
	gboolean stop;      /* has a stop action */
	ra_action *actions;
	guint n_actions;
} rr_rule;

const char *ra_name(ra_kind kind);

/* ---- rules_prefilter.c ---- */

typedef struct rp_automaton rp_automaton;

/* What every match of a pattern needs. Literals have lower-case ASCII and are searched
 * ASCII-case-insensitively; a caseless pattern's literals in every case of their other characters
 * too (rules_prefilter.c). */
typedef struct {
	GPtrArray *sets;   /* char** (NULL-terminated): a subject only matches when it contains a member
	                    * of every set; NULL when nothing is known */
	guint digits;      /* ... and a run of this many ASCII digits (0: nothing known) */
	char **lead;       /* every match starts with one of these, beginning at most lead_slack[i]
	                    * bytes after the match start; NULL when not known */
	guint *lead_slack;
	gboolean caseless; /* the literals are searched caselessly (in every form PCRE2 allows) */
} rp_requirements;

/* rp_requirements_of - kind RX_TEXT_REGEX: text is a regex with flags; else a literal. */
void rp_requirements_of(const char *text, rx_text_kind kind, const char *flags, rp_requirements *out);
void rp_requirements_clear(rp_requirements *r);
/* rp_digit_run - the longest run of ASCII digits in text */
guint rp_digit_run(const char *text, gsize len);

typedef struct {
	GPtrArray *lits;         /* char*: the literals, by id */
	GByteArray *caseless;    /* per literal: searched caselessly */
	GHashTable *index;       /* "i:" or "c:" (caseless or not) and the literal -> id + 1 */
	rp_automaton *ac;        /* built after parsing; NULL when the slot has no literals. Caseless
	                          * literals in all their forms, except ASCII letters only as ASCII */
	rp_automaton *ac_full;   /* ... and with them in their other forms too (NULL: there are none) */
	char **exotic;           /* those other forms (K, ſ): a value holding one is scanned with ac_full */
	guint bit_offset;        /* first bit of this slot in the per-evaluation bitset */
} rp_slot;

/* rp_build - build automata for every slot with literals; returns the bitset size in bits. */
guint rp_build(rp_slot *slots, guint n_slots);
void rp_slot_clear(rp_slot *slot);
/* What a scan found, per literal bit (bit_offset + id): bits; for a newly set bit, first_start
 * and last_start = where that occurrence starts, later occurrences lowering first_start and
 * raising last_start (the earliest and latest start; valid only for a set bit). The caller
 * clears bits. */
typedef struct {
	guint32 *bits;
	guint32 *first_start, *last_start;
} rp_found;

/* rp_scan - every literal of the slot found in text, into found. */
void rp_scan(const rp_slot *slot, const char *text, gsize len, rp_found *found);

/* ---- the set ---- */

/* what the evaluator checks of a rule's gate before touching the rule (one per rule, in order) */
typedef struct {
	guint32 slot;    /* G_MAXUINT32: no gate */
	guint32 digits;  /* the gate pattern's digit run, 0 none */
	gint32 pf;       /* its prefilter words (offset in pf_words), -1 none */
} rr_gate;

struct cd_ruleset {
	gint refs;
	cd_rules_flags flags;
	GPtrArray *files;        /* char*: file names (base names), in load order */
	GPtrArray *rules;        /* rr_rule* */
	GPtrArray *patterns;     /* rp_pattern*, all of them (freed with the set) */
	GPtrArray *header_names; /* char*: header id -> name as first written */
	GHashTable *header_ids;  /* lower-case name -> id + 1 */
	guint n_slots;
	rp_slot *slots;          /* n_slots */
	guint n_bits;            /* literal bits over all slots */
	guint32 *pf_words;       /* every pattern's pf, in pattern order */
	rr_gate *gates;          /* per rule; NULL without the prefilter */
	guint n_memo;            /* distinct pattern numbers (rp_pattern.memo) */
	gboolean has_reject;
	GMutex pool_lock;        /* evaluation scratch, reused between calls */
	GPtrArray *pool;
};

/* rules_parse.c: parse one file's text into rs (rules appended; patterns compiled). FALSE when
 * errors were added; rs then holds a partial parse that the caller discards. */
gboolean rr_parse_file(cd_ruleset *rs, const char *name, const char *text, gsize len, GPtrArray *errors);
/* rr_finish - after every file: header slots and the prefilter. */
void rr_finish(cd_ruleset *rs);
cd_ruleset *rr_set_new(cd_rules_flags flags);
void rr_rule_free(rr_rule *r);
void rp_pattern_free(rp_pattern *p);

/* rules_eval.c */
void rr_scratch_free(gpointer scratch);
/* rr_describe_cond - a condition written back as rule text. */
void rr_describe_cond(const cd_ruleset *rs, const rc_node *c, GString *out);
void rr_describe_field(const rf_field *f, GString *out);

#endif
