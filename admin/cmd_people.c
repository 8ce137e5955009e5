/* cmd_people.c - `caredesk agent add|list` and `caredesk customer add|list|contact`. */
#include "admin.h"
#include "audit.h"
#include "customer.h"
#include "log.h"
#include "result.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col ", 'unixepoch')"

static void
list_query(const char *sql, const char *const *cols)
{
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	sqlite3_stmt *st = cd_store_stmt(a.store, sql, &error);
	if (st == NULL)
		admin_fail(error);
	JsonArray *arr = json_array_new();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_add_element(arr, admin_row_from_stmt(st));
	sqlite3_reset(st);
	JsonNode *rows = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(rows, arr);
	admin_print_rows(rows, cols);
	json_node_unref(rows);
	admin_close(&a);
}

/* in_transaction - run fn inside BEGIN/COMMIT, failing the command on error. */
static void
commit_or_fail(admin_ctx *a, gboolean ok, GError *error)
{
	if (ok && cd_store_commit(a->store, &error))
		return;
	cd_store_rollback(a->store);
	admin_fail(error);
}

static int
agent_add(int argc, char **argv)
{
	char *role = NULL, *phone = NULL;
	GOptionEntry entries[] = {
		{"role", 0, 0, G_OPTION_ARG_STRING, &role, "agent (default) or admin", "ROLE"},
		{"phone", 0, 0, G_OPTION_ARG_STRING, &phone, "mobile number for SMS notifications", "NUMBER"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "agent add LOGIN EMAIL NAME - a new agent", NULL, entries);
	if (argc < 6)
		cd_die(EX_USAGE, "agent add LOGIN EMAIL NAME");
	char *email = cd_address_normalize(argv[4]);
	if (email == NULL)
		cd_die(EX_DATAERR, "'%s' is not a mail address", argv[4]);
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	gboolean ok = cd_store_begin(a.store, &error);
	sqlite3_stmt *st = ok ? cd_store_stmt(a.store,
	                                      "INSERT INTO agents(login, email, name, phone, role, created_at) "
	                                      "VALUES (?, ?, ?, ?, ?, ?)",
	                                      &error)
	                      : NULL;
	ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, argv[3], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, argv[5], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, phone, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, role ? role : "agent", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, cd_now());
		ok = cd_store_run(a.store, st, &error);
	}
	gint64 id = ok ? cd_store_last_id(a.store) : 0;
	cd_actor actor = {.actor_kind = "admin", .actor = g_get_user_name(), .channel = "cli"};
	cd_audit_event ev = {.actor = &actor, .entity = "agent", .entity_id = id, .action = "created", .note = email};
	ok = ok && cd_audit(a.store, &ev, &error);
	commit_or_fail(&a, ok, error);
	printf("agent %s <%s> added\n", argv[3], email);
	admin_close(&a);
	g_free(email);
	g_free(role);
	g_free(phone);
	return EX_OK;
}

int
cmd_agent(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "add") == 0)
		return agent_add(argc, argv);
	if (strcmp(sub, "list") == 0) {
		admin_parse(&argc, &argv, "agent list - all agents", NULL, NULL);
		static const char *const cols[] = {"login", "email", "name", "role", "active", NULL};
		list_query("SELECT id, login, email, name, phone, role, active, " ISO("created_at") " AS created "
		           "FROM agents ORDER BY login", cols);
		return EX_OK;
	}
	cd_die(EX_USAGE, "agent: add LOGIN EMAIL NAME, or list");
}

