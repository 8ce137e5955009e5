/* mime.c - GMime parsing into cd_message (see mime.h).
 *
 * The walk over the MIME tree decides what is body and what is attachment:
 * - multipart/alternative: the text/plain branch gives the text, the text/html branch the HTML;
 * - other multiparts: every child, up to a depth limit;
 * - text/plain and text/html without a file name and not marked attachment: body;
 * - message/rfc822: kept as an .eml attachment; when inline and not too deep, its text is
 *   appended as a forwarded message;
 * - message/delivery-status: DSN facts and text;
 * - application/ms-tnef (winmail.dat): opened with libytnef, the files inside become attachments;
 * - everything else: attachment (bytes kept up to max_attachment_bytes). */
#include "mime.h"
#include "charset.h"
#include "quote.h"
#include "tnef.h"
#include "util.h"

#include <gmime/gmime.h>
#include <string.h>

#define MAX_MULTIPART_DEPTH 64
#define MAX_LEAVES 5000

enum { WANT_NONE = 0, WANT_TEXT = 1, WANT_HTML = 2, WANT_ALL = 3 };

typedef struct {
	const cd_mime_options *opt;
	GMimeParserOptions *popt;
	cd_message *m;
	GString *text;
	GString *html;
	guint leaves;
	gboolean in_report;
} walk_ctx;

static void walk(walk_ctx *c, GMimeObject *obj, guint depth, guint msg_depth, int want, gboolean collect);

void
cd_mime_init(void)
{
	static gsize once;
	if (g_once_init_enter(&once)) {
		g_mime_init();
		g_once_init_leave(&once, 1);
	}
}

void
cd_mime_options_default(cd_mime_options *opt)
{
	opt->max_attachment_bytes = 25 * 1024 * 1024;
	opt->max_nesting = 8;
	cd_html_limits_default(&opt->html);
}

static GMimeParserOptions *
parser_options_new(void)
{
	static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
	GMimeParserOptions *p = g_mime_parser_options_new();
	g_mime_parser_options_set_rfc2047_compliance_mode(p, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(p, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(p, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(p, FALSE);
	g_mime_parser_options_set_fallback_charsets(p, fallback);
	return p;
}

/* one_line - valid UTF-8 with CR, LF and tabs turned into single spaces (header values). */
static char *
one_line(const char *s)
{
	if (s == NULL)
		return NULL;
	char *clean = cd_utf8_clean(s, -1);
	for (char *p = clean; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return g_strstrip(clean);
}

static GBytes *
part_content(GMimePart *part)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	if (dw == NULL)
		return g_bytes_new(NULL, 0);
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, mem);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return g_byte_array_free_to_bytes(ba);
}

static GBytes *
object_bytes(GMimeObject *obj)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(obj, NULL, mem);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return g_byte_array_free_to_bytes(ba);
}

static char *
mime_type_of(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	if (ct == NULL)
		return g_strdup("application/octet-stream");
	char *t = g_mime_content_type_get_mime_type(ct);
	char *lower = g_ascii_strdown(t, -1);
	g_free(t);
	return lower;
}

static const char *
charset_of(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	return ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
}

static gboolean
disposition_is_attachment(GMimeObject *obj)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
	return d != NULL && g_mime_content_disposition_is_attachment(d);
}

char *
cd_mime_safe_filename(const char *name)
{
	if (name == NULL || *name == '\0')
		return NULL;
	char *clean = cd_utf8_clean(name, -1);
	for (char *p = clean; *p; p++) {
		if (*p == '\\')
			*p = '/';
		else if ((guchar)*p < 0x20 || *p == 0x7f)
			*p = '_';
	}
	char *base = strrchr(clean, '/');
	char *out = g_strdup(base ? base + 1 : clean);
	g_free(clean);
	g_strstrip(out);
	if (*out == '\0' || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		g_free(out);
		return NULL;
	}
	return out;
}

