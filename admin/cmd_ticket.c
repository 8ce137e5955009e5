/* cmd_ticket.c - `caredesk ticket list|show|set|attachment`: tickets, their conversation and
 * history, and the files customers and agents sent. */
#include "admin.h"
#include "log.h"
#include "mime.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static int
ticket_list(int argc, char **argv)
{
	char *status = NULL, *queue = NULL, *customer = NULL;
	gint limit = 50;
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &status, "only tickets in this status", "S"},
		{"queue", 'q', 0, G_OPTION_ARG_STRING, &queue, "only this queue", "Q"},
		{"customer", 0, 0, G_OPTION_ARG_STRING, &customer, "only this customer's (email)", "EMAIL"},
		{"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "at most N tickets, newest first (default 50)", "N"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "ticket list - tickets, newest first", NULL, entries);
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(
	    a.store,
	    "SELECT printf('T-%06d', t.id) AS ref, t.status, t.priority, t.type, q.name AS queue, c.email AS customer, "
	    "t.subject, (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id) AS messages, "
	    "trim(CASE WHEN t.unparsed THEN 'unparsed ' ELSE '' END || CASE WHEN t.auto_generated THEN 'auto ' ELSE '' END "
	    "|| CASE WHEN t.follow_up_of IS NOT NULL THEN printf('follow-up:T-%06d', t.follow_up_of) ELSE '' END) AS flags, "
	    ADMIN_ISO("t.created_at") " AS created, " ADMIN_ISO("t.updated_at") " AS updated "
	    "FROM tickets t JOIN queues q ON q.id = t.queue_id LEFT JOIN customers c ON c.id = t.customer_id "
	    "WHERE (?1 IS NULL OR t.status = ?1) AND (?2 IS NULL OR q.name = ?2) AND (?3 IS NULL OR c.email = ?3) "
	    "ORDER BY t.id DESC LIMIT ?4");
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, queue, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, customer, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, limit);
	JsonNode *rows = admin_rows(a.store, st);
	static const char *const cols[] = {"ref", "status", "priority", "type", "queue", "customer", "messages",
	                                   "flags", "updated", "subject", NULL};
	admin_print_rows(rows, cols);
	json_node_unref(rows);
	admin_close(&a);
	g_free(status);
	g_free(queue);
	g_free(customer);
	return EX_OK;
}

static gint64
ticket_id_arg(int argc, char **argv, int pos)
{
	if (argc <= pos)
		cd_die(EX_USAGE, "which ticket? (a reference like T-000123)");
	gint64 id = cd_parse_ref(argv[pos], "T");
	if (id == 0) {
		char *end;
		id = g_ascii_strtoll(argv[pos], &end, 10);
		if (*end != '\0' || id <= 0)
			cd_die(EX_USAGE, "'%s' is not a ticket reference (like T-000123)", argv[pos]);
	}
	return id;
}

static JsonNode *
object_of(cd_store *store, sqlite3_stmt *st)
{
	JsonNode *rows = admin_rows(store, st);
	JsonArray *arr = json_node_get_array(rows);
	JsonNode *one = json_array_get_length(arr) ? json_node_copy(json_array_get_element(arr, 0)) : NULL;
	json_node_unref(rows);
	return one;
}

static const char *
str_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	return n && !JSON_NODE_HOLDS_NULL(n) ? json_node_get_string(n) : NULL;
}

static void
print_text_block(const char *text)
{
	if (text == NULL || *text == '\0') {
		puts("    (no text)");
		return;
	}
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		printf("    %s\n", *l);
	g_strfreev(lines);
}

