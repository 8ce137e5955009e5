/* report.c - the reports (see report.h). Each report reads plain rows (timestamps, queue names,
 * states) and counts them here into the periods of the range, so that every time series has a
 * row for every period, also the empty ones. */
#include "report.h"
#include "result.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- periods ---- */

typedef struct {
	GArray *starts;     /* gint64, ascending */
	GPtrArray *labels;  /* char* */
	gint64 end;
} periods;

static GDateTime *
period_floor(gint64 t, cd_report_by by)
{
	GDateTime *d = g_date_time_new_from_unix_utc(t);
	int y, m, day;
	g_date_time_get_ymd(d, &y, &m, &day);
	GDateTime *f = g_date_time_new_utc(y, m, by == CD_REPORT_BY_MONTH ? 1 : day, 0, 0, 0);
	if (by == CD_REPORT_BY_WEEK) {
		GDateTime *mon = g_date_time_add_days(f, 1 - g_date_time_get_day_of_week(f));
		g_date_time_unref(f);
		f = mon;
	}
	g_date_time_unref(d);
	return f;
}

static void
periods_init(periods *p, const cd_report_range *r)
{
	static const char *const formats[] = {"%Y-%m-%d", "%G-W%V", "%Y-%m"};
	p->starts = g_array_new(FALSE, FALSE, sizeof(gint64));
	p->labels = g_ptr_array_new_with_free_func(g_free);
	p->end = r->to;
	GDateTime *d = period_floor(r->from, r->by);
	while (g_date_time_to_unix(d) < r->to && p->starts->len < 20000) {
		gint64 t = g_date_time_to_unix(d);
		g_array_append_val(p->starts, t);
		g_ptr_array_add(p->labels, g_date_time_format(d, formats[r->by]));
		GDateTime *next = r->by == CD_REPORT_BY_DAY    ? g_date_time_add_days(d, 1)
		                  : r->by == CD_REPORT_BY_WEEK ? g_date_time_add_weeks(d, 1)
		                                               : g_date_time_add_months(d, 1);
		g_date_time_unref(d);
		d = next;
	}
	g_date_time_unref(d);
}

static void
periods_clear(periods *p)
{
	g_array_free(p->starts, TRUE);
	g_ptr_array_free(p->labels, TRUE);
}

/* period_of - the index of the period holding t, or -1 outside the range. */
static int
period_of(const periods *p, gint64 t, const cd_report_range *r)
{
	if (t < r->from || t >= r->to || p->starts->len == 0)
		return -1;
	guint lo = 0, hi = p->starts->len;
	while (hi - lo > 1) {
		guint mid = (lo + hi) / 2;
		if (g_array_index(p->starts, gint64, mid) <= t)
			lo = mid;
		else
			hi = mid;
	}
	return (int)lo;
}

static const char *
period_label(const periods *p, guint i)
{
	return g_ptr_array_index(p->labels, i);
}

/* ---- rows ---- */

static JsonObject *
add_row(cd_report *r)
{
	JsonObject *o = json_object_new();
	json_array_add_object_element(r->rows, o);
	return o;
}

static void
set_int(JsonObject *o, const char *name, gint64 v)
{
	json_object_set_int_member(o, name, v);
}

/* set_num - v rounded to one decimal; NAN is null. */
static void
set_num(JsonObject *o, const char *name, double v)
{
	if (isnan(v))
		json_object_set_null_member(o, name);
	else
		json_object_set_double_member(o, name, round(v * 10) / 10);
}

static void
set_str(JsonObject *o, const char *name, const char *v)
{
	json_object_set_string_member(o, name, v);
}

static double
pct(gint64 part, gint64 whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : NAN;
}

static void
set_columns(cd_report *r, const char *const *cols)
{
	for (const char *const *c = cols; *c; c++)
		g_ptr_array_add(r->columns, g_strdup(*c));
}

double
cd_percentile(const double *sorted, gsize n, double p)
{
	if (n == 0)
		return NAN;
	double pos = p * (double)(n - 1);
	gsize lo = (gsize)floor(pos);
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - (double)lo);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
quantile(GArray *values, double p)
{
	if (values->len > 1) /* an empty GArray has no data: qsort(NULL, 0) is undefined */
		qsort(values->data, values->len, sizeof(double), cmp_double);
	return cd_percentile((const double *)(void *)values->data, values->len, p);
}

