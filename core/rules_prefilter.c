/* rules_prefilter.c - skipping patterns that cannot match, without changing any decision.
 *
 * Part 1, at load: rp_required_literals reads a pattern's text (a small parser of PCRE2 syntax)
 * and finds a set of literals one of which must occur in any subject the pattern matches, e.g.
 * /\b(rma|return|defect(ive)?)\b/i needs "rma", "return" or "defect". Whatever the parser does not
 * understand yields no requirement for that part (the pattern then always runs), so a literal is
 * only ever required when it truly is.
 *
 * A second kind of requirement: a run of ASCII digits (\d without u, [0-9], literal digits),
 * e.g. /order\s*#?\s*[A-Z]\d{3,}/ needs three digits in a row somewhere in the value.
 *
 * Part 2, per message: one Aho-Corasick automaton per field (slot) over all the literals of the
 * patterns on that field; one pass over a value marks every literal it contains (and where it
 * first and last starts), and a pattern none of whose literals is marked is known not to match.
 * A long value is scanned in four pieces side by side (see rp_scan).
 *
 * Case: the automaton compares ASCII letters case-insensitively and other bytes exactly, for every
 * pattern (a superset of what a case-sensitive pattern needs). Caseless PCRE2 matching in UTF mode
 * also lets 'k' match U+212A KELVIN SIGN and 's' match U+017F LONG S, and non-ASCII letters match
 * their other cases (é É, σ ς Σ, å Å Å): so a caseless literal is searched in every form, each
 * character in each member of its caseless set, which rx_caseless_set asks PCRE2 itself for. A
 * literal with more than MAX_FORMS forms is cut to its longest piece within that (a piece of a
 * required literal is required too). The forms that put a non-ASCII character for an ASCII letter
 * (K, ſ) make the automaton much larger and hardly ever occur: a second automaton has them, and
 * only a value that holds one of them is scanned with it. test_rules checks that k and s are the
 * only such ASCII letters, rx_caseless_set against PCRE2, and the scan against PCRE2. */
#include "rules_int.h"

#include <string.h>

#define MAX_EXACT 16   /* members of an exact set */
#define MAX_REQ 32     /* members of a required set */
#define MAX_LIT 64     /* bytes of one literal */
#define MIN_LIT 2      /* shorter literals are not worth a lookup */
#define MAX_FORMS 16   /* strings searched for one caseless literal */

/* ---- sets of strings ---- */

typedef GPtrArray strset; /* char*, unique */

static strset *
set_new(void)
{
	return g_ptr_array_new_with_free_func(g_free);
}

static void
set_free(strset *s)
{
	if (s)
		g_ptr_array_unref(s);
}

static gboolean
set_has(const strset *s, const char *v)
{
	for (guint i = 0; i < s->len; i++)
		if (strcmp(g_ptr_array_index(s, i), v) == 0)
			return TRUE;
	return FALSE;
}

static void
set_add(strset *s, const char *v)
{
	if (!set_has(s, v))
		g_ptr_array_add(s, g_strdup(v));
}

static strset *
set_copy(const strset *s)
{
	if (s == NULL)
		return NULL;
	strset *r = set_new();
	for (guint i = 0; i < s->len; i++)
		set_add(r, g_ptr_array_index(s, i));
	return r;
}

static strset *
set_one(const char *v)
{
	strset *s = set_new();
	set_add(s, v);
	return s;
}

/* ---- what a piece of pattern implies ---- */

typedef GPtrArray conjset; /* strset*: every one of them is required */

typedef struct {
	strset *exact; /* every string it can match (may hold ""), NULL: unknown or too many */
	conjset *req;  /* every match contains a member of each of these sets, NULL: nothing known */
	int dreq;      /* every match contains a run of this many ASCII digits (0: nothing known) */
	int dpure1;    /* 0: may match a non-digit; n + 1: matches only ASCII digits, at least n */
	strset *lead;  /* every match starts with one of these (none empty), NULL: not known */
} info;

#define MAX_DIGITS 1000

typedef struct {
	const char *p, *end;
	gboolean caseless;
	gboolean extended;
	gboolean ucp;      /* u: \d is any Unicode digit, not only 0-9 */
	gboolean bail;     /* syntax we do not follow: no requirement for the whole pattern */
} xparser;

static void
conj_free(conjset *c)
{
	if (c)
		g_ptr_array_unref(c);
}

/* conj_add - add set s (consumed) to *c */
static void
conj_add(conjset **c, strset *s)
{
	if (s == NULL)
		return;
	if (*c == NULL)
		*c = g_ptr_array_new_with_free_func((GDestroyNotify)set_free);
	g_ptr_array_add(*c, s);
}

static void
info_clear(info *x)
{
	set_free(x->exact);
	conj_free(x->req);
	set_free(x->lead);
	x->exact = NULL;
	x->req = NULL;
	x->lead = NULL;
}

static info
info_any(void)
{
	return (info){.exact = NULL};
}

static info
info_empty(void)
{
	return (info){.exact = set_one("")};
}

/* info_digit - one ASCII digit */
static info
info_digit(void)
{
	return (info){.dpure1 = 2};
}

/* char_forms - how many strings the automaton must look for to find character c (the UTF-8 at
 * p, n bytes) in a caseless search: its caseless set, with ASCII letters as one (the automaton
 * folds ASCII case itself); into forms (lower-case UTF-8, may be NULL) */
static guint
char_forms(const char *p, gsize n, GPtrArray *forms)
{
	gunichar c = g_utf8_get_char_validated(p, (gssize)n);
	if (c == (gunichar)-1 || c == (gunichar)-2) {
		/* not UTF-8 (a pattern PCRE2 refused never gets here): only the bytes themselves */
		if (forms)
			g_ptr_array_add(forms, g_strndup(p, n));
		return 1;
	}
	gunichar set[MAX_FORMS + 1];
	guint all = rx_caseless_set(c, set, G_N_ELEMENTS(set));
	if (all > MAX_FORMS)
		return all; /* more than any literal may have: never searched for */
	guint count = 0;
	char seen[MAX_FORMS][8];
	for (guint i = 0; i < all; i++) {
		char buf[8] = {0};
		gunichar u = set[i] < 0x80 ? (gunichar)g_ascii_tolower((char)set[i]) : set[i];
		g_unichar_to_utf8(u, buf);
		gboolean dup = FALSE;
		for (guint k = 0; k < count && !dup; k++)
			dup = strcmp(seen[k], buf) == 0;
		if (dup)
			continue;
		memcpy(seen[count++], buf, sizeof buf);
		if (forms)
			g_ptr_array_add(forms, g_strdup(buf));
	}
	return count;
}

/* fragment - the piece of lit that a search can rely on. A case-sensitive literal is searched
 * as it is. A caseless one is searched in all its forms (each character in every case PCRE2
 * gives it: see the top); when that would be more than MAX_FORMS strings, the longest piece that
 * stays within it. */
