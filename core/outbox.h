/* outbox.h - everything caredesk sends, as rows written in the transaction of their cause.
 *
 * A message is rendered from its template when it is queued (what `caredesk outbox show` prints
 * is what goes out), gets a Message-ID that never changes (so replies thread even when delivery
 * is retried), and is suppressed, as a 'cancelled' row that says why, when the address bounces or
 * an automatic answer would exceed the per-recipient daily limit (RFC 3834). Delivery itself is
 * mailgw's (deliver.c); the bookkeeping of attempts, backoff and bounces is here. */
#ifndef CD_OUTBOX_H
#define CD_OUTBOX_H

#include "config.h"
#include "secret.h"
#include "store.h"

#include <json-glib/json-glib.h>

typedef struct cd_tmpl_set cd_tmpl_set;

/* [mail] settings for answering, with defaults. */
typedef struct {
	char *from_name;            /* display name on mail we send (default: "Customer Support") */
	gint64 auto_reply_per_day;  /* automatic answers to one address per 24 h (default 5) */
	gint64 bounce_limit;        /* hard bounces after which an address is 'bouncing' (default 3) */
	gint64 max_attempts;        /* delivery attempts before a row fails (default 10) */
	gint64 backoff_seconds;     /* first retry delay, doubled each time (default 60) */
	gint64 backoff_max_seconds; /* cap (default 6 h) */
	gint64 smtp_timeout_seconds;
	gint64 lease_seconds;       /* a row being sent is another deliverer's for this long: after a
	                             * crash it is sent again once that time ran out (default 300) */
	char *smtp_user;
	char *smtp_password;        /* read from smtp_password_file */
	char *starttls;             /* try (default), require, never */
	char *trusted_authserv;     /* when set: agent commands need Authentication-Results from it with a pass */
	gint64 forward_files_max_bytes; /* files that go with one mail, at most this many bytes in all
	                                 * (default 10 MiB; 0: none) */
} cd_mail_settings;

gboolean cd_mail_settings_load(const cd_config *cfg, cd_mail_settings *out, GError **error);
void cd_mail_settings_clear(cd_mail_settings *s);

typedef struct {
	cd_store *store;
	const cd_config *cfg;
	const cd_secret *secret;
	cd_tmpl_set *templates;     /* NULL: rows fail with "no templates" (and nothing else breaks) */
	const cd_mail_settings *mail;
} cd_outbox_ctx;

typedef struct {
	const char *channel;        /* "email" (default) or "sms" */
	const char *kind;           /* template kind: ticket_ack, agent_new_ticket, ... */
	const char *lang;           /* NULL: the customer's language, else English */
	const char *recipient;      /* address (normalised) or E.164 number */
	gint64 ticket_id, customer_id, agent_id, rma_id, cause_message_id;
	JsonObject *vars;           /* template variables; site.* and customer.* are added when missing */
	const char *reply_to;       /* Reply-To (a tokenised reply address) */
	const char *in_reply_to;    /* Message-ID without <> */
	GPtrArray *references;      /* char*: Message-IDs without <>, oldest first */
	gboolean auto_reply;        /* an automatic answer: Auto-Submitted: auto-replied, counted per day */
	gint64 files_of;            /* email: the stored attachments of this message go with it (as many
	                             * as fit in forward_files_max_bytes, in their order) */
	gboolean files_inline_too;  /* ... also those that were inline (images in the HTML) */
} cd_outbox_msg;

/* cd_outbox_enqueue - render and queue one message inside the caller's transaction. *row_id is the
 * new row (also for a suppressed one); *why, when not NULL, says why it will not be sent (static
 * text) or is NULL. A template that is missing or fails to render makes a 'failed' row and a
 * warning, not an error: the cause (a customer's mail) must still be taken. FALSE only on a
 * database error. */
