/* run.c - `caredesk-mailgw run`: the long-running gateway. A supervisor that starts, watches and
 * restarts one child per job: `deliver` (outbound mail), one `imap`/`pop3` per [mailbox.NAME]
 * section of the config, and every minute a `process` (pending messages a crash left behind);
 * the workflow timers (what `caredesk tick` runs) run in the supervisor itself. Children are this same
 * engine, so each job keeps its own database connection and a crash in one touches no other.
 * SIGTERM or SIGINT is passed on to every child; each ends after its current batch commits, so
 * nothing is lost; run waits for all of them and exits 0. */
#include "engine.h"
#include "log.h"
#include "timers.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

typedef struct {
	char *name;        /* for logs: "deliver", "imap support" */
	GPtrArray *argv;   /* char*, NULL-terminated */
	GSubprocess *proc;
	gint64 next_start; /* monotonic µs */
	guint restarts;
} job;

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static job *
job_new(const char *name, const char *config, const char *const *args)
{
	job *j = g_new0(job, 1);
	j->name = g_strdup(name);
	j->argv = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(j->argv, g_file_read_link("/proc/self/exe", NULL));
	g_ptr_array_add(j->argv, g_strdup("-c"));
	g_ptr_array_add(j->argv, g_strdup(config));
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(j->argv, g_strdup(*a));
	g_ptr_array_add(j->argv, NULL);
	return j;
}

static void
job_free(gpointer p)
{
	job *j = p;
	if (j->proc)
		g_object_unref(j->proc);
	g_ptr_array_unref(j->argv);
	g_free(j->name);
	g_free(j);
}