static char *
fragment(const char *lit, gboolean caseless)
{
	if (!caseless)
		return g_strdup(lit);
	gsize len = strlen(lit);
	/* characters and their form counts, then the longest window (in bytes) whose product of
	 * counts is at most MAX_FORMS */
	GArray *at = g_array_new(FALSE, FALSE, sizeof(gsize));
	GArray *cnt = g_array_new(FALSE, FALSE, sizeof(guint));
	for (gsize i = 0; i < len;) {
		gsize n = 1;
		while (i + n < len && ((guchar)lit[i + n] & 0xC0) == 0x80)
			n++;
		guint k = char_forms(lit + i, n, NULL);
		g_array_append_val(at, i);
		g_array_append_val(cnt, k);
		i += n;
	}
	g_array_append_val(at, len);
	gsize best = 0, best_len = 0;
	guint64 prod = 1;
	guint lo = 0;
	for (guint hi = 0; hi < cnt->len; hi++) {
		guint k = g_array_index(cnt, guint, hi);
		if (k > MAX_FORMS) {
			lo = hi + 1;
			prod = 1;
			continue;
		}
		prod *= k;
		while (prod > MAX_FORMS)
			prod /= g_array_index(cnt, guint, lo++);
		gsize from = g_array_index(at, gsize, lo), to = g_array_index(at, gsize, hi + 1);
		if (to - from > best_len) {
			best = from;
			best_len = to - from;
		}
	}
	g_array_free(at, TRUE);
	g_array_free(cnt, TRUE);
	return g_strndup(lit + best, best_len);
}

/* usable - the set as it will be searched: each member cut to its fragment; NULL when a member
 * has no fragment of MIN_LIT bytes (that alternative could match without any literal). */
static strset *
usable(const strset *s, gboolean caseless)
{
	if (s == NULL || s->len == 0 || s->len > MAX_REQ)
		return NULL;
	strset *r = set_new();
	for (guint i = 0; i < s->len; i++) {
		char *f = fragment(g_ptr_array_index(s, i), caseless);
		if (strlen(f) < MIN_LIT) {
			g_free(f);
			set_free(r);
			return NULL;
		}
		set_add(r, f);
		g_free(f);
	}
	/* a member that contains another is redundant: wherever it occurs, so does the other */
	for (guint i = 0; i < r->len;) {
		gboolean redundant = FALSE;
		for (guint j = 0; j < r->len && !redundant; j++)
			redundant = j != i && strstr(g_ptr_array_index(r, i), g_ptr_array_index(r, j)) != NULL;
		if (redundant)
			g_ptr_array_remove_index(r, i);
		else
			i++;
	}
	return r;
}

/* score - how selective a required set is: its shortest literal first, then fewer members */
static gint64
score(const strset *s, gboolean caseless)
{
	strset *u = usable(s, caseless);
	if (u == NULL)
		return -1;
	gsize min = G_MAXSIZE;
	for (guint i = 0; i < u->len; i++)
		min = MIN(min, strlen(g_ptr_array_index(u, i)));
	gint64 sc = (gint64)MIN(min, 1000) * 1000 - u->len;
	set_free(u);
	return sc;
}

static strset *
from_exact(const strset *exact)
{
	if (exact == NULL || exact->len == 0 || set_has(exact, ""))
		return NULL;
	return set_copy(exact);
}

/* keep_best - *best becomes the better of *best and cand (cand is consumed) */
static void
keep_best(strset **best, strset *cand, gboolean caseless)
{
	if (cand == NULL)
		return;
	if (*best == NULL || score(cand, caseless) > score(*best, caseless)) {
		set_free(*best);
		*best = cand;
	} else {
		set_free(cand);
	}
}

static strset *
cross(const strset *a, const strset *b)
{
	if (a == NULL || b == NULL || a->len * b->len > MAX_EXACT)
		return NULL;
	strset *r = set_new();
	for (guint i = 0; i < a->len; i++)
		for (guint j = 0; j < b->len; j++) {
			const char *x = g_ptr_array_index(a, i), *y = g_ptr_array_index(b, j);
			if (strlen(x) + strlen(y) > MAX_LIT) {
				set_free(r);
				return NULL;
			}
			char *xy = g_strconcat(x, y, NULL);
			set_add(r, xy);
			g_free(xy);
		}
	return r;
}

/* branch_req - the best single required set of x, or NULL */
static strset *
branch_req(const info *x, gboolean caseless)
{
	strset *r = NULL;
	for (guint i = 0; x->req && i < x->req->len; i++)
		keep_best(&r, set_copy(g_ptr_array_index(x->req, i)), caseless);
	keep_best(&r, from_exact(x->exact), caseless);
	return r;
}

/* alternate - a or b (both consumed) */
static info
alternate(info a, info b, gboolean caseless)
{
	info r = {.dreq = MIN(a.dreq, b.dreq), .dpure1 = a.dpure1 && b.dpure1 ? MIN(a.dpure1, b.dpure1) : 0};
	if (a.lead && b.lead && a.lead->len + b.lead->len <= MAX_REQ) {
		r.lead = set_copy(a.lead);
		for (guint i = 0; i < b.lead->len; i++)
			set_add(r.lead, g_ptr_array_index(b.lead, i));
	}
	if (a.exact && b.exact && a.exact->len + b.exact->len <= MAX_EXACT) {
		r.exact = set_copy(a.exact);
		for (guint i = 0; i < b.exact->len; i++)
			set_add(r.exact, g_ptr_array_index(b.exact, i));
	}
	strset *ra = branch_req(&a, caseless), *rb = branch_req(&b, caseless);
	if (ra && rb && ra->len + rb->len <= MAX_REQ) {
		for (guint i = 0; i < rb->len; i++)
			set_add(ra, g_ptr_array_index(rb, i));
		conj_add(&r.req, ra);
		set_free(rb);
	} else {
		set_free(ra);
		set_free(rb);
	}
	info_clear(&a);
	info_clear(&b);
	return r;
}

/* repeat - x{min,max}; max < 0: unbounded */
static info
repeat(info x, int min, int max, gboolean caseless)
{
	info r = {.exact = NULL};
	int pure = x.dpure1 ? x.dpure1 - 1 : -1;
	if (pure >= 0) {
		int n = min == 0 ? 0 : (int)MIN((gint64)pure * min, MAX_DIGITS);
		r.dpure1 = n + 1;
		r.dreq = n;
	}
	if (min >= 1) {
		r.dreq = MAX(r.dreq, x.dreq);
		r.lead = x.lead; /* x{1,}: starts as x does */
		x.lead = NULL;
	}
	if (min == 0) {
		if (max == 1 && x.exact && x.exact->len < MAX_EXACT) {
			r.exact = set_copy(x.exact);
			set_add(r.exact, "");
		}
	} else {
		if (min == max && min <= 3 && x.exact) {
			r.exact = set_copy(x.exact);
			for (int i = 1; i < min && r.exact; i++) {
				strset *n = cross(r.exact, x.exact);
				set_free(r.exact);
				r.exact = n;
			}
		}
		/* x occurs at least once: all it requires is required */
		r.req = x.req;
		x.req = NULL;
		conj_add(&r.req, from_exact(x.exact));
		conj_add(&r.req, from_exact(r.exact));
	}
	info_clear(&x);
	return r;
}

static void
skip_extended(xparser *xp)
{
	while (xp->extended && xp->p < xp->end) {
		if (g_ascii_isspace(*xp->p)) {
			xp->p++;
		} else if (*xp->p == '#') {
			while (xp->p < xp->end && *xp->p != '\n')
				xp->p++;
		} else {
			break;
		}
	}
}

