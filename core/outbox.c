/* outbox.c - queueing, leasing and bookkeeping of outbound messages (see outbox.h). */
#include "outbox.h"
#include "audit.h"
#include "result.h"
#include "smsenc.h"
#include "template.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

gboolean
cd_mail_settings_load(const cd_config *cfg, cd_mail_settings *out, GError **error)
{
	memset(out, 0, sizeof *out);
	out->from_name = cd_config_str(cfg, "mail", "from_name", "Customer Support");
	out->starttls = cd_config_str(cfg, "mail", "smtp_starttls", "try");
	out->smtp_user = cd_config_str(cfg, "mail", "smtp_user", NULL);
	out->trusted_authserv = cd_config_str(cfg, "mail", "trusted_authserv", NULL);
	gboolean ok = cd_config_int(cfg, "mail", "auto_reply_per_day", 5, 0, &out->auto_reply_per_day, error) &&
	              cd_config_int(cfg, "mail", "bounce_limit", 3, 1, &out->bounce_limit, error) &&
	              cd_config_int(cfg, "mail", "max_attempts", 10, 1, &out->max_attempts, error) &&
	              cd_config_int(cfg, "mail", "backoff_seconds", 60, 1, &out->backoff_seconds, error) &&
	              cd_config_int(cfg, "mail", "backoff_max_seconds", 6 * 3600, 1, &out->backoff_max_seconds, error) &&
	              cd_config_int(cfg, "mail", "smtp_timeout_seconds", 60, 1, &out->smtp_timeout_seconds, error) &&
	              cd_config_int(cfg, "mail", "lease_seconds", 300, 1, &out->lease_seconds, error) &&
	              cd_config_int(cfg, "mail", "forward_files_max_bytes", 10 * 1024 * 1024, 0,
	                            &out->forward_files_max_bytes, error);
	if (ok && strcmp(out->starttls, "try") != 0 && strcmp(out->starttls, "require") != 0 &&
	    strcmp(out->starttls, "never") != 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [mail] smtp_starttls: expected try, require or never, got '%s'",
		            cfg->path, out->starttls);
		ok = FALSE;
	}
	ok = ok && cd_config_file_text(cfg, "mail", "smtp_password_file", &out->smtp_password, error);
	if (!ok)
		cd_mail_settings_clear(out);
	return ok;
}

void
cd_mail_settings_clear(cd_mail_settings *s)
{
	g_free(s->from_name);
	g_free(s->starttls);
	g_free(s->smtp_user);
	if (s->smtp_password)
		sodium_memzero(s->smtp_password, strlen(s->smtp_password));
	g_free(s->smtp_password);
	g_free(s->trusted_authserv);
	memset(s, 0, sizeof *s);
}

char *
cd_outbox_message_id(const char *domain)
{
	guint8 raw[15];
	randombytes_buf(raw, sizeof raw);
	char *hex = g_malloc(sizeof raw * 2 + 1);
	sodium_bin2hex(hex, sizeof raw * 2 + 1, raw, sizeof raw);
	char *id = g_strdup_printf("cd.%s@%s", hex, domain && *domain ? domain : "localhost");
	g_free(hex);
	return id;
}

/* object_at - vars[name] as an object, created when missing. */
static JsonObject *
object_at(JsonObject *vars, const char *name)
{
	if (json_object_has_member(vars, name)) {
		JsonNode *n = json_object_get_member(vars, name);
		if (JSON_NODE_HOLDS_OBJECT(n))
			return json_node_get_object(n);
	}
	JsonObject *o = json_object_new();
	json_object_set_object_member(vars, name, o);
	return o;
}

static void
set_default(JsonObject *o, const char *key, const char *value)
{
	if (!json_object_has_member(o, key) && value)
		json_object_set_string_member(o, key, value);
}

