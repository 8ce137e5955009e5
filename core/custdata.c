/* custdata.c - customer search, settings, tags, notes and addresses (see custdata.h). */
#include "custdata.h"
#include "result.h"
#include "util.h"

#include <string.h>

static gboolean
audit_customer(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *action, const char *note,
               GError **error)
{
	cd_audit_event ev = {.actor = actor, .entity = "customer", .entity_id = customer_id, .customer_id = customer_id,
	                     .action = action, .note = note};
	return cd_audit(store, &ev, error);
}

/* A search parameter: text, or an integer when s is NULL. */
typedef struct {
	char *s;
	gint64 i;
} param;

/* add_cond - " AND cond" with its ?1 markers numbered as the next parameter. */
static void
add_cond(GString *where, GArray *params, const char *cond, param p)
{
	char *num = g_strdup_printf("?%u", params->len + 1);
	char **parts = g_strsplit(cond, "?1", -1);
	char *numbered = g_strjoinv(num, parts);
	g_string_append_printf(where, " AND %s", numbered);
	g_free(numbered);
	g_strfreev(parts);
	g_free(num);
	g_array_append_val(params, p);
}

static void
add_text(GString *where, GArray *params, const char *cond, char *value)
{
	add_cond(where, params, cond, (param){.s = value});
}

static void
add_int(GString *where, GArray *params, const char *cond, gint64 value)
{
	add_cond(where, params, cond, (param){.i = value});
}

/* like_pattern - %text% with LIKE's wildcards escaped by '\'. */
static char *
like_pattern(const char *text)
{
	GString *s = g_string_new("%");
	for (const char *p = text; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			g_string_append_c(s, '\\');
		g_string_append_c(s, *p);
	}
	g_string_append_c(s, '%');
	return g_string_free(s, FALSE);
}

static char *
digits_of(const char *text)
{
	GString *s = g_string_new(NULL);
	for (const char *p = text; *p; p++)
		if (g_ascii_isdigit(*p))
			g_string_append_c(s, *p);
	return g_string_free(s, FALSE);
}

/* The digits of a phone column in SQL (the separators people write removed). */
#define PHONE_DIGITS(col) "replace(replace(replace(replace(replace(replace(" col ", '+', ''), ' ', ''), '-', ''), " \
                          "'(', ''), ')', ''), '/', '')"

static void
clear_params(GArray *params)
{
	for (guint i = 0; i < params->len; i++)
		g_free(g_array_index(params, param, i).s);
	g_array_free(params, TRUE);
}

gboolean
cd_customer_search(cd_store *store, const cd_customer_query *q, GArray *ids, GError **error)
{
	GString *where = g_string_new("SELECT c.id FROM customers c WHERE 1");
	GArray *params = g_array_new(FALSE, TRUE, sizeof(param));
	gboolean ok = TRUE;
	if (q->email)
		add_text(where, params,
		         "(c.email LIKE ?1 ESCAPE '\\' OR EXISTS (SELECT 1 FROM customer_contacts k WHERE k.customer_id = c.id "
		         "AND k.kind = 'email' AND k.value LIKE ?1 ESCAPE '\\'))",
		         like_pattern(q->email));
	if (q->name)
		add_text(where, params,
		         "(c.name LIKE ?1 ESCAPE '\\' OR EXISTS (SELECT 1 FROM customer_contacts k WHERE k.customer_id = c.id "
		         "AND k.name LIKE ?1 ESCAPE '\\'))",
		         like_pattern(q->name));
	if (q->phone) {
		char *d = digits_of(q->phone);
		if (*d == '\0') {
			g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "'%s' holds no digits", q->phone);
			ok = FALSE;
		}
		add_text(where, params,
		         "(instr(" PHONE_DIGITS("c.phone") ", ?1) > 0 OR EXISTS (SELECT 1 FROM customer_contacts k "
		         "WHERE k.customer_id = c.id AND k.kind = 'phone' AND instr(" PHONE_DIGITS("k.value") ", ?1) > 0))",
		         d);
	}
	if (q->company)
		add_text(where, params, "c.company LIKE ?1 ESCAPE '\\'", like_pattern(q->company));
	if (q->tag)
		add_text(where, params, "EXISTS (SELECT 1 FROM customer_tags g WHERE g.customer_id = c.id AND lower(g.tag) = lower(?1))",
		         g_strdup(q->tag));
	if (q->group)
		add_text(where, params, "lower(c.customer_group) = lower(?1)", g_strdup(q->group));
	if (q->order_ref)
		add_text(where, params, "EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.ref = ?1)",
		         g_strdup(q->order_ref));
	if (q->ticket_ref) {
		gint64 t = cd_parse_ref(q->ticket_ref, "T");
		if (t == 0 && ok) {
			g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "'%s' is not a ticket reference (T-000123)", q->ticket_ref);
			ok = FALSE;
		}
		add_int(where, params, "EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id AND t.id = ?1)", t);
	}
	if (q->rma_ref) {
		gint64 r = cd_parse_ref(q->rma_ref, "RMA");
		if (r == 0 && ok) {
			g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "'%s' is not an RMA reference (RMA-000045)", q->rma_ref);
			ok = FALSE;
		}
		add_int(where, params, "EXISTS (SELECT 1 FROM rmas r WHERE r.customer_id = c.id AND r.id = ?1)", r);
	}
	if (q->status) {
		static const char *const known[] = {"pending", "active", "disabled", "erased", NULL};
		if (!g_strv_contains(known, q->status) && ok) {
			g_set_error(error, CD_ERROR, CD_ERROR_USAGE,
			            "unknown customer status '%s' (one of pending, active, disabled, erased)", q->status);
			ok = FALSE;
		}
		if (strcmp(q->status, "erased") == 0)
			g_string_append(where, " AND c.erased_at IS NOT NULL");
		else
			add_text(where, params, "c.status = ?1 AND c.erased_at IS NULL", g_strdup(q->status));
	}
	if (q->created_from)
		add_int(where, params, "c.created_at >= ?1", q->created_from);
	if (q->created_to)
		add_int(where, params, "c.created_at < ?1", q->created_to);
	g_string_append_printf(where, " ORDER BY c.id LIMIT %d", q->limit > 0 ? q->limit : 1000);

	sqlite3_stmt *st = ok ? cd_store_stmt(store, where->str, error) : NULL;
	ok = st != NULL;
	for (guint i = 0; ok && i < params->len; i++) {
		param *p = &g_array_index(params, param, i);
		if (p->s)
			sqlite3_bind_text(st, (int)i + 1, p->s, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, (int)i + 1, p->i);
	}
	gboolean row = FALSE;
	while (ok && (ok = cd_store_step(store, st, &row, error)) && row) {
		gint64 id = sqlite3_column_int64(st, 0);
		g_array_append_val(ids, id);
	}
	if (st)
		sqlite3_reset(st);
	g_string_free(where, TRUE);
	clear_params(params);
	return ok;
}