/* char_atom - one literal character (bytes p..p+n) as an atom */
static info
char_atom(const char *p, gsize n)
{
	char *s = g_ascii_strdown(p, n);
	info r = {.exact = set_one(s), .dreq = n == 1 && g_ascii_isdigit(*p), .dpure1 = n == 1 && g_ascii_isdigit(*p) ? 2 : 0};
	g_free(s);
	return r;
}

static info
codepoint_atom(gunichar c)
{
	if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000))
		return info_any();
	char buf[8] = {0};
	int n = g_unichar_to_utf8(c, buf);
	return char_atom(buf, n);
}

static gsize
utf8_len(const xparser *xp)
{
	const char *q = xp->p + 1;
	while (q < xp->end && ((guchar)*q & 0xC0) == 0x80)
		q++;
	return q - xp->p;
}

/* hex - up to max hex digits; -1 when none */
static gint64
hex(xparser *xp, int max)
{
	gint64 v = -1;
	for (int i = 0; (max < 0 || i < max) && xp->p < xp->end && g_ascii_isxdigit(*xp->p); i++) {
		v = (v < 0 ? 0 : v) * 16 + g_ascii_xdigit_value(*xp->p);
		if (v > 0x10FFFF)
			v = 0x110000;
		xp->p++;
	}
	return v;
}

/* skip_to - past the next c; bail when there is none */
static void
skip_to(xparser *xp, char c)
{
	while (xp->p < xp->end && *xp->p != c)
		xp->p++;
	if (xp->p >= xp->end)
		xp->bail = TRUE;
	else
		xp->p++;
}

/* escape - after the backslash */
static info
escape(xparser *xp)
{
	if (xp->p >= xp->end) {
		xp->bail = TRUE;
		return info_any();
	}
	char c = *xp->p++;
	switch (c) {
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'K': case 'E':
		return info_empty();
	case 'G':
		xp->bail = TRUE; /* \G depends on where matching starts: never start elsewhere */
		return info_any();
	case 'd':
		return xp->ucp ? info_any() : info_digit();
	case 'D': case 'w': case 'W': case 's': case 'S': case 'h': case 'H': case 'v': case 'V':
	case 'R': case 'X': case 'C':
		return info_any();
	case 'a': return char_atom("\a", 1);
	case 'e': return char_atom("\x1b", 1);
	case 'f': return char_atom("\f", 1);
	case 'n': return char_atom("\n", 1);
	case 'r': return char_atom("\r", 1);
	case 't': return char_atom("\t", 1);
	case 'x': {
		gint64 v;
		if (xp->p < xp->end && *xp->p == '{') {
			xp->p++;
			v = hex(xp, -1);
			if (xp->p >= xp->end || *xp->p != '}') {
				xp->bail = TRUE;
				return info_any();
			}
			xp->p++;
		} else {
			v = hex(xp, 2);
			if (v < 0)
				v = 0;
		}
		return codepoint_atom((gunichar)v);
	}
	case 'o':
		if (xp->p < xp->end && *xp->p == '{')
			skip_to(xp, '}');
		else
			xp->bail = TRUE;
		return info_any();
	case 'c':
		if (xp->p < xp->end)
			xp->p++;
		return info_any();
	case 'p': case 'P':
		if (xp->p < xp->end && *xp->p == '{')
			skip_to(xp, '}');
		else if (xp->p < xp->end)
			xp->p++;
		return info_any();
	case 'N':
		if (xp->p + 1 < xp->end && xp->p[0] == '{' && xp->p[1] == 'U') {
			/* \N{U+hhhh} */
			xp->p += 2;
			if (xp->p < xp->end && *xp->p == '+')
				xp->p++;
			gint64 v = hex(xp, -1);
			if (xp->p >= xp->end || *xp->p != '}' || v < 0) {
				xp->bail = TRUE;
				return info_any();
			}
			xp->p++;
			return codepoint_atom((gunichar)v);
		}
		if (xp->p < xp->end && *xp->p == '{')
			skip_to(xp, '}'); /* \N{n} is a quantified \N: parsed as any, close enough? no: bail */
		return info_any();
	case 'g':
		if (xp->p < xp->end && *xp->p == '{')
			skip_to(xp, '}');
		else if (xp->p < xp->end && *xp->p == '<')
			skip_to(xp, '>');
		else if (xp->p < xp->end && *xp->p == '\'')
			xp->p++, skip_to(xp, '\'');
		else {
			if (xp->p < xp->end && (*xp->p == '-' || *xp->p == '+'))
				xp->p++;
			while (xp->p < xp->end && g_ascii_isdigit(*xp->p))
				xp->p++;
		}
		return info_any();
	case 'k':
		if (xp->p < xp->end && *xp->p == '{')
			skip_to(xp, '}');
		else if (xp->p < xp->end && *xp->p == '<')
			skip_to(xp, '>');
		else if (xp->p < xp->end && *xp->p == '\'')
			xp->p++, skip_to(xp, '\'');
		else
			xp->bail = TRUE;
		return info_any();
	default:
		break;
	}
	if (g_ascii_isdigit(c)) {
		/* a back reference or an octal character: either way no literal */
		while (xp->p < xp->end && g_ascii_isdigit(*xp->p))
			xp->p++;
		return info_any();
	}
	if (g_ascii_isalpha(c)) {
		xp->bail = TRUE; /* PCRE2 refuses unknown letter escapes; do not guess */
		return info_any();
	}
	/* an escaped non-alphanumeric character is itself */
	xp->p--;
	gsize n = utf8_len(xp);
	info r = char_atom(xp->p, n);
	xp->p += n;
	return r;
}

/* klass - after '[': a few single characters become an exact set, anything else any */
/* digit_class - [0-9], [1-5], [0-9] lists: only ASCII digits */
static gboolean
digit_class(const char *p, const char *end)
{
	if (p >= end)
		return FALSE;
	while (p < end) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
		if (p + 2 < end && p[1] == '-' && g_ascii_isdigit(p[2]))
			p += 3;
		else
			p++;
	}
	return TRUE;
}

static info
klass(xparser *xp)
{
	const char *start = xp->p;
	gboolean simple = TRUE;
	if (xp->p < xp->end && *xp->p == '^') {
		simple = FALSE;
		xp->p++;
	}
	strset *chars = set_new();
	gboolean first = TRUE;
	while (xp->p < xp->end) {
		char c = *xp->p;
		if (c == ']' && !first) {
			if (digit_class(start, xp->p)) {
				xp->p++;
				set_free(chars);
				return info_digit();
			}
			xp->p++;
			info r = info_any();
			if (simple && chars->len > 0 && chars->len <= 8)
				r.exact = set_copy(chars);
			set_free(chars);
			return r;
		}
		first = FALSE;
		if (c == '[' && xp->p + 1 < xp->end && (xp->p[1] == ':' || xp->p[1] == '.' || xp->p[1] == '=')) {
			/* [:alpha:] and friends */
			char close = xp->p[1];
			simple = FALSE;
			xp->p += 2;
			while (xp->p + 1 < xp->end && !(xp->p[0] == close && xp->p[1] == ']'))
				xp->p++;
			if (xp->p + 1 >= xp->end)
				break;
			xp->p += 2;
			continue;
		}
		if (c == '\\') {
			xp->p++;
			if (xp->p >= xp->end)
				break;
			char e = *xp->p;
			if (e == 'Q' || e == 'E' || e == 'x' || e == 'o' || e == 'p' || e == 'P' || e == 'N' || e == 'c' ||
			    g_ascii_isalnum(e)) {
				/* classes of characters, codes and quoting inside a class: not followed */
				if (e == 'Q' || e == 'x' || e == 'o' || e == 'p' || e == 'P' || e == 'N' || e == 'c')
					break;
				simple = FALSE;
				xp->p++;
				continue;
			}
			gsize n = utf8_len(xp);
			char *s = g_ascii_strdown(xp->p, n);
			set_add(chars, s);
			g_free(s);
			xp->p += n;
		} else {
			gsize n = utf8_len(xp);
			char *s = g_ascii_strdown(xp->p, n);
			set_add(chars, s);
			g_free(s);
			xp->p += n;
		}
		if (xp->p < xp->end && *xp->p == '-' && xp->p + 1 < xp->end && xp->p[1] != ']')
			simple = FALSE; /* a range */
	}
	set_free(chars);
	xp->bail = TRUE;
	return info_any();
}