static void
add_attachment(walk_ctx *c, const char *filename, const char *content_type, const char *content_id,
               gboolean is_inline, GBytes *data, const char *note)
{
	cd_attachment *a = g_new0(cd_attachment, 1);
	a->filename = cd_mime_safe_filename(filename);
	a->content_type = g_strdup(content_type ? content_type : "application/octet-stream");
	a->content_id = content_id ? one_line(content_id) : NULL;
	a->is_inline = is_inline;
	gsize size = 0;
	const void *p = g_bytes_get_data(data, &size);
	a->size = size;
	cd_sha256_hex(p ? p : "", size, a->sha256);
	GString *notes = g_string_new(note);
	if (size > c->opt->max_attachment_bytes) {
		if (notes->len)
			g_string_append(notes, "; ");
		g_string_append_printf(notes, "not stored: %" G_GSIZE_FORMAT " bytes is over max_attachment_bytes %" G_GSIZE_FORMAT
		                       " (the raw message keeps it)", size, c->opt->max_attachment_bytes);
		cd_message_note(c->m, "attachment %s (%" G_GSIZE_FORMAT " bytes) over the size limit: recorded, not stored",
		                a->filename ? a->filename : "(unnamed)", size);
	} else {
		a->data = g_bytes_ref(data);
	}
	a->note = notes->len ? g_string_free(notes, FALSE) : (g_string_free(notes, TRUE), NULL);
	g_ptr_array_add(c->m->attachments, a);
}

static void
append_block(GString *s, const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	if (s->len > 0) {
		while (s->len > 0 && (s->str[s->len - 1] == '\n' || s->str[s->len - 1] == ' '))
			g_string_truncate(s, s->len - 1);
		g_string_append(s, "\n\n");
	}
	g_string_append(s, text);
}

static char *
decode_text_part(walk_ctx *c, GMimePart *part, gboolean is_html)
{
	GBytes *b = part_content(part);
	gsize len;
	const char *data = g_bytes_get_data(b, &len);
	char *note = NULL;
	char *text = cd_charset_to_utf8(data ? data : "", len, charset_of(GMIME_OBJECT(part)), is_html, &note);
	if (note) {
		cd_message_note(c->m, "%s", note);
		g_free(note);
	}
	g_bytes_unref(b);
	return text;
}

