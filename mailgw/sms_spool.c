/* sms_spool.c - `caredesk-mailgw sms-spool DIR`: take in the SMS an smstools or gammu-smsd modem
 * daemon left in its incoming folder, one transaction per message, removing a file only after the
 * transaction that holds it committed (the model is maildir.c).
 *
 * smstools files: a header block ("From: 491701234567", "Alphabet: ISO|GSM|UCS2|UTF-8",
 * "UDH-DATA: 05 00 03 RR NN II" on a part of a concatenated message), a blank line, the text
 * (UCS-2 big-endian for UCS2, ISO-8859-15 for ISO/GSM). gammu-smsd files: the text alone (UTF-16
 * with a byte-order mark, or UTF-8), the sender in the name IN<date>_<time>_<serial>_<sender>_<part>.txt.
 * Parts of one concatenated message are taken in together, joined in order, once all are there;
 * until then they stay in the folder. */
#include "engine.h"
#include "ingest_sms.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

typedef struct {
	char *path;
	char *from;
	char *text;      /* UTF-8 */
	char *group;     /* parts of one message share it; NULL for a whole message */
	guint part, parts;
} spool_file;

static void
spool_file_free(gpointer p)
{
	spool_file *f = p;
	g_free(f->path);
	g_free(f->from);
	g_free(f->text);
	g_free(f->group);
	g_free(f);
}

static char *
to_utf8(const char *data, gsize len, const char *charset)
{
	char *out = g_convert(data, (gssize)len, "UTF-8", charset, NULL, NULL, NULL);
	if (out == NULL)
		out = cd_utf8_clean(data, (gssize)len);
	return out;
}

/* parse_smstools - header lines up to the first blank line, then the text. */
static gboolean
parse_smstools(spool_file *f, const char *data, gsize len)
{
	const char *body = NULL;
	for (const char *p = data; p < data + len;) {
		const char *nl = memchr(p, '\n', (gsize)(data + len - p));
		const char *end = nl ? nl : data + len;
		gsize n = (gsize)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			body = nl ? nl + 1 : data + len;
			break;
		}
		const char *colon = memchr(p, ':', n);
		if (colon == NULL)
			return FALSE;
		p = nl ? nl + 1 : data + len;
	}
	if (body == NULL)
		return FALSE;
	char *head = g_strndup(data, (gsize)(body - data));
	char **lines = g_strsplit(head, "\n", -1);
	char *alphabet = NULL, *udh = NULL;
	for (char **l = lines; *l; l++) {
		char *colon = strchr(*l, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		char *name = g_strstrip(*l), *value = g_strstrip(colon + 1);
		if (g_ascii_strcasecmp(name, "From") == 0)
			/* smstools writes international numbers without their + */
			f->from = g_ascii_isdigit(value[0]) && value[0] != '0' ? g_strconcat("+", value, NULL) : g_strdup(value);
		else if (g_ascii_strcasecmp(name, "Alphabet") == 0)
			alphabet = g_strdup(value);
		else if (g_ascii_strcasecmp(name, "UDH-DATA") == 0)
			udh = g_strdup(value);
	}
	gsize blen = (gsize)(data + len - body);
	if (alphabet && g_ascii_strncasecmp(alphabet, "UCS", 3) == 0)
		f->text = to_utf8(body, blen, "UTF-16BE");
	else if (alphabet && (g_ascii_strcasecmp(alphabet, "ISO") == 0 || g_ascii_strcasecmp(alphabet, "GSM") == 0 ||
	                      g_ascii_strncasecmp(alphabet, "Latin", 5) == 0))
		f->text = to_utf8(body, blen, "ISO-8859-15");
	else
		f->text = cd_utf8_clean(body, (gssize)blen);
	/* concatenation: IEI 00 (8-bit reference) or 08 (16-bit reference) */
	if (udh) {
		guint b[16], n = 0;
		char **hex = g_strsplit(g_strstrip(udh), " ", -1);
		for (char **h = hex; *h && n < G_N_ELEMENTS(b); h++)
			if (**h)
				b[n++] = (guint)g_ascii_strtoull(*h, NULL, 16);
		g_strfreev(hex);
		if (n >= 6 && b[1] == 0x00 && b[2] == 3) {
			f->group = g_strdup_printf("%s/%u", f->from ? f->from : "", b[3]);
			f->parts = b[4];
			f->part = b[5];
		} else if (n >= 7 && b[1] == 0x08 && b[2] == 4) {
			f->group = g_strdup_printf("%s/%u", f->from ? f->from : "", b[3] * 256 + b[4]);
			f->parts = b[5];
			f->part = b[6];
		}
	}
	g_free(alphabet);
	g_free(udh);
	g_strfreev(lines);
	g_free(head);
	return f->from != NULL;
}