static info parse_alt(xparser *xp);

/* group - after '(' */
static info
group(xparser *xp)
{
	gboolean zero_width = FALSE;
	if (xp->p < xp->end && *xp->p == '*') {
		xp->bail = TRUE; /* (*VERB) and (*pla:...) */
		return info_any();
	}
	if (xp->p < xp->end && *xp->p == '?') {
		xp->p++;
		if (xp->p >= xp->end) {
			xp->bail = TRUE;
			return info_any();
		}
		char c = *xp->p;
		if (c == ':' || c == '>' || c == '|') {
			xp->p++;
		} else if (c == '=' || c == '!') {
			xp->p++;
			zero_width = TRUE;
		} else if (c == '<' && xp->p + 1 < xp->end && (xp->p[1] == '=' || xp->p[1] == '!')) {
			xp->p += 2;
			zero_width = TRUE;
		} else if (c == '<') {
			skip_to(xp, '>');
		} else if (c == '\'') {
			xp->p++;
			skip_to(xp, '\'');
		} else if (c == 'P' && xp->p + 1 < xp->end && xp->p[1] == '<') {
			xp->p++;
			skip_to(xp, '>');
		} else if (c == '#') {
			skip_to(xp, ')');
			return info_empty();
		} else if (g_ascii_isalpha(c) || c == '-' || c == '^') {
			/* option settings (?i) (?i:...) (?-i) */
			const char *o = xp->p;
			while (xp->p < xp->end && (g_ascii_isalpha(*xp->p) || *xp->p == '-' || *xp->p == '^'))
				xp->p++;
			if (xp->p >= xp->end || (*xp->p != ')' && *xp->p != ':')) {
				xp->bail = TRUE; /* (?R), (?P>name), (?C...) ... */
				return info_any();
			}
			for (const char *q = o; q < xp->p; q++) {
				if (*q == 'x' || *q == '^')
					xp->bail = TRUE; /* extended mode changes mid-pattern: not followed */
				if (*q == 'i')
					xp->caseless = TRUE;
				if (!strchr("imnsxJU-^", *q))
					xp->bail = TRUE;
			}
			if (*xp->p++ == ')')
				return info_empty();
		} else {
			xp->bail = TRUE; /* recursion (?1) (?&name), conditionals (?(...) */
			return info_any();
		}
	}
	info r = parse_alt(xp);
	if (xp->p >= xp->end || *xp->p != ')') {
		xp->bail = TRUE;
		return r;
	}
	xp->p++;
	if (zero_width) {
		info_clear(&r);
		return info_empty();
	}
	return r;
}

/* quantifier - after an atom: TRUE with min and max set (max -1: unbounded) when one follows */
static gboolean
quantifier(xparser *xp, int *min, int *max)
{
	skip_extended(xp);
	if (xp->p >= xp->end)
		return FALSE;
	char c = *xp->p;
	if (c == '*' || c == '+' || c == '?') {
		*min = c == '+' ? 1 : 0;
		*max = c == '?' ? 1 : -1;
		xp->p++;
	} else if (c == '{') {
		const char *q = xp->p + 1;
		gint64 a = 0, b;
		if (q >= xp->end || !g_ascii_isdigit(*q)) {
			xp->bail = TRUE; /* a literal '{' or {,n}: not followed */
			return FALSE;
		}
		for (; q < xp->end && g_ascii_isdigit(*q); q++)
			a = MIN(a * 10 + (*q - '0'), 100000);
		b = a;
		if (q < xp->end && *q == ',') {
			q++;
			b = -1;
			if (q < xp->end && g_ascii_isdigit(*q)) {
				b = 0;
				for (; q < xp->end && g_ascii_isdigit(*q); q++)
					b = MIN(b * 10 + (*q - '0'), 100000);
			}
		}
		if (q >= xp->end || *q != '}') {
			xp->bail = TRUE;
			return FALSE;
		}
		xp->p = q + 1;
		*min = (int)a;
		*max = (int)b;
	} else {
		return FALSE;
	}
	if (xp->p < xp->end && (*xp->p == '?' || *xp->p == '+'))
		xp->p++; /* lazy or possessive: the same strings */
	return TRUE;
}

/* A sequence is read atom by atom: run is the exact set of the current run of literal atoms
 * (cross products); a non-literal atom ends the run. Every finished run and everything an atom
 * requires is required by the sequence (req, a conjunction). */
typedef struct {
	strset *run;
	gboolean all_exact;
	conjset *req;
	int dcur;   /* digits in a row so far */
	int dreq;   /* longest digit run required */
	int dsum;   /* digits matched when all atoms are digits, else -1 */
	gboolean lead_done;
	strset *lead; /* what every match starts with, once known */
} seqstate;

static strset *
nonempty_copy(const strset *s)
{
	return s && s->len && !set_has(s, "") ? set_copy(s) : NULL;
}

static void
seq_add(seqstate *st, info atom, gboolean caseless)
{
	strset *joined = atom.exact ? cross(st->run, atom.exact) : NULL;
	if (!st->lead_done && joined == NULL) {
		/* the first run ends here: it is what every match starts with; with nothing before this
		 * atom (or only zero-width ones), the atom's own start is */
		st->lead_done = TRUE;
		if (st->run->len == 1 && set_has(st->run, ""))
			st->lead = atom.exact ? nonempty_copy(atom.exact) : nonempty_copy(atom.lead);
		else
			st->lead = nonempty_copy(st->run);
	}
	if (joined) {
		set_free(st->run);
		st->run = joined;
	} else {
		conj_add(&st->req, from_exact(st->run));
		set_free(st->run);
		st->run = atom.exact ? set_copy(atom.exact) : set_one("");
		st->all_exact = FALSE;
	}
	for (guint i = 0; atom.req && i < atom.req->len; i++)
		conj_add(&st->req, set_copy(g_ptr_array_index(atom.req, i)));
	int pure = atom.dpure1 ? atom.dpure1 - 1 : -1;
	st->dcur = pure >= 0 ? MIN(st->dcur + pure, MAX_DIGITS) : 0;
	st->dreq = MAX(st->dreq, MAX(st->dcur, atom.dreq));
	st->dsum = st->dsum >= 0 && pure >= 0 ? MIN(st->dsum + pure, MAX_DIGITS) : -1;
	info_clear(&atom);
}

