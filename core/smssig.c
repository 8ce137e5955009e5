/* smssig.c - webhook form decoding and signatures (see smssig.h). */
#include "smssig.h"

#include <sodium.h>
#include <string.h>

static void
param_free(gpointer p)
{
	cd_form_param *f = p;
	g_free(f->name);
	g_free(f->value);
	g_free(f);
}

static char *
decode(const char *s, gsize len)
{
	GString *out = g_string_sized_new(len);
	for (gsize i = 0; i < len; i++) {
		if (s[i] == '+') {
			g_string_append_c(out, ' ');
		} else if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit(s[i + 1]) && g_ascii_isxdigit(s[i + 2])) {
			g_string_append_c(out, (char)(g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2])));
			i += 2;
		} else {
			g_string_append_c(out, s[i]);
		}
	}
	return g_string_free(out, FALSE);
}

GPtrArray *
cd_form_parse(const char *text, gssize len)
{
	GPtrArray *params = g_ptr_array_new_with_free_func(param_free);
	if (text == NULL)
		return params;
	gsize n = len < 0 ? strlen(text) : (gsize)len;
	const char *p = text, *end = text + n;
	while (p < end) {
		const char *amp = memchr(p, '&', (gsize)(end - p));
		const char *stop = amp ? amp : end;
		if (stop > p) {
			const char *eq = memchr(p, '=', (gsize)(stop - p));
			cd_form_param *f = g_new0(cd_form_param, 1);
			f->name = decode(p, (gsize)((eq ? eq : stop) - p));
			f->value = eq ? decode(eq + 1, (gsize)(stop - eq - 1)) : g_strdup("");
			g_ptr_array_add(params, f);
		}
		p = stop + 1;
	}
	return params;
}

const char *
cd_form_get(GPtrArray *params, const char *name)
{
	for (guint i = 0; params && i < params->len; i++) {
		cd_form_param *f = g_ptr_array_index(params, i);
		if (strcmp(f->name, name) == 0)
			return f->value;
	}
	return NULL;
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
	const cd_form_param *x = *(cd_form_param *const *)a, *y = *(cd_form_param *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

char *
cd_twilio_signature(const char *auth_token, const char *url, GPtrArray *params)
{
	GPtrArray *sorted = g_ptr_array_new();
	for (guint i = 0; params && i < params->len; i++)
		g_ptr_array_add(sorted, g_ptr_array_index(params, i));
	g_ptr_array_sort(sorted, by_name);
	GHmac *h = g_hmac_new(G_CHECKSUM_SHA1, (const guchar *)auth_token, strlen(auth_token));
	g_hmac_update(h, (const guchar *)url, -1);
	for (guint i = 0; i < sorted->len; i++) {
		const cd_form_param *f = g_ptr_array_index(sorted, i);
		g_hmac_update(h, (const guchar *)f->name, -1);
		g_hmac_update(h, (const guchar *)f->value, -1);
	}
	guint8 digest[20];
	gsize dlen = sizeof digest;
	g_hmac_get_digest(h, digest, &dlen);
	g_hmac_unref(h);
	g_ptr_array_unref(sorted);
	return g_base64_encode(digest, dlen);
}

gboolean
cd_twilio_verify(const char *auth_token, const char *url, GPtrArray *params, const char *signature)
{
	if (auth_token == NULL || *auth_token == '\0' || signature == NULL)
		return FALSE;
	char *want = cd_twilio_signature(auth_token, url, params);
	gsize n = strlen(want);
	gboolean ok = strlen(signature) == n && sodium_memcmp(want, signature, n) == 0;
	g_free(want);
	return ok;
}

void
cd_dlr_mac(const cd_secret *s, gint64 row_id, char out[CD_TOKEN_CHARS + 1])
{
	char *msg = g_strdup_printf("sms-dlr:%" G_GINT64_FORMAT, row_id);
	cd_secret_mac(s, msg, out);
	g_free(msg);
}
