/* pop3.c - `caredesk-mailgw pop3 URL`: take in the messages of a POP3 mailbox, then delete them.
 *
 * POP3 deletes only at QUIT, so each session takes one batch: LIST/UIDL, RETR up to batch_size
 * messages, store them and run the pipeline in one transaction, COMMIT, then DELE each and QUIT.
 * A run that dies before QUIT leaves the batch on the server; the next run takes it again, and
 * committed messages are no-ops by the SHA-256 of their bytes. Login is APOP when the greeting
 * offers it, else USER/PASS; pop3s:// is TLS from the start, and pop3:// uses STLS when the
 * server offers it (--starttls=require|never). Without --once it polls every --poll seconds. */
#include "fetch.h"
#include "log.h"
#include "mailbox.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#define BATCH_BYTES (64 * 1024 * 1024)

typedef struct {
	unsigned int index;
	char *ref;         /* UIDL, else the message number */
	GBytes *bytes;
} pop3_item;

typedef struct {
	engine_ctx *e;
	mailbox_spec *spec;
	mailpop3 *pop;
	GHashTable *tried;  /* UIDLs this drain took (or left: too large) */
	GArray *committed;  /* message numbers of this session that are committed */
	fetch_stats st;
	guint too_large;
	guint removed;
	gboolean die_after_commit; /* tests: SIGKILL itself between the first COMMIT and QUIT */
} pop3_ctx;

static void
pop3_item_free(gpointer p)
{
	pop3_item *it = p;
	if (it->bytes)
		g_bytes_unref(it->bytes);
	g_free(it->ref);
	g_free(it);
}

static void
pop3_disconnect(pop3_ctx *c)
{
	if (c->pop == NULL)
		return;
	mailpop3_free(c->pop); /* closes the stream without QUIT: nothing is deleted */
	c->pop = NULL;
}

static gboolean
offers_stls(mailpop3 *pop)
{
	clist *capa = NULL;
	if (mailpop3_capa(pop, &capa) != MAILPOP3_NO_ERROR)
		return FALSE;
	gboolean found = FALSE;
	for (clistiter *it = clist_begin(capa); it != NULL; it = clist_next(it)) {
		struct mailpop3_capa *cap = clist_content(it);
		if (cap->cap_name && g_ascii_strcasecmp(cap->cap_name, "STLS") == 0)
			found = TRUE;
	}
	mailpop3_capa_resp_free(capa);
	return found;
}

static gboolean
pop3_connect(pop3_ctx *c, GError **error)
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
	c->pop = mailpop3_new(0, NULL);
	int rc = mailpop3_connect(c->pop, stream); /* the session owns the stream from here */
	gboolean ok = rc == MAILPOP3_NO_ERROR;
	if (!ok)
		mailbox_set_error_pop3(error, rc, c->pop, "greeting");
	if (ok && !spec->tls && spec->starttls != MAILBOX_STARTTLS_NEVER) {
		if (offers_stls(c->pop)) {
			rc = mailpop3_stls(c->pop);
			if (rc != MAILPOP3_NO_ERROR) {
				mailbox_set_error_pop3(error, rc, c->pop, "STLS");
				ok = FALSE;
			}
			ok = ok && mailbox_start_tls(spec, c->pop->pop3_stream, error);
		} else if (spec->starttls == MAILBOX_STARTTLS_REQUIRE) {
			g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "the server does not offer STLS (--starttls=require)");
			ok = FALSE;
		}
	}
	if (ok) {
		rc = -1;
		if (c->pop->pop3_timestamp != NULL) /* the greeting offers APOP */
			rc = mailpop3_apop(c->pop, spec->user, password);
		if (rc != MAILPOP3_NO_ERROR) {
			rc = mailpop3_user(c->pop, spec->user);
			if (rc == MAILPOP3_NO_ERROR)
				rc = mailpop3_pass(c->pop, password);
		}
		if (rc != MAILPOP3_NO_ERROR) {
			mailbox_set_error_pop3(error, rc, c->pop, "login");
			ok = FALSE;
		}
	}
	memset(password, 0, strlen(password));
	g_free(password);
	if (!ok)
		pop3_disconnect(c);
	return ok;
}

static GBytes *
load_item(gpointer item, gpointer user, GError **error)
{
	return g_bytes_ref(((pop3_item *)item)->bytes);
}

