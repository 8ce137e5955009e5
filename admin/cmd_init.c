/* cmd_init.c - `caredesk init DIR`: config, secret key (0600) and database, idempotently.
 * Running it again on an existing DIR applies pending migrations and changes nothing else. */
#include "admin.h"
#include "log.h"
#include "result.h"
#include "secret.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

static void
ensure_file(const char *path, const char *content, int mode, const char *what)
{
	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		printf("kept     %s (%s)\n", path, what);
		return;
	}
	GError *error = NULL;
	if (!cd_write_file_atomic(path, content, strlen(content), mode, &error))
		admin_fail(error);
	printf("created  %s (%s)\n", path, what);
}

/* file_schema_version - user_version of an existing database, read without migrating it. */
static int
file_schema_version(const char *path)
{
	sqlite3 *db;
	int v = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW)
				v = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
	}
	sqlite3_close(db);
	return v;
}

/* shipped_dir - the shipped filters/ or templates/: beside an installed caredesk (../share/caredesk),
 * the configured data dir, or the source tree this program was built from. */
static char *
shipped_dir(const char *what)
{
	char *self = g_file_read_link("/proc/self/exe", NULL);
	char *candidates[3] = {NULL, g_build_filename(CAREDESK_DATADIR, what, NULL),
	                       g_build_filename(CAREDESK_SOURCE_DIR, what, NULL)};
	if (self) {
		char *dir = g_path_get_dirname(self);
		candidates[0] = g_build_filename(dir, "..", "share", "caredesk", what, NULL);
		g_free(dir);
		g_free(self);
	}
	char *found = NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
		if (found == NULL && candidates[i] && g_file_test(candidates[i], G_FILE_TEST_IS_DIR))
			found = candidates[i];
		else
			g_free(candidates[i]);
	}
	return found;
}

/* copy_shipped - copy the shipped files (recursively) into dest when dest holds none of its own yet. */
static void
copy_tree(const char *from, const char *to, guint *copied)
{
	GDir *d = g_dir_open(from, 0, NULL);
	const char *name;
	g_mkdir_with_parents(to, 0750);
	while (d && (name = g_dir_read_name(d)) != NULL) {
		char *src = g_build_filename(from, name, NULL);
		char *dst = g_build_filename(to, name, NULL);
		if (g_file_test(src, G_FILE_TEST_IS_DIR)) {
			copy_tree(src, dst, copied);
		} else if (!g_file_test(dst, G_FILE_TEST_EXISTS)) {
			char *data;
			gsize len;
			GError *error = NULL;
			if (g_file_get_contents(src, &data, &len, NULL)) {
				if (!cd_write_file_atomic(dst, data, len, 0640, &error))
					admin_fail(error);
				(*copied)++;
				g_free(data);
			}
		}
		g_free(src);
		g_free(dst);
	}
	if (d)
		g_dir_close(d);
}

static void
copy_shipped(const char *what, const char *dest)
{
	GDir *d = g_dir_open(dest, 0, NULL);
	gboolean empty = d == NULL || g_dir_read_name(d) == NULL;
	if (d)
		g_dir_close(d);
	char *from = shipped_dir(what);
	if (!empty || from == NULL) {
		printf("kept     %s%s\n", dest, from ? "" : " (no shipped files found)");
		g_free(from);
		return;
	}
	guint copied = 0;
	copy_tree(from, dest, &copied);
	printf("created  %s (%u shipped files from %s)\n", dest, copied, from);
	g_free(from);
}

int
cmd_init(int argc, char **argv)
{
	char *domain = NULL;
	GOptionEntry entries[] = {
		{"domain", 'd', 0, G_OPTION_ARG_STRING, &domain, "mail domain of the support address", "D"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "init DIR - create caredesk.conf, secret.key and caredesk.db in DIR",
	            "Idempotent: an existing DIR keeps its files; pending database migrations are applied.", entries);
	if (argc < 3)
		cd_die(EX_USAGE, "init: which directory? (caredesk init DIR)");
	const char *dir = argv[2];
	if (g_mkdir_with_parents(dir, 0750) != 0)
		cd_die(EX_CANTCREAT, "cannot create %s: %s", dir, g_strerror(errno));
	char *conf = g_build_filename(dir, "caredesk.conf", NULL);
	char *text = cd_config_default_text(domain ? domain : "example.com");
	ensure_file(conf, text, 0640, "configuration");
	g_free(text);

	GError *error = NULL;
	cd_config *cfg = cd_config_load(conf, &error);
	if (cfg == NULL)
		admin_fail(error);
	char *key = cd_secret_generate_text();
	ensure_file(cfg->secret_key_path, key, 0600, "secret key, mode 0600");
	memset(key, 0, strlen(key));
	g_free(key);
	/* the token that signs SMS webhooks (Twilio-style; with Twilio itself, put the account's auth token here) */
	char *token = cd_secret_generate_text();
	char *token_path = g_build_filename(dir, "sms-auth.token", NULL);
	ensure_file(token_path, token, 0600, "SMS webhook token, mode 0600");
	memset(token, 0, strlen(token));
	g_free(token);
	g_free(token_path);
	copy_shipped("filters", cfg->filters_dir);
	copy_shipped("templates", cfg->templates_dir);

	gboolean existed = g_file_test(cfg->database, G_FILE_TEST_EXISTS);
	int before = existed ? file_schema_version(cfg->database) : 0;
	cd_store *store =
	    cd_store_open(cfg->database, cfg->busy_timeout_ms, CD_STORE_CREATE | CD_STORE_MIGRATE, &error);
	if (store == NULL)
		admin_fail(error);
	int after = cd_store_version(store);
	printf("%s  %s (schema %d%s)\n", existed ? "kept    " : "created ", cfg->database, after,
	       before != after ? (before == 0 ? ", new" : ", migrated") : "");
	cd_store_close(store);
	printf("\nNext: caredesk -c %s doctor\n", cfg->path);
	cd_config_free(cfg);
	g_free(conf);
	g_free(domain);
	return EX_OK;
}
