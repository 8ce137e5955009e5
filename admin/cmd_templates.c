/* cmd_templates.c - `caredesk templates check [DIR]` (every syntax error, unknown variable and
 * missing file of a template folder, as file:line:col), `caredesk templates vars [KIND]` (the
 * kinds and the variables each provides) and `caredesk templates render KIND` (a preview, with
 * the variables from a JSON file or, without one, each shown as [name]). Nothing here touches the
 * database. */
#include "admin.h"
#include "log.h"
#include "result.h"
#include "template.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* templates_dir - DIR when given, else the config's templates folder (newly allocated) */
static char *
templates_dir(const char *given)
{
	GError *error = NULL;
	cd_config *cfg = cd_config_load(admin_opt_config, &error);
	if (cfg == NULL && given == NULL)
		admin_fail(error);
	g_clear_error(&error);
	/* the SMS segment cap the check holds sms/ templates to */
	if (cfg && g_key_file_has_key(cfg->keyfile, "sms", "max_segments", NULL))
		cd_tmpl_check_set_sms_segments((guint)g_key_file_get_integer(cfg->keyfile, "sms", "max_segments", NULL));
	char *dir = g_strdup(given ? given : cfg->templates_dir);
	if (cfg)
		cd_config_free(cfg);
	return dir;
}

/* ---- check ---- */

static void
print_problems_json(const char *dir, guint count, GPtrArray *problems)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "dir");
	json_builder_add_string_value(b, dir);
	json_builder_set_member_name(b, "templates");
	json_builder_add_int_value(b, count);
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, problems->len == 0);
	json_builder_set_member_name(b, "problems");
	json_builder_begin_array(b);
	for (guint i = 0; i < problems->len; i++) {
		const char *p = g_ptr_array_index(problems, i);
		/* "file:line:col: message", or "file: message" for a file that is missing or misplaced */
		char **parts = g_strsplit(p, ":", 4);
		gboolean positioned = g_strv_length(parts) == 4 && g_ascii_isdigit(parts[1][0]) && g_ascii_isdigit(parts[2][0]);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "file");
		json_builder_add_string_value(b, parts[0]);
		json_builder_set_member_name(b, "line");
		json_builder_add_int_value(b, positioned ? g_ascii_strtoll(parts[1], NULL, 10) : 0);
		json_builder_set_member_name(b, "col");
		json_builder_add_int_value(b, positioned ? g_ascii_strtoll(parts[2], NULL, 10) : 0);
		const char *msg = positioned ? parts[3] : strchr(p, ':') ? strchr(p, ':') + 1 : p;
		while (*msg == ' ')
			msg++;
		json_builder_set_member_name(b, "message");
		json_builder_add_string_value(b, msg);
		json_builder_end_object(b);
		g_strfreev(parts);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	admin_print_json(root);
	json_node_unref(root);
	g_object_unref(b);
}

static int
templates_check(int argc, char **argv)
{
	admin_parse(&argc, &argv, "templates check [DIR] - check every template of a folder",
	            "Parses every template under DIR/email and DIR/sms (default DIR: the config's templates folder) and\n"
	            "reports, each as file:line:col: syntax errors, variables a template uses that its kind does not\n"
	            "provide (caredesk templates vars), kinds caredesk sends that have no English text or subject,\n"
	            "HTML without its text alternative, files that are not templates, and SMS templates that can take\n"
	            "more segments than [sms] max_segments with their variables at their longest (templates/README.md).\n"
	            "Exit 0 when clean, 65\n"
	            "otherwise, 66 when DIR is not a folder.",
	            NULL);
	char *dir = templates_dir(argc > 3 ? argv[3] : NULL);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		cd_die(EX_NOINPUT, "templates check: %s is not a folder", dir);
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	guint count = 0;
	cd_tmpl_check_dir_count(dir, problems, &count);
	if (admin_opt_json) {
		print_problems_json(dir, count, problems);
	} else {
		const char *sep = g_str_has_suffix(dir, "/") ? "" : "/";
		/* file names are relative to the folder: print them as paths one can open */
		for (guint i = 0; i < problems->len; i++)
			printf("%s%s%s\n", dir, sep, (char *)g_ptr_array_index(problems, i));
		if (problems->len == 0)
			printf("%s: %u template%s, no problems\n", dir, count, count == 1 ? "" : "s");
		else
			printf("%s: %u template%s, %u problem%s\n", dir, count, count == 1 ? "" : "s", problems->len,
			       problems->len == 1 ? "" : "s");
	}
	int rc = problems->len == 0 ? EX_OK : EX_DATAERR;
	g_ptr_array_unref(problems);
	g_free(dir);
	return rc;
}

/* ---- vars ---- */

static void
add_vars(JsonBuilder *b, const char *name, const char *const *vars)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (; vars && *vars; vars++)
		json_builder_add_string_value(b, *vars);
	json_builder_end_array(b);
}

