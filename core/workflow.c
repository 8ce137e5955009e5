/* workflow.c - the state machines as data, the transition function, ticket changes by agents and
 * the [workflow] settings (see workflow.h). */
#include "workflow.h"
#include "result.h"
#include "util.h"

#include <string.h>

const cd_actor cd_actor_timer = {.actor_kind = "timer", .actor = "timers", .channel = "timer"};

/* Tickets. A customer reply re-opens pending and resolved tickets; closed is final (a reply opens a
 * follow-up). Resolved tickets auto-close after autoclose_days (timers.c). */
static const char *const ticket_states[] = {"new", "open", "pending", "resolved", "closed", NULL};
static const cd_transition ticket_transitions[] = {
	{"new", "open"},       {"new", "pending"},      {"new", "resolved"},     {"new", "closed"},
	{"open", "pending"},   {"open", "resolved"},    {"open", "closed"},      {"pending", "open"},
	{"pending", "resolved"}, {"pending", "closed"}, {"resolved", "open"},    {"resolved", "closed"},
};
static const cd_stamp ticket_stamps[] = {{"resolved", "resolved_at", FALSE}, {"closed", "closed_at", FALSE}};

const cd_machine cd_ticket_machine = {
	.entity = "ticket",
	.table = "tickets",
	.states = ticket_states,
	.transitions = ticket_transitions,
	.n_transitions = G_N_ELEMENTS(ticket_transitions),
	.noun = "a ticket",
	.column = "status",
	.owner = "customer_id",
	.ref_sql = "printf('T-%06d', id)",
	.stamps = ticket_stamps,
	.n_stamps = G_N_ELEMENTS(ticket_stamps),
	.has_updated_at = TRUE,
};

/* RMAs (DESIGN.md section 6), with two additions: inspection may reject (the damage is not covered;
 * the goods go back), and goods that arrive after an RMA expired can still be received. */
static const char *const rma_states[] = {"requested", "authorized", "rejected", "received", "inspected", "refunded",
                                         "replaced",  "repaired",   "closed",   "expired",  NULL};
static const cd_transition rma_transitions[] = {
	{"requested", "authorized"}, {"requested", "rejected"}, {"authorized", "received"}, {"authorized", "expired"},
	{"expired", "received"},     {"received", "inspected"}, {"inspected", "refunded"},  {"inspected", "replaced"},
	{"inspected", "repaired"},   {"inspected", "rejected"}, {"refunded", "closed"},     {"replaced", "closed"},
	{"repaired", "closed"},
};
static const cd_stamp rma_stamps[] = {
	{"authorized", "authorized_at", FALSE}, {"authorized", "decided_at", FALSE}, {"rejected", "decided_at", FALSE},
	{"received", "received_at", FALSE},     {"inspected", "inspected_at", FALSE}, {"refunded", "resolved_at", FALSE},
	{"replaced", "resolved_at", FALSE},     {"repaired", "resolved_at", FALSE},  {"closed", "closed_at", FALSE},
};

const cd_machine cd_rma_machine = {
	.entity = "rma",
	.table = "rmas",
	.states = rma_states,
	.transitions = rma_transitions,
	.n_transitions = G_N_ELEMENTS(rma_transitions),
	.noun = "an RMA",
	.column = "status",
	.owner = "customer_id",
	.ref_sql = "printf('RMA-%06d', id)",
	.stamps = rma_stamps,
	.n_stamps = G_N_ELEMENTS(rma_stamps),
	.has_updated_at = TRUE,
};

/* Offers: the customer decides (web), or the offer expires after valid_until (timers.c). */
static const char *const offer_states[] = {"new", "accepted", "rejected", "expired", NULL};
static const cd_transition offer_transitions[] = {{"new", "accepted"}, {"new", "rejected"}, {"new", "expired"}};
static const cd_stamp offer_stamps[] = {{"accepted", "decided_at", FALSE}, {"rejected", "decided_at", FALSE}};

