/* order.c - orders and lines from the shop, idempotent upserts, order status (see order.h). */
#include "order.h"
#include "parse.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

#define DEFAULT_WARRANTY_DAYS 730

static gboolean
invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
invalid(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, CD_ERROR, CD_ERROR_INVALID, msg);
	g_free(msg);
	return FALSE;
}

static gboolean
valid_ref(const char *ref)
{
	if (ref == NULL || *ref == '\0' || strlen(ref) > 64 || !g_utf8_validate(ref, -1, NULL))
		return FALSE;
	for (const char *p = ref; *p; p++)
		if (g_ascii_isspace(*p) || g_ascii_iscntrl(*p))
			return FALSE;
	return TRUE;
}

/* validate - everything cd_order_upsert can check without the database. */
static gboolean
validate(const cd_order_data *d, GError **error)
{
	if (!valid_ref(d->ref))
		return invalid(error, "ref: '%s' is not an order reference (1 to 64 characters, no spaces)", d->ref ? d->ref : "");
	if (d->status && !cd_machine_has_state(&cd_order_machine, d->status)) {
		char *all = cd_machine_states_text(&cd_order_machine);
		gboolean r = invalid(error, "status: unknown order status '%s' (one of %s)", d->status, all);
		g_free(all);
		return r;
	}
	if (d->currency) {
		gboolean ok = strlen(d->currency) == 3;
		for (int i = 0; ok && i < 3; i++)
			ok = g_ascii_isupper(d->currency[i]);
		if (!ok)
			return invalid(error, "currency: '%s' is not a currency code like EUR", d->currency);
	}
	if (d->n_lines == 0)
		return invalid(error, "order %s has no lines", d->ref);
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < d->n_lines; i++) {
		const cd_order_line_data *l = &d->lines[i];
		gint no = l->line_no > 0 ? l->line_no : (gint)i + 1;
		if (l->sku == NULL || *l->sku == '\0')
			ok = invalid(error, "line %d: sku is empty", no);
		else if (l->quantity <= 0)
			ok = invalid(error, "line %d: quantity must be at least 1", no);
		else if (l->unit_price_cents < 0)
			ok = invalid(error, "line %d: unit price cannot be negative", no);
		else if (g_hash_table_contains(seen, GINT_TO_POINTER(no)))
			ok = invalid(error, "line %d appears twice in order %s", no, d->ref);
		g_hash_table_add(seen, GINT_TO_POINTER(no));
	}
	g_hash_table_destroy(seen);
	return ok;
}

