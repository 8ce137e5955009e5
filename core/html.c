/* html.c - HTML mail to readable text and to sanitised HTML (see html.h).
 *
 * Owns cd_html_to_text(), cd_html_sanitize() and cd_html_limits_default().
 *
 * Three stages, none of them recursive, all bounded:
 *
 *  1. clean: cut the input at max_input_bytes and make it valid UTF-8 (invalid bytes
 *     and NULs become U+FFFD), so libxml2 never falls back to guessing an encoding.
 *
 *  2. tokenize (ours): split the input into text, start tags, end tags, comments and
 *     raw text following the HTML5 tokenizer rules, and hand libxml2 one canonical
 *     token at a time: tags rebuilt as <name a="v"> with only the attributes we use
 *     (deduplicated, bounded), text with '<' escaped, and nothing at all for comments,
 *     doctypes, processing instructions and the bodies of script/style/title/...
 *     This is also where libxml2 is protected from its own slow paths (2.9 scans its
 *     whole element stack for an end tag that matches nothing, and compares every
 *     attribute with every other one): start tags nested beyond a bound and end tags
 *     that cannot close anything in libxml2's current element stack never reach it.
 *     Tokens are queued and handed over in pieces of at most 64 KB; the queue is
 *     flushed before every decision that needs libxml2's stack (each end tag, a start
 *     tag near the bound), so our mirror of that stack is exact there, and the
 *     deadline is checked between pieces. libxml2 gets <html><body> first and never
 *     the mail's own html/head/body tags: else it wraps leading text in an implied
 *     <p>, and libxml2 2.9 drops everything after </body></html> (where gateways put
 *     their disclaimers).
 *
 *  3. libxml2's HTML parser in push mode builds the element structure (implied and
 *     auto-closed elements) and reports it through SAX callbacks to one of two
 *     writers: plain text or sanitised HTML. Errors go to a silent handler on the
 *     parser context; the callbacks also check the deadline and stop the parser.
 *
 * Every call has its own parser context and state: nothing global but libxml2's
 * one-time initialisation. */
#include "html.h"

#include <stdio.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#define HTML_DEFAULT_MAX_INPUT ((gsize) 4 * 1024 * 1024)
#define HTML_DEFAULT_MAX_DEPTH 64
#define HTML_DEFAULT_MAX_USEC  ((gint64) 2 * G_USEC_PER_SEC)
#define HTML_DEPTH_CEILING     256          /* max_depth is clamped to this (browsers stop near 512) */
#define HTML_STACK_SLACK       32           /* libxml2 may nest this much deeper than max_depth */
#define FEED_MAX               (64 * 1024)  /* longest piece handed to libxml2 at once */
#define TAG_NAME_MAX           64
#define ATTR_VALUE_MAX         (16 * 1024)  /* longer attribute values are ignored */
#define URL_MAX                8192
#define QUOTE_SHOWN_MAX        16           /* "> " prefixes shown at most this deep */
#define INDENT_MAX             8            /* list indentation shown at most this deep */
#define HR_TEXT                "________________________________"

/* ---- element table ---------------------------------------------------------------- */

enum {
	T_OTHER,
	T_A, T_ABBR, T_ACRONYM, T_ADDRESS, T_APPLET, T_AREA, T_ARTICLE, T_ASIDE, T_AUDIO,
	T_B, T_BASE, T_BASEFONT, T_BDI, T_BDO, T_BIG, T_BLOCKQUOTE, T_BODY, T_BR, T_BUTTON,
	T_CANVAS, T_CAPTION, T_CENTER, T_CITE, T_CODE, T_COL, T_COLGROUP,
	T_DD, T_DEL, T_DETAILS, T_DFN, T_DIALOG, T_DIR, T_DIV, T_DL, T_DT,
	T_EM, T_EMBED,
	T_FIELDSET, T_FIGCAPTION, T_FIGURE, T_FONT, T_FOOTER, T_FORM, T_FRAME, T_FRAMESET,
	T_H1, T_H2, T_H3, T_H4, T_H5, T_H6, T_HEAD, T_HEADER, T_HGROUP, T_HR, T_HTML,
	T_I, T_IFRAME, T_IMG, T_INPUT, T_INS, T_ISINDEX,
	T_KBD, T_KEYGEN,
	T_LABEL, T_LEGEND, T_LI, T_LINK, T_LISTING,
	T_MAIN, T_MAP, T_MARK, T_MARQUEE, T_MATH, T_MENU, T_META,
	T_NAV, T_NOBR, T_NOEMBED, T_NOFRAMES, T_NOSCRIPT,
	T_OBJECT, T_OL, T_OPTGROUP, T_OPTION, T_OUTPUT,
	T_P, T_PARAM, T_PICTURE, T_PLAINTEXT, T_PRE,
	T_Q,
	T_RP, T_RT, T_RUBY,
	T_S, T_SAMP, T_SCRIPT, T_SECTION, T_SELECT, T_SMALL, T_SOURCE, T_SPAN, T_STRIKE,
	T_STRONG, T_STYLE, T_SUB, T_SUMMARY, T_SUP, T_SVG,
	T_TABLE, T_TBODY, T_TD, T_TEMPLATE, T_TEXTAREA, T_TFOOT, T_TH, T_THEAD, T_TIME,
	T_TITLE, T_TR, T_TRACK, T_TT,
	T_U, T_UL,
	T_VAR, T_VIDEO,
	T_WBR,
	T_XML, T_XMP,
	T_COUNT
};

enum {
	TF_VOID   = 1 << 0,   /* no content, no end tag */
	TF_B1     = 1 << 1,   /* text: line break before and after */
	TF_B2     = 1 << 2,   /* text: blank line before and after */
	TF_XT     = 1 << 3,   /* text: element and content dropped */
	TF_XS     = 1 << 4,   /* sanitised HTML: element and content dropped */
	TF_RAW    = 1 << 5,   /* tokenizer: raw text, dropped with its element */
	TF_RAWLIT = 1 << 6,   /* tokenizer: raw text shown literally (xmp) */
	TF_PLAIN  = 1 << 7,   /* tokenizer: everything after it is literal text (plaintext) */
	TF_CLOSEP = 1 << 8,   /* output element: an HTML5 parser closes an open <p> before it */
	TF_HEAD   = 1 << 9,   /* output element: a heading */
	TF_TBL    = 1 << 10,  /* output element: table, thead, tbody, tfoot, tr */
};

#define X_ (TF_XT | TF_XS)

G_STATIC_ASSERT(T_COUNT < 256);

typedef struct {
	const char *name;
	guint16 flags;
	guint8 prio;   /* libxml2 2.9 end-tag priority (htmlEndPriority / 10): an end tag
	                * cannot close past an open element of higher priority */
	guint8 san;    /* element written in sanitised HTML, T_OTHER: unwrapped */
} tag_info;

