/* notify.h - what caredesk tells people, and when: the acknowledgement of a new ticket, agent
 * notifications (new ticket, customer reply) with their tokenised reply address, an agent's reply
 * relayed to the customer, the result of an agent's commands, and the customer's side of RMA, order
 * and offer transitions. Each becomes an outbox row in the transaction of its cause.
 *
 * A program that answers installs a notifier once (cd_notify_install); without one every function
 * here does nothing, so tools and tests that must not send stay silent. */
#ifndef CD_NOTIFY_H
#define CD_NOTIFY_H

#include "rules.h"
#include "message.h"
#include "outbox.h"

/* cd_notify_install - answer through ob from now on (ob must outlive the notifier; NULL
 * uninstalls). Also observes workflow transitions. */
void cd_notify_install(const cd_outbox_ctx *ob);

/* cd_notify_setup - what a program that answers does at start: the [mail] settings into *mail,
 * the templates of cfg->templates_dir, ob filled and installed. A broken template folder is a
 * warning, not an error (rows that need it fail visibly in the outbox; mail is still taken); bad
 * [mail] settings are an error. cd_notify_teardown undoes it. */
gboolean cd_notify_setup(cd_outbox_ctx *ob, cd_mail_settings *mail, cd_store *store, const cd_config *cfg,
                         const cd_secret *secret, GError **error);
void cd_notify_teardown(cd_outbox_ctx *ob, cd_mail_settings *mail);
const cd_outbox_ctx *cd_notify_outbox(void);

/* cd_notify_new_ticket - a customer opened ticket_id with message m: an acknowledgement (an
 * automatic answer, unless never_answer) and a notification to every active agent. d (may be
 * NULL) is what the filter rules decided: its reply "KIND"s are sent instead of ticket_ack, its
 * sms "KIND"s by SMS to the customer's phone (when known). */
gboolean cd_notify_new_ticket(cd_store *store, gint64 ticket_id, gint64 message_id, const cd_message *m,
                              gboolean never_answer, const cd_rule_decision *d, GError **error);

/* cd_notify_sms - kind by SMS to number (E.164), an automatic answer: the ticket's variables
 * (ticket_id may be 0) and extra's members (may be NULL). lang NULL: the customer's language.
 * A new urgent or high ticket is also texted to agents with a phone (cd_notify_new_ticket). */
gboolean cd_notify_sms(cd_store *store, const char *kind, const char *number, gint64 ticket_id, gint64 customer_id,
                       gint64 message_id, JsonObject *extra, const char *lang, GError **error);

/* cd_notify_customer_reply - the customer wrote again: the assignee, or every active agent, plus
 * the agents d's notify actions name (an agent's login; a queue's name means every active agent);
 * d's reply "KIND"s go to the customer as automatic answers, its sms "KIND"s by SMS. */
gboolean cd_notify_customer_reply(cd_store *store, gint64 ticket_id, gint64 message_id, const cd_message *m,
                                  const cd_rule_decision *d, GError **error);

/* cd_notify_agent_reply - relay an agent's new text to the ticket's customer, from the support
 * address, threaded under the customer's last message. */
gboolean cd_notify_agent_reply(cd_store *store, gint64 ticket_id, gint64 agent_id, gint64 message_id, const char *text,
                               const char *html, GError **error);

/* cd_notify_command_result - tell an agent what their commands did, or why nothing changed.
 * results: cd_acmd_result* (agentcmd.h), may be NULL when refused as a whole. */
gboolean cd_notify_command_result(cd_store *store, gint64 ticket_id, gint64 agent_id, GPtrArray *results,
                                  gboolean refused, const char *reason, GError **error);

/* cd_notify_rma - tell the customer about an RMA: event is requested, authorized, rejected,
 * received or a resolution (refunded, replaced, repaired). */
gboolean cd_notify_rma(cd_store *store, gint64 rma_id, const char *event, GError **error);

/* cd_notify_offer_sent - the customer gets offer_sent: lines, total, validity, the web link. */
gboolean cd_notify_offer_sent(cd_store *store, gint64 offer_id, GError **error);

/* cd_notify_rma_not_opened - a return request that opened no RMA (no such order for the sender, no
 * order number): the ticket's customer gets rma_refused with the refusal (rma.ref is empty), an
 * automatic answer threaded under the request (in_reply_to, its Message-ID, may be NULL). The same
 * refusal is not sent twice on one ticket. */
gboolean cd_notify_rma_not_opened(cd_store *store, gint64 ticket_id, const char *in_reply_to, const char *order_ref,
                                  const char *reason, const char *refusal, GError **error);
/* cd_notify_rma_need_order - a return request without an order number (nor a serial that names
 * one): the customer is asked which order, once per ticket, as an automatic answer threaded under
 * the request (in_reply_to may be NULL). Their reply joins the ticket, where the rules open the RMA. */
gboolean cd_notify_rma_need_order(cd_store *store, gint64 ticket_id, const char *in_reply_to, const char *reason,
                                  GError **error);
/* cd_notify_activation - the activation code or link of a pending customer: by SMS to their phone
 * (channel "sms") or by mail (anything else). code and link may be NULL. A mailed code also says
 * that replying to the mail activates (the activation filter rule finds the quoted code). */
gboolean cd_notify_activation(cd_store *store, gint64 customer_id, const char *channel, const char *code,
                              const char *link, gint minutes, GError **error);

/* cd_notify_password_reset - the reset link, by mail to the customer's address. */
gboolean cd_notify_password_reset(cd_store *store, gint64 customer_id, const char *link, gint minutes,
                                  GError **error);

/* Offers accepted or rejected (by any channel) notify the ticket's assignee, else every active
 * agent (agent_offer_decided), through the workflow observer. */

#endif
