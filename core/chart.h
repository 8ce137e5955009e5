/* chart.h - charts for people to look at: a line chart (time series) or grouped bars over named
 * categories, drawn with cairo as SVG or PNG, with title, axes, grid, tick labels and legend.
 * The report command writes them to files; the web view can render them into memory. */
#ifndef CD_CHART_H
#define CD_CHART_H

#include <glib.h>

typedef enum { CD_CHART_LINE, CD_CHART_BAR } cd_chart_kind;
typedef enum { CD_CHART_SVG, CD_CHART_PNG } cd_chart_format;

typedef struct cd_chart cd_chart;

cd_chart *cd_chart_new(cd_chart_kind kind, const char *title, const char *y_label);
void cd_chart_free(cd_chart *chart);

/* Categories (x axis, in order) and series (one colour each). A value not set is missing (no bar,
 * a gap in the line). */
guint cd_chart_add_category(cd_chart *chart, const char *label);
guint cd_chart_add_series(cd_chart *chart, const char *name);
void cd_chart_set(cd_chart *chart, guint series, guint category, double value);
guint cd_chart_n_categories(const cd_chart *chart);
guint cd_chart_n_series(const cd_chart *chart);

/* cd_chart_render - the chart as SVG or PNG bytes, width x height pixels (0: 960 x 540). */
GBytes *cd_chart_render(const cd_chart *chart, cd_chart_format format, int width, int height, GError **error);

/* cd_chart_format_for - the format a file name asks for (.svg or .png); FALSE for anything else. */
gboolean cd_chart_format_for(const char *path, cd_chart_format *format);

/* cd_chart_write - render into path (format by its suffix), atomically. */
gboolean cd_chart_write(const cd_chart *chart, const char *path, GError **error);

#endif