static void
job_start(job *j)
{
	GError *error = NULL;
	j->proc = g_subprocess_newv((const char *const *)j->argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
	if (j->proc == NULL) {
		g_warning("run: cannot start %s: %s", j->name, error->message);
		g_error_free(error);
		j->next_start = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
		return;
	}
	g_message("run: started %s (pid %s)", j->name, g_subprocess_get_identifier(j->proc));
}

/* child_ended - GLib's worker reaps children; the identifier is gone once it did. */
static gboolean
child_ended(job *j)
{
	return j->proc != NULL && g_subprocess_get_identifier(j->proc) == NULL;
}

/* mailbox_jobs - one job per [mailbox.NAME] section with an imap(s):// or pop3(s):// url. */
static void
mailbox_jobs(const cd_config *cfg, const char *config, GPtrArray *jobs)
{
	gsize n = 0;
	char **groups = g_key_file_get_groups(cfg->keyfile, &n);
	for (gsize i = 0; i < n; i++) {
		if (!g_str_has_prefix(groups[i], "mailbox."))
			continue;
		const char *name = groups[i] + strlen("mailbox.");
		char *url = g_key_file_get_string(cfg->keyfile, groups[i], "url", NULL);
		const char *cmd = url == NULL ? NULL
		                  : g_str_has_prefix(url, "imap") ? "imap"
		                  : g_str_has_prefix(url, "pop3") ? "pop3"
		                                                  : NULL;
		if (cmd == NULL) {
			g_warning("run: [%s] has no imap://, imaps://, pop3:// or pop3s:// url; skipped", groups[i]);
		} else {
			const char *args[] = {cmd, "--mailbox", name, NULL};
			char *label = g_strdup_printf("%s %s", cmd, name);
			g_ptr_array_add(jobs, job_new(label, config, args));
			g_free(label);
		}
		g_free(url);
	}
	g_strfreev(groups);
}

static void
run_once(const char *config, const char *what)
{
	const char *args[] = {what, "--quiet", NULL};
	job *j = job_new(what, config, args);
	GError *error = NULL;
	GSubprocess *p = g_subprocess_newv((const char *const *)j->argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
	if (p == NULL) {
		g_warning("run: %s: %s", what, error->message);
		g_error_free(error);
	} else {
		if (!g_subprocess_wait(p, NULL, &error)) {
			g_warning("run: %s: %s", what, error->message);
			g_clear_error(&error);
		} else if (!g_subprocess_get_successful(p)) {
			g_warning("run: %s ended with status %d", what, g_subprocess_get_exit_status(p));
		}
		g_object_unref(p);
	}
	job_free(j);
}

int
engine_run_main(int argc, char **argv)
{
	char *config = NULL;
	gboolean no_deliver = FALSE, verbose = FALSE;
	gint every = 60;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "configuration file", "FILE"},
		{"no-deliver", 0, 0, G_OPTION_ARG_NONE, &no_deliver, "do not send outbound mail from here", NULL},
		{"every", 0, 0, G_OPTION_ARG_INT, &every, "run process and the timers every S seconds (default 60)", "S"},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log more", NULL},
		G_OPTION_ENTRY_NULL,
	};
	GOptionContext *octx = g_option_context_new(
	    "run - the long-running gateway: mailboxes of [mailbox.NAME], outbound delivery, timers");
	g_option_context_add_main_entries(octx, entries, NULL);
	GError *error = NULL;
	if (!g_option_context_parse(octx, &argc, &argv, &error))
		cd_die(EX_USAGE, "%s", error->message);
	g_option_context_free(octx);
	cd_log_set_verbose(verbose);
	engine_ctx e;
	engine_open(&e, config);
	const cd_config *cfg = e.cfg;
	const char *conf_path = cfg->path; /* absolute: the children read the same file */

	GPtrArray *jobs = g_ptr_array_new_with_free_func(job_free);
	/* one deliverer sends mail and SMS ([sms] provider) */
	gboolean sms = g_key_file_has_key(cfg->keyfile, "sms", "provider", NULL) ||
	               g_key_file_has_key(cfg->keyfile, "sms", "transport", NULL);
	if (!no_deliver && (cfg->smtp_url || cfg->sendmail || sms)) {
		const char *args[] = {"deliver", "--quiet", NULL};
		g_ptr_array_add(jobs, job_new("deliver", conf_path, args));
	} else if (!no_deliver) {
		g_warning("run: [mail] has neither smtp_url nor sendmail and [sms] no provider: nothing will be sent");
	}
	mailbox_jobs(cfg, conf_path, jobs);

	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, SIG_IGN); /* the children reload their rules themselves */
	for (guint i = 0; i < jobs->len; i++)
		job_start(g_ptr_array_index(jobs, i));
	gint64 next_periodic = 0;
	GMainContext *mc = g_main_context_default();
	while (!stopping) {
		gint64 now = g_get_monotonic_time();
		if (now >= next_periodic) {
			run_once(conf_path, "process");
			cd_timer_stats ts;
			if (!cd_timers_run(e.store, e.cfg, cd_now(), &ts, &error)) {
				g_warning("run: timers: %s", error->message);
				g_clear_error(&error);
			}
			cd_timer_stats_clear(&ts);
			next_periodic = now + (gint64)MAX(every, 1) * G_USEC_PER_SEC;
		}
		for (guint i = 0; i < jobs->len && !stopping; i++) {
			job *j = g_ptr_array_index(jobs, i);
			if (child_ended(j)) {
				int status = g_subprocess_get_if_exited(j->proc) ? g_subprocess_get_exit_status(j->proc) : -1;
				g_warning("run: %s ended (status %d); restarting", j->name, status);
				g_clear_object(&j->proc);
				j->restarts++;
				guint shift = MIN(j->restarts, 6u);
				j->next_start = g_get_monotonic_time() + ((gint64)1 << shift) * G_USEC_PER_SEC;
			}
			if (j->proc == NULL && g_get_monotonic_time() >= j->next_start)
				job_start(j);
		}
		while (g_main_context_iteration(mc, FALSE))
			;
		g_usleep(G_USEC_PER_SEC / 5);
	}
	g_message("run: stopping %u job(s)", jobs->len);
	for (guint i = 0; i < jobs->len; i++) {
		job *j = g_ptr_array_index(jobs, i);
		if (j->proc)
			g_subprocess_send_signal(j->proc, SIGTERM);
	}
	int code = EX_OK;
	for (guint i = 0; i < jobs->len; i++) {
		job *j = g_ptr_array_index(jobs, i);
		if (j->proc && !g_subprocess_wait(j->proc, NULL, NULL))
			code = EX_TEMPFAIL;
	}
	g_ptr_array_unref(jobs);
	engine_close(&e);
	g_free(config);
	return code;
}