static int
customer_add(int argc, char **argv)
{
	char *name = NULL, *phone = NULL, *status = NULL;
	GOptionEntry entries[] = {
		{"name", 'n', 0, G_OPTION_ARG_STRING, &name, "full name", "NAME"},
		{"phone", 'p', 0, G_OPTION_ARG_STRING, &phone, "phone number", "NUMBER"},
		{"status", 's', 0, G_OPTION_ARG_STRING, &status, "pending, active (default) or disabled", "S"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "customer add EMAIL - a new customer", NULL, entries);
	if (argc < 4)
		cd_die(EX_USAGE, "customer add EMAIL [--name NAME] [--phone NUMBER]");
	char *email = cd_address_normalize(argv[3]);
	if (email == NULL)
		cd_die(EX_DATAERR, "'%s' is not a mail address", argv[3]);
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	gint64 id = 0;
	gboolean ok = cd_store_begin(a.store, &error) &&
	              cd_customer_create(a.store, email, phone, name, status ? status : "active", &id, &error);
	commit_or_fail(&a, ok, error);
	printf("customer %s added (id %" G_GINT64_FORMAT ")\n", email, id);
	admin_close(&a);
	g_free(email);
	g_free(name);
	g_free(phone);
	g_free(status);
	return EX_OK;
}

static gint64
customer_by_email(cd_store *store, const char *email)
{
	GError *error = NULL;
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT id FROM customers WHERE email = ?", &error);
	if (st == NULL)
		admin_fail(error);
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	gint64 id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (id == 0)
		cd_die(EX_NOINPUT, "no customer %s", email);
	return id;
}

static int
customer_contact(int argc, char **argv)
{
	gboolean no_follow = FALSE;
	GOptionEntry entries[] = {
		{"no-follow", 0, 0, G_OPTION_ARG_NONE, &no_follow, "may not write to or follow the customer's tickets", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "customer contact CUSTOMER-EMAIL ADDRESS - an alternate address of a customer", NULL,
	            entries);
	if (argc < 5)
		cd_die(EX_USAGE, "customer contact CUSTOMER-EMAIL ADDRESS");
	char *owner = cd_address_normalize(argv[3]);
	char *addr = cd_address_normalize(argv[4]);
	if (owner == NULL || addr == NULL)
		cd_die(EX_DATAERR, "both must be mail addresses");
	admin_ctx a;
	admin_open(&a);
	gint64 cid = customer_by_email(a.store, owner);
	GError *error = NULL;
	gboolean ok = cd_store_begin(a.store, &error);
	sqlite3_stmt *st = ok ? cd_store_stmt(a.store,
	                                      "INSERT INTO customer_contacts(customer_id, kind, value, may_follow, created_at) "
	                                      "VALUES (?, 'email', ?, ?, ?)",
	                                      &error)
	                      : NULL;
	ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, cid);
		sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, no_follow ? 0 : 1);
		sqlite3_bind_int64(st, 4, cd_now());
		ok = cd_store_run(a.store, st, &error);
	}
	cd_actor actor = {.actor_kind = "admin", .actor = g_get_user_name(), .channel = "cli"};
	cd_audit_event ev = {.actor = &actor, .entity = "customer", .entity_id = cid, .customer_id = cid,
	                     .action = "contact added", .note = addr};
	ok = ok && cd_audit(a.store, &ev, &error);
	commit_or_fail(&a, ok, error);
	printf("%s is now a contact of %s\n", addr, owner);
	admin_close(&a);
	g_free(owner);
	g_free(addr);
	return EX_OK;
}

int
cmd_customer(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "add") == 0)
		return customer_add(argc, argv);
	if (strcmp(sub, "contact") == 0)
		return customer_contact(argc, argv);
	if (strcmp(sub, "list") == 0) {
		admin_parse(&argc, &argv, "customer list - all customers", NULL, NULL);
		static const char *const cols[] = {"id", "email", "name", "phone", "status", "tickets", "created", NULL};
		list_query("SELECT c.id, c.email, c.name, c.phone, c.status, "
		           "(SELECT count(*) FROM tickets t WHERE t.customer_id = c.id) AS tickets, "
		           ISO("c.created_at") " AS created FROM customers c ORDER BY c.id", cols);
		return EX_OK;
	}
	cd_die(EX_USAGE, "customer: add EMAIL, list, or contact CUSTOMER-EMAIL ADDRESS");
}