static void
print_vars(const char *title, const char *const *vars)
{
	printf("%s\n", title);
	for (; *vars; vars++)
		printf("  %s\n", *vars);
}

static int
templates_vars(int argc, char **argv)
{
	admin_parse(&argc, &argv, "templates vars [KIND] - the kinds of message and their variables",
	            "Without KIND, every kind caredesk sends, on which channels and when. With KIND, the variables\n"
	            "its templates may use: the common ones and the kind's own. NAME[].FIELD is a field of each\n"
	            "element of the list NAME: {{#NAME}}{{FIELD}}{{/NAME}}.",
	            NULL);
	const char *kind = argc > 3 ? argv[3] : NULL;
	if (kind && cd_tmpl_kind_vars(kind) == NULL)
		cd_die(EX_USAGE, "templates vars: no kind '%s' (caredesk templates vars lists them)", kind);
	if (admin_opt_json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		add_vars(b, "common", cd_tmpl_common_vars());
		json_builder_set_member_name(b, "kinds");
		json_builder_begin_array(b);
		for (const char *const *k = cd_tmpl_kinds(); *k; k++) {
			if (kind && strcmp(kind, *k) != 0)
				continue;
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "kind");
			json_builder_add_string_value(b, *k);
			json_builder_set_member_name(b, "channels");
			json_builder_add_string_value(b, cd_tmpl_kind_channels(*k));
			json_builder_set_member_name(b, "description");
			json_builder_add_string_value(b, cd_tmpl_kind_description(*k));
			add_vars(b, "vars", cd_tmpl_kind_vars(*k));
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		add_vars(b, "custom", cd_tmpl_custom_vars());
		json_builder_end_object(b);
		JsonNode *root = json_builder_get_root(b);
		admin_print_json(root);
		json_node_unref(root);
		g_object_unref(b);
		return EX_OK;
	}
	if (kind) {
		printf("%s (%s): %s\n\n", kind, cd_tmpl_kind_channels(kind), cd_tmpl_kind_description(kind));
		print_vars("Its variables:", cd_tmpl_kind_vars(kind));
		print_vars("\nCommon to every kind:", cd_tmpl_common_vars());
		return EX_OK;
	}
	for (const char *const *k = cd_tmpl_kinds(); *k; k++)
		printf("%-22s %-10s %s\n", *k, cd_tmpl_kind_channels(*k), cd_tmpl_kind_description(*k));
	printf("\nA template of another name (one a filter rule names: reply \"NAME\") gets the common variables\n"
	       "and ");
	for (const char *const *v = cd_tmpl_custom_vars(); *v; v++)
		printf("%s%s", v == cd_tmpl_custom_vars() ? "" : v[1] ? ", " : " and ", *v);
	printf(".\n");
	return EX_OK;
}

/* ---- render ---- */

/* set_path - obj.a.b = value, making the objects on the way */
static void
set_path(JsonObject *obj, const char *name, JsonNode *value)
{
	char **parts = g_strsplit(name, ".", -1);
	JsonObject *o = obj;
	for (guint i = 0; parts[i + 1]; i++) {
		if (!json_object_has_member(o, parts[i]) || !JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, parts[i])))
			json_object_set_object_member(o, parts[i], json_object_new());
		o = json_object_get_object_member(o, parts[i]);
	}
	json_object_set_member(o, parts[g_strv_length(parts) - 1], value);
	g_strfreev(parts);
}

/* sample_vars - every variable of kind as "[name]"; a list as one element of "[list[].field]" */
static JsonObject *
sample_vars(const char *kind)
{
	JsonObject *vars = json_object_new();
	const char *const *own = cd_tmpl_kind_vars(kind);
	const char *const *lists[] = {cd_tmpl_common_vars(), own ? own : cd_tmpl_custom_vars(), NULL};
	for (guint l = 0; lists[l]; l++)
		for (const char *const *v = lists[l]; *v; v++) {
			const char *br = strstr(*v, "[].");
			if (g_str_has_suffix(*v, ".*"))
				continue;
			char *shown = g_strdup_printf("[%s]", *v);
			if (br == NULL) {
				set_path(vars, *v, json_node_init_string(json_node_alloc(), shown));
			} else {
				char *list = g_strndup(*v, (gsize)(br - *v));
				JsonObject *holder = vars;
				char **parts = g_strsplit(list, ".", -1);
				for (guint i = 0; parts[i + 1]; i++) {
					if (!json_object_has_member(holder, parts[i]))
						json_object_set_object_member(holder, parts[i], json_object_new());
					holder = json_object_get_object_member(holder, parts[i]);
				}
				const char *last = parts[g_strv_length(parts) - 1];
				if (!json_object_has_member(holder, last)) {
					JsonArray *a = json_array_new();
					json_array_add_object_element(a, json_object_new());
					json_object_set_array_member(holder, last, a);
				}
				JsonObject *elem = json_array_get_object_element(json_object_get_array_member(holder, last), 0);
				json_object_set_string_member(elem, br + 3, shown);
				g_strfreev(parts);
				g_free(list);
			}
			g_free(shown);
		}
	return vars;
}

