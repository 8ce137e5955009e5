/* test_ingest.c - the pipeline on a real database: reply tokens thread (and only for the address
 * they were made for), duplicates by Message-ID are no-ops, unknown senders become pending
 * customers, and the processor turns pending raw rows into tickets. */
#include "ingest.h"
#include "process.h"
#include "rawstore.h"
#include "secret.h"
#include "testutil.h"
#include "util.h"

#include <string.h>

typedef struct {
	cd_store *store;
	cd_secret secret;
	cd_ingest_ctx ctx;
} fixture;

static void
fixture_init(fixture *f)
{
	memset(f, 0, sizeof *f);
	f->store = tu_store(NULL);
	memset(&f->secret, 7, sizeof f->secret);
	f->ctx.store = f->store;
	f->ctx.secret = &f->secret;
	f->ctx.cfg = NULL;
}

static gint64
store_and_process(fixture *f, const char *raw)
{
	GError *error = NULL;
	char sha[65];
	cd_sha256_hex(raw, strlen(raw), sha);
	cd_raw_origin o = {.source = "test"};
	gint64 id;
	cd_raw_status st;
	g_assert_true(cd_store_begin(f->store, &error));
	g_assert_true(cd_raw_store(f->store, raw, strlen(raw), sha, &o, &id, &st, &error));
	g_assert_true(cd_store_commit(f->store, &error));
	cd_process_stats stats = {0};
	g_assert_true(cd_process_pending(&f->ctx, 0, &stats, &error));
	g_assert_no_error(error);
	sqlite3_stmt *q = cd_store_stmt(f->store, "SELECT coalesce(m.ticket_id, 0) FROM messages m WHERE m.raw_id = ?1 "
	                                          "UNION ALL SELECT coalesce(m.ticket_id, 0) FROM raw_messages r JOIN messages m "
	                                          "ON m.id = r.message_id WHERE r.id = ?1 AND r.state = 'duplicate'",
	                                NULL);
	sqlite3_bind_int64(q, 1, id);
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
	gint64 ticket = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return ticket;
}

static gint64
count(fixture *f, const char *sql)
{
	sqlite3_stmt *q = cd_store_stmt(f->store, sql, NULL);
	g_assert_cmpint(sqlite3_step(q), ==, SQLITE_ROW);
	gint64 n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	return n;
}

static void
test_reply_token_threads(void)
{
	fixture f;
	fixture_init(&f);
	gint64 t1 = store_and_process(&f, "From: Alice <alice@example.org>\nSubject: help\nMessage-ID: <a1@x>\n\nhelp me\n");
	g_assert_cmpint(t1, ==, 1);
	g_assert_cmpint(count(&f, "SELECT count(*) FROM customers WHERE status = 'pending'"), ==, 1);
	char *reply_to = cd_reply_address(&f.secret, "support@example.test", t1, "alice@example.org");
	/* a reply with no In-Reply-To and a changed subject: only the token can thread it */
	char *raw = g_strdup_printf("From: alice@example.org\nTo: %s\nSubject: something else\nMessage-ID: <a2@x>\n\nmore\n",
	                            reply_to);
	g_assert_cmpint(store_and_process(&f, raw), ==, t1);
	g_free(raw);
	g_assert_cmpint(count(&f, "SELECT count(*) FROM messages WHERE threaded_by = 'reply-token'"), ==, 1);
	/* the same address used by someone else does not thread */
	raw = g_strdup_printf("From: mallory@evil.example\nTo: %s\nSubject: something else\nMessage-ID: <m1@x>\n\nhi\n",
	                      reply_to);
	g_assert_cmpint(store_and_process(&f, raw), !=, t1);
	g_free(raw);
	g_free(reply_to);
	cd_store_close(f.store);
}

static void
test_duplicate_message_id(void)
{
	fixture f;
	fixture_init(&f);
	gint64 t1 = store_and_process(&f, "From: bob@example.org\nSubject: x\nMessage-ID: <same@x>\n\nbody\n");
	gint64 t2 = store_and_process(&f, "Received: by mx2\nFrom: bob@example.org\nSubject: x\nMessage-ID: <same@x>\n\nbody\n");
	g_assert_cmpint(t1, ==, t2);
	g_assert_cmpint(count(&f, "SELECT count(*) FROM messages"), ==, 1);
	g_assert_cmpint(count(&f, "SELECT count(*) FROM raw_messages WHERE state = 'duplicate'"), ==, 1);
	/* the same Message-ID from another sender is not a duplicate */
	gint64 t3 = store_and_process(&f, "From: eve@example.org\nSubject: x\nMessage-ID: <same@x>\n\nbody\n");
	g_assert_cmpint(t3, !=, t1);
	cd_store_close(f.store);
}

static void
test_unparsed_still_a_ticket(void)
{
	fixture f;
	fixture_init(&f);
	gint64 t = store_and_process(&f, "just some text\nwithout any header\n");
	g_assert_cmpint(t, >, 0);
	g_assert_cmpint(count(&f, "SELECT unparsed FROM tickets"), ==, 1);
	g_assert_cmpint(count(&f, "SELECT instr(body_full, 'without any header') > 0 FROM messages"), ==, 1);
	cd_store_close(f.store);
}

static void
test_audit_rows(void)
{
	fixture f;
	fixture_init(&f);
	store_and_process(&f, "From: carol@example.org\nSubject: x\nMessage-ID: <c1@x>\n\nbody\n");
	g_assert_cmpint(count(&f, "SELECT count(*) FROM audit_events WHERE entity = 'ticket' AND action = 'created' "
	                          "AND to_state = 'new' AND actor_kind = 'customer' AND channel = 'email'"),
	                ==, 1);
	g_assert_cmpint(count(&f, "SELECT count(*) FROM audit_events WHERE entity = 'customer' AND action = 'created'"), ==, 1);
	cd_store_close(f.store);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ingest/reply-token", test_reply_token_threads);
	g_test_add_func("/ingest/duplicate-message-id", test_duplicate_message_id);
	g_test_add_func("/ingest/unparsed", test_unparsed_still_a_ticket);
	g_test_add_func("/ingest/audit", test_audit_rows);
	return g_test_run();
}
