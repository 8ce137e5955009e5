/* agentcmd.c - the commands at the top of an agent's mail reply: parsing them off the text and
 * applying them to a ticket and its RMA, all or nothing (see agentcmd.h). */
#include "agentcmd.h"
#include "audit.h"
#include "parse.h"
#include "result.h"
#include "rma.h"
#include "ticket.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

/* ---- parsing ---------------------------------------------------------------------------------- */

static const struct {
	const char *word;
	cd_acmd_kind kind;
} command_words[] = {
	{"status", CD_ACMD_STATUS}, {"close", CD_ACMD_CLOSE}, {"assign", CD_ACMD_ASSIGN},
	{"priority", CD_ACMD_PRIORITY}, {"queue", CD_ACMD_QUEUE}, {"note", CD_ACMD_NOTE},
	{"rma", CD_ACMD_RMA}, {"customer", CD_ACMD_CUSTOMER}, {"tag", CD_ACMD_TAG},
};

/* Other words for ticket states; only those whose state the ticket machine has are used. */
static const struct {
	const char *alias;
	const char *state;
} status_aliases[] = {
	{"reopen", "open"},       {"reopened", "open"},   {"opened", "open"},      {"waiting", "pending"},
	{"wait", "pending"},      {"hold", "pending"},    {"on hold", "pending"},  {"on-hold", "pending"},
	{"onhold", "pending"},    {"solved", "resolved"}, {"solve", "resolved"},   {"resolve", "resolved"},
	{"done", "resolved"},     {"fixed", "resolved"},  {"close", "closed"},
};

static const struct {
	const char *alias;
	const char *priority;
} priority_aliases[] = {{"medium", "normal"}, {"critical", "urgent"}};

/* RMA steps: the word agents write, the canonical step and the RMA state it leads to. */
static const struct {
	const char *word;
	const char *step;
	const char *state;
} rma_steps[] = {
	{"authorize", "authorize", "authorized"}, {"authorise", "authorize", "authorized"},
	{"approve", "authorize", "authorized"},   {"reject", "reject", "rejected"},
	{"refuse", "reject", "rejected"},         {"receive", "receive", "received"},
	{"received", "receive", "received"},      {"inspect", "inspect", "inspected"},
	{"inspected", "inspect", "inspected"},    {"refund", "refund", "refunded"},
	{"replace", "replace", "replaced"},       {"repair", "repair", "repaired"},
	{"close", "close", "closed"},
};

#define RMA_STEPS_TEXT "authorize [LINE], reject \"reason\", receive, inspect, refund AMOUNT, replace, repair or close"

static const char *
rma_state_of(const char *step)
{
	for (gsize i = 0; i < G_N_ELEMENTS(rma_steps); i++)
		if (strcmp(rma_steps[i].step, step) == 0)
			return rma_steps[i].state;
	return NULL;
}

static void
acmd_free(gpointer p)
{
	cd_acmd *c = p;
	g_free(c->word);
	g_strfreev(c->args);
	g_free(c->source);
	g_free(c);
}

void
cd_acmd_block_clear(cd_acmd_block *b)
{
	if (b == NULL)
		return;
	if (b->cmds)
		g_ptr_array_unref(b->cmds);
	g_free(b->body);
	g_free(b->customer);
	memset(b, 0, sizeof *b);
}

/* blank_len - the length of the blank at p (space, tab, CR, FF, VT, no-break space, BOM), else 0. */
static gsize
blank_len(const char *p)
{
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v')
		return 1;
	if ((guchar)p[0] == 0xC2 && (guchar)p[1] == 0xA0)
		return 2;
	if ((guchar)p[0] == 0xEF && (guchar)p[1] == 0xBB && (guchar)p[2] == 0xBF)
		return 3;
	return 0;
}

/* typo_quote_len - the length of a typographic double quote at p (“ ” „), else 0. */
static gsize
typo_quote_len(const char *p)
{
	if ((guchar)p[0] == 0xE2 && (guchar)p[1] == 0x80 &&
	    ((guchar)p[2] == 0x9C || (guchar)p[2] == 0x9D || (guchar)p[2] == 0x9E))
		return 3;
	return 0;
}

/* tokenize - the blank-separated words of s, "..." and typographic quotes grouping; FALSE when a
 * quote is not closed. */
