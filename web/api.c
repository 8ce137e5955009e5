/* api.c - the JSON API of the shop, under /api/v1/, authenticated by an API token
 * (Authorization: Bearer TOKEN; `caredesk account token create NAME`). Documented in README:
 *   POST /api/v1/orders               create or update orders (the JSON of `caredesk order import`)
 *   POST /api/v1/orders/REF/status    {"status": "shipped", "note": "..."}
 *   POST /api/v1/offers               create an offer {"email", "ref"?, "title"?, "currency"?,
 *                                     "valid_days"?, "lines": [{"sku","description","quantity","unit_price_cents"}]}
 *   GET  /api/v1/customers?email=ADDR look up a customer
 * Errors are {"error": "..."} with 400 (invalid), 401 (token), 404, 409 (illegal transition), 503. */
#include "account.h"
#include "app.h"
#include "offer.h"
#include "order.h"
#include "order_import.h"
#include "httpparse.h"
#include "result.h"
#include "rows.h"
#include "util.h"

#include <string.h>

#define MAX_API_BODY (4 * 1024 * 1024)

static int
api_error(web_req *r, int status, const char *message)
{
	JsonObject *o = json_object_new();
	json_object_set_string_member(o, "error", message);
	JsonNode *n = json_node_alloc();
	json_node_init_object(n, o);
	json_object_unref(o);
	return send_json(r, status, n);
}

static int
api_gerror(web_req *r, GError *e)
{
	int status = 503;
	if (e && e->code == CD_ERROR_INVALID)
		status = strstr(e->message, "cannot go from") ? 409 : 400;
	else if (e && e->code == CD_ERROR_NOTFOUND)
		status = 404;
	int rc = api_error(r, status, e ? e->message : "failed");
	g_clear_error(&e);
	return rc;
}

static JsonNode *
read_json(web_req *r, GError **error)
{
	GString *body = g_string_new(NULL);
	char buf[8192];
	int n;
	while (body->len <= MAX_API_BODY && (n = mg_read(r->conn, buf, sizeof buf)) > 0)
		g_string_append_len(body, buf, n);
	JsonNode *root = NULL;
	if (body->len > MAX_API_BODY) {
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "body larger than %d bytes", MAX_API_BODY);
	} else {
		JsonParser *p = json_parser_new();
		if (json_parser_load_from_data(p, body->str, (gssize)body->len, error))
			root = json_node_copy(json_parser_get_root(p));
		else if (error && *error) {
			(*error)->domain = CD_ERROR;
			(*error)->code = CD_ERROR_INVALID;
		}
		g_object_unref(p);
	}
	g_string_free(body, TRUE);
	if (root == NULL && error && *error == NULL)
		g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "empty body");
	return root;
}

static int
api_orders(web_req *r)
{
	GError *e = NULL;
	JsonNode *root = read_json(r, &e);
	if (root == NULL)
		return api_gerror(r, e);
	/* one order object is an array of one */
	if (JSON_NODE_HOLDS_OBJECT(root) && !json_object_has_member(json_node_get_object(root), "orders")) {
		JsonArray *a = json_array_new();
		json_array_add_element(a, root);
		root = json_node_alloc();
		json_node_init_array(root, a);
		json_array_unref(a);
	}
	char *text = json_to_string(root, FALSE);
	json_node_unref(root);
	cd_actor actor = {.actor_kind = "system", .actor = "shop api", .channel = "api"};
	cd_import_stats stats = {0};
	gboolean ok = cd_order_import(app->store, "api", text, strlen(text), CD_IMPORT_JSON, TRUE, &actor, NULL, NULL,
	                              &stats, &e);
	g_free(text);
	int rc;
	if (!ok) {
		GString *msg = g_string_new(e ? e->message : "import failed");
		for (guint i = 0; stats.problems && i < stats.problems->len; i++)
			g_string_append_printf(msg, "; %s", (char *)g_ptr_array_index(stats.problems, i));
		gboolean invalid = e && e->code == CD_ERROR_INVALID;
		g_clear_error(&e);
		rc = api_error(r, invalid ? 400 : 503, msg->str);
		g_string_free(msg, TRUE);
	} else {
		JsonObject *o = json_object_new();
		json_object_set_int_member(o, "created", stats.orders_created);
		json_object_set_int_member(o, "updated", stats.orders_updated);
		json_object_set_int_member(o, "unchanged", stats.orders_unchanged);
		JsonNode *n = json_node_alloc();
		json_node_init_object(n, o);
		json_object_unref(o);
		rc = send_json(r, stats.orders_created ? 201 : 200, n);
	}
	cd_import_stats_clear(&stats);
	return rc;
}

