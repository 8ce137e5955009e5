/* webtext.c - the handlers' sentences in the reader's language (see webtext.h). */
#include "webtext.h"

#include <string.h>
#include <sys/stat.h>

typedef struct {
	GKeyFile *kf;    /* NULL: no strings.ini */
	gint64 mtime;
	gint64 size;
} catalog;

static GMutex lock;
static GHashTable *catalogs; /* "DIR/web/LANG/strings.ini" -> catalog* */

static void
catalog_free(gpointer p)
{
	catalog *c = p;
	if (c->kf)
		g_key_file_unref(c->kf);
	g_free(c);
}

/* has_lang - whether the templates have pages in lang (a two or three letter tag) */
static gboolean
has_lang(const char *templates_dir, const char *lang)
{
	gsize n = lang ? strlen(lang) : 0;
	if (n < 2 || n > 3)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_islower(lang[i]))
			return FALSE;
	char *dir = g_build_filename(templates_dir, "web", lang, NULL);
	gboolean yes = g_file_test(dir, G_FILE_TEST_IS_DIR);
	g_free(dir);
	return yes;
}

/* primary - the primary subtag of a language tag, lower case ("de-AT" -> "de") */
static char *
primary(const char *tag, gssize len)
{
	char *t = g_ascii_strdown(tag, len);
	g_strstrip(t);
	char *dash = strpbrk(t, "-_");
	if (dash)
		*dash = '\0';
	return t;
}

char *
webtext_lang(const char *templates_dir, const char *lang, const char *accept_language)
{
	if (lang && *lang) {
		char *p = primary(lang, -1);
		if (strcmp(p, "en") != 0 && has_lang(templates_dir, p))
			return p;
		g_free(p);
		return NULL; /* the customer chose: English, or a language without pages */
	}
	if (accept_language == NULL)
		return NULL;
	/* browsers list languages by preference; q values only repeat that order */
	char **items = g_strsplit(accept_language, ",", 16);
	char *found = NULL;
	for (char **it = items; *it && found == NULL; it++) {
		char *semi = strchr(*it, ';');
		char *p = primary(*it, semi ? (gssize)(semi - *it) : -1);
		if (strcmp(p, "en") == 0) {
			g_free(p);
			break;
		}
		if (has_lang(templates_dir, p))
			found = p;
		else
			g_free(p);
	}
	g_strfreev(items);
	return found;
}

/* catalog_for - the current catalog of path (read again when the file changed); under lock */
static catalog *
catalog_for(const char *path)
{
	if (catalogs == NULL)
		catalogs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, catalog_free);
	struct stat sb;
	gboolean exists = stat(path, &sb) == 0;
	catalog *c = g_hash_table_lookup(catalogs, path);
	if (c && (exists ? (c->kf && c->mtime == (gint64)sb.st_mtime && c->size == (gint64)sb.st_size) : c->kf == NULL))
		return c;
	c = g_new0(catalog, 1);
	if (exists) {
		c->mtime = (gint64)sb.st_mtime;
		c->size = (gint64)sb.st_size;
		c->kf = g_key_file_new();
		GError *e = NULL;
		if (!g_key_file_load_from_file(c->kf, path, G_KEY_FILE_NONE, &e)) {
			g_warning("%s: %s (its sentences stay English)", path, e->message);
			g_error_free(e);
		}
	}
	g_hash_table_replace(catalogs, g_strdup(path), c);
	return c;
}

GKeyFile *
webtext_catalog(const char *templates_dir, const char *lang)
{
	if (lang == NULL || *lang == '\0' || strcmp(lang, "en") == 0)
		return NULL;
	char *path = g_build_filename(templates_dir, "web", lang, "strings.ini", NULL);
	g_mutex_lock(&lock);
	catalog *c = catalog_for(path);
	GKeyFile *kf = c->kf ? g_key_file_ref(c->kf) : NULL;
	g_mutex_unlock(&lock);
	g_free(path);
	return kf;
}

char *
webtext_in(GKeyFile *kf, const char *english)
{
	if (english == NULL)
		return NULL;
	char *t = kf ? g_key_file_get_string(kf, "strings", english, NULL) : NULL;
	if (t && *t)
		return t;
	g_free(t);
	return g_strdup(english);
}

char *
webtext(const char *templates_dir, const char *lang, const char *english)
{
	GKeyFile *kf = webtext_catalog(templates_dir, lang);
	char *t = webtext_in(kf, english);
	if (kf)
		g_key_file_unref(kf);
	return t;
}