static gboolean
tokenize(const char *s, GPtrArray *out)
{
	const char *p = s;
	GString *tok = NULL;
	while (*p) {
		gsize n = blank_len(p);
		if (n) {
			if (tok)
				g_ptr_array_add(out, g_string_free(tok, FALSE));
			tok = NULL;
			p += n;
			continue;
		}
		if (tok == NULL)
			tok = g_string_new(NULL);
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				g_string_append_c(tok, *p++);
			}
			if (*p == '\0')
				goto unterminated;
			p++;
		} else if ((n = typo_quote_len(p)) != 0) {
			p += n;
			while (*p && *p != '"' && typo_quote_len(p) == 0)
				g_string_append_c(tok, *p++);
			if (*p == '\0')
				goto unterminated;
			p += *p == '"' ? 1 : typo_quote_len(p);
		} else {
			g_string_append_c(tok, *p++);
		}
	}
	if (tok)
		g_ptr_array_add(out, g_string_free(tok, FALSE));
	return TRUE;
unterminated:
	g_string_free(tok, TRUE);
	return FALSE;
}

/* note_text - the text of a #note line, trimmed; when all of it is one quoted string, its inside. */
static char *
note_text(const char *rest)
{
	char *t = g_strstrip(g_strdup(rest));
	if (t[0] == '"' || typo_quote_len(t)) {
		GPtrArray *toks = g_ptr_array_new_with_free_func(g_free);
		if (tokenize(t, toks) && toks->len == 1) {
			g_free(t);
			t = g_strstrip(g_strdup(g_ptr_array_index(toks, 0)));
		}
		g_ptr_array_unref(toks);
	}
	return t;
}

static char *
joined(GPtrArray *toks, guint from, const char *sep)
{
	GString *s = g_string_new(NULL);
	for (guint i = from; i < toks->len; i++)
		g_string_append_printf(s, "%s%s", i > from ? sep : "", (char *)g_ptr_array_index(toks, i));
	return g_string_free(s, FALSE);
}

/* valid_tag - letters, digits, '-', '_', '.', ':'; 1 to 64 bytes. */
static gboolean
valid_tag(const char *t)
{
	gsize n = strlen(t);
	if (n == 0 || n > 64)
		return FALSE;
	for (const char *p = t; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (!g_unichar_isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':')
			return FALSE;
	}
	return TRUE;
}

static char *
states_text(void)
{
	return cd_machine_states_text(&cd_ticket_machine);
}

static char *
priorities_text(void)
{
	return g_strjoinv(", ", (char **)cd_ticket_priorities);
}

typedef struct {
	GPtrArray *notes;  /* the texts of #note lines */
	char *customer;
} parse_state;

/* command - parse one command line into c (word and kind set); FALSE with error naming the line. */
static gboolean
command(parse_state *ps, cd_acmd *c, const char *rest, GError **error)
{
	guint ln = c->line;
	GPtrArray *toks = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *args = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = TRUE;
	/* #note keeps its text as written; every other command has words */
	if (c->kind != CD_ACMD_NOTE && !tokenize(rest, toks)) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "line %u: #%s: a quote is not closed", ln, c->word);
		ok = FALSE;
		goto out;
	}
	guint n = toks->len;
