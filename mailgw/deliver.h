/* deliver.h - outbound mail: takes due outbox rows and hands them to an SMTP server (libcurl:
 * smtp://, smtps://, STARTTLS, AUTH) or to sendmail, then records each attempt. Rows are leased,
 * not locked: a deliverer that dies leaves rows that another takes once the lease runs out. */
#ifndef MAILGW_DELIVER_H
#define MAILGW_DELIVER_H

#include "engine.h"
#include "outbox.h"

typedef struct mailgw_deliverer mailgw_deliverer;

/* mailgw_deliverer_new - reads [mail] smtp_url or sendmail; error when neither is set. */
mailgw_deliverer *mailgw_deliverer_new(engine_ctx *e, GError **error);
void mailgw_deliverer_free(mailgw_deliverer *d);

/* mailgw_deliver_due - one round: claim up to max due email rows and try each once. *sent and
 * *failed (either may be NULL) count this round's outcomes (temporary failures count in neither).
 * FALSE only when the database failed. */
gboolean mailgw_deliver_due(mailgw_deliverer *d, guint max, guint *sent, guint *failed, GError **error);

/* mailgw_deliver_next_due - seconds until the next row is due, -1 when none. */
gint64 mailgw_deliver_next_due(mailgw_deliverer *d);

int engine_deliver_main(int argc, char **argv);

#endif
