/* report.h - the counts managers read every week, over a chosen period: new customers, tickets
 * opened and closed per queue, first-response and resolution times against the queue SLA, RMA
 * rates per SKU and per reason, offer acceptance, mail and SMS volumes.
 *
 * A report is a table (named columns, rows of JSON values) plus a chart of the same figures; the
 * admin command prints it as a table, CSV or JSON, and the web view can render both. Periods are
 * UTC; weeks start on Monday (labelled by ISO week, 2026-W23). Medians and 90th percentiles are
 * interpolated linearly between the closest ranks (numpy's default). */
#ifndef CD_REPORT_H
#define CD_REPORT_H

#include "chart.h"
#include "store.h"

#include <json-glib/json-glib.h>

typedef enum { CD_REPORT_BY_DAY, CD_REPORT_BY_WEEK, CD_REPORT_BY_MONTH } cd_report_by;

typedef struct {
	gint64 from;       /* inclusive, Unix seconds */
	gint64 to;         /* exclusive */
	cd_report_by by;   /* the time series' step */
} cd_report_range;

typedef struct {
	const char *name;   /* customers, tickets, response, rma-sku, rma-reason, offers, volume */
	const char *what;   /* one line */
} cd_report_info;

/* cd_report_list - the reports there are (*n of them). */
const cd_report_info *cd_report_list(gsize *n);

gboolean cd_report_parse_by(const char *text, cd_report_by *by);
const char *cd_report_by_name(cd_report_by by);

typedef struct {
	char *name, *title;
	cd_report_range range;
	GPtrArray *columns;  /* char*: the members of every row, in order */
	JsonArray *rows;     /* JSON objects: integers, doubles, strings, null where a figure does not exist */
	cd_chart *chart;
} cd_report;

/* cd_report_run - one report over range; an unknown name is CD_ERROR_USAGE. */
cd_report *cd_report_run(cd_store *store, const char *name, const cd_report_range *range, GError **error);
void cd_report_free(cd_report *report);

/* cd_report_csv - RFC 4180 CSV: a header line of the column names, then one line per row. */
char *cd_report_csv(const cd_report *report);
/* cd_report_json - {"report", "title", "from", "to", "by", "columns", "rows"}. */
JsonNode *cd_report_json(const cd_report *report);

/* cd_report_parse_day - a YYYY-MM-DD day (UTC; its start, or with end the start of the next day)
 * or an ISO 8601 time; FALSE when text is neither. */
gboolean cd_report_parse_day(const char *text, gboolean end, gint64 *t);
/* cd_report_today_end - the end of now's day (UTC): the default end of a period. */
gint64 cd_report_today_end(gint64 now);
/* cd_report_default_from - the start of the default window ending at to: 30 days, 12 weeks or
 * 12 months, by the step. */
gint64 cd_report_default_from(gint64 to, cd_report_by by);

/* cd_percentile - the p-quantile (0..1) of n sorted values, linearly interpolated; NAN for n = 0. */
double cd_percentile(const double *sorted, gsize n, double p);

#endif