#define TOK(i) ((char *)g_ptr_array_index(toks, (i)))
#define FAIL(...)                                                                                    \
	do {                                                                                          \
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, __VA_ARGS__);                              \
		ok = FALSE;                                                                               \
		goto out;                                                                                 \
	} while (0)
	switch (c->kind) {
	case CD_ACMD_STATUS: {
		char *want = n ? joined(toks, 0, " ") : NULL;
		char *lower = want ? g_utf8_strdown(want, -1) : NULL;
		g_free(want);
		const char *state = NULL;
		for (gsize i = 0; lower && i < G_N_ELEMENTS(status_aliases); i++)
			if (strcmp(lower, status_aliases[i].alias) == 0)
				state = status_aliases[i].state;
		if (state == NULL)
			state = lower;
		if (state && cd_machine_has_state(&cd_ticket_machine, state)) {
			g_ptr_array_add(args, g_strdup(state));
			g_free(lower);
			break;
		}
		g_free(lower);
		char *all = states_text();
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "line %u: #status needs one of %s", ln, all);
		g_free(all);
		ok = FALSE;
		goto out;
	}
	case CD_ACMD_CLOSE:
		if (n)
			FAIL("line %u: #close takes nothing after it", ln);
		break;
	case CD_ACMD_ASSIGN: {
		if (n != 1)
			FAIL("line %u: #assign needs one agent's login, me or none", ln);
		char *lower = g_ascii_strdown(TOK(0), -1);
		if (strcmp(lower, "me") == 0)
			g_ptr_array_add(args, g_strdup("me"));
		else if (strcmp(lower, "none") == 0 || strcmp(lower, "nobody") == 0 || strcmp(lower, "-") == 0)
			g_ptr_array_add(args, g_strdup("none"));
		else
			g_ptr_array_add(args, g_strdup(TOK(0)));
		g_free(lower);
		break;
	}
	case CD_ACMD_PRIORITY: {
		char *lower = n == 1 ? g_ascii_strdown(TOK(0), -1) : NULL;
		for (gsize i = 0; lower && i < G_N_ELEMENTS(priority_aliases); i++)
			if (strcmp(lower, priority_aliases[i].alias) == 0) {
				g_free(lower);
				lower = g_strdup(priority_aliases[i].priority);
			}
		if (lower && cd_priority_valid(lower)) {
			g_ptr_array_add(args, lower);
			break;
		}
		g_free(lower);
		char *all = priorities_text();
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "line %u: #priority needs one of %s", ln, all);
		g_free(all);
		ok = FALSE;
		goto out;
	}
	case CD_ACMD_QUEUE:
		if (n != 1)
			FAIL("line %u: #queue needs one queue name", ln);
		g_ptr_array_add(args, g_strdup(TOK(0)));
		break;
	case CD_ACMD_NOTE: {
		char *text = note_text(rest);
		if (*text) {
			g_ptr_array_add(args, g_strdup(text));
			g_ptr_array_add(ps->notes, text);
		} else {
			g_free(text);
		}
		break;
	}
	case CD_ACMD_RMA: {
		guint i = 0;
		if (n > 0 && (c->rma_id = cd_parse_ref(TOK(0), "RMA")) != 0)
			i = 1;
		if (i >= n)
			FAIL("line %u: #rma needs a step: " RMA_STEPS_TEXT, ln);
		char *lower = g_ascii_strdown(TOK(i), -1);
		const char *step = NULL;
		for (gsize k = 0; k < G_N_ELEMENTS(rma_steps); k++)
			if (strcmp(lower, rma_steps[k].word) == 0)
				step = rma_steps[k].step;
		g_free(lower);
		if (step == NULL)
			FAIL("line %u: #rma needs a step: " RMA_STEPS_TEXT, ln);
		i++;
		/* the RMA may also be named right after the step: #rma receive RMA-000045 */
		if (c->rma_id == 0 && i < n && (c->rma_id = cd_parse_ref(TOK(i), "RMA")) != 0)
			i++;
		g_ptr_array_add(args, g_strdup(step));
		if (strcmp(step, "reject") == 0) {
			char *reason = joined(toks, i, " ");
			if (*g_strstrip(reason) == '\0') {
				g_free(reason);
				FAIL("line %u: #rma reject needs the reason the customer is told", ln);
			}
			g_ptr_array_add(args, reason);
		} else if (strcmp(step, "refund") == 0) {
			if (n - i != 1 || !cd_parse_cents(TOK(i), &c->cents))
				FAIL("line %u: #rma refund needs an amount like 49.90 or 49,90", ln);
			g_ptr_array_add(args, g_strdup(TOK(i)));
		} else if (strcmp(step, "authorize") == 0) {
			if (i < n && g_ascii_strcasecmp(TOK(i), "line") == 0)
				i++;
			gint64 line_no = 0;
			if (n - i > 1 || (n - i == 1 && !cd_parse_positive(TOK(i), 100000, &line_no)))
				FAIL("line %u: #rma authorize takes at most the number of the order line returned", ln);
			c->line_no = (gint)line_no;
			if (line_no)
				g_ptr_array_add(args, g_strdup_printf("%d", c->line_no));
		} else if (i < n) {
			FAIL("line %u: #rma %s takes nothing after it", ln, step);
		}
		break;
	}
	case CD_ACMD_CUSTOMER: {
		if (ps->customer)
			FAIL("line %u: only one #customer per reply", ln);
		if (n == 0)
			FAIL("line %u: #customer needs the customer's mail address", ln);
		char *all = joined(toks, 0, " ");
		/* "Dora Smith <dora@example.org>" as well as the bare address */
		char *lt = strrchr(all, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		char *addr = lt && gt ? cd_address_normalize(lt) : n == 1 ? cd_address_normalize(all) : NULL;
		if (addr && lt && gt && gt[1] != '\0') {
			g_free(addr);
			addr = NULL;
		}
		g_free(all);
		if (addr == NULL)
			FAIL("line %u: #customer needs the customer's mail address", ln);
		ps->customer = g_strdup(addr);
		g_ptr_array_add(args, addr);
		break;
	}
	case CD_ACMD_TAG:
		for (guint i = 0; i < n; i++) {
			char *t = TOK(i);
			gsize len = strlen(t);
			while (len && t[len - 1] == ',')
				t[--len] = '\0';
			if (len == 0)
				continue;
			char sign = *t == '-' ? '-' : '+';
			const char *name = *t == '-' || *t == '+' ? t + 1 : t;
			char *lower = g_utf8_strdown(name, -1);
			if (!valid_tag(lower)) {
				g_free(lower);
				FAIL("line %u: #tag: '%s' is not a tag (letters, digits, '-', '_', '.', ':')", ln, t);
			}
			g_ptr_array_add(args, g_strdup_printf("%c%s", sign, lower));
			g_free(lower);
		}
		if (args->len == 0)
			FAIL("line %u: #tag needs tags: +tag to add, -tag to remove", ln);
		break;
	}
