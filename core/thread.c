/* thread.c - threading with trust (see thread.h). */
#include "thread.h"
#include "ticket.h"
#include "util.h"

#include <string.h>

gint64
cd_thread_subject_tag(const char *subject)
{
	if (subject == NULL)
		return 0;
	for (const char *p = strchr(subject, '['); p; p = strchr(p + 1, '[')) {
		if ((p[1] != 'T' && p[1] != 't') || p[2] != '-' || !g_ascii_isdigit(p[3]))
			continue;
		const char *q = p + 3;
		gint64 id = 0;
		while (g_ascii_isdigit(*q) && id < G_MAXINT64 / 10)
			id = id * 10 + (*q++ - '0');
		if (*q == ']' && id > 0)
			return id;
	}
	return 0;
}

gboolean
cd_thread_by_message_id(cd_store *store, const char *message_id, gint64 *ticket_id, GError **error)
{
	*ticket_id = 0;
	if (message_id == NULL || *message_id == '\0')
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT ticket_id FROM messages WHERE message_id = ?1 AND ticket_id IS NOT NULL "
	                                 "UNION ALL SELECT ticket_id FROM outbox WHERE message_id = ?1 AND ticket_id IS NOT NULL "
	                                 "LIMIT 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (row)
		*ticket_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return TRUE;
}

static gboolean
ticket_exists(cd_store *store, gint64 id, gint64 *customer_id, gboolean *exists, GError **error)
{
	*customer_id = 0;
	return cd_ticket_get(store, id, exists, NULL, customer_id, error);
}

gboolean
cd_thread_find(cd_store *store, const cd_secret *secret, const cd_message *m, const cd_sender *sender,
               GPtrArray *recipients, cd_thread_match *out, GError **error)
{
	out->ticket_id = 0;
	out->via = NULL;
	gboolean exists;
	gint64 owner;

	/* 1. reply token, valid for this sender */
	for (guint i = 0; secret && m->from.addr && recipients && i < recipients->len; i++) {
		gint64 id = cd_reply_address_ticket(secret, g_ptr_array_index(recipients, i), m->from.addr);
		if (id == 0)
			continue;
		if (!ticket_exists(store, id, &owner, &exists, error))
			return FALSE;
		if (exists) {
			out->ticket_id = id;
			out->via = "reply-token";
			return TRUE;
		}
	}

	/* 2. In-Reply-To, then References newest first */
	gint64 id;
	if (!cd_thread_by_message_id(store, m->in_reply_to, &id, error))
		return FALSE;
	if (id) {
		out->ticket_id = id;
		out->via = "in-reply-to";
		return TRUE;
	}
	for (guint i = m->references->len; i > 0; i--) {
		if (!cd_thread_by_message_id(store, g_ptr_array_index(m->references, i - 1), &id, error))
			return FALSE;
		if (id) {
			out->ticket_id = id;
			out->via = "references";
			return TRUE;
		}
	}

	/* 3. subject tag, only from someone entitled to the ticket */
	id = cd_thread_subject_tag(m->subject);
	if (id == 0)
		return TRUE;
	if (!ticket_exists(store, id, &owner, &exists, error))
		return FALSE;
	if (!exists)
		return TRUE;
	gboolean entitled = sender->kind == CD_SENDER_AGENT;
	if (!entitled && owner != 0 && !cd_customer_may_follow(store, owner, m->from.addr, &entitled, error))
		return FALSE;
	if (entitled) {
		out->ticket_id = id;
		out->via = "subject-tag";
	}
	return TRUE;
}
