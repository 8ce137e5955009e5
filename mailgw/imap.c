/* imap.c - `caredesk-mailgw imap URL`: take in the messages of an IMAP folder, then remove them
 * there (expunge, or move to another folder).
 *
 * One pass: UID SEARCH ALL; then, batch_size UIDs at a time: UID FETCH BODY.PEEK[], store and run
 * the pipeline in one transaction, COMMIT, and only then flag \Deleted + UID EXPUNGE (or UID MOVE).
 * The server is the source of truth: whatever is still in the folder is taken again next pass,
 * and a message committed before (a run that died between COMMIT and EXPUNGE) is a no-op by the
 * SHA-256 of its bytes. The last UID taken and the folder's UIDVALIDITY are kept in the settings
 * table for people (caredesk doctor, logs), never to skip a message.
 *
 * Without --once it stays: IDLE when the server has it (renewed every 29 minutes, RFC 2177),
 * polling otherwise; after a failure it reconnects with growing delays (1 s doubling to 60 s).
 * SIGTERM and SIGINT end it after the batch in hand has committed. */
#include "fetch.h"
#include "log.h"
#include "mailbox.h"
#include "rawstore.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define IDLE_RENEW_MS (29 * 60 * 1000)
/* at most this many bytes of messages in memory at once */
#define BATCH_BYTES (64 * 1024 * 1024)

typedef struct {
	guint32 uid;
	guint32 size;
	char ref[48];      /* raw_deliveries.source_ref: UIDVALIDITY/UID */
	GBytes *bytes;
} imap_item;

typedef struct {
	engine_ctx *e;
	mailbox_spec *spec;
	mailimap *imap;
	gboolean has_idle, has_uidplus, has_move;
	guint32 uidvalidity;
	GArray *committed;     /* UIDs of the batch in hand that are committed */
	GHashTable *tried;     /* UIDs this pass already took (or left: too large) */
	fetch_stats st;
	guint too_large;
	guint removed;
	gint64 last_drain_us;
	gboolean die_after_commit; /* tests: SIGKILL itself between the first COMMIT and EXPUNGE */
} imap_ctx;

