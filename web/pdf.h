/* pdf.h - invoices and offers as PDF documents (cairo's PDF surface, text drawn with real fonts so
 * that it can be searched, copied and extracted: pdftotext finds the reference). */
#ifndef WEB_PDF_H
#define WEB_PDF_H

#include <glib.h>

typedef struct {
	const char *title;        /* "Invoice" */
	const char *ref;          /* "A1001" */
	const char *const *meta;  /* NULL-terminated "Label: value" lines under the title */
	const char *const *to;    /* NULL-terminated address lines, may be NULL */
	GPtrArray *lines;         /* char*[4] rows: item, quantity, unit price, amount (each a string) */
	const char *total;        /* "149.70 EUR" */
	const char *footer;       /* small print, may be NULL */
} pdf_doc;

/* pdf_render - the document as PDF bytes (A4), or NULL when cairo fails. */
GBytes *pdf_render(const pdf_doc *doc);

/* pdf_shutdown - at exit: release cairo's and fontconfig's caches (leak checkers see them otherwise). */
void pdf_shutdown(void);

#endif
