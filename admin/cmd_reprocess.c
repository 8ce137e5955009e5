/* cmd_reprocess.c - `caredesk reprocess --since DATE [--apply]`: run the current filter rules again
 * on stored messages (after a rule change). Dry-run by default: it prints, per message, what the
 * rules decide and what that would change on its ticket; --apply makes those changes (audited,
 * the rule as actor). Raw messages are never changed. */
#include "admin.h"
#include "customer.h"
#include "ingest_sms.h"
#include "log.h"
#include "mime.h"
#include "process.h"
#include "result.h"
#include "ruleapply.h"
#include "rules.h"
#include "ticket.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static char *
join_strings(GPtrArray *a)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; a && i < a->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(a, i));
	return g_string_free(s, FALSE);
}

static void
add_decision_json(JsonBuilder *b, const cd_rule_decision *d)
{
	const char *keys[] = {"type", "queue", "priority", "assign", "reject"};
	const char *vals[] = {d->type, d->queue, d->priority, d->assign, d->reject};
	for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
		json_builder_set_member_name(b, keys[i]);
		if (vals[i])
			json_builder_add_string_value(b, vals[i]);
		else
			json_builder_add_null_value(b);
	}
	json_builder_set_member_name(b, "drop");
	json_builder_add_boolean_value(b, d->drop);
	json_builder_set_member_name(b, "matched");
	json_builder_begin_array(b);
	for (guint i = 0; d->matched && i < d->matched->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(d->matched, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "tags");
	json_builder_begin_array(b);
	for (guint i = 0; d->tags && i < d->tags->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(d->tags, i));
	json_builder_end_array(b);
	json_builder_set_member_name(b, "captures");
	json_builder_begin_object(b);
	if (d->captures) {
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, d->captures);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			json_builder_set_member_name(b, k);
			json_builder_add_string_value(b, v);
		}
	}
	json_builder_end_object(b);
}

