/* template_kinds.c - the one table of template kinds (what each message kind is, on which
 * channels it is sent, which variables the sender fills) and `caredesk templates check`
 * (cd_tmpl_check_dir): every syntax error, every variable a template uses that its kind does not
 * provide, kinds without their English text, files that are not templates. */
#include "template_int.h"
#include "smsenc.h"

#include <stdarg.h>
#include <string.h>

/* ---- the table ---- */

static const char *const common_vars[] = {
	"site.name", "site.support_address", "site.base_url", "customer.name", "customer.email", "customer.language",
	"lang", NULL,
};

#define RMA_VARS                                                                                                    \
	"rma.ref", "rma.order_ref", "rma.sku", "rma.product", "rma.quantity", "rma.reason", "rma.status", "ticket.ref"
#define AGENT_TICKET_VARS                                                                                           \
	"agent.name", "agent.login", "ticket.ref", "ticket.subject", "ticket.priority", "ticket.queue", "ticket.url",     \
	    "message.text", "message.html_available", "attachments[].name", "attachments[].size", "commands_help"

static const char *const v_ticket_ack[] = {"ticket.ref", "ticket.subject", "ticket.status", "ticket.queue",
                                           "message.text", NULL};
static const char *const v_agent_ticket[] = {AGENT_TICKET_VARS, NULL};
static const char *const v_agent_reply[] = {"agent.name", "ticket.ref", "ticket.subject", "message.text",
                                            "message.html", NULL};
static const char *const v_agent_command_result[] = {
	"agent.name", "ticket.ref", "ticket.subject", "results[].command", "results[].ok", "results[].text", "refused",
	"reason", NULL,
};
static const char *const v_rma_requested[] = {RMA_VARS, NULL};
static const char *const v_rma_authorized[] = {RMA_VARS, "rma.return_address", "rma.return_by", "rma.instructions",
                                               NULL};
static const char *const v_rma_refused[] = {RMA_VARS, "rma.refusal", NULL};
static const char *const v_rma_need_order[] = {"ticket.ref", "ticket.subject", "rma.reason", NULL};
static const char *const v_rma_resolution[] = {RMA_VARS, "rma.resolution", "rma.amount", "rma.currency", NULL};
static const char *const v_activation[] = {"activation.code", "activation.link", "activation.minutes",
                                           "activation.reply_hint", NULL};
static const char *const v_password_reset[] = {"reset.link", "reset.minutes", NULL};
static const char *const v_offer_sent[] = {
	"offer.ref", "offer.title", "offer.total", "offer.currency", "offer.valid_until", "offer.link",
	"offer.lines[].sku", "offer.lines[].description", "offer.lines[].quantity", "offer.lines[].price", NULL,
};
static const char *const v_agent_offer_decided[] = {"agent.name", "offer.ref", "offer.title", "offer.status",
                                                  "offer.total", "offer.currency", "offer.comment",
                                                  "offer.channel", "ticket.ref", NULL};
static const char *const v_order_status[] = {"order.ref", "order.status", "order.old_status", "order.link", NULL};
static const char *const v_status_reply[] = {"ref", "state", NULL};
static const char *const v_sms_keyword[] = {"keyword", NULL};
static const char *const v_agent_sms[] = {"agent.name", "agent.login", "ticket.ref", "ticket.subject",
                                          "ticket.priority", "ticket.queue", "message.text", NULL};
/* a kind not in the table: a template a filter rule names (reply "NAME", sms "NAME") */
static const char *const v_custom[] = {"ticket.ref", "ticket.subject", "ticket.status", "ticket.queue",
                                       "message.text", "captures.*", NULL};