static info
seq_end(seqstate *st, gboolean caseless)
{
	conj_add(&st->req, from_exact(st->run));
	if (!st->lead_done)
		st->lead = nonempty_copy(st->run);
	info r = {.exact = st->all_exact ? st->run : NULL, .req = st->req, .dreq = st->dreq,
	          .dpure1 = st->dsum >= 0 ? st->dsum + 1 : 0, .lead = st->lead};
	if (!st->all_exact)
		set_free(st->run);
	return r;
}

static info
parse_seq(xparser *xp)
{
	seqstate st = {set_one(""), TRUE, NULL, 0, 0, 0, FALSE, NULL};
	for (;;) {
		skip_extended(xp);
		if (xp->bail || xp->p >= xp->end || *xp->p == '|' || *xp->p == ')')
			return seq_end(&st, xp->caseless);
		char c = *xp->p++;
		info atom;
		if (c == '\\' && xp->p < xp->end && *xp->p == 'Q') {
			/* \Q...\E: each character an atom (a quantifier after \E applies to the last one) */
			xp->p++;
			gboolean have = FALSE;
			while (xp->p < xp->end && !(xp->p[0] == '\\' && xp->p + 1 < xp->end && xp->p[1] == 'E')) {
				if (have)
					seq_add(&st, atom, xp->caseless);
				gsize n = utf8_len(xp);
				atom = char_atom(xp->p, n);
				have = TRUE;
				xp->p += n;
			}
			if (xp->p < xp->end)
				xp->p += 2;
			if (!have)
				continue;
		} else {
			switch (c) {
			case '(':
				atom = group(xp);
				break;
			case '[':
				atom = klass(xp);
				break;
			case '\\':
				atom = escape(xp);
				break;
			case '.':
				atom = info_any();
				break;
			case '^':
			case '$':
				atom = info_empty();
				break;
			case '*':
			case '+':
			case '?':
			case '{':
				xp->bail = TRUE;
				return seq_end(&st, xp->caseless);
			default: {
				xp->p--;
				gsize n = utf8_len(xp);
				atom = char_atom(xp->p, n);
				xp->p += n;
				break;
			}
			}
		}
		int min, max;
		if (quantifier(xp, &min, &max)) {
			if (min >= 1 && min <= 3 && max != min && atom.exact) {
				/* x{2,} is xx then x*: the first copies continue the run */
				info head = {.exact = set_copy(atom.exact)};
				seq_add(&st, repeat(head, min, min, xp->caseless), xp->caseless);
			}
			atom = repeat(atom, min, max, xp->caseless);
		}
		seq_add(&st, atom, xp->caseless);
	}
}

static info
parse_alt(xparser *xp)
{
	info r = parse_seq(xp);
	while (!xp->bail && xp->p < xp->end && *xp->p == '|') {
		xp->p++;
		r = alternate(r, parse_seq(xp), xp->caseless);
	}
	return r;
}

/* caseless_somewhere - /i, or an inline option group that sets i anywhere */
static gboolean
caseless_somewhere(const char *text, const char *flags)
{
	if (flags && strchr(flags, 'i'))
		return TRUE;
	for (const char *q = strstr(text, "(?"); q; q = strstr(q + 2, "(?")) {
		for (const char *o = q + 2; g_ascii_isalpha(*o) || *o == '-' || *o == '^'; o++)
			if (*o == 'i')
				return TRUE;
	}
	return FALSE;
}

static char **
to_strv(const strset *s)
{
	char **v = g_new0(char *, s->len + 1);
	for (guint i = 0; i < s->len; i++)
		v[i] = g_strdup(g_ptr_array_index(s, i));
	return v;
}

/* implies - every member of b contains a member of a: wherever b is satisfied, so is a */
static gboolean
implies(const strset *b, const strset *a)
{
	for (guint i = 0; i < b->len; i++) {
		gboolean found = FALSE;
		for (guint j = 0; j < a->len && !found; j++)
			found = strstr(g_ptr_array_index(b, i), g_ptr_array_index(a, j)) != NULL;
		if (!found)
			return FALSE;
	}
	return TRUE;
}

static gint
by_score_desc(gconstpointer x, gconstpointer y, gpointer caseless)
{
	gint64 a = score(*(strset *const *)x, GPOINTER_TO_INT(caseless));
	gint64 b = score(*(strset *const *)y, GPOINTER_TO_INT(caseless));
	return a > b ? -1 : a < b ? 1 : 0;
}

/* finish - the searchable sets of a conjunction (consumed), most selective first, at most 4 */
static GPtrArray *
finish(conjset *c, gboolean caseless)
{
	if (c == NULL)
		return NULL;
	conjset *u = g_ptr_array_new_with_free_func((GDestroyNotify)set_free);
	for (guint i = 0; i < c->len; i++) {
		strset *s = usable(g_ptr_array_index(c, i), caseless);
		if (s)
			g_ptr_array_add(u, s);
	}
	conj_free(c);
	/* drop sets another one implies (keeping the first of equal ones) */
	for (guint i = 0; i < u->len;) {
		gboolean redundant = FALSE;
		for (guint j = 0; j < u->len && !redundant; j++)
			redundant = j != i && implies(g_ptr_array_index(u, j), g_ptr_array_index(u, i)) &&
			            !(j > i && implies(g_ptr_array_index(u, i), g_ptr_array_index(u, j)));
		if (redundant)
			g_ptr_array_remove_index(u, i);
		else
			i++;
	}
	g_ptr_array_sort_with_data(u, by_score_desc, GINT_TO_POINTER(caseless));
	if (u->len > 4)
		g_ptr_array_set_size(u, 4);
	if (u->len == 0) {
		conj_free(u);
		return NULL;
	}
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	for (guint i = 0; i < u->len; i++)
		g_ptr_array_add(out, to_strv(g_ptr_array_index(u, i)));
	conj_free(u);
	return out;
}

/* digit_run - the longest run of ASCII digits in s */
static guint
digit_run(const char *s)
{
	guint best = 0, cur = 0;
	for (; *s; s++) {
		cur = g_ascii_isdigit(*s) ? cur + 1 : 0;
		best = MAX(best, cur);
	}
	return best;
}

/* lead_of - the searchable piece of each literal every match starts with, and how many bytes
 * after the match start it can begin at most: for caseless patterns every character cut from
 * the front may have matched up to 4 bytes. FALSE when a literal has no usable piece. */