/* add_common - site.*, customer.*, lang; returns the language to render in (owned). */
static char *
add_common(const cd_outbox_ctx *ctx, const cd_outbox_msg *msg, JsonObject *vars, GError **error)
{
	JsonObject *site = object_at(vars, "site");
	set_default(site, "name", ctx->mail ? ctx->mail->from_name : "Customer Support");
	set_default(site, "support_address", ctx->cfg ? ctx->cfg->support_address : NULL);
	set_default(site, "base_url", ctx->cfg ? ctx->cfg->web_base_url : NULL);
	char *lang = g_strdup(msg->lang);
	if (msg->customer_id) {
		sqlite3_stmt *st = cd_store_stmt(ctx->store, "SELECT name, email, language FROM customers WHERE id = ?", error);
		if (st == NULL) {
			g_free(lang);
			return NULL;
		}
		sqlite3_bind_int64(st, 1, msg->customer_id);
		gboolean row;
		if (!cd_store_step(ctx->store, st, &row, error)) {
			g_free(lang);
			return NULL;
		}
		if (row) {
			JsonObject *c = object_at(vars, "customer");
			set_default(c, "name", cd_col_text(st, 0));
			set_default(c, "email", cd_col_text(st, 1));
			set_default(c, "language", cd_col_text(st, 2));
			if (lang == NULL && cd_col_text(st, 2))
				lang = g_strdup(cd_col_text(st, 2));
		}
		sqlite3_reset(st);
	}
	if (lang == NULL)
		lang = g_strdup("en");
	set_default(vars, "lang", lang);
	return lang;
}

/* sent_since - rows queued or sent to recipient since t: automatic answers (the mail limit) or
 * SMS (the per-number limits). */
static gboolean
sent_since(cd_store *store, const char *recipient, gboolean sms, gint64 since, gint64 *n, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 sms ? "SELECT count(*) FROM outbox WHERE recipient = ? AND channel = 'sms' "
	                                       "AND created_at > ? AND state IN ('queued','sending','sent')"
	                                     : "SELECT count(*) FROM outbox WHERE recipient = ? AND auto_reply = 1 "
	                                       "AND created_at > ? AND state IN ('queued','sending','sent')",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return TRUE;
}

/* sms_key - an [sms] number (a bad value counts as the default: the settings loader reports it) */
static gint64
sms_key(const cd_outbox_ctx *ctx, const char *key, gint64 def)
{
	gint64 v = def;
	if (ctx->cfg)
		cd_config_int(ctx->cfg, "sms", key, def, 0, &v, NULL);
	return v;
}

/* sms_suppressed - why an SMS to msg->recipient must not go (static text), or NULL: the number
 * sent STOP (only the STOP confirmation still goes), or it reached its hourly or daily limit (SMS
 * cost money: a flood of texts in must not make a flood out). */
static gboolean
sms_suppressed(const cd_outbox_ctx *ctx, const cd_outbox_msg *msg, const char **reason, GError **error)
{
	*reason = NULL;
	gint64 opted = 0;
	if (!cd_store_lookup_id(ctx->store, "SELECT 1 FROM sms_optouts WHERE number = ?", msg->recipient, 0, &opted, error))
		return FALSE;
	if (opted && g_strcmp0(msg->kind, "sms_stop") != 0) {
		*reason = "the number opted out of SMS (STOP)";
		return TRUE;
	}
	gint64 n = 0, now = cd_now();
	if (!sent_since(ctx->store, msg->recipient, TRUE, now - 3600, &n, error))
		return FALSE;
	if (n >= sms_key(ctx, "per_number_hourly", 5)) {
		*reason = "SMS to this number reached the hourly limit";
		return TRUE;
	}
	if (!sent_since(ctx->store, msg->recipient, TRUE, now - 86400, &n, error))
		return FALSE;
	if (n >= sms_key(ctx, "per_number_daily", 20))
		*reason = "SMS to this number reached the daily limit";
	return TRUE;
}

static gboolean
is_bouncing(cd_store *store, const char *recipient, gboolean *yes, GError **error)
{
	gint64 v = 0;
	if (!cd_store_lookup_id(store, "SELECT bouncing FROM mail_addresses WHERE address = ?", recipient, 0, &v, error))
		return FALSE;
	*yes = v != 0;
	return TRUE;
}

