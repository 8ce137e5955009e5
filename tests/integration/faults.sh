#!/bin/sh
# faults.sh - outbound faults end in retries and no loss (issue 7): the SMTP server down, then back;
# its name not resolving (DNS failure); the database locked while the deliverer records. Each time
# the rows stay queued with their attempt counted and a backoff, nothing is marked failed, and once
# the fault is gone every message reaches the real SMTP sink exactly once.
# (Faults on the way in: pipe_locked.sh, pipe_disk_full.sh, pipe_deferred.sh; an IMAP server
# restarted mid-session: imap_dovecot.sh.)
. "$(dirname "$0")/../lib.sh"
setup_caredesk
SINK_DIR=$(mktemp -d /tmp/cd-sink.XXXXXX)
chmod 755 "$SINK_DIR"
CLEANUP='"$CAREDESK_SHARED/cookbook/smtp-sink-test.sh" stop "$SINK_DIR" >/dev/null 2>&1; rm -rf "$SINK_DIR"'
trap 'eval "$CLEANUP"' EXIT
PORT=2745
sed -i -e "s|^\[mail\]\$|[mail]\nsmtp_url = smtp://127.0.0.1:$PORT/example.test|" -e 's|^backoff_seconds = .*|backoff_seconds = 1|' \
	"$CAREDESK_CONF"
for i in 1 2 3 4 5; do
	printf 'From: c%d@example.org\nTo: support@example.test\nSubject: question %d\nMessage-ID: <f%d@example.org>\n\nHello %d\n' \
		$i $i $i $i >"$T/m$i.eml"
	pipe "$T/m$i.eml"
done
settle
check "five acknowledgements queued" 5 "$(sql "SELECT count(*) FROM outbox WHERE state = 'queued'")"
deliver_rc() { set +e; "$MAILGW" deliver --once --quiet 2>>"$T/deliver.err"; echo $?; set -e; }
sink_count() { find "$SINK_DIR/mail" -type f 2>/dev/null | wc -l; }

# 1. nobody listens on the port
check "server down: deliver exits 0" 0 "$(deliver_rc)"
check "server down: rows stay queued, one attempt each" "queued|1|5" \
	"$(sql "SELECT state, attempts, count(*) FROM outbox GROUP BY state, attempts")"
check "server down: nothing failed" 0 "$(sql "SELECT count(*) FROM outbox WHERE state = 'failed'")"
check "server down: the backoff is recorded" 1 "$(sql "SELECT count(*) > 0 FROM outbox WHERE next_attempt_at > unixepoch() - 1 AND last_error LIKE '%SMTP%'")"
"$CAREDESK" outbox list --state queued | grep -q "question" && ok "outbox list shows the waiting rows" ||
	fail "outbox list: $("$CAREDESK" outbox list --state queued)"

# 2. the server is back: after the backoff, everything goes, once
SMTP_PORT=$PORT "$CAREDESK_SHARED/cookbook/smtp-sink-test.sh" start "$SINK_DIR" >/dev/null
sleep 1.1
check "server back: deliver exits 0" 0 "$(deliver_rc)"
check "server back: every row sent" "sent|5" "$(sql "SELECT state, count(*) FROM outbox GROUP BY state")"
sleep 0.3
check "server back: five messages at the sink" 5 "$(sink_count)"

# 3. DNS failure: the name does not resolve; the rows wait, then go once it resolves again
printf 'From: c9@example.org\nTo: support@example.test\nSubject: dns\nMessage-ID: <f9@example.org>\n\nHello\n' >"$T/m9.eml"
pipe "$T/m9.eml"
settle
sed -i "s|^smtp_url = .*|smtp_url = smtp://no-such-host.invalid:$PORT/example.test|" "$CAREDESK_CONF"
check "DNS failure: deliver exits 0" 0 "$(deliver_rc)"
check "DNS failure: the row stays queued" "queued|1" "$(sql "SELECT state, attempts FROM outbox WHERE subject LIKE '%dns%'")"
sql "SELECT last_error FROM outbox WHERE subject LIKE '%dns%'" | grep -qi "resolve" && ok "DNS failure: the error says so" ||
	fail "DNS failure error: $(sql "SELECT last_error FROM outbox WHERE subject LIKE '%dns%'")"
sed -i "s|^smtp_url = .*|smtp_url = smtp://localhost:$PORT/example.test|" "$CAREDESK_CONF"
sleep 1.1
check "DNS back: sent" "sent|2" "$(deliver_rc >/dev/null; sql "SELECT state, attempts FROM outbox WHERE subject LIKE '%dns%'")"

# 4. the database locked while the deliverer wants to lease: it waits its busy timeout, gives up
#    without sending (exit 75), and a later run sends exactly once
printf 'From: c10@example.org\nTo: support@example.test\nSubject: locked\nMessage-ID: <f10@example.org>\n\nHello\n' >"$T/m10.eml"
pipe "$T/m10.eml"
settle
before=$(sink_count)
hold_db_lock 8
rc=$(deliver_rc)
kill $HOLDER 2>/dev/null || true
wait $HOLDER 2>/dev/null || true
check "locked: deliver exits 75 (temporary)" 75 "$rc"
check "locked: nothing sent" "$before" "$(sink_count)"
check "unlocked: sent" 0 "$(deliver_rc)"
sleep 0.3
check "unlocked: exactly one more at the sink" $((before + 1)) "$(sink_count)"
finish