static const struct {
	const char *kind;
	const char *channels;
	const char *const *vars;
	const char *what; /* for people: templates vars */
} kinds[] = {
	{"ticket_ack", "email sms", v_ticket_ack, "to the customer when a ticket opens"},
	{"agent_new_ticket", "email", v_agent_ticket, "to agents: a new ticket"},
	{"agent_customer_reply", "email", v_agent_ticket, "to the assignee: the customer replied"},
	{"agent_reply", "email sms", v_agent_reply, "an agent's reply relayed to the customer"},
	{"agent_command_result", "email", v_agent_command_result,
	 "to the agent: what their #commands did, or why they were refused"},
	{"rma_requested", "email", v_rma_requested, "to the customer: return request received"},
	{"rma_authorized", "email sms", v_rma_authorized, "to the customer: return authorised, how to send it"},
	{"rma_refused", "email sms", v_rma_refused, "to the customer: return refused, and why"},
	{"rma_need_order", "email", v_rma_need_order,
	 "to the customer: a return request without an order number; a reply that names the order opens it"},
	{"rma_received", "email", v_rma_resolution, "to the customer: the returned goods arrived"},
	{"rma_resolved", "email", v_rma_resolution, "to the customer: refunded, replaced or repaired"},
	{"activation", "email sms", v_activation, "to a new customer: the activation code and link"},
	{"password_reset", "email", v_password_reset, "to the customer: a password reset link"},
	{"offer_sent", "email", v_offer_sent, "to the customer: a new offer"},
	{"agent_offer_decided", "email", v_agent_offer_decided, "to agents: a customer accepted or rejected an offer"},
	{"order_status", "email", v_order_status, "to the customer: the order changed state"},
	{"status_reply", "sms", v_status_reply, "the answer to STATUS <ref> by SMS"},
	{"sms_stop", "sms", v_sms_keyword, "the confirmation of STOP: the last SMS a number gets until START"},
	{"sms_start", "sms", v_sms_keyword, "the confirmation of START: SMS are sent again"},
	{"sms_help", "sms", v_sms_keyword, "the answer to HELP: the keywords"},
	{"agent_sms_ticket", "sms", v_agent_sms,
	 "to agents with a phone: a new urgent or high ticket ([sms] agent_priorities); their SMS reply goes to the customer"},
};

static const char *const *
kind_names(void)
{
	static const char *names[G_N_ELEMENTS(kinds) + 1];
	static gsize done;
	if (g_once_init_enter(&done)) {
		for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
			names[i] = kinds[i].kind;
		g_once_init_leave(&done, 1);
	}
	return names;
}

static gssize
kind_index(const char *kind)
{
	for (gsize i = 0; kind && i < G_N_ELEMENTS(kinds); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return (gssize)i;
	return -1;
}

const char *const *
cd_tmpl_kind_vars(const char *kind)
{
	gssize i = kind_index(kind);
	return i < 0 ? NULL : kinds[i].vars;
}

const char *const *
cd_tmpl_common_vars(void)
{
	return common_vars;
}

const char *const *
cd_tmpl_custom_vars(void)
{
	return v_custom;
}

const char *
cd_tmpl_kind_channels(const char *kind)
{
	gssize i = kind_index(kind);
	return i < 0 ? NULL : kinds[i].channels;
}

const char *
cd_tmpl_kind_description(const char *kind)
{
	gssize i = kind_index(kind);
	return i < 0 ? NULL : kinds[i].what;
}

const char *const *
cd_tmpl_kinds(void)
{
	return kind_names();
}

static gboolean
on_channel(const char *channels, const char *channel)
{
	char **words = g_strsplit(channels, " ", -1);
	gboolean on = g_strv_contains((const char *const *)words, channel);
	g_strfreev(words);
	return on;
}

/* ---- what a kind provides, as a tree of names ---- */

typedef enum { VK_VALUE = 1, VK_OBJECT, VK_ARRAY, VK_ANY } vk; /* VK_ANY: an object with any member */

/* known_names - "ticket" -> OBJECT, "ticket.ref" -> VALUE, "attachments" -> ARRAY,
 * "attachments[]" -> OBJECT (an element), "attachments[].name" -> VALUE */
static GHashTable *
known_names(const char *const *lists[])
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint l = 0; lists[l]; l++)
		for (const char *const *v = lists[l]; *v; v++) {
			char **parts = g_strsplit(*v, ".", -1);
			GString *prefix = g_string_new(NULL);
			for (guint i = 0; parts[i]; i++) {
				gboolean last = parts[i + 1] == NULL;
				if (strcmp(parts[i], "*") == 0) {
					g_hash_table_insert(h, g_strdup(prefix->str), GINT_TO_POINTER(VK_ANY));
					break;
				}
				if (i)
					g_string_append_c(prefix, '.');
				if (g_str_has_suffix(parts[i], "[]")) {
					g_string_append_len(prefix, parts[i], (gssize)strlen(parts[i]) - 2);
					g_hash_table_insert(h, g_strdup(prefix->str), GINT_TO_POINTER(VK_ARRAY));
					g_string_append(prefix, "[]");
					g_hash_table_insert(h, g_strdup(prefix->str), GINT_TO_POINTER(last ? VK_VALUE : VK_OBJECT));
				} else {
					g_string_append(prefix, parts[i]);
					if (last || !g_hash_table_contains(h, prefix->str))
						g_hash_table_insert(h, g_strdup(prefix->str), GINT_TO_POINTER(last ? VK_VALUE : VK_OBJECT));
				}
			}
			g_string_free(prefix, TRUE);
			g_strfreev(parts);
		}
	return h;
}