/* headers_json - the extra headers of a row, as a JSON object text. */
static char *
headers_json(const cd_outbox_msg *msg)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	if (msg->reply_to) {
		json_builder_set_member_name(b, "Reply-To");
		json_builder_add_string_value(b, msg->reply_to);
	}
	if (msg->in_reply_to) {
		json_builder_set_member_name(b, "In-Reply-To");
		json_builder_add_string_value(b, msg->in_reply_to);
	}
	if (msg->references && msg->references->len) {
		json_builder_set_member_name(b, "References");
		json_builder_begin_array(b);
		for (guint i = 0; i < msg->references->len; i++)
			json_builder_add_string_value(b, g_ptr_array_index(msg->references, i));
		json_builder_end_array(b);
	}
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *s = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return s;
}

/* link_files - the attachments of msg->files_of that go with row: stored ones (with their bytes),
 * in order, while their sizes add up to at most forward_files_max_bytes. */
static gboolean
link_files(const cd_outbox_ctx *ctx, gint64 row, const cd_outbox_msg *msg, GError **error)
{
	gint64 max = ctx->mail ? ctx->mail->forward_files_max_bytes : 10 * 1024 * 1024;
	if (max <= 0)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(ctx->store,
	                                 "INSERT INTO outbox_attachments(outbox_id, attachment_id) "
	                                 "SELECT ?1, id FROM (SELECT id, sum(size) OVER (ORDER BY id) AS running "
	                                 "FROM attachments WHERE message_id = ?2 AND content IS NOT NULL "
	                                 "AND (?3 OR inline = 0)) WHERE running <= ?4",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, row);
	sqlite3_bind_int64(st, 2, msg->files_of);
	sqlite3_bind_int(st, 3, msg->files_inline_too ? 1 : 0);
	sqlite3_bind_int64(st, 4, max);
	return cd_store_run(ctx->store, st, error);
}

