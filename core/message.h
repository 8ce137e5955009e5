/* message.h - an inbound message as the pipeline sees it after parsing: decoded headers,
 * UTF-8 text, sanitised HTML, attachments and the edge facts that classify it.
 *
 * Built by mime.c (email) or sms.c (later), from plain data so that parsing can run on
 * worker threads and the database writer never touches GMime. */
#ifndef CD_MESSAGE_H
#define CD_MESSAGE_H

#include <glib.h>

typedef struct {
	char *name;
	char *value; /* decoded, unfolded, valid UTF-8 */
} cd_header;

typedef struct {
	char *filename;      /* valid UTF-8, no path, may be NULL */
	char *content_type;  /* lower-case type/subtype */
	char *content_id;
	gboolean is_inline;
	gsize size;
	char sha256[65];
	GBytes *data;        /* NULL when over the size limit */
	char *note;          /* why it is special: oversized, from winmail.dat, nested message, ... */
} cd_attachment;

typedef struct {
	char *addr;  /* normalised (lower-case) */
	char *name;  /* display name, may be NULL */
} cd_address;

typedef struct {
	char sha256[65];
	gsize raw_size;
	gboolean parsed;         /* FALSE: GMime could not parse it; text holds the raw bytes as text */

	cd_address from;         /* addr NULL when missing or unusable */
	char *reply_to;
	GPtrArray *to;           /* cd_address* */
	GPtrArray *cc;           /* cd_address* */
	char *subject;           /* decoded, single line */
	char *message_id;        /* without <> */
	char *in_reply_to;       /* first id, without <> */
	GPtrArray *references;   /* char* ids without <>, oldest first */
	gint64 date;             /* Unix seconds, 0 when missing */
	GPtrArray *headers;      /* cd_header*, top-level, in order */

	char *text;              /* all of the text (UTF-8): text/plain parts, else HTML made text */
	char *reply_text;        /* the new text: text without quoted history and signature */
	char *html;              /* sanitised HTML for display, NULL when there was none */
	GPtrArray *attachments;  /* cd_attachment* */
	GPtrArray *notes;        /* char*: what parsing had to work around */

	/* DSN facts (multipart/report; report-type=delivery-status) */
	gboolean is_dsn;
	char *dsn_original_message_id;
	char *dsn_status;        /* e.g. 5.1.1 */
	char *dsn_recipient;
	char *dsn_action;        /* failed, delayed, delivered, ... */
} cd_message;

cd_message *cd_message_new(void);
void cd_message_free(cd_message *m);
void cd_message_note(cd_message *m, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* cd_message_header - the first header of that name (case-insensitive), or NULL. */
const char *cd_message_header(const cd_message *m, const char *name);

void cd_attachment_free(cd_attachment *a);
void cd_address_free(cd_address *a);

#endif