/* dsn_field - value of "Name: value" in a delivery-status block. */
static char *
dsn_field(const char *text, const char *name)
{
	gsize nlen = strlen(name);
	const char *p = text;
	while (p && *p) {
		if (g_ascii_strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1;
			const char *eol = strpbrk(v, "\r\n");
			char *val = g_strndup(v, eol ? (gsize)(eol - v) : strlen(v));
			const char *semi = strchr(val, ';');
			char *out = g_strdup(semi ? semi + 1 : val);
			g_free(val);
			return g_strstrip(out);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static void
handle_delivery_status(walk_ctx *c, GMimePart *part, int want)
{
	char *text = decode_text_part(c, part, FALSE);
	cd_message *m = c->m;
	if (m->dsn_status == NULL)
		m->dsn_status = dsn_field(text, "Status");
	if (m->dsn_action == NULL)
		m->dsn_action = dsn_field(text, "Action");
	if (m->dsn_recipient == NULL) {
		char *r = dsn_field(text, "Final-Recipient");
		if (r == NULL)
			r = dsn_field(text, "Original-Recipient");
		m->dsn_recipient = cd_address_normalize(r);
		g_free(r);
	}
	if (want & WANT_TEXT)
		append_block(c->text, text);
	g_free(text);
}

static void
note_original_message_id(walk_ctx *c, const char *id)
{
	if (c->in_report && c->m->dsn_original_message_id == NULL && id != NULL && *id)
		c->m->dsn_original_message_id = one_line(id);
}

static void
handle_rfc822_headers(walk_ctx *c, GMimePart *part)
{
	char *text = decode_text_part(c, part, FALSE);
	char *id = dsn_field(text, "Message-ID");
	if (id) {
		GMimeReferences *refs = g_mime_references_parse(c->popt, id);
		if (refs && g_mime_references_length(refs) > 0)
			note_original_message_id(c, g_mime_references_get_message_id(refs, 0));
		if (refs)
			g_mime_references_free(refs);
		g_free(id);
	}
	g_free(text);
}

static char *
address_list_text(InternetAddressList *list)
{
	if (list == NULL || internet_address_list_length(list) == 0)
		return NULL;
	char *s = internet_address_list_to_string(list, NULL, FALSE);
	char *clean = one_line(s);
	g_free(s);
	return clean;
}

static void
handle_nested_message(walk_ctx *c, GMimeMessagePart *mp, guint depth, guint msg_depth, int want, gboolean collect)
{
	GMimeMessage *nested = g_mime_message_part_get_message(mp);
	GMimeObject *obj = GMIME_OBJECT(mp);
	if (nested == NULL)
		return;
	note_original_message_id(c, g_mime_message_get_message_id(nested));
	const char *subject = g_mime_message_get_subject(nested);
	if (collect) {
		char *name = g_strdup_printf("%s.eml", subject && *subject ? subject : "message");
		GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
		const char *fname = d ? g_mime_content_disposition_get_parameter(d, "filename") : NULL;
		GBytes *b = object_bytes(GMIME_OBJECT(nested));
		add_attachment(c, fname ? fname : name, "message/rfc822", NULL, FALSE, b, "attached message");
		g_bytes_unref(b);
		g_free(name);
	}
	if (disposition_is_attachment(obj) || !(want & WANT_TEXT) || c->in_report)
		return;
	if (msg_depth >= c->opt->max_nesting) {
		cd_message_note(c->m, "nested message deeper than %u levels kept as attachment, not opened",
		                c->opt->max_nesting);
		return;
	}
	GString *hdr = g_string_new("---------- Forwarded message ----------\n");
	char *from = address_list_text(g_mime_message_get_from(nested));
	if (from)
		g_string_append_printf(hdr, "From: %s\n", from);
	GDateTime *date = g_mime_message_get_date(nested);
	if (date) {
		char *ds = g_date_time_format(date, "%a, %d %b %Y %H:%M:%S %z");
		g_string_append_printf(hdr, "Date: %s\n", ds);
		g_free(ds);
	}
	char *subj = one_line(subject);
	if (subj)
		g_string_append_printf(hdr, "Subject: %s\n", subj);
	append_block(c->text, hdr->str);
	g_string_free(hdr, TRUE);
	g_free(from);
	g_free(subj);
	GMimeObject *body = g_mime_message_get_mime_part(nested);
	if (body) {
		/* The nested message's own text, without collecting its attachments again (they are in the .eml). */
		GString *outer_html = c->html;
		GString *scratch = g_string_new(NULL);
		GString *outer_text = c->text;
		GString *inner_text = g_string_new(NULL);
		c->html = scratch;
		c->text = inner_text;
		walk(c, body, depth + 1, msg_depth + 1, WANT_ALL, FALSE);
		c->text = outer_text;
		c->html = outer_html;
		if (inner_text->len == 0 && scratch->len > 0) {
			char *t = cd_html_to_text(scratch->str, scratch->len, &c->opt->html, NULL);
			g_string_append(inner_text, t);
			g_free(t);
		}
		g_string_append(c->text, "\n");
		g_string_append(c->text, inner_text->str);
		g_string_free(inner_text, TRUE);
		g_string_free(scratch, TRUE);
	}
}

static void
handle_tnef(walk_ctx *c, GMimePart *part, GBytes *data, const char *filename, int want)
{
	gsize len;
	const guint8 *p = g_bytes_get_data(data, &len);
	GError *error = NULL;
	GPtrArray *files = cd_tnef_extract(p, len, &error);
	if (files == NULL) {
		cd_message_note(c->m, "winmail.dat could not be opened (%s); kept as it is", error->message);
		g_error_free(error);
		add_attachment(c, filename ? filename : "winmail.dat", "application/ms-tnef", NULL, FALSE, data,
		               "TNEF could not be opened");
		return;
	}
	for (guint i = 0; i < files->len; i++) {
		cd_tnef_file *f = g_ptr_array_index(files, i);
		gboolean is_body = f->filename && g_str_has_prefix(f->filename, "body.");
		if (is_body && g_strcmp0(f->filename, "body.txt") == 0 && (want & WANT_TEXT)) {
			gsize n;
			const char *t = g_bytes_get_data(f->data, &n);
			char *u = cd_charset_to_utf8(t ? t : "", n, NULL, FALSE, NULL);
			append_block(c->text, u);
			g_free(u);
			continue;
		}
		if (is_body && g_strcmp0(f->filename, "body.html") == 0 && (want & WANT_HTML)) {
			gsize n;
			const char *t = g_bytes_get_data(f->data, &n);
			char *u = cd_charset_to_utf8(t ? t : "", n, NULL, TRUE, NULL);
			g_string_append(c->html, u);
			g_free(u);
			continue;
		}
		add_attachment(c, f->filename, f->content_type, NULL, FALSE, f->data, "from winmail.dat");
	}
	cd_message_note(c->m, "winmail.dat opened: %u file(s)", files->len);
	g_ptr_array_unref(files);
}

static void
walk_leaf(walk_ctx *c, GMimePart *part, int want, gboolean collect)
{
	GMimeObject *obj = GMIME_OBJECT(part);
	char *type = mime_type_of(obj);
	const char *filename = g_mime_part_get_filename(part);
	gboolean attachment = disposition_is_attachment(obj);
	gboolean body_candidate = !attachment && filename == NULL;

	if (body_candidate && strcmp(type, "text/plain") == 0) {
		if (want & WANT_TEXT) {
			char *t = decode_text_part(c, part, FALSE);
			append_block(c->text, t);
			g_free(t);
		}
	} else if (body_candidate && strcmp(type, "text/html") == 0) {
		if (want & WANT_HTML) {
			char *t = decode_text_part(c, part, TRUE);
			g_string_append(c->html, t);
			g_free(t);
		}
	} else if (strcmp(type, "message/delivery-status") == 0 || strcmp(type, "message/global-delivery-status") == 0) {
		handle_delivery_status(c, part, want);
	} else if (strcmp(type, "text/rfc822-headers") == 0) {
		handle_rfc822_headers(c, part);
		if (collect) {
			GBytes *b = part_content(part);
			add_attachment(c, filename ? filename : "returned-headers.txt", type, NULL, FALSE, b, NULL);
			g_bytes_unref(b);
		}
	} else if (collect) {
		GBytes *b = part_content(part);
		gboolean tnef = strcmp(type, "application/ms-tnef") == 0 || strcmp(type, "application/vnd.ms-tnef") == 0 ||
		                (filename && g_ascii_strcasecmp(filename, "winmail.dat") == 0);
		if (tnef)
			handle_tnef(c, part, b, filename, want);
		else
			add_attachment(c, filename, type, g_mime_part_get_content_id(part), !attachment, b, NULL);
		g_bytes_unref(b);
	}
	g_free(type);
}

/* contains_leaf - whether obj is or holds a body leaf of the given type. */
static gboolean
contains_leaf(GMimeObject *obj, const char *want_type, guint depth)
{
	if (depth > MAX_MULTIPART_DEPTH)
		return FALSE;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++)
			if (contains_leaf(g_mime_multipart_get_part(mp, i), want_type, depth + 1))
				return TRUE;
		return FALSE;
	}
	if (!GMIME_IS_PART(obj) || disposition_is_attachment(obj) || g_mime_part_get_filename(GMIME_PART(obj)))
		return FALSE;
	char *type = mime_type_of(obj);
	gboolean yes = strcmp(type, want_type) == 0;
	g_free(type);
	return yes;
}

static void
walk_alternative(walk_ctx *c, GMimeMultipart *mp, guint depth, guint msg_depth, int want, gboolean collect)
{
	int n = g_mime_multipart_get_count(mp);
	int plain = -1, html = -1;
	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		if (contains_leaf(child, "text/plain", depth + 1))
			plain = i;
		if (contains_leaf(child, "text/html", depth + 1))
			html = i;
	}
	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		int w = WANT_NONE;
		if (plain < 0 && html < 0)
			w = want;
		else if (i == plain && i == html)
			w = want;
		else if (i == plain)
			w = want & WANT_TEXT;
		else if (i == html)
			w = want & WANT_HTML;
		if (w == WANT_NONE && (plain >= 0 || html >= 0) && !GMIME_IS_PART(child))
			continue; /* an unused alternative branch of multiparts */
		if (w == WANT_NONE && GMIME_IS_PART(child)) {
			/* e.g. text/calendar or text/enriched alternatives: keep them as attachments */
			char *type = mime_type_of(child);
			gboolean keep = strcmp(type, "text/plain") != 0 && strcmp(type, "text/html") != 0;
			g_free(type);
			if (!keep || !collect)
				continue;
		}
		walk(c, child, depth + 1, msg_depth, w, collect);
	}
}