gboolean
cd_outbox_enqueue(const cd_outbox_ctx *ctx, const cd_outbox_msg *msg, gint64 *row_id, const char **why,
                  GError **error)
{
	const char *channel = msg->channel ? msg->channel : "email";
	const char *reason = NULL;
	const char *state = "queued";
	*row_id = 0;
	if (why)
		*why = NULL;
	JsonObject *vars = msg->vars ? json_object_ref(msg->vars) : json_object_new();
	char *lang = add_common(ctx, msg, vars, error);
	if (lang == NULL) {
		json_object_unref(vars);
		return FALSE;
	}
	gboolean ok = TRUE;
	if (msg->recipient == NULL || *msg->recipient == '\0') {
		reason = "no recipient";
		state = "cancelled";
	}
	if (ok && reason == NULL && strcmp(channel, "email") == 0) {
		gboolean bouncing = FALSE;
		ok = is_bouncing(ctx->store, msg->recipient, &bouncing, error);
		if (ok && bouncing) {
			reason = "the address is bouncing";
			state = "cancelled";
		}
	}
	gboolean sms = strcmp(channel, "sms") == 0;
	if (ok && reason == NULL && sms) {
		ok = sms_suppressed(ctx, msg, &reason, error);
		if (reason)
			state = "cancelled";
	}
	if (ok && reason == NULL && msg->auto_reply && !sms) {
		gint64 n = 0;
		ok = sent_since(ctx->store, msg->recipient, FALSE, cd_now() - 86400, &n, error);
		gint64 limit = ctx->mail ? ctx->mail->auto_reply_per_day : 5;
		if (ok && n >= limit) {
			reason = "automatic answers to this address reached the daily limit";
			state = "cancelled";
		}
	}
	cd_rendered r = {0};
	char *sms_text = NULL;
	char *render_error = NULL;
	if (ok && reason == NULL) {
		GError *e = NULL;
		gboolean rendered;
		if (ctx->templates == NULL)
			rendered = (g_set_error(&e, CD_ERROR, CD_ERROR_CONFIG, "no templates loaded"), FALSE);
		else if (strcmp(channel, "sms") == 0)
			rendered = cd_tmpl_render_sms(ctx->templates, msg->kind, lang, vars, &sms_text, &e);
		else
			rendered = cd_tmpl_render_email(ctx->templates, msg->kind, lang, vars, &r, &e);
		if (!rendered) {
			render_error = g_strdup_printf("template %s: %s", msg->kind, e ? e->message : "cannot render");
			g_warning("outbox: %s (to %s): the message is kept as failed", render_error, msg->recipient);
			g_clear_error(&e);
			state = "failed";
		}
	}
	cd_sms_size size = {0};
	if (sms_text) {
		/* the segment cap: a longer text is cut (an SMS of the first part beats none) */
		char *fit = cd_sms_fit(sms_text, (guint)sms_key(ctx, "max_segments", 3));
		g_free(sms_text);
		sms_text = fit;
		cd_sms_measure(sms_text, &size);
	}
	char *headers = headers_json(msg);
	char *mid = strcmp(channel, "email") == 0 ? cd_outbox_message_id(ctx->cfg ? ctx->cfg->domain : NULL) : NULL;
	sqlite3_stmt *st =
	    ok ? cd_store_stmt(ctx->store,
	                       "INSERT INTO outbox(created_at, channel, kind, ticket_id, customer_id, agent_id, "
	                       "cause_message_id, rma_id, recipient, sender, subject, body_text, body_html, headers, "
	                       "message_id, state, next_attempt_at, last_error, lang, auto_reply, segments) "
	                       "VALUES (?1, ?2, ?3, nullif(?4, 0), nullif(?5, 0), nullif(?6, 0), nullif(?7, 0), "
	                       "nullif(?8, 0), ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?1, ?17, ?18, ?19, nullif(?20, 0))",
	                       error)
	       : NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, cd_now());
		sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, msg->kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, msg->ticket_id);
		sqlite3_bind_int64(st, 5, msg->customer_id);
		sqlite3_bind_int64(st, 6, msg->agent_id);
		sqlite3_bind_int64(st, 7, msg->cause_message_id);
		sqlite3_bind_int64(st, 8, msg->rma_id);
		sqlite3_bind_text(st, 9, msg->recipient ? msg->recipient : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, ctx->cfg ? ctx->cfg->support_address : NULL, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, r.subject, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, sms_text ? sms_text : r.text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, r.html, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, headers, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 15, mid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 16, state, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 17, render_error ? render_error : reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 18, lang, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 19, msg->auto_reply ? 1 : 0);
		sqlite3_bind_int(st, 20, (int)size.segments);
		ok = cd_store_run(ctx->store, st, error);
		if (ok)
			*row_id = cd_store_last_id(ctx->store);
	} else {
		ok = FALSE;
	}
	if (ok && msg->files_of && strcmp(state, "queued") == 0 && strcmp(channel, "email") == 0)
		ok = link_files(ctx, *row_id, msg, error);
	if (ok && reason) {
		cd_audit_event ev = {.entity = "outbox", .entity_id = *row_id, .customer_id = msg->customer_id,
		                     .action = "suppressed", .note = reason};
		ok = cd_audit(ctx->store, &ev, error);
	}
	if (why)
		*why = render_error ? "the template could not be rendered" : reason;
	g_free(render_error);
	g_free(headers);
	g_free(mid);
	g_free(sms_text);
	cd_rendered_clear(&r);
	g_free(lang);
	json_object_unref(vars);
	return ok;
}

void
cd_outbox_row_clear(cd_outbox_row *r)
{
	g_free(r->channel);
	g_free(r->kind);
	g_free(r->recipient);
	g_free(r->subject);
	g_free(r->body_text);
	g_free(r->body_html);
	g_free(r->headers);
	g_free(r->message_id);
	if (r->files)
		g_ptr_array_unref(r->files);
	memset(r, 0, sizeof *r);
}