gboolean
cd_customer_update(cd_store *store, const cd_actor *actor, gint64 customer_id, const cd_customer_settings *set,
                   GError **error)
{
	static const char *const cols[] = {"name", "phone", "company", "language", "notify_channel", "customer_group"};
	const char *vals[] = {set->name, set->phone, set->company, set->language, set->notify_channel, set->group};
	GString *what = g_string_new(NULL);
	gboolean ok = TRUE;
	for (gsize i = 0; ok && i < G_N_ELEMENTS(cols); i++) {
		if (vals[i] == NULL)
			continue;
		char *sql = g_strdup_printf("UPDATE customers SET %s = ?1, updated_at = ?2 WHERE id = ?3 AND erased_at IS NULL",
		                            cols[i]);
		sqlite3_stmt *st = cd_store_stmt(store, sql, error);
		g_free(sql);
		ok = st != NULL;
		if (!ok)
			break;
		if (*vals[i])
			sqlite3_bind_text(st, 1, vals[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, cd_now());
		sqlite3_bind_int64(st, 3, customer_id);
		ok = cd_store_run(store, st, error);
		if (ok && cd_store_changes(store) == 0) {
			g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no customer %" G_GINT64_FORMAT " (or it was erased)",
			            customer_id);
			ok = FALSE;
		}
		g_string_append_printf(what, "%s%s", what->len ? ", " : "", i == 5 ? "group" : cols[i]);
	}
	if (ok && what->len)
		ok = audit_customer(store, actor, customer_id, "settings changed", what->str, error);
	g_string_free(what, TRUE);
	return ok;
}

gboolean
cd_customer_group(cd_store *store, gint64 customer_id, char **group, GError **error)
{
	return cd_store_lookup_text(store, "SELECT customer_group FROM customers WHERE id = ?1", NULL, customer_id, group,
	                            error);
}

static gboolean
tag_change(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *tag, gboolean add,
           gboolean *changed, GError **error)
{
	*changed = FALSE;
	if (tag == NULL || *tag == '\0' || strpbrk(tag, " \t\r\n,") != NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "a tag is one word ('%s' is not)", tag ? tag : "");
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 add ? "INSERT OR IGNORE INTO customer_tags(customer_id, tag) VALUES (?1, ?2)"
	                                     : "DELETE FROM customer_tags WHERE customer_id = ?1 AND tag = ?2",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*changed = cd_store_changes(store) > 0;
	return !*changed || audit_customer(store, actor, customer_id, add ? "tag added" : "tag removed", tag, error);
}

gboolean
cd_customer_tag_add(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *tag, gboolean *changed,
                    GError **error)
{
	return tag_change(store, actor, customer_id, tag, TRUE, changed, error);
}

gboolean
cd_customer_tag_remove(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *tag,
                       gboolean *changed, GError **error)
{
	return tag_change(store, actor, customer_id, tag, FALSE, changed, error);
}

