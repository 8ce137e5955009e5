/* notify.c - outbound messages caused by inbound ones and by workflow transitions (see notify.h). */
#include "notify.h"
#include "agentcmd.h"
#include "parse.h"
#include "result.h"
#include "template.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

static const cd_outbox_ctx *installed;

static char *config_text(const char *group, const char *key);

const cd_outbox_ctx *
cd_notify_outbox(void)
{
	return installed;
}

/* ---- variables ---------------------------------------------------------------------------- */

static void
set_str(JsonObject *o, const char *key, const char *value)
{
	if (value)
		json_object_set_string_member(o, key, value);
	else
		json_object_set_null_member(o, key);
}

typedef struct {
	gint64 customer_id;
	gint64 assignee_id;
	char *customer_email;
	char *status;
	JsonObject *obj;      /* the "ticket" variables */
} ticket_info;

static void
ticket_info_clear(ticket_info *t)
{
	g_free(t->customer_email);
	g_free(t->status);
	if (t->obj)
		json_object_unref(t->obj);
	memset(t, 0, sizeof *t);
}

static gboolean
load_ticket(cd_store *store, gint64 ticket_id, ticket_info *t, GError **error)
{
	memset(t, 0, sizeof *t);
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT printf('T-%06d', t.id), t.subject, t.status, t.priority, q.name, "
	                                 "coalesce(t.customer_id, 0), coalesce(t.assignee_id, 0), c.email "
	                                 "FROM tickets t JOIN queues q ON q.id = t.queue_id "
	                                 "LEFT JOIN customers c ON c.id = t.customer_id WHERE t.id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, ticket_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		sqlite3_reset(st);
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no ticket %" G_GINT64_FORMAT, ticket_id);
		return FALSE;
	}
	t->obj = json_object_new();
	set_str(t->obj, "ref", cd_col_text(st, 0));
	set_str(t->obj, "subject", cd_col_text(st, 1));
	set_str(t->obj, "status", cd_col_text(st, 2));
	set_str(t->obj, "priority", cd_col_text(st, 3));
	set_str(t->obj, "queue", cd_col_text(st, 4));
	t->status = cd_col_dup(st, 2);
	t->customer_id = sqlite3_column_int64(st, 5);
	t->assignee_id = sqlite3_column_int64(st, 6);
	t->customer_email = cd_col_dup(st, 7);
	if (installed && installed->cfg && installed->cfg->web_base_url) {
		char *url = g_strdup_printf("%s/tickets/%s", installed->cfg->web_base_url, cd_col_text(st, 0));
		set_str(t->obj, "url", url);
		g_free(url);
	}
	sqlite3_reset(st);
	return TRUE;
}

/* add_ticket_vars - vars.ticket of ticket_id. */
static gboolean
add_ticket_vars(cd_store *store, JsonObject *vars, gint64 ticket_id, GError **error)
{
	ticket_info t;
	if (!load_ticket(store, ticket_id, &t, error))
		return FALSE;
	json_object_set_object_member(vars, "ticket", json_object_ref(t.obj));
	ticket_info_clear(&t);
	return TRUE;
}

static JsonObject *
message_vars(const char *text, const cd_message *m)
{
	JsonObject *o = json_object_new();
	set_str(o, "text", text ? text : "");
	json_object_set_boolean_member(o, "html_available", m && m->html != NULL);
	return o;
}

static JsonArray *
attachment_vars(const cd_message *m)
{
	JsonArray *a = json_array_new();
	for (guint i = 0; m && m->attachments && i < m->attachments->len; i++) {
		const cd_attachment *at = g_ptr_array_index(m->attachments, i);
		JsonObject *o = json_object_new();
		set_str(o, "name", at->filename ? at->filename : "(unnamed)");
		char *size = g_format_size((guint64)at->size);
		set_str(o, "size", size);
		g_free(size);
		json_array_add_object_element(a, o);
	}
	return a;
}

/* references_of - the thread for a reply to m: its References and its own Message-ID. */
static GPtrArray *
references_of(const cd_message *m)
{
	GPtrArray *r = g_ptr_array_new();
	for (guint i = 0; m && m->references && i < m->references->len; i++)
		g_ptr_array_add(r, g_ptr_array_index(m->references, i));
	if (m && m->message_id)
		g_ptr_array_add(r, m->message_id);
	return r;
}

/* ---- sending ------------------------------------------------------------------------------ */

/* sms_number_for - the number of a customer who gets SMS instead of mail (notify_channel sms, or
 * no mail address at all, as for a customer who only ever texted), or NULL. */
static gboolean
sms_number_for(cd_store *store, gint64 customer_id, char **number, GError **error)
{
	*number = NULL;
	return customer_id == 0 ||
	       cd_store_lookup_text(store,
	                            "SELECT phone FROM customers WHERE id = ? AND phone IS NOT NULL "
	                            "AND (notify_channel = 'sms' OR email IS NULL)",
	                            NULL, customer_id, number, error);
}

static gboolean
enqueue(const cd_outbox_msg *msg, GError **error)
{
	gint64 row;
	const char *why = NULL;
	cd_outbox_msg sms = *msg;
	char *number = NULL;
	/* a customer who prefers SMS gets the SMS version of a kind that has one */
	if ((msg->channel == NULL || strcmp(msg->channel, "email") == 0) && msg->agent_id == 0) {
		if (!sms_number_for(installed->store, msg->customer_id, &number, error))
			return FALSE;
		if (number && installed->templates && cd_tmpl_has(installed->templates, "sms", msg->kind)) {
			sms.channel = "sms";
			sms.recipient = number;
			msg = &sms;
		}
	}
	gboolean ok = cd_outbox_enqueue(installed, msg, &row, &why, error);
	g_free(number);
	if (!ok)
		return FALSE;
	if (why)
		g_info("outbox row %" G_GINT64_FORMAT " (%s to %s) not sent: %s", row, msg->kind, msg->recipient, why);
	return TRUE;
}