static const tag_info tags[T_COUNT] = {
	[T_OTHER]      = { "", 0, 10, T_OTHER },
	[T_A]          = { "a", 0, 10, T_A },
	[T_ABBR]       = { "abbr", 0, 10, T_SPAN },
	[T_ACRONYM]    = { "acronym", 0, 10, T_SPAN },
	[T_ADDRESS]    = { "address", TF_B1, 10, T_DIV },
	[T_APPLET]     = { "applet", X_, 10, T_OTHER },
	[T_AREA]       = { "area", TF_VOID, 10, T_OTHER },
	[T_ARTICLE]    = { "article", TF_B1, 10, T_DIV },
	[T_ASIDE]      = { "aside", TF_B1, 10, T_DIV },
	[T_AUDIO]      = { "audio", X_, 10, T_OTHER },
	[T_B]          = { "b", 0, 10, T_B },
	[T_BASE]       = { "base", TF_VOID | X_, 10, T_OTHER },
	[T_BASEFONT]   = { "basefont", TF_VOID, 10, T_OTHER },
	[T_BDI]        = { "bdi", 0, 10, T_SPAN },
	[T_BDO]        = { "bdo", 0, 10, T_SPAN },
	[T_BIG]        = { "big", 0, 10, T_SPAN },
	[T_BLOCKQUOTE] = { "blockquote", TF_B2 | TF_CLOSEP, 10, T_BLOCKQUOTE },
	[T_BODY]       = { "body", 0, 20, T_OTHER },
	[T_BR]         = { "br", TF_VOID, 10, T_BR },
	[T_BUTTON]     = { "button", TF_XS, 10, T_OTHER },
	[T_CANVAS]     = { "canvas", X_, 10, T_OTHER },
	[T_CAPTION]    = { "caption", TF_B1, 10, T_CAPTION },
	[T_CENTER]     = { "center", TF_B1 | TF_CLOSEP, 10, T_CENTER },
	[T_CITE]       = { "cite", 0, 10, T_I },
	[T_CODE]       = { "code", 0, 10, T_CODE },
	[T_COL]        = { "col", TF_VOID, 10, T_OTHER },
	[T_COLGROUP]   = { "colgroup", 0, 10, T_OTHER },
	[T_DD]         = { "dd", TF_B1 | TF_CLOSEP, 10, T_DD },
	[T_DEL]        = { "del", 0, 10, T_S },
	[T_DETAILS]    = { "details", TF_B1, 10, T_DIV },
	[T_DFN]        = { "dfn", 0, 10, T_I },
	[T_DIALOG]     = { "dialog", TF_B1, 10, T_DIV },
	[T_DIR]        = { "dir", TF_B2, 10, T_UL },
	[T_DIV]        = { "div", TF_B1 | TF_CLOSEP, 15, T_DIV },
	[T_DL]         = { "dl", TF_B2 | TF_CLOSEP, 10, T_DL },
	[T_DT]         = { "dt", TF_B1 | TF_CLOSEP, 10, T_DT },
	[T_EM]         = { "em", 0, 10, T_EM },
	[T_EMBED]      = { "embed", TF_VOID | X_, 10, T_OTHER },
	[T_FIELDSET]   = { "fieldset", TF_B1, 10, T_DIV },
	[T_FIGCAPTION] = { "figcaption", TF_B1, 10, T_DIV },
	[T_FIGURE]     = { "figure", TF_B1, 10, T_DIV },
	[T_FONT]       = { "font", 0, 10, T_FONT },
	[T_FOOTER]     = { "footer", TF_B1, 10, T_DIV },
	[T_FORM]       = { "form", TF_B1 | TF_XS, 10, T_OTHER },
	[T_FRAME]      = { "frame", TF_VOID | X_, 10, T_OTHER },
	[T_FRAMESET]   = { "frameset", X_, 10, T_OTHER },
	[T_H1]         = { "h1", TF_B2 | TF_CLOSEP | TF_HEAD, 10, T_H1 },
	[T_H2]         = { "h2", TF_B2 | TF_CLOSEP | TF_HEAD, 10, T_H2 },
	[T_H3]         = { "h3", TF_B2 | TF_CLOSEP | TF_HEAD, 10, T_H3 },
	[T_H4]         = { "h4", TF_B2 | TF_CLOSEP | TF_HEAD, 10, T_H4 },
	[T_H5]         = { "h5", TF_B2 | TF_CLOSEP | TF_HEAD, 10, T_H5 },
	[T_H6]         = { "h6", TF_B2 | TF_CLOSEP | TF_HEAD, 10, T_H6 },
	[T_HEAD]       = { "head", X_, 20, T_OTHER },
	[T_HEADER]     = { "header", TF_B1, 10, T_DIV },
	[T_HGROUP]     = { "hgroup", TF_B1, 10, T_DIV },
	[T_HR]         = { "hr", TF_VOID | TF_B2 | TF_CLOSEP, 10, T_HR },
	[T_HTML]       = { "html", 0, 22, T_OTHER },
	[T_I]          = { "i", 0, 10, T_I },
	[T_IFRAME]     = { "iframe", X_ | TF_RAW, 10, T_OTHER },
	[T_IMG]        = { "img", TF_VOID, 10, T_IMG },
	[T_INPUT]      = { "input", TF_VOID | TF_XS, 10, T_OTHER },
	[T_INS]        = { "ins", 0, 10, T_U },
	[T_ISINDEX]    = { "isindex", TF_VOID | TF_XS, 10, T_OTHER },
	[T_KBD]        = { "kbd", 0, 10, T_CODE },
	[T_KEYGEN]     = { "keygen", TF_VOID | TF_XS, 10, T_OTHER },
	[T_LABEL]      = { "label", 0, 10, T_SPAN },
	[T_LEGEND]     = { "legend", TF_B1, 10, T_DIV },
	[T_LI]         = { "li", TF_B1 | TF_CLOSEP, 10, T_LI },
	[T_LINK]       = { "link", TF_VOID | X_, 10, T_OTHER },
	[T_LISTING]    = { "listing", TF_B2, 10, T_PRE },
	[T_MAIN]       = { "main", TF_B1, 10, T_DIV },
	[T_MAP]        = { "map", 0, 10, T_OTHER },
	[T_MARK]       = { "mark", 0, 10, T_SPAN },
	[T_MARQUEE]    = { "marquee", TF_B1, 10, T_DIV },
	[T_MATH]       = { "math", X_, 10, T_OTHER },
	[T_MENU]       = { "menu", TF_B2, 10, T_UL },
	[T_META]       = { "meta", TF_VOID | X_, 10, T_OTHER },
	[T_NAV]        = { "nav", TF_B1, 10, T_DIV },
	[T_NOBR]       = { "nobr", 0, 10, T_SPAN },
	[T_NOEMBED]    = { "noembed", X_ | TF_RAW, 10, T_OTHER },
	[T_NOFRAMES]   = { "noframes", X_ | TF_RAW, 10, T_OTHER },
	[T_NOSCRIPT]   = { "noscript", 0, 10, T_OTHER },
	[T_OBJECT]     = { "object", X_, 10, T_OTHER },
	[T_OL]         = { "ol", TF_B2 | TF_CLOSEP, 10, T_OL },
	[T_OPTGROUP]   = { "optgroup", TF_B1 | TF_XS, 10, T_OTHER },
	[T_OPTION]     = { "option", TF_B1 | TF_XS, 10, T_OTHER },
	[T_OUTPUT]     = { "output", 0, 10, T_OTHER },
	[T_P]          = { "p", TF_B2 | TF_CLOSEP, 10, T_P },
	[T_PARAM]      = { "param", TF_VOID, 10, T_OTHER },
	[T_PICTURE]    = { "picture", 0, 10, T_OTHER },
	[T_PLAINTEXT]  = { "plaintext", TF_B2 | TF_PLAIN, 10, T_PRE },
	[T_PRE]        = { "pre", TF_B2 | TF_CLOSEP, 10, T_PRE },
	[T_Q]          = { "q", 0, 10, T_SPAN },
	[T_RP]         = { "rp", 0, 10, T_OTHER },
	[T_RT]         = { "rt", 0, 10, T_OTHER },
	[T_RUBY]       = { "ruby", 0, 10, T_OTHER },
	[T_S]          = { "s", 0, 10, T_S },
	[T_SAMP]       = { "samp", 0, 10, T_CODE },
	[T_SCRIPT]     = { "script", X_ | TF_RAW, 10, T_OTHER },
	[T_SECTION]    = { "section", TF_B1, 10, T_DIV },
	[T_SELECT]     = { "select", TF_B1 | X_, 10, T_OTHER },
	[T_SMALL]      = { "small", 0, 10, T_SMALL },
	[T_SOURCE]     = { "source", TF_VOID, 10, T_OTHER },
	[T_SPAN]       = { "span", 0, 10, T_SPAN },
	[T_STRIKE]     = { "strike", 0, 10, T_S },
	[T_STRONG]     = { "strong", 0, 10, T_STRONG },
	[T_STYLE]      = { "style", X_ | TF_RAW, 10, T_OTHER },
	[T_SUB]        = { "sub", 0, 10, T_SUB },
	[T_SUMMARY]    = { "summary", TF_B1, 10, T_DIV },
	[T_SUP]        = { "sup", 0, 10, T_SUP },
	[T_SVG]        = { "svg", X_, 10, T_OTHER },
	[T_TABLE]      = { "table", TF_B2 | TF_CLOSEP | TF_TBL, 19, T_TABLE },
	[T_TBODY]      = { "tbody", TF_B1 | TF_TBL, 18, T_TBODY },
	[T_TD]         = { "td", 0, 16, T_TD },
	[T_TEMPLATE]   = { "template", X_, 10, T_OTHER },
	[T_TEXTAREA]   = { "textarea", X_ | TF_RAW, 10, T_OTHER },
	[T_TFOOT]      = { "tfoot", TF_B1 | TF_TBL, 18, T_TFOOT },
	[T_TH]         = { "th", 0, 16, T_TH },
	[T_THEAD]      = { "thead", TF_B1 | TF_TBL, 18, T_THEAD },
	[T_TIME]       = { "time", 0, 10, T_SPAN },
	[T_TITLE]      = { "title", X_ | TF_RAW, 10, T_OTHER },
	[T_TR]         = { "tr", TF_B1 | TF_TBL, 17, T_TR },
	[T_TRACK]      = { "track", TF_VOID, 10, T_OTHER },
	[T_TT]         = { "tt", 0, 10, T_CODE },
	[T_U]          = { "u", 0, 10, T_U },
	[T_UL]         = { "ul", TF_B2 | TF_CLOSEP, 10, T_UL },
	[T_VAR]        = { "var", 0, 10, T_I },
	[T_VIDEO]      = { "video", X_, 10, T_OTHER },
	[T_WBR]        = { "wbr", TF_VOID, 10, T_OTHER },
	[T_XML]        = { "xml", X_, 10, T_OTHER },
	[T_XMP]        = { "xmp", TF_B2 | TF_RAWLIT, 10, T_PRE },
};

/* filled once by libxml_init_once(): first-letter ranges of tags[], and the void
 * elements this libxml2 does not know as empty (it would nest what follows in them) */
static guint8 tag_bucket[26][2];
static gboolean tag_close_now[T_COUNT];

static inline int
name_cmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (guchar) *a - (guchar) *b;
}

/* tag_id - the table entry for a lower-case element name, T_OTHER when unknown. */
static guint
tag_id(const char *name)
{
	guchar c = (guchar) name[0];
	if (c < 'a' || c > 'z')
		return T_OTHER;
	guint lo = tag_bucket[c - 'a'][0], hi = tag_bucket[c - 'a'][1];
	while (lo < hi) {
		guint mid = (lo + hi) / 2;
		int r = name_cmp(name + 1, tags[mid].name + 1);
		if (r == 0)
			return mid;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return T_OTHER;
}

/* name_hash - tells unknown element names apart in the end-tag gate (FNV-1a). */
static guint32
name_hash(const char *s)
{
	guint32 h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (guint8) *s) * 16777619u;
	return h;
}

