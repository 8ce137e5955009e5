/* main.c - caredesk-mailgw: every byte that crosses the edge. This front links only SQLite and
 * GLib so that the MTA pipe starts fast; every other subcommand runs in the engine. */
#include "log.h"
#include "pipe.h"
#include "spawn.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: caredesk-mailgw [-c FILE] COMMAND [OPTIONS]\n"
	        "\n"
	        "  pipe [--queue Q] [-f SENDER] [-r RECIPIENT] [--sync]\n"
	        "                      take one message from the MTA on stdin (exit 0, 75 or 77)\n"
	        "  maildir DIR [--queue Q]\n"
	        "                      take in every message of a Maildir (new/ and cur/), then remove them\n"
	        "  imap URL | --mailbox NAME [--folder F] [--move-to FOLDER | --expunge] [--once] [--poll S]\n"
	        "                      take in the messages of an IMAP folder (IDLE), then remove them there\n"
	        "  pop3 URL | --mailbox NAME [--once] [--poll S]\n"
	        "                      take in the messages of a POP3 mailbox, then delete them there\n"
	        "  process [--raw-id N]\n"
	        "                      run the pipeline over stored messages that are still pending\n"
	        "  run [--every S]     the long-running gateway: [mailbox.NAME] mailboxes, delivery, timers\n"
	        "  deliver [--once] [--max N]\n"
	        "                      send queued mail (SMTP or sendmail) and SMS from the outbox, retrying with backoff\n"
	        "  sms-spool DIR       take in the SMS files of an smstools or gammu-smsd incoming folder, then remove them\n"
	        "\n"
	        "Every command takes -c FILE (default: $CAREDESK_CONF, then /etc/caredesk/caredesk.conf)\n"
	        "and --help.\n");
}

int
main(int argc, char **argv)
{
	cd_log_init("caredesk-mailgw", CD_LOG_STDERR);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			/* subcommands that run in the engine answer --help there */
			const char *cmd = cd_argv_word(argc, argv, 1);
			if (cmd == NULL) {
				usage(stdout);
				return EX_OK;
			}
			break;
		}
	const char *cmd = cd_argv_word(argc, argv, 1);
	if (cmd == NULL) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(cmd, "pipe") == 0)
		return mailgw_pipe_main(argc, argv);
	mailgw_exec_engine(argc, argv);
	return EX_UNAVAILABLE;
}
