/* cmd_doctor.c - `caredesk doctor`: is this installation able to take mail in without loss?
 * Each check prints ok, warn or FAIL with what to do; the exit code is 0 only when nothing failed. */
#include "admin.h"
#include "log.h"
#include "rawstore.h"
#include "result.h"
#include "secret.h"
#include "smsconf.h"
#include "util.h"

#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sysexits.h>

typedef struct {
	int fails;
	int warns;
	JsonBuilder *json;
} doctor;

static void G_GNUC_PRINTF(4, 5)
report(doctor *d, const char *level, const char *check, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (g_strcmp0(level, "FAIL") == 0)
		d->fails++;
	else if (g_strcmp0(level, "warn") == 0)
		d->warns++;
	if (admin_opt_json) {
		json_builder_begin_object(d->json);
		json_builder_set_member_name(d->json, "check");
		json_builder_add_string_value(d->json, check);
		json_builder_set_member_name(d->json, "level");
		json_builder_add_string_value(d->json, g_strcmp0(level, "FAIL") == 0 ? "fail" : level);
		json_builder_set_member_name(d->json, "message");
		json_builder_add_string_value(d->json, msg);
		json_builder_end_object(d->json);
	} else {
		printf("%-4s  %-10s %s\n", level, check, msg);
	}
	g_free(msg);
}

