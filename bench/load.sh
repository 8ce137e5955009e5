#!/bin/sh
# load.sh BUILD [N] - mail and web at once (issue 7): N (default 10,000) generated messages through
# a private Postfix (../shared/cookbook/postfix-test.sh, SMTP $SMTP_PORT, default 2637) into
# `caredesk-mailgw pipe` while caredesk-web serves a logged-in customer's orders page to wrk the
# whole time, on the same database. Then checks: every message stored exactly once and processed
# (none pending, Postfix delivered all N, none deferred for good), and no 5xx (no non-2xx/3xx
# answer at all) from the web view. Prints the mail rate end to end and the web rate and latency
# under load, each against a reference measured in the same run without the other load (web alone
# for 5 s before the mail starts). Exit 1 when a message is lost or the web answered an error.
# Needs root (the Postfix master starts as root); the gateway and the web view run as nobody.
set -eu
build=$(cd "$1" && pwd)
n=${2:-10000}
port=${WEB_PORT:-18290}
smtp=${SMTP_PORT:-2637}
bin="$build/bin"
here=$(cd "$(dirname "$0")" && pwd)
cookbook=${CAREDESK_SHARED:-$here/../../shared}/cookbook
[ "$(id -u)" = 0 ] || { echo "load: needs root (the Postfix master starts as root)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "load: wrk missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
w="${LOAD_WORK:-$build/bench-load}"
if [ -f "$w/postfix/spool/pid/master.pid" ]; then "$cookbook/postfix-test.sh" stop "$w/postfix" >/dev/null 2>&1 || true; fi
rm -rf "$w"
mkdir -p "$w"
chmod 755 "$w"
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | awk '{printf "%.2f", $1}'; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
q() { as_nobody sqlite3 -cmd ".timeout 5000" "$w/cd/caredesk.db" "$1"; }

echo "load: generating $n messages"
python3 "$here/gen_messages.py" "$w/msgs" "$n" 17 "${ATTACH_RATE:-0.2}"
"$bin/caredesk" init "$w/cd" --domain example.test >/dev/null
conf="$w/cd/caredesk.conf"
sed -i "s/^listen = .*/listen = 127.0.0.1:$port/; s#^base_url = .*#base_url = http://127.0.0.1:$port#" "$conf"
# a shop's customer with 20 orders, logged in on the web while the mail flows
sqlite3 "$w/cd/caredesk.db" <<'SQL'
BEGIN;
INSERT INTO customers(email, name, status, created_at, updated_at) VALUES ('web@load.example', 'Web Customer', 'active', 0, 0);
WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k WHERE x < 20)
INSERT INTO orders(ref, customer_id, status, currency, total_cents, ordered_at, created_at, updated_at)
SELECT 'L' || x, 1, 'paid', 'EUR', 4980, 1700000000 + x * 60, 0, 0 FROM k;
INSERT INTO order_lines(order_id, line_no, sku, description, quantity, unit_price_cents)
SELECT id, 1, 'PX-200', 'PX-200 printer', 1, 4980 FROM orders;
COMMIT;
SQL
CAREDESK_CONF="$conf" "$bin/caredesk" account password web@load.example --password load-password-1 >/dev/null
chown -R nobody:nogroup "$w/cd"
cat >"$w/gateway.sh" <<EOF
#!/bin/sh
exec "$bin/caredesk-mailgw" -c "$conf" pipe -f "\$1" -r "\$2"
EOF
chmod 755 "$w/gateway.sh"
web=""
trap '[ -z "$web" ] || { kill $web 2>/dev/null; wait $web 2>/dev/null; } || true; "$cookbook/postfix-test.sh" stop "$w/postfix" >/dev/null 2>&1 || true' EXIT
SMTP_PORT=$smtp GATEWAY_CMD="$w/gateway.sh" GATEWAY_USER=nobody "$cookbook/postfix-test.sh" start "$w/postfix" >"$w/postfix.out"
# started directly (not through the shell function) so that $! is the server itself
CAREDESK_CONF="$conf" setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$bin/caredesk-web" </dev/null >"$w/web.log" 2>&1 &
web=$!
i=0
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 200 ] || { cat "$w/web.log" >&2; exit 1; }
	sleep 0.1
