/* agentmail.c - agents answering and acting by mail (see agentmail.h). */
#include "agentmail.h"
#include "agentcmd.h"
#include "audit.h"
#include "notify.h"
#include "result.h"
#include "ticket.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

/* auth_results_pass - an Authentication-Results header added by authserv (its first field) that
 * reports dkim=pass or spf=pass. Only the topmost header from that host counts: lower ones may
 * have been written by the sender. */
static gboolean
auth_results_pass(const cd_message *m, const char *authserv)
{
	for (guint i = 0; m->headers && i < m->headers->len; i++) {
		const cd_header *h = g_ptr_array_index(m->headers, i);
		if (g_ascii_strcasecmp(h->name, "Authentication-Results") != 0 || h->value == NULL)
			continue;
		const char *v = h->value;
		while (*v == ' ' || *v == '\t')
			v++;
		gsize n = strlen(authserv);
		if (g_ascii_strncasecmp(v, authserv, n) != 0 || (v[n] != ';' && v[n] != ' ' && v[n] != '\t'))
			continue;
		char *lower = g_ascii_strdown(v, -1);
		gboolean pass = strstr(lower, "dkim=pass") != NULL || strstr(lower, "spf=pass") != NULL;
		g_free(lower);
		return pass;
	}
	return FALSE;
}

gboolean
cd_agentmail_verified(const cd_ingest_ctx *ctx, const cd_message *m, const cd_sender *sender,
                      const cd_thread_match *match)
{
	if (sender->kind != CD_SENDER_AGENT || match->ticket_id == 0 || g_strcmp0(match->via, "reply-token") != 0)
		return FALSE;
	const cd_outbox_ctx *ob = cd_notify_outbox();
	const char *authserv = ob && ob->mail ? ob->mail->trusted_authserv : NULL;
	(void)ctx;
	return authserv == NULL || auth_results_pass(m, authserv);
}

static gboolean
audit_refusal(cd_store *store, const cd_sender *sender, const char *from, gint64 ticket_id, const char *reason,
              GError **error)
{
	cd_actor actor = {.actor_kind = "agent", .actor_id = sender->agent_id, .actor = from, .channel = "email"};
	cd_audit_event ev = {.actor = &actor, .entity = "ticket", .entity_id = ticket_id, .action = "agent_command_refused",
	                     .note = reason};
	return cd_audit(store, &ev, error);
}

/* store_agent_message - the agent's mail on the ticket: a note (internal, refused, commands only)
 * or a normal message that was relayed. */
static gboolean
store_agent_message(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, const cd_sender *sender, gint64 ticket_id,
                    const char *kind, cd_ingest_outcome *out, GError **error)
{
	cd_message_insert ins = {.ticket_id = ticket_id, .raw_id = raw_id, .direction = "in", .channel = "email",
	                         .kind = kind, .author_kind = "agent", .agent_id = sender->agent_id,
	                         .threaded_by = "reply-token", .msg = m};
	out->ticket_id = ticket_id;
	out->what = "agent reply";
	return cd_message_store(ctx->store, &ins, &out->message_id, error) &&
	       cd_ticket_touch(ctx->store, ticket_id, FALSE, error);
}

/* agent_answered - first response and last agent answer stamps. */
static gboolean
agent_answered(cd_store *store, gint64 ticket_id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE tickets SET last_agent_at = ?1, first_response_at = "
	                                 "coalesce(first_response_at, ?1) WHERE id = ?2",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, cd_now());
	sqlite3_bind_int64(st, 2, ticket_id);
	return cd_store_run(store, st, error);
}

static gboolean
changes_status(const cd_acmd_block *b)
{
	for (guint i = 0; i < b->cmds->len; i++) {
		const cd_acmd *c = g_ptr_array_index(b->cmds, i);
		if (c->kind == CD_ACMD_STATUS || c->kind == CD_ACMD_CLOSE)
			return TRUE;
	}
	return FALSE;
}

/* on_behalf - #customer ADDRESS: a new ticket for that customer with the agent's text, relayed. */
static gboolean
on_behalf(cd_ingest_ctx *ctx, const cd_acmd_block *b, const cd_message *m, const cd_sender *sender, const char *from,
          gint64 from_ticket, gint64 *new_ticket, GError **error)
{
	cd_actor actor = {.actor_kind = "agent", .actor_id = sender->agent_id, .actor = from, .channel = "email"};
	gint64 customer_id = 0, queue_id = 0;
	gboolean created = FALSE;
	if (!cd_customer_for_email(ctx->store, b->customer, NULL, &actor, &customer_id, &created, error) ||
	    !cd_store_lookup_id(ctx->store, "SELECT queue_id FROM tickets WHERE id = ?", NULL, from_ticket, &queue_id, error))
		return FALSE;
	const char *subject = m->subject && *m->subject ? m->subject : "(no subject)";
	/* the agent replied to a notification: drop our [T-…] tag and reply prefixes */
	char *clean = g_strdup(subject);
	gint64 tag = cd_thread_subject_tag(clean);
	if (tag) {
		char *p = strchr(clean, '[');
		char *q = p ? strchr(p, ']') : NULL;
		if (q)
			memmove(p, q + 1, strlen(q + 1) + 1);
	}
	g_strstrip(clean);
	while (g_ascii_strncasecmp(clean, "re:", 3) == 0 || g_ascii_strncasecmp(clean, "aw:", 3) == 0) {
		memmove(clean, clean + 3, strlen(clean + 3) + 1);
		g_strstrip(clean);
	}
	cd_ticket_new t = {.customer_id = customer_id, .queue_id = queue_id, .subject = *clean ? clean : "(no subject)",
	                   .channel = "email"};
	char *login = NULL;
	gboolean ok = cd_store_lookup_text(ctx->store, "SELECT login FROM agents WHERE id = ?", NULL, sender->agent_id,
	                                   &login, error) &&
	              cd_ticket_create(ctx->store, &t, &actor, new_ticket, error) &&
	              cd_ticket_assign(ctx->store, *new_ticket, login, &actor, "opened by an agent", NULL, error) &&
	              cd_notify_agent_reply(ctx->store, *new_ticket, sender->agent_id, 0, b->body, NULL, error) &&
	              agent_answered(ctx->store, *new_ticket, error) &&
	              cd_ticket_set_status(ctx->store, *new_ticket, "pending", &actor, "opened by an agent", error);
	g_free(login);
	g_free(clean);
	return ok;
}

