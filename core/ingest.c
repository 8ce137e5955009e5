/* ingest.c - one message through classification, threading and the ticket model (see ingest.h). */
#include "ingest.h"
#include "blocklist.h"
#include "agentmail.h"
#include "notify.h"
#include "audit.h"
#include "classify.h"
#include "customer.h"
#include "ruleapply.h"
#include "thread.h"
#include "ticket.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

gboolean
cd_ingest_mark_raw(cd_store *store, gint64 raw_id, const char *state, gint64 message_id, const char *error_text,
                   GError **error)
{
	if (raw_id == 0)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE raw_messages SET state = ?, processed_at = ?, message_id = ?, error = ? "
	                                 "WHERE id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, cd_now());
	if (message_id)
		sqlite3_bind_int64(st, 3, message_id);
	sqlite3_bind_text(st, 4, error_text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, raw_id);
	return cd_store_run(store, st, error);
}

/* find_duplicate - the same Message-ID from the same sender already taken in (another mailbox, a re-send). */
static gboolean
find_duplicate(cd_store *store, const cd_message *m, gint64 *message_id, gint64 *ticket_id, GError **error)
{
	*message_id = *ticket_id = 0;
	if (m->message_id == NULL || m->from.addr == NULL)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT id, ticket_id FROM messages WHERE message_id = ? AND from_addr = ? "
	                                 "AND direction = 'in' LIMIT 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, m->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->from.addr, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (row) {
		*message_id = sqlite3_column_int64(st, 0);
		*ticket_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return TRUE;
}

static void
add_unique(GPtrArray *list, const char *addr)
{
	if (addr == NULL || *addr == '\0')
		return;
	for (guint i = 0; i < list->len; i++)
		if (strcmp(g_ptr_array_index(list, i), addr) == 0)
			return;
	g_ptr_array_add(list, g_strdup(addr));
}

/* all_recipients - where the message was sent: envelope recipients, To, Cc, Delivered-To, X-Original-To. */
static GPtrArray *
all_recipients(const cd_message *m, const cd_envelope *env)
{
	GPtrArray *r = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; env->recipients && i < env->recipients->len; i++)
		add_unique(r, g_ptr_array_index(env->recipients, i));
	for (guint i = 0; i < m->to->len; i++)
		add_unique(r, ((cd_address *)g_ptr_array_index(m->to, i))->addr);
	for (guint i = 0; i < m->cc->len; i++)
		add_unique(r, ((cd_address *)g_ptr_array_index(m->cc, i))->addr);
	for (guint i = 0; i < m->headers->len; i++) {
		cd_header *h = g_ptr_array_index(m->headers, i);
		if (g_ascii_strcasecmp(h->name, "Delivered-To") == 0 || g_ascii_strcasecmp(h->name, "X-Original-To") == 0 ||
		    g_ascii_strcasecmp(h->name, "Envelope-To") == 0) {
			char *a = cd_address_normalize(h->value);
			add_unique(r, a);
			g_free(a);
		}
	}
	return r;
}

/* verp_bounce - a DSN to one of our VERP return paths: record it on the outbox row it bounces. */
static gboolean
verp_bounce(cd_ingest_ctx *ctx, const cd_message *m, const cd_envelope *env, gint64 *ticket_id, GError **error)
{
	if (ctx->secret == NULL)
		return TRUE;
	GPtrArray *rcpts = all_recipients(m, env);
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < rcpts->len; i++) {
		gint64 row = cd_verp_row(ctx->secret, g_ptr_array_index(rcpts, i));
		if (row == 0)
			continue;
		const cd_outbox_ctx *ob = cd_notify_outbox();
		ok = cd_outbox_bounce(ctx->store, ob ? ob->mail : NULL, row, m->dsn_status, m->dsn_action, error) &&
		     cd_store_lookup_id(ctx->store, "SELECT coalesce(ticket_id, 0) FROM outbox WHERE id = ?", NULL, row,
		                        ticket_id, error);
		break;
	}
	g_ptr_array_unref(rcpts);
	return ok;
}

