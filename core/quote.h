/* quote.h - the new text of a reply: quoted history and signature removed.
 *
 * Pure text function, no I/O. Recognises, in many languages, attribution lines
 * ("On <date>, <name> wrote:", "Am ... schrieb ...:", "Le ... a écrit :", ...),
 * "-----Original Message-----" style separators, forwarded-message markers,
 * Outlook/Exchange header blocks (From:/Sent:/To:/Subject: and translations),
 * ">" quoted blocks, the "-- " signature and mobile signatures ("Sent from my iPhone"). */
#ifndef CD_QUOTE_H
#define CD_QUOTE_H

#include <glib.h>

/* cd_quote_strip - return the new text of a reply (newly allocated UTF-8, trimmed of leading/trailing
 * blank lines), without quoted history ("On ... wrote:" in many languages, "-----Original Message-----"
 * and its translations, Outlook/Exchange header blocks "From:/Sent:/To:/Subject:" in many languages,
 * ">" quoted lines, forwarded-message markers) and without the signature ("-- " delimiter, and common
 * mobile signatures like "Sent from my iPhone"). Never returns an empty string when the input has
 * non-quoted text; when everything is quoted it returns the input trimmed.
 * Input may use CRLF, LF or CR line ends; the result uses LF and has trailing blanks removed from
 * every line. Invalid UTF-8 is repaired (U+FFFD) first. NULL input is treated as "". */
char *cd_quote_strip(const char *text);

#endif
