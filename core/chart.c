/* chart.c - line and bar charts with cairo (see chart.h). */
#include "chart.h"
#include "result.h"
#include "util.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <string.h>

struct cd_chart {
	cd_chart_kind kind;
	char *title, *y_label;
	GPtrArray *categories;  /* char* */
	GPtrArray *names;       /* char*: series names */
	GPtrArray *values;      /* GArray of double per series, NAN when missing */
};

/* A palette that stays apart for the colour-blind (Okabe-Ito). */
static const double palette[][3] = {
	{0.000, 0.447, 0.698}, {0.902, 0.624, 0.000}, {0.000, 0.620, 0.451}, {0.800, 0.475, 0.655},
	{0.337, 0.706, 0.914}, {0.835, 0.369, 0.000}, {0.941, 0.894, 0.259}, {0.300, 0.300, 0.300},
};

cd_chart *
cd_chart_new(cd_chart_kind kind, const char *title, const char *y_label)
{
	cd_chart *c = g_new0(cd_chart, 1);
	c->kind = kind;
	c->title = g_strdup(title ? title : "");
	c->y_label = g_strdup(y_label ? y_label : "");
	c->categories = g_ptr_array_new_with_free_func(g_free);
	c->names = g_ptr_array_new_with_free_func(g_free);
	c->values = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
	return c;
}

void
cd_chart_free(cd_chart *c)
{
	if (c == NULL)
		return;
	g_free(c->title);
	g_free(c->y_label);
	g_ptr_array_free(c->categories, TRUE);
	g_ptr_array_free(c->names, TRUE);
	g_ptr_array_free(c->values, TRUE);
	g_free(c);
}

static double
value_at(const cd_chart *c, guint s, guint k)
{
	GArray *v = g_ptr_array_index(c->values, s);
	return k < v->len ? g_array_index(v, double, k) : NAN;
}

guint
cd_chart_add_category(cd_chart *c, const char *label)
{
	g_ptr_array_add(c->categories, g_strdup(label));
	return c->categories->len - 1;
}

guint
cd_chart_add_series(cd_chart *c, const char *name)
{
	g_ptr_array_add(c->names, g_strdup(name));
	g_ptr_array_add(c->values, g_array_new(FALSE, FALSE, sizeof(double)));
	return c->names->len - 1;
}

void
cd_chart_set(cd_chart *c, guint s, guint k, double value)
{
	g_return_if_fail(s < c->names->len);
	GArray *v = g_ptr_array_index(c->values, s);
	double missing = NAN;
	while (v->len <= k)
		g_array_append_val(v, missing);
	g_array_index(v, double, k) = value;
}

guint
cd_chart_n_categories(const cd_chart *c)
{
	return c->categories->len;
}

guint
cd_chart_n_series(const cd_chart *c)
{
	return c->names->len;
}