static gint64
query_int(cd_store *store, const char *sql)
{
	sqlite3_stmt *st = cd_store_stmt(store, sql, NULL);
	gint64 v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

static char *
query_text(cd_store *store, const char *sql)
{
	sqlite3_stmt *st = cd_store_stmt(store, sql, NULL);
	char *v = NULL;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = cd_col_dup(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

static void
check_secret(doctor *d, const cd_config *cfg)
{
	struct stat sb;
	GError *error = NULL;
	cd_secret *s = cd_secret_load(cfg->secret_key_path, &error);
	if (s == NULL) {
		report(d, "FAIL", "secret", "%s (caredesk init creates it)", error->message);
		g_error_free(error);
		return;
	}
	cd_secret_free(s);
	if (stat(cfg->secret_key_path, &sb) == 0 && (sb.st_mode & 077) != 0)
		report(d, "FAIL", "secret", "%s is readable by group or others (mode %03o): chmod 600 it",
		       cfg->secret_key_path, sb.st_mode & 0777);
	else
		report(d, "ok", "secret", "%s, mode 0600", cfg->secret_key_path);
}

static void
check_database(doctor *d, const cd_config *cfg)
{
	GError *error = NULL;
	cd_store *store = cd_store_open(cfg->database, cfg->busy_timeout_ms, CD_STORE_MIGRATE, &error);
	if (store == NULL) {
		report(d, "FAIL", "database", "%s", error->message);
		g_error_free(error);
		return;
	}
	char *mode = query_text(store, "PRAGMA journal_mode");
	char *integrity = query_text(store, "PRAGMA quick_check");
	gint64 fk = query_int(store, "SELECT count(*) FROM pragma_foreign_key_check");
	report(d, g_strcmp0(mode, "wal") == 0 ? "ok" : "FAIL", "database", "%s: schema %d of %d, journal %s",
	       cfg->database, cd_store_version(store), cd_store_latest_version(), mode ? mode : "?");
	report(d, g_strcmp0(integrity, "ok") == 0 && fk == 0 ? "ok" : "FAIL", "integrity",
	       "quick_check %s, %" G_GINT64_FORMAT " foreign key violations", integrity ? integrity : "?", fk);
	gint64 pending = cd_raw_pending_count(store);
	gint64 oldest = query_int(store, "SELECT coalesce(min(received_at), 0) FROM raw_messages WHERE state = 'pending'");
	gint64 age = oldest > 0 ? cd_now() - oldest : 0;
	if (pending > 0 && age > 300)
		report(d, "warn", "pending", "%" G_GINT64_FORMAT " stored messages not processed for %" G_GINT64_FORMAT
		       " s: run caredesk-mailgw process (is the gateway or cron running?)", pending, age);
	else
		report(d, "ok", "pending", "%" G_GINT64_FORMAT " stored messages waiting for the pipeline", pending);
	gint64 failed = query_int(store, "SELECT count(*) FROM raw_messages WHERE state = 'failed'");
	if (failed > 0)
		report(d, "warn", "failed", "%" G_GINT64_FORMAT " messages could not be processed (kept raw): "
		       "see raw_messages.error", failed);
	gint64 tickets = query_int(store, "SELECT count(*) FROM tickets");
	gint64 raws = query_int(store, "SELECT count(*) FROM raw_messages");
	report(d, "ok", "contents", "%" G_GINT64_FORMAT " tickets, %" G_GINT64_FORMAT " raw messages", tickets, raws);
	g_free(mode);
	g_free(integrity);
	cd_store_close(store);

	struct statvfs vfs;
	char *dir = g_path_get_dirname(cfg->database);
	if (statvfs(dir, &vfs) == 0) {
		guint64 free_mb = (guint64)vfs.f_bavail * vfs.f_frsize / (1024 * 1024);
		report(d, free_mb < 100 ? "warn" : "ok", "disk", "%" G_GUINT64_FORMAT " MiB free in %s%s", free_mb, dir,
		       free_mb < 100 ? ": mail will be deferred (exit 75) when it runs out" : "");
	}
	g_free(dir);
}

/* check_sms - the [sms] settings load; which transport sends SMS. */
static void
check_sms(doctor *d, const cd_config *cfg)
{
	static const char *const names[] = {"not set (SMS wait in the outbox)", "kannel", "twilio", "spool"};
	cd_sms_settings s;
	GError *error = NULL;
	if (!cd_sms_settings_load(cfg, &s, &error)) {
		report(d, "FAIL", "sms", "%s", error->message);
		g_error_free(error);
		return;
	}
	report(d, "ok", "sms", "provider %s, default country %s, cap %" G_GINT64_FORMAT
	       " segments, %" G_GINT64_FORMAT "/h and %" G_GINT64_FORMAT "/day per number%s",
	       names[s.transport], s.default_country, s.max_segments, s.per_number_hourly, s.per_number_daily,
	       s.auth_token ? "" : "; no auth_token_file: Twilio webhooks are refused");
	cd_sms_settings_clear(&s);
}

static void
check_dir(doctor *d, const char *check, const char *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR))
		report(d, "ok", check, "%s", path);
	else
		report(d, "warn", check, "%s is missing", path);
}

int
cmd_doctor(int argc, char **argv)
{
	admin_parse(&argc, &argv, "doctor - check that this installation can take mail in without loss", NULL, NULL);
	doctor d = {0};
	if (admin_opt_json) {
		d.json = json_builder_new();
		json_builder_begin_array(d.json);
	}
	GError *error = NULL;
	cd_config *cfg = cd_config_load(admin_opt_config, &error);
	if (cfg == NULL) {
		report(&d, "FAIL", "config", "%s", error->message);
		g_error_free(error);
	} else {
		report(&d, "ok", "config", "%s", cfg->path);
		check_secret(&d, cfg);
		check_database(&d, cfg);
		check_dir(&d, "filters", cfg->filters_dir);
		check_dir(&d, "templates", cfg->templates_dir);
		check_sms(&d, cfg);
		cd_config_free(cfg);
	}
	if (admin_opt_json) {
		json_builder_end_array(d.json);
		JsonNode *root = json_builder_get_root(d.json);
		admin_print_json(root);
		json_node_unref(root);
		g_object_unref(d.json);
	} else {
		printf("\n%d failed, %d warnings\n", d.fails, d.warns);
	}
	return d.fails ? EX_UNAVAILABLE : EX_OK;
}
