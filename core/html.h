/* html.h - HTML mail bodies to readable plain text, and to sanitised HTML for the web view.
 *
 * Owns the HTML side of message parsing: cd_html_to_text() gives what agents, rules and the
 * reply stripper read; cd_html_sanitize() gives what the customer and agent web pages show.
 * Both run libxml2's HTML parser in push/SAX mode behind our own tokenizer, never build a
 * tree, never recurse, and stop on the limits below, so a hostile 10 MB mail costs a bounded
 * amount of time and memory. Thread-safe: no global state beyond libxml2's one-time init. */
#ifndef CD_HTML_H
#define CD_HTML_H

#include <glib.h>

typedef struct {
	gsize max_input_bytes;   /* input beyond this is ignored, result flagged truncated (default 4 MiB) */
	guint max_depth;         /* elements nested deeper are flattened (default 64, at most 256) */
	gint64 max_usec;         /* wall-clock budget; parsing stops, result flagged truncated (default 2 s) */
} cd_html_limits;

/* cd_html_limits_default - fill lim with the defaults. A zero field in a caller's struct also
 * means "default"; pass G_MAXSIZE / G_MAXINT64 for "no limit". */
void cd_html_limits_default(cd_html_limits *lim);

/* Input is UTF-8 (the caller has already converted the part's charset; any <meta charset> is
 * ignored). Invalid UTF-8 and NUL bytes are read as U+FFFD. html may be NULL when len is 0.
 * lim may be NULL for the defaults. Both return newly allocated valid UTF-8 (g_free) and never
 * NULL; *truncated (may be NULL) tells whether a limit was hit. */

/* cd_html_to_text - the mail as a mail client's "plain text" view: block elements make line
 * breaks, paragraphs a blank line (never more than one in a row), lists "- item" / "1. item",
 * table cells " | ", links "text <url>", images their alt text. Quoted history (blockquote,
 * Gmail/Yahoo/Thunderbird/ProtonMail quote blocks, and everything from Outlook's
 * divRplyFwdMsg/appendonsend on) comes out with each line prefixed "> " (">> " when nested).
 * The result ends with a newline unless it is empty. */
char *cd_html_to_text(const char *html, gsize len, const cd_html_limits *lim, gboolean *truncated);

/* cd_html_sanitize - a well-formed HTML fragment made only of whitelisted elements and
 * attributes (links http/https/mailto with rel="noopener noreferrer nofollow" target="_blank",
 * images only cid:, no style/class/id/event handlers); every text and attribute value escaped.
 * The fragment is built so that an HTML5 parser keeps exactly its structure when it is placed
 * inside a flow container such as <div> (not inside <p>, <a>, <table> or a heading). */
char *cd_html_sanitize(const char *html, gsize len, const cd_html_limits *lim, gboolean *truncated);

#endif