const cd_machine cd_offer_machine = {
	.entity = "offer",
	.table = "offers",
	.states = offer_states,
	.transitions = offer_transitions,
	.n_transitions = G_N_ELEMENTS(offer_transitions),
	.noun = "an offer",
	.column = "status",
	.owner = "customer_id",
	.ref_sql = "ref",
	.stamps = offer_stamps,
	.n_stamps = G_N_ELEMENTS(offer_stamps),
	.has_updated_at = TRUE,
};

/* Orders, as the shop drives them (import, API) and RMAs (fully refunded: returned). new -> shipped
 * is for orders shipped on invoice; shipped -> returned for parcels that come back undelivered. */
static const char *const order_states[] = {"new", "paid", "shipped", "delivered", "cancelled", "returned", NULL};
static const cd_transition order_transitions[] = {
	{"new", "paid"},           {"new", "shipped"},       {"new", "cancelled"},    {"paid", "shipped"},
	{"paid", "cancelled"},     {"shipped", "delivered"}, {"shipped", "returned"}, {"delivered", "returned"},
};
static const cd_stamp order_stamps[] = {{"delivered", "delivered_at", TRUE}};

const cd_machine cd_order_machine = {
	.entity = "order",
	.table = "orders",
	.states = order_states,
	.transitions = order_transitions,
	.n_transitions = G_N_ELEMENTS(order_transitions),
	.noun = "an order",
	.column = "status",
	.owner = "customer_id",
	.ref_sql = "ref",
	.stamps = order_stamps,
	.n_stamps = G_N_ELEMENTS(order_stamps),
	.has_updated_at = TRUE,
};

/* Activations: one code, link or approval; it activates, expires, or fails after too many wrong codes. */
static const char *const activation_states[] = {"pending", "activated", "expired", "failed", NULL};
static const cd_transition activation_transitions[] = {
	{"pending", "activated"}, {"pending", "expired"}, {"pending", "failed"}};
static const cd_stamp activation_stamps[] = {{"activated", "activated_at", FALSE}};

const cd_machine cd_activation_machine = {
	.entity = "activation",
	.table = "activations",
	.states = activation_states,
	.transitions = activation_transitions,
	.n_transitions = G_N_ELEMENTS(activation_transitions),
	.noun = "an activation",
	.column = "state",
	.owner = "customer_id",
	.ref_sql = "printf('activation %d', id)",
	.stamps = activation_stamps,
	.n_stamps = G_N_ELEMENTS(activation_stamps),
	.has_updated_at = TRUE,
};

/* Customers: a pending customer activates (activation.c); admins disable and re-enable. */
static const char *const customer_states[] = {"pending", "active", "disabled", NULL};
static const cd_transition customer_transitions[] = {
	{"pending", "active"}, {"pending", "disabled"}, {"active", "disabled"}, {"disabled", "active"}};

const cd_machine cd_customer_machine = {
	.entity = "customer",
	.table = "customers",
	.states = customer_states,
	.transitions = customer_transitions,
	.n_transitions = G_N_ELEMENTS(customer_transitions),
	.noun = "a customer",
	.column = "status",
	.owner = "id",
	.ref_sql = "coalesce(email, phone, printf('customer %d', id))",
	.has_updated_at = TRUE,
};

const cd_machine *const cd_machines[] = {&cd_ticket_machine,     &cd_rma_machine,      &cd_offer_machine,
                                         &cd_order_machine,      &cd_activation_machine, &cd_customer_machine,
                                         NULL};

gboolean
cd_machine_has_state(const cd_machine *mc, const char *state)
{
	for (const char *const *s = mc->states; *s; s++)
		if (g_strcmp0(*s, state) == 0)
			return TRUE;
	return FALSE;
}

gboolean
cd_machine_allows(const cd_machine *mc, const char *from, const char *to)
{
	for (gsize i = 0; i < mc->n_transitions; i++)
		if (g_strcmp0(mc->transitions[i].from, from) == 0 && g_strcmp0(mc->transitions[i].to, to) == 0)
			return TRUE;
	return FALSE;
}

char *
cd_machine_states_text(const cd_machine *mc)
{
	return g_strjoinv(", ", (char **)mc->states);
}

