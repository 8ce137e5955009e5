/* smskw.c - SMS keyword parsing (see smskw.h). */
#include "smskw.h"
#include "util.h"

#include <string.h>

typedef struct {
	const char *word;   /* casefolded */
	const char *lang;
} kw_word;

static const kw_word stop_words[] = {
	{"stop", "en"}, {"stopall", "en"}, {"unsubscribe", "en"}, {"cancel", "en"}, {"end", "en"}, {"quit", "en"},
	{"stopp", "de"}, {"abmelden", "de"}, {"abbestellen", "de"},
	{"arret", "fr"}, {"arrêt", "fr"}, {"désabonner", "fr"}, {"desabonner", "fr"},
	{"baja", "es"}, {"parar", "es"}, {"alto", "es"},
};
static const kw_word start_words[] = {
	{"start", "en"}, {"unstop", "en"}, {"subscribe", "en"},
	{"anmelden", "de"}, {"weiter", "de"},
	{"demarrer", "fr"}, {"démarrer", "fr"}, {"abonner", "fr"},
	{"alta", "es"}, {"iniciar", "es"},
};
static const kw_word help_words[] = {
	{"help", "en"}, {"info", "en"}, {"hilfe", "de"}, {"aide", "fr"}, {"ayuda", "es"},
};
static const kw_word status_words[] = {
	{"status", "en"}, {"statut", "fr"}, {"estado", "es"}, {"stand", "de"},
};

static const char *
find_word(const kw_word *list, gsize n, const char *folded)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(list[i].word, folded) == 0)
			return list[i].lang;
	return NULL;
}

const char *
cd_smskw_name(cd_smskw_kind kind)
{
	static const char *const names[] = {"none", "stop", "start", "help", "status", "rma", "code"};
	return kind < G_N_ELEMENTS(names) ? names[kind] : "?";
}

void
cd_smskw_clear(cd_smskw *kw)
{
	g_free(kw->arg);
	g_free(kw->reason);
	memset(kw, 0, sizeof *kw);
}

/* code_digits - six digits written "123456", "123 456" or "123-456", and nothing else; newly allocated. */
static char *
code_digits(const char *s)
{
	GString *d = g_string_new(NULL);
	int seps = 0;
	for (const char *p = s; *p; p++) {
		if (g_ascii_isdigit(*p))
			g_string_append_c(d, *p);
		else if ((*p == ' ' || *p == '-') && d->len == 3 && seps == 0)
			seps++;
		else
			return g_string_free(d, TRUE), NULL;
	}
	if (d->len != 6)
		return g_string_free(d, TRUE), NULL;
	return g_string_free(d, FALSE);
}

/* strip_code_word - "code 123456", "Code: 123 456", "Aktivierungscode 123456", "código 123456": the digits part. */
static const char *
strip_code_word(const char *folded)
{
	static const char *const words[] = {"activation code", "aktivierungscode", "aktivierung code", "code d'activation",
	                                    "código de activación", "codigo de activacion", "código", "codigo", "code"};
	for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
		gsize n = strlen(words[i]);
		if (strncmp(folded, words[i], n) == 0) {
			const char *p = folded + n;
			while (*p == ' ' || *p == ':')
				p++;
			return p;
		}
	}
	return folded;
}

void
cd_smskw_parse(const char *text, cd_smskw *out)
{
	memset(out, 0, sizeof *out);
	char *clean = cd_utf8_clean(text ? text : "", -1);
	/* one line of words separated by single blanks */
	char **words = g_regex_split_simple("\\s+", g_strstrip(clean), 0, 0);
	GString *norm = g_string_new(NULL);
	for (char **w = words; *w; w++) {
		if (**w == '\0')
			continue;
		if (norm->len)
			g_string_append_c(norm, ' ');
		g_string_append(norm, *w);
	}
	char *folded = g_utf8_casefold(norm->str, -1);
	/* a lone keyword may end in punctuation: "STOP!", "Hilfe?" */
	char *bare = g_strdup(folded);
	gsize len = strlen(bare);
	while (len > 0 && strchr(".!?,;: ", bare[len - 1]))
		bare[--len] = '\0';

	const char *lang;
	if ((lang = find_word(stop_words, G_N_ELEMENTS(stop_words), bare))) {
		out->kind = CD_SMSKW_STOP;
	} else if ((lang = find_word(start_words, G_N_ELEMENTS(start_words), bare))) {
		out->kind = CD_SMSKW_START;
	} else if ((lang = find_word(help_words, G_N_ELEMENTS(help_words), bare))) {
		out->kind = CD_SMSKW_HELP;
	} else {
		char **parts = g_strsplit(bare, " ", 3);
		guint n = g_strv_length(parts);
		if (n == 2 && (lang = find_word(status_words, G_N_ELEMENTS(status_words), parts[0]))) {
			/* the ref as written, upper-cased ASCII: T-000123, RMA-000045 */
			char *ref = g_ascii_strup(parts[1], -1);
			gint64 id;
			if ((id = cd_parse_ref(ref, "RMA")) > 0) {
				out->kind = CD_SMSKW_STATUS;
				out->rma_id = id;
				out->arg = ref;
			} else if ((id = cd_parse_ref(ref, "T")) > 0) {
				out->kind = CD_SMSKW_STATUS;
				out->ticket_id = id;
				out->arg = ref;
			} else {
				g_free(ref);
				lang = NULL;
			}
		} else if (n >= 2 && strcmp(parts[0], "rma") == 0) {
			out->kind = CD_SMSKW_RMA;
			lang = "en";
			/* the order and reason as the customer wrote them (not folded) */
			char **orig = g_strsplit(norm->str, " ", 3);
			out->arg = g_strdup(orig[1]);
			if (orig[1] && orig[2] && *orig[2])
				out->reason = g_strdup(orig[2]);
			g_strfreev(orig);
		} else {
			lang = NULL;
			char *digits = code_digits(strip_code_word(bare));
			if (digits) {
				out->kind = CD_SMSKW_CODE;
				out->arg = digits;
			}
		}
		g_strfreev(parts);
	}
	out->lang = lang;
	g_free(bare);
	g_free(folded);
	g_string_free(norm, TRUE);
	g_strfreev(words);
	g_free(clean);
}