/* ---- the checker ---- */

typedef struct {
	GPtrArray *problems;
	GHashTable *seen;     /* problem strings already added */
	GHashTable *known;    /* known_names of the kind being checked */
	const char *kind;     /* being checked */
	gboolean custom;      /* not in the table */
	const ct_tmpl *top;   /* the template being checked (partials are walked from it) */
	GPtrArray *scopes;    /* char*: "" (the vars object), "ticket", "attachments[]", innermost last */
	guint partials;
} checker;

static void G_GNUC_PRINTF(5, 6)
problem(checker *ck, const ct_tmpl *t, const tn_node *n, gboolean via, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *full = via && t != ck->top ? g_strdup_printf("%s:%u:%u: %s (%s includes it)", t->path, n->line, n->col, msg,
	                                                   ck->top->path)
	                                 : g_strdup_printf("%s:%u:%u: %s", t->path, n->line, n->col, msg);
	g_free(msg);
	if (g_hash_table_add(ck->seen, full))
		g_ptr_array_add(ck->problems, g_strdup(full));
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* members - the value names under prefix ("ticket" -> "ticket.ref, ticket.subject"), at most a few */
static char *
members(checker *ck, const char *prefix)
{
	GPtrArray *names = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, ck->known);
	gsize n = strlen(prefix);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (GPOINTER_TO_INT(v) == VK_VALUE && strncmp(k, prefix, n) == 0 && ((char *)k)[n] == '.')
			g_ptr_array_add(names, k);
	g_ptr_array_sort(names, cmp_str);
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < names->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(names, i));
	g_ptr_array_unref(names);
	return g_string_free(s, FALSE);
}

/* under_any - whether full lies inside an object of any members (captures.*) */
static gboolean
under_any(GHashTable *known, const char *full)
{
	char *s = g_strdup(full);
	gboolean any = FALSE;
	for (char *dot = strrchr(s, '.'); dot && !any; dot = strrchr(s, '.')) {
		*dot = '\0';
		any = GPOINTER_TO_INT(g_hash_table_lookup(known, s)) == VK_ANY;
	}
	g_free(s);
	return any;
}

/* resolve_name - what name means where it is used: the full name ("attachments[].name") and its
 * kind, or 0 when the kind does not provide it (*full then is the name as the outermost scope
 * would read it). Mirrors the renderer's lookup: the first part in the innermost scope that has
 * it, the rest inside that. */
