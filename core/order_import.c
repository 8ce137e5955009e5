/* order_import.c - CSV and JSON order files into orders (see order_import.h). */
#include "order_import.h"
#include "csv.h"
#include "order.h"
#include "parse.h"
#include "result.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <string.h>

#define MAX_QUANTITY 1000000
#define MAX_WARRANTY_DAYS 36500

/* One order as read from the file, before it goes to cd_order_upsert. Strings live in the chunk. */
typedef struct {
	const char *ref;
	guint line;              /* where it starts in the file */
	gboolean bad;            /* a problem was reported: skipped */
	const char *email, *name, *status, *currency;
	gint64 ordered_at, delivered_at;
	GArray *lines;           /* cd_order_line_data */
	GArray *line_lines;      /* guint: the file line of each order line */
} pending;

typedef struct {
	const char *name;
	const char *unit;        /* what a problem without an order skips: "row" (CSV), "entry" (JSON) */
	GStringChunk *chunk;
	GPtrArray *orders;       /* pending *, in file order */
	GHashTable *by_ref;      /* case-folded ref -> pending * */
	GArray *problems;        /* found_problem, sorted by line into stats->problems at the end */
	cd_import_stats *stats;
} importer;

typedef struct {
	guint line;
	guint seq;
	char *text;
} found_problem;

static void
add_problem(importer *imp, guint line, char *text)
{
	found_problem p = {.line = line, .seq = imp->problems->len, .text = text};
	g_array_append_val(imp->problems, p);
}

