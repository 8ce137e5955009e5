/* pages_admin.c - the admin pages of the web view, for agents (role agent or admin): /admin/login
 * and /admin/logout, and the reports of core/report.h at /admin/reports (the table and its chart
 * as an <img> of /admin/reports/chart.svg), /admin/reports.csv (the CSV download).
 *
 * Agents' sessions live in agent_sessions under their own cookie (cd_admin): a customer's session
 * never opens these pages, an agent's never opens the customers'. Logins go through the same
 * login guard as the customers' (the account key is "agent:LOGIN", apart from any address) and
 * unknown logins and wrong passwords get one answer. Charts are drawn on a thread of their own
 * (cairo's text goes through fontconfig, too deep for civetweb's worker stacks; see pdf.c). */
#include "account.h"
#include "app.h"
#include "audit.h"
#include "loginguard.h"
#include "report.h"
#include "result.h"
#include "util.h"

#include <string.h>

static const char bad_login[] = "The login or the password is wrong.";

/* admin_vars - the variables every admin page starts with */
static JsonObject *
admin_vars(const char *title)
{
	JsonObject *v = json_object_new();
	vset(v, "title", title);
	json_object_set_boolean_member(v, "admin_page", TRUE);
	return v;
}

static int
login_form(web_req *r, int status, const char *error, const char *login)
{
	JsonObject *v = admin_vars("Staff login");
	vset(v, "error", error);
	vset(v, "login", login);
	return send_page(r, status, "admin_login", v);
}

/* login_ok - the session of a successful login, audited; the redirect or a 503 */
static int
login_ok(web_req *r, gint64 id, const char *login, const char *account)
{
	GError *e = NULL;
	char *token = NULL;
	gboolean ok = cd_store_begin(app->store, &e) && cd_login_succeeded(app->store, account, r->ip, &e) &&
	              cd_agent_session_create(app->store, &app->web, id, r->ip, &token, &e);
	if (ok) {
		cd_actor a = {.actor_kind = "agent", .actor_id = id, .actor = login, .channel = "web"};
		char *note = g_strdup_printf("logged in to the admin pages from %s", r->ip);
		cd_audit_event ev = {.actor = &a, .entity = "agent", .entity_id = id, .action = "login", .note = note};
		ok = cd_audit(app->store, &ev, &e) && cd_store_commit(app->store, &e);
		g_free(note);
	}
	int rc;
	if (ok) {
		req_set_agent_session(r, token);
		rc = send_redirect(r, "/admin/reports");
	} else {
		g_warning("admin login: %s", e ? e->message : "?");
		g_clear_error(&e);
		cd_store_rollback(app->store);
		rc = send_error(r, 503, "Please try again in a moment.");
	}
	g_free(token);
	return rc;
}

