/* custmerge.c - merging, erasing and finding inactive customers (see custmerge.h). */
#include "custmerge.h"
#include "result.h"
#include "util.h"

#include <string.h>

/* run_ids - run sql with ?1 = a and ?2 = b (0: left unbound); *changes (may be NULL) gets the rows changed. */
static gboolean
run_ids(cd_store *store, const char *sql, gint64 a, gint64 b, int *changes, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	if (st == NULL)
		return FALSE;
	if (a)
		sqlite3_bind_int64(st, 1, a);
	if (b)
		sqlite3_bind_int64(st, 2, b);
	if (!cd_store_run(store, st, error))
		return FALSE;
	if (changes)
		*changes = cd_store_changes(store);
	return TRUE;
}

typedef struct {
	char *email, *phone, *name, *company, *language, *status;
	gboolean erased;
} person;

static void
person_clear(person *p)
{
	g_free(p->email);
	g_free(p->phone);
	g_free(p->name);
	g_free(p->company);
	g_free(p->language);
	g_free(p->status);
}

static gboolean
person_load(cd_store *store, gint64 id, person *p, GError **error)
{
	memset(p, 0, sizeof *p);
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT email, phone, name, company, language, status, erased_at IS NOT NULL "
	                                 "FROM customers WHERE id = ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (!row) {
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no customer %" G_GINT64_FORMAT, id);
		sqlite3_reset(st);
		return FALSE;
	}
	p->email = cd_col_dup(st, 0);
	p->phone = cd_col_dup(st, 1);
	p->name = cd_col_dup(st, 2);
	p->company = cd_col_dup(st, 3);
	p->language = cd_col_dup(st, 4);
	p->status = cd_col_dup(st, 5);
	p->erased = sqlite3_column_int(st, 6);
	sqlite3_reset(st);
	if (p->erased) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "customer %" G_GINT64_FORMAT " was erased", id);
		person_clear(p);
		return FALSE;
	}
	return TRUE;
}

/* What a merge moves, counted before it moves (for the merge history). */
static const struct {
	const char *one, *many, *sql;
} movable[] = {
	{"order", "orders", "SELECT count(*) FROM orders WHERE customer_id = ?1"},
	{"offer", "offers", "SELECT count(*) FROM offers WHERE customer_id = ?1"},
	{"ticket", "tickets", "SELECT count(*) FROM tickets WHERE customer_id = ?1"},
	{"RMA", "RMAs", "SELECT count(*) FROM rmas WHERE customer_id = ?1"},
	{"contact", "contacts", "SELECT count(*) FROM customer_contacts WHERE customer_id = ?1"},
	{"note", "notes", "SELECT count(*) FROM customer_notes WHERE customer_id = ?1"},
	{"address", "addresses", "SELECT count(*) FROM customer_addresses WHERE customer_id = ?1"},
	{"tag", "tags", "SELECT count(*) FROM customer_tags WHERE customer_id = ?1"},
};

static gboolean
describe_moves(cd_store *store, gint64 other, GString *out, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(movable); i++) {
		gint64 n;
		if (!cd_store_lookup_id(store, movable[i].sql, NULL, other, &n, error))
			return FALSE;
		if (n)
			g_string_append_printf(out, "%s%" G_GINT64_FORMAT " %s", out->len ? ", " : "", n,
			                        n == 1 ? movable[i].one : movable[i].many);
	}
	if (out->len == 0)
		g_string_append(out, "nothing");
	return TRUE;
}

/* move_references - every column of every table with a foreign key to customers(id): other -> primary.
 * A row that would collide (a tag both have) stays behind and is removed with the account. What
 * logs someone in is not moved but ends with the account: a browser logged in as the merged
 * account must not become the primary's session, and a reset link sent to its address must not
 * set the primary's password. */
