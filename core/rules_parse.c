/* rules_parse.c - rule files into rules: the grammar, every parse error message, compiling each
 * pattern once, and the set's field slots and prefilter (rr_finish).
 *
 *   file      := rule*
 *   rule      := 'rule' STRING ['when' condition] 'then' action+
 *   condition := and ('or' and)*
 *   and       := unary ('and' unary)*
 *   unary     := 'not' unary | '(' condition ')' | field operator
 *   field     := from | to | cc | subject | body | fullbody | header STRING | attachment.name
 *              | attachment.type | size | channel | customer | customer.tag
 *   operator  := '~' REGEX | '==' value | 'contains' value | 'exists' | '<' NUMBER | '>' NUMBER
 *   action    := type T | queue N | priority P | tag N | assign N | capture NAME '=' field '~' REGEX
 *              | reply N | notify N | sms N | reject TEXT | drop | stop
 *
 * After an error the parser skips to the next 'rule' that starts a line, so one run reports the
 * first error of every broken rule; the caller then discards everything. */
#include "rules_int.h"

#include <string.h>

#define MAX_ERRORS 20

typedef struct {
	cd_ruleset *rs;
	const char *file;
	GArray *toks;
	guint pos;
	GPtrArray *errors;
} parser;

static const char *const field_names[] = {
	[RF_FROM] = "from",
	[RF_TO] = "to",
	[RF_CC] = "cc",
	[RF_SUBJECT] = "subject",
	[RF_BODY] = "body",
	[RF_FULLBODY] = "fullbody",
	[RF_ATT_NAME] = "attachment.name",
	[RF_ATT_TYPE] = "attachment.type",
	[RF_SIZE] = "size",
	[RF_CHANNEL] = "channel",
	[RF_CUSTOMER] = "customer",
	[RF_CUSTOMER_TAG] = "customer.tag",
	[RF_HEADER] = "header",
};

static const char *const action_names[] = {
	[RA_TYPE] = "type",     [RA_QUEUE] = "queue",   [RA_PRIORITY] = "priority", [RA_TAG] = "tag",
	[RA_ASSIGN] = "assign", [RA_CAPTURE] = "capture", [RA_REPLY] = "reply",   [RA_NOTIFY] = "notify",
	[RA_SMS] = "sms",       [RA_REJECT] = "reject", [RA_DROP] = "drop",       [RA_STOP] = "stop",
};

#define FIELD_LIST \
	"from, to, cc, subject, body, fullbody, header \"NAME\", attachment.name, attachment.type, size, channel, " \
	"customer or customer.tag"
#define ACTION_LIST "type, queue, priority, tag, assign, capture, reply, notify, sms, reject, drop or stop"

const char *
rf_name(rf_kind kind)
{
	return kind <= RF_HEADER ? field_names[kind] : "?";
}

const char *
ra_name(ra_kind kind)
{
	return kind <= RA_STOP ? action_names[kind] : "?";
}

/* ---- tokens and errors ---- */

static rl_token *
peek(parser *ps)
{
	return &g_array_index(ps->toks, rl_token, ps->pos);
}

static rl_token *
next(parser *ps)
{
	rl_token *t = peek(ps);
	if (t->kind != RT_EOF)
		ps->pos++;
	return t;
}

static gboolean
is_word(const rl_token *t, const char *w)
{
	return t->kind == RT_WORD && strcmp(t->text, w) == 0;
}

static void G_GNUC_PRINTF(4, 5)
error_at(parser *ps, guint line, guint col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(ps->errors, g_strdup_printf("%s:%u:%u: %s", ps->file, line, col, msg));
	g_free(msg);
}

/* expected - "expected WHAT, got TOKEN" at the token (nothing more for a lexical error: the lexer
 * has reported it) */
static void G_GNUC_PRINTF(3, 4)
expected(parser *ps, const rl_token *t, const char *fmt, ...)
{
	if (t->kind == RT_ERROR)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *got = rl_describe(t);
	error_at(ps, t->line, t->col, "expected %s, got %s", what, got);
	g_free(got);
	g_free(what);
}