gboolean cd_outbox_enqueue(const cd_outbox_ctx *ctx, const cd_outbox_msg *msg, gint64 *row_id, const char **why,
                           GError **error);

/* A file that goes with an outbound mail (an attachment stored with a message). */
typedef struct {
	char *filename;      /* may be NULL */
	char *content_type;
	GBytes *content;
} cd_outbox_file;

/* A row as delivery needs it. */
typedef struct {
	gint64 id;
	char *channel, *kind, *recipient, *subject, *body_text, *body_html, *headers, *message_id;
	gint64 attempts;
	gboolean auto_reply;
	GPtrArray *files;    /* cd_outbox_file*: what cd_outbox_load_files found; NULL: none */
} cd_outbox_row;

void cd_outbox_row_clear(cd_outbox_row *r);

/* cd_outbox_load_files - row->files: the attachments that go with the row, in order. */
gboolean cd_outbox_load_files(cd_store *store, cd_outbox_row *row, GError **error);

/* cd_outbox_claim - take up to max due rows of channel for delivery (one short transaction):
 * queued rows whose time came, and 'sending' rows whose lease ran out (a deliverer died). Each is
 * leased for lease_seconds. rows: cd_outbox_row*. */
gboolean cd_outbox_claim(cd_store *store, const char *channel, guint max, gint64 lease_seconds, GPtrArray **rows,
                         GError **error);

typedef enum {
	CD_SEND_OK,
	CD_SEND_TEMP,   /* retry with backoff */
	CD_SEND_PERM,   /* give up on this row */
} cd_send_result;

/* cd_outbox_record - what one attempt gave; sent rows get sent_at, temporary failures a later
 * next_attempt_at (exponential backoff) until max_attempts, permanent ones 'failed'. */
gboolean cd_outbox_record(cd_store *store, const cd_mail_settings *mail, gint64 row_id, gint64 attempts,
                          cd_send_result result, const char *detail, GError **error);

/* cd_outbox_next_due - seconds until the next queued row is due (0: now), -1 when none. */
gboolean cd_outbox_next_due(cd_store *store, const char *channel, gint64 *seconds, GError **error);

/* cd_outbox_retry - put a failed or cancelled row back in the queue, due now. */
gboolean cd_outbox_retry(cd_store *store, gint64 row_id, GError **error);

/* VERP: the envelope sender of row id, bounces+ID.MAC@domain, and the row a bounce address names
 * (0 when it is not one of ours or its MAC is wrong). */
char *cd_verp_address(const cd_secret *s, const char *domain, gint64 row_id);
gint64 cd_verp_row(const cd_secret *s, const char *address);

/* cd_outbox_bounce - a DSN for row_id: records its status on the row; a permanent failure (5.x.x)
 * counts a hard bounce for the address, which is marked bouncing at bounce_limit. */
gboolean cd_outbox_bounce(cd_store *store, const cd_mail_settings *mail, gint64 row_id, const char *status,
                          const char *action, GError **error);

/* SMS: the provider's id of a sent row (Twilio's MessageSid), and a delivery report for a row
 * (by id, else by provider_ref): delivery_status is set to status unless a final report came
 * first (reports may arrive out of order); a failed one (undelivered, rejected) also writes an
 * audit row. *found_row: the row it is for, 0 when none matched. */
typedef struct {
	const char *status;   /* delivered, undelivered, accepted by SMSC, ... */
	gboolean final;       /* delivered or not: no later report changes it */
	gboolean failed;
} cd_delivery_report;

gboolean cd_outbox_set_provider_ref(cd_store *store, gint64 row_id, const char *ref, GError **error);
gboolean cd_outbox_delivery_report(cd_store *store, gint64 row_id, const char *provider_ref,
                                   const cd_delivery_report *rep, gint64 *found_row, GError **error);

/* cd_outbox_message_id - a new Message-ID (without <>) for a message we send: random, on our domain. */
char *cd_outbox_message_id(const char *domain);

#endif