/* The attributes our writers read; the tokenizer passes no others to libxml2. */
static const char *const known_attrs[] = {
	"href", "src", "alt", "class", "id", "colspan", "rowspan", "width", "height", "align",
	"valign", "dir", "start", "type", "border", "cellpadding", "cellspacing", "color",
	"size", "face", "style",
};
enum { KA_SRC = 1 };
G_STATIC_ASSERT(G_N_ELEMENTS(known_attrs) <= 32);   /* a bit each in tok_tag()'s seen mask */

/* ---- parse state ------------------------------------------------------------------ */

enum {
	F_EMIT  = 1 << 0,   /* sanitize: start tag written, end tag owed */
	F_BQ    = 1 << 1,   /* text: counted in bq */
	F_FLOOR = 1 << 2,   /* text: counted in floor (quote container) */
	F_LIST  = 1 << 3,   /* text: a list, counted in list_depth */
	F_PRE   = 1 << 4,   /* text: counted in pre */
	F_LINK  = 1 << 5,   /* text: href set, URL owed after the link text */
	F_END1  = 1 << 6,   /* text: line break after */
	F_END2  = 1 << 7,   /* text: blank line after */
	F_ITR   = 1 << 8,   /* sanitize: a <tr> we wrote for cells put directly in this table part */
};

enum {
	CTX_P       = 1 << 0,   /* a <p> is open in button scope */
	CTX_HEADING = 1 << 1,
	CTX_A       = 1 << 2,
	CTX_CAPTION = 1 << 3,
};

/* One open element of libxml2's stack (our mirror of it). */
typedef struct {
	guint16 tag;      /* T_* */
	guint16 flags;    /* F_*: what the start did, so that the end undoes exactly that */
	guint32 hash;     /* T_OTHER: name_hash() of the name */
	gint32 prev;      /* text: enclosing list frame; sanitize: enclosing emitted frame */
	gint32 counter;   /* text: next <ol> item number */
	guint8 out;       /* sanitize: element written */
	guint8 ctx;       /* sanitize: CTX_* inside this element */
	gsize mark;       /* text: output offset where the link text starts, G_MAXSIZE: not yet */
	char *href;       /* text: URL to print after the link text */
} frame;

typedef struct {
	htmlParserCtxtPtr ctxt;
	gboolean sanitize;
	guint max_depth;
	guint hard_depth;     /* start tags are not passed to libxml2 beyond this stack depth */
	gint64 deadline;      /* monotonic usec; 0: none */
	guint ticks;
	gboolean stopped;
	gboolean truncated;

	/* tokenizer */
	GString *scratch;
	GString *pend;                /* canonical tokens not yet handed to libxml2 */
	guint pend_starts;            /* start tags in pend */
	guint raw;                    /* raw-text element the tokenizer is in, T_OTHER: none */
	guint dropped[T_COUNT];       /* start tags not passed: their end tags are not either */
	guint open_count[T_COUNT];    /* elements per tag in libxml2's stack */
	guint64 stack_gen;            /* bumped on every push and pop of the stack */
	guint64 rejected_gen[T_COUNT];/* stack_gen + 1 at which an end tag was found to close nothing */
	guint32 rejected_hash;        /* ... and for T_OTHER, which name */

	/* mirror of libxml2's element stack */
	GArray *frames;
	guint skip_at;                /* frame whose content is dropped, G_MAXUINT: none */

	GString *out;

	/* text writer */
	gboolean started;             /* something written */
	guint pending_nl;             /* 1: line break, 2: blank line before the next word */
	guint pending_space;          /* whitespace before the next word (pre: how many) */
	gboolean pending_sep;         /* table cell separator before the next word */
	gboolean line_has_text;
	guint quote;                  /* quote level of new lines */
	guint line_quote;             /* quote level of the current line */
	guint bq, floor;
	gboolean history;             /* Outlook reply header seen: the rest is quoted */
	guint list_depth;
	gint32 cur_list;
	guint pre;
	guint links_unmarked;         /* open links whose text has not started yet */
	char marker[24];              /* list item marker owed to the item's first line */

	/* sanitize writer */
	gint32 emit_top;              /* innermost frame with F_EMIT, -1: none */
	guint open_emitted;
} cd_parse;

static inline frame *
frame_at(cd_parse *st, guint i)
{
	return &g_array_index(st->frames, frame, i);
}

/* over_time - whether the budget is spent; stops the parser when it is. */
static gboolean
over_time(cd_parse *st)
{
	if (st->stopped)
		return TRUE;
	if (st->deadline != 0 && g_get_monotonic_time() > st->deadline) {
		st->stopped = TRUE;
		st->truncated = TRUE;
		xmlStopParser(st->ctxt);
	}
	return st->stopped;
}

/* tick - called for every parser event: a cheap deadline check every 64 events. */
static inline gboolean
tick(cd_parse *st)
{
	if (st->stopped)
		return TRUE;
	return (++st->ticks & 63) == 0 && over_time(st);
}

/* ---- characters ------------------------------------------------------------------- */

static inline gboolean
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* C1 controls come from numeric references like &#150;: read them as windows-1252,
 * as browsers do. 0 marks the five codes that have no character. */
static const gunichar cp1252_c1[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* char_filter - the character to write for c, 0 to drop it (controls, noncharacters). */
static gunichar
char_filter(gunichar c)
{
	if (c < 0x20)
		return (c == '\t' || c == '\n' || c == '\r' || c == '\f') ? c : 0;
	if (c == 0x7f)
		return 0;
	if (c >= 0x80 && c <= 0x9f)
		return cp1252_c1[c - 0x80];
	if (c == 0xfffe || c == 0xffff || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return c;
}

/* next_char - decode one character of s (len > 0 bytes), U+FFFD for a bad sequence. */
static gunichar
next_char(const char *s, gsize len, gsize *adv)
{
	guchar b = (guchar) s[0];
	if (b < 0x80) {
		*adv = 1;
		return b;
	}
	gunichar c = g_utf8_get_char_validated(s, (gssize) MIN(len, 6));
	if (c == (gunichar) -1 || c == (gunichar) -2) {
		*adv = 1;
		return 0xfffd;
	}
	*adv = (gsize) (g_utf8_next_char(s) - s);
	return c;
}

/* utf8_clean - the input as valid UTF-8: bad bytes and NULs become U+FFFD, a leading BOM
 * goes, and a character cut in half by the size limit (cut == TRUE) is dropped. */
static GString *
utf8_clean(const char *in, gsize len, gboolean cut)
{
	GString *s = g_string_sized_new(len + 16);
	const char *p = in, *end = in + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *bad;
		if (g_utf8_validate_len(p, (gsize) (end - p), &bad)) {
			g_string_append_len(s, p, end - p);
			break;
		}
		g_string_append_len(s, p, bad - p);
		p = bad;
		if (cut && end - p < 4) {
			/* an incomplete character at the cut? */
			guchar b = (guchar) *p;
			gsize need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
			gboolean tail = need > (gsize) (end - p);
			for (const char *q = p + 1; tail && q < end; q++)
				tail = ((guchar) *q & 0xc0) == 0x80;
			if (tail)
				break;
		}
		g_string_append(s, "\xef\xbf\xbd");
		p++;
	}
	return s;
}

/* ---- feeding libxml2 -------------------------------------------------------------- */

static void
feed(cd_parse *st, const char *p, gsize n)
{
	while (n > 0 && !st->stopped) {
		gsize k = MIN(n, (gsize) FEED_MAX);
		/* never split a UTF-8 sequence between two chunks */
		while (k < n && k > 0 && ((guchar) p[k] & 0xc0) == 0x80)
			k--;
		if (k == 0)
			k = MIN(n, (gsize) FEED_MAX);
		htmlParseChunk(st->ctxt, p, (int) k, 0);
		p += k;
		n -= k;
		if (k == FEED_MAX || (++st->ticks & 15) == 0)
			over_time(st);
	}
}

/* flush - hand libxml2 what is pending, so that our mirror of its stack is current. */
static void
flush(cd_parse *st)
{
	if (st->pend->len > 0)
		feed(st, st->pend->str, st->pend->len);
	g_string_truncate(st->pend, 0);
	st->pend_starts = 0;
}

/* emit - queue canonical bytes for libxml2: one htmlParseChunk() per token would cost
 * more than the parsing. */
static void
emit(cd_parse *st, const char *p, gsize n)
{
	if (st->pend->len + n > FEED_MAX) {
		flush(st);
		if (n > FEED_MAX) {
			feed(st, p, n);
			return;
		}
	}
	g_string_append_len(st->pend, p, (gssize) n);
}

/* legacy_entity - length of a named reference HTML5 also accepts without ';' at s. */
static gsize
legacy_entity(const char *s, gsize len)
{
	static const char *const names[] = { "nbsp", "amp", "lt", "gt", "quot", "copy", "reg" };
	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		gsize l = strlen(names[i]);
		if (len >= l && memcmp(s, names[i], l) == 0)
			return l;
	}
	return 0;
}