#undef TOK
#undef FAIL
out:
	if (ok) {
		g_ptr_array_add(args, NULL);
		c->args = (char **)g_ptr_array_free(args, FALSE);
	} else {
		g_ptr_array_unref(args);
	}
	g_ptr_array_unref(toks);
	return ok;
}

gboolean
cd_acmd_parse(const char *text, cd_acmd_block *out, GError **error)
{
	memset(out, 0, sizeof *out);
	out->cmds = g_ptr_array_new_with_free_func(acmd_free);
	if (text == NULL)
		text = "";
	gsize tlen = strlen(text);
	char *clean = g_utf8_validate(text, (gssize)tlen, NULL) ? g_strdup(text) : g_utf8_make_valid(text, (gssize)tlen);
	parse_state ps = {.notes = g_ptr_array_new_with_free_func(g_free)};
	const char *p = clean;
	const char *body = NULL;
	guint lineno = 0;
	gboolean ok = TRUE;
	while (*p) {
		lineno++;
		const char *eol = strchr(p, '\n');
		gsize len = eol ? (gsize)(eol - p) : strlen(p);
		const char *next = eol ? eol + 1 : p + len;
		const char *s = p, *end = p + len;
		gsize b;
		while (s < end && (b = blank_len(s)) != 0)
			s += b;
		if (s >= end) {
			p = next;
			continue;
		}
		if (s[0] != '#' || !g_ascii_isalpha(s[1])) {
			body = p;
			break;
		}
		if (len > CD_ACMD_MAX_LINE) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "line %u: a command line has at most %d characters", lineno,
			            CD_ACMD_MAX_LINE);
			ok = FALSE;
			break;
		}
		if (out->cmds->len >= CD_ACMD_MAX_COMMANDS) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "line %u: too many commands (at most %d)", lineno,
			            CD_ACMD_MAX_COMMANDS);
			ok = FALSE;
			break;
		}
		char *line = g_strndup(s, (gsize)(end - s));
		g_strchomp(line);
		/* the word runs to the first blank; one trailing ':' is tolerated */
		const char *w = line + 1;
		const char *we = w;
		while (*we && blank_len(we) == 0)
			we++;
		char *word = g_strndup(w, (gsize)(we - w));
		gsize wl = strlen(word);
		if (wl > 1 && word[wl - 1] == ':')
			word[wl - 1] = '\0';
		char *lower = g_ascii_strdown(word, -1);
		gboolean known = FALSE;
		cd_acmd *c = g_new0(cd_acmd, 1);
		for (gsize i = 0; i < G_N_ELEMENTS(command_words); i++)
			if (strcmp(lower, command_words[i].word) == 0) {
				c->kind = command_words[i].kind;
				known = TRUE;
			}
		if (!known) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "line %u: unknown command #%s", lineno, word);
			ok = FALSE;
		} else {
			c->word = g_strdup(lower);
			c->line = lineno;
			c->source = g_strndup(p, len);
			gsize sl = strlen(c->source);
			if (sl && c->source[sl - 1] == '\r')
				c->source[sl - 1] = '\0';
			ok = command(&ps, c, we, error);
		}
		g_free(lower);
		g_free(word);
		g_free(line);
		if (!ok) {
			acmd_free(c);
			break;
		}
		g_ptr_array_add(out->cmds, c);
		if (c->kind == CD_ACMD_NOTE)
			out->internal = TRUE;
		p = next;
	}
	if (ok) {
		char *rest = g_strstrip(g_strdup(body ? body : ""));
		if (ps.notes->len) {
			g_ptr_array_add(ps.notes, NULL);
			char *notes = g_strjoinv("\n", (char **)ps.notes->pdata);
			out->body = *rest ? g_strconcat(notes, "\n\n", rest, NULL) : g_strdup(notes);
			g_free(notes);
			g_free(rest);
		} else {
			out->body = rest;
		}
		out->customer = ps.customer;
		ps.customer = NULL;
	} else {
		cd_acmd_block_clear(out);
		out->cmds = g_ptr_array_new_with_free_func(acmd_free);
		out->body = g_strdup("");
	}
	g_free(ps.customer);
	g_ptr_array_unref(ps.notes);
	g_free(clean);
	return ok;
}

