/* test_agentcmd.c - commands in an agent's mail reply: the parser (every command, aliases, quoting,
 * case, where the block ends, errors naming their line, limits) and applying a block to a ticket
 * and its RMA as the agent, all or nothing, with the audit rows it leaves. */
#include "agentcmd.h"
#include "order.h"
#include "result.h"
#include "rma.h"
#include "testutil.h"
#include "ticket.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

/* ---- parser ----------------------------------------------------------------------------------- */

static cd_acmd *
cmd_at(cd_acmd_block *b, guint i)
{
	g_assert_cmpuint(i, <, b->cmds->len);
	return g_ptr_array_index(b->cmds, i);
}

/* args_of - the command's args joined with '|'. */
static char *
args_of(cd_acmd *c)
{
	return g_strjoinv("|", c->args);
}

static void
assert_args(cd_acmd *c, const char *want)
{
	char *got = args_of(c);
	g_assert_cmpstr(got, ==, want);
	g_free(got);
}

static void
parse_ok(const char *text, cd_acmd_block *b)
{
	GError *error = NULL;
	gboolean ok = cd_acmd_parse(text, b, &error);
	g_assert_no_error(error);
	g_assert_true(ok);
	g_assert_nonnull(b->body);
}

/* parse_fails - the error message of parsing text (asserted to fail). */
static void
parse_fails(const char *text, const char *message)
{
	cd_acmd_block b;
	GError *error = NULL;
	g_assert_false(cd_acmd_parse(text, &b, &error));
	g_assert_error(error, CD_ERROR, CD_ERROR_INVALID);
	g_assert_cmpstr(error->message, ==, message);
	g_assert_cmpuint(b.cmds->len, ==, 0);
	g_clear_error(&error);
	cd_acmd_block_clear(&b);
}

static void
test_parse_every_command(void)
{
	cd_acmd_block b;
	parse_ok("#status resolved\n"
	         "#close\n"
	         "#assign ana\n"
	         "#priority high\n"
	         "#queue returns\n"
	         "#tag +vip -spam urgent-call\n"
	         "#rma authorize\n"
	         "#rma reject \"seal broken, not covered\"\n"
	         "#rma receive\n"
	         "#rma inspect\n"
	         "#rma refund 49.90\n"
	         "#rma replace\n"
	         "#rma repair\n"
	         "#rma close\n"
	         "#customer Dora@Example.ORG\n"
	         "Hello Dora,\n\nyour printer is on its way.\n",
	         &b);
	g_assert_cmpuint(b.cmds->len, ==, 15);
	static const cd_acmd_kind kinds[] = {CD_ACMD_STATUS, CD_ACMD_CLOSE, CD_ACMD_ASSIGN, CD_ACMD_PRIORITY,
	                                     CD_ACMD_QUEUE,  CD_ACMD_TAG,   CD_ACMD_RMA,    CD_ACMD_RMA,
	                                     CD_ACMD_RMA,    CD_ACMD_RMA,   CD_ACMD_RMA,    CD_ACMD_RMA,
	                                     CD_ACMD_RMA,    CD_ACMD_RMA,   CD_ACMD_CUSTOMER};
	static const char *const words[] = {"status", "close", "assign", "priority", "queue", "tag", "rma", "rma",
	                                    "rma",    "rma",   "rma",    "rma",      "rma",   "rma", "customer"};
	static const char *const args[] = {"resolved", "", "ana", "high", "returns", "+vip|-spam|+urgent-call",
	                                   "authorize", "reject|seal broken, not covered", "receive", "inspect",
	                                   "refund|49.90", "replace", "repair", "close", "dora@example.org"};
	for (guint i = 0; i < b.cmds->len; i++) {
		cd_acmd *c = cmd_at(&b, i);
		g_assert_cmpint(c->kind, ==, kinds[i]);
		g_assert_cmpstr(c->word, ==, words[i]);
		assert_args(c, args[i]);
		g_assert_cmpuint(c->line, ==, i + 1);
		g_assert_cmpint(c->rma_id, ==, 0);
	}
	g_assert_cmpstr(cmd_at(&b, 7)->source, ==, "#rma reject \"seal broken, not covered\"");
	g_assert_cmpint(cmd_at(&b, 10)->cents, ==, 4990);
	g_assert_cmpstr(b.body, ==, "Hello Dora,\n\nyour printer is on its way.");
	g_assert_false(b.internal);
	g_assert_cmpstr(b.customer, ==, "dora@example.org");
	cd_acmd_block_clear(&b);

	/* #note: the whole reply is internal, the text on the line comes first */
	parse_ok("#note Called her at 10:30\n#assign me\n\nShe will send the receipt.\n", &b);
	g_assert_true(b.internal);
	g_assert_cmpuint(b.cmds->len, ==, 2);
	g_assert_cmpint(cmd_at(&b, 0)->kind, ==, CD_ACMD_NOTE);
	assert_args(cmd_at(&b, 0), "Called her at 10:30");
	assert_args(cmd_at(&b, 1), "me");
	g_assert_cmpstr(b.body, ==, "Called her at 10:30\n\nShe will send the receipt.");
	cd_acmd_block_clear(&b);
	parse_ok("#note\nonly for us", &b);
	g_assert_true(b.internal);
	assert_args(cmd_at(&b, 0), "");
	g_assert_cmpstr(b.body, ==, "only for us");
	cd_acmd_block_clear(&b);
	parse_ok("#note \"quoted, as a whole\"", &b);
	g_assert_cmpstr(b.body, ==, "quoted, as a whole");
	cd_acmd_block_clear(&b);

	/* #customer in the form a mail client writes */
	parse_ok("#customer Dora Smith <DORA@example.org>\nHi", &b);
	g_assert_cmpstr(b.customer, ==, "dora@example.org");
	cd_acmd_block_clear(&b);

	/* the RMA named, before or after the step; refund with a decimal comma; authorize a line */
	parse_ok("#rma RMA-000045 receive\n#rma refund rma-7 49,90\n#rma authorize line 2\n#rma approve 3", &b);
	g_assert_cmpint(cmd_at(&b, 0)->rma_id, ==, 45);
	assert_args(cmd_at(&b, 0), "receive");
	g_assert_cmpint(cmd_at(&b, 1)->rma_id, ==, 7);
	g_assert_cmpint(cmd_at(&b, 1)->cents, ==, 4990);
	assert_args(cmd_at(&b, 1), "refund|49,90");
	g_assert_cmpint(cmd_at(&b, 2)->line_no, ==, 2);
	assert_args(cmd_at(&b, 2), "authorize|2");
	g_assert_cmpint(cmd_at(&b, 3)->line_no, ==, 3);
	cd_acmd_block_clear(&b);
}

