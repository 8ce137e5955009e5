/* engine.h - what the engine's subcommands share: configuration, database, secret, logging,
 * and the mapping of failures to exit codes. */
#ifndef MAILGW_ENGINE_H
#define MAILGW_ENGINE_H

#include "ingest.h"
#include "notify.h"

typedef struct {
	cd_config *cfg;
	cd_secret *secret;
	cd_store *store;
	cd_ingest_ctx ingest;
	cd_mail_settings mail;
	cd_outbox_ctx outbox;    /* installed as the notifier: what the pipeline causes is queued */
} engine_ctx;

/* engine_open - load config and secret, open (and migrate) the database; exits on failure. */
void engine_open(engine_ctx *e, const char *config_path);
void engine_close(engine_ctx *e);

/* engine_reload_rules - take the current filter rules (reloaded when a file changed or after
 * SIGHUP; a broken file keeps the previous set) and record whether any rule rejects. */
void engine_reload_rules(engine_ctx *e);

/* engine_exit_code - sysexits for a failure classified by result.h. */
int engine_exit_code(const GError *error);

int engine_process_main(int argc, char **argv);
int engine_maildir_main(int argc, char **argv);
int engine_run_main(int argc, char **argv);
int engine_imap_main(int argc, char **argv);
int engine_pop3_main(int argc, char **argv);
int engine_sms_spool_main(int argc, char **argv);

#endif
