/* cmd_filters.c - `caredesk filters check [DIR]` (load and lint the rule files) and
 * `caredesk filters test MSG.eml` / `caredesk filters test --sms FROM "text"` (a dry run that
 * explains, rule by rule, what the rules would do with a message; it changes nothing: the
 * database, when there is one, is opened read-only and only to learn who the sender is). */
#include "admin.h"
#include "customer.h"
#include "log.h"
#include "mime.h"
#include "smsconf.h"
#include "result.h"
#include "rules.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* ---- check ---- */

static void
print_problems_json(const char *dir, const cd_ruleset *rs, GPtrArray *problems, gboolean loaded)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "dir");
	json_builder_add_string_value(b, dir);
	json_builder_set_member_name(b, "loaded");
	json_builder_add_boolean_value(b, loaded);
	json_builder_set_member_name(b, "rules");
	json_builder_add_int_value(b, rs ? cd_ruleset_count(rs) : 0);
	json_builder_set_member_name(b, "ok");
	json_builder_add_boolean_value(b, loaded && problems->len == 0);
	json_builder_set_member_name(b, "problems");
	json_builder_begin_array(b);
	for (guint i = 0; i < problems->len; i++) {
		const char *p = g_ptr_array_index(problems, i);
		/* "file:line:col: message" (or "file: message" for a file that cannot be read) */
		char **parts = g_strsplit(p, ":", 4);
		json_builder_begin_object(b);
		gboolean positioned = g_strv_length(parts) == 4 && g_ascii_isdigit(parts[1][0]) && g_ascii_isdigit(parts[2][0]);
		json_builder_set_member_name(b, "file");
		json_builder_add_string_value(b, parts[0]);
		json_builder_set_member_name(b, "line");
		json_builder_add_int_value(b, positioned ? g_ascii_strtoll(parts[1], NULL, 10) : 0);
		json_builder_set_member_name(b, "col");
		json_builder_add_int_value(b, positioned ? g_ascii_strtoll(parts[2], NULL, 10) : 0);
		json_builder_set_member_name(b, "message");
		const char *msg = positioned ? parts[3] : strchr(p, ':') ? strchr(p, ':') + 1 : p;
		while (*msg == ' ')
			msg++;
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
filters_check(int argc, char **argv)
{
	gboolean verbose = FALSE;
	char *templates = NULL;
	GOptionEntry entries[] = {
		{"templates", 't', 0, G_OPTION_ARG_FILENAME, &templates,
		 "check reply and sms templates in this folder (default without DIR: the config's)", "DIR"},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "print every rule as it was understood", NULL},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "filters check [DIR] - load and lint the rule files",
	            "Loads every *.rules file of DIR (default: the config's filters folder) and reports syntax errors,\n"
	            "unknown fields, bad regexes, unknown templates, rules that can never run and captures without\n"
	            "their named group, each as file:line:col. Exit 0 when clean, 65 otherwise.",
	            entries);
	char *dir = NULL;
	cd_config *cfg = NULL;
	if (argc > 3) {
		dir = g_strdup(argv[3]);
	} else {
		GError *error = NULL;
		cfg = cd_config_load(admin_opt_config, &error);
		if (cfg == NULL)
			admin_fail(error);
		dir = g_strdup(cfg->filters_dir);
		if (templates == NULL)
			templates = g_strdup(cfg->templates_dir);
	}
	GError *error = NULL;
	cd_ruleset *rs = cd_rules_load(dir, &error);
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	if (rs == NULL) {
		char **lines = g_strsplit(error->message, "\n", -1);
		for (char **l = lines; *l; l++)
			g_ptr_array_add(problems, g_strdup(*l));
		g_strfreev(lines);
		g_clear_error(&error);
	} else {
		cd_rules_lint(rs, templates, problems);
	}
	if (admin_opt_json) {
		print_problems_json(dir, rs, problems, rs != NULL);
	} else {
		if (verbose && rs) {
			GString *d = g_string_new(NULL);
			cd_rules_describe(rs, d);
			fputs(d->str, stdout);
			if (d->len)
				fputc('\n', stdout);
			g_string_free(d, TRUE);
		}
		for (guint i = 0; i < problems->len; i++) {
			const char *p = g_ptr_array_index(problems, i);
			/* file names are relative to the folder: print them as paths one can open */
			if (g_str_has_prefix(p, "(stopped"))
				printf("%s\n", p);
			else
				printf("%s%s%s\n", dir, g_str_has_suffix(dir, "/") ? "" : "/", p);
		}
		if (rs && problems->len == 0)
			printf("%s: %u rule%s, no problems%s\n", dir, cd_ruleset_count(rs), cd_ruleset_count(rs) == 1 ? "" : "s",
			       templates ? "" : " (templates not checked: no --templates)");
		else if (rs)
			printf("%s: %u rule%s, %u problem%s\n", dir, cd_ruleset_count(rs), cd_ruleset_count(rs) == 1 ? "" : "s",
			       problems->len, problems->len == 1 ? "" : "s");
		else
			printf("%s: not loaded (a broken file keeps the whole folder from loading)\n", dir);
	}
	int rc = rs && problems->len == 0 ? EX_OK : EX_DATAERR;
	g_ptr_array_unref(problems);
	cd_ruleset_unref(rs);
	cd_config_free(cfg);
	g_free(dir);
	g_free(templates);
	return rc;
}

