/* deliver.c - `caredesk-mailgw deliver`: outbox rows to SMTP (libcurl) or sendmail (see deliver.h).
 *
 * One curl handle serves a whole round, so a batch goes over one SMTP connection. A batch of rows
 * is claimed (leased) in one short transaction before it is sent, and the outcomes recorded in one
 * more: a crash between the server's acceptance and that record can send a row twice, which SMTP
 * itself allows, and the stable Message-ID lets the receiver see it is the same message. */
#include "deliver.h"
#include "deliver_sms.h"
#include "compose.h"
#include "log.h"
#include "util.h"
#include "result.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>

#define BATCH 50

struct mailgw_deliverer {
	engine_ctx *e;
	cd_mail_settings mail;
	CURL *curl;
	gboolean mail_transport; /* [mail] smtp_url or sendmail set */
	mailgw_sms *sms;         /* NULL: no [sms] provider */
};

mailgw_deliverer *
mailgw_deliverer_new(engine_ctx *e, GError **error)
{
	GError *sms_error = NULL;
	mailgw_sms *sms = mailgw_sms_new(e, &sms_error);
	if (sms_error) {
		g_propagate_error(error, sms_error);
		return NULL;
	}
	if (e->cfg->smtp_url == NULL && e->cfg->sendmail == NULL && sms == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "%s: [mail] needs smtp_url or sendmail (or [sms] a provider) to deliver",
		            e->cfg->path);
		return NULL;
	}
	/* outcomes commit one by one (record): see there why NORMAL is enough */
	if (!cd_store_exec(e->store, "PRAGMA synchronous = NORMAL", error)) {
		mailgw_sms_free(sms);
		return NULL;
	}
	mailgw_deliverer *d = g_new0(mailgw_deliverer, 1);
	d->e = e;
	d->sms = sms;
	d->mail_transport = e->cfg->smtp_url != NULL || e->cfg->sendmail != NULL;
	if (!cd_mail_settings_load(e->cfg, &d->mail, error)) {
		mailgw_sms_free(sms);
		g_free(d);
		return NULL;
	}
	if (e->cfg->smtp_url) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		d->curl = curl_easy_init();
	}
	return d;
}

void
mailgw_deliverer_free(mailgw_deliverer *d)
{
	if (d == NULL)
		return;
	if (d->curl)
		curl_easy_cleanup(d->curl);
	mailgw_sms_free(d->sms);
	cd_mail_settings_clear(&d->mail);
	g_free(d);
}

typedef struct {
	const guint8 *data;
	gsize len, pos;
} upload;

static size_t
read_upload(char *buf, size_t size, size_t nmemb, void *user)
{
	upload *u = user;
	size_t n = MIN(size * nmemb, u->len - u->pos);
	memcpy(buf, u->data + u->pos, n);
	u->pos += n;
	return n;
}

static cd_send_result
send_smtp(mailgw_deliverer *d, const char *envelope_from, const char *rcpt, GBytes *bytes, char **detail)
{
	CURL *c = d->curl;
	curl_easy_reset(c);
	gsize len;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	upload u = {data, len, 0};
	char errbuf[CURL_ERROR_SIZE] = "";
	char *from = g_strdup_printf("<%s>", envelope_from);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	curl_easy_setopt(c, CURLOPT_URL, d->e->cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)d->mail.smtp_timeout_seconds);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(d->mail.starttls, "require") == 0)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	else if (strcmp(d->mail.starttls, "try") == 0)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (d->mail.smtp_user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, d->mail.smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, d->mail.smtp_password ? d->mail.smtp_password : "");
	}
	/* the EHLO name is the URL's path: smtp://host:25/our.domain (INSTALL says so) */
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpts);
	g_free(from);
	if (rc == CURLE_OK) {
		*detail = g_strdup_printf("%ld", code);
		return CD_SEND_OK;
	}
	*detail = g_strdup_printf("SMTP %ld: %s", code, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	/* a refusal of our login or of TLS is the admin's to fix: keep retrying, it is not the recipient's fault */
	return cd_smtp_is_transient(code) ? CD_SEND_TEMP : CD_SEND_PERM;
}

