/* quote_rate.c - exact-match rate of cd_quote_strip() on the reply-stripping corpora.
 *
 * Usage: quote_rate CORPUS_DIR [--min-rate 0.NN] [-v]
 *
 * Suites, in this order (each a directory under CORPUS_DIR, searched recursively):
 *   github-email_reply_parser zapier-email-reply-parser willdurand-EmailReplyParser
 *   discourse-email_reply_trimmer mailgun-talon
 *
 * Fixture selection rule (see CORPUS_DIR/MANIFEST.md, "Expectation file conventions"):
 *   a fixture is every file NAME.expected.txt for which the plain-text input NAME.txt, or a full
 *   message NAME.eml, exists in the same directory. This takes exactly the plain-text expectations
 *   of kind exact, derived-exact and first-fragment (184 files over the five suites), and leaves out:
 *   NAME.expected-html.txt and html_replies/NAME.expected.txt (their input is HTML, NAME.html),
 *   NAME.expected.custom-config.txt (needs an extra upstream pattern), NAME.elided.txt /
 *   NAME.embedded.txt / NAME.before.txt (other outputs of the discourse trimmer),
 *   signature/NAME.expected.txt (talon signature extraction; its input is NAME.body.txt), and
 *   fixtures with only partial (regex/fragment-count) assertions, which have no expected file.
 *   For NAME.eml (talon standard_replies) the input is the first text/plain part of the message,
 *   transfer-decoded and converted to UTF-8 by GMime.
 * A fixture matches when cd_quote_strip(input) equals NAME.expected.txt after both are trimmed of
 * leading and trailing whitespace. Files are visited in sorted order, so the output is deterministic.
 *
 * Prints "suite: matched/total (pct%)" per suite and "total: matched/total (pct%)"; with -v, every
 * failure with the expected and the produced text. Exits 1 when the total rate is below --min-rate
 * (a fraction, e.g. 0.93), 2 on usage or I/O errors, else 0. */
#include "quote.h"

#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const suites[] = {
	"github-email_reply_parser", "zapier-email-reply-parser", "willdurand-EmailReplyParser",
	"discourse-email_reply_trimmer", "mailgun-talon",
};

#define EXPECTED_SUFFIX ".expected.txt"

/* collect_expected_files - append (sorted later) every *.expected.txt path below dir */
static void
collect_expected_files(const char *dir, GPtrArray *paths)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	if (d == NULL)
		return;
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);
		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			collect_expected_files(path, paths);
			g_free(path);
		} else if (g_str_has_suffix(name, EXPECTED_SUFFIX)) {
			g_ptr_array_add(paths, path);
		} else {
			g_free(path);
		}
	}
	g_dir_close(d);
}

/* compare_paths - qsort comparator for a GPtrArray of strings */
static gint
compare_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* first_text_plain - the first text/plain part of a message, transfer-decoded, in UTF-8 (NULL if none) */
static char *
first_text_plain(GMimeObject *obj)
{
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		return inner != NULL ? first_text_plain(g_mime_message_get_mime_part(inner)) : NULL;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int count = g_mime_multipart_get_count(mp);
		for (int k = 0; k < count; k++) {
			char *t = first_text_plain(g_mime_multipart_get_part(mp, k));
			if (t != NULL)
				return t;
		}
		return NULL;
	}
	if (GMIME_IS_TEXT_PART(obj)) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		if (ct == NULL || g_mime_content_type_is_type(ct, "text", "plain"))
			return g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
	}
	return NULL;
}

