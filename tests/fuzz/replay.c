/* replay.c - runs a libFuzzer target over files without libFuzzer, for `make check`: every seed
 * and every crash ever found (tests/fuzz/regressions/) is replayed under ASan and UBSan.
 * usage: NAME-replay PATH... (files, or folders read recursively). */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long count;

static void
replay(const char *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		GDir *d = g_dir_open(path, 0, NULL);
		const char *n;
		while (d && (n = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(path, n, NULL);
			replay(p);
			g_free(p);
		}
		if (d)
			g_dir_close(d);
		return;
	}
	char *data;
	gsize len;
	if (!g_file_get_contents(path, &data, &len, NULL))
		return;
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	g_free(data);
	count++;
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		replay(argv[i]);
	printf("replayed %lu inputs\n", count);
	return count > 0 ? 0 : 1;
}