char *
cd_machine_transitions_text(const cd_machine *mc)
{
	GString *s = g_string_new(NULL);
	for (const char *const *from = mc->states; *from; from++) {
		gboolean first = TRUE;
		for (gsize i = 0; i < mc->n_transitions; i++) {
			if (strcmp(mc->transitions[i].from, *from) != 0)
				continue;
			if (first)
				g_string_append_printf(s, "%s%s -> ", s->len ? "; " : "", *from);
			g_string_append_printf(s, "%s%s", first ? "" : " | ", mc->transitions[i].to);
			first = FALSE;
		}
	}
	return g_string_free(s, FALSE);
}

char *
cd_machine_ref(cd_store *store, const cd_machine *mc, gint64 id, GError **error)
{
	char *sql = g_strdup_printf("SELECT %s FROM %s WHERE id = ?", mc->ref_sql, mc->table);
	char *ref = NULL;
	cd_store_lookup_text(store, sql, NULL, id, &ref, error);
	g_free(sql);
	return ref;
}

/* update_sql - UPDATE of mc's table into state `to`, guarded by the state the row was read in. */
static char *
update_sql(const cd_machine *mc, const char *to)
{
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "UPDATE %s SET %s = ?1", mc->table, mc->column);
	if (mc->has_updated_at)
		g_string_append(s, ", updated_at = ?2");
	for (gsize i = 0; i < mc->n_stamps; i++) {
		const cd_stamp *sp = &mc->stamps[i];
		if (strcmp(sp->state, to) != 0)
			continue;
		if (sp->keep)
			g_string_append_printf(s, ", %s = coalesce(%s, ?2)", sp->column, sp->column);
		else
			g_string_append_printf(s, ", %s = ?2", sp->column);
	}
	g_string_append_printf(s, " WHERE id = ?3 AND %s = ?4", mc->column);
	return g_string_free(s, FALSE);
}

static struct {
	cd_transition_observer fn;
	gpointer data;
} observer;

void
cd_workflow_set_observer(cd_transition_observer fn, gpointer data)
{
	observer.fn = fn;
	observer.data = data;
}

gboolean
cd_machine_move(cd_store *store, const cd_machine *mc, gint64 id, const char *to, const cd_actor *actor,
                const char *note, char **from_out, GError **error)
{
	if (from_out)
		*from_out = NULL;
	if (!cd_machine_has_state(mc, to)) {
		char *all = cd_machine_states_text(mc);
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "unknown %s %s '%s' (one of %s)", mc->entity, mc->column, to,
		            all);
		g_free(all);
		return FALSE;
	}
	char *sql = g_strdup_printf("SELECT %s, %s, %s FROM %s WHERE id = ?", mc->column, mc->owner, mc->ref_sql,
	                            mc->table);
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	g_free(sql);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no %s %" G_GINT64_FORMAT, mc->entity, id);
		return FALSE;
	}
	char *from = cd_col_dup(st, 0);
	gint64 customer_id = sqlite3_column_int64(st, 1);
	char *ref = cd_col_dup(st, 2);
	sqlite3_reset(st);
	gboolean ok = FALSE;
	if (!cd_machine_allows(mc, from, to)) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: %s cannot go from %s to %s%s", ref, mc->noun, from, to,
		            g_strcmp0(from, to) == 0 ? " (it already is)" : "");
		goto out;
	}
	sql = update_sql(mc, to);
	st = cd_store_stmt(store, sql, error);
	g_free(sql);
	if (st == NULL)
		goto out;
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cd_now());
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_text(st, 4, from, -1, SQLITE_STATIC);
	if (!cd_store_run(store, st, error))
		goto out;
	if (cd_store_changes(store) != 1) {
		/* Another connection moved it between our read and write (we were not in a write transaction). */
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "%s changed while we moved it from %s to %s: try again", ref, from,
		            to);
		goto out;
	}
	cd_audit_event ev = {.actor = actor, .entity = mc->entity, .entity_id = id, .customer_id = customer_id,
	                     .action = "status", .from_state = from, .to_state = to, .note = note};
	ok = cd_audit(store, &ev, error);
	if (ok && observer.fn)
		ok = observer.fn(store, mc, id, from, to, actor, observer.data, error);
out:
	if (ok && from_out)
		*from_out = from;
	else
		g_free(from);
	g_free(ref);
	return ok;
}