static char *
reply_address(gint64 ticket_id, const char *recipient)
{
	return cd_reply_address(installed->secret, installed->cfg->support_address, ticket_id, recipient);
}

typedef struct {
	gint64 id;
	char *email, *name, *login, *phone;
} agent_row;

static void
agent_row_free(gpointer p)
{
	agent_row *a = p;
	g_free(a->email);
	g_free(a->name);
	g_free(a->login);
	g_free(a->phone);
	g_free(a);
}

/* agents - active agents: one (agent_id), else all. */
static GPtrArray *
agents(cd_store *store, gint64 agent_id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT id, email, name, login, phone FROM agents WHERE active = 1 AND (?1 = 0 OR id = ?1) "
	                                 "ORDER BY id",
	                                 error);
	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, agent_id);
	GPtrArray *list = g_ptr_array_new_with_free_func(agent_row_free);
	gboolean row;
	while (cd_store_step(store, st, &row, error) && row) {
		agent_row *a = g_new0(agent_row, 1);
		a->id = sqlite3_column_int64(st, 0);
		a->email = cd_col_dup(st, 1);
		a->name = cd_col_dup(st, 2);
		a->login = cd_col_dup(st, 3);
		a->phone = cd_col_dup(st, 4);
		g_ptr_array_add(list, a);
	}
	sqlite3_reset(st);
	if (error && *error) {
		g_ptr_array_unref(list);
		return NULL;
	}
	return list;
}

static JsonObject *
agent_vars(const agent_row *a)
{
	JsonObject *o = json_object_new();
	set_str(o, "name", a->name);
	set_str(o, "login", a->login);
	return o;
}

/* agent_ticket_vars - what every agent notification shows: the ticket, the agent, the message. */
static JsonObject *
agent_ticket_vars(const ticket_info *t, const agent_row *a, const cd_message *m)
{
	JsonObject *vars = json_object_new();
	json_object_set_object_member(vars, "ticket", json_object_ref(t->obj));
	json_object_set_object_member(vars, "agent", agent_vars(a));
	json_object_set_object_member(vars, "message", message_vars(m ? m->reply_text : NULL, m));
	return vars;
}

/* notify_agents - kind to each agent (or only agent_id), each with their own reply address. */
static gboolean
notify_agents(cd_store *store, const char *kind, gint64 ticket_id, gint64 agent_id, gint64 message_id,
              const ticket_info *t, const cd_message *m, GError **error)
{
	GPtrArray *list = agents(store, agent_id, error);
	if (list == NULL)
		return FALSE;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < list->len; i++) {
		const agent_row *a = g_ptr_array_index(list, i);
		JsonObject *vars = agent_ticket_vars(t, a, m);
		json_object_set_array_member(vars, "attachments", attachment_vars(m));
		json_object_set_string_member(vars, "commands_help", cd_acmd_help());
		if (t->customer_email) {
			JsonObject *c = json_object_new();
			set_str(c, "email", t->customer_email);
			json_object_set_object_member(vars, "customer", c);
		}
		char *reply_to = reply_address(ticket_id, a->email);
		GPtrArray *refs = references_of(m);
		/* the customer's files go with it: an agent answering from a mail client sees the photo */
		cd_outbox_msg msg = {.kind = kind, .recipient = a->email, .ticket_id = ticket_id, .agent_id = a->id,
		                     .cause_message_id = message_id, .vars = vars, .reply_to = reply_to,
		                     .in_reply_to = m ? m->message_id : NULL, .references = refs, .lang = "en",
		                     .files_of = message_id, .files_inline_too = TRUE};
		ok = enqueue(&msg, error);
		g_ptr_array_unref(refs);
		g_free(reply_to);
		json_object_unref(vars);
	}
	g_ptr_array_unref(list);
	return ok;
}

/* customer_replies - each kind to the ticket's customer as an auto-reply (RFC 3834 and the daily
 * limit apply), threaded under m, with the ticket's reply address. */
static gboolean
customer_replies(gint64 ticket_id, gint64 message_id, const cd_message *m, const ticket_info *t, GPtrArray *kinds,
                 const cd_rule_decision *d, GError **error)
{
	gboolean ok = TRUE;
	for (guint i = 0; ok && t->customer_email && i < kinds->len; i++) {
		JsonObject *vars = json_object_new();
		json_object_set_object_member(vars, "ticket", json_object_ref(t->obj));
		json_object_set_object_member(vars, "message", message_vars(m ? m->reply_text : NULL, m));
		JsonObject *captures = json_object_new();
		if (d && d->captures) {
			GHashTableIter it;
			gpointer k, v;
			g_hash_table_iter_init(&it, d->captures);
			while (g_hash_table_iter_next(&it, &k, &v))
				set_str(captures, k, v);
		}
		json_object_set_object_member(vars, "captures", captures);
		char *reply_to = reply_address(ticket_id, t->customer_email);
		GPtrArray *refs = references_of(m);
		cd_outbox_msg msg = {.kind = g_ptr_array_index(kinds, i), .recipient = t->customer_email,
		                     .ticket_id = ticket_id, .customer_id = t->customer_id, .cause_message_id = message_id,
		                     .vars = vars, .reply_to = reply_to, .in_reply_to = m ? m->message_id : NULL,
		                     .references = refs, .auto_reply = TRUE};
		ok = enqueue(&msg, error);
		g_ptr_array_unref(refs);
		g_free(reply_to);
		json_object_unref(vars);
	}
	return ok;
}

