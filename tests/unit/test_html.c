/* test_html.c - unit tests for core/html.c: HTML mail to text and to sanitised HTML.
 *
 * Covers the text rendering (blocks, whitespace, lists, tables, links, images, quotes of
 * the common mail clients), the sanitiser (whitelist, URL schemes, escaping, XSS vectors,
 * well-formedness, structure an HTML5 parser keeps), hostile input (NULs, invalid UTF-8,
 * huge attributes, unclosed everything, random tag soup), the limits, thread safety, and
 * the time taken on 10 MB pathological mail (printed; must stay under 3 s even under ASan). */
#include "html.h"
#include "testutil.h"

#include <string.h>

/* ---- helpers ---------------------------------------------------------------------- */

static char *
to_text(const char *html)
{
	gboolean tr = TRUE;
	char *t = cd_html_to_text(html, strlen(html), NULL, &tr);
	g_assert_nonnull(t);
	g_assert_true(g_utf8_validate(t, -1, NULL));
	g_assert_false(tr);
	return t;
}

#define assert_text(html, expected) \
	do { \
		char *t_ = to_text(html); \
		g_assert_cmpstr(t_, ==, expected); \
		g_free(t_); \
	} while (0)

static const char *const ok_tags[] = {
	"a", "b", "blockquote", "br", "caption", "center", "code", "dd", "div", "dl", "dt",
	"em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p",
	"pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
	"th", "thead", "tr", "u", "ul", NULL,
};
static const char *const ok_attrs[] = {
	"href", "rel", "target", "src", "alt", "width", "height", "colspan", "rowspan", "align",
	"valign", "dir", "start", "type", "border", "cellpadding", "cellspacing", "color", "size",
	"face", NULL,
};

static gboolean
in_list(const char *s, gsize len, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && strncmp(s, *list, len) == 0)
			return TRUE;
	return FALSE;
}

/* entity_len - length of one of the five references the sanitiser writes, 0 if none. */
static gsize
entity_len(const char *p)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	for (gsize i = 0; i < G_N_ELEMENTS(ents); i++)
		if (strncmp(p, ents[i], strlen(ents[i])) == 0)
			return strlen(ents[i]);
	return 0;
}

/* html_problem - NULL when s is the kind of fragment cd_html_sanitize() promises: only
 * whitelisted elements and attributes, attribute values double-quoted, '<' '>' '&' '"'
 * only where the grammar puts them, every element closed in order, links safe, images
 * cid:, nesting within max_depth (+1 for a row we may add). Else what is wrong. */
static char *
html_problem(const char *s, guint max_depth)
{
	GPtrArray *stack = g_ptr_array_new_with_free_func(g_free);
	char *why = NULL;
	const char *p = s;
	while (*p && why == NULL) {
		if (*p == '>') {
			why = g_strdup_printf("raw '>' at %ld", (long) (p - s));
		} else if (*p == '&') {
			gsize l = entity_len(p);
			if (l == 0)
				why = g_strdup_printf("raw '&' at %ld", (long) (p - s));
			p += l ? l : 1;
		} else if (*p != '<') {
			p++;
		} else if (p[1] == '/') {
			const char *n = p + 2, *e = n;
			while (g_ascii_isalnum(*e))
				e++;
			if (*e != '>')
				why = g_strdup_printf("bad end tag at %ld", (long) (p - s));
			else if (stack->len == 0 ||
			         strlen(g_ptr_array_index(stack, stack->len - 1)) != (gsize) (e - n) ||
			         strncmp(g_ptr_array_index(stack, stack->len - 1), n, (gsize) (e - n)) != 0)
				why = g_strdup_printf("end tag </%.*s> does not close the open element at %ld",
				                      (int) (e - n), n, (long) (p - s));
			else
				g_ptr_array_remove_index(stack, stack->len - 1);
			p = e + 1;
		} else {
			const char *n = p + 1, *e = n;
			while (g_ascii_isalnum(*e))
				e++;
			char *name = g_strndup(n, (gsize) (e - n));
			if (!in_list(n, (gsize) (e - n), ok_tags))
				why = g_strdup_printf("element <%s> not allowed", name);
			gboolean has_rel = FALSE, has_target = FALSE;
			while (why == NULL && *e == ' ') {
				const char *an = e + 1, *ae = an;
				while (g_ascii_isalpha(*ae))
					ae++;
				if (!in_list(an, (gsize) (ae - an), ok_attrs)) {
					why = g_strdup_printf("attribute %.*s on <%s>", (int) (ae - an), an, name);
					break;
				}
				if (ae[0] != '=' || ae[1] != '"') {
					why = g_strdup_printf("attribute %.*s not quoted", (int) (ae - an), an);
					break;
				}
				const char *v = ae + 2, *ve = v;
				while (*ve && *ve != '"' && *ve != '<' && *ve != '>') {
					if (*ve == '&' && entity_len(ve) == 0)
						break;
					ve++;
				}
				if (*ve != '"') {
					why = g_strdup_printf("bad value of %.*s", (int) (ae - an), an);
					break;
				}
				char *val = g_strndup(v, (gsize) (ve - v));
				gsize al = (gsize) (ae - an);
				if (al == 4 && strncmp(an, "href", 4) == 0 &&
				    !(g_str_has_prefix(val, "http://") || g_str_has_prefix(val, "https://") ||
				      g_str_has_prefix(val, "mailto:") || g_ascii_strncasecmp(val, "http", 4) == 0 ||
				      g_ascii_strncasecmp(val, "mailto:", 7) == 0))
					why = g_strdup_printf("href %s", val);
				if (al == 4 && strncmp(an, "href", 4) == 0 && strcmp(name, "a") != 0)
					why = g_strdup("href off <a>");
				if (al == 3 && strncmp(an, "src", 3) == 0 &&
				    (strcmp(name, "img") != 0 || g_ascii_strncasecmp(val, "cid:", 4) != 0))
					why = g_strdup_printf("src %s", val);
				if (al == 3 && strncmp(an, "rel", 3) == 0)
					has_rel = strcmp(val, "noopener noreferrer nofollow") == 0;
				if (al == 6 && strncmp(an, "target", 6) == 0)
					has_target = strcmp(val, "_blank") == 0;
				g_free(val);
				e = ve + 1;
			}
			if (why == NULL && *e != '>')
				why = g_strdup_printf("bad start tag <%s> at %ld", name, (long) (p - s));
			if (why == NULL && strcmp(name, "a") == 0 && !(has_rel && has_target))
				why = g_strdup("link without rel/target");
			if (why == NULL && strcmp(name, "br") && strcmp(name, "hr") && strcmp(name, "img")) {
				g_ptr_array_add(stack, name);
				name = NULL;
				if (stack->len > max_depth + 1)
					why = g_strdup_printf("nested %u deep", stack->len);
			}
			g_free(name);
			p = *e ? e + 1 : e;
		}
	}
	if (why == NULL && stack->len > 0)
		why = g_strdup_printf("%u elements left open", stack->len);
	g_ptr_array_free(stack, TRUE);
	return why;
}