/* ---- nodes ---- */

static void
cond_free(rc_node *c)
{
	if (c == NULL)
		return;
	cond_free(c->a);
	cond_free(c->b);
	g_free(c);
}

static void
action_clear(ra_action *a)
{
	g_free(a->arg);
}

void
rr_rule_free(rr_rule *r)
{
	if (r == NULL)
		return;
	g_free(r->name);
	g_free(r->where);
	cond_free(r->when);
	for (guint i = 0; i < r->n_actions; i++)
		action_clear(&r->actions[i]);
	g_free(r->actions);
	g_free(r);
}

void
rp_pattern_free(rp_pattern *p)
{
	if (p == NULL)
		return;
	rx_free(p->rx);
	g_free(p->source);
	g_free(p->text);
	g_free(p->flags);
	for (guint i = 0; i < p->n_groups; i++) {
		g_free(p->groups[i].ids);
		g_strfreev(p->groups[i].text);
	}
	g_free(p->groups);
	g_free(p->lead_ids);
	g_free(p->lead_slack);
	g_strfreev(p->lead_text);
	g_free(p);
}

/* quote - "text" with \" and \\ escaped, as a rule file would spell it */
static char *
quote(const char *s)
{
	GString *q = g_string_new("\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			g_string_append_c(q, '\\');
		g_string_append_c(q, *s);
	}
	g_string_append_c(q, '"');
	return g_string_free(q, FALSE);
}

/* pattern - compile text for the field slot; NULL after reporting a bad regex */
static rp_pattern *
pattern(parser *ps, const rl_token *t, rx_text_kind kind, guint slot)
{
	char *msg = NULL;
	gsize off = 0;
	const char *flags = kind == RX_TEXT_REGEX ? t->flags : "";
	rx_code *rx = rx_compile(t->text, strlen(t->text), kind, flags, !(ps->rs->flags & CD_RULES_NO_JIT), &msg, &off);
	if (rx == NULL) {
		/* point at the character PCRE2 stopped at: after the opening slash */
		guint col = t->col + 1 + (guint)g_utf8_strlen(t->text, (gssize)off);
		char *got = rl_describe(t);
		error_at(ps, t->line, col, "expected a valid regular expression, got %s: %s at offset %" G_GSIZE_FORMAT, got,
		         msg, off);
		g_free(got);
		g_free(msg);
		return NULL;
	}
	rp_pattern *p = g_new0(rp_pattern, 1);
	p->rx = rx;
	p->kind = kind;
	p->text = g_strdup(t->text);
	p->text_len = strlen(t->text);
	p->flags = g_strdup(flags);
	p->slot = slot;
	p->line = t->line;
	p->col = t->col;
	p->source = kind == RX_TEXT_REGEX ? g_strdup_printf("/%s/%s", t->text, t->flags) : quote(t->text);
	g_ptr_array_add(ps->rs->patterns, p);
	return p;
}

/* header_slot - the slot of header name (case-insensitive), added when new */
static guint
header_slot(cd_ruleset *rs, const char *name, const char **stored)
{
	char *low = g_ascii_strdown(name, -1);
	gpointer v = g_hash_table_lookup(rs->header_ids, low);
	guint id;
	if (v) {
		id = GPOINTER_TO_UINT(v) - 1;
		g_free(low);
	} else {
		id = rs->header_names->len;
		g_ptr_array_add(rs->header_names, g_strdup(name));
		g_hash_table_insert(rs->header_ids, low, GUINT_TO_POINTER(id + 1));
	}
	*stored = g_ptr_array_index(rs->header_names, id);
	return RF_HEADER + id;
}

static gboolean
valid_header_name(const char *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s; s++)
		if ((guchar)*s < 33 || (guchar)*s > 126 || *s == ':' || *s == '"' || *s == '\\')
			return FALSE;
	return TRUE;
}

