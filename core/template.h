/* template.h - message templates (templates/email, templates/sms): loading, rendering, checking.
 *
 * A template set is every template file of one folder, each parsed once into a tree at load;
 * rendering walks the trees. The language is small and mustache-like (taught to admins in
 * templates/README.md):
 *   {{name}}            a value: HTML-escaped in .html files, verbatim in .txt and .subject
 *   {{{name}}} {{&name}} a value, never escaped
 *   {{ticket.ref}}      dotted names look through nested JSON objects; {{.}} is the current value
 *   {{#name}}..{{/name}} a section: skipped for a missing name, null, false, "" and []; an array
 *                       renders once per element (the element is the new context, names not in it
 *                       are looked up in the outer contexts); an object is pushed as the context;
 *                       anything else renders once
 *   {{^name}}..{{/name}} an inverted section: renders only when the section would be skipped
 *   {{#name=VALUE}}..{{/name=VALUE}} renders once when the value is VALUE (as text: refund, 3, true;
 *                       several as a|b|c), pushing nothing; {{^name=VALUE}} when it is none of them.
 *                       For translating values like rma.resolution or order.status.
 *   {{> name}}          a partial: CHANNEL/partials/LANG/name.EXT (EXT of the including file, .txt for
 *                       a .subject), falling back to CHANNEL/partials/en/; at most
 *                       CD_TMPL_MAX_PARTIAL_DEPTH deep (so a partial cannot include itself)
 *   {{! comment }}      nothing
 * A line holding only a section, inverted, close, comment or partial tag (and blanks) is dropped
 * whole, as in mustache. Files must be UTF-8. Every syntax error is a GError (CD_ERROR_CONFIG)
 * whose message is "FILE:LINE:COL: expected ..." (FILE relative to the folder, columns in
 * characters).
 *
 * Layout: CHANNEL/LANG/KIND.subject, KIND.txt, KIND.html (email); CHANNEL/LANG/KIND.txt (sms);
 * CHANNEL/partials/LANG/NAME.EXT. LANG is a folder name like en or de; en is the fallback of every
 * language, part by part. The kinds and the variables each provides are one table
 * (template_kinds.c): cd_tmpl_kind_vars.
 *
 * Output: the subject is one line: CR, LF and other control characters become spaces, runs of
 * blanks are kept, leading and trailing blanks go. Text and SMS lose trailing blank lines. Output
 * is capped at CD_TMPL_MAX_OUTPUT bytes (an error beyond).
 *
 * Modules: template.c (parser, sets, rendering, the current set of a folder), template_kinds.c
 * (the kinds table and cd_tmpl_check_dir); template_int.h is shared by the two. */
#ifndef CD_TEMPLATE_H
#define CD_TEMPLATE_H

#include <glib.h>
#include <json-glib/json-glib.h>

#define CD_TMPL_MAX_SECTION_DEPTH 32        /* sections nested in one file */
#define CD_TMPL_MAX_PARTIAL_DEPTH 8         /* partials including partials */
#define CD_TMPL_MAX_OUTPUT (1024 * 1024)    /* bytes of one rendered part */
#define CD_TMPL_MAX_FILE (1024 * 1024)      /* bytes of one template file */

typedef struct cd_tmpl_set cd_tmpl_set; /* every template of a folder, parsed; reference-counted */

/* cd_tmpl_set_load - every template under dir (email/, sms/; web/ and README files are left alone).
 * NULL with CD_ERROR_CONFIG on the first error: "FILE:LINE:COL: message" (FILE relative to dir). */
cd_tmpl_set *cd_tmpl_set_load(const char *dir, GError **error);
/* cd_tmpl_set_free - drop one reference (the set is freed with the last); NULL is fine. */
void cd_tmpl_set_free(cd_tmpl_set *set);
cd_tmpl_set *cd_tmpl_set_ref(cd_tmpl_set *set);
guint cd_tmpl_set_count(const cd_tmpl_set *set); /* template files, partials included */

/* Building a set from text, for tests and the fuzzer: new, add each file (path relative, as it
 * would lie in the folder: "email/en/ticket_ack.txt"; len bytes, not NUL-terminated), then link
 * (resolves partials, checks their depth). add and link fail like cd_tmpl_set_load; after a
 * failure the set may only be freed. A set is not rendered before link. */
cd_tmpl_set *cd_tmpl_set_new(void);
gboolean cd_tmpl_set_add(cd_tmpl_set *set, const char *path, const char *text, gsize len, GError **error);
gboolean cd_tmpl_set_link(cd_tmpl_set *set, GError **error);