static void
assert_good_html(const char *s, guint max_depth)
{
	g_assert_true(g_utf8_validate(s, -1, NULL));
	char *why = html_problem(s, max_depth);
	if (why != NULL)
		g_error("bad sanitised HTML (%s): %.300s", why, s);
}

static char *
sanitize(const char *html)
{
	gboolean tr = TRUE;
	char *s = cd_html_sanitize(html, strlen(html), NULL, &tr);
	g_assert_false(tr);
	assert_good_html(s, 64);
	return s;
}

#define assert_html(html, expected) \
	do { \
		char *s_ = sanitize(html); \
		g_assert_cmpstr(s_, ==, expected); \
		g_free(s_); \
	} while (0)

/* ---- text ------------------------------------------------------------------------- */

static void
test_text_empty(void)
{
	gboolean tr = TRUE;
	char *t = cd_html_to_text(NULL, 0, NULL, &tr);
	g_assert_cmpstr(t, ==, "");
	g_assert_false(tr);
	g_free(t);
	assert_text("", "");
	assert_text("   \n\t  ", "");
	assert_text("<html><head><title>x</title></head><body></body></html>", "");
	assert_text("<p>&nbsp;</p><br><br><div> </div>", "");
	t = cd_html_sanitize("", 0, NULL, NULL);
	g_assert_cmpstr(t, ==, "");
	g_free(t);
}

static void
test_text_plain_input(void)
{
	assert_text("Hello world", "Hello world\n");
	assert_text("  Hello \n\n  world  ", "Hello world\n");
	assert_text("Price < 5 & > 3", "Price < 5 & > 3\n");
	assert_text("a <3 b, x<y", "a <3 b, x\n");   /* "<y" then the end: an unfinished tag, as in browsers */
}

static void
test_text_blocks(void)
{
	assert_text("<p>Hello <b>world</b></p><p>Second</p>", "Hello world\n\nSecond\n");
	assert_text("<div>one</div><div>two</div>", "one\ntwo\n");
	assert_text("line1<br>line2<br/>line3", "line1\nline2\nline3\n");
	assert_text("a<br><br>b", "a\n\nb\n");
	assert_text("<div>Hi,</div><div><br></div><div>Thanks</div>", "Hi,\n\nThanks\n");
	assert_text("<h1>Title</h1>Body", "Title\n\nBody\n");
	assert_text("above<hr>below", "above\n\n________________________________\n\nbelow\n");
	assert_text("<p>a<div>b</div>c", "a\n\nb\nc\n");
	assert_text("<span>in</span><span>line</span> <i>x</i>", "inline x\n");
	assert_text("<section>s</section><article>a</article>", "s\na\n");
}

static void
test_text_whitespace(void)
{
	/* Outlook spacer paragraphs: at most one blank line */
	assert_text("<p class=MsoNormal>Hi<o:p></o:p></p>"
	            "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	            "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	            "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
	            "<p class=MsoNormal>Bye<o:p></o:p></p>", "Hi\n\nBye\n");
	assert_text("a<br><br><br><br><br>b", "a\n\nb\n");
	assert_text("<div>a</div><div><br></div><div><br></div><div><br></div><div>b</div>", "a\n\nb\n");
	assert_text("a&nbsp;&nbsp;&nbsp;b", "a b\n");
	assert_text("<p>  lots   of\n\n   space  </p>", "lots of space\n");
	/* newsletter preheader padding: zero-width and joiner characters alone are no text */
	assert_text("<div>&zwnj;&nbsp;&zwnj;&nbsp;&#8203;&#xFEFF;</div><div>Real</div>", "Real\n");
	assert_text("soft&shy;hyphen", "softhyphen\n");
	char *t = to_text("<p>1</p><p>&nbsp;</p><p>&nbsp;</p><p>2</p><div><br></div><br><p>3</p>");
	g_assert_null(strstr(t, "\n\n\n"));
	g_free(t);
}

static void
test_text_lists(void)
{
	assert_text("<ul><li>one</li><li>two</li></ul>after", "- one\n- two\n\nafter\n");
	assert_text("<ol><li>a<li>b<li>c</ol>", "1. a\n2. b\n3. c\n");
	assert_text("<ol start=7><li>x</li><li>y</li></ol>", "7. x\n8. y\n");
	assert_text("<ul><li>one<ul><li>sub1</li><li>sub2</li></ul></li><li>two</li></ul>",
	            "- one\n  - sub1\n  - sub2\n- two\n");
	assert_text("<ul><li>a<br>continued</li></ul>", "- a\n  continued\n");
	assert_text("<li>stray</li>", "- stray\n");
	assert_text("<ul><li></li><li>only</li></ul>", "- only\n");
}

static void
test_text_tables(void)
{
	assert_text("<table><tr><td>A</td><td>B</td></tr><tr><td>C</td><td>D</td></tr></table>",
	            "A | B\nC | D\n");
	assert_text("<table><tr><th>Item</th><th>Qty</th></tr><tr><td>Widget</td><td></td><td>2</td></tr></table>",
	            "Item | Qty\nWidget | 2\n");
	assert_text("before<table><tr><td>x</td></tr></table>after", "before\n\nx\n\nafter\n");
	/* layout table: cells holding blocks give lines, not separators */
	assert_text("<table><tr><td><p>Para one</p></td><td><p>Para two</p></td></tr></table>",
	            "Para one\n\nPara two\n");
	assert_text("<table><td>no row</td><td>cells</td></table>", "no row | cells\n");
}