/* field - a field name (and for header its name); FALSE after reporting */
static gboolean
field(parser *ps, rf_field *f, const char *context)
{
	rl_token *t = peek(ps);
	if (t->kind == RT_WORD) {
		for (int k = 0; k < RF_HEADER; k++)
			if (strcmp(t->text, field_names[k]) == 0) {
				next(ps);
				f->kind = (rf_kind)k;
				f->slot = (guint)k;
				f->header = NULL;
				return TRUE;
			}
		if (strcmp(t->text, "header") == 0) {
			next(ps);
			rl_token *n = peek(ps);
			if (n->kind != RT_STRING || !valid_header_name(n->text)) {
				expected(ps, n, "a header name in quotes after header (like \"Auto-Submitted\")");
				return FALSE;
			}
			next(ps);
			f->kind = RF_HEADER;
			f->slot = header_slot(ps->rs, n->text, &f->header);
			return TRUE;
		}
	}
	expected(ps, t, "a field%s (" FIELD_LIST ")", context);
	return FALSE;
}

/* number - "500", "20k", "5M", "1G" (k = 1024) */
static gboolean
number(const char *s, gint64 *out)
{
	guint64 v = 0;
	const char *p = s;
	if (!g_ascii_isdigit(*p))
		return FALSE;
	for (; g_ascii_isdigit(*p); p++) {
		v = v * 10 + (guint64)(*p - '0');
		if (v > ((guint64)1 << 50))
			return FALSE;
	}
	guint64 mul = 1;
	if (*p == 'k' || *p == 'K')
		mul = 1024, p++;
	else if (*p == 'm' || *p == 'M')
		mul = 1024 * 1024, p++;
	else if (*p == 'g' || *p == 'G')
		mul = 1024 * 1024 * 1024, p++;
	if (*p != '\0' || v > (guint64)G_MAXINT64 / mul)
		return FALSE;
	*out = (gint64)(v * mul);
	return TRUE;
}

static const char *const reserved[] = {"rule", "when", "then", "and", "or", "not", NULL};

static gboolean one_of(const char *s, const char *const *set);

/* value_token - a word or string usable as a value: reserved words only in quotes */
static gboolean
value_token(const rl_token *t)
{
	return t->kind == RT_STRING || (t->kind == RT_WORD && !one_of(t->text, reserved));
}

static gboolean
one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return TRUE;
	return FALSE;
}

static const char *const channels[] = {"email", "sms", NULL};
static const char *const customer_kinds[] = {"known", "unknown", "agent", NULL};
static const char *const types[] = {"ticket", "rma", "activation", "spam", NULL};
static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};

