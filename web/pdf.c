/* pdf.c - PDF documents with cairo (see pdf.h). */
#include "pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>

#define A4_W 595.28
#define A4_H 841.89
#define MARGIN 56.0

static cairo_status_t
collect(void *closure, const unsigned char *data, unsigned int length)
{
	g_byte_array_append(closure, data, length);
	return CAIRO_STATUS_SUCCESS;
}

static void
text_at(cairo_t *cr, double x, double y, const char *s, double size, gboolean bold, gboolean right)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	if (right) {
		cairo_text_extents_t ext;
		cairo_text_extents(cr, s, &ext);
		x -= ext.x_advance;
	}
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s ? s : "");
}

/* clip_text - at most n characters (UTF-8 aware), with an ellipsis */
static char *
clip_text(const char *s, glong n)
{
	if (s == NULL)
		return g_strdup("");
	if (g_utf8_strlen(s, -1) <= n)
		return g_strdup(s);
	char *head = g_utf8_substring(s, 0, n - 1);
	char *r = g_strconcat(head, "…", NULL);
	g_free(head);
	return r;
}

/* render - the drawing itself; see pdf_render for the thread it runs on */
static GBytes *
render(const pdf_doc *doc)
{
	GByteArray *out = g_byte_array_new();
	cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(collect, out, A4_W, A4_H);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, doc->ref ? doc->ref : "");
	cairo_t *cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.12);
	double y = MARGIN + 10;
	char *head = g_strdup_printf("%s %s", doc->title, doc->ref);
	text_at(cr, MARGIN, y, head, 22, TRUE, FALSE);
	g_free(head);
	y += 28;
	for (guint i = 0; doc->meta && doc->meta[i]; i++, y += 15)
		text_at(cr, MARGIN, y, doc->meta[i], 10, FALSE, FALSE);
	if (doc->to) {
		y += 10;
		for (guint i = 0; doc->to[i]; i++, y += 15)
			text_at(cr, MARGIN, y, doc->to[i], 10, i == 0, FALSE);
	}
	y += 20;
	const double cols[] = {MARGIN, A4_W - MARGIN - 200, A4_W - MARGIN - 100, A4_W - MARGIN};
	text_at(cr, cols[0], y, "Item", 10, TRUE, FALSE);
	text_at(cr, cols[1], y, "Qty", 10, TRUE, TRUE);
	text_at(cr, cols[2], y, "Unit price", 10, TRUE, TRUE);
	text_at(cr, cols[3], y, "Amount", 10, TRUE, TRUE);
	y += 6;
	cairo_set_line_width(cr, 0.6);
	cairo_move_to(cr, MARGIN, y);
	cairo_line_to(cr, A4_W - MARGIN, y);
	cairo_stroke(cr);
	y += 16;
	for (guint i = 0; doc->lines && i < doc->lines->len; i++) {
		if (y > A4_H - MARGIN - 60) {
			cairo_show_page(cr);
			y = MARGIN + 10;
		}
		char **row = g_ptr_array_index(doc->lines, i);
		char *item = clip_text(row[0], 55);
		text_at(cr, cols[0], y, item, 10, FALSE, FALSE);
		g_free(item);
		text_at(cr, cols[1], y, row[1], 10, FALSE, TRUE);
		text_at(cr, cols[2], y, row[2], 10, FALSE, TRUE);
		text_at(cr, cols[3], y, row[3], 10, FALSE, TRUE);
		y += 16;
	}
	cairo_move_to(cr, cols[1] - 40, y - 8);
	cairo_line_to(cr, A4_W - MARGIN, y - 8);
	cairo_stroke(cr);
	y += 8;
	text_at(cr, cols[2], y, "Total", 11, TRUE, TRUE);
	text_at(cr, cols[3], y, doc->total, 11, TRUE, TRUE);
	if (doc->footer)
		text_at(cr, MARGIN, A4_H - MARGIN, doc->footer, 8, FALSE, FALSE);
	cairo_show_page(cr);
	cairo_destroy(cr);
	cairo_surface_finish(surf);
	cairo_status_t status = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	if (status != CAIRO_STATUS_SUCCESS) {
		g_byte_array_unref(out);
		return NULL;
	}
	return g_byte_array_free_to_bytes(out);
}

static gpointer
render_thread(gpointer doc)
{
	return render(doc);
}

/* pdf_render - on a thread of its own: cairo's text goes through fontconfig, whose first use
 * parses the font configuration recursively with frames of 16 KB and more, deeper than the small
 * stacks civetweb gives its workers (a worker died on the first invoice: found by fuzz_webhttp).
 * A GLib thread has the process's default stack size. */
GBytes *
pdf_render(const pdf_doc *doc)
{
	GThread *t = g_thread_new("pdf", render_thread, (gpointer)doc);
	return g_thread_join(t);
}

void
pdf_shutdown(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}