static gboolean
ingest_bounce(cd_ingest_ctx *ctx, gint64 raw_id, const cd_message *m, const cd_envelope *env,
              const cd_classification *cls, cd_ingest_outcome *out, GError **error)
{
	cd_store *store = ctx->store;
	gint64 ticket_id = 0;
	if (!verp_bounce(ctx, m, env, &ticket_id, error))
		return FALSE;
	if (ticket_id == 0 && !cd_thread_by_message_id(store, m->dsn_original_message_id, &ticket_id, error))
		return FALSE;
	if (ticket_id == 0 && !cd_thread_by_message_id(store, m->in_reply_to, &ticket_id, error))
		return FALSE;
	cd_message_insert ins = {.ticket_id = ticket_id, .raw_id = raw_id, .direction = "in", .channel = "email",
	                         .kind = "bounce", .author_kind = "system", .threaded_by = ticket_id ? "dsn" : NULL,
	                         .msg = m};
	if (!cd_message_store(store, &ins, &out->message_id, error))
		return FALSE;
	char *note = g_strdup_printf("%s; status %s, recipient %s", cls->reason, m->dsn_status ? m->dsn_status : "?",
	                             m->dsn_recipient ? m->dsn_recipient : "?");
	cd_audit_event ev = {.entity = "message", .entity_id = out->message_id, .action = "bounce", .note = note};
	gboolean ok = cd_audit(store, &ev, error);
	g_free(note);
	out->ticket_id = ticket_id;
	out->what = "bounce";
	return ok && cd_ingest_mark_raw(store, raw_id, "done", out->message_id, NULL, error);
}

static const char *
author_kind_for(const cd_sender *sender, gint64 ticket_owner, gboolean may_follow)
{
	if (sender->kind == CD_SENDER_AGENT)
		return "unverified_agent";
	if (sender->customer_id != 0 && sender->customer_id == ticket_owner && sender->kind == CD_SENDER_CUSTOMER)
		return "customer";
	if (may_follow)
		return "contact";
	return "unknown";
}

/* sender_address - From:, or for a headerless message the envelope sender. */
static char *
sender_address(const cd_message *m, const cd_envelope *env)
{
	if (m->from.addr)
		return g_strdup(m->from.addr);
	return cd_address_normalize(env->envelope_from);
}

gboolean
cd_ingest_apply_decision(cd_ingest_ctx *ctx, const cd_rule_decision *dec, gint64 ticket_id, gboolean new_ticket,
               gint64 customer_id, cd_message *m, GError **error)
{
	char *note = NULL;
	if (!cd_rule_apply(ctx->store, ctx->cfg, dec, ticket_id, new_ticket, customer_id, m ? m->message_id : NULL, &note,
	                   error))
		return FALSE;
	if (note)
		cd_message_note(m, "%s", note);
	g_free(note);
	return TRUE;
}

