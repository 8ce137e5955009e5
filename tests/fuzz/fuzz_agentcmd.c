/* fuzz_agentcmd.c - libFuzzer target: the parser of commands in an agent's reply (core/agentcmd.h)
 * on arbitrary bytes. Checks: an error names its line; a parse yields at most the command limit,
 * each with a word, a line, its source and NULL-terminated args; body and args are valid UTF-8;
 * without #note, the body parsed again has no commands and is itself. Seeds: any text file. */
#include "agentcmd.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *text = g_strndup((const char *)data, size);
	cd_acmd_block b;
	GError *error = NULL;
	if (!cd_acmd_parse(text, &b, &error)) {
		if (error == NULL || strncmp(error->message, "line ", 5) != 0 || b.cmds == NULL || b.cmds->len != 0)
			__builtin_trap();
		g_error_free(error);
		cd_acmd_block_clear(&b);
		g_free(text);
		return 0;
	}
	if (error != NULL || b.body == NULL || b.cmds->len > CD_ACMD_MAX_COMMANDS || !g_utf8_validate(b.body, -1, NULL))
		__builtin_trap();
	gboolean note = FALSE;
	guint last_line = 0;
	for (guint i = 0; i < b.cmds->len; i++) {
		cd_acmd *c = g_ptr_array_index(b.cmds, i);
		if (c->word == NULL || c->source == NULL || c->args == NULL || c->line <= last_line)
			__builtin_trap();
		last_line = c->line;
		for (char **a = c->args; *a; a++)
			if (!g_utf8_validate(*a, -1, NULL))
				__builtin_trap();
		if (c->kind == CD_ACMD_NOTE)
			note = TRUE;
		if (c->kind == CD_ACMD_CUSTOMER && (b.customer == NULL || strcmp(b.customer, c->args[0]) != 0))
			__builtin_trap();
	}
	if (note != b.internal)
		__builtin_trap();
	if (!note) {
		cd_acmd_block again;
		if (!cd_acmd_parse(b.body, &again, NULL) || again.cmds->len != 0 || strcmp(again.body, b.body) != 0)
			__builtin_trap();
		cd_acmd_block_clear(&again);
	}
	cd_acmd_block_clear(&b);
	g_free(text);
	return 0;
}