static void
walk(walk_ctx *c, GMimeObject *obj, guint depth, guint msg_depth, int want, gboolean collect)
{
	if (obj == NULL)
		return;
	if (depth > MAX_MULTIPART_DEPTH) {
		cd_message_note(c->m, "MIME structure deeper than %d levels: the rest is only in the raw message",
		                MAX_MULTIPART_DEPTH);
		return;
	}
	if (++c->leaves > MAX_LEAVES) {
		if (c->leaves == MAX_LEAVES + 1)
			cd_message_note(c->m, "more than %d MIME parts: the rest is only in the raw message", MAX_LEAVES);
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		char *type = mime_type_of(obj);
		gboolean was_report = c->in_report;
		if (strcmp(type, "multipart/report") == 0) {
			GMimeContentType *ct = g_mime_object_get_content_type(obj);
			const char *rt = g_mime_content_type_get_parameter(ct, "report-type");
			if (rt == NULL || g_ascii_strcasecmp(rt, "delivery-status") == 0 ||
			    g_ascii_strcasecmp(rt, "global-delivery-status") == 0) {
				c->m->is_dsn = TRUE;
				c->in_report = TRUE;
			}
		}
		if (strcmp(type, "multipart/alternative") == 0) {
			walk_alternative(c, mp, depth, msg_depth, want, collect);
		} else {
			int n = g_mime_multipart_get_count(mp);
			for (int i = 0; i < n; i++)
				walk(c, g_mime_multipart_get_part(mp, i), depth + 1, msg_depth, want, collect);
		}
		c->in_report = was_report;
		g_free(type);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		handle_nested_message(c, GMIME_MESSAGE_PART(obj), depth, msg_depth, want, collect);
	} else if (GMIME_IS_PART(obj)) {
		walk_leaf(c, GMIME_PART(obj), want, collect);
	}
}

