#!/bin/sh
# postfix_bench.sh BUILD [N] - pipe mode behind a real MTA. Generates N (default 2000) messages
# (bench/gen_messages.py, seed 42, ATTACH_RATE as in run.sh), then measures in one run:
#   (p) a private Postfix (../shared/cookbook/postfix-test.sh, SMTP 2627) whose pipe(8) transport runs
#       `caredesk-mailgw pipe` as nobody: all N sent over one SMTP session (python smtplib), msgs/s
#       from the first send until the last message is processed (ticket committed, none pending);
#   (d) the same N through `caredesk-mailgw pipe` directly (cd-bench-pipe, 2 at once, as run.sh),
#       msgs/s from the first delivery until the last message is processed: the reference;
# and prints both and the ratio p/d. Needs root (the Postfix master starts as root).
set -eu
build=$(cd "$1" && pwd)
n=${2:-2000}
attach=${ATTACH_RATE:-0.2}
bin="$build/bin"
here=$(cd "$(dirname "$0")" && pwd)
cookbook=${CAREDESK_SHARED:-$here/../../shared}/cookbook
[ -x "$cookbook/postfix-test.sh" ] || { echo "postfix_bench: no $cookbook/postfix-test.sh" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "postfix_bench: needs root (the Postfix master starts as root)" >&2; exit 1; }
w="$build/bench-postfix"
if [ -f "$w/postfix/spool/pid/master.pid" ]; then "$cookbook/postfix-test.sh" stop "$w/postfix" >/dev/null 2>&1 || true; fi
rm -rf "$w"
mkdir -p "$w"
chmod 755 "$w"
now() { date +%s.%N; }
rate() { echo "$1 / ($3 - $2)" | bc -l | cut -d. -f1; }
secs() { echo "$2 - $1" | bc -l | awk '{printf "%.2f", $1}'; }

echo "postfix_bench: generating $n messages"
python3 "$here/gen_messages.py" "$w/msgs" "$n" 42 "$attach"
echo "postfix_bench: $(du -sh "$w/msgs" | cut -f1) in $(ls "$w/msgs" | wc -l) files; $(nproc) cores"

# (p) through Postfix
"$bin/caredesk" init "$w/p" --domain example.test >/dev/null
chown -R nobody:nogroup "$w/p"
cat >"$w/gateway.sh" <<EOF
#!/bin/sh
exec "$bin/caredesk-mailgw" -c "$w/p/caredesk.conf" pipe -f "\$1" -r "\$2"
EOF
chmod 755 "$w/gateway.sh"
trap '"$cookbook/postfix-test.sh" stop "$w/postfix" >/dev/null 2>&1 || true' EXIT
SMTP_PORT=2627 GATEWAY_CMD="$w/gateway.sh" GATEWAY_USER=nobody "$cookbook/postfix-test.sh" start "$w/postfix" >"$w/postfix.out"
pdb="$w/p/caredesk.db"
q() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- sqlite3 -cmd ".timeout 5000" "$1" "$2"; }
t0=$(now)
python3 - "$w/msgs" 2627 <<'EOF'
import os, smtplib, sys
d, port = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP("127.0.0.1", port)
for name in sorted(os.listdir(d)):
    with open(os.path.join(d, name), "rb") as f:
        s.sendmail("bench@example.org", ["support@gateway.test"], f.read())
s.quit()
EOF
t_sent=$(now)
# done: every message stored and processed (the detached processor committed the last ticket)
while :; do
	got=$(q "$pdb" "SELECT count(*) || ' ' || sum(state = 'pending') FROM raw_messages" 2>/dev/null || echo "0 0")
	[ "${got% *}" -ge "$n" ] && [ "${got#* }" = 0 ] && break
	sleep 0.05
done
t1=$(now)
p=$(rate "$n" "$t0" "$t1")
deferred=$(grep -c "status=deferred" "$w/postfix/maillog" || true)
sent=$(grep -c "status=sent" "$w/postfix/maillog" || true)
ptickets=$(q "$pdb" "SELECT count(*) FROM tickets")
echo "postfix: $n msgs accepted over SMTP in $(secs "$t0" "$t_sent") s; all processed after $(secs "$t0" "$t1") s: $p msgs/s end to end (status=sent $sent, deferred $deferred, tickets $ptickets)"
"$cookbook/postfix-test.sh" stop "$w/postfix" >/dev/null 2>&1 || true
trap - EXIT

# (d) the same messages through caredesk-mailgw pipe directly, 2 at once
"$bin/caredesk" init "$w/d" --domain example.test >/dev/null
export CAREDESK_CONF="$w/d/caredesk.conf"
t0=$(now)
d_line=$("$bin/cd-bench-pipe" "$bin/caredesk-mailgw" 2 "$w"/msgs/*)
"$bin/caredesk-mailgw" process
t1=$(now)
d=$(rate "$n" "$t0" "$t1")
dtickets=$(sqlite3 "$w/d/caredesk.db" "SELECT count(*) FROM tickets")
echo "$d_line"
echo "direct: all $n processed after $(secs "$t0" "$t1") s: $d msgs/s end to end (tickets $dtickets)"

echo
echo "postfix_bench summary: p (Postfix -> pipe(8) -> caredesk-mailgw pipe) $p msgs/s; d (caredesk-mailgw pipe directly, 2 at once) $d msgs/s"
echo "postfix_bench ratio: p/d = $(echo "$p / $d" | bc -l | cut -c1-4)"
