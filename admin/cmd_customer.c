/* cmd_customer.c - `caredesk customer search|set|tag|note|address|merge|erase|prune`: the customer
 * data an admin works with (add, list, show and contact are in cmd_people.c). */
#include "admin.h"
#include "custdata.h"
#include "custmerge.h"
#include "log.h"
#include "result.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

/* free_options - the strings GOption filled in. */
static void
free_options(const char *const *v, gsize n)
{
	for (gsize i = 0; i < n; i++)
		g_free((char *)v[i]);
}

/* print_customers - the customers of ids as a table or a JSON array. */
static void
print_customers(cd_store *store, GArray *ids)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_array(b);
	for (guint i = 0; i < ids->len; i++)
		json_builder_add_int_value(b, g_array_index(ids, gint64, i));
	json_builder_end_array(b);
	JsonNode *root = json_builder_get_root(b);
	char *list = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	sqlite3_stmt *st = admin_prepare(
	    store, "SELECT c.id, c.email, c.name, c.phone, c.company, c.customer_group AS \"group\", "
	           "CASE WHEN c.erased_at IS NOT NULL THEN 'erased' ELSE c.status END AS status, "
	           "(SELECT group_concat(tag, ' ') FROM (SELECT tag FROM customer_tags WHERE customer_id = c.id ORDER BY tag)) AS tags, "
	           "(SELECT count(*) FROM tickets t WHERE t.customer_id = c.id) AS tickets, "
	           "(SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS orders, "
	           ADMIN_ISO("c.created_at") " AS created FROM json_each(?1) j JOIN customers c ON c.id = j.value ORDER BY c.id");
	sqlite3_bind_text(st, 1, list, -1, SQLITE_TRANSIENT);
	g_free(list);
	JsonNode *rows = admin_rows(store, st);
	static const char *const cols[] = {"id", "email", "name", "phone", "company", "status", "tags", "tickets", "created", NULL};
	admin_print_rows(rows, cols);
	json_node_unref(rows);
}