static gboolean
ok_rc(int rc)
{
	return rc == MAILIMAP_NO_ERROR || rc == MAILIMAP_NO_ERROR_AUTHENTICATED || rc == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

static void
imap_item_free(gpointer p)
{
	imap_item *it = p;
	if (it->bytes)
		g_bytes_unref(it->bytes);
	g_free(it);
}

/* uid_set - an IMAP set of the UIDs (ascending), consecutive runs as intervals. */
static struct mailimap_set *
uid_set(const guint32 *uids, guint n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	for (guint i = 0; i < n;) {
		guint j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i)
			mailimap_set_add_single(set, uids[i]);
		else
			mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

/* ---- connection ---- */

static void
imap_disconnect(imap_ctx *c, gboolean polite)
{
	if (c->imap == NULL)
		return;
	if (polite)
		mailimap_logout(c->imap);
	mailimap_free(c->imap);
	c->imap = NULL;
}

static gboolean
refresh_capabilities(imap_ctx *c, GError **error)
{
	struct mailimap_capability_data *cap = NULL;
	int rc = mailimap_capability(c->imap, &cap);
	if (!ok_rc(rc)) {
		mailbox_set_error_imap(error, rc, c->imap, "CAPABILITY");
		return FALSE;
	}
	mailimap_capability_data_free(cap);
	return TRUE;
}

static gboolean
check_uidvalidity(imap_ctx *c, GError **error)
{
	char *key = g_strconcat(c->spec->key, ".uidvalidity", NULL);
	char *old = cd_store_get_setting(c->e->store, key);
	char now[16];
	g_snprintf(now, sizeof now, "%u", c->uidvalidity);
	gboolean ok = TRUE;
	if (g_strcmp0(old, now) != 0) {
		if (old != NULL)
			g_message("%s: UIDVALIDITY changed from %s to %s: the folder's UIDs start over (messages already taken "
			          "in stay no-ops)",
			          c->spec->display, old, now);
		ok = cd_store_set_setting(c->e->store, key, now, error);
	}
	g_free(old);
	g_free(key);
	return ok;
}

static gboolean
imap_connect(imap_ctx *c, GError **error)
{
	const mailbox_spec *spec = c->spec;
	char *password = mailbox_password(spec, error);
	if (password == NULL)
		return FALSE;
	mailstream *stream = mailbox_open_stream(spec, error);
	if (stream == NULL) {
		g_free(password);
		return FALSE;
	}
	c->imap = mailimap_new(0, NULL);
	int rc = mailimap_connect(c->imap, stream); /* the session owns the stream from here */
	gboolean ok = ok_rc(rc);
	if (!ok)
		mailbox_set_error_imap(error, rc, c->imap, "greeting");
	gboolean preauth = rc == MAILIMAP_NO_ERROR_AUTHENTICATED;
	gboolean tls = spec->tls;
	ok = ok && refresh_capabilities(c, error);
	if (ok && !spec->tls && spec->starttls != MAILBOX_STARTTLS_NEVER && !preauth) {
		if (mailimap_has_extension(c->imap, "STARTTLS")) {
			rc = mailimap_starttls(c->imap);
			if (!ok_rc(rc)) {
				mailbox_set_error_imap(error, rc, c->imap, "STARTTLS");
				ok = FALSE;
			}
			ok = ok && mailbox_start_tls(spec, c->imap->imap_stream, error);
			tls = ok;
			/* what the server said before TLS is not to be trusted */
			ok = ok && refresh_capabilities(c, error);
		} else if (spec->starttls == MAILBOX_STARTTLS_REQUIRE) {
			g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "the server does not offer STARTTLS (--starttls=require)");
			ok = FALSE;
		}
	}
	if (ok && !preauth) {
		rc = mailimap_login(c->imap, spec->user, password);
		if (!ok_rc(rc)) {
			mailbox_set_error_imap(error, rc, c->imap, "LOGIN");
			ok = FALSE;
		}
		ok = ok && refresh_capabilities(c, error);
	}
	memset(password, 0, strlen(password));
	g_free(password);
	if (ok) {
		c->has_idle = mailimap_has_idle(c->imap);
		c->has_uidplus = mailimap_has_extension(c->imap, "UIDPLUS");
		c->has_move = mailimap_has_extension(c->imap, "MOVE");
		if (spec->move_to != NULL)
			mailimap_create(c->imap, spec->move_to); /* refused when it exists: fine */
		rc = mailimap_select(c->imap, spec->folder);
		if (!ok_rc(rc)) {
			char *what = g_strdup_printf("SELECT %s", spec->folder);
			mailbox_set_error_imap(error, rc, c->imap, what);
			g_free(what);
			ok = FALSE;
		}
	}
	if (ok) {
		c->uidvalidity = c->imap->imap_selection_info ? c->imap->imap_selection_info->sel_uidvalidity : 0;
		ok = check_uidvalidity(c, error);
		g_info("%s: connected%s; IDLE %s, UIDPLUS %s, MOVE %s, UIDVALIDITY %u", spec->display,
		       tls ? " with TLS" : " without TLS",
		       c->has_idle ? "yes" : "no", c->has_uidplus ? "yes" : "no", c->has_move ? "yes" : "no", c->uidvalidity);
	}
	if (!ok)
		imap_disconnect(c, FALSE);
	return ok;
}

/* ---- one pass over the folder ---- */

static gboolean
search_all(imap_ctx *c, GArray *uids, GError **error)
{
	clist *result = NULL;
	struct mailimap_search_key *key = mailimap_search_key_new_all();
	int rc = mailimap_uid_search(c->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (!ok_rc(rc)) {
		mailbox_set_error_imap(error, rc, c->imap, "UID SEARCH");
		return FALSE;
	}
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		guint32 uid = *(uint32_t *)clist_content(it);
		if (!g_hash_table_contains(c->tried, GUINT_TO_POINTER(uid)))
			g_array_append_val(uids, uid);
	}
	mailimap_search_result_free(result);
	return TRUE;
}

static gint
compare_uid(gconstpointer a, gconstpointer b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;
	return x < y ? -1 : x > y;
}

/* fetch_atts - UID and (size or whole message) of each UID in uids, into items (by UID). */
static gboolean
fetch_atts(imap_ctx *c, const guint32 *uids, guint n, gboolean bodies, GHashTable *items, GError **error)
{
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	if (bodies) /* PEEK: a message we do not take stays unseen */
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	else
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	clist *result = NULL;
	int rc = mailimap_uid_fetch(c->imap, set, ft, &result);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (!ok_rc(rc)) {
		mailbox_set_error_imap(error, rc, c->imap, "UID FETCH");
		return FALSE;
	}
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct mailimap_msg_att *ma = clist_content(it);
		guint32 uid = 0, size = 0;
		struct mailimap_msg_att_body_section *body = NULL;
		gboolean has_size = FALSE;
		for (clistiter *j = clist_begin(ma->att_list); j != NULL; j = clist_next(j)) {
			struct mailimap_msg_att_item *item = clist_content(j);
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			struct mailimap_msg_att_static *s = item->att_data.att_static;
			if (s->att_type == MAILIMAP_MSG_ATT_UID)
				uid = s->att_data.att_uid;
			else if (s->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
				size = s->att_data.att_rfc822_size, has_size = TRUE;
			else if (s->att_type == MAILIMAP_MSG_ATT_BODY_SECTION)
				body = s->att_data.att_body_section;
		}
		if (uid == 0)
			continue; /* an unsolicited FETCH (flags changed by someone else) */
		if (!bodies && has_size) {
			imap_item *x = g_new0(imap_item, 1);
			x->uid = uid;
			x->size = size;
			g_snprintf(x->ref, sizeof x->ref, "%u/%u", c->uidvalidity, uid);
			g_hash_table_replace(items, GUINT_TO_POINTER(uid), x);
		} else if (bodies && body != NULL) {
			imap_item *x = g_hash_table_lookup(items, GUINT_TO_POINTER(uid));
			if (x != NULL && x->bytes == NULL) {
				gsize len = body->sec_body_part ? body->sec_length : 0;
				char *copy = g_malloc(len + 1);
				if (len > 0)
					memcpy(copy, body->sec_body_part, len);
				copy[len] = '\0';
				x->bytes = mailbox_crlf_to_lf(copy, len);
			}
		}
	}
	mailimap_fetch_list_free(result);
	return TRUE;
}

static GBytes *
load_item(gpointer item, gpointer user, GError **error)
{
	imap_item *x = item;
	if (x->bytes == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "UID %u: the server sent no body (expunged meanwhile?)", x->uid);
		return NULL;
	}
	return g_bytes_ref(x->bytes);
}