static gint
problem_cmp(gconstpointer a, gconstpointer b)
{
	const found_problem *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
pending_free(gpointer p)
{
	pending *o = p;
	g_array_unref(o->lines);
	g_array_unref(o->line_lines);
	g_free(o);
}

static const char *
keep(importer *imp, const char *s)
{
	return s ? g_string_chunk_insert_const(imp->chunk, s) : NULL;
}

/* problem - "NAME:LINE: text" (and "; order REF skipped" / "; row skipped"); marks the order bad. */
static gboolean problem(importer *imp, guint line, pending *o, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean
problem(importer *imp, guint line, pending *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	GString *s = g_string_new(imp->name);
	if (line)
		g_string_append_printf(s, ":%u", line);
	g_string_append_printf(s, ": %s", text);
	if (o && !o->bad)
		g_string_append_printf(s, "; order %s skipped", o->ref);
	else if (o == NULL)
		g_string_append_printf(s, "; %s skipped", imp->unit);
	if (o)
		o->bad = TRUE;
	add_problem(imp, line, g_string_free(s, FALSE));
	g_free(text);
	return FALSE;
}

static pending *
order_for(importer *imp, const char *ref, guint line, gboolean *fresh)
{
	char *key = g_utf8_casefold(ref, -1);
	pending *o = g_hash_table_lookup(imp->by_ref, key);
	*fresh = o == NULL;
	if (o == NULL) {
		o = g_new0(pending, 1);
		o->ref = keep(imp, ref);
		o->line = line;
		o->lines = g_array_new(FALSE, TRUE, sizeof(cd_order_line_data));
		o->line_lines = g_array_new(FALSE, TRUE, sizeof(guint));
		g_ptr_array_add(imp->orders, o);
		g_hash_table_insert(imp->by_ref, g_string_chunk_insert_const(imp->chunk, key), o);
	}
	g_free(key);
	return o;
}

/* ---- CSV ---- */

typedef enum {
	COL_REF, COL_EMAIL, COL_NAME, COL_STATUS, COL_CURRENCY, COL_ORDERED, COL_DELIVERED, COL_LINE_NO, COL_SKU,
	COL_DESCRIPTION, COL_QUANTITY, COL_PRICE, COL_WARRANTY, COL_SERIAL, COL_LINE_DELIVERED, N_COLS
} column;

static const struct {
	const char *name;
	const char *alias1, *alias2;
	gboolean required;
} columns[N_COLS] = {
	[COL_REF] = {"order_ref", "order", "ref", TRUE},
	[COL_EMAIL] = {"email", "customer_email", NULL, TRUE},
	[COL_NAME] = {"name", "customer_name", NULL, FALSE},
	[COL_STATUS] = {"status", NULL, NULL, FALSE},
	[COL_CURRENCY] = {"currency", NULL, NULL, FALSE},
	[COL_ORDERED] = {"ordered_at", NULL, NULL, FALSE},
	[COL_DELIVERED] = {"delivered_at", NULL, NULL, FALSE},
	[COL_LINE_NO] = {"line_no", "line", NULL, FALSE},
	[COL_SKU] = {"sku", NULL, NULL, TRUE},
	[COL_DESCRIPTION] = {"description", NULL, NULL, FALSE},
	[COL_QUANTITY] = {"quantity", "qty", NULL, TRUE},
	[COL_PRICE] = {"unit_price", "price", NULL, FALSE},
	[COL_WARRANTY] = {"warranty_days", NULL, NULL, FALSE},
	[COL_SERIAL] = {"serial", NULL, NULL, FALSE},
	[COL_LINE_DELIVERED] = {"line_delivered_at", NULL, NULL, FALSE},
};

static int
column_of(const char *header)
{
	char *h = g_ascii_strdown(header, -1);
	g_strstrip(h);
	int found = -1;
	for (int c = 0; c < N_COLS && found < 0; c++)
		if (g_strcmp0(h, columns[c].name) == 0 || g_strcmp0(h, columns[c].alias1) == 0 ||
		    g_strcmp0(h, columns[c].alias2) == 0)
			found = c;
	g_free(h);
	return found;
}

static char *
column_list(void)
{
	GString *s = g_string_new(NULL);
	for (int c = 0; c < N_COLS; c++)
		g_string_append_printf(s, "%s%s", c ? ", " : "", columns[c].name);
	return g_string_free(s, FALSE);
}

/* cell - the trimmed text of column c in the row (NULL when the file has no such column or it is empty). */
static char *
cell(char **fields, const int *index, column c)
{
	if (index[c] < 0 || fields[index[c]] == NULL)
		return NULL;
	char *s = g_strstrip(g_strdup(fields[index[c]]));
	if (*s == '\0') {
		g_free(s);
		return NULL;
	}
	return s;
}

/* same_or_set - an order column repeated on each row must not change within the order. */
static gboolean
same_or_set(importer *imp, pending *o, guint line, const char **slot, const char *value, column c, gboolean fresh)
{
	if (value == NULL)
		return TRUE;
	if (*slot == NULL && fresh) {
		*slot = keep(imp, value);
		return TRUE;
	}
	if (g_strcmp0(*slot, value) == 0)
		return TRUE;
	problem(imp, line, o, "column %s: '%s' differs from '%s' on line %u of the same order", columns[c].name, value,
	        *slot ? *slot : "", o->line);
	return FALSE;
}

static gboolean
time_cell(importer *imp, pending *o, guint line, const char *value, column c, gint64 *out)
{
	if (value == NULL)
		return TRUE;
	if (cd_parse_time(value, out))
		return TRUE;
	problem(imp, line, o, "column %s: '%s' is not a time (2026-05-01, 2026-05-01 10:30 or 2026-05-01T10:30:00Z)",
	        columns[c].name, value);
	return FALSE;
}

static void
csv_row(importer *imp, char **fields, const int *index, guint line)
{
	char *v[N_COLS];
	for (int c = 0; c < N_COLS; c++)
		v[c] = cell(fields, index, c);
	if (v[COL_REF] == NULL) {
		problem(imp, line, NULL, "column order_ref is empty");
		goto out;
	}
	gboolean fresh;
	pending *o = order_for(imp, v[COL_REF], line, &fresh);
	if (v[COL_EMAIL] == NULL) {
		problem(imp, line, o, "column email is empty");
		goto out;
	}
	char *status = v[COL_STATUS] ? g_ascii_strdown(v[COL_STATUS], -1) : NULL;
	char *currency = v[COL_CURRENCY] ? g_ascii_strup(v[COL_CURRENCY], -1) : NULL;
	gboolean ok = same_or_set(imp, o, line, &o->email, v[COL_EMAIL], COL_EMAIL, fresh) &&
	              same_or_set(imp, o, line, &o->name, v[COL_NAME], COL_NAME, fresh) &&
	              same_or_set(imp, o, line, &o->status, status, COL_STATUS, fresh) &&
	              same_or_set(imp, o, line, &o->currency, currency, COL_CURRENCY, fresh);
	g_free(status);
	g_free(currency);
	gint64 t = 0;
	if (ok && v[COL_ORDERED] && (ok = time_cell(imp, o, line, v[COL_ORDERED], COL_ORDERED, &t))) {
		if (o->ordered_at && o->ordered_at != t)
			ok = problem(imp, line, o, "column ordered_at differs from line %u of the same order", o->line);
		o->ordered_at = t;
	}
	if (ok && v[COL_DELIVERED] && (ok = time_cell(imp, o, line, v[COL_DELIVERED], COL_DELIVERED, &t))) {
		if (o->delivered_at && o->delivered_at != t)
			ok = problem(imp, line, o, "column delivered_at differs from line %u of the same order", o->line);
		o->delivered_at = t;
	}
	cd_order_line_data l = {.warranty_days = -1, .quantity = 0};
	gint64 n = 0;
	if (ok && v[COL_LINE_NO]) {
		if (cd_parse_positive(v[COL_LINE_NO], 100000, &n))
			l.line_no = (gint)n;
		else
			ok = problem(imp, line, o, "column line_no: '%s' is not a line number (1, 2, ...)", v[COL_LINE_NO]);
	}
	if (ok && v[COL_SKU] == NULL)
		ok = problem(imp, line, o, "column sku is empty");
	if (ok) {
		if (v[COL_QUANTITY] && cd_parse_positive(v[COL_QUANTITY], MAX_QUANTITY, &n))
			l.quantity = (gint)n;
		else
			ok = problem(imp, line, o, "column quantity: '%s' is not a whole number from 1 to %d",
			        v[COL_QUANTITY] ? v[COL_QUANTITY] : "", MAX_QUANTITY);
	}
	if (ok && v[COL_PRICE] && !cd_parse_cents(v[COL_PRICE], &l.unit_price_cents))
		ok = problem(imp, line, o, "column unit_price: '%s' is not an amount like 49.90", v[COL_PRICE]);
	if (ok && v[COL_WARRANTY]) {
		if (g_strcmp0(v[COL_WARRANTY], "0") == 0)
			l.warranty_days = 0;
		else if (cd_parse_positive(v[COL_WARRANTY], MAX_WARRANTY_DAYS, &n))
			l.warranty_days = (gint)n;
		else
			ok = problem(imp, line, o, "column warranty_days: '%s' is not a number of days (0 to %d)", v[COL_WARRANTY],
			        MAX_WARRANTY_DAYS);
	}
	if (ok && v[COL_LINE_DELIVERED])
		ok = time_cell(imp, o, line, v[COL_LINE_DELIVERED], COL_LINE_DELIVERED, &l.delivered_at);
	if (ok) {
		l.sku = keep(imp, v[COL_SKU]);
		l.description = keep(imp, v[COL_DESCRIPTION]);
		l.serial = keep(imp, v[COL_SERIAL]);
		g_array_append_val(o->lines, l);
		g_array_append_val(o->line_lines, line);
	}
out:
	for (int c = 0; c < N_COLS; c++)
		g_free(v[c]);
}

static gboolean
read_csv(importer *imp, const char *data, gsize len, GError **error)
{
	cd_csv *csv = cd_csv_new(data, len);
	char **fields = NULL;
	guint line = 0;
	GError *e = NULL;
	gboolean ok = TRUE;
	int index[N_COLS];
	for (int c = 0; c < N_COLS; c++)
		index[c] = -1;
	if (!cd_csv_next(csv, &fields, &line, &e)) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: header: %s", imp->name, e->message);
		g_error_free(e);
		ok = FALSE;
	} else if (fields == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: the file is empty (it needs a header row)", imp->name);
		ok = FALSE;
	}
	guint ncols = fields ? g_strv_length(fields) : 0;
	for (guint i = 0; ok && i < ncols; i++) {
		int c = column_of(fields[i]);
		if (c < 0) {
			char *all = column_list();
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s:%u: unknown column '%s' (columns: %s)", imp->name, line,
			            fields[i], all);
			g_free(all);
			ok = FALSE;
		} else if (index[c] >= 0) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s:%u: column %s appears twice", imp->name, line,
			            columns[c].name);
			ok = FALSE;
		} else {
			index[c] = (int)i;
		}
	}
	for (int c = 0; ok && c < N_COLS; c++)
		if (columns[c].required && index[c] < 0) {
			g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s:%u: the header has no column %s", imp->name, line,
			            columns[c].name);
			ok = FALSE;
		}
	g_strfreev(fields);
	while (ok) {
		fields = NULL;
		if (!cd_csv_next(csv, &fields, &line, &e)) {
			/* whose row was it? the order_ref field may have been read before the fault */
			pending *o = NULL;
			if (fields && index[COL_REF] >= 0 && (guint)index[COL_REF] < g_strv_length(fields)) {
				char *ref = g_strstrip(g_strdup(fields[index[COL_REF]]));
				gboolean fresh;
				if (*ref)
					o = order_for(imp, ref, line, &fresh);
				g_free(ref);
			}
			/* "4:7: ..." names line and column */
			GString *s = g_string_new(imp->name);
			g_string_append_printf(s, ":%s", e->message);
			if (o && !o->bad)
				g_string_append_printf(s, "; order %s skipped", o->ref);
			else if (o == NULL)
				g_string_append_printf(s, "; %s skipped", imp->unit);
			if (o)
				o->bad = TRUE;
			add_problem(imp, line, g_string_free(s, FALSE));
			g_clear_error(&e);
			g_strfreev(fields);
			continue;
		}
		if (fields == NULL)
			break;
		if (g_strv_length(fields) != ncols) {
			pending *o = NULL;
			if ((guint)index[COL_REF] < g_strv_length(fields)) {
				char *ref = g_strstrip(g_strdup(fields[index[COL_REF]]));
				gboolean fresh;
				if (*ref)
					o = order_for(imp, ref, line, &fresh);
				g_free(ref);
			}
			problem(imp, line, o, "%u fields, but the header has %u", g_strv_length(fields), ncols);
		} else {
			csv_row(imp, fields, index, line);
		}
		g_strfreev(fields);
	}
	cd_csv_free(csv);
	return ok;
}