gboolean
cd_order_load(cd_store *store, const char *ref, gint64 id, cd_order_info *o, gboolean *found, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 ref ? "SELECT id, customer_id, ref, status, currency, ordered_at, "
	                                       "coalesce(delivered_at, 0) FROM orders WHERE ref = ?"
	                                     : "SELECT id, customer_id, ref, status, currency, ordered_at, "
	                                       "coalesce(delivered_at, 0) FROM orders WHERE id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	if (ref)
		sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	*found = row;
	if (row) {
		o->id = sqlite3_column_int64(st, 0);
		o->customer_id = sqlite3_column_int64(st, 1);
		o->ref = cd_col_dup(st, 2);
		o->status = cd_col_dup(st, 3);
		o->currency = cd_col_dup(st, 4);
		o->ordered_at = sqlite3_column_int64(st, 5);
		o->delivered_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	return TRUE;
}

void
cd_order_info_clear(cd_order_info *o)
{
	g_free(o->ref);
	g_free(o->status);
	g_free(o->currency);
	memset(o, 0, sizeof *o);
}

/* upsert_line - insert the line or update it when anything differs; *changed when it did. */
static gboolean
upsert_line(cd_store *store, gint64 order_id, gint no, const cd_order_line_data *l, gboolean *changed, GError **error)
{
	gint warranty = l->warranty_days >= 0 ? l->warranty_days : DEFAULT_WARRANTY_DAYS;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT id, sku IS ?3 AND description IS ?4 AND quantity = ?5 AND unit_price_cents = ?6 "
	                                 "AND warranty_days = ?7 AND serial IS ?8 AND delivered_at IS ?9 "
	                                 "FROM order_lines WHERE order_id = ?1 AND line_no = ?2",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, order_id);
	sqlite3_bind_int(st, 2, no);
	sqlite3_bind_text(st, 3, l->sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, l->description, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, l->quantity);
	sqlite3_bind_int64(st, 6, l->unit_price_cents);
	sqlite3_bind_int(st, 7, warranty);
	sqlite3_bind_text(st, 8, l->serial, -1, SQLITE_STATIC);
	if (l->delivered_at)
		sqlite3_bind_int64(st, 9, l->delivered_at);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gint64 line_id = row ? sqlite3_column_int64(st, 0) : 0;
	gboolean same = row && sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	*changed = !same;
	if (same)
		return TRUE;
	st = cd_store_stmt(store,
	                   line_id ? "UPDATE order_lines SET sku = ?3, description = ?4, quantity = ?5, unit_price_cents = ?6, "
	                             "warranty_days = ?7, serial = ?8, delivered_at = ?9 WHERE id = ?10"
	                           : "INSERT INTO order_lines(order_id, line_no, sku, description, quantity, unit_price_cents, "
	                             "warranty_days, serial, delivered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	                   error);
	if (st == NULL)
		return FALSE;
	if (!line_id) {
		sqlite3_bind_int64(st, 1, order_id);
		sqlite3_bind_int(st, 2, no);
	}
	sqlite3_bind_text(st, 3, l->sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, l->description, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, l->quantity);
	sqlite3_bind_int64(st, 6, l->unit_price_cents);
	sqlite3_bind_int(st, 7, warranty);
	sqlite3_bind_text(st, 8, l->serial, -1, SQLITE_STATIC);
	if (l->delivered_at)
		sqlite3_bind_int64(st, 9, l->delivered_at);
	if (line_id)
		sqlite3_bind_int64(st, 10, line_id);
	return cd_store_run(store, st, error);
}

/* update_total - total_cents from the lines; *changed when it moved. */
static gboolean
update_total(cd_store *store, gint64 order_id, gboolean *changed, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE orders SET total_cents = (SELECT coalesce(sum(quantity * unit_price_cents), 0) "
	                                 "FROM order_lines WHERE order_id = ?1) WHERE id = ?1 AND total_cents != "
	                                 "(SELECT coalesce(sum(quantity * unit_price_cents), 0) FROM order_lines WHERE order_id = ?1)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, order_id);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*changed = cd_store_changes(store) > 0;
	return TRUE;
}

static gboolean
create_order(cd_store *store, const cd_order_data *d, gint64 customer_id, const cd_actor *actor, gint64 *order_id,
             GError **error)
{
	gint64 now = cd_now();
	const char *status = d->status ? d->status : "new";
	gint64 delivered = d->delivered_at;
	if (delivered == 0 && strcmp(status, "delivered") == 0)
		delivered = now;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO orders(ref, customer_id, status, currency, ordered_at, delivered_at, source, "
	                                 "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, d->ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, customer_id);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->currency ? d->currency : "EUR", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, d->ordered_at ? d->ordered_at : now);
	if (delivered)
		sqlite3_bind_int64(st, 6, delivered);
	sqlite3_bind_text(st, 7, d->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now);
	sqlite3_bind_int64(st, 9, now);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*order_id = cd_store_last_id(store);
	gboolean changed;
	for (guint i = 0; i < d->n_lines; i++)
		if (!upsert_line(store, *order_id, d->lines[i].line_no > 0 ? d->lines[i].line_no : (gint)i + 1, &d->lines[i],
		                 &changed, error))
			return FALSE;
	if (!update_total(store, *order_id, &changed, error))
		return FALSE;
	char *note = g_strdup_printf("%u line%s%s%s", d->n_lines, d->n_lines == 1 ? "" : "s", d->source ? " from " : "",
	                             d->source ? d->source : "");
	cd_audit_event ev = {.actor = actor, .entity = "order", .entity_id = *order_id, .customer_id = customer_id,
	                     .action = "created", .to_state = status, .note = note};
	gboolean ok = cd_audit(store, &ev, error);
	g_free(note);
	return ok;
}

static gboolean
update_order(cd_store *store, const cd_order_data *d, cd_order_info *o, const cd_actor *actor, gboolean *any,
             GError **error)
{
	GString *changes = g_string_new(NULL);
	gboolean ok = TRUE;
	/* order fields first, then the status through the machine (which may stamp delivered_at) */
	gboolean cur_changed = d->currency && g_strcmp0(d->currency, o->currency) != 0;
	gboolean ord_changed = d->ordered_at && d->ordered_at != o->ordered_at;
	gboolean del_changed = d->delivered_at && d->delivered_at != o->delivered_at;
	if (cur_changed || ord_changed || del_changed) {
		sqlite3_stmt *st = cd_store_stmt(store,
		                                 "UPDATE orders SET currency = coalesce(?1, currency), ordered_at = coalesce(?2, "
		                                 "ordered_at), delivered_at = coalesce(?3, delivered_at) WHERE id = ?4",
		                                 error);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_text(st, 1, d->currency, -1, SQLITE_STATIC);
			if (d->ordered_at)
				sqlite3_bind_int64(st, 2, d->ordered_at);
			if (d->delivered_at)
				sqlite3_bind_int64(st, 3, d->delivered_at);
			sqlite3_bind_int64(st, 4, o->id);
			ok = cd_store_run(store, st, error);
		}
		if (cur_changed)
			g_string_append_printf(changes, "%scurrency %s", changes->len ? ", " : "", d->currency);
		if (ord_changed)
			g_string_append_printf(changes, "%sordered_at", changes->len ? ", " : "");
		if (del_changed)
			g_string_append_printf(changes, "%sdelivered_at", changes->len ? ", " : "");
	}
	for (guint i = 0; ok && i < d->n_lines; i++) {
		gint no = d->lines[i].line_no > 0 ? d->lines[i].line_no : (gint)i + 1;
		gboolean changed = FALSE;
		ok = upsert_line(store, o->id, no, &d->lines[i], &changed, error);
		if (ok && changed)
			g_string_append_printf(changes, "%sline %d", changes->len ? ", " : "", no);
	}
	gboolean total_changed = FALSE;
	ok = ok && update_total(store, o->id, &total_changed, error);
	if (ok && changes->len) {
		sqlite3_stmt *st = cd_store_stmt(store, "UPDATE orders SET updated_at = ?, source = coalesce(?, source) WHERE id = ?",
		                                 error);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_int64(st, 1, cd_now());
			sqlite3_bind_text(st, 2, d->source, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, o->id);
			ok = cd_store_run(store, st, error);
		}
		char *note = g_strdup_printf("%s%s%s", changes->str, d->source ? " from " : "", d->source ? d->source : "");
		cd_audit_event ev = {.actor = actor, .entity = "order", .entity_id = o->id, .customer_id = o->customer_id,
		                     .action = "updated", .note = note};
		ok = ok && cd_audit(store, &ev, error);
		g_free(note);
	}
	*any = changes->len > 0;
	if (ok && d->status && g_strcmp0(d->status, o->status) != 0) {
		char *note = d->source ? g_strdup_printf("from %s", d->source) : NULL;
		ok = cd_machine_move(store, &cd_order_machine, o->id, d->status, actor, note, NULL, error);
		g_free(note);
		*any = TRUE;
	}
	g_string_free(changes, TRUE);
	return ok;
}

gboolean
cd_order_upsert(cd_store *store, const cd_order_data *d, const cd_actor *actor, cd_order_change *change,
                gint64 *order_id, GError **error)
{
	*order_id = 0;
	*change = CD_ORDER_UNCHANGED;
	if (!validate(d, error))
		return FALSE;
	char *email = cd_address_normalize(d->email);
	if (email == NULL)
		return invalid(error, "email: '%s' is not a mail address", d->email ? d->email : "");
	cd_order_info o = {0};
	gboolean found = FALSE;
	gboolean ok = cd_order_load(store, d->ref, 0, &o, &found, error);
	gint64 customer_id = 0;
	gboolean created = FALSE;
	if (ok && found) {
		/* an order never moves to another customer; and a wrong address creates nobody */
		ok = cd_store_lookup_id(store, "SELECT id FROM customers WHERE email = ?", email, 0, &customer_id, error);
		if (ok && customer_id == 0)
			ok = cd_store_lookup_id(store, "SELECT customer_id FROM customer_contacts WHERE kind = 'email' AND value = ?", email, 0,
			               &customer_id, error);
		if (ok && customer_id != o.customer_id)
			ok = invalid(error, "order %s belongs to another customer, not to %s", o.ref, email);
	}
	ok = ok && cd_customer_for_email(store, email, d->customer_name, actor, &customer_id, &created, error);
	if (ok && !found) {
		ok = create_order(store, d, customer_id, actor, order_id, error);
		*change = CD_ORDER_CREATED;
	} else if (ok) {
		gboolean any = FALSE;
		ok = update_order(store, d, &o, actor, &any, error);
		*order_id = o.id;
		*change = any ? CD_ORDER_UPDATED : CD_ORDER_UNCHANGED;
	}
	cd_order_info_clear(&o);
	g_free(email);
	return ok;
}

gboolean
cd_order_find(cd_store *store, const char *ref, gint64 *id, GError **error)
{
	const char *r = ref ? ref : "";
	while (*r == '#' || g_ascii_isspace(*r))
		r++;
	if (!cd_store_lookup_id(store, "SELECT id FROM orders WHERE ref = ?", r, 0, id, error))
		return FALSE;
	if (*id == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no order %s", r);
		return FALSE;
	}
	return TRUE;
}

gboolean
cd_order_set_status(cd_store *store, gint64 order_id, const char *status, const cd_actor *actor, const char *note,
                    GError **error)
{
	return cd_machine_move(store, &cd_order_machine, order_id, status, actor, note, NULL, error);
}