static const char *
item_ref(gpointer item)
{
	return ((imap_item *)item)->ref;
}

static gboolean
record_last_uid(engine_ctx *e, GPtrArray *items, gpointer user, GError **error)
{
	imap_ctx *c = user;
	guint32 last = 0;
	for (guint i = 0; i < items->len; i++)
		last = MAX(last, ((imap_item *)g_ptr_array_index(items, i))->uid);
	if (last == 0)
		return TRUE;
	char *key = g_strconcat(c->spec->key, ".last_uid", NULL);
	char value[16];
	g_snprintf(value, sizeof value, "%u", last);
	gboolean ok = cd_store_set_setting(e->store, key, value, error);
	g_free(key);
	return ok;
}

static void
note_committed(GPtrArray *items, gpointer user)
{
	imap_ctx *c = user;
	for (guint i = 0; i < items->len; i++)
		g_array_append_val(c->committed, ((imap_item *)g_ptr_array_index(items, i))->uid);
}

static gboolean
flag_deleted(imap_ctx *c, struct mailimap_set *set, GError **error)
{
	struct mailimap_flag_list *flags = mailimap_flag_list_new_empty();
	mailimap_flag_list_add(flags, mailimap_flag_new_deleted());
	struct mailimap_store_att_flags *att = mailimap_store_att_flags_new_add_flags_silent(flags);
	int rc = mailimap_uid_store(c->imap, set, att);
	mailimap_store_att_flags_free(att);
	if (!ok_rc(rc)) {
		mailbox_set_error_imap(error, rc, c->imap, "UID STORE +FLAGS (\\Deleted)");
		return FALSE;
	}
	return TRUE;
}

