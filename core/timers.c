/* timers.c - auto-close, SLA escalation and the expiries (see timers.h). */
#include "timers.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

static void
action_free(gpointer p)
{
	cd_timer_action *a = p;
	g_free(a->entity);
	g_free(a->ref);
	g_free(a->action);
	g_free(a->from);
	g_free(a->to);
	g_free(a->note);
	g_free(a);
}

void
cd_timer_stats_clear(cd_timer_stats *stats)
{
	if (stats->actions)
		g_ptr_array_unref(stats->actions);
	memset(stats, 0, sizeof *stats);
}

static void
record(cd_timer_stats *stats, const char *entity, char *ref, const char *action, const char *from, const char *to,
       char *note)
{
	cd_timer_action *a = g_new0(cd_timer_action, 1);
	a->entity = g_strdup(entity);
	a->ref = ref;
	a->action = g_strdup(action);
	a->from = g_strdup(from);
	a->to = g_strdup(to);
	a->note = note;
	g_ptr_array_add(stats->actions, a);
}

typedef struct {
	gint64 id;
	gint64 t;        /* the time the rule counts from */
	char *text;      /* extra column (priority) */
	char *text2;     /* extra column (queue) */
	gint64 n;        /* extra number (SLA minutes) */
} due_row;

static void
due_clear(gpointer p)
{
	due_row *r = p;
	g_free(r->text);
	g_free(r->text2);
}

/* due - rows of a SELECT returning id, time[, text, text2, n] with ?1 bound to the cut-off time. */
static GArray *
due(cd_store *store, const char *sql, gint64 cutoff, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, cutoff);
	GArray *rows = g_array_new(FALSE, TRUE, sizeof(due_row));
	g_array_set_clear_func(rows, due_clear);
	int ncols = sqlite3_column_count(st);
	gboolean row;
	while (cd_store_step(store, st, &row, error)) {
		if (!row) {
			sqlite3_reset(st);
			return rows;
		}
		due_row r = {.id = sqlite3_column_int64(st, 0), .t = sqlite3_column_int64(st, 1)};
		if (ncols > 2)
			r.text = cd_col_dup(st, 2);
		if (ncols > 3)
			r.text2 = cd_col_dup(st, 3);
		if (ncols > 4)
			r.n = sqlite3_column_int64(st, 4);
		g_array_append_val(rows, r);
	}
	g_array_unref(rows);
	return NULL;
}

/* expire_rows - move every due row of mc to `to`, counting and recording each. */
static gboolean
move_rows(cd_store *store, const cd_machine *mc, GArray *rows, const char *to, const char *action, guint *count,
          cd_timer_stats *stats, char *(*note_of)(const due_row *r, gint64 now), gint64 now, GError **error)
{
	for (guint i = 0; i < rows->len; i++) {
		due_row *r = &g_array_index(rows, due_row, i);
		char *note = note_of(r, now);
		char *from = NULL;
		if (!cd_machine_move(store, mc, r->id, to, &cd_actor_timer, note, &from, error)) {
			g_free(note);
			return FALSE;
		}
		(*count)++;
		record(stats, mc->entity, cd_machine_ref(store, mc, r->id, NULL), action, from, to, note);
		g_free(from);
	}
	return TRUE;
}

static char *
days_since(gint64 t, gint64 now)
{
	gint64 d = (now - t) / 86400;
	return g_strdup_printf("%" G_GINT64_FORMAT " day%s", d, d == 1 ? "" : "s");
}

static char *
note_autoclose(const due_row *r, gint64 now)
{
	char *d = days_since(r->t, now);
	char *s = g_strdup_printf("resolved %s ago", d);
	g_free(d);
	return s;
}

static char *
note_rma(const due_row *r, gint64 now)
{
	char *d = days_since(r->t, now);
	char *s = g_strdup_printf("goods not received %s after authorization", d);
	g_free(d);
	return s;
}

static char *
note_valid_until(const due_row *r, gint64 now)
{
	char *t = cd_format_time(r->t);
	char *s = g_strdup_printf("valid until %s", t);
	g_free(t);
	return s;
}

static char *
note_code(const due_row *r, gint64 now)
{
	char *t = cd_format_time(r->t);
	char *s = g_strdup_printf("code valid until %s", t);
	g_free(t);
	return s;
}

