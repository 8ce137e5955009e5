/* cmd_tick.c - `caredesk tick`: run the workflow's timers once (core/timers.h). Meant for cron:
 * idempotent, safe to run twice at once; prints what it did (nothing due: a one-line summary). */
#include "admin.h"
#include "log.h"
#include "timers.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

int
cmd_tick(int argc, char **argv)
{
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
		{"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing when nothing was due", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "tick - run the timers once",
	            "Closes resolved tickets after [workflow] autoclose_days (7), escalates tickets with no agent\n"
	            "answer within their queue's SLA (once: priority one step up), expires authorized RMAs whose goods\n"
	            "did not arrive within rma_return_days (30), offers past their validity, and activation codes.\n"
	            "Run it from cron every few minutes: a second run, or two at once, changes nothing more.\n"
	            "CAREDESK_NOW (Unix seconds) sets the clock, for tests.",
	            entries);
	admin_ctx a;
	admin_open(&a);
	cd_timer_stats stats;
	GError *error = NULL;
	gboolean ok = cd_timers_run(a.store, a.cfg, cd_now(), &stats, &error);
	if (!ok) {
		cd_timer_stats_clear(&stats);
		admin_fail(error);
	}
	if (admin_opt_json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		const char *keys[] = {"tickets_closed", "tickets_escalated", "rmas_expired", "offers_expired",
		                      "activations_expired"};
		guint vals[] = {stats.tickets_closed, stats.tickets_escalated, stats.rmas_expired, stats.offers_expired,
		                stats.activations_expired};
		for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
			json_builder_set_member_name(b, keys[i]);
			json_builder_add_int_value(b, vals[i]);
		}
		json_builder_set_member_name(b, "actions");
		json_builder_begin_array(b);
		for (guint i = 0; i < stats.actions->len; i++) {
			cd_timer_action *t = g_ptr_array_index(stats.actions, i);
			json_builder_begin_object(b);
			const char *fk[] = {"entity", "ref", "action", "from", "to", "note"};
			const char *fv[] = {t->entity, t->ref, t->action, t->from, t->to, t->note};
			for (gsize k = 0; k < G_N_ELEMENTS(fk); k++) {
				json_builder_set_member_name(b, fk[k]);
				if (fv[k])
					json_builder_add_string_value(b, fv[k]);
				else
					json_builder_add_null_value(b);
			}
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		JsonNode *root = json_builder_get_root(b);
		admin_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
	} else {
		for (guint i = 0; i < stats.actions->len; i++) {
			cd_timer_action *t = g_ptr_array_index(stats.actions, i);
			/* "ticket T-000004", "offer OF-000001", but "activation 3" (its reference names it already) */
			gboolean named = t->ref && g_str_has_prefix(t->ref, t->entity);
			printf("%s%s%s %s: %s -> %s (%s)\n", named ? "" : t->entity, named ? "" : " ", t->ref ? t->ref : "?",
			       t->action, t->from, t->to, t->note ? t->note : "");
		}
		if (stats.actions->len || !quiet)
			printf("tick: %u ticket%s closed, %u escalated; %u RMA%s, %u offer%s, %u activation code%s expired\n",
			       stats.tickets_closed, stats.tickets_closed == 1 ? "" : "s", stats.tickets_escalated,
			       stats.rmas_expired, stats.rmas_expired == 1 ? "" : "s", stats.offers_expired,
			       stats.offers_expired == 1 ? "" : "s", stats.activations_expired,
			       stats.activations_expired == 1 ? "" : "s");
	}
	cd_timer_stats_clear(&stats);
	admin_close(&a);
	return EX_OK;
}