/* parse_gammu - IN<date>_<time>_<serial>_<sender>_<part>.txt */
static gboolean
parse_gammu(spool_file *f, const char *name, const char *data, gsize len)
{
	if (!g_str_has_prefix(name, "IN") || !g_str_has_suffix(name, ".txt"))
		return FALSE;
	char *stem = g_strndup(name, strlen(name) - 4);
	char **parts = g_strsplit(stem, "_", -1);
	guint n = g_strv_length(parts);
	gboolean ok = n >= 5;
	if (ok) {
		f->from = g_strdup(parts[n - 2]);
		f->part = (guint)g_ascii_strtoull(parts[n - 1], NULL, 10);
		char *last = strrchr(stem, '_');
		f->group = g_strndup(stem, (gsize)(last - stem));
		f->parts = 0; /* unknown: every part with the same stem present now */
		if (len >= 2 && (guchar)data[0] == 0xFF && (guchar)data[1] == 0xFE)
			f->text = to_utf8(data + 2, len - 2, "UTF-16LE");
		else if (len >= 2 && (guchar)data[0] == 0xFE && (guchar)data[1] == 0xFF)
			f->text = to_utf8(data + 2, len - 2, "UTF-16BE");
		else
			f->text = cd_utf8_clean(data, (gssize)len);
	}
	g_strfreev(parts);
	g_free(stem);
	return ok;
}

static spool_file *
load(const char *dir, const char *name)
{
	spool_file *f = g_new0(spool_file, 1);
	f->path = g_build_filename(dir, name, NULL);
	char *data = NULL;
	gsize len = 0;
	gboolean ok = g_file_get_contents(f->path, &data, &len, NULL) &&
	              (parse_gammu(f, name, data, len) || parse_smstools(f, data, len));
	g_free(data);
	if (!ok) {
		g_warning("%s: not an smstools or gammu SMS file (left in place)", f->path);
		spool_file_free(f);
		return NULL;
	}
	return f;
}

static gint
by_part(gconstpointer a, gconstpointer b)
{
	const spool_file *x = *(spool_file *const *)a, *y = *(spool_file *const *)b;
	return x->part < y->part ? -1 : x->part > y->part;
}

/* by_name - files in name order (smstools and gammu names start with the modem and the time) */
static gint
by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
	guint files, taken, duplicates, waiting, failed;
} spool_stats;

/* take_group - one message (its files), committed, then its files removed. FALSE on a transient error. */
static gboolean
take_group(engine_ctx *e, GPtrArray *files, spool_stats *st, GError **error)
{
	g_ptr_array_sort(files, by_part);
	GString *text = g_string_new(NULL);
	for (guint i = 0; i < files->len; i++) {
		const char *part = ((spool_file *)g_ptr_array_index(files, i))->text;
		gsize n = strlen(part);
		/* a part's file may end in a line break that is not part of the text */
		if (files->len > 1 && n > 0 && part[n - 1] == '\n')
			n--;
		g_string_append_len(text, part, (gssize)n);
	}
	const spool_file *first = g_ptr_array_index(files, 0);
	char *ref = g_path_get_basename(first->path);
	cd_sms_in in = {.from = first->from, .text = text->str, .source = "sms-spool", .provider_id = ref};
	cd_sms_outcome out;
	engine_reload_rules(e);
	gboolean ok = cd_sms_take_in(&e->ingest, &in, &out, error);
	if (ok) {
		st->taken++;
		st->duplicates += out.duplicate;
		for (guint i = 0; i < files->len; i++) {
			const char *path = ((spool_file *)g_ptr_array_index(files, i))->path;
			if (unlink(path) != 0 && errno != ENOENT)
				g_warning("committed but cannot remove %s: %s (taking it in again will be a no-op)", path,
				          g_strerror(errno));
		}
	}
	g_free(ref);
	g_string_free(text, TRUE);
	return ok;
}