static gboolean
move_references(cd_store *store, gint64 primary, gint64 other, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
	                                 "WHERE m.type = 'table' AND f.\"table\" = 'customers' ORDER BY m.name",
	                                 error);
	if (st == NULL)
		return FALSE;
	static const char *const credentials[] = {"web_sessions", "password_resets", NULL};
	GPtrArray *sqls = g_ptr_array_new_with_free_func(g_free);
	gboolean row, ok;
	while ((ok = cd_store_step(store, st, &row, error)) && row) {
		if (g_strv_contains(credentials, cd_col_text(st, 0)))
			continue; /* deleted with the account (ON DELETE CASCADE) */
		char *upd = sqlite3_mprintf("UPDATE OR IGNORE \"%w\" SET \"%w\" = ?1 WHERE \"%w\" = ?2", cd_col_text(st, 0),
		                            cd_col_text(st, 1), cd_col_text(st, 1));
		char *del = sqlite3_mprintf("DELETE FROM \"%w\" WHERE \"%w\" = ?2 AND ?1", cd_col_text(st, 0), cd_col_text(st, 1));
		g_ptr_array_add(sqls, g_strdup(upd));
		g_ptr_array_add(sqls, g_strdup(del));
		sqlite3_free(upd);
		sqlite3_free(del);
	}
	sqlite3_reset(st);
	for (guint i = 0; ok && i < sqls->len; i++)
		ok = run_ids(store, g_ptr_array_index(sqls, i), primary, other, NULL, error);
	g_ptr_array_free(sqls, TRUE);
	/* the history of the merged account becomes the primary's (audit rows name customers without a key) */
	return ok && run_ids(store, "UPDATE audit_events SET customer_id = ?1 WHERE customer_id = ?2", primary, other, NULL,
	                     error);
}

/* keep_contact - value (an address or number of the merged account) as a contact of the primary. */
static gboolean
keep_contact(cd_store *store, gint64 primary, const char *kind, const char *value, const char *name, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO customer_contacts(customer_id, kind, value, name, may_follow, created_at) "
	                                 "VALUES (?1, ?2, ?3, ?4, 1, ?5) ON CONFLICT (kind, value) DO UPDATE SET "
	                                 "customer_id = excluded.customer_id, may_follow = 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, primary);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, cd_now());
	return cd_store_run(store, st, error);
}

/* fill_field - primary.col = value when the primary has none. *filled says whether it did. */
static gboolean
fill_field(cd_store *store, gint64 primary, const char *col, const char *value, gboolean *filled, GError **error)
{
	*filled = FALSE;
	if (value == NULL)
		return TRUE;
	char *sql = g_strdup_printf("UPDATE customers SET %s = ?2 WHERE id = ?1 AND %s IS NULL", col, col);
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	g_free(sql);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, primary);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*filled = cd_store_changes(store) > 0;
	return TRUE;
}

gboolean
cd_customer_merge(cd_store *store, const cd_actor *actor, gint64 primary, gint64 other, char **moved, GError **error)
{
	if (primary == other) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "cannot merge customer %" G_GINT64_FORMAT " into itself", primary);
		return FALSE;
	}
	person p, o;
	if (!person_load(store, primary, &p, error))
		return FALSE;
	if (!person_load(store, other, &o, error)) {
		person_clear(&p);
		return FALSE;
	}
	GString *what = g_string_new(NULL);
	gboolean ok = describe_moves(store, other, what, error) && move_references(store, primary, other, error) &&
	              run_ids(store, "DELETE FROM customers WHERE id = ?2 AND ?1", primary, other, NULL, error);
	/* the merged address and number: the primary's own when it has none, else contacts */
	gboolean filled = FALSE;
	ok = ok && fill_field(store, primary, "email", o.email, &filled, error) &&
	     (filled || o.email == NULL || keep_contact(store, primary, "email", o.email, o.name, error));
	ok = ok && fill_field(store, primary, "phone", o.phone, &filled, error) &&
	     (filled || o.phone == NULL || keep_contact(store, primary, "phone", o.phone, o.name, error));
	ok = ok && fill_field(store, primary, "name", o.name, &filled, error) &&
	     fill_field(store, primary, "company", o.company, &filled, error) &&
	     fill_field(store, primary, "language", o.language, &filled, error) &&
	     run_ids(store, "UPDATE customers SET updated_at = unixepoch() WHERE id = ?1", primary, 0, NULL, error);
	sqlite3_stmt *st = ok ? cd_store_stmt(store,
	                                      "INSERT INTO customer_merges(customer_id, merged_id, merged_email, merged_phone, "
	                                      "merged_name, moved, actor, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                                      error)
	                      : NULL;
	ok = st != NULL;
	if (ok) {
		sqlite3_bind_int64(st, 1, primary);
		sqlite3_bind_int64(st, 2, other);
		sqlite3_bind_text(st, 3, o.email, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, o.phone, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, o.name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, what->str, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, actor && actor->actor ? actor->actor : NULL, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, cd_now());
		ok = cd_store_run(store, st, error);
	}
	char *note = g_strdup_printf("customer %" G_GINT64_FORMAT " merged in: %s", other, what->str);
	cd_audit_event ev = {.actor = actor, .entity = "customer", .entity_id = primary, .customer_id = primary,
	                     .action = "merged", .note = note};
	ok = ok && cd_audit(store, &ev, error);
	g_free(note);
	if (ok && moved)
		*moved = g_strdup(what->str);
	g_string_free(what, TRUE);
	person_clear(&p);
	person_clear(&o);
	return ok;
}