/* ---- applying --------------------------------------------------------------------------------- */

#define SAVEPOINT "agent_commands"

typedef struct {
	cd_store *store;
	gint64 ticket_id;
	gint64 customer_id;  /* the ticket's (0: none) */
	char *ticket_ref;
	cd_actor actor;
} apply_ctx;

static void
result_free(gpointer p)
{
	cd_acmd_result *r = p;
	g_free(r->command);
	g_free(r->text);
	g_free(r);
}

void
cd_acmd_results_free(GPtrArray *results)
{
	if (results)
		g_ptr_array_unref(results);
}

/* refusal_error - whether error is the command's fault (refused) rather than the database's. */
static gboolean
refusal_error(const GError *e)
{
	return e && e->domain == CD_ERROR &&
	       (e->code == CD_ERROR_INVALID || e->code == CD_ERROR_NOTFOUND || e->code == CD_ERROR_USAGE);
}

static gboolean
ticket_status(apply_ctx *cx, char **status, GError **error)
{
	gboolean found = FALSE;
	*status = NULL;
	if (!cd_ticket_get(cx->store, cx->ticket_id, &found, status, NULL, error))
		return FALSE;
	if (!found) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no ticket %s", cx->ticket_ref);
		return FALSE;
	}
	return TRUE;
}

static gboolean
apply_status(apply_ctx *cx, const char *to, char **text, GError **error)
{
	char *cur = NULL;
	if (!ticket_status(cx, &cur, error))
		return FALSE;
	gboolean ok = TRUE;
	if (g_strcmp0(cur, to) == 0) {
		*text = g_strdup_printf("status %s (already)", to);
	} else {
		char *from = NULL;
		ok = cd_machine_move(cx->store, &cd_ticket_machine, cx->ticket_id, to, &cx->actor, NULL, &from, error);
		if (ok)
			*text = g_strdup_printf("status %s -> %s", from, to);
		g_free(from);
	}
	g_free(cur);
	return ok;
}

/* canonical_queue - the queue's name as stored, when it matches name case-insensitively; else name. */
static gboolean
canonical_queue(apply_ctx *cx, const char *name, char **out, GError **error)
{
	if (!cd_store_lookup_text(cx->store,
	                          "SELECT name FROM queues WHERE name = ?1 COLLATE NOCASE ORDER BY name = ?1 DESC, id LIMIT 1",
	                          name, 0, out, error))
		return FALSE;
	if (*out == NULL)
		*out = g_strdup(name);
	return TRUE;
}

static gboolean
tag_audit(apply_ctx *cx, const char *action, const char *from, const char *to, GError **error)
{
	cd_audit_event ev = {.actor = &cx->actor, .entity = "ticket", .entity_id = cx->ticket_id,
	                     .customer_id = cx->customer_id, .action = action, .from_state = from, .to_state = to};
	return cd_audit(cx->store, &ev, error);
}

