/* cmd_blocklist.c - `caredesk blocklist add|remove|list`: the fraud stop of core/blocklist.h (IPs
 * and CIDR ranges, addresses, mail domains, phone numbers, card fingerprints). */
#include "admin.h"
#include "blocklist.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static cd_block_kind
kind_arg(const char *name)
{
	cd_block_kind k;
	if (name == NULL || !cd_block_kind_parse(name, &k))
		cd_die(EX_USAGE, "blocklist: KIND is ip, email, domain, phone or card");
	return k;
}

static int
blocklist_add(int argc, char **argv)
{
	char *reason = NULL, *expires = NULL;
	GOptionEntry entries[] = {
		{"reason", 'r', 0, G_OPTION_ARG_STRING, &reason, "why (shown in the list and the refusal log)", "TEXT"},
		{"expires", 'e', 0, G_OPTION_ARG_STRING, &expires, "when it stops: 2027-01-31, or 7d, 12h, 30m from now", "WHEN"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "blocklist add KIND VALUE - refuse registration and login from VALUE",
	            "KIND: ip (an address or a CIDR range like 203.0.113.0/24), email, domain (blocks its\n"
	            "subdomains too), phone, card (the number is hashed at once; only its SHA-256 is kept).",
	            entries);
	if (argc < 5)
		cd_die(EX_USAGE, "blocklist add KIND VALUE [--reason TEXT] [--expires WHEN]");
	cd_block_kind kind = kind_arg(argv[3]);
	gint64 until = 0;
	if (expires) {
		char unit = expires[0] ? expires[strlen(expires) - 1] : 0;
		char *end = NULL;
		gint64 n = g_ascii_strtoll(expires, &end, 10);
		gint64 mult = unit == 'd' ? 86400 : unit == 'h' ? 3600 : unit == 'm' ? 60 : 0;
		if (mult && end && end == expires + strlen(expires) - 1 && n > 0) {
			until = cd_now() + n * mult;
		} else {
			char *iso = strchr(expires, 'T') ? g_strdup(expires) : g_strdup_printf("%sT00:00:00Z", expires);
			GDateTime *dt = g_date_time_new_from_iso8601(iso, NULL);
			g_free(iso);
			if (dt == NULL)
				cd_die(EX_USAGE, "blocklist: --expires: expected a date (2027-01-31) or 7d, 12h, 30m");
			until = g_date_time_to_unix(dt);
			g_date_time_unref(dt);
		}
	}
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	admin_begin(&a);
	gboolean ok = cd_blocklist_add(a.store, kind, argv[4], reason, until, admin_actor()->actor, &error);
	admin_commit(&a, ok, error);
	char *norm = cd_blocklist_normalize(kind, argv[4]);
	printf("blocked %s %s\n", cd_block_kind_name(kind), norm);
	g_free(norm);
	g_free(reason);
	g_free(expires);
	admin_close(&a);
	return EX_OK;
}

static int
blocklist_remove(int argc, char **argv)
{
	admin_parse(&argc, &argv, "blocklist remove KIND VALUE - lift a block", NULL, NULL);
	if (argc < 5)
		cd_die(EX_USAGE, "blocklist remove KIND VALUE");
	cd_block_kind kind = kind_arg(argv[3]);
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	gboolean removed = FALSE;
	admin_begin(&a);
	gboolean ok = cd_blocklist_remove(a.store, kind, argv[4], &removed, &error);
	admin_commit(&a, ok, error);
	admin_close(&a);
	if (!removed)
		cd_die(EX_NOINPUT, "blocklist: no %s entry %s", cd_block_kind_name(kind), argv[4]);
	printf("removed %s %s\n", cd_block_kind_name(kind), argv[4]);
	return EX_OK;
}

static int
blocklist_list(int argc, char **argv)
{
	gboolean all = FALSE;
	GOptionEntry entries[] = {
		{"all", 'a', 0, G_OPTION_ARG_NONE, &all, "expired entries too", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "blocklist list - what is blocked, why and until when", NULL, entries);
	admin_ctx a;
	admin_open(&a);
	sqlite3_stmt *st = admin_prepare(a.store,
	                                 "SELECT kind, value, coalesce(reason, '') AS reason, coalesce(created_by, '') AS by, "
	                                 ADMIN_ISO("created_at") " AS added, coalesce(" ADMIN_ISO("expires_at")
	                                 ", 'never') AS expires FROM blocklist WHERE ?1 OR expires_at IS NULL "
	                                 "OR expires_at > unixepoch() ORDER BY kind, value");
	sqlite3_bind_int(st, 1, all);
	JsonNode *rows = admin_rows(a.store, st);
	static const char *const cols[] = {"kind", "value", "reason", "by", "added", "expires", NULL};
	admin_print_rows(rows, cols);
	json_node_unref(rows);
	admin_close(&a);
	return EX_OK;
}

int
cmd_blocklist(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "add") == 0)
		return blocklist_add(argc, argv);
	if (strcmp(sub, "remove") == 0)
		return blocklist_remove(argc, argv);
	if (strcmp(sub, "list") == 0)
		return blocklist_list(argc, argv);
	cd_die(EX_USAGE, "blocklist: add KIND VALUE, remove KIND VALUE or list");
}