gboolean
cd_customer_has_open_order(cd_store *store, gint64 customer_id, gboolean *open, GError **error)
{
	gint64 n;
	if (!cd_store_lookup_id(store,
	                        "SELECT count(*) FROM orders WHERE customer_id = ?1 AND status IN ('new','paid','shipped')",
	                        NULL, customer_id, &n, error))
		return FALSE;
	*open = n > 0;
	return TRUE;
}

/* ---- erasure ---- */

/* The strings that identify the person (addresses, numbers, names), matched ignoring ASCII case. */
typedef struct {
	GPtrArray *terms;  /* lower-cased */
} erase_terms;

static void
terms_free(void *p)
{
	erase_terms *t = p;
	g_ptr_array_free(t->terms, TRUE);
	g_free(t);
}

static void
terms_add(erase_terms *t, const char *value, gsize min_len)
{
	if (value == NULL || strlen(value) < min_len)
		return;
	char *low = g_ascii_strdown(value, -1);
	for (guint i = 0; i < t->terms->len; i++)
		if (strcmp(g_ptr_array_index(t->terms, i), low) == 0) {
			g_free(low);
			return;
		}
	g_ptr_array_add(t->terms, low);
}

/* standalone - whether the match at p is not part of a longer word or address (dora@x.org in isadora@x.org). */
static gboolean
standalone(const char *data, gsize len, const char *p, gsize n)
{
	if (p > data && (g_ascii_isalnum(p[-1]) || strchr("._%+-", p[-1]) != NULL) && p[-1] != '\0')
		return FALSE;
	return p + n >= data + len || !g_ascii_isalnum(p[n]);
}

/* find_term - the first place in data[0..len) where a term starts (ASCII case ignored), its length in *tlen. */
static const char *
find_term(const erase_terms *t, const char *data, gsize len, gsize *tlen)
{
	const char *best = NULL;
	for (guint i = 0; i < t->terms->len; i++) {
		const char *term = g_ptr_array_index(t->terms, i);
		gsize n = strlen(term);
		if (n == 0 || n > len)
			continue;
		for (const char *p = data; p + n <= data + len && (best == NULL || p < best); p++)
			if (g_ascii_strncasecmp(p, term, n) == 0 && standalone(data, len, p, n)) {
				best = p;
				*tlen = n;
				break;
			}
	}
	return best;
}

/* cd_erase_scrub(value): text with every term replaced by "[erased]"; a blob with every term
 * overwritten by as many 'x' (the raw bytes keep their length and structure); NULL stays NULL. */
