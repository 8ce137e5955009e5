/* classify.c - auto-reply, bulk, bounce and loop detection (see classify.h). */
#include "classify.h"

#include <string.h>

static gboolean
value_is(const char *v, const char *want)
{
	return v != NULL && g_ascii_strcasecmp(v, want) == 0;
}

static gboolean
value_has(const char *v, const char *needle)
{
	if (v == NULL)
		return FALSE;
	char *lv = g_ascii_strdown(v, -1);
	char *ln = g_ascii_strdown(needle, -1);
	gboolean yes = strstr(lv, ln) != NULL;
	g_free(lv);
	g_free(ln);
	return yes;
}

static gboolean
is_null_path(const char *path)
{
	if (path == NULL)
		return FALSE;
	char *p = g_strstrip(g_strdup(path));
	gboolean yes = *p == '\0' || strcmp(p, "<>") == 0;
	g_free(p);
	return yes;
}

static gboolean
is_daemon_sender(const char *addr)
{
	if (addr == NULL)
		return FALSE;
	return g_str_has_prefix(addr, "mailer-daemon@") || g_str_has_prefix(addr, "postmaster@") ||
	       g_str_has_prefix(addr, "mail-daemon@");
}

static void G_GNUC_PRINTF(2, 3)
set_reason(cd_classification *c, const char *fmt, ...)
{
	if (c->reason[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	va_end(ap);
}

void
cd_classify(const cd_message *m, const char *envelope_from, const char *loop_marker, cd_classification *c)
{
	memset(c, 0, sizeof *c);
	const char *return_path = cd_message_header(m, "Return-Path");
	gboolean null_path = (envelope_from != NULL && is_null_path(envelope_from)) || is_null_path(return_path);

	/* our own mail coming back */
	for (guint i = 0; loop_marker && i < m->headers->len; i++) {
		cd_header *h = g_ptr_array_index(m->headers, i);
		if (g_ascii_strcasecmp(h->name, "X-Loop") == 0 && value_has(h->value, loop_marker)) {
			c->loop = TRUE;
			set_reason(c, "X-Loop: %s", h->value);
		}
	}

	/* bounces */
	if (m->is_dsn) {
		c->bounce = TRUE;
		set_reason(c, "delivery status notification");
	} else if (cd_message_header(m, "X-Failed-Recipients") != NULL) {
		c->bounce = TRUE;
		set_reason(c, "X-Failed-Recipients: %s", cd_message_header(m, "X-Failed-Recipients"));
	} else if (null_path && is_daemon_sender(m->from.addr)) {
		c->bounce = TRUE;
		set_reason(c, "null return path from %s", m->from.addr);
	}

	/* RFC 3834 and its widespread relatives */
	const char *v = cd_message_header(m, "Auto-Submitted");
	if (v != NULL && !value_is(v, "no") && !g_str_has_prefix(v, "no ") && !g_str_has_prefix(v, "no;")) {
		c->auto_reply = TRUE;
		set_reason(c, "Auto-Submitted: %s", v);
	}
	if ((v = cd_message_header(m, "X-Autoreply")) != NULL || (v = cd_message_header(m, "X-Autorespond")) != NULL ||
	    (v = cd_message_header(m, "X-Autoresponder")) != NULL) {
		c->auto_reply = TRUE;
		set_reason(c, "autoresponder header %s", v);
	}
	v = cd_message_header(m, "X-Auto-Response-Suppress");
	if (v != NULL && (value_has(v, "all") || value_has(v, "oof") || value_has(v, "autoreply"))) {
		c->auto_reply = TRUE;
		set_reason(c, "X-Auto-Response-Suppress: %s", v);
	}
	v = cd_message_header(m, "Precedence");
	if (v != NULL && (value_has(v, "bulk") || value_has(v, "junk") || value_has(v, "list") ||
	                  value_has(v, "auto_reply"))) {
		c->bulk = TRUE;
		set_reason(c, "Precedence: %s", v);
	}
	if ((v = cd_message_header(m, "List-Id")) != NULL) {
		c->bulk = TRUE;
		set_reason(c, "List-Id: %s", v);
	}
	if (null_path && !c->bounce) {
		c->auto_reply = TRUE;
		set_reason(c, "null return path");
	}
}

gboolean
cd_classification_never_answer(const cd_classification *c)
{
	return c->bounce || c->auto_reply || c->bulk || c->loop;
}
