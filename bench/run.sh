#!/bin/sh
# run.sh BUILD [N] - the ingest benchmark (make bench). Generates N (default 10000) realistic
# messages (ATTACH_RATE=0.2 of them with an attachment), then measures in one run, on this machine:
#   (a) GMime parse-only throughput, one thread (the reference); also caredesk's whole parse on one
#       thread, and on the drain's parse threads with nothing written (the ceiling of b)
#   (b) caredesk-mailgw maildir: drain of all N messages, synchronous=FULL
#   (c) caredesk-mailgw pipe: one process per message, two deliveries at once (as Postfix runs
#       them); latency per delivery, and the time until the background processor has finished
# and prints msgs/s for each and the ratios b/a and c/a. Absolute figures drift on shared
# machines; the ratios are the comparable numbers.
set -eu
build=$(cd "$1" && pwd)
n=${2:-10000}
attach=${ATTACH_RATE:-0.2}
bin="$build/bin"
here=$(cd "$(dirname "$0")" && pwd)
w="$build/bench-work"
rm -rf "$w"
mkdir -p "$w"
echo "bench: generating $n messages"
python3 "$here/gen_messages.py" "$w/msgs" "$n" 42 "$attach"
echo "bench: $(du -sh "$w/msgs" | cut -f1) in $(ls "$w/msgs" | wc -l) files; $(nproc) cores"

a_line=$("$bin/cd-bench-parse" --gmime "$w/msgs")
"$bin/cd-bench-parse" --gmime-decode "$w/msgs"
echo "$a_line"
a=$(echo "$a_line" | sed 's/.* \([0-9]*\) msgs\/s/\1/')
"$bin/cd-bench-parse" "$w/msgs"
# the most (b) could be: the drain's parse threads with a consumer that writes nothing
pool_line=$("$bin/cd-bench-parse" --pool "$w/msgs")
echo "$pool_line"
pool=$(echo "$pool_line" | sed 's/.* \([0-9]*\) msgs\/s/\1/')

# (b) Maildir drain
"$bin/caredesk" init "$w/b" --domain example.test >/dev/null
mkdir -p "$w/b/Maildir/new" "$w/b/Maildir/cur" "$w/b/Maildir/tmp"
cp "$w"/msgs/* "$w/b/Maildir/new/"
sync
t0=$(date +%s.%N)
CAREDESK_CONF="$w/b/caredesk.conf" "$bin/caredesk-mailgw" maildir "$w/b/Maildir"
t1=$(date +%s.%N)
b=$(echo "$n / ($t1 - $t0)" | bc -l | cut -d. -f1)
echo "maildir: $n msgs, $(echo "$t1 - $t0" | bc -l | cut -c1-6) s, $b msgs/s"

# (c) pipe mode, two at once
"$bin/caredesk" init "$w/c" --domain example.test >/dev/null
export CAREDESK_CONF="$w/c/caredesk.conf"
t0=$(date +%s.%N)
c_line=$("$bin/cd-bench-pipe" "$bin/caredesk-mailgw" 2 "$w"/msgs/*)
"$bin/caredesk-mailgw" process
t1=$(date +%s.%N)
echo "$c_line"
c=$(echo "$c_line" | sed 's/.*s, \([0-9]*\) msgs\/s.*/\1/')
done_rate=$(echo "$n / ($t1 - $t0)" | bc -l | cut -d. -f1)
tickets=$(sqlite3 "$w/c/caredesk.db" "SELECT count(*) FROM tickets")
pending=$(sqlite3 "$w/c/caredesk.db" "SELECT count(*) FROM raw_messages WHERE state = 'pending'")
echo "pipe: all $n processed (tickets $tickets, pending $pending) at $done_rate msgs/s end to end"

echo
echo "bench summary: a (GMime parse, 1 thread) $a msgs/s; b (maildir) $b msgs/s; c (pipe, 2 at once) $c msgs/s"
echo "bench ratios: b/a = $(echo "$b / $a" | bc -l | cut -c1-4); c/a = $(echo "$c / $a" | bc -l | cut -c1-5)"
echo "bench ceiling: parsing alone on the drain's threads, nothing written, $pool msgs/s = $(echo "$pool / $a" | bc -l | cut -c1-4) of a"

echo
echo "== filter rules (bench/rules_bench.sh)"
sh "$here/rules_bench.sh" "$build" 2000 | tail -6
echo
echo "== outbound delivery (bench/outbox_bench.sh)"
sh "$here/outbox_bench.sh" "$build" 2000 | tail -3
echo
echo "== mail through Postfix while the web view serves wrk (bench/load.sh; needs root)"
[ "$(id -u)" != 0 ] || sh "$here/load.sh" "$build" "$n" | grep "^load: "
echo
echo "== pipe mode through a real Postfix (bench/postfix_bench.sh; needs root)"
[ "$(id -u)" != 0 ] || sh "$here/postfix_bench.sh" "$build" "$n" | tail -4