static int
customer_search(int argc, char **argv)
{
	cd_customer_query q = {0};
	char *created_from = NULL, *created_to = NULL;
	GOptionEntry entries[] = {
		{"email", 0, 0, G_OPTION_ARG_STRING, &q.email, "address or part of it (contacts too)", "TEXT"},
		{"name", 0, 0, G_OPTION_ARG_STRING, &q.name, "name or part of it (contacts too)", "TEXT"},
		{"phone", 0, 0, G_OPTION_ARG_STRING, &q.phone, "digits of the number (contacts too)", "NUMBER"},
		{"company", 0, 0, G_OPTION_ARG_STRING, &q.company, "company or part of it", "TEXT"},
		{"tag", 0, 0, G_OPTION_ARG_STRING, &q.tag, "has this tag", "TAG"},
		{"group", 0, 0, G_OPTION_ARG_STRING, &q.group, "in this customer group", "GROUP"},
		{"order", 0, 0, G_OPTION_ARG_STRING, &q.order_ref, "owns this order", "REF"},
		{"ticket", 0, 0, G_OPTION_ARG_STRING, &q.ticket_ref, "owns this ticket", "T-000123"},
		{"rma", 0, 0, G_OPTION_ARG_STRING, &q.rma_ref, "owns this RMA", "RMA-000045"},
		{"status", 0, 0, G_OPTION_ARG_STRING, &q.status, "pending, active, disabled or erased", "S"},
		{"created-from", 0, 0, G_OPTION_ARG_STRING, &created_from, "created on or after this day", "DATE"},
		{"created-to", 0, 0, G_OPTION_ARG_STRING, &created_to, "created on or before this day", "DATE"},
		{"limit", 0, 0, G_OPTION_ARG_INT, &q.limit, "at most N (default 1000)", "N"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "customer search [CRITERIA] - customers matching every criterion given",
	            "Text matches a part, ignoring case; a phone number matches by its digits; references exactly.", entries);
	if (created_from)
		q.created_from = admin_parse_day("--created-from", created_from, FALSE);
	if (created_to)
		q.created_to = admin_parse_day("--created-to", created_to, TRUE);
	admin_ctx a;
	admin_open(&a);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	GError *error = NULL;
	if (!cd_customer_search(a.store, &q, ids, &error))
		admin_fail(error);
	print_customers(a.store, ids);
	g_array_free(ids, TRUE);
	admin_close(&a);
	const char *strs[] = {q.email, q.name, q.phone, q.company, q.tag, q.group, q.order_ref, q.ticket_ref, q.rma_ref,
	                      q.status, created_from, created_to};
	free_options(strs, G_N_ELEMENTS(strs));
	return EX_OK;
}

static int
customer_set(int argc, char **argv)
{
	cd_customer_settings set = {0};
	GOptionEntry entries[] = {
		{"name", 0, 0, G_OPTION_ARG_STRING, &set.name, "full name (\"\" clears)", "NAME"},
		{"phone", 0, 0, G_OPTION_ARG_STRING, &set.phone, "phone number", "NUMBER"},
		{"company", 0, 0, G_OPTION_ARG_STRING, &set.company, "company", "NAME"},
		{"language", 0, 0, G_OPTION_ARG_STRING, &set.language, "language of mail to them (en, de)", "LANG"},
		{"notify", 0, 0, G_OPTION_ARG_STRING, &set.notify_channel, "email or sms", "CHANNEL"},
		{"group", 0, 0, G_OPTION_ARG_STRING, &set.group, "customer group (activation policy, rules)", "GROUP"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "customer set EMAIL|ID [--name N] [--group G] ... - change a customer's details", NULL,
	            entries);
	if (argc < 4)
		cd_die(EX_USAGE, "customer set EMAIL|ID [--name N] [--phone P] [--company C] [--language L] [--notify email|sms] [--group G]");
	if (set.notify_channel && strcmp(set.notify_channel, "email") != 0 && strcmp(set.notify_channel, "sms") != 0)
		cd_die(EX_USAGE, "--notify: email or sms");
	admin_ctx a;
	admin_open(&a);
	gint64 id = admin_customer_id(a.store, argv[3]);
	admin_begin(&a);
	GError *error = NULL;
	gboolean ok = cd_customer_update(a.store, admin_actor(), id, &set, &error);
	admin_commit(&a, ok, error);
	printf("customer %" G_GINT64_FORMAT " updated\n", id);
	admin_close(&a);
	const char *strs[] = {set.name, set.phone, set.company, set.language, set.notify_channel, set.group};
	free_options(strs, G_N_ELEMENTS(strs));
	return EX_OK;
}

static int
customer_tag(int argc, char **argv)
{
	admin_parse(&argc, &argv, "customer tag add|remove EMAIL|ID TAG... - tags that rules test (customer.tag)", NULL, NULL);
	const char *op = argc > 3 ? argv[3] : "";
	gboolean add = strcmp(op, "add") == 0;
	if ((!add && strcmp(op, "remove") != 0) || argc < 6)
		cd_die(EX_USAGE, "customer tag add|remove EMAIL|ID TAG...");
	admin_ctx a;
	admin_open(&a);
	gint64 id = admin_customer_id(a.store, argv[4]);
	admin_begin(&a);
	GError *error = NULL;
	gboolean ok = TRUE;
	int changed = 0;
	for (int i = 5; ok && i < argc; i++) {
		gboolean c = FALSE;
		ok = add ? cd_customer_tag_add(a.store, admin_actor(), id, argv[i], &c, &error)
		         : cd_customer_tag_remove(a.store, admin_actor(), id, argv[i], &c, &error);
		changed += c;
	}
	admin_commit(&a, ok, error);
	printf("customer %" G_GINT64_FORMAT ": %d tag%s %s\n", id, changed, changed == 1 ? "" : "s", add ? "added" : "removed");
	admin_close(&a);
	return EX_OK;
}

static gint64
parse_id(const char *what, const char *text)
{
	char *end;
	gint64 id = text ? g_ascii_strtoll(text, &end, 10) : 0;
	if (text == NULL || *end != '\0' || id <= 0)
		cd_die(EX_USAGE, "%s: '%s' is not an id", what, text ? text : "");
	return id;
}

static int
customer_note(int argc, char **argv)
{
	admin_parse(&argc, &argv, "customer note add EMAIL|ID TEXT... | edit NOTE-ID TEXT... | delete NOTE-ID - staff notes",
	            "Notes are for staff only; each keeps its author and times. customer show lists them with their ids.",
	            NULL);
	const char *op = argc > 3 ? argv[3] : "";
	if (argc < 5 || (strcmp(op, "delete") != 0 && argc < 6))
		cd_die(EX_USAGE, "customer note add EMAIL|ID TEXT..., edit NOTE-ID TEXT..., or delete NOTE-ID");
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	gboolean ok;
	gint64 note = 0, cid = 0;
	char *text = admin_words(argc, argv, 5);
	if (strcmp(op, "add") == 0) {
		cid = admin_customer_id(a.store, argv[4]);
		admin_begin(&a);
		ok = cd_customer_note_add(a.store, admin_actor(), cid, text, &note, &error);
		admin_commit(&a, ok, error);
		printf("note %" G_GINT64_FORMAT " added to customer %" G_GINT64_FORMAT "\n", note, cid);
	} else if (strcmp(op, "edit") == 0 || strcmp(op, "delete") == 0) {
		note = parse_id("note", argv[4]);
		gboolean edit = op[0] == 'e';
		admin_begin(&a);
		ok = edit ? cd_customer_note_edit(a.store, admin_actor(), note, text, &cid, &error)
		          : cd_customer_note_delete(a.store, admin_actor(), note, &cid, &error);
		admin_commit(&a, ok, error);
		printf("note %" G_GINT64_FORMAT " %s\n", note, edit ? "edited" : "deleted");
	} else
		cd_die(EX_USAGE, "customer note: add, edit or delete");
	g_free(text);
	admin_close(&a);
	return EX_OK;
}

static int
customer_address(int argc, char **argv)
{
	cd_customer_address addr = {0};
	GOptionEntry entries[] = {
		{"kind", 0, 0, G_OPTION_ARG_STRING, &addr.kind, "postal (default), invoice or shipping (one each: a new one replaces the old)", "KIND"},
		{"name", 0, 0, G_OPTION_ARG_STRING, &addr.name, "addressee", "NAME"},
		{"street", 0, 0, G_OPTION_ARG_STRING, &addr.street, "street and number", "TEXT"},
		{"postcode", 0, 0, G_OPTION_ARG_STRING, &addr.postcode, "postcode", "CODE"},
		{"city", 0, 0, G_OPTION_ARG_STRING, &addr.city, "city", "CITY"},
		{"country", 0, 0, G_OPTION_ARG_STRING, &addr.country, "country (ISO code)", "CC"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "customer address add EMAIL|ID [--street ...] | remove ADDRESS-ID - postal addresses",
	            NULL, entries);
	const char *op = argc > 3 ? argv[3] : "";
	if (argc < 5 || (strcmp(op, "add") != 0 && strcmp(op, "remove") != 0))
		cd_die(EX_USAGE, "customer address add EMAIL|ID --street S --postcode P --city C --country CC, or remove ADDRESS-ID");
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	gboolean ok;
	if (op[0] == 'a') {
		gint64 cid = admin_customer_id(a.store, argv[4]), id = 0;
		admin_begin(&a);
		ok = cd_customer_address_add(a.store, admin_actor(), cid, &addr, &id, &error);
		admin_commit(&a, ok, error);
		printf("address %" G_GINT64_FORMAT " added to customer %" G_GINT64_FORMAT "\n", id, cid);
	} else {
		gint64 id = parse_id("address", argv[4]);
		admin_begin(&a);
		ok = cd_customer_address_remove(a.store, admin_actor(), id, &error);
		admin_commit(&a, ok, error);
		printf("address %" G_GINT64_FORMAT " removed\n", id);
	}
	admin_close(&a);
	const char *strs[] = {addr.kind, addr.name, addr.street, addr.postcode, addr.city, addr.country};
	free_options(strs, G_N_ELEMENTS(strs));
	return EX_OK;
}

static int
customer_merge(int argc, char **argv)
{
	admin_parse(&argc, &argv, "customer merge PRIMARY OTHER... - merge duplicate accounts into PRIMARY",
	            "Moves orders, offers, tickets, RMAs, messages, contacts, notes, addresses and tags of each OTHER to\n"
	            "PRIMARY in one transaction; the merged addresses and numbers become contacts of PRIMARY, so their\n"
	            "mail joins PRIMARY's tickets. customer show lists the merge history.",
	            NULL);
	if (argc < 5)
		cd_die(EX_USAGE, "customer merge PRIMARY OTHER... (addresses or ids)");
	admin_ctx a;
	admin_open(&a);
	gint64 primary = admin_customer_id(a.store, argv[3]);
	GArray *others = g_array_new(FALSE, FALSE, sizeof(gint64));
	for (int i = 4; i < argc; i++) {
		gint64 o = admin_customer_id(a.store, argv[i]);
		g_array_append_val(others, o);
	}
	admin_begin(&a);
	GError *error = NULL;
	gboolean ok = TRUE;
	GPtrArray *moved = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; ok && i < others->len; i++) {
		char *m = NULL;
		ok = cd_customer_merge(a.store, admin_actor(), primary, g_array_index(others, gint64, i), &m, &error);
		g_ptr_array_add(moved, m);
	}
	admin_commit(&a, ok, error);
	for (guint i = 0; i < others->len; i++)
		printf("customer %" G_GINT64_FORMAT " merged into %" G_GINT64_FORMAT ": %s\n", g_array_index(others, gint64, i),
		       primary, (char *)g_ptr_array_index(moved, i));
	g_ptr_array_free(moved, TRUE);
	g_array_free(others, TRUE);
	admin_close(&a);
	return EX_OK;
}

/* erase_one - erase a customer in its own transaction; FALSE with error when refused. */
static gboolean
erase_one(admin_ctx *a, gint64 id, gboolean force, cd_erase_counts *counts, GError **error)
{
	admin_begin(a);
	if (cd_customer_erase(a->store, admin_actor(), id, force, counts, error))
		return cd_store_commit(a->store, error);
	cd_store_rollback(a->store);
	return FALSE;
}

static void
erase_finish(admin_ctx *a)
{
	GError *error = NULL;
	if (!cd_customer_erase_finish(a->store, &error)) {
		g_warning("%s", error->message);
		g_error_free(error);
	}
}

static int
customer_erase(int argc, char **argv)
{
	gboolean force = FALSE;
	GOptionEntry entries[] = {
		{"force", 0, 0, G_OPTION_ARG_NONE, &force, "erase even with an open order (new, paid, shipped)", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "customer erase EMAIL|ID - remove a person's personal data (right to be forgotten)",
	            "Removes or anonymises the customer's address, number, name, contacts, addresses, notes, the text and\n"
	            "raw bytes of their messages and attachments, outbox rows to them and audit notes naming them; keeps\n"
	            "orders, RMAs, offers and tickets (anonymised) so counts and reports stay right. Refuses while an\n"
	            "order is open unless --force. Policy and what stays: docs/CUSTOMER-DATA.md.",
	            entries);
	if (argc < 4)
		cd_die(EX_USAGE, "customer erase EMAIL|ID [--force]");
	admin_ctx a;
	admin_open(&a);
	gint64 id = admin_customer_id(a.store, argv[3]);
	GError *error = NULL;
	if (!cd_customer_erase_prepare(a.store, &error))
		admin_fail(error);
	cd_erase_counts n;
	if (!erase_one(&a, id, force, &n, &error))
		admin_fail(error);
	erase_finish(&a);
	printf("customer %" G_GINT64_FORMAT " erased: %d messages, %d raw messages, %d attachments, %d outbox rows, "
	       "%d other fields; %d orders and %d RMAs kept\n",
	       id, n.messages, n.raw_messages, n.attachments, n.outbox, n.scrubbed, n.orders, n.rmas);
	admin_close(&a);
	return EX_OK;
}

static int
customer_prune(int argc, char **argv)
{
	int days = 0;
	gboolean apply = FALSE;
	GOptionEntry entries[] = {
		{"inactive", 0, 0, G_OPTION_ARG_INT, &days, "no activity for this many days", "DAYS"},
		{"apply", 0, 0, G_OPTION_ARG_NONE, &apply, "erase them (default: only list them)", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "customer prune --inactive DAYS [--apply] - accounts nobody used for DAYS",
	            "Lists customers with no ticket, message, order, offer, RMA or activation touched in DAYS days; with\n"
	            "--apply erases each (customer erase), skipping those with an open order.",
	            entries);
	if (days <= 0)
		cd_die(EX_USAGE, "customer prune --inactive DAYS [--apply] (DAYS > 0)");
	admin_ctx a;
	admin_open(&a);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64)), *last = g_array_new(FALSE, FALSE, sizeof(gint64));
	GError *error = NULL;
	if (!cd_customer_inactive(a.store, cd_now() - (gint64)days * 86400, ids, last, &error))
		admin_fail(error);
	if (!apply) {
		print_customers(a.store, ids);
		if (!admin_opt_json)
			printf("%u inactive for %d days; --apply erases them\n", ids->len, days);
	} else {
		if (!cd_customer_erase_prepare(a.store, &error))
			admin_fail(error);
		guint erased = 0, skipped = 0;
		for (guint i = 0; i < ids->len; i++) {
			gint64 id = g_array_index(ids, gint64, i);
			cd_erase_counts n;
			if (erase_one(&a, id, FALSE, &n, &error)) {
				erased++;
				continue;
			}
			if (cd_result_of(error) == CD_TEMP)
				admin_fail(error);
			fprintf(stderr, "caredesk: %s\n", error->message);
			g_clear_error(&error);
			skipped++;
		}
		erase_finish(&a);
		if (admin_opt_json)
			printf("{\"erased\": %u, \"skipped\": %u}\n", erased, skipped);
		else
			printf("%u customers erased, %u skipped\n", erased, skipped);
	}
	g_array_free(ids, TRUE);
	g_array_free(last, TRUE);
	admin_close(&a);
	return EX_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{"search", customer_search}, {"set", customer_set},     {"tag", customer_tag},     {"note", customer_note},
	{"address", customer_address}, {"merge", customer_merge}, {"erase", customer_erase}, {"prune", customer_prune},
};

int
admin_customer_data(const char *sub, int argc, char **argv)
{
	for (gsize i = 0; i < G_N_ELEMENTS(subcommands); i++)
		if (strcmp(sub, subcommands[i].name) == 0)
			return subcommands[i].run(argc, argv);
	return -1;
}
