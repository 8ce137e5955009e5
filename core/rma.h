/* rma.h - return requests (RMAs): the authorisation checks a request from mail, SMS, web or an
 * admin goes through, and the steps agents take afterwards (authorize, reject, receive, inspect,
 * refund / replace / repair, close). Every step is a transition of cd_rma_machine (workflow.h),
 * audited with the customer's id so their history shows it. References look like RMA-000045.
 *
 * The checks, in order: the order exists and belongs to the customer (else a refusal and no RMA
 * row: a stranger authorises nothing and learns nothing, so unknown and foreign orders get the same
 * answer); the order was not cancelled; the line exists; the quantity is at most what was bought
 * minus what is already returned or asked for (RMAs not rejected or expired); the line's warranty
 * window (warranty_days from the line's, else the order's delivered_at; not delivered yet counts
 * as within) has not passed. A check that fails after ownership leaves a rejected RMA with its
 * refusal_reason, the text the customer is told. */
#ifndef CD_RMA_H
#define CD_RMA_H

#include "audit.h"
#include "store.h"

/* The request. (Named cd_rma_req, not cd_rma_request: C does not allow a type and a function of the
 * same name, and the function keeps the name callers know.) */
typedef struct {
	gint64 customer_id;       /* who asks (0: unknown sender) */
	const char *order_ref;    /* e.g. "A1001" (case-insensitive, a leading '#' ignored); NULL: not given */
	const char *sku;          /* optional: which line */
	const char *serial;       /* optional */
	gint line_no;             /* optional: 0 = infer (an order with one line; else by sku/serial; else ambiguous) */
	gint quantity;            /* 0 = 1 */
	const char *reason;       /* free text */
	gint64 ticket_id;         /* the ticket the request came with (0: none) */
} cd_rma_req;

typedef enum { CD_RMA_AUTHORIZED, CD_RMA_REQUESTED, CD_RMA_REFUSED } cd_rma_outcome;

/* cd_rma_request - run the checks above. Passing all checks: authorized when auto_authorize, else
 * requested (an agent decides). Requested too, with a note for the agent (rmas.agent_note), when the
 * line cannot be told (several lines and nothing that picks one) or the serial given differs from
 * the one shipped. Without order_ref, a serial that matches exactly one line of the customer's
 * orders picks it; otherwise the request is refused (no row) asking for the order number.
 * *outcome, *rma_id (0 when no row was made) and *refusal: newly allocated reason the customer is
 * told (NULL when not refused). FALSE only for store errors. */
gboolean cd_rma_request(cd_store *store, const cd_rma_req *req, gboolean auto_authorize, const cd_actor *actor,
                        cd_rma_outcome *outcome, gint64 *rma_id, char **refusal, GError **error);

/* cd_rma_find - the id of "RMA-000045", "rma-45" or "45"; CD_ERROR_NOTFOUND when there is no such RMA. */
gboolean cd_rma_find(cd_store *store, const char *ref, gint64 *id, GError **error);

/* cd_rma_authorize - an agent authorizes a requested RMA. line_no > 0 picks (or changes) the order
 * line, needed when the request did not say. The quantity and warranty checks run again (another
 * request may have been authorized meanwhile); override skips them and says so in the audit note.
 * A failed check is CD_ERROR_INVALID with the reason. */
gboolean cd_rma_authorize(cd_store *store, gint64 rma_id, gint line_no, gboolean override, const cd_actor *actor,
                          const char *note, GError **error);

/* cd_rma_reject - requested (or inspected) -> rejected; reason is what the customer is told. */
gboolean cd_rma_reject(cd_store *store, gint64 rma_id, const char *reason, const cd_actor *actor, GError **error);

/* cd_rma_refund - inspected -> refunded with the amount. More than was paid for the returned
 * quantity is CD_ERROR_INVALID unless override. When every line of the order is refunded in full,
 * the order goes to returned. */
gboolean cd_rma_refund(cd_store *store, gint64 rma_id, gint64 cents, gboolean override, const cd_actor *actor,
                       const char *note, GError **error);

/* cd_rma_set_status - the steps without data: received, inspected, replaced, repaired, closed,
 * expired; authorized as cd_rma_authorize without a line or override. rejected and refunded need a
 * reason or an amount: CD_ERROR_USAGE here. */
gboolean cd_rma_set_status(cd_store *store, gint64 rma_id, const char *to, const cd_actor *actor, const char *note,
                           GError **error);

#endif
