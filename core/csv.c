/* csv.c - an RFC 4180 reader with line numbers and per-record errors (see csv.h). */
#include "csv.h"
#include "result.h"

#include <string.h>

struct cd_csv {
	const char *p;
	const char *end;
	guint line;       /* line of *p */
	const char *bol;  /* start of that line, for columns */
};

cd_csv *
cd_csv_new(const char *data, gsize len)
{
	cd_csv *c = g_new0(cd_csv, 1);
	c->p = data;
	c->end = data + len;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		c->p += 3;
	c->line = 1;
	c->bol = c->p;
	return c;
}

void
cd_csv_free(cd_csv *csv)
{
	g_free(csv);
}

/* newline - the length of a line break at p (CRLF, LF or a lone CR), 0 when none. */
static int
newline(const cd_csv *c, const char *p)
{
	if (p >= c->end)
		return 0;
	if (*p == '\n')
		return 1;
	if (*p == '\r')
		return p + 1 < c->end && p[1] == '\n' ? 2 : 1;
	return 0;
}

static void
advance_line(cd_csv *c, int nl)
{
	c->p += nl;
	c->line++;
	c->bol = c->p;
}

/* skip_rest - after an error: on to the start of the next line. */
static void
skip_rest(cd_csv *c)
{
	while (c->p < c->end) {
		int nl = newline(c, c->p);
		if (nl) {
			advance_line(c, nl);
			return;
		}
		c->p++;
	}
}

/* fail - a malformed record: the error, the fields complete so far in *out, on to the next line. */
static gboolean
fail(cd_csv *c, GPtrArray *fields, GString *field, char ***out, GError **error, const char *what)
{
	g_set_error(error, CD_ERROR, CD_ERROR_INVALID, "%u:%ld: %s", c->line, (long)(c->p - c->bol) + 1, what);
	skip_rest(c);
	g_string_free(field, TRUE);
	g_ptr_array_add(fields, NULL);
	*out = (char **)g_ptr_array_free(fields, FALSE);
	return FALSE;
}

gboolean
cd_csv_next(cd_csv *c, char ***out, guint *line, GError **error)
{
	*out = NULL;
	/* empty lines between records are no records */
	int nl;
	while ((nl = newline(c, c->p)) != 0)
		advance_line(c, nl);
	*line = c->line;
	if (c->p >= c->end)
		return TRUE;
	GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
	GString *field = g_string_new(NULL);
	for (;;) {
		if (c->p < c->end && *c->p == '"') {
			guint open_line = c->line;
			long open_col = (long)(c->p - c->bol) + 1;
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					g_set_error(error, CD_ERROR, CD_ERROR_INVALID,
					            "%u:%ld: the quote opened here is never closed", open_line, open_col);
					g_string_free(field, TRUE);
					g_ptr_array_add(fields, NULL);
					*out = (char **)g_ptr_array_free(fields, FALSE);
					return FALSE;
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						g_string_append_c(field, '"');
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if ((nl = newline(c, c->p)) != 0) {
					g_string_append_len(field, c->p, nl);
					advance_line(c, nl);
					continue;
				}
				g_string_append_c(field, *c->p++);
			}
			if (c->p < c->end && *c->p != ',' && !newline(c, c->p))
				return fail(c, fields, field, out, error, "text after a closing quote (quote the whole field)");
		} else {
			while (c->p < c->end && *c->p != ',' && !newline(c, c->p)) {
				if (*c->p == '"')
					return fail(c, fields, field, out, error,
					            "a quote inside an unquoted field (quote the field and double the quote)");
				g_string_append_c(field, *c->p++);
			}
		}
		g_ptr_array_add(fields, g_string_free(field, FALSE));
		field = NULL;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			field = g_string_new(NULL);
			continue;
		}
		if ((nl = newline(c, c->p)) != 0)
			advance_line(c, nl);
		break;
	}
	g_ptr_array_add(fields, NULL);
	*out = (char **)g_ptr_array_free(fields, FALSE);
	return TRUE;
}
