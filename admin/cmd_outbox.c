/* cmd_outbox.c - `caredesk outbox list|show|retry`: what was or will be sent (core/outbox.h). */
#include "admin.h"
#include "log.h"
#include "outbox.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static int
outbox_list(int argc, char **argv)
{
	char *state = NULL, *to = NULL, *ticket = NULL;
	gint limit = 50;
	GOptionEntry entries[] = {
		{"state", 's', 0, G_OPTION_ARG_STRING, &state, "only rows in this state (queued, sending, sent, failed, cancelled)",
		 "S"},
		{"to", 0, 0, G_OPTION_ARG_STRING, &to, "only to this recipient", "ADDR"},
		{"ticket", 't', 0, G_OPTION_ARG_STRING, &ticket, "only for this ticket (T-000123)", "REF"},
		{"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "at most N rows, newest first (default 50)", "N"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "outbox list - what was or will be sent, newest first", NULL, entries);
	admin_ctx a;
	admin_open(&a);
	gint64 ticket_id = ticket ? cd_parse_ref(ticket, "T-") : 0;
	sqlite3_stmt *st = admin_prepare(
	    a.store,
	    "SELECT id, state, channel, kind, recipient, subject, attempts, "
	    "CASE WHEN ticket_id IS NULL THEN NULL ELSE printf('T-%06d', ticket_id) END AS ticket, "
	    ADMIN_ISO("created_at") " AS created, " ADMIN_ISO("sent_at") " AS sent, "
	    "CASE WHEN state IN ('queued','sending') THEN " ADMIN_ISO("next_attempt_at") " END AS next_attempt, "
	    "last_error, delivery_status FROM outbox "
	    "WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR recipient = ?2) AND (?3 = 0 OR ticket_id = ?3) "
	    "ORDER BY id DESC LIMIT ?4");
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ticket_id);
	sqlite3_bind_int(st, 4, limit);
	JsonNode *rows = admin_rows(a.store, st);
	static const char *const cols[] = {"id", "state", "kind", "recipient", "subject", "attempts", "ticket", "created",
	                                   "last_error", NULL};
	admin_print_rows(rows, cols);
	json_node_unref(rows);
	admin_close(&a);
	g_free(state);
	g_free(to);
	g_free(ticket);
	return EX_OK;
}

static gint64
row_arg(int argc, char **argv, const char *usage)
{
	if (argc < 4)
		cd_die(EX_USAGE, "%s", usage);
	char *end;
	gint64 id = g_ascii_strtoll(argv[3], &end, 10);
	if (*end != '\0' || id <= 0)
		cd_die(EX_USAGE, "'%s' is not an outbox row number", argv[3]);
	return id;
}

static int
outbox_show(int argc, char **argv)
{
	admin_parse(&argc, &argv, "outbox show ID - one outbound message as it is sent, with its history", NULL, NULL);
	gint64 id = row_arg(argc, argv, "outbox show ID");
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(
	    a.store,
	    "SELECT id, state, channel, kind, lang, recipient, sender, subject, message_id, headers, auto_reply, attempts, "
	    "CASE WHEN ticket_id IS NULL THEN NULL ELSE printf('T-%06d', ticket_id) END AS ticket, "
	    "CASE WHEN rma_id IS NULL THEN NULL ELSE printf('RMA-%06d', rma_id) END AS rma, "
	    ADMIN_ISO("created_at") " AS created, " ADMIN_ISO("sent_at") " AS sent, " ADMIN_ISO("next_attempt_at")
	    " AS next_attempt, last_error, delivery_status, " ADMIN_ISO("bounced_at") " AS bounced, body_text, body_html "
	    "FROM outbox WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *row = admin_one(a.store, st);
	if (row == NULL) {
		admin_close(&a);
		cd_die(EX_DATAERR, "no outbox row %" G_GINT64_FORMAT, id);
	}
	JsonObject *r = json_node_get_object(row);
	st = admin_prepare(a.store, admin_history_sql);
	sqlite3_bind_text(st, 1, "outbox", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	JsonNode *hist = admin_rows(a.store, st);
	if (admin_opt_json) {
		json_object_set_member(r, "history", hist);
		admin_print_json(row);
	} else {
		static const char *const fields[][2] = {
		    {"State:", "state"},     {"Kind:", "kind"},         {"Language:", "lang"},   {"To:", "recipient"},
		    {"From:", "sender"},     {"Subject:", "subject"},   {"Message-ID:", "message_id"},
		    {"Headers:", "headers"}, {"Ticket:", "ticket"},     {"RMA:", "rma"},         {"Created:", "created"},
		    {"Sent:", "sent"},       {"Next try:", "next_attempt"}, {"Error:", "last_error"},
		    {"Delivery:", "delivery_status"}, {"Bounced:", "bounced"},
		};
		printf("outbox row %" G_GINT64_FORMAT "\n", id);
		for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
			admin_field(fields[i][0], admin_str(r, fields[i][1]));
		char *attempts = g_strdup_printf("%" G_GINT64_FORMAT, admin_int(r, "attempts"));
		admin_field("Attempts:", attempts);
		g_free(attempts);
		printf("\n%s\n", admin_str(r, "body_text") ? admin_str(r, "body_text") : "");
		if (admin_str(r, "body_html"))
			printf("\n(and an HTML alternative of %zu bytes)\n", strlen(admin_str(r, "body_html")));
		admin_print_history(hist, "History");
		json_node_unref(hist);
	}
	json_node_unref(row);
	admin_close(&a);
	return EX_OK;
}

static int
outbox_retry(int argc, char **argv)
{
	admin_parse(&argc, &argv, "outbox retry ID - send a failed or cancelled row again, now", NULL, NULL);
	gint64 id = row_arg(argc, argv, "outbox retry ID");
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	admin_begin(&a);
	gboolean ok = cd_outbox_retry(a.store, id, &error);
	admin_commit(&a, ok, error);
	printf("outbox row %" G_GINT64_FORMAT " is queued again\n", id);
	admin_close(&a);
	return EX_OK;
}

int
cmd_outbox(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "list") == 0)
		return outbox_list(argc, argv);
	if (strcmp(sub, "show") == 0)
		return outbox_show(argc, argv);
	if (strcmp(sub, "retry") == 0)
		return outbox_retry(argc, argv);
	cd_die(EX_USAGE, "outbox: list, show ID or retry ID");
}
