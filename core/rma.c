/* rma.c - RMA requests, their authorisation checks and the agents' steps (see rma.h). */
#include "rma.h"
#include "order.h"
#include "parse.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <string.h>


typedef struct {
	gint64 id;
	gint line_no;
	char *sku;
	char *description;
	gint quantity;
	gint64 unit_price_cents;
	gint warranty_days;
	char *serial;
	gint64 delivered_at;
} line_info;

static void
line_info_free(gpointer p)
{
	line_info *l = p;
	g_free(l->sku);
	g_free(l->description);
	g_free(l->serial);
	g_free(l);
}

/* line_label - "line 1 (PX-200 printer)": the number, the SKU and what it is. */
static char *
line_label(const line_info *l)
{
	if (l->description && *l->description && strstr(l->description, l->sku) == NULL)
		return g_strdup_printf("line %d (%s %s)", l->line_no, l->sku, l->description);
	return g_strdup_printf("line %d (%s)", l->line_no, l->description && *l->description ? l->description : l->sku);
}

/* clean_ref - the order reference as typed, trimmed, without a leading '#'; NULL when empty. */
static char *
clean_ref(const char *ref)
{
	if (ref == NULL)
		return NULL;
	char *s = g_strstrip(g_strdup(ref));
	if (s[0] == '#')
		memmove(s, s + 1, strlen(s));
	g_strstrip(s);
	if (*s == '\0') {
		g_free(s);
		return NULL;
	}
	return s;
}


static GPtrArray *
load_lines(cd_store *store, gint64 order_id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT id, line_no, sku, description, quantity, unit_price_cents, warranty_days, "
	                                 "serial, coalesce(delivered_at, 0) FROM order_lines WHERE order_id = ? ORDER BY line_no",
	                                 error);
	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, order_id);
	GPtrArray *lines = g_ptr_array_new_with_free_func(line_info_free);
	gboolean row;
	while (cd_store_step(store, st, &row, error)) {
		if (!row) {
			sqlite3_reset(st);
			return lines;
		}
		line_info *l = g_new0(line_info, 1);
		l->id = sqlite3_column_int64(st, 0);
		l->line_no = sqlite3_column_int(st, 1);
		l->sku = cd_col_dup(st, 2);
		l->description = cd_col_dup(st, 3);
		l->quantity = sqlite3_column_int(st, 4);
		l->unit_price_cents = sqlite3_column_int64(st, 5);
		l->warranty_days = sqlite3_column_int(st, 6);
		l->serial = cd_col_dup(st, 7);
		l->delivered_at = sqlite3_column_int64(st, 8);
		g_ptr_array_add(lines, l);
	}
	g_ptr_array_unref(lines);
	return NULL;
}

static line_info *
line_by_no(GPtrArray *lines, gint line_no)
{
	for (guint i = 0; i < lines->len; i++) {
		line_info *l = g_ptr_array_index(lines, i);
		if (l->line_no == line_no)
			return l;
	}
	return NULL;
}

/* returnable - how many of a line may still be returned: bought minus RMAs that are not rejected
 * or expired (exclude: an RMA not to count, the one being authorized). */
static gboolean
returnable(cd_store *store, const line_info *l, gint64 exclude, gint64 *left, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT coalesce(sum(quantity), 0) FROM rmas WHERE order_line_id = ? AND id != ? "
	                                 "AND status NOT IN ('rejected', 'expired')",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, l->id);
	sqlite3_bind_int64(st, 2, exclude);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gint64 used = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	*left = MAX(0, (gint64)l->quantity - used);
	return TRUE;
}

/* line_check - quantity and warranty of one line; *refusal (newly allocated) when a check fails. */
static gboolean
line_check(cd_store *store, const cd_order_info *o, const line_info *l, gint quantity, gint64 exclude, char **refusal,
           GError **error)
{
	*refusal = NULL;
	gint64 left;
	if (!returnable(store, l, exclude, &left, error))
		return FALSE;
	char *label = line_label(l);
	if (left == 0) {
		*refusal = g_strdup_printf("all %d of %s of order %s are already returned or have a return open", l->quantity,
		                           label, o->ref);
	} else if (quantity > left) {
		*refusal = g_strdup_printf("you asked to return %d but only %" G_GINT64_FORMAT " of %s can still be returned",
		                           quantity, left, label);
	} else {
		gint64 base = l->delivered_at ? l->delivered_at : o->delivered_at;
		gint64 end = base + (gint64)l->warranty_days * 86400;
		if (base != 0 && cd_now() > end) {
			char *date = cd_format_date(end);
			*refusal = g_strdup_printf("the warranty of %d day%s for %s ended on %s", l->warranty_days,
			                           l->warranty_days == 1 ? "" : "s", label, date);
			g_free(date);
		}
	}
	g_free(label);
	return TRUE;
}