/* query - a statement with ?1 = from and ?2 = to of the range. */
static sqlite3_stmt *
query(cd_store *store, const char *sql, const cd_report_range *range, GError **error)
{
	sqlite3_stmt *st = cd_store_stmt(store, sql, error);
	if (st) {
		sqlite3_bind_int64(st, 1, range->from);
		sqlite3_bind_int64(st, 2, range->to);
	}
	return st;
}

/* each_row - step st to the end, calling fn on every row. */
typedef void (*row_fn)(sqlite3_stmt *st, void *data);

static gboolean
each_row(cd_store *store, sqlite3_stmt *st, row_fn fn, void *data, GError **error)
{
	gboolean row, ok;
	while ((ok = cd_store_step(store, st, &row, error)) && row)
		fn(st, data);
	if (ok)
		sqlite3_reset(st);
	return ok;
}

/* Counters per period (and per name, for queues and channels). */
typedef struct {
	const periods *p;
	const cd_report_range *range;
	GHashTable *by_name;  /* name -> gint64[n_periods * width] */
	guint width;
	gint64 before;        /* rows before the range (customers: the running total) */
} counter;

static gint64 *
counts_for(counter *c, const char *name)
{
	gint64 *v = g_hash_table_lookup(c->by_name, name);
	if (v == NULL) {
		v = g_new0(gint64, MAX(c->p->starts->len, 1) * c->width);
		g_hash_table_insert(c->by_name, g_strdup(name), v);
	}
	return v;
}

static void
count_at(counter *c, const char *name, gint64 t, guint what)
{
	int i = period_of(c->p, t, c->range);
	if (i >= 0)
		counts_for(c, name)[(guint)i * c->width + what]++;
}

