/* cmd_people.c - `caredesk agent add|password|list` and `caredesk customer add|list|show|contact` (the other
 * customer subcommands are in cmd_customer.c). */
#include "account.h"
#include "admin.h"
#include "audit.h"
#include "customer.h"
#include "log.h"
#include "result.h"
#include "smsconf.h"
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
		char *number = cd_sms_normalize_number(a.cfg, phone); /* E.164: their SMS replies are matched by it */
		sqlite3_bind_text(st, 4, number, -1, SQLITE_TRANSIENT);
		g_free(number);
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

static int
agent_password(int argc, char **argv)
{
	char *password = NULL;
	GOptionEntry entries[] = {
		{"password", 'p', 0, G_OPTION_ARG_STRING, &password, "the password (default: one line from stdin)", "TEXT"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "agent password LOGIN - set an agent's password for the admin pages (/admin/login)",
	            "Ends every web session of the agent. Inactive agents cannot log in.", entries);
	if (argc < 4)
		cd_die(EX_USAGE, "agent password LOGIN [--password TEXT]");
	char *hash = admin_password_hash("agent password", password);
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	gint64 id = 0;
	if (!cd_store_lookup_id(a.store, "SELECT id FROM agents WHERE login = ?1", argv[3], 0, &id, &error))
		admin_fail(error);
	if (id == 0)
		cd_die(EX_NOINPUT, "agent password: no agent %s", argv[3]);
	admin_begin(&a);
	gboolean ok = cd_agent_set_password(a.store, id, hash, admin_actor(), &error);
	admin_commit(&a, ok, error);
	printf("password of agent %s set\n", argv[3]);
	g_free(hash);
	g_free(password);
	admin_close(&a);
	return EX_OK;
}

int
cmd_agent(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "add") == 0)
		return agent_add(argc, argv);
	if (strcmp(sub, "password") == 0)
		return agent_password(argc, argv);
	if (strcmp(sub, "list") == 0) {
		admin_parse(&argc, &argv, "agent list - all agents", NULL, NULL);
		static const char *const cols[] = {"login", "email", "name", "role", "active", NULL};
		list_query("SELECT id, login, email, name, phone, role, active, " ISO("created_at") " AS created "
		           "FROM agents ORDER BY login", cols);
		return EX_OK;
	}
	cd_die(EX_USAGE, "agent: add LOGIN EMAIL NAME, password LOGIN, or list");
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
	char *number = cd_sms_normalize_number(a.cfg, phone);
	gboolean ok = cd_store_begin(a.store, &error) &&
	              cd_customer_create(a.store, email, number, name, status ? status : "active", &id, &error);
	g_free(number);
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

/* customer_section - rows of sql (?1 = the customer) as a titled table, or as a member of the JSON page. */
static void
customer_section(cd_store *store, JsonObject *page, gint64 id, const char *member, const char *title,
                 const char *sql, const char *const *cols)
{
	sqlite3_stmt *st = admin_prepare(store, sql);
	sqlite3_bind_int64(st, 1, id);
	JsonNode *rows = admin_rows(store, st);
	if (admin_opt_json) {
		json_object_set_member(page, member, rows);
		return;
	}
	printf("\n%s:\n", title);
	admin_print_rows(rows, cols);
	json_node_unref(rows);
}