/* feed_text - text content: '<' escaped, a bare '&' escaped, a missing ';' after a
 * character reference added (libxml2 2.9 would show "&nbsp" literally). literal: raw
 * text, where '&' is never a reference. */
static void
feed_text(cd_parse *st, const char *p, gsize n, gboolean literal)
{
	const char *run = p, *end = p + n;
	for (const char *q = p; q < end && !st->stopped; q++) {
		if (q - run >= FEED_MAX && ((guchar) *q & 0xc0) != 0x80) {
			emit(st, run, (gsize) (q - run));
			run = q;
		}
		if (*q == '<') {
			emit(st, run, (gsize) (q - run));
			emit(st, "&lt;", 4);
			run = q + 1;
		} else if (*q == '&') {
			if (literal || q + 1 >= end || !(g_ascii_isalnum(q[1]) || q[1] == '#')) {
				emit(st, run, (gsize) (q - run));
				emit(st, "&amp;", 5);
				run = q + 1;
				continue;
			}
			const char *r = q + 1;
			gsize l;
			if (*r == '#') {
				r++;
				if (r < end && (*r == 'x' || *r == 'X')) {
					r++;
					while (r < end && g_ascii_isxdigit(*r))
						r++;
				} else {
					while (r < end && g_ascii_isdigit(*r))
						r++;
				}
				if (r < end && *r == ';')
					continue;
				if (r == q + 2 || (r == q + 3 && (q[2] == 'x' || q[2] == 'X'))) {
					emit(st, run, (gsize) (q - run));
					emit(st, "&amp;", 5);
					run = q + 1;
					continue;
				}
				emit(st, run, (gsize) (r - run));
				emit(st, ";", 1);
				run = r;
				q = r - 1;
				continue;
			}
			while (r < end && g_ascii_isalnum(*r))
				r++;
			if (r < end && *r == ';')
				continue;
			if ((l = legacy_entity(q + 1, (gsize) (r - q - 1))) > 0) {
				emit(st, run, (gsize) (q + 1 + l - run));
				emit(st, ";", 1);
				run = q + 1 + l;
				q = run - 1;
			}
		}
	}
	if (end > run)
		emit(st, run, (gsize) (end - run));
}

/* ---- the tokenizer ---------------------------------------------------------------- */

/* gate_end - whether an end tag can close something in libxml2's stack. libxml2 2.9
 * looks for the name from the top down and stops at an element of higher end-tag
 * priority; an end tag that finds nothing costs it a scan of the whole stack. */
static gboolean
gate_end(cd_parse *st, guint id, const char *name)
{
	if (id == T_HTML || id == T_BODY)
		return FALSE;   /* libxml2 2.9 drops everything after </body> and </html> */
	if (st->dropped[id] > 0) {
		st->dropped[id]--;
		return FALSE;
	}
	if (st->open_count[id] == 0)
		return FALSE;
	guint32 h = id == T_OTHER ? name_hash(name) : 0;
	if (st->rejected_gen[id] == st->stack_gen + 1 && (id != T_OTHER || st->rejected_hash == h))
		return FALSE;   /* the same end tag again on the same stack: no new scan */
	guint prio = tags[id].prio;
	for (guint i = st->frames->len; i-- > 0;) {
		const frame *f = frame_at(st, i);
		if (f->tag == id && (id != T_OTHER || f->hash == h))
			return TRUE;
		if (tags[f->tag].prio > prio)
			break;
	}
	st->rejected_gen[id] = st->stack_gen + 1;
	st->rejected_hash = h;
	return FALSE;
}

/* attr_out - append one attribute of a start tag to the canonical tag, if we use it. */
static void
attr_out(GString *s, const char *name, gsize nl, const char *v, gsize vl, guint32 *seen)
{
	char lname[16];
	if (nl >= sizeof lname || vl > ATTR_VALUE_MAX)
		return;
	for (gsize i = 0; i < nl; i++)
		lname[i] = g_ascii_tolower(name[i]);
	lname[nl] = '\0';
	guint k;
	for (k = 0; k < G_N_ELEMENTS(known_attrs); k++)
		if (strcmp(lname, known_attrs[k]) == 0)
			break;
	if (k == G_N_ELEMENTS(known_attrs) || (*seen & (1u << k)))
		return;
	*seen |= 1u << k;   /* the first one wins, as in browsers */
	if (k == KA_SRC) {
		/* only cid: images are ever shown; a data: URI can be megabytes */
		while (vl > 0 && is_ws(*v)) {
			v++;
			vl--;
		}
		if (vl < 4 || g_ascii_strncasecmp(v, "cid:", 4) != 0)
			return;
	}
	g_string_append_c(s, ' ');
	g_string_append(s, lname);
	g_string_append(s, "=\"");
	for (gsize i = 0; i < vl; i++) {
		char c = v[i];
		if (c == '"')
			g_string_append(s, "&quot;");
		else if (c == '<')
			g_string_append(s, "&lt;");
		else if (c == '>')
			g_string_append(s, "&gt;");
		else if (c == '&' && !(i + 1 < vl && (g_ascii_isalnum(v[i + 1]) || v[i + 1] == '#')))
			g_string_append(s, "&amp;");
		else
			g_string_append_c(s, c);
	}
	g_string_append_c(s, '"');
}

/* tok_tag - the start or end tag at buf[i] ("<" or "</" then a letter), read by the
 * HTML5 rules, gated and passed on (pass: FALSE only skips it). Returns the offset
 * after it; a tag cut off by the end of the input is dropped. */
static gsize
tok_tag(cd_parse *st, const char *buf, gsize n, gsize i, gboolean pass)
{
	gboolean end_tag = buf[i + 1] == '/';
	gsize j = i + (end_tag ? 2 : 1), ns = j;
	while (j < n && !is_ws(buf[j]) && buf[j] != '/' && buf[j] != '>')
		j++;
	char name[TAG_NAME_MAX + 1];
	gboolean name_ok = j - ns <= TAG_NAME_MAX;
	gsize nl = 0;
	for (gsize k = ns; name_ok && k < j; k++) {
		char c = g_ascii_tolower(buf[k]);
		if (!(g_ascii_isalnum(c) || c == ':' || c == '_' || c == '.' || c == '-'))
			name_ok = FALSE;
		name[nl++] = c;
	}
	name[nl] = '\0';

	GString *s = st->scratch;
	g_string_truncate(s, 0);
	if (!end_tag) {
		g_string_append_c(s, '<');
		g_string_append(s, name);
	}
	guint32 seen = 0;
	for (;;) {
		while (j < n && (is_ws(buf[j]) || buf[j] == '/'))
			j++;
		if (j >= n)
			return n;
		if (buf[j] == '>') {
			j++;
			break;
		}
		gsize as = j++;
		while (j < n && !is_ws(buf[j]) && buf[j] != '/' && buf[j] != '>' && buf[j] != '=')
			j++;
		gsize ae = j, k = j;
		while (k < n && is_ws(buf[k]))
			k++;
		const char *v = "";
		gsize vl = 0;
		if (k < n && buf[k] == '=') {
			k++;
			while (k < n && is_ws(buf[k]))
				k++;
			if (k < n && (buf[k] == '"' || buf[k] == '\'')) {
				const char *q = memchr(buf + k + 1, buf[k], n - k - 1);
				if (q == NULL) {
					/* unterminated quote: end it at the next '>' rather than lose the
					 * whole rest of the mail, as a browser would */
					q = memchr(buf + k + 1, '>', n - k - 1);
					if (q == NULL)
						return n;
					v = buf + k + 1;
					vl = (gsize) (q - v);
					j = (gsize) (q - buf);
				} else {
					v = buf + k + 1;
					vl = (gsize) (q - v);
					j = (gsize) (q - buf) + 1;
				}
			} else {
				gsize vs = k;
				while (k < n && !is_ws(buf[k]) && buf[k] != '>')
					k++;
				v = buf + vs;
				vl = k - vs;
				j = k;
			}
		}
		if (!end_tag && name_ok && pass)
			attr_out(s, buf + as, ae - as, v, vl, &seen);
	}
	if (!name_ok || !pass)
		return j;

	guint id = tag_id(name);
	if (end_tag) {
		flush(st);
		if (gate_end(st, id, name)) {
			g_string_append(s, "</");
			g_string_append(s, name);
			g_string_append_c(s, '>');
			emit(st, s->str, s->len);
		}
		return j;
	}
	guint16 fl = tags[id].flags;
	if (fl & (TF_RAW | TF_RAWLIT | TF_PLAIN))
		st->raw = id;
	if (fl & TF_RAW)
		return j;   /* script, style, title...: element and content never passed */
	if (id == T_HTML || id == T_BODY || id == T_HEAD) {
		/* libxml2 has had <html><body> from the start: what the mail puts in its
		 * head (title, style, meta) is dropped anyway, text there is shown as
		 * browsers show it */
		return j;
	}
	if (!(fl & TF_VOID)) {
		if (st->frames->len + st->pend_starts >= st->hard_depth)
			flush(st);
		if (st->frames->len >= st->hard_depth) {
			st->dropped[id]++;
			return j;
		}
		st->pend_starts++;
	}
	g_string_append_c(s, '>');
	if (tag_close_now[id]) {
		g_string_append(s, "</");
		g_string_append(s, name);
		g_string_append_c(s, '>');
	}
	emit(st, s->str, s->len);
	return j;
}

