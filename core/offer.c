/* offer.c - offers: creation, lookup and the customer's decision (see offer.h). */
#include "offer.h"
#include "notify.h"
#include "parse.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

gboolean
cd_offer_create(cd_store *store, const cd_offer_data *d, const cd_actor *actor, gint64 *offer_id, char **ref_out,
                GError **error)
{
	*offer_id = 0;
	if (ref_out)
		*ref_out = NULL;
	if (d->n_lines == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "an offer needs at least one line");
		return FALSE;
	}
	for (guint i = 0; i < d->n_lines; i++) {
		const cd_offer_line_data *l = &d->lines[i];
		if (l->sku == NULL || *l->sku == '\0' || l->quantity <= 0 || l->unit_price_cents < 0) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID,
			            "offer line %u: needs a SKU, a quantity of at least 1 and a price that is not negative", i + 1);
			return FALSE;
		}
	}
	gint64 now = cd_now();
	if (d->valid_until && d->valid_until <= now) {
		char *when = cd_format_time(d->valid_until);
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "valid until %s is already past", when);
		g_free(when);
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT 1 FROM customers WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, d->customer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	sqlite3_reset(st);
	if (!row) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no customer %" G_GINT64_FORMAT, d->customer_id);
		return FALSE;
	}
	if (d->ref) {
		gint64 other = 0;
		GError *e = NULL;
		if (cd_offer_find(store, d->ref, &other, &e)) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "offer %s exists already", d->ref);
			return FALSE;
		}
		if (!g_error_matches(e, CD_ERROR, CD_ERROR_NOTFOUND)) {
			g_propagate_error(error, e);
			return FALSE;
		}
		g_error_free(e);
	}
	gint64 total = 0;
	for (guint i = 0; i < d->n_lines; i++)
		total += d->lines[i].unit_price_cents * d->lines[i].quantity;
	/* a unique placeholder until the id is known */
	char *tmp = g_strdup_printf("new-%" G_GINT64_FORMAT "-%u", now, g_random_int());
	st = cd_store_stmt(store,
	                   "INSERT INTO offers(ref, customer_id, ticket_id, title, currency, total_cents, valid_until, "
	                   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                   error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, d->ref ? d->ref : tmp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, d->customer_id);
		if (d->ticket_id)
			sqlite3_bind_int64(st, 3, d->ticket_id);
		sqlite3_bind_text(st, 4, d->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, d->currency ? d->currency : "EUR", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, total);
		if (d->valid_until)
			sqlite3_bind_int64(st, 7, d->valid_until);
		sqlite3_bind_int64(st, 8, now);
		sqlite3_bind_int64(st, 9, now);
		ok = cd_store_run(store, st, error);
	}
	g_free(tmp);
	if (!ok)
		return FALSE;
	*offer_id = cd_store_last_id(store);
	char *ref = d->ref ? g_strdup(d->ref) : g_strdup_printf("OF-%06" G_GINT64_FORMAT, *offer_id);
	if (d->ref == NULL) {
		st = cd_store_stmt(store, "UPDATE offers SET ref = ? WHERE id = ?", error);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, *offer_id);
			ok = cd_store_run(store, st, error);
		}
	}
	for (guint i = 0; ok && i < d->n_lines; i++) {
		const cd_offer_line_data *l = &d->lines[i];
		st = cd_store_stmt(store,
		                   "INSERT INTO offer_lines(offer_id, line_no, sku, description, quantity, unit_price_cents) "
		                   "VALUES (?, ?, ?, ?, ?, ?)",
		                   error);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_int64(st, 1, *offer_id);
			sqlite3_bind_int(st, 2, (int)i + 1);
			sqlite3_bind_text(st, 3, l->sku, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, l->description, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 5, l->quantity);
			sqlite3_bind_int64(st, 6, l->unit_price_cents);
			ok = cd_store_run(store, st, error);
		}
	}
	if (ok) {
		char *amount = cd_format_cents(total);
		char *until = d->valid_until ? cd_format_time(d->valid_until) : NULL;
		char *note = g_strdup_printf("%s: %u line%s, total %s %s%s%s", ref, d->n_lines, d->n_lines == 1 ? "" : "s",
		                             amount, d->currency ? d->currency : "EUR", until ? ", valid until " : "",
		                             until ? until : "");
		cd_audit_event ev = {.actor = actor, .entity = "offer", .entity_id = *offer_id, .customer_id = d->customer_id,
		                     .action = "created", .to_state = "new", .note = note};
		ok = cd_audit(store, &ev, error);
		g_free(note);
		g_free(until);
		g_free(amount);
	}
	ok = ok && cd_notify_offer_sent(store, *offer_id, error);
	if (ok && ref_out)
		*ref_out = ref;
	else
		g_free(ref);
	return ok;
}

gboolean
cd_offer_find(cd_store *store, const char *ref, gint64 *offer_id, GError **error)
{
	*offer_id = 0;
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT id FROM offers WHERE ref = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	*offer_id = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (*offer_id == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no offer %s", ref ? ref : "");
		return FALSE;
	}
	return TRUE;
}

gboolean
cd_offer_decide(cd_store *store, gint64 offer_id, const char *to, const char *comment, const cd_actor *actor,
                GError **error)
{
	if (g_strcmp0(to, "accepted") != 0 && g_strcmp0(to, "rejected") != 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "an offer is accepted or rejected, not '%s'", to ? to : "");
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT status, coalesce(valid_until, 0), ref FROM offers WHERE id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, offer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no offer %" G_GINT64_FORMAT, offer_id);
		return FALSE;
	}
	gboolean is_new = g_strcmp0(cd_col_text(st, 0), "new") == 0;
	gint64 until = sqlite3_column_int64(st, 1);
	char *ref = cd_col_dup(st, 2);
	sqlite3_reset(st);
	if (is_new && strcmp(to, "accepted") == 0 && until && cd_now() > until) {
		char *when = cd_format_time(until);
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s was valid until %s and can no longer be accepted", ref, when);
		g_free(when);
		g_free(ref);
		return FALSE;
	}
	g_free(ref);
	if (!cd_machine_move(store, &cd_offer_machine, offer_id, to, actor, comment, NULL, error))
		return FALSE;
	st = cd_store_stmt(store, "UPDATE offers SET decision_comment = ? WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, comment, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, offer_id);
	return cd_store_run(store, st, error);
}