static int
customer_show(int argc, char **argv)
{
	admin_parse(&argc, &argv, "customer show EMAIL|ID - a customer's page: details and history",
	            "Details, contacts, tags, orders, offers, tickets, RMAs and activations, then every audited event\n"
	            "about the customer in time order (what happened, who did it, from which channel).",
	            NULL);
	if (argc < 4)
		cd_die(EX_USAGE, "customer show EMAIL|ID");
	admin_ctx a;
	admin_open(&a);
	gint64 id = admin_customer_id(a.store, argv[3]);
	sqlite3_stmt *st = admin_prepare(
	    a.store, "SELECT id, email, phone, name, company, language, status, customer_group, notify_channel, "
	             "password_hash IS NOT NULL AS has_password, " ISO("created_at") " AS created, "
	             ISO("updated_at") " AS updated, " ISO("erased_at") " AS erased FROM customers WHERE id = ?");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *page = admin_one(a.store, st);
	JsonObject *c = json_node_get_object(page);
	if (!admin_opt_json) {
		printf("Customer %" G_GINT64_FORMAT "  [%s]\n", id, admin_str(c, "erased") ? "erased" : admin_str(c, "status"));
		admin_field("Email:", admin_str(c, "email"));
		admin_field("Phone:", admin_str(c, "phone"));
		admin_field("Name:", admin_str(c, "name"));
		admin_field("Company:", admin_str(c, "company"));
		admin_field("Language:", admin_str(c, "language"));
		admin_field("Group:", admin_str(c, "customer_group"));
		admin_field("Notify by:", admin_str(c, "notify_channel"));
		admin_field("Since:", admin_str(c, "created"));
		admin_field("Password:", admin_int(c, "has_password") ? "set" : "none");
		admin_field("Erased:", admin_str(c, "erased"));
	}
	/* follows: which tickets the contact may write to and follow; wrote_in: the tickets it wrote to */
	static const char *const contact_cols[] = {"kind", "value", "name", "follows", "wrote_in", NULL};
	customer_section(a.store, c, id, "contacts", "Contacts",
	                 "SELECT k.kind, k.value, k.name, k.may_follow, "
	                 "CASE k.may_follow WHEN 1 THEN 'all of the customer''s tickets' ELSE 'none' END AS follows, "
	                 "(SELECT group_concat(ref, ' ') FROM (SELECT DISTINCT printf('T-%06d', m.ticket_id) AS ref "
	                 "FROM messages m WHERE m.from_addr = k.value AND m.ticket_id IS NOT NULL ORDER BY 1)) AS wrote_in, "
	                 ISO("k.created_at") " AS created FROM customer_contacts k WHERE k.customer_id = ?1 ORDER BY k.id",
	                 contact_cols);
	static const char *const address_cols[] = {"id", "kind", "name", "street", "postcode", "city", "country", NULL};
	customer_section(a.store, c, id, "addresses", "Addresses",
	                 "SELECT id, kind, name, street, postcode, city, country, " ISO("created_at") " AS created "
	                 "FROM customer_addresses WHERE customer_id = ?1 ORDER BY id",
	                 address_cols);
	static const char *const note_cols[] = {"id", "author", "created", "edited", "body", NULL};
	customer_section(a.store, c, id, "notes", "Staff notes",
	                 "SELECT id, author, body, " ISO("created_at") " AS created, "
	                 "CASE WHEN edited_by IS NOT NULL THEN " ISO("updated_at") " || ' by ' || edited_by END AS edited, "
	                 "edited_by FROM customer_notes WHERE customer_id = ?1 ORDER BY id",
	                 note_cols);
	static const char *const merge_cols[] = {"merged", "merged_id", "email", "name", "moved", "by", NULL};
	customer_section(a.store, c, id, "merges", "Merged accounts",
	                 "SELECT " ISO("merged_at") " AS merged, merged_id, merged_email AS email, merged_phone AS phone, "
	                 "merged_name AS name, moved, actor AS by FROM customer_merges WHERE customer_id = ?1 ORDER BY id",
	                 merge_cols);
	static const char *const tag_cols[] = {"tag", NULL};
	customer_section(a.store, c, id, "tags", "Tags", "SELECT tag FROM customer_tags WHERE customer_id = ?1 ORDER BY tag",
	                 tag_cols);
	static const char *const order_cols[] = {"ref", "status", "lines", "total", "currency", "ordered", "delivered", NULL};
	customer_section(a.store, c, id, "orders", "Orders",
	                 "SELECT o.ref, o.status, (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) AS lines, "
	                 "printf('%d.%02d', o.total_cents / 100, o.total_cents % 100) AS total, o.currency, "
	                 ISO("o.ordered_at") " AS ordered, " ISO("o.delivered_at") " AS delivered FROM orders o "
	                 "WHERE o.customer_id = ?1 ORDER BY o.ordered_at, o.id",
	                 order_cols);
	static const char *const offer_cols[] = {"ref", "status", "title", "total", "currency", "valid_until", NULL};
	customer_section(a.store, c, id, "offers", "Offers",
	                 "SELECT ref, status, title, printf('%d.%02d', total_cents / 100, total_cents % 100) AS total, "
	                 "currency, " ISO("valid_until") " AS valid_until, " ISO("created_at") " AS created FROM offers "
	                 "WHERE customer_id = ?1 ORDER BY id",
	                 offer_cols);
	static const char *const ticket_cols[] = {"ref", "status", "priority", "type", "queue", "updated", "subject", NULL};
	customer_section(a.store, c, id, "tickets", "Tickets",
	                 "SELECT printf('T-%06d', t.id) AS ref, t.status, t.priority, t.type, q.name AS queue, t.subject, "
	                 ISO("t.created_at") " AS created, " ISO("t.updated_at") " AS updated FROM tickets t "
	                 "JOIN queues q ON q.id = t.queue_id WHERE t.customer_id = ?1 ORDER BY t.id",
	                 ticket_cols);
	static const char *const rma_cols[] = {"ref", "status", "order", "line", "quantity", "updated", "reason", NULL};
	customer_section(a.store, c, id, "rmas", "RMAs",
	                 "SELECT printf('RMA-%06d', r.id) AS ref, r.status, o.ref AS \"order\", l.line_no AS line, "
	                 "r.quantity, r.reason, r.refusal_reason, " ISO("r.created_at") " AS created, "
	                 ISO("r.updated_at") " AS updated FROM rmas r LEFT JOIN orders o ON o.id = r.order_id "
	                 "LEFT JOIN order_lines l ON l.id = r.order_line_id WHERE r.customer_id = ?1 ORDER BY r.id",
	                 rma_cols);
	static const char *const act_cols[] = {"channel", "state", "attempts", "expires", "created", NULL};
	customer_section(a.store, c, id, "activations", "Activations",
	                 "SELECT channel, state, attempts, max_attempts, " ISO("expires_at") " AS expires, "
	                 ISO("created_at") " AS created, " ISO("activated_at") " AS activated FROM activations "
	                 "WHERE customer_id = ?1 ORDER BY id",
	                 act_cols);
	st = admin_prepare(
	    a.store,
	    "SELECT " ISO("at") " AS at, actor_kind, actor, channel, entity, "
	    "CASE entity WHEN 'ticket' THEN printf('ticket T-%06d', entity_id) "
	    "WHEN 'rma' THEN CASE WHEN entity_id IS NULL THEN 'return request' ELSE printf('RMA-%06d', entity_id) END "
	    "WHEN 'order' THEN 'order ' || coalesce((SELECT ref FROM orders WHERE id = entity_id), entity_id) "
	    "WHEN 'offer' THEN 'offer ' || coalesce((SELECT ref FROM offers WHERE id = entity_id), entity_id) "
	    "WHEN 'activation' THEN 'activation' ELSE entity END AS what, "
	    "action, from_state, to_state, note FROM audit_events WHERE customer_id = ?1 ORDER BY at, id");
	sqlite3_bind_int64(st, 1, id);
	JsonNode *hist = admin_rows(a.store, st);
	if (admin_opt_json) {
		json_object_set_member(c, "history", hist);
		admin_print_json(page);
	} else {
		admin_print_history(hist, "History");
		json_node_unref(hist);
	}
	json_node_unref(page);
	admin_close(&a);
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
	if (strcmp(sub, "show") == 0)
		return customer_show(argc, argv);
	if (strcmp(sub, "list") == 0) {
		admin_parse(&argc, &argv, "customer list - all customers", NULL, NULL);
		static const char *const cols[] = {"id", "email", "name", "phone", "status", "tickets", "created", NULL};
		list_query("SELECT c.id, c.email, c.name, c.phone, "
		           "CASE WHEN c.erased_at IS NOT NULL THEN 'erased' ELSE c.status END AS status, "
		           "(SELECT count(*) FROM tickets t WHERE t.customer_id = c.id) AS tickets, "
		           ISO("c.created_at") " AS created FROM customers c ORDER BY c.id", cols);
		return EX_OK;
	}
	int rc = admin_customer_data(sub, argc, argv);
	if (rc >= 0)
		return rc;
	cd_die(EX_USAGE, "customer: add, list, show, contact, search, set, tag, note, address, merge, erase or prune "
	                 "(customer SUB --help)");
}