/* test - field operator */
static rc_node *
test(parser *ps)
{
	rl_token *start = peek(ps);
	rf_field f;
	if (!field(ps, &f, ""))
		return NULL;
	char *fname = f.kind == RF_HEADER ? g_strdup_printf("header \"%s\"", f.header) : g_strdup(rf_name(f.kind));
	rc_node *c = g_new0(rc_node, 1);
	c->kind = RC_TEST;
	c->field = f;
	c->line = start->line;
	c->col = start->col;
	rl_token *op = next(ps);
	gboolean numeric = f.kind == RF_SIZE;
	gboolean ok = FALSE;
	if (numeric) {
		if (op->kind == RT_LT || op->kind == RT_GT || op->kind == RT_EQEQ) {
			rl_token *n = peek(ps);
			if (n->kind == RT_WORD && number(n->text, &c->num)) {
				next(ps);
				c->op = op->kind == RT_LT ? RO_LT : op->kind == RT_GT ? RO_GT : RO_NUM_EQ;
				ok = TRUE;
			} else {
				expected(ps, n, "a number (like 500, 20k or 5M) after size %s",
				         op->kind == RT_LT ? "<" : op->kind == RT_GT ? ">" : "==");
			}
		} else {
			expected(ps, op, "==, < or > after size");
		}
	} else if (op->kind == RT_TILDE) {
		rl_token *r = peek(ps);
		if (r->kind == RT_REGEX) {
			next(ps);
			c->op = RO_REGEX;
			c->pat = pattern(ps, r, RX_TEXT_REGEX, f.slot);
			ok = c->pat != NULL;
		} else {
			expected(ps, r, "a /regex/ after %s ~", fname);
		}
	} else if (op->kind == RT_EQEQ || is_word(op, "contains")) {
		gboolean eq = op->kind == RT_EQEQ;
		rl_token *v = peek(ps);
		if (value_token(v)) {
			const char *const *allowed =
			    f.kind == RF_CHANNEL ? channels : f.kind == RF_CUSTOMER ? customer_kinds : NULL;
			if (eq && allowed && !one_of(v->text, allowed)) {
				expected(ps, v, "%s after %s ==", f.kind == RF_CHANNEL ? "email or sms" : "known, unknown or agent",
				         fname);
			} else {
				next(ps);
				c->op = eq ? RO_EQ : RO_CONTAINS;
				c->pat = pattern(ps, v, eq ? RX_TEXT_EQUALS : RX_TEXT_CONTAINS, f.slot);
				ok = c->pat != NULL;
			}
		} else {
			expected(ps, v, "a \"string\" after %s %s", fname, eq ? "==" : "contains");
		}
	} else if (is_word(op, "exists")) {
		c->op = RO_EXISTS;
		ok = TRUE;
	} else if (op->kind == RT_LT || op->kind == RT_GT) {
		expected(ps, op, "~, ==, contains or exists after %s (< and > compare numbers: size)", fname);
	} else {
		expected(ps, op, "an operator after %s (~, ==, contains or exists)", fname);
	}
	g_free(fname);
	if (!ok) {
		cond_free(c);
		return NULL;
	}
	return c;
}

static rc_node *condition(parser *ps);

static rc_node *
unary(parser *ps)
{
	rl_token *t = peek(ps);
	if (is_word(t, "not")) {
		next(ps);
		rc_node *a = unary(ps);
		if (a == NULL)
			return NULL;
		rc_node *c = g_new0(rc_node, 1);
		c->kind = RC_NOT;
		c->a = a;
		c->line = t->line;
		c->col = t->col;
		return c;
	}
	if (t->kind == RT_LPAREN) {
		next(ps);
		rc_node *c = condition(ps);
		if (c == NULL)
			return NULL;
		rl_token *close = peek(ps);
		if (close->kind != RT_RPAREN) {
			char *open = g_strdup_printf("')' to close the '(' at %u:%u", t->line, t->col);
			expected(ps, close, "%s", open);
			g_free(open);
			cond_free(c);
			return NULL;
		}
		next(ps);
		return c;
	}
	if (is_word(t, "then") || is_word(t, "and") || is_word(t, "or") || t->kind == RT_EOF || t->kind == RT_RPAREN) {
		expected(ps, t, "a condition (a field like subject, not, or '(')");
		return NULL;
	}
	return test(ps);
}

static rc_node *
binary(parser *ps, rc_kind kind, const char *word, rc_node *(*operand)(parser *))
{
	rc_node *left = operand(ps);
	if (left == NULL)
		return NULL;
	while (is_word(peek(ps), word)) {
		rl_token *t = next(ps);
		rc_node *right = operand(ps);
		if (right == NULL) {
			cond_free(left);
			return NULL;
		}
		rc_node *c = g_new0(rc_node, 1);
		c->kind = kind;
		c->a = left;
		c->b = right;
		c->line = t->line;
		c->col = t->col;
		left = c;
	}
	return left;
}

static rc_node *
and_expr(parser *ps)
{
	return binary(ps, RC_AND, "and", unary);
}

static rc_node *
condition(parser *ps)
{
	return binary(ps, RC_OR, "or", and_expr);
}

static gboolean
valid_template(const char *s)
{
	if (!g_ascii_isalnum(*s))
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return FALSE;
	return TRUE;
}

static gboolean
valid_capture_name(const char *s)
{
	if (!g_ascii_isalpha(*s) && *s != '_')
		return FALSE;
	if (strlen(s) > 32)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_')
			return FALSE;
	return TRUE;
}

