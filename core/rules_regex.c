/* rules_regex.c - the only file that talks to PCRE2: compiling rule patterns once (JIT when the
 * library has it, else the interpreter) and matching them under limits, so that a pathological
 * pattern costs at most a few milliseconds per value instead of stalling ingestion.
 *
 * Every pattern is UTF-8 (PCRE2_UTF with PCRE2_MATCH_INVALID_UTF: a value that is not valid UTF-8
 * cannot crash or mislead the matcher). Flags: i caseless, m multiline, s dotall, x extended,
 * u Unicode classes (\w, \b, \d, \s and POSIX classes know non-ASCII letters). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rules_int.h"

#include <pcre2.h>
#include <string.h>

/* Limits. The match limit grows with the subject: scanning a long body is linear work and must
 * not be mistaken for a runaway pattern; exponential backtracking exceeds it anyway. */
#define RX_MATCH_LIMIT_BASE 1000000u
#define RX_MATCH_LIMIT_PER_BYTE 10u
#define RX_DEPTH_LIMIT 25000u        /* interpreter backtracking depth */
#define RX_HEAP_LIMIT_KIB 65536u     /* interpreter frames */
#define RX_JIT_STACK_START (32 * 1024)
#define RX_JIT_STACK_MAX (4 * 1024 * 1024)
#define RX_OVECTOR_PAIRS 64

struct rx_code {
	pcre2_code *code;
	gboolean jit;
};

struct rx_scratch {
	pcre2_match_data *md1; /* the whole match only: for tests */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
};

rx_code *
rx_compile(const char *text, gsize len, rx_text_kind kind, const char *flags, gboolean jit, char **err_msg,
           gsize *err_offset)
{
	/* USE_OFFSET_LIMIT: the evaluator may say where the last possible match start is */
	uint32_t opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C | PCRE2_USE_OFFSET_LIMIT;
	if (kind == RX_TEXT_REGEX) {
		for (const char *f = flags; f && *f; f++) {
			switch (*f) {
			case 'i': opt |= PCRE2_CASELESS; break;
			case 'm': opt |= PCRE2_MULTILINE; break;
			case 's': opt |= PCRE2_DOTALL; break;
			case 'x': opt |= PCRE2_EXTENDED; break;
			case 'u': opt |= PCRE2_UCP; break;
			default: break; /* the lexer refuses others */
			}
		}
	} else {
		/* PCRE2_LITERAL: no metacharacters; NEVER_BACKSLASH_C is not allowed with it */
		opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_LITERAL | PCRE2_CASELESS | PCRE2_USE_OFFSET_LIMIT;
		if (kind == RX_TEXT_EQUALS)
			opt |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
	}
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)text, len, opt, &err, &off, NULL);
	if (code == NULL) {
		PCRE2_UCHAR buf[256];
		if (pcre2_get_error_message(err, buf, sizeof buf) < 0)
			g_strlcpy((char *)buf, "unknown error", sizeof buf);
		*err_msg = g_strdup((const char *)buf);
		*err_offset = MIN(off, len);
		return NULL;
	}
	rx_code *rx = g_new0(rx_code, 1);
	rx->code = code;
	if (jit) {
		uint32_t have = 0;
		pcre2_config(PCRE2_CONFIG_JIT, &have);
		/* JIT can fail (no executable memory, unsupported CPU): the interpreter then runs it */
		rx->jit = have && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
	}
	return rx;
}

void
rx_free(rx_code *rx)
{
	if (rx == NULL)
		return;
	pcre2_code_free(rx->code);
	g_free(rx);
}

gboolean
rx_is_jit(const rx_code *rx)
{
	return rx->jit;
}

int
rx_group_number(const rx_code *rx, const char *name)
{
	int n = pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR)name);
	return n > 0 ? n : -1;
}