/* pick_line - the line a request means: by number, the only one, else by serial, then by SKU.
 * *line NULL: ambiguous (*why says so for the agent) or a number that does not exist (*missing). */
static void
pick_line(GPtrArray *lines, const cd_rma_req *req, const cd_order_info *o, line_info **line, gboolean *missing,
          char **why)
{
	*line = NULL;
	*missing = FALSE;
	*why = NULL;
	if (req->line_no > 0) {
		*line = line_by_no(lines, req->line_no);
		*missing = *line == NULL;
		return;
	}
	if (lines->len == 1) {
		*line = g_ptr_array_index(lines, 0);
		return;
	}
	const char *keys[2] = {req->serial, req->sku};
	for (int k = 0; k < 2; k++) {
		if (keys[k] == NULL || *keys[k] == '\0')
			continue;
		line_info *hit = NULL;
		guint hits = 0;
		for (guint i = 0; i < lines->len; i++) {
			line_info *l = g_ptr_array_index(lines, i);
			const char *v = k == 0 ? l->serial : l->sku;
			if (v && g_ascii_strcasecmp(v, keys[k]) == 0) {
				hit = l;
				hits++;
			}
		}
		if (hits == 1) {
			*line = hit;
			return;
		}
	}
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "order %s has %u lines and the request does not say which", o->ref, lines->len);
	if (req->sku && *req->sku)
		g_string_append_printf(s, " (SKU given: %s)", req->sku);
	if (req->serial && *req->serial)
		g_string_append_printf(s, " (serial given: %s)", req->serial);
	g_string_append(s, ": pick the line when authorizing");
	*why = g_string_free(s, FALSE);
}

static gboolean
audit_refused(cd_store *store, const cd_actor *actor, const cd_rma_req *req, const char *note, GError **error)
{
	GString *s = g_string_new(note);
	if (req->ticket_id) {
		char *t = cd_ticket_ref(req->ticket_id);
		g_string_append_printf(s, " (ticket %s)", t);
		g_free(t);
	}
	cd_audit_event ev = {.actor = actor, .entity = "rma", .customer_id = req->customer_id, .action = "refused",
	                     .note = s->str};
	gboolean ok = cd_audit(store, &ev, error);
	g_string_free(s, TRUE);
	return ok;
}

/* find_by_serial - the only line of the customer's orders with this serial, for requests without order. */
static gboolean
find_by_serial(cd_store *store, gint64 customer_id, const char *serial, char **order_ref, gint *line_no,
               GError **error)
{
	*order_ref = NULL;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT o.ref, l.line_no FROM order_lines l JOIN orders o ON o.id = l.order_id "
	                                 "WHERE o.customer_id = ? AND l.serial = ? COLLATE NOCASE LIMIT 2",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	gboolean row;
	int n = 0;
	char *ref = NULL;
	gint no = 0;
	while (cd_store_step(store, st, &row, error) && row) {
		if (n++ == 0) {
			ref = cd_col_dup(st, 0);
			no = sqlite3_column_int(st, 1);
		}
	}
	sqlite3_reset(st);
	if (n == 1) {
		*order_ref = ref;
		*line_no = no;
	} else {
		g_free(ref);
	}
	return TRUE;
}

static gboolean
set_rma_text(cd_store *store, gint64 rma_id, const char *column, const char *value, GError **error)
{
	char *sql = g_strdup_printf("UPDATE rmas SET %s = ? WHERE id = ?", column);
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	g_free(sql);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rma_id);
	return cd_store_run(store, st, error);
}