gboolean
cd_customer_note_add(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *body, gint64 *note_id,
                     GError **error)
{
	if (body == NULL || *body == '\0') {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "a note needs some text");
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO customer_notes(customer_id, author, body, created_at, updated_at) "
	                                 "VALUES (?1, ?2, ?3, ?4, ?4)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_text(st, 2, actor && actor->actor ? actor->actor : "system", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, cd_now());
	if (!cd_store_run(store, st, error))
		return FALSE;
	*note_id = cd_store_last_id(store);
	char *what = g_strdup_printf("note %" G_GINT64_FORMAT, *note_id);
	gboolean ok = audit_customer(store, actor, customer_id, "note added", what, error);
	g_free(what);
	return ok;
}

static gboolean
note_owner(cd_store *store, gint64 note_id, gint64 *customer_id, GError **error)
{
	if (!cd_store_lookup_id(store, "SELECT customer_id FROM customer_notes WHERE id = ?1", NULL, note_id, customer_id,
	                        error))
		return FALSE;
	if (*customer_id == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no note %" G_GINT64_FORMAT, note_id);
		return FALSE;
	}
	return TRUE;
}

static gboolean
note_change(cd_store *store, const cd_actor *actor, gint64 note_id, const char *body, gint64 *customer_id,
            GError **error)
{
	gint64 cid;
	if (!note_owner(store, note_id, &cid, error))
		return FALSE;
	if (customer_id)
		*customer_id = cid;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 body ? "UPDATE customer_notes SET body = ?2, updated_at = ?3, edited_by = ?4 WHERE id = ?1"
	                                      : "DELETE FROM customer_notes WHERE id = ?1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, note_id);
	if (body) {
		sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, cd_now());
		sqlite3_bind_text(st, 4, actor && actor->actor ? actor->actor : "system", -1, SQLITE_STATIC);
	}
	if (!cd_store_run(store, st, error))
		return FALSE;
	char *what = g_strdup_printf("note %" G_GINT64_FORMAT, note_id);
	gboolean ok = audit_customer(store, actor, cid, body ? "note edited" : "note deleted", what, error);
	g_free(what);
	return ok;
}

gboolean
cd_customer_note_edit(cd_store *store, const cd_actor *actor, gint64 note_id, const char *body, gint64 *customer_id,
                      GError **error)
{
	if (body == NULL || *body == '\0') {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "a note needs some text (to remove it: note delete)");
		return FALSE;
	}
	return note_change(store, actor, note_id, body, customer_id, error);
}

gboolean
cd_customer_note_delete(cd_store *store, const cd_actor *actor, gint64 note_id, gint64 *customer_id, GError **error)
{
	return note_change(store, actor, note_id, NULL, customer_id, error);
}

gboolean
cd_customer_address_add(cd_store *store, const cd_actor *actor, gint64 customer_id, const cd_customer_address *addr,
                        gint64 *address_id, GError **error)
{
	const char *kind = addr->kind ? addr->kind : "postal";
	if (strcmp(kind, "billing") == 0)
		kind = "invoice";
	static const char *const kinds[] = {"postal", "invoice", "shipping", NULL};
	if (!g_strv_contains(kinds, kind)) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "unknown address kind '%s' (postal, invoice or shipping)", kind);
		return FALSE;
	}
	/* one invoice and one shipping address (the ones the web view shows and edits): a new one
	 * replaces the old */
	if (strcmp(kind, "postal") != 0) {
		sqlite3_stmt *del = cd_store_stmt(store, "DELETE FROM customer_addresses WHERE customer_id = ? AND kind = ?", error);
		if (del == NULL)
			return FALSE;
		sqlite3_bind_int64(del, 1, customer_id);
		sqlite3_bind_text(del, 2, kind, -1, SQLITE_STATIC);
		if (!cd_store_run(store, del, error))
			return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO customer_addresses(customer_id, kind, name, street, postcode, city, "
	                                 "country, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?8)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, addr->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, addr->street, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, addr->postcode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, addr->city, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, addr->country, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, cd_now());
	if (!cd_store_run(store, st, error))
		return FALSE;
	*address_id = cd_store_last_id(store);
	char *what = g_strdup_printf("%s address %" G_GINT64_FORMAT, kind, *address_id);
	gboolean ok = audit_customer(store, actor, customer_id, "address added", what, error);
	g_free(what);
	return ok;
}

gboolean
cd_customer_address_remove(cd_store *store, const cd_actor *actor, gint64 address_id, GError **error)
{
	gint64 cid;
	if (!cd_store_lookup_id(store, "SELECT customer_id FROM customer_addresses WHERE id = ?1", NULL, address_id, &cid,
	                        error))
		return FALSE;
	if (cid == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no address %" G_GINT64_FORMAT, address_id);
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store, "DELETE FROM customer_addresses WHERE id = ?1", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, address_id);
	if (!cd_store_run(store, st, error))
		return FALSE;
	char *what = g_strdup_printf("address %" G_GINT64_FORMAT, address_id);
	gboolean ok = audit_customer(store, actor, cid, "address removed", what, error);
	g_free(what);
	return ok;
}
