/* fuzz_html.c - libFuzzer target: HTML to text and sanitising on arbitrary bytes; the sanitised
 * HTML must stay valid UTF-8 and inert. */
#include "html.h"
#include "util.h"

#include <libxml/HTMLparser.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* inert_tree - no script element, no event handler attribute, no script or data URL, checked on
 * the tree a browser-like parser builds from the sanitised HTML (text may say anything). */
static gboolean
inert_tree(xmlNode *n, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (g_ascii_strcasecmp((const char *)n->name, "script") == 0 || depth > 1000)
			return FALSE;
		for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
			if (g_ascii_strncasecmp((const char *)a->name, "on", 2) == 0)
				return FALSE;
			xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
			char *low = v ? g_ascii_strdown(g_strstrip((char *)v), -1) : NULL;
			gboolean bad = low && (g_str_has_prefix(low, "javascript:") || g_str_has_prefix(low, "vbscript:") ||
			                       g_str_has_prefix(low, "data:"));
			g_free(low);
			xmlFree(v);
			if (bad)
				return FALSE;
		}
		if (!inert_tree(n->children, depth + 1))
			return FALSE;
	}
	return TRUE;
}

static gboolean
sanitized_is_inert(const char *html)
{
	htmlDocPtr doc = htmlReadMemory(html, (int)strlen(html), NULL, "UTF-8",
	                                HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	gboolean ok = doc == NULL || inert_tree(xmlDocGetRootElement(doc), 0);
	xmlFreeDoc(doc);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = cd_utf8_clean((const char *)data, (gssize)size);
	cd_html_limits lim;
	cd_html_limits_default(&lim);
	lim.max_usec = 200 * 1000;
	char *text = cd_html_to_text(in, strlen(in), &lim, NULL);
	char *html = cd_html_sanitize(in, strlen(in), &lim, NULL);
	if (!g_utf8_validate(text, -1, NULL) || !g_utf8_validate(html, -1, NULL) || !sanitized_is_inert(html))
		__builtin_trap();
	g_free(text);
	g_free(html);
	g_free(in);
	return 0;
}