typedef struct {
	char *subject; /* one line */
	char *text;
	char *html;    /* NULL when the kind has no .html (in the language or in en) */
} cd_rendered;

/* cd_tmpl_render_email - the three parts of kind in lang (NULL, unknown or missing -> "en"; "de-DE",
 * "DE" and "de_DE" mean "de"), each from CHANNEL/LANG/ or else CHANNEL/en/ separately. vars is a
 * JSON object; a name it lacks renders as nothing. FALSE (out zeroed) with CD_ERROR_NOTFOUND when
 * the kind has no subject or text, CD_ERROR_INVALID when the output is too large. */
gboolean cd_tmpl_render_email(const cd_tmpl_set *set, const char *kind, const char *lang, JsonObject *vars,
                              cd_rendered *out, GError **error);
/* cd_tmpl_render_sms - sms/LANG/KIND.txt (else sms/en/); *text newly allocated. */
gboolean cd_tmpl_render_sms(const cd_tmpl_set *set, const char *kind, const char *lang, JsonObject *vars,
                            char **text, GError **error);
/* Web pages (templates/web/LANG/PAGE.html and web/partials/LANG/NAME.html): loaded apart from the
 * message templates by cd_tmpl_web_load; cd_tmpl_render_web renders PAGE in lang (else en) with
 * every {{value}} HTML-escaped. *html newly allocated. */
cd_tmpl_set *cd_tmpl_web_load(const char *dir, GError **error);
gboolean cd_tmpl_render_web(const cd_tmpl_set *set, const char *page, const char *lang, JsonObject *vars,
                            char **html, GError **error);
/* cd_rendered_clear - free the parts and zero them (clearing twice is safe). */
void cd_rendered_clear(cd_rendered *r);
/* cd_tmpl_has - whether kind renders on channel ("email" | "sms") in the fallback language: an
 * English .txt (and for email an English .subject). */
gboolean cd_tmpl_has(const cd_tmpl_set *set, const char *channel, const char *kind);

/* cd_tmpl_check_dir - what `caredesk templates check` reports, as "FILE:LINE:COL: message"
 * strings (FILE relative to dir) appended to problems: every syntax error of every file, every
 * variable a template uses that its kind does not provide, a known kind without its English text
 * (and subject), a .html without a .txt beside it, files that are not templates, and the first
 * syntax or partial error of the web pages (web/). A folder that
 * cannot be read is one problem "DIR: message". TRUE when none. *count, when not NULL, receives
 * the number of template files looked at. */
gboolean cd_tmpl_check_dir_count(const char *dir, GPtrArray *problems, guint *count);
gboolean cd_tmpl_check_dir(const char *dir, GPtrArray *problems);
/* cd_tmpl_check_set_sms_segments - the segment cap the check holds SMS templates to (default 3,
 * [sms] max_segments): a template whose text, with every variable at its longest expected value,
 * takes more segments is a problem. */
void cd_tmpl_check_set_sms_segments(guint cap);

/* The kinds table (template_kinds.c). cd_tmpl_kind_vars - the variables kind provides besides the
 * common ones, NULL-terminated ("ticket.ref", "attachments[].name" for a field of each element
 * of the array attachments), or NULL for a kind not in the table (a template a rule names, like
 * reply "NAME": it is checked against cd_tmpl_custom_vars). cd_tmpl_common_vars - site.*,
 * customer.*, lang. cd_tmpl_kind_channels - "email", "sms" or "email sms"; NULL when unknown. */
const char *const *cd_tmpl_kind_vars(const char *kind);
const char *const *cd_tmpl_common_vars(void);
const char *const *cd_tmpl_custom_vars(void);
const char *cd_tmpl_kind_channels(const char *kind);
/* cd_tmpl_kind_description - when and to whom the kind is sent, for people; NULL when unknown. */
const char *cd_tmpl_kind_description(const char *kind);
/* cd_tmpl_kinds - every kind of the table, NULL-terminated. */
const char *const *cd_tmpl_kinds(void);

/* cd_tmpl_current - the process-wide set of dir, loaded on first use and reloaded when a file
 * under it is added, removed or changed (names, sizes and mtimes compared at most once a second)
 * or after cd_tmpl_invalidate() (async-signal-safe: call it from a SIGHUP handler). A folder that
 * fails to load keeps the previous set in force and logs the error (g_warning). Returns a new
 * reference (cd_tmpl_set_free it), or NULL with the load error when no set ever loaded. */
cd_tmpl_set *cd_tmpl_current(const char *dir, GError **error);
void cd_tmpl_invalidate(void);

#endif
