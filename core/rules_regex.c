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