/* named_agents - the agents a rule's notify names: an agent's login, or a queue (every active agent:
 * agents are not members of queues yet); a name that is neither is logged and skipped. Adds the
 * ids to ids (a set) and says whether it named everyone. */
static gboolean
named_agents(cd_store *store, GPtrArray *names, GHashTable *ids, gboolean *everyone, GError **error)
{
	*everyone = FALSE;
	for (guint i = 0; names && i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		gint64 id = 0;
		if (!cd_store_lookup_id(store, "SELECT id FROM agents WHERE login = ? AND active = 1", name, 0, &id, error))
			return FALSE;
		if (id) {
			g_hash_table_add(ids, g_memdup2(&id, sizeof id));
			continue;
		}
		if (!cd_store_lookup_id(store, "SELECT id FROM queues WHERE name = ?", name, 0, &id, error))
			return FALSE;
		if (id)
			*everyone = TRUE;
		else
			g_warning("rule notify \"%s\": no active agent or queue of that name", name);
	}
	return TRUE;
}

/* texted_priority - whether new tickets of this priority are texted to agents ([sms] agent_priorities). */
static gboolean
texted_priority(const char *priority)
{
	char *list = config_text("sms", "agent_priorities");
	char **prios = g_regex_split_simple("[\\s,]+", list ? list : "urgent high", 0, 0);
	gboolean yes = priority && g_strv_contains((const char *const *)prios, priority);
	g_strfreev(prios);
	g_free(list);
	return yes;
}

/* text_agents - a new urgent or high ticket: an SMS to every active agent with a phone. Their SMS
 * answer is relayed to the customer (ingest_sms.c finds the ticket by this row). */
static gboolean
text_agents(cd_store *store, gint64 ticket_id, gint64 message_id, const ticket_info *t, const cd_message *m,
            GError **error)
{
	const char *priority = json_object_get_string_member_with_default(t->obj, "priority", NULL);
	if (!texted_priority(priority))
		return TRUE;
	GPtrArray *list = agents(store, 0, error);
	if (list == NULL)
		return FALSE;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < list->len; i++) {
		const agent_row *a = g_ptr_array_index(list, i);
		if (a->phone == NULL || *a->phone == '\0')
			continue;
		JsonObject *vars = agent_ticket_vars(t, a, m);
		cd_outbox_msg msg = {.channel = "sms", .kind = "agent_sms_ticket", .recipient = a->phone,
		                     .ticket_id = ticket_id, .agent_id = a->id, .cause_message_id = message_id,
		                     .vars = vars, .lang = "en"};
		ok = enqueue(&msg, error);
		json_object_unref(vars);
	}
	g_ptr_array_unref(list);
	return ok;
}

gboolean
cd_notify_sms(cd_store *store, const char *kind, const char *number, gint64 ticket_id, gint64 customer_id,
              gint64 message_id, JsonObject *extra, const char *lang, GError **error)
{
	if (installed == NULL)
		return TRUE;
	JsonObject *vars = json_object_new();
	gboolean ok = ticket_id == 0 || add_ticket_vars(store, vars, ticket_id, error);
	if (extra) {
		GList *names = json_object_get_members(extra);
		for (GList *l = names; l; l = l->next)
			json_object_set_member(vars, l->data, json_node_copy(json_object_get_member(extra, l->data)));
		g_list_free(names);
	}
	cd_outbox_msg msg = {.channel = "sms", .kind = kind, .recipient = number, .ticket_id = ticket_id,
	                     .customer_id = customer_id, .cause_message_id = message_id, .vars = vars, .lang = lang,
	                     .auto_reply = TRUE};
	ok = ok && enqueue(&msg, error);
	json_object_unref(vars);
	return ok;
}

/* customer_texts - a rule's sms "KIND"s to the ticket's customer, when they have a phone number. */
static gboolean
customer_texts(cd_store *store, gint64 ticket_id, gint64 message_id, const ticket_info *t, const cd_rule_decision *d,
               GError **error)
{
	if (d == NULL || d->sms == NULL || d->sms->len == 0 || t->customer_id == 0)
		return TRUE;
	char *phone = NULL;
	gboolean ok = cd_store_lookup_text(store, "SELECT phone FROM customers WHERE id = ?", NULL, t->customer_id, &phone,
	                                   error);
	for (guint i = 0; ok && phone && i < d->sms->len; i++)
		ok = cd_notify_sms(store, g_ptr_array_index(d->sms, i), phone, ticket_id, t->customer_id, message_id, NULL,
		                   NULL, error);
	g_free(phone);
	return ok;
}