gboolean
cd_agentmail_reply(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, const cd_sender *sender, const char *from,
                   gint64 ticket_id, cd_ingest_outcome *out, GError **error)
{
	cd_store *store = ctx->store;
	cd_acmd_block block;
	GError *perr = NULL;
	const char *text = m->reply_text ? m->reply_text : m->text;
	if (!cd_acmd_parse(text, &block, &perr)) {
		/* nothing ran: keep the mail as a note, tell the agent why */
		gboolean ok = store_agent_message(ctx, raw_id, m, sender, ticket_id, "note", out, error) &&
		              audit_refusal(store, sender, from, ticket_id, perr->message, error) &&
		              cd_notify_command_result(store, ticket_id, sender->agent_id, NULL, TRUE, perr->message, error) &&
		              cd_ingest_mark_raw(store, raw_id, "done", out->message_id, NULL, error);
		g_error_free(perr);
		cd_acmd_block_clear(&block);
		return ok;
	}
	GPtrArray *results = NULL;
	gboolean all_ok = TRUE;
	gboolean ok = cd_acmd_apply(store, &block, ticket_id, sender->agent_id, &results, &all_ok, error);
	gboolean relay = ok && all_ok && !block.internal && block.customer == NULL && *block.body != '\0';
	const char *kind = relay ? "normal" : "note";
	ok = ok && store_agent_message(ctx, raw_id, m, sender, ticket_id, kind, out, error);
	if (ok && all_ok && block.customer) {
		gint64 new_ticket = 0;
		ok = on_behalf(ctx, &block, m, sender, from, ticket_id, &new_ticket, error);
		if (ok)
			cd_message_note(m, "opened ticket T-%06" G_GINT64_FORMAT " for %s", new_ticket, block.customer);
	}
	if (ok && relay) {
		cd_actor actor = {.actor_kind = "agent", .actor_id = sender->agent_id, .actor = from, .channel = "email"};
		ok = cd_notify_agent_reply(store, ticket_id, sender->agent_id, out->message_id, block.body, NULL, error) &&
		     agent_answered(store, ticket_id, error);
		if (ok && !changes_status(&block)) {
			char *status = NULL;
			gboolean found;
			ok = cd_ticket_get(store, ticket_id, &found, &status, NULL, error);
			if (ok && cd_machine_allows(&cd_ticket_machine, status, "pending"))
				ok = cd_ticket_set_status(store, ticket_id, "pending", &actor, "agent replied", error);
			g_free(status);
		}
	}
	if (ok && (block.cmds->len > 0 || !all_ok))
		ok = cd_notify_command_result(store, ticket_id, sender->agent_id, results, !all_ok,
		                              all_ok ? NULL : "a command failed, so none of them was applied", error);
	ok = ok && cd_ingest_mark_raw(store, raw_id, "done", out->message_id, NULL, error);
	if (results)
		cd_acmd_results_free(results);
	cd_acmd_block_clear(&block);
	return ok;
}

gboolean
cd_agentmail_refuse_forged(cd_ingest_ctx *ctx, const cd_message *m, const cd_sender *sender, gint64 ticket_id,
                           const char *why, GError **error)
{
	if (sender->kind != CD_SENDER_AGENT)
		return TRUE;
	cd_acmd_block block;
	GError *perr = NULL;
	gboolean has_commands = FALSE;
	if (cd_acmd_parse(m->reply_text ? m->reply_text : m->text, &block, &perr))
		has_commands = block.cmds->len > 0 || block.internal || block.customer;
	else
		has_commands = TRUE; /* it started with something command-like */
	g_clear_error(&perr);
	cd_acmd_block_clear(&block);
	if (!has_commands)
		return TRUE;
	char *reason = g_strdup_printf("commands in a mail from %s were not run: %s", m->from.addr ? m->from.addr : "?",
	                               why);
	g_warning("%s", reason);
	cd_actor actor = {.actor_kind = "system", .actor = m->from.addr, .channel = "email"};
	cd_audit_event ev = {.actor = &actor, .entity = "ticket", .entity_id = ticket_id, .action = "agent_command_refused",
	                     .note = reason};
	gboolean ok = cd_audit(ctx->store, &ev, error);
	if (ok && ticket_id)
		ok = cd_notify_command_result(ctx->store, ticket_id, sender->agent_id, NULL, TRUE, reason, error);
	g_free(reason);
	return ok;
}
