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
	g_mkdir_with_parents(cfg->filters_dir, 0750);
	g_mkdir_with_parents(cfg->templates_dir, 0750);

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