gboolean
cd_notify_new_ticket(cd_store *store, gint64 ticket_id, gint64 message_id, const cd_message *m, gboolean never_answer,
                     const cd_rule_decision *d, GError **error)
{
	if (installed == NULL)
		return TRUE;
	ticket_info t;
	if (!load_ticket(store, ticket_id, &t, error))
		return FALSE;
	/* the rules' replies take the place of the acknowledgement; every agent hears of a new ticket,
	 * so a rule's notify adds no one */
	GPtrArray *kinds = g_ptr_array_new();
	for (guint i = 0; d && d->replies && i < d->replies->len; i++)
		g_ptr_array_add(kinds, g_ptr_array_index(d->replies, i));
	if (kinds->len == 0)
		g_ptr_array_add(kinds, "ticket_ack");
	gboolean ok = never_answer || (customer_replies(ticket_id, message_id, m, &t, kinds, d, error) &&
	                               customer_texts(store, ticket_id, message_id, &t, d, error));
	g_ptr_array_unref(kinds);
	ok = ok && notify_agents(store, "agent_new_ticket", ticket_id, 0, message_id, &t, m, error);
	ok = ok && text_agents(store, ticket_id, message_id, &t, m, error);
	ticket_info_clear(&t);
	return ok;
}

gboolean
cd_notify_customer_reply(cd_store *store, gint64 ticket_id, gint64 message_id, const cd_message *m,
                         const cd_rule_decision *d, GError **error)
{
	if (installed == NULL)
		return TRUE;
	ticket_info t;
	if (!load_ticket(store, ticket_id, &t, error))
		return FALSE;
	GHashTable *ids = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	gboolean everyone = FALSE;
	gboolean ok = named_agents(store, d ? d->notifies : NULL, ids, &everyone, error);
	if (ok && (everyone || t.assignee_id == 0)) {
		ok = notify_agents(store, "agent_customer_reply", ticket_id, 0, message_id, &t, m, error);
	} else if (ok) {
		g_hash_table_add(ids, g_memdup2(&t.assignee_id, sizeof t.assignee_id));
		GHashTableIter it;
		gpointer id;
		g_hash_table_iter_init(&it, ids);
		while (ok && g_hash_table_iter_next(&it, &id, NULL))
			ok = notify_agents(store, "agent_customer_reply", ticket_id, *(gint64 *)id, message_id, &t, m, error);
	}
	g_hash_table_unref(ids);
	ok = ok && (d == NULL || d->replies == NULL || customer_replies(ticket_id, message_id, m, &t, d->replies, d, error));
	ok = ok && customer_texts(store, ticket_id, message_id, &t, d, error);
	ticket_info_clear(&t);
	return ok;
}

/* last_customer_message - the Message-IDs of the customer's side of the thread: the last one and
 * the References list to put on our reply (the first and the last few of the ticket). */
static gboolean
thread_ids(cd_store *store, gint64 ticket_id, char **last, GPtrArray *refs, GError **error)
{
	*last = NULL;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT message_id FROM (SELECT message_id, id FROM messages WHERE ticket_id = ?1 "
	                                 "AND message_id IS NOT NULL UNION ALL SELECT message_id, 1e12 + id FROM outbox "
	                                 "WHERE ticket_id = ?1 AND message_id IS NOT NULL AND channel = 'email' "
	                                 "AND agent_id IS NULL AND state = 'sent') ORDER BY id",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, ticket_id);
	gboolean row;
	gboolean ok;
	while ((ok = cd_store_step(store, st, &row, error)) && row)
		g_ptr_array_add(refs, cd_col_dup(st, 0));
	sqlite3_reset(st);
	if (ok && refs->len)
		*last = g_strdup(g_ptr_array_index(refs, refs->len - 1));
	return ok;
}

gboolean
cd_notify_agent_reply(cd_store *store, gint64 ticket_id, gint64 agent_id, gint64 message_id, const char *text,
                      const char *html, GError **error)
{
	(void)html; /* the relayed reply is the agent's new text; its HTML still holds the quoted notification */
	if (installed == NULL)
		return TRUE;
	ticket_info t;
	if (!load_ticket(store, ticket_id, &t, error))
		return FALSE;
	GPtrArray *list = agents(store, agent_id, error);
	gboolean ok = list != NULL;
	if (ok && (t.customer_email || t.customer_id)) {
		/* without a mail address, enqueue() sends the SMS version to a customer who texted */
		JsonObject *vars = json_object_new();
		json_object_set_object_member(vars, "ticket", json_object_ref(t.obj));
		if (list->len)
			json_object_set_object_member(vars, "agent", agent_vars(g_ptr_array_index(list, 0)));
		JsonObject *mv = json_object_new();
		set_str(mv, "text", text ? text : "");
		json_object_set_object_member(vars, "message", mv);
		char *reply_to = t.customer_email ? reply_address(ticket_id, t.customer_email) : NULL;
		GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
		char *last = NULL;
		ok = thread_ids(store, ticket_id, &last, refs, error);
		/* the agent's files go with it; inline ones (signature logos) do not */
		cd_outbox_msg msg = {.kind = "agent_reply", .recipient = t.customer_email, .ticket_id = ticket_id,
		                     .customer_id = t.customer_id, .cause_message_id = message_id, .vars = vars,
		                     .reply_to = reply_to, .in_reply_to = last, .references = refs, .files_of = message_id};
		ok = ok && enqueue(&msg, error);
		g_free(last);
		g_ptr_array_unref(refs);
		g_free(reply_to);
		json_object_unref(vars);
	}
	if (list)
		g_ptr_array_unref(list);
	ticket_info_clear(&t);
	return ok;
}