rx_scratch *
rx_scratch_new(void)
{
	rx_scratch *s = g_new0(rx_scratch, 1);
	s->md = pcre2_match_data_create(RX_OVECTOR_PAIRS, NULL);
	s->md1 = pcre2_match_data_create(1, NULL);
	s->mctx = pcre2_match_context_create(NULL);
	pcre2_set_depth_limit(s->mctx, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(s->mctx, RX_HEAP_LIMIT_KIB);
	s->jit_stack = pcre2_jit_stack_create(RX_JIT_STACK_START, RX_JIT_STACK_MAX, NULL);
	if (s->jit_stack)
		pcre2_jit_stack_assign(s->mctx, NULL, s->jit_stack);
	if (s->md == NULL || s->md1 == NULL || s->mctx == NULL)
		g_error("rules: out of memory for PCRE2 match data");
	return s;
}

void
rx_scratch_free(rx_scratch *s)
{
	if (s == NULL)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_data_free(s->md1);
	pcre2_match_context_free(s->mctx);
	if (s->jit_stack)
		pcre2_jit_stack_free(s->jit_stack);
	g_free(s);
}

/* ---- caseless sets, for the prefilter ---- */

static GMutex fold_lock;
static GHashTable *fold_cache; /* gunichar -> gunichar* (count, then the members), never freed */

/* append_range - every code point from lo to hi (surrogates left out) to buf, as UTF-8 */
static void
append_range(GString *buf, gunichar lo, gunichar hi)
{
	for (gunichar u = lo; u <= hi && u <= 0x10FFFF; u++) {
		if (u >= 0xD800 && u < 0xE000)
			continue;
		g_string_append_unichar(buf, u);
	}
}

/* fold_set - the caseless set of c, asked of PCRE2 itself: the candidates are every code point
 * whose first UTF-8 byte can start a match of /c/i (PCRE2's start bitmap or first code unit,
 * which its own matcher relies on, so it misses no member); each is then matched. */
static gunichar *
fold_set(gunichar c)
{
	char lit[8];
	int n = g_unichar_to_utf8(c, lit);
	int err;
	PCRE2_SIZE off;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)lit, (PCRE2_SIZE)n, PCRE2_UTF | PCRE2_CASELESS | PCRE2_LITERAL, &err,
	                                 &off, NULL);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (code == NULL || md == NULL)
		g_error("rules: PCRE2 cannot compile a single character");
	guint8 first[256] = {0};
	const uint8_t *map = NULL;
	uint32_t type = 0, unit = 0;
	pcre2_pattern_info(code, PCRE2_INFO_FIRSTBITMAP, &map);
	pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &type);
	gboolean all = FALSE;
	if (map != NULL) {
		for (int b = 0; b < 256; b++)
			first[b] = (map[b / 8] >> (b % 8)) & 1;
	} else if (type == 1) {
		pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODEUNIT, &unit);
		first[unit & 0xFF] = 1;
		if (unit < 0x80 && g_ascii_isalpha((char)unit)) {
			first[(guchar)g_ascii_tolower((char)unit)] = 1;
			first[(guchar)g_ascii_toupper((char)unit)] = 1;
		}
	} else {
		all = TRUE; /* no start information: try every code point */
	}
	GString *cand = g_string_new(NULL);
	if (all) {
		append_range(cand, 0, 0x10FFFF);
	} else {
		for (int b = 0; b < 256; b++) {
			if (!first[b])
				continue;
			if (b < 0x80)
				append_range(cand, (gunichar)b, (gunichar)b);
			else if (b >= 0xC2 && b <= 0xDF)
				append_range(cand, (gunichar)(b & 0x1F) << 6, ((gunichar)(b & 0x1F) << 6) | 0x3F);
			else if (b >= 0xE0 && b <= 0xEF)
				append_range(cand, MAX((gunichar)(b & 0x0F) << 12, 0x800), ((gunichar)(b & 0x0F) << 12) | 0xFFF);
			else if (b >= 0xF0 && b <= 0xF4)
				append_range(cand, MAX((gunichar)(b & 0x07) << 18, 0x10000), ((gunichar)(b & 0x07) << 18) | 0x3FFFF);
		}
	}
	GArray *members = g_array_new(FALSE, FALSE, sizeof(gunichar));
	guint zero = 0;
	g_array_append_val(members, zero);
	PCRE2_SIZE at = 0;
	while (at < cand->len &&
	       pcre2_match(code, (PCRE2_SPTR)cand->str, cand->len, at, 0, md, NULL) > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		gunichar u = g_utf8_get_char(cand->str + ov[0]);
		g_array_append_val(members, u);
		at = MAX(ov[1], ov[0] + 1);
	}
	g_array_index(members, gunichar, 0) = members->len - 1;
	g_string_free(cand, TRUE);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return (gunichar *)g_array_free(members, FALSE);
}