/* ---- JSON ---- */

typedef struct {
	GArray *stack;           /* guint: start lines of the objects being parsed */
	GHashTable *lines;       /* JsonObject * -> start line */
} json_lines;

static void
on_object_start(JsonParser *parser, gpointer data)
{
	json_lines *jl = data;
	guint line = json_parser_get_current_line(parser);
	g_array_append_val(jl->stack, line);
}

static void
on_object_end(JsonParser *parser, JsonObject *object, gpointer data)
{
	json_lines *jl = data;
	if (jl->stack->len == 0)
		return;
	guint line = g_array_index(jl->stack, guint, jl->stack->len - 1);
	g_array_set_size(jl->stack, jl->stack->len - 1);
	g_hash_table_insert(jl->lines, object, GUINT_TO_POINTER(line));
}

static guint
line_of(json_lines *jl, JsonObject *o)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(jl->lines, o));
}

/* json_text - a member as text: a string, or an integer written out; NULL when absent or null.
 * *bad when it is there but of another kind. */
static char *
json_text(JsonObject *o, const char *member, gboolean *bad)
{
	*bad = FALSE;
	JsonNode *n = json_object_get_member(o, member);
	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return NULL;
	if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
		char *s = g_strstrip(g_strdup(json_node_get_string(n)));
		if (*s == '\0') {
			g_free(s);
			return NULL;
		}
		return s;
	}
	if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
		return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
	*bad = TRUE;
	return NULL;
}

