/* cmd_workflow.c - what the workflow commands share (rma, offer, order, activations, tick and
 * customer show): queries into JSON rows, the admin as actor, transactions, history output. */
#include "admin.h"
#include "log.h"
#include "report.h"
#include "result.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

const char admin_history_sql[] =
    "SELECT " ADMIN_ISO("at") " AS at, actor_kind, actor, channel, action, from_state, to_state, note "
    "FROM audit_events WHERE entity = ?1 AND entity_id = ?2 ORDER BY at, id";

sqlite3_stmt *
admin_prepare(cd_store *store, const char *sql)
{
	GError *error = NULL;
	sqlite3_stmt *st = cd_store_stmt(store, sql, &error);
	if (st == NULL)
		admin_fail(error);
	return st;
}

JsonNode *
admin_rows(cd_store *store, sqlite3_stmt *st)
{
	JsonArray *arr = json_array_new();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_add_element(arr, admin_row_from_stmt(st));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		GError *error = NULL;
		cd_set_error_sqlite(&error, rc, "query", sqlite3_errmsg(cd_store_db(store)));
		admin_fail(error);
	}
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(node, arr);
	return node;
}

JsonNode *
admin_one(cd_store *store, sqlite3_stmt *st)
{
	JsonNode *rows = admin_rows(store, st);
	JsonArray *arr = json_node_get_array(rows);
	JsonNode *one = json_array_get_length(arr) ? json_node_copy(json_array_get_element(arr, 0)) : NULL;
	json_node_unref(rows);
	return one;
}

const char *
admin_str(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
	                                                                                      : NULL;
}

gint64
admin_int(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : 0;
}

const cd_actor *
admin_actor(void)
{
	static cd_actor actor = {.actor_kind = "admin", .channel = "cli"};
	actor.actor = g_get_user_name();
	return &actor;
}

void
admin_begin(admin_ctx *a)
{
	GError *error = NULL;
	if (!cd_store_begin(a->store, &error))
		admin_fail(error);
}

void
admin_commit(admin_ctx *a, gboolean ok, GError *error)
{
	if (ok && cd_store_commit(a->store, &error))
		return;
	cd_store_rollback(a->store);
	admin_fail(error);
}

gint64
admin_customer_id(cd_store *store, const char *arg)
{
	if (arg == NULL)
		cd_die(EX_USAGE, "which customer? (an address or an id)");
	char *end;
	gint64 id = g_ascii_strtoll(arg, &end, 10);
	sqlite3_stmt *st;
	if (*arg && *end == '\0' && id > 0) {
		st = admin_prepare(store, "SELECT id FROM customers WHERE id = ?");
		sqlite3_bind_int64(st, 1, id);
	} else {
		st = admin_prepare(store, "SELECT id FROM customers WHERE email = ?1 UNION ALL "
		                          "SELECT customer_id FROM customer_contacts WHERE value = ?1 LIMIT 1");
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	}
	id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (id == 0)
		cd_die(EX_NOINPUT, "no customer %s", arg);
	return id;
}

void
admin_print_history(JsonNode *rows, const char *title)
{
	JsonArray *hist = json_node_get_array(rows);
	printf("\n%s:\n", title);
	if (json_array_get_length(hist) == 0)
		puts("  (none)");
	for (guint i = 0; i < json_array_get_length(hist); i++) {
		JsonObject *h = json_array_get_object_element(hist, i);
		const char *from = admin_str(h, "from_state"), *to = admin_str(h, "to_state");
		GString *s = g_string_new(NULL);
		g_string_append_printf(s, "  %s  %s", admin_str(h, "at"), admin_str(h, "actor_kind"));
		if (admin_str(h, "actor"))
			g_string_append_printf(s, " %s", admin_str(h, "actor"));
		if (admin_str(h, "channel"))
			g_string_append_printf(s, " (%s)", admin_str(h, "channel"));
		g_string_append(s, "  ");
		if (admin_str(h, "what"))
			g_string_append_printf(s, "%s ", admin_str(h, "what"));
		g_string_append(s, admin_str(h, "action"));
		if (from && to)
			g_string_append_printf(s, " %s -> %s", from, to);
		else if (to)
			g_string_append_printf(s, " (%s)", to);
		else if (from)
			g_string_append_printf(s, " (was %s)", from);
		puts(s->str);
		if (admin_str(h, "note"))
			printf("      %s\n", admin_str(h, "note"));
		g_string_free(s, TRUE);
	}
}

void
admin_field(const char *label, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	printf("%-12s %s\n", label, value);
}

char *
admin_words(int argc, char **argv, int from)
{
	if (argc <= from)
		return NULL;
	GString *s = g_string_new(NULL);
	for (int i = from; i < argc; i++)
		g_string_append_printf(s, "%s%s", i > from ? " " : "", argv[i]);
	return g_string_free(s, FALSE);
}

gint64
admin_parse_day(const char *option, const char *text, gboolean end)
{
	gint64 t;
	if (!cd_report_parse_day(text, end, &t))
		cd_die(EX_USAGE, "%s: '%s' is not a date (YYYY-MM-DD or ISO 8601)", option, text);
	return t;
}