static gboolean
join_ticket(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, const cd_sender *sender, const char *from,
            const cd_thread_match *match, gboolean never_answer, const char *kind, const cd_rule_decision *dec,
            cd_ingest_outcome *out, GError **error)
{
	cd_store *store = ctx->store;
	gboolean found;
	char *status = NULL;
	gint64 owner = 0;
	if (!cd_ticket_get(store, match->ticket_id, &found, &status, &owner, error))
		return FALSE;
	if (!cd_ingest_apply_decision(ctx, dec, match->ticket_id, FALSE, owner, m, error)) {
		g_free(status);
		return FALSE;
	}
	gboolean may_follow = FALSE;
	if (!cd_customer_may_follow(store, owner, from, &may_follow, error)) {
		g_free(status);
		return FALSE;
	}
	cd_message_insert ins = {.ticket_id = match->ticket_id, .raw_id = raw_id, .direction = "in", .channel = "email",
	                         .kind = kind, .author_kind = author_kind_for(sender, owner, may_follow),
	                         .customer_id = sender->customer_id, .agent_id = sender->agent_id,
	                         .threaded_by = match->via, .msg = m};
	gboolean ok = cd_message_store(store, &ins, &out->message_id, error);
	gboolean by_customer = sender->kind != CD_SENDER_AGENT && !never_answer;
	ok = ok && cd_ticket_touch(store, match->ticket_id, by_customer, error);
	cd_actor actor = {.actor_kind = sender->kind == CD_SENDER_AGENT ? "agent" : "customer",
	                  .actor_id = sender->kind == CD_SENDER_AGENT ? sender->agent_id : sender->customer_id,
	                  .actor = from, .channel = "email"};
	if (ok) {
		char *note = g_strdup_printf("message %" G_GINT64_FORMAT " by %s", out->message_id, match->via);
		cd_audit_event ev = {.actor = &actor, .entity = "ticket", .entity_id = match->ticket_id, .customer_id = owner,
		                     .action = never_answer ? "auto-message" : "reply", .note = note};
		ok = cd_audit(store, &ev, error);
		g_free(note);
	}
	/* A customer's reply re-opens a ticket that waited on them or was resolved; machines never do. */
	if (ok && by_customer && (g_strcmp0(status, "pending") == 0 || g_strcmp0(status, "resolved") == 0))
		ok = cd_ticket_set_status(store, match->ticket_id, "open", &actor, "customer replied", error);
	if (ok && by_customer)
		ok = cd_notify_customer_reply(store, match->ticket_id, out->message_id, m, dec, error);
	g_free(status);
	out->ticket_id = match->ticket_id;
	out->what = "reply";
	return ok;
}

void
cd_ingest_outcome_clear(cd_ingest_outcome *out)
{
	g_clear_pointer(&out->reject, g_free);
}

gboolean
cd_ingest_evaluate_rules(cd_ingest_ctx *ctx, cd_message *m, const char *channel, const cd_sender *sender,
                         cd_rule_decision *dec, GError **error)
{
	if (ctx->rules == NULL)
		return TRUE;
	char **tags = cd_rule_customer_tags(ctx->store, sender->customer_id, error);
	if (tags == NULL)
		return FALSE;
	cd_rule_input in = {.channel = channel ? channel : "email",
	                    .msg = m,
	                    .customer = cd_rule_customer_kind(sender->kind == CD_SENDER_AGENT, sender->customer_id),
	                    .customer_tags = (const char *const *)tags};
	cd_rules_evaluate(ctx->rules, &in, dec, NULL);
	g_strfreev(tags);
	for (guint i = 0; dec->limit_hits && i < dec->limit_hits->len; i++) {
		g_warning("message %s: rule %s hit a PCRE2 limit and was treated as not matching",
		          m->message_id ? m->message_id : m->sha256, (char *)g_ptr_array_index(dec->limit_hits, i));
		cd_message_note(m, "rule %s hit a pattern limit (treated as not matching)",
		                (char *)g_ptr_array_index(dec->limit_hits, i));
	}
	return TRUE;
}

static const char *
last_rule(const cd_rule_decision *dec)
{
	return dec->matched && dec->matched->len ? g_ptr_array_index(dec->matched, dec->matched->len - 1) : "rules";
}

/* drop_message - a rule said drop: the raw message stays, nothing else is made; audited. */
static gboolean
drop_message(cd_ingest_ctx *ctx, gint64 raw_id, const cd_message *m, const cd_rule_decision *dec,
             cd_ingest_outcome *out, GError **error)
{
	cd_actor actor = {.actor_kind = "rule", .actor = last_rule(dec), .channel = "email"};
	char *note = g_strdup_printf("from %s, subject \"%s\"", m->from.addr ? m->from.addr : "?",
	                             m->subject ? m->subject : "");
	cd_audit_event ev = {.actor = &actor, .entity = "raw", .entity_id = raw_id, .action = "dropped", .note = note};
	gboolean ok = cd_audit(ctx->store, &ev, error) && cd_ingest_mark_raw(ctx->store, raw_id, "dropped", 0, NULL, error);
	g_free(note);
	out->what = "dropped";
	return ok;
}