static const char *
jstr(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
	                                                                                       : NULL;
}

static gint64
jint(JsonObject *o, const char *name, gint64 def)
{
	JsonNode *n = json_object_get_member(o, name);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : def;
}

static int
api_order_status(web_req *r, const char *ref)
{
	GError *e = NULL;
	JsonNode *root = read_json(r, &e);
	if (root == NULL)
		return api_gerror(r, e);
	if (!JSON_NODE_HOLDS_OBJECT(root) || jstr(json_node_get_object(root), "status") == NULL) {
		json_node_unref(root);
		return api_error(r, 400, "expected {\"status\": \"...\"}");
	}
	JsonObject *o = json_node_get_object(root);
	cd_actor actor = {.actor_kind = "system", .actor = "shop api", .channel = "api"};
	gint64 id = 0;
	gboolean ok = cd_order_find(app->store, ref, &id, &e) && cd_store_begin(app->store, &e) &&
	              cd_order_set_status(app->store, id, jstr(o, "status"), &actor, jstr(o, "note"), &e) &&
	              cd_store_commit(app->store, &e);
	json_node_unref(root);
	if (!ok) {
		cd_store_rollback(app->store);
		return api_gerror(r, e);
	}
	JsonObject *res = json_object_new();
	json_object_set_string_member(res, "ref", ref);
	json_object_set_string_member(res, "status", "ok");
	JsonNode *n = json_node_alloc();
	json_node_init_object(n, res);
	json_object_unref(res);
	return send_json(r, 200, n);
}

static int
api_offers(web_req *r)
{
	GError *e = NULL;
	JsonNode *root = read_json(r, &e);
	if (root == NULL)
		return api_gerror(r, e);
	JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	JsonArray *lines = o && json_object_has_member(o, "lines") &&
	                           JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "lines"))
	                       ? json_object_get_array_member(o, "lines")
	                       : NULL;
	char *email = o ? cd_address_normalize(jstr(o, "email") ? jstr(o, "email") : "") : NULL;
	int rc;
	if (email == NULL || lines == NULL || json_array_get_length(lines) == 0 || json_array_get_length(lines) > 1000) {
		rc = api_error(r, 400, "expected {\"email\": \"...\", \"lines\": [{\"sku\", \"quantity\", \"unit_price_cents\"}]}");
		g_free(email);
		json_node_unref(root);
		return rc;
	}
	guint n = json_array_get_length(lines);
	cd_offer_line_data *ld = g_new0(cd_offer_line_data, n);
	for (guint i = 0; i < n; i++) {
		JsonNode *ln = json_array_get_element(lines, i);
		JsonObject *l = JSON_NODE_HOLDS_OBJECT(ln) ? json_node_get_object(ln) : NULL;
		ld[i].sku = l ? jstr(l, "sku") : NULL;
		ld[i].description = l ? jstr(l, "description") : NULL;
		ld[i].quantity = l ? (gint)jint(l, "quantity", 0) : 0;
		ld[i].unit_price_cents = l ? jint(l, "unit_price_cents", -1) : -1;
	}
	gint64 cid = 0;
	cd_store_lookup_id(app->store, "SELECT id FROM customers WHERE email = ?1", email, 0, &cid, NULL);
	gint64 days = jint(o, "valid_days", app->wf.offer_valid_days);
	cd_offer_data od = {.ref = jstr(o, "ref"), .customer_id = cid, .title = jstr(o, "title"),
	                    .currency = jstr(o, "currency"), .valid_until = days > 0 ? cd_now() + days * 86400 : 0,
	                    .lines = ld, .n_lines = n};
	cd_actor actor = {.actor_kind = "system", .actor = "shop api", .channel = "api"};
	gint64 id = 0;
	char *ref = NULL;
	gboolean ok;
	if (cid == 0) {
		g_set_error(&e, CD_ERROR, CD_ERROR_NOTFOUND, "no customer %s", email);
		ok = FALSE;
	} else {
		ok = cd_store_begin(app->store, &e) && cd_offer_create(app->store, &od, &actor, &id, &ref, &e) &&
		     cd_store_commit(app->store, &e);
		if (!ok)
			cd_store_rollback(app->store);
	}
	if (ok) {
		JsonObject *res = json_object_new();
		json_object_set_string_member(res, "ref", ref);
		char *link = g_strdup_printf("%s/offers/%s", app->cfg->web_base_url, ref);
		json_object_set_string_member(res, "link", link);
		g_free(link);
		JsonNode *node = json_node_alloc();
		json_node_init_object(node, res);
		json_object_unref(res);
		rc = send_json(r, 201, node);
	} else {
		rc = api_gerror(r, e);
	}
	g_free(ref);
	g_free(ld);
	g_free(email);
	json_node_unref(root);
	return rc;
}