/* name_arg - the word or string after an action, checked; NULL after reporting */
static char *
name_arg(parser *ps, const char *action, const char *what, const char *const *allowed, gboolean template)
{
	rl_token *v = peek(ps);
	if (value_token(v) && *v->text != '\0') {
		if (allowed && !one_of(v->text, allowed)) {
			expected(ps, v, "%s after %s", what, action);
			return NULL;
		}
		if (template && !valid_template(v->text)) {
			expected(ps, v, "a template name after %s (letters, digits, '-', '_', '.')", action);
			return NULL;
		}
		next(ps);
		return g_strdup(v->text);
	}
	expected(ps, v, "%s after %s", what, action);
	return NULL;
}

static gboolean
action(parser *ps, ra_kind kind, ra_action *a)
{
	switch (kind) {
	case RA_TYPE:
		a->arg = name_arg(ps, "type", "ticket, rma, activation or spam", types, FALSE);
		break;
	case RA_QUEUE:
		a->arg = name_arg(ps, "queue", "a queue name", NULL, FALSE);
		break;
	case RA_PRIORITY:
		a->arg = name_arg(ps, "priority", "low, normal, high or urgent", priorities, FALSE);
		break;
	case RA_TAG:
		a->arg = name_arg(ps, "tag", "a tag", NULL, FALSE);
		break;
	case RA_ASSIGN:
		a->arg = name_arg(ps, "assign", "an agent's login", NULL, FALSE);
		break;
	case RA_REPLY:
		a->arg = name_arg(ps, "reply", "a template name", NULL, TRUE);
		break;
	case RA_SMS:
		a->arg = name_arg(ps, "sms", "a template name", NULL, TRUE);
		break;
	case RA_NOTIFY:
		a->arg = name_arg(ps, "notify", "a queue or an agent's login", NULL, FALSE);
		break;
	case RA_REJECT:
		a->arg = name_arg(ps, "reject", "the text the sender is told, in quotes", NULL, FALSE);
		break;
	case RA_DROP:
	case RA_STOP:
		return TRUE;
	case RA_CAPTURE: {
		rl_token *n = peek(ps);
		if (n->kind != RT_WORD || !valid_capture_name(n->text)) {
			expected(ps, n, "a capture name after capture (letters, digits, _)");
			return FALSE;
		}
		next(ps);
		rl_token *eq = peek(ps);
		if (eq->kind != RT_EQ) {
			expected(ps, eq, "= after capture %s", n->text);
			return FALSE;
		}
		next(ps);
		char *ctx = g_strdup_printf(" after capture %s =", n->text);
		gboolean ok = field(ps, &a->field, ctx);
		g_free(ctx);
		if (!ok)
			return FALSE;
		if (a->field.kind == RF_SIZE) {
			/* the token before is the field */
			rl_token *f = &g_array_index(ps->toks, rl_token, ps->pos - 1);
			error_at(ps, f->line, f->col, "expected a text field after capture %s = (size is a number), got 'size'",
			         n->text);
			return FALSE;
		}
		rl_token *tilde = peek(ps);
		if (tilde->kind != RT_TILDE) {
			expected(ps, tilde, "~ /regex/ after capture %s = %s", n->text,
			         a->field.kind == RF_HEADER ? "header" : rf_name(a->field.kind));
			return FALSE;
		}
		next(ps);
		rl_token *r = peek(ps);
		if (r->kind != RT_REGEX) {
			expected(ps, r, "a /regex/ with a group (?<%s>...) after capture %s = ... ~", n->text, n->text);
			return FALSE;
		}
		next(ps);
		a->pat = pattern(ps, r, RX_TEXT_REGEX, a->field.slot);
		if (a->pat == NULL)
			return FALSE;
		a->arg = g_strdup(n->text);
		a->group = rx_group_number(a->pat->rx, n->text);
		return TRUE;
	}
	}
	return a->arg != NULL;
}

