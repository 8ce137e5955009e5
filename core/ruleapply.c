/* ruleapply.c - applying a rule decision to a ticket (see ruleapply.h). */
#include "ruleapply.h"
#include "notify.h"
#include "activation.h"
#include "audit.h"
#include "result.h"
#include "rma.h"
#include "ticket.h"
#include "util.h"

const char *
cd_rule_customer_kind(gboolean is_agent, gint64 customer_id)
{
	if (is_agent)
		return "agent";
	return customer_id ? "known" : "unknown";
}

char **
cd_rule_customer_tags(cd_store *store, gint64 customer_id, GError **error)
{
	GPtrArray *tags = g_ptr_array_new();
	if (customer_id) {
		sqlite3_stmt *st = cd_store_stmt(store, "SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag", error);
		if (st == NULL) {
			g_ptr_array_free(tags, TRUE);
			return NULL;
		}
		sqlite3_bind_int64(st, 1, customer_id);
		gboolean row;
		while (cd_store_step(store, st, &row, error) && row)
			g_ptr_array_add(tags, cd_col_dup(st, 0));
		sqlite3_reset(st);
	}
	g_ptr_array_add(tags, NULL);
	return (char **)g_ptr_array_free(tags, FALSE);
}

gboolean
cd_rule_queue(cd_store *store, const cd_rule_decision *d, gint64 fallback_queue_id, gint64 *queue_id, GError **error)
{
	if (d == NULL || d->queue == NULL) {
		*queue_id = fallback_queue_id;
		return TRUE;
	}
	return cd_queue_find(store, d->queue, queue_id, error);
}

static cd_actor
rule_actor(const cd_rule_decision *d)
{
	cd_actor a = {.actor_kind = "rule", .channel = "email"};
	a.actor = d->matched && d->matched->len ? g_ptr_array_index(d->matched, d->matched->len - 1) : "rules";
	return a;
}

static gboolean
audit_ticket(cd_store *store, const cd_actor *actor, gint64 ticket_id, gint64 customer_id, const char *action,
             const char *from, const char *to, const char *note, GError **error)
{
	cd_audit_event ev = {.actor = actor, .entity = "ticket", .entity_id = ticket_id, .customer_id = customer_id,
	                     .action = action, .from_state = from, .to_state = to, .note = note};
	return cd_audit(store, &ev, error);
}

/* set_column - UPDATE tickets SET <column> = value, audited with the old value; no-op when equal. */
static gboolean
set_text_column(cd_store *store, const cd_actor *actor, gint64 ticket_id, gint64 customer_id, const char *column,
                const char *value, GError **error)
{
	char *sql = g_strdup_printf("SELECT %s FROM tickets WHERE id = ?", column);
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	g_free(sql);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, ticket_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	char *old = row ? cd_col_dup(st, 0) : NULL;
	sqlite3_reset(st);
	gboolean ok = TRUE;
	if (g_strcmp0(old, value) != 0) {
		sql = g_strdup_printf("UPDATE tickets SET %s = ?, updated_at = ? WHERE id = ?", column);
		st = cd_store_stmt(store, sql, error);
		g_free(sql);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, cd_now());
			sqlite3_bind_int64(st, 3, ticket_id);
			ok = cd_store_run(store, st, error);
		}
		ok = ok && audit_ticket(store, actor, ticket_id, customer_id, column, old, value, NULL, error);
	}
	g_free(old);
	return ok;
}

static gboolean
apply_assign(cd_store *store, const cd_actor *actor, gint64 ticket_id, gint64 customer_id, const char *login,
             GString *notes, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT id FROM agents WHERE login = ? AND active = 1", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gint64 agent = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (agent == 0) {
		g_string_append_printf(notes, "%srule assigns to %s, who is not an active agent", notes->len ? "; " : "", login);
		return TRUE;
	}
	/* only an unassigned ticket: a rule never takes a ticket away from an agent */
	st = cd_store_stmt(store, "UPDATE tickets SET assignee_id = ?, updated_at = ? WHERE id = ? AND assignee_id IS NULL",
	                   error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, agent);
	sqlite3_bind_int64(st, 2, cd_now());
	sqlite3_bind_int64(st, 3, ticket_id);
	if (!cd_store_run(store, st, error))
		return FALSE;
	if (cd_store_changes(store) == 0)
		return TRUE;
	return audit_ticket(store, actor, ticket_id, customer_id, "assign", NULL, login, NULL, error);
}

static gboolean
apply_tags_and_captures(cd_store *store, const cd_rule_decision *d, gint64 ticket_id, GError **error)
{
	for (guint i = 0; d->tags && i < d->tags->len; i++) {
		sqlite3_stmt *st = cd_store_stmt(store, "INSERT INTO ticket_tags(ticket_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
		                                 error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, ticket_id);
		sqlite3_bind_text(st, 2, g_ptr_array_index(d->tags, i), -1, SQLITE_STATIC);
		if (!cd_store_run(store, st, error))
			return FALSE;
	}
	if (d->captures == NULL)
		return TRUE;
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, d->captures);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		/* the first value captured for a ticket stays: a later reply cannot rewrite the order number */
		sqlite3_stmt *st = cd_store_stmt(
		    store, "INSERT INTO ticket_fields(ticket_id, name, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, ticket_id);
		sqlite3_bind_text(st, 2, k, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, v, -1, SQLITE_STATIC);
		if (!cd_store_run(store, st, error))
			return FALSE;
	}
	return TRUE;
}

static const char *
capture(const cd_rule_decision *d, const char *name)
{
	return d->captures ? g_hash_table_lookup(d->captures, name) : NULL;
}

