/* activation.c - activation codes, links and approvals of pending customers (see activation.h). */
#include "activation.h"
#include "result.h"
#include "util.h"
#include "workflow.h"

#include <sodium.h>
#include <string.h>

#define TOKEN_BYTES 32

/* normalize_code - the code without blanks; a numeric code also without dashes ("123 456" and
 * "123-456" are "123456"). Link tokens keep their dashes: they are part of the URL-safe alphabet. */
static char *
normalize_code(const char *code)
{
	GString *s = g_string_new(NULL), *digits = g_string_new(NULL);
	gboolean numeric = TRUE;
	for (const char *p = code ? code : ""; *p; p++) {
		if (g_ascii_isspace(*p))
			continue;
		g_string_append_c(s, *p);
		if (g_ascii_isdigit(*p))
			g_string_append_c(digits, *p);
		else if (*p != '-')
			numeric = FALSE;
	}
	if (numeric) {
		g_string_free(s, TRUE);
		return g_string_free(digits, FALSE);
	}
	g_string_free(digits, TRUE);
	return g_string_free(s, FALSE);
}

static void
code_hash(const char *code, char out[65])
{
	cd_sha256_hex(code, strlen(code), out);
}

/* customer_status - the customer's status (newly allocated); CD_ERROR_NOTFOUND when there is none. */
static char *
customer_status(cd_store *store, gint64 customer_id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, "SELECT status FROM customers WHERE id = ?", error);
	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, customer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return NULL;
	char *status = row ? cd_col_dup(st, 0) : NULL;
	sqlite3_reset(st);
	if (status == NULL)
		g_set_error(error, CD_ERROR, CD_ERROR_NOTFOUND, "no customer %" G_GINT64_FORMAT, customer_id);
	return status;
}

/* pending_ids - ids of the customer's pending activations (with a code only, when codes_only). */
static GArray *
pending_ids(cd_store *store, gint64 customer_id, gboolean codes_only, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 codes_only ? "SELECT id FROM activations WHERE customer_id = ? AND state = 'pending' "
	                                              "AND code_hash IS NOT NULL ORDER BY id"
	                                            : "SELECT id FROM activations WHERE customer_id = ? AND state = 'pending' "
	                                              "ORDER BY id",
	                                 error);
	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, customer_id);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	gboolean row;
	while (cd_store_step(store, st, &row, error)) {
		if (!row) {
			sqlite3_reset(st);
			return ids;
		}
		gint64 id = sqlite3_column_int64(st, 0);
		g_array_append_val(ids, id);
	}
	g_array_unref(ids);
	return NULL;
}

/* supersede - expire the customer's pending activations other than keep. */
static gboolean
supersede(cd_store *store, gint64 customer_id, gint64 keep, const cd_actor *actor, const char *why, GError **error)
{
	GArray *ids = pending_ids(store, customer_id, FALSE, error);
	if (ids == NULL)
		return FALSE;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < ids->len; i++)
		if (g_array_index(ids, gint64, i) != keep)
			ok = cd_machine_move(store, &cd_activation_machine, g_array_index(ids, gint64, i), "expired", actor, why, NULL,
			                     error);
	g_array_unref(ids);
	return ok;
}

/* expire_stale - the customer's pending activations past expires_at become expired now, so that an
 * answer never depends on whether the timer ran. */
static gboolean
expire_stale(cd_store *store, gint64 customer_id, const cd_actor *actor, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT id FROM activations WHERE customer_id = ? AND state = 'pending' "
	                                 "AND expires_at IS NOT NULL AND expires_at <= ?",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_int64(st, 2, cd_now());
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
	gboolean row, ok;
	while ((ok = cd_store_step(store, st, &row, error)) && row) {
		gint64 id = sqlite3_column_int64(st, 0);
		g_array_append_val(ids, id);
	}
	sqlite3_reset(st);
	cd_actor a = {.actor_kind = "system", .actor = "activation", .channel = actor ? actor->channel : NULL};
	for (guint i = 0; ok && i < ids->len; i++)
		ok = cd_machine_move(store, &cd_activation_machine, g_array_index(ids, gint64, i), "expired", &a,
		                     "the code expired", NULL, error);
	g_array_unref(ids);
	return ok;
}