static vk
resolve_name(checker *ck, char **path, char **full)
{
	const char *top = g_ptr_array_index(ck->scopes, ck->scopes->len - 1);
	if (path[0] == NULL) {
		*full = g_strdup(top);
		return VK_VALUE;
	}
	char *rest = g_strjoinv(".", path);
	for (guint i = ck->scopes->len; i-- > 0;) {
		const char *scope = g_ptr_array_index(ck->scopes, i);
		gboolean any = *scope && GPOINTER_TO_INT(g_hash_table_lookup(ck->known, scope)) == VK_ANY;
		char *first = *scope ? g_strconcat(scope, ".", path[0], NULL) : g_strdup(path[0]);
		gboolean has_first = g_hash_table_contains(ck->known, first);
		g_free(first);
		if (!has_first && !any)
			continue;
		*full = *scope ? g_strconcat(scope, ".", rest, NULL) : g_strdup(rest);
		g_free(rest);
		vk k = GPOINTER_TO_INT(g_hash_table_lookup(ck->known, *full));
		return k != 0 ? k : under_any(ck->known, *full) ? VK_VALUE : 0;
	}
	*full = rest;
	return 0;
}

static void
unknown(checker *ck, const ct_tmpl *t, const tn_node *n, const char *full)
{
	char *first = g_strndup(full, strcspn(full, "."));
	char *near = g_hash_table_contains(ck->known, first) ? members(ck, first) : NULL;
	if (ck->custom)
		problem(ck, t, n, TRUE,
		        "unknown variable '%s': %s is no known kind, so it gets only the common variables, ticket.ref, "
		        "ticket.subject, ticket.status, ticket.queue, message.text and the rule's captures.NAME",
		        n->name, ck->kind);
	else if (near && *near)
		problem(ck, t, n, TRUE, "unknown variable '%s': kind %s has no %s (it has %s)", n->name, ck->kind, full, near);
	else
		problem(ck, t, n, TRUE,
		        "unknown variable '%s': kind %s does not provide it (caredesk templates vars %s lists what it does)",
		        n->name, ck->kind, ck->kind);
	g_free(near);
	g_free(first);
}

static void
check_nodes(checker *ck, const ct_tmpl *t, GPtrArray *nodes)
{
	for (guint i = 0; i < nodes->len; i++) {
		const tn_node *n = g_ptr_array_index(nodes, i);
		char *full = NULL;
		vk k = 0;
		switch (n->kind) {
		case TN_TEXT:
			break;
		case TN_VAR:
		case TN_RAW:
			k = resolve_name(ck, n->path, &full);
			if (k == 0) {
				unknown(ck, t, n, full);
			} else if (k == VK_OBJECT || k == VK_ARRAY) {
				char *group = k == VK_ARRAY ? g_strconcat(full, "[]", NULL) : g_strdup(full);
				char *m = members(ck, group);
				g_free(group);
				problem(ck, t, n, TRUE, "'%s' is not a value but a %s (%s): name one of its parts%s", n->name,
				        k == VK_ARRAY ? "list" : "group", m, k == VK_ARRAY ? " inside {{#...}}" : "");
				g_free(m);
			}
			break;
		case TN_SECTION:
		case TN_INVERTED:
			k = resolve_name(ck, n->path, &full);
			if (k == 0)
				unknown(ck, t, n, full);
			if (n->kind == TN_SECTION && n->equals == NULL) {
				g_ptr_array_add(ck->scopes, k == VK_ARRAY ? g_strconcat(full, "[]", NULL) : g_strdup(full));
				check_nodes(ck, t, n->children);
				g_ptr_array_set_size(ck->scopes, ck->scopes->len - 1);
			} else {
				check_nodes(ck, t, n->children);
			}
			break;
		case TN_PARTIAL:
			if (n->partial && ck->partials < CD_TMPL_MAX_PARTIAL_DEPTH) {
				ck->partials++;
				check_nodes(ck, n->partial, n->partial->nodes);
				ck->partials--;
			}
			break;
		}
		g_free(full);
	}
}

