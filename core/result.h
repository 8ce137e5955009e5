/* result.h - the one place that decides whether a failure is temporary or permanent.
 *
 * Every layer reports failures as a GError in CD_ERROR; the code says what kind of
 * failure it is. Each front end maps cd_result exactly once: the MTA pipe to sysexits,
 * the SMS webhook to an HTTP status, the fetchers to keep-or-delete at the source. */
#ifndef CD_RESULT_H
#define CD_RESULT_H

#include <glib.h>

typedef enum {
	CD_OK = 0,      /* stored (or dropped by a rule, with an audit row) */
	CD_TEMP,        /* transient: busy/locked database, disk full, I/O, out of memory: retry later */
	CD_REJECT,      /* a filter rule said reject: refuse permanently with its text */
	CD_INTERNAL,    /* a bug or a broken invariant: treated like CD_TEMP by the MTA, but logged loudly */
} cd_result;

#define CD_ERROR (cd_error_quark())
GQuark cd_error_quark(void);

typedef enum {
	CD_ERROR_TEMP,      /* transient, see cd_result CD_TEMP */
	CD_ERROR_REJECT,    /* refused by a rule */
	CD_ERROR_CONFIG,    /* bad or missing configuration */
	CD_ERROR_USAGE,     /* bad command line */
	CD_ERROR_NOTFOUND,  /* no such ticket, customer, ... */
	CD_ERROR_INVALID,   /* invalid input or illegal transition */
	CD_ERROR_STORE,     /* database error that will not go away by retrying (schema, constraint) */
	CD_ERROR_INTERNAL,  /* a bug */
} cd_error_code;

/* cd_result_of - classify an error: NULL is CD_OK. */
cd_result cd_result_of(const GError *error);

/* cd_sqlite_is_transient - whether an SQLite result code means "try again later". */
gboolean cd_sqlite_is_transient(int sqlite_rc);

/* cd_errno_is_transient - whether an errno from I/O means "try again later". */
gboolean cd_errno_is_transient(int err);

/* cd_set_error_sqlite - fill error from an SQLite failure, classified as temp or store. */
void cd_set_error_sqlite(GError **error, int sqlite_rc, const char *what, const char *detail);

/* cd_set_error_errno - fill error from an errno failure, classified as temp or internal. */
void cd_set_error_errno(GError **error, int err, const char *what, const char *path);

/* Outbound delivery: whether a failed attempt is worth retrying. An SMTP reply code of 4xx, no
 * reply at all (connection refused, timeout, DNS, TLS), or a sendmail exit of EX_TEMPFAIL,
 * EX_OSERR or EX_IOERR is transient; a 5xx reply or any other sendmail exit is permanent. */
gboolean cd_smtp_is_transient(long smtp_code);
gboolean cd_sendmail_exit_is_transient(int exit_status);

/* SMS gateways over HTTP (Kannel sendsms, a Twilio-style API): no answer at all (0: connection
 * refused, timeout), 5xx, 408 and 429 are transient; so are 401 and 403 (our credentials are the
 * admin's to fix, the message must wait for that, not be dropped); any other 4xx is permanent. */
gboolean cd_http_is_transient(long http_code);

const char *cd_result_name(cd_result r);

/* cd_error_exit_code - the sysexits code a command exits with for this error (EX_OK for NULL).
 * The MTA pipe does not use it: there, everything but a reject is EX_TEMPFAIL. */
int cd_error_exit_code(const GError *error);

#endif