static gboolean
known_members(importer *imp, JsonObject *o, guint line, pending *p, const char *where,
              const char *const *allowed)
{
	GList *names = json_object_get_members(o);
	gboolean ok = TRUE;
	for (GList *l = names; l && ok; l = l->next)
		if (!g_strv_contains(allowed, l->data)) {
			char *all = g_strjoinv(", ", (char **)allowed);
			problem(imp, line, p, "%sunknown field '%s' (fields: %s)", where, (char *)l->data, all);
			g_free(all);
			ok = FALSE;
		}
	g_list_free(names);
	return ok;
}

static const char *const order_members[] = {"ref", "order_ref", "email", "customer", "name", "status", "currency",
                                            "ordered_at", "delivered_at", "lines", NULL};
static const char *const line_members[] = {"line_no", "sku", "description", "quantity", "unit_price",
                                           "unit_price_cents", "warranty_days", "serial", "delivered_at", NULL};
static const char *const customer_members[] = {"email", "name", NULL};

/* json_field - a text member into *out (kept in the chunk); a problem when of the wrong kind. */
static gboolean
json_field(importer *imp, JsonObject *o, const char *member, guint line, pending *p, const char *where,
           const char **out)
{
	gboolean bad;
	char *s = json_text(o, member, &bad);
	if (bad) {
		problem(imp, line, p, "%s%s: expected a string", where, member);
		return FALSE;
	}
	*out = keep(imp, s);
	g_free(s);
	return TRUE;
}

