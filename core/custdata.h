/* custdata.h - what we keep about a customer beyond who they are (customer.h): search by any
 * criterion, settings and group, tags, staff notes, postal addresses. Every change is audited in
 * the caller's transaction. Merging and erasing accounts live in custmerge.h. */
#ifndef CD_CUSTDATA_H
#define CD_CUSTDATA_H

#include "audit.h"
#include "store.h"

/* A search: every criterion set must hold (NULL / 0: not a criterion). Text criteria match a part
 * of the value, ignoring case; phone matches the digits only; refs match exactly. */
typedef struct {
	const char *email;        /* the customer's address or one of their contacts' */
	const char *name;         /* the customer's or a contact's name */
	const char *phone;        /* the customer's number or a phone contact */
	const char *company;
	const char *tag;          /* exactly this tag (any case) */
	const char *group;        /* exactly this customer group */
	const char *order_ref;    /* owns this order */
	const char *ticket_ref;   /* T-000123: owns this ticket */
	const char *rma_ref;      /* RMA-000045: owns this RMA */
	const char *status;       /* pending, active, disabled, or erased */
	gint64 created_from;      /* created at or after (Unix seconds; 0: no bound) */
	gint64 created_to;        /* created before */
	int limit;                /* 0: 1000 */
} cd_customer_query;

/* cd_customer_search - ids of the matching customers, oldest first, into ids (gint64). A bad ref
 * or status is CD_ERROR_USAGE. */
gboolean cd_customer_search(cd_store *store, const cd_customer_query *q, GArray *ids, GError **error);

/* Settings a customer or an admin may change; NULL leaves a field as it is, "" clears it. */
typedef struct {
	const char *name;
	const char *phone;
	const char *company;
	const char *language;
	const char *notify_channel;  /* email or sms */
	const char *group;           /* the customer group (activation policy, rules) */
} cd_customer_settings;

gboolean cd_customer_update(cd_store *store, const cd_actor *actor, gint64 customer_id,
                            const cd_customer_settings *set, GError **error);

/* cd_customer_group - the customer's group, NULL when none (newly allocated in *group). */
gboolean cd_customer_group(cd_store *store, gint64 customer_id, char **group, GError **error);

/* Tags (rules test them with customer.tag). Adding a tag it has, or removing one it lacks, is a
 * no-op without an audit row; *changed says whether anything happened. */
gboolean cd_customer_tag_add(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *tag,
                             gboolean *changed, GError **error);
gboolean cd_customer_tag_remove(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *tag,
                                gboolean *changed, GError **error);

/* Staff notes: author is actor->actor. Edit and delete name the note by id; an unknown id is
 * CD_ERROR_NOTFOUND. *customer_id (when not NULL) receives the note's customer. */
gboolean cd_customer_note_add(cd_store *store, const cd_actor *actor, gint64 customer_id, const char *body,
                              gint64 *note_id, GError **error);
gboolean cd_customer_note_edit(cd_store *store, const cd_actor *actor, gint64 note_id, const char *body,
                               gint64 *customer_id, GError **error);
gboolean cd_customer_note_delete(cd_store *store, const cd_actor *actor, gint64 note_id, gint64 *customer_id,
                                 GError **error);

typedef struct {
	const char *kind;  /* postal (default), invoice (billing) or shipping */
	const char *name, *street, *postcode, *city, *country;
} cd_customer_address;

gboolean cd_customer_address_add(cd_store *store, const cd_actor *actor, gint64 customer_id,
                                 const cd_customer_address *addr, gint64 *address_id, GError **error);
gboolean cd_customer_address_remove(cd_store *store, const cd_actor *actor, gint64 address_id, GError **error);

#endif