gboolean
cd_notify_command_result(cd_store *store, gint64 ticket_id, gint64 agent_id, GPtrArray *results, gboolean refused,
                         const char *reason, GError **error)
{
	if (installed == NULL)
		return TRUE;
	ticket_info t;
	if (!load_ticket(store, ticket_id, &t, error))
		return FALSE;
	GPtrArray *list = agents(store, agent_id, error);
	gboolean ok = list != NULL;
	for (guint i = 0; ok && i < list->len; i++) {
		const agent_row *a = g_ptr_array_index(list, i);
		JsonObject *vars = json_object_new();
		json_object_set_object_member(vars, "ticket", json_object_ref(t.obj));
		json_object_set_object_member(vars, "agent", agent_vars(a));
		JsonArray *res = json_array_new();
		for (guint j = 0; results && j < results->len; j++) {
			const cd_acmd_result *r = g_ptr_array_index(results, j);
			JsonObject *o = json_object_new();
			set_str(o, "command", r->command);
			json_object_set_boolean_member(o, "ok", r->ok);
			set_str(o, "text", r->text);
			json_array_add_object_element(res, o);
		}
		json_object_set_array_member(vars, "results", res);
		json_object_set_boolean_member(vars, "refused", refused);
		set_str(vars, "reason", reason);
		char *reply_to = reply_address(ticket_id, a->email);
		cd_outbox_msg msg = {.kind = "agent_command_result", .recipient = a->email, .ticket_id = ticket_id,
		                     .agent_id = a->id, .vars = vars, .reply_to = reply_to, .lang = "en"};
		ok = enqueue(&msg, error);
		g_free(reply_to);
		json_object_unref(vars);
	}
	if (list)
		g_ptr_array_unref(list);
	ticket_info_clear(&t);
	return ok;
}

/* ---- RMAs --------------------------------------------------------------------------------- */

static char *
config_text(const char *group, const char *key)
{
	if (installed == NULL || installed->cfg == NULL)
		return NULL;
	char *v = g_key_file_get_string(installed->cfg->keyfile, group, key, NULL);
	if (v) {
		/* key files hold one line: \n in the value is a line break */
		g_strstrip(v);
	}
	return v;
}

static const char *
rma_kind(const char *event)
{
	if (strcmp(event, "requested") == 0)
		return "rma_requested";
	if (strcmp(event, "authorized") == 0)
		return "rma_authorized";
	if (strcmp(event, "rejected") == 0)
		return "rma_refused";
	if (strcmp(event, "received") == 0)
		return "rma_received";
	if (strcmp(event, "refunded") == 0 || strcmp(event, "replaced") == 0 || strcmp(event, "repaired") == 0)
		return "rma_resolved";
	return NULL;
}

gboolean
cd_notify_rma(cd_store *store, gint64 rma_id, const char *event, GError **error)
{
	const char *kind = rma_kind(event);
	if (installed == NULL || kind == NULL)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(
	    store,
	    "SELECT printf('RMA-%06d', r.id), o.ref, l.sku, l.description, r.quantity, r.reason, r.status, "
	    "r.refusal_reason, r.refund_cents, o.currency, coalesce(r.ticket_id, 0), r.customer_id, c.email, "
	    "r.authorized_at FROM rmas r JOIN customers c ON c.id = r.customer_id "
	    "LEFT JOIN orders o ON o.id = r.order_id LEFT JOIN order_lines l ON l.id = r.order_line_id WHERE r.id = ?",
	    error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, rma_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		sqlite3_reset(st);
		return TRUE;
	}
	JsonObject *rma = json_object_new();
	set_str(rma, "ref", cd_col_text(st, 0));
	set_str(rma, "order_ref", cd_col_text(st, 1));
	set_str(rma, "sku", cd_col_text(st, 2));
	set_str(rma, "product", cd_col_text(st, 3) ? cd_col_text(st, 3) : cd_col_text(st, 2));
	json_object_set_int_member(rma, "quantity", sqlite3_column_int64(st, 4));
	set_str(rma, "reason", cd_col_text(st, 5));
	set_str(rma, "status", cd_col_text(st, 6));
	set_str(rma, "refusal", cd_col_text(st, 7));
	if (strcmp(event, "refunded") == 0 || strcmp(event, "replaced") == 0 || strcmp(event, "repaired") == 0) {
		set_str(rma, "resolution", strcmp(event, "refunded") == 0 ? "refund" : strcmp(event, "replaced") == 0 ? "replace"
		                                                                                                      : "repair");
	}
	if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
		gint64 c = sqlite3_column_int64(st, 8);
		char *amount = g_strdup_printf("%" G_GINT64_FORMAT ".%02d", c / 100, (int)(c % 100));
		set_str(rma, "amount", amount);
		g_free(amount);
	}
	set_str(rma, "currency", cd_col_text(st, 9) ? cd_col_text(st, 9) : "EUR");
	gint64 ticket_id = sqlite3_column_int64(st, 10);
	gint64 customer_id = sqlite3_column_int64(st, 11);
	char *email = cd_col_dup(st, 12);
	gint64 authorized_at = sqlite3_column_int64(st, 13);
	sqlite3_reset(st);
	char *addr = config_text("workflow", "rma_return_address");
	set_str(rma, "return_address", addr ? addr : installed->cfg->support_address);
	g_free(addr);
	char *instructions = config_text("workflow", "rma_instructions");
	set_str(rma, "instructions", instructions);
	g_free(instructions);
	cd_workflow_settings ws;
	if (authorized_at && cd_workflow_settings_load(installed->cfg, &ws, NULL) && ws.rma_return_days > 0) {
		GDateTime *dt = g_date_time_new_from_unix_utc(authorized_at + (gint64)ws.rma_return_days * 86400);
		char *d = g_date_time_format(dt, "%Y-%m-%d");
		set_str(rma, "return_by", d);
		g_free(d);
		g_date_time_unref(dt);
	}
	JsonObject *vars = json_object_new();
	json_object_set_object_member(vars, "rma", rma);
	gboolean ok = TRUE;
	char *reply_to = NULL;
	if (ticket_id) {
		ok = add_ticket_vars(store, vars, ticket_id, error);
		if (email)
			reply_to = reply_address(ticket_id, email);
	}
	cd_outbox_msg msg = {.kind = kind, .recipient = email, .ticket_id = ticket_id, .customer_id = customer_id,
	                     .rma_id = rma_id, .vars = vars, .reply_to = reply_to};
	if (ok)
		ok = enqueue(&msg, error);
	g_free(reply_to);
	g_free(email);
	json_object_unref(vars);
	return ok;
}