gboolean
cd_rma_request(cd_store *store, const cd_rma_req *req, gboolean auto_authorize, const cd_actor *actor,
               cd_rma_outcome *outcome, gint64 *rma_id, char **refusal, GError **error)
{
	*outcome = CD_RMA_REFUSED;
	*rma_id = 0;
	*refusal = NULL;
	gint quantity = req->quantity > 0 ? req->quantity : 1;
	cd_rma_req r = *req;
	char *ref = clean_ref(req->order_ref);
	if (ref == NULL && req->customer_id && req->serial && *req->serial &&
	    !find_by_serial(store, req->customer_id, req->serial, &ref, &r.line_no, error))
		return FALSE;
	if (ref == NULL) {
		*refusal = g_strdup("please tell us the number of the order you want to return");
		return audit_refused(store, actor, req, "return request without an order number", error);
	}

	cd_order_info o = {0};
	gboolean found = FALSE;
	gboolean ok = cd_order_load(store, ref, 0, &o, &found, error);
	if (!ok)
		goto out;
	if (!found || req->customer_id == 0 || o.customer_id != req->customer_id) {
		/* The same words for unknown and foreign orders: a stranger learns nothing. */
		*refusal = g_strdup_printf("we could not find order %s for your address", ref);
		char *note = g_strdup_printf("return request for order %s: no such order for this customer", ref);
		ok = audit_refused(store, actor, req, note, error);
		g_free(note);
		goto out;
	}

	GPtrArray *lines = load_lines(store, o.id, error);
	if (lines == NULL) {
		ok = FALSE;
		goto out;
	}
	line_info *line = NULL;
	gboolean missing = FALSE;
	char *agent_note = NULL;
	pick_line(lines, &r, &o, &line, &missing, &agent_note);
	if (line && req->serial && *req->serial && line->serial && *line->serial &&
	    g_ascii_strcasecmp(line->serial, req->serial) != 0) {
		char *label = line_label(line);
		agent_note = g_strdup_printf("the customer gives serial %s but %s was shipped with serial %s", req->serial,
		                             label, line->serial);
		g_free(label);
	}

	/* The request itself, before any decision: the history shows what was asked. */
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO rmas(ticket_id, customer_id, order_id, order_line_id, quantity, reason, "
	                                 "serial, agent_note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                                 error);
	ok = st != NULL;
	if (ok) {
		gint64 now = cd_now();
		if (req->ticket_id)
			sqlite3_bind_int64(st, 1, req->ticket_id);
		sqlite3_bind_int64(st, 2, req->customer_id);
		sqlite3_bind_int64(st, 3, o.id);
		if (line)
			sqlite3_bind_int64(st, 4, line->id);
		sqlite3_bind_int(st, 5, quantity);
		sqlite3_bind_text(st, 6, req->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, req->serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, agent_note, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, now);
		sqlite3_bind_int64(st, 10, now);
		ok = cd_store_run(store, st, error);
	}
	if (ok) {
		*rma_id = cd_store_last_id(store);
		char *what = line ? line_label(line) : g_strdup("line not named");
		char *tref = req->ticket_id ? cd_ticket_ref(req->ticket_id) : NULL;
		char *note = g_strdup_printf("order %s, %s, quantity %d%s%s%s%s", o.ref, what, quantity,
		                             req->reason ? ": " : "", req->reason ? req->reason : "", tref ? "; ticket " : "",
		                             tref ? tref : "");
		cd_audit_event ev = {.actor = actor, .entity = "rma", .entity_id = *rma_id, .customer_id = req->customer_id,
		                     .action = "created", .to_state = "requested", .note = note};
		ok = cd_audit(store, &ev, error);
		g_free(note);
		g_free(tref);
		g_free(what);
	}

	char *why = NULL;
	if (ok && g_strcmp0(o.status, "cancelled") == 0)
		why = g_strdup_printf("order %s was cancelled", o.ref);
	else if (ok && missing)
		why = g_strdup_printf("order %s has no line %d (it has %u line%s)", o.ref, r.line_no, lines->len,
		                      lines->len == 1 ? "" : "s");
	else if (ok && line)
		ok = line_check(store, &o, line, quantity, *rma_id, &why, error);

	cd_actor checks = {.actor_kind = "system", .actor = "RMA checks", .channel = actor ? actor->channel : NULL};
	if (ok && why) {
		ok = set_rma_text(store, *rma_id, "refusal_reason", why, error) &&
		     cd_machine_move(store, &cd_rma_machine, *rma_id, "rejected", &checks, why, NULL, error);
		*outcome = CD_RMA_REFUSED;
		*refusal = why;
		why = NULL;
	} else if (ok && agent_note == NULL && auto_authorize) {
		ok = cd_machine_move(store, &cd_rma_machine, *rma_id, "authorized", &checks, "every check passed", NULL, error);
		*outcome = CD_RMA_AUTHORIZED;
	} else if (ok) {
		*outcome = CD_RMA_REQUESTED;
	}
	g_free(why);
	g_free(agent_note);
	g_ptr_array_unref(lines);
out:
	cd_order_info_clear(&o);
	g_free(ref);
	if (!ok) {
		g_clear_pointer(refusal, g_free);
		*rma_id = 0;
	}
	return ok;
}

gboolean
cd_rma_find(cd_store *store, const char *ref, gint64 *id, GError **error)
{
	*id = cd_parse_ref(ref, "RMA");
	if (*id == 0 && ref) {
		char *end;
		gint64 v = g_ascii_strtoll(ref, &end, 10);
		if (*ref && *end == '\0' && v > 0)
			*id = v;
	}
	if (*id == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "'%s' is not an RMA reference (like RMA-000045)", ref ? ref : "");
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT 1 FROM rmas WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, *id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	sqlite3_reset(st);
	if (!row) {
		char *r = cd_rma_ref(*id);
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no %s", r);
		g_free(r);
		*id = 0;
		return FALSE;
	}
	return TRUE;
}

typedef struct {
	char *status;
	gint64 order_id;
	gint64 line_id;
	gint quantity;
} rma_info;

static gboolean
load_rma(cd_store *store, gint64 id, rma_info *r, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(
	    store, "SELECT status, coalesce(order_id, 0), coalesce(order_line_id, 0), quantity FROM rmas WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		char *ref = cd_rma_ref(id);
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no %s", ref);
		g_free(ref);
		return FALSE;
	}
	r->status = cd_col_dup(st, 0);
	r->order_id = sqlite3_column_int64(st, 1);
	r->line_id = sqlite3_column_int64(st, 2);
	r->quantity = sqlite3_column_int(st, 3);
	sqlite3_reset(st);
	return TRUE;
}

/* rma_line - the RMA's order and line (line NULL when it has none); lines owns the line. */
static gboolean
rma_line(cd_store *store, const rma_info *r, cd_order_info *o, GPtrArray **lines, line_info **line, GError **error)
{
	*lines = NULL;
	*line = NULL;
	gboolean found = FALSE;
	if (r->order_id == 0)
		return TRUE;
	if (!cd_order_load(store, NULL, r->order_id, o, &found, error))
		return FALSE;
	*lines = load_lines(store, r->order_id, error);
	if (*lines == NULL)
		return FALSE;
	for (guint i = 0; i < (*lines)->len; i++) {
		line_info *l = g_ptr_array_index(*lines, i);
		if (l->id == r->line_id)
			*line = l;
	}
	return TRUE;
}

gboolean
cd_rma_authorize(cd_store *store, gint64 rma_id, gint line_no, gboolean override, const cd_actor *actor,
                 const char *note, GError **error)
{
	rma_info r = {0};
	if (!load_rma(store, rma_id, &r, error))
		return FALSE;
	char *ref = cd_rma_ref(rma_id);
	cd_order_info o = {0};
	GPtrArray *lines = NULL;
	line_info *line = NULL;
	char *why = NULL;
	gboolean ok = TRUE;
	if (!cd_machine_allows(&cd_rma_machine, r.status, "authorized")) {
		/* the machine's own error names both states */
		ok = cd_machine_move(store, &cd_rma_machine, rma_id, "authorized", actor, note, NULL, error);
		goto out;
	}
	ok = rma_line(store, &r, &o, &lines, &line, error);
	if (ok && line_no > 0) {
		line = lines ? line_by_no(lines, line_no) : NULL;
		if (line == NULL) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: order %s has no line %d", ref, o.ref ? o.ref : "(none)",
			            line_no);
			ok = FALSE;
		} else {
			sqlite3_stmt *st = cd_store_stmt(store, "UPDATE rmas SET order_line_id = ? WHERE id = ?", error);
			ok = st != NULL;
			if (ok) {
				sqlite3_bind_int64(st, 1, line->id);
				sqlite3_bind_int64(st, 2, rma_id);
				ok = cd_store_run(store, st, error);
			}
		}
	} else if (ok && line == NULL && !override) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: which line of order %s is returned? (give the line number)",
		            ref, o.ref ? o.ref : "(none)");
		ok = FALSE;
	}
	if (ok && line)
		ok = line_check(store, &o, line, r.quantity, rma_id, &why, error);
	if (ok && why && !override) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s cannot be authorized: %s", ref, why);
		ok = FALSE;
	}
	if (ok) {
		char *full = why ? g_strdup_printf("%s%soverride: %s", note ? note : "", note ? "; " : "", why) : g_strdup(note);
		ok = cd_machine_move(store, &cd_rma_machine, rma_id, "authorized", actor, full, NULL, error);
		g_free(full);
	}