static gboolean
json_time(importer *imp, JsonObject *o, const char *member, guint line, pending *p, const char *where, gint64 *out)
{
	gboolean bad;
	char *s = json_text(o, member, &bad);
	gboolean ok = !bad && (s == NULL || cd_parse_time(s, out));
	if (!ok)
		problem(imp, line, p, "%s%s: '%s' is not a time (2026-05-01, 2026-05-01T10:30:00Z or Unix seconds)", where,
		        member, s ? s : "?");
	g_free(s);
	return ok;
}

/* json_count - a whole number member in [min, max] (a JSON integer or a string of digits); absent: def. */
static gboolean
json_count(importer *imp, JsonObject *o, const char *member, gint64 min, gint64 max, gint64 def, guint line,
           pending *p, const char *where, gint64 *out)
{
	gboolean bad;
	char *s = json_text(o, member, &bad);
	gint64 v = def;
	gboolean ok = !bad;
	if (ok && s) {
		char *end;
		v = g_ascii_strtoll(s, &end, 10);
		ok = *end == '\0' && v >= min && v <= max;
	}
	if (!ok)
		problem(imp, line, p, "%s%s: must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, where,
		        member, min, max);
	else
		*out = v;
	g_free(s);
	return ok;
}

static gboolean
json_price(importer *imp, JsonObject *o, guint line, pending *p, const char *where, gint64 *out)
{
	*out = 0;
	JsonNode *n = json_object_get_member(o, "unit_price");
	if (n && JSON_NODE_HOLDS_VALUE(n) &&
	    (json_node_get_value_type(n) == G_TYPE_DOUBLE || json_node_get_value_type(n) == G_TYPE_INT64)) {
		double d = json_node_get_double(n);
		if (d < 0 || d > 1e13) {
			problem(imp, line, p, "%sunit_price: must be an amount like 49.90", where);
			return FALSE;
		}
		*out = (gint64)(d * 100 + 0.5);
		return TRUE;
	}
	if (n && !JSON_NODE_HOLDS_NULL(n)) {
		gboolean bad;
		char *s = json_text(o, "unit_price", &bad);
		gboolean ok = !bad && s && cd_parse_cents(s, out);
		if (!ok)
			problem(imp, line, p, "%sunit_price: '%s' is not an amount like 49.90", where, s ? s : "?");
		g_free(s);
		return ok;
	}
	return json_count(imp, o, "unit_price_cents", 0, G_MAXINT64 / 1000000, 0, line, p, where, out);
}

