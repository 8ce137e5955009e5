/* rules_eval.c - running a rule set on one message: field values, the prefilter check before each
 * pattern, conditions, captures, actions into the decision, and the dry-run trace.
 *
 * Semantics (filters/README.md tells admins): rules run in order until one with stop matched; a
 * multi-valued field matches when any value does; a field without a value matches nothing (so
 * `not FIELD ...` holds); type, queue, priority, assign, reject and each capture name keep the
 * first value a rule gave them; tags, replies, notifies and sms are collected once each, in order.
 * A rule in which a pattern hit a PCRE2 limit is treated as not matching and is listed in
 * limit_hits. The set is never written to while evaluating except for its scratch pool, so any
 * number of threads may evaluate one set at once.
 *
 * Speed (bench/rules_bench.sh): a rule whose first test cannot hold (its gate, rr_gate) is skipped
 * from one flat array without touching the rule; a pattern that occurs in several rules (same
 * text, flags and field) runs once per message; each field is scanned for literals once. */
#include "rules_int.h"

#include <string.h>

typedef struct {
	const char *s;
	gsize len;
} rv_value;

enum { SLOT_LOADED = 1, SLOT_SCANNED = 2, SLOT_DIGITS = 4 };

typedef struct {
	rx_scratch *rx;
	guint n_slots;
	GArray **vals;       /* per slot: rv_value, pointing into the input */
	guint8 *state;       /* per slot: SLOT_* */
	guint *digits;       /* per slot: the longest run of ASCII digits in any value (SLOT_DIGITS) */
	gboolean headers;    /* header slots loaded */
	rp_found found;      /* literals seen (per slot from its bit_offset), where they start */
	GHashTable *listed[4]; /* what the decision's tags, replies, notifies, sms hold (not owned) */
	guint n_words;
	guint n_memo;
	guint8 *memo;        /* per pattern number (rp_pattern.memo): MEMO_* */
} rr_scratch;

enum { MEMO_UNKNOWN = 0, MEMO_NO = 1, MEMO_YES = 2 };

void
rr_scratch_free(gpointer p)
{
	rr_scratch *s = p;
	if (s == NULL)
		return;
	rx_scratch_free(s->rx);
	for (guint i = 0; i < s->n_slots; i++)
		g_array_free(s->vals[i], TRUE);
	g_free(s->vals);
	g_free(s->state);
	g_free(s->digits);
	g_free(s->found.bits);
	g_free(s->found.first_start);
	g_free(s->found.last_start);
	g_free(s->memo);
	for (int i = 0; i < 4; i++)
		g_hash_table_unref(s->listed[i]);
	g_free(s);
}

static rr_scratch *
scratch_get(cd_ruleset *rs)
{
	g_mutex_lock(&rs->pool_lock);
	rr_scratch *s = rs->pool->len ? g_ptr_array_steal_index_fast(rs->pool, rs->pool->len - 1) : NULL;
	g_mutex_unlock(&rs->pool_lock);
	if (s == NULL) {
		s = g_new0(rr_scratch, 1);
		s->rx = rx_scratch_new();
		s->n_slots = rs->n_slots;
		s->vals = g_new(GArray *, rs->n_slots);
		for (guint i = 0; i < rs->n_slots; i++)
			s->vals[i] = g_array_new(FALSE, FALSE, sizeof(rv_value));
		s->state = g_new0(guint8, rs->n_slots);
		s->digits = g_new0(guint, rs->n_slots);
		s->n_words = (rs->n_bits + 31) / 32;
		s->found.bits = g_new0(guint32, MAX(s->n_words, 1));
		s->found.first_start = g_new0(guint32, MAX(rs->n_bits, 1));
		s->found.last_start = g_new0(guint32, MAX(rs->n_bits, 1));
		s->n_memo = rs->n_memo;
		s->memo = g_new0(guint8, MAX(rs->n_memo, 1));
		for (int i = 0; i < 4; i++)
			s->listed[i] = g_hash_table_new(g_str_hash, g_str_equal);
		return s;
	}
	for (guint i = 0; i < s->n_slots; i++)
		g_array_set_size(s->vals[i], 0);
	memset(s->state, 0, s->n_slots);
	memset(s->found.bits, 0, sizeof(guint32) * MAX(s->n_words, 1));
	memset(s->memo, 0, MAX(s->n_memo, 1));
	s->headers = FALSE;
	for (int i = 0; i < 4; i++)
		g_hash_table_remove_all(s->listed[i]);
	return s;
}