static int
templates_render(int argc, char **argv)
{
	char *lang = NULL, *vars_file = NULL, *dir_opt = NULL;
	gboolean sms = FALSE;
	GOptionEntry entries[] = {
		{"lang", 'l', 0, G_OPTION_ARG_STRING, &lang, "the language (default en)", "LANG"},
		{"vars", 0, 0, G_OPTION_ARG_FILENAME, &vars_file, "the variables: a JSON object (- for stdin)", "FILE"},
		{"sms", 0, 0, G_OPTION_ARG_NONE, &sms, "the SMS of the kind, not the mail", NULL},
		{"dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir_opt, "the templates folder (default: the config's)", "DIR"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "templates render KIND - preview a message",
	            "Renders the mail (subject, text, HTML) or with --sms the SMS of KIND as caredesk would send it.\n"
	            "Without --vars, every variable shows as [its.name] and each list has one element.",
	            entries);
	if (argc != 4)
		cd_die(EX_USAGE, "templates render KIND [--lang LANG] [--vars FILE] [--sms]");
	const char *kind = argv[3];
	char *dir = templates_dir(dir_opt);
	GError *error = NULL;
	cd_tmpl_set *set = cd_tmpl_set_load(dir, &error);
	if (set == NULL)
		cd_die(EX_DATAERR, "%s/%s (caredesk templates check %s)", dir, error->message, dir);
	JsonObject *vars = NULL;
	JsonNode *parsed = NULL;
	if (vars_file) {
		char *data = NULL;
		gsize len = 0;
		if (strcmp(vars_file, "-") == 0) {
			GIOChannel *in = g_io_channel_unix_new(STDIN_FILENO);
			g_io_channel_set_encoding(in, NULL, NULL);
			if (g_io_channel_read_to_end(in, &data, &len, &error) != G_IO_STATUS_NORMAL)
				cd_die(EX_IOERR, "cannot read the variables from stdin: %s", error->message);
			g_io_channel_unref(in);
		} else if (!g_file_get_contents(vars_file, &data, &len, &error)) {
			cd_die(EX_NOINPUT, "%s", error->message);
		}
		JsonParser *p = json_parser_new();
		if (!json_parser_load_from_data(p, data ? data : "", (gssize)len, &error))
			cd_die(EX_DATAERR, "%s: %s", vars_file, error->message);
		g_free(data);
		if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
			cd_die(EX_DATAERR, "%s: expected a JSON object", vars_file);
		parsed = json_node_copy(json_parser_get_root(p));
		vars = json_object_ref(json_node_get_object(parsed));
		g_object_unref(p);
	} else {
		vars = sample_vars(kind);
	}
	int rc = EX_OK;
	if (sms) {
		char *text = NULL;
		if (!cd_tmpl_render_sms(set, kind, lang, vars, &text, &error))
			cd_die(cd_error_exit_code(error), "%s", error->message);
		if (admin_opt_json) {
			JsonNode *n = json_node_alloc();
			JsonObject *o = json_object_new();
			json_object_set_string_member(o, "text", text);
			json_node_init_object(n, o);
			admin_print_json(n);
			json_node_unref(n);
			json_object_unref(o);
		} else {
			printf("%s\n", text);
		}
		g_free(text);
	} else {
		cd_rendered r;
		if (!cd_tmpl_render_email(set, kind, lang, vars, &r, &error))
			cd_die(cd_error_exit_code(error), "%s", error->message);
		if (admin_opt_json) {
			JsonNode *n = json_node_alloc();
			JsonObject *o = json_object_new();
			json_object_set_string_member(o, "subject", r.subject);
			json_object_set_string_member(o, "text", r.text);
			if (r.html)
				json_object_set_string_member(o, "html", r.html);
			else
				json_object_set_null_member(o, "html");
			json_node_init_object(n, o);
			admin_print_json(n);
			json_node_unref(n);
			json_object_unref(o);
		} else {
			printf("Subject: %s\n\n%s", r.subject, r.text);
			if (r.html)
				printf("\n---- text/html ----\n%s%s", r.html, g_str_has_suffix(r.html, "\n") ? "" : "\n");
		}
		cd_rendered_clear(&r);
	}
	json_object_unref(vars);
	if (parsed)
		json_node_unref(parsed);
	cd_tmpl_set_free(set);
	g_free(dir);
	g_free(dir_opt);
	g_free(lang);
	g_free(vars_file);
	return rc;
}

int
cmd_templates(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "check") == 0)
		return templates_check(argc, argv);
	if (strcmp(sub, "vars") == 0)
		return templates_vars(argc, argv);
	if (strcmp(sub, "render") == 0)
		return templates_render(argc, argv);
	cd_die(EX_USAGE, "templates: check [DIR], vars [KIND] or render KIND");
}
