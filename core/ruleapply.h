/* ruleapply.h - what the filter rules decided, applied to the ticket a message opened or joined:
 * queue and type (new tickets), priority, assignee, tags, captured fields (every ticket), and the
 * workflow the type starts: an RMA request (checked against the customer's orders) or an
 * activation code. Everything it changes is audited with the rule as the actor. */
#ifndef CD_RULEAPPLY_H
#define CD_RULEAPPLY_H

#include "config.h"
#include "rules.h"
#include "store.h"

/* cd_rule_customer_kind - "agent", "known" or "unknown": the customer field of the rules. */
const char *cd_rule_customer_kind(gboolean is_agent, gint64 customer_id);

/* cd_rule_customer_tags - the customer's tags (NULL-terminated, g_strfreev), for customer.tag. */
char **cd_rule_customer_tags(cd_store *store, gint64 customer_id, GError **error);

/* cd_rule_queue - the queue a decision names (created when missing), or fallback_queue_id. */
gboolean cd_rule_queue(cd_store *store, const cd_rule_decision *d, gint64 fallback_queue_id, gint64 *queue_id,
                       GError **error);

/* cd_rule_apply - apply d to the ticket. new_ticket: the message opened it (type applies then).
 * customer_id: whose request it is (RMAs and activations are checked against them). message_id:
 * the Message-ID of the mail the decision is about (an answer is threaded under it), or NULL.
 * *note: newly allocated text for the message's notes (RMA outcome, activation result), or NULL. */
gboolean cd_rule_apply(cd_store *store, const cd_config *cfg, const cd_rule_decision *d, gint64 ticket_id,
                       gboolean new_ticket, gint64 customer_id, const char *message_id, char **note, GError **error);

#endif
