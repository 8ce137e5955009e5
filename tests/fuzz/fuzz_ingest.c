/* fuzz_ingest.c - libFuzzer target: a whole message through the ingestion path against an
 * in-memory database: raw store, parse, classification, sender lookup, threading (reply tokens,
 * In-Reply-To, subject tags), the shipped filter rules and the workflow they start (RMA requests,
 * activation codes), ticket and message rows, audit. Every input must leave a consistent database:
 * the raw row processed (never left pending) and valid UTF-8 in every message. The database is
 * started afresh every 2,000 inputs so that it stays small. */
#include "ingest.h"
#include "process.h"
#include "rawstore.h"
#include "rules.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

#ifndef CAREDESK_FILTERS_DIR
#error "CAREDESK_FILTERS_DIR must name the shipped filters/ folder"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cd_store *store;
static cd_secret secret;
static cd_ruleset *rules;
static unsigned runs;

static gint64
one(cd_store *s, const char *sql)
{
	sqlite3_stmt *q = cd_store_stmt(s, sql, NULL);
	gint64 n = q && sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	if (q)
		sqlite3_reset(q);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *error = NULL;
	if (rules == NULL) {
		memset(&secret, 7, sizeof secret);
		rules = cd_rules_load(CAREDESK_FILTERS_DIR, &error);
		if (rules == NULL)
			g_error("shipped rules do not load: %s", error->message);
	}
	if (store == NULL || ++runs % 2000 == 0) {
		if (store)
			cd_store_close(store);
		store = cd_store_open(":memory:", 1000, CD_STORE_CREATE | CD_STORE_MIGRATE, &error);
		if (store == NULL)
			g_error("in-memory database: %s", error->message);
	}
	char sha[65];
	cd_sha256_hex((const char *)data, size, sha);
	cd_raw_origin o = {.source = "fuzz"};
	gint64 id;
	cd_raw_status st;
	if (!cd_store_begin(store, &error) || !cd_raw_store(store, (const char *)data, size, sha, &o, &id, &st, &error) ||
	    !cd_store_commit(store, &error))
		g_error("raw store: %s", error->message);
	cd_ingest_ctx ctx = {.store = store, .secret = &secret, .rules = rules};
	cd_process_stats stats = {0};
	if (!cd_process_pending(&ctx, 0, &stats, &error))
		g_error("processing: %s", error->message);
	if (one(store, "SELECT count(*) FROM raw_messages WHERE state = 'pending'") != 0)
		__builtin_trap();
	sqlite3_stmt *q = cd_store_stmt(store, "SELECT subject, body_full, body_reply, body_html, from_name FROM messages WHERE raw_id = ?", NULL);
	sqlite3_bind_int64(q, 1, id);
	while (sqlite3_step(q) == SQLITE_ROW)
		for (int c = 0; c < 5; c++) {
			const char *t = (const char *)sqlite3_column_text(q, c);
			if (t && !g_utf8_validate(t, -1, NULL))
				__builtin_trap();
		}
	sqlite3_reset(q);
	return 0;
}