static gboolean
lead_of(const strset *lead, gboolean caseless, rp_requirements *out)
{
	if (lead == NULL || lead->len == 0 || lead->len > MAX_REQ)
		return FALSE;
	out->lead = g_new0(char *, lead->len + 1);
	out->lead_slack = g_new0(guint, lead->len);
	for (guint i = 0; i < lead->len; i++) {
		const char *l = g_ptr_array_index(lead, i);
		char *f = fragment(l, caseless);
		const char *at = strstr(l, f);
		if (strlen(f) < MIN_LIT || at == NULL) {
			g_free(f);
			g_strfreev(out->lead);
			g_free(out->lead_slack);
			out->lead = NULL;
			out->lead_slack = NULL;
			return FALSE;
		}
		/* any place of the piece in the literal bounds the distance; the first is the tightest.
		 * The piece's own bytes match only themselves (up to ASCII case) */
		out->lead[i] = f;
		out->lead_slack[i] = caseless ? 4 * (guint)g_utf8_strlen(l, at - l) : (guint)(at - l);
	}
	/* a literal that begins with another one (no closer to the start) adds nothing: the other
	 * occurs no later */
	guint n = lead->len;
	for (guint i = 0; i < n;) {
		gboolean redundant = FALSE;
		for (guint j = 0; j < n && !redundant; j++)
			redundant = j != i && g_str_has_prefix(out->lead[i], out->lead[j]) &&
			            out->lead_slack[j] >= out->lead_slack[i] &&
			            !(j > i && strcmp(out->lead[i], out->lead[j]) == 0 && out->lead_slack[i] == out->lead_slack[j]);
		if (redundant) {
			g_free(out->lead[i]);
			memmove(&out->lead[i], &out->lead[i + 1], sizeof(char *) * (n - i));
			memmove(&out->lead_slack[i], &out->lead_slack[i + 1], sizeof(guint) * (n - i - 1));
			n--;
		} else {
			i++;
		}
	}
	return TRUE;
}

void
rp_requirements_of(const char *text, rx_text_kind kind, const char *flags, rp_requirements *out)
{
	memset(out, 0, sizeof *out);
	if (kind != RX_TEXT_REGEX) {
		/* contains and == are caseless */
		out->digits = digit_run(text);
		char *low = g_ascii_strdown(text, -1);
		conjset *c = NULL;
		conj_add(&c, set_one(low));
		out->caseless = TRUE;
		out->sets = finish(c, TRUE);
		if (kind == RX_TEXT_CONTAINS) {
			strset *one = set_one(low);
			lead_of(one, TRUE, out);
			set_free(one);
		}
		g_free(low);
		return;
	}
	xparser xp = {.p = text, .end = text + strlen(text)};
	xp.caseless = caseless_somewhere(text, flags);
	out->caseless = xp.caseless;
	xp.extended = flags && strchr(flags, 'x') != NULL;
	xp.ucp = flags && strchr(flags, 'u') != NULL;
	info r = parse_alt(&xp);
	if (xp.p < xp.end)
		xp.bail = TRUE; /* an unbalanced ')' (PCRE2 would have refused it) */
	if (!xp.bail) {
		conjset *c = r.req;
		r.req = NULL;
		conj_add(&c, from_exact(r.exact));
		out->sets = finish(c, xp.caseless);
		out->digits = (guint)MIN(r.dreq, MAX_DIGITS);
		lead_of(r.lead, xp.caseless, out);
	}
	info_clear(&r);
}

void
rp_requirements_clear(rp_requirements *r)
{
	if (r->sets)
		g_ptr_array_unref(r->sets);
	g_strfreev(r->lead);
	g_free(r->lead_slack);
	memset(r, 0, sizeof *r);
}

/* rp_digit_run - the longest run of ASCII digits in text[0..len). Eight bytes at a time while
 * not in a run: a word none of whose bytes is a digit is skipped whole. */
guint
rp_digit_run(const char *text, gsize len)
{
	const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101), highs = ones * 0x80;
	guint best = 0, cur = 0;
	gsize i = 0;
	while (i < len) {
		if (cur == 0 && len - i >= 8) {
			guint64 x;
			memcpy(&x, text + i, 8);
			/* a byte is a digit when its low 7 bits are 0x30..0x39 and its top bit is clear:
			 * (b & 0x7f) + 0x50 carries into the top bit for b >= 0x30, + 0x46 for b >= 0x3a */
			guint64 low = x & ~highs;
			guint64 ge30 = low + ones * 0x50, ge3a = low + ones * 0x46;
			if ((ge30 & ~ge3a & ~x & highs) == 0) {
				i += 8;
				continue;
			}
		}
		cur = (guint)((guchar)text[i] - (guchar)'0') < 10u ? cur + 1 : 0;
		if (cur > best)
			best = cur;
		i++;
	}
	return best;
}

/* ---- the automaton ---- */

struct rp_automaton {
	guint n_states, n_classes, stride;
	guint max_depth;   /* the longest string, in bytes */
	guint8 cls[256];
	/* transitions, n_states rows of stride entries (n_classes used, then the row's state
	 * number): the target state's row offset, top bit set when the target state has output;
	 * 16 bits wide (offset / 4) when the table is small enough */
	guint32 *delta;
	guint16 *delta16;
	/* building only */
	gint32 *own;       /* first output of the strings ending here (index into out_*), -1 none */
	guint32 *depth;    /* bytes from the root: the length of the string ending here */
	guint32 *dict;     /* next state on the failure chain with output, 0 none */
	guint8 *hit;       /* own >= 0 or dict != 0 */
	guint32 *out_id;   /* per output: the literal id */
	gint32 *out_next;  /* per output: the next output of the same state, -1 none */
	/* scanning: every literal found when a state is reached (its own and those down its
	 * failure chain), as pairs (literal id, bytes back to its start), from outs[first[state]]
	 * to outs[first[state + 1]] */
	guint32 *first;
	guint32 *outs;
};

/* variants - every string a literal is searched as: itself, or for a caseless literal each
 * combination of its characters' forms (at most MAX_FORMS: fragment saw to it). Unless full,
 * ASCII letters only as themselves; their other forms (K KELVIN SIGN, ſ LONG S) then go to
 * exotic (when not NULL), for rp_scan to look for first. */
static void
variants(const char *lit, gboolean caseless, gboolean full, GPtrArray *out, GPtrArray *exotic)
{
	if (!caseless) {
		g_ptr_array_add(out, g_strdup(lit));
		return;
	}
	GPtrArray *acc = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(acc, g_strdup(""));
	gsize len = strlen(lit);
	for (gsize i = 0; i < len;) {
		gsize n = 1;
		while (i + n < len && ((guchar)lit[i + n] & 0xC0) == 0x80)
			n++;
		GPtrArray *forms = g_ptr_array_new_with_free_func(g_free);
		char_forms(lit + i, n, forms);
		if (forms->len == 0 || forms->len * acc->len > MAX_FORMS)
			g_error("rules: prefilter literal \"%s\" has too many forms", lit); /* fragment prevents it */
		if (!full && n == 1 && g_ascii_isalpha(lit[i])) {
			for (guint f = 0; f < forms->len; f++) {
				const char *form = g_ptr_array_index(forms, f);
				if ((guchar)form[0] >= 0x80 && exotic) {
					gboolean have = FALSE;
					for (guint e = 0; e < exotic->len && !have; e++)
						have = strcmp(g_ptr_array_index(exotic, e), form) == 0;
					if (!have)
						g_ptr_array_add(exotic, g_strdup(form));
				}
			}
			g_ptr_array_set_size(forms, 0);
			g_ptr_array_add(forms, g_strndup(lit + i, 1));
		}
		GPtrArray *next = g_ptr_array_new_with_free_func(g_free);
		for (guint a = 0; a < acc->len; a++)
			for (guint f = 0; f < forms->len; f++)
				g_ptr_array_add(next, g_strconcat(g_ptr_array_index(acc, a), g_ptr_array_index(forms, f), NULL));
		g_ptr_array_unref(forms);
		g_ptr_array_unref(acc);
		acc = next;
		i += n;
	}
	for (guint a = 0; a < acc->len; a++)
		g_ptr_array_add(out, g_strdup(g_ptr_array_index(acc, a)));
	g_ptr_array_unref(acc);
}