static void
collect_addresses(InternetAddressList *list, GPtrArray *out, guint depth)
{
	if (list == NULL || depth > 4)
		return;
	int n = internet_address_list_length(list);
	for (int i = 0; i < n && out->len < 1000; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			collect_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
			continue;
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		char *addr = cd_address_normalize(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
		if (addr == NULL)
			continue;
		cd_address *a = g_new0(cd_address, 1);
		a->addr = cd_utf8_clean(addr, -1);
		g_free(addr);
		const char *name = internet_address_get_name(ia);
		a->name = name && *name ? one_line(name) : NULL;
		g_ptr_array_add(out, a);
	}
}

static void
parse_references(walk_ctx *c, GMimeObject *obj)
{
	cd_message *m = c->m;
	const char *irt = g_mime_object_get_header(obj, "In-Reply-To");
	if (irt) {
		GMimeReferences *refs = g_mime_references_parse(c->popt, irt);
		if (refs && g_mime_references_length(refs) > 0)
			m->in_reply_to = one_line(g_mime_references_get_message_id(refs, 0));
		if (refs)
			g_mime_references_free(refs);
	}
	const char *ref = g_mime_object_get_header(obj, "References");
	if (ref) {
		GMimeReferences *refs = g_mime_references_parse(c->popt, ref);
		int n = refs ? g_mime_references_length(refs) : 0;
		for (int i = 0; i < n && i < 200; i++) {
			char *id = one_line(g_mime_references_get_message_id(refs, i));
			if (id && *id)
				g_ptr_array_add(m->references, id);
			else
				g_free(id);
		}
		if (refs)
			g_mime_references_free(refs);
	}
}

static void
parse_headers(walk_ctx *c, GMimeMessage *msg)
{
	cd_message *m = c->m;
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = g_mime_header_list_get_count(hl);
	for (int i = 0; i < n && i < 1000; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		cd_header *ch = g_new0(cd_header, 1);
		ch->name = one_line(g_mime_header_get_name(h));
		const char *v = g_mime_header_get_value(h);
		ch->value = one_line(v ? v : "");
		g_ptr_array_add(m->headers, ch);
	}
	GPtrArray *from = g_ptr_array_new_with_free_func((GDestroyNotify)cd_address_free);
	collect_addresses(g_mime_message_get_from(msg), from, 0);
	if (from->len == 0)
		collect_addresses(g_mime_message_get_sender(msg), from, 0);
	if (from->len > 0) {
		cd_address *a = g_ptr_array_index(from, 0);
		m->from.addr = g_strdup(a->addr);
		m->from.name = g_strdup(a->name);
	}
	g_ptr_array_set_size(from, 0);
	collect_addresses(g_mime_message_get_reply_to(msg), from, 0);
	if (from->len > 0)
		m->reply_to = g_strdup(((cd_address *)g_ptr_array_index(from, 0))->addr);
	g_ptr_array_unref(from);
	collect_addresses(g_mime_message_get_to(msg), m->to, 0);
	collect_addresses(g_mime_message_get_cc(msg), m->cc, 0);
	m->subject = one_line(g_mime_message_get_subject(msg));
	m->message_id = one_line(g_mime_message_get_message_id(msg));
	if (m->message_id && *m->message_id == '\0')
		g_clear_pointer(&m->message_id, g_free);
	GDateTime *date = g_mime_message_get_date(msg);
	if (date)
		m->date = g_date_time_to_unix(date);
	parse_references(c, obj);
}

/* has_any_header - GMime builds a message even from plain text; without a single header (the
 * Content-* ones move to the body part) it is not a message at all. */
static gboolean
has_any_header(GMimeMessage *msg)
{
	if (msg == NULL)
		return FALSE;
	if (g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(msg))) > 0)
		return TRUE;
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	return body != NULL && g_mime_header_list_get_count(g_mime_object_get_header_list(body)) > 0;
}