static int
admin_login(web_req *r)
{
	if (!r->post)
		return r->agent_id ? send_redirect(r, "/admin/reports") : login_form(r, 200, NULL, NULL);
	if (!req_csrf_ok(r))
		return refuse_csrf(r);
	char *login = g_strstrip(g_utf8_strdown(req_form(r, "login"), -1));
	const char *password = req_form(r, "password");
	char *account = g_strconcat("agent:", login, NULL);
	GError *e = NULL;
	int rc;
	if (web_blocked(r, NULL, NULL)) {
		gboolean ok = cd_store_begin(app->store, &e) &&
		              cd_agent_login_failed(app->store, &app->web, account, r->ip, 0, "blocklisted", &e);
		web_commit_or_warn(ok, e, "admin login audit");
		rc = login_form(r, 403, "Logging in is not possible from here.", NULL);
		goto out;
	}
	rc = web_login_gate(r, account, "admin_login", "Staff login");
	if (rc)
		goto out;
	gint64 id = 0;
	gboolean active = FALSE;
	char *hash = NULL, *role = NULL;
	sqlite3_stmt *st = cd_store_stmt(app->store,
	                                 "SELECT id, password_hash, active, role FROM agents WHERE login = ?1 OR email = ?1",
	                                 NULL);
	gboolean row = FALSE;
	if (st && *login) {
		sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
		if (cd_store_step(app->store, st, &row, NULL) && row) {
			id = sqlite3_column_int64(st, 0);
			hash = cd_col_dup(st, 1);
			active = sqlite3_column_int64(st, 2) != 0;
			role = cd_col_dup(st, 3);
		}
		sqlite3_reset(st);
	}
	gboolean good = web_password_check(hash, password);
	gboolean staff = g_strcmp0(role, "agent") == 0 || g_strcmp0(role, "admin") == 0;
	if (good && active && staff) {
		rc = login_ok(r, id, login, account);
	} else {
		const char *why = good ? "agent inactive" : id ? (hash ? "wrong password" : "no password set") : "unknown login";
		gboolean ok = cd_store_begin(app->store, &e) &&
		              cd_agent_login_failed(app->store, &app->web, account, r->ip, id, why, &e);
		web_commit_or_warn(ok, e, "admin login failure");
		rc = login_form(r, 401, bad_login, NULL);
	}
	g_free(hash);
	g_free(role);
out:
	g_free(login);
	g_free(account);
	return rc;
}

static int
admin_logout(web_req *r)
{
	if (!r->post)
		return send_redirect(r, "/admin/login");
	if (!req_csrf_ok(r))
		return refuse_csrf(r);
	GError *e = NULL;
	if (r->agent_session && !cd_agent_session_end(app->store, r->agent_session, &e)) {
		g_warning("admin logout: %s", e->message);
		g_error_free(e);
	}
	req_set_agent_session(r, NULL);
	return send_redirect(r, "/admin/login");
}

/* The report the query asks for: ?report=NAME&from=YYYY-MM-DD&to=YYYY-MM-DD&by=day|week|month, all
 * optional (tickets, the CLI's default window, by day). */
typedef struct {
	const char *name;
	cd_report_range range;
	char from[16], to[16]; /* the first and the last day, included */
	char *query;           /* the canonical query string */
} report_query;

static void
day_text(gint64 t, char out[16])
{
	GDateTime *d = g_date_time_new_from_unix_utc(t);
	char *s = g_date_time_format(d, "%Y-%m-%d");
	g_strlcpy(out, s, 16);
	g_free(s);
	g_date_time_unref(d);
}

