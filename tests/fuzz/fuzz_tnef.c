/* fuzz_tnef.c - libFuzzer target: winmail.dat (TNEF) extraction on arbitrary bytes. */
#include "tnef.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *error = NULL;
	GPtrArray *files = cd_tnef_extract(data, size, &error);
	if (files)
		g_ptr_array_unref(files);
	g_clear_error(&error);
	return 0;
}
