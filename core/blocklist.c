/* blocklist.c - the fraud stop (see blocklist.h). */
#include "blocklist.h"
#include "result.h"
#include "util.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <string.h>

static const char *const kind_names[] = {"ip", "email", "domain", "phone", "card"};

gboolean
cd_block_kind_parse(const char *name, cd_block_kind *kind)
{
	for (gsize i = 0; name && i < G_N_ELEMENTS(kind_names); i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*kind = (cd_block_kind)i;
			return TRUE;
		}
	return FALSE;
}

const char *
cd_block_kind_name(cd_block_kind kind)
{
	return (gsize)kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "?";
}

/* parse_ip - an address into 16 bytes (IPv4 as ::ffff:a.b.c.d); *bits 32 or 128 of its family */
static gboolean
parse_ip(const char *text, guint8 out[16], guint *family_bits)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, text, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*family_bits = 32;
		return TRUE;
	}
	if (inet_pton(AF_INET6, text, &a6) == 1) {
		memcpy(out, &a6, 16);
		*family_bits = 128;
		/* a v4-mapped v6 address is the v4 address */
		static const guint8 mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(out, mapped, 12) == 0)
			*family_bits = 32;
		return TRUE;
	}
	return FALSE;
}

/* parse_cidr - address and prefix length (counted in the 128-bit form) */
static gboolean
parse_cidr(const char *text, guint8 addr[16], guint *prefix, guint *family_bits)
{
	const char *slash = strchr(text, '/');
	char *host = slash ? g_strndup(text, (gsize)(slash - text)) : g_strdup(text);
	gboolean ok = parse_ip(host, addr, family_bits);
	g_free(host);
	if (!ok)
		return FALSE;
	guint p = *family_bits;
	if (slash) {
		char *end = NULL;
		guint64 v = g_ascii_strtoull(slash + 1, &end, 10);
		if (end == slash + 1 || *end != '\0' || v > *family_bits)
			return FALSE;
		p = (guint)v;
	}
	*prefix = p + (128 - *family_bits);
	return TRUE;
}

static gboolean
prefix_equal(const guint8 *a, const guint8 *b, guint prefix)
{
	guint bytes = prefix / 8, rest = prefix % 8;
	if (memcmp(a, b, bytes) != 0)
		return FALSE;
	if (rest == 0)
		return TRUE;
	guint8 mask = (guint8)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

gboolean
cd_ip_in_cidr(const char *ip, const char *cidr)
{
	guint8 a[16], net[16];
	guint bits, nbits, prefix;
	if (ip == NULL || cidr == NULL || !parse_ip(ip, a, &bits) || !parse_cidr(cidr, net, &prefix, &nbits))
		return FALSE;
	return bits == nbits && prefix_equal(a, net, prefix);
}

static char *
normalize_cidr(const char *value)
{
	guint8 net[16];
	guint prefix, bits;
	if (!parse_cidr(value, net, &prefix, &bits))
		return NULL;
	/* clear the host bits so that 192.0.2.7/24 is stored as 192.0.2.0/24 */
	for (guint i = prefix; i < 128; i++)
		net[i / 8] &= (guint8) ~(0x80 >> (i % 8));
	char buf[INET6_ADDRSTRLEN];
	if (bits == 32)
		inet_ntop(AF_INET, net + 12, buf, sizeof buf);
	else
		inet_ntop(AF_INET6, net, buf, sizeof buf);
	guint p = prefix - (128 - bits);
	return p == bits ? g_strdup(buf) : g_strdup_printf("%s/%u", buf, p);
}

static char *
normalize_phone(const char *value)
{
	GString *s = g_string_new(NULL);
	for (const char *p = value; *p; p++) {
		if (g_ascii_isdigit(*p))
			g_string_append_c(s, *p);
		else if (*p == '+' && s->len == 0)
			g_string_append_c(s, '+');
		else if (!strchr(" -./()", *p)) {
			g_string_free(s, TRUE);
			return NULL;
		}
	}
	if (s->len < 5) {
		g_string_free(s, TRUE);
		return NULL;
	}
	if (s->str[0] != '+' && g_str_has_prefix(s->str, "00")) {
		g_string_erase(s, 0, 2);
		g_string_prepend_c(s, '+');
	}
	return g_string_free(s, FALSE);
}

static gboolean
domain_ok(const char *d)
{
	if (*d == '\0' || *d == '.' || strlen(d) > 253)
		return FALSE;
	for (const char *p = d; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
			return FALSE;
	return TRUE;
}

char *
cd_card_fingerprint(const char *number)
{
	GString *digits = g_string_new(NULL);
	for (const char *p = number; p && *p; p++) {
		if (g_ascii_isdigit(*p))
			g_string_append_c(digits, *p);
		else if (*p != ' ' && *p != '-') {
			g_string_free(digits, TRUE);
			return NULL;
		}
	}
	char *fp = NULL;
	if (digits->len >= 12 && digits->len <= 19) {
		char hex[65];
		cd_sha256_hex(digits->str, digits->len, hex);
		fp = g_strdup(hex);
	}
	sodium_memzero(digits->str, digits->len);
	g_string_free(digits, TRUE);
	return fp;
}

static gboolean
is_hex64(const char *v)
{
	if (strlen(v) != 64)
		return FALSE;
	for (const char *p = v; *p; p++)
		if (!g_ascii_isxdigit(*p))
			return FALSE;
	return TRUE;
}

char *
cd_blocklist_normalize(cd_block_kind kind, const char *value)
{
	if (value == NULL)
		return NULL;
	char *v = g_strstrip(g_strdup(value));
	char *out = NULL;
	switch (kind) {
	case CD_BLOCK_IP:
		out = normalize_cidr(v);
		break;
	case CD_BLOCK_EMAIL:
		out = cd_address_normalize(v);
		break;
	case CD_BLOCK_DOMAIN: {
		const char *d = v[0] == '@' ? v + 1 : v;
		if (domain_ok(d))
			out = g_ascii_strdown(d, -1);
		break;
	}
	case CD_BLOCK_PHONE:
		out = normalize_phone(v);
		break;
	case CD_BLOCK_CARD:
		out = is_hex64(v) ? g_ascii_strdown(v, -1) : cd_card_fingerprint(v);
		break;
	}
	g_free(v);
	return out;
}

gboolean
cd_blocklist_add(cd_store *store, cd_block_kind kind, const char *value, const char *reason, gint64 expires_at,
                 const char *by, GError **error)
{
	char *norm = cd_blocklist_normalize(kind, value);
	if (norm == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "not a valid %s: %s", cd_block_kind_name(kind),
		            kind == CD_BLOCK_CARD ? "(the number)" : value);
		return FALSE;
	}
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "INSERT INTO blocklist(kind, value, reason, created_by, created_at, expires_at) "
	                                 "VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, 0)) ON CONFLICT (kind, value) DO UPDATE "
	                                 "SET reason = ?3, created_by = ?4, created_at = ?5, expires_at = nullif(?6, 0)",
	                                 error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, cd_block_kind_name(kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, norm, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, by, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, cd_now());
		sqlite3_bind_int64(st, 6, expires_at);
		ok = cd_store_run(store, st, error);
	}
	g_free(norm);
	return ok;
}

