/* mailbox.c - what the IMAP and POP3 fetchers share (see mailbox.h). */
#define _GNU_SOURCE /* ppoll */
#include "mailbox.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETWORK_TIMEOUT_S 60
#define CONNECT_TIMEOUT_MS 30000

/* ---- which mailbox ---- */

static gboolean
parse_starttls(const char *text, mailbox_starttls *out, GError **error)
{
	if (text == NULL || strcmp(text, "auto") == 0)
		*out = MAILBOX_STARTTLS_AUTO;
	else if (strcmp(text, "require") == 0)
		*out = MAILBOX_STARTTLS_REQUIRE;
	else if (strcmp(text, "never") == 0)
		*out = MAILBOX_STARTTLS_NEVER;
	else {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "starttls: '%s' is not auto, require or never", text);
		return FALSE;
	}
	return TRUE;
}

static char *
section_string(GKeyFile *kf, const char *group, const char *key)
{
	if (kf == NULL || group == NULL)
		return NULL;
	char *v = g_key_file_get_string(kf, group, key, NULL);
	if (v != NULL)
		g_strstrip(v);
	if (v != NULL && v[0] == '\0') {
		g_free(v);
		v = NULL;
	}
	return v;
}

/* pick - the command line's value, else the config's (taken), else NULL. */
static char *
pick(const char *arg, char *from_config)
{
	if (arg != NULL) {
		g_free(from_config);
		return g_strdup(arg);
	}
	return from_config;
}

static gboolean
parse_url(mailbox_spec *spec, const char *url, char **url_folder, GError **error)
{
	GError *e = NULL;
	GUri *uri = g_uri_parse(url, G_URI_FLAGS_HAS_PASSWORD, &e);
	if (uri == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "%s: not a mailbox URL (%s)", url, e->message);
		g_error_free(e);
		return FALSE;
	}
	const char *scheme = g_uri_get_scheme(uri);
	gboolean ok = TRUE;
	guint16 default_port = 0;
	if (spec->proto == MAILBOX_IMAP && g_ascii_strcasecmp(scheme, "imap") == 0)
		default_port = 143;
	else if (spec->proto == MAILBOX_IMAP && g_ascii_strcasecmp(scheme, "imaps") == 0)
		spec->tls = TRUE, default_port = 993;
	else if (spec->proto == MAILBOX_POP3 && g_ascii_strcasecmp(scheme, "pop3") == 0)
		default_port = 110;
	else if (spec->proto == MAILBOX_POP3 && g_ascii_strcasecmp(scheme, "pop3s") == 0)
		spec->tls = TRUE, default_port = 995;
	else {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "%s: the URL must start with %s", url,
		            spec->proto == MAILBOX_IMAP ? "imap:// or imaps://" : "pop3:// or pop3s://");
		ok = FALSE;
	}
	const char *host = g_uri_get_host(uri);
	if (ok && (host == NULL || host[0] == '\0')) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "%s: no host in the URL", url);
		ok = FALSE;
	}
	if (ok && (g_uri_get_user(uri) == NULL || g_uri_get_user(uri)[0] == '\0')) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "%s: no user in the URL (%s://USER@%s/...)", url, scheme, host);
		ok = FALSE;
	}
	if (ok) {
		spec->host = g_strdup(host);
		spec->port = g_uri_get_port(uri) > 0 ? (guint16)g_uri_get_port(uri) : default_port;
		spec->user = g_strdup(g_uri_get_user(uri));
		if (g_uri_get_password(uri) != NULL && g_uri_get_password(uri)[0] != '\0')
			spec->password = g_strdup(g_uri_get_password(uri));
		const char *path = g_uri_get_path(uri);
		while (path && *path == '/')
			path++;
		*url_folder = path && *path ? g_strdup(path) : NULL;
	}
	g_uri_unref(uri);
	return ok;
}

