/* secret.c - secret key and HMAC reply tokens (see secret.h). */
#include "secret.h"
#include "result.h"
#include "util.h"

#include <sodium.h>
#include <string.h>

char *
cd_secret_generate_text(void)
{
	guint8 key[CD_SECRET_BYTES];
	if (sodium_init() < 0)
		g_error("libsodium cannot initialise");
	randombytes_buf(key, sizeof key);
	char hex[2 * CD_SECRET_BYTES + 1];
	sodium_bin2hex(hex, sizeof hex, key, sizeof key);
	sodium_memzero(key, sizeof key);
	return g_strdup_printf("%s\n", hex);
}

cd_secret *
cd_secret_load(const char *path, GError **error)
{
	char *text = NULL;
	gsize len = 0;
	GError *e = NULL;
	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "secret key: %s", e->message);
		g_error_free(e);
		return NULL;
	}
	g_strstrip(text);
	cd_secret *s = g_new0(cd_secret, 1);
	gsize bin_len = 0;
	if (strlen(text) != 2 * CD_SECRET_BYTES ||
	    sodium_hex2bin(s->key, sizeof s->key, text, strlen(text), NULL, &bin_len, NULL) != 0 ||
	    bin_len != CD_SECRET_BYTES) {
		g_set_error(error, CD_ERROR, CD_ERROR_CONFIG, "secret key %s: expected %d hex characters", path,
		            2 * CD_SECRET_BYTES);
		g_free(text);
		cd_secret_free(s);
		return NULL;
	}
	sodium_memzero(text, strlen(text));
	g_free(text);
	return s;
}

void
cd_secret_free(cd_secret *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof *s);
	g_free(s);
}

void
cd_secret_mac(const cd_secret *s, const char *msg, char out[CD_TOKEN_CHARS + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	guint8 digest[32];
	gsize dlen = sizeof digest;
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA256, s->key, sizeof s->key);
	g_hmac_update(h, (const guchar *)msg, strlen(msg));
	g_hmac_get_digest(h, digest, &dlen);
	g_hmac_unref(h);
	/* base32 of the first 60 bits */
	guint64 bits = 0;
	for (int i = 0; i < 8; i++)
		bits = (bits << 8) | digest[i];
	for (int i = 0; i < CD_TOKEN_CHARS; i++)
		out[i] = alphabet[(bits >> (64 - 5 * (i + 1))) & 31];
	out[CD_TOKEN_CHARS] = '\0';
}

static char *
ticket_mac_input(gint64 ticket_id, const char *recipient)
{
	char *norm = cd_address_normalize(recipient);
	char *msg = g_strdup_printf("reply:T%" G_GINT64_FORMAT ":%s", ticket_id, norm ? norm : "");
	g_free(norm);
	return msg;
}

char *
cd_reply_address(const cd_secret *s, const char *support_address, gint64 ticket_id, const char *recipient)
{
	const char *at = strrchr(support_address, '@');
	if (at == NULL)
		return NULL;
	char *msg = ticket_mac_input(ticket_id, recipient);
	char mac[CD_TOKEN_CHARS + 1];
	cd_secret_mac(s, msg, mac);
	g_free(msg);
	return g_strdup_printf("%.*s+T%" G_GINT64_FORMAT ".%s%s", (int)(at - support_address), support_address,
	                       ticket_id, mac, at);
}

gint64
cd_reply_address_ticket(const cd_secret *s, const char *address, const char *sender)
{
	if (address == NULL || sender == NULL)
		return 0;
	const char *at = strrchr(address, '@');
	const char *plus = strchr(address, '+');
	if (at == NULL || plus == NULL || plus > at)
		return 0;
	const char *p = plus + 1;
	if (*p != 'T' && *p != 't')
		return 0;
	p++;
	gint64 id = 0;
	while (p < at && g_ascii_isdigit(*p) && id < G_MAXINT64 / 10)
		id = id * 10 + (*p++ - '0');
	if (id == 0 || p >= at || *p != '.' || at - (p + 1) != CD_TOKEN_CHARS)
		return 0;
	char given[CD_TOKEN_CHARS + 1];
	for (int i = 0; i < CD_TOKEN_CHARS; i++)
		given[i] = g_ascii_toupper(p[1 + i]);
	given[CD_TOKEN_CHARS] = '\0';
	char *msg = ticket_mac_input(id, sender);
	char mac[CD_TOKEN_CHARS + 1];
	cd_secret_mac(s, msg, mac);
	g_free(msg);
	return sodium_memcmp(mac, given, CD_TOKEN_CHARS) == 0 ? id : 0;
}