static gboolean
insert_activation(cd_store *store, gint64 customer_id, const char *channel, const char *hash, gint64 expires_at,
                  gint max_attempts, gint64 ticket_id, const cd_actor *actor, const char *note, gint64 *id,
                  GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO activations(customer_id, channel, code_hash, max_attempts, expires_at, "
	                                 "ticket_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	                                 error);
	if (st == NULL)
		return FALSE;
	gint64 now = cd_now();
	sqlite3_bind_int64(st, 1, customer_id);
	sqlite3_bind_text(st, 2, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, MAX(1, max_attempts));
	if (expires_at)
		sqlite3_bind_int64(st, 5, expires_at);
	if (ticket_id)
		sqlite3_bind_int64(st, 6, ticket_id);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	if (!cd_store_run(store, st, error))
		return FALSE;
	*id = cd_store_last_id(store);
	cd_audit_event ev = {.actor = actor, .entity = "activation", .entity_id = *id, .customer_id = customer_id,
	                     .action = "created", .to_state = "pending", .note = note};
	return cd_audit(store, &ev, error);
}

/* activate - the activation is activated, the customer active, other pending activations superseded. */
static gboolean
activate(cd_store *store, gint64 activation_id, gint64 customer_id, const cd_actor *actor, const char *note,
         GError **error)
{
	return cd_machine_move(store, &cd_activation_machine, activation_id, "activated", actor, note, NULL, error) &&
	       cd_machine_move(store, &cd_customer_machine, customer_id, "active", actor, note, NULL, error) &&
	       supersede(store, customer_id, activation_id, actor, "another activation succeeded", error);
}

static gboolean
require_pending(cd_store *store, gint64 customer_id, GError **error)
{
	char *status = customer_status(store, customer_id, error);
	if (status == NULL)
		return FALSE;
	gboolean ok = strcmp(status, "pending") == 0;
	if (!ok) {
		char *ref = cd_machine_ref(store, &cd_customer_machine, customer_id, NULL);
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s is %s, not pending: nothing to activate", ref ? ref : "customer",
		            status);
		g_free(ref);
	}
	g_free(status);
	return ok;
}

gboolean
cd_activation_create(cd_store *store, gint64 customer_id, const char *channel, gint minutes, gint max_attempts,
                     gint64 ticket_id, const cd_actor *actor, gint64 *activation_id, char **code, GError **error)
{
	*activation_id = 0;
	*code = NULL;
	gboolean link = g_strcmp0(channel, "link") == 0;
	if (!link && g_strcmp0(channel, "email") != 0 && g_strcmp0(channel, "sms") != 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "activation channel '%s': one of email, sms, link",
		            channel ? channel : "");
		return FALSE;
	}
	if (!require_pending(store, customer_id, error))
		return FALSE;
	if (sodium_init() < 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_INTERNAL, "libsodium cannot initialise");
		return FALSE;
	}
	char *c;
	if (link) {
		guint8 raw[TOKEN_BYTES];
		char b64[sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
		randombytes_buf(raw, sizeof raw);
		sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof raw);
		c = g_strdup(b64);
	} else {
		c = g_strdup_printf("%06u", (unsigned)randombytes_uniform(1000000));
	}
	char hash[65];
	code_hash(c, hash);
	gint64 expires = cd_now() + (gint64)MAX(1, minutes) * 60;
	char *note = g_strdup_printf("%s sent by %s, valid %d minutes", link ? "link" : "code", channel, MAX(1, minutes));
	gboolean ok = supersede(store, customer_id, 0, actor, "a new code was sent", error) &&
	              insert_activation(store, customer_id, channel, hash, expires, max_attempts, ticket_id, actor, note,
	                                activation_id, error);
	g_free(note);
	if (ok)
		*code = c;
	else
		g_free(c);
	return ok;
}

/* latest_state - the state of the customer's newest activation with a code (NULL: none). */
static char *
latest_state(cd_store *store, gint64 customer_id, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT state FROM activations WHERE customer_id = ? AND code_hash IS NOT NULL "
	                                 "ORDER BY id DESC LIMIT 1",
	                                 error);
	if (st == NULL)
		return NULL;
	sqlite3_bind_int64(st, 1, customer_id);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return NULL;
	char *s = row ? cd_col_dup(st, 0) : g_strdup("");
	sqlite3_reset(st);
	return s;
}

/* wrong_code - count the attempt on every pending activation; those at their limit fail. *left: the
 * attempts still allowed (0: none). */
static gboolean
wrong_code(cd_store *store, gint64 customer_id, GArray *ids, const cd_actor *actor, gint *left, GError **error)
{
	*left = 0;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < ids->len; i++) {
		gint64 id = g_array_index(ids, gint64, i);
		sqlite3_stmt *st = cd_store_stmt(store,
		                                 "UPDATE activations SET attempts = attempts + 1, updated_at = ?2 "
		                                 "WHERE id = ?1 AND state = 'pending' RETURNING attempts, max_attempts",
		                                 error);
		if (st == NULL)
			return FALSE;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, cd_now());
		gboolean row;
		if (!cd_store_step(store, st, &row, error))
			return FALSE;
		gint attempts = row ? sqlite3_column_int(st, 0) : 0;
		gint max = row ? sqlite3_column_int(st, 1) : 0;
		sqlite3_reset(st);
		if (!row)
			continue;
		char *note = g_strdup_printf("wrong code (attempt %d of %d)", attempts, max);
		if (attempts >= max) {
			ok = cd_machine_move(store, &cd_activation_machine, id, "failed", actor, note, NULL, error);
		} else {
			cd_audit_event ev = {.actor = actor, .entity = "activation", .entity_id = id, .customer_id = customer_id,
			                     .action = "attempt", .note = note};
			ok = cd_audit(store, &ev, error);
			*left = MAX(*left, max - attempts);
		}
		g_free(note);
	}
	return ok;
}