static const char *
item_ref(gpointer item)
{
	return ((pop3_item *)item)->ref;
}

static void
note_committed(GPtrArray *items, gpointer user)
{
	pop3_ctx *c = user;
	for (guint i = 0; i < items->len; i++)
		g_array_append_val(c->committed, ((pop3_item *)g_ptr_array_index(items, i))->index);
}

/* pop3_session - one session, one batch. *more: messages not tried yet are left on the server. */
static gboolean
pop3_session(pop3_ctx *c, gboolean *more, GError **error)
{
	*more = FALSE;
	if (!pop3_connect(c, error))
		return FALSE;
	carray *list = NULL;
	int rc = mailpop3_list(c->pop, &list);
	if (rc != MAILPOP3_NO_ERROR) {
		mailbox_set_error_pop3(error, rc, c->pop, "LIST");
		pop3_disconnect(c);
		return FALSE;
	}
	guint batch_size = c->e->cfg->batch_size;
	gint64 max_bytes = c->e->cfg->max_message_bytes;
	GPtrArray *items = g_ptr_array_new_with_free_func(pop3_item_free);
	gint64 bytes = 0;
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < carray_count(list); i++) {
		struct mailpop3_msg_info *mi = carray_get(list, i);
		if (mi == NULL || mi->msg_deleted)
			continue;
		char *ref = mi->msg_uidl ? g_strdup(mi->msg_uidl) : g_strdup_printf("#%u", mi->msg_index);
		if (g_hash_table_contains(c->tried, ref)) {
			g_free(ref);
			continue;
		}
		if (items->len >= batch_size || (items->len > 0 && bytes + mi->msg_size > BATCH_BYTES)) {
			*more = TRUE;
			g_free(ref);
			break;
		}
		if ((gint64)mi->msg_size > max_bytes) {
			g_warning("%s: message %s has %u bytes, more than max_message_bytes (%" G_GINT64_FORMAT "): left there",
			          c->spec->display, ref, mi->msg_size, max_bytes);
			c->too_large++;
			g_hash_table_add(c->tried, ref);
			continue;
		}
		char *data = NULL;
		size_t len = 0;
		rc = mailpop3_retr(c->pop, mi->msg_index, &data, &len);
		if (rc != MAILPOP3_NO_ERROR) {
			char *what = g_strdup_printf("RETR %u", mi->msg_index);
			mailbox_set_error_pop3(error, rc, c->pop, what);
			g_free(what);
			g_free(ref);
			ok = FALSE;
			break;
		}
		pop3_item *x = g_new0(pop3_item, 1);
		x->index = mi->msg_index;
		x->ref = ref;
		char *copy = g_malloc(len + 1);
		if (len > 0)
			memcpy(copy, data, len);
		copy[len] = '\0';
		mailpop3_retr_free(data);
		x->bytes = mailbox_crlf_to_lf(copy, len);
		bytes += mi->msg_size;
		g_ptr_array_add(items, x);
	}
	if (ok && items->len > 0) {
		fetch_source src = {
		    .source = "pop3",
		    .recipient = c->spec->display,
		    .queue = c->spec->queue,
		    .batch = items->len,
		    .load = load_item,
		    .ref = item_ref,
		    .committed = note_committed,
		    .user = c,
		};
		ok = fetch_take_in(c->e, items, &src, &c->st, error);
		for (guint i = 0; i < items->len; i++) {
			pop3_item *x = g_ptr_array_index(items, i);
			g_hash_table_add(c->tried, g_strdup(x->ref));
		}
	}
	if (c->die_after_commit && c->committed->len > 0)
		raise(SIGKILL);
	/* DELE what committed, and QUIT so that the deletes take effect */
	GError *rm_error = NULL;
	gboolean removed = TRUE;
	for (guint i = 0; i < c->committed->len && removed; i++) {
		rc = mailpop3_dele(c->pop, g_array_index(c->committed, unsigned int, i));
		if (rc != MAILPOP3_NO_ERROR) {
			mailbox_set_error_pop3(&rm_error, rc, c->pop, "DELE");
			removed = FALSE;
		}
	}
	if (removed) {
		rc = mailpop3_quit(c->pop);
		if (rc != MAILPOP3_NO_ERROR) {
			mailbox_set_error_pop3(&rm_error, rc, c->pop, "QUIT");
			removed = FALSE;
		}
	}
	if (removed)
		c->removed += c->committed->len;
	else if (c->committed->len > 0)
		g_warning("%s: %s (committed messages stay on the server and are taken again as no-ops)", c->spec->display,
		          rm_error->message);
	g_clear_error(&rm_error);
	g_array_set_size(c->committed, 0);
	g_ptr_array_unref(items);
	pop3_disconnect(c);
	return ok;
}