static void
test_text_links(void)
{
	assert_text("<a href=\"http://example.com/a\">click here</a>", "click here <http://example.com/a>\n");
	assert_text("<a href=\"http://example.com\">example.com</a>", "example.com\n");
	assert_text("<a href=\"https://example.com/\">https://example.com</a>", "https://example.com\n");
	assert_text("<a href=\"mailto:a@b.example\">a@b.example</a>", "a@b.example\n");
	assert_text("<a href=\"mailto:a@b.example\">write us</a>", "write us <mailto:a@b.example>\n");
	assert_text("<a href=\"javascript:alert(1)\">js</a>", "js\n");
	assert_text("<a href=\" java\tscript:alert(1)\">js</a>", "js\n");
	assert_text("<a href=\"#top\">top</a> <a href=\"/rel\">rel</a>", "top rel\n");
	assert_text("<a href=\"http://x.example/\"><img src=\"http://i/x.png\"></a>tail", "tail\n");
	assert_text("<a href=\"http://x.example/p\"><img alt=\"Logo\"></a>", "Logo <http://x.example/p>\n");
	assert_text("See <a href=\"http://x.example/a?b=1&amp;c=2\">the page</a>.",
	            "See the page <http://x.example/a?b=1&c=2>.\n");
	assert_text("<ul><li><a href=\"http://a.example/c\">docs</a></li></ul>", "- docs <http://a.example/c>\n");
	assert_text("<blockquote><a href=\"http://x.example\">x.example</a></blockquote>", "> x.example\n");
}

static void
test_text_images(void)
{
	assert_text("Hi <img src=\"cid:logo\" alt=\"ACME\"> there", "Hi ACME there\n");
	assert_text("<img src=\"http://track/pixel.gif\">Text", "Text\n");
	assert_text("<img alt=\"a &amp; b\">", "a & b\n");
}

static void
test_text_dropped(void)
{
	assert_text("<html><head><title>Title</title><style>p{color:red}</style>"
	            "<meta charset=\"iso-8859-1\"><script>var x=1;</script></head>"
	            "<body><p>Body</p><script>alert('</b>')</script>"
	            "<template><p>tmpl</p></template><!-- comment --><p>End</p></body></html>",
	            "Body\n\nEnd\n");
	assert_text("a<!--[if mso]><p>mso only</p><![endif]-->b", "ab\n");
	assert_text("a<![if !supportLists]>1.<![endif]>b", "a1.b\n");
	assert_text("<svg><text>svg</text></svg><math><mi>x</mi></math><iframe>f</iframe>ok", "ok\n");
	assert_text("x<!-- never closed <p>hidden</p>", "x\n");
	assert_text("<!DOCTYPE html><?xml version=\"1.0\"?>doc", "doc\n");
	assert_text("<style>a{}</style ><style>b{}</STYLE>shown", "shown\n");
	assert_text("<xmp><b>literal</b></xmp>", "<b>literal</b>\n");
}

static void
test_text_entities(void)
{
	assert_text("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &eacute; &#x263A; &#9731;",
	            "a & b <c> \"d\" 'e' \xc3\xa9 \xe2\x98\xba \xe2\x98\x83\n");
	/* windows-1252 references, as browsers read them */
	assert_text("&#150; &#147;q&#148; &#128;", "\xe2\x80\x93 \xe2\x80\x9cq\xe2\x80\x9d \xe2\x82\xac\n");
	/* legacy references without ';' and bare ampersands */
	assert_text("a&nbspb &copy 2024 & more &amp more", "a b \xc2\xa9 2024 & more & more\n");
	assert_text("&#0;&#xD800;&#x110000;ok", "ok\n");
	assert_text("&bogus; &#65", "&bogus; A\n");
}

static void
test_text_pre(void)
{
	assert_text("<pre>  code\n    indented\n\nend</pre>after", "  code\n    indented\n\nend\n\nafter\n");
	assert_text("<pre>\nfirst</pre>", "first\n");
	assert_text("<blockquote><pre>q1\n q2</pre></blockquote>", "> q1\n>  q2\n");
}

static void
test_text_quotes_gmail(void)
{
	assert_text("<div dir=\"ltr\">Thanks, works now.</div><br>"
	            "<div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">"
	            "On Mon, 1 Jan 2024 at 10:00, Bob &lt;bob@example.com&gt; wrote:<br></div>"
	            "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex\">"
	            "Does it work?<br>Bob<br>"
	            "<div class=\"gmail_quote\"><div class=\"gmail_attr\">On Sun, Ann wrote:</div>"
	            "<blockquote class=\"gmail_quote\">first message</blockquote></div>"
	            "</blockquote></div>",
	            "Thanks, works now.\n\n"
	            "> On Mon, 1 Jan 2024 at 10:00, Bob <bob@example.com> wrote:\n>\n"
	            "> Does it work?\n> Bob\n"
	            "> On Sun, Ann wrote:\n>\n"
	            ">> first message\n");
}

static void
test_text_quotes_apple_thunderbird(void)
{
	/* Apple Mail */
	assert_text("<div>Sure.</div><div><br><blockquote type=\"cite\"><div>On 2 Jan 2024, at 09:00, "
	            "Ann &lt;ann@example.com&gt; wrote:</div><br><div><div>Can you?</div></div>"
	            "</blockquote></div>",
	            "Sure.\n\n> On 2 Jan 2024, at 09:00, Ann <ann@example.com> wrote:\n>\n> Can you?\n");
	/* Thunderbird */
	assert_text("<p>Yes.</p><div class=\"moz-cite-prefix\">On 1/2/24 9:00 AM, Ann wrote:<br></div>"
	            "<blockquote type=\"cite\" cite=\"mid:x@y\">Question<br><blockquote type=\"cite\">older"
	            "</blockquote></blockquote>",
	            "Yes.\n\n> On 1/2/24 9:00 AM, Ann wrote:\n>\n> Question\n>\n>> older\n");
	/* Yahoo */
	assert_text("Fine<div id=\"yahoo_quoted_123\" class=\"yahoo_quoted\"><div>On Monday, Ann wrote:</div>"
	            "<div>Hello?</div></div>",
	            "Fine\n> On Monday, Ann wrote:\n> Hello?\n");
}

static void
test_text_quotes_outlook(void)
{
	/* Outlook on the web: everything from appendonsend / divRplyFwdMsg on is history */
	assert_text("<div>My reply</div><div id=\"appendonsend\"></div>"
	            "<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">"
	            "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri\"><b>From:</b> Ann<br>"
	            "<b>Sent:</b> Monday<br><b>Subject:</b> Order</font><div>&nbsp;</div></div>"
	            "<div>Original body</div><p>more original</p>",
	            "My reply\n\n> ________________________________\n>\n> From: Ann\n> Sent: Monday\n"
	            "> Subject: Order\n> Original body\n>\n> more original\n");
	/* a reply to an OWA mail that quoted an OWA mail: "x_" ids */
	assert_text("<p>new</p><div id=\"x_divRplyFwdMsg\"><b>From:</b> B</div><div>old</div>",
	            "new\n\n> From: B\n> old\n");
	/* Outlook for Windows: the bordered header box */
	assert_text("<p class=MsoNormal>Thanks<o:p></o:p></p><div><div style='border:none;border-top:solid "
	            "#E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal><b>From:</b> Bob<br>"
	            "<b>Sent:</b> Monday</p></div></div><p class=MsoNormal>orig<o:p></o:p></p>",
	            "Thanks\n\n> From: Bob\n> Sent: Monday\n>\n> orig\n");
}