static gboolean
drain(engine_ctx *e, const char *dir, spool_stats *st, GError **error)
{
	GError *e2 = NULL;
	GDir *d = g_dir_open(dir, 0, &e2);
	if (d == NULL) {
		g_set_error(error, CD_ERROR, CD_ERROR_TEMP, "%s", e2->message);
		g_error_free(e2);
		return FALSE;
	}
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL)
		if (name[0] != '.')
			g_ptr_array_add(names, g_strdup(name));
	g_dir_close(d);
	g_ptr_array_sort(names, by_name);
	/* whole messages in name order; parts gathered by group */
	GHashTable *groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	GPtrArray *order = g_ptr_array_new_with_free_func(g_free); /* group keys, first seen first */
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < names->len; i++) {
		spool_file *f = load(dir, g_ptr_array_index(names, i));
		if (f == NULL) {
			st->failed++;
			continue;
		}
		st->files++;
		char *key = f->group ? g_strdup(f->group) : g_strdup_printf("file:%s", f->path);
		GPtrArray *list = g_hash_table_lookup(groups, key);
		if (list == NULL) {
			list = g_ptr_array_new_with_free_func(spool_file_free);
			g_hash_table_insert(groups, g_strdup(key), list);
			g_ptr_array_add(order, key);
		} else {
			g_free(key);
		}
		g_ptr_array_add(list, f);
	}
	for (guint i = 0; ok && i < order->len; i++) {
		GPtrArray *list = g_hash_table_lookup(groups, g_ptr_array_index(order, i));
		const spool_file *first = g_ptr_array_index(list, 0);
		if (first->parts > 0 && list->len < first->parts) {
			st->waiting += list->len; /* the other parts have not arrived yet */
			continue;
		}
		ok = take_group(e, list, st, error);
	}
	g_ptr_array_unref(order);
	g_hash_table_unref(groups);
	g_ptr_array_unref(names);
	return ok;
}

int
engine_sms_spool_main(int argc, char **argv)
{
	char *config = NULL;
	gboolean verbose = FALSE, quiet = FALSE;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		{"quiet", 0, 0, G_OPTION_ARG_NONE, &quiet, "no summary line", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log more", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx =
	    g_option_context_new("sms-spool DIR - take in the SMS files of an smstools or gammu-smsd incoming folder");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	cd_log_set_verbose(verbose);
	const char *dir = NULL;
	for (int i = 1; i + 1 < argc && dir == NULL; i++)
		if (strcmp(argv[i], "sms-spool") == 0)
			dir = argv[i + 1];
	if (dir == NULL)
		cd_die(EX_USAGE, "sms-spool: which directory? (caredesk-mailgw sms-spool DIR)");
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		cd_die(EX_NOINPUT, "%s is not a directory", dir);
	engine_ctx e;
	engine_open(&e, config);
	spool_stats st = {0};
	int code = EX_OK;
	if (!drain(&e, dir, &st, &error)) {
		g_warning("%s (uncommitted SMS stay in the folder)", error->message);
		code = engine_exit_code(error);
		g_error_free(error);
	}
	if (!quiet)
		printf("sms-spool %s: %u files, %u messages taken in (%u seen before), %u parts waiting, %u unreadable\n", dir,
		       st.files, st.taken, st.duplicates, st.waiting, st.failed);
	engine_close(&e);
	g_free(config);
	return code;
}