static void
sql_scrub(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const erase_terms *t = sqlite3_user_data(ctx);
	int type = sqlite3_value_type(argv[0]);
	if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	const char *data = type == SQLITE_BLOB ? sqlite3_value_blob(argv[0]) : (const char *)sqlite3_value_text(argv[0]);
	gsize len = (gsize)sqlite3_value_bytes(argv[0]);
	GByteArray *out = g_byte_array_sized_new(len);
	const char *p = data, *end = data + len, *hit;
	gsize tlen = 0;
	while (p < end && (hit = find_term(t, p, (gsize)(end - p), &tlen)) != NULL) {
		g_byte_array_append(out, (const guint8 *)p, (guint)(hit - p));
		if (type == SQLITE_BLOB)
			for (gsize i = 0; i < tlen; i++)
				g_byte_array_append(out, (const guint8 *)"x", 1);
		else
			g_byte_array_append(out, (const guint8 *)"[erased]", 8);
		p = hit + tlen;
	}
	g_byte_array_append(out, (const guint8 *)p, (guint)(end - p));
	if (type == SQLITE_BLOB)
		sqlite3_result_blob64(ctx, out->data, out->len, SQLITE_TRANSIENT);
	else
		sqlite3_result_text64(ctx, (const char *)out->data, out->len, SQLITE_TRANSIENT, SQLITE_UTF8);
	g_byte_array_free(out, TRUE);
}

/* cd_erase_hit(value): 1 when a term occurs in it. */
static void
sql_hit(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const erase_terms *t = sqlite3_user_data(ctx);
	int type = sqlite3_value_type(argv[0]);
	gsize tlen;
	if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	const char *data = type == SQLITE_BLOB ? sqlite3_value_blob(argv[0]) : (const char *)sqlite3_value_text(argv[0]);
	sqlite3_result_int(ctx, data && find_term(t, data, (gsize)sqlite3_value_bytes(argv[0]), &tlen) != NULL);
}

/* add_table_scrub - for one table: replace the person's strings in every one of cols, in one pass.
 * A row whose scrubbed value would collide with another's (a unique column that already holds
 * "[erased]") cannot keep the value: it goes. */
static void
add_table_scrub(GPtrArray *sqls, const char *table, GPtrArray *cols)
{
	GString *set = g_string_new(NULL), *where = g_string_new(NULL);
	for (guint i = 0; i < cols->len; i++) {
		char *q = sqlite3_mprintf("\"%w\"", (char *)g_ptr_array_index(cols, i));
		g_string_append_printf(set, "%s%s = cd_erase_scrub(%s)", i ? ", " : "", q, q);
		g_string_append_printf(where, "%scd_erase_hit(%s)", i ? " OR " : "", q);
		sqlite3_free(q);
	}
	char *t = sqlite3_mprintf("\"%w\"", table);
	g_ptr_array_add(sqls, g_strdup_printf("UPDATE OR IGNORE %s SET %s WHERE %s", t, set->str, where->str));
	g_ptr_array_add(sqls, g_strdup_printf("DELETE FROM %s WHERE %s", t, where->str));
	sqlite3_free(t);
	g_string_free(set, TRUE);
	g_string_free(where, TRUE);
}

/* scrub_targets - statements that replace the person's strings in every text or blob column of
 * every table, in tables of today and of tomorrow (one pass over each table). Left out: SQLite's
 * own tables, virtual tables and their shadow tables (their triggers follow the content table),
 * blocklists (fraud prevention keeps what it blocks), and the rows of other people (customers,
 * agents): a namesake keeps their name. */
