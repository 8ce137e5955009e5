/* rules_lex.c - the rule files' tokens: words, "strings", /regexes/flags, ( ) ~ == = < >, and
 * # comments. Owns the lexical error messages (file:line:col, columns in characters). */
#include "rules_int.h"

#include <string.h>

typedef struct {
	const char *name;
	const char *p, *end;
	guint line, col;
	gboolean bol;
	GArray *tokens;
	GPtrArray *errors;
} lexer;

static void G_GNUC_PRINTF(4, 5)
lex_error(lexer *lx, guint line, guint col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(lx->errors, g_strdup_printf("%s:%u:%u: %s", lx->name, line, col, msg));
	g_free(msg);
}

/* advance - one character (a whole UTF-8 sequence: the text was validated) */
static void
advance(lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
		lx->bol = TRUE;
		lx->p++;
		return;
	}
	lx->p++;
	while (lx->p < lx->end && ((guchar)*lx->p & 0xC0) == 0x80)
		lx->p++;
	lx->col++;
}

static rl_token *
push(lexer *lx, rl_kind kind, guint line, guint col, gboolean bol)
{
	rl_token t = {.kind = kind, .line = line, .col = col, .bol = bol};
	g_array_append_val(lx->tokens, t);
	return &g_array_index(lx->tokens, rl_token, lx->tokens->len - 1);
}

static gboolean
word_start(guchar c)
{
	return g_ascii_isalnum(c) || c == '_' || c >= 0x80;
}

static gboolean
word_char(guchar c)
{
	return word_start(c) || c == '.' || c == '-' || c == '@' || c == '+';
}

/* char_text - the character at p, printable, for "got '...'" */
static char *
char_text(const char *p)
{
	gunichar c = g_utf8_get_char(p);
	if (c < 0x20 || c == 0x7f)
		return g_strdup_printf("control character U+%04X", c);
	char buf[8] = {0};
	g_unichar_to_utf8(c, buf);
	return g_strdup_printf("'%s'", buf);
}

static void
lex_string(lexer *lx, guint line, guint col, gboolean bol)
{
	GString *s = g_string_new(NULL);
	advance(lx); /* the opening quote */
	for (;;) {
		if (lx->p >= lx->end || *lx->p == '\n') {
			lex_error(lx, line, col, "expected a closing \" for the string that starts here, got %s",
			          lx->p >= lx->end ? "end of file" : "end of line");
			push(lx, RT_ERROR, line, col, bol);
			g_string_free(s, TRUE);
			return;
		}
		if (*lx->p == '"') {
			advance(lx);
			break;
		}
		if (*lx->p == '\\') {
			guint eline = lx->line, ecol = lx->col;
			advance(lx);
			if (lx->p < lx->end && (*lx->p == '"' || *lx->p == '\\')) {
				g_string_append_c(s, *lx->p);
				advance(lx);
				continue;
			}
			char *got = lx->p >= lx->end || *lx->p == '\n' ? g_strdup("end of line") : char_text(lx->p);
			lex_error(lx, eline, ecol, "expected \\\" or \\\\ after a backslash in a string, got %s", got);
			g_free(got);
			/* skip the rest of the string so the error is reported once */
			while (lx->p < lx->end && *lx->p != '\n' && *lx->p != '"')
				advance(lx);
			if (lx->p < lx->end && *lx->p == '"')
				advance(lx);
			push(lx, RT_ERROR, line, col, bol);
			g_string_free(s, TRUE);
			return;
		}
		const char *start = lx->p;
		advance(lx);
		g_string_append_len(s, start, lx->p - start);
	}
	rl_token *t = push(lx, RT_STRING, line, col, bol);
	t->text = g_string_free(s, FALSE);
}

static void
lex_regex(lexer *lx, guint line, guint col, gboolean bol)
{
	advance(lx); /* the opening slash */
	const char *body = lx->p;
	for (;;) {
		if (lx->p >= lx->end || *lx->p == '\n') {
			lex_error(lx, line, col, "expected a closing / for the regex that starts here, got %s",
			          lx->p >= lx->end ? "end of file" : "end of line");
			push(lx, RT_ERROR, line, col, bol);
			return;
		}
		if (*lx->p == '/')
			break;
		if (*lx->p == '\\') {
			advance(lx);
			if (lx->p >= lx->end || *lx->p == '\n')
				continue; /* reported as an unclosed regex */
		}
		advance(lx);
	}
	gsize body_len = lx->p - body;
	advance(lx); /* the closing slash */
	const char *flags = lx->p;
	gboolean bad = FALSE;
	while (lx->p < lx->end && g_ascii_isalpha(*lx->p)) {
		if (!bad && strchr("imsxu", *lx->p) == NULL) {
			lex_error(lx, lx->line, lx->col, "expected regex flags (i, m, s, x or u), got '%c'", *lx->p);
			bad = TRUE;
		}
		advance(lx);
	}
	if (bad) {
		push(lx, RT_ERROR, line, col, bol);
		return;
	}
	rl_token *t = push(lx, RT_REGEX, line, col, bol);
	t->text = g_strndup(body, body_len);
	t->flags = g_strndup(flags, lx->p - flags);
}