/* ---- test ---- */

typedef struct {
	const char *kind;  /* known, unknown, agent */
	char *who;         /* for people: "customer 12 (alice@example.org)", "agent ana" */
	GPtrArray *tags;   /* char* */
} sender_info;

/* sender_lookup - who the sender is, read-only; FALSE (with a note on stderr) when not found out */
static void
sender_lookup(cd_store *store, const char *addr, gboolean sms, sender_info *out)
{
	GError *error = NULL;
	gint64 customer = 0;
	cd_sender s;
	if (sms ? cd_sender_lookup_phone(store, addr, &s, &error) : cd_sender_lookup(store, addr, &s, &error)) {
		if (s.kind == CD_SENDER_AGENT) {
			out->kind = "agent";
			out->who = g_strdup_printf("agent %" G_GINT64_FORMAT " (%s)", s.agent_id,
			                           sms ? "by phone number" : "by the From: address alone");
			return;
		}
		customer = s.customer_id;
	}
	if (error) {
		fprintf(stderr, "%s: cannot look up the sender (treated as unknown): %s\n", cd_log_progname(), error->message);
		g_error_free(error);
		return;
	}
	if (customer == 0)
		return;
	out->kind = "known";
	out->who = g_strdup_printf("customer %" G_GINT64_FORMAT, customer);
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT tag FROM customer_tags WHERE customer_id = ? ORDER BY tag", &error);
	if (st == NULL) {
		g_error_free(error);
		return;
	}
	sqlite3_bind_int64(st, 1, customer);
	gboolean row;
	while (cd_store_step(store, st, &row, &error) && row)
		g_ptr_array_add(out->tags, cd_col_dup(st, 0));
	sqlite3_reset(st);
	g_clear_error(&error);
}

static cd_message *
read_message(const char *path, const cd_config *cfg)
{
	char *data = NULL;
	gsize len = 0;
	GError *error = NULL;
	if (strcmp(path, "-") == 0) {
		GIOChannel *in = g_io_channel_unix_new(STDIN_FILENO);
		g_io_channel_set_encoding(in, NULL, NULL);
		if (g_io_channel_read_to_end(in, &data, &len, &error) != G_IO_STATUS_NORMAL)
			cd_die(EX_IOERR, "cannot read the message from stdin: %s", error->message);
		g_io_channel_unref(in);
	} else if (!g_file_get_contents(path, &data, &len, &error)) {
		cd_die(EX_NOINPUT, "%s", error->message);
	}
	cd_mime_init();
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	if (cfg) {
		opt.max_attachment_bytes = (gsize)cfg->max_attachment_bytes;
		opt.max_nesting = cfg->max_nesting;
	}
	cd_message *m = cd_mime_parse(data ? data : "", len, &opt);
	g_free(data);
	return m;
}

static void
add_string_array(JsonBuilder *b, const char *name, GPtrArray *a)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; a && i < a->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(a, i));
	json_builder_end_array(b);
}