int
cmd_reprocess(int argc, char **argv)
{
	char *since = NULL;
	gboolean apply = FALSE;
	GOptionEntry entries[] = {
		{"since", 's', 0, G_OPTION_ARG_STRING, &since, "messages received from this date (YYYY-MM-DD, UTC)", "DATE"},
		{"apply", 0, 0, G_OPTION_ARG_NONE, &apply, "make the changes (default: only show them)", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "reprocess --since DATE - run the current filter rules again on stored messages",
	            "Dry-run unless --apply. Bounces, duplicates and dropped messages are skipped.", entries);
	if (since == NULL)
		cd_die(EX_USAGE, "reprocess: from when? (--since YYYY-MM-DD)");
	gint64 from = admin_parse_day("--since", since, FALSE);
	admin_ctx a;
	admin_open(&a);
	cd_ruleset *rules = cd_rules_current(a.cfg->filters_dir);
	if (rules == NULL)
		cd_die(EX_CONFIG, "no filter rules could be loaded from %s (caredesk filters check)", a.cfg->filters_dir);
	cd_mime_options opt;
	cd_mime_options_from_config(&opt, a.cfg);
	GError *error = NULL;
	sqlite3_stmt *st = cd_store_stmt(a.store,
	                                 "SELECT r.id, b.bytes, m.ticket_id, m.customer_id, m.author_kind, t.customer_id, r.channel "
	                                 "FROM raw_messages r JOIN raw_bodies b ON b.raw_id = r.id "
	                                 "JOIN messages m ON m.raw_id = r.id AND m.kind != 'bounce' "
	                                 "JOIN tickets t ON t.id = m.ticket_id "
	                                 "WHERE r.received_at >= ? AND r.state = 'done' ORDER BY r.id",
	                                 &error);
	if (st == NULL)
		admin_fail(error);
	sqlite3_bind_int64(st, 1, from);
	/* read first, then change: the statement must not see its own updates */
	typedef struct {
		gint64 raw_id, ticket_id, customer_id, owner;
		gboolean agent, sms;
		GBytes *bytes;
	} row;
	GArray *rows = g_array_new(FALSE, TRUE, sizeof(row));
	while (sqlite3_step(st) == SQLITE_ROW) {
		row r = {.raw_id = sqlite3_column_int64(st, 0),
		         .bytes = g_bytes_new(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1)),
		         .ticket_id = sqlite3_column_int64(st, 2),
		         .customer_id = sqlite3_column_int64(st, 3),
		         .agent = g_strcmp0(cd_col_text(st, 4), "unverified_agent") == 0 ||
		                  g_strcmp0(cd_col_text(st, 4), "agent") == 0,
		         .owner = sqlite3_column_int64(st, 5),
		         .sms = g_strcmp0(cd_col_text(st, 6), "sms") == 0};
		g_array_append_val(rows, r);
	}
	sqlite3_reset(st);
	if (apply && !cd_store_begin(a.store, &error))
		admin_fail(error);
	JsonBuilder *jb = json_builder_new();
	json_builder_begin_array(jb);
	guint changed = 0;
	for (guint i = 0; i < rows->len; i++) {
		row *r = &g_array_index(rows, row, i);
		gsize len;
		const void *data = g_bytes_get_data(r->bytes, &len);
		cd_message *m = r->sms ? cd_sms_raw_message(a.cfg, data ? data : "", len)
		                       : cd_mime_parse(data ? data : "", len, &opt);
		char **tags = cd_rule_customer_tags(a.store, r->customer_id, &error);
		if (tags == NULL)
			admin_fail(error);
		cd_rule_input in = {.channel = r->sms ? "sms" : "email", .msg = m,
		                    .customer = cd_rule_customer_kind(r->agent, r->customer_id),
		                    .customer_tags = (const char *const *)tags};
		cd_rule_decision d;
		cd_rule_decision_init(&d);
		cd_rules_evaluate(rules, &in, &d, NULL);
		char *ref = cd_ticket_ref(r->ticket_id);
		char *matched = join_strings(d.matched);
		if (admin_opt_json) {
			json_builder_begin_object(jb);
			json_builder_set_member_name(jb, "ticket");
			json_builder_add_string_value(jb, ref);
			json_builder_set_member_name(jb, "raw_id");
			json_builder_add_int_value(jb, r->raw_id);
			add_decision_json(jb, &d);
			json_builder_end_object(jb);
		} else if (d.matched && d.matched->len) {
			printf("%s (raw %" G_GINT64_FORMAT ", \"%s\"): %s%s%s%s%s%s -- rules: %s\n", ref, r->raw_id,
			       m->subject ? m->subject : "", d.type ? "type " : "", d.type ? d.type : "",
			       d.queue ? " queue " : "", d.queue ? d.queue : "", d.priority ? " priority " : "",
			       d.priority ? d.priority : "", matched);
		}
		if (apply && d.matched && d.matched->len) {
			gint64 queue_id = 0;
			char *note = NULL;
			gboolean ok = d.queue == NULL || cd_rule_queue(a.store, &d, 0, &queue_id, &error);
			if (ok && d.queue) {
				sqlite3_stmt *u = cd_store_stmt(a.store, "UPDATE tickets SET queue_id = ? WHERE id = ?", &error);
				ok = u != NULL;
				if (ok) {
					sqlite3_bind_int64(u, 1, queue_id);
					sqlite3_bind_int64(u, 2, r->ticket_id);
					ok = cd_store_run(a.store, u, &error);
				}
			}
			ok = ok && cd_rule_apply(a.store, a.cfg, &d, r->ticket_id, TRUE, r->owner, NULL, &note, &error);
			if (!ok) {
				cd_store_rollback(a.store);
				admin_fail(error);
			}
			if (note && !admin_opt_json)
				printf("  %s\n", note);
			g_free(note);
			changed++;
		}
		g_free(matched);
		g_free(ref);
		cd_rule_decision_clear(&d);
		g_strfreev(tags);
		cd_message_free(m);
		g_bytes_unref(r->bytes);
	}
	if (apply && !cd_store_commit(a.store, &error))
		admin_fail(error);
	json_builder_end_array(jb);
	if (admin_opt_json) {
		JsonNode *root = json_builder_get_root(jb);
		admin_print_json(root);
		json_node_unref(root);
	} else {
		if (apply)
			printf("%u messages since %s; %u tickets updated\n", rows->len, since, changed);
		else
			printf("%u messages since %s; dry-run: nothing changed (--apply to change)\n", rows->len, since);
	}
	g_object_unref(jb);
	g_array_free(rows, TRUE);
	cd_ruleset_unref(rules);
	admin_close(&a);
	g_free(since);
	return EX_OK;
}