static gboolean
pop3_drain(pop3_ctx *c, GError **error)
{
	engine_reload_rules(c->e);
	g_hash_table_remove_all(c->tried);
	gboolean more = TRUE;
	while (more && !mailbox_stop_requested())
		if (!pop3_session(c, &more, error))
			return FALSE;
	return TRUE;
}

int
engine_pop3_main(int argc, char **argv)
{
	char *config = NULL, *mailbox = NULL, *queue = NULL, *password_file = NULL, *starttls = NULL, *ca_file = NULL;
	gboolean once = FALSE, verbose = FALSE, quiet = FALSE, die_after_commit = FALSE;
	gint poll = -1;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		{"mailbox", 'm', 0, G_OPTION_ARG_STRING, &mailbox, "the [mailbox.NAME] section of the config", "NAME"},
		{"once", 0, 0, G_OPTION_ARG_NONE, &once, "take what is there, then exit", NULL},
		{"poll", 0, 0, G_OPTION_ARG_INT, &poll, "seconds between polls (60)", "S"},
		{"queue", 'q', 0, G_OPTION_ARG_STRING, &queue, "queue for new tickets", "Q"},
		{"password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "read the password from FILE", "FILE"},
		{"starttls", 0, 0, G_OPTION_ARG_STRING, &starttls, "pop3://: STLS auto (when offered), require or never",
		 "WHEN"},
		{"ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "trust the CAs in FILE instead of the system's", "FILE"},
		{"quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "no summary line", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log more", NULL},
		{"die-after-commit", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &die_after_commit, "tests", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx = g_option_context_new(
	    "pop3 [URL] - take in the messages of a POP3 mailbox, then delete them there\n\n"
	    "  URL: pop3://USER[:PASSWORD]@HOST[:PORT]/ or pop3s://...; or --mailbox NAME");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	cd_log_set_verbose(verbose);
	mailbox_args args = {
	    .mailbox = mailbox,
	    .queue = queue,
	    .password_file = password_file,
	    .starttls = starttls,
	    .ca_file = ca_file,
	    .poll_seconds = poll,
	};
	for (int i = 1; i + 1 < argc && args.url == NULL; i++)
		if (strcmp(argv[i], "pop3") == 0)
			args.url = argv[i + 1];

	mailbox_signals_init();
	engine_ctx e;
	engine_open(&e, config);
	mailbox_spec spec;
	if (!mailbox_spec_resolve(&spec, MAILBOX_POP3, &args, e.cfg, &error))
		cd_die(engine_exit_code(error), "pop3: %s", error->message);

	pop3_ctx c = {.e = &e, .spec = &spec, .die_after_commit = die_after_commit};
	c.tried = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c.committed = g_array_new(FALSE, FALSE, sizeof(unsigned int));
	mailbox_backoff backoff = {0};
	gint64 t0 = g_get_monotonic_time();
	int code = EX_OK;
	while (!mailbox_stop_requested()) {
		if (pop3_drain(&c, &error)) {
			if (once)
				break;
			mailbox_backoff_reset(&backoff);
			mailbox_wait(-1, (gint64)spec.poll_seconds * 1000);
			continue;
		}
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
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	if (!quiet)
		printf("pop3 %s: %u messages, %u taken in (%u new tickets, %u duplicates, %u unparsed fallbacks), "
		       "%u seen before, %u deleted, %u left (too large); %.2f s\n",
		       spec.display, c.st.items, c.st.stored, c.st.process.tickets, c.st.process.duplicates,
		       c.st.process.fallbacks, c.st.already, c.removed, c.too_large, secs);
	fetch_stats_clear(&c.st);
	g_hash_table_unref(c.tried);
	g_array_unref(c.committed);
	mailbox_spec_clear(&spec);
	engine_close(&e);
	g_free(config);
	g_free(mailbox);
	g_free(queue);
	g_free(password_file);
	g_free(starttls);
	g_free(ca_file);
	return code;
}
