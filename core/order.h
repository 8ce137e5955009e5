/* order.h - orders and their lines as the shop sends them (import files, the shop's API): creating
 * or updating an order idempotently (the same data twice changes nothing), matching or creating its
 * customer by address, and moving it through cd_order_machine (workflow.h). Lines are added and
 * updated by line number, never deleted: RMAs point at them. */
#ifndef CD_ORDER_H
#define CD_ORDER_H

#include "audit.h"
#include "customer.h"
#include "store.h"

typedef struct {
	gint line_no;                /* 0: its position in the order (1, 2, ...) */
	const char *sku;
	const char *description;     /* may be NULL */
	gint quantity;               /* > 0 */
	gint64 unit_price_cents;     /* >= 0 */
	gint warranty_days;          /* < 0: the default, 730 */
	const char *serial;          /* may be NULL */
	gint64 delivered_at;         /* 0: not known (the order's counts) */
} cd_order_line_data;

typedef struct {
	const char *ref;             /* the shop's order number, e.g. "A1001" (case-insensitive) */
	const char *email;           /* the customer: matched by address, then by contact address; else created pending */
	const char *customer_name;   /* may be NULL; fills an empty name of an existing customer */
	const char *status;          /* NULL: new (for a new order) or unchanged (for an existing one) */
	const char *currency;        /* NULL: EUR; three capital letters */
	gint64 ordered_at;           /* 0: now (new orders) or unchanged */
	gint64 delivered_at;         /* 0: not known (delivered orders without it get the time of import) */
	const char *source;          /* where it came from ("orders.csv"); kept on the order and in the audit note */
	const cd_order_line_data *lines;
	guint n_lines;               /* at least one */
} cd_order_data;

typedef enum { CD_ORDER_CREATED, CD_ORDER_UPDATED, CD_ORDER_UNCHANGED } cd_order_change;

/* cd_order_upsert - create the order or bring it up to date. Invalid data, an order of another
 * customer, or a status change the machine forbids: CD_ERROR_INVALID with a message naming the
 * field. Audited (created / updated / status) with the customer's id. */
gboolean cd_order_upsert(cd_store *store, const cd_order_data *data, const cd_actor *actor, cd_order_change *change,
                         gint64 *order_id, GError **error);

/* cd_order_find - the id of an order by reference (case-insensitive, a leading '#' ignored);
 * CD_ERROR_NOTFOUND when there is none. */
gboolean cd_order_find(cd_store *store, const char *ref, gint64 *id, GError **error);

/* cd_order_set_status - move the order through cd_order_machine (delivered stamps delivered_at). */
gboolean cd_order_set_status(cd_store *store, gint64 order_id, const char *status, const cd_actor *actor,
                             const char *note, GError **error);

/* cd_order_info - the order's own row. cd_order_load finds it by ref (or, when ref is NULL, by id);
 * *found says whether it exists. */
typedef struct {
	gint64 id;
	gint64 customer_id;
	char *ref;
	char *status;
	char *currency;
	gint64 ordered_at;
	gint64 delivered_at;  /* 0: not delivered */
} cd_order_info;

gboolean cd_order_load(cd_store *store, const char *ref, gint64 id, cd_order_info *o, gboolean *found, GError **error);
void cd_order_info_clear(cd_order_info *o);

#endif
