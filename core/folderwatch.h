/* folderwatch.h - the process-wide current object loaded from a folder (the filter rules, the
 * templates): loaded on first use, reloaded when a watched file is added, removed or changed (names,
 * sizes, mtimes and inodes compared at most once a second) or after cd_folder_invalidate(). A load
 * that fails keeps the previous object in force and logs why (g_warning). */
#ifndef CD_FOLDERWATCH_H
#define CD_FOLDERWATCH_H

#include <glib.h>

typedef struct {
	const char *what;                                      /* "rules", "templates": for the log */
	GPtrArray *(*files)(const char *dir, GError **error);  /* the watched names, relative to dir */
	gpointer (*load)(const char *dir, GError **error);
	gpointer (*ref)(gpointer obj);
	void (*unref)(gpointer obj);
	char *(*summary)(gpointer obj);                        /* "12 rules", for the log */
	const char *error_sep;                                 /* between "not loaded" and the error */
} cd_folder_kind;

/* cd_folder_current - a new reference to the object in force for dir, or NULL with the last load
 * error (CD_ERROR_CONFIG) when none ever loaded. Thread-safe. */
gpointer cd_folder_current(const cd_folder_kind *kind, const char *dir, GError **error);

/* cd_folder_invalidate - reload every folder on its next use. Async-signal-safe (a SIGHUP handler
 * may call it: it only bumps a counter). */
void cd_folder_invalidate(void);

#endif
