/* template_int.h - what template.c (parser, sets, rendering) shares with template_kinds.c (the
 * kinds table and the checker): the parsed tree, the file layout, listing a folder. Not for other
 * modules: they use template.h. */
#ifndef CD_TEMPLATE_INT_H
#define CD_TEMPLATE_INT_H

#include "template.h"

typedef enum {
	TN_TEXT,     /* literal text */
	TN_VAR,      /* {{name}}: escaped in HTML */
	TN_RAW,      /* {{{name}}} or {{&name}} */
	TN_SECTION,  /* {{#name}} children {{/name}}; {{#name=value}} children {{/name=value}} */
	TN_INVERTED, /* {{^name}} children {{/name}}; {{^name=value}} children {{/name=value}} */
	TN_PARTIAL,  /* {{> name}} */
} tn_kind;

typedef struct ct_tmpl ct_tmpl;

typedef struct {
	tn_kind kind;
	guint line, col;     /* of the tag's first '{' (TEXT: of its first character) */
	char *name;          /* TEXT: the text (len bytes); else the name as written: "ticket.ref", ".", "footer" */
	gsize len;
	char **path;         /* VAR, RAW, SECTION, INVERTED: name split at '.'; empty for "." */
	char *equals;        /* SECTION, INVERTED: {{#name=VALUE}}: VALUE (the section tests, pushes nothing) */
	GPtrArray *children; /* SECTION, INVERTED: tn_node* */
	const ct_tmpl *partial; /* PARTIAL: resolved by link (not owned) */
} tn_node;

typedef enum { TM_TEXT, TM_HTML, TM_LINE } tm_mode;

/* one template file */
struct ct_tmpl {
	char *path;       /* relative to the folder: "email/en/ticket_ack.txt" */
	char *channel;    /* "email" | "sms" */
	char *lang;       /* "en" */
	char *kind;       /* "ticket_ack"; for a partial its name */
	char *ext;        /* "subject" | "txt" | "html" */
	gboolean partial; /* under CHANNEL/partials/ */
	tm_mode mode;
	GPtrArray *nodes; /* tn_node* */
};

struct cd_tmpl_set {
	gint refs;
	GHashTable *files; /* path -> ct_tmpl* */
	gboolean linked;
};

/* ct_classify - split a relative path into its parts; FALSE with *why (static text) when it is
 * not where a template may lie. Any out-parameter may be NULL; the strings are new. */
gboolean ct_classify(const char *path, char **channel, char **lang, char **kind, char **ext, gboolean *partial,
                     const char **why);

/* ct_parse - one file's text; NULL with the FILE:LINE:COL error. */
ct_tmpl *ct_parse(const char *path, const char *text, gsize len, GError **error);
/* ct_empty - a template with no nodes (the checker's stand-in for a file that did not parse). */
ct_tmpl *ct_empty(const char *path);
void ct_free(ct_tmpl *t);

/* ct_link_all - resolve every partial of set and check their depth; each problem (FILE:LINE:COL)
 * is added to errors; with stop_at_first, only the first. TRUE when none. */
gboolean ct_link_all(cd_tmpl_set *set, GPtrArray *errors, gboolean stop_at_first);

/* ct_list_files - the template files under dir (relative paths, sorted), in
 * email/ and sms/. With problems, what lies there but is not a template is reported as
 * "PATH: message" (else skipped). FALSE with CD_ERROR_CONFIG when dir cannot be read. */
gboolean ct_list_files(const char *dir, GPtrArray *files, GPtrArray *problems, GError **error);
/* ct_read - the bytes of dir/rel (at most CD_TMPL_MAX_FILE); FALSE with "REL: message". */
gboolean ct_read(const char *dir, const char *rel, char **text, gsize *len, GError **error);

#endif
