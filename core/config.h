/* config.h - caredesk.conf (GLib key file): locating it, reading it, defaults.
 *
 * Paths in the file are relative to the file's own folder. Modules that own a section
 * (web, sms, ...) may read more keys from cfg->keyfile. */
#ifndef CD_CONFIG_H
#define CD_CONFIG_H

#include <glib.h>

typedef struct {
	char *path;               /* absolute path of the file read */
	char *dir;                /* its folder: the base of relative paths */
	GKeyFile *keyfile;

	/* [caredesk] */
	char *database;           /* absolute */
	char *secret_key_path;    /* absolute */
	char *domain;
	char *support_address;
	char *filters_dir;        /* absolute */
	char *templates_dir;      /* absolute */
	int busy_timeout_ms;

	/* [mail] */
	gint64 max_attachment_bytes;
	gint64 max_message_bytes;
	guint max_nesting;
	gboolean pipe_sync;       /* pipe_processing = sync: process before exiting */
	guint batch_size;         /* messages per transaction in batch sources */
	gint64 html_max_bytes;
	gint64 html_max_usec;
	char *smtp_url;
	char *sendmail;

	/* [web] */
	char *web_listen;
	char *web_base_url;
} cd_config;

/* cd_config_locate - the file to read: explicit, else $CAREDESK_CONF, else /etc/caredesk/caredesk.conf. */
const char *cd_config_locate(const char *explicit_path);

cd_config *cd_config_load(const char *explicit_path, GError **error);
void cd_config_free(cd_config *cfg);

/* cd_config_resolve - a path from the file, made absolute against the file's folder. */
char *cd_config_resolve(const cd_config *cfg, const char *value);

/* Keys of sections other modules own: cd_config_str - the trimmed value, else def (copied; NULL
 * allowed) when missing or empty; cd_config_int - the number, def when missing, an error
 * (CD_ERROR_CONFIG naming the file, section and key) when it is not a number >= min;
 * cd_config_file_text - the content (trailing blanks and line breaks cut) of the file a key names (relative to the config),
 * NULL when the key is not set, an error when the file cannot be read. */
char *cd_config_str(const cd_config *cfg, const char *group, const char *key, const char *def);
gboolean cd_config_int(const cd_config *cfg, const char *group, const char *key, gint64 def, gint64 min, gint64 *out,
                       GError **error);
gboolean cd_config_file_text(const cd_config *cfg, const char *group, const char *key, char **out, GError **error);

/* cd_config_write_default - the file that `caredesk init DIR` writes. */
char *cd_config_default_text(const char *domain);

#endif
