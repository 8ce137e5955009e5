/* tnef.h - the files inside an Outlook winmail.dat (application/ms-tnef), on libytnef.
 *
 * Owns TNEF decoding: the attachments Outlook wrapped in winmail.dat, and its message
 * body (RTF, HTML or plain text). The blob is checked and cleaned before libytnef sees
 * it, so that libytnef never reaches one of its error paths (which print on stdout and
 * leak); the compressed RTF body is decompressed here (MS-OXRTFCP), bounded. */
#ifndef CD_TNEF_H
#define CD_TNEF_H

#include <glib.h>

typedef struct {
	char *filename;       /* valid UTF-8, no directory part, never NULL or empty */
	char *content_type;   /* e.g. "application/pdf"; "text/plain; charset=utf-8" for body.txt */
	GBytes *data;
} cd_tnef_file;

void cd_tnef_file_free(cd_tnef_file *f);

/* cd_tnef_extract - the files inside a TNEF blob (application/ms-tnef, winmail.dat), in order, as a
 * GPtrArray of cd_tnef_file* (free func set); also the message body when the TNEF holds one (RTF or
 * plain/HTML body) as an extra file "body.rtf"/"body.txt"/"body.html". NULL and *error set when the blob is
 * not TNEF or is damaged. Never crashes on hostile input.
 *
 * Attachments come first, in TNEF order, named by their long file name (else the 8.3 title);
 * an attachment itself called body.txt/body.html/body.rtf is renamed "attachment-body.*".
 * Then the bodies that are present, in the order body.txt (UTF-8), body.html, body.rtf.
 * Errors are CD_ERROR / CD_ERROR_INVALID (result.h). Thread-safe. */
GPtrArray *cd_tnef_extract(const guint8 *data, gsize len, GError **error);

#endif