/* ---- layout ---- */

static void G_GNUC_PRINTF(2, 3)
layout_problem(checker *ck, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (g_hash_table_add(ck->seen, msg))
		g_ptr_array_add(ck->problems, g_strdup(msg));
}

/* ---- SMS length ---- */

static guint sms_segment_cap = 3;

void
cd_tmpl_check_set_sms_segments(guint cap)
{
	sms_segment_cap = cap ? cap : 3;
}

/* The longest value each variable is expected to have in an SMS (documented in templates/README.md);
 * any other variable counts 20 characters. */
static const struct {
	const char *name;
	guint max;
} sms_var_max[] = {
	{"site.name", 40}, {"site.support_address", 40}, {"site.base_url", 40}, {"customer.name", 40},
	{"customer.email", 60}, {"customer.language", 5}, {"lang", 5}, {"ticket.ref", 8}, {"rma.ref", 10},
	{"ref", 10}, {"ticket.subject", 70}, {"ticket.status", 10}, {"ticket.priority", 8}, {"ticket.queue", 20},
	{"state", 12}, {"rma.status", 12}, {"rma.order_ref", 20}, {"rma.refusal", 100}, {"rma.return_by", 10},
	{"rma.reason", 60}, {"rma.product", 40}, {"activation.code", 7}, {"activation.minutes", 4},
	{"activation.link", 80}, {"message.text", 160}, {"agent.name", 30}, {"keyword", 10},
};

static guint
sms_var_length(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(sms_var_max); i++)
		if (strcmp(sms_var_max[i].name, name) == 0)
			return sms_var_max[i].max;
	return 20;
}

/* sms_worst_text - the template with every section shown and every variable at its longest
 * (GSM-7 letters: a value's own alphabet cannot be known in advance). */
static void
sms_worst_text(const GPtrArray *nodes, GString *out, guint depth)
{
	for (guint i = 0; nodes && i < nodes->len; i++) {
		const tn_node *n = g_ptr_array_index(nodes, i);
		switch (n->kind) {
		case TN_TEXT:
			g_string_append_len(out, n->name, (gssize)n->len);
			break;
		case TN_VAR:
		case TN_RAW:
			for (guint k = sms_var_length(n->name); k > 0; k--)
				g_string_append_c(out, 'x');
			break;
		case TN_SECTION:
		case TN_INVERTED:
			sms_worst_text(n->children, out, depth);
			break;
		case TN_PARTIAL:
			if (n->partial && depth < CD_TMPL_MAX_PARTIAL_DEPTH)
				sms_worst_text(n->partial->nodes, out, depth + 1);
			break;
		}
	}
}

/* check_sms_length - an SMS template that can exceed the segment cap ([sms] max_segments): its
 * text with every variable at its longest expected value takes more segments (GSM-7 160/153,
 * UCS-2 70/67 when its own text needs UCS-2). Reported at the template's first line. */
static void
check_sms_length(checker *ck, const ct_tmpl *t)
{
	GString *text = g_string_new(NULL);
	sms_worst_text(t->nodes, text, 0);
	while (text->len && (text->str[text->len - 1] == '\n' || text->str[text->len - 1] == ' '))
		g_string_truncate(text, text->len - 1);
	cd_sms_size size;
	cd_sms_measure(text->str, &size);
	if (size.segments > sms_segment_cap) {
		tn_node at = {.line = 1, .col = 1};
		problem(ck, t, &at, FALSE,
		        "can take %u SMS segments (%u %s with its variables at their longest), more than the cap of %u "
		        "([sms] max_segments); it would be cut",
		        size.segments, size.units, size.ucs2 ? "UCS-2 units" : "GSM-7 characters", sms_segment_cap);
	}
	g_string_free(text, TRUE);
}