static cd_send_result
send_sendmail(mailgw_deliverer *d, const char *envelope_from, const char *rcpt, GBytes *bytes, char **detail)
{
	const char *argv[] = {d->e->cfg->sendmail, "-i", "-f", envelope_from, "--", rcpt, NULL};
	GError *error = NULL;
	GSubprocess *p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
	if (p == NULL) {
		*detail = g_strdup_printf("sendmail: %s", error->message);
		g_error_free(error);
		return CD_SEND_TEMP;
	}
	GBytes *err = NULL;
	gboolean ok = g_subprocess_communicate(p, bytes, NULL, NULL, &err, &error);
	if (!ok) {
		*detail = g_strdup_printf("sendmail: %s", error->message);
		g_error_free(error);
		g_object_unref(p);
		if (err)
			g_bytes_unref(err);
		return CD_SEND_TEMP;
	}
	int status = g_subprocess_get_if_exited(p) ? g_subprocess_get_exit_status(p) : EX_TEMPFAIL;
	gsize elen = 0;
	const char *etext = err ? g_bytes_get_data(err, &elen) : NULL;
	char *msg = etext && elen ? cd_utf8_clean(etext, (gssize)MIN(elen, 300)) : g_strdup("");
	g_strstrip(msg);
	g_object_unref(p);
	if (err)
		g_bytes_unref(err);
	if (status == 0) {
		*detail = g_strdup("sendmail: accepted");
		g_free(msg);
		return CD_SEND_OK;
	}
	*detail = g_strdup_printf("sendmail exited %d: %s", status, msg);
	g_free(msg);
	return cd_sendmail_exit_is_transient(status) ? CD_SEND_TEMP : CD_SEND_PERM;
}

static cd_send_result
send_row(mailgw_deliverer *d, const cd_outbox_row *r, char **detail)
{
	cd_compose_opts co = {.from_address = d->e->cfg->support_address, .from_name = d->mail.from_name,
	                      .crlf = d->curl != NULL};
	GError *error = NULL;
	GBytes *bytes = cd_compose_email(r, &co, &error);
	if (bytes == NULL) {
		*detail = g_strdup(error->message);
		g_error_free(error);
		return CD_SEND_PERM;
	}
	char *verp = cd_verp_address(d->e->secret, d->e->cfg->domain, r->id);
	cd_send_result res = d->curl ? send_smtp(d, verp, r->recipient, bytes, detail)
	                             : send_sendmail(d, verp, r->recipient, bytes, detail);
	g_free(verp);
	g_bytes_unref(bytes);
	return res;
}

/* record - one row's outcome, committed at once: a SIGKILL after this leaves nothing to send twice.
 * The deliverer's connection commits with synchronous=NORMAL (mailgw_deliverer_new): in WAL mode
 * that survives a crash of the process, and only a power loss could forget an outcome, which means
 * sending that one message again (SMTP is at-least-once anyway). provider_ref: SMS, the provider's
 * id of the message (NULL otherwise). */
static gboolean
record(mailgw_deliverer *d, const cd_outbox_row *r, cd_send_result res, const char *detail, const char *provider_ref,
       GError **error)
{
	cd_store *store = d->e->store;
	if (!cd_store_begin(store, error))
		return FALSE;
	gboolean ok = cd_outbox_record(store, &d->mail, r->id, r->attempts, res, detail, error) &&
	              (provider_ref == NULL || cd_outbox_set_provider_ref(store, r->id, provider_ref, error)) &&
	              cd_store_commit(store, error);
	if (!ok)
		cd_store_rollback(store);
	return ok;
}

/* deliver_channel - rounds of one channel's due rows, up to max. */
static gboolean
deliver_channel(mailgw_deliverer *d, const char *channel, guint max, guint *sent, guint *failed, GError **error)
{
	cd_store *store = d->e->store;
	gboolean sms = strcmp(channel, "sms") == 0;
	guint n_sent = 0, n_failed = 0;
	gboolean ok = TRUE;
	/* Batches: one transaction leases the batch; each outcome is committed as soon as the server
	 * answered. A crash between the server's acceptance and that commit leaves one row accepted
	 * but not recorded: it is sent again when its lease runs out (SMTP's own at-least-once; the
	 * Message-ID stays the same). */
	while (ok && n_sent + n_failed < max) {
		GPtrArray *rows = NULL;
		if (!cd_outbox_claim(store, channel, MIN(BATCH, max), d->mail.lease_seconds, &rows, error))
			return FALSE;
		if (rows->len == 0) {
			g_ptr_array_unref(rows);
			break;
		}
		guint temp = 0;
		for (guint i = 0; ok && i < rows->len; i++) {
			cd_outbox_row *r = g_ptr_array_index(rows, i);
			char *detail = NULL, *provider_ref = NULL;
			/* the files that go with a mail are read now, one row at a time (not with the lease) */
			if (!sms && !cd_outbox_load_files(store, r, error)) {
				ok = FALSE;
				break;
			}
			cd_send_result res = sms ? mailgw_sms_send(d->sms, r, &detail, &provider_ref) : send_row(d, r, &detail);
			if (r->files)
				g_ptr_array_set_size(r->files, 0);
			if (res == CD_SEND_OK)
				n_sent++;
			else if (res == CD_SEND_PERM || r->attempts >= d->mail.max_attempts)
				n_failed++;
			else
				temp++;
			if (res != CD_SEND_OK)
				g_message("outbox row %" G_GINT64_FORMAT " to %s, attempt %" G_GINT64_FORMAT ": %s", r->id,
				          r->recipient, r->attempts, detail);
			ok = record(d, r, res, detail, provider_ref, error);
			g_free(detail);
			g_free(provider_ref);
		}
		g_ptr_array_unref(rows);
		if (temp > 0)
			break; /* the server is unwell: leave the rest for the next round */
	}
	*sent += n_sent;
	*failed += n_failed;
	return ok;
}