static void
add_nullable(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sorted_keys - the capture names in order (not owned) */
static GPtrArray *
sorted_keys(GHashTable *h)
{
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;
	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(keys, k);
	g_ptr_array_sort(keys, cmp_str);
	return keys;
}

static void
print_json(const char *source, const cd_message *m, const char *channel, const sender_info *s, const char *dir,
           const cd_ruleset *rs, const cd_rule_decision *d, const GString *trace)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "message");
	json_builder_begin_object(b);
	add_nullable(b, "source", source);
	add_nullable(b, "channel", channel);
	add_nullable(b, "from", m->from.addr);
	add_nullable(b, "subject", m->subject);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64)m->raw_size);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "sender");
	json_builder_begin_object(b);
	add_nullable(b, "customer", s->kind);
	add_nullable(b, "who", s->who);
	add_string_array(b, "tags", s->tags);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "rules");
	json_builder_begin_object(b);
	add_nullable(b, "dir", dir);
	json_builder_set_member_name(b, "count");
	json_builder_add_int_value(b, cd_ruleset_count(rs));
	json_builder_end_object(b);
	json_builder_set_member_name(b, "decision");
	json_builder_begin_object(b);
	add_nullable(b, "type", d->type);
	add_nullable(b, "queue", d->queue);
	add_nullable(b, "priority", d->priority);
	add_nullable(b, "assign", d->assign);
	add_string_array(b, "tags", d->tags);
	json_builder_set_member_name(b, "captures");
	json_builder_begin_object(b);
	GPtrArray *keys = sorted_keys(d->captures);
	for (guint i = 0; i < keys->len; i++) {
		json_builder_set_member_name(b, g_ptr_array_index(keys, i));
		json_builder_add_string_value(b, g_hash_table_lookup(d->captures, g_ptr_array_index(keys, i)));
	}
	g_ptr_array_unref(keys);
	json_builder_end_object(b);
	add_string_array(b, "replies", d->replies);
	add_string_array(b, "notifies", d->notifies);
	add_string_array(b, "sms", d->sms);
	add_nullable(b, "reject", d->reject);
	json_builder_set_member_name(b, "drop");
	json_builder_add_boolean_value(b, d->drop);
	add_string_array(b, "matched", d->matched);
	add_string_array(b, "limit_hits", d->limit_hits);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "trace");
	json_builder_begin_array(b);
	char **lines = g_strsplit(trace->str, "\n", -1);
	for (char **l = lines; *l; l++)
		if (**l)
			json_builder_add_string_value(b, *l);
	g_strfreev(lines);
	json_builder_end_array(b);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	admin_print_json(root);
	json_node_unref(root);
	g_object_unref(b);
}

static void
print_list(const char *label, GPtrArray *a, gboolean quoted)
{
	if (a->len == 0)
		return;
	printf("  %-10s", label);
	for (guint i = 0; i < a->len; i++)
		printf(quoted ? "%s\"%s\"" : "%s%s", i ? ", " : "", (char *)g_ptr_array_index(a, i));
	printf("\n");
}

static void
print_text(const char *source, const cd_message *m, const char *channel, const sender_info *s, const char *dir,
           const cd_ruleset *rs, const cd_rule_decision *d, const GString *trace)
{
	printf("Message:   %s (%s, %" G_GSIZE_FORMAT " bytes)\n", source, channel, m->raw_size);
	printf("From:      %s", m->from.addr ? m->from.addr : "(none)");
	printf("  customer %s%s%s", s->kind, s->who ? ": " : "", s->who ? s->who : "");
	for (guint i = 0; i < s->tags->len; i++)
		printf("%s%s", i ? ", " : "; tags ", (char *)g_ptr_array_index(s->tags, i));
	printf("\n");
	if (m->subject)
		printf("Subject:   %s\n", m->subject);
	printf("Rules:     %s (%u rules)\n\n", dir, cd_ruleset_count(rs));
	fputs(trace->str, stdout);
	printf("\nDecision:\n");
	printf("  %-10s%s\n", "type", d->type ? d->type : "(not set: ticket)");
	printf("  %-10s%s\n", "queue", d->queue ? d->queue : "(not set: the default queue)");
	printf("  %-10s%s\n", "priority", d->priority ? d->priority : "(not set: normal)");
	if (d->assign)
		printf("  %-10s%s\n", "assign", d->assign);
	print_list("tags", d->tags, FALSE);
	GPtrArray *keys = sorted_keys(d->captures);
	for (guint i = 0; i < keys->len; i++)
		printf("  %-10s%s = \"%s\"\n", i ? "" : "captures", (char *)g_ptr_array_index(keys, i),
		       (char *)g_hash_table_lookup(d->captures, g_ptr_array_index(keys, i)));
	g_ptr_array_unref(keys);
	print_list("replies", d->replies, TRUE);
	print_list("notifies", d->notifies, TRUE);
	print_list("sms", d->sms, TRUE);
	if (d->reject)
		printf("  %-10s\"%s\" (the sender's server is told 5.7.1 %s)\n", "reject", d->reject, d->reject);
	if (d->drop)
		printf("  %-10sthe message would be dropped (kept raw, audited)\n", "drop");
	print_list("matched", d->matched, FALSE);
	print_list("limits", d->limit_hits, FALSE);
	if (d->matched->len == 0)
		printf("  (no rule matched)\n");
	printf("\nDry run: nothing was stored, sent or changed.\n");
}