guint
rx_caseless_set(gunichar c, gunichar *out, guint max)
{
	if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) {
		if (max)
			out[0] = c;
		return 1;
	}
	g_mutex_lock(&fold_lock);
	if (fold_cache == NULL)
		fold_cache = g_hash_table_new(NULL, NULL);
	gunichar *set = g_hash_table_lookup(fold_cache, GUINT_TO_POINTER(c));
	if (set == NULL) {
		set = fold_set(c);
		g_hash_table_insert(fold_cache, GUINT_TO_POINTER(c), set);
	}
	g_mutex_unlock(&fold_lock);
	for (guint i = 0; i < set[0] && i < max; i++)
		out[i] = set[1 + i];
	return set[0];
}

static const char *
limit_name(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT: return "match limit";
	case PCRE2_ERROR_DEPTHLIMIT: return "depth limit";
	case PCRE2_ERROR_HEAPLIMIT: return "heap limit";
	case PCRE2_ERROR_JIT_STACKLIMIT: return "JIT stack limit";
	case PCRE2_ERROR_NOMEMORY: return "memory limit";
	default: return "matching error";
	}
}

rx_result
rx_match(const rx_code *rx, rx_scratch *s, const char *subject, gsize len, gsize from, gsize until, int group,
         gsize *start, gsize *end, gssize *gstart, gssize *gend, const char **what)
{
	pcre2_match_data *md = group < 0 ? s->md1 : s->md;
	pcre2_match_data *own = NULL;
	if (group >= RX_OVECTOR_PAIRS)
		md = own = pcre2_match_data_create_from_pattern(rx->code, NULL);
	pcre2_set_match_limit(s->mctx, RX_MATCH_LIMIT_BASE + (uint32_t)MIN(len, 400000000u) * RX_MATCH_LIMIT_PER_BYTE);
	pcre2_set_offset_limit(s->mctx, until >= len ? PCRE2_UNSET : until);
	/* pcre2_jit_match: the documented fast path for a JIT-compiled pattern (no option checks;
	 * the subject needs none either: PCRE2_MATCH_INVALID_UTF) */
	int rc = rx->jit ? pcre2_jit_match(rx->code, (PCRE2_SPTR)subject, len, MIN(from, len), 0, md, s->mctx)
	                 : pcre2_match(rx->code, (PCRE2_SPTR)subject, len, MIN(from, len), 0, md, s->mctx);
	rx_result r;
	if (rc >= 0) {
		/* rc == 0: the ovector was too small for every group; the match and group 0 are still set */
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		uint32_t pairs = pcre2_get_ovector_count(md);
		if (start)
			*start = ov[0];
		if (end)
			*end = MAX(ov[1], ov[0]); /* \K in a lookahead can put the end before the start */
		if (gstart && gend) {
			*gstart = *gend = -1;
			if (group >= 0 && (uint32_t)group < pairs && (rc == 0 || group < rc) && ov[2 * group] != PCRE2_UNSET &&
			    ov[2 * group + 1] >= ov[2 * group]) {
				*gstart = (gssize)ov[2 * group];
				*gend = (gssize)ov[2 * group + 1];
			}
		}
		r = RX_MATCH;
	} else if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL) {
		r = RX_NOMATCH;
	} else {
		if (what)
			*what = limit_name(rc);
		r = RX_LIMIT;
	}
	if (own)
		pcre2_match_data_free(own);
	return r;
}
