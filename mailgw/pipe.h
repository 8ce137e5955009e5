/* pipe.h - `caredesk-mailgw pipe`: one message on stdin from the MTA, answered with sysexits.
 *
 * The lean path: read the bytes, store them durably (one transaction, SQLite + GLib only, no
 * GMime loaded), exit 0; the pipeline runs in a background processor. With
 * pipe_processing = sync (or --sync) the pipeline runs before the exit. */
#ifndef MAILGW_PIPE_H
#define MAILGW_PIPE_H

int mailgw_pipe_main(int argc, char **argv);

#endif
