#!/bin/sh
# pipe_deferred.sh - deferred pipe mode: exit 0 as soon as the bytes are committed, the background
# processor turns them into tickets by itself (nobody calls `process`), it never holds the MTA's
# pipes open, and two concurrent deliveries (as Postfix runs them) lose nothing. --sync processes
# before the exit.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
N=60
mkdir -p "$T/msgs"
i=0
while [ $i -lt $N ]; do
	printf 'From: user%d@example.org\nTo: support@example.test\nSubject: question %d\nMessage-ID: <q%d@example.org>\n\nHow do I reset device %d?\n' \
		$((i % 7)) $i $i $i >"$T/msgs/$i.eml"
	i=$((i + 1))
done

deliver() { # deliver FIRST STEP: every STEP-th message from FIRST
	j=$1
	while [ $j -lt $N ]; do
		rc=$(pipe_rc "$T/msgs/$j.eml")
		[ "$rc" = 0 ] || echo "$j:$rc" >>"$T/failures"
		j=$((j + $2))
	done
}
start=$(date +%s)
deliver 0 2 &
A=$!
deliver 1 2 &
B=$!
wait $A $B
elapsed=$(($(date +%s) - start))
[ ! -s "$T/failures" ] && ok "all $N deliveries exit 0" || fail "failed deliveries: $(cat "$T/failures")"
# $(...) above waited for EOF on stdout: had a processor kept it open, this would have taken long.
[ "$elapsed" -lt 60 ] && ok "pipe returns without waiting for the processor (${elapsed}s)" || fail "pipe too slow: ${elapsed}s"

i=0
while [ "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")" != 0 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || break
	sleep 0.1
done
check "background processor drained the queue by itself" 0 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"
check "one ticket per message" $N "$(sql 'SELECT count(*) FROM tickets')"
check "seven customers" 7 "$(sql 'SELECT count(*) FROM customers')"
[ ! -e "$DB-process.inflight" ] && ok "no batch left in flight" || fail "in-flight file left behind"

printf 'From: sync@example.org\nTo: support@example.test\nSubject: sync\nMessage-ID: <sync@example.org>\n\nnow\n' >"$T/sync.eml"
pipe "$T/sync.eml" --sync
check "--sync: the ticket exists when pipe exits" 1 "$(sql "SELECT count(*) FROM tickets WHERE subject = 'sync'")"

# Crash recovery. Hold the pipeline lock so that deliveries stay pending, then pretend a processor
# died inside a batch (the in-flight file names the rows) or died twice on one row.
hold_pipeline_lock
printf 'From: crash@example.org\nSubject: survived a crash\nMessage-ID: <c@example.org>\n\nbody\n' >"$T/crash.eml"
printf 'From: poison@example.org\nSubject: poison\nMessage-ID: <p@example.org>\n\nbody\n' >"$T/poison.eml"
pipe "$T/crash.eml"
pipe "$T/poison.eml"
check "held lock: both stay pending" 2 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"
crash=$(sql "SELECT id FROM raw_messages WHERE state = 'pending' ORDER BY id LIMIT 1")
poison=$(sql "SELECT id FROM raw_messages WHERE state = 'pending' ORDER BY id DESC LIMIT 1")
printf '%s\n' "$crash" >"$DB-process.inflight"
sql "UPDATE raw_messages SET attempts = 2 WHERE id = $poison"
kill $LOCKER; wait $LOCKER 2>/dev/null || true
settle 2>"$T/settle.err"
check "row of a crashed batch: attempt counted" 1 "$(sql "SELECT attempts FROM raw_messages WHERE id = $crash")"
check "row of a crashed batch: processed normally" done "$(sql "SELECT state FROM raw_messages WHERE id = $crash")"
check "row of a crashed batch: parsed" 0 "$(sql "SELECT unparsed FROM tickets WHERE subject = 'survived a crash'")"
check "row that crashed twice: taken in" done "$(sql "SELECT state FROM raw_messages WHERE id = $poison")"
check "row that crashed twice: ticket flagged unparsed" 1 "$(sql "SELECT t.unparsed FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.raw_id = $poison")"
grep -q "stopped inside a batch" "$T/settle.err" && ok "recovery is logged" || fail "no recovery warning"
finish