/* tok_raw - the content of a raw-text element, up to its end tag. */
static gsize
tok_raw(cd_parse *st, const char *buf, gsize n, gsize i)
{
	guint id = st->raw;
	guint16 fl = tags[id].flags;
	const char *rn = tags[id].name;
	gsize rl = strlen(rn), end = n, k = i;
	const char *p;
	if (!(fl & TF_PLAIN)) {
		while ((p = memchr(buf + k, '<', n - k)) != NULL) {
			gsize at = (gsize) (p - buf);
			if (at + 2 + rl <= n && buf[at + 1] == '/' &&
			    g_ascii_strncasecmp(buf + at + 2, rn, rl) == 0 &&
			    (at + 2 + rl == n || is_ws(buf[at + 2 + rl]) ||
			     buf[at + 2 + rl] == '/' || buf[at + 2 + rl] == '>')) {
				end = at;
				break;
			}
			k = at + 1;
		}
	}
	if (fl & (TF_RAWLIT | TF_PLAIN))
		feed_text(st, buf + i, end - i, TRUE);
	if (end == n)
		return n;
	st->raw = T_OTHER;
	if (fl & TF_RAW)
		return tok_tag(st, buf, n, end, FALSE);
	return end;   /* </xmp> is read as a normal end tag */
}

/* tok_bogus - a comment, doctype, <![CDATA[, <?...>: skipped, never passed on. */
static gsize
tok_bogus(const char *buf, gsize n, gsize i)
{
	if (n - i >= 4 && memcmp(buf + i, "<!--", 4) == 0) {
		gsize k = i + 4;
		if (k < n && buf[k] == '>')
			return k + 1;                          /* <!--> */
		if (k + 1 < n && buf[k] == '-' && buf[k + 1] == '>')
			return k + 2;                          /* <!---> */
		while (k < n) {
			const char *d = memchr(buf + k, '-', n - k);
			if (d == NULL)
				return n;                          /* unterminated: to the end */
			k = (gsize) (d - buf);
			if (k + 2 < n && buf[k + 1] == '-' && buf[k + 2] == '>')
				return k + 3;
			if (k + 3 < n && buf[k + 1] == '-' && buf[k + 2] == '!' && buf[k + 3] == '>')
				return k + 4;
			k++;
		}
		return n;
	}
	const char *gt = memchr(buf + i, '>', n - i);
	return gt ? (gsize) (gt - buf) + 1 : n;
}

/* tokenize - the whole input. */
static void
tokenize(cd_parse *st, const char *buf, gsize n)
{
	gsize i = 0;
	while (i < n && !st->stopped) {
		if ((++st->ticks & 15) == 0 && over_time(st))
			break;
		if (st->raw != T_OTHER) {
			i = tok_raw(st, buf, n, i);
			continue;
		}
		if (buf[i] == '<' && i + 1 < n) {
			char c = buf[i + 1];
			if (g_ascii_isalpha(c) || (c == '/' && i + 2 < n && g_ascii_isalpha(buf[i + 2]))) {
				i = tok_tag(st, buf, n, i, TRUE);
				continue;
			}
			if (c == '!' || c == '?' || c == '/') {
				i = tok_bogus(buf, n, i);   /* "</>", "</3...>": dropped like a comment */
				continue;
			}
		}
		/* text up to the next '<' after this character */
		const char *lt = memchr(buf + i + 1, '<', n - i - 1);
		gsize e = lt ? (gsize) (lt - buf) : n;
		feed_text(st, buf + i, e - i, FALSE);
		i = e;
	}
}

/* ---- attributes ------------------------------------------------------------------- */

static const char *
att_get(const xmlChar **atts, const char *name)
{
	for (; atts != NULL && atts[0] != NULL; atts += 2)
		if (strcmp((const char *) atts[0], name) == 0)
			return atts[1] ? (const char *) atts[1] : "";
	return NULL;
}

/* url_clean - v as a URL we may show, into dst: controls and line breaks removed, spaces
 * encoded, and its scheme one of the NULL-terminated list. */
static gboolean
url_clean(const char *v, GString *dst, const char *const *schemes)
{
	g_string_truncate(dst, 0);
	if (v == NULL)
		return FALSE;
	gsize len = strlen(v);
	while (len > 0 && (guchar) v[len - 1] <= 0x20)
		len--;
	while (len > 0 && (guchar) *v <= 0x20) {
		v++;
		len--;
	}
	if (len == 0 || len > URL_MAX)
		return FALSE;
	for (gsize i = 0; i < len;) {
		gsize adv;
		gunichar c = next_char(v + i, len - i, &adv);
		i += adv;
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
			continue;
		if (c == ' ')
			g_string_append(dst, "%20");
		else
			g_string_append_unichar(dst, c);
	}
	const char *colon = strchr(dst->str, ':');
	if (colon == NULL)
		return FALSE;
	gsize sl = (gsize) (colon - dst->str);
	for (; *schemes != NULL; schemes++)
		if (strlen(*schemes) == sl && g_ascii_strncasecmp(dst->str, *schemes, sl) == 0)
			return dst->len > sl + 1;
	return FALSE;
}

/* ---- the element stack ------------------------------------------------------------ */

static void txt_start(cd_parse *st, guint idx, const xmlChar **atts);
static void txt_end(cd_parse *st, frame *f);
static void san_start(cd_parse *st, guint idx, const xmlChar **atts);
static void san_end(cd_parse *st, frame *f);

static void
pop_frame(cd_parse *st)
{
	guint idx = st->frames->len - 1;
	frame *f = frame_at(st, idx);
	if (st->skip_at == G_MAXUINT) {
		if (st->sanitize)
			san_end(st, f);
		else
			txt_end(st, f);
	} else if (st->skip_at == idx) {
		st->skip_at = G_MAXUINT;
	}
	if (st->open_count[f->tag] > 0)
		st->open_count[f->tag]--;
	st->stack_gen++;
	g_free(f->href);
	g_array_set_size(st->frames, idx);
}

static void
sax_start(void *ud, const xmlChar *xname, const xmlChar **atts)
{
	cd_parse *st = ud;
	if (tick(st))
		return;
	const char *name = (const char *) xname;
	frame f = { 0 };
	f.tag = (guint16) tag_id(name);
	if (f.tag == T_OTHER)
		f.hash = name_hash(name);
	f.prev = -1;
	g_array_append_val(st->frames, f);
	st->open_count[f.tag]++;
	st->stack_gen++;
	guint idx = st->frames->len - 1;
	if (st->skip_at != G_MAXUINT)
		return;
	if (st->sanitize)
		san_start(st, idx, atts);
	else
		txt_start(st, idx, atts);
}

static void
sax_end(void *ud, const xmlChar *xname)
{
	cd_parse *st = ud;
	if (tick(st) || st->frames->len == 0)
		return;
	const char *name = (const char *) xname;
	guint id = tag_id(name);
	guint32 h = id == T_OTHER ? name_hash(name) : 0;
	/* libxml2 closes the top element; look a little deeper only to stay in step
	 * should it ever not */
	guint len = st->frames->len;
	for (guint i = len; i-- > 0 && len - i <= 8;) {
		const frame *f = frame_at(st, i);
		if (f->tag == id && (id != T_OTHER || f->hash == h)) {
			while (st->frames->len > i)
				pop_frame(st);
			return;
		}
	}
}

static void txt_text(cd_parse *st, const char *s, gsize len);
static void san_text(GString *out, const char *s, gsize len);

static void
sax_text(void *ud, const xmlChar *ch, int len)
{
	cd_parse *st = ud;
	if (tick(st) || st->skip_at != G_MAXUINT || len <= 0)
		return;
	if (st->sanitize)
		san_text(st->out, (const char *) ch, (gsize) len);
	else
		txt_text(st, (const char *) ch, (gsize) len);
}

#if LIBXML_VERSION >= 21200
static void
sax_error(void *ud, const xmlError *err)
#else
static void
sax_error(void *ud, xmlErrorPtr err)
#endif
{
	(void) err;   /* recovered from; never printed */
	tick(ud);
}

/* ---- text writer ------------------------------------------------------------------ */

static void
txt_line_start(cd_parse *st)
{
	GString *o = st->out;
	guint q = MIN(st->quote, QUOTE_SHOWN_MAX);
	for (guint i = 0; i < q; i++)
		g_string_append_c(o, '>');
	if (q > 0)
		g_string_append_c(o, ' ');
	st->line_quote = st->quote;
	guint l = MIN(st->list_depth, INDENT_MAX);
	if (st->marker[0] != '\0') {
		for (guint i = 1; i < l; i++)
			g_string_append(o, "  ");
		g_string_append(o, st->marker);
		st->marker[0] = '\0';
	} else {
		for (guint i = 0; i < l; i++)
			g_string_append(o, "  ");
	}
	st->line_has_text = FALSE;
}

