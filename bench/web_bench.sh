#!/bin/sh
# web_bench.sh BUILD [ORDERS] - the logged-in orders page of caredesk-web under wrk, with ORDERS
# (default 100,000) orders of 10,000 customers in the database (the customer measured has 10 of
# them, each with its lines, as the shop would have). Prints wrk's requests/s and latency
# percentiles (p50, p90, p99). Knobs: SECONDS (10), CONNECTIONS (32), THREADS (2), PORT (18299).
set -eu
build=$(cd "$1" && pwd)
orders=${2:-100000}
secs=${SECONDS_RUN:-10}
conns=${CONNECTIONS:-32}
threads=${THREADS:-2}
port=${PORT:-18299}
bin="$build/bin"
w="$build/bench-work/web"
command -v wrk >/dev/null || { echo "web_bench: wrk missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
rm -rf "$w"
mkdir -p "$w"
"$bin/caredesk" init "$w/cd" --domain example.test >/dev/null
export CAREDESK_CONF="$w/cd/caredesk.conf"
sed -i "s/^listen = .*/listen = 127.0.0.1:$port/; s#^base_url = .*#base_url = http://127.0.0.1:$port#" "$CAREDESK_CONF"
customers=$(( orders < 10000 ? orders : 10000 ))
echo "web_bench: $orders orders of $customers customers"
sqlite3 "$w/cd/caredesk.db" <<SQL
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $customers)
INSERT INTO customers(email, name, status, created_at, updated_at)
SELECT 'c' || x || '@bench.example', 'Customer ' || x, 'active', 0, 0 FROM n;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $orders)
INSERT INTO orders(ref, customer_id, status, currency, total_cents, ordered_at, created_at, updated_at)
SELECT 'B' || x, (x % $customers) + 1, 'paid', 'EUR', 4980, 1700000000 + x * 60, 0, 0 FROM n;
INSERT INTO order_lines(order_id, line_no, sku, description, quantity, unit_price_cents)
SELECT id, 1, 'PX-200', 'PX-200 printer', 1, 3990 FROM orders;
INSERT INTO order_lines(order_id, line_no, sku, description, quantity, unit_price_cents)
SELECT id, 2, 'TN-1', 'Toner', 1, 990 FROM orders;
COMMIT;
SQL
"$bin/caredesk" account password c1@bench.example --password bench-password-1 >/dev/null
"$bin/caredesk-web" </dev/null >"$w/web.log" 2>&1 &
web=$!
trap 'kill $web 2>/dev/null || true' EXIT INT TERM
i=0
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$w/web.log"; exit 1; }
	sleep 0.1
done
jar="$w/jar"
tok=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -c "$jar" -b "$jar" -o /dev/null -d "csrf=$tok&email=c1%40bench.example&password=bench-password-1" \
	"http://127.0.0.1:$port/login"
cookie=$(awk '$6 == "cd_session" || $6 == "cd_pre" {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$jar")
rows=$(curl -s -b "$jar" "http://127.0.0.1:$port/orders" | grep -c '<tr><td><a href="/orders/')
echo "web_bench: logged in; the orders page lists $rows orders"
[ "$rows" -eq $(( orders / customers )) ] || { echo "web_bench: unexpected page" >&2; exit 1; }
cat >"$w/latency.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$w/latency.lua" -H "Cookie: $cookie" "http://127.0.0.1:$port/orders" | tee "$w/wrk.out"
kill $web
wait $web 2>/dev/null || true
trap - EXIT INT TERM