gboolean
mailbox_spec_resolve(mailbox_spec *spec, mailbox_proto proto, const mailbox_args *args, const cd_config *cfg,
                     GError **error)
{
	memset(spec, 0, sizeof *spec);
	spec->proto = proto;
	GKeyFile *kf = cfg ? cfg->keyfile : NULL;
	char *group = NULL;
	if (args->mailbox != NULL) {
		group = g_strconcat("mailbox.", args->mailbox, NULL);
		if (kf == NULL || !g_key_file_has_group(kf, group)) {
			g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "no [%s] section in %s", group, cfg ? cfg->path : "the config");
			g_free(group);
			return FALSE;
		}
		spec->name = g_strdup(args->mailbox);
	}
	char *url = pick(args->url, section_string(kf, group, "url"));
	char *starttls = pick(args->starttls, section_string(kf, group, "starttls"));
	char *after = section_string(kf, group, "after");
	char *password_file = section_string(kf, group, "password_file");
	char *ca_file = section_string(kf, group, "ca_file");
	char *poll = section_string(kf, group, "poll");
	char *url_folder = NULL;
	spec->folder = pick(args->folder, section_string(kf, group, "folder"));
	spec->queue = pick(args->queue, section_string(kf, group, "queue"));
	gboolean ok = TRUE;
	if (url == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "which mailbox? give a URL or --mailbox NAME%s",
		            group ? " (with url = ... in its section)" : "");
		ok = FALSE;
	}
	ok = ok && parse_url(spec, url, &url_folder, error);
	ok = ok && parse_starttls(starttls, &spec->starttls, error);
	if (ok && spec->tls && spec->starttls == MAILBOX_STARTTLS_REQUIRE)
		spec->starttls = MAILBOX_STARTTLS_NEVER; /* TLS from the first byte already */
	if (ok) {
		if (spec->folder == NULL)
			spec->folder = url_folder ? g_strdup(url_folder) : g_strdup("INBOX");
		/* --move-to or --expunge override the config's after = ... */
		if (args->move_to != NULL)
			spec->move_to = g_strdup(args->move_to);
		else if (!args->expunge && after != NULL) {
			if (g_str_has_prefix(after, "move:") && after[5] != '\0')
				spec->move_to = g_strdup(after + 5);
			else if (strcmp(after, "expunge") != 0) {
				g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "[%s] after = %s: expected expunge or move:FOLDER", group,
				            after);
				ok = FALSE;
			}
		}
	}
	if (ok) {
		const char *pf = args->password_file ? args->password_file : password_file;
		if (pf != NULL)
			spec->password_file = args->password_file ? g_canonicalize_filename(pf, NULL) : cd_config_resolve(cfg, pf);
		const char *ca = args->ca_file ? args->ca_file : ca_file;
		if (ca != NULL)
			spec->ca_file = args->ca_file ? g_canonicalize_filename(ca, NULL) : cd_config_resolve(cfg, ca);
		spec->poll_seconds = 60;
		if (args->poll_seconds >= 0)
			spec->poll_seconds = (guint)args->poll_seconds;
		else if (poll != NULL) {
			char *end;
			guint64 v = g_ascii_strtoull(poll, &end, 10);
			if (*end != '\0' || v > 86400) {
				g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "[%s] poll = %s: expected seconds", group, poll);
				ok = FALSE;
			}
			spec->poll_seconds = (guint)v;
		}
		if (spec->poll_seconds == 0)
			spec->poll_seconds = 1;
	}
	if (ok && spec->move_to != NULL && strcmp(spec->move_to, spec->folder) == 0) {
		/* each move would make new UIDs there, taken again forever */
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "cannot move taken messages to the folder they are taken from (%s)",
		            spec->folder);
		ok = FALSE;
	}
	if (ok && spec->password == NULL && spec->password_file == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG,
		            "no password for %s: give password_file in [mailbox.NAME] or --password-file FILE", url);
		ok = FALSE;
	}
	if (ok) {
		const char *scheme = proto == MAILBOX_IMAP ? (spec->tls ? "imaps" : "imap") : (spec->tls ? "pop3s" : "pop3");
		gboolean v6 = strchr(spec->host, ':') != NULL;
		char *host = v6 ? g_strdup_printf("[%s]", spec->host) : g_strdup(spec->host);
		char *user = g_uri_escape_string(spec->user, NULL, FALSE);
		spec->display = g_strdup_printf("%s://%s@%s:%u%s%s", scheme, user, host, spec->port,
		                                proto == MAILBOX_IMAP ? "/" : "", proto == MAILBOX_IMAP ? spec->folder : "");
		spec->key = g_strdup_printf("%s:%s@%s:%u%s%s", proto == MAILBOX_IMAP ? "imap" : "pop3", spec->user, host,
		                            spec->port, proto == MAILBOX_IMAP ? "/" : "",
		                            proto == MAILBOX_IMAP ? spec->folder : "");
		g_free(user);
		g_free(host);
	}
	g_free(group);
	g_free(url);
	g_free(starttls);
	g_free(after);
	g_free(password_file);
	g_free(ca_file);
	g_free(poll);
	g_free(url_folder);
	if (!ok)
		mailbox_spec_clear(spec);
	return ok;
}