static void
test_text_after_html(void)
{
	/* libxml2 2.9 would drop what follows </html>: gateways append disclaimers there */
	assert_text("<html><body><p>in</p></body></html><p>Disclaimer</p>tail", "in\n\nDisclaimer\n\ntail\n");
}

static void
test_text_invalid_nesting(void)
{
	assert_text("<b>bold <i>both</b> italic</i> plain", "bold both italic plain\n");
	assert_text("<div><span>unclosed <b>tags", "unclosed tags\n");
	assert_text("</div></p></b>stray ends</i>", "stray ends\n");
	assert_text("<table><tr><td>cell<div>block</td><td>next</td></tr></table>", "cell\nblock\nnext\n");
	assert_text("<p>unterminated <a href=\"http://x.example/", "unterminated\n");
	assert_text("<p title=\"unterminated>quote</p>next", "quote\n\nnext\n");
	assert_text("<div a=1 a=2 b c = d>attrs</div>", "attrs\n");
}

/* ---- hostile bytes ---------------------------------------------------------------- */

static void
test_nul_and_invalid_utf8(void)
{
	static const char in[] = "<p>a\0b</p><p>\xff\xfe c \xc3\x28 d \xe2\x82 e \xed\xa0\x80 f</p>\0<b>\0</b>";
	gboolean tr = TRUE;
	char *t = cd_html_to_text(in, sizeof in - 1, NULL, &tr);
	g_assert_false(tr);
	g_assert_true(g_utf8_validate(t, -1, NULL));
	g_assert_nonnull(strstr(t, "a\xef\xbf\xbd" "b"));
	g_assert_nonnull(strstr(t, "\xef\xbf\xbd\xef\xbf\xbd c"));
	g_assert_nonnull(strstr(t, " f"));
	g_free(t);
	char *s = cd_html_sanitize(in, sizeof in - 1, NULL, NULL);
	assert_good_html(s, 64);
	g_assert_nonnull(strstr(s, "a\xef\xbf\xbd" "b"));
	g_free(s);
	/* a UTF-8 BOM goes, a <meta charset> is ignored */
	assert_text("\xef\xbb\xbf<meta charset=\"iso-8859-1\"><p>caf\xc3\xa9</p>", "caf\xc3\xa9\n");
	/* control characters */
	assert_text("a\x01\x02\x1b[31mb\x7f", "a[31mb\n");
}

static void
test_huge_attribute(void)
{
	GString *in = g_string_new("<a href=\"http://x.example/");
	for (int i = 0; i < 2 * 1024 * 1024; i++)
		g_string_append_c(in, 'x');
	g_string_append(in, "\" title=\"t\">link</a><img src=\"data:image/png;base64,");
	for (int i = 0; i < 1024 * 1024; i++)
		g_string_append_c(in, 'A');
	g_string_append(in, "\" alt=\"pic\"><p>after</p>");
	gint64 t0 = g_get_monotonic_time();
	char *t = cd_html_to_text(in->str, in->len, NULL, NULL);
	char *s = cd_html_sanitize(in->str, in->len, NULL, NULL);
	gint64 dt = g_get_monotonic_time() - t0;
	g_assert_cmpstr(t, ==, "linkpic\n\nafter\n");
	assert_good_html(s, 64);
	g_assert_null(strstr(s, "href"));
	g_assert_nonnull(strstr(s, "pic"));
	g_assert_cmpint(dt, <, 2 * G_USEC_PER_SEC * tu_time_scale());
	g_free(t);
	g_free(s);
	g_string_free(in, TRUE);
}

/* ---- sanitised HTML --------------------------------------------------------------- */