/* read_eml_text - the reply text of a full message file */
static char *
read_eml_text(const char *path)
{
	GMimeStream *stream = g_mime_stream_fs_open(path, O_RDONLY, 0, NULL);
	if (stream == NULL)
		return NULL;
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	char *text = NULL;
	if (msg != NULL) {
		text = first_text_plain(g_mime_message_get_mime_part(msg));
		g_object_unref(msg);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	return text;
}

/* read_input - the input of a fixture: NAME.txt or NAME.eml next to NAME.expected.txt; NULL if neither */
static char *
read_input(const char *expected_path)
{
	gsize base_len = strlen(expected_path) - strlen(EXPECTED_SUFFIX);
	char *base = g_strndup(expected_path, base_len);
	char *txt = g_strconcat(base, ".txt", NULL);
	char *eml = g_strconcat(base, ".eml", NULL);
	char *data = NULL;
	if (g_file_test(txt, G_FILE_TEST_IS_REGULAR)) {
		if (!g_file_get_contents(txt, &data, NULL, NULL))
			data = NULL;
	} else if (g_file_test(eml, G_FILE_TEST_IS_REGULAR)) {
		data = read_eml_text(eml);
		if (data == NULL)
			data = g_strdup("");
	}
	g_free(base);
	g_free(txt);
	g_free(eml);
	return data;
}

int
main(int argc, char **argv)
{
	const char *corpus = NULL;
	double min_rate = 0.0;
	gboolean verbose = FALSE;
	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "-v") == 0) {
			verbose = TRUE;
		} else if (strcmp(argv[k], "--min-rate") == 0 && k + 1 < argc) {
			char *end = NULL;
			min_rate = g_ascii_strtod(argv[++k], &end);
			if (end == NULL || *end != '\0' || min_rate < 0.0 || min_rate > 1.0) {
				fprintf(stderr, "quote_rate: bad --min-rate '%s'\n", argv[k]);
				return 2;
			}
		} else if (corpus == NULL && argv[k][0] != '-') {
			corpus = argv[k];
		} else {
			corpus = NULL;
			break;
		}
	}
	if (corpus == NULL) {
		fprintf(stderr, "usage: quote_rate CORPUS_DIR [--min-rate 0.NN] [-v]\n");
		return 2;
	}
	g_mime_init();

	guint all_ok = 0, all_total = 0;
	for (gsize s = 0; s < G_N_ELEMENTS(suites); s++) {
		char *dir = g_build_filename(corpus, suites[s], NULL);
		if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
			fprintf(stderr, "quote_rate: missing suite directory %s\n", dir);
			g_free(dir);
			return 2;
		}
		GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
		collect_expected_files(dir, paths);
		g_ptr_array_sort(paths, compare_paths);
		guint ok = 0, total = 0;
		for (guint k = 0; k < paths->len; k++) {
			const char *exp_path = g_ptr_array_index(paths, k);
			char *input = read_input(exp_path);
			if (input == NULL)
				continue; /* not a plain-text fixture (see the selection rule above) */
			char *expected = NULL;
			if (!g_file_get_contents(exp_path, &expected, NULL, NULL)) {
				fprintf(stderr, "quote_rate: cannot read %s\n", exp_path);
				return 2;
			}
			char *got = cd_quote_strip(input);
			char *got_trim = g_strstrip(g_strdup(got));
			g_strstrip(expected);
			total++;
			if (strcmp(got_trim, expected) == 0) {
				ok++;
			} else if (verbose) {
				printf("FAIL %s\n--- expected\n%s\n--- got\n%s\n---\n\n", exp_path + strlen(corpus) + 1,
				       expected, got_trim);
			}
			g_free(got_trim);
			g_free(got);
			g_free(expected);
			g_free(input);
		}
		printf("%s: %u/%u (%.1f%%)\n", suites[s], ok, total, total ? 100.0 * ok / total : 0.0);
		all_ok += ok;
		all_total += total;
		g_ptr_array_free(paths, TRUE);
		g_free(dir);
	}
	double rate = all_total ? (double)all_ok / all_total : 0.0;
	printf("total: %u/%u (%.1f%%)\n", all_ok, all_total, 100.0 * rate);
	g_mime_shutdown();
	if (rate < min_rate) {
		fprintf(stderr, "quote_rate: total rate %.4f is below --min-rate %.4f\n", rate, min_rate);
		return 1;
	}
	return 0;
}
