/* secret.h - the server secret (secret.key) and the HMAC tokens made from it.
 *
 * A reply address carries a token that proves which ticket (and which recipient) it was made
 * for: support+T123.K7QX2MABCDEF@domain. Tokens are case-insensitive (some MTAs fold case). */
#ifndef CD_SECRET_H
#define CD_SECRET_H

#include <glib.h>

#define CD_SECRET_BYTES 32
#define CD_TOKEN_CHARS 12

typedef struct {
	guint8 key[CD_SECRET_BYTES];
} cd_secret;

/* cd_secret_generate_text - a new key as 64 hex characters and a newline (libsodium randomness). */
char *cd_secret_generate_text(void);
cd_secret *cd_secret_load(const char *path, GError **error);
void cd_secret_free(cd_secret *s);

/* cd_secret_mac - CD_TOKEN_CHARS of base32 HMAC-SHA256 over msg, into out[CD_TOKEN_CHARS + 1]. */
void cd_secret_mac(const cd_secret *s, const char *msg, char out[CD_TOKEN_CHARS + 1]);

/* cd_reply_address - support+T<ticket>.<mac>@domain, the mac over the ticket and the recipient. */
char *cd_reply_address(const cd_secret *s, const char *support_address, gint64 ticket_id, const char *recipient);

/* cd_reply_address_ticket - the ticket a reply address was made for, when its token is valid for
 * sender; 0 otherwise (no tag, bad token, or made for another recipient). */
gint64 cd_reply_address_ticket(const cd_secret *s, const char *address, const char *sender);

#endif