static void
test_sanitize_basic(void)
{
	assert_html("<p>Hello <b>world</b></p>", "<p>Hello <b>world</b></p>");
	assert_html("<div onclick=\"x()\" style=\"position:fixed\" class=\"c\" id=\"i\" title=\"t\">t</div>",
	            "<div>t</div>");
	assert_html("<a href=\"https://example.com/?a=1&amp;b=2\" onclick=\"x\">go</a>",
	            "<a href=\"https://example.com/?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow\" "
	            "target=\"_blank\">go</a>");
	assert_html("<a href=\"MAILTO:a@b.example\">m</a>",
	            "<a href=\"MAILTO:a@b.example\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">m</a>");
	assert_html("<table border=1 cellpadding=\"3\" style=x><tr><td colspan=2 rowspan=\"x\" align=center "
	            "valign=top width=\"50%\">c</td></tr></table>",
	            "<table border=\"1\" cellpadding=\"3\"><tr><td colspan=\"2\" align=\"center\" valign=\"top\" "
	            "width=\"50%\">c</td></tr></table>");
	assert_html("<font color=\"#ff0000\" size=\"+1\" face=\"Arial, sans-serif\">f</font>",
	            "<font color=\"#ff0000\" size=\"+1\" face=\"Arial, sans-serif\">f</font>");
	assert_html("<font color=\"red;background:url(x)\">f</font>", "<font>f</font>");
	assert_html("<ol start=\"3\" type=\"a\"><li>x</li></ol>", "<ol start=\"3\" type=\"a\"><li>x</li></ol>");
	assert_html("<p dir=\"rtl\">\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d</p>", "<p dir=\"rtl\">\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d</p>");
	assert_html("<section>s</section><strike>x</strike><tt>t</tt>", "<div>s</div><s>x</s><code>t</code>");
	assert_html("<pre>a\n b</pre>", "<pre>\na\n b</pre>");
	assert_html("<html><body>in</body></html><p>after</p>", "in<p>after</p>");
}

static void
test_sanitize_images(void)
{
	assert_html("<img src=\"cid:logo@x\" alt=\"Logo\" width=\"120\" height=\"40\" onerror=\"x\">",
	            "<img src=\"cid:logo@x\" alt=\"Logo\" width=\"120\" height=\"40\">");
	assert_html("<div><img src=\"https://tracker.example/p.gif\" alt=\"Banner &amp; more\"></div>",
	            "<div>Banner &amp; more</div>");
	assert_html("<div><img src=\"data:image/png;base64,AAAA\"></div>", "<div></div>");
	assert_html("<div><img src=\"cid:\" alt=\"e\"></div>", "<div>e</div>");
}

static void
test_sanitize_dropped(void)
{
	assert_html("<div>a<script>alert(1)</script>b<style>*{}</style>c</div>", "<div>abc</div>");
	assert_html("<div>a<iframe src=\"x\">if</iframe><object data=x>ob</object><embed src=x>b</div>",
	            "<div>ab</div>");
	assert_html("<div>a<form action=x><input name=q><button>Go</button>f</form>b</div>", "<div>ab</div>");
	assert_html("<div>a<svg onload=alert(1)><script>x</script></svg><math><mi>m</mi></math>b</div>",
	            "<div>ab</div>");
	assert_html("<div><meta http-equiv=refresh content=0><link rel=stylesheet href=x><base href=x>ok</div>",
	            "<div>ok</div>");
	assert_html("<head><title>t</title></head><div>body</div>", "<div>body</div>");
	assert_html("<div><template><b>t</b></template><!-- c --><![CDATA[x]]>ok</div>", "<div>ok</div>");
}

static void
test_sanitize_urls(void)
{
	static const char *const bad[] = {
		"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
		"java\tscript:alert(1)", "java&#x09;script:alert(1)", "&#106;avascript:alert(1)",
		"javascript&colon;alert(1)", "vbscript:msgbox", "data:text/html,<script>x</script>",
		"//evil.example/x", "/relative", "#frag", "file:///etc/passwd", "jar:http://x!/",
		"\x01javascript:alert(1)", "ftp://x.example/",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *in = g_strdup_printf("<a href=\"%s\">x</a>", bad[i]);
		char *s = sanitize(in);
		if (strstr(s, "href") != NULL)
			g_error("href kept for %s: %s", bad[i], s);
		g_free(s);
		g_free(in);
	}
	/* a URL with quotes, angle brackets, spaces and line breaks stays one attribute */
	assert_html("<a href='http://x.example/\"onmouseover=\"x\"&lt;b&gt; y\nz'>q</a>",
	            "<a href=\"http://x.example/&quot;onmouseover=&quot;x&quot;&lt;b&gt;%20yz\" "
	            "rel=\"noopener noreferrer nofollow\" target=\"_blank\">q</a>");
}

/* XSS vectors in the style of the OWASP filter evasion cheat sheet and known mXSS. */
static void
test_sanitize_xss(void)
{
	static const char *const vectors[] = {
		"<script>alert(1)</script>",
		"<scr<script>ipt>alert(1)</script>",
		"<SCRIPT SRC=http://x/x.js></SCRIPT>",
		"<img src=x onerror=alert(1)>",
		"<img src=\"cid:x\" onerror=\"alert(1)\">",
		"<img \"\"\"><script>alert(1)</script>\">",
		"<img src=`x`onerror=alert(1)>",
		"<svg/onload=alert(1)>",
		"<body onload=alert(1)>",
		"<iframe src=javascript:alert(1)>",
		"<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
		"<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
		"<div style=\"background:url(javascript:alert(1))\">x</div>",
		"<div style=\"x:expression(alert(1))\">x</div>",
		"<style>@import 'http://x/x.css';</style>",
		"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
		"<object data=\"javascript:alert(1)\"></object>",
		"<embed src=\"data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+\">",
		"<form action=javascript:alert(1)><input type=submit>",
		"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
		"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
		"<svg><style><img src=x onerror=alert(1)></style></svg>",
		"<textarea><script>alert(1)</script></textarea>",
		"<title><script>alert(1)</script></title>",
		"<xmp><script>alert(1)</script></xmp>",
		"<plaintext><script>alert(1)</script>",
		"<!--<img src=x onerror=alert(1)>-->",
		"<!--><img src=x onerror=alert(1)>-->",
		"<![CDATA[<img src=x onerror=alert(1)>]]>",
		"<?xml-stylesheet href=\"javascript:alert(1)\"?>",
		"\"><script>alert(1)</script>",
		"'><img src=x onerror=alert(1)>",
		"<div title=\"a\" onclick=\"alert(1)\" title=\"b\">x</div>",
		"<a href=\"http://ok\" href=\"javascript:alert(1)\">x</a>",
		"<a href=\"javascript:alert(1)\" href=\"http://ok\">x</a>",
		"<base href=\"javascript:alert(1)//\"><a href=\"/x\">x</a>",
		"<link rel=import href=\"http://x/x.html\">",
		"<input autofocus onfocus=alert(1)>",
		"<details open ontoggle=alert(1)>",
		"<video><source onerror=\"alert(1)\">",
		"<table background=\"javascript:alert(1)\"><td background=x>",
		"<div id=\"x\" class=\"y\" data-x=\"z\" aria-label=\"w\">x</div>",
		"<a href=\"http://x\" target=\"_self\" rel=\"opener\">x</a>",
		"<p>a</p></div></div></body></html><script>alert(1)</script>",
		"</div><script>alert(1)</script>",
		"<li><div><li>x</div></li></ul></div>",
		"<p><table><p>x</table></p></div>",
		"<a href=http://a><a href=http://b>x</a></a>",
		"<h1><h2>x</h2></h1>",
		"<table><caption><table>x</table></caption></table>",
		"<table><tr><td><caption>x</caption></td></tr></table>",
		"<select><option><script>alert(1)</script></select>",
		"<img src=\"cid:x\" alt=\"\" onerror=\"alert(1)\"/>",
		"<img src=\"cid:x\" alt=\"x\" width=\"100 onerror=alert(1)\">",
		"<a href=\"http://x\">\xe2\x80\xae</a>",
	};
	static const char *const forbidden[] = {
		"<script", "<iframe", "<svg", "<style", "<object", "<embed", "<form", "<input", "<meta",
		"<link", "<base", "<math", "<textarea", "<title", "<noscript", "<select", "<body",
		"onerror", "onload", "onclick", "onfocus", "ontoggle", "style=", "javascript:",
		"srcdoc", "background", "id=", "class=", "data-", "_self", "opener\"",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(vectors); i++) {
		char *s = cd_html_sanitize(vectors[i], strlen(vectors[i]), NULL, NULL);
		assert_good_html(s, 64);
		/* the markup we wrote: every raw '<' starts a tag, text has them escaped */
		GString *markup = g_string_new(NULL);
		for (const char *p = strchr(s, '<'); p != NULL; p = strchr(p + 1, '<')) {
			const char *e = strchr(p, '>');
			g_string_append_len(markup, p, e - p + 1);
		}
		char *low = g_ascii_strdown(markup->str, -1);
		for (gsize k = 0; k < G_N_ELEMENTS(forbidden); k++)
			if (strstr(low, forbidden[k]) != NULL)
				g_error("vector %zu: %s survived: %s", i, forbidden[k], s);
		g_free(low);
		g_string_free(markup, TRUE);
		g_free(s);
	}
}

static void
test_sanitize_wellformed(void)
{
	assert_html("<b>bold <i>both</b> italic</i>", "<b>bold <i>both</i></b> italic");
	assert_html("<div><span>open <b>forever", "<div><span>open <b>forever</b></span></div>");
	assert_html("</div></p>stray</b>", "stray");
	/* structure an HTML5 parser would change is not written */
	assert_html("<p>a<b><div>b</div></b></p>", "<p>a<b>b</b></p>");
	assert_html("<a href=\"http://a\">1<a href=\"http://b\">2</a></a>",
	            "<a href=\"http://a\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">1</a>"
	            "<a href=\"http://b\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">2</a>");
	assert_html("<h1>a<span><h2>b</h2></span></h1>", "<h1>a<span>b</span></h1>");
	assert_html("<div><li>loose</li></div>", "<div>loose</div>");
	assert_html("<ul><li>a<div><li>b</div></li></ul>", "<ul><li>a<div>b</div></li></ul>");
	assert_html("<dl><dt>t<dd>d</dl>", "<dl><dt>t</dt><dd>d</dd></dl>");
	assert_html("<table><td>a</td><td>b</td></table>", "<table><tr><td>a</td><td>b</td></tr></table>");
	assert_html("<table><div><tr><td>x</td></tr></div></table>", "<table><tr><td>x</td></tr></table>");
	assert_html("<table><tr><td>c</td></tr><caption>late</caption></table>",
	            "<table><tr><td>c</td></tr><caption>late</caption></table>");
	assert_html("<td>cell outside</td><tr>row outside</tr>", "cell outsiderow outside");
}

static void
test_sanitize_depth(void)
{
	GString *in = g_string_new(NULL);
	for (int i = 0; i < 300; i++)
		g_string_append(in, "<div><b>");
	g_string_append(in, "deep");
	for (int i = 0; i < 300; i++)
		g_string_append(in, "</b></div>");
	char *s = cd_html_sanitize(in->str, in->len, NULL, NULL);
	assert_good_html(s, 64);
	g_assert_nonnull(strstr(s, "deep"));
	g_free(s);
	cd_html_limits lim;
	cd_html_limits_default(&lim);
	lim.max_depth = 5;
	gboolean tr = TRUE;
	s = cd_html_sanitize(in->str, in->len, &lim, &tr);
	g_assert_false(tr);
	assert_good_html(s, 5);
	g_assert_nonnull(strstr(s, "deep"));
	char *t = cd_html_to_text(in->str, in->len, &lim, NULL);
	g_assert_cmpstr(t, ==, "deep\n");
	g_free(t);
	g_free(s);
	g_string_free(in, TRUE);
}

/* ---- limits ----------------------------------------------------------------------- */

static void
test_limit_input(void)
{
	cd_html_limits lim;
	cd_html_limits_default(&lim);
	g_assert_cmpuint(lim.max_input_bytes, ==, 4 * 1024 * 1024);
	g_assert_cmpuint(lim.max_depth, ==, 64);
	g_assert_cmpint(lim.max_usec, ==, 2 * G_USEC_PER_SEC);
	lim.max_input_bytes = 12;
	gboolean tr = FALSE;
	const char *in = "<p>Hello wonderful world</p>";
	char *t = cd_html_to_text(in, strlen(in), &lim, &tr);
	g_assert_true(tr);
	g_assert_cmpstr(t, ==, "Hello won\n");
	g_free(t);
	/* a cut in the middle of a character drops it */
	lim.max_input_bytes = 5;
	t = cd_html_to_text("abcd\xc3\xa9", 6, &lim, &tr);
	g_assert_true(tr);
	g_assert_cmpstr(t, ==, "abcd\n");
	g_free(t);
	char *s = cd_html_sanitize("<b>abcdefgh</b>", 15, &lim, &tr);
	g_assert_true(tr);
	assert_good_html(s, 64);
	g_free(s);
	/* zero fields mean the defaults */
	cd_html_limits zero = { 0, 0, 0 };
	t = cd_html_to_text(in, strlen(in), &zero, &tr);
	g_assert_false(tr);
	g_assert_cmpstr(t, ==, "Hello wonderful world\n");
	g_free(t);
}

static void
test_limit_time(void)
{
	GString *in = g_string_new(NULL);
	while (in->len < 4 * 1024 * 1024)
		g_string_append(in, "<p>para <b>bold</b> <a href=\"http://x.example/\">l</a>");
	cd_html_limits lim;
	cd_html_limits_default(&lim);
	lim.max_usec = 1000;
	gboolean tr = FALSE;
	gint64 t0 = g_get_monotonic_time();
	char *t = cd_html_to_text(in->str, in->len, &lim, &tr);
	gint64 dt1 = g_get_monotonic_time() - t0;
	g_assert_true(tr);
	g_assert_true(g_utf8_validate(t, -1, NULL));
	g_assert_true(g_str_has_prefix(t, "para bold l <http://x.example/>"));
	g_free(t);
	t0 = g_get_monotonic_time();
	char *s = cd_html_sanitize(in->str, in->len, &lim, &tr);
	gint64 dt2 = g_get_monotonic_time() - t0;
	g_assert_true(tr);
	assert_good_html(s, 64);
	g_free(s);
	g_test_message("1 ms budget on 4 MiB: text stopped after %.1f ms, html after %.1f ms",
	               dt1 / 1000.0, dt2 / 1000.0);
	g_assert_cmpint(dt1, <, 500 * 1000);
	g_assert_cmpint(dt2, <, 500 * 1000);
	g_string_free(in, TRUE);
}

/* ---- pathological mail ------------------------------------------------------------ */

#define TEN_MB (10 * 1024 * 1024)

static GString *
gen_nested_divs(void)
{
	GString *s = g_string_sized_new(TEN_MB + 64);
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "<div>");
	g_string_append(s, "innermost");
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "</div>");
	while (s->len < TEN_MB)
		g_string_append(s, "<div>filler text after the nesting</div>\n");
	return s;
}