static void
scratch_put(cd_ruleset *rs, rr_scratch *s)
{
	g_mutex_lock(&rs->pool_lock);
	if (rs->pool->len < 64)
		g_ptr_array_add(rs->pool, s);
	else
		rr_scratch_free(s);
	g_mutex_unlock(&rs->pool_lock);
}

typedef struct {
	const cd_ruleset *rs;
	const cd_rule_input *in;
	cd_rule_decision *out;
	GString *trace;    /* NULL: no trace */
	GString *leaves;   /* the current rule's condition lines */
	rr_scratch *sc;
	const rr_rule *rule;
	gboolean limit;    /* the current rule hit a limit */
} ectx;

/* ---- field values ---- */

static void
add_value(GArray *vals, const char *s, gboolean keep_empty)
{
	if (s == NULL || (!keep_empty && *s == '\0'))
		return;
	rv_value v = {s, strlen(s)};
	g_array_append_val(vals, v);
}

static void
load_headers(ectx *c)
{
	const cd_message *m = c->in->msg;
	c->sc->headers = TRUE;
	for (guint s = RF_N_FIXED; s < c->rs->n_slots; s++)
		c->sc->state[s] |= SLOT_LOADED;
	if (m == NULL || m->headers == NULL || c->rs->header_names->len == 0)
		return;
	for (guint i = 0; i < m->headers->len; i++) {
		const cd_header *h = g_ptr_array_index(m->headers, i);
		if (h->name == NULL)
			continue;
		char buf[96];
		gsize n = strlen(h->name);
		char *low = n < sizeof buf ? buf : g_malloc(n + 1);
		for (gsize k = 0; k <= n; k++)
			low[k] = g_ascii_tolower(h->name[k]);
		gpointer id = g_hash_table_lookup(c->rs->header_ids, low);
		if (low != buf)
			g_free(low);
		if (id)
			add_value(c->sc->vals[RF_N_FIXED + GPOINTER_TO_UINT(id) - 1], h->value ? h->value : "", TRUE);
	}
}

static GArray *load_values(ectx *c, guint slot);

static inline GArray *
values(ectx *c, guint slot)
{
	if (G_LIKELY(c->sc->state[slot] & SLOT_LOADED))
		return c->sc->vals[slot];
	return load_values(c, slot);
}

static GArray *
load_values(ectx *c, guint slot)
{
	GArray *v = c->sc->vals[slot];
	if (slot >= RF_N_FIXED) {
		load_headers(c);
		return v;
	}
	c->sc->state[slot] |= SLOT_LOADED;
	const cd_message *m = c->in->msg;
	switch ((rf_kind)slot) {
	case RF_FROM:
		if (m)
			add_value(v, m->from.addr, FALSE);
		break;
	case RF_TO:
	case RF_CC: {
		GPtrArray *list = m ? (slot == RF_TO ? m->to : m->cc) : NULL;
		for (guint i = 0; list && i < list->len; i++)
			add_value(v, ((cd_address *)g_ptr_array_index(list, i))->addr, FALSE);
		break;
	}
	case RF_SUBJECT:
		if (m)
			add_value(v, m->subject, FALSE);
		break;
	case RF_BODY:
		if (m)
			add_value(v, m->reply_text, FALSE);
		break;
	case RF_FULLBODY:
		if (m)
			add_value(v, m->text, FALSE);
		break;
	case RF_ATT_NAME:
	case RF_ATT_TYPE:
		for (guint i = 0; m && m->attachments && i < m->attachments->len; i++) {
			const cd_attachment *a = g_ptr_array_index(m->attachments, i);
			add_value(v, slot == RF_ATT_NAME ? a->filename : a->content_type, FALSE);
		}
		break;
	case RF_CHANNEL:
		add_value(v, c->in->channel, FALSE);
		break;
	case RF_CUSTOMER:
		add_value(v, c->in->customer, FALSE);
		break;
	case RF_CUSTOMER_TAG:
		for (const char *const *t = c->in->customer_tags; t && *t; t++)
			add_value(v, *t, FALSE);
		break;
	case RF_SIZE:
	case RF_HEADER:
		break;
	}
	return v;
}

#define NO_DIGITS (-2)
#define NO_LEAD (-3)

static inline gboolean
bit(const ectx *c, guint b)
{
	return (c->sc->found.bits[b / 32] & (1u << (b % 32))) != 0;
}

