/* log.h - where the programs' messages go: stderr ("prog: message") or syslog (mail facility).
 *
 * All code logs through GLib (g_message, g_warning, g_info, g_debug); cd_log_init installs
 * the writer. g_warning and g_critical from libraries are caught the same way. */
#ifndef CD_LOG_H
#define CD_LOG_H

#include <glib.h>

typedef enum { CD_LOG_STDERR, CD_LOG_SYSLOG } cd_log_target;

void cd_log_init(const char *progname, cd_log_target target);
void cd_log_set_verbose(gboolean verbose);
const char *cd_log_progname(void);

/* cd_die - print "prog: message" on stderr and exit with a sysexits code. For front ends only. */
G_GNUC_NORETURN G_GNUC_PRINTF(2, 3) void cd_die(int exit_code, const char *fmt, ...);

#endif
