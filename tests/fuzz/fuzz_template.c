/* fuzz_template.c - libFuzzer target: the template parser on arbitrary bytes (every error names
 * FILE:LINE:COL); what parses is also linked as subject, text, HTML, SMS and partial of one kind
 * (so partials that include themselves or go too deep are met), and rendered in en and de with a
 * fixed vars object whose values hold CR/LF and HTML: a subject never holds a line break, HTML
 * never an unescaped '<' from a value. Seeds: templates/. */
#define _GNU_SOURCE /* memmem */
#include "template.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vars_json[] =
	"{\"site\": {\"name\": \"Shop\", \"support_address\": \"help@shop.test\", \"base_url\": \"https://shop.test\"},"
	" \"customer\": {\"name\": \"Ann <b>\\r\\nBcc: x@evil.test\", \"email\": \"ann@example.org\", \"language\": \"de\"},"
	" \"lang\": \"de\", \"ticket\": {\"ref\": \"T-7\", \"subject\": \"line\\nbreak\", \"status\": \"open\"},"
	" \"attachments\": [{\"name\": \"a.pdf\", \"size\": 1200}, {\"name\": \"<script>\", \"size\": 0.5}],"
	" \"refused\": false, \"ok\": true, \"n\": 0, \"empty\": \"\", \"none\": null, \"list\": [],"
	" \"results\": [{\"command\": \"#status x\", \"ok\": false, \"text\": \"no\"}, {\"command\": \"#note\", \"ok\": true}],"
	" \"rma\": {\"ref\": \"R-1\", \"resolution\": \"refund\", \"amount\": 49.9}}";

/* positioned - "FILE:LINE:COL: ..." with FILE one of ours */
static gboolean
positioned(const char *msg)
{
	static const char *const files[] = {"email/en/fuzz.txt:", "email/en/fuzz.subject:", "email/en/fuzz.html:",
	                                    "sms/en/fuzz.txt:", "email/partials/en/fz.txt:", "email/partials/en/fz.html:"};
	for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
		if (strncmp(msg, files[i], strlen(files[i])) != 0)
			continue;
		const char *p = msg + strlen(files[i]);
		if (!g_ascii_isdigit(*p))
			return FALSE;
		while (g_ascii_isdigit(*p))
			p++;
		if (*p++ != ':' || !g_ascii_isdigit(*p))
			return FALSE;
		while (g_ascii_isdigit(*p))
			p++;
		return p[0] == ':' && p[1] == ' ';
	}
	return FALSE;
}

static void
add(cd_tmpl_set *set, const char *path, const char *text, gsize len)
{
	if (!cd_tmpl_set_add(set, path, text, len, NULL))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	const char *text = (const char *)data;
	GError *error = NULL;
	cd_tmpl_set *set = cd_tmpl_set_new();
	if (!cd_tmpl_set_add(set, "email/en/fuzz.txt", text, size, &error)) {
		if (error == NULL || !positioned(error->message))
			__builtin_trap();
		g_error_free(error);
		cd_tmpl_set_free(set);
		return 0;
	}
	/* the same text parses alike whatever its name */
	add(set, "email/en/fuzz.subject", text, size);
	add(set, "email/en/fuzz.html", text, size);
	add(set, "sms/en/fuzz.txt", text, size);
	add(set, "email/partials/en/fz.txt", text, size);
	add(set, "email/partials/en/fz.html", text, size);
	static const char footer[] = "-- \n{{site.name}}{{#ticket}} {{ref}}{{/ticket}}\n";
	add(set, "email/partials/en/footer.txt", footer, sizeof footer - 1);
	add(set, "email/partials/en/footer.html", footer, sizeof footer - 1);
	if (!cd_tmpl_set_link(set, &error)) {
		if (error == NULL || !positioned(error->message))
			__builtin_trap();
		g_error_free(error);
		cd_tmpl_set_free(set);
		return 0;
	}
	JsonParser *p = json_parser_new();
	if (!json_parser_load_from_data(p, vars_json, -1, NULL))
		__builtin_trap();
	JsonObject *vars = json_node_get_object(json_parser_get_root(p));
	static const char *const langs[] = {"en", "de", NULL};
	for (gsize i = 0; i < G_N_ELEMENTS(langs); i++) {
		cd_rendered r;
		if (cd_tmpl_render_email(set, "fuzz", langs[i], vars, &r, &error)) {
			if (strpbrk(r.subject, "\r\n") != NULL || r.html == NULL)
				__builtin_trap();
			/* values are escaped in HTML: "<script>" and "<b>" (in values) show only when the
			 * template has them itself or inserts raw */
			gboolean raw = memmem(text, size, "{{{", 3) != NULL || memmem(text, size, "{{&", 3) != NULL;
			if (!raw && ((strstr(r.html, "<script>") && memmem(text, size, "<script>", 8) == NULL) ||
			             (strstr(r.html, "<b>") && memmem(text, size, "<b>", 3) == NULL)))
				__builtin_trap();
			cd_rendered_clear(&r);
		} else {
			g_clear_error(&error);
		}
		char *sms = NULL;
		if (cd_tmpl_render_sms(set, "fuzz", langs[i], vars, &sms, &error))
			g_free(sms);
		else
			g_clear_error(&error);
	}
	g_object_unref(p);
	cd_tmpl_set_free(set);
	return 0;
}