static GString *
gen_links(void)
{
	GString *s = g_string_sized_new(TEN_MB + 512);
	for (int i = 0; s->len < TEN_MB; i++)
		g_string_append_printf(s, "<a href=\"https://click.example.com/track?id=%d&amp;u=aHR0cHM6Ly9leGFtcGxlLmNvbS9wcm9kdWN0cy9mb28vYmFyL2Jheg%%3D%%3D&amp;sig=0123456789abcdef0123456789abcdef\" "
		                       "style=\"color:#336699;text-decoration:none\">Product %d</a> | ", i, i);
	return s;
}

static GString *
gen_tables(void)
{
	GString *s = g_string_sized_new(TEN_MB + 64);
	while (s->len < TEN_MB) {
		for (int i = 0; i < 5000; i++)
			g_string_append(s, "<table width=\"100%\"><tr><td align=\"left\">");
		g_string_append(s, "cell");
		for (int i = 0; i < 5000; i++)
			g_string_append(s, "</td></tr></table>");
	}
	return s;
}

static GString *
gen_misnested(void)
{
	/* libxml2 2.9 scans its whole element stack for each end tag that closes nothing */
	GString *s = g_string_sized_new(TEN_MB + 64);
	g_string_append(s, "<i><div>");
	while (s->len < TEN_MB / 2)
		g_string_append(s, "<b>");
	while (s->len < TEN_MB)
		g_string_append(s, "</i>");
	return s;
}