/* already_sent - whether kind was queued or sent on ticket_id (and, when text is set, said it) */
static gboolean
already_sent(cd_store *store, gint64 ticket_id, const char *kind, const char *text, gboolean *yes, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT 1 FROM outbox WHERE ticket_id = ?1 AND kind = ?2 AND rma_id IS NULL AND "
	                                 "state IN ('queued','sending','sent') AND (?3 IS NULL OR instr(body_text, ?3) > 0)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, ticket_id);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	gboolean ok = cd_store_step(store, st, yes, error);
	sqlite3_reset(st);
	return ok;
}

/* auto_answer - kind to the ticket's customer as an automatic answer threaded under in_reply_to
 * (or the ticket's last message); vars gets ticket. */
static gboolean
auto_answer(cd_store *store, gint64 ticket_id, const char *kind, const char *in_reply_to, JsonObject *vars,
            GError **error)
{
	ticket_info t;
	if (!load_ticket(store, ticket_id, &t, error))
		return FALSE;
	gboolean ok = TRUE;
	if (t.customer_email) {
		json_object_set_object_member(vars, "ticket", json_object_ref(t.obj));
		char *reply_to = reply_address(ticket_id, t.customer_email);
		GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
		char *last = NULL;
		ok = thread_ids(store, ticket_id, &last, refs, error);
		if (in_reply_to && *in_reply_to) {
			/* the request itself is not stored yet: it ends the thread */
			g_ptr_array_add(refs, g_strdup(in_reply_to));
			g_free(last);
			last = g_strdup(in_reply_to);
		}
		/* an automatic answer to a mail: Auto-Submitted, and within auto_reply_per_day */
		cd_outbox_msg msg = {.kind = kind, .recipient = t.customer_email, .ticket_id = ticket_id,
		                     .customer_id = t.customer_id, .vars = vars, .reply_to = reply_to, .in_reply_to = last,
		                     .references = refs, .auto_reply = TRUE};
		ok = ok && enqueue(&msg, error);
		g_free(last);
		g_ptr_array_unref(refs);
		g_free(reply_to);
	}
	ticket_info_clear(&t);
	return ok;
}

/* cd_notify_rma_not_opened - see notify.h */
gboolean
cd_notify_rma_not_opened(cd_store *store, gint64 ticket_id, const char *in_reply_to, const char *order_ref,
                         const char *reason, const char *refusal, GError **error)
{
	if (installed == NULL)
		return TRUE;
	/* A reply that asks again, with the same result, is not told again: its text reaches the
	 * agents like any reply. */
	gboolean told = FALSE;
	if (refusal && !already_sent(store, ticket_id, "rma_refused", refusal, &told, error))
		return FALSE;
	if (told)
		return TRUE;
	JsonObject *rma = json_object_new();
	set_str(rma, "order_ref", order_ref);
	set_str(rma, "reason", reason);
	set_str(rma, "refusal", refusal);
	JsonObject *vars = json_object_new();
	json_object_set_object_member(vars, "rma", rma);
	gboolean ok = auto_answer(store, ticket_id, "rma_refused", in_reply_to, vars, error);
	json_object_unref(vars);
	return ok;
}

gboolean
cd_notify_rma_need_order(cd_store *store, gint64 ticket_id, const char *in_reply_to, const char *reason,
                         GError **error)
{
	if (installed == NULL)
		return TRUE;
	gboolean asked = FALSE;
	if (!already_sent(store, ticket_id, "rma_need_order", NULL, &asked, error))
		return FALSE;
	if (asked)
		return TRUE;
	JsonObject *rma = json_object_new();
	set_str(rma, "reason", reason);
	JsonObject *vars = json_object_new();
	json_object_set_object_member(vars, "rma", rma);
	gboolean ok = auto_answer(store, ticket_id, "rma_need_order", in_reply_to, vars, error);
	json_object_unref(vars);
	return ok;
}

/* ---- offers ------------------------------------------------------------------------------- */

