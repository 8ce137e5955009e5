/* spawn.h - starting the engine (caredesk-mailgw-engine): for subcommands that need parsing,
 * and as the detached background processor that the pipe starts after its commit. */
#ifndef MAILGW_SPAWN_H
#define MAILGW_SPAWN_H

#include <glib.h>

/* mailgw_engine_path - the engine beside this executable (build tree) or in the libexec dir. */
char *mailgw_engine_path(void);

/* mailgw_exec_engine - replace this process with the engine, same arguments. Returns only on failure. */
void mailgw_exec_engine(int argc, char **argv);

/* mailgw_spawn_processor - if no processor holds the pipeline lock, take it and start a detached
 * engine `process` that inherits it. Never blocks; failures are logged (the rows stay pending). */
void mailgw_spawn_processor(const char *config_path, const char *db_path);

/* mailgw_run_engine_sync - run the engine on argv and wait; returns its exit status (75 on failure). */
int mailgw_run_engine_sync(char **engine_argv);

#endif