out:
	g_free(why);
	if (lines)
		g_ptr_array_unref(lines);
	cd_order_info_clear(&o);
	g_free(r.status);
	g_free(ref);
	return ok;
}

gboolean
cd_rma_reject(cd_store *store, gint64 rma_id, const char *reason, const cd_actor *actor, GError **error)
{
	if (reason == NULL || *reason == '\0') {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "a rejection needs the reason the customer is told");
		return FALSE;
	}
	return cd_machine_move(store, &cd_rma_machine, rma_id, "rejected", actor, reason, NULL, error) &&
	       set_rma_text(store, rma_id, "refusal_reason", reason, error);
}

/* order_fully_refunded - every line refunded in full: the order goes to returned (if it may). */
static gboolean
order_fully_refunded(cd_store *store, gint64 order_id, gint64 rma_id, const cd_actor *actor, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT count(*), (SELECT status FROM orders WHERE id = ?1) FROM order_lines l "
	                                 "WHERE l.order_id = ?1 AND l.quantity > (SELECT coalesce(sum(r.quantity), 0) FROM rmas r "
	                                 "WHERE r.order_line_id = l.id AND r.refund_cents IS NOT NULL "
	                                 "AND r.status IN ('refunded', 'closed'))",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, order_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gint64 open_lines = sqlite3_column_int64(st, 0);
	char *status = cd_col_dup(st, 1);
	sqlite3_reset(st);
	gboolean ok = TRUE;
	if (open_lines == 0 && cd_machine_allows(&cd_order_machine, status, "returned")) {
		char *ref = cd_rma_ref(rma_id);
		char *note = g_strdup_printf("every line refunded (last: %s)", ref);
		cd_actor a = {.actor_kind = "system", .actor = "RMA checks", .channel = actor ? actor->channel : NULL};
		ok = cd_machine_move(store, &cd_order_machine, order_id, "returned", &a, note, NULL, error);
		g_free(note);
		g_free(ref);
	}
	g_free(status);
	return ok;
}