void
mailbox_spec_clear(mailbox_spec *spec)
{
	g_free(spec->name);
	g_free(spec->host);
	g_free(spec->user);
	if (spec->password)
		memset(spec->password, 0, strlen(spec->password));
	g_free(spec->password);
	g_free(spec->password_file);
	g_free(spec->folder);
	g_free(spec->move_to);
	g_free(spec->queue);
	g_free(spec->ca_file);
	g_free(spec->display);
	g_free(spec->key);
	memset(spec, 0, sizeof *spec);
}

char *
mailbox_password(const mailbox_spec *spec, GError **error)
{
	if (spec->password != NULL)
		return g_strdup(spec->password);
	char *data = NULL;
	GError *e = NULL;
	if (!g_file_get_contents(spec->password_file, &data, NULL, &e)) {
		/* an admin has to fix it; a long-running fetcher tries again later */
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "password file: %s", e->message);
		g_error_free(e);
		return NULL;
	}
	struct stat sb;
	static gboolean warned;
	if (!warned && stat(spec->password_file, &sb) == 0 && (sb.st_mode & 0077) != 0) {
		g_warning("%s can be read by others: chmod 600 it", spec->password_file);
		warned = TRUE;
	}
	char *nl = strpbrk(data, "\r\n");
	if (nl)
		*nl = '\0';
	if (data[0] == '\0') {
		g_free(data);
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "password file %s is empty", spec->password_file);
		return NULL;
	}
	return data;
}

/* ---- connecting ---- */

static int
connect_one(const struct addrinfo *ai, int *err)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			*err = errno;
			close(fd);
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int n;
		do
			n = poll(&p, 1, CONNECT_TIMEOUT_MS);
		while (n < 0 && errno == EINTR);
		int soerr = 0;
		socklen_t len = sizeof soerr;
		if (n == 0)
			soerr = ETIMEDOUT;
		else if (n < 0)
			soerr = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
			soerr = errno;
		if (soerr != 0) {
			*err = soerr;
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* bounds the TLS handshake and a record that never completes */
	struct timeval tv = {.tv_sec = NETWORK_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

static int
tcp_connect(const mailbox_spec *spec, GError **error)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char port[8];
	g_snprintf(port, sizeof port, "%u", spec->port);
	int rc = getaddrinfo(spec->host, port, &hints, &res);
	if (rc != 0) {
		/* name resolution can come back: temporary */
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "cannot resolve %s: %s", spec->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = connect_one(ai, &err);
	freeaddrinfo(res);
	if (fd < 0) {
		char *what = g_strdup_printf("connecting to %s port %u", spec->host, spec->port);
		cd_set_error_errno(error, err, what, NULL);
		g_free(what);
	}
	return fd;
}

/* ---- TLS: GnuTLS under a libetpan stream, with the server's certificate verified ---- */

typedef struct {
	int fd;
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
} tls_data;

static gboolean
wait_fd(int fd, short events, int timeout_s)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;
	do
		n = poll(&p, 1, timeout_s > 0 ? timeout_s * 1000 : NETWORK_TIMEOUT_S * 1000);
	while (n < 0 && errno == EINTR);
	return n > 0;
}

static ssize_t
tls_read(mailstream_low *s, void *buf, size_t count)
{
	tls_data *t = s->data;
	for (;;) {
		if (gnutls_record_check_pending(t->session) == 0 && !wait_fd(t->fd, POLLIN, (int)s->timeout))
			return -1;
		ssize_t n = gnutls_record_recv(t->session, buf, count);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;
		return n < 0 ? -1 : n;
	}
}

static ssize_t
tls_write(mailstream_low *s, const void *buf, size_t count)
{
	tls_data *t = s->data;
	for (;;) {
		ssize_t n = gnutls_record_send(t->session, buf, count);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			if (!wait_fd(t->fd, POLLOUT, (int)s->timeout))
				return -1;
			continue;
		}
		return n < 0 ? -1 : n;
	}
}

static int
tls_close(mailstream_low *s)
{
	tls_data *t = s->data;
	if (t->fd >= 0) {
		gnutls_bye(t->session, GNUTLS_SHUT_WR);
		close(t->fd);
		t->fd = -1;
	}
	return 0;
}

static int
tls_get_fd(mailstream_low *s)
{
	return ((tls_data *)s->data)->fd;
}

static void
tls_free(mailstream_low *s)
{
	tls_data *t = s->data;
	gnutls_deinit(t->session);
	gnutls_certificate_free_credentials(t->cred);
	g_free(t);
	free(s); /* allocated by mailstream_low_new */
}

static struct mailstream_cancel *
tls_get_cancel(mailstream_low *s)
{
	return NULL;
}

