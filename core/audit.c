/* audit.c - writing audit rows (see audit.h). */
#include "audit.h"
#include "util.h"

const cd_actor cd_actor_system_email = {.actor_kind = "system", .actor = "mail gateway", .channel = "email"};

gboolean
cd_audit(cd_store *store, const cd_audit_event *ev, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO audit_events(at, actor_kind, actor_id, actor, channel, entity, entity_id, "
	                                 "customer_id, action, from_state, to_state, note) "
	                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                                 error);
	if (st == NULL)
		return FALSE;
	const cd_actor *a = ev->actor ? ev->actor : &cd_actor_system_email;
	sqlite3_bind_int64(st, 1, cd_now());
	sqlite3_bind_text(st, 2, a->actor_kind, -1, SQLITE_STATIC);
	if (a->actor_id)
		sqlite3_bind_int64(st, 3, a->actor_id);
	sqlite3_bind_text(st, 4, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ev->entity, -1, SQLITE_STATIC);
	if (ev->entity_id)
		sqlite3_bind_int64(st, 7, ev->entity_id);
	if (ev->customer_id)
		sqlite3_bind_int64(st, 8, ev->customer_id);
	sqlite3_bind_text(st, 9, ev->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, ev->from_state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, ev->to_state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, ev->note, -1, SQLITE_STATIC);
	return cd_store_run(store, st, error);
}
