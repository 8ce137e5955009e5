/* compose.h - the bytes of an outbound email, built with GMime from an outbox row: From the support
 * address, multipart/alternative text and HTML, RFC 2047 subject, the row's stable Message-ID,
 * threading headers, X-Loop, and Auto-Submitted for automatic mail. No value can start a header:
 * CR and LF in anything that came from a message or a user become spaces (cd_header_value). */
#ifndef CD_COMPOSE_H
#define CD_COMPOSE_H

#include "outbox.h"

typedef struct {
	const char *from_address;  /* the support address */
	const char *from_name;
	gboolean crlf;             /* CRLF line ends (SMTP) or LF (sendmail) */
} cd_compose_opts;

/* cd_compose_email - the message for row; NULL and error when the row cannot make one. */
GBytes *cd_compose_email(const cd_outbox_row *row, const cd_compose_opts *opts, GError **error);

/* cd_header_value - value as one header-safe line: CR, LF and other control characters become
 * spaces, runs of them one space, ends trimmed. */
char *cd_header_value(const char *value);

#endif