/* txt_flush - write what is owed before the next visible character. */
static void
txt_flush(cd_parse *st)
{
	GString *o = st->out;
	gboolean line_start = FALSE;
	if (!st->started) {
		st->started = TRUE;
		line_start = TRUE;
	} else if (st->pending_nl > 0) {
		g_string_append_c(o, '\n');
		if (st->pending_nl > 1) {
			guint q = MIN(MIN(st->line_quote, st->quote), QUOTE_SHOWN_MAX);
			for (guint i = 0; i < q; i++)
				g_string_append_c(o, '>');
			g_string_append_c(o, '\n');
		}
		line_start = TRUE;
	} else if (st->pending_sep) {
		g_string_append(o, " | ");
	} else if (st->pending_space > 0) {
		for (guint i = 0; i < (st->pre ? st->pending_space : 1); i++)
			g_string_append_c(o, ' ');
	}
	if (line_start) {
		txt_line_start(st);
		for (guint i = 0; st->pre && i < st->pending_space; i++)
			g_string_append_c(o, ' ');
	}
	st->pending_nl = 0;
	st->pending_space = 0;
	st->pending_sep = FALSE;
	st->line_has_text = TRUE;
	/* link text starts here, after any line prefix or separator */
	for (guint i = st->frames->len; st->links_unmarked > 0 && i-- > 0;) {
		frame *f = frame_at(st, i);
		if ((f->flags & F_LINK) && f->mark == G_MAXSIZE) {
			f->mark = o->len;
			st->links_unmarked--;
		}
	}
}

static void
txt_break(cd_parse *st, guint n)
{
	if (st->started && st->pending_nl < n)
		st->pending_nl = n;
}

static void
txt_br(cd_parse *st)
{
	if (st->started && st->pending_nl < 2)
		st->pending_nl++;
}

/* txt_word - s (already clean) as one unbreakable run. */
static void
txt_word(cd_parse *st, const char *s)
{
	if (*s == '\0')
		return;
	txt_flush(st);
	g_string_append(st->out, s);
}

