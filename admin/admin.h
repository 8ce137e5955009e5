/* admin.h - what the subcommands of `caredesk` share: opening config and database, option
 * parsing conventions, and output (one JSON document with --json, else a table for people). */
#ifndef ADMIN_H
#define ADMIN_H

#include "audit.h"
#include "config.h"
#include "notify.h"
#include "store.h"

#include <json-glib/json-glib.h>

typedef struct {
	cd_config *cfg;
	cd_store *store;
	cd_secret *secret;        /* NULL when secret.key cannot be read (then nothing is queued to send) */
	cd_mail_settings mail;
	cd_outbox_ctx outbox;     /* installed: what an admin's change causes (an RMA step) is queued */
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

/* Helpers of the workflow commands (cmd_workflow.c): rma, offer, order, activations, tick and
 * customer show. Each fails the command with a one-line error rather than returning one. */

/* admin_prepare - a cached statement for sql. */
sqlite3_stmt *admin_prepare(cd_store *store, const char *sql);
/* admin_rows - every row of st as a JSON array (admin_row_from_stmt); admin_one - the first row or NULL. */
JsonNode *admin_rows(cd_store *store, sqlite3_stmt *st);
JsonNode *admin_one(cd_store *store, sqlite3_stmt *st);
/* admin_str - a string member, NULL when absent or null; admin_int - an integer member, 0 when absent. */
const char *admin_str(JsonObject *o, const char *name);
gint64 admin_int(JsonObject *o, const char *name);
/* admin_actor - the admin at the keyboard: {admin, $USER, cli}. */
const cd_actor *admin_actor(void);
/* admin_password_hash - the argon2id hash of password, or of one line read from stdin when NULL
 * (prompted for, without echo, on a terminal); dies (naming what) when shorter than 8 characters. */
char *admin_password_hash(const char *what, const char *password);
/* admin_begin / admin_commit - BEGIN IMMEDIATE; COMMIT when ok, else roll back and fail with error. */
void admin_begin(admin_ctx *a);
void admin_commit(admin_ctx *a, gboolean ok, GError *error);
/* admin_customer_id - the customer named by EMAIL or ID (an alternate address counts); exits EX_NOINPUT. */
gint64 admin_customer_id(cd_store *store, const char *arg);
/* admin_history_sql - SELECT of audit rows (at, actor_kind, actor, channel, action, from_state, to_state,
 * note) for ?1 = entity and ?2 = entity_id, oldest first. */
#define ADMIN_ISO(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col ", 'unixepoch')"
extern const char admin_history_sql[];
/* admin_print_history - audit rows under a title, one per line: "  2026-05-01T10:00:00Z  agent ana (email)
 *   [what] status requested -> authorized", the note indented on the next line. */
void admin_print_history(JsonNode *rows, const char *title);
/* admin_field - "Label:     value" when value is not NULL. */
void admin_field(const char *label, const char *value);
/* admin_words - argv[from..] joined by spaces (newly allocated), NULL when there are none. */
char *admin_words(int argc, char **argv, int from);

/* admin_parse_day - a date option (YYYY-MM-DD as UTC midnight, or ISO 8601) in Unix seconds; with end,
 * a plain day means the midnight after it (so --to 2026-06-30 includes that day). Exits EX_USAGE. */
gint64 admin_parse_day(const char *option, const char *text, gboolean end);
/* admin_customer_data - `customer search|set|tag|note|address|merge|erase|prune` (cmd_customer.c);
 * -1 when sub is none of them. */
int admin_customer_data(const char *sub, int argc, char **argv);

int cmd_init(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_ticket(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_customer(int argc, char **argv);
int cmd_filters(int argc, char **argv);
int cmd_templates(int argc, char **argv);
int cmd_rma(int argc, char **argv);
int cmd_offer(int argc, char **argv);
int cmd_order(int argc, char **argv);
int cmd_activations(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_tick(int argc, char **argv);
int cmd_reprocess(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_blocklist(int argc, char **argv);
int cmd_account(int argc, char **argv);

#endif
