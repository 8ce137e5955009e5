/* cmd_report.c - `caredesk report NAME [--from D] [--to D] [--by day|week|month] [--csv|--json]
 * [--chart FILE.svg|.png]`: the reports of core/report.h as a table, CSV or JSON, and a chart. */
#include "admin.h"
#include "chart.h"
#include "log.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static void
list_reports(void)
{
	gsize n;
	const cd_report_info *list = cd_report_list(&n);
	puts("reports (caredesk report NAME [--from DATE] [--to DATE] [--by day|week|month] [--csv|--json] [--chart FILE]):");
	for (gsize i = 0; i < n; i++)
		printf("  %-11s %s\n", list[i].name, list[i].what);
}

int
cmd_report(int argc, char **argv)
{
	char *from = NULL, *to = NULL, *by = NULL, *chart = NULL;
	gboolean csv = FALSE;
	GOptionEntry entries[] = {
		{"from", 0, 0, G_OPTION_ARG_STRING, &from, "first day (default: 30 days, 12 weeks or 12 months back)", "DATE"},
		{"to", 0, 0, G_OPTION_ARG_STRING, &to, "last day, included (default: today)", "DATE"},
		{"by", 0, 0, G_OPTION_ARG_STRING, &by, "day (default), week or month", "STEP"},
		{"csv", 0, 0, G_OPTION_ARG_NONE, &csv, "CSV on stdout", NULL},
		{"chart", 0, 0, G_OPTION_ARG_FILENAME, &chart, "also draw the chart into FILE (.svg or .png)", "FILE"},
		G_OPTION_ENTRY_NULL,
	};
	admin_parse(&argc, &argv, "report [NAME] - counts over a period (without NAME: the list of reports)",
	            "Reports: customers, tickets, response, rma-sku, rma-reason, offers, volume. Days are UTC; weeks\n"
	            "start on Monday. Medians and 90th percentiles interpolate between the closest ranks.",
	            entries);
	const char *name = argc > 2 ? argv[2] : NULL;
	if (name == NULL) {
		list_reports();
		return EX_OK;
	}
	cd_report_range range = {.by = CD_REPORT_BY_DAY};
	if (by && !cd_report_parse_by(by, &range.by))
		cd_die(EX_USAGE, "--by: day, week or month, not '%s'", by);
	if (csv && admin_opt_json)
		cd_die(EX_USAGE, "--csv or --json, not both");
	cd_chart_format format;
	if (chart && !cd_chart_format_for(chart, &format))
		cd_die(EX_USAGE, "--chart: %s: name a .svg or .png file", chart);
	range.to = to ? admin_parse_day("--to", to, TRUE) : cd_report_today_end(cd_now());
	range.from = from ? admin_parse_day("--from", from, FALSE) : cd_report_default_from(range.to, range.by);
	admin_ctx a;
	admin_open(&a);
	GError *error = NULL;
	cd_report *r = cd_report_run(a.store, name, &range, &error);
	if (r == NULL)
		admin_fail(error);
	if (chart && !cd_chart_write(r->chart, chart, &error))
		admin_fail(error);
	if (csv) {
		char *s = cd_report_csv(r);
		fputs(s, stdout);
		g_free(s);
	} else if (admin_opt_json) {
		JsonNode *n = cd_report_json(r);
		admin_print_json(n);
		json_node_unref(n);
	} else {
		GDateTime *f = g_date_time_new_from_unix_utc(range.from), *t = g_date_time_new_from_unix_utc(range.to - 1);
		char *fs = g_date_time_format(f, "%Y-%m-%d"), *ts = g_date_time_format(t, "%Y-%m-%d");
		printf("%s, %s to %s (by %s)\n\n", r->title, fs, ts, cd_report_by_name(range.by));
		g_free(fs);
		g_free(ts);
		g_date_time_unref(f);
		g_date_time_unref(t);
		JsonNode *rows = json_node_new(JSON_NODE_ARRAY);
		json_node_set_array(rows, r->rows);
		g_ptr_array_add(r->columns, NULL);
		admin_print_rows(rows, (const char *const *)r->columns->pdata);
		g_ptr_array_remove_index(r->columns, r->columns->len - 1);
		json_node_unref(rows);
	}
	if (chart && !admin_opt_json && !csv)
		printf("\nchart written to %s\n", chart);
	cd_report_free(r);
	admin_close(&a);
	g_free(from);
	g_free(to);
	g_free(by);
	g_free(chart);
	return EX_OK;
}
