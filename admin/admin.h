/* admin.h - what the subcommands of `caredesk` share: opening config and database, option
 * parsing conventions, and output (one JSON document with --json, else a table for people). */
#ifndef ADMIN_H
#define ADMIN_H

#include "config.h"
#include "store.h"

#include <json-glib/json-glib.h>

typedef struct {
	cd_config *cfg;
	cd_store *store;
} admin_ctx;

/* Options every subcommand takes. */
extern char *admin_opt_config;
extern gboolean admin_opt_json;

/* admin_parse - parse options for a subcommand (adds -c and --json); exits on --help or errors. */
void admin_parse(int *argc, char ***argv, const char *usage, const char *summary, GOptionEntry *entries);

/* admin_subcommand - the word after the command ("list" in `caredesk -c F ticket list`), or "". */
const char *admin_subcommand(int argc, char **argv);

/* admin_open - config + database (migrated); exits with a one-line error on failure. */
void admin_open(admin_ctx *a);
void admin_close(admin_ctx *a);

/* admin_fail - "caredesk: message" on stderr and exit with the sysexits code for the error. */
G_GNUC_NORETURN void admin_fail(GError *error);

/* Rows: a JSON array of objects. admin_print_rows prints it as JSON or as a table of columns. */
void admin_print_rows(JsonNode *rows, const char *const *columns);
void admin_print_json(JsonNode *node);

/* admin_row_from_stmt - a JSON object of the current row, column names as keys. */
JsonNode *admin_row_from_stmt(sqlite3_stmt *st);

int cmd_init(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_ticket(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_customer(int argc, char **argv);

#endif