static gboolean
scrub_targets(cd_store *store, GPtrArray *sqls, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(
	    store,
	    "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c "
	    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT LIKE '%block%' "
	    "AND m.name NOT IN ('customers', 'agents') "
	    "AND m.sql NOT LIKE 'CREATE VIRTUAL%' AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table' "
	    "AND v.sql LIKE 'CREATE VIRTUAL%' AND m.name LIKE v.name || '\\_%' ESCAPE '\\') "
	    "AND (c.type = '' OR c.type LIKE '%TEXT%' OR c.type LIKE '%CHAR%' OR c.type LIKE '%CLOB%' OR c.type LIKE '%BLOB%' "
	    "OR c.type = 'ANY') ORDER BY m.name, c.cid",
	    error);
	if (st == NULL)
		return FALSE;
	gboolean row, ok;
	char *table = NULL;
	GPtrArray *cols = g_ptr_array_new_with_free_func(g_free);
	while ((ok = cd_store_step(store, st, &row, error)) && row) {
		if (table && strcmp(table, cd_col_text(st, 0)) != 0) {
			add_table_scrub(sqls, table, cols);
			g_ptr_array_set_size(cols, 0);
		}
		if (cols->len == 0) {
			g_free(table);
			table = cd_col_dup(st, 0);
		}
		g_ptr_array_add(cols, cd_col_dup(st, 1));
	}
	if (ok && table)
		add_table_scrub(sqls, table, cols);
	if (ok)
		sqlite3_reset(st);
	g_free(table);
	g_ptr_array_free(cols, TRUE);
	return ok;
}

static gboolean
collect_terms(cd_store *store, gint64 customer_id, erase_terms *t, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT email, 3 FROM customers WHERE id = ?1 UNION ALL SELECT phone, 6 FROM customers WHERE id = ?1 "
	                                 "UNION ALL SELECT name, 4 FROM customers WHERE id = ?1 "
	                                 "UNION ALL SELECT value, 3 FROM customer_contacts WHERE customer_id = ?1 "
	                                 "UNION ALL SELECT name, 4 FROM customer_contacts WHERE customer_id = ?1 "
	                                 "UNION ALL SELECT merged_email, 3 FROM customer_merges WHERE customer_id = ?1 "
	                                 "UNION ALL SELECT merged_phone, 6 FROM customer_merges WHERE customer_id = ?1 "
	                                 "UNION ALL SELECT merged_name, 4 FROM customer_merges WHERE customer_id = ?1 "
	                                 "UNION ALL SELECT name, 4 FROM customer_addresses WHERE customer_id = ?1 "
	                                 "UNION ALL SELECT street, 6 FROM customer_addresses WHERE customer_id = ?1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	gboolean row, ok;
	while ((ok = cd_store_step(store, st, &row, error)) && row)
		terms_add(t, cd_col_text(st, 0), (gsize)sqlite3_column_int(st, 1));
	sqlite3_reset(st);
	return ok;
}

/* The person's own rows: the messages of their tickets and their raw bytes, in temp tables. */
static const char *const erase_steps[] = {
	"CREATE TEMP TABLE IF NOT EXISTS erase_msgs(id INTEGER PRIMARY KEY)",
	"CREATE TEMP TABLE IF NOT EXISTS erase_raw(id INTEGER PRIMARY KEY)",
	"DELETE FROM temp.erase_msgs",
	"DELETE FROM temp.erase_raw",
	"INSERT OR IGNORE INTO temp.erase_msgs SELECT id FROM messages WHERE customer_id = ?1 "
	"OR ticket_id IN (SELECT id FROM tickets WHERE customer_id = ?1)",
	"INSERT OR IGNORE INTO temp.erase_raw SELECT raw_id FROM messages WHERE id IN temp.erase_msgs AND raw_id IS NOT NULL "
	"UNION SELECT id FROM raw_messages WHERE message_id IN temp.erase_msgs "
	"UNION SELECT id FROM raw_messages WHERE cd_erase_hit(envelope_from)",
};

gboolean
cd_customer_erase_prepare(cd_store *store, GError **error)
{
	return cd_store_exec(store, "PRAGMA secure_delete = ON", error);
}

gboolean
cd_customer_erase_finish(cd_store *store, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "PRAGMA wal_checkpoint(TRUNCATE)", error);
	if (st == NULL)
		return FALSE;
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	gboolean busy = row && sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	if (busy) {
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP,
		            "the write-ahead log could not be truncated (a reader is active); old page copies stay in %s-wal "
		            "until the next checkpoint", cd_store_path(store));
		return FALSE;
	}
	return TRUE;
}