static gboolean
escalate(cd_store *store, gint64 now, cd_timer_stats *stats, GError **error)
{
	/* Waiting since the ticket was opened when no agent ever answered, else since the customer's
	 * last message after the agent's; the cut-off is computed per row from the queue's SLA. */
	GArray *rows = due(store,
	                   "SELECT t.id, CASE WHEN t.last_agent_at IS NULL THEN t.created_at ELSE t.last_customer_at END AS since, "
	                   "t.priority, q.name, q.sla_minutes FROM tickets t JOIN queues q ON q.id = t.queue_id "
	                   "WHERE t.status IN ('new', 'open') AND t.escalated_at IS NULL AND q.sla_minutes > 0 "
	                   "AND t.type != 'spam' AND t.auto_generated = 0 "
	                   "AND (t.last_agent_at IS NULL OR t.last_agent_at < coalesce(t.last_customer_at, t.created_at)) "
	                   "AND CASE WHEN t.last_agent_at IS NULL THEN t.created_at ELSE t.last_customer_at END "
	                   "+ q.sla_minutes * 60 <= ?1 ORDER BY t.id",
	                   now, error);
	if (rows == NULL)
		return FALSE;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < rows->len; i++) {
		due_row *r = &g_array_index(rows, due_row, i);
		const char *to = cd_priority_raise(r->text);
		sqlite3_stmt *st = cd_store_stmt(store,
		                                 "UPDATE tickets SET escalated_at = ?1, priority = ?2, updated_at = ?1 "
		                                 "WHERE id = ?3 AND escalated_at IS NULL AND priority = ?4",
		                                 error);
		ok = st != NULL;
		if (!ok)
			break;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->id);
		sqlite3_bind_text(st, 4, r->text, -1, SQLITE_STATIC);
		ok = cd_store_run(store, st, error);
		if (!ok || cd_store_changes(store) == 0)
			continue;
		st = cd_store_stmt(store, "SELECT customer_id FROM tickets WHERE id = ?", error);
		ok = st != NULL;
		gboolean row = FALSE;
		if (ok) {
			sqlite3_bind_int64(st, 1, r->id);
			ok = cd_store_step(store, st, &row, error);
		}
		gint64 customer_id = ok && row ? sqlite3_column_int64(st, 0) : 0;
		if (st)
			sqlite3_reset(st);
		char *note = g_strdup_printf("no agent answer within %" G_GINT64_FORMAT " minutes (SLA of queue %s)", r->n,
		                             r->text2);
		cd_audit_event ev = {.actor = &cd_actor_timer, .entity = "ticket", .entity_id = r->id,
		                     .customer_id = customer_id, .action = "escalated", .from_state = r->text, .to_state = to,
		                     .note = note};
		ok = ok && cd_audit(store, &ev, error);
		if (ok) {
			stats->tickets_escalated++;
			record(stats, "ticket", cd_ticket_ref(r->id), "escalated", r->text, to, note);
		} else {
			g_free(note);
		}
	}
	g_array_unref(rows);
	return ok;
}

static gboolean
run_all(cd_store *store, const cd_workflow_settings *ws, gint64 now, cd_timer_stats *stats, GError **error)
{
	GArray *rows;
	gboolean ok = TRUE;
	if (ws->autoclose_days > 0) {
		rows = due(store,
		           "SELECT id, coalesce(resolved_at, updated_at) FROM tickets WHERE status = 'resolved' "
		           "AND coalesce(resolved_at, updated_at) <= ?1 ORDER BY id",
		           now - (gint64)ws->autoclose_days * 86400, error);
		ok = rows != NULL && move_rows(store, &cd_ticket_machine, rows, "closed", "closed", &stats->tickets_closed,
		                               stats, note_autoclose, now, error);
		if (rows)
			g_array_unref(rows);
	}
	ok = ok && escalate(store, now, stats, error);
	if (ok && ws->rma_return_days > 0) {
		rows = due(store,
		           "SELECT id, coalesce(authorized_at, updated_at) FROM rmas WHERE status = 'authorized' "
		           "AND coalesce(authorized_at, updated_at) <= ?1 ORDER BY id",
		           now - (gint64)ws->rma_return_days * 86400, error);
		ok = rows != NULL &&
		     move_rows(store, &cd_rma_machine, rows, "expired", "expired", &stats->rmas_expired, stats, note_rma, now, error);
		if (rows)
			g_array_unref(rows);
	}
	if (ok) {
		rows = due(store,
		           "SELECT id, valid_until FROM offers WHERE status = 'new' AND valid_until IS NOT NULL "
		           "AND valid_until < ?1 ORDER BY id",
		           now, error);
		ok = rows != NULL && move_rows(store, &cd_offer_machine, rows, "expired", "expired", &stats->offers_expired,
		                               stats, note_valid_until, now, error);
		if (rows)
			g_array_unref(rows);
	}
	if (ok) {
		rows = due(store,
		           "SELECT id, expires_at FROM activations WHERE state = 'pending' AND expires_at IS NOT NULL "
		           "AND expires_at <= ?1 ORDER BY id",
		           now, error);
		ok = rows != NULL && move_rows(store, &cd_activation_machine, rows, "expired", "expired",
		                               &stats->activations_expired, stats, note_code, now, error);
		if (rows)
			g_array_unref(rows);
	}
	if (ok) {
		char *t = g_strdup_printf("%" G_GINT64_FORMAT, now);
		ok = cd_store_set_setting(store, "timers_last_run", t, error);
		g_free(t);
	}
	return ok;
}

gboolean
cd_timers_run(cd_store *store, const cd_config *cfg, gint64 now, cd_timer_stats *stats, GError **error)
{
	memset(stats, 0, sizeof *stats);
	stats->actions = g_ptr_array_new_with_free_func(action_free);
	cd_workflow_settings ws;
	if (!cd_workflow_settings_load(cfg, &ws, error))
		return FALSE;
	gboolean own = !cd_store_in_transaction(store);
	if (own ? !cd_store_begin(store, error) : !cd_store_savepoint(store, "timers", error))
		return FALSE;
	if (!run_all(store, &ws, now, stats, error)) {
		if (own)
			cd_store_rollback(store);
		else
			cd_store_rollback_to(store, "timers");
		/* nothing of a failed run stays: neither changes nor counts */
		g_ptr_array_set_size(stats->actions, 0);
		stats->tickets_closed = stats->tickets_escalated = stats->rmas_expired = 0;
		stats->offers_expired = stats->activations_expired = 0;
		return FALSE;
	}
	return own ? cd_store_commit(store, error) : cd_store_release(store, "timers", error);
}
