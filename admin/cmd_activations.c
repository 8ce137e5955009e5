/* cmd_activations.c - `caredesk activations list|approve`: pending customers and how far their
 * activation got; approving one by hand (core/activation.h). */
#include "activation.h"
#include "admin.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static int
activations_list(int argc, char **argv)
{
	gboolean all = FALSE;
	GOptionEntry entries[] = {
		{"all", 'a', 0, G_OPTION_ARG_NONE, &all, "every activation, not only pending customers", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "activations list - pending customers and their latest activation",
	            "Without --all: one row per pending customer, with the state of their newest activation (a code\n"
	            "sent by email or SMS, a link) if any. With --all: every activation, newest first.",
	            entries);
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st;
	if (all)
		st = admin_prepare(a.store,
		                   "SELECT v.id, c.email AS customer, c.phone, c.status AS customer_status, v.channel, v.state, "
		                   "v.attempts, v.max_attempts, " ADMIN_ISO("v.expires_at") " AS expires, "
		                   ADMIN_ISO("v.created_at") " AS created, " ADMIN_ISO("v.activated_at") " AS activated "
		                   "FROM activations v JOIN customers c ON c.id = v.customer_id ORDER BY v.id DESC");
	else
		st = admin_prepare(a.store,
		                   "SELECT c.id, c.email AS customer, c.phone, c.name, " ADMIN_ISO("c.created_at") " AS since, "
		                   "v.channel, v.state, v.attempts, v.max_attempts, " ADMIN_ISO("v.expires_at") " AS expires "
		                   "FROM customers c LEFT JOIN activations v ON v.id = (SELECT max(id) FROM activations x "
		                   "WHERE x.customer_id = c.id) WHERE c.status = 'pending' ORDER BY c.id");
	JsonNode *rows = admin_rows(a.store, st);
	static const char *const pending_cols[] = {"id", "customer", "phone", "since", "channel", "state", "attempts",
	                                           "expires", NULL};
	static const char *const all_cols[] = {"id", "customer", "channel", "state", "attempts", "expires", "created",
	                                       "activated", NULL};
	admin_print_rows(rows, all ? all_cols : pending_cols);
	json_node_unref(rows);
	admin_close(&a);
	return EX_OK;
}

static int
activations_approve(int argc, char **argv)
{
	char *note = NULL;
	GOptionEntry entries[] = {
		{"note", 0, 0, G_OPTION_ARG_STRING, &note, "why (kept in the history)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "activations approve EMAIL|ID - activate a pending customer without a code", NULL,
	            entries);
	if (argc < 4)
		cd_die(EX_USAGE, "activations approve EMAIL|ID");
	admin_ctx a;
	admin_open(&a);
	gint64 id = admin_customer_id(a.store, argv[3]);
	GError *error = NULL;
	admin_begin(&a);
	gboolean ok = cd_activation_approve(a.store, id, "admin", admin_actor(), note, &error);
	admin_commit(&a, ok, error);
	printf("customer %s is now active\n", argv[3]);
	g_free(note);
	admin_close(&a);
	return EX_OK;
}

int
cmd_activations(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "list") == 0)
		return activations_list(argc, argv);
	if (strcmp(sub, "approve") == 0)
		return activations_approve(argc, argv);
	cd_die(EX_USAGE, "activations: list or approve EMAIL|ID");
}