static int
action_kind(const rl_token *t)
{
	if (t->kind != RT_WORD)
		return -1;
	for (int k = 0; k <= RA_STOP; k++)
		if (strcmp(t->text, action_names[k]) == 0)
			return k;
	return -1;
}

/* rule - one rule from 'rule' on; NULL after reporting */
static rr_rule *
rule(parser *ps)
{
	rl_token *kw = next(ps); /* 'rule' */
	rl_token *name = peek(ps);
	if (name->kind != RT_STRING || *name->text == '\0') {
		expected(ps, name, "the rule's name in quotes after rule (like rule \"RMA by subject\")");
		return NULL;
	}
	next(ps);
	rr_rule *r = g_new0(rr_rule, 1);
	r->name = g_strdup(name->text);
	r->file = ps->file;
	r->line = kw->line;
	r->col = kw->col;
	r->where = g_strdup_printf("%s:%u %s", ps->file, kw->line, r->name);
	rl_token *t = peek(ps);
	if (is_word(t, "when")) {
		next(ps);
		r->when = condition(ps);
		if (r->when == NULL) {
			rr_rule_free(r);
			return NULL;
		}
		t = peek(ps);
		if (!is_word(t, "then")) {
			expected(ps, t, "then, or and/or to continue the condition");
			rr_rule_free(r);
			return NULL;
		}
	} else if (!is_word(t, "then")) {
		expected(ps, t, "when or then after the rule's name");
		rr_rule_free(r);
		return NULL;
	}
	next(ps); /* then */
	GArray *acts = g_array_new(FALSE, TRUE, sizeof(ra_action));
	gboolean failed = FALSE;
	for (;;) {
		t = peek(ps);
		if (acts->len > 0 && (t->kind == RT_EOF || is_word(t, "rule")))
			break;
		int k = action_kind(t);
		if (k < 0) {
			expected(ps, t, acts->len ? "an action (" ACTION_LIST ") or the next rule"
			                          : "an action after then (" ACTION_LIST ")");
			failed = TRUE;
			break;
		}
		next(ps);
		ra_action a = {.kind = (ra_kind)k, .line = t->line, .col = t->col, .group = -1};
		if (!action(ps, (ra_kind)k, &a)) {
			action_clear(&a);
			failed = TRUE;
			break;
		}
		if (a.kind == RA_REJECT)
			ps->rs->has_reject = TRUE;
		g_array_append_val(acts, a);
	}
	r->n_actions = acts->len;
	r->actions = (ra_action *)g_array_free(acts, FALSE);
	if (failed) {
		rr_rule_free(r);
		return NULL;
	}
	return r;
}

/* resync - after an error: to the next 'rule' that starts a line */
static void
resync(parser *ps)
{
	for (;;) {
		rl_token *t = peek(ps);
		if (t->kind == RT_EOF || (is_word(t, "rule") && t->bol))
			return;
		next(ps);
	}
}

/* by_position - file errors in line:col order (lexical errors are found before parse errors) */
static void
position(const char *msg, const char *file, guint *line, guint *col)
{
	const char *p = msg + strlen(file) + 1;
	*line = (guint)g_ascii_strtoull(p, (char **)&p, 10);
	*col = *p == ':' ? (guint)g_ascii_strtoull(p + 1, NULL, 10) : 0;
}

static gint
by_position(gconstpointer a, gconstpointer b, gpointer file)
{
	guint la, ca, lb, cb;
	position(*(const char *const *)a, file, &la, &ca);
	position(*(const char *const *)b, file, &lb, &cb);
	return la != lb ? (la < lb ? -1 : 1) : ca != cb ? (ca < cb ? -1 : 1) : 0;
}