/* skip_mbox_from - some MTAs prepend an mbox "From sender date" line: it is not a header. */
static gsize
skip_mbox_from(const char *data, gsize len)
{
	if (len < 5 || memcmp(data, "From ", 5) != 0)
		return 0;
	const char *nl = memchr(data, '\n', len);
	return nl ? (gsize)(nl - data) + 1 : 0;
}

/* mark_shown_inline - a part the HTML shows (src="cid:ID") is inline whatever its disposition says:
 * some clients send signature logos and pasted screenshots as "attachment" with a Content-ID. */
static void
mark_shown_inline(walk_ctx *c)
{
	GPtrArray *atts = c->m->attachments;
	if (c->html->len == 0 || atts == NULL)
		return;
	char *lower = NULL;
	for (guint i = 0; i < atts->len; i++) {
		cd_attachment *a = g_ptr_array_index(atts, i);
		if (a->is_inline || a->content_id == NULL || *a->content_id == '\0')
			continue;
		if (lower == NULL)
			lower = g_ascii_strdown(c->html->str, (gssize)c->html->len);
		char *want = g_ascii_strdown(a->content_id, -1);
		gsize n = strlen(want);
		if (n > 2 && want[0] == '<' && want[n - 1] == '>') {
			want[n - 1] = '\0';
			memmove(want, want + 1, n - 1);
		}
		char *cid = g_strconcat("cid:", want, NULL);
		a->is_inline = strstr(lower, cid) != NULL;
		g_free(cid);
		g_free(want);
	}
	g_free(lower);
}