/* slot_digits - the longest run of ASCII digits in any value of the slot (computed once) */
static guint
slot_digits(ectx *c, guint slot, GArray *vals)
{
	if (!(c->sc->state[slot] & SLOT_DIGITS)) {
		c->sc->state[slot] |= SLOT_DIGITS;
		guint best = 0;
		for (guint i = 0; i < vals->len; i++) {
			rv_value *v = &g_array_index(vals, rv_value, i);
			best = MAX(best, rp_digit_run(v->s, v->len));
		}
		c->sc->digits[slot] = best;
	}
	return c->sc->digits[slot];
}

/* scanned - the slot's values have been searched for its literals (once) */
static inline void
scanned(ectx *c, guint slot, GArray *vals)
{
	if (G_LIKELY(c->sc->state[slot] & SLOT_SCANNED))
		return;
	c->sc->state[slot] |= SLOT_SCANNED;
	const rp_slot *s = &c->rs->slots[slot];
	for (guint i = 0; i < vals->len; i++) {
		rv_value *v = &g_array_index(vals, rv_value, i);
		rp_scan(s, v->s, v->len, &c->sc->found);
	}
}

/* groups_missing - -1, or the first literal group of pf (its slot scanned) none of whose
 * literals occurs; *lead then points at the lead part */
static inline int
groups_missing(const ectx *c, const guint32 *w, const guint32 **lead)
{
	guint n_groups = *w++;
	for (guint g = 0; g < n_groups; g++) {
		guint n = *w++;
		gboolean any = FALSE;
		for (guint k = 0; k < n && !any; k++)
			any = bit(c, w[k]);
		if (!any)
			return (int)g;
		w += n;
	}
	*lead = w;
	return -1;
}

/* maybe - -1, or why the pattern cannot match any value of its slot: the first literal group of
 * which no member occurs in them, NO_DIGITS (no value has the run of digits it needs) or NO_LEAD
 * (none of the literals every match starts with occurs). *from and *until: where a match can
 * start at the earliest and at the latest (for a slot with a single value; else 0, G_MAXSIZE). */
static int
maybe(ectx *c, const rp_pattern *p, GArray *vals, gsize *from, gsize *until)
{
	*from = 0;
	*until = G_MAXSIZE;
	if (p->digits && slot_digits(c, p->slot, vals) < p->digits)
		return NO_DIGITS;
	const guint32 *w = p->pf;
	if (w == NULL)
		return -1;
	scanned(c, p->slot, vals);
	int g = groups_missing(c, w, &w);
	if (g >= 0)
		return g;
	guint n_lead = *w++;
	if (n_lead) {
		/* a match starts with one of the lead literals: not before the first of them occurs
		 * (less its slack), and not after the last of them begins */
		gsize earliest = G_MAXSIZE, latest = 0;
		for (guint k = 0; k < n_lead; k++, w += 2) {
			if (!bit(c, w[0]))
				continue;
			gsize at = c->sc->found.first_start[w[0]];
			earliest = MIN(earliest, at > w[1] ? at - w[1] : 0);
			latest = MAX(latest, (gsize)c->sc->found.last_start[w[0]]);
		}
		if (earliest == G_MAXSIZE)
			return NO_LEAD;
		if (vals->len == 1) {
			const rv_value *v = &g_array_index(vals, rv_value, 0);
			while (earliest > 0 && earliest < v->len && ((guchar)v->s[earliest] & 0xC0) == 0x80)
				earliest--;
			*from = MIN(earliest, v->len);
			*until = latest;
		}
	}
	return -1;
}

/* ---- trace helpers ---- */

/* snippet - a value on one line, at most ~100 characters, the match (if any) in «» */
static void
snippet(GString *out, const char *s, gsize len, gssize ms, gssize me)
{
	gsize from = 0, to = len;
	const gsize ctx = 40, maxm = 60;
	if (ms >= 0) {
		from = (gsize)ms > ctx ? (gsize)ms - ctx : 0;
		to = MIN(len, (gsize)me + ctx);
	} else {
		to = MIN(len, 90);
	}
	while (from > 0 && ((guchar)s[from] & 0xC0) == 0x80)
		from--;
	while (to < len && ((guchar)s[to] & 0xC0) == 0x80)
		to++;
	GString *raw = g_string_new(NULL);
	if (from > 0)
		g_string_append(raw, "...");
	for (gsize i = from; i < to; i++) {
		if (ms >= 0 && i == (gsize)ms)
			g_string_append(raw, "«");
		if (ms >= 0 && (gsize)me - (gsize)ms > maxm && i == (gsize)ms + maxm / 2) {
			/* a long match: its start and end only */
			g_string_append(raw, " ... ");
			i = (gsize)me - maxm / 2;
			while (i < (gsize)me && ((guchar)s[i] & 0xC0) == 0x80)
				i++;
		}
		if (ms >= 0 && i == (gsize)me)
			g_string_append(raw, "»");
		char ch = s[i];
		g_string_append_c(raw, ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch);
	}
	if (ms >= 0 && to == (gsize)me)
		g_string_append(raw, "»");
	if (to < len)
		g_string_append(raw, "...");
	char *valid = g_utf8_make_valid(raw->str, raw->len);
	g_string_append_printf(out, "\"%s\"", valid);
	g_free(valid);
	g_string_free(raw, TRUE);
}

