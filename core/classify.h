/* classify.h - the edge facts of a message that decide whether we may ever answer it:
 * auto-replies and bulk mail (RFC 3834), bounces (DSN), and our own mail coming back (X-Loop). */
#ifndef CD_CLASSIFY_H
#define CD_CLASSIFY_H

#include "message.h"

typedef struct {
	gboolean bounce;        /* a delivery status notification: recorded, never opens a ticket */
	gboolean auto_reply;    /* machine-generated: stored, never answered */
	gboolean bulk;          /* list or bulk mail: stored, never answered */
	gboolean loop;          /* carries our own X-Loop: stored, never answered */
	char reason[160];       /* the first fact that decided it, for notes and audit */
} cd_classification;

/* cd_classify - envelope_from: the MTA's sender (NULL unknown, "" the null return path);
 * loop_marker: the value we put in X-Loop on mail we send (our support address). */
void cd_classify(const cd_message *m, const char *envelope_from, const char *loop_marker, cd_classification *out);

/* cd_classification_never_answer - whether no automatic answer may go to this message. */
gboolean cd_classification_never_answer(const cd_classification *c);

#endif