/* nice_step - a step of 1, 2 or 5 times a power of ten giving about `ticks` intervals up to max. */
static double
nice_step(double max, int ticks)
{
	double raw = max / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

static void
format_tick(char *buf, gsize n, double v, double step)
{
	if (step >= 1 || v == 0)
		g_snprintf(buf, n, "%.0f", v);
	else
		g_snprintf(buf, n, "%.*f", (int)ceil(-log10(step)), v);
}

static double
text_width(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

static void
set_colour(cairo_t *cr, guint i)
{
	const double *p = palette[i % G_N_ELEMENTS(palette)];
	cairo_set_source_rgb(cr, p[0], p[1], p[2]);
}

static void
draw(const cd_chart *c, cairo_t *cr, double w, double h)
{
	guint nk = c->categories->len, ns = c->names->len;
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, 18);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	cairo_move_to(cr, (w - text_width(cr, c->title)) / 2, 30);
	cairo_show_text(cr, c->title);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 12);

	/* legend: one row under the title */
	double lx = 0;
	for (guint s = 0; s < ns; s++)
		lx += 24 + text_width(cr, g_ptr_array_index(c->names, s)) + 16;
	lx = MAX(10, (w - lx) / 2);
	for (guint s = 0; s < ns; s++) {
		set_colour(cr, s);
		cairo_rectangle(cr, lx, 44, 16, 10);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		cairo_move_to(cr, lx + 22, 54);
		cairo_show_text(cr, g_ptr_array_index(c->names, s));
		lx += 24 + text_width(cr, g_ptr_array_index(c->names, s)) + 16;
	}

	/* scale: 0 to a nice maximum above every value */
	double max = 0;
	gboolean whole = TRUE;  /* counts: no ticks between whole numbers */
	for (guint s = 0; s < ns; s++)
		for (guint k = 0; k < nk; k++) {
			double v = value_at(c, s, k);
			if (!isnan(v)) {
				max = MAX(max, v);
				whole = whole && v == floor(v);
			}
		}
	if (max <= 0)
		max = 1;
	double step = nice_step(max, 5);
	if (whole && step < 1)
		step = 1;
	double top = ceil(max / step) * step;

	/* x labels: rotated when they do not fit side by side */
	double label_w = 0;
	for (guint k = 0; k < nk; k++)
		label_w = MAX(label_w, text_width(cr, g_ptr_array_index(c->categories, k)));
	double left = 70, right = w - 20, ptop = 72;
	double slot = nk ? (right - left) / nk : right - left;
	gboolean rotate = label_w + 6 > slot;
	if (rotate && label_w * 0.71 - slot / 2 + 10 > left) {
		/* rotated labels end under their tick and reach down to the left: make room for the first */
		left = MIN(label_w * 0.71 - slot / 2 + 10, w / 3);
		slot = (right - left) / nk;
	}
	guint every = 1;
	if (rotate)
		while (every < nk && slot * every < 16)
			every++;
	double bottom = h - (rotate ? label_w * 0.75 + 30 : 50);
	if (bottom - ptop < 100)
		bottom = ptop + 100;

	/* grid and y ticks */
	char buf[64];
	for (double v = 0; v <= top + step / 2; v += step) {
		double y = bottom - (bottom - ptop) * v / top;
		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_set_line_width(cr, 1);
		cairo_move_to(cr, left, floor(y) + 0.5);
		cairo_line_to(cr, right, floor(y) + 0.5);
		cairo_stroke(cr);
		format_tick(buf, sizeof buf, v, step);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		cairo_move_to(cr, left - 8 - text_width(cr, buf), y + 4);
		cairo_show_text(cr, buf);
	}
	/* y label, vertical */
	cairo_save(cr);
	cairo_move_to(cr, 18, (ptop + bottom) / 2 + text_width(cr, c->y_label) / 2);
	cairo_rotate(cr, -G_PI / 2);
	cairo_show_text(cr, c->y_label);
	cairo_restore(cr);
	/* axes */
	cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
	cairo_set_line_width(cr, 1.5);
	cairo_move_to(cr, left, ptop);
	cairo_line_to(cr, left, bottom);
	cairo_line_to(cr, right, bottom);
	cairo_stroke(cr);

	for (guint k = 0; k < nk; k += every) {
		const char *label = g_ptr_array_index(c->categories, k);
		double x = left + slot * (k + 0.5);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		if (rotate) {
			cairo_save(cr);
			cairo_move_to(cr, x + 4, bottom + 12);
			cairo_rotate(cr, -G_PI / 4);
			cairo_rel_move_to(cr, -text_width(cr, label), 0);
			cairo_show_text(cr, label);
			cairo_restore(cr);
		} else {
			cairo_move_to(cr, x - text_width(cr, label) / 2, bottom + 18);
			cairo_show_text(cr, label);
		}
	}
	if (nk == 0) {
		const char *none = "no data in this period";
		cairo_move_to(cr, (left + right - text_width(cr, none)) / 2, (ptop + bottom) / 2);
		cairo_show_text(cr, none);
		return;
	}

	if (c->kind == CD_CHART_BAR) {
		double group = slot * 0.8, bw = ns ? group / ns : group;
		for (guint s = 0; s < ns; s++) {
			set_colour(cr, s);
			for (guint k = 0; k < nk; k++) {
				double v = value_at(c, s, k);
				if (isnan(v) || v <= 0)
					continue;
				double x = left + slot * k + slot * 0.1 + bw * s, y = bottom - (bottom - ptop) * v / top;
				cairo_rectangle(cr, x + 1, y, MAX(bw - 2, 1), bottom - y);
				cairo_fill(cr);
			}
		}
		return;
	}
	cairo_set_line_width(cr, 2.5);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (guint s = 0; s < ns; s++) {
		set_colour(cr, s);
		gboolean pen = FALSE;
		for (guint k = 0; k < nk; k++) {
			double v = value_at(c, s, k);
			if (isnan(v)) {
				pen = FALSE;
				continue;
			}
			double x = left + slot * (k + 0.5), y = bottom - (bottom - ptop) * v / top;
			if (pen)
				cairo_line_to(cr, x, y);
			else
				cairo_move_to(cr, x, y);
			pen = TRUE;
		}
		cairo_stroke(cr);
		if (nk <= 60)
			for (guint k = 0; k < nk; k++) {
				double v = value_at(c, s, k);
				if (isnan(v))
					continue;
				cairo_arc(cr, left + slot * (k + 0.5), bottom - (bottom - ptop) * v / top, 3, 0, 2 * G_PI);
				cairo_fill(cr);
			}
	}
}

