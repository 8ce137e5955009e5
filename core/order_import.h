/* order_import.h - orders from the shop in a file (or an HTTP body): CSV or JSON into cd_order_upsert
 * (order.h), one transaction for the whole import. A bad row is reported with its line (and column
 * or field) and its order skipped; strict: any problem and nothing is imported (all or nothing).
 * Importing the same file twice changes nothing the second time.
 *
 * CSV (RFC 4180, see csv.h): a header row names the columns, in any order (case-insensitive);
 * one row per order line, the order's columns repeated on each of its rows (rows of one order need
 * not be adjacent). Columns:
 *   order_ref *      the shop's order number (alias: order, ref)
 *   email *          the customer's address: matched to a customer or a contact, else a new pending one
 *   name             the customer's name (alias: customer_name)
 *   status           new, paid, shipped, delivered, cancelled, returned (default new; a change moves the order)
 *   currency         EUR (default), USD, ...
 *   ordered_at       2026-05-01, 2026-05-01 10:30, 2026-05-01T10:30:00Z or Unix seconds (default: now)
 *   delivered_at     as ordered_at; the warranty counts from it
 *   line_no          1, 2, ... (default: the row's position in its order)
 *   sku *            the item
 *   description      what it is ("PX-200 printer")
 *   quantity *       1 or more (alias: qty)
 *   unit_price       49.90 (alias: price; default 0)
 *   warranty_days    default 730
 *   serial           serial number shipped
 *   line_delivered_at  when this line was delivered, if not with the order
 * (* required)
 *
 * JSON: an array of orders, or {"orders": [...]}. An order: {"ref", "email" (or "customer":
 * {"email", "name"}), "name", "status", "currency", "ordered_at", "delivered_at", "lines": [{"line_no",
 * "sku", "description", "quantity", "unit_price" (number or "49.90") or "unit_price_cents",
 * "warranty_days", "serial", "delivered_at"}]}; times as strings in the forms above or Unix seconds.
 * Unknown columns and members are errors (a typo must not pass silently). */
#ifndef CD_ORDER_IMPORT_H
#define CD_ORDER_IMPORT_H

#include "audit.h"
#include "store.h"

typedef enum { CD_IMPORT_AUTO, CD_IMPORT_CSV, CD_IMPORT_JSON } cd_import_format;

typedef struct {
	guint orders_created;
	guint orders_updated;
	guint orders_unchanged;
	guint orders_skipped;
	guint lines;          /* lines of the orders taken in */
	GPtrArray *problems;  /* char *: "orders.csv:7: column quantity: 'x' is not a whole number >= 1; order A1003 skipped" */
} cd_import_stats;

/* progress: called after each order with (done, total). */
typedef void (*cd_import_progress)(guint done, guint total, gpointer user_data);

/* cd_order_import - import data (name: the file name used in messages; AUTO picks the format by the
 * name's extension, else by the first character). Returns FALSE with CD_ERROR_INVALID when the file
 * cannot be read at all (bad JSON, unknown or missing CSV columns) or, when strict, when any row had
 * a problem (stats->problems lists them all; nothing was imported); store errors as they come. The
 * import runs in its own transaction. stats must be released with cd_import_stats_clear. */
gboolean cd_order_import(cd_store *store, const char *name, const char *data, gsize len, cd_import_format format,
                         gboolean strict, const cd_actor *actor, cd_import_progress progress, gpointer user_data,
                         cd_import_stats *stats, GError **error);

void cd_import_stats_clear(cd_import_stats *stats);

#endif
