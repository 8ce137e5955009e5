#!/bin/sh
# run_gateway.sh - `caredesk-mailgw run`, the long-running gateway, against a real SMTP sink and a
# real Dovecot: a mail appended to the IMAP mailbox becomes a ticket and its acknowledgement
# reaches the sink, with no other command run; a mail through the pipe is answered too; SIGTERM
# ends the gateway and every child it started, with exit 0.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
SRV=$(mktemp -d /tmp/cd-run.XXXXXX)
chmod 755 "$SRV"
mkdir -p "$SRV/sink" "$SRV/dovecot"
chmod 755 "$SRV/sink" "$SRV/dovecot"
CLEANUP='[ -z "${GW:-}" ] || kill -9 $GW 2>/dev/null || true
"$CAREDESK_SHARED/cookbook/smtp-sink-test.sh" stop "$SRV/sink" >/dev/null 2>&1 || true
"$CAREDESK_SHARED/cookbook/dovecot-test.sh" stop "$SRV/dovecot" >/dev/null 2>&1 || true
rm -rf "$SRV"'
trap 'eval "$CLEANUP"' EXIT
SMTP_PORT=2925 "$CAREDESK_SHARED/cookbook/smtp-sink-test.sh" start "$SRV/sink" >/dev/null
IMAP_PORT=11443 POP3_PORT=11410 "$CAREDESK_SHARED/cookbook/dovecot-test.sh" start "$SRV/dovecot" >/dev/null
. "$SRV/dovecot/env.sh"
printf '%s\n' "$MAIL_PASS" >"$T/cd/imap.pass"
chmod 600 "$T/cd/imap.pass"
python3 - "$CAREDESK_CONF" "$MAIL_USER" <<'PY'
import sys
p, user = sys.argv[1], sys.argv[2]
s = open(p).read().replace("[mail]\n", "[mail]\nsmtp_url = smtp://127.0.0.1:2925/example.test\n", 1)
s += "\n[mailbox.support]\nurl = imap://%s@127.0.0.1:11443/INBOX\npassword_file = imap.pass\npoll = 2\n" % user
open(p, "w").write(s)
PY
"$CAREDESK" agent add ana ana@agents.test "Ana Agent" >/dev/null

"$MAILGW" run --every 2 >"$T/run.log" 2>&1 &
GW=$!
sleep 1
kill -0 $GW 2>/dev/null || { cat "$T/run.log" >&2; die "run did not start"; }

# wait_for DESCRIPTION SECONDS COMMAND...: until the command succeeds
wait_for() {
	what=$1 secs=$2; shift 2
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt $((secs * 10)) ]; then fail "$what (not within $secs s)"; return 1; fi
		sleep 0.1
	done
	ok "$what ($(echo "$i / 10" | bc -l | cut -c1-4) s)"
}
sink_has() { grep -lq "$1" "$SRV/sink/mail/"* 2>/dev/null; }

printf 'From: Erik <erik@example.org>\nTo: support@example.test\nSubject: Via IMAP\nMessage-ID: <imap1@example.org>\n\nHello from IMAP.\n' >"$T/m1.eml"
curl -s "imap://127.0.0.1:11443/INBOX" -u "$MAIL_USER:$MAIL_PASS" -T "$T/m1.eml"
wait_for "IMAP mail became a ticket" 20 sh -c "[ \"\$(sqlite3 '$DB' 'SELECT count(*) FROM tickets')\" = 1 ]"
wait_for "its acknowledgement reached the SMTP sink" 20 sink_has "To: erik@example.org"

printf 'From: Fay <fay@example.org>\nTo: support@example.test\nSubject: Via pipe\nMessage-ID: <pipe1@example.org>\n\nHello from the pipe.\n' >"$T/m2.eml"
pipe "$T/m2.eml"
wait_for "piped mail answered by the running gateway" 20 sink_has "To: fay@example.org"

children=$(pgrep -P $GW | wc -l)
[ "$children" -ge 2 ] && ok "run supervises $children children" || fail "run has $children children"
kill -TERM $GW
i=0
while kill -0 $GW 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $GW 2>/dev/null; then
	fail "run did not end within 15 s of SIGTERM"
else
	set +e; wait $GW; rc=$?; set -e
	check "run exits 0 on SIGTERM" 0 "$rc"
fi
pgrep -f "caredesk-mailgw-engine.*$T/cd" >/dev/null && fail "children left behind" || ok "no children left behind"
GW=
finish