static gboolean
expunge(imap_ctx *c, struct mailimap_set *set, GError **error)
{
	/* Without UIDPLUS, EXPUNGE also removes what other clients flagged \Deleted in this folder */
	int rc = c->has_uidplus ? mailimap_uid_expunge(c->imap, set) : mailimap_expunge(c->imap);
	if (!ok_rc(rc)) {
		mailbox_set_error_imap(error, rc, c->imap, c->has_uidplus ? "UID EXPUNGE" : "EXPUNGE");
		return FALSE;
	}
	return TRUE;
}

/* remove_committed - the committed messages leave the folder. A failure here loses nothing: they
 * are taken again (as no-ops) next pass. */
static gboolean
remove_committed(imap_ctx *c, GError **error)
{
	if (c->committed->len == 0)
		return TRUE;
	g_array_sort(c->committed, compare_uid);
	struct mailimap_set *set = uid_set((guint32 *)c->committed->data, c->committed->len);
	gboolean ok;
	if (c->spec->move_to && c->has_move) {
		int rc = mailimap_uid_move(c->imap, set, c->spec->move_to);
		ok = ok_rc(rc);
		if (!ok) {
			char *what = g_strdup_printf("UID MOVE to %s", c->spec->move_to);
			mailbox_set_error_imap(error, rc, c->imap, what);
			g_free(what);
		}
	} else {
		ok = TRUE;
		if (c->spec->move_to) {
			int rc = mailimap_uid_copy(c->imap, set, c->spec->move_to);
			ok = ok_rc(rc);
			if (!ok) {
				char *what = g_strdup_printf("UID COPY to %s", c->spec->move_to);
				mailbox_set_error_imap(error, rc, c->imap, what);
				g_free(what);
			}
		}
		ok = ok && flag_deleted(c, set, error) && expunge(c, set, error);
	}
	mailimap_set_free(set);
	if (ok)
		c->removed += c->committed->len;
	g_array_set_size(c->committed, 0);
	return ok;
}

/* take_batch - fetch the bodies of these UIDs (known sizes in items), take them in, remove them. */
static gboolean
take_batch(imap_ctx *c, GArray *batch, GHashTable *items, GError **error)
{
	if (!fetch_atts(c, (guint32 *)batch->data, batch->len, TRUE, items, error))
		return FALSE;
	GPtrArray *list = g_ptr_array_new();
	for (guint i = 0; i < batch->len; i++) {
		imap_item *x = g_hash_table_lookup(items, GUINT_TO_POINTER(g_array_index(batch, guint32, i)));
		if (x != NULL && x->bytes != NULL)
			g_ptr_array_add(list, x);
		/* no body: expunged by someone else meanwhile */
	}
	fetch_source src = {
	    .source = "imap",
	    .recipient = c->spec->display,
	    .queue = c->spec->queue,
	    .batch = MAX(list->len, 1),
	    .load = load_item,
	    .ref = item_ref,
	    .before_commit = record_last_uid,
	    .committed = note_committed,
	    .user = c,
	};
	gboolean ok = fetch_take_in(c->e, list, &src, &c->st, error);
	g_ptr_array_unref(list);
	for (guint i = 0; i < batch->len; i++) {
		guint32 uid = g_array_index(batch, guint32, i);
		g_hash_table_add(c->tried, GUINT_TO_POINTER(uid));
		g_hash_table_remove(items, GUINT_TO_POINTER(uid)); /* frees the bytes */
	}
	if (c->die_after_commit && c->committed->len > 0)
		raise(SIGKILL);
	/* remove what committed even when a later step failed */
	GError *rm_error = NULL;
	if (!remove_committed(c, ok ? error : &rm_error))
		ok = FALSE;
	if (rm_error) {
		g_warning("%s: %s (they stay in the folder and are taken again as no-ops)", c->spec->display,
		          rm_error->message);
		g_error_free(rm_error);
	}
	return ok;
}