gboolean
cd_notify_offer_sent(cd_store *store, gint64 offer_id, GError **error)
{
	if (installed == NULL)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT o.ref, o.title, o.currency, o.total_cents, o.valid_until, o.customer_id, "
	                                 "c.email, coalesce(o.ticket_id, 0) FROM offers o JOIN customers c ON c.id = o.customer_id "
	                                 "WHERE o.id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, offer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row || cd_col_text(st, 6) == NULL) {
		sqlite3_reset(st);
		return TRUE;
	}
	JsonObject *offer = json_object_new();
	set_str(offer, "ref", cd_col_text(st, 0));
	set_str(offer, "title", cd_col_text(st, 1));
	set_str(offer, "currency", cd_col_text(st, 2));
	char *total = cd_format_cents(sqlite3_column_int64(st, 3));
	set_str(offer, "total", total);
	g_free(total);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		GDateTime *dt = g_date_time_new_from_unix_utc(sqlite3_column_int64(st, 4));
		char *d = g_date_time_format(dt, "%Y-%m-%d");
		set_str(offer, "valid_until", d);
		g_free(d);
		g_date_time_unref(dt);
	}
	if (installed->cfg && installed->cfg->web_base_url) {
		char *url = g_strdup_printf("%s/offers/%s", installed->cfg->web_base_url, cd_col_text(st, 0));
		set_str(offer, "link", url);
		g_free(url);
	}
	gint64 customer_id = sqlite3_column_int64(st, 5);
	char *email = cd_col_dup(st, 6);
	gint64 ticket_id = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	JsonArray *lines = json_array_new();
	st = cd_store_stmt(store,
	                   "SELECT sku, description, quantity, unit_price_cents FROM offer_lines WHERE offer_id = ? "
	                   "ORDER BY line_no",
	                   error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, offer_id);
		while ((ok = cd_store_step(store, st, &row, error)) && row) {
			JsonObject *l = json_object_new();
			set_str(l, "sku", cd_col_text(st, 0));
			set_str(l, "description", cd_col_text(st, 1)); /* NULL: the templates show the SKU alone */
			json_object_set_int_member(l, "quantity", sqlite3_column_int64(st, 2));
			char *price = cd_format_cents(sqlite3_column_int64(st, 3));
			set_str(l, "price", price);
			g_free(price);
			json_array_add_object_element(lines, l);
		}
		sqlite3_reset(st);
	}
	json_object_set_array_member(offer, "lines", lines);
	JsonObject *vars = json_object_new();
	json_object_set_object_member(vars, "offer", offer);
	char *reply_to = NULL;
	if (ok && ticket_id) {
		ticket_info t;
		ok = load_ticket(store, ticket_id, &t, error);
		if (ok) {
			json_object_set_object_member(vars, "ticket", json_object_ref(t.obj));
			ticket_info_clear(&t);
			reply_to = reply_address(ticket_id, email);
		}
	}
	cd_outbox_msg msg = {.kind = "offer_sent", .recipient = email, .ticket_id = ticket_id, .customer_id = customer_id,
	                     .vars = vars, .reply_to = reply_to};
	ok = ok && enqueue(&msg, error);
	g_free(reply_to);
	g_free(email);
	json_object_unref(vars);
	return ok;
}

/* ---- orders ------------------------------------------------------------------------------- */

static gboolean
notify_order(cd_store *store, gint64 order_id, const char *from, const char *to, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT o.ref, o.customer_id, c.email FROM orders o "
	                                 "JOIN customers c ON c.id = o.customer_id WHERE o.id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, order_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row || sqlite3_column_type(st, 2) == SQLITE_NULL) {
		sqlite3_reset(st);
		return TRUE;
	}
	JsonObject *order = json_object_new();
	set_str(order, "ref", cd_col_text(st, 0));
	set_str(order, "status", to);
	set_str(order, "old_status", from);
	char *link = g_strdup_printf("%s/orders/%s", installed->cfg->web_base_url, cd_col_text(st, 0));
	set_str(order, "link", link);
	g_free(link);
	gint64 customer_id = sqlite3_column_int64(st, 1);
	char *email = cd_col_dup(st, 2);
	sqlite3_reset(st);
	JsonObject *vars = json_object_new();
	json_object_set_object_member(vars, "order", order);
	cd_outbox_msg msg = {.kind = "order_status", .recipient = email, .customer_id = customer_id, .vars = vars};
	gboolean ok = enqueue(&msg, error);
	g_free(email);
	json_object_unref(vars);
	return ok;
}

/* ---- offers ------------------------------------------------------------------------------- */

/* notify_offer_decided - the customer accepted or rejected: the ticket's assignee, else every
 * active agent, hears of it (with the comment). */
static gboolean
notify_offer_decided(cd_store *store, gint64 offer_id, const char *to, const cd_actor *actor, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT o.ref, o.title, printf('%d.%02d', o.total_cents / 100, o.total_cents % 100), "
	                                 "o.currency, o.decision_comment, o.customer_id, coalesce(o.ticket_id, 0), "
	                                 "coalesce(t.assignee_id, 0) FROM offers o LEFT JOIN tickets t ON t.id = o.ticket_id "
	                                 "WHERE o.id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, offer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		sqlite3_reset(st);
		return TRUE;
	}
	JsonObject *offer = json_object_new();
	set_str(offer, "ref", cd_col_text(st, 0));
	set_str(offer, "title", cd_col_text(st, 1));
	set_str(offer, "total", cd_col_text(st, 2));
	set_str(offer, "currency", cd_col_text(st, 3));
	set_str(offer, "comment", cd_col_text(st, 4));
	set_str(offer, "status", to);
	set_str(offer, "channel", actor && actor->channel ? actor->channel : "?");
	gint64 customer_id = sqlite3_column_int64(st, 5);
	gint64 ticket_id = sqlite3_column_int64(st, 6);
	gint64 assignee = sqlite3_column_int64(st, 7);
	sqlite3_reset(st);
	char *ticket_ref = ticket_id ? cd_ticket_ref(ticket_id) : NULL;
	GPtrArray *list = agents(store, assignee, error);
	gboolean ok = list != NULL;
	for (guint i = 0; ok && i < list->len; i++) {
		const agent_row *a = g_ptr_array_index(list, i);
		JsonObject *vars = json_object_new();
		json_object_set_object_member(vars, "offer", json_object_ref(offer));
		json_object_set_object_member(vars, "agent", agent_vars(a));
		if (ticket_ref) {
			JsonObject *t = json_object_new();
			set_str(t, "ref", ticket_ref);
			json_object_set_object_member(vars, "ticket", t);
		}
		cd_outbox_msg msg = {.kind = "agent_offer_decided", .recipient = a->email, .ticket_id = ticket_id,
		                     .customer_id = customer_id, .agent_id = a->id, .vars = vars, .lang = "en"};
		ok = enqueue(&msg, error);
		json_object_unref(vars);
	}
	if (list)
		g_ptr_array_unref(list);
	g_free(ticket_ref);
	json_object_unref(offer);
	return ok;
}