gboolean
cd_blocklist_remove(cd_store *store, cd_block_kind kind, const char *value, gboolean *removed, GError **error)
{
	*removed = FALSE;
	char *norm = cd_blocklist_normalize(kind, value);
	if (norm == NULL)
		return TRUE;
	sqlite3_stmt *st = cd_store_stmt(store, "DELETE FROM blocklist WHERE kind = ?1 AND value = ?2", error);
	gboolean ok = st != NULL;
	if (ok) {
		sqlite3_bind_text(st, 1, cd_block_kind_name(kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, norm, -1, SQLITE_TRANSIENT);
		ok = cd_store_run(store, st, error);
		*removed = ok && cd_store_changes(store) > 0;
	}
	g_free(norm);
	return ok;
}

/* exact - an unexpired row of kind with this value */
static gboolean
exact(cd_store *store, const char *kind, const char *value, gboolean *blocked, char **reason, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT coalesce(reason, '') FROM blocklist WHERE kind = ?1 AND value = ?2 "
	                                 "AND (expires_at IS NULL OR expires_at > ?3)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, cd_now());
	gboolean row;
	if (!cd_store_step(store, st, &row, error))
		return FALSE;
	if (row) {
		*blocked = TRUE;
		if (reason)
			*reason = cd_col_dup(st, 0);
	}
	sqlite3_reset(st);
	return TRUE;
}

static gboolean
match_ip(cd_store *store, const char *ip, gboolean *blocked, char **reason, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store,
	                                 "SELECT value, coalesce(reason, '') FROM blocklist WHERE kind = 'ip' "
	                                 "AND (expires_at IS NULL OR expires_at > ?1)",
	                                 error);
	if (st == NULL)
		return FALSE;
	sqlite3_bind_int64(st, 1, cd_now());
	gboolean row;
	while (!*blocked && cd_store_step(store, st, &row, error) && row)
		if (cd_ip_in_cidr(ip, cd_col_text(st, 0))) {
			*blocked = TRUE;
			if (reason)
				*reason = cd_col_dup(st, 1);
		}
	sqlite3_reset(st);
	return !(error && *error);
}

gboolean
cd_blocklist_match(cd_store *store, cd_block_kind kind, const char *value, gboolean *blocked, char **reason,
                   GError **error)
{
	*blocked = FALSE;
	if (reason)
		*reason = NULL;
	if (kind == CD_BLOCK_IP) {
		guint8 a[16];
		guint bits;
		return value == NULL || !parse_ip(value, a, &bits) || match_ip(store, value, blocked, reason, error);
	}
	char *norm = cd_blocklist_normalize(kind, value);
	if (norm == NULL)
		return TRUE;
	gboolean ok = exact(store, cd_block_kind_name(kind), norm, blocked, reason, error);
	if (ok && !*blocked && kind == CD_BLOCK_EMAIL) {
		/* the address's domain and each parent domain: mail.example.com, example.com */
		const char *d = strrchr(norm, '@');
		for (d = d ? d + 1 : NULL; ok && !*blocked && d && *d; d = strchr(d, '.') ? strchr(d, '.') + 1 : NULL)
			ok = exact(store, "domain", d, blocked, reason, error);
	}
	g_free(norm);
	return ok;
}