/* blocked_sender - the fraud stop (blocklist.h): a blocked address or domain opens nothing and is
 * never answered; the raw message stays (state dropped) and the refusal is audited. */
static gboolean
blocked_sender(cd_ingest_ctx *ctx, gint64 raw_id, const char *from, const cd_message *m, gboolean *blocked,
               cd_ingest_outcome *out, GError **error)
{
	char *reason = NULL;
	if (from == NULL || !cd_blocklist_match(ctx->store, CD_BLOCK_EMAIL, from, blocked, &reason, error))
		return from == NULL;
	if (!*blocked)
		return TRUE;
	cd_actor actor = {.actor_kind = "system", .actor = "blocklist", .channel = "email"};
	char *note = g_strdup_printf("from %s, subject \"%s\": blocked%s%s", from, m->subject ? m->subject : "",
	                             reason && *reason ? ": " : "", reason ? reason : "");
	cd_audit_event ev = {.actor = &actor, .entity = "raw", .entity_id = raw_id, .action = "blocked", .note = note};
	gboolean ok = cd_audit(ctx->store, &ev, error) && cd_ingest_mark_raw(ctx->store, raw_id, "dropped", 0, NULL, error);
	g_free(note);
	g_free(reason);
	out->what = "blocked";
	return ok;
}