void
rr_describe_field(const rf_field *f, GString *out)
{
	if (f->kind == RF_HEADER)
		g_string_append_printf(out, "header \"%s\"", f->header);
	else
		g_string_append(out, rf_name(f->kind));
}

/* source - a pattern as written; in traces at most ~70 characters */
static const char *
source(const rp_pattern *p, gboolean brief, char **tmp)
{
	*tmp = NULL;
	if (!brief || g_utf8_strlen(p->source, -1) <= 72)
		return p->source;
	char *cut = g_utf8_substring(p->source, 0, 64);
	*tmp = g_strconcat(cut, "...", strrchr(p->source, '/') ? strrchr(p->source, '/') : "", NULL);
	g_free(cut);
	return *tmp;
}

static void
describe_test_as(const rc_node *c, GString *out, gboolean brief)
{
	char *tmp = NULL;
	rr_describe_field(&c->field, out);
	switch (c->op) {
	case RO_REGEX: g_string_append_printf(out, " ~ %s", source(c->pat, brief, &tmp)); break;
	case RO_EQ: g_string_append_printf(out, " == %s", source(c->pat, brief, &tmp)); break;
	case RO_CONTAINS: g_string_append_printf(out, " contains %s", source(c->pat, brief, &tmp)); break;
	case RO_EXISTS: g_string_append(out, " exists"); break;
	case RO_LT: g_string_append_printf(out, " < %" G_GINT64_FORMAT, c->num); break;
	case RO_GT: g_string_append_printf(out, " > %" G_GINT64_FORMAT, c->num); break;
	case RO_NUM_EQ: g_string_append_printf(out, " == %" G_GINT64_FORMAT, c->num); break;
	}
	g_free(tmp);
}

static void
describe_test(const rc_node *c, GString *out)
{
	describe_test_as(c, out, FALSE);
}

static void
describe(const rc_node *c, GString *out, rc_kind parent)
{
	switch (c->kind) {
	case RC_TEST:
		describe_test(c, out);
		break;
	case RC_NOT:
		g_string_append(out, "not ");
		describe(c->a, out, RC_NOT);
		break;
	case RC_AND:
	case RC_OR: {
		gboolean paren = parent == RC_NOT || (parent == RC_AND && c->kind == RC_OR);
		if (paren)
			g_string_append_c(out, '(');
		describe(c->a, out, c->kind);
		g_string_append(out, c->kind == RC_AND ? " and " : " or ");
		describe(c->b, out, c->kind);
		if (paren)
			g_string_append_c(out, ')');
		break;
	}
	}
}

void
rr_describe_cond(const cd_ruleset *rs, const rc_node *c, GString *out)
{
	describe(c, out, RC_TEST);
}

/* ---- matching ---- */

typedef enum { R_FALSE = 0, R_TRUE = 1, R_LIMIT = 2 } tri;

typedef enum { WHY_MATCH, WHY_NO_VALUE, WHY_SKIPPED, WHY_NO_MATCH, WHY_LIMIT } why;

typedef struct {
	why why;
	const rv_value *value;   /* matched (or first) value */
	int group;               /* WHY_SKIPPED: the literal group none of which occurs */
	guint n_values;
	gsize ms, me;            /* match */
	gssize gs, ge;           /* group */
	const char *limit;       /* which limit */
} minfo;