static void
outbox_file_free(gpointer p)
{
	cd_outbox_file *f = p;
	g_free(f->filename);
	g_free(f->content_type);
	if (f->content)
		g_bytes_unref(f->content);
	g_free(f);
}

gboolean
cd_outbox_load_files(cd_store *store, cd_outbox_row *row, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT a.filename, a.content_type, a.content FROM outbox_attachments l "
	                                 "JOIN attachments a ON a.id = l.attachment_id "
	                                 "WHERE l.outbox_id = ? AND a.content IS NOT NULL ORDER BY a.id",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, row->id);
	if (row->files)
		g_ptr_array_set_size(row->files, 0);
	gboolean ok, more = FALSE;
	while ((ok = cd_store_step(store, st, &more, error)) && more) {
		cd_outbox_file *f = g_new0(cd_outbox_file, 1);
		f->filename = cd_col_dup(st, 0);
		f->content_type = cd_col_dup(st, 1);
		f->content = g_bytes_new(sqlite3_column_blob(st, 2), (gsize)sqlite3_column_bytes(st, 2));
		if (row->files == NULL)
			row->files = g_ptr_array_new_with_free_func(outbox_file_free);
		g_ptr_array_add(row->files, f);
	}
	sqlite3_reset(st);
	return ok;
}

static void
row_free(gpointer p)
{
	cd_outbox_row_clear(p);
	g_free(p);
}

gboolean
cd_outbox_claim(cd_store *store, const char *channel, guint max, gint64 lease_seconds, GPtrArray **rows,
                GError **error)
{
	*rows = g_ptr_array_new_with_free_func(row_free);
	gint64 now = cd_now();
	if (!cd_store_begin(store, error))
		return FALSE;
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT id, channel, kind, recipient, subject, body_text, body_html, headers, "
	                                 "message_id, attempts, auto_reply FROM outbox "
	                                 "WHERE state IN ('queued','sending') AND next_attempt_at <= ?1 AND channel = ?2 "
	                                 "ORDER BY next_attempt_at, id LIMIT ?3",
	                                 error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, (int)max);
		gboolean row;
		while ((ok = cd_store_step(store, st, &row, error)) && row) {
			cd_outbox_row *r = g_new0(cd_outbox_row, 1);
			r->id = sqlite3_column_int64(st, 0);
			r->channel = cd_col_dup(st, 1);
			r->kind = cd_col_dup(st, 2);
			r->recipient = cd_col_dup(st, 3);
			r->subject = cd_col_dup(st, 4);
			r->body_text = cd_col_dup(st, 5);
			r->body_html = cd_col_dup(st, 6);
			r->headers = cd_col_dup(st, 7);
			r->message_id = cd_col_dup(st, 8);
			r->attempts = sqlite3_column_int64(st, 9) + 1;
			r->auto_reply = sqlite3_column_int(st, 10) != 0;
			g_ptr_array_add(*rows, r);
		}
		sqlite3_reset(st);
	}
	st = ok ? cd_store_stmt(store,
	                        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ? "
	                        "WHERE id = ?",
	                        error)
	        : NULL;
	for (guint i = 0; st && ok && i < (*rows)->len; i++) {
		cd_outbox_row *r = g_ptr_array_index(*rows, i);
		sqlite3_bind_int64(st, 1, now + lease_seconds);
		sqlite3_bind_int64(st, 2, r->id);
		ok = cd_store_run(store, st, error);
	}
	ok = ok && st != NULL && cd_store_commit(store, error);
	if (!ok) {
		cd_store_rollback(store);
		g_clear_pointer(rows, g_ptr_array_unref);
	}
	return ok;
}