/* parse_query - NULL when fine, else what is wrong (static text) */
static const char *
parse_query(web_req *r, report_query *q)
{
	memset(q, 0, sizeof *q);
	const char *name = *req_query(r, "report") ? req_query(r, "report") : "tickets";
	gsize n;
	const cd_report_info *list = cd_report_list(&n);
	for (gsize i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			q->name = list[i].name;
	if (q->name == NULL)
		return "There is no such report.";
	q->range.by = CD_REPORT_BY_DAY;
	if (*req_query(r, "by") && !cd_report_parse_by(req_query(r, "by"), &q->range.by))
		return "Group by day, week or month.";
	const char *from = req_query(r, "from"), *to = req_query(r, "to");
	if (*to && (strlen(to) != 10 || !cd_report_parse_day(to, TRUE, &q->range.to)))
		return "The last day is not a date (YYYY-MM-DD).";
	if (!*to)
		q->range.to = cd_report_today_end(cd_now());
	if (*from && (strlen(from) != 10 || !cd_report_parse_day(from, FALSE, &q->range.from)))
		return "The first day is not a date (YYYY-MM-DD).";
	if (!*from)
		q->range.from = cd_report_default_from(q->range.to, q->range.by);
	if (q->range.from >= q->range.to)
		return "The first day must come before the last day.";
	if (q->range.to - q->range.from > (gint64)3700 * 86400)
		return "Choose a period of at most ten years.";
	day_text(q->range.from, q->from);
	day_text(q->range.to - 1, q->to);
	q->query = g_strdup_printf("report=%s&from=%s&to=%s&by=%s", q->name, q->from, q->to,
	                           cd_report_by_name(q->range.by));
	return NULL;
}

/* run_report - the report of the query, or the error answer in *rc */
static cd_report *
run_report(web_req *r, const report_query *q, int *rc)
{
	GError *e = NULL;
	cd_report *rep = cd_report_run(app->store, q->name, &q->range, &e);
	if (rep == NULL) {
		g_warning("report %s: %s", q->name, e->message);
		g_error_free(e);
		*rc = send_error(r, 503, "The report could not be made. Please try again in a moment.");
	}
	return rep;
}

/* cell_text - a figure as the table shows it: integers as they are, others with two decimals */
static char *
cell_text(JsonNode *n, gboolean *num)
{
	*num = FALSE;
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return g_strdup("");
	if (!JSON_NODE_HOLDS_VALUE(n))
		return g_strdup("");
	GType t = json_node_get_value_type(n);
	*num = t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
	if (t == G_TYPE_INT64)
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
	if (t == G_TYPE_DOUBLE)
		return g_strdup_printf("%.2f", json_node_get_double(n));
	if (t == G_TYPE_BOOLEAN)
		return g_strdup(json_node_get_boolean(n) ? "yes" : "no");
	return g_strdup(json_node_get_string(n));
}

static void
report_table(JsonObject *v, const cd_report *rep)
{
	JsonArray *cols = json_array_new();
	for (guint i = 0; i < rep->columns->len; i++)
		json_array_add_string_element(cols, g_ptr_array_index(rep->columns, i));
	json_object_set_array_member(v, "columns", cols);
	JsonArray *rows = json_array_new();
	for (guint i = 0; i < json_array_get_length(rep->rows); i++) {
		JsonObject *row = json_array_get_object_element(rep->rows, i);
		JsonArray *cells = json_array_new();
		for (guint k = 0; k < rep->columns->len; k++) {
			gboolean num;
			char *text = cell_text(json_object_get_member(row, g_ptr_array_index(rep->columns, k)), &num);
			JsonObject *c = json_object_new();
			vset(c, "text", text);
			json_object_set_boolean_member(c, "num", num);
			json_array_add_object_element(cells, c);
			g_free(text);
		}
		JsonObject *ro = json_object_new();
		json_object_set_array_member(ro, "cells", cells);
		json_array_add_object_element(rows, ro);
	}
	json_object_set_boolean_member(v, "empty", json_array_get_length(rep->rows) == 0);
	json_object_set_array_member(v, "rows", rows);
}

static int
reports_page(web_req *r)
{
	report_query q;
	const char *bad = parse_query(r, &q);
	JsonObject *v = admin_vars("Reports");
	gsize n;
	const cd_report_info *list = cd_report_list(&n);
	JsonArray *reports = json_array_new();
	const char *chosen = q.name ? q.name : req_query(r, "report");
	for (gsize i = 0; i < n; i++) {
		JsonObject *o = json_object_new();
		vset(o, "name", list[i].name);
		vset(o, "what", list[i].what);
		json_object_set_boolean_member(o, "selected", strcmp(list[i].name, chosen) == 0);
		json_array_add_object_element(reports, o);
	}
	json_object_set_array_member(v, "reports", reports);
	JsonArray *steps = json_array_new();
	for (cd_report_by b = CD_REPORT_BY_DAY; b <= CD_REPORT_BY_MONTH; b++) {
		JsonObject *o = json_object_new();
		vset(o, "name", cd_report_by_name(b));
		json_object_set_boolean_member(o, "selected", b == q.range.by);
		json_array_add_object_element(steps, o);
	}
	json_object_set_array_member(v, "steps", steps);
	if (bad) {
		vset(v, "error", bad);
		vset(v, "from", req_query(r, "from"));
		vset(v, "to", req_query(r, "to"));
		return send_page(r, 400, "admin_reports", v);
	}
	vset(v, "from", q.from);
	vset(v, "to", q.to);
	int rc = 0;
	cd_report *rep = run_report(r, &q, &rc);
	if (rep == NULL) {
		json_object_unref(v);
		g_free(q.query);
		return rc;
	}
	JsonObject *o = json_object_new();
	vset(o, "name", rep->name);
	vset(o, "title", rep->title);
	vset(o, "by", cd_report_by_name(q.range.by));
	char *chart = g_strdup_printf("/admin/reports/chart.svg?%s", q.query);
	char *csv = g_strdup_printf("/admin/reports.csv?%s", q.query);
	vset(o, "chart_url", chart);
	vset(o, "csv_url", csv);
	g_free(chart);
	g_free(csv);
	report_table(o, rep);
	json_object_set_object_member(v, "report", o);
	cd_report_free(rep);
	g_free(q.query);
	return send_page(r, 200, "admin_reports", v);
}

typedef struct {
	const cd_chart *chart;
	GBytes *svg;
	GError *error;
} chart_job;

static gpointer
chart_thread(gpointer data)
{
	chart_job *j = data;
	j->svg = cd_chart_render(j->chart, CD_CHART_SVG, 0, 0, &j->error);
	return NULL;
}

/* report_download - the chart (SVG) or the CSV of the query's report */
static int
report_download(web_req *r, gboolean svg)
{
	report_query q;
	const char *bad = parse_query(r, &q);
	if (bad)
		return send_body(r, 400, "text/plain; charset=utf-8", bad, strlen(bad), NULL);
	int rc = 0;
	cd_report *rep = run_report(r, &q, &rc);
	g_free(q.query);
	if (rep == NULL)
		return rc;
	if (svg) {
		/* drawn on a thread of its own with a full stack (see pdf.c), without the database lock */
		chart_job job = {.chart = rep->chart};
		app_unlock();
		g_thread_join(g_thread_new("chart", chart_thread, &job));
		app_lock();
		if (job.svg == NULL) {
			g_warning("chart %s: %s", q.name, job.error ? job.error->message : "?");
			g_clear_error(&job.error);
			rc = send_error(r, 500, "The chart could not be drawn.");
		} else {
			gsize len;
			const char *data = g_bytes_get_data(job.svg, &len);
			rc = send_body(r, 200, "image/svg+xml", data, len, NULL);
			g_bytes_unref(job.svg);
		}
	} else {
		char *text = cd_report_csv(rep);
		char *h = g_strdup_printf("Content-Disposition: attachment; filename=\"caredesk-%s-%s-%s.csv\"\r\n", q.name,
		                          q.from, q.to);
		rc = send_body(r, 200, "text/csv; charset=utf-8", text, strlen(text), h);
		g_free(h);
		g_free(text);
	}
	cd_report_free(rep);
	return rc;
}

int
page_admin(struct mg_connection *c, void *d)
{
	(void)d;
	web_req r;
	req_begin(&r, c);
	int rc = require_area(&r, "admin");
	if (rc) {
		req_end(&r);
		return rc;
	}
	const char *p = r.path + strlen("/admin");
	if (strcmp(p, "/login") == 0)
		rc = admin_login(&r);
	else if (strcmp(p, "/logout") == 0)
		rc = admin_logout(&r);
	else if (r.agent_id == 0)
		rc = send_redirect(&r, "/admin/login");
	else if (strcmp(p, "") == 0 || strcmp(p, "/") == 0)
		rc = send_redirect(&r, "/admin/reports");
	else if (strcmp(p, "/reports") == 0)
		rc = reports_page(&r);
	else if (strcmp(p, "/reports/chart.svg") == 0)
		rc = report_download(&r, TRUE);
	else if (strcmp(p, "/reports.csv") == 0)
		rc = report_download(&r, FALSE);
	else
		rc = send_not_found(&r);
	req_end(&r);
	return rc;
}