done
jar="$w/jar"
tok=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -c "$jar" -b "$jar" -o /dev/null -d "csrf=$tok&email=web%40load.example&password=load-password-1" "http://127.0.0.1:$port/login"
cookie=$(awk '$6 == "cd_session" || $6 == "cd_pre" {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$jar")
rows=$(curl -s -b "$jar" "http://127.0.0.1:$port/orders" | grep -c '<tr><td><a href="/orders/' || true)
[ "$rows" -eq 20 ] || { echo "load: the logged-in orders page lists $rows orders, not 20" >&2; exit 1; }
cat >"$w/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %.3f %.3f\n", summary.requests, e.status, e.connect + e.read + e.write,
    e.timeout, latency:percentile(99) / 1000, summary.duration / 1e6))
end
LUA
wrk_run() { wrk -t2 -c16 -d"$1"s -s "$w/report.lua" -H "Cookie: $cookie" "http://127.0.0.1:$port/orders" | sed -n 's/^WRK //p'; }

# reference: the web view alone
set -- $(wrk_run 5)
ref_rps=$(echo "$1 / $6" | bc -l | cut -d. -f1) ref_p99=$5
echo "load: web alone: $ref_rps req/s, p99 $ref_p99 ms (errors: status $2, socket $3, timeouts $4)"
errors=$(( $2 + $3 + $4 ))

# mail through Postfix while wrk runs in 2-second rounds until every message is processed
t0=$(now)
python3 - "$w/msgs" "$smtp" >"$w/smtp.out" 2>&1 <<'EOF' &
import os, smtplib, sys
d, port = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP("127.0.0.1", port)
for name in sorted(os.listdir(d)):
    with open(os.path.join(d, name), "rb") as f:
        s.sendmail("load@example.org", ["support@gateway.test"], f.read())
s.quit()
EOF
sender=$!
# a watcher notes the moment the last message is processed (the web rounds are coarser)
(
	while :; do
		got=$(q "SELECT count(*) || ' ' || coalesce(sum(state = 'pending'), 0) FROM raw_messages" 2>/dev/null || echo "0 0")
		if [ "${got% *}" -ge "$n" ] && [ "${got#* }" = 0 ]; then now >"$w/done"; exit 0; fi
		sleep 0.1
	done
) &
watcher=$!
reqs=0 dur=0 p99max=0 rounds=0
while [ ! -f "$w/done" ]; do
	[ $rounds -lt 1800 ] || { echo "load: gave up after an hour" >&2; kill $watcher; break; }
	set -- $(wrk_run 2)
	rounds=$((rounds + 1)) reqs=$((reqs + $1)) errors=$((errors + $2 + $3 + $4))
	dur=$(echo "$dur + $6" | bc -l)
	p99max=$(echo "$5 $p99max" | awk '{print ($1 > $2) ? $1 : $2}')
	[ "$2" = 0 ] || echo "load: round $rounds: $2 answers with an error status"
done
t1=$(cat "$w/done" 2>/dev/null || now)
wait $sender || { cat "$w/smtp.out" >&2; echo "load: the SMTP client failed" >&2; }
mail_rate=$(echo "$n / ($t1 - $t0)" | bc -l | cut -d. -f1)
web_rps=$(echo "$reqs / $dur" | bc -l | cut -d. -f1)
stored=$(q "SELECT count(*) FROM raw_messages")
distinct=$(q "SELECT count(DISTINCT sha256) FROM raw_messages")
pending=$(q "SELECT count(*) FROM raw_messages WHERE state = 'pending'")
tickets=$(q "SELECT count(*) FROM tickets")
sent=$(grep -c "status=sent" "$w/postfix/maillog" || true)
bounced=$(grep -c "status=bounced" "$w/postfix/maillog" || true)
deferred=$(grep -c "status=deferred" "$w/postfix/maillog" || true)
echo "load: mail: $n messages through Postfix in $(secs "$t0" "$t1") s, $mail_rate msgs/s end to end; stored $stored ($distinct distinct), pending $pending, tickets $tickets; Postfix sent $sent, bounced $bounced, deferred (retried) $deferred"
echo "load: web under mail load: $web_rps req/s over $rounds rounds, worst p99 $p99max ms; reference alone $ref_rps req/s, p99 $ref_p99 ms; ratio $(echo "$web_rps / $ref_rps" | bc -l | cut -c1-4)"
echo "load: web errors (non-2xx/3xx answers, socket errors, timeouts): $errors"
status=0
[ "$stored" = "$n" ] && [ "$distinct" = "$n" ] && [ "$pending" = 0 ] && [ "$sent" = "$n" ] && [ "$bounced" = 0 ] ||
	{ echo "load: FAIL: messages lost or doubled" >&2; status=1; }
[ "$errors" = 0 ] || { echo "load: FAIL: the web view answered $errors errors under load" >&2; status=1; }
[ $status = 0 ] && echo "load: no message lost, no web error"
exit $status
