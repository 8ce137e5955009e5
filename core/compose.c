/* compose.c - outbound email with GMime (see compose.h). */
#include "compose.h"
#include "mime.h"
#include "result.h"

#include <gmime/gmime.h>
#include <string.h>

char *
cd_header_value(const char *value)
{
	if (value == NULL)
		return g_strdup("");
	GString *s = g_string_sized_new(strlen(value));
	gboolean space = FALSE;
	for (const char *p = value; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || (c == ' ' && space)) {
			space = TRUE;
			continue;
		}
		if (space && s->len)
			g_string_append_c(s, ' ');
		space = FALSE;
		g_string_append_c(s, (char)c);
	}
	return g_strstrip(g_string_free(s, FALSE));
}

static void
set_header(GMimeObject *obj, const char *name, const char *value)
{
	char *v = cd_header_value(value);
	if (*v)
		g_mime_object_set_header(obj, name, v, "utf-8");
	g_free(v);
}

/* text_part - always UTF-8 (g_mime_text_part_set_text would pick Latin-1 for some texts) */
static GMimeObject *
text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(part), content);
	g_object_unref(content);
	g_object_unref(stream);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	GMimeContentEncoding enc = g_mime_part_get_best_content_encoding(GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT);
	g_mime_part_set_content_encoding(GMIME_PART(part), enc);
	return GMIME_OBJECT(part);
}

/* angle - an id list "<a> <b>" from ids without <>, each made header-safe. */
static char *
angle(const char *id)
{
	char *v = cd_header_value(id);
	char *s = g_strdup_printf("<%s>", v);
	g_free(v);
	return s;
}

static void
add_threading(GMimeObject *obj, const char *headers_json)
{
	if (headers_json == NULL)
		return;
	JsonParser *p = json_parser_new();
	if (!json_parser_load_from_data(p, headers_json, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		g_object_unref(p);
		return;
	}
	JsonObject *h = json_node_get_object(json_parser_get_root(p));
	if (json_object_has_member(h, "Reply-To"))
		set_header(obj, "Reply-To", json_object_get_string_member(h, "Reply-To"));
	if (json_object_has_member(h, "In-Reply-To")) {
		char *v = angle(json_object_get_string_member(h, "In-Reply-To"));
		set_header(obj, "In-Reply-To", v);
		g_free(v);
	}
	if (json_object_has_member(h, "References")) {
		JsonArray *a = json_object_get_array_member(h, "References");
		GString *refs = g_string_new(NULL);
		/* RFC 5322 allows trimming the middle; keep the first and the last 9 */
		guint n = a ? json_array_get_length(a) : 0;
		for (guint i = 0; i < n; i++) {
			if (n > 10 && i > 0 && i < n - 9)
				continue;
			char *v = angle(json_array_get_string_element(a, i));
			if (refs->len)
				g_string_append_c(refs, ' ');
			g_string_append(refs, v);
			g_free(v);
		}
		if (refs->len)
			g_mime_object_set_header(obj, "References", refs->str, NULL);
		g_string_free(refs, TRUE);
	}
	g_object_unref(p);
}

/* add_files - the body becomes the first part of a multipart/mixed, each file a base64 part after it. */
static void
add_files(GMimeMessage *msg, GPtrArray *files)
{
	if (files == NULL || files->len == 0)
		return;
	GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mixed, g_mime_message_get_mime_part(msg));
	for (guint i = 0; i < files->len; i++) {
		const cd_outbox_file *f = g_ptr_array_index(files, i);
		GMimeContentType *ct = g_mime_content_type_parse(NULL, f->content_type ? f->content_type : "");
		if (ct == NULL || g_mime_content_type_get_media_type(ct) == NULL ||
		    g_mime_content_type_get_media_subtype(ct) == NULL) {
			g_clear_object(&ct);
			ct = g_mime_content_type_new("application", "octet-stream");
		}
		GMimePart *part = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
		                                            g_mime_content_type_get_media_subtype(ct));
		g_object_unref(ct);
		gsize len;
		const void *data = g_bytes_get_data(f->content, &len);
		GMimeStream *mem = g_mime_stream_mem_new_with_buffer(data ? data : "", len);
		GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);
		g_mime_part_set_content(part, dw);
		g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
		g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
		char *name = cd_header_value(f->filename && *f->filename ? f->filename : "attachment");
		g_mime_part_set_filename(part, name); /* RFC 2231 encoded by GMime when not ASCII */
		g_free(name);
		g_mime_multipart_add(mixed, GMIME_OBJECT(part));
		g_object_unref(dw);
		g_object_unref(mem);
		g_object_unref(part);
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	g_object_unref(mixed);
}

GBytes *
cd_compose_email(const cd_outbox_row *row, const cd_compose_opts *opts, GError **error)
{
	cd_mime_init();
	if (row->recipient == NULL || strchr(row->recipient, '@') == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "outbox row %" G_GINT64_FORMAT ": no mail address to send to",
		            row->id);
		return NULL;
	}
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GMimeObject *obj = GMIME_OBJECT(msg);
	char *from_name = cd_header_value(opts->from_name);
	char *from_addr = cd_header_value(opts->from_address);
	char *to = cd_header_value(row->recipient);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, from_name, from_addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
	char *subject = cd_header_value(row->subject);
	g_mime_message_set_subject(msg, subject, "utf-8");
	GDateTime *now = g_date_time_new_now_utc();
	g_mime_message_set_date(msg, now);
	g_date_time_unref(now);
	char *mid = cd_header_value(row->message_id);
	if (*mid)
		g_mime_message_set_message_id(msg, mid);
	add_threading(obj, row->headers);
	set_header(obj, "X-Loop", from_addr);
	if (row->auto_reply)
		set_header(obj, "Auto-Submitted", "auto-replied");
	else if (row->kind && g_str_has_prefix(row->kind, "agent_") && strcmp(row->kind, "agent_reply") != 0)
		set_header(obj, "Auto-Submitted", "auto-generated");
	g_mime_object_set_header(obj, "MIME-Version", "1.0", NULL);

	GMimeObject *text = text_part("plain", row->body_text ? row->body_text : "");
	if (row->body_html && *row->body_html) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		g_mime_multipart_add(alt, text);
		GMimeObject *html = text_part("html", row->body_html);
		g_mime_multipart_add(alt, html);
		g_object_unref(html);
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(alt));
		g_object_unref(alt);
	} else {
		g_mime_message_set_mime_part(msg, text);
	}
	g_object_unref(text);
	add_files(msg, row->files);

	GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fo, opts->crlf ? GMIME_NEWLINE_FORMAT_DOS : GMIME_NEWLINE_FORMAT_UNIX);
	GByteArray *buf = g_byte_array_new();
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(buf);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	g_mime_object_write_to_stream(obj, fo, stream);
	g_mime_stream_flush(stream);
	g_object_unref(stream);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	g_free(from_name);
	g_free(from_addr);
	g_free(to);
	g_free(subject);
	g_free(mid);
	return g_byte_array_free_to_bytes(buf);
}