gboolean
cd_rma_refund(cd_store *store, gint64 rma_id, gint64 cents, gboolean override, const cd_actor *actor,
              const char *note, GError **error)
{
	rma_info r = {0};
	if (!load_rma(store, rma_id, &r, error))
		return FALSE;
	cd_order_info o = {0};
	GPtrArray *lines = NULL;
	line_info *line = NULL;
	gboolean ok = cents >= 0;
	if (!ok)
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "a refund cannot be negative");
	ok = ok && rma_line(store, &r, &o, &lines, &line, error);
	char *amount = cd_format_cents(cents);
	if (ok && line && line->unit_price_cents > 0 && cents > line->unit_price_cents * r.quantity && !override) {
		char *paid = cd_format_cents(line->unit_price_cents * r.quantity);
		char *label = line_label(line);
		char *ref = cd_rma_ref(rma_id);
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: a refund of %s is more than the %s paid for %d of %s", ref,
		            amount, paid, r.quantity, label);
		g_free(ref);
		g_free(label);
		g_free(paid);
		ok = FALSE;
	}
	if (ok) {
		char *full = g_strdup_printf("refund %s%s%s", amount, note ? ": " : "", note ? note : "");
		ok = cd_machine_move(store, &cd_rma_machine, rma_id, "refunded", actor, full, NULL, error);
		g_free(full);
	}
	if (ok) {
		sqlite3_stmt *st = cd_store_stmt(store, "UPDATE rmas SET refund_cents = ? WHERE id = ?", error);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_int64(st, 1, cents);
			sqlite3_bind_int64(st, 2, rma_id);
			ok = cd_store_run(store, st, error);
		}
	}
	if (ok && r.order_id)
		ok = order_fully_refunded(store, r.order_id, rma_id, actor, error);
	g_free(amount);
	if (lines)
		g_ptr_array_unref(lines);
	cd_order_info_clear(&o);
	g_free(r.status);
	return ok;
}

gboolean
cd_rma_set_status(cd_store *store, gint64 rma_id, const char *to, const cd_actor *actor, const char *note,
                  GError **error)
{
	if (g_strcmp0(to, "authorized") == 0)
		return cd_rma_authorize(store, rma_id, 0, FALSE, actor, note, error);
	if (g_strcmp0(to, "rejected") == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "a rejection needs the reason the customer is told");
		return FALSE;
	}
	if (g_strcmp0(to, "refunded") == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "a refund needs the amount");
		return FALSE;
	}
	return cd_machine_move(store, &cd_rma_machine, rma_id, to, actor, note, NULL, error);
}
