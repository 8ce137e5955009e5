/* message.c - lifetime of cd_message (see message.h). */
#include "message.h"

static void
header_free(gpointer p)
{
	cd_header *h = p;
	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

void
cd_address_free(cd_address *a)
{
	if (a == NULL)
		return;
	g_free(a->addr);
	g_free(a->name);
	g_free(a);
}

void
cd_attachment_free(cd_attachment *a)
{
	if (a == NULL)
		return;
	g_free(a->filename);
	g_free(a->content_type);
	g_free(a->content_id);
	if (a->data)
		g_bytes_unref(a->data);
	g_free(a->note);
	g_free(a);
}

cd_message *
cd_message_new(void)
{
	cd_message *m = g_new0(cd_message, 1);
	m->to = g_ptr_array_new_with_free_func((GDestroyNotify)cd_address_free);
	m->cc = g_ptr_array_new_with_free_func((GDestroyNotify)cd_address_free);
	m->references = g_ptr_array_new_with_free_func(g_free);
	m->headers = g_ptr_array_new_with_free_func(header_free);
	m->attachments = g_ptr_array_new_with_free_func((GDestroyNotify)cd_attachment_free);
	m->notes = g_ptr_array_new_with_free_func(g_free);
	return m;
}

void
cd_message_free(cd_message *m)
{
	if (m == NULL)
		return;
	g_free(m->from.addr);
	g_free(m->from.name);
	g_free(m->reply_to);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	g_free(m->subject);
	g_free(m->message_id);
	g_free(m->in_reply_to);
	g_ptr_array_unref(m->references);
	g_ptr_array_unref(m->headers);
	g_free(m->text);
	g_free(m->reply_text);
	g_free(m->html);
	g_ptr_array_unref(m->attachments);
	g_ptr_array_unref(m->notes);
	g_free(m->dsn_original_message_id);
	g_free(m->dsn_status);
	g_free(m->dsn_recipient);
	g_free(m->dsn_action);
	g_free(m);
}

void
cd_message_note(cd_message *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_ptr_array_add(m->notes, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

const char *
cd_message_header(const cd_message *m, const char *name)
{
	for (guint i = 0; i < m->headers->len; i++) {
		cd_header *h = g_ptr_array_index(m->headers, i);
		if (g_ascii_strcasecmp(h->name, name) == 0)
			return h->value;
	}
	return NULL;
}
