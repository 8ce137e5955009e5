/* ingest_sms.c - an inbound SMS through keywords, rules and tickets (see ingest_sms.h). */
#include "ingest_sms.h"
#include "blocklist.h"
#include "audit.h"
#include "customer.h"
#include "notify.h"
#include "smsconf.h"
#include "rawstore.h"
#include "ruleapply.h"
#include "result.h"
#include "smskw.h"
#include "ticket.h"
#include "util.h"
#include "workflow.h"

#include <string.h>

/* raw_bytes - what the raw store keeps of an SMS: a small header block, a blank line, the text. */
static GString *
raw_bytes(const cd_sms_in *in)
{
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "X-SMS-From: %s\nX-SMS-To: %s\nX-SMS-Source: %s\n", in->from ? in->from : "",
	                       in->to ? in->to : "", in->source ? in->source : "sms");
	if (in->provider_id)
		g_string_append_printf(s, "X-SMS-Id: %s\n", in->provider_id);
	if (in->sent_at)
		g_string_append_printf(s, "X-SMS-Time: %s\n", in->sent_at);
	g_string_append_printf(s, "\n%s", in->text ? in->text : "");
	return s;
}

/* sms_message - the SMS as the pipeline's message: from is the number, the text is all of it,
 * the subject its first line (shortened). */
static cd_message *
sms_message(const char *number, const char *text, const char sha[65], gsize size)
{
	cd_message *m = cd_message_new();
	memcpy(m->sha256, sha, 65);
	m->raw_size = size;
	m->parsed = TRUE;
	m->from.addr = g_strdup(number);
	m->text = cd_utf8_clean(text ? text : "", -1);
	g_strstrip(m->text);
	m->reply_text = g_strdup(m->text);
	const char *nl = strchr(m->text, '\n');
	glong chars = g_utf8_strlen(m->text, nl ? nl - m->text : -1);
	char *first = g_utf8_substring(m->text, 0, MIN(chars, 60));
	m->subject = g_strdup_printf("SMS: %s%s", first, chars > 60 ? "..." : "");
	g_free(first);
	return m;
}

typedef struct {
	cd_ingest_ctx *ctx;
	gint64 raw_id;
	const cd_sms_in *in;
	char *number;
	cd_sender sender;
	cd_message *m;
	cd_smskw kw;
	cd_sms_outcome *out;
} sms_job;

static const char *
author_of(const cd_sender *s)
{
	switch (s->kind) {
	case CD_SENDER_AGENT: return "agent";
	case CD_SENDER_CONTACT: return "contact";
	case CD_SENDER_CUSTOMER: return "customer";
	default: return "unknown";
	}
}

static gboolean
store_message(sms_job *j, gint64 ticket_id, const char *threaded_by, GError **error)
{
	cd_message_insert ins = {.ticket_id = ticket_id, .raw_id = j->raw_id, .direction = "in", .channel = "sms",
	                         .kind = "normal", .author_kind = author_of(&j->sender),
	                         .customer_id = j->sender.customer_id, .agent_id = j->sender.agent_id,
	                         .threaded_by = threaded_by, .msg = j->m};
	j->out->ticket_id = ticket_id;
	return cd_message_store(j->ctx->store, &ins, &j->out->message_id, error);
}

static cd_actor
actor_of(const sms_job *j)
{
	cd_actor a = {.actor_kind = j->sender.kind == CD_SENDER_AGENT ? "agent" : "customer",
	              .actor_id = j->sender.kind == CD_SENDER_AGENT ? j->sender.agent_id : j->sender.customer_id,
	              .actor = j->number, .channel = "sms"};
	return a;
}

/* reply_lang - a keyword's answer in the keyword's language, unless it is English (STOP, HELP are
 * English words in every country): then the customer's own language. */
static const char *
reply_lang(const sms_job *j)
{
	return j->kw.lang && strcmp(j->kw.lang, "en") != 0 ? j->kw.lang : NULL;
}

static gboolean
keyword_reply(sms_job *j, const char *kind, GError **error)
{
	JsonObject *extra = json_object_new();
	json_object_set_string_member(extra, "keyword", cd_smskw_name(j->kw.kind));
	gboolean ok = cd_notify_sms(j->ctx->store, kind, j->number, 0, j->sender.customer_id, j->out->message_id, extra,
	                            reply_lang(j), error);
	json_object_unref(extra);
	return ok;
}

