/* mailbox.h - what the IMAP and POP3 fetchers share: which mailbox (URL, or a [mailbox.NAME] section
 * of the config), connecting with TLS (imaps://, pop3s://, STARTTLS/STLS) and verifying the
 * server's certificate, libetpan failures as result.h errors, and the signals that end a
 * long-running fetcher between batches.
 *
 * Config section, so that no password has to be on a command line:
 *   [mailbox.support]
 *   url = imap://support@mail.example.com/INBOX      (or imaps://, pop3://, pop3s://)
 *   password_file = imap-support.pass                (relative to the config file)
 *   folder = INBOX                                   (IMAP; else the URL's path, else INBOX)
 *   after = expunge | move:Archive                   (IMAP: what happens to taken messages)
 *   queue = returns
 *   poll = 60                                        (seconds between polls without IDLE)
 *   starttls = auto | require | never
 *   ca_file = /etc/ssl/private-ca.pem                (trust these CAs instead of the system's) */
#ifndef MAILGW_MAILBOX_H
#define MAILGW_MAILBOX_H

#include "engine.h"

#include <libetpan/libetpan.h>

typedef enum { MAILBOX_IMAP, MAILBOX_POP3 } mailbox_proto;
typedef enum { MAILBOX_STARTTLS_AUTO, MAILBOX_STARTTLS_REQUIRE, MAILBOX_STARTTLS_NEVER } mailbox_starttls;

typedef struct {
	mailbox_proto proto;
	char *name;          /* the config section's NAME, or NULL */
	gboolean tls;        /* imaps:// or pop3s://: TLS from the first byte */
	mailbox_starttls starttls;
	char *host;
	guint16 port;
	char *user;
	char *password;      /* from the URL, or read from password_file at each connect */
	char *password_file; /* absolute */
	char *folder;        /* IMAP */
	char *move_to;       /* IMAP: move taken messages there instead of expunging them */
	char *queue;
	char *ca_file;       /* absolute, or NULL: the system's trust store */
	guint poll_seconds;
	char *display;       /* imap://user@host:port/INBOX: logs and raw_deliveries.recipient */
	char *key;           /* settings key prefix: "imap:user@host:port/INBOX" */
} mailbox_spec;

/* What the command line may set; NULL / 0 / -1: not given. */
typedef struct {
	const char *url;
	const char *mailbox;      /* --mailbox NAME */
	const char *folder;
	const char *move_to;
	gboolean expunge;
	const char *queue;
	const char *password_file;
	const char *starttls;
	const char *ca_file;
	gint poll_seconds;        /* -1: not given */
} mailbox_args;

/* mailbox_spec_resolve - the mailbox from the command line and the config; FALSE with a
 * CD_ERROR_USAGE or CD_ERROR_CONFIG error when it cannot be made out. */
gboolean mailbox_spec_resolve(mailbox_spec *spec, mailbox_proto proto, const mailbox_args *args, const cd_config *cfg,
                              GError **error);
void mailbox_spec_clear(mailbox_spec *spec);

/* mailbox_password - the password to log in with (the URL's, else password_file's first line). */
char *mailbox_password(const mailbox_spec *spec, GError **error);

/* mailbox_open_stream - a TCP connection to the server, TLS from the start when spec->tls. */
mailstream *mailbox_open_stream(const mailbox_spec *spec, GError **error);

/* mailbox_start_tls - after the server agreed to STARTTLS/STLS: TLS on the same connection. */
gboolean mailbox_start_tls(const mailbox_spec *spec, mailstream *stream, GError **error);

/* mailbox_stream_buffered - whether bytes already read from the server wait in the stream. */
gboolean mailbox_stream_buffered(mailstream *stream);

/* Failures as result.h errors: the connection and the server's refusals of single commands are
 * temporary (CD_ERROR_TEMP); a refused login or a missing folder needs an admin (CD_ERROR_CONFIG,
 * retried by a long-running fetcher, exit 78 with --once). */
void mailbox_set_error_imap(GError **error, int rc, mailimap *imap, const char *what);
void mailbox_set_error_pop3(GError **error, int rc, mailpop3 *pop, const char *what);

/* Stopping: SIGTERM and SIGINT are blocked except while the fetcher waits, so that they end it
 * between batches, never in the middle of one. */
void mailbox_signals_init(void);
gboolean mailbox_stop_requested(void);
/* mailbox_wait - wait up to timeout_ms (-1: forever) for fd (-1: none) to become readable or a
 * stop signal; TRUE when fd is readable. */
gboolean mailbox_wait(int fd, gint64 timeout_ms);

/* mailbox_crlf_to_lf - the message as the other sources store it: the protocols' CRLF line ends
 * become LF (a lone CR stays). Takes data. */
GBytes *mailbox_crlf_to_lf(char *data, gsize len);

/* Long-running fetchers: after a failure, wait 1, 2, 4, ... 60 s before reconnecting. */
typedef struct {
	guint delay_s;
} mailbox_backoff;
void mailbox_backoff_reset(mailbox_backoff *b);
/* mailbox_backoff_wait - wait the next delay; FALSE when a stop signal came meanwhile. */
gboolean mailbox_backoff_wait(mailbox_backoff *b, const char *why);

#endif