/* ---- accounts ----------------------------------------------------------------------------- */

static gboolean
customer_contact(cd_store *store, gint64 customer_id, char **email, char **phone, GError **error)
{
	*email = *phone = NULL;
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT email, phone FROM customers WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (row) {
		*email = cd_col_dup(st, 0);
		*phone = cd_col_dup(st, 1);
	}
	sqlite3_reset(st);
	return TRUE;
}

gboolean
cd_notify_activation(cd_store *store, gint64 customer_id, const char *channel, const char *code, const char *link,
                     gint minutes, GError **error)
{
	if (installed == NULL)
		return TRUE;
	char *email, *phone;
	if (!customer_contact(store, customer_id, &email, &phone, error))
		return FALSE;
	gboolean sms = g_strcmp0(channel, "sms") == 0;
	const char *to = sms ? phone : email;
	gboolean ok = TRUE;
	if (to) {
		JsonObject *act = json_object_new();
		set_str(act, "code", code);
		set_str(act, "link", link);
		json_object_set_int_member(act, "minutes", minutes);
		/* a reply quoting a mailed code activates too (filters/10-activation.rules) */
		json_object_set_boolean_member(act, "reply_hint", !sms && code != NULL);
		JsonObject *vars = json_object_new();
		json_object_set_object_member(vars, "activation", act);
		cd_outbox_msg msg = {.channel = sms ? "sms" : "email", .kind = "activation", .recipient = to,
		                     .customer_id = customer_id, .vars = vars};
		ok = enqueue(&msg, error);
		json_object_unref(vars);
	}
	g_free(email);
	g_free(phone);
	return ok;
}

gboolean
cd_notify_password_reset(cd_store *store, gint64 customer_id, const char *link, gint minutes, GError **error)
{
	if (installed == NULL)
		return TRUE;
	char *email, *phone;
	if (!customer_contact(store, customer_id, &email, &phone, error))
		return FALSE;
	gboolean ok = TRUE;
	if (email) {
		JsonObject *r = json_object_new();
		set_str(r, "link", link);
		json_object_set_int_member(r, "minutes", minutes);
		JsonObject *vars = json_object_new();
		json_object_set_object_member(vars, "reset", r);
		cd_outbox_msg msg = {.kind = "password_reset", .recipient = email, .customer_id = customer_id, .vars = vars};
		ok = enqueue(&msg, error);
		json_object_unref(vars);
	}
	g_free(email);
	g_free(phone);
	return ok;
}

/* ---- workflow observer -------------------------------------------------------------------- */

static gboolean
on_transition(cd_store *store, const cd_machine *mc, gint64 id, const char *from, const char *to,
              const cd_actor *actor, gpointer data, GError **error)
{
	(void)data;
	if (mc == &cd_rma_machine)
		return cd_notify_rma(store, id, to, error);
	/* customers hear of the steps they wait for, not of every internal one */
	if (mc == &cd_order_machine && (strcmp(to, "shipped") == 0 || strcmp(to, "delivered") == 0 ||
	                                strcmp(to, "cancelled") == 0))
		return notify_order(store, id, from, to, error);
	if (mc == &cd_offer_machine && (strcmp(to, "accepted") == 0 || strcmp(to, "rejected") == 0))
		return notify_offer_decided(store, id, to, actor, error);
	return TRUE;
}

void
cd_notify_install(const cd_outbox_ctx *ob)
{
	installed = ob;
	cd_workflow_set_observer(ob ? on_transition : NULL, NULL);
}

gboolean
cd_notify_setup(cd_outbox_ctx *ob, cd_mail_settings *mail, cd_store *store, const cd_config *cfg,
                const cd_secret *secret, GError **error)
{
	memset(ob, 0, sizeof *ob);
	if (!cd_mail_settings_load(cfg, mail, error))
		return FALSE;
	ob->store = store;
	ob->cfg = cfg;
	ob->secret = secret;
	ob->mail = mail;
	GError *e = NULL;
	ob->templates = cfg->templates_dir ? cd_tmpl_set_load(cfg->templates_dir, &e) : NULL;
	if (ob->templates == NULL) {
		g_warning("templates: %s (mail that needs them is kept in the outbox as failed)",
		          e ? e->message : "no templates folder configured");
		g_clear_error(&e);
	}
	cd_notify_install(ob);
	return TRUE;
}

void
cd_notify_teardown(cd_outbox_ctx *ob, cd_mail_settings *mail)
{
	if (installed == ob)
		cd_notify_install(NULL);
	if (ob->templates)
		cd_tmpl_set_free(ob->templates);
	cd_mail_settings_clear(mail);
	memset(ob, 0, sizeof *ob);
}