/* opt_out - STOP (on TRUE) or START: the opt-out table, an audit row, the confirmation. */
static gboolean
opt_out(sms_job *j, gboolean stop, GError **error)
{
	cd_store *store = j->ctx->store;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 stop ? "INSERT INTO sms_optouts(number, keyword, source, opted_out_at) "
	                                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING"
	                                      : "DELETE FROM sms_optouts WHERE number = ?1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, j->number, -1, SQLITE_STATIC);
	if (stop) {
		sqlite3_bind_text(st, 2, j->m->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, j->in->source, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, cd_now());
	}
	if (!cd_store_run(store, st, error))
		return FALSE;
	gboolean changed = cd_store_changes(store) > 0;
	cd_actor actor = actor_of(j);
	cd_audit_event ev = {.actor = &actor, .entity = "phone", .customer_id = j->sender.customer_id,
	                     .action = stop ? "sms_opt_out" : "sms_opt_in", .note = j->number};
	j->out->what = stop ? "stop" : "start";
	return store_message(j, 0, NULL, error) && (!changed || cd_audit(store, &ev, error)) &&
	       keyword_reply(j, stop ? "sms_stop" : "sms_start", error);
}

/* status_reply - STATUS <ref>: TRUE in *answered when the ticket or RMA is the sender's. */
static gboolean
status_reply(sms_job *j, gboolean *answered, GError **error)
{
	*answered = FALSE;
	if (j->sender.customer_id == 0)
		return TRUE;
	cd_store *store = j->ctx->store;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 j->kw.rma_id ? "SELECT status, coalesce(ticket_id, 0) FROM rmas "
	                                                "WHERE id = ? AND customer_id = ?"
	                                              : "SELECT status, id FROM tickets WHERE id = ? AND customer_id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, j->kw.rma_id ? j->kw.rma_id : j->kw.ticket_id);
	sqlite3_bind_int64(st, 2, j->sender.customer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	char *state = row ? cd_col_dup(st, 0) : NULL;
	gint64 ticket_id = row ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_reset(st);
	if (!row)
		return TRUE;
	*answered = TRUE;
	j->out->what = "status";
	char *ref = j->kw.rma_id ? cd_rma_ref(j->kw.rma_id) : cd_ticket_ref(j->kw.ticket_id);
	JsonObject *extra = json_object_new();
	json_object_set_string_member(extra, "ref", ref);
	json_object_set_string_member(extra, "state", state);
	gboolean ok = store_message(j, ticket_id, "status", error) &&
	              cd_notify_sms(store, "status_reply", j->number, 0, j->sender.customer_id, j->out->message_id, extra,
	                            reply_lang(j), error);
	json_object_unref(extra);
	g_free(ref);
	g_free(state);
	return ok;
}

/* agent_reply - an agent's SMS answers the ticket of the last notification texted to that agent
 * (within a day); without one it is kept, unattached, with an audit row. */
static gboolean
agent_reply(sms_job *j, GError **error)
{
	cd_store *store = j->ctx->store;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT ticket_id FROM outbox WHERE channel = 'sms' AND kind = 'agent_sms_ticket' "
	                                 "AND agent_id = ? AND recipient = ? AND created_at > ? "
	                                 "AND state IN ('queued','sending','sent') AND ticket_id IS NOT NULL "
	                                 "ORDER BY id DESC LIMIT 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, j->sender.agent_id);
	sqlite3_bind_text(st, 2, j->number, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, cd_now() - 86400);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gint64 ticket_id = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	cd_actor actor = actor_of(j);
	j->out->what = "agent reply";
	if (ticket_id == 0) {
		cd_audit_event ev = {.actor = &actor, .entity = "phone", .action = "agent_sms_without_context",
		                     .note = "an agent's SMS that answers no notification: kept, not relayed"};
		return store_message(j, 0, NULL, error) && cd_audit(store, &ev, error);
	}
	char *status = NULL;
	gboolean found;
	gboolean ok = store_message(j, ticket_id, "agent-sms", error) && cd_ticket_touch(store, ticket_id, FALSE, error) &&
	              cd_notify_agent_reply(store, ticket_id, j->sender.agent_id, j->out->message_id, j->m->text, NULL,
	                                    error) &&
	              cd_ticket_get(store, ticket_id, &found, &status, NULL, error);
	if (ok && cd_machine_allows(&cd_ticket_machine, status, "pending"))
		ok = cd_ticket_set_status(store, ticket_id, "pending", &actor, "agent replied by SMS", error);
	g_free(status);
	return ok;
}

/* open_ticket - the sender's latest open ticket updated within the join window, or 0. */
static gboolean
open_ticket(sms_job *j, gint64 *ticket_id, GError **error)
{
	*ticket_id = 0;
	gint64 hours = 72;
	if (j->ctx->cfg)
		cd_config_int(j->ctx->cfg, "sms", "join_window_hours", 72, 0, &hours, NULL);
	if (j->sender.customer_id == 0 || hours <= 0)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(j->ctx->store,
	                                 "SELECT id FROM tickets WHERE customer_id = ? AND status IN ('new','open','pending') "
	                                 "AND updated_at >= ? ORDER BY updated_at DESC, id DESC LIMIT 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, j->sender.customer_id);
	sqlite3_bind_int64(st, 2, cd_now() - hours * 3600);
	gboolean row;
	if (!cd_store_step(j->ctx->store, st, &row, error))
		return FALSE;
	if (row)
		*ticket_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return TRUE;
}

/* text_answers - the rules' reply and sms kinds, by SMS to the sender (an SMS is answered by SMS);
 * with none, fallback (may be NULL). */
static gboolean
text_answers(sms_job *j, const cd_rule_decision *dec, gint64 ticket_id, const char *fallback, GError **error)
{
	GPtrArray *lists[] = {dec->replies, dec->sms};
	guint n = 0;
	gboolean ok = TRUE;
	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++)
		for (guint i = 0; ok && lists[l] && i < lists[l]->len; i++, n++)
			ok = cd_notify_sms(j->ctx->store, g_ptr_array_index(lists[l], i), j->number, ticket_id,
			                   j->sender.customer_id, j->out->message_id, NULL, NULL, error);
	if (ok && n == 0 && fallback)
		ok = cd_notify_sms(j->ctx->store, fallback, j->number, ticket_id, j->sender.customer_id, j->out->message_id,
		                   NULL, NULL, error);
	return ok;
}

/* agents_only - the decision as the mail notifications see it: without answers to the customer
 * (text_answers sends those by SMS). A shallow copy: not to be cleared. */
static cd_rule_decision
agents_only(const cd_rule_decision *dec)
{
	cd_rule_decision d = *dec;
	d.replies = NULL;
	d.sms = NULL;
	return d;
}

static gboolean
join(sms_job *j, gint64 ticket_id, const cd_rule_decision *dec, GError **error)
{
	cd_store *store = j->ctx->store;
	char *status = NULL;
	gboolean found;
	cd_actor actor = actor_of(j);
	j->out->what = "reply";
	gboolean ok = cd_ticket_get(store, ticket_id, &found, &status, NULL, error) &&
	              cd_ingest_apply_decision(j->ctx, dec, ticket_id, FALSE, j->sender.customer_id, j->m, error) &&
	              store_message(j, ticket_id, "sms-window", error) && cd_ticket_touch(store, ticket_id, TRUE, error);
	if (ok && g_strcmp0(status, "pending") == 0)
		ok = cd_ticket_set_status(store, ticket_id, "open", &actor, "customer replied by SMS", error);
	if (ok) {
		char *note = g_strdup_printf("message %" G_GINT64_FORMAT " by SMS", j->out->message_id);
		cd_audit_event ev = {.actor = &actor, .entity = "ticket", .entity_id = ticket_id,
		                     .customer_id = j->sender.customer_id, .action = "reply", .note = note};
		ok = cd_audit(store, &ev, error);
		g_free(note);
	}
	/* agents hear of it as of a mail reply; the rules' answers go by SMS */
	cd_rule_decision agents = agents_only(dec);
	ok = ok && cd_notify_customer_reply(store, ticket_id, j->out->message_id, j->m, &agents, error) &&
	     text_answers(j, dec, ticket_id, NULL, error);
	g_free(status);
	return ok;
}

static gboolean
new_ticket(sms_job *j, const cd_rule_decision *dec, GError **error)
{
	cd_store *store = j->ctx->store;
	if (j->sender.kind == CD_SENDER_UNKNOWN) {
		if (!cd_customer_create(store, NULL, j->number, NULL, "pending", &j->sender.customer_id, error))
			return FALSE;
		j->sender.kind = CD_SENDER_CUSTOMER;
	}
	gint64 queue_id = 0;
	if (!cd_queue_find(store, NULL, &queue_id, error) || !cd_rule_queue(store, dec, queue_id, &queue_id, error))
		return FALSE;
	cd_ticket_new t = {.customer_id = j->sender.customer_id, .queue_id = queue_id, .subject = j->m->subject,
	                   .channel = "sms"};
	cd_actor actor = actor_of(j);
	j->out->what = "new ticket";
	cd_rule_decision agents = agents_only(dec);
	/* an RMA or activation answers itself (its own templates); other tickets are acknowledged */
	gboolean answered = g_strcmp0(dec->type, "rma") == 0 || g_strcmp0(dec->type, "activation") == 0;
	return cd_ticket_create(store, &t, &actor, &j->out->ticket_id, error) &&
	       cd_ingest_apply_decision(j->ctx, dec, j->out->ticket_id, TRUE, j->sender.customer_id, j->m, error) &&
	       store_message(j, j->out->ticket_id, NULL, error) &&
	       /* agents by mail (and by SMS for urgent ones); the customer by SMS */
	       cd_notify_new_ticket(store, j->out->ticket_id, j->out->message_id, j->m, TRUE, &agents, error) &&
	       text_answers(j, dec, j->out->ticket_id, answered ? NULL : "ticket_ack", error);
}

/* by_rules - the filter rules (channel sms), then join or open a ticket. */
static gboolean
by_rules(sms_job *j, GError **error)
{
	cd_rule_decision dec;
	cd_rule_decision_init(&dec);
	gboolean ok = cd_ingest_evaluate_rules(j->ctx, j->m, "sms", &j->sender, &dec, error);
	if (ok && (dec.drop || dec.reject)) {
		/* an SMS cannot be bounced: reject means drop */
		cd_actor actor = {.actor_kind = "rule",
		                  .actor = dec.matched && dec.matched->len ? g_ptr_array_index(dec.matched, dec.matched->len - 1)
		                                                           : "rules",
		                  .channel = "sms"};
		cd_audit_event ev = {.actor = &actor, .entity = "raw", .entity_id = j->raw_id, .action = "dropped",
		                     .note = j->number};
		j->out->what = "dropped";
		ok = cd_audit(j->ctx->store, &ev, error) &&
		     cd_ingest_mark_raw(j->ctx->store, j->raw_id, "dropped", 0, NULL, error);
		cd_rule_decision_clear(&dec);
		return ok;
	}
	/* an RMA or an activation code is its own matter: a new ticket, not a line in an open one */
	gboolean own = g_strcmp0(dec.type, "rma") == 0 || g_strcmp0(dec.type, "activation") == 0;
	gint64 ticket_id = 0;
	ok = ok && (own || open_ticket(j, &ticket_id, error));
	if (ok)
		ok = ticket_id ? join(j, ticket_id, &dec, error) : new_ticket(j, &dec, error);
	cd_rule_decision_clear(&dec);
	return ok;
}

/* blocked - the fraud stop (blocklist.h): a blocked number gets nothing, not even the answer to
 * STOP; its text stays raw (dropped) and the refusal is audited. */
static gboolean
blocked(sms_job *j, gboolean *yes, GError **error)
{
	char *reason = NULL;
	*yes = FALSE;
	if (j->number == NULL || j->sender.kind == CD_SENDER_AGENT ||
	    !cd_blocklist_match(j->ctx->store, CD_BLOCK_PHONE, j->number, yes, &reason, error))
		return j->number == NULL || j->sender.kind == CD_SENDER_AGENT;
	gboolean ok = TRUE;
	if (*yes) {
		cd_actor actor = {.actor_kind = "system", .actor = "blocklist", .channel = "sms"};
		char *note = g_strdup_printf("SMS from %s: blocked%s%s", j->number, reason && *reason ? ": " : "",
		                             reason ? reason : "");
		cd_audit_event ev = {.actor = &actor, .entity = "raw", .entity_id = j->raw_id, .action = "blocked", .note = note};
		ok = cd_audit(j->ctx->store, &ev, error) &&
		     cd_ingest_mark_raw(j->ctx->store, j->raw_id, "dropped", 0, NULL, error);
		g_free(note);
		j->out->what = "dropped";
	}
	g_free(reason);
	return ok;
}

static gboolean
process(sms_job *j, GError **error)
{
	gboolean is_blocked;
	if (!blocked(j, &is_blocked, error))
		return FALSE;
	if (is_blocked)
		return TRUE;
	switch (j->kw.kind) {
	case CD_SMSKW_STOP:
		return opt_out(j, TRUE, error);
	case CD_SMSKW_START:
		return opt_out(j, FALSE, error);
	case CD_SMSKW_HELP:
		j->out->what = "help";
		return store_message(j, 0, NULL, error) && keyword_reply(j, "sms_help", error);
	case CD_SMSKW_STATUS: {
		gboolean answered = FALSE;
		if (!status_reply(j, &answered, error))
			return FALSE;
		if (answered)
			return TRUE;
		break; /* not the sender's: ordinary text */
	}
	default:
		break;
	}
	if (j->sender.kind == CD_SENDER_AGENT)
		return agent_reply(j, error);
	return by_rules(j, error);
}

gboolean
cd_sms_ingest(cd_ingest_ctx *ctx, const cd_sms_in *in, cd_sms_outcome *out, GError **error)
{
	memset(out, 0, sizeof *out);
	cd_store *store = ctx->store;
	GString *raw = raw_bytes(in);
	char sha[65];
	cd_sha256_hex(raw->str, raw->len, sha);
	char *number = cd_sms_normalize_number(ctx->cfg, in->from);
	cd_raw_origin origin = {.channel = "sms", .source = in->source ? in->source : "sms", .recipient = in->to,
	                        .source_ref = in->provider_id, .envelope_from = number ? number : in->from};
	cd_raw_status rs;
	gboolean ok = cd_raw_store(store, raw->str, raw->len, sha, &origin, &out->raw_id, &rs, error);
	if (ok && rs == CD_RAW_SEEN) {
		out->duplicate = TRUE;
		out->what = "duplicate";
	} else if (ok) {
		sms_job j = {.ctx = ctx, .raw_id = out->raw_id, .in = in, .number = number, .out = out};
		j.m = sms_message(number ? number : "", in->text, sha, raw->len);
		cd_smskw_parse(j.m->text, &j.kw);
		GError *e = NULL;
		gboolean done = cd_store_savepoint(store, "sms", &e) && cd_sender_lookup_phone(store, number, &j.sender, &e) &&
		                process(&j, &e);
		if (done && g_strcmp0(out->what, "dropped") != 0)
			done = cd_ingest_mark_raw(store, out->raw_id, "done", out->message_id, NULL, &e);
		if (done) {
			ok = cd_store_release(store, "sms", error);
		} else {
			cd_store_rollback_to(store, "sms");
			if (cd_result_of(e) == CD_TEMP) {
				g_propagate_error(error, e);
				e = NULL;
				ok = FALSE;
			} else {
				/* kept raw, never lost: an agent or `caredesk reprocess` takes it from here */
				g_warning("SMS from %s (raw %" G_GINT64_FORMAT "): %s; kept raw as failed", in->from, out->raw_id,
				          e ? e->message : "?");
				cd_audit_event ev = {.entity = "raw", .entity_id = out->raw_id, .action = "failed",
				                     .note = e ? e->message : NULL};
				ok = cd_audit(store, &ev, error) &&
				     cd_ingest_mark_raw(store, out->raw_id, "failed", 0, e ? e->message : NULL, error);
				out->what = "failed";
			}
			g_clear_error(&e);
		}
		cd_smskw_clear(&j.kw);
		cd_message_free(j.m);
	}
	g_free(number);
	g_string_free(raw, TRUE);
	return ok;
}

cd_message *
cd_sms_raw_message(const cd_config *cfg, const void *bytes, gsize len)
{
	char *text = cd_utf8_clean(bytes, (gssize)len);
	char *body = strstr(text, "\n\n");
	if (body)
		*body = '\0';
	char *from = NULL;
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		if (g_str_has_prefix(*l, "X-SMS-From: "))
			from = cd_sms_normalize_number(cfg, *l + strlen("X-SMS-From: "));
	g_strfreev(lines);
	char sha[65];
	cd_sha256_hex(bytes, len, sha);
	cd_message *m = sms_message(from ? from : "", body ? body + 2 : "", sha, len);
	g_free(from);
	g_free(text);
	return m;
}

gboolean
cd_sms_take_in(cd_ingest_ctx *ctx, const cd_sms_in *in, cd_sms_outcome *out, GError **error)
{
	if (!cd_store_begin(ctx->store, error))
		return FALSE;
	if (cd_sms_ingest(ctx, in, out, error) && cd_store_commit(ctx->store, error))
		return TRUE;
	cd_store_rollback(ctx->store);
	return FALSE;
}