static void
counter_init(counter *c, const periods *p, const cd_report_range *range, guint width)
{
	c->p = p;
	c->range = range;
	c->width = width;
	c->before = 0;
	c->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static GList *
sorted_names(counter *c)
{
	return g_list_sort(g_hash_table_get_keys(c->by_name), (GCompareFunc)strcmp);
}

/* ---- customers ---- */

static void
customer_row(sqlite3_stmt *st, void *data)
{
	counter *c = data;
	gint64 t = sqlite3_column_int64(st, 0);
	if (t < c->range->from)
		c->before++;
	else
		count_at(c, "", t, 0);
}

static gboolean
report_customers(cd_store *store, cd_report *r, const periods *p, GError **error)
{
	static const char *const cols[] = {"period", "new_customers", "total_customers", NULL};
	set_columns(r, cols);
	counter c;
	counter_init(&c, p, &r->range, 1);
	sqlite3_stmt *st = query(store, "SELECT created_at FROM customers WHERE created_at < ?2 AND ?1 IS NOT NULL", &r->range,
	                         error);
	gboolean ok = st && each_row(store, st, customer_row, &c, error);
	gint64 *v = counts_for(&c, ""), total = c.before;
	r->chart = cd_chart_new(CD_CHART_LINE, "New customers", "customers");
	guint s = cd_chart_add_series(r->chart, "new customers");
	for (guint i = 0; ok && i < p->starts->len; i++) {
		total += v[i];
		JsonObject *o = add_row(r);
		set_str(o, "period", period_label(p, i));
		set_int(o, "new_customers", v[i]);
		set_int(o, "total_customers", total);
		cd_chart_set(r->chart, s, cd_chart_add_category(r->chart, period_label(p, i)), (double)v[i]);
	}
	g_hash_table_destroy(c.by_name);
	return ok;
}

/* ---- tickets per queue ---- */

static void
ticket_row(sqlite3_stmt *st, void *data)
{
	counter *c = data;
	const char *queue = cd_col_text(st, 0);
	for (int k = 0; k < 3; k++)
		if (sqlite3_column_type(st, k + 1) != SQLITE_NULL)
			count_at(c, queue, sqlite3_column_int64(st, k + 1), (guint)k);
}

static gboolean
report_tickets(cd_store *store, cd_report *r, const periods *p, GError **error)
{
	static const char *const cols[] = {"period", "queue", "opened", "resolved", "closed", NULL};
	set_columns(r, cols);
	counter c;
	counter_init(&c, p, &r->range, 3);
	sqlite3_stmt *st = query(store,
	                         "SELECT q.name, t.created_at, t.resolved_at, t.closed_at FROM tickets t "
	                         "JOIN queues q ON q.id = t.queue_id WHERE t.type <> 'spam' AND ("
	                         "t.created_at BETWEEN ?1 AND ?2 OR t.resolved_at BETWEEN ?1 AND ?2 OR t.closed_at BETWEEN ?1 AND ?2)",
	                         &r->range, error);
	gboolean ok = st && each_row(store, st, ticket_row, &c, error);
	GList *queues = sorted_names(&c);
	r->chart = cd_chart_new(CD_CHART_LINE, "Tickets opened and closed per queue", "tickets");
	for (GList *q = queues; q; q = q->next) {
		char *a = g_strdup_printf("%s opened", (char *)q->data), *b = g_strdup_printf("%s closed", (char *)q->data);
		cd_chart_add_series(r->chart, a);
		cd_chart_add_series(r->chart, b);
		g_free(a);
		g_free(b);
	}
	for (guint i = 0; ok && i < p->starts->len; i++) {
		guint k = cd_chart_add_category(r->chart, period_label(p, i)), s = 0;
		for (GList *q = queues; q; q = q->next, s += 2) {
			gint64 *v = counts_for(&c, q->data) + i * 3;
			JsonObject *o = add_row(r);
			set_str(o, "period", period_label(p, i));
			set_str(o, "queue", q->data);
			set_int(o, "opened", v[0]);
			set_int(o, "resolved", v[1]);
			set_int(o, "closed", v[2]);
			cd_chart_set(r->chart, s, k, (double)v[0]);
			cd_chart_set(r->chart, s + 1, k, (double)v[2]);
		}
	}
	g_list_free(queues);
	g_hash_table_destroy(c.by_name);
	return ok;
}

/* ---- first response and resolution against the SLA ---- */

typedef struct {
	gint64 sla;           /* minutes; 0: none */
	gint64 tickets, answered, within, breached, resolved;
	GArray *first, *resolution;  /* minutes, hours */
} queue_times;

static void
queue_times_free(void *p)
{
	queue_times *q = p;
	g_array_free(q->first, TRUE);
	g_array_free(q->resolution, TRUE);
	g_free(q);
}

static queue_times *
times_for(GHashTable *h, const char *name, gint64 sla)
{
	queue_times *q = g_hash_table_lookup(h, name);
	if (q == NULL) {
		q = g_new0(queue_times, 1);
		q->sla = sla;
		q->first = g_array_new(FALSE, FALSE, sizeof(double));
		q->resolution = g_array_new(FALSE, FALSE, sizeof(double));
		g_hash_table_insert(h, g_strdup(name), q);
	}
	return q;
}

static void
times_add(queue_times *q, gint64 created, sqlite3_stmt *st, gint64 now)
{
	q->tickets++;
	if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
		gint64 secs = sqlite3_column_int64(st, 3) - created;
		double minutes = (double)secs / 60;
		g_array_append_val(q->first, minutes);
		q->answered++;
		if (q->sla)
			secs <= q->sla * 60 ? q->within++ : q->breached++;
	} else if (q->sla && now - created > q->sla * 60)
		q->breached++;
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		double hours = (double)(sqlite3_column_int64(st, 4) - created) / 3600;
		g_array_append_val(q->resolution, hours);
		q->resolved++;
	}
}

static void
response_row(sqlite3_stmt *st, void *data)
{
	GHashTable *h = data;
	gint64 created = sqlite3_column_int64(st, 2), now = cd_now();
	times_add(times_for(h, cd_col_text(st, 0), sqlite3_column_int64(st, 1)), created, st, now);
	/* the "all queues" row keeps no SLA of its own: it sums the queues' verdicts below */
	queue_times *all = times_for(h, "", 0);
	times_add(all, created, st, now);
}

static void
times_row(cd_report *r, const char *name, queue_times *q)
{
	JsonObject *o = add_row(r);
	set_str(o, "queue", name);
	if (q->sla)
		set_int(o, "sla_minutes", q->sla);
	else
		json_object_set_null_member(o, "sla_minutes");
	set_int(o, "tickets", q->tickets);
	set_int(o, "answered", q->answered);
	set_num(o, "first_response_median_min", quantile(q->first, 0.5));
	set_num(o, "first_response_p90_min", quantile(q->first, 0.9));
	set_int(o, "within_sla", q->within);
	set_int(o, "breached_sla", q->breached);
	set_num(o, "sla_met_pct", pct(q->within, q->within + q->breached));
	set_int(o, "resolved", q->resolved);
	set_num(o, "resolution_median_h", quantile(q->resolution, 0.5));
	set_num(o, "resolution_p90_h", quantile(q->resolution, 0.9));
}