/* apply_tags - add (+tag) and remove (-tag) ticket tags; each change audited as tag / untag. */
static gboolean
apply_tags(apply_ctx *cx, char **tags, char **text, GError **error)
{
	GString *done = g_string_new("tags");
	for (char **t = tags; *t; t++) {
		gboolean add = **t == '+';
		const char *name = *t + 1;
		sqlite3_stmt *st = cd_store_stmt(cx->store,
		                                 add ? "INSERT INTO ticket_tags(ticket_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING"
		                                     : "DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?",
		                                 error);
		if (st == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, cx->ticket_id);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		if (!cd_store_run(cx->store, st, error))
			goto fail;
		gboolean changed = cd_store_changes(cx->store) == 1;
		if (changed && !tag_audit(cx, add ? "tag" : "untag", add ? NULL : name, add ? name : NULL, error))
			goto fail;
		g_string_append_printf(done, "%s %s%s", t == tags ? "" : ",", *t,
		                       changed ? "" : add ? " (already)" : " (was not set)");
	}
	*text = g_string_free(done, FALSE);
	return TRUE;
fail:
	g_string_free(done, TRUE);
	return FALSE;
}

/* find_rma - the RMA the command acts on: the one named (the ticket's or its customer's), else the
 * ticket's (of several, the newest not rejected or closed). */
static gboolean
find_rma(apply_ctx *cx, const cd_acmd *c, gint64 *rma_id, GError **error)
{
	*rma_id = 0;
	if (c->rma_id) {
		char *ref = cd_rma_ref(c->rma_id);
		sqlite3_stmt *st = cd_store_stmt(cx->store, "SELECT coalesce(ticket_id, 0), customer_id FROM rmas WHERE id = ?",
		                                 error);
		gboolean row = FALSE, ok = st != NULL;
		if (ok) {
			sqlite3_bind_int64(st, 1, c->rma_id);
			ok = cd_store_step(cx->store, st, &row, error);
		}
		if (ok && !row) {
			g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no %s", ref);
			ok = FALSE;
		} else if (ok) {
			gint64 ticket = sqlite3_column_int64(st, 0), customer = sqlite3_column_int64(st, 1);
			sqlite3_reset(st);
			if (ticket != cx->ticket_id && (cx->customer_id == 0 || customer != cx->customer_id)) {
				g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s is not an RMA of %s or of its customer", ref,
				            cx->ticket_ref);
				ok = FALSE;
			}
		}
		g_free(ref);
		if (ok)
			*rma_id = c->rma_id;
		return ok;
	}
	if (!cd_store_lookup_id(cx->store,
	                        "SELECT id FROM rmas WHERE ticket_id = ? ORDER BY status IN ('rejected', 'closed'), id DESC "
	                        "LIMIT 1",
	                        NULL, cx->ticket_id, rma_id, error))
		return FALSE;
	if (*rma_id == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID,
		            "%s has no RMA (to act on one of the customer's: #rma RMA-000045 %s)", cx->ticket_ref, c->args[0]);
		return FALSE;
	}
	return TRUE;
}

static gboolean
apply_rma(apply_ctx *cx, const cd_acmd *c, char **text, GError **error)
{
	gint64 id;
	if (!find_rma(cx, c, &id, error))
		return FALSE;
	const char *step = c->args[0];
	const char *to = rma_state_of(step);
	char *ref = cd_rma_ref(id);
	char *cur = NULL;
	gboolean ok = cd_store_lookup_text(cx->store, "SELECT status FROM rmas WHERE id = ?", NULL, id, &cur, error);
	if (!ok)
		goto out;
	/* a step without data that was already taken is a no-op (a colleague was quicker) */
	if (g_strcmp0(cur, to) == 0 && strcmp(step, "reject") != 0 && strcmp(step, "refund") != 0) {
		*text = g_strdup_printf("%s %s (already)", ref, to);
		goto out;
	}
	if (strcmp(step, "authorize") == 0)
		ok = cd_rma_authorize(cx->store, id, c->line_no, FALSE, &cx->actor, NULL, error);
	else if (strcmp(step, "reject") == 0)
		ok = cd_rma_reject(cx->store, id, c->args[1], &cx->actor, error);
	else if (strcmp(step, "refund") == 0)
		ok = cd_rma_refund(cx->store, id, c->cents, FALSE, &cx->actor, NULL, error);
	else
		ok = cd_rma_set_status(cx->store, id, to, &cx->actor, NULL, error);
	if (ok) {
		if (strcmp(step, "refund") == 0) {
			char *amount = cd_format_cents(c->cents);
			*text = g_strdup_printf("%s %s -> refunded %s", ref, cur, amount);
			g_free(amount);
		} else {
			*text = g_strdup_printf("%s %s -> %s", ref, cur, to);
		}
	}
out:
	g_free(cur);
	g_free(ref);
	return ok;
}

