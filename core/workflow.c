/* workflow.c - the state machines as data and the transition function (see workflow.h). */
#include "workflow.h"
#include "result.h"
#include "util.h"

static const char *const ticket_states[] = {"new", "open", "pending", "resolved", "closed", NULL};

/* A customer reply re-opens pending and resolved tickets; closed is final (a reply opens a follow-up). */
static const cd_transition ticket_transitions[] = {
	{"new", "open"},       {"new", "pending"},      {"new", "resolved"},     {"new", "closed"},
	{"open", "pending"},   {"open", "resolved"},    {"open", "closed"},      {"pending", "open"},
	{"pending", "resolved"}, {"pending", "closed"}, {"resolved", "open"},    {"resolved", "closed"},
};

const cd_machine cd_ticket_machine = {
	.entity = "ticket",
	.table = "tickets",
	.states = ticket_states,
	.transitions = ticket_transitions,
	.n_transitions = G_N_ELEMENTS(ticket_transitions),
};

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

gboolean
cd_ticket_set_status(cd_store *store, gint64 ticket_id, const char *to, const cd_actor *actor, const char *note,
                     GError **error)
{
	if (!cd_machine_has_state(&cd_ticket_machine, to)) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "unknown ticket status '%s' (one of new, open, pending, resolved, closed)", to);
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT status, customer_id FROM tickets WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, ticket_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no ticket %" G_GINT64_FORMAT, ticket_id);
		return FALSE;
	}
	char *from = cd_col_dup(st, 0);
	gint64 customer_id = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (!cd_machine_allows(&cd_ticket_machine, from, to)) {
		char *ref = cd_ticket_ref(ticket_id);
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: a ticket cannot go from %s to %s", ref, from, to);
		g_free(ref);
		g_free(from);
		return FALSE;
	}
	st = cd_store_stmt(store,
	                   "UPDATE tickets SET status = ?1, updated_at = ?2, "
	                   "resolved_at = CASE WHEN ?1 = 'resolved' THEN ?2 ELSE resolved_at END, "
	                   "closed_at = CASE WHEN ?1 = 'closed' THEN ?2 ELSE closed_at END WHERE id = ?3",
	                   error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, cd_now());
		sqlite3_bind_int64(st, 3, ticket_id);
		ok = cd_store_run(store, st, error);
	}
	if (ok) {
		cd_audit_event ev = {.actor = actor, .entity = "ticket", .entity_id = ticket_id, .customer_id = customer_id,
		                     .action = "status", .from_state = from, .to_state = to, .note = note};
		ok = cd_audit(store, &ev, error);
	}
	g_free(from);
	return ok;
}