static mailstream_low_driver tls_driver = {
    .mailstream_read = tls_read,
    .mailstream_write = tls_write,
    .mailstream_close = tls_close,
    .mailstream_get_fd = tls_get_fd,
    .mailstream_free = tls_free,
    .mailstream_get_cancel = tls_get_cancel,
};

static gboolean
is_ip_address(const char *host)
{
	struct in6_addr a;
	return inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
}

/* tls_open - a TLS session over fd (not taken on failure). */
static mailstream_low *
tls_open(const mailbox_spec *spec, int fd, GError **error)
{
	tls_data *t = g_new0(tls_data, 1);
	t->fd = fd;
	int rc = gnutls_certificate_allocate_credentials(&t->cred);
	if (rc >= 0)
		rc = spec->ca_file ? gnutls_certificate_set_x509_trust_file(t->cred, spec->ca_file, GNUTLS_X509_FMT_PEM)
		                   : gnutls_certificate_set_x509_system_trust(t->cred);
	if (rc <= 0) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "no trusted certificates from %s%s%s",
		            spec->ca_file ? spec->ca_file : "the system's trust store", rc < 0 ? ": " : "",
		            rc < 0 ? gnutls_strerror(rc) : "");
		if (t->cred)
			gnutls_certificate_free_credentials(t->cred);
		g_free(t);
		return NULL;
	}
	gnutls_init(&t->session, GNUTLS_CLIENT);
	gnutls_set_default_priority(t->session);
	gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->cred);
	if (!is_ip_address(spec->host))
		gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, spec->host, strlen(spec->host));
	/* the certificate must be valid, trusted and for this host name (or address) */
	gnutls_session_set_verify_cert(t->session, spec->host, 0);
	gnutls_transport_set_int(t->session, fd);
	gnutls_handshake_set_timeout(t->session, NETWORK_TIMEOUT_S * 1000);
	do
		rc = gnutls_handshake(t->session);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		const char *detail = gnutls_strerror(rc);
		char *why = NULL;
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_datum_t out = {0};
			unsigned status = gnutls_session_get_verify_cert_status(t->session);
			if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
				why = g_strndup((const char *)out.data, out.size);
				gnutls_free(out.data);
				detail = why;
			}
		}
		/* an untrusted certificate needs an admin; a broken handshake may be the network */
		g_set_error(error, CD_ERROR, rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ? CD_ERROR_CONFIG : CD_ERROR_TEMP,
		            "TLS with %s: %s", spec->host, detail);
		g_free(why);
		gnutls_deinit(t->session);
		gnutls_certificate_free_credentials(t->cred);
		g_free(t);
		return NULL;
	}
	mailstream_low *low = mailstream_low_new(t, &tls_driver);
	mailstream_low_set_timeout(low, NETWORK_TIMEOUT_S);
	return low;
}

mailstream *
mailbox_open_stream(const mailbox_spec *spec, GError **error)
{
	int fd = tcp_connect(spec, error);
	if (fd < 0)
		return NULL;
	if (!spec->tls) {
		mailstream *s = mailstream_socket_open_timeout(fd, NETWORK_TIMEOUT_S);
		if (s == NULL) {
			close(fd);
			g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "out of memory");
		}
		return s;
	}
	mailstream_low *low = tls_open(spec, fd, error);
	if (low == NULL) {
		close(fd);
		return NULL;
	}
	return mailstream_new(low, 8192);
}

gboolean
mailbox_start_tls(const mailbox_spec *spec, mailstream *stream, GError **error)
{
	mailstream_low *plain = mailstream_get_low(stream);
	int fd = mailstream_low_get_fd(plain);
	if (stream->read_buffer_len > 0) {
		/* bytes after the server's go-ahead and before the handshake: an injection attempt */
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "the server sent data before the TLS handshake");
		return FALSE;
	}
	mailstream_low *low = tls_open(spec, fd, error);
	if (low == NULL)
		return FALSE;
	mailstream_low_free(plain); /* frees the plain driver's state; the descriptor lives on in TLS */
	mailstream_set_low(stream, low);
	return TRUE;
}

gboolean
mailbox_stream_buffered(mailstream *stream)
{
	if (stream->read_buffer_len > 0)
		return TRUE;
	mailstream_low *low = mailstream_get_low(stream);
	return low->driver == &tls_driver && gnutls_record_check_pending(((tls_data *)low->data)->session) > 0;
}

/* ---- failures ---- */

static const char *
imap_response(mailimap *imap)
{
	return imap && imap->imap_response ? imap->imap_response : NULL;
}