/* try_hash - the activation step shared by codes and tokens, once the customer is known. */
static gboolean
try_hash(cd_store *store, gint64 customer_id, const char *hash, gboolean count_attempt, const cd_actor *actor,
         gboolean *activated, char **why, GError **error)
{
	char *status = customer_status(store, customer_id, error);
	if (status == NULL)
		return FALSE;
	if (strcmp(status, "pending") != 0) {
		*why = g_strdup(strcmp(status, "active") == 0 ? "your account is already active" : "this account is disabled");
		g_free(status);
		return TRUE;
	}
	g_free(status);
	if (!expire_stale(store, customer_id, actor, error))
		return FALSE;
	GArray *ids = pending_ids(store, customer_id, TRUE, error);
	if (ids == NULL)
		return FALSE;
	gboolean ok = TRUE;
	if (ids->len == 0) {
		char *last = latest_state(store, customer_id, error);
		ok = last != NULL;
		if (ok)
			*why = g_strdup(strcmp(last, "expired") == 0  ? "your activation code has expired: please ask for a new one"
			                : strcmp(last, "failed") == 0 ? "too many wrong codes: please ask for a new one"
			                                              : "there is no activation code waiting for you");
		g_free(last);
		g_array_unref(ids);
		return ok;
	}
	gint64 match = 0;
	char *channel = NULL;
	/* every pending code is compared in constant time; the first that matches counts */
	for (guint i = 0; ok && i < ids->len && match == 0; i++) {
		gint64 id = g_array_index(ids, gint64, i);
		sqlite3_stmt *st = cd_store_stmt(store, "SELECT code_hash, channel FROM activations WHERE id = ?", error);
		if (st == NULL) {
			ok = FALSE;
			break;
		}
		sqlite3_bind_int64(st, 1, id);
		gboolean row = FALSE;
		ok = cd_store_step(store, st, &row, error);
		const char *h = ok && row ? cd_col_text(st, 0) : NULL;
		if (h && strlen(h) == 64 && sodium_memcmp(h, hash, 64) == 0) {
			match = id;
			channel = cd_col_dup(st, 1);
		}
		sqlite3_reset(st);
	}
	if (ok && match) {
		char *note = g_strdup_printf("right code (sent by %s)", channel);
		ok = activate(store, match, customer_id, actor, note, error);
		g_free(note);
		*activated = ok;
	} else if (ok && count_attempt) {
		gint left = 0;
		ok = wrong_code(store, customer_id, ids, actor, &left, error);
		if (ok)
			*why = left > 0 ? g_strdup_printf("the code is not right: %d attempt%s left", left, left == 1 ? "" : "s")
			                : g_strdup("too many wrong codes: please ask for a new one");
	} else if (ok) {
		*why = g_strdup("this activation link is not valid");
	}
	g_free(channel);
	g_array_unref(ids);
	return ok;
}

gboolean
cd_activation_try_code(cd_store *store, gint64 customer_id, const char *code, const cd_actor *actor,
                       gboolean *activated, char **why, GError **error)
{
	*activated = FALSE;
	*why = NULL;
	char *c = normalize_code(code);
	if (*c == '\0') {
		g_free(c);
		*why = g_strdup("no code given");
		return TRUE;
	}
	char hash[65];
	code_hash(c, hash);
	g_free(c);
	gboolean ok = try_hash(store, customer_id, hash, TRUE, actor, activated, why, error);
	if (!ok)
		g_clear_pointer(why, g_free);
	return ok;
}

gboolean
cd_activation_try_token(cd_store *store, const char *token, const cd_actor *actor, gint64 *customer_id,
                        gboolean *activated, char **why, GError **error)
{
	*activated = FALSE;
	*why = NULL;
	*customer_id = 0;
	char *t = normalize_code(token);
	char hash[65];
	code_hash(t, hash);
	g_free(t);
	/* newest first: a token names one activation, whatever its state now */
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT customer_id FROM activations WHERE code_hash = ? AND channel = 'link' "
	                                 "ORDER BY id DESC LIMIT 1",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	*customer_id = row ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (*customer_id == 0) {
		*why = g_strdup("this activation link is not valid");
		return TRUE;
	}
	gboolean ok = try_hash(store, *customer_id, hash, FALSE, actor, activated, why, error);
	if (!ok)
		g_clear_pointer(why, g_free);
	return ok;
}

gboolean
cd_activation_approve(cd_store *store, gint64 customer_id, const char *channel, const cd_actor *actor,
                      const char *note, GError **error)
{
	const char *ch = channel ? channel : "admin";
	if (strcmp(ch, "admin") != 0 && strcmp(ch, "email") != 0 && strcmp(ch, "sms") != 0 && strcmp(ch, "link") != 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "activation channel '%s': one of admin, email, sms, link", ch);
		return FALSE;
	}
	if (!require_pending(store, customer_id, error))
		return FALSE;
	gint64 id = 0;
	const char *what = note ? note : strcmp(ch, "admin") == 0 ? "approved by an admin" : "reply to the activation mail";
	return insert_activation(store, customer_id, ch, NULL, 0, 1, 0, actor, what, &id, error) &&
	       activate(store, id, customer_id, actor, what, error);
}