static int
filters_test(int argc, char **argv)
{
	gboolean sms = FALSE;
	char *rules_dir = NULL, *customer = NULL;
	char **tags = NULL;
	GOptionEntry entries[] = {
		{"sms", 0, 0, G_OPTION_ARG_NONE, &sms, "test an SMS: filters test --sms FROM \"text\"", NULL},
		{"rules", 'r', 0, G_OPTION_ARG_FILENAME, &rules_dir, "the rule folder (default: the config's filters)", "DIR"},
		{"customer", 0, 0, G_OPTION_ARG_STRING, &customer, "who the sender is, instead of asking the database",
		 "known|unknown|agent"},
		{"tag", 0, 0, G_OPTION_ARG_STRING_ARRAY, &tags, "a customer tag (repeatable), instead of the database's",
		 "TAG"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "filters test MSG.eml | filters test --sms FROM \"text\" - dry-run the rules",
	            "Prints, rule by rule, which conditions held (and on what), the captured values and the actions\n"
	            "that would run, then the decision. Changes nothing: the database (when a config is found) is\n"
	            "opened read-only, only to learn whether the sender is a known customer or an agent and their\n"
	            "tags. MSG.eml may be - for stdin.",
	            entries);
	if (customer && !(strcmp(customer, "known") == 0 || strcmp(customer, "unknown") == 0 ||
	                  strcmp(customer, "agent") == 0))
		cd_die(EX_USAGE, "filters test: --customer known, unknown or agent, not '%s'", customer);
	if (sms ? argc != 5 : argc != 4)
		cd_die(EX_USAGE, sms ? "filters test --sms FROM \"text\"" : "filters test MSG.eml (or - for stdin)");

	/* the config is optional with --rules; without it, it says where the rules are */
	GError *error = NULL;
	cd_config *cfg = cd_config_load(admin_opt_config, &error);
	if (cfg == NULL && (rules_dir == NULL || admin_opt_config != NULL))
		admin_fail(error);
	g_clear_error(&error);
	const char *dir = rules_dir ? rules_dir : cfg->filters_dir;

	cd_message *m;
	const char *channel = sms ? "sms" : "email";
	if (sms) {
		m = cd_message_new();
		char *number = cd_sms_normalize_number(cfg, argv[3]);
		m->from.addr = number ? number : g_strdup(argv[3]);
		m->text = cd_utf8_clean(argv[4], -1);
		m->reply_text = g_strdup(m->text);
		m->raw_size = strlen(argv[4]);
		m->parsed = TRUE;
	} else {
		m = read_message(argv[3], cfg);
	}

	sender_info s = {.kind = "unknown", .tags = g_ptr_array_new_with_free_func(g_free)};
	if (customer == NULL && cfg && m->from.addr) {
		cd_store *store = cd_store_open(cfg->database, cfg->busy_timeout_ms, CD_STORE_READONLY, &error);
		if (store == NULL) {
			fprintf(stderr, "%s: cannot open %s read-only (sender treated as unknown): %s\n", cd_log_progname(),
			        cfg->database, error->message);
			g_clear_error(&error);
		} else {
			sender_lookup(store, m->from.addr, sms, &s);
			cd_store_close(store);
		}
	}
	if (customer)
		s.kind = customer;
	for (char **t = tags; t && *t; t++)
		g_ptr_array_add(s.tags, g_strdup(*t));

	cd_ruleset *rs = cd_rules_load(dir, &error);
	int rc = EX_OK;
	if (rs == NULL) {
		char **lines = g_strsplit(error->message, "\n", -1);
		for (char **l = lines; *l; l++)
			fprintf(stderr, "%s: %s/%s\n", cd_log_progname(), dir, *l);
		g_strfreev(lines);
		fprintf(stderr, "%s: the rules in %s do not load; fix them first (caredesk filters check %s)\n",
		        cd_log_progname(), dir, dir);
		g_clear_error(&error);
		rc = EX_DATAERR;
		goto out;
	}
	g_ptr_array_add(s.tags, NULL);
	cd_rule_input in = {.channel = channel,
	                    .msg = m,
	                    .customer = s.kind,
	                    .customer_tags = (const char *const *)s.tags->pdata};
	cd_rule_decision d;
	cd_rule_decision_init(&d);
	GString *trace = g_string_new(NULL);
	cd_rules_evaluate(rs, &in, &d, trace);
	g_ptr_array_set_size(s.tags, s.tags->len - 1);
	const char *source = sms ? "SMS" : argv[3];
	if (admin_opt_json)
		print_json(source, m, channel, &s, dir, rs, &d, trace);
	else
		print_text(source, m, channel, &s, dir, rs, &d, trace);
	g_string_free(trace, TRUE);
	cd_rule_decision_clear(&d);
	cd_ruleset_unref(rs);
out:
	g_ptr_array_unref(s.tags);
	g_free(s.who);
	cd_message_free(m);
	cd_config_free(cfg);
	g_free(rules_dir);
	g_free(customer);
	g_strfreev(tags);
	return rc;
}

int
cmd_filters(int argc, char **argv)
{
	const char *sub = admin_subcommand(argc, argv);
	if (strcmp(sub, "check") == 0)
		return filters_check(argc, argv);
	if (strcmp(sub, "test") == 0)
		return filters_test(argc, argv);
	cd_die(EX_USAGE, "filters: check [DIR] or test MSG.eml | test --sms FROM \"text\"");
}