static void
note_limit(ectx *c, const rp_pattern *p, const rv_value *v, const char *what)
{
	c->limit = TRUE;
	rp_pattern *mp = (rp_pattern *)p; /* only the atomic flag is written */
	if (g_atomic_int_compare_and_exchange(&mp->warned, 0, 1))
		g_warning("rules: %s: pattern %s hit the PCRE2 %s on a %" G_GSIZE_FORMAT
		          "-byte value; the rule is treated as not matching",
		          c->rule->where, p->source, what, v->len);
	else
		g_debug("rules: %s: pattern %s hit the PCRE2 %s again", c->rule->where, p->source, what);
}

static tri match_values(ectx *c, const rp_pattern *p, int group, minfo *mi, GArray *vals);

static tri
match_any(ectx *c, const rp_pattern *p, int group, minfo *mi)
{
	GArray *vals = values(c, p->slot);
	memset(mi, 0, sizeof *mi);
	mi->n_values = vals->len;
	mi->gs = mi->ge = -1;
	if (vals->len == 0) {
		mi->why = WHY_NO_VALUE;
		return R_FALSE;
	}
	/* without a trace only the verdict is used: a pattern that ran on this message before (in
	 * another rule, the same text and flags on the same field) gives the same one */
	if (p->memo < 0 || group >= 0 || c->trace != NULL)
		return match_values(c, p, group, mi, vals);
	guint8 *m = &c->sc->memo[p->memo];
	if (*m != MEMO_UNKNOWN) {
		mi->why = *m == MEMO_YES ? WHY_MATCH : WHY_NO_MATCH;
		mi->value = &g_array_index(vals, rv_value, 0);
		return *m == MEMO_YES ? R_TRUE : R_FALSE;
	}
	tri r = match_values(c, p, group, mi, vals);
	if (r != R_LIMIT)
		*m = r == R_TRUE ? MEMO_YES : MEMO_NO;
	return r;
}

static tri
match_values(ectx *c, const rp_pattern *p, int group, minfo *mi, GArray *vals)
{
	mi->value = &g_array_index(vals, rv_value, 0);
	gsize from, until;
	if ((mi->group = maybe(c, p, vals, &from, &until)) != -1) {
		mi->why = WHY_SKIPPED;
		return R_FALSE;
	}
	gsize lit_len = p->text_len;
	for (guint i = 0; i < vals->len; i++) {
		const rv_value *v = &g_array_index(vals, rv_value, i);
		if (p->ascii_eq) {
			/* caseless equality with an ASCII literal: a value of other length has to hold
			 * non-ASCII (K, long s) to match, and each literal character takes 1 to 3 bytes;
			 * an ASCII value of the same length matches exactly when ASCII case folding says so */
			if (v->len < lit_len || v->len > 3 * lit_len)
				continue;
			gboolean ascii = TRUE;
			for (gsize k = 0; k < v->len && ascii; k++)
				ascii = (guchar)v->s[k] < 0x80;
			if (ascii) {
				if (v->len == lit_len && g_ascii_strncasecmp(v->s, p->text, lit_len) == 0) {
					mi->why = WHY_MATCH;
					mi->value = v;
					mi->ms = 0;
					mi->me = v->len;
					return R_TRUE;
				}
				continue;
			}
		}
		const char *what = NULL;
		rx_result r = rx_match(p->rx, c->sc->rx, v->s, v->len, from, until, group, &mi->ms, &mi->me, &mi->gs, &mi->ge, &what);
		if (r == RX_MATCH) {
			mi->why = WHY_MATCH;
			mi->value = v;
			return R_TRUE;
		}
		if (r == RX_LIMIT) {
			mi->why = WHY_LIMIT;
			mi->value = v;
			mi->limit = what;
			note_limit(c, p, v, what);
			return R_LIMIT;
		}
	}
	mi->why = WHY_NO_MATCH;
	return R_FALSE;
}

