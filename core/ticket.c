/* ticket.c - ticket, queue and message rows (see ticket.h). */
#include "ticket.h"
#include "result.h"
#include "util.h"

gboolean
cd_ticket_create(cd_store *store, const cd_ticket_new *t, const cd_actor *actor, gint64 *id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO tickets(customer_id, queue_id, subject, type, channel, unparsed, "
	                                 "auto_generated, follow_up_of, created_at, updated_at, last_customer_at) "
	                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                                 error);
	if (st == NULL)
		return FALSE;
	gint64 now = cd_now();
	if (t->customer_id)
		sqlite3_bind_int64(st, 1, t->customer_id);
	sqlite3_bind_int64(st, 2, t->queue_id);
	sqlite3_bind_text(st, 3, t->subject ? t->subject : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, t->type ? t->type : "ticket", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, t->channel ? t->channel : "email", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, t->unparsed ? 1 : 0);
	sqlite3_bind_int(st, 7, t->auto_generated ? 1 : 0);
	if (t->follow_up_of)
		sqlite3_bind_int64(st, 8, t->follow_up_of);
	sqlite3_bind_int64(st, 9, now);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_int64(st, 11, now);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*id = cd_store_last_id(store);
	char *note = NULL;
	if (t->follow_up_of) {
		char *ref = cd_ticket_ref(t->follow_up_of);
		note = g_strdup_printf("follow-up of closed %s", ref);
		g_free(ref);
	} else if (t->unparsed) {
		note = g_strdup("unparsed message");
	}
	cd_audit_event ev = {.actor = actor, .entity = "ticket", .entity_id = *id, .customer_id = t->customer_id,
	                     .action = "created", .to_state = "new", .note = note};
	gboolean ok = cd_audit(store, &ev, error);
	g_free(note);
	return ok;
}

gboolean
cd_ticket_get(cd_store *store, gint64 id, gboolean *found, char **status, gint64 *customer_id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT status, customer_id FROM tickets WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	*found = row;
	if (row) {
		if (status)
			*status = cd_col_dup(st, 0);
		if (customer_id)
			*customer_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return TRUE;
}

gboolean
cd_ticket_touch(cd_store *store, gint64 id, gboolean by_customer, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 by_customer ? "UPDATE tickets SET updated_at = ?1, last_customer_at = ?1 WHERE id = ?2"
	                                             : "UPDATE tickets SET updated_at = ?1 WHERE id = ?2",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, cd_now());
	sqlite3_bind_int64(st, 2, id);
	return cd_store_run(store, st, error);
}

gboolean
cd_queue_find(cd_store *store, const char *name, gint64 *id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 name ? "SELECT id FROM queues WHERE name = ?" : "SELECT id FROM queues ORDER BY id LIMIT 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	*id = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (row)
		return TRUE;
	if (name == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_STORE, "no queue defined");
		return FALSE;
	}
	st = cd_store_stmt(store, "INSERT INTO queues(name, created_at) VALUES (?, ?)", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cd_now());
	if (!cd_store_run(store, st, error))
		return FALSE;
	*id = cd_store_last_id(store);
	cd_audit_event ev = {.entity = "queue", .entity_id = *id, .action = "created", .note = name};
	return cd_audit(store, &ev, error);
}

static char *
join_addresses(GPtrArray *list)
{
	if (list == NULL || list->len == 0)
		return NULL;
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < list->len; i++) {
		cd_address *a = g_ptr_array_index(list, i);
		if (s->len)
			g_string_append(s, ", ");
		g_string_append(s, a->addr);
	}
	return g_string_free(s, FALSE);
}

static char *
join_notes(GPtrArray *notes)
{
	if (notes == NULL || notes->len == 0)
		return NULL;
	g_ptr_array_add(notes, NULL);
	char *s = g_strjoinv("\n", (char **)notes->pdata);
	g_ptr_array_set_size(notes, notes->len - 1);
	return s;
}

static gboolean
store_attachments(cd_store *store, gint64 message_id, GPtrArray *atts, GError **error)
{
	for (guint i = 0; i < atts->len; i++) {
		cd_attachment *a = g_ptr_array_index(atts, i);
		sqlite3_stmt *st = cd_store_stmt(store,
		                                 "INSERT INTO attachments(message_id, filename, content_type, size, sha256, "
		                                 "content, content_id, inline, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		                                 error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, message_id);
		sqlite3_bind_text(st, 2, a->filename, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->content_type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)a->size);
		sqlite3_bind_text(st, 5, a->sha256, -1, SQLITE_STATIC);
		if (a->data) {
			gsize n;
			const void *p = g_bytes_get_data(a->data, &n);
			sqlite3_bind_blob64(st, 6, p ? p : "", n, SQLITE_STATIC);
		}
		sqlite3_bind_text(st, 7, a->content_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, a->is_inline ? 1 : 0);
		sqlite3_bind_text(st, 9, a->note, -1, SQLITE_STATIC);
		if (!cd_store_run(store, st, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
cd_message_store(cd_store *store, const cd_message_insert *ins, gint64 *id, GError **error)
{
	const cd_message *m = ins->msg;
	sqlite3_stmt *st = cd_store_stmt(
	    store,
	    "INSERT INTO messages(ticket_id, raw_id, direction, channel, kind, author_kind, customer_id, agent_id, "
	    "from_addr, from_name, to_addrs, cc_addrs, message_id, in_reply_to, references_ids, subject, body_reply, "
	    "body_full, body_html, threaded_by, notes, sent_at, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    error);
	if (st == NULL)
		return FALSE;
	char *to = join_addresses(m->to);
	char *cc = join_addresses(m->cc);
	char *refs = NULL;
	if (m->references->len) {
		g_ptr_array_add(m->references, NULL);
		refs = g_strjoinv(" ", (char **)m->references->pdata);
		g_ptr_array_set_size(m->references, m->references->len - 1);
	}
	char *notes = join_notes(m->notes);
	if (ins->ticket_id)
		sqlite3_bind_int64(st, 1, ins->ticket_id);
	if (ins->raw_id)
		sqlite3_bind_int64(st, 2, ins->raw_id);
	sqlite3_bind_text(st, 3, ins->direction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ins->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ins->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ins->author_kind, -1, SQLITE_STATIC);
	if (ins->customer_id)
		sqlite3_bind_int64(st, 7, ins->customer_id);
	if (ins->agent_id)
		sqlite3_bind_int64(st, 8, ins->agent_id);
	sqlite3_bind_text(st, 9, m->from.addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, m->from.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, cc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, m->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, m->in_reply_to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, refs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, m->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 17, m->reply_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 18, m->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 19, m->html, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, ins->threaded_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 21, notes, -1, SQLITE_STATIC);
	if (m->date)
		sqlite3_bind_int64(st, 22, m->date);
	sqlite3_bind_int64(st, 23, cd_now());
	gboolean ok = cd_store_run(store, st, error);
	g_free(to);
	g_free(cc);
	g_free(refs);
	g_free(notes);
	if (!ok)
		return FALSE;
	*id = cd_store_last_id(store);
	return store_attachments(store, *id, m->attachments, error);
}
