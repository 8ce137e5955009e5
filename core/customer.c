/* customer.c - sender identification and customer creation (see customer.h). */
#include "customer.h"
#include "audit.h"
#include "util.h"
#include <string.h>

gboolean
cd_sender_lookup(cd_store *store, const char *addr, cd_sender *out, GError **error)
{
	out->kind = CD_SENDER_UNKNOWN;
	out->customer_id = 0;
	out->agent_id = 0;
	if (addr == NULL)
		return TRUE;
	gint64 id;
	if (!cd_store_lookup_id(store, "SELECT id FROM agents WHERE email = ? AND active = 1", addr, 0, &id, error))
		return FALSE;
	if (id) {
		out->kind = CD_SENDER_AGENT;
		out->agent_id = id;
		return TRUE;
	}
	if (!cd_store_lookup_id(store, "SELECT id FROM customers WHERE email = ?", addr, 0, &id, error))
		return FALSE;
	if (id) {
		out->kind = CD_SENDER_CUSTOMER;
		out->customer_id = id;
		return TRUE;
	}
	if (!cd_store_lookup_id(store, "SELECT customer_id FROM customer_contacts WHERE kind = 'email' AND value = ?", addr, 0, &id,
	               error))
		return FALSE;
	if (id) {
		out->kind = CD_SENDER_CONTACT;
		out->customer_id = id;
	}
	return TRUE;
}

gboolean
cd_sender_lookup_phone(cd_store *store, const char *number, cd_sender *out, GError **error)
{
	memset(out, 0, sizeof *out);
	if (number == NULL)
		return TRUE;
	gint64 id;
	if (!cd_store_lookup_id(store, "SELECT id FROM agents WHERE phone = ? AND active = 1", number, 0, &id, error))
		return FALSE;
	if (id) {
		out->kind = CD_SENDER_AGENT;
		out->agent_id = id;
		return TRUE;
	}
	if (!cd_store_lookup_id(store, "SELECT id FROM customers WHERE phone = ?", number, 0, &id, error))
		return FALSE;
	if (id) {
		out->kind = CD_SENDER_CUSTOMER;
		out->customer_id = id;
		return TRUE;
	}
	if (!cd_store_lookup_id(store, "SELECT customer_id FROM customer_contacts WHERE kind = 'phone' AND value = ?",
	                        number, 0, &id, error))
		return FALSE;
	if (id) {
		out->kind = CD_SENDER_CONTACT;
		out->customer_id = id;
	}
	return TRUE;
}

gboolean
cd_customer_create(cd_store *store, const char *email, const char *phone, const char *name, const char *status,
                   gint64 *id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO customers(email, phone, name, status, created_at, updated_at) "
	                                 "VALUES (?, ?, ?, ?, ?, ?)",
	                                 error);
	if (st == NULL)
		return FALSE;
	gint64 now = cd_now();
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*id = cd_store_last_id(store);
	cd_audit_event ev = {.entity = "customer", .entity_id = *id, .customer_id = *id, .action = "created",
	                     .to_state = status, .note = email ? email : phone};
	return cd_audit(store, &ev, error);
}

gboolean
cd_customer_may_follow(cd_store *store, gint64 customer_id, const char *addr, gboolean *yes, GError **error)
{
	*yes = FALSE;
	if (customer_id == 0 || addr == NULL)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT 1 FROM customers WHERE id = ?1 AND email = ?2 "
	                                 "UNION ALL SELECT 1 FROM customer_contacts WHERE customer_id = ?1 "
	                                 "AND kind = 'email' AND value = ?2 AND may_follow = 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	*yes = row;
	sqlite3_reset(st);
	return TRUE;
}

gboolean
cd_customer_for_email(cd_store *store, const char *addr, const char *name, const cd_actor *actor,
                      gint64 *customer_id, gboolean *created, GError **error)
{
	*created = FALSE;
	if (!cd_store_lookup_id(store, "SELECT id FROM customers WHERE email = ?", addr, 0, customer_id, error))
		return FALSE;
	if (*customer_id == 0 &&
	    !cd_store_lookup_id(store, "SELECT customer_id FROM customer_contacts WHERE kind = 'email' AND value = ?", addr, 0,
	               customer_id, error))
		return FALSE;
	if (*customer_id) {
		if (name == NULL || *name == '\0')
			return TRUE;
		sqlite3_stmt *st = cd_store_stmt(store, "UPDATE customers SET name = ? WHERE id = ? AND name IS NULL", error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, *customer_id);
		return cd_store_run(store, st, error);
	}
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO customers(email, name, status, created_at, updated_at) "
	                                 "VALUES (?, ?, 'pending', ?, ?)",
	                                 error);
	if (st == NULL)
		return FALSE;
	gint64 now = cd_now();
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name && *name ? name : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, now);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*customer_id = cd_store_last_id(store);
	*created = TRUE;
	cd_audit_event ev = {.actor = actor, .entity = "customer", .entity_id = *customer_id, .customer_id = *customer_id,
	                     .action = "created", .to_state = "pending", .note = addr};
	return cd_audit(store, &ev, error);
}