static gboolean
config_bool(const cd_config *cfg, const char *group, const char *key, gboolean def)
{
	if (cfg == NULL || !g_key_file_has_key(cfg->keyfile, group, key, NULL))
		return def;
	return g_key_file_get_boolean(cfg->keyfile, group, key, NULL);
}

static gboolean
apply_rma(cd_store *store, const cd_config *cfg, const cd_rule_decision *d, const cd_actor *actor, gint64 ticket_id,
          gint64 customer_id, const char *message_id, GString *notes, GError **error)
{
	const char *qty = capture(d, "quantity");
	const char *line = capture(d, "line");
	cd_rma_req req = {.customer_id = customer_id,
	                      .order_ref = capture(d, "order"),
	                      .sku = capture(d, "sku"),
	                      .serial = capture(d, "serial"),
	                      .line_no = line ? (gint)g_ascii_strtoll(line, NULL, 10) : 0,
	                      .quantity = qty ? (gint)g_ascii_strtoll(qty, NULL, 10) : 0,
	                      .reason = capture(d, "reason"),
	                      .ticket_id = ticket_id};
	if (req.order_ref == NULL && req.serial == NULL) {
		/* asked once per ticket; the reply that names the order comes back through these rules */
		g_string_append_printf(notes, "%sreturn request without an order number: the customer is asked for it",
		                       notes->len ? "; " : "");
		return cd_notify_rma_need_order(store, ticket_id, message_id, req.reason, error);
	}
	cd_rma_outcome outcome;
	gint64 rma_id = 0;
	char *refusal = NULL;
	if (!cd_rma_request(store, &req, config_bool(cfg, "workflow", "rma_auto_authorize", TRUE), actor, &outcome,
	                    &rma_id, &refusal, error))
		return FALSE;
	char *ref = rma_id ? cd_rma_ref(rma_id) : g_strdup("no RMA");
	switch (outcome) {
	case CD_RMA_AUTHORIZED:
		g_string_append_printf(notes, "%s%s authorized for order %s", notes->len ? "; " : "", ref, req.order_ref);
		break;
	case CD_RMA_REQUESTED:
		g_string_append_printf(notes, "%s%s requested for order %s: an agent decides", notes->len ? "; " : "", ref,
		                       req.order_ref);
		break;
	case CD_RMA_REFUSED:
		g_string_append_printf(notes, "%sreturn refused (%s): %s", notes->len ? "; " : "", ref,
		                       refusal ? refusal : "?");
		break;
	}
	g_free(ref);
	/* authorized and refused RMAs moved through the machine, whose observer told the customer; a
	 * request that opened none is answered here */
	gboolean ok = TRUE;
	if (outcome == CD_RMA_REQUESTED && rma_id)
		ok = cd_notify_rma(store, rma_id, "requested", error);
	else if (outcome == CD_RMA_REFUSED && rma_id == 0)
		ok = cd_notify_rma_not_opened(store, ticket_id, message_id, req.order_ref, req.reason, refusal, error);
	g_free(refusal);
	return ok;
}

static gboolean
apply_activation(cd_store *store, const cd_rule_decision *d, const cd_actor *actor, gint64 customer_id,
                 GString *notes, GError **error)
{
	const char *code = capture(d, "code");
	if (code == NULL || customer_id == 0)
		return TRUE;
	gboolean activated = FALSE;
	char *why = NULL;
	if (!cd_activation_try_code(store, customer_id, code, actor, &activated, &why, error))
		return FALSE;
	g_string_append_printf(notes, "%sactivation code: %s", notes->len ? "; " : "",
	                       activated ? "account activated" : why ? why : "not accepted");
	g_free(why);
	return TRUE;
}

/* ticket_has_rma - a reply that repeats "I want to return order A1001" must not ask twice. */
static gboolean
ticket_has_rma(cd_store *store, gint64 ticket_id, gboolean *yes, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT 1 FROM rmas WHERE ticket_id = ? LIMIT 1", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, ticket_id);
	gboolean ok = cd_store_step(store, st, yes, error);
	sqlite3_reset(st);
	return ok;
}

gboolean
cd_rule_apply(cd_store *store, const cd_config *cfg, const cd_rule_decision *d, gint64 ticket_id, gboolean new_ticket,
              gint64 customer_id, const char *message_id, char **note, GError **error)
{
	*note = NULL;
	if (d == NULL || d->matched == NULL || d->matched->len == 0)
		return TRUE;
	cd_actor actor = rule_actor(d);
	GString *notes = g_string_new(NULL);
	gboolean ok = TRUE;
	if (new_ticket && d->type)
		ok = set_text_column(store, &actor, ticket_id, customer_id, "type", d->type, error);
	if (ok && d->priority)
		ok = set_text_column(store, &actor, ticket_id, customer_id, "priority", d->priority, error);
	if (ok && d->assign)
		ok = apply_assign(store, &actor, ticket_id, customer_id, d->assign, notes, error);
	ok = ok && apply_tags_and_captures(store, d, ticket_id, error);
	gboolean has_rma = FALSE;
	if (ok && g_strcmp0(d->type, "rma") == 0)
		ok = ticket_has_rma(store, ticket_id, &has_rma, error);
	if (ok && g_strcmp0(d->type, "rma") == 0 && !has_rma)
		ok = apply_rma(store, cfg, d, &actor, ticket_id, customer_id, message_id, notes, error);
	if (ok && g_strcmp0(d->type, "activation") == 0)
		ok = apply_activation(store, d, &actor, customer_id, notes, error);
	*note = notes->len ? g_string_free(notes, FALSE) : (g_string_free(notes, TRUE), NULL);
	return ok;
}
