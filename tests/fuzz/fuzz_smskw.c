/* fuzz_smskw.c - libFuzzer target: SMS keyword parsing (core/smskw.h) and SMS sizing
 * (core/smsenc.h) on arbitrary bytes. Checks: every kind but NONE/STOP/START/HELP carries its
 * argument, valid UTF-8; a STATUS names exactly one of a ticket or an RMA; a CODE is six digits;
 * parsing is case-insensitive (the upper-cased ASCII text parses to the same kind); the segment
 * count agrees with the units, and cd_sms_fit stays within its cap. Seeds: tests/fuzz/seeds/smskw. */
#include "smsenc.h"
#include "smskw.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = g_strndup((const char *)data, size);
	cd_smskw kw;
	cd_smskw_parse(text, &kw);
	switch (kw.kind) {
	case CD_SMSKW_STATUS:
		if (kw.arg == NULL || (kw.ticket_id > 0) == (kw.rma_id > 0))
			__builtin_trap();
		break;
	case CD_SMSKW_RMA:
		if (kw.arg == NULL || !g_utf8_validate(kw.arg, -1, NULL) || (kw.reason && !g_utf8_validate(kw.reason, -1, NULL)))
			__builtin_trap();
		break;
	case CD_SMSKW_CODE:
		if (kw.arg == NULL || strlen(kw.arg) != 6 || strspn(kw.arg, "0123456789") != 6)
			__builtin_trap();
		break;
	default:
		if (kw.kind != CD_SMSKW_NONE && kw.lang == NULL)
			__builtin_trap();
		break;
	}
	char *upper = g_ascii_strup(text, -1);
	cd_smskw again;
	cd_smskw_parse(upper, &again);
	if (again.kind != kw.kind)
		__builtin_trap();
	cd_smskw_clear(&again);
	g_free(upper);
	cd_smskw_clear(&kw);

	cd_sms_size sz;
	cd_sms_measure(text, &sz);
	if (sz.segments != cd_sms_segments_for(sz.ucs2, sz.units) || sz.segments == 0)
		__builtin_trap();
	for (guint cap = 1; cap <= 3; cap++) {
		char *fit = cd_sms_fit(text, cap);
		cd_sms_size f;
		cd_sms_measure(fit, &f);
		if (f.segments > cap)
			__builtin_trap();
		g_free(fit);
	}
	g_free(text);
	return 0;
}