/* imap_drain - take in everything in the folder; TRUE also when stopped by a signal between batches. */
static gboolean
imap_drain(imap_ctx *c, GError **error)
{
	engine_reload_rules(c->e);
	g_hash_table_remove_all(c->tried);
	guint batch_size = c->e->cfg->batch_size;
	gint64 max_bytes = c->e->cfg->max_message_bytes;
	gint64 t0 = g_get_monotonic_time();
	gboolean ok = TRUE;
	for (;;) {
		GArray *uids = g_array_new(FALSE, FALSE, sizeof(guint32));
		ok = search_all(c, uids, error);
		if (!ok || uids->len == 0) {
			g_array_unref(uids);
			break;
		}
		g_array_sort(uids, compare_uid);
		GHashTable *items = g_hash_table_new_full(NULL, NULL, NULL, imap_item_free);
		for (guint i = 0; ok && i < uids->len && !mailbox_stop_requested(); i += batch_size) {
			guint n = MIN(batch_size, uids->len - i);
			const guint32 *chunk = &g_array_index(uids, guint32, i);
			ok = fetch_atts(c, chunk, n, FALSE, items, error);
			GArray *batch = g_array_new(FALSE, FALSE, sizeof(guint32));
			gint64 bytes = 0;
			for (guint k = 0; ok && k < n; k++) {
				imap_item *x = g_hash_table_lookup(items, GUINT_TO_POINTER(chunk[k]));
				if (x == NULL)
					continue; /* gone meanwhile */
				if ((gint64)x->size > max_bytes) {
					g_warning("%s: UID %u has %u bytes, more than max_message_bytes (%" G_GINT64_FORMAT
					          "): left in the folder",
					          c->spec->display, x->uid, x->size, max_bytes);
					c->too_large++;
					g_hash_table_add(c->tried, GUINT_TO_POINTER(x->uid));
					g_hash_table_remove(items, GUINT_TO_POINTER(x->uid));
					continue;
				}
				if (batch->len > 0 && bytes + x->size > BATCH_BYTES) {
					ok = take_batch(c, batch, items, error);
					g_array_set_size(batch, 0);
					bytes = 0;
					if (ok && mailbox_stop_requested())
						break;
				}
				g_array_append_val(batch, x->uid);
				bytes += x->size;
			}
			if (ok && batch->len > 0 && !mailbox_stop_requested())
				ok = take_batch(c, batch, items, error);
			g_array_unref(batch);
			g_hash_table_remove_all(items);
		}
		g_hash_table_unref(items);
		g_array_unref(uids);
		if (!ok || mailbox_stop_requested())
			break;
		/* again: what arrived meanwhile (UIDs taken this pass are not tried twice) */
	}
	c->last_drain_us = g_get_monotonic_time() - t0;
	return ok;
}

/* imap_idle - wait in IDLE until the server reports something, 29 minutes pass or a stop signal. */
static gboolean
imap_idle(imap_ctx *c, GError **error)
{
	int rc = mailimap_idle(c->imap);
	if (!ok_rc(rc)) {
		mailbox_set_error_imap(error, rc, c->imap, "IDLE");
		return FALSE;
	}
	if (!mailbox_stream_buffered(c->imap->imap_stream)) {
		g_info("%s: waiting in IDLE", c->spec->display);
		mailbox_wait(mailimap_idle_get_fd(c->imap), IDLE_RENEW_MS);
	}
	rc = mailimap_idle_done(c->imap);
	if (!ok_rc(rc)) {
		mailbox_set_error_imap(error, rc, c->imap, "IDLE DONE");
		return FALSE;
	}
	return TRUE;
}