gboolean
cd_ingest_message(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, const cd_envelope *env,
                  cd_ingest_outcome *out, GError **error)
{
	cd_store *store = ctx->store;
	memset(out, 0, sizeof *out);

	gint64 dup_msg, dup_ticket;
	if (!find_duplicate(store, m, &dup_msg, &dup_ticket, error))
		return FALSE;
	if (dup_msg) {
		out->duplicate = TRUE;
		out->message_id = dup_msg;
		out->ticket_id = dup_ticket;
		out->what = "duplicate";
		return cd_ingest_mark_raw(store, raw_id, "duplicate", dup_msg, NULL, error);
	}

	cd_classification cls;
	cd_classify(m, env->envelope_from, ctx->cfg ? ctx->cfg->support_address : NULL, &cls);
	if (cls.bounce)
		return ingest_bounce(ctx, raw_id, m, env, &cls, out, error);
	gboolean never_answer = cd_classification_never_answer(&cls);
	if (never_answer)
		cd_message_note(m, "never answered automatically: %s", cls.reason);
	const char *kind = !m->parsed ? "unparsed" : never_answer ? "auto_reply" : "normal";

	char *from = sender_address(m, env);
	cd_sender sender;
	cd_rule_decision dec;
	cd_rule_decision_init(&dec);
	gboolean blocked = FALSE;
	gboolean ok = cd_sender_lookup(store, from, &sender, error);
	if (ok && sender.kind != CD_SENDER_AGENT) {
		ok = blocked_sender(ctx, raw_id, from, m, &blocked, out, error);
		if (!ok || blocked)
			goto out;
	}
	ok = ok && cd_ingest_evaluate_rules(ctx, m, env->channel, &sender, &dec, error);
	if (ok && dec.reject) {
		out->reject = g_strdup(dec.reject);
		g_set_error(error, CD_ERROR, CD_ERROR_REJECT, "rejected by rule %s: %s", last_rule(&dec), dec.reject);
		ok = FALSE;
		goto out;
	}
	if (ok && dec.drop) {
		ok = drop_message(ctx, raw_id, m, &dec, out, error);
		goto out;
	}
	GPtrArray *recipients = ok ? all_recipients(m, env) : NULL;
	cd_thread_match match = {0};
	ok = ok && cd_thread_find(store, ctx->secret, m, &sender, recipients, &match, error);
	if (recipients)
		g_ptr_array_unref(recipients);

	gint64 follow_up_of = 0;
	if (ok && match.ticket_id) {
		gboolean found;
		char *status = NULL;
		ok = cd_ticket_get(store, match.ticket_id, &found, &status, NULL, error);
		if (ok && g_strcmp0(status, "closed") == 0) {
			follow_up_of = match.ticket_id;
			match.ticket_id = 0;
		}
		g_free(status);
	}
	if (ok && match.ticket_id && cd_agentmail_verified(ctx, m, &sender, &match)) {
		ok = cd_agentmail_reply(ctx, raw_id, m, &sender, from, match.ticket_id, out, error);
		goto out;
	}
	if (ok && sender.kind == CD_SENDER_AGENT)
		ok = cd_agentmail_refuse_forged(ctx, m, &sender, match.ticket_id,
		                                match.ticket_id == 0 ? "it did not carry a reply token of a ticket"
		                                : g_strcmp0(match.via, "reply-token") != 0
		                                    ? "it was not sent to the agent's own reply address"
		                                    : "it did not pass the trusted host's authentication check",
		                                error);
	if (ok && match.ticket_id) {
		ok = join_ticket(ctx, raw_id, m, &sender, from, &match, never_answer, kind, &dec, out, error) &&
		     cd_ingest_mark_raw(store, raw_id, "done", out->message_id, NULL, error);
		goto out;
	}

	/* A new ticket. Unknown senders become pending customers. */
	if (ok && sender.kind == CD_SENDER_UNKNOWN && from != NULL) {
		ok = cd_customer_create(store, from, NULL, m->from.name, "pending", &sender.customer_id, error);
		sender.kind = CD_SENDER_CUSTOMER;
	}
	gint64 queue_id = 0;
	ok = ok && cd_queue_find(store, env->queue, &queue_id, error) && cd_rule_queue(store, &dec, queue_id, &queue_id, error);
	gint64 customer_id = sender.kind == CD_SENDER_AGENT ? 0 : sender.customer_id;
	cd_ticket_new t = {.customer_id = customer_id,
	                   .queue_id = queue_id,
	                   .subject = m->subject && *m->subject ? m->subject : "(no subject)",
	                   .channel = env->channel ? env->channel : "email",
	                   .unparsed = !m->parsed,
	                   .auto_generated = never_answer,
	                   .follow_up_of = follow_up_of};
	cd_actor actor = {.actor_kind = "customer", .actor_id = sender.customer_id, .actor = from, .channel = "email"};
	ok = ok && cd_ticket_create(store, &t, &actor, &out->ticket_id, error);
	ok = ok && cd_ingest_apply_decision(ctx, &dec, out->ticket_id, TRUE, customer_id, m, error);
	cd_message_insert ins = {.ticket_id = out->ticket_id, .raw_id = raw_id, .direction = "in", .channel = "email",
	                         .kind = kind,
	                         .author_kind = sender.kind == CD_SENDER_AGENT ? "unverified_agent"
	                                        : sender.kind == CD_SENDER_CONTACT ? "contact"
	                                        : from ? "customer" : "unknown",
	                         .customer_id = sender.customer_id, .agent_id = sender.agent_id,
	                         .threaded_by = follow_up_of ? "follow-up" : NULL, .msg = m};
	ok = ok && cd_message_store(store, &ins, &out->message_id, error);
	ok = ok && cd_notify_new_ticket(store, out->ticket_id, out->message_id, m,
	                                never_answer || sender.kind == CD_SENDER_AGENT, &dec, error);
	out->new_ticket = TRUE;
	out->what = follow_up_of ? "follow-up" : "new ticket";
	ok = ok && cd_ingest_mark_raw(store, raw_id, "done", out->message_id, NULL, error);
out:
	cd_rule_decision_clear(&dec);
	g_free(from);
	return ok;
}
