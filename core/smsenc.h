/* smsenc.h - how long an SMS is: whether its text fits the GSM 03.38 7-bit alphabet (basic table,
 * plus the extension table whose characters ^ { } \ [ ] ~ | € and form feed take two septets) or
 * must go as UCS-2 (UTF-16 units: a character outside the BMP, such as most emoji, takes two),
 * and how many segments that makes: 160 septets or 70 units in one SMS, 153 or 67 per part of a
 * concatenated one (the rest of each part is its UDH). Used by the outbox (segment cap), by
 * delivery (Kannel coding) and by `caredesk templates check`. */
#ifndef CD_SMSENC_H
#define CD_SMSENC_H

#include <glib.h>

typedef struct {
	gboolean ucs2;     /* TRUE: some character is not in GSM-7 */
	guint units;       /* septets (GSM-7) or UTF-16 code units (UCS-2) */
	guint segments;    /* SMS it takes (1 for the empty text) */
} cd_sms_size;

/* cd_sms_measure - the size of text (UTF-8; invalid bytes count as one UCS-2 unit each). */
void cd_sms_measure(const char *text, cd_sms_size *out);

/* cd_sms_segments_for - segments for units of the given coding. */
guint cd_sms_segments_for(gboolean ucs2, guint units);

/* cd_sms_fit - text cut (at a character, with "..." at the end) so it takes at most max_segments;
 * a copy of text when it already fits. max_segments 0 means no cap. */
char *cd_sms_fit(const char *text, guint max_segments);

#endif
