/* blocklist.h - the fraud stop: client IPs (single addresses and CIDR ranges, IPv4 and IPv6),
 * email addresses, email domains (a domain blocks its subdomains too), phone numbers and card
 * fingerprints (the SHA-256 of the card number's digits: the number itself is never stored),
 * each with a reason and an optional expiry. The web view refuses registration and login from
 * anything listed; mail and SMS intake can ask the same question through cd_blocklist_match.
 * `caredesk blocklist add|remove|list` (admin/cmd_blocklist.c) edits it. */
#ifndef CD_BLOCKLIST_H
#define CD_BLOCKLIST_H

#include "store.h"

typedef enum {
	CD_BLOCK_IP,
	CD_BLOCK_EMAIL,   /* matching also checks the address's domain against CD_BLOCK_DOMAIN rows */
	CD_BLOCK_DOMAIN,
	CD_BLOCK_PHONE,
	CD_BLOCK_CARD,    /* value: a card number (hashed before lookup) or its 64-hex fingerprint */
} cd_block_kind;

/* cd_block_kind_parse - "ip", "email", "domain", "phone", "card"; FALSE for anything else. */
gboolean cd_block_kind_parse(const char *name, cd_block_kind *kind);
const char *cd_block_kind_name(cd_block_kind kind);

/* cd_blocklist_normalize - the form a value is stored and compared in: IPs and CIDRs canonical
 * (192.0.2.0/24; a host address without a prefix), addresses and domains lower case, phone
 * numbers as + and digits, cards as their fingerprint. NULL when the value is not one of its kind. */
char *cd_blocklist_normalize(cd_block_kind kind, const char *value);

/* cd_card_fingerprint - lower-case hex SHA-256 of the digits of a card number (blanks and dashes
 * ignored); NULL when fewer than 12 digits are left. */
char *cd_card_fingerprint(const char *number);

/* cd_ip_in_cidr - whether the address ip lies in cidr ("10.0.0.0/8", "::1", "192.0.2.7"). */
gboolean cd_ip_in_cidr(const char *ip, const char *cidr);

/* cd_blocklist_add - add or replace an entry (expires_at 0: never). CD_ERROR_INVALID when the
 * value is not one of its kind. by: who added it (kept for the list). */
gboolean cd_blocklist_add(cd_store *store, cd_block_kind kind, const char *value, const char *reason,
                          gint64 expires_at, const char *by, GError **error);
/* cd_blocklist_remove - *removed says whether there was such an entry. */
gboolean cd_blocklist_remove(cd_store *store, cd_block_kind kind, const char *value, gboolean *removed,
                             GError **error);

/* cd_blocklist_match - whether value is blocked now (expired entries do not count). *reason
 * (may be NULL) receives the entry's reason (newly allocated, "" when it has none) or NULL.
 * A value that is not of its kind matches nothing. FALSE only for store errors. */
gboolean cd_blocklist_match(cd_store *store, cd_block_kind kind, const char *value, gboolean *blocked, char **reason,
                            GError **error);

#endif
