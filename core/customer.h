/* customer.h - who a sender is: a known customer, one of their contacts, an agent (by address
 * only: that proves nothing), or nobody we know yet; and creating pending customers. */
#ifndef CD_CUSTOMER_H
#define CD_CUSTOMER_H

#include "audit.h"
#include "store.h"

typedef enum {
	CD_SENDER_UNKNOWN,
	CD_SENDER_CUSTOMER,
	CD_SENDER_CONTACT,
	CD_SENDER_AGENT,     /* From: matches an agent; only a reply token makes it verified */
} cd_sender_kind;

typedef struct {
	cd_sender_kind kind;
	gint64 customer_id;  /* the customer (or whose contact it is) */
	gint64 agent_id;
} cd_sender;

/* cd_sender_lookup - addr must be normalised (lower case). */
gboolean cd_sender_lookup(cd_store *store, const char *addr, cd_sender *out, GError **error);

/* cd_sender_lookup_phone - the same for an E.164 number: an active agent's phone, a customer's
 * phone, a contact of kind phone. */
gboolean cd_sender_lookup_phone(cd_store *store, const char *number, cd_sender *out, GError **error);

/* cd_customer_create - a new customer; status pending, active or disabled. */
gboolean cd_customer_create(cd_store *store, const char *email, const char *phone, const char *name,
                            const char *status, gint64 *id, GError **error);

/* cd_customer_may_follow - whether addr is the customer's own address or a contact allowed to follow. */
gboolean cd_customer_may_follow(cd_store *store, gint64 customer_id, const char *addr, gboolean *yes, GError **error);

/* cd_customer_for_email - the customer with this address (or a contact's), else a new pending one
 * (audited with actor). *created says which. addr must be normalised (cd_address_normalize). */
gboolean cd_customer_for_email(cd_store *store, const char *addr, const char *name, const cd_actor *actor,
                               gint64 *customer_id, gboolean *created, GError **error);

#endif