static void
trace_pattern_result(GString *t, const rp_pattern *p, const minfo *mi)
{
	switch (mi->why) {
	case WHY_MATCH:
		g_string_append(t, "  ");
		snippet(t, mi->value->s, mi->value->len, (gssize)mi->ms, (gssize)mi->me);
		break;
	case WHY_NO_VALUE:
		g_string_append(t, "  (no value)");
		break;
	case WHY_SKIPPED:
		if (mi->group == NO_LEAD) {
			g_string_append(t, "  (not run: no match can start: none of");
			for (guint i = 0; i < p->n_lead && i < 4; i++)
				g_string_append_printf(t, "%s\"%s\"", i ? ", " : " ", p->lead_text[i]);
			g_string_append(t, " occurs) in ");
			snippet(t, mi->value->s, mi->value->len, -1, -1);
			break;
		}
		if (mi->group == NO_DIGITS) {
			g_string_append_printf(t, "  (not run: no %u digits in a row) in ", p->digits);
			snippet(t, mi->value->s, mi->value->len, -1, -1);
			break;
		}
		const rp_group *grp = &p->groups[mi->group];
		if (grp->n == 1) {
			g_string_append_printf(t, "  (not run: \"%s\" does not occur) in ", grp->text[0]);
		} else {
			g_string_append(t, "  (not run: none of");
			for (guint i = 0; i < grp->n && i < 4; i++)
				g_string_append_printf(t, "%s\"%s\"", i ? ", " : " ", grp->text[i]);
			if (grp->n > 4)
				g_string_append_printf(t, " and %u more", grp->n - 4);
			g_string_append(t, " occurs) in ");
		}
		snippet(t, mi->value->s, mi->value->len, -1, -1);
		if (mi->n_values > 1)
			g_string_append_printf(t, " and %u more value%s", mi->n_values - 1, mi->n_values > 2 ? "s" : "");
		break;
	case WHY_NO_MATCH:
		g_string_append(t, "  in ");
		snippet(t, mi->value->s, mi->value->len, -1, -1);
		if (mi->n_values > 1)
			g_string_append_printf(t, " and %u more value%s", mi->n_values - 1, mi->n_values > 2 ? "s" : "");
		break;
	case WHY_LIMIT:
		g_string_append_printf(t, "  PCRE2 %s on a %" G_GSIZE_FORMAT "-byte value", mi->limit, mi->value->len);
		break;
	}
}

static tri
eval_test(ectx *c, const rc_node *n, gboolean negated)
{
	tri r = R_FALSE;
	minfo mi = {0};
	gint64 size = 0;
	switch (n->op) {
	case RO_REGEX:
	case RO_EQ:
	case RO_CONTAINS:
		r = match_any(c, n->pat, -1, &mi);
		break;
	case RO_EXISTS:
		if (n->field.kind == RF_SIZE) {
			r = R_TRUE;
		} else {
			GArray *v = values(c, n->field.slot);
			r = v->len > 0;
			mi.n_values = v->len;
			mi.value = v->len ? &g_array_index(v, rv_value, 0) : NULL;
		}
		break;
	case RO_LT:
	case RO_GT:
	case RO_NUM_EQ:
		size = c->in->msg ? (gint64)c->in->msg->raw_size : 0;
		r = n->op == RO_LT ? size < n->num : n->op == RO_GT ? size > n->num : size == n->num;
		break;
	}
	if (c->leaves) {
		GString *t = c->leaves;
		const char *verdict = r == R_LIMIT ? "LIMIT" : (r == R_TRUE) != negated ? "held" : "no";
		g_string_append_printf(t, "    %-5s %s", verdict, negated ? "not " : "");
		describe_test_as(n, t, TRUE);
		if (n->pat) {
			trace_pattern_result(t, n->pat, &mi);
		} else if (n->op == RO_EXISTS && n->field.kind != RF_SIZE) {
			if (mi.value) {
				g_string_append(t, "  ");
				snippet(t, mi.value->s, mi.value->len, -1, -1);
			} else {
				g_string_append(t, "  (no value)");
			}
		} else if (n->op != RO_EXISTS) {
			g_string_append_printf(t, "  (size %" G_GINT64_FORMAT ")", size);
		}
		if (r == R_LIMIT)
			g_string_append(t, ": the rule is treated as not matching");
		g_string_append_c(t, '\n');
	}
	return r;
}

/* gate_closed - the rule's gate pattern cannot match: no value, or the prefilter rules it out */
static inline gboolean
gate_closed(ectx *c, const rr_gate *g)
{
	GArray *vals = values(c, g->slot);
	if (vals->len == 0)
		return TRUE;
	if (g->digits && slot_digits(c, g->slot, vals) < g->digits)
		return TRUE;
	if (g->pf < 0)
		return FALSE;
	scanned(c, g->slot, vals);
	const guint32 *w = c->rs->pf_words + g->pf;
	if (groups_missing(c, w, &w) >= 0)
		return TRUE;
	guint n_lead = *w++;
	if (n_lead == 0)
		return FALSE;
	for (guint k = 0; k < n_lead; k++, w += 2)
		if (bit(c, w[0]))
			return FALSE;
	return TRUE;
}

