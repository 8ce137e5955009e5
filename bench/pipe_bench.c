/* pipe_bench.c - pipe mode as an MTA drives it: one process per message, C deliveries at once.
 * usage: cd-bench-pipe MAILGW CONCURRENCY FILE...
 * Prints "pipe: N msgs, C at once, S s, R msgs/s, latency median/p90/p99 ms, failures F". */
#include <glib.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int
deliver(const char *mailgw, const char *file)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(file, O_RDONLY);
		if (fd < 0)
			_exit(127);
		dup2(fd, 0);
		close(fd);
		execl(mailgw, mailgw, "pipe", "-r", "support@example.test", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: cd-bench-pipe MAILGW CONCURRENCY FILE...\n");
		return 2;
	}
	const char *mailgw = argv[1];
	int conc = atoi(argv[2]);
	int n = argc - 3;
	int fds[64][2];
	/* the next message to deliver, shared by the workers: arrival order, as an MTA's queue */
	int *next = mmap(NULL, sizeof *next, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*next = 0;
	gint64 t0 = g_get_monotonic_time();
	for (int w = 0; w < conc && w < 64; w++) {
		if (pipe(fds[w]) != 0)
			return 1;
		if (fork() == 0) {
			close(fds[w][0]);
			for (int i; (i = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST)) < n;) {
				gint64 s = g_get_monotonic_time();
				int rc = deliver(mailgw, argv[3 + i]);
				double ms = (g_get_monotonic_time() - s) / 1000.0;
				double rec[2] = {ms, rc};
				if (write(fds[w][1], rec, sizeof rec) != sizeof rec)
					_exit(1);
			}
			_exit(0);
		}
		close(fds[w][1]);
	}
	double *lat = g_new(double, n);
	int got = 0, failures = 0;
	for (int w = 0; w < conc && w < 64; w++) {
		double rec[2];
		while (read(fds[w][0], rec, sizeof rec) == sizeof rec) {
			lat[got++] = rec[0];
			failures += rec[1] != 0;
		}
		close(fds[w][0]);
	}
	while (wait(NULL) > 0)
		;
	double secs = (g_get_monotonic_time() - t0) / 1e6;
	qsort(lat, got, sizeof *lat, cmp_double);
	printf("pipe: %d msgs, %d at once, %.3f s, %.0f msgs/s, latency median %.2f / p90 %.2f / p99 %.2f ms, "
	       "failures %d\n",
	       got, conc, secs, got / secs, got ? lat[got / 2] : 0, got ? lat[got * 9 / 10] : 0,
	       got ? lat[got * 99 / 100] : 0, failures);
	g_free(lat);
	return failures ? 1 : 0;
}