/* apply_one - one command; *text says what it did. */
static gboolean
apply_one(apply_ctx *cx, const cd_acmd *c, char **text, GError **error)
{
	gboolean changed = FALSE, ok = TRUE;
	*text = NULL;
	switch (c->kind) {
	case CD_ACMD_STATUS:
		return apply_status(cx, c->args[0], text, error);
	case CD_ACMD_CLOSE:
		return apply_status(cx, "closed", text, error);
	case CD_ACMD_ASSIGN: {
		const char *who = c->args[0];
		const char *login = strcmp(who, "none") == 0 ? NULL : strcmp(who, "me") == 0 ? cx->actor.actor : who;
		ok = cd_ticket_assign(cx->store, cx->ticket_id, login, &cx->actor, NULL, &changed, error);
		if (ok)
			*text = login ? g_strdup_printf("assigned to %s%s", login, changed ? "" : " (already)")
			              : g_strdup_printf("unassigned%s", changed ? "" : " (already)");
		return ok;
	}
	case CD_ACMD_PRIORITY:
		ok = cd_ticket_set_priority(cx->store, cx->ticket_id, c->args[0], &cx->actor, NULL, &changed, error);
		if (ok)
			*text = g_strdup_printf("priority %s%s", c->args[0], changed ? "" : " (already)");
		return ok;
	case CD_ACMD_QUEUE: {
		char *queue = NULL;
		ok = canonical_queue(cx, c->args[0], &queue, error) &&
		     cd_ticket_set_queue(cx->store, cx->ticket_id, queue, &cx->actor, NULL, &changed, error);
		if (ok)
			*text = g_strdup_printf("queue %s%s", queue, changed ? "" : " (already)");
		g_free(queue);
		return ok;
	}
	case CD_ACMD_TAG:
		return apply_tags(cx, c->args, text, error);
	case CD_ACMD_RMA:
		return apply_rma(cx, c, text, error);
	case CD_ACMD_NOTE:
		*text = g_strdup("internal note: the reply is kept on the ticket, not sent to the customer");
		return TRUE;
	case CD_ACMD_CUSTOMER:
		*text = g_strdup_printf("a ticket for %s is opened with this reply", c->args[0]);
		return TRUE;
	}
	g_set_error(error, CD_ERROR, CD_ERROR_INTERNAL, "unknown agent command kind %d", (int)c->kind);
	return FALSE;
}

static gboolean
write_refusal(apply_ctx *cx, const char *note, GError **error)
{
	cd_audit_event ev = {.actor = &cx->actor, .entity = "ticket", .entity_id = cx->ticket_id,
	                     .customer_id = cx->customer_id, .action = "agent_command_refused", .note = note};
	return cd_audit(cx->store, &ev, error);
}

