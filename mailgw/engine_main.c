/* engine_main.c - caredesk-mailgw-engine: the subcommands of caredesk-mailgw that parse mail.
 * Started by caredesk-mailgw (same arguments); not meant to be run by hand. */
#include "engine.h"
#include "deliver.h"
#include "log.h"
#include "mime.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

void
engine_reload_rules(engine_ctx *e)
{
	cd_ruleset *rules = cd_rules_current(e->cfg->filters_dir);
	if (rules == e->ingest.rules) {
		if (rules)
			cd_ruleset_unref(rules);
		return;
	}
	if (e->ingest.rules)
		cd_ruleset_unref(e->ingest.rules);
	e->ingest.rules = rules;
	/* The MTA pipe reads this to decide whether it must wait for the rules (a reject needs exit 77). */
	const char *has_reject = rules && cd_ruleset_has_reject(rules) ? "1" : "0";
	char *old = cd_store_get_setting(e->store, "rules_have_reject");
	GError *error = NULL;
	if (g_strcmp0(old, has_reject) != 0 && !cd_store_set_setting(e->store, "rules_have_reject", has_reject, &error)) {
		g_warning("cannot record whether rules reject: %s", error->message);
		g_error_free(error);
	}
	g_free(old);
}

static void
on_sighup(int sig)
{
	cd_rules_invalidate();
}

void
engine_open(engine_ctx *e, const char *config_path)
{
	GError *error = NULL;
	memset(e, 0, sizeof *e);
	e->cfg = cd_config_load(config_path, &error);
	if (e->cfg == NULL)
		cd_die(EX_CONFIG, "%s", error->message);
	e->secret = cd_secret_load(e->cfg->secret_key_path, &error);
	if (e->secret == NULL)
		cd_die(EX_CONFIG, "%s", error->message);
	e->store = cd_store_open(e->cfg->database, e->cfg->busy_timeout_ms, CD_STORE_MIGRATE, &error);
	if (e->store == NULL)
		cd_die(engine_exit_code(error), "%s", error->message);
	e->ingest.store = e->store;
	e->ingest.cfg = e->cfg;
	e->ingest.secret = e->secret;
	engine_reload_rules(e);
	cd_mime_init();
	if (!cd_notify_setup(&e->outbox, &e->mail, e->store, e->cfg, e->secret, &error))
		cd_die(EX_CONFIG, "%s", error->message);
}

void
engine_close(engine_ctx *e)
{
	if (e->ingest.rules)
		cd_ruleset_unref(e->ingest.rules);
	cd_notify_teardown(&e->outbox, &e->mail);
	cd_store_close(e->store);
	cd_secret_free(e->secret);
	cd_config_free(e->cfg);
}

int
engine_exit_code(const GError *error)
{
	return cd_error_exit_code(error);
}

int
main(int argc, char **argv)
{
	g_set_prgname("caredesk-mailgw"); /* users call it as caredesk-mailgw */
	signal(SIGHUP, on_sighup);
	cd_log_init("caredesk-mailgw", CD_LOG_STDERR);
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} commands[] = {
		{"process", engine_process_main},
		{"maildir", engine_maildir_main},
		{"imap", engine_imap_main},
		{"pop3", engine_pop3_main},
		{"deliver", engine_deliver_main},
		{"run", engine_run_main},
		{"sms-spool", engine_sms_spool_main},
	};
	const char *cmd = cd_argv_word(argc, argv, 1);
	for (gsize i = 0; cmd != NULL && i < G_N_ELEMENTS(commands); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc, argv);
	if (cmd != NULL)
		cd_die(EX_USAGE, "unknown command '%s' (try --help)", cmd);
	cd_die(EX_USAGE, "no command (try --help)");
}
