/* admin.c - shared plumbing of the caredesk subcommands (see admin.h). */
#include "admin.h"
#include "log.h"
#include "result.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

char *admin_opt_config;
gboolean admin_opt_json;

void
admin_parse(int *argc, char ***argv, const char *usage, const char *summary, GOptionEntry *entries)
{
	GOptionEntry common[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &admin_opt_config, "configuration file", "FILE"},
		{"json", 0, 0, G_OPTION_ARG_NONE, &admin_opt_json, "one JSON document on stdout", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *ctx = g_option_context_new(usage);
	if (summary)
		g_option_context_set_summary(ctx, summary);
	if (entries)
		g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, common, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(ctx, argc, argv, &error))
		cd_die(EX_USAGE, "%s (try --help)", error->message);
	g_option_context_free(ctx);
}

const char *
admin_subcommand(int argc, char **argv)
{
	const char *w = cd_argv_word(argc, argv, 2);
	return w ? w : "";
}

void
admin_fail(GError *error)
{
	cd_die(cd_error_exit_code(error), "%s", error->message);
}

void
admin_open(admin_ctx *a)
{
	GError *error = NULL;
	a->cfg = cd_config_load(admin_opt_config, &error);
	if (a->cfg == NULL)
		admin_fail(error);
	a->store = cd_store_open(a->cfg->database, a->cfg->busy_timeout_ms, CD_STORE_MIGRATE, &error);
	if (a->store == NULL)
		admin_fail(error);
	/* Customers hear of what an admin does to their RMA or order, as they would of an agent's step. */
	a->secret = cd_secret_load(a->cfg->secret_key_path, NULL);
	if (a->secret && !cd_notify_setup(&a->outbox, &a->mail, a->store, a->cfg, a->secret, &error))
		admin_fail(error);
}

void
admin_close(admin_ctx *a)
{
	if (a->secret) {
		cd_notify_teardown(&a->outbox, &a->mail);
		cd_secret_free(a->secret);
	}
	cd_store_close(a->store);
	cd_config_free(a->cfg);
}

void
admin_print_json(JsonNode *node)
{
	JsonGenerator *gen = json_generator_new();
	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, node);
	char *s = json_generator_to_data(gen, NULL);
	puts(s);
	g_free(s);
	g_object_unref(gen);
}

static char *
cell_text(JsonObject *o, const char *col)
{
	JsonNode *n = json_object_get_member(o, col);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return g_strdup("-");
	if (json_node_get_value_type(n) == G_TYPE_STRING) {
		/* one line, at most 60 characters */
		char *s = g_strdup(json_node_get_string(n));
		for (char *p = s; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		if (g_utf8_strlen(s, -1) > 60) {
			char *cut = g_utf8_substring(s, 0, 57);
			g_free(s);
			s = g_strconcat(cut, "...", NULL);
			g_free(cut);
		}
		return s;
	}
	if (json_node_get_value_type(n) == G_TYPE_INT64)
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
	if (json_node_get_value_type(n) == G_TYPE_BOOLEAN)
		return g_strdup(json_node_get_boolean(n) ? "yes" : "no");
	if (json_node_get_value_type(n) == G_TYPE_DOUBLE)
		return g_strdup_printf("%.2f", json_node_get_double(n));
	return g_strdup("?");
}

static void
print_padded(const char *s, gsize width, gboolean last)
{
	fputs(s, stdout);
	if (!last)
		for (gsize w = g_utf8_strlen(s, -1); w < width + 2; w++)
			fputc(' ', stdout);
}

void
admin_print_rows(JsonNode *rows, const char *const *columns)
{
	if (admin_opt_json) {
		admin_print_json(rows);
		return;
	}
	JsonArray *arr = json_node_get_array(rows);
	guint ncols = g_strv_length((char **)columns);
	guint nrows = json_array_get_length(arr);
	gsize *width = g_new0(gsize, ncols);
	char ***cells = g_new0(char **, nrows);
	for (guint c = 0; c < ncols; c++)
		width[c] = g_utf8_strlen(columns[c], -1);
	for (guint r = 0; r < nrows; r++) {
		cells[r] = g_new0(char *, ncols + 1);
		JsonObject *o = json_array_get_object_element(arr, r);
		for (guint c = 0; c < ncols; c++) {
			cells[r][c] = cell_text(o, columns[c]);
			width[c] = MAX(width[c], (gsize)g_utf8_strlen(cells[r][c], -1));
		}
	}
	for (guint c = 0; c < ncols; c++) {
		char *up = g_ascii_strup(columns[c], -1);
		print_padded(up, width[c], c + 1 == ncols);
		g_free(up);
	}
	fputc('\n', stdout);
	for (guint r = 0; r < nrows; r++) {
		for (guint c = 0; c < ncols; c++)
			print_padded(cells[r][c], width[c], c + 1 == ncols);
		fputc('\n', stdout);
		g_strfreev(cells[r]);
	}
	if (nrows == 0)
		puts("(none)");
	g_free(cells);
	g_free(width);
}

JsonNode *
admin_row_from_stmt(sqlite3_stmt *st)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	int n = sqlite3_column_count(st);
	for (int i = 0; i < n; i++) {
		json_builder_set_member_name(b, sqlite3_column_name(st, i));
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			json_builder_add_int_value(b, sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			json_builder_add_double_value(b, sqlite3_column_double(st, i));
			break;
		case SQLITE_NULL:
			json_builder_add_null_value(b);
			break;
		default:
			json_builder_add_string_value(b, (const char *)sqlite3_column_text(st, i));
			break;
		}
	}
	json_builder_end_object(b);
	JsonNode *node = json_builder_get_root(b);
	g_object_unref(b);
	return node;
}