int
engine_imap_main(int argc, char **argv)
{
	char *config = NULL;
	mailbox_args args = {.poll_seconds = -1};
	char *mailbox = NULL, *folder = NULL, *move_to = NULL, *queue = NULL, *password_file = NULL, *starttls = NULL,
	     *ca_file = NULL;
	gboolean expunge_flag = FALSE, once = FALSE, verbose = FALSE, quiet = FALSE, die_after_commit = FALSE;
	gint poll = -1;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		{"mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox, "the [mailbox.NAME] section of the config", "NAME"},
		{"folder", 0, 0, G_OPTION_ARG_STRING, &folder, "folder to take from (default: the URL's, else INBOX)", "F"},
		{"move-to", 0, 0, G_OPTION_ARG_STRING, &move_to, "move taken messages to this folder", "FOLDER"},
		{"expunge", 0, 0, G_OPTION_ARG_NONE, &expunge_flag, "delete taken messages (the default)", NULL},
		{"once", 0, 0, G_OPTION_ARG_NONE, &once, "take what is there, then exit", NULL},
		{"poll", 0, 0, G_OPTION_ARG_INT, &poll, "seconds between polls when the server has no IDLE (60)", "S"},
		{"queue", 'q', 0, G_OPTION_ARG_STRING, &queue, "queue for new tickets", "Q"},
		{"password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "read the password from FILE", "FILE"},
		{"starttls", 0, 0, G_OPTION_ARG_STRING, &starttls, "imap://: auto (when offered), require or never", "WHEN"},
		{"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "trust the CAs in FILE instead of the system's", "FILE"},
		{"quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "no summary line", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log more", NULL},
		{"die-after-commit", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &die_after_commit, "tests", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx = g_option_context_new(
	    "imap [URL] - take in the messages of an IMAP folder, then remove them there\n\n"
	    "  URL: imap://USER[:PASSWORD]@HOST[:PORT]/FOLDER or imaps://...; or --mailbox NAME");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	cd_log_set_verbose(verbose);
	if (move_to && expunge_flag)
		cd_die(EX_USAGE, "imap: --move-to and --expunge exclude each other");
	/* argv now: program imap [URL] */
	for (int i = 1; i + 1 < argc && args.url == NULL; i++)
		if (strcmp(argv[i], "imap") == 0)
			args.url = argv[i + 1];
	args.mailbox = mailbox;
	args.folder = folder;
	args.move_to = move_to;
	args.expunge = expunge_flag;
	args.queue = queue;
	args.password_file = password_file;
	args.starttls = starttls;
	args.ca_file = ca_file;
	args.poll_seconds = poll;

	mailbox_signals_init();
	engine_ctx e;
	engine_open(&e, config);
	mailbox_spec spec;
	if (!mailbox_spec_resolve(&spec, MAILBOX_IMAP, &args, e.cfg, &error))
		cd_die(engine_exit_code(error), "imap: %s", error->message);

	imap_ctx c = {.e = &e, .spec = &spec, .die_after_commit = die_after_commit};
	c.committed = g_array_new(FALSE, FALSE, sizeof(guint32));
	c.tried = g_hash_table_new(NULL, NULL);
	mailbox_backoff backoff = {0};
	gint64 t0 = g_get_monotonic_time();
	int code = EX_OK;
	while (!mailbox_stop_requested()) {
		gboolean ok = c.imap != NULL || imap_connect(&c, &error);
		ok = ok && imap_drain(&c, &error);
		if (ok && !once && !mailbox_stop_requested()) {
			mailbox_backoff_reset(&backoff);
			if (c.has_idle)
				ok = imap_idle(&c, &error);
			else
				mailbox_wait(-1, (gint64)spec.poll_seconds * 1000);
		}
		if (ok && once)
			break;
		if (ok)
			continue;
		imap_disconnect(&c, FALSE);
		if (once || cd_result_of(error) != CD_TEMP) {
			g_warning("%s: %s", spec.display, error->message);
			code = engine_exit_code(error);
			g_clear_error(&error);
			break;
		}
		char *why = g_strdup_printf("%s: %s", spec.display, error->message);
		g_clear_error(&error);
		mailbox_backoff_wait(&backoff, why);
		g_free(why);
	}
	imap_disconnect(&c, TRUE);
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	if (!quiet)
		printf("imap %s: %u messages, %u taken in (%u new tickets, %u duplicates, %u unparsed fallbacks), "
		       "%u seen before, %u removed, %u left (too large); %.2f s\n",
		       spec.display, c.st.items, c.st.stored, c.st.process.tickets, c.st.process.duplicates,
		       c.st.process.fallbacks, c.st.already, c.removed, c.too_large, secs);
	fetch_stats_clear(&c.st);
	g_array_unref(c.committed);
	g_hash_table_unref(c.tried);
	mailbox_spec_clear(&spec);
	engine_close(&e);
	g_free(config);
	g_free(mailbox);
	g_free(folder);
	g_free(move_to);
	g_free(queue);
	g_free(password_file);
	g_free(starttls);
	g_free(ca_file);
	return code;
}