static rp_automaton *
ac_build(const rp_slot *slot, gboolean full, GPtrArray *exotic)
{
	rp_automaton *ac = g_new0(rp_automaton, 1);
	/* every string to search for, and the literal it stands for */
	GPtrArray *strs = g_ptr_array_new_with_free_func(g_free);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; i < slot->lits->len; i++) {
		guint before = strs->len;
		variants(g_ptr_array_index(slot->lits, i), slot->caseless->data[i], full, strs, exotic);
		for (guint32 k = before, id = i; k < strs->len; k++)
			g_array_append_val(ids, id);
	}
	/* byte classes: every byte some string uses (ASCII letters folded) has its own, the rest 0 */
	guint n = 1;
	for (guint i = 0; i < strs->len; i++)
		for (const guchar *q = g_ptr_array_index(strs, i); *q; q++)
			if (ac->cls[*q] == 0)
				ac->cls[*q] = (guint8)MIN(n, 255), n++;
	if (n > 255)
		g_error("rules: prefilter byte classes overflow"); /* cannot happen: at most 230 bytes */
	for (int b = 'A'; b <= 'Z'; b++)
		ac->cls[b] = ac->cls[(guchar)g_ascii_tolower(b)];
	ac->n_classes = n;

	GArray *delta = g_array_new(FALSE, FALSE, sizeof(guint32));
	GArray *own = g_array_new(FALSE, FALSE, sizeof(gint32));
	GArray *depth = g_array_new(FALSE, FALSE, sizeof(guint32));
	GArray *out_id = g_array_new(FALSE, FALSE, sizeof(guint32));
	GArray *out_next = g_array_new(FALSE, FALSE, sizeof(gint32));
	guint32 absent = G_MAXUINT32, zero = 0;
	gint32 none = -1;
	for (guint c = 0; c < n; c++)
		g_array_append_val(delta, absent);
	g_array_append_val(own, none);
	g_array_append_val(depth, zero);
	guint states = 1;
	for (guint i = 0; i < strs->len; i++) {
		guint32 s = 0;
		for (const guchar *q = g_ptr_array_index(strs, i); *q; q++) {
			guint c = ac->cls[*q];
			guint32 next = g_array_index(delta, guint32, s * n + c);
			if (next == absent) {
				next = states++;
				g_array_index(delta, guint32, s * n + c) = next;
				for (guint k = 0; k < n; k++)
					g_array_append_val(delta, absent);
				guint32 d = g_array_index(depth, guint32, s) + 1;
				g_array_append_val(own, none);
				g_array_append_val(depth, d);
			}
			s = next;
		}
		/* one output per literal and state (two forms can spell the same string only when the
		 * ASCII folding makes them equal, and then they are one string here) */
		guint32 id = g_array_index(ids, guint32, i);
		gboolean dup = FALSE;
		for (gint32 o = g_array_index(own, gint32, s); o >= 0 && !dup; o = g_array_index(out_next, gint32, o))
			dup = g_array_index(out_id, guint32, o) == id;
		if (!dup) {
			gint32 o = (gint32)out_id->len, head = g_array_index(own, gint32, s);
			g_array_append_val(out_id, id);
			g_array_append_val(out_next, head);
			g_array_index(own, gint32, s) = o;
		}
	}
	g_ptr_array_unref(strs);
	g_array_free(ids, TRUE);
	ac->n_states = states;
	ac->delta = (guint32 *)g_array_free(delta, FALSE);
	ac->own = (gint32 *)g_array_free(own, FALSE);
	ac->depth = (guint32 *)g_array_free(depth, FALSE);
	ac->out_id = (guint32 *)g_array_free(out_id, FALSE);
	ac->out_next = (gint32 *)g_array_free(out_next, FALSE);
	ac->dict = g_new0(guint32, states);
	ac->hit = g_new0(guint8, states);
	guint32 *fail = g_new0(guint32, states);
	guint32 *queue = g_new(guint32, states);
	guint head = 0, tail = 0;
	for (guint c = 0; c < n; c++) {
		guint32 u = ac->delta[c];
		if (u == absent) {
			ac->delta[c] = 0;
		} else {
			fail[u] = 0;
			queue[tail++] = u;
		}
	}
	while (head < tail) {
		guint32 r = queue[head++];
		ac->dict[r] = ac->own[fail[r]] >= 0 ? fail[r] : ac->dict[fail[r]];
		ac->hit[r] = ac->own[r] >= 0 || ac->dict[r] != 0;
		for (guint c = 0; c < n; c++) {
			guint32 u = ac->delta[r * n + c];
			if (u == absent) {
				ac->delta[r * n + c] = ac->delta[fail[r] * n + c];
			} else {
				fail[u] = ac->delta[fail[r] * n + c];
				queue[tail++] = u;
			}
		}
	}
	g_free(fail);
	g_free(queue);
	/* the outputs of every state, flat */
	GArray *outs = g_array_new(FALSE, FALSE, sizeof(guint32));
	ac->first = g_new(guint32, states + 1);
	for (guint32 st = 0; st < states; st++) {
		ac->first[st] = outs->len / 2;
		ac->max_depth = MAX(ac->max_depth, ac->depth[st]);
		for (guint32 t = ac->own[st] >= 0 ? st : ac->dict[st]; t; t = ac->dict[t])
			for (gint32 o = ac->own[t]; o >= 0; o = ac->out_next[o]) {
				g_array_append_val(outs, ac->out_id[o]);
				g_array_append_val(outs, ac->depth[t]);
			}
	}
	ac->first[states] = outs->len / 2;
	ac->outs = (guint32 *)g_array_free(outs, FALSE);
	/* one load and no multiplication per byte while scanning: entries hold row offsets, and
	 * whether the next state has output rides in the top bit; an extra column holds the row's
	 * state number (for the outputs, without dividing). Rows are a multiple of 4 wide: 16-bit
	 * entries hold the offset / 4, for up to 128 Ki cells */
	guint stride = (n + 1 + 3) & ~3u;
	ac->stride = stride;
	gsize cells = (gsize)states * stride;
	if (cells >= 0x80000000u)
		g_error("rules: prefilter automaton too large"); /* billions of literal bytes */
	gboolean narrow = cells < 0x20000;
	guint32 *wide = g_new0(guint32, cells);
	for (guint32 st = 0; st < states; st++) {
		for (guint c = 0; c < n; c++) {
			guint32 t = ac->delta[(gsize)st * n + c];
			wide[(gsize)st * stride + c] = (narrow ? t * stride / 4 : t * stride) | (ac->hit[t] ? 0x80000000u : 0);
		}
		wide[(gsize)st * stride + n] = st;
	}
	g_free(ac->delta);
	ac->delta = NULL;
	if (narrow) {
		ac->delta16 = g_new(guint16, cells);
		for (gsize i = 0; i < cells; i++)
			ac->delta16[i] = (guint16)((wide[i] & 0x7fffffffu) | (wide[i] >> 16 & 0x8000u));
		g_free(wide);
	} else {
		ac->delta = wide;
	}
	/* what only building needed */
	g_clear_pointer(&ac->own, g_free);
	g_clear_pointer(&ac->depth, g_free);
	g_clear_pointer(&ac->dict, g_free);
	g_clear_pointer(&ac->hit, g_free);
	g_clear_pointer(&ac->out_id, g_free);
	g_clear_pointer(&ac->out_next, g_free);
	return ac;
}

