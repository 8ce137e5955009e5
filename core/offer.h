/* offer.h - offers to customers (quotes): creating one with its lines, finding it, and the
 * customer's decision; expiry past valid_until is a timer (timers.c). States and transitions are
 * cd_offer_machine (workflow.h); every change is audited with the customer's id. Refs: OF-000001
 * unless the caller brings its own (the shop's quote number). */
#ifndef CD_OFFER_H
#define CD_OFFER_H

#include "audit.h"
#include "store.h"

typedef struct {
	const char *sku;
	const char *description;     /* may be NULL */
	gint quantity;               /* > 0 */
	gint64 unit_price_cents;     /* >= 0 */
} cd_offer_line_data;

typedef struct {
	const char *ref;             /* NULL: OF-%06d of the id */
	gint64 customer_id;
	gint64 ticket_id;            /* 0: none */
	const char *title;           /* may be NULL */
	const char *currency;        /* NULL: EUR */
	gint64 valid_until;          /* 0: unlimited */
	const cd_offer_line_data *lines;
	guint n_lines;               /* at least one */
} cd_offer_data;

/* cd_offer_create - a new offer in state new; CD_ERROR_INVALID for bad lines, a validity in the past,
 * an unknown customer or a ref in use. *ref_out (may be NULL): its reference, newly allocated. */
gboolean cd_offer_create(cd_store *store, const cd_offer_data *data, const cd_actor *actor, gint64 *offer_id,
                         char **ref_out, GError **error);

/* cd_offer_find - the id of an offer by reference (case-insensitive); CD_ERROR_NOTFOUND when none. */
gboolean cd_offer_find(cd_store *store, const char *ref, gint64 *offer_id, GError **error);

/* cd_offer_decide - the customer accepts or rejects (to: "accepted" or "rejected"), with an optional
 * comment kept as decision_comment. An offer past valid_until cannot be accepted (CD_ERROR_INVALID
 * saying until when it was valid) even before the timer expired it. */
gboolean cd_offer_decide(cd_store *store, gint64 offer_id, const char *to, const char *comment, const cd_actor *actor,
                         GError **error);

#endif
