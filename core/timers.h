/* timers.h - the workflow's timers, run by `caredesk tick` (cron) and by the long-running gateway:
 *
 *   - resolved tickets close after autoclose_days (since resolved_at);
 *   - tickets waiting for an agent (new or open, the customer wrote last, not spam, not an
 *     auto-reply) longer than their queue's sla_minutes are escalated once: escalated_at is set and
 *     the priority raised one step (urgent stays urgent);
 *   - authorized RMAs whose goods did not arrive within rma_return_days (since authorized_at) expire;
 *   - offers still new after valid_until expire;
 *   - pending activation codes after expires_at expire.
 *
 * The settings are the [workflow] group (workflow.h). Every change is a machine transition (or, for
 * escalation, a guarded UPDATE) with the timer as actor, audited. A run is one write transaction
 * (BEGIN IMMEDIATE; a savepoint when the caller already holds one) and each UPDATE names the state it
 * expects, so running twice, or twice at once, changes nothing more: the second run waits for the
 * write lock and then finds nothing due. */
#ifndef CD_TIMERS_H
#define CD_TIMERS_H

#include "config.h"
#include "store.h"

typedef struct {
	char *entity;     /* ticket, rma, offer, activation */
	char *ref;        /* T-000004, RMA-000002, OF-000001, activation 3 */
	char *action;     /* closed, escalated, expired */
	char *from;       /* old state (old priority for escalations) */
	char *to;
	char *note;
} cd_timer_action;

typedef struct {
	guint tickets_closed;
	guint tickets_escalated;
	guint rmas_expired;
	guint offers_expired;
	guint activations_expired;
	GPtrArray *actions;   /* of cd_timer_action, in the order done */
} cd_timer_stats;

/* cd_timers_run - run every timer as of `now` (Unix seconds; pass cd_now()). stats is filled (and
 * must be released with cd_timer_stats_clear, also after a failure). The last run's time is kept in
 * the settings table (timers_last_run). Config errors: CD_ERROR_CONFIG. */
gboolean cd_timers_run(cd_store *store, const cd_config *cfg, gint64 now, cd_timer_stats *stats, GError **error);

void cd_timer_stats_clear(cd_timer_stats *stats);

#endif