static void
ac_free(rp_automaton *ac)
{
	if (ac == NULL)
		return;
	g_free(ac->delta);
	g_free(ac->delta16);
	g_free(ac->own);
	g_free(ac->depth);
	g_free(ac->dict);
	g_free(ac->hit);
	g_free(ac->out_id);
	g_free(ac->out_next);
	g_free(ac->first);
	g_free(ac->outs);
	g_free(ac);
}

guint
rp_build(rp_slot *slots, guint n_slots)
{
	guint bits = 0;
	for (guint i = 0; i < n_slots; i++) {
		rp_slot *s = &slots[i];
		s->bit_offset = bits;
		if (s->lits && s->lits->len) {
			GPtrArray *exotic = g_ptr_array_new_with_free_func(g_free);
			s->ac = ac_build(s, FALSE, exotic);
			if (exotic->len) {
				s->ac_full = ac_build(s, TRUE, NULL);
				g_ptr_array_add(exotic, NULL);
				s->exotic = (char **)g_ptr_array_free(exotic, FALSE);
			} else {
				g_ptr_array_unref(exotic);
			}
			bits += s->lits->len;
		}
	}
	return bits;
}

void
rp_slot_clear(rp_slot *slot)
{
	ac_free(slot->ac);
	ac_free(slot->ac_full);
	g_strfreev(slot->exotic);
	if (slot->lits)
		g_ptr_array_unref(slot->lits);
	if (slot->caseless)
		g_byte_array_unref(slot->caseless);
	if (slot->index)
		g_hash_table_unref(slot->index);
	memset(slot, 0, sizeof *slot);
}

/* mark - the literals found on reaching state t (it has output), end bytes in */
static inline void
mark(const rp_slot *slot, const rp_automaton *ac, guint32 t, gsize end, rp_found *f)
{
	const guint32 *o = ac->outs + 2 * (gsize)ac->first[t], *stop = ac->outs + 2 * (gsize)ac->first[t + 1];
	for (; o < stop; o += 2) {
		guint b = slot->bit_offset + o[0];
		guint32 st = (guint32)MIN(end - o[1], G_MAXUINT32);
		if (!(f->bits[b / 32] & (1u << (b % 32)))) {
			f->bits[b / 32] |= 1u << (b % 32);
			f->first_start[b] = f->last_start[b] = st;
		} else {
			/* forms of one literal differ in length: starts are not in end order */
			f->first_start[b] = MIN(f->first_start[b], st);
			f->last_start[b] = MAX(f->last_start[b], st);
		}
	}
}

/* has - whether needle (n >= 1 bytes) occurs in text */
static gboolean
has(const char *text, gsize len, const char *needle, gsize n)
{
	const char *p = text, *end = text + len;
	while (end - p >= (gssize)n && (p = memchr(p, needle[0], (gsize)(end - p) - n + 1)) != NULL) {
		if (memcmp(p, needle, n) == 0)
			return TRUE;
		p++;
	}
	return FALSE;
}

/* The scan follows one state per byte, each step waiting for the last one's table load. A long
 * value is therefore cut in CHAINS pieces, scanned side by side (independent loads overlap);
 * each piece starts max_depth bytes early from the root, which brings its state right by the
 * piece's first byte (no string is longer), and reports only strings ending inside the piece. */
#define CHAINS 4 /* SCAN_BODY spells out four */
#define CHAIN_MIN 64 /* bytes per piece, at least */

/* one step of a chain: row r at byte offset at (reporting from rep on) */
#define SCAN_STEP(r, at, rep)                                                                                    \
	do {                                                                                                         \
		guint next_ = delta[(r) + cls[p[at]]];                                                                   \
		(r) = (next_ & mask) << shift;                                                                           \
		if (G_UNLIKELY(next_ & flag) && (at) >= (rep))                                                           \
			mark(slot, ac, delta[(r) + last], (at) + 1, found);                          \
	} while (0)

#define SCAN_BODY(T)                                                                                             \
	do {                                                                                                         \
		const T *delta = (const T *)table;                                                                       \
		if (len < (gsize)CHAINS * CHAIN_MIN) {                                                                   \
			guint r = 0;                                                                                         \
			gsize all = 0; /* reports from the start */                                                          \
			for (gsize at = 0; at < len; at++)                                                                   \
				SCAN_STEP(r, at, all);                                                                           \
			break;                                                                                               \
		}                                                                                                        \
		gsize piece = len / CHAINS, from[CHAINS], to[CHAINS], rep[CHAINS];                                       \
		for (guint j = 0; j < CHAINS; j++) {                                                                     \
			rep[j] = j * piece;                                                                                  \
			from[j] = rep[j] > ac->max_depth ? rep[j] - ac->max_depth : 0;                                       \
			to[j] = j + 1 == CHAINS ? len : (j + 1) * piece;                                                     \
		}                                                                                                        \
		/* side by side while every piece has bytes left, then each to its end */                              \
		gsize steps = to[0] - from[0];                                                                           \
		for (guint j = 1; j < CHAINS; j++)                                                                       \
			steps = MIN(steps, to[j] - from[j]);                                                                 \
		guint r0 = 0, r1 = 0, r2 = 0, r3 = 0;                                                                    \
		for (gsize i = 0; i < steps; i++) {                                                                      \
			SCAN_STEP(r0, from[0] + i, rep[0]);                                                                  \
			SCAN_STEP(r1, from[1] + i, rep[1]);                                                                  \
			SCAN_STEP(r2, from[2] + i, rep[2]);                                                                  \
			SCAN_STEP(r3, from[3] + i, rep[3]);                                                                  \
		}                                                                                                        \
		guint rows[CHAINS] = {r0, r1, r2, r3};                                                                   \
		for (guint j = 0; j < CHAINS; j++) {                                                                     \
			guint r = rows[j];                                                                                   \
			for (gsize at = from[j] + steps; at < to[j]; at++)                                                   \
				SCAN_STEP(r, at, rep[j]);                                                                        \
		}                                                                                                        \
	} while (0)

void
rp_scan(const rp_slot *slot, const char *text, gsize len, rp_found *found)
{
	const rp_automaton *ac = slot->ac;
	if (ac == NULL)
		return;
	/* the automaton without the non-ASCII forms of ASCII letters is smaller (faster) and exact
	 * for a value that holds none of them; such a value is rare, the full one scans it */
	for (char **e = slot->exotic; e && *e; e++)
		if (has(text, len, *e, strlen(*e))) {
			ac = slot->ac_full;
			break;
		}
	const guchar *p = (const guchar *)text;
	const guint8 *cls = ac->cls;
	guint last = ac->n_classes;
	if (ac->delta16) {
		const void *table = ac->delta16;
		const guint mask = 0x7fffu, flag = 0x8000u, shift = 2;
		SCAN_BODY(guint16);
	} else {
		const void *table = ac->delta;
		const guint mask = 0x7fffffffu, flag = 0x80000000u, shift = 0;
		SCAN_BODY(guint32);
	}
}
