/* custmerge.h - the life's end of customer accounts: merging duplicates into one, erasing a
 * person (right to be forgotten) and finding accounts nobody used for a long time.
 *
 * Each runs inside the caller's transaction (BEGIN IMMEDIATE) and writes its audit rows there. */
#ifndef CD_CUSTMERGE_H
#define CD_CUSTMERGE_H

#include "audit.h"
#include "store.h"

/* cd_customer_merge - move everything of `other` to `primary` (every row of any table that refers
 * to customers: orders, offers, tickets, RMAs, messages, outbox, activations, contacts, notes,
 * addresses, tags), then delete `other`. Its address and number become contacts of the primary
 * (so their mail threads to the primary's tickets) unless the primary has none, then they fill the
 * primary's empty fields; a customer_merges row keeps what `other` was. *moved (newly allocated,
 * may be NULL) says what moved, e.g. "2 orders, 1 ticket, 1 contact". */
gboolean cd_customer_merge(cd_store *store, const cd_actor *actor, gint64 primary, gint64 other, char **moved,
                           GError **error);

typedef struct {
	int messages;       /* messages anonymised */
	int raw_messages;   /* raw bytes removed (the customer's own) or redacted (others' mentioning them) */
	int attachments;    /* attachments removed */
	int outbox;         /* outbox rows anonymised (queued ones cancelled) */
	int scrubbed;       /* other text fields in which an address, number or name was replaced */
	int orders;         /* orders kept */
	int rmas;           /* RMAs kept */
} cd_erase_counts;

/* cd_customer_erase - remove or anonymise every piece of personal data of the customer: email,
 * phone, name and company; contacts, addresses, notes, merge history details; the text, addresses
 * and raw bytes of their messages and attachments; outbox rows to them; audit notes and actors
 * naming them; the same strings anywhere else (other messages' headers and raw bytes, rule notes,
 * RMA notes, ticket fields). Orders, order lines, RMAs, offers and tickets are kept (anonymised),
 * so counts and reports stay right. An order still open (new, paid, shipped) refuses with
 * CD_ERROR_INVALID unless force. Audited as "erased" without any of the removed data.
 * Run with PRAGMA secure_delete on (cd_customer_erase_begin) so freed pages hold no copy. */
gboolean cd_customer_erase(cd_store *store, const cd_actor *actor, gint64 customer_id, gboolean force,
                           cd_erase_counts *counts, GError **error);

/* cd_customer_erase_prepare - PRAGMA secure_delete = ON on this connection (before BEGIN).
 * cd_customer_erase_finish - after COMMIT: checkpoint the WAL and truncate it, so no old page
 * version stays in caredesk.db-wal; FALSE (a warning) when readers kept it from completing. */
gboolean cd_customer_erase_prepare(cd_store *store, GError **error);
gboolean cd_customer_erase_finish(cd_store *store, GError **error);

/* cd_customer_inactive - customers (not erased) with no activity since `before` (Unix seconds):
 * created before it and no ticket, message, order, offer, RMA or activation touched since, in
 * ids (gint64), oldest activity first; last (gint64, may be NULL) gets each one's last activity. */
gboolean cd_customer_inactive(cd_store *store, gint64 before, GArray *ids, GArray *last, GError **error);

/* cd_customer_has_open_order - whether an order of the customer is new, paid or shipped. */
gboolean cd_customer_has_open_order(cd_store *store, gint64 customer_id, gboolean *open, GError **error);

#endif