static gboolean
has(cd_tmpl_set *set, const char *channel, const char *lang, const char *kind, const char *ext)
{
	char *key = g_strdup_printf("%s/%s/%s.%s", channel, lang, kind, ext);
	gboolean r = g_hash_table_contains(set->files, key);
	g_free(key);
	return r;
}

static void
check_layout(checker *ck, cd_tmpl_set *set, GPtrArray *all)
{
	for (guint i = 0; i < all->len; i++) {
		const ct_tmpl *t = g_ptr_array_index(all, i);
		if (!t->partial && strcmp(t->ext, "html") == 0 && !has(set, t->channel, t->lang, t->kind, "txt"))
			layout_problem(ck, "%s:1:1: an HTML template needs its text alternative: no %s/%s/%s.txt beside it",
			               t->path, t->channel, t->lang, t->kind);
	}
	static const char *const channels[] = {"email", "sms"};
	for (gsize c = 0; c < G_N_ELEMENTS(channels); c++) {
		const char *ch = channels[c];
		gboolean email = strcmp(ch, "email") == 0;
		for (gsize k = 0; k < G_N_ELEMENTS(kinds); k++) {
			if (!on_channel(kinds[k].channels, ch))
				continue;
			gboolean txt = has(set, ch, "en", kinds[k].kind, "txt");
			gboolean subject = !email || has(set, ch, "en", kinds[k].kind, "subject");
			if (!txt || !subject)
				layout_problem(ck, "%s/en/%s.%s: missing%s: caredesk sends %s (%s), and English is every language's "
				                   "fallback",
				               ch, kinds[k].kind, txt ? "subject" : "txt", !txt && !subject ? " (and its .subject)" : "",
				               kinds[k].kind, kinds[k].what);
		}
	}
	/* kinds of no table entry (or on another channel): the first file of each names the problem */
	GHashTable *done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint i = 0; i < all->len; i++) {
		const ct_tmpl *t = g_ptr_array_index(all, i);
		gssize ki = kind_index(t->kind);
		if (t->partial || (ki >= 0 && on_channel(kinds[ki].channels, t->channel)) ||
		    !g_hash_table_add(done, g_strdup_printf("%s/%s", t->channel, t->kind)))
			continue;
		gboolean email = strcmp(t->channel, "email") == 0;
		if (!has(set, t->channel, "en", t->kind, "txt"))
			layout_problem(ck, "%s:1:1: kind %s has no English text (%s/en/%s.txt), the fallback of every language",
			               t->path, t->kind, t->channel, t->kind);
		else if (email && !has(set, t->channel, "en", t->kind, "subject"))
			layout_problem(ck, "%s:1:1: kind %s has no English subject (%s/en/%s.subject)", t->path, t->kind,
			               t->channel, t->kind);
	}
	g_hash_table_destroy(done);
}

/* by_position - problems by file, then line and column ("FILE: message" first) */
static gint
by_position(gconstpointer a, gconstpointer b, gpointer unused)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	gsize fx = strcspn(x, ":"), fy = strcspn(y, ":");
	int c = strncmp(x, y, MIN(fx, fy));
	if (c != 0 || fx != fy)
		return c != 0 ? c : fx < fy ? -1 : 1;
	const char *rx = x[fx] ? x + fx + 1 : x + fx, *ry = y[fy] ? y + fy + 1 : y + fy;
	guint64 lx = g_ascii_isdigit(*rx) ? g_ascii_strtoull(rx, NULL, 10) : 0;
	guint64 ly = g_ascii_isdigit(*ry) ? g_ascii_strtoull(ry, NULL, 10) : 0;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	const char *cx = strchr(rx, ':'), *cy = strchr(ry, ':');
	guint64 kx = lx && cx ? g_ascii_strtoull(cx + 1, NULL, 10) : 0;
	guint64 ky = ly && cy ? g_ascii_strtoull(cy + 1, NULL, 10) : 0;
	return kx < ky ? -1 : kx > ky;
}