gboolean
mailgw_deliver_due(mailgw_deliverer *d, guint max, guint *sent, guint *failed, GError **error)
{
	guint n_sent = 0, n_failed = 0;
	gboolean ok = (!d->mail_transport || deliver_channel(d, "email", max, &n_sent, &n_failed, error)) &&
	              (d->sms == NULL || deliver_channel(d, "sms", max, &n_sent, &n_failed, error));
	if (sent)
		*sent = n_sent;
	if (failed)
		*failed = n_failed;
	return ok;
}

gint64
mailgw_deliver_next_due(mailgw_deliverer *d)
{
	gint64 best = -1;
	const char *channels[] = {d->mail_transport ? "email" : NULL, d->sms ? "sms" : NULL};
	for (gsize i = 0; i < G_N_ELEMENTS(channels); i++) {
		gint64 s = -1;
		GError *error = NULL;
		if (channels[i] == NULL)
			continue;
		if (!cd_outbox_next_due(d->e->store, channels[i], &s, &error)) {
			g_warning("%s", error->message);
			g_error_free(error);
			return 5;
		}
		if (s >= 0 && (best < 0 || s < best))
			best = s;
	}
	return best;
}

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

int
engine_deliver_main(int argc, char **argv)
{
	char *config = NULL;
	gboolean once = FALSE, quiet = FALSE, verbose = FALSE;
	gint max = 1000, poll = 5;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		{"once", 0, 0, G_OPTION_ARG_NONE, &once, "send what is due, then exit", NULL},
		{"max", 'n', 0, G_OPTION_ARG_INT, &max, "at most N messages a round (default 1000)", "N"},
		{"poll", 0, 0, G_OPTION_ARG_INT, &poll, "look for new rows at least every S seconds (default 5)", "S"},
		{"quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "no summary line", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log more", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx = g_option_context_new("deliver - send queued mail (SMTP or sendmail) and SMS (Kannel, Twilio-style or spool) from the outbox");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	cd_log_set_verbose(verbose);
	engine_ctx e;
	engine_open(&e, config);
	mailgw_deliverer *d = mailgw_deliverer_new(&e, &error);
	if (d == NULL)
		cd_die(EX_CONFIG, "%s", error->message);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	guint total_sent = 0, total_failed = 0;
	int code = EX_OK;
	gint64 t0 = g_get_monotonic_time();
	while (!stopping) {
		guint sent = 0, failed = 0;
		if (!mailgw_deliver_due(d, (guint)MAX(max, 1), &sent, &failed, &error)) {
			g_warning("%s", error->message);
			code = engine_exit_code(error);
			g_clear_error(&error);
			if (once)
				break;
			g_usleep(G_USEC_PER_SEC);
			continue;
		}
		total_sent += sent;
		total_failed += failed;
		if (once && sent + failed == 0)
			break;
		if (once) {
			/* --once: keep going while rows are due now; stop when only later retries are left */
			if (mailgw_deliver_next_due(d) != 0)
				break;
			continue;
		}
		gint64 wait = mailgw_deliver_next_due(d);
		if (wait == 0)
			continue;
		wait = wait < 0 ? poll : MIN(wait, poll);
		for (gint64 i = 0; i < wait * 10 && !stopping; i++)
			g_usleep(G_USEC_PER_SEC / 10);
	}
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	if (!quiet)
		printf("deliver: %u sent, %u failed; %.2f s, %.0f msgs/s\n", total_sent, total_failed, secs,
		       secs > 0 ? total_sent / secs : 0.0);
	mailgw_deliverer_free(d);
	engine_close(&e);
	g_free(config);
	return code;
}
