/* spawn.c - locating and starting the engine (see spawn.h). */
#include "spawn.h"
#include "rawstore.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#define ENGINE_NAME "caredesk-mailgw-engine"

char *
mailgw_engine_path(void)
{
	/* beside this program (build tree), then ../libexec/caredesk relative to it (an installed
	 * tree, wherever it was moved), then the configured libexec folder */
	char *self = g_file_read_link("/proc/self/exe", NULL);
	if (self) {
		char *dir = g_path_get_dirname(self);
		char *candidates[] = {g_build_filename(dir, ENGINE_NAME, NULL),
		                      g_build_filename(dir, "..", "libexec", "caredesk", ENGINE_NAME, NULL)};
		char *found = NULL;
		for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
			if (found == NULL && access(candidates[i], X_OK) == 0)
				found = candidates[i];
			else
				g_free(candidates[i]);
		}
		g_free(dir);
		g_free(self);
		if (found)
			return found;
	}
	return g_build_filename(CAREDESK_LIBEXECDIR, ENGINE_NAME, NULL);
}

void
mailgw_exec_engine(int argc, char **argv)
{
	char *engine = mailgw_engine_path();
	char **args = g_new0(char *, argc + 1);
	args[0] = engine;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	execv(engine, args);
	g_critical("cannot run %s: %s", engine, g_strerror(errno));
	g_free(args);
	g_free(engine);
}

/* detach_stdio - the processor must not hold the MTA's pipes open, or the MTA waits for it. */
static void
detach_stdio(int keep_fd)
{
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (keep_fd != 3) {
		dup2(keep_fd, 3);
		close(keep_fd);
	}
	fcntl(3, F_SETFD, 0); /* inherit the lock across exec */
	closefrom(4);
}

void
mailgw_spawn_processor(const char *config_path, const char *db_path)
{
	GError *error = NULL;
	int fd = cd_proclock_open(db_path, &error);
	if (fd < 0) {
		g_warning("%s: messages stay pending until the next run", error->message);
		g_error_free(error);
		return;
	}
	if (!cd_proclock_try(fd)) {
		/* A processor is running; it looks for pending rows again after it lets go of the lock. */
		close(fd);
		return;
	}
	char *engine = mailgw_engine_path();
	pid_t pid = fork();
	if (pid < 0) {
		g_warning("cannot start the processor: %s; messages stay pending until the next run", g_strerror(errno));
		close(fd);
		g_free(engine);
		return;
	}
	if (pid > 0) {
		close(fd); /* the child's copy keeps the lock */
		g_free(engine);
		return;
	}
	setsid();
	signal(SIGHUP, SIG_IGN);
	detach_stdio(fd);
	char *args[] = {engine, "process", "--lock-fd", "3", "--linger-ms", "20", "--syslog", "-c", (char *)config_path,
	                NULL};
	execv(engine, args);
	_exit(EX_OSERR);
}

int
mailgw_run_engine_sync(char **engine_argv)
{
	pid_t pid = fork();
	if (pid < 0)
		return EX_TEMPFAIL;
	if (pid == 0) {
		execv(engine_argv[0], engine_argv);
		_exit(EX_TEMPFAIL);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return EX_TEMPFAIL;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EX_TEMPFAIL;
}