static gboolean
report_response(cd_store *store, cd_report *r, const periods *p, GError **error)
{
	(void)p;
	static const char *const cols[] = {"queue", "sla_minutes", "tickets", "answered", "first_response_median_min",
	                                   "first_response_p90_min", "within_sla", "breached_sla", "sla_met_pct",
	                                   "resolved", "resolution_median_h", "resolution_p90_h", NULL};
	set_columns(r, cols);
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, queue_times_free);
	sqlite3_stmt *st = query(store,
	                         "SELECT q.name, coalesce(q.sla_minutes, 0), t.created_at, t.first_response_at, "
	                         "coalesce(t.resolved_at, t.closed_at) FROM tickets t JOIN queues q ON q.id = t.queue_id "
	                         "WHERE t.type <> 'spam' AND t.created_at >= ?1 AND t.created_at < ?2",
	                         &r->range, error);
	gboolean ok = st && each_row(store, st, response_row, h, error);
	GList *names = g_list_sort(g_hash_table_get_keys(h), (GCompareFunc)strcmp);
	r->chart = cd_chart_new(CD_CHART_BAR, "First response against the SLA", "minutes");
	guint s_med = cd_chart_add_series(r->chart, "first response, median"),
	      s_p90 = cd_chart_add_series(r->chart, "first response, 90th percentile"),
	      s_sla = cd_chart_add_series(r->chart, "SLA");
	queue_times *all = g_hash_table_lookup(h, "");
	for (GList *n = names; ok && n; n = n->next) {
		if (*(char *)n->data == '\0')
			continue;
		queue_times *q = g_hash_table_lookup(h, n->data);
		if (all) {
			all->within += q->within;
			all->breached += q->breached;
		}
		times_row(r, n->data, q);
		guint k = cd_chart_add_category(r->chart, n->data);
		cd_chart_set(r->chart, s_med, k, quantile(q->first, 0.5));
		cd_chart_set(r->chart, s_p90, k, quantile(q->first, 0.9));
		if (q->sla)
			cd_chart_set(r->chart, s_sla, k, (double)q->sla);
	}
	if (ok && all) {
		/* times_add counted no SLA verdicts for the all-queues row: they are the sums above */
		times_row(r, "(all queues)", all);
	}
	g_list_free(names);
	g_hash_table_destroy(h);
	return ok;
}

/* ---- RMAs per SKU and per reason ---- */

enum { RMA_COUNT, RMA_UNITS, RMA_REFUND, RMA_REPLACE, RMA_REPAIR, RMA_REJECTED, RMA_OPEN, RMA_EXPIRED, RMA_WIDTH };

/* The resolution of an RMA: its state, or for a closed one the resolution it went through. */
#define RMA_ROWS_SQL(key)                                                                                           \
	"SELECT " key ", r.quantity, CASE WHEN r.status = 'closed' THEN coalesce((SELECT a.to_state FROM audit_events a " \
	"WHERE a.entity = 'rma' AND a.entity_id = r.id AND a.to_state IN ('refunded','replaced','repaired') "          \
	"ORDER BY a.id DESC LIMIT 1), 'closed') ELSE r.status END FROM rmas r "                                         \
	"LEFT JOIN order_lines l ON l.id = r.order_line_id WHERE r.created_at >= ?1 AND r.created_at < ?2"

typedef struct {
	GHashTable *h;  /* key -> gint64[RMA_WIDTH] */
	gint64 total;
} rma_counts;

static void
rma_row(sqlite3_stmt *st, void *data)
{
	rma_counts *c = data;
	const char *key = cd_col_text(st, 0), *state = cd_col_text(st, 2);
	gint64 *v = g_hash_table_lookup(c->h, key);
	if (v == NULL) {
		v = g_new0(gint64, RMA_WIDTH);
		g_hash_table_insert(c->h, g_strdup(key), v);
	}
	v[RMA_COUNT]++;
	c->total++;
	if (strcmp(state, "rejected") != 0)
		v[RMA_UNITS] += sqlite3_column_int64(st, 1);
	int what = strcmp(state, "refunded") == 0   ? RMA_REFUND
	           : strcmp(state, "replaced") == 0 ? RMA_REPLACE
	           : strcmp(state, "repaired") == 0 ? RMA_REPAIR
	           : strcmp(state, "rejected") == 0 ? RMA_REJECTED
	           : strcmp(state, "expired") == 0  ? RMA_EXPIRED
	                                            : RMA_OPEN;
	v[what]++;
}