gboolean
cd_customer_erase(cd_store *store, const cd_actor *actor, gint64 customer_id, gboolean force, cd_erase_counts *counts,
                  GError **error)
{
	memset(counts, 0, sizeof *counts);
	person p;
	if (!person_load(store, customer_id, &p, error))
		return FALSE;
	gboolean open = FALSE, ok = cd_customer_has_open_order(store, customer_id, &open, error);
	if (ok && open && !force) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID,
		            "customer %" G_GINT64_FORMAT " has an open order (new, paid or shipped); erase with --force", customer_id);
		ok = FALSE;
	}
	erase_terms *t = g_new0(erase_terms, 1);
	t->terms = g_ptr_array_new_with_free_func(g_free);
	ok = ok && collect_terms(store, customer_id, t, error);
	if (!ok) {
		terms_free(t);
		person_clear(&p);
		return FALSE;
	}
	sqlite3 *db = cd_store_db(store);
	/* replaced functions free their terms; the last ones go with the connection */
	int rc = sqlite3_create_function_v2(db, "cd_erase_scrub", 1, SQLITE_UTF8, t, sql_scrub, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "cd_erase_hit", 1, SQLITE_UTF8, t, sql_hit, NULL, NULL, terms_free);
	else
		terms_free(t);
	if (rc != SQLITE_OK) {
		cd_set_error_sqlite(error, rc, "erase", sqlite3_errmsg(db));
		person_clear(&p);
		return FALSE;
	}
	for (gsize i = 0; ok && i < G_N_ELEMENTS(erase_steps); i++)
		ok = run_ids(store, erase_steps[i], strstr(erase_steps[i], "?1") ? customer_id : 0, 0, NULL, error);
	ok = ok &&
	     run_ids(store,
	             "UPDATE messages SET from_addr = NULL, from_name = NULL, to_addrs = NULL, cc_addrs = NULL, "
	             "message_id = NULL, in_reply_to = NULL, references_ids = NULL, subject = '[erased]', "
	             "body_reply = '[erased]', body_full = '[erased]', body_html = NULL, notes = NULL "
	             "WHERE id IN temp.erase_msgs",
	             0, 0, &counts->messages, error) &&
	     run_ids(store, "DELETE FROM attachments WHERE message_id IN temp.erase_msgs", 0, 0, &counts->attachments, error) &&
	     run_ids(store, "DELETE FROM raw_bodies WHERE raw_id IN temp.erase_raw", 0, 0, NULL, error) &&
	     run_ids(store,
	             "UPDATE raw_messages SET envelope_from = NULL, error = NULL, size = 0, sha256 = 'erased-' || id "
	             "WHERE id IN temp.erase_raw",
	             0, 0, &counts->raw_messages, error) &&
	     run_ids(store,
	             "UPDATE outbox SET recipient = '[erased]', subject = NULL, body_text = NULL, body_html = NULL, "
	             "headers = NULL, state = CASE WHEN state IN ('queued','sending') THEN 'cancelled' ELSE state END "
	             "WHERE customer_id = ?1 OR ticket_id IN (SELECT id FROM tickets WHERE customer_id = ?1) "
	             "OR cause_message_id IN temp.erase_msgs OR cd_erase_hit(recipient)",
	             customer_id, 0, &counts->outbox, error) &&
	     run_ids(store, "UPDATE tickets SET subject = '[erased]' WHERE customer_id = ?1", customer_id, 0, NULL, error) &&
	     run_ids(store,
	             "UPDATE audit_events SET note = NULL, actor = CASE WHEN actor_kind = 'customer' THEN NULL ELSE actor END "
	             "WHERE customer_id = ?1",
	             customer_id, 0, NULL, error) &&
	     run_ids(store, "DELETE FROM mail_addresses WHERE cd_erase_hit(address)", 0, 0, NULL, error) &&
	     run_ids(store, "DELETE FROM customer_contacts WHERE customer_id = ?1 OR cd_erase_hit(value)", customer_id, 0,
	             NULL, error) &&
	     run_ids(store, "DELETE FROM customer_addresses WHERE customer_id = ?1", customer_id, 0, NULL, error) &&
	     run_ids(store, "DELETE FROM customer_notes WHERE customer_id = ?1", customer_id, 0, NULL, error) &&
	     run_ids(store,
	             "UPDATE customer_merges SET merged_email = NULL, merged_phone = NULL, merged_name = NULL "
	             "WHERE customer_id = ?1",
	             customer_id, 0, NULL, error) &&
	     run_ids(store, "UPDATE activations SET code_hash = NULL WHERE customer_id = ?1", customer_id, 0, NULL, error) &&
	     run_ids(store, "UPDATE offers SET decision_comment = NULL WHERE customer_id = ?1", customer_id, 0, NULL, error) &&
	     run_ids(store,
	             "UPDATE customers SET email = NULL, phone = NULL, name = NULL, company = NULL, password_hash = NULL, "
	             "status = 'disabled', erased_at = unixepoch(), updated_at = unixepoch() WHERE id = ?1",
	             customer_id, 0, NULL, error);
	/* the same strings anywhere else: other tickets the person wrote to or was copied on, rule notes, ... */
	GPtrArray *scrubs = g_ptr_array_new_with_free_func(g_free);
	ok = ok && scrub_targets(store, scrubs, error);
	for (guint i = 0; ok && i < scrubs->len; i++) {
		int n = 0;
		ok = run_ids(store, g_ptr_array_index(scrubs, i), 0, 0, &n, error);
		counts->scrubbed += n;
	}
	g_ptr_array_free(scrubs, TRUE);
	gint64 orders = 0, rmas = 0;
	ok = ok && cd_store_lookup_id(store, "SELECT count(*) FROM orders WHERE customer_id = ?1", NULL, customer_id, &orders,
	                              error) &&
	     cd_store_lookup_id(store, "SELECT count(*) FROM rmas WHERE customer_id = ?1", NULL, customer_id, &rmas, error);
	counts->orders = (int)orders;
	counts->rmas = (int)rmas;
	char *note = g_strdup_printf("personal data erased%s: %d messages, %d raw messages, %d attachments, %d outbox rows, "
	                             "%d other fields; %d orders and %d RMAs kept",
	                             open ? " (with an open order, forced)" : "", counts->messages, counts->raw_messages,
	                             counts->attachments, counts->outbox, counts->scrubbed, counts->orders, counts->rmas);
	cd_audit_event ev = {.actor = actor, .entity = "customer", .entity_id = customer_id, .customer_id = customer_id,
	                     .action = "erased", .from_state = p.status, .to_state = "disabled", .note = note};
	ok = ok && cd_audit(store, &ev, error);
	g_free(note);
	person_clear(&p);
	return ok;
}

gboolean
cd_customer_inactive(cd_store *store, gint64 before, GArray *ids, GArray *last, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(
	    store,
	    "SELECT id, last FROM (SELECT c.id, max(c.created_at, c.updated_at, "
	    "coalesce((SELECT max(updated_at) FROM tickets WHERE customer_id = c.id), 0), "
	    "coalesce((SELECT max(created_at) FROM messages WHERE customer_id = c.id), 0), "
	    "coalesce((SELECT max(updated_at) FROM orders WHERE customer_id = c.id), 0), "
	    "coalesce((SELECT max(updated_at) FROM offers WHERE customer_id = c.id), 0), "
	    "coalesce((SELECT max(updated_at) FROM rmas WHERE customer_id = c.id), 0), "
	    "coalesce((SELECT max(updated_at) FROM activations WHERE customer_id = c.id), 0)) AS last "
	    "FROM customers c WHERE c.erased_at IS NULL) WHERE last < ?1 ORDER BY last, id",
	    error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, before);
	gboolean row, ok;
	while ((ok = cd_store_step(store, st, &row, error)) && row) {
		gint64 id = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
		g_array_append_val(ids, id);
		if (last)
			g_array_append_val(last, at);
	}
	sqlite3_reset(st);
	return ok;
}