gboolean
cd_acmd_apply(cd_store *store, const cd_acmd_block *block, gint64 ticket_id, gint64 agent_id, GPtrArray **results,
              gboolean *all_ok, GError **error)
{
	*results = g_ptr_array_new_with_free_func(result_free);
	*all_ok = FALSE;
	guint n = block && block->cmds ? block->cmds->len : 0;
	for (guint i = 0; i < n; i++) {
		const cd_acmd *c = g_ptr_array_index(block->cmds, i);
		cd_acmd_result *r = g_new0(cd_acmd_result, 1);
		r->command = g_strstrip(g_strdup(c->source ? c->source : c->word));
		g_ptr_array_add(*results, r);
	}
	if (n == 0) {
		*all_ok = TRUE;
		return TRUE;
	}

	apply_ctx cx = {.store = store, .ticket_id = ticket_id, .ticket_ref = cd_ticket_ref(ticket_id)};
	char *login = NULL, *refused = NULL;
	gint64 active = 0;
	gboolean found = FALSE, ok = TRUE;
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT login, active FROM agents WHERE id = ?", error);
	if (st == NULL) {
		ok = FALSE;
		goto out;
	}
	sqlite3_bind_int64(st, 1, agent_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error)) {
		ok = FALSE;
		goto out;
	}
	if (row) {
		login = cd_col_dup(st, 0);
		active = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (!cd_ticket_get(store, ticket_id, &found, NULL, &cx.customer_id, error)) {
		ok = FALSE;
		goto out;
	}
	cx.actor = (cd_actor){.actor_kind = "agent", .actor_id = agent_id, .actor = login ? login : "unknown agent",
	                      .channel = "email"};

	if (login == NULL)
		refused = g_strdup_printf("no agent %" G_GINT64_FORMAT ": commands refused", agent_id);
	else if (!active)
		refused = g_strdup_printf("agent %s is not active: commands refused", login);
	else if (!found)
		refused = g_strdup_printf("no ticket %s: commands refused", cx.ticket_ref);
	if (refused) {
		for (guint i = 0; i < n; i++) {
			cd_acmd_result *r = g_ptr_array_index(*results, i);
			r->failed = TRUE;
			r->text = g_strdup(refused);
		}
		ok = write_refusal(&cx, refused, error);
		goto out;
	}

	if (!cd_store_savepoint(store, SAVEPOINT, error)) {
		ok = FALSE;
		goto out;
	}
	guint failed_at = n;
	GError *why = NULL;
	for (guint i = 0; i < n; i++) {
		const cd_acmd *c = g_ptr_array_index(block->cmds, i);
		cd_acmd_result *r = g_ptr_array_index(*results, i);
		char *text = NULL;
		if (apply_one(&cx, c, &text, &why)) {
			r->ok = TRUE;
			r->text = text;
			continue;
		}
		g_free(text);
		if (!refusal_error(why)) {
			cd_store_rollback_to(store, SAVEPOINT);
			g_propagate_error(error, why);
			ok = FALSE;
			goto out;
		}
		failed_at = i;
		break;
	}
	if (failed_at == n) {
		if (!cd_store_release(store, SAVEPOINT, error)) {
			cd_store_rollback_to(store, SAVEPOINT);
			ok = FALSE;
			goto out;
		}
		*all_ok = TRUE;
		goto out;
	}
	cd_store_rollback_to(store, SAVEPOINT);
	const cd_acmd *bad = g_ptr_array_index(block->cmds, failed_at);
	cd_acmd_result *br = g_ptr_array_index(*results, failed_at);
	br->failed = TRUE;
	br->text = g_strdup(why->message);
	for (guint i = 0; i < n; i++) {
		cd_acmd_result *r = g_ptr_array_index(*results, i);
		if (i == failed_at)
			continue;
		g_free(r->text);
		r->ok = FALSE;
		r->text = g_strdup_printf("%s: line %u (%s) failed", i < failed_at ? "undone" : "not tried", bad->line,
		                          br->command);
	}
	refused = g_strdup_printf("line %u (%s): %s; nothing was changed", bad->line, br->command, why->message);
	g_error_free(why);
	ok = write_refusal(&cx, refused, error);
out:
	g_free(refused);
	g_free(login);
	g_free(cx.ticket_ref);
	return ok;
}

/* ---- help ------------------------------------------------------------------------------------- */

const char *
cd_acmd_help(void)
{
	static gsize once = 0;
	static char *help = NULL;
	if (g_once_init_enter(&once)) {
		char *states = states_text();
		char *prios = g_strjoinv("|", (char **)cd_ticket_priorities);
		help = g_strdup_printf(
		    "Commands: lines at the very top of your reply, one a line; the first other line starts the reply.\n"
		    "If one command fails, none is applied and you are told why.\n"
		    "  #status STATE          one of %s (also: solved, waiting, reopen)\n"
		    "  #close                 close the ticket\n"
		    "  #assign LOGIN|me|none  who handles the ticket\n"
		    "  #priority %s\n"
		    "  #queue NAME            move the ticket to another queue\n"
		    "  #tag +TAG -TAG         add or remove tags\n"
		    "  #note [TEXT]           the whole reply is an internal note, never sent to the customer\n"
		    "  #rma [RMA-000045] authorize [LINE] | reject \"REASON\" | receive | inspect | refund AMOUNT\n"
		    "       | replace | repair | close\n"
		    "                         a step of the ticket's RMA (or the one named); AMOUNT like 49.90 or 49,90\n"
		    "  #customer ADDRESS      open a ticket for that customer with this reply\n",
		    states, prios);
		g_free(states);
		g_free(prios);
		g_once_init_leave(&once, 1);
	}
	return help;
}