static void
set_outcomes(JsonObject *o, const gint64 *v)
{
	set_int(o, "refund", v[RMA_REFUND]);
	set_int(o, "replace", v[RMA_REPLACE]);
	set_int(o, "repair", v[RMA_REPAIR]);
	set_int(o, "rejected", v[RMA_REJECTED]);
	set_int(o, "expired", v[RMA_EXPIRED]);
	set_int(o, "open", v[RMA_OPEN]);
}

static void
sold_row(sqlite3_stmt *st, void *data)
{
	gint64 *n = g_new(gint64, 1);
	*n = sqlite3_column_int64(st, 1);
	g_hash_table_insert(data, cd_col_dup(st, 0), n);
}

static gboolean
report_rma_sku(cd_store *store, cd_report *r, const periods *p, GError **error)
{
	(void)p;
	static const char *const cols[] = {"sku", "sold", "rmas", "units_returned", "return_rate_pct", "refund", "replace",
	                                   "repair", "rejected", "expired", "open", NULL};
	set_columns(r, cols);
	rma_counts c = {.h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
	GHashTable *sold = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	sqlite3_stmt *st = query(store, RMA_ROWS_SQL("coalesce(l.sku, '(no line)')"), &r->range, error);
	gboolean ok = st && each_row(store, st, rma_row, &c, error);
	st = ok ? query(store,
	                "SELECT l.sku, sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id "
	                "WHERE o.ordered_at >= ?1 AND o.ordered_at < ?2 GROUP BY l.sku",
	                &r->range, error)
	        : NULL;
	ok = st && each_row(store, st, sold_row, sold, error);
	/* every SKU sold or returned */
	GHashTable *keys = g_hash_table_new(g_str_hash, g_str_equal);
	GList *a = g_hash_table_get_keys(c.h), *b = g_hash_table_get_keys(sold);
	for (GList *l = a; l; l = l->next)
		g_hash_table_add(keys, l->data);
	for (GList *l = b; l; l = l->next)
		g_hash_table_add(keys, l->data);
	GList *skus = g_list_sort(g_hash_table_get_keys(keys), (GCompareFunc)strcmp);
	r->chart = cd_chart_new(CD_CHART_BAR, "Returns per SKU", "% of units sold returned");
	guint s = cd_chart_add_series(r->chart, "return rate %");
	static const gint64 none[RMA_WIDTH];
	for (GList *l = skus; ok && l; l = l->next) {
		const gint64 *v = g_hash_table_lookup(c.h, l->data);
		const gint64 *n = g_hash_table_lookup(sold, l->data);
		v = v ? v : none;
		JsonObject *o = add_row(r);
		set_str(o, "sku", l->data);
		set_int(o, "sold", n ? *n : 0);
		set_int(o, "rmas", v[RMA_COUNT]);
		set_int(o, "units_returned", v[RMA_UNITS]);
		double rate = pct(v[RMA_UNITS], n ? *n : 0);
		set_num(o, "return_rate_pct", rate);
		set_outcomes(o, v);
		cd_chart_set(r->chart, s, cd_chart_add_category(r->chart, l->data), round(rate * 10) / 10);
	}
	g_list_free(skus);
	g_list_free(a);
	g_list_free(b);
	g_hash_table_destroy(keys);
	g_hash_table_destroy(sold);
	g_hash_table_destroy(c.h);
	return ok;
}

static int
cmp_by_count(gconstpointer a, gconstpointer b, gpointer h)
{
	const gint64 *x = g_hash_table_lookup(h, a), *y = g_hash_table_lookup(h, b);
	if (x[RMA_COUNT] != y[RMA_COUNT])
		return x[RMA_COUNT] > y[RMA_COUNT] ? -1 : 1;
	return strcmp(a, b);
}

static gboolean
report_rma_reason(cd_store *store, cd_report *r, const periods *p, GError **error)
{
	(void)p;
	static const char *const cols[] = {"reason", "rmas", "share_pct", "refund", "replace", "repair",
	                                   "rejected", "expired", "open", NULL};
	set_columns(r, cols);
	rma_counts c = {.h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
	sqlite3_stmt *st = query(store, RMA_ROWS_SQL("coalesce(nullif(lower(trim(r.reason)), ''), '(none)')"), &r->range, error);
	gboolean ok = st && each_row(store, st, rma_row, &c, error);
	GList *reasons = g_list_sort_with_data(g_hash_table_get_keys(c.h), cmp_by_count, c.h);
	r->chart = cd_chart_new(CD_CHART_BAR, "Returns per reason and outcome", "RMAs");
	guint s_ref = cd_chart_add_series(r->chart, "refund"), s_rep = cd_chart_add_series(r->chart, "replace"),
	      s_fix = cd_chart_add_series(r->chart, "repair"), s_rej = cd_chart_add_series(r->chart, "rejected"),
	      s_open = cd_chart_add_series(r->chart, "open");
	for (GList *l = reasons; ok && l; l = l->next) {
		const gint64 *v = g_hash_table_lookup(c.h, l->data);
		JsonObject *o = add_row(r);
		set_str(o, "reason", l->data);
		set_int(o, "rmas", v[RMA_COUNT]);
		set_num(o, "share_pct", pct(v[RMA_COUNT], c.total));
		set_outcomes(o, v);
		guint k = cd_chart_add_category(r->chart, l->data);
		cd_chart_set(r->chart, s_ref, k, (double)v[RMA_REFUND]);
		cd_chart_set(r->chart, s_rep, k, (double)v[RMA_REPLACE]);
		cd_chart_set(r->chart, s_fix, k, (double)v[RMA_REPAIR]);
		cd_chart_set(r->chart, s_rej, k, (double)v[RMA_REJECTED]);
		cd_chart_set(r->chart, s_open, k, (double)(v[RMA_OPEN] + v[RMA_EXPIRED]));
	}
	g_list_free(reasons);
	g_hash_table_destroy(c.h);
	return ok;
}

/* ---- offers ---- */

enum { OF_CREATED, OF_ACCEPTED, OF_REJECTED, OF_EXPIRED, OF_OPEN, OF_WIDTH };

static void
offer_row(sqlite3_stmt *st, void *data)
{
	counter *c = data;
	const char *status = cd_col_text(st, 1);
	gint64 t = sqlite3_column_int64(st, 0);
	count_at(c, "", t, OF_CREATED);
	count_at(c, "", t,
	         strcmp(status, "accepted") == 0   ? OF_ACCEPTED
	         : strcmp(status, "rejected") == 0 ? OF_REJECTED
	         : strcmp(status, "expired") == 0  ? OF_EXPIRED
	                                           : OF_OPEN);
}

static void
offer_figures(JsonObject *o, const char *period, const gint64 *v)
{
	set_str(o, "period", period);
	set_int(o, "created", v[OF_CREATED]);
	set_int(o, "accepted", v[OF_ACCEPTED]);
	set_int(o, "rejected", v[OF_REJECTED]);
	set_int(o, "expired", v[OF_EXPIRED]);
	set_int(o, "open", v[OF_OPEN]);
	set_num(o, "acceptance_pct", pct(v[OF_ACCEPTED], v[OF_ACCEPTED] + v[OF_REJECTED] + v[OF_EXPIRED]));
}

static gboolean
report_offers(cd_store *store, cd_report *r, const periods *p, GError **error)
{
	static const char *const cols[] = {"period", "created", "accepted", "rejected", "expired", "open", "acceptance_pct", NULL};
	set_columns(r, cols);
	counter c;
	counter_init(&c, p, &r->range, OF_WIDTH);
	sqlite3_stmt *st = query(store, "SELECT created_at, status FROM offers WHERE created_at >= ?1 AND created_at < ?2",
	                         &r->range, error);
	gboolean ok = st && each_row(store, st, offer_row, &c, error);
	gint64 *v = counts_for(&c, ""), total[OF_WIDTH] = {0};
	r->chart = cd_chart_new(CD_CHART_BAR, "Offers and their acceptance", "offers");
	guint s_new = cd_chart_add_series(r->chart, "created"), s_acc = cd_chart_add_series(r->chart, "accepted");
	for (guint i = 0; ok && i < p->starts->len; i++) {
		offer_figures(add_row(r), period_label(p, i), v + i * OF_WIDTH);
		for (int k = 0; k < OF_WIDTH; k++)
			total[k] += v[i * OF_WIDTH + k];
		guint k = cd_chart_add_category(r->chart, period_label(p, i));
		cd_chart_set(r->chart, s_new, k, (double)v[i * OF_WIDTH + OF_CREATED]);
		cd_chart_set(r->chart, s_acc, k, (double)v[i * OF_WIDTH + OF_ACCEPTED]);
	}
	if (ok)
		offer_figures(add_row(r), "total", total);
	g_hash_table_destroy(c.by_name);
	return ok;
}

/* ---- mail and SMS volumes ---- */

static void
volume_row(sqlite3_stmt *st, void *data)
{
	counter *c = data;
	count_at(c, "", sqlite3_column_int64(st, 0), (guint)sqlite3_column_int(st, 1));
}

static gboolean
report_volume(cd_store *store, cd_report *r, const periods *p, GError **error)
{
	static const char *const cols[] = {"period", "email_in", "email_out", "sms_in", "sms_out", NULL};
	set_columns(r, cols);
	counter c;
	counter_init(&c, p, &r->range, 4);
	/* in: messages taken in; out: what we queued to send (the outbox), cancelled rows not counted */
	sqlite3_stmt *st = query(store,
	                         "SELECT created_at, CASE channel WHEN 'email' THEN 0 ELSE 2 END FROM messages "
	                         "WHERE direction = 'in' AND channel IN ('email','sms') AND created_at >= ?1 AND created_at < ?2 "
	                         "UNION ALL SELECT created_at, CASE channel WHEN 'email' THEN 1 ELSE 3 END FROM outbox "
	                         "WHERE state <> 'cancelled' AND created_at >= ?1 AND created_at < ?2",
	                         &r->range, error);
	gboolean ok = st && each_row(store, st, volume_row, &c, error);
	gint64 *v = counts_for(&c, "");
	r->chart = cd_chart_new(CD_CHART_LINE, "Mail and SMS volumes", "messages");
	for (int k = 1; cols[k]; k++) {
		char *name = g_strdelimit(g_strdup(cols[k]), "_", ' ');
		cd_chart_add_series(r->chart, name);
		g_free(name);
	}
	for (guint i = 0; ok && i < p->starts->len; i++) {
		JsonObject *o = add_row(r);
		set_str(o, "period", period_label(p, i));
		guint k = cd_chart_add_category(r->chart, period_label(p, i));
		for (guint w = 0; w < 4; w++) {
			set_int(o, cols[w + 1], v[i * 4 + w]);
			cd_chart_set(r->chart, w, k, (double)v[i * 4 + w]);
		}
	}
	g_hash_table_destroy(c.by_name);
	return ok;
}

/* ---- the list ---- */

static const struct {
	cd_report_info info;
	const char *title;
	gboolean (*run)(cd_store *store, cd_report *r, const periods *p, GError **error);
} reports[] = {
	{{"customers", "new customers per period, and the running total"}, "New customers", report_customers},
	{{"tickets", "tickets opened, resolved and closed per queue and period"}, "Tickets per queue", report_tickets},
	{{"response", "first-response and resolution times (median, p90) per queue against its SLA"},
	 "First response and resolution", report_response},
	{{"rma-sku", "RMAs per SKU: units sold and returned, return rate, refund/replace/repair split"}, "Returns per SKU",
	 report_rma_sku},
	{{"rma-reason", "RMAs per reason with the refund/replace/repair split"}, "Returns per reason", report_rma_reason},
	{{"offers", "offers created, accepted, rejected, expired; acceptance rate of decided offers"}, "Offers", report_offers},
	{{"volume", "mail and SMS taken in and sent, per period"}, "Mail and SMS volumes", report_volume},
};

const cd_report_info *
cd_report_list(gsize *n)
{
	static cd_report_info list[G_N_ELEMENTS(reports)];
	for (gsize i = 0; i < G_N_ELEMENTS(reports); i++)
		list[i] = reports[i].info;
	*n = G_N_ELEMENTS(reports);
	return list;
}

static const char *const by_names[] = {"day", "week", "month"};

gboolean
cd_report_parse_by(const char *text, cd_report_by *by)
{
	for (gsize i = 0; i < G_N_ELEMENTS(by_names); i++)
		if (g_ascii_strcasecmp(text, by_names[i]) == 0) {
			*by = (cd_report_by)i;
			return TRUE;
		}
	return FALSE;
}

const char *
cd_report_by_name(cd_report_by by)
{
	return by_names[by];
}

cd_report *
cd_report_run(cd_store *store, const char *name, const cd_report_range *range, GError **error)
{
	for (gsize i = 0; i < G_N_ELEMENTS(reports); i++) {
		if (strcmp(name, reports[i].info.name) != 0)
			continue;
		if (range->to <= range->from) {
			g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "the period ends before it starts");
			return NULL;
		}
		cd_report *r = g_new0(cd_report, 1);
		r->name = g_strdup(name);
		r->title = g_strdup(reports[i].title);
		r->range = *range;
		r->columns = g_ptr_array_new_with_free_func(g_free);
		r->rows = json_array_new();
		periods p;
		periods_init(&p, range);
		gboolean ok = reports[i].run(store, r, &p, error);
		periods_clear(&p);
		if (!ok) {
			cd_report_free(r);
			return NULL;
		}
		return r;
	}
	GString *names = g_string_new(NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(reports); i++)
		g_string_append_printf(names, "%s%s", i ? ", " : "", reports[i].info.name);
	g_set_error(error, CD_ERROR, CD_ERROR_USAGE, "unknown report '%s' (one of %s)", name, names->str);
	g_string_free(names, TRUE);
	return NULL;
}

void
cd_report_free(cd_report *r)
{
	if (r == NULL)
		return;
	g_free(r->name);
	g_free(r->title);
	g_ptr_array_free(r->columns, TRUE);
	json_array_unref(r->rows);
	cd_chart_free(r->chart);
	g_free(r);
}

static void
csv_field(GString *s, const char *v)
{
	if (strpbrk(v, ",\"\r\n") == NULL) {
		g_string_append(s, v);
		return;
	}
	g_string_append_c(s, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			g_string_append_c(s, '"');
		g_string_append_c(s, *p);
	}
	g_string_append_c(s, '"');
}

char *
cd_report_csv(const cd_report *r)
{
	GString *s = g_string_new(NULL);
	for (guint c = 0; c < r->columns->len; c++) {
		if (c)
			g_string_append_c(s, ',');
		csv_field(s, g_ptr_array_index(r->columns, c));
	}
	g_string_append(s, "\r\n");
	for (guint i = 0; i < json_array_get_length(r->rows); i++) {
		JsonObject *o = json_array_get_object_element(r->rows, i);
		for (guint c = 0; c < r->columns->len; c++) {
			if (c)
				g_string_append_c(s, ',');
			JsonNode *n = json_object_get_member(o, g_ptr_array_index(r->columns, c));
			if (n == NULL || JSON_NODE_HOLDS_NULL(n))
				continue;
			GType t = json_node_get_value_type(n);
			if (t == G_TYPE_INT64)
				g_string_append_printf(s, "%" G_GINT64_FORMAT, json_node_get_int(n));
			else if (t == G_TYPE_DOUBLE)
				g_string_append_printf(s, "%.1f", json_node_get_double(n));
			else
				csv_field(s, json_node_get_string(n));
		}
		g_string_append(s, "\r\n");
	}
	return g_string_free(s, FALSE);
}

static char *
iso_day(gint64 t)
{
	GDateTime *d = g_date_time_new_from_unix_utc(t);
	char *s = g_date_time_format(d, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(d);
	return s;
}

JsonNode *
cd_report_json(const cd_report *r)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "report", r->name);
	json_object_set_string_member(o, "title", r->title);
	char *from = iso_day(r->range.from), *to = iso_day(r->range.to);
	json_object_set_string_member(o, "from", from);
	json_object_set_string_member(o, "to", to);
	g_free(from);
	g_free(to);
	json_object_set_string_member(o, "by", cd_report_by_name(r->range.by));
	JsonArray *cols = json_array_new();
	for (guint c = 0; c < r->columns->len; c++)
		json_array_add_string_element(cols, g_ptr_array_index(r->columns, c));
	json_object_set_array_member(o, "columns", cols);
	json_object_set_array_member(o, "rows", json_array_ref(r->rows));
	JsonNode *n = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(n, o);
	return n;
}

gboolean
cd_report_parse_day(const char *text, gboolean end, gint64 *t)
{
	gboolean day = strlen(text) == 10;
	char *iso = day ? g_strconcat(text, "T00:00:00Z", NULL) : g_strdup(text);
	GTimeZone *utc = g_time_zone_new_utc();
	GDateTime *dt = g_date_time_new_from_iso8601(iso, utc);
	g_time_zone_unref(utc);
	g_free(iso);
	if (dt == NULL)
		return FALSE;
	*t = g_date_time_to_unix(dt) + (day && end ? 86400 : 0);
	g_date_time_unref(dt);
	return TRUE;
}

gint64
cd_report_today_end(gint64 now)
{
	return now - now % 86400 + 86400;
}

gint64
cd_report_default_from(gint64 to, cd_report_by by)
{
	GDateTime *end = g_date_time_new_from_unix_utc(to);
	GDateTime *start = by == CD_REPORT_BY_DAY    ? g_date_time_add_days(end, -30)
	                   : by == CD_REPORT_BY_WEEK ? g_date_time_add_weeks(end, -12)
	                                             : g_date_time_add_months(end, -12);
	gint64 t = g_date_time_to_unix(start);
	g_date_time_unref(start);
	g_date_time_unref(end);
	return t;
}