static tri
eval(ectx *c, const rc_node *n)
{
	tri a;
	switch (n->kind) {
	case RC_TEST:
		return eval_test(c, n, FALSE);
	case RC_NOT:
		a = n->a->kind == RC_TEST ? eval_test(c, n->a, TRUE) : eval(c, n->a);
		return a == R_LIMIT ? R_LIMIT : a == R_TRUE ? R_FALSE : R_TRUE;
	case RC_AND:
		a = eval(c, n->a);
		return a != R_TRUE ? a : eval(c, n->b);
	case RC_OR:
		a = eval(c, n->a);
		return a != R_FALSE ? a : eval(c, n->b);
	}
	return R_FALSE;
}

/* ---- actions ---- */

/* add_once - v to the list unless it is there (seen: what the list holds) */
static void
add_once(GPtrArray *list, GHashTable *seen, const char *v)
{
	if (g_hash_table_contains(seen, v))
		return;
	char *copy = g_strdup(v);
	g_ptr_array_add(list, copy);
	g_hash_table_add(seen, copy);
}

static void
set_first(ectx *c, char **slot, const char *what, const char *v)
{
	if (*slot == NULL) {
		*slot = g_strdup(v);
		if (c->trace)
			g_string_append_printf(c->trace, "    -> %s %s\n", what, v);
	} else if (c->trace) {
		g_string_append_printf(c->trace, "    -> %s %s (not applied: an earlier rule set %s %s)\n", what, v, what,
		                       *slot);
	}
}

static void
add_listed(ectx *c, int which, GPtrArray *list, const char *what, const char *v, gboolean quoted)
{
	add_once(list, c->sc->listed[which], v);
	if (c->trace)
		g_string_append_printf(c->trace, quoted ? "    -> %s \"%s\"\n" : "    -> %s %s\n", what, v);
}

typedef struct {
	char *value;      /* captured, or NULL */
	minfo mi;
	gboolean kept;    /* the name was captured by an earlier rule */
} capture_result;

static void
apply(ectx *c, const rr_rule *r, capture_result *caps)
{
	cd_rule_decision *d = c->out;
	for (guint i = 0; i < r->n_actions; i++) {
		const ra_action *a = &r->actions[i];
		switch (a->kind) {
		case RA_TYPE: set_first(c, &d->type, "type", a->arg); break;
		case RA_QUEUE: set_first(c, &d->queue, "queue", a->arg); break;
		case RA_PRIORITY: set_first(c, &d->priority, "priority", a->arg); break;
		case RA_ASSIGN: set_first(c, &d->assign, "assign", a->arg); break;
		case RA_TAG: add_listed(c, 0, d->tags, "tag", a->arg, FALSE); break;
		case RA_REPLY: add_listed(c, 1, d->replies, "reply", a->arg, TRUE); break;
		case RA_NOTIFY: add_listed(c, 2, d->notifies, "notify", a->arg, TRUE); break;
		case RA_SMS: add_listed(c, 3, d->sms, "sms", a->arg, TRUE); break;
		case RA_REJECT:
			if (d->reject == NULL) {
				d->reject = g_strdup(a->arg);
				if (c->trace)
					g_string_append_printf(c->trace, "    -> reject \"%s\"\n", a->arg);
			} else if (c->trace) {
				g_string_append_printf(c->trace, "    -> reject \"%s\" (not applied: already rejected)\n", a->arg);
			}
			break;
		case RA_DROP:
			d->drop = TRUE;
			if (c->trace)
				g_string_append(c->trace, "    -> drop\n");
			break;
		case RA_STOP:
			if (c->trace)
				g_string_append(c->trace, "    -> stop\n");
			break;
		case RA_CAPTURE: {
			capture_result *cr = &caps[i];
			const char *old = g_hash_table_lookup(d->captures, a->arg);
			if (c->trace) {
				GString *t = c->trace;
				char *tmp;
				g_string_append_printf(t, "    -> capture %s = ", a->arg);
				rr_describe_field(&a->field, t);
				g_string_append_printf(t, " ~ %s: ", source(a->pat, TRUE, &tmp));
				g_free(tmp);
				if (old)
					g_string_append_printf(t, "not applied: %s is already \"%s\"\n", a->arg, old);
				else if (cr->value)
					g_string_append_printf(t, "\"%s\"\n", cr->value);
				else if (a->group < 0)
					g_string_append_printf(t, "nothing (the pattern has no group (?<%s>...))\n", a->arg);
				else {
					g_string_append(t, "nothing");
					trace_pattern_result(t, a->pat, &cr->mi);
					g_string_append_c(t, '\n');
				}
			}
			if (old == NULL && cr->value)
				g_hash_table_insert(d->captures, g_strdup(a->arg), g_strdup(cr->value));
			break;
		}
		}
	}
}

