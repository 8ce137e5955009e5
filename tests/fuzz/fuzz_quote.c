/* fuzz_quote.c - libFuzzer target: quoted-reply stripping on arbitrary text. */
#include "quote.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = g_strndup((const char *)data, size);
	char *r = cd_quote_strip(s);
	if (!g_utf8_validate(r, -1, NULL))
		__builtin_trap();
	g_free(r);
	g_free(s);
	return 0;
}