void
mailbox_set_error_imap(GError **error, int rc, mailimap *imap, const char *what)
{
	int code;
	const char *kind;
	switch (rc) {
	case MAILIMAP_ERROR_LOGIN:
		code = CD_ERROR_CONFIG, kind = "login refused";
		break;
	case MAILIMAP_ERROR_SELECT:
	case MAILIMAP_ERROR_EXAMINE:
		code = CD_ERROR_CONFIG, kind = "no such folder";
		break;
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		code = CD_ERROR_TEMP, kind = "connection lost";
		break;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
		code = CD_ERROR_TEMP, kind = "unexpected answer";
		break;
	default:
		code = CD_ERROR_TEMP, kind = "refused";
		break;
	}
	const char *resp = imap_response(imap);
	g_set_error(error, CD_ERROR, code, "%s: %s (libetpan %d)%s%s", what, kind, rc, resp ? ": " : "", resp ? resp : "");
}

void
mailbox_set_error_pop3(GError **error, int rc, mailpop3 *pop, const char *what)
{
	int code = CD_ERROR_TEMP;
	const char *kind;
	switch (rc) {
	case MAILPOP3_ERROR_BAD_USER:
	case MAILPOP3_ERROR_BAD_PASSWORD:
	case MAILPOP3_ERROR_DENIED:
		code = CD_ERROR_CONFIG, kind = "login refused";
		break;
	case MAILPOP3_ERROR_STREAM:
	case MAILPOP3_ERROR_CONNECTION_REFUSED:
		kind = "connection lost";
		break;
	default:
		kind = "refused";
		break;
	}
	const char *resp = pop && pop->pop3_response ? pop->pop3_response : NULL;
	g_set_error(error, CD_ERROR, code, "%s: %s (libetpan %d)%s%s", what, kind, rc, resp ? ": " : "", resp ? resp : "");
}

/* ---- stopping and waiting ---- */

static volatile sig_atomic_t stop_signal;
static sigset_t blocked;

static void
on_stop(int sig)
{
	stop_signal = sig;
}

static void
on_hup(int sig)
{
	cd_rules_invalidate(); /* async-signal-safe: it only bumps a counter */
}

void
mailbox_signals_init(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	/* Blocked, so that neither a stop nor a reload interrupts a network read or a transaction: they
	 * are taken only while waiting. Threads started later inherit the mask. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
}

gboolean
mailbox_stop_requested(void)
{
	if (stop_signal)
		return TRUE;
	sigset_t pending;
	if (sigpending(&pending) == 0 && (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT))) {
		/* take it now */
		mailbox_wait(-1, 0);
	}
	return stop_signal != 0;
}

gboolean
mailbox_wait(int fd, gint64 timeout_ms)
{
	gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time() + timeout_ms * 1000;
	sigset_t open_mask;
	sigprocmask(SIG_SETMASK, NULL, &open_mask);
	sigdelset(&open_mask, SIGTERM);
	sigdelset(&open_mask, SIGINT);
	sigdelset(&open_mask, SIGHUP);
	for (;;) {
		if (stop_signal)
			return FALSE;
		struct timespec ts, *tsp = NULL;
		if (deadline >= 0) {
			gint64 left = MAX(deadline - g_get_monotonic_time(), 0);
			ts.tv_sec = left / G_USEC_PER_SEC;
			ts.tv_nsec = (left % G_USEC_PER_SEC) * 1000;
			tsp = &ts;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = ppoll(&p, fd >= 0 ? 1 : 0, tsp, &open_mask);
		if (n > 0)
			return TRUE;
		if (n == 0)
			return FALSE;
		if (errno != EINTR)
			return FALSE;
		/* a signal: SIGHUP only asks for new rules, keep waiting */
	}
}

/* ---- bytes ---- */

GBytes *
mailbox_crlf_to_lf(char *data, gsize len)
{
	gsize w = 0;
	for (gsize r = 0; r < len; r++) {
		if (data[r] == '\r' && r + 1 < len && data[r + 1] == '\n')
			continue;
		data[w++] = data[r];
	}
	return g_bytes_new_take(data, w);
}

/* ---- reconnecting ---- */

void
mailbox_backoff_reset(mailbox_backoff *b)
{
	b->delay_s = 0;
}

gboolean
mailbox_backoff_wait(mailbox_backoff *b, const char *why)
{
	b->delay_s = b->delay_s == 0 ? 1 : MIN(b->delay_s * 2, 60);
	g_warning("%s; trying again in %u s", why, b->delay_s);
	mailbox_wait(-1, (gint64)b->delay_s * 1000);
	return !stop_signal;
}