/* run_captures - the capture patterns of a rule whose conditions held (before any action, so that
 * a limit hit still makes the whole rule not match) */
static void
run_captures(ectx *c, const rr_rule *r, capture_result *caps)
{
	for (guint i = 0; i < r->n_actions && !c->limit; i++) {
		const ra_action *a = &r->actions[i];
		if (a->kind != RA_CAPTURE || a->group < 0 || g_hash_table_contains(c->out->captures, a->arg))
			continue;
		capture_result *cr = &caps[i];
		if (match_any(c, a->pat, a->group, &cr->mi) == R_TRUE && cr->mi.gs >= 0 && cr->mi.ge > cr->mi.gs) {
			char *v = g_strndup(cr->mi.value->s + cr->mi.gs, (gsize)(cr->mi.ge - cr->mi.gs));
			cr->value = g_utf8_make_valid(v, -1);
			g_free(v);
		}
	}
}

void
cd_rules_evaluate(const cd_ruleset *rs, const cd_rule_input *in, cd_rule_decision *out, GString *trace)
{
	g_return_if_fail(rs != NULL && in != NULL && out != NULL && out->tags != NULL);
	cd_ruleset *mrs = (cd_ruleset *)rs; /* only the scratch pool is written, under its lock */
	ectx c = {.rs = rs, .in = in, .out = out, .trace = trace};
	c.sc = scratch_get(mrs);
	/* the decision may hold entries already: they count as listed */
	GPtrArray *lists[4] = {out->tags, out->replies, out->notifies, out->sms};
	for (int l = 0; l < 4; l++)
		for (guint i = 0; i < lists[l]->len; i++)
			g_hash_table_add(c.sc->listed[l], g_ptr_array_index(lists[l], i));
	if (trace)
		c.leaves = g_string_new(NULL);
	/* gates are checked from their own array (a dry run checks none: it explains every rule) */
	const rr_gate *gates = trace == NULL ? rs->gates : NULL;
	capture_result caps_buf[8];
	guint i;
	for (i = 0; i < rs->rules->len; i++) {
		if (gates && gates[i].slot != G_MAXUINT32 && gate_closed(&c, &gates[i]))
			continue;
		const rr_rule *r = g_ptr_array_index(rs->rules, i);
		c.rule = r;
		c.limit = FALSE;
		if (c.leaves)
			g_string_truncate(c.leaves, 0);
		tri held = r->when ? eval(&c, r->when) : R_TRUE;
		capture_result *caps = NULL;
		if (held == R_TRUE) {
			if (r->n_actions <= G_N_ELEMENTS(caps_buf)) {
				caps = caps_buf;
				memset(caps, 0, sizeof(capture_result) * r->n_actions);
			} else {
				caps = g_new0(capture_result, r->n_actions);
			}
			run_captures(&c, r, caps);
		}
		if (c.limit) {
			g_ptr_array_add(out->limit_hits, g_strdup(r->where));
			held = R_LIMIT;
		}
		if (trace) {
			g_string_append_printf(trace, "%s:%u rule \"%s\": %s\n", r->file, r->line, r->name,
			                       held == R_TRUE ? "MATCHED" : held == R_LIMIT ? "not matching (PCRE2 limit)" : "no");
			if (r->when == NULL)
				g_string_append(trace, "    held  (no conditions)\n");
			g_string_append_len(trace, c.leaves->str, c.leaves->len);
		}
		if (held == R_TRUE) {
			g_ptr_array_add(out->matched, g_strdup(r->where));
			apply(&c, r, caps);
		}
		for (guint k = 0; caps && k < r->n_actions; k++)
			g_free(caps[k].value);
		if (caps != caps_buf)
			g_free(caps);
		if (held == R_TRUE && r->stop) {
			i++;
			break;
		}
	}
	if (trace) {
		if (i < rs->rules->len) {
			const rr_rule *r = g_ptr_array_index(rs->rules, i - 1);
			g_string_append_printf(trace, "stopped by %s:%u rule \"%s\": %u later rule%s not evaluated\n", r->file,
			                       r->line, r->name, rs->rules->len - i, rs->rules->len - i == 1 ? "" : "s");
		}
		g_string_free(c.leaves, TRUE);
	}
	scratch_put(mrs, c.sc);
}
