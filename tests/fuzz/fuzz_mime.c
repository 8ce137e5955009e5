/* fuzz_mime.c - libFuzzer target: a whole message through GMime parsing, charset conversion,
 * HTML to text and sanitising, TNEF and quote stripping (cd_mime_parse), with small limits so
 * that deep and wide structures are reached quickly. */
#include "mime.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cd_mime_options opt;
	cd_mime_options_default(&opt);
	opt.max_attachment_bytes = 4096;
	opt.max_nesting = 3;
	opt.html.max_usec = 200 * 1000;
	cd_message *m = cd_mime_parse(data, size, &opt);
	if (!g_utf8_validate(m->text, -1, NULL) || !g_utf8_validate(m->reply_text, -1, NULL) ||
	    (m->subject && !g_utf8_validate(m->subject, -1, NULL)) || (m->html && !g_utf8_validate(m->html, -1, NULL)))
		__builtin_trap();
	cd_message_free(m);
	return 0;
}