gboolean
cd_ticket_set_status(cd_store *store, gint64 ticket_id, const char *to, const cd_actor *actor, const char *note,
                     GError **error)
{
	return cd_machine_move(store, &cd_ticket_machine, ticket_id, to, actor, note, NULL, error);
}

const char *const cd_ticket_priorities[] = {"low", "normal", "high", "urgent", NULL};

gboolean
cd_priority_valid(const char *priority)
{
	return priority != NULL && g_strv_contains(cd_ticket_priorities, priority);
}

const char *
cd_priority_raise(const char *priority)
{
	for (gsize i = 0; cd_ticket_priorities[i]; i++)
		if (g_strcmp0(cd_ticket_priorities[i], priority) == 0)
			return cd_ticket_priorities[i + 1] ? cd_ticket_priorities[i + 1] : cd_ticket_priorities[i];
	return "normal";
}

/* ticket_value - the current value of a column (as text, newly allocated) and the ticket's customer. */
static gboolean
ticket_value(cd_store *store, gint64 ticket_id, const char *expr, char **value, gint64 *customer_id, GError **error)
{
	char *sql = g_strdup_printf("SELECT %s, customer_id FROM tickets t WHERE id = ?", expr);
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	g_free(sql);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, ticket_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		char *ref = cd_ticket_ref(ticket_id);
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no ticket %s", ref);
		g_free(ref);
		return FALSE;
	}
	*value = cd_col_dup(st, 0);
	*customer_id = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return TRUE;
}

/* ticket_change - UPDATE tickets SET <assignment> with ?1 = value (text or id), then the audit row. */
static gboolean
ticket_change(cd_store *store, gint64 ticket_id, const char *assignment, const char *text_value, gint64 id_value,
              const cd_actor *actor, const char *action, const char *from, const char *to, gint64 customer_id,
              const char *note, GError **error)
{
	char *sql = g_strdup_printf("UPDATE tickets SET %s, updated_at = ?2 WHERE id = ?3", assignment);
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	g_free(sql);
	if (st == NULL)
		return FALSE;
	if (text_value)
		sqlite3_bind_text(st, 1, text_value, -1, SQLITE_STATIC);
	else if (id_value)
		sqlite3_bind_int64(st, 1, id_value);
	sqlite3_bind_int64(st, 2, cd_now());
	sqlite3_bind_int64(st, 3, ticket_id);
	if (!cd_store_run(store, st, error))
		return FALSE;
	cd_audit_event ev = {.actor = actor, .entity = "ticket", .entity_id = ticket_id, .customer_id = customer_id,
	                     .action = action, .from_state = from, .to_state = to, .note = note};
	return cd_audit(store, &ev, error);
}

gboolean
cd_ticket_set_priority(cd_store *store, gint64 ticket_id, const char *priority, const cd_actor *actor,
                       const char *note, gboolean *changed, GError **error)
{
	if (changed)
		*changed = FALSE;
	if (!cd_priority_valid(priority)) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "unknown priority '%s' (one of low, normal, high, urgent)",
		            priority ? priority : "");
		return FALSE;
	}
	char *old = NULL;
	gint64 customer_id = 0;
	if (!ticket_value(store, ticket_id, "priority", &old, &customer_id, error))
		return FALSE;
	gboolean ok = TRUE;
	if (g_strcmp0(old, priority) != 0) {
		ok = ticket_change(store, ticket_id, "priority = ?1", priority, 0, actor, "priority", old, priority, customer_id,
		                   note, error);
		if (ok && changed)
			*changed = TRUE;
	}
	g_free(old);
	return ok;
}

