/* mime.h - parsing an RFC 5322 message with GMime into a cd_message.
 *
 * Safe to call from several threads at once after cd_mime_init(). Never fails: a message
 * GMime cannot parse comes back with parsed = FALSE and its bytes as text. */
#ifndef CD_MIME_H
#define CD_MIME_H

#include "html.h"
#include "message.h"

typedef struct {
	gsize max_attachment_bytes;  /* larger attachments: recorded, bytes not kept */
	guint max_nesting;           /* message/rfc822 depth that is still opened */
	cd_html_limits html;
} cd_mime_options;

void cd_mime_init(void);
void cd_mime_options_default(cd_mime_options *opt);

cd_message *cd_mime_parse(const void *bytes, gsize len, const cd_mime_options *opt);

/* cd_mime_unparsed - a message made of the raw bytes shown as text, without GMime: the last
 * resort when processing failed, so the message still reaches an agent. */
cd_message *cd_mime_unparsed(const void *bytes, gsize len, const char *reason);

/* cd_mime_safe_filename - a sender's file name as its last path component (after / or \), valid
 * UTF-8, no control characters; NULL when nothing is left (empty, ".", ".."). */
char *cd_mime_safe_filename(const char *name);

#endif
