#!/bin/sh
# maildir.sh - draining a Maildir: every message becomes a ticket or joins one (in arrival order,
# so a reply in the same batch threads), files are removed only after commit, tmp/ is left alone,
# a second drain of the same files is a no-op, and a drain killed with SIGKILL mid-way and run
# again leaves every message in the database exactly once and the Maildir empty.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
MD="$T/Maildir"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
n=0
for f in "$CAREDESK_SRC"/demo/mail/0[1-4]*.eml; do
	n=$((n + 1))
	cp "$f" "$MD/new/170000000$n.M$n.host"
done
cp "$CAREDESK_SRC/demo/mail/01-new-request.eml" "$MD/tmp/1700000009.Mtmp.host"
"$MAILGW" maildir "$MD" >"$T/out"
cat "$T/out"
check "new/ emptied" 0 "$(ls "$MD/new" | wc -l)"
check "tmp/ untouched" 1 "$(ls "$MD/tmp" | wc -l)"
check "three tickets (the reply joined the first)" 3 "$(sql 'SELECT count(*) FROM tickets')"
check "reply threaded in the same batch" in-reply-to "$(sql "SELECT threaded_by FROM messages WHERE message_id = 'req-2@mail.example.org'")"

cp "$CAREDESK_SRC/demo/mail/01-new-request.eml" "$MD/cur/1700000001.M1.host:2,S"
"$MAILGW" maildir "$MD" >/dev/null
check "re-drain of a committed message: no new rows" 4 "$(sql 'SELECT count(*) FROM messages')"
check "cur/ emptied" 0 "$(ls "$MD/cur" | wc -l)"

# SIGKILL in the middle of a large drain, then drain again.
sed -i 's/^batch_size = .*/batch_size = 50/' "$CAREDESK_CONF"
N=3000
i=0
while [ $i -lt $N ]; do
	printf 'From: bulk%d@example.org\nTo: support@example.test\nSubject: order %d\nMessage-ID: <bulk-%d@example.org>\n\nWhere is my order %d?\n' \
		$((i % 50)) $i $i $i >"$MD/new/1800000000.B$i.host"
	i=$((i + 1))
done
# kill -9 at growing delays until the Maildir is empty; count the kills that hit a drain mid-way
kills=0 attempt=0
while [ "$(ls "$MD/new" | wc -l)" -gt 0 ] && [ $attempt -lt 40 ]; do
	attempt=$((attempt + 1))
	before=$(ls "$MD/new" | wc -l)
	"$MAILGW" maildir "$MD" --quiet &
	P=$!
	sleep "0.$(printf '%02d' $((attempt * 2)))"
	kill -9 $P 2>/dev/null || true
	wait $P 2>/dev/null || true
	after=$(ls "$MD/new" | wc -l)
	[ "$after" -gt 0 ] && [ "$after" -lt "$before" ] && kills=$((kills + 1))
done
echo "SIGKILL hit $kills drain(s) mid-way in $attempt attempts; $(ls "$MD/new" | wc -l) files left"
[ $kills -ge 2 ] && ok "at least two drains killed mid-way ($kills)" || fail "only $kills drains killed mid-way"
"$MAILGW" maildir "$MD" --quiet
check "Maildir empty after the final drain" 0 "$(ls "$MD/new" | wc -l)"
check "every bulk message stored once" $N "$(sql "SELECT count(*) FROM messages WHERE message_id LIKE 'bulk-%'")"
check "every bulk message a distinct raw row" $N "$(sql "SELECT count(DISTINCT m.raw_id) FROM messages m WHERE message_id LIKE 'bulk-%'")"
check "no pending rows" 0 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"
finish