gboolean
cd_ticket_assign(cd_store *store, gint64 ticket_id, const char *login, const cd_actor *actor, const char *note,
                 gboolean *changed, GError **error)
{
	if (changed)
		*changed = FALSE;
	gint64 agent = 0;
	if (login != NULL) {
		sqlite3_stmt *st = cd_store_stmt(store, "SELECT id FROM agents WHERE login = ? AND active = 1", error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
		gboolean row;
		if (!cd_store_step(store, st, &row, error))
			return FALSE;
		agent = row ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (agent == 0) {
			g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no active agent '%s'", login);
			return FALSE;
		}
	}
	char *old = NULL;
	gint64 customer_id = 0;
	if (!ticket_value(store, ticket_id, "(SELECT login FROM agents a WHERE a.id = t.assignee_id)", &old, &customer_id,
	                  error))
		return FALSE;
	gboolean ok = TRUE;
	if (g_strcmp0(old, login) != 0) {
		ok = ticket_change(store, ticket_id, "assignee_id = ?1", NULL, agent, actor, "assign", old, login, customer_id,
		                   note, error);
		if (ok && changed)
			*changed = TRUE;
	}
	g_free(old);
	return ok;
}

gboolean
cd_ticket_set_queue(cd_store *store, gint64 ticket_id, const char *queue, const cd_actor *actor, const char *note,
                    gboolean *changed, GError **error)
{
	if (changed)
		*changed = FALSE;
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT id FROM queues WHERE name = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gint64 queue_id = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (queue_id == 0) {
		st = cd_store_stmt(store, "SELECT group_concat(name, ', ') FROM (SELECT name FROM queues ORDER BY name)", error);
		if (st == NULL)
			return FALSE;
		if (!cd_store_step(store, st, &row, error))
			return FALSE;
		char *all = row ? cd_col_dup(st, 0) : NULL;
		sqlite3_reset(st);
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no queue '%s' (queues: %s)", queue, all ? all : "none");
		g_free(all);
		return FALSE;
	}
	char *old = NULL;
	gint64 customer_id = 0;
	if (!ticket_value(store, ticket_id, "(SELECT name FROM queues q WHERE q.id = t.queue_id)", &old, &customer_id,
	                  error))
		return FALSE;
	gboolean ok = TRUE;
	if (g_strcmp0(old, queue) != 0) {
		ok = ticket_change(store, ticket_id, "queue_id = ?1", NULL, queue_id, actor, "queue", old, queue, customer_id,
		                   note, error);
		if (ok && changed)
			*changed = TRUE;
	}
	g_free(old);
	return ok;
}

static gboolean
settings_int(const cd_config *cfg, const char *key, gint min, gint *out, GError **error)
{
	if (cfg == NULL || cfg->keyfile == NULL || !g_key_file_has_key(cfg->keyfile, "workflow", key, NULL))
		return TRUE;
	GError *e = NULL;
	gint v = g_key_file_get_integer(cfg->keyfile, "workflow", key, &e);
	if (e != NULL || v < min) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [workflow] %s: expected an integer >= %d",
		            cfg->path ? cfg->path : "config", key, min);
		g_clear_error(&e);
		return FALSE;
	}
	*out = v;
	return TRUE;
}

gboolean
cd_workflow_settings_load(const cd_config *cfg, cd_workflow_settings *out, GError **error)
{
	out->autoclose_days = 7;
	out->rma_return_days = 30;
	out->activation_code_minutes = 60;
	out->activation_max_attempts = 5;
	out->rma_auto_authorize = TRUE;
	out->offer_valid_days = 30;
	if (!settings_int(cfg, "autoclose_days", 0, &out->autoclose_days, error) ||
	    !settings_int(cfg, "rma_return_days", 0, &out->rma_return_days, error) ||
	    !settings_int(cfg, "activation_code_minutes", 1, &out->activation_code_minutes, error) ||
	    !settings_int(cfg, "activation_max_attempts", 1, &out->activation_max_attempts, error) ||
	    !settings_int(cfg, "offer_valid_days", 0, &out->offer_valid_days, error))
		return FALSE;
	if (cfg && cfg->keyfile && g_key_file_has_key(cfg->keyfile, "workflow", "rma_auto_authorize", NULL)) {
		GError *e = NULL;
		gboolean v = g_key_file_get_boolean(cfg->keyfile, "workflow", "rma_auto_authorize", &e);
		if (e != NULL) {
			g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [workflow] rma_auto_authorize: expected true or false",
			            cfg->path ? cfg->path : "config");
			g_error_free(e);
			return FALSE;
		}
		out->rma_auto_authorize = v;
	}
	return TRUE;
}