static gboolean
txt_is_space(gunichar c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0xa0 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* txt_plain - a byte that is a visible ASCII character: written as it is, after what is owed. */
static inline gboolean
txt_plain(guchar b)
{
	return b > 0x20 && b < 0x7f;
}

static void
txt_text(cd_parse *st, const char *s, gsize len)
{
	for (gsize i = 0; i < len;) {
		if (txt_plain((guchar) s[i])) {
			/* the common case, a run of plain ASCII: one flush and one copy */
			gsize end = i + 1;
			while (end < len && txt_plain((guchar) s[end]))
				end++;
			txt_flush(st);
			g_string_append_len(st->out, s + i, (gssize) (end - i));
			i = end;
			continue;
		}
		gsize adv;
		gunichar c = char_filter(next_char(s + i, len - i, &adv));
		i += adv;
		if (c == 0 || c == 0x200b || c == 0xfeff || c == 0x00ad || c == 0x2060)
			continue;   /* invisible: zero-width space, BOM, soft hyphen, word joiner */
		if (c == 0x200c || c == 0x200d || c == 0x034f) {
			/* joiners only mean something between letters; alone they are the
			 * padding of newsletter preheaders */
			if (st->started && st->line_has_text && st->pending_nl == 0 &&
			    st->pending_space == 0 && !st->pending_sep)
				g_string_append_unichar(st->out, c);
			continue;
		}
		if (txt_is_space(c)) {
			if (!st->pre)
				st->pending_space = 1;
			else if (c == '\n') {
				txt_br(st);
				st->pending_space = 0;
			} else if (c == '\t')
				st->pending_space += 4;
			else if (c != '\r')
				st->pending_space++;
			continue;
		}
		txt_flush(st);
		g_string_append_unichar(st->out, c);
	}
}

static void
txt_quote_update(cd_parse *st, guint brk)
{
	guint q = MAX(st->bq, st->floor > 0 ? 1u : 0u) + (st->history ? 1u : 0u);
	if (q != st->quote) {
		st->quote = q;
		txt_break(st, brk);
	}
}

/* outlook_header_style - the style Outlook for Windows gives the box around the
 * "From: / Sent: / To:" header of the mail it quotes (E1E1E1 since 2013, B5C4DF before). */
static gboolean
outlook_header_style(const char *v)
{
	char buf[256];
	gsize n = 0;
	for (; *v && n < sizeof buf - 1; v++)
		if (!is_ws(*v))
			buf[n++] = g_ascii_tolower(*v);
	buf[n] = '\0';
	return strstr(buf, "border-top:solid#e1e1e1") != NULL ||
	       strstr(buf, "border-top:solid#b5c4df") != NULL;
}

/* quote_marker - 1 when the element is a quote container of a mail client (its content
 * is quoted), 2 when it starts Outlook-style history (everything after it is quoted). */
static int
quote_marker(const xmlChar **atts, gboolean is_div)
{
	static const char *const floor_classes[] = {
		"gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote",
	};
	static const char *const history_ids[] = {
		"divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container",
		"OLK_SRC_BODY_SECTION", "zwchr",
	};
	int r = 0;
	for (; atts != NULL && atts[0] != NULL; atts += 2) {
		const char *v = (const char *) atts[1];
		if (v == NULL)
			continue;
		if (is_div && strcmp((const char *) atts[0], "style") == 0 && outlook_header_style(v))
			r = 2;
		gboolean is_class = strcmp((const char *) atts[0], "class") == 0;
		if (!is_class && strcmp((const char *) atts[0], "id") != 0)
			continue;
		gsize vl = strlen(v);
		if (is_class) {
			for (const char *p = v; *p;) {
				while (*p && is_ws(*p))
					p++;
				const char *e = p;
				while (*e && !is_ws(*e))
					e++;
				for (gsize i = 0; i < G_N_ELEMENTS(floor_classes); i++)
					if ((gsize) (e - p) == strlen(floor_classes[i]) &&
					    g_ascii_strncasecmp(p, floor_classes[i], (gsize) (e - p)) == 0)
						r = MAX(r, 1);
				p = e;
			}
		}
		/* Outlook on the web prefixes ids of quoted mail with "x_" */
		for (gsize i = 0; i < G_N_ELEMENTS(history_ids); i++) {
			gsize hl = strlen(history_ids[i]);
			if (vl >= hl && g_ascii_strcasecmp(v + vl - hl, history_ids[i]) == 0)
				r = 2;
		}
	}
	return r;
}

static const char *const text_schemes[] = { "http", "https", "mailto", "ftp", "tel", NULL };

static void
txt_start(cd_parse *st, guint idx, const xmlChar **atts)
{
	frame *f = frame_at(st, idx);
	guint id = f->tag;
	guint16 fl = tags[id].flags;
	if (fl & TF_XT) {
		st->skip_at = idx;
		return;
	}
	gboolean deep = idx >= st->max_depth;
	if (!deep && atts != NULL) {
		int m = quote_marker(atts, id == T_DIV);
		if (m == 2 && !st->history) {
			st->history = TRUE;
			txt_break(st, 2);
			txt_quote_update(st, 2);
		} else if (m == 1) {
			f->flags |= F_FLOOR;
			st->floor++;
			txt_quote_update(st, 1);
		}
	}
	switch (id) {
	case T_BR:
		txt_br(st);
		return;
	case T_HR:
		txt_break(st, 2);
		txt_word(st, HR_TEXT);
		txt_break(st, 2);
		return;
	case T_IMG: {
		const char *alt = att_get(atts, "alt");
		if (alt != NULL)
			txt_text(st, alt, strlen(alt));
		return;
	}
	case T_TD:
	case T_TH:
		if (st->started)
			st->pending_sep = TRUE;
		return;
	default:
		break;
	}
	if (!deep) {
		switch (id) {
		case T_UL:
		case T_OL:
		case T_DIR:
		case T_MENU: {
			txt_break(st, st->list_depth > 0 ? 1 : 2);
			f->flags |= F_LIST | (st->list_depth > 0 ? F_END1 : F_END2);
			f->prev = st->cur_list;
			st->cur_list = (gint32) idx;
			st->list_depth++;
			f->counter = 1;
			const char *start = att_get(atts, "start");
			if (id == T_OL && start != NULL) {
				gint64 v = g_ascii_strtoll(start, NULL, 10);
				f->counter = (gint32) CLAMP(v, -1000000, 1000000);
			}
			return;
		}
		case T_LI: {
			txt_break(st, 1);
			f->flags |= F_END1;
			frame *list = st->cur_list >= 0 ? frame_at(st, (guint) st->cur_list) : NULL;
			if (list != NULL && list->tag == T_OL)
				snprintf(st->marker, sizeof st->marker, "%d. ", (int) list->counter++);
			else
				g_strlcpy(st->marker, "- ", sizeof st->marker);
			return;
		}
		case T_BLOCKQUOTE:
			f->flags |= F_BQ | F_END2;
			st->bq++;
			txt_break(st, 2);
			txt_quote_update(st, 2);
			return;
		case T_PRE:
		case T_LISTING:
		case T_XMP:
		case T_PLAINTEXT:
			f->flags |= F_PRE | F_END2;
			st->pre++;
			txt_break(st, 2);
			return;
		case T_A: {
			GString *u = g_string_new(NULL);
			if (url_clean(att_get(atts, "href"), u, text_schemes)) {
				f->href = g_string_free(u, FALSE);
				f->mark = G_MAXSIZE;
				f->flags |= F_LINK;
				st->links_unmarked++;
			} else {
				g_string_free(u, TRUE);
			}
			return;
		}
		default:
			break;
		}
	}
	if (fl & TF_B2) {
		txt_break(st, 2);
		f->flags |= F_END2;
	} else if (fl & TF_B1) {
		txt_break(st, 1);
		f->flags |= F_END1;
	}
}

/* same_link - whether a link's text already says where it goes. */
static gboolean
same_link(const char *t, gsize tl, const char *href)
{
	static const char *const prefixes[] = { "", "mailto:", "http://", "https://", "tel:" };
	gsize hl = strlen(href);
	if (hl > 0 && href[hl - 1] == '/' && !(tl > 0 && t[tl - 1] == '/'))
		hl--;
	for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
		gsize pl = strlen(prefixes[i]);
		if (hl >= pl && g_ascii_strncasecmp(href, prefixes[i], pl) == 0 &&
		    hl - pl == tl && g_ascii_strncasecmp(href + pl, t, tl) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
txt_link_end(cd_parse *st, frame *f)
{
	if (f->mark == G_MAXSIZE) {
		st->links_unmarked--;
		return;   /* no text (an image without alt): nothing to hang the URL on */
	}
	const char *t = st->out->str + f->mark;
	gsize tl = st->out->len - f->mark;
	if (memchr(t, '\n', tl) == NULL && same_link(t, tl, f->href))
		return;
	if (st->pending_nl == 0 && st->pending_space == 0 && !st->pending_sep)
		st->pending_space = 1;
	GString *w = g_string_sized_new(strlen(f->href) + 2);
	g_string_append_c(w, '<');
	g_string_append(w, f->href);
	g_string_append_c(w, '>');
	txt_word(st, w->str);
	g_string_free(w, TRUE);
}

static void
txt_end(cd_parse *st, frame *f)
{
	if (f->flags & F_LINK)
		txt_link_end(st, f);
	if (f->flags & F_LIST) {
		st->list_depth--;
		st->cur_list = f->prev;
		st->marker[0] = '\0';
	}
	if (f->flags & F_PRE)
		st->pre--;
	if (f->flags & F_BQ)
		st->bq--;
	if (f->flags & F_FLOOR)
		st->floor--;
	if (f->flags & (F_BQ | F_FLOOR))
		txt_quote_update(st, (f->flags & F_BQ) ? 2 : 1);
	if (f->flags & F_END2)
		txt_break(st, 2);
	else if (f->flags & F_END1)
		txt_break(st, 1);
}

/* ---- sanitised HTML writer -------------------------------------------------------- */

/* esc_plain - a byte written as it is: printable ASCII other than markup (and quotes in a value). */
static inline gboolean
esc_plain(guchar b, gboolean attr)
{
	return b >= 0x20 && b < 0x7f && b != '&' && b != '<' && b != '>' && !(attr && (b == '"' || b == '\''));
}

/* esc - s as text (attr FALSE) or attribute value, controls dropped. */
static void
esc(GString *out, const char *s, gsize len, gboolean attr)
{
	for (gsize i = 0; i < len;) {
		if (esc_plain((guchar) s[i], attr)) {
			gsize end = i + 1;
			while (end < len && esc_plain((guchar) s[end], attr))
				end++;
			g_string_append_len(out, s + i, (gssize) (end - i));
			i = end;
			continue;
		}
		gsize adv;
		gunichar c = char_filter(next_char(s + i, len - i, &adv));
		i += adv;
		switch (c) {
		case 0:
			break;
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, attr ? "&quot;" : "\"");
			break;
		case '\'':
			g_string_append(out, attr ? "&#39;" : "'");
			break;
		case '\r':
			if (attr)
				g_string_append_c(out, ' ');
			break;
		case '\t':
		case '\n':
		case '\f':
			g_string_append_c(out, attr || c == '\f' ? ' ' : (char) c);
			break;
		default:
			g_string_append_unichar(out, c);
		}
	}
}

static void
san_text(GString *out, const char *s, gsize len)
{
	esc(out, s, len, FALSE);
}

static void
attr_write(GString *out, const char *name, const char *value)
{
	g_string_append_c(out, ' ');
	g_string_append(out, name);
	g_string_append(out, "=\"");
	esc(out, value, strlen(value), TRUE);
	g_string_append_c(out, '"');
}

/* num_ok - v is 1 to maxlen digits, optionally followed by '%' when pct. */
static gboolean
num_ok(const char *v, gsize maxlen, gboolean pct)
{
	gsize n = 0;
	while (g_ascii_isdigit(v[n]))
		n++;
	if (n == 0 || n > maxlen)
		return FALSE;
	return v[n] == '\0' || (pct && v[n] == '%' && v[n + 1] == '\0');
}

static gboolean
word_in(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (g_ascii_strcasecmp(v, *words) == 0)
			return TRUE;
	return FALSE;
}

/* san_attrs - the attributes element out may keep, each checked against what it may hold. */
static void
san_attrs(GString *o, guint out, const xmlChar **atts)
{
	static const char *const dirs[] = { "ltr", "rtl", "auto", NULL };
	static const char *const aligns[] = { "left", "center", "right", "justify", NULL };
	static const char *const valigns[] = { "top", "middle", "bottom", "baseline", NULL };
	static const char *const ol_types[] = { "1", "a", "A", "i", "I", NULL };
	for (; atts != NULL && atts[0] != NULL; atts += 2) {
		const char *a = (const char *) atts[0];
		const char *v = atts[1] ? (const char *) atts[1] : "";
		gboolean ok = FALSE;
		if (strcmp(a, "dir") == 0)
			ok = word_in(v, dirs);
		else if (strcmp(a, "align") == 0)
			ok = (out == T_TD || out == T_TH || out == T_TR || out == T_TABLE ||
			      out == T_P || out == T_DIV || (tags[out].flags & TF_HEAD)) && word_in(v, aligns);
		else if (strcmp(a, "valign") == 0)
			ok = (out == T_TD || out == T_TH || out == T_TR) && word_in(v, valigns);
		else if (strcmp(a, "colspan") == 0 || strcmp(a, "rowspan") == 0)
			ok = (out == T_TD || out == T_TH) && num_ok(v, 3, FALSE) && atoi(v) > 0;
		else if (strcmp(a, "width") == 0)
			ok = (out == T_TD || out == T_TH || out == T_TABLE || out == T_IMG) &&
			     num_ok(v, 4, out != T_IMG);
		else if (strcmp(a, "height") == 0)
			ok = out == T_IMG && num_ok(v, 4, FALSE);
		else if (strcmp(a, "border") == 0 || strcmp(a, "cellpadding") == 0 ||
		         strcmp(a, "cellspacing") == 0)
			ok = out == T_TABLE && num_ok(v, 2, FALSE);
		else if (strcmp(a, "start") == 0)
			ok = out == T_OL && num_ok(v, 6, FALSE);
		else if (strcmp(a, "type") == 0)
			ok = (out == T_OL && word_in(v, ol_types) && strlen(v) == 1 &&
			      strchr("1aAiI", v[0]) != NULL) ||
			     (out == T_BLOCKQUOTE && g_ascii_strcasecmp(v, "cite") == 0);
		else if (out == T_FONT && strcmp(a, "color") == 0) {
			gsize n = strlen(v), k = 0;
			if (v[0] == '#' && (n == 4 || n == 7))
				for (k = 1; k < n && g_ascii_isxdigit(v[k]); k++)
					;
			else if (n >= 1 && n <= 20)
				for (k = 0; k < n && g_ascii_isalpha(v[k]); k++)
					;
			ok = n > 0 && k == n;
		} else if (out == T_FONT && strcmp(a, "size") == 0) {
			const char *d = (v[0] == '+' || v[0] == '-') ? v + 1 : v;
			ok = d[0] >= '1' && d[0] <= '7' && d[1] == '\0';
		} else if (out == T_FONT && strcmp(a, "face") == 0) {
			gsize n = strlen(v), k;
			for (k = 0; k < n && (g_ascii_isalnum(v[k]) || strchr(" ,_-", v[k]) != NULL); k++)
				;
			ok = n > 0 && n <= 64 && k == n;
		}
		if (ok)
			attr_write(o, a, v);
	}
}

static guint
san_top(cd_parse *st, guint8 *ctx)
{
	if (st->emit_top < 0) {
		*ctx = 0;
		return T_OTHER;
	}
	const frame *t = frame_at(st, (guint) st->emit_top);
	*ctx = t->ctx;
	return t->out;
}

/* san_allowed - whether writing out here keeps the HTML5 tree builder from moving or
 * closing anything: no <p>, heading or <a> closed by what comes inside it, list items
 * only directly in lists, table parts only directly in their table parts. */
static gboolean
san_allowed(cd_parse *st, guint out)
{
	guint8 ctx;
	guint top = san_top(st, &ctx);
	gboolean in_table = tags[top].flags & TF_TBL;
	switch (out) {
	case T_CAPTION:
	case T_THEAD:
	case T_TBODY:
	case T_TFOOT:
		return top == T_TABLE;
	case T_TR:
		return in_table && top != T_TR;
	case T_TD:
	case T_TH:
		return in_table;
	default:
		break;
	}
	if (in_table)
		return FALSE;
	if (out == T_LI)
		return top == T_UL || top == T_OL;
	if (out == T_DT || out == T_DD)
		return top == T_DL;
	if ((ctx & CTX_P) && (tags[out].flags & TF_CLOSEP))
		return FALSE;
	if ((ctx & CTX_HEADING) && (tags[out].flags & TF_HEAD))
		return FALSE;
	if ((ctx & CTX_A) && out == T_A)
		return FALSE;
	if ((ctx & CTX_CAPTION) && out == T_TABLE)
		return FALSE;
	return TRUE;
}

static const char *const san_schemes[] = { "http", "https", "mailto", NULL };

static void
san_img(cd_parse *st, const xmlChar **atts)
{
	const char *src = att_get(atts, "src");
	const char *alt = att_get(atts, "alt");
	GString *o = st->out;
	if (src != NULL && g_ascii_strncasecmp(src, "cid:", 4) == 0 && src[4] != '\0' &&
	    strlen(src) <= URL_MAX && san_allowed(st, T_IMG)) {
		g_string_append(o, "<img");
		attr_write(o, "src", src);
		attr_write(o, "alt", alt ? alt : "");
		san_attrs(o, T_IMG, atts);
		g_string_append_c(o, '>');
	} else if (alt != NULL) {
		san_text(o, alt, strlen(alt));   /* remote image: its alt text stands in */
	}
}

static void
san_start(cd_parse *st, guint idx, const xmlChar **atts)
{
	frame *f = frame_at(st, idx);
	guint id = f->tag;
	if (tags[id].flags & TF_XS) {
		st->skip_at = idx;
		return;
	}
	guint out = tags[id].san;
	if (out == T_OTHER)
		return;
	if (out == T_IMG) {
		san_img(st, atts);
		return;
	}
	gboolean is_void = tags[out].flags & TF_VOID;
	if ((!is_void && st->open_emitted >= st->max_depth) || !san_allowed(st, out))
		return;
	GString *o = st->out;
	GString *href = NULL;
	if (out == T_A) {
		href = g_string_new(NULL);
		if (!url_clean(att_get(atts, "href"), href, san_schemes)) {
			g_string_free(href, TRUE);
			return;   /* no usable link: the text stays, the <a> goes */
		}
	}
	frame *top = st->emit_top >= 0 ? frame_at(st, (guint) st->emit_top) : NULL;
	if (top != NULL && (tags[top->out].flags & TF_TBL) && top->out != T_TR) {
		/* cells directly in a table part get a row, as an HTML5 parser would give them;
		 * we write it so that the structure we send is the one the browser builds */
		if ((out == T_TD || out == T_TH) && !(top->flags & F_ITR)) {
			g_string_append(o, "<tr>");
			top->flags |= F_ITR;
		} else if (out != T_TD && out != T_TH && (top->flags & F_ITR)) {
			g_string_append(o, "</tr>");
			top->flags &= (guint16) ~F_ITR;
		}
	}
	g_string_append_c(o, '<');
	g_string_append(o, tags[out].name);
	if (href != NULL) {
		attr_write(o, "href", href->str);
		g_string_append(o, " rel=\"noopener noreferrer nofollow\" target=\"_blank\"");
		g_string_free(href, TRUE);
	}
	san_attrs(o, out, atts);
	g_string_append_c(o, '>');
	if (out == T_PRE)
		g_string_append_c(o, '\n');   /* a parser drops one newline after <pre>: keep the text's own */
	if (is_void)
		return;
	guint8 ctx;
	san_top(st, &ctx);
	if (out == T_P)
		ctx |= CTX_P;
	if (out == T_TD || out == T_TH || out == T_CAPTION || out == T_TABLE)
		ctx &= (guint8) ~CTX_P;
	if (tags[out].flags & TF_HEAD)
		ctx |= CTX_HEADING;
	if (out == T_A)
		ctx |= CTX_A;
	if (out == T_CAPTION)
		ctx |= CTX_CAPTION;
	f->flags |= F_EMIT;
	f->out = (guint8) out;
	f->ctx = ctx;
	f->prev = st->emit_top;
	st->emit_top = (gint32) idx;
	st->open_emitted++;
}

static void
san_end(cd_parse *st, frame *f)
{
	if (!(f->flags & F_EMIT))
		return;
	if (f->flags & F_ITR)
		g_string_append(st->out, "</tr>");
	g_string_append(st->out, "</");
	g_string_append(st->out, tags[f->out].name);
	g_string_append_c(st->out, '>');
	st->emit_top = f->prev;
	st->open_emitted--;
}

/* ---- entry points ----------------------------------------------------------------- */

void
cd_html_limits_default(cd_html_limits *lim)
{
	lim->max_input_bytes = HTML_DEFAULT_MAX_INPUT;
	lim->max_depth = HTML_DEFAULT_MAX_DEPTH;
	lim->max_usec = HTML_DEFAULT_MAX_USEC;
}

static void
libxml_init_once(void)
{
	static gsize done = 0;
	if (g_once_init_enter(&done)) {
		xmlInitParser();
		/* the tag table must stay sorted for tag_id() */
		for (guint i = 2; i < T_COUNT; i++)
			if (strcmp(tags[i - 1].name, tags[i].name) >= 0)
				g_error("html.c: tag table not sorted at %s", tags[i].name);
		for (guint i = 1; i < T_COUNT; i++) {
			guint b = (guint) (tags[i].name[0] - 'a');
			if (tag_bucket[b][1] == 0)
				tag_bucket[b][0] = (guint8) i;
			tag_bucket[b][1] = (guint8) (i + 1);
			if (tags[i].flags & TF_VOID) {
				const htmlElemDesc *d = htmlTagLookup((const xmlChar *) tags[i].name);
				tag_close_now[i] = d == NULL || !d->empty;
			}
		}
		g_once_init_leave(&done, 1);
	}
}

static char *
html_run(const char *html, gsize len, const cd_html_limits *lim_in, gboolean *truncated,
         gboolean sanitize)
{
	cd_html_limits lim;
	cd_html_limits_default(&lim);
	if (lim_in != NULL) {
		if (lim_in->max_input_bytes > 0)
			lim.max_input_bytes = lim_in->max_input_bytes;
		if (lim_in->max_depth > 0)
			lim.max_depth = lim_in->max_depth;
		if (lim_in->max_usec > 0)
			lim.max_usec = lim_in->max_usec;
	}
	libxml_init_once();

	cd_parse st;
	memset(&st, 0, sizeof st);
	st.sanitize = sanitize;
	st.max_depth = MIN(lim.max_depth, (guint) HTML_DEPTH_CEILING);
	st.hard_depth = st.max_depth + HTML_STACK_SLACK;
	gint64 now = g_get_monotonic_time();
	st.deadline = lim.max_usec >= G_MAXINT64 - now ? 0 : now + lim.max_usec;
	st.raw = T_OTHER;
	st.skip_at = G_MAXUINT;
	st.cur_list = -1;
	st.emit_top = -1;
	st.out = g_string_new(NULL);

	if (html == NULL)
		len = 0;
	if (len > lim.max_input_bytes) {
		len = lim.max_input_bytes;
		st.truncated = TRUE;
	}
	GString *clean = utf8_clean(html, len, st.truncated);

	htmlSAXHandler sax;
	memset(&sax, 0, sizeof sax);
	sax.startElement = sax_start;
	sax.endElement = sax_end;
	sax.characters = sax_text;
	sax.ignorableWhitespace = sax_text;
	sax.cdataBlock = sax_text;
	sax.initialized = XML_SAX2_MAGIC;   /* so that serror below is used */
	sax.serror = sax_error;
	st.ctxt = htmlCreatePushParserCtxt(&sax, &st, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
	if (st.ctxt != NULL) {
		htmlCtxtUseOptions(st.ctxt, HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
		                            HTML_PARSE_NONET | HTML_PARSE_RECOVER |
		                            HTML_PARSE_IGNORE_ENC);
#if LIBXML_VERSION >= 21300
		xmlCtxtSetErrorHandler(st.ctxt, sax_error, &st);
#endif
		st.frames = g_array_sized_new(FALSE, TRUE, sizeof(frame), st.hard_depth + 16);
		st.scratch = g_string_sized_new(256);
		st.pend = g_string_sized_new(FEED_MAX);

		/* an open body from the start: else libxml2 puts leading text in an implied <p>
		 * (a paragraph break browsers do not make) */
		emit(&st, "<html><body>", 12);
		tokenize(&st, clean->str, clean->len);
		flush(&st);
		if (!st.stopped)
			htmlParseChunk(st.ctxt, NULL, 0, 1);
		/* after a stop, or should libxml2 leave anything open: close it ourselves */
		st.stopped = FALSE;
		st.deadline = 0;
		while (st.frames->len > 0)
			pop_frame(&st);

		g_array_free(st.frames, TRUE);
		g_string_free(st.scratch, TRUE);
		g_string_free(st.pend, TRUE);
		htmlFreeParserCtxt(st.ctxt);
	}
	g_string_free(clean, TRUE);

	if (!sanitize && st.out->len > 0)
		g_string_append_c(st.out, '\n');
	if (truncated != NULL)
		*truncated = st.truncated;
	return g_string_free(st.out, FALSE);
}

char *
cd_html_to_text(const char *html, gsize len, const cd_html_limits *lim, gboolean *truncated)
{
	return html_run(html, len, lim, truncated, FALSE);
}

char *
cd_html_sanitize(const char *html, gsize len, const cd_html_limits *lim, gboolean *truncated)
{
	return html_run(html, len, lim, truncated, TRUE);
}