static int
api_customer(web_req *r)
{
	char *email = cd_address_normalize(req_query(r, "email"));
	if (email == NULL)
		return api_error(r, 400, "expected ?email=ADDRESS");
	JsonObject *c = rows_one("SELECT c.id, c.email, c.name, c.phone, c.status, c.language, c.notify_channel, "
	                         "(SELECT count(*) FROM orders WHERE customer_id = c.id) AS orders, "
	                         "(SELECT count(*) FROM tickets WHERE customer_id = c.id) AS tickets FROM customers c "
	                         "WHERE c.email = ?2 OR c.id = (SELECT customer_id FROM customer_contacts "
	                         "WHERE kind = 'email' AND value = ?2) OR ?1 < 0",
	                         0, email);
	g_free(email);
	if (c == NULL)
		return api_error(r, 404, "no such customer");
	JsonNode *n = json_node_alloc();
	json_node_init_object(n, c);
	json_object_unref(c);
	return send_json(r, 200, n);
}

int
page_api(struct mg_connection *c, void *d)
{
	web_req r;
	req_begin(&r, c);
	const char *auth = mg_get_header(c, "Authorization");
	gint64 token = 0;
	int rc;
	if (auth && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0) {
		char *t = g_strstrip(g_strdup(auth + 7));
		cd_apitoken_check(app->store, t, &token, NULL);
		g_free(t);
	}
	char *v = web_path_segment(r.path, 1);
	char *what = web_path_segment(r.path, 2);
	char *ref = web_path_segment(r.path, 3);
	char *sub = web_path_segment(r.path, 4);
	if (token == 0) {
		rc = api_error(&r, 401, "a valid API token is needed (Authorization: Bearer TOKEN)");
	} else if (g_strcmp0(v, "v1") != 0 || what == NULL) {
		rc = api_error(&r, 404, "no such endpoint");
	} else if (strcmp(what, "orders") == 0 && ref == NULL && r.post) {
		rc = api_orders(&r);
	} else if (strcmp(what, "orders") == 0 && ref && g_strcmp0(sub, "status") == 0 && r.post) {
		rc = api_order_status(&r, ref);
	} else if (strcmp(what, "offers") == 0 && ref == NULL && r.post) {
		rc = api_offers(&r);
	} else if (strcmp(what, "customers") == 0 && ref == NULL && !r.post) {
		rc = api_customer(&r);
	} else {
		rc = api_error(&r, 404, "no such endpoint");
	}
	g_free(v);
	g_free(what);
	g_free(ref);
	g_free(sub);
	req_end(&r);
	return rc;
}
