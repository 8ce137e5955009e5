/* webtext.h - the words caredesk-web's C code puts on a page (titles, errors, notices) in the
 * reader's language. The page templates are per language already (templates/web/LANG/); these
 * sentences come from the handlers, in English, and are looked up in
 * templates/web/LANG/strings.ini ([strings] English sentence = translation, a GKeyFile), read again
 * when the file changes. A sentence without a translation stays English. */
#ifndef WEB_WEBTEXT_H
#define WEB_WEBTEXT_H

#include <glib.h>

/* webtext_lang - the language to show: lang (the customer's setting) when the templates have it,
 * else the first language of an Accept-Language header that they have, else NULL (English).
 * Newly allocated. */
char *webtext_lang(const char *templates_dir, const char *lang, const char *accept_language);

/* webtext_catalog - lang's sentences (a new reference; NULL for English or without strings.ini):
 * one look at the file for all the sentences of a page. */
GKeyFile *webtext_catalog(const char *templates_dir, const char *lang);

/* webtext_in - english in catalog (newly allocated; a copy of english when it has no translation). */
char *webtext_in(GKeyFile *catalog, const char *english);

/* webtext - english in lang: webtext_catalog and webtext_in for one sentence. */
char *webtext(const char *templates_dir, const char *lang, const char *english);

#endif
