/* agentmail.h - an agent's mail to a ticket: who may act, and what their reply does.
 *
 * An agent is verified only by the reply token in the address the mail was sent to (made for that
 * agent's address and that ticket), and, when [mail] trusted_authserv is set, by a DKIM or SPF
 * pass in an Authentication-Results header that host added. A verified agent's reply runs its
 * commands (agentcmd.h; all or nothing), then relays its new text to the customer and sets the
 * ticket pending; #note keeps it internal. Commands in a mail that claims to be from an agent but
 * is not verified change nothing: the attempt is audited and the real agent is told. */
#ifndef CD_AGENTMAIL_H
#define CD_AGENTMAIL_H

#include "customer.h"
#include "ingest.h"
#include "thread.h"

/* cd_agentmail_verified - whether m, from sender, threaded by match, is a verified agent's. */
gboolean cd_agentmail_verified(const cd_ingest_ctx *ctx, const cd_message *m, const cd_sender *sender,
                               const cd_thread_match *match);

/* cd_agentmail_reply - a verified agent's mail to ticket_id: store it, run its commands, relay it,
 * answer the agent. Fills out like cd_ingest_message. */
gboolean cd_agentmail_reply(cd_ingest_ctx *ctx, gint64 raw_id, cd_message *m, const cd_sender *sender,
                            const char *from, gint64 ticket_id, cd_ingest_outcome *out, GError **error);

/* cd_agentmail_refuse_forged - m claims an agent's address, is not verified, and starts with
 * commands: audit it and tell the agent whose address it used. No-op when there are no commands. */
gboolean cd_agentmail_refuse_forged(cd_ingest_ctx *ctx, const cd_message *m, const cd_sender *sender,
                                    gint64 ticket_id, const char *why, GError **error);

#endif