static void
finish_text(walk_ctx *c)
{
	cd_message *m = c->m;
	gboolean truncated = FALSE;
	mark_shown_inline(c);
	if (c->html->len > 0) {
		m->html = cd_html_sanitize(c->html->str, c->html->len, &c->opt->html, &truncated);
		if (truncated)
			cd_message_note(m, "HTML too large or too slow to show whole: display truncated (raw message intact)");
	}
	char *stripped = g_strstrip(g_strdup(c->text->str));
	gboolean have_text = *stripped != '\0';
	g_free(stripped);
	if (have_text) {
		m->text = g_string_free(c->text, FALSE);
	} else {
		g_string_free(c->text, TRUE);
		truncated = FALSE;
		m->text = c->html->len ? cd_html_to_text(c->html->str, c->html->len, &c->opt->html, &truncated)
		                       : g_strdup("");
		if (truncated)
			cd_message_note(m, "HTML too large or too slow to convert whole: text truncated (raw message intact)");
	}
	c->text = NULL;
	g_string_free(c->html, TRUE);
	c->html = NULL;
	m->reply_text = cd_quote_strip(m->text);
}

cd_message *
cd_mime_parse(const void *bytes, gsize len, const cd_mime_options *opt)
{
	cd_mime_init();
	cd_message *m = cd_message_new();
	m->raw_size = len;
	cd_sha256_hex(bytes, len, m->sha256);

	gsize skip = skip_mbox_from(bytes, len);
	walk_ctx c = {.opt = opt, .m = m, .text = g_string_new(NULL), .html = g_string_new(NULL)};
	c.popt = parser_options_new();
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)bytes + skip, len - skip);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, c.popt);
	g_object_unref(parser);
	g_object_unref(stream);

	if (!has_any_header(msg)) {
		m->parsed = FALSE;
		char *text = cd_charset_to_utf8((const char *)bytes + skip, len - skip, NULL, FALSE, NULL);
		g_string_append(c.text, text);
		g_free(text);
		cd_message_note(m, "not a MIME message: stored raw, shown as text");
	} else {
		m->parsed = TRUE;
		parse_headers(&c, msg);
		walk(&c, g_mime_message_get_mime_part(msg), 0, 0, WANT_ALL, TRUE);
	}
	if (msg)
		g_object_unref(msg);
	finish_text(&c);
	g_mime_parser_options_free(c.popt);
	return m;
}

cd_message *
cd_mime_unparsed(const void *bytes, gsize len, const char *reason)
{
	cd_message *m = cd_message_new();
	m->raw_size = len;
	m->parsed = FALSE;
	cd_sha256_hex(bytes, len, m->sha256);
	m->text = cd_charset_to_utf8(bytes, len, NULL, FALSE, NULL);
	m->reply_text = g_strdup(m->text);
	cd_message_note(m, "%s", reason);
	return m;
}