static void
test_parse_aliases_and_case(void)
{
	static const struct {
		const char *line, *args;
	} cases[] = {
		{"#status solved", "resolved"},     {"#STATUS Resolved", "resolved"}, {"#Status: waiting", "pending"},
		{"#status on hold", "pending"},     {"#status reopen", "open"},       {"#status closed", "closed"},
		{"#status close", "closed"},        {"#status done", "resolved"},     {"#priority URGENT", "urgent"},
		{"#priority medium", "normal"},     {"#priority critical", "urgent"}, {"#assign NONE", "none"},
		{"#assign nobody", "none"},         {"#assign Me", "me"},             {"#assign Ana.Lopez", "Ana.Lopez"},
		{"#Queue Returns", "Returns"},      {"#rma AUTHORISE", "authorize"},  {"#rma Received", "receive"},
		{"#RMA refuse too late", "reject|too late"},                          {"#TAG +VIP, -Spam", "+vip|-spam"},
		{"#tag +rückruf", "+rückruf"},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		cd_acmd_block b;
		parse_ok(cases[i].line, &b);
		g_assert_cmpuint(b.cmds->len, ==, 1);
		assert_args(cmd_at(&b, 0), cases[i].args);
		g_assert_cmpstr(cmd_at(&b, 0)->source, ==, cases[i].line);
		g_assert_cmpstr(b.body, ==, "");
		cd_acmd_block_clear(&b);
	}
	cd_acmd_block b;
	parse_ok("#Close\n", &b);
	g_assert_cmpint(cmd_at(&b, 0)->kind, ==, CD_ACMD_CLOSE);
	g_assert_cmpstr(cmd_at(&b, 0)->word, ==, "close");
	cd_acmd_block_clear(&b);
}

static void
test_parse_quoting(void)
{
	cd_acmd_block b;
	parse_ok("#rma reject \"the seal is \\\"broken\\\"\"\n"
	         "#rma reject \xe2\x80\x9cnot covered by the warranty\xe2\x80\x9d\n"
	         "#rma reject \xe2\x80\x9eohne Garantie\xe2\x80\x9c\n"
	         "#rma reject unquoted words\taND tabs\n"
	         "#queue \"first level\"\n"
	         "#rma reject \"\xc2\xa0kept\"\xc2\xa0" "after\n",
	         &b);
	assert_args(cmd_at(&b, 0), "reject|the seal is \"broken\"");
	assert_args(cmd_at(&b, 1), "reject|not covered by the warranty");
	assert_args(cmd_at(&b, 2), "reject|ohne Garantie");
	assert_args(cmd_at(&b, 3), "reject|unquoted words aND tabs");
	assert_args(cmd_at(&b, 4), "first level");
	assert_args(cmd_at(&b, 5), "reject|\xc2\xa0kept after");
	cd_acmd_block_clear(&b);
	parse_fails("#status open\n#rma reject \"no end", "line 2: #rma: a quote is not closed");
	parse_fails("#queue \"first level", "line 1: #queue: a quote is not closed");
}