static GString *
gen_attrs(void)
{
	/* libxml2 2.9 compares every attribute of a tag with every other one */
	GString *s = g_string_sized_new(TEN_MB + 64);
	g_string_append(s, "<div");
	for (int i = 0; s->len < TEN_MB; i++)
		g_string_append_printf(s, " a%d=%d", i, i);
	g_string_append(s, ">text</div>");
	return s;
}

static GString *
gen_unclosed_p(void)
{
	GString *s = g_string_sized_new(TEN_MB + 64);
	while (s->len < TEN_MB)
		g_string_append(s, "<p>x<li>y<td>z");
	return s;
}

static GString *
gen_entities(void)
{
	GString *s = g_string_sized_new(TEN_MB + 64);
	while (s->len < TEN_MB)
		g_string_append(s, "&amp;&nbsp;& &lt;<&#150;&bogus;&nbsp");
	return s;
}

static GString *
gen_quotes(void)
{
	GString *s = g_string_sized_new(TEN_MB + 64);
	while (s->len < TEN_MB / 2)
		g_string_append(s, "<blockquote type=\"cite\"><div class=\"gmail_quote\">q<br>");
	while (s->len < TEN_MB)
		g_string_append(s, "</div></blockquote>");
	return s;
}

static void
test_pathological(void)
{
	static const struct {
		const char *name;
		GString *(*gen)(void);
	} cases[] = {
		{ "100,000 nested <div>", gen_nested_divs },
		{ "50,000+ tracking links", gen_links },
		{ "5,000 nested tables, repeated", gen_tables },
		{ "<b> x 5M then </i> x 5M", gen_misnested },
		{ "one tag, 1M attributes", gen_attrs },
		{ "unclosed <p><li><td>", gen_unclosed_p },
		{ "entities and bare &", gen_entities },
		{ "deeply nested quotes", gen_quotes },
	};
	cd_html_limits lim;
	cd_html_limits_default(&lim);
	lim.max_input_bytes = 16 * 1024 * 1024;   /* all 10 MB, and time the whole work: */
	lim.max_usec = 60 * G_USEC_PER_SEC;        /* the budget is tested in test_limit_time */
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		GString *in = cases[i].gen();
		gboolean tr1 = TRUE, tr2 = TRUE;
		gint64 t0 = g_get_monotonic_time();
		char *t = cd_html_to_text(in->str, in->len, &lim, &tr1);
		gint64 t1 = g_get_monotonic_time();
		char *s = cd_html_sanitize(in->str, in->len, &lim, &tr2);
		gint64 t2 = g_get_monotonic_time();
		g_test_message("%-32s %5.1f MB: to_text %.3f s, sanitize %.3f s",
		               cases[i].name, in->len / 1048576.0, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
		g_assert_false(tr1);
		g_assert_false(tr2);
		g_assert_cmpint(t1 - t0, <, 3 * G_USEC_PER_SEC * tu_time_scale());
		g_assert_cmpint(t2 - t1, <, 3 * G_USEC_PER_SEC * tu_time_scale());
		g_assert_true(g_utf8_validate(t, -1, NULL));
		assert_good_html(s, 64);
		if (i == 0) {
			g_assert_nonnull(strstr(t, "innermost"));
			g_assert_nonnull(strstr(s, "innermost"));
		}
		g_free(t);
		g_free(s);
		g_string_free(in, TRUE);
	}
}

/* With the default limits a 10 MB mail is cut at 4 MiB and never runs past its budget. */
static void
test_pathological_defaults(void)
{
	GString *in = gen_misnested();
	gboolean tr = FALSE;
	gint64 t0 = g_get_monotonic_time();
	char *t = cd_html_to_text(in->str, in->len, NULL, &tr);
	gint64 dt = g_get_monotonic_time() - t0;
	g_assert_true(tr);
	g_assert_cmpint(dt, <, 3 * G_USEC_PER_SEC * tu_time_scale());
	g_free(t);
	g_string_free(in, TRUE);
}

/* ---- random tag soup -------------------------------------------------------------- */

static const char *const soup[] = {
	"<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<i>", "</i>", "<a href=\"http://x.example/\">",
	"<a href=javascript:alert(1)>", "</a>", "<table>", "</table>", "<tr>", "</tr>", "<td>", "</td>",
	"<th>", "<tbody>", "</tbody>", "<caption>", "</caption>", "<ul>", "</ul>", "<ol start=3>", "</ol>",
	"<li>", "</li>", "<dl>", "<dt>", "<dd>", "</dl>", "<h1>", "</h1>", "<h2>", "</h2>",
	"<blockquote>", "</blockquote>", "<pre>", "</pre>", "<br>", "<hr>", "<img src=cid:x alt=y>",
	"<img src=http://e/x onerror=alert(1)>", "<font color=red>", "</font>", "<center>", "</center>",
	"<span>", "</span>", "<script>alert(1)</script>", "<style>x{}</style>", "<svg><p>in svg</p></svg>",
	"<math><mi>x</mi></math>", "<iframe src=x>", "</iframe>", "<form>", "</form>",
	"<select><option>o</select>", "<textarea>t</textarea>", "<noscript>", "</noscript>", "<title>",
	"</title>", "<!--", "-->", "<![CDATA[", "]]>", "<?x ?>", "<!DOCTYPE html>", "text", " ", "\n",
	"&amp;", "&lt;", "&", "<", ">", "\"", "'", "=", "\xc3\xa9", "\xff", "&nbsp;", "&#150;", "<xmp>",
	"</xmp>", "<u>", "<s>", "<sub>", "<code>", "</code>", "<o:p>", "</o:p>", "<td colspan=2>", "<html>",
	"</html>", "<body>", "</body>", "<head>", "</head>", "<p title='", "' onclick=x>", "<img alt=\"",
	"<plaintext>", "<div class=gmail_quote>", "<div id=divRplyFwdMsg>", "<listing>", "<nobr>",
	"<table><tr><td>", "</td></tr></table>", "<div style='border-top:solid #E1E1E1 1.0pt'>",
};