static void
print_ticket(JsonObject *t, gboolean full)
{
	printf("%s  [%s]  priority %s  type %s  queue %s\n", str_member(t, "ref"), str_member(t, "status"),
	       str_member(t, "priority"), str_member(t, "type"), str_member(t, "queue"));
	printf("Subject:   %s\n", str_member(t, "subject"));
	const char *cust = str_member(t, "customer");
	printf("Customer:  %s%s%s%s\n", cust ? cust : "(none)", str_member(t, "customer_name") ? " (" : "",
	       str_member(t, "customer_name") ? str_member(t, "customer_name") : "",
	       str_member(t, "customer_name") ? ")" : "");
	printf("Created:   %s   updated %s\n", str_member(t, "created"), str_member(t, "updated"));
	if (str_member(t, "assignee"))
		printf("Assignee:  %s\n", str_member(t, "assignee"));
	if (str_member(t, "escalated"))
		printf("Escalated: %s\n", str_member(t, "escalated"));
	if (str_member(t, "flags") && *str_member(t, "flags"))
		printf("Flags:     %s\n", str_member(t, "flags"));
	JsonArray *msgs = json_object_get_array_member(t, "messages");
	for (guint i = 0; i < json_array_get_length(msgs); i++) {
		JsonObject *m = json_array_get_object_element(msgs, i);
		const char *by = str_member(m, "threaded_by");
		printf("\n--- message %" G_GINT64_FORMAT "  %s %s %s  %s  %s <%s>%s%s%s\n", json_object_get_int_member(m, "id"),
		       str_member(m, "direction"), str_member(m, "channel"), str_member(m, "kind"), str_member(m, "created"),
		       str_member(m, "author_kind"), str_member(m, "from") ? str_member(m, "from") : "?", by ? "  (joined by " : "",
		       by ? by : "", by ? ")" : "");
		if (str_member(m, "subject"))
			printf("    Subject: %s\n", str_member(m, "subject"));
		print_text_block(full ? str_member(m, "text") : str_member(m, "reply_text"));
		JsonArray *atts = json_object_get_array_member(m, "attachments");
		for (guint j = 0; j < json_array_get_length(atts); j++) {
			JsonObject *at = json_array_get_object_element(atts, j);
			const char *note = str_member(at, "note");
			printf("    [attachment %" G_GINT64_FORMAT "] %s (%s, %" G_GINT64_FORMAT " bytes)%s%s\n",
			       json_object_get_int_member(at, "id"),
			       str_member(at, "filename") ? str_member(at, "filename") : "(unnamed)",
			       str_member(at, "content_type"), json_object_get_int_member(at, "size"), note ? " - " : "",
			       note ? note : "");
		}
		if (str_member(m, "notes")) {
			char **notes = g_strsplit(str_member(m, "notes"), "\n", -1);
			for (char **n = notes; *n; n++)
				printf("    note: %s\n", *n);
			g_strfreev(notes);
		}
	}
	JsonArray *hist = json_object_get_array_member(t, "history");
	printf("\nHistory:\n");
	for (guint i = 0; i < json_array_get_length(hist); i++) {
		JsonObject *h = json_array_get_object_element(hist, i);
		const char *from = str_member(h, "from_state"), *to = str_member(h, "to_state");
		printf("  %s  %s %s  %s%s%s%s%s%s%s\n", str_member(h, "at"), str_member(h, "actor_kind"),
		       str_member(h, "actor") ? str_member(h, "actor") : "", str_member(h, "action"), from || to ? " " : "",
		       from ? from : "", from || to ? " -> " : "", to ? to : "", str_member(h, "note") ? ": " : "",
		       str_member(h, "note") ? str_member(h, "note") : "");
	}
}