static void
json_line(importer *imp, json_lines *jl, pending *p, JsonNode *node, guint index)
{
	char *where = g_strdup_printf("order %s, lines[%u]: ", p->ref, index);
	guint line = p->line;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		problem(imp, line, p, "%sexpected an object", where);
		g_free(where);
		return;
	}
	JsonObject *lo = json_node_get_object(node);
	line = line_of(jl, lo) ? line_of(jl, lo) : line;
	cd_order_line_data l = {.warranty_days = -1};
	gint64 n = 0, w = -1;
	gboolean ok = known_members(imp, lo, line, p, where, line_members) &&
	              json_count(imp, lo, "line_no", 1, 100000, 0, line, p, where, &n);
	l.line_no = (gint)n;
	ok = ok && json_field(imp, lo, "sku", line, p, where, &l.sku) && json_field(imp, lo, "description", line, p, where,
	                                                                           &l.description) &&
	     json_field(imp, lo, "serial", line, p, where, &l.serial);
	if (ok && l.sku == NULL)
		ok = problem(imp, line, p, "%ssku: missing", where);
	ok = ok && json_count(imp, lo, "quantity", 1, MAX_QUANTITY, -1, line, p, where, &n);
	if (ok && n < 0)
		ok = problem(imp, line, p, "%squantity: missing", where);
	l.quantity = (gint)n;
	ok = ok && json_price(imp, lo, line, p, where, &l.unit_price_cents) &&
	     json_count(imp, lo, "warranty_days", 0, MAX_WARRANTY_DAYS, -1, line, p, where, &w) &&
	     json_time(imp, lo, "delivered_at", line, p, where, &l.delivered_at);
	l.warranty_days = (gint)w;
	if (ok) {
		g_array_append_val(p->lines, l);
		g_array_append_val(p->line_lines, line);
	}
	g_free(where);
}

static void
json_order(importer *imp, json_lines *jl, JsonNode *node, guint index)
{
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		problem(imp, 0, NULL, "orders[%u]: expected an object", index);
		return;
	}
	JsonObject *o = json_node_get_object(node);
	guint line = line_of(jl, o);
	gboolean bad;
	char *ref = json_text(o, "ref", &bad);
	if (ref == NULL && !bad)
		ref = json_text(o, "order_ref", &bad);
	if (ref == NULL) {
		problem(imp, line, NULL, "orders[%u]: ref: %s", index, bad ? "expected a string" : "missing");
		return;
	}
	gboolean fresh;
	pending *p = order_for(imp, ref, line, &fresh);
	g_free(ref);
	if (!fresh) {
		problem(imp, line, NULL, "order %s appears twice (first on line %u)", p->ref, p->line);
		return;
	}
	char *where = g_strdup_printf("order %s: ", p->ref);
	const char *email = NULL, *name = NULL;
	gboolean ok = known_members(imp, o, line, p, where, order_members) &&
	              json_field(imp, o, "email", line, p, where, &email) &&
	              json_field(imp, o, "name", line, p, where, &name);
	JsonNode *cn = json_object_get_member(o, "customer");
	if (ok && cn && !JSON_NODE_HOLDS_NULL(cn)) {
		if (!JSON_NODE_HOLDS_OBJECT(cn)) {
			problem(imp, line, p, "%scustomer: expected an object with email and name", where);
			ok = FALSE;
		} else {
			JsonObject *co = json_node_get_object(cn);
			guint cl = line_of(jl, co) ? line_of(jl, co) : line;
			char *cw = g_strdup_printf("%scustomer.", where);
			const char *ce = NULL, *cname = NULL;
			ok = known_members(imp, co, cl, p, cw, customer_members) && json_field(imp, co, "email", cl, p, cw, &ce) &&
			     json_field(imp, co, "name", cl, p, cw, &cname);
			g_free(cw);
			email = email ? email : ce;
			name = name ? name : cname;
		}
	}
	if (ok && email == NULL)
		ok = problem(imp, line, p, "%semail: missing", where);
	p->email = email;
	p->name = name;
	ok = ok && json_field(imp, o, "status", line, p, where, &p->status) &&
	     json_field(imp, o, "currency", line, p, where, &p->currency) &&
	     json_time(imp, o, "ordered_at", line, p, where, &p->ordered_at) &&
	     json_time(imp, o, "delivered_at", line, p, where, &p->delivered_at);
	if (ok && p->status) {
		char *s = g_ascii_strdown(p->status, -1);
		p->status = keep(imp, s);
		g_free(s);
	}
	if (ok && p->currency) {
		char *s = g_ascii_strup(p->currency, -1);
		p->currency = keep(imp, s);
		g_free(s);
	}
	JsonNode *ln = json_object_get_member(o, "lines");
	if (ok && (ln == NULL || !JSON_NODE_HOLDS_ARRAY(ln))) {
		problem(imp, line, p, "%slines: expected an array of lines", where);
		ok = FALSE;
	}
	if (ok) {
		JsonArray *arr = json_node_get_array(ln);
		for (guint i = 0; i < json_array_get_length(arr) && !p->bad; i++)
			json_line(imp, jl, p, json_array_get_element(arr, i), i);
	}
	g_free(where);
}