gboolean
rr_parse_file(cd_ruleset *rs, const char *name, const char *text, gsize len, GPtrArray *errors)
{
	g_ptr_array_add(rs->files, g_strdup(name));
	GPtrArray *errs = g_ptr_array_new();
	parser ps = {.rs = rs, .file = g_ptr_array_index(rs->files, rs->files->len - 1), .errors = errs};
	ps.toks = rl_lex(ps.file, text, len, errs);
	while (peek(&ps)->kind != RT_EOF && errors->len + errs->len < MAX_ERRORS) {
		rl_token *t = peek(&ps);
		if (!is_word(t, "rule")) {
			expected(&ps, t, "rule");
			next(&ps);
			resync(&ps);
			continue;
		}
		rr_rule *r = rule(&ps);
		if (r == NULL) {
			resync(&ps);
			continue;
		}
		g_ptr_array_add(rs->rules, r);
	}
	rl_tokens_free(ps.toks);
	g_ptr_array_sort_with_data(errs, by_position, (gpointer)ps.file);
	gboolean ok = errs->len == 0;
	for (guint i = 0; i < errs->len; i++)
		g_ptr_array_add(errors, g_ptr_array_index(errs, i));
	g_ptr_array_free(errs, TRUE);
	return ok;
}

cd_ruleset *
rr_set_new(cd_rules_flags flags)
{
	cd_ruleset *rs = g_new0(cd_ruleset, 1);
	rs->refs = 1;
	rs->flags = flags;
	rs->files = g_ptr_array_new_with_free_func(g_free);
	rs->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rr_rule_free);
	rs->patterns = g_ptr_array_new_with_free_func((GDestroyNotify)rp_pattern_free);
	rs->header_names = g_ptr_array_new_with_free_func(g_free);
	rs->header_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_mutex_init(&rs->pool_lock);
	rs->pool = g_ptr_array_new_with_free_func(rr_scratch_free);
	return rs;
}

/* literal_id - the id of lit (searched caselessly or not) in the slot's literals, added when new */
static guint
literal_id(rp_slot *s, const char *lit, gboolean caseless)
{
	char *key = g_strconcat(caseless ? "i:" : "c:", lit, NULL);
	gpointer v = g_hash_table_lookup(s->index, key);
	if (v == NULL) {
		guint8 ci = caseless != FALSE;
		g_ptr_array_add(s->lits, g_strdup(lit));
		g_byte_array_append(s->caseless, &ci, 1);
		v = GUINT_TO_POINTER(s->lits->len);
		g_hash_table_insert(s->index, key, v);
	} else {
		g_free(key);
	}
	return GPOINTER_TO_UINT(v) - 1;
}