static void
test_parse_block_end(void)
{
	cd_acmd_block b;
	/* leading blank lines and indentation, blank lines between commands, CRLF */
	parse_ok("\r\n  \n\t#status resolved\r\n\r\n   #priority low  \r\nThanks!\r\n#priority high\r\n#2 is next\r\n", &b);
	g_assert_cmpuint(b.cmds->len, ==, 2);
	g_assert_cmpuint(cmd_at(&b, 0)->line, ==, 3);
	g_assert_cmpstr(cmd_at(&b, 0)->source, ==, "\t#status resolved");
	g_assert_cmpuint(cmd_at(&b, 1)->line, ==, 5);
	g_assert_cmpstr(b.body, ==, "Thanks!\r\n#priority high\r\n#2 is next");
	cd_acmd_block_clear(&b);
	/* '#' in the body stays body; a '#' line not followed by a letter is body, even first */
	parse_ok("#1 in the list is the printer.\n#status resolved", &b);
	g_assert_cmpuint(b.cmds->len, ==, 0);
	g_assert_cmpstr(b.body, ==, "#1 in the list is the printer.\n#status resolved");
	cd_acmd_block_clear(&b);
	parse_ok("# heading\n", &b);
	g_assert_cmpuint(b.cmds->len, ==, 0);
	g_assert_cmpstr(b.body, ==, "# heading");
	cd_acmd_block_clear(&b);
	parse_ok("Hello,\n#close", &b);
	g_assert_cmpuint(b.cmds->len, ==, 0);
	g_assert_cmpstr(b.body, ==, "Hello,\n#close");
	cd_acmd_block_clear(&b);
	/* empty text */
	static const char *const empties[] = {"", "\n\n  \n", "\t"};
	for (gsize i = 0; i < G_N_ELEMENTS(empties); i++) {
		parse_ok(empties[i], &b);
		g_assert_cmpuint(b.cmds->len, ==, 0);
		g_assert_cmpstr(b.body, ==, "");
		g_assert_false(b.internal);
		g_assert_null(b.customer);
		cd_acmd_block_clear(&b);
	}
	parse_ok(NULL, &b);
	g_assert_cmpuint(b.cmds->len, ==, 0);
	cd_acmd_block_clear(&b);
	/* invalid UTF-8 is replaced, not a failure */
	parse_ok("#queue ret\xffurns\nbody \xc3", &b);
	g_assert_true(g_utf8_validate(b.body, -1, NULL));
	g_assert_true(g_utf8_validate(cmd_at(&b, 0)->args[0], -1, NULL));
	cd_acmd_block_clear(&b);
}

static void
test_parse_errors(void)
{
	parse_fails("#status open\n#foo bar\nbody", "line 2: unknown command #foo");
	parse_fails("\n\n#Statuss open", "line 3: unknown command #Statuss");
	parse_fails("#priority hihg", "line 1: #priority needs one of low, normal, high, urgent");
	parse_fails("#note x\n#priority", "line 2: #priority needs one of low, normal, high, urgent");
	parse_fails("#status", "line 1: #status needs one of new, open, pending, resolved, closed");
	parse_fails("#status gone", "line 1: #status needs one of new, open, pending, resolved, closed");
	parse_fails("#close now", "line 1: #close takes nothing after it");
	parse_fails("#assign", "line 1: #assign needs one agent's login, me or none");
	parse_fails("#assign ana bo", "line 1: #assign needs one agent's login, me or none");
	parse_fails("#queue", "line 1: #queue needs one queue name");
	parse_fails("#rma", "line 1: #rma needs a step: authorize [LINE], reject \"reason\", receive, inspect, refund "
	                    "AMOUNT, replace, repair or close");
	parse_fails("#rma RMA-000045", "line 1: #rma needs a step: authorize [LINE], reject \"reason\", receive, inspect, "
	                               "refund AMOUNT, replace, repair or close");
	parse_fails("#rma explode", "line 1: #rma needs a step: authorize [LINE], reject \"reason\", receive, inspect, "
	                            "refund AMOUNT, replace, repair or close");
	parse_fails("#rma reject", "line 1: #rma reject needs the reason the customer is told");
	parse_fails("#rma reject \"  \"", "line 1: #rma reject needs the reason the customer is told");
	parse_fails("#rma refund", "line 1: #rma refund needs an amount like 49.90 or 49,90");
	parse_fails("#rma refund 1,234.50", "line 1: #rma refund needs an amount like 49.90 or 49,90");
	parse_fails("#rma refund 49.90 EUR", "line 1: #rma refund needs an amount like 49.90 or 49,90");
	parse_fails("#rma refund -5", "line 1: #rma refund needs an amount like 49.90 or 49,90");
	parse_fails("#rma receive now", "line 1: #rma receive takes nothing after it");
	parse_fails("#rma authorize all", "line 1: #rma authorize takes at most the number of the order line returned");
	parse_fails("#customer", "line 1: #customer needs the customer's mail address");
	parse_fails("#customer dora at example", "line 1: #customer needs the customer's mail address");
	parse_fails("#customer a@b.org\n#customer c@d.org", "line 2: only one #customer per reply");
	parse_fails("#tag", "line 1: #tag needs tags: +tag to add, -tag to remove");
	parse_fails("#tag +", "line 1: #tag: '+' is not a tag (letters, digits, '-', '_', '.', ':')");
	parse_fails("#tag +a/b", "line 1: #tag: '+a/b' is not a tag (letters, digits, '-', '_', '.', ':')");
	/* line length cap, for command lines only */
	char *pad = g_strnfill(CD_ACMD_MAX_LINE, 'x');
	char *long_cmd = g_strdup_printf("#note ok\n#note %s", pad);
	parse_fails(long_cmd, "line 2: a command line has at most 1000 characters");
	char *long_body = g_strdup_printf("#close\n%s", pad);
	cd_acmd_block b;
	parse_ok(long_body, &b);
	g_assert_cmpstr(b.body, ==, pad);
	cd_acmd_block_clear(&b);
	g_free(long_cmd);
	g_free(long_body);
	g_free(pad);
}