static gboolean
read_json(importer *imp, const char *data, gsize len, GError **error)
{
	JsonParser *parser = json_parser_new();
	json_lines jl = {.stack = g_array_new(FALSE, FALSE, sizeof(guint)), .lines = g_hash_table_new(NULL, NULL)};
	g_signal_connect(parser, "object-start", G_CALLBACK(on_object_start), &jl);
	g_signal_connect(parser, "object-end", G_CALLBACK(on_object_end), &jl);
	GError *e = NULL;
	gboolean ok = json_parser_load_from_data(parser, data, (gssize)len, &e);
	if (!ok) {
		/* "<data>:3:8: Parse error: ..." names the place: put the file name there */
		const char *msg = e->message;
		if (g_str_has_prefix(msg, "<data>:"))
			msg += strlen("<data>:");
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s:%s", imp->name, msg);
		g_error_free(e);
	}
	JsonNode *root = ok ? json_parser_get_root(parser) : NULL;
	JsonArray *orders = NULL;
	if (ok && root && JSON_NODE_HOLDS_ARRAY(root)) {
		orders = json_node_get_array(root);
	} else if (ok && root && JSON_NODE_HOLDS_OBJECT(root)) {
		JsonNode *n = json_object_get_member(json_node_get_object(root), "orders");
		if (n && JSON_NODE_HOLDS_ARRAY(n) && json_object_get_size(json_node_get_object(root)) == 1)
			orders = json_node_get_array(n);
	}
	if (ok && orders == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: expected an array of orders or {\"orders\": [...]}",
		            imp->name);
		ok = FALSE;
	}
	for (guint i = 0; ok && i < json_array_get_length(orders); i++)
		json_order(imp, &jl, json_array_get_element(orders, i), i);
	g_hash_table_destroy(jl.lines);
	g_array_unref(jl.stack);
	g_object_unref(parser);
	return ok;
}

/* ---- into the store ---- */

static gboolean
store_orders(importer *imp, cd_store *store, const cd_actor *actor, cd_import_progress progress, gpointer user_data,
             GError **error)
{
	guint total = imp->orders->len;
	for (guint i = 0; i < total; i++) {
		pending *o = g_ptr_array_index(imp->orders, i);
		if (o->bad) {
			imp->stats->orders_skipped++;
		} else {
			cd_order_data d = {.ref = o->ref, .email = o->email, .customer_name = o->name, .status = o->status,
			                   .currency = o->currency, .ordered_at = o->ordered_at, .delivered_at = o->delivered_at,
			                   .source = imp->name, .lines = (const cd_order_line_data *)(void *)o->lines->data,
			                   .n_lines = o->lines->len};
			cd_order_change change;
			gint64 id;
			GError *e = NULL;
			if (!cd_store_savepoint(store, "import_order", error))
				return FALSE;
			if (cd_order_upsert(store, &d, actor, &change, &id, &e)) {
				if (!cd_store_release(store, "import_order", error))
					return FALSE;
				imp->stats->lines += o->lines->len;
				if (change == CD_ORDER_CREATED)
					imp->stats->orders_created++;
				else if (change == CD_ORDER_UPDATED)
					imp->stats->orders_updated++;
				else
					imp->stats->orders_unchanged++;
			} else {
				cd_store_rollback_to(store, "import_order");
				if (!g_error_matches(e, CD_ERROR, CD_ERROR_INVALID)) {
					g_propagate_error(error, e);
					return FALSE;
				}
				problem(imp, o->line, o, "order %s: %s", o->ref, e->message);
				g_error_free(e);
				imp->stats->orders_skipped++;
			}
		}
		if (progress)
			progress(i + 1, total, user_data);
	}
	return TRUE;
}

