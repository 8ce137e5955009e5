/* agentcmd.h - commands at the top of an agent's mail reply (`#status resolved`, `#assign ana`,
 * `#rma refund 49,90`, ...): parsing them off the reply text, and applying them to the ticket as the
 * agent, all or nothing. The mail side (token check, relaying the body, telling the agent) is not
 * here; neither are #note (the body becomes an internal note) and #customer (a ticket opened on a
 * customer's behalf), which are parsed here and carried out by the caller.
 *
 * Syntax: the command block is the lines at the top of the text that start with '#' and a letter
 * (leading blank lines and indentation allowed, blank lines between commands too); the first
 * other non-empty line ends it and starts the body. A '#' line after the block is body, and so is
 * a first line like "#1 in the list" ('#' not followed by a letter). Command words are
 * case-insensitive (a trailing ':' is tolerated: "#status: solved"); arguments are separated by
 * blanks and may be quoted with "..." (\" and \\ inside) or with typographic quotes. At most
 * CD_ACMD_MAX_COMMANDS commands, each line at most CD_ACMD_MAX_LINE bytes. */
#ifndef CD_AGENTCMD_H
#define CD_AGENTCMD_H

#include "store.h"

#define CD_ACMD_MAX_COMMANDS 20
#define CD_ACMD_MAX_LINE 1000

typedef enum {
	CD_ACMD_STATUS,
	CD_ACMD_CLOSE,
	CD_ACMD_ASSIGN,
	CD_ACMD_PRIORITY,
	CD_ACMD_QUEUE,
	CD_ACMD_NOTE,
	CD_ACMD_RMA,
	CD_ACMD_CUSTOMER,
	CD_ACMD_TAG
} cd_acmd_kind;

/* One command. word: the command word, canonical and lower-case ("status", "close", "assign",
 * "priority", "queue", "note", "rma", "customer", "tag"). args (NULL-terminated), normalised:
 *   status   {state}                  a state of cd_ticket_machine ("resolved" for "solved")
 *   close    {}
 *   assign   {login | "me" | "none"}
 *   priority {priority}               one of cd_ticket_priorities
 *   queue    {name}                   as written (matched case-insensitively when applied)
 *   note     {text} or {}             the text on the line
 *   rma      {step} or {step, value}  step: authorize, reject, receive, inspect, refund, replace,
 *                                     repair, close; value: the reason (reject), the amount as
 *                                     written (refund), the line number (authorize LINE)
 *   customer {address}               normalised, lower-case
 *   tag      {"+tag" | "-tag", ...}   lower-case, the sign always given
 * line: 1-based line of the text; source: that line as written (without its line break). */
typedef struct {
	cd_acmd_kind kind;
	char *word;
	char **args;
	guint line;
	char *source;
	/* parsed values of #rma */
	gint64 rma_id;  /* #rma RMA-000045 ...: that RMA's id; 0: the ticket's own */
	gint64 cents;   /* #rma refund AMOUNT */
	gint line_no;   /* #rma authorize LINE; 0: as the request said */
} cd_acmd;

typedef struct {
	GPtrArray *cmds;   /* cd_acmd*, in the order written */
	char *body;        /* the text after the block, trimmed (never NULL after a successful parse); with
	                    * #note, the note texts come first, one a line, then a blank line */
	gboolean internal; /* #note: the whole reply is an internal note, never sent to the customer */
	char *customer;    /* #customer address, normalised lower-case, or NULL */
} cd_acmd_block;

/* cd_acmd_parse - split text (UTF-8; invalid sequences are replaced; NULL is empty) into commands
 * and body. Never fails on body text; a malformed command line is CD_ERROR_INVALID naming the line
 * ("line 2: #priority needs one of low, normal, high, urgent", "line 1: unknown command #foo").
 * *out is always initialised (empty on failure); clear it with cd_acmd_block_clear. */
gboolean cd_acmd_parse(const char *text, cd_acmd_block *out, GError **error);
void cd_acmd_block_clear(cd_acmd_block *b);

/* One result per command, in order. ok: the command's change stands (or, for #note and #customer,
 * it is left to the caller). failed: this is the command that made the block fail (for a refused
 * agent, every command). text: what happened or why not, for the agent. */
typedef struct {
	char *command;  /* the command line as written, trimmed */
	gboolean ok;
	char *text;
	gboolean failed;
} cd_acmd_result;

/* cd_acmd_apply - apply every command to ticket_id as the agent (actor kind "agent", channel
 * "email"), inside the caller's transaction, all or nothing: on the first failure every change is
 * rolled back (savepoint), one audit row 'agent_command_refused' on the ticket, with the reason, is
 * written after the rollback, *all_ok is FALSE and results say which command failed and why; the
 * others read "undone" or "not tried". On success every change is audited by the workflow as usual.
 * #note and #customer are not applied here and yield ok results. The agent must exist and be
 * active, the ticket must exist; a status the ticket already has, a priority, assignee or queue it
 * already has, are no-ops that succeed. #rma acts on the RMA named, which must be the ticket's or
 * its customer's, else on the ticket's RMA (of several, the newest not rejected or closed).
 * A block without commands changes nothing and is ok. Returns FALSE only on a database error
 * (GError, classified by core/result.h; the savepoint is rolled back, no refusal row written).
 * results: cd_acmd_result*, free with cd_acmd_results_free. */
gboolean cd_acmd_apply(cd_store *store, const cd_acmd_block *block, gint64 ticket_id, gint64 agent_id,
                       GPtrArray **results, gboolean *all_ok, GError **error);
void cd_acmd_results_free(GPtrArray *results);

/* cd_acmd_help - the commands, one a line, for notification mails. */
const char *cd_acmd_help(void);

#endif