void
rr_finish(cd_ruleset *rs)
{
	rs->n_slots = RF_N_FIXED + rs->header_names->len;
	rs->slots = g_new0(rp_slot, rs->n_slots);
	if (!(rs->flags & CD_RULES_NO_PREFILTER)) {
		for (guint i = 0; i < rs->patterns->len; i++) {
			rp_pattern *p = g_ptr_array_index(rs->patterns, i);
			if (p->kind == RX_TEXT_EQUALS) {
				p->ascii_eq = TRUE;
				for (const char *q = p->text; *q && p->ascii_eq; q++)
					p->ascii_eq = (guchar)*q < 0x80;
			}
			rp_requirements req;
			rp_requirements_of(p->text, p->kind, p->flags, &req);
			p->digits = req.digits;
			rp_slot *s = &rs->slots[p->slot];
			if ((req.sets || req.lead) && s->lits == NULL) {
				s->lits = g_ptr_array_new_with_free_func(g_free);
				s->caseless = g_byte_array_new();
				s->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
			}
			p->n_groups = req.sets ? req.sets->len : 0;
			p->groups = p->n_groups ? g_new0(rp_group, p->n_groups) : NULL;
			for (guint g = 0; g < p->n_groups; g++) {
				rp_group *grp = &p->groups[g];
				grp->text = g_strdupv(g_ptr_array_index(req.sets, g));
				grp->n = g_strv_length(grp->text);
				grp->ids = g_new(guint, grp->n);
				for (guint k = 0; k < grp->n; k++)
					grp->ids[k] = literal_id(s, grp->text[k], req.caseless);
			}
			if (req.lead) {
				p->n_lead = g_strv_length(req.lead);
				p->lead_ids = g_new(guint, p->n_lead);
				p->lead_slack = g_memdup2(req.lead_slack, sizeof(guint) * p->n_lead);
				p->lead_text = g_strdupv(req.lead);
				for (guint k = 0; k < p->n_lead; k++)
					p->lead_ids[k] = literal_id(s, req.lead[k], req.caseless);
			}
			rp_requirements_clear(&req);
		}
	}
	rs->n_bits = rp_build(rs->slots, rs->n_slots);

	/* pack what the evaluator reads per pattern into one array, in rule order */
	GArray *words = g_array_new(FALSE, FALSE, sizeof(guint32));
	gssize *at = g_new(gssize, rs->patterns->len);
	for (guint i = 0; i < rs->patterns->len; i++) {
		rp_pattern *p = g_ptr_array_index(rs->patterns, i);
		at[i] = -1;
		if (p->n_groups == 0 && p->n_lead == 0)
			continue;
		guint32 off = rs->slots[p->slot].bit_offset, w;
		at[i] = (gssize)words->len;
		g_array_append_val(words, p->n_groups);
		for (guint g = 0; g < p->n_groups; g++) {
			g_array_append_val(words, p->groups[g].n);
			for (guint k = 0; k < p->groups[g].n; k++) {
				w = off + p->groups[g].ids[k];
				g_array_append_val(words, w);
			}
		}
		g_array_append_val(words, p->n_lead);
		for (guint k = 0; k < p->n_lead; k++) {
			w = off + p->lead_ids[k];
			g_array_append_val(words, w);
			g_array_append_val(words, p->lead_slack[k]);
		}
	}
	rs->pf_words = (guint32 *)g_array_free(words, FALSE);

	for (guint i = 0; i < rs->patterns->len; i++)
		if (at[i] >= 0)
			((rp_pattern *)g_ptr_array_index(rs->patterns, i))->pf = rs->pf_words + at[i];
	g_free(at);

	/* gates: the leftmost test of a rule's top-level "and" chain runs first; when it cannot
	 * hold, neither can the rule, and nothing else in it would have run. What the evaluator
	 * needs of them sits in one array, so that skipping a rule touches nothing else */
	for (guint i = 0; i < rs->rules->len; i++) {
		rr_rule *r = g_ptr_array_index(rs->rules, i);
		for (guint k = 0; k < r->n_actions; k++)
			r->stop |= r->actions[k].kind == RA_STOP;
	}
	if (rs->flags & CD_RULES_NO_PREFILTER) {
		for (guint i = 0; i < rs->patterns->len; i++)
			((rp_pattern *)g_ptr_array_index(rs->patterns, i))->memo = -1;
		return;
	}
	rs->gates = g_new(rr_gate, MAX(rs->rules->len, 1));
	for (guint i = 0; i < rs->rules->len; i++) {
		rr_rule *r = g_ptr_array_index(rs->rules, i);
		const rc_node *n = r->when;
		while (n && n->kind == RC_AND)
			n = n->a;
		rr_gate *g = &rs->gates[i];
		g->slot = G_MAXUINT32;
		g->digits = 0;
		g->pf = -1;
		if (n && n->kind == RC_TEST && n->pat) {
			r->gate = n->pat;
			g->slot = r->gate->slot;
			g->digits = r->gate->digits;
			g->pf = r->gate->pf ? (gint32)(r->gate->pf - rs->pf_words) : -1;
		}
	}
	/* the same pattern on the same field in several rules runs once per message */
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < rs->patterns->len; i++) {
		rp_pattern *p = g_ptr_array_index(rs->patterns, i);
		char *key = g_strdup_printf("%u %d %s %s", p->slot, (int)p->kind, p->flags, p->text);
		gpointer v;
		if (g_hash_table_lookup_extended(seen, key, NULL, &v)) {
			p->memo = GPOINTER_TO_INT(v);
			g_free(key);
		} else {
			p->memo = (gint)rs->n_memo++;
			g_hash_table_insert(seen, key, GINT_TO_POINTER(p->memo));
		}
	}
	g_hash_table_unref(seen);
}