gboolean
cd_outbox_record(cd_store *store, const cd_mail_settings *mail, gint64 row_id, gint64 attempts, cd_send_result result,
                 const char *detail, GError **error)
{
	gint64 now = cd_now();
	const char *state = "sent";
	gint64 next = now;
	if (result == CD_SEND_TEMP) {
		if (attempts >= mail->max_attempts) {
			state = "failed";
		} else {
			state = "queued";
			gint64 delay = mail->backoff_seconds;
			for (gint64 i = 1; i < attempts && delay < mail->backoff_max_seconds; i++)
				delay *= 2;
			delay = MIN(delay, mail->backoff_max_seconds);
			/* up to a tenth of jitter, so that rows failed together do not retry together */
			delay += randombytes_uniform((guint32)(delay / 10 + 1));
			next = now + delay;
		}
	} else if (result == CD_SEND_PERM) {
		state = "failed";
	}
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE outbox SET state = ?2, next_attempt_at = ?3, last_error = ?4, "
	                                 "sent_at = CASE WHEN ?2 = 'sent' THEN ?5 ELSE sent_at END WHERE id = ?1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, row_id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, next);
	sqlite3_bind_text(st, 4, result == CD_SEND_OK ? NULL : detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	if (!cd_store_run(store, st, error))
		return FALSE;
	if (strcmp(state, "failed") == 0) {
		cd_audit_event ev = {.entity = "outbox", .entity_id = row_id, .action = "delivery_failed", .to_state = "failed",
		                     .note = detail};
		return cd_audit(store, &ev, error);
	}
	return TRUE;
}

gboolean
cd_outbox_next_due(cd_store *store, const char *channel, gint64 *seconds, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(
	    store, "SELECT min(next_attempt_at) FROM outbox WHERE state IN ('queued','sending') AND channel = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		*seconds = -1;
	else
		*seconds = MAX(0, sqlite3_column_int64(st, 0) - cd_now());
	sqlite3_reset(st);
	return TRUE;
}

gboolean
cd_outbox_retry(cd_store *store, gint64 row_id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE outbox SET state = 'queued', next_attempt_at = ?, attempts = 0 "
	                                 "WHERE id = ? AND state IN ('failed','cancelled')",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, cd_now());
	sqlite3_bind_int64(st, 2, row_id);
	if (!cd_store_run(store, st, error))
		return FALSE;
	if (cd_store_changes(store) == 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "outbox row %" G_GINT64_FORMAT " is not failed or cancelled",
		            row_id);
		return FALSE;
	}
	cd_audit_event ev = {.entity = "outbox", .entity_id = row_id, .action = "retry", .to_state = "queued"};
	return cd_audit(store, &ev, error);
}

static void
verp_mac(const cd_secret *s, gint64 row_id, char out[CD_TOKEN_CHARS + 1])
{
	char *msg = g_strdup_printf("verp:%" G_GINT64_FORMAT, row_id);
	cd_secret_mac(s, msg, out);
	g_free(msg);
}

char *
cd_verp_address(const cd_secret *s, const char *domain, gint64 row_id)
{
	char mac[CD_TOKEN_CHARS + 1];
	verp_mac(s, row_id, mac);
	return g_strdup_printf("bounces+%" G_GINT64_FORMAT ".%s@%s", row_id, mac, domain);
}

gint64
cd_verp_row(const cd_secret *s, const char *address)
{
	if (address == NULL || g_ascii_strncasecmp(address, "bounces+", 8) != 0)
		return 0;
	const char *p = address + 8;
	char *end;
	gint64 id = g_ascii_strtoll(p, &end, 10);
	if (end == p || *end != '.' || id <= 0)
		return 0;
	const char *mac = end + 1;
	const char *at = strchr(mac, '@');
	if (at == NULL || at - mac != CD_TOKEN_CHARS)
		return 0;
	char want[CD_TOKEN_CHARS + 1];
	verp_mac(s, id, want);
	return g_ascii_strncasecmp(want, mac, CD_TOKEN_CHARS) == 0 ? id : 0;
}

