/* log.c - log writer for GLib's structured logging (see log.h). */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

static char *log_progname;
static cd_log_target log_target = CD_LOG_STDERR;
static gboolean log_verbose;

static int
syslog_priority(GLogLevelFlags level)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return LOG_ERR;
	if (level & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (level & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (level & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static const char *
field_message(const GLogField *fields, gsize n_fields)
{
	for (gsize i = 0; i < n_fields; i++)
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			return fields[i].value;
	return "";
}

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer unused)
{
	if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !log_verbose)
		return G_LOG_WRITER_HANDLED;
	const char *msg = field_message(fields, n_fields);
	if (log_target == CD_LOG_SYSLOG) {
		syslog(syslog_priority(level), "%s", msg);
		return G_LOG_WRITER_HANDLED;
	}
	const char *tag = "";
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		tag = "error: ";
	else if (level & G_LOG_LEVEL_WARNING)
		tag = "warning: ";
	fprintf(stderr, "%s: %s%s\n", log_progname ? log_progname : "caredesk", tag, msg);
	return G_LOG_WRITER_HANDLED;
}

void
cd_log_init(const char *progname, cd_log_target target)
{
	g_free(log_progname);
	log_progname = g_path_get_basename(progname);
	log_target = target;
	if (target == CD_LOG_SYSLOG)
		openlog(log_progname, LOG_PID, LOG_MAIL);
	if (g_getenv("CAREDESK_DEBUG"))
		log_verbose = TRUE;
	static gsize once;
	if (g_once_init_enter(&once)) {
		g_log_set_writer_func(log_writer, NULL, NULL);
		g_once_init_leave(&once, 1);
	}
}

void
cd_log_set_verbose(gboolean verbose)
{
	log_verbose = verbose;
}

const char *
cd_log_progname(void)
{
	return log_progname ? log_progname : "caredesk";
}

void
cd_die(int exit_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", cd_log_progname(), msg);
	g_free(msg);
	exit(exit_code);
}