static int
ticket_show(int argc, char **argv)
{
	gboolean full = FALSE;
	GOptionEntry entries[] = {
		{"full", 'f', 0, G_OPTION_ARG_NONE, &full, "whole text of each message, quotes included", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "ticket show REF - a ticket, its conversation and its history", NULL, entries);
	gint64 id = ticket_id_arg(argc, argv, 3);
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(
	    a.store,
	    "SELECT printf('T-%06d', t.id) AS ref, t.id, t.status, t.priority, t.type, t.channel, q.name AS queue, "
	    "c.email AS customer, c.name AS customer_name, c.status AS customer_status, t.subject, "
	    "(SELECT login FROM agents g WHERE g.id = t.assignee_id) AS assignee, " ADMIN_ISO("t.escalated_at") " AS escalated, "
	    "trim(CASE WHEN t.unparsed THEN 'unparsed ' ELSE '' END || CASE WHEN t.auto_generated THEN 'auto ' ELSE '' END "
	    "|| CASE WHEN t.follow_up_of IS NOT NULL THEN printf('follow-up:T-%06d', t.follow_up_of) ELSE '' END) AS flags, "
	    ADMIN_ISO("t.created_at") " AS created, " ADMIN_ISO("t.updated_at") " AS updated "
	    "FROM tickets t JOIN queues q ON q.id = t.queue_id LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = ?");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *ticket = object_of(a.store, st);
	if (ticket == NULL) {
		char *ref = cd_ticket_ref(id);
		cd_die(EX_NOINPUT, "no ticket %s", ref);
	}
	JsonObject *t = json_node_get_object(ticket);

	st = admin_prepare(a.store,
	             "SELECT id, direction, channel, kind, author_kind, from_addr AS \"from\", from_name, to_addrs AS \"to\", "
	             "cc_addrs AS cc, subject, message_id, in_reply_to, threaded_by, body_reply AS reply_text, "
	             "body_full AS text, body_html IS NOT NULL AS has_html, notes, " ADMIN_ISO("created_at") " AS created "
	             "FROM messages WHERE ticket_id = ? ORDER BY id");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *msgs = admin_rows(a.store, st);
	JsonArray *marr = json_node_get_array(msgs);
	for (guint i = 0; i < json_array_get_length(marr); i++) {
		JsonObject *m = json_array_get_object_element(marr, i);
		sqlite3_stmt *as = admin_prepare(a.store, "SELECT id, filename, content_type, size, sha256, content IS NOT NULL AS "
		                                    "stored, inline, note FROM attachments WHERE message_id = ? ORDER BY id");
		sqlite3_bind_int64(as, 1, json_object_get_int_member(m, "id"));
		json_object_set_member(m, "attachments", admin_rows(a.store, as));
	}
	json_object_set_member(t, "messages", msgs);

	st = admin_prepare(a.store, "SELECT " ADMIN_ISO("at") " AS at, actor_kind, actor, channel, action, from_state, to_state, note "
	                      "FROM audit_events WHERE entity = 'ticket' AND entity_id = ? ORDER BY id");
	sqlite3_bind_int64(st, 1, id);
	json_object_set_member(t, "history", admin_rows(a.store, st));

	if (admin_opt_json)
		admin_print_json(ticket);
	else
		print_ticket(t, full);
	json_node_unref(ticket);
	admin_close(&a);
	return EX_OK;
}

static int
ticket_set(int argc, char **argv)
{
	char *status = NULL, *note = NULL, *priority = NULL, *assign = NULL, *queue = NULL;
	GOptionEntry entries[] = {
		{"status", 's', 0, G_OPTION_ARG_STRING, &status, "new status (open, pending, resolved, closed)", "S"},
		{"priority", 'p', 0, G_OPTION_ARG_STRING, &priority, "low, normal, high or urgent", "P"},
		{"assign", 'a', 0, G_OPTION_ARG_STRING, &assign, "the agent who handles it (none: nobody)", "LOGIN"},
		{"queue", 'q', 0, G_OPTION_ARG_STRING, &queue, "move it to this queue (it must exist)", "Q"},
		{"note", 0, 0, G_OPTION_ARG_STRING, &note, "why (kept in the history)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	char *moves = cd_machine_transitions_text(&cd_ticket_machine);
	char *summary = g_strdup_printf("Changes are made together or not at all, each one kept in the history.\n"
	                                "Status changes allowed: %s.",
	                                moves);
	g_free(moves);
	admin_parse(&argc, &argv, "ticket set REF [--status S] [--priority P] [--assign LOGIN] [--queue Q] - change a ticket",
	            summary, entries);
	g_free(summary);
	gint64 id = ticket_id_arg(argc, argv, 3);
	if (status == NULL && priority == NULL && assign == NULL && queue == NULL)
		cd_die(EX_USAGE, "ticket set: nothing to change (--status S, --priority P, --assign LOGIN, --queue Q)");
	admin_ctx a;
	admin_open(&a);
	const char *user = g_get_user_name();
	cd_actor actor = {.actor_kind = "admin", .actor = user, .channel = "cli"};
	GError *error = NULL;
	GString *done = g_string_new(NULL);
	gboolean changed = FALSE;
	gboolean ok = cd_store_begin(a.store, &error);
	/* queue, assignee and priority first: a status change to closed is the last thing done */
	if (ok && queue && (ok = cd_ticket_set_queue(a.store, id, queue, &actor, note, &changed, &error)))
		g_string_append_printf(done, "%squeue %s%s", done->len ? ", " : "", queue, changed ? "" : " (already)");
	if (ok && assign) {
		gboolean nobody = strcmp(assign, "none") == 0 || strcmp(assign, "-") == 0;
		ok = cd_ticket_assign(a.store, id, nobody ? NULL : assign, &actor, note, &changed, &error);
		if (ok)
			g_string_append_printf(done, "%s%s%s%s", done->len ? ", " : "", nobody ? "unassigned" : "assigned to ",
			                       nobody ? "" : assign, changed ? "" : " (already)");
	}
	if (ok && priority && (ok = cd_ticket_set_priority(a.store, id, priority, &actor, note, &changed, &error)))
		g_string_append_printf(done, "%spriority %s%s", done->len ? ", " : "", priority, changed ? "" : " (already)");
	if (ok && status && (ok = cd_ticket_set_status(a.store, id, status, &actor, note, &error)))
		g_string_append_printf(done, "%sstatus %s", done->len ? ", " : "", status);
	if (!ok || !cd_store_commit(a.store, &error)) {
		cd_store_rollback(a.store);
		admin_fail(error);
	}
	char *ref = cd_ticket_ref(id);
	if (status && priority == NULL && assign == NULL && queue == NULL)
		printf("%s is now %s\n", ref, status);
	else
		printf("%s: %s\n", ref, done->str);
	g_free(ref);
	g_string_free(done, TRUE);
	admin_close(&a);
	g_free(status);
	g_free(note);
	g_free(priority);
	g_free(assign);
	g_free(queue);
	return EX_OK;
}

/* save_name - where an attachment is saved by default: the sender's file name without any folder
 * (cd_mime_safe_filename) and not hidden, else attachment-ID. A name from a mail never chooses the
 * folder it is written to. */
static char *
save_name(const char *name, gint64 id)
{
	char *base = cd_mime_safe_filename(name);
	if (base == NULL || base[0] == '.') {
		g_free(base);
		return g_strdup_printf("attachment-%" G_GINT64_FORMAT, id);
	}
	return base;
}

static int
ticket_attachment(int argc, char **argv)
{
	char *out = NULL;
	gboolean force = FALSE;
	GOptionEntry entries[] = {
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
		 "write it to FILE (- : standard output); default: its own name in the current folder", "FILE"},
		{"force", 'f', 0, G_OPTION_ARG_NONE, &force, "replace a file of that name", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "ticket attachment ID [-o FILE] - save a file a customer or an agent sent",
	            "ID is the number `caredesk ticket show REF` prints as [attachment ID].", entries);
	gint64 id = 0;
	if (argc < 4 || !g_ascii_string_to_signed(argv[3], 10, 1, G_MAXINT64, &id, NULL))
		cd_die(EX_USAGE, "ticket attachment: which one? (the ID that `caredesk ticket show REF` prints)");
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(a.store, "SELECT filename, sha256, content FROM attachments WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	GError *error = NULL;
	gboolean row = FALSE;
	if (!cd_store_step(a.store, st, &row, &error))
		admin_fail(error);
	if (!row)
		cd_die(EX_NOINPUT, "ticket attachment: there is no attachment %" G_GINT64_FORMAT, id);
	if (sqlite3_column_type(st, 2) == SQLITE_NULL)
		cd_die(EX_UNAVAILABLE,
		       "ticket attachment: the bytes of attachment %" G_GINT64_FORMAT " were not kept (larger than "
		       "[mail] max_attachment_bytes); they are only in the raw message",
		       id);
	gsize len = (gsize)sqlite3_column_bytes(st, 2);
	const void *data = sqlite3_column_blob(st, 2);
	char hex[65];
	cd_sha256_hex(data ? data : "", len, hex);
	const char *want = (const char *)sqlite3_column_text(st, 1);
	if (want == NULL || strcmp(hex, want) != 0)
		cd_die(EX_DATAERR, "ticket attachment: attachment %" G_GINT64_FORMAT " does not match its SHA-256 (%s): not written",
		       id, want ? want : "none");
	if (out && strcmp(out, "-") == 0) {
		if (fwrite(data ? data : "", 1, len, stdout) != len || fflush(stdout) != 0)
			cd_die(EX_IOERR, "ticket attachment: cannot write to standard output: %s", g_strerror(errno));
	} else {
		char *path = out ? g_strdup(out) : save_name((const char *)sqlite3_column_text(st, 0), id);
		if (!force && g_file_test(path, G_FILE_TEST_EXISTS))
			cd_die(EX_CANTCREAT, "ticket attachment: %s exists (--force replaces it, -o FILE writes elsewhere)", path);
		if (!g_file_set_contents(path, data ? data : "", (gssize)len, &error))
			cd_die(EX_CANTCREAT, "ticket attachment: %s", error->message);
		fprintf(stderr, "%s: %zu bytes\n", path, len);
		g_free(path);
	}
	sqlite3_reset(st);
	admin_close(&a);
	g_free(out);
	return EX_OK;
}

int
cmd_ticket(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "list") == 0)
		return ticket_list(argc, argv);
	if (strcmp(sub, "show") == 0)
		return ticket_show(argc, argv);
	if (strcmp(sub, "set") == 0)
		return ticket_set(argc, argv);
	if (strcmp(sub, "attachment") == 0)
		return ticket_attachment(argc, argv);
	cd_die(EX_USAGE, "ticket: list, show REF, set REF [--status S] [--priority P] [--assign LOGIN] [--queue Q] or "
	                 "attachment ID [-o FILE]");
}