gboolean
cd_order_import(cd_store *store, const char *name, const char *data, gsize len, cd_import_format format,
                gboolean strict, const cd_actor *actor, cd_import_progress progress, gpointer user_data,
                cd_import_stats *stats, GError **error)
{
	memset(stats, 0, sizeof *stats);
	stats->problems = g_ptr_array_new_with_free_func(g_free);
	importer imp = {.name = name ? name : "input",
	                .unit = "row",
	                .chunk = g_string_chunk_new(4096),
	                .orders = g_ptr_array_new_with_free_func(pending_free),
	                .by_ref = g_hash_table_new(g_str_hash, g_str_equal),
	                .problems = g_array_new(FALSE, FALSE, sizeof(found_problem)),
	                .stats = stats};
	if (format == CD_IMPORT_AUTO) {
		const char *p = data;
		while (p < data + len && g_ascii_isspace(*p))
			p++;
		if (name && g_str_has_suffix(name, ".json"))
			format = CD_IMPORT_JSON;
		else if (name && g_str_has_suffix(name, ".csv"))
			format = CD_IMPORT_CSV;
		else
			format = p < data + len && (*p == '[' || *p == '{') ? CD_IMPORT_JSON : CD_IMPORT_CSV;
	}
	gboolean ok;
	if (!g_utf8_validate(data, (gssize)len, NULL)) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%s: not UTF-8 text", imp.name);
		ok = FALSE;
	} else {
		imp.unit = format == CD_IMPORT_JSON ? "entry" : "row";
		ok = format == CD_IMPORT_JSON ? read_json(&imp, data, len, error) : read_csv(&imp, data, len, error);
	}
	gboolean began = ok && cd_store_begin(store, error);
	ok = began && store_orders(&imp, store, actor, progress, user_data, error);
	g_array_sort(imp.problems, problem_cmp);
	for (guint i = 0; i < imp.problems->len; i++) {
		g_ptr_array_add(stats->problems, g_array_index(imp.problems, found_problem, i).text);
		g_array_index(imp.problems, found_problem, i).text = NULL;
	}
	if (ok && strict && stats->problems->len) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%u problem%s in %s: nothing imported", stats->problems->len,
		            stats->problems->len == 1 ? "" : "s", imp.name);
		ok = FALSE;
	}
	if (ok)
		ok = cd_store_commit(store, error);
	else if (began)
		cd_store_rollback(store);
	if (!ok && began) {
		/* nothing stays: neither orders nor the counts of what would have been */
		stats->orders_created = stats->orders_updated = stats->orders_unchanged = stats->lines = 0;
		stats->orders_skipped = imp.orders->len;
	}
	for (guint i = 0; i < imp.problems->len; i++)
		g_free(g_array_index(imp.problems, found_problem, i).text);
	g_array_unref(imp.problems);
	g_hash_table_destroy(imp.by_ref);
	g_ptr_array_unref(imp.orders);
	g_string_chunk_free(imp.chunk);
	return ok;
}

void
cd_import_stats_clear(cd_import_stats *stats)
{
	if (stats->problems)
		g_ptr_array_unref(stats->problems);
	memset(stats, 0, sizeof *stats);
}
