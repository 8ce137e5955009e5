/* main.c - caredesk, the admin's command: one table from subcommand to handler. */
#include "admin.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"init", cmd_init, "init DIR [--domain D]      create config, secret key and database in DIR"},
	{"doctor", cmd_doctor, "doctor                     check config, secret, database and queue health"},
	{"ticket", cmd_ticket, "ticket list|show|set|attachment  tickets, their conversations and files"},
	{"customer", cmd_customer, "customer add|list|show|search|set|contact|tag|note|address|merge|erase|prune  customers"},
	{"agent", cmd_agent, "agent add|password|list    agents"},
	{"filters", cmd_filters, "filters check|test         lint the rule files; dry-run them on a message"},
	{"templates", cmd_templates, "templates check|vars|render  lint the templates; their variables; try one"},
	{"rma", cmd_rma, "rma list|show|authorize|...  return requests"},
	{"offer", cmd_offer, "offer create|list|show     offers"},
	{"order", cmd_order, "order import|list|show|set-status  orders from the shop"},
	{"activations", cmd_activations, "activations list|approve   pending accounts"},
	{"tick", cmd_tick, "tick                       run the timers (cron-friendly, idempotent)"},
	{"outbox", cmd_outbox, "outbox list|show|retry      what was or will be sent"},
	{"report", cmd_report, "report [NAME] [--by day|week|month] [--csv] [--chart F]  counts over a period"},
	{"blocklist", cmd_blocklist, "blocklist add|remove|list   IPs, addresses, domains, phones, cards refused by mail, SMS and on the web"},
	{"account", cmd_account, "account password|token     a customer's web password; the shop's API tokens"},
	{"reprocess", cmd_reprocess, "reprocess --since DATE     re-run rules on stored messages (dry-run by default)"},
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: caredesk [-c FILE] COMMAND [ARGS] [--json]\n\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %s\n", commands[i].help);
	fprintf(out, "\nEvery command takes -c FILE (default: $CAREDESK_CONF, then /etc/caredesk/caredesk.conf),\n"
	             "--json on list and show, and --help.\n");
}

int
main(int argc, char **argv)
{
	cd_log_init("caredesk", CD_LOG_STDERR);
	const char *cmd = cd_argv_word(argc, argv, 1);
	for (int i = 1; cmd == NULL && i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EX_OK;
		}
	if (cmd != NULL) {
		for (gsize c = 0; c < G_N_ELEMENTS(commands); c++)
			if (strcmp(cmd, commands[c].name) == 0)
				return commands[c].run(argc, argv);
		cd_die(EX_USAGE, "unknown command '%s' (try --help)", cmd);
	}
	usage(stderr);
	return EX_USAGE;
}
