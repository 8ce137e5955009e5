/* result.c - classification of failures into temporary and permanent (see result.h). */
#include "result.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>
#include <sysexits.h>

G_DEFINE_QUARK(caredesk-error-quark, cd_error)

cd_result
cd_result_of(const GError *error)
{
	if (error == NULL)
		return CD_OK;
	if (error->domain != CD_ERROR)
		return CD_INTERNAL;
	switch ((cd_error_code)error->code) {
	case CD_ERROR_TEMP:
		return CD_TEMP;
	case CD_ERROR_REJECT:
		return CD_REJECT;
	case CD_ERROR_CONFIG:
	case CD_ERROR_STORE:
		/* An admin has to act, but the mail must wait for that, not bounce. */
		return CD_TEMP;
	default:
		return CD_INTERNAL;
	}
}

gboolean
cd_sqlite_is_transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
	case SQLITE_READONLY:
	case SQLITE_INTERRUPT:
		return TRUE;
	default:
		return FALSE;
	}
}

gboolean
cd_errno_is_transient(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
	case ENOMEM:
	case EAGAIN:
	case EINTR:
	case EIO:
	case EMFILE:
	case ENFILE:
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOENT:
	case ETIMEDOUT:
	case ECONNREFUSED:
	case ECONNRESET:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return TRUE;
	default:
		return FALSE;
	}
}

void
cd_set_error_sqlite(GError **error, int rc, const char *what, const char *detail)
{
	g_set_error(error, CD_ERROR, cd_sqlite_is_transient(rc) ? CD_ERROR_TEMP : CD_ERROR_STORE,
	            "%s: %s%s%s", what, detail ? detail : sqlite3_errstr(rc),
	            detail ? " / " : "", detail ? sqlite3_errstr(rc) : "");
}

void
cd_set_error_errno(GError **error, int err, const char *what, const char *path)
{
	g_set_error(error, CD_ERROR, cd_errno_is_transient(err) ? CD_ERROR_TEMP : CD_ERROR_INTERNAL,
	            "%s%s%s: %s", what, path ? " " : "", path ? path : "", g_strerror(err));
}

int
cd_error_exit_code(const GError *error)
{
	if (error == NULL)
		return EX_OK;
	if (error->domain != CD_ERROR)
		return EX_SOFTWARE;
	switch ((cd_error_code)error->code) {
	case CD_ERROR_TEMP: return EX_TEMPFAIL;
	case CD_ERROR_REJECT: return EX_NOPERM;
	case CD_ERROR_CONFIG: return EX_CONFIG;
	case CD_ERROR_USAGE: return EX_USAGE;
	case CD_ERROR_NOTFOUND: return EX_NOINPUT;
	case CD_ERROR_INVALID: return EX_DATAERR;
	case CD_ERROR_STORE: return EX_TEMPFAIL;
	case CD_ERROR_INTERNAL: return EX_SOFTWARE;
	}
	return EX_SOFTWARE;
}

const char *
cd_result_name(cd_result r)
{
	switch (r) {
	case CD_OK: return "ok";
	case CD_TEMP: return "temporary failure";
	case CD_REJECT: return "rejected";
	case CD_INTERNAL: return "internal error";
	}
	return "?";
}

gboolean
cd_smtp_is_transient(long smtp_code)
{
	return smtp_code < 500 || smtp_code > 599;
}

gboolean
cd_sendmail_exit_is_transient(int exit_status)
{
	return exit_status == EX_TEMPFAIL || exit_status == EX_OSERR || exit_status == EX_IOERR;
}

gboolean
cd_http_is_transient(long http_code)
{
	if (http_code < 400 || http_code >= 500)
		return http_code == 0 || http_code >= 500;
	return http_code == 401 || http_code == 403 || http_code == 408 || http_code == 429;
}