static void
test_random_soup(void)
{
	GRand *r = g_rand_new_with_seed(20240101);
	for (int k = 0; k < 3000; k++) {
		GString *in = g_string_new(NULL);
		int m = g_rand_int_range(r, 1, 120);
		for (int j = 0; j < m; j++) {
			if (g_rand_int_range(r, 0, 20) == 0) {
				g_string_append_c(in, (char) g_rand_int_range(r, 0, 256));   /* NULs too */
				continue;
			}
			g_string_append(in, soup[g_rand_int_range(r, 0, G_N_ELEMENTS(soup))]);
		}
		char *t = cd_html_to_text(in->str, in->len, NULL, NULL);
		g_assert_true(g_utf8_validate(t, -1, NULL));
		g_assert_null(strstr(t, "\n\n\n"));
		char *s = cd_html_sanitize(in->str, in->len, NULL, NULL);
		assert_good_html(s, 64);
		g_free(t);
		g_free(s);
		g_string_free(in, TRUE);
	}
	g_rand_free(r);
}

/* ---- threads ---------------------------------------------------------------------- */

#define INPUT(lit) { lit, sizeof lit - 1 }
static const struct {
	const char *s;
	gsize len;
} thread_inputs[] = {
	INPUT("<p>Hello <b>world</b></p><blockquote>quoted <a href=\"http://x.example/\">l</a></blockquote>"),
	INPUT("<table><tr><td>a</td><td>b</td></tr></table><ul><li>x<li>y</ul>"),
	INPUT("<div id=divRplyFwdMsg>From: x</div><div>old</div><script>bad()</script>"),
	INPUT("bad \xff utf8 \0 and &amp; entities &#150;"),
};

static gpointer
thread_main(gpointer data)
{
	char **expected = data;
	for (int round = 0; round < 200; round++) {
		for (gsize i = 0; i < G_N_ELEMENTS(thread_inputs); i++) {
			char *t = cd_html_to_text(thread_inputs[i].s, thread_inputs[i].len, NULL, NULL);
			char *s = cd_html_sanitize(thread_inputs[i].s, thread_inputs[i].len, NULL, NULL);
			gboolean same = strcmp(t, expected[2 * i]) == 0 && strcmp(s, expected[2 * i + 1]) == 0;
			g_free(t);
			g_free(s);
			if (!same)
				return GINT_TO_POINTER(1);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	char *expected[2 * G_N_ELEMENTS(thread_inputs)];
	for (gsize i = 0; i < G_N_ELEMENTS(thread_inputs); i++) {
		expected[2 * i] = cd_html_to_text(thread_inputs[i].s, thread_inputs[i].len, NULL, NULL);
		expected[2 * i + 1] = cd_html_sanitize(thread_inputs[i].s, thread_inputs[i].len, NULL, NULL);
	}
	g_assert_nonnull(strstr(expected[6], "\xef\xbf\xbd"));
	GThread *th[8];
	for (gsize i = 0; i < G_N_ELEMENTS(th); i++)
		th[i] = g_thread_new("html", thread_main, expected);
	for (gsize i = 0; i < G_N_ELEMENTS(th); i++)
		g_assert_null(g_thread_join(th[i]));
	for (gsize i = 0; i < G_N_ELEMENTS(expected); i++)
		g_free(expected[i]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/html/text/empty", test_text_empty);
	g_test_add_func("/html/text/plain-input", test_text_plain_input);
	g_test_add_func("/html/text/blocks", test_text_blocks);
	g_test_add_func("/html/text/whitespace", test_text_whitespace);
	g_test_add_func("/html/text/lists", test_text_lists);
	g_test_add_func("/html/text/tables", test_text_tables);
	g_test_add_func("/html/text/links", test_text_links);
	g_test_add_func("/html/text/images", test_text_images);
	g_test_add_func("/html/text/dropped", test_text_dropped);
	g_test_add_func("/html/text/entities", test_text_entities);
	g_test_add_func("/html/text/pre", test_text_pre);
	g_test_add_func("/html/text/quotes-gmail", test_text_quotes_gmail);
	g_test_add_func("/html/text/quotes-apple-thunderbird-yahoo", test_text_quotes_apple_thunderbird);
	g_test_add_func("/html/text/quotes-outlook", test_text_quotes_outlook);
	g_test_add_func("/html/text/after-html", test_text_after_html);
	g_test_add_func("/html/text/invalid-nesting", test_text_invalid_nesting);
	g_test_add_func("/html/input/nul-invalid-utf8", test_nul_and_invalid_utf8);
	g_test_add_func("/html/input/huge-attribute", test_huge_attribute);
	g_test_add_func("/html/sanitize/basic", test_sanitize_basic);
	g_test_add_func("/html/sanitize/images", test_sanitize_images);
	g_test_add_func("/html/sanitize/dropped", test_sanitize_dropped);
	g_test_add_func("/html/sanitize/urls", test_sanitize_urls);
	g_test_add_func("/html/sanitize/xss", test_sanitize_xss);
	g_test_add_func("/html/sanitize/wellformed", test_sanitize_wellformed);
	g_test_add_func("/html/sanitize/depth", test_sanitize_depth);
	g_test_add_func("/html/limits/input", test_limit_input);
	g_test_add_func("/html/limits/time", test_limit_time);
	g_test_add_func("/html/pathological/10mb", test_pathological);
	g_test_add_func("/html/pathological/defaults", test_pathological_defaults);
	g_test_add_func("/html/random-soup", test_random_soup);
	g_test_add_func("/html/threads", test_threads);
	return g_test_run();
}