gboolean
cd_tmpl_check_dir_count(const char *dir, GPtrArray *problems, guint *count)
{
	guint before = problems->len;
	checker ck = {.problems = problems, .seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *layout = g_ptr_array_new_with_free_func(g_free);
	GError *error = NULL;
	if (count)
		*count = 0;
	if (!ct_list_files(dir, files, layout, &error)) {
		g_ptr_array_add(problems, g_strdup(error->message));
		g_error_free(error);
		goto out;
	}
	cd_tmpl_set *set = cd_tmpl_set_new();
	for (guint i = 0; i < files->len; i++) {
		const char *rel = g_ptr_array_index(files, i);
		char *text = NULL;
		gsize len = 0;
		ct_tmpl *t = NULL;
		if (ct_read(dir, rel, &text, &len, &error))
			t = ct_parse(rel, text, len, &error);
		if (t == NULL) {
			layout_problem(&ck, "%s", error->message);
			g_clear_error(&error);
			t = ct_empty(rel); /* so that what includes it does not also fail */
		}
		g_hash_table_replace(set->files, t->path, t);
		g_free(text);
	}
	if (count)
		*count = files->len;
	for (guint i = 0; i < layout->len; i++)
		layout_problem(&ck, "%s", (char *)g_ptr_array_index(layout, i));
	GPtrArray *link_errors = g_ptr_array_new_with_free_func(g_free);
	ct_link_all(set, link_errors, FALSE);
	for (guint i = 0; i < link_errors->len; i++)
		layout_problem(&ck, "%s", (char *)g_ptr_array_index(link_errors, i));
	g_ptr_array_unref(link_errors);

	GPtrArray *sorted = g_ptr_array_new();
	for (guint i = 0; i < files->len; i++)
		g_ptr_array_add(sorted, g_hash_table_lookup(set->files, g_ptr_array_index(files, i)));
	for (guint i = 0; i < sorted->len; i++) {
		const ct_tmpl *t = g_ptr_array_index(sorted, i);
		if (t->partial)
			continue; /* checked where included, with the includer's variables */
		const char *const *kv = cd_tmpl_kind_vars(t->kind);
		ck.custom = kv == NULL;
		const char *const *lists[] = {common_vars, kv ? kv : v_custom, NULL};
		ck.known = known_names(lists);
		ck.kind = t->kind;
		ck.top = t;
		ck.scopes = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(ck.scopes, g_strdup(""));
		check_nodes(&ck, t, t->nodes);
		if (strcmp(t->channel, "sms") == 0)
			check_sms_length(&ck, t);
		g_ptr_array_unref(ck.scopes);
		g_hash_table_destroy(ck.known);
	}
	check_layout(&ck, set, sorted);
	g_ptr_array_unref(sorted);
	/* the web pages: their syntax and partials (their variables are the page handlers', no kind's) */
	char *web = g_build_filename(dir, "web", NULL);
	if (g_file_test(web, G_FILE_TEST_IS_DIR)) {
		cd_tmpl_set *pages = cd_tmpl_web_load(dir, &error);
		if (pages == NULL) {
			layout_problem(&ck, "%s", error->message);
			g_clear_error(&error);
		}
		cd_tmpl_set_free(pages);
	}
	g_free(web);
	/* in file order, each file's by position (the caller's own problems stay first) */
	g_qsort_with_data(problems->pdata + before, (gint)(problems->len - before), sizeof(gpointer),
	                  by_position, NULL);
	cd_tmpl_set_free(set);
out:
	g_ptr_array_unref(files);
	g_ptr_array_unref(layout);
	g_hash_table_destroy(ck.seen);
	return problems->len == before;
}

gboolean
cd_tmpl_check_dir(const char *dir, GPtrArray *problems)
{
	return cd_tmpl_check_dir_count(dir, problems, NULL);
}