static void
test_parse_limit(void)
{
	GString *s = g_string_new(NULL);
	for (int i = 0; i < CD_ACMD_MAX_COMMANDS; i++)
		g_string_append(s, "#tag +a\n");
	cd_acmd_block b;
	parse_ok(s->str, &b);
	g_assert_cmpuint(b.cmds->len, ==, CD_ACMD_MAX_COMMANDS);
	cd_acmd_block_clear(&b);
	g_string_append(s, "\n#priority low\nbody");
	parse_fails(s->str, "line 22: too many commands (at most 20)");
	g_string_free(s, TRUE);
	g_assert_nonnull(strstr(cd_acmd_help(), "#rma"));
	g_assert_true(cd_acmd_help() == cd_acmd_help());
}

/* ---- applying --------------------------------------------------------------------------------- */

static gint64
day(int y, int m, int d)
{
	GDateTime *dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	gint64 t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static const cd_actor shop = {.actor_kind = "system", .actor = "shop", .channel = "cli"};
static const cd_actor mail = {.actor_kind = "customer", .actor = "dora@example.org", .channel = "email"};

typedef struct {
	cd_store *store;
	gint64 dora;
	gint64 ana, bo, cy;   /* agents: ana and bo active, cy not */
	gint64 ticket;        /* dora's ticket with an RMA requested on A1001 */
	gint64 rma;
	gint64 plain;         /* dora's ticket without an RMA */
} fixture;

static gint64
new_ticket(fixture *f, const char *subject)
{
	gint64 queue, id;
	GError *error = NULL;
	g_assert_true(cd_queue_find(f->store, NULL, &queue, &error));
	cd_ticket_new t = {.customer_id = f->dora, .queue_id = queue, .subject = subject};
	g_assert_true(cd_ticket_create(f->store, &t, &mail, &id, &error));
	g_assert_no_error(error);
	return id;
}

static gint64
request(fixture *f, const char *order, gint64 ticket)
{
	cd_rma_req req = {.customer_id = f->dora, .order_ref = order, .reason = "broken", .ticket_id = ticket};
	cd_rma_outcome out;
	gint64 id = 0;
	char *why = NULL;
	GError *error = NULL;
	g_assert_true(cd_rma_request(f->store, &req, FALSE, &mail, &out, &id, &why, &error));
	g_assert_no_error(error);
	g_assert_cmpint(out, ==, CD_RMA_REQUESTED);
	g_assert_null(why);
	return id;
}

static void
fixture_init(fixture *f)
{
	f->store = tu_store(NULL);
	tu_set_now(day(2026, 6, 1));
	cd_order_line_data printer = {.line_no = 1, .sku = "PX-200", .description = "printer", .quantity = 1,
	                              .unit_price_cents = 19900, .warranty_days = 730, .serial = "SN-1"};
	cd_order_line_data two[] = {
		{.line_no = 1, .sku = "TN-1", .description = "toner", .quantity = 3, .unit_price_cents = 2990, .warranty_days = 365},
		{.line_no = 2, .sku = "CB-1", .description = "cable", .quantity = 2, .unit_price_cents = 990, .warranty_days = 365},
	};
	cd_order_data orders[] = {
		{.ref = "A1001", .email = "dora@example.org", .status = "delivered", .ordered_at = day(2026, 1, 1),
		 .delivered_at = day(2026, 3, 5), .lines = &printer, .n_lines = 1},
		{.ref = "A1003", .email = "dora@example.org", .status = "delivered", .ordered_at = day(2026, 1, 1),
		 .delivered_at = day(2026, 4, 1), .lines = two, .n_lines = 2},
		{.ref = "A1004", .email = "erik@example.org", .status = "delivered", .ordered_at = day(2026, 1, 1),
		 .delivered_at = day(2026, 4, 1), .lines = &printer, .n_lines = 1},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(orders); i++) {
		cd_order_change ch;
		gint64 id;
		GError *error = NULL;
		g_assert_true(cd_order_upsert(f->store, &orders[i], &shop, &ch, &id, &error));
		g_assert_no_error(error);
	}
	f->dora = tu_int(f->store, "SELECT id FROM customers WHERE email = 'dora@example.org'");
	tu_exec(f->store, "INSERT INTO agents(login, email, name, active, created_at) VALUES "
	                  "('ana', 'ana@support.example', 'Ana', 1, 0), ('bo', 'bo@support.example', 'Bo', 1, 0), "
	                  "('cy', 'cy@support.example', 'Cy', 0, 0)");
	tu_exec(f->store, "INSERT INTO queues(name, created_at) VALUES ('Returns', 0)");
	f->ana = tu_int(f->store, "SELECT id FROM agents WHERE login = 'ana'");
	f->bo = tu_int(f->store, "SELECT id FROM agents WHERE login = 'bo'");
	f->cy = tu_int(f->store, "SELECT id FROM agents WHERE login = 'cy'");
	f->ticket = new_ticket(f, "printer broken");
	f->rma = request(f, "A1001", f->ticket);
	f->plain = new_ticket(f, "a question");
	/* the agent answers a day later: every change would move updated_at */
	tu_set_now(day(2026, 6, 2));
}

static void
fixture_clear(fixture *f)
{
	cd_store_close(f->store);
	g_unsetenv("CAREDESK_NOW");
}

/* run - parse and apply text to ticket as agent; returns all_ok; *results for the caller. */
static gboolean
run(fixture *f, const char *text, gint64 ticket, gint64 agent, GPtrArray **results)
{
	cd_acmd_block b;
	GError *error = NULL;
	g_assert_true(cd_acmd_parse(text, &b, &error));
	g_assert_no_error(error);
	gboolean all_ok = FALSE;
	g_assert_true(cd_store_begin(f->store, &error));
	g_assert_true(cd_acmd_apply(f->store, &b, ticket, agent, results, &all_ok, &error));
	g_assert_no_error(error);
	g_assert_true(cd_store_commit(f->store, &error));
	g_assert_cmpuint((*results)->len, ==, b.cmds->len);
	cd_acmd_block_clear(&b);
	return all_ok;
}

static cd_acmd_result *
res(GPtrArray *results, guint i)
{
	g_assert_cmpuint(i, <, results->len);
	return g_ptr_array_index(results, i);
}

/* row_of - every column of the row, quoted, for byte-for-byte comparisons. */
static char *
row_of(fixture *f, const char *table, gint64 id)
{
	char *q = g_strdup_printf("SELECT group_concat('quote(' || name || ')', ' || ''|'' || ') "
	                          "FROM pragma_table_info('%s')", table);
	char *cols = tu_text(f->store, q);
	char *sql = g_strdup_printf("SELECT %s FROM %s WHERE id = ?", cols, table);
	g_free(q);
	char *row = tu_text_id(f->store, sql, id);
	g_free(sql);
	g_free(cols);
	return row;
}

static char *
ticket_text(fixture *f, const char *expr, gint64 id)
{
	char *sql = g_strdup_printf("SELECT %s FROM tickets t WHERE id = ?", expr);
	char *v = tu_text_id(f->store, sql, id);
	g_free(sql);
	return v;
}

static void
assert_ticket(fixture *f, gint64 id, const char *expr, const char *want)
{
	char *v = ticket_text(f, expr, id);
	g_assert_cmpstr(v, ==, want);
	g_free(v);
}

static gint64
audits(fixture *f)
{
	return tu_int(f->store, "SELECT count(*) FROM audit_events");
}

static void
test_apply_ticket_commands(void)
{
	fixture f;
	fixture_init(&f);
	GPtrArray *r;
	gint64 before = audits(&f);
	g_assert_true(run(&f, "#status open\n#priority high\n#assign bo\n#queue returns\n#tag +VIP -spam\n\nHi Dora",
	                  f.plain, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->command, ==, "#status open");
	g_assert_cmpstr(res(r, 0)->text, ==, "status new -> open");
	g_assert_cmpstr(res(r, 1)->text, ==, "priority high");
	g_assert_cmpstr(res(r, 2)->text, ==, "assigned to bo");
	g_assert_cmpstr(res(r, 3)->text, ==, "queue Returns");
	g_assert_cmpstr(res(r, 4)->text, ==, "tags +vip, -spam (was not set)");
	for (guint i = 0; i < r->len; i++) {
		g_assert_true(res(r, i)->ok);
		g_assert_false(res(r, i)->failed);
	}
	cd_acmd_results_free(r);
	assert_ticket(&f, f.plain,
	              "status || '|' || priority || '|' || (SELECT login FROM agents a WHERE a.id = t.assignee_id) || '|' || "
	              "(SELECT name FROM queues q WHERE q.id = t.queue_id) || '|' || updated_at",
	              "open|high|bo|Returns|1780358400");
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM ticket_tags WHERE ticket_id = ? AND tag = 'vip'", f.plain),
	                ==, 1);
	/* one audit row per change, by the agent, from email, on the customer's page */
	char *h = tu_text_id(f.store, "SELECT group_concat(action || ':' || coalesce(from_state, '') || '>' || "
	                              "coalesce(to_state, ''), ' ') FROM (SELECT * FROM audit_events WHERE id > ? ORDER BY id)",
	                     before);
	g_assert_cmpstr(h, ==, "status:new>open priority:normal>high assign:>bo queue:support>Returns tag:>vip");
	g_free(h);
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(*) FROM audit_events WHERE id > ? AND actor_kind = 'agent' AND "
	                                   "actor = 'ana' AND channel = 'email' AND entity = 'ticket' AND customer_id = 1",
	                          before),
	                ==, 5);
	g_assert_cmpint(tu_int_id(f.store, "SELECT count(DISTINCT actor_id) FROM audit_events WHERE id > ?", before), ==, 1);
	g_assert_cmpint(tu_int_id(f.store, "SELECT min(actor_id) FROM audit_events WHERE id > ?", before), ==, f.ana);

	/* no-ops succeed and say so; me, none, tag removal, close */
	before = audits(&f);
	g_assert_true(run(&f, "#status open\n#priority high\n#assign me\n#tag -vip +vip2\n#close", f.plain, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "status open (already)");
	g_assert_cmpstr(res(r, 1)->text, ==, "priority high (already)");
	g_assert_cmpstr(res(r, 2)->text, ==, "assigned to ana");
	g_assert_cmpstr(res(r, 3)->text, ==, "tags -vip, +vip2");
	g_assert_cmpstr(res(r, 4)->text, ==, "status open -> closed");
	cd_acmd_results_free(r);
	char *tags = tu_text_id(f.store, "SELECT group_concat(tag) FROM ticket_tags WHERE ticket_id = ?", f.plain);
	g_assert_cmpstr(tags, ==, "vip2");
	g_free(tags);
	assert_ticket(&f, f.plain, "status || '|' || closed_at || '|' || (SELECT login FROM agents a WHERE a.id = t.assignee_id)",
	              "closed|1780358400|ana");
	g_assert_cmpint(audits(&f), ==, before + 4);
	g_assert_true(run(&f, "#assign none\n#status closed", f.plain, f.bo, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "unassigned");
	g_assert_cmpstr(res(r, 1)->text, ==, "status closed (already)");
	cd_acmd_results_free(r);
	assert_ticket(&f, f.plain, "coalesce(assignee_id, 'nobody')", "nobody");

	/* #note and #customer are the caller's: ok, nothing changed */
	before = audits(&f);
	gchar *row = row_of(&f, "tickets", f.ticket);
	g_assert_true(run(&f, "#note called her\n#customer erik@example.org\nbody", f.ticket, f.ana, &r));
	g_assert_true(res(r, 0)->ok);
	g_assert_true(res(r, 1)->ok);
	cd_acmd_results_free(r);
	char *after = row_of(&f, "tickets", f.ticket);
	g_assert_cmpstr(after, ==, row);
	g_free(after);
	g_free(row);
	g_assert_cmpint(audits(&f), ==, before);

	/* a block without commands changes nothing */
	g_assert_true(run(&f, "just a reply", f.ticket, f.cy, &r));
	g_assert_cmpuint(r->len, ==, 0);
	cd_acmd_results_free(r);
	g_assert_cmpint(audits(&f), ==, before);
	fixture_clear(&f);
}

static void
test_apply_illegal(void)
{
	fixture f;
	fixture_init(&f);
	GPtrArray *r;
	/* an illegal transition fails with the machine's message */
	tu_exec(f.store, "UPDATE tickets SET status = 'closed' WHERE id = %" G_GINT64_FORMAT, f.plain);
	g_assert_false(run(&f, "#status pending", f.plain, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "T-000002: a ticket cannot go from closed to pending");
	g_assert_true(res(r, 0)->failed);
	g_assert_false(res(r, 0)->ok);
	cd_acmd_results_free(r);
	/* #assign to an inactive or unknown login, #queue that does not exist */
	g_assert_false(run(&f, "#assign cy", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "no active agent 'cy'");
	cd_acmd_results_free(r);
	g_assert_false(run(&f, "#assign zed", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "no active agent 'zed'");
	cd_acmd_results_free(r);
	g_assert_false(run(&f, "#queue sales", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "no queue 'sales' (queues: Returns, support)");
	cd_acmd_results_free(r);
	/* a ticket that does not exist */
	g_assert_false(run(&f, "#close", 99, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "no ticket T-000099: commands refused");
	cd_acmd_results_free(r);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM audit_events WHERE action = 'agent_command_refused'"), ==, 5);
	fixture_clear(&f);
}

static void
test_apply_all_or_nothing(void)
{
	fixture f;
	fixture_init(&f);
	GPtrArray *r;
	char *ticket = row_of(&f, "tickets", f.ticket), *rma = row_of(&f, "rmas", f.rma);
	gint64 before = audits(&f);
	/* the third command fails (a requested RMA cannot be received): the first two are undone */
	g_assert_false(run(&f, "#status resolved\n#priority urgent\n#rma receive\n#queue Returns\n\nDone.", f.ticket, f.ana,
	                   &r));
	g_assert_false(res(r, 0)->ok);
	g_assert_false(res(r, 0)->failed);
	g_assert_cmpstr(res(r, 0)->text, ==, "undone: line 3 (#rma receive) failed");
	g_assert_cmpstr(res(r, 1)->text, ==, "undone: line 3 (#rma receive) failed");
	g_assert_false(res(r, 2)->ok);
	g_assert_true(res(r, 2)->failed);
	g_assert_cmpstr(res(r, 2)->text, ==, "RMA-000001: an RMA cannot go from requested to received");
	g_assert_false(res(r, 3)->ok);
	g_assert_false(res(r, 3)->failed);
	g_assert_cmpstr(res(r, 3)->text, ==, "not tried: line 3 (#rma receive) failed");
	cd_acmd_results_free(r);
	char *now = row_of(&f, "tickets", f.ticket);
	g_assert_cmpstr(now, ==, ticket);
	g_free(now);
	/* one audit row: the refusal, by the agent, with the reason */
	g_assert_cmpint(audits(&f), ==, before + 1);
	char *last = tu_text(f.store, "SELECT actor_kind || '|' || actor || '|' || actor_id || '|' || channel || '|' || "
	                              "entity || '|' || entity_id || '|' || customer_id || '|' || action || '|' || note "
	                              "FROM audit_events ORDER BY id DESC LIMIT 1");
	g_assert_cmpstr(last, ==, "agent|ana|1|email|ticket|1|1|agent_command_refused|line 3 (#rma receive): RMA-000001: an "
	                          "RMA cannot go from requested to received; nothing was changed");
	g_free(last);

	/* an RMA step and a tag undone when a later command fails */
	before = audits(&f);
	g_assert_false(run(&f, "#rma authorize\n#tag +vip\n#assign zed", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 2)->text, ==, "no active agent 'zed'");
	cd_acmd_results_free(r);
	now = row_of(&f, "rmas", f.rma);
	g_assert_cmpstr(now, ==, rma);
	g_free(now);
	now = row_of(&f, "tickets", f.ticket);
	g_assert_cmpstr(now, ==, ticket);
	g_free(now);
	g_assert_cmpint(tu_int(f.store, "SELECT count(*) FROM ticket_tags"), ==, 0);
	g_assert_cmpint(audits(&f), ==, before + 1);
	g_free(ticket);
	g_free(rma);
	fixture_clear(&f);
}

static void
test_apply_rma(void)
{
	fixture f;
	fixture_init(&f);
	GPtrArray *r;
	gint64 before = audits(&f);
	g_assert_true(run(&f, "#rma authorize\n#rma receive\n#rma inspect\n#rma refund 49,90\nWe refunded 49.90.", f.ticket,
	                  f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "RMA-000001 requested -> authorized");
	g_assert_cmpstr(res(r, 1)->text, ==, "RMA-000001 authorized -> received");
	g_assert_cmpstr(res(r, 2)->text, ==, "RMA-000001 received -> inspected");
	g_assert_cmpstr(res(r, 3)->text, ==, "RMA-000001 inspected -> refunded 49.90");
	cd_acmd_results_free(r);
	char *row = tu_text_id(f.store, "SELECT status || '|' || refund_cents FROM rmas WHERE id = ?", f.rma);
	g_assert_cmpstr(row, ==, "refunded|4990");
	g_free(row);
	char *h = tu_text_id(f.store, "SELECT group_concat(actor_kind || ':' || actor || ':' || channel || ':' || from_state || "
	                              "'>' || to_state, ' ') FROM (SELECT * FROM audit_events WHERE id > ? AND entity = 'rma' "
	                              "ORDER BY id)",
	                     before);
	g_assert_cmpstr(h, ==, "agent:ana:email:requested>authorized agent:ana:email:authorized>received "
	                       "agent:ana:email:received>inspected agent:ana:email:inspected>refunded");
	g_free(h);
	/* a step already taken is a no-op; the refunded RMA closes */
	g_assert_true(run(&f, "#rma refund 49.90", f.ticket, f.ana, &r) == FALSE);
	cd_acmd_results_free(r);
	g_assert_true(run(&f, "#rma close\n#rma close", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 1)->text, ==, "RMA-000001 closed (already)");
	cd_acmd_results_free(r);

	/* several RMAs: the newest open one, unless one is named; refund with a decimal point */
	gint64 toner = request(&f, "A1003", f.ticket);   /* two lines, none named: the agent picks */
	gint64 cable = request(&f, "A1003", f.ticket);
	g_assert_false(run(&f, "#rma authorize", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "RMA-000003: which line of order A1003 is returned? (give the line number)");
	cd_acmd_results_free(r);
	g_assert_true(run(&f, "#rma authorize 2\n#rma RMA-000002 authorize line 1", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "RMA-000003 requested -> authorized");
	g_assert_cmpstr(res(r, 1)->text, ==, "RMA-000002 requested -> authorized");
	cd_acmd_results_free(r);
	tu_exec(f.store, "UPDATE rmas SET status = 'inspected' WHERE id = %" G_GINT64_FORMAT, toner);
	g_assert_true(run(&f, "#rma rma-2 refund 29.90", f.ticket, f.ana, &r));
	cd_acmd_results_free(r);
	g_assert_cmpint(tu_int_id(f.store, "SELECT refund_cents FROM rmas WHERE id = ?", toner), ==, 2990);
	/* the refund checks of an admin refund apply: not more than was paid */
	tu_exec(f.store, "UPDATE rmas SET status = 'inspected' WHERE id = %" G_GINT64_FORMAT, cable);
	g_assert_false(run(&f, "#rma refund 49.90", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "RMA-000003: a refund of 49.90 is more than the 9.90 paid for 1 of line 2 (CB-1 cable)");
	cd_acmd_results_free(r);

	/* reject with a reason the customer is told */
	gint64 other = request(&f, "A1003", f.plain);
	g_assert_true(run(&f, "#rma reject \"the seal is broken\"", f.plain, f.bo, &r));
	cd_acmd_results_free(r);
	row = tu_text_id(f.store, "SELECT status || '|' || refusal_reason FROM rmas WHERE id = ?", other);
	g_assert_cmpstr(row, ==, "rejected|the seal is broken");
	g_free(row);

	/* an RMA of another customer cannot be named; unknown RMAs neither */
	tu_exec(f.store, "INSERT INTO rmas(customer_id, status, created_at, updated_at) SELECT id, 'requested', 0, 0 "
	                 "FROM customers WHERE email = 'erik@example.org'");
	gint64 eriks = tu_int(f.store, "SELECT max(id) FROM rmas");
	char *text = g_strdup_printf("#rma RMA-%06" G_GINT64_FORMAT " authorize", eriks);
	g_assert_false(run(&f, text, f.ticket, f.ana, &r));
	char *want = g_strdup_printf("RMA-%06" G_GINT64_FORMAT " is not an RMA of T-000001 or of its customer", eriks);
	g_assert_cmpstr(res(r, 0)->text, ==, want);
	g_free(want);
	g_free(text);
	cd_acmd_results_free(r);
	g_assert_false(run(&f, "#rma RMA-000999 receive", f.ticket, f.ana, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "no RMA-000999");
	cd_acmd_results_free(r);
	fixture_clear(&f);
}

static void
test_apply_without_rma(void)
{
	fixture f;
	fixture_init(&f);
	GPtrArray *r;
	char *before = row_of(&f, "tickets", f.plain);
	g_assert_false(run(&f, "#priority low\n#rma receive", f.plain, f.ana, &r));
	g_assert_true(res(r, 1)->failed);
	g_assert_cmpstr(res(r, 1)->text, ==, "T-000002 has no RMA (to act on one of the customer's: #rma RMA-000045 receive)");
	cd_acmd_results_free(r);
	char *after = row_of(&f, "tickets", f.plain);
	g_assert_cmpstr(after, ==, before);
	g_free(after);
	g_free(before);
	/* the customer's RMA of another ticket may be named */
	g_assert_true(run(&f, "#rma RMA-000001 authorize", f.plain, f.ana, &r));
	cd_acmd_results_free(r);
	char *st = tu_text_id(f.store, "SELECT status FROM rmas WHERE id = ?", f.rma);
	g_assert_cmpstr(st, ==, "authorized");
	g_free(st);
	fixture_clear(&f);
}

static void
test_apply_inactive_agent(void)
{
	fixture f;
	fixture_init(&f);
	GPtrArray *r;
	char *before = row_of(&f, "tickets", f.ticket);
	gint64 n = audits(&f);
	g_assert_false(run(&f, "#status open\n#note hi\nbody", f.ticket, f.cy, &r));
	for (guint i = 0; i < r->len; i++) {
		g_assert_false(res(r, i)->ok);
		g_assert_true(res(r, i)->failed);
		g_assert_cmpstr(res(r, i)->text, ==, "agent cy is not active: commands refused");
	}
	cd_acmd_results_free(r);
	char *after = row_of(&f, "tickets", f.ticket);
	g_assert_cmpstr(after, ==, before);
	g_free(after);
	g_assert_cmpint(audits(&f), ==, n + 1);
	char *last = tu_text(f.store, "SELECT actor_kind || '|' || actor || '|' || action || '|' || note FROM audit_events "
	                              "ORDER BY id DESC LIMIT 1");
	g_assert_cmpstr(last, ==, "agent|cy|agent_command_refused|agent cy is not active: commands refused");
	g_free(last);
	/* an agent id that does not exist */
	g_assert_false(run(&f, "#close", f.ticket, 42, &r));
	g_assert_cmpstr(res(r, 0)->text, ==, "no agent 42: commands refused");
	cd_acmd_results_free(r);
	after = row_of(&f, "tickets", f.ticket);
	g_assert_cmpstr(after, ==, before);
	g_free(after);
	g_free(before);
	fixture_clear(&f);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agentcmd/parse/every-command", test_parse_every_command);
	g_test_add_func("/agentcmd/parse/aliases-and-case", test_parse_aliases_and_case);
	g_test_add_func("/agentcmd/parse/quoting", test_parse_quoting);
	g_test_add_func("/agentcmd/parse/block-end", test_parse_block_end);
	g_test_add_func("/agentcmd/parse/errors", test_parse_errors);
	g_test_add_func("/agentcmd/parse/limit", test_parse_limit);
	g_test_add_func("/agentcmd/apply/ticket-commands", test_apply_ticket_commands);
	g_test_add_func("/agentcmd/apply/illegal", test_apply_illegal);
	g_test_add_func("/agentcmd/apply/all-or-nothing", test_apply_all_or_nothing);
	g_test_add_func("/agentcmd/apply/rma", test_apply_rma);
	g_test_add_func("/agentcmd/apply/without-rma", test_apply_without_rma);
	g_test_add_func("/agentcmd/apply/inactive-agent", test_apply_inactive_agent);
	return g_test_run();
}