GArray *
rl_lex(const char *name, const char *text, gsize len, GPtrArray *errors)
{
	lexer lx = {.name = name, .p = text, .end = text + len, .line = 1, .col = 1, .bol = TRUE, .errors = errors};
	lx.tokens = g_array_new(FALSE, TRUE, sizeof(rl_token));

	const char *bad;
	if (!g_utf8_validate_len(text, len, &bad)) {
		/* report where, then lex only the valid part: the file will not load either way */
		lexer at = lx;
		while (at.p < bad)
			advance(&at);
		if (*bad == '\0')
			lex_error(&lx, at.line, at.col, "expected UTF-8 text, got a NUL byte");
		else
			lex_error(&lx, at.line, at.col, "expected UTF-8 text, got byte 0x%02x", (guchar)*bad);
		push(&lx, RT_ERROR, at.line, at.col, TRUE);
		push(&lx, RT_EOF, at.line, at.col, TRUE);
		return lx.tokens;
	}

	while (lx.p < lx.end) {
		guchar c = *lx.p;
		guint line = lx.line, col = lx.col;
		gboolean bol = lx.bol;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(&lx);
			continue;
		}
		if (c == '#') {
			while (lx.p < lx.end && *lx.p != '\n')
				advance(&lx);
			continue;
		}
		lx.bol = FALSE;
		if (word_start(c)) {
			const char *start = lx.p;
			while (lx.p < lx.end && word_char(*lx.p))
				advance(&lx);
			rl_token *t = push(&lx, RT_WORD, line, col, bol);
			t->text = g_strndup(start, lx.p - start);
			continue;
		}
		switch (c) {
		case '"':
			lex_string(&lx, line, col, bol);
			continue;
		case '/':
			lex_regex(&lx, line, col, bol);
			continue;
		case '(':
			push(&lx, RT_LPAREN, line, col, bol);
			break;
		case ')':
			push(&lx, RT_RPAREN, line, col, bol);
			break;
		case '~':
			push(&lx, RT_TILDE, line, col, bol);
			break;
		case '<':
			push(&lx, RT_LT, line, col, bol);
			break;
		case '>':
			push(&lx, RT_GT, line, col, bol);
			break;
		case '=':
			if (lx.p + 1 < lx.end && lx.p[1] == '=') {
				advance(&lx);
				push(&lx, RT_EQEQ, line, col, bol);
			} else {
				push(&lx, RT_EQ, line, col, bol);
			}
			break;
		default: {
			char *got = char_text(lx.p);
			lex_error(&lx, line, col,
			          "expected a word, \"string\", /regex/, (, ), ~, ==, =, < or >, got %s%s", got,
			          c == '!' ? " (negate with not)" : "");
			g_free(got);
			push(&lx, RT_ERROR, line, col, bol);
			break;
		}
		}
		advance(&lx);
	}
	push(&lx, RT_EOF, lx.line, lx.col, TRUE);
	return lx.tokens;
}

void
rl_tokens_free(GArray *tokens)
{
	if (tokens == NULL)
		return;
	for (guint i = 0; i < tokens->len; i++) {
		rl_token *t = &g_array_index(tokens, rl_token, i);
		g_free(t->text);
		g_free(t->flags);
	}
	g_array_free(tokens, TRUE);
}

/* shorten - at most max characters of s, "..." when cut */
static char *
shorten(const char *s, glong max)
{
	if (g_utf8_strlen(s, -1) <= max)
		return g_strdup(s);
	char *cut = g_utf8_substring(s, 0, max - 3);
	char *r = g_strconcat(cut, "...", NULL);
	g_free(cut);
	return r;
}

char *
rl_describe(const rl_token *t)
{
	char *s, *r;
	switch (t->kind) {
	case RT_EOF:
		return g_strdup("end of file");
	case RT_WORD:
		s = shorten(t->text, 40);
		r = g_strdup_printf("'%s'", s);
		g_free(s);
		return r;
	case RT_STRING:
		s = shorten(t->text, 40);
		r = g_strdup_printf("\"%s\"", s);
		g_free(s);
		return r;
	case RT_REGEX:
		s = shorten(t->text, 40);
		r = g_strdup_printf("/%s/%s", s, t->flags);
		g_free(s);
		return r;
	case RT_LPAREN:
		return g_strdup("'('");
	case RT_RPAREN:
		return g_strdup("')'");
	case RT_TILDE:
		return g_strdup("'~'");
	case RT_EQEQ:
		return g_strdup("'=='");
	case RT_EQ:
		return g_strdup("'='");
	case RT_LT:
		return g_strdup("'<'");
	case RT_GT:
		return g_strdup("'>'");
	case RT_ERROR:
		break;
	}
	return g_strdup("an invalid token");
}