gboolean
cd_outbox_bounce(cd_store *store, const cd_mail_settings *mail, gint64 row_id, const char *status, const char *action,
                 GError **error)
{
	char *recipient = NULL;
	if (!cd_store_lookup_text(store, "SELECT recipient FROM outbox WHERE id = ?", NULL, row_id, &recipient, error))
		return FALSE;
	if (recipient == NULL)
		return TRUE;
	gboolean hard = status && status[0] == '5';
	gboolean delayed = action && g_ascii_strcasecmp(action, "delayed") == 0;
	char *ds = g_strdup_printf("%s %s", action ? action : "failed", status ? status : "?");
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE outbox SET delivery_status = ?2, bounced_at = ?3, "
	                                 "state = CASE WHEN ?4 THEN 'failed' ELSE state END WHERE id = ?1",
	                                 error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, row_id);
		sqlite3_bind_text(st, 2, ds, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, cd_now());
		sqlite3_bind_int(st, 4, hard);
		ok = cd_store_run(store, st, error);
	}
	if (ok && !delayed) {
		st = cd_store_stmt(store,
		                   "INSERT INTO mail_addresses(address, hard_bounces, soft_bounces, last_status, last_bounce_at) "
		                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(address) DO UPDATE SET "
		                   "hard_bounces = hard_bounces + ?2, soft_bounces = soft_bounces + ?3, last_status = ?4, "
		                   "last_bounce_at = ?5",
		                   error);
		ok = st != NULL;
		if (ok) {
			sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 2, hard);
			sqlite3_bind_int(st, 3, !hard);
			sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 5, cd_now());
			ok = cd_store_run(store, st, error);
		}
		st = ok ? cd_store_stmt(store,
		                        "UPDATE mail_addresses SET bouncing = 1 WHERE address = ? AND hard_bounces >= ? "
		                        "AND bouncing = 0",
		                        error)
		        : NULL;
		if (st) {
			sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, mail ? mail->bounce_limit : 3);
			ok = cd_store_run(store, st, error);
			if (ok && cd_store_changes(store) > 0) {
				cd_audit_event ev = {.entity = "address", .action = "bouncing", .note = recipient};
				ok = cd_audit(store, &ev, error);
			}
		} else {
			ok = FALSE;
		}
	}
	if (ok) {
		cd_audit_event ev = {.entity = "outbox", .entity_id = row_id, .action = "bounce", .note = ds};
		ok = cd_audit(store, &ev, error);
	}
	g_free(ds);
	g_free(recipient);
	return ok;
}

gboolean
cd_outbox_set_provider_ref(cd_store *store, gint64 row_id, const char *ref, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "UPDATE outbox SET provider_ref = ? WHERE id = ?", error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, row_id);
	return cd_store_run(store, st, error);
}

gboolean
cd_outbox_delivery_report(cd_store *store, gint64 row_id, const char *provider_ref, const cd_delivery_report *rep,
                          gint64 *found_row, GError **error)
{
	*found_row = 0;
	gint64 id = 0;
	if (!cd_store_lookup_id(store,
	                        row_id ? "SELECT id FROM outbox WHERE id = ? AND channel = 'sms'"
	                               : "SELECT id FROM outbox WHERE provider_ref = ? AND channel = 'sms'",
	                        row_id ? NULL : provider_ref, row_id, &id, error))
		return FALSE;
	if (id == 0)
		return TRUE;
	*found_row = id;
	/* reports may arrive out of order: an interim one (accepted, buffered) never replaces a final one */
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "UPDATE outbox SET delivery_status = ?1 WHERE id = ?2 "
	                                 "AND (?3 OR delivery_final IS NOT 1)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, rep->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int(st, 3, rep->final);
	if (!cd_store_run(store, st, error))
		return FALSE;
	if (rep->final) {
		st = cd_store_stmt(store, "UPDATE outbox SET delivery_final = 1 WHERE id = ?", error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, id);
		if (!cd_store_run(store, st, error))
			return FALSE;
	}
	if (!rep->failed)
		return TRUE;
	cd_audit_event ev = {.entity = "outbox", .entity_id = id, .action = "sms_undelivered", .note = rep->status};
	return cd_audit(store, &ev, error);
}