static cairo_status_t
append_bytes(void *closure, const unsigned char *data, unsigned int length)
{
	g_byte_array_append(closure, data, length);
	return CAIRO_STATUS_SUCCESS;
}

/* svg_title - a <title> first in the <svg> element: cairo draws text as glyph outlines, so the
 * title is otherwise nowhere as text (for screen readers, search, and tests) */
static void
svg_title(GByteArray *out, const char *title)
{
	const char *s = (const char *)out->data;
	const char *svg = g_strstr_len(s, out->len, "<svg");
	const char *end = svg ? memchr(svg, '>', out->len - (gsize)(svg - s)) : NULL;
	if (end == NULL || *title == '\0')
		return;
	char *esc = g_markup_escape_text(title, -1);
	char *el = g_strconcat("\n<title>", esc, "</title>", NULL);
	gsize at = (gsize)(end + 1 - s), n = strlen(el), tail = out->len - at;
	g_byte_array_set_size(out, out->len + (guint)n);
	memmove(out->data + at + n, out->data + at, tail);
	memcpy(out->data + at, el, n);
	g_free(el);
	g_free(esc);
}

GBytes *
cd_chart_render(const cd_chart *c, cd_chart_format format, int width, int height, GError **error)
{
	if (width <= 0 || height <= 0) {
		width = 960;
		height = 540;
	}
	GByteArray *out = g_byte_array_new();
	cairo_surface_t *surface = format == CD_CHART_SVG
	                               ? cairo_svg_surface_create_for_stream(append_bytes, out, width, height)
	                               : cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	cairo_t *cr = cairo_create(surface);
	draw(c, cr, width, height);
	cairo_status_t status = cairo_status(cr);
	cairo_destroy(cr);
	if (status == CAIRO_STATUS_SUCCESS && format == CD_CHART_PNG)
		status = cairo_surface_write_to_png_stream(surface, append_bytes, out);
	cairo_surface_finish(surface);
	if (status == CAIRO_STATUS_SUCCESS)
		status = cairo_surface_status(surface);
	cairo_surface_destroy(surface);
	if (status != CAIRO_STATUS_SUCCESS) {
		g_set_error(error, CD_ERROR, CD_ERROR_INTERNAL, "chart: %s", cairo_status_to_string(status));
		g_byte_array_free(out, TRUE);
		return NULL;
	}
	if (format == CD_CHART_SVG)
		svg_title(out, c->title);
	return g_byte_array_free_to_bytes(out);
}

gboolean
cd_chart_format_for(const char *path, cd_chart_format *format)
{
	char *low = g_ascii_strdown(path, -1);
	gboolean ok = TRUE;
	if (g_str_has_suffix(low, ".svg"))
		*format = CD_CHART_SVG;
	else if (g_str_has_suffix(low, ".png"))
		*format = CD_CHART_PNG;
	else
		ok = FALSE;
	g_free(low);
	return ok;
}

gboolean
cd_chart_write(const cd_chart *c, const char *path, GError **error)
{
	cd_chart_format format;
	if (!cd_chart_format_for(path, &format)) {
		g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "%s: a chart is written as .svg or .png", path);
		return FALSE;
	}
	GBytes *b = cd_chart_render(c, format, 0, 0, error);
	if (b == NULL)
		return FALSE;
	gsize len;
	const void *data = g_bytes_get_data(b, &len);
	gboolean ok = cd_write_file_atomic(path, data, len, 0644, error);
	g_bytes_unref(b);
	return ok;
}
