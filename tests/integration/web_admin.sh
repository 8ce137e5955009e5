#!/bin/sh
# web_admin.sh - the admin pages of caredesk-web with curl: `caredesk agent password`, agents log
# in at /admin/login (same answer for an unknown login, a wrong password and an inactive agent;
# the login guard locks an agent after repeated failures), customers' and agents' sessions stay
# apart both ways, /admin/reports shows the figures of `caredesk report --json` on a crafted
# dataset, the chart is a valid SVG with its title, the CSV download is `caredesk report --csv`,
# CSRF is required on every POST, names are escaped, and logout ends the agent's session.
. "$(dirname "$0")/../lib.sh"
WEB_PORT=18240
. "$CAREDESK_SRC/tests/web_lib.sh"
setup_caredesk

# --- a small dataset: tickets per queue on 2026-06-01 and 2026-06-02 ---
d1=1780272000   # 2026-06-01T00:00:00Z
d2=$((d1 + 86400))
sql "INSERT INTO queues(name, sla_minutes, created_at) VALUES ('returns', 60, 0);"
sql "INSERT INTO customers(email, status, created_at, updated_at) VALUES ('c1@example.org', 'active', $d1, $d1);"
support=$(sql "SELECT id FROM queues WHERE name <> 'returns' ORDER BY id LIMIT 1")
returns=$(sql "SELECT id FROM queues WHERE name = 'returns'")
for t in 3600 7200 10800; do
	sql "INSERT INTO tickets(customer_id, queue_id, subject, created_at, updated_at) VALUES (1, $support, 's', $((d1 + t)), $((d1 + t)));"
done
sql "INSERT INTO tickets(customer_id, queue_id, subject, status, created_at, updated_at, closed_at) VALUES (1, $support, 's', 'closed', $((d1 + 60)), $((d2 + 60)), $((d2 + 60)));"
sql "INSERT INTO tickets(customer_id, queue_id, subject, created_at, updated_at) VALUES (1, $returns, 'r', $((d2 + 5)), $((d2 + 5)));"
sql "INSERT INTO tickets(customer_id, queue_id, subject, created_at, updated_at) VALUES (1, $returns, 'r', $((d2 + 9)), $((d2 + 9)));"

# --- agents and their passwords ---
"$CAREDESK" agent add ana ana@example.test "Ana <b>Agent</b>" >/dev/null
"$CAREDESK" agent add ina ina@example.test "Ina Inactive" >/dev/null
"$CAREDESK" agent add root root@example.test "Rhea Admin" --role admin >/dev/null
"$CAREDESK" agent add lee lee@example.test "Lee Locked" >/dev/null
"$CAREDESK" agent password lee --password lee-password-1 >/dev/null
out=$("$CAREDESK" agent password ana --password ana-password-1)
check "agent password set" "password of agent ana set" "$out"
echo ina-password-1 | "$CAREDESK" agent password ina >/dev/null
"$CAREDESK" agent password root --password root-password-1 >/dev/null
case "$(sql "SELECT password_hash FROM agents WHERE login = 'ana'")" in
'$argon2id$'*) ok "agent password stored as argon2id" ;;
*) fail "agent password hash" ;;
esac
check "agent password audited" 4 "$(sql "SELECT count(*) FROM audit_events WHERE entity = 'agent' AND action = 'password'")"
set +e
"$CAREDESK" agent password nobody --password whatever-123 >/dev/null 2>&1; rc=$?
"$CAREDESK" agent password ana --password short >/dev/null 2>&1; rc2=$?
set -e
check "unknown agent refused" 66 "$rc"
check "short password refused" 64 "$rc2"
sql "UPDATE agents SET active = 0 WHERE login = 'ina'"

start_web login_account_max_failures=3 login_lockout_seconds=60
customer cus@example.net "cus-password-1" "Cus Tomer"

# alogin JAR LOGIN PASSWORD [curl args]: sets $code (303 on success)
alogin() {
	tok=$(csrf "$1" /admin/login)
	j=$1; l=$2; p=$3; shift 3
	web "$j" "$@" --data-urlencode "csrf=$tok" --data-urlencode "login=$l" --data-urlencode "password=$p" "$U/admin/login"
}
loc() { grep -i '^Location:' "$T/head" | tr -d '\r' | sed 's/^[^:]*: //'; }

# --- login ---
web a "$U/admin/reports"
check "reports without login go to the login" "303 /admin/login" "$code $(loc)"
web a "$U/admin/login"
check "login page" 200 "$code"
grep -q 'action="/admin/login"' "$T/body" && ok "login form" || fail "login form"
alogin a ana ana-password-1
check "agent logs in" "303 /admin/reports" "$code $(loc)"
grep -i '^Set-Cookie: cd_admin=' "$T/head" | grep -q 'HttpOnly; SameSite=Lax' && ok "admin cookie HttpOnly SameSite=Lax" || fail "admin cookie flags"
check "one agent session" 1 "$(sql "SELECT count(*) FROM agent_sessions")"
check "no customer session for the agent" 0 "$(sql "SELECT count(*) FROM web_sessions")"
cookie=$(awk '$6 == "cd_admin" {print $7}' "$T/a.jar")
hash=$(sql "SELECT token_hash FROM agent_sessions")
[ ${#hash} -eq 64 ] && [ "$hash" != "$cookie" ] && ok "only a hash of the agent token is stored" || fail "agent token storage"
check "login audited" 1 "$(sql "SELECT count(*) FROM audit_events WHERE entity = 'agent' AND action = 'login'")"
web a "$U/admin/reports"
check "reports page" 200 "$code"
grep -q 'Ana &lt;b&gt;Agent&lt;/b&gt;' "$T/body" && ok "agent name escaped" || fail "agent name not escaped"
grep -q '<b>Agent' "$T/body" && fail "raw HTML of the name on the page" || ok "no raw HTML of the name"
grep -qi "^Content-Security-Policy: default-src 'none'" "$T/head" && ok "CSP on the admin page" || fail "CSP missing"
grep -q '<script\|style=' "$T/body" && fail "inline script or style" || ok "no inline script or style"
alogin r root@example.test root-password-1
check "admin role logs in by email" 303 "$code"

# --- one answer for an unknown login, a wrong password and an inactive agent ---
alogin u1 nobody "whatever-pass" --interface 127.0.0.9
unknown="$code $(grep -o 'class="error"[^<]*' "$T/body")"
alogin u2 ana "wrong-pass-1" --interface 127.0.0.9
wrong="$code $(grep -o 'class="error"[^<]*' "$T/body")"
alogin u3 ina "ina-password-1" --interface 127.0.0.10
inactive="$code $(grep -o 'class="error"[^<]*' "$T/body")"
check "unknown login and wrong password get the same answer" "$unknown" "$wrong"
check "an inactive agent gets the same answer" "$unknown" "$inactive"
check "the answer is a 401" 401 "${wrong%% *}"
check "failures counted by the login guard" 1 "$(sql "SELECT count(*) FROM login_failures WHERE kind = 'account' AND key = 'agent:ana'")"
check "failures audited" 3 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'login_failed' AND entity = 'agent' AND actor LIKE 'agent:%'")"
check "no session for failed logins" 2 "$(sql "SELECT count(*) FROM agent_sessions")"
for ip in 11 12 13; do alogin l$ip lee "wrong-pass-$ip" --interface 127.0.0.$ip; done
alogin l14 lee lee-password-1 --interface 127.0.0.14
check "after 3 failures the agent is locked, the right password refused" 429 "$code"
grep -q 'locked for' "$T/body" && ok "the lock is explained" || fail "lock message"

# --- customers' and agents' sessions stay apart ---
login c cus@example.net cus-password-1
check "customer logs in" 303 "$code"
web c "$U/admin/reports"
check "a customer session cannot open /admin/reports" "303 /admin/login" "$code $(loc)"
ctok=$(awk '$6 == "cd_session" {print $7}' "$T/c.jar")
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Cookie: cd_admin=$ctok" "$U/admin/reports")
check "a customer token as the admin cookie opens nothing" 303 "$code"
web a "$U/orders"
check "an agent session cannot open customer pages" "303 /login" "$code $(loc)"
code=$(curl -s -D "$T/head" -o "$T/body" -w '%{http_code}' -H "Cookie: cd_session=$cookie" "$U/orders")
check "an agent token as the customer cookie opens nothing" "303 /login" "$code $(loc)"
web c "$U/admin/reports/chart.svg?report=tickets"
check "a customer cannot fetch a chart" 303 "$code"
web c "$U/admin/reports.csv?report=tickets"
check "a customer cannot download a CSV" 303 "$code"

# --- the reports page shows the figures of caredesk report ---
q="report=tickets&from=2026-06-01&to=2026-06-03&by=day"
web a "$U/admin/reports?$q"
check "tickets report page" 200 "$code"
cp "$T/body" "$T/page.html"
"$CAREDESK" report tickets --from 2026-06-01 --to 2026-06-03 --json >"$T/r.json"
python3 - "$T/page.html" "$T/r.json" >"$T/cmp.out" 2>&1 <<'EOF' && ok "page table = caredesk report tickets --json" || fail "page table: $(cat "$T/cmp.out")"
import html, json, re, sys
page = open(sys.argv[1]).read()
rep = json.load(open(sys.argv[2]))
table = re.search(r'<table class="list" id="report-table">(.*?)</table>', page, re.S).group(1)
head = [html.unescape(h) for h in re.findall(r'<th>(.*?)</th>', table)]
rows = [[html.unescape(c) for c in re.findall(r'<td[^>]*>(.*?)</td>', tr)] for tr in re.findall(r'<tr>(.*?)</tr>', table.split('</thead>')[1])]
def fmt(v):
    if v is None: return ""
    if isinstance(v, float): return "%.2f" % v
    return str(v)
want = [[fmt(r[c]) for c in rep["columns"]] for r in rep["rows"]]
assert head == rep["columns"], (head, rep["columns"])
assert rows == want, (rows, want)
assert len(rows) > 0
print("ok")
EOF
# the figures of the crafted dataset, independently of both
python3 - "$T/r.json" >"$T/cnt.out" 2>&1 <<'EOF' && ok "tickets per queue: support 4 opened (3 + 1) and 1 closed, returns 2" || fail "crafted figures: $(cat "$T/cnt.out")"
import json, sys
d = json.load(open(sys.argv[1]))
op, cl = {}, {}
for r in d["rows"]:
    op[r["queue"]] = op.get(r["queue"], 0) + (r["opened"] or 0)
    cl[r["queue"]] = cl.get(r["queue"], 0) + (r["closed"] or 0)
assert op.get("returns") == 2 and cl.get("returns", 0) == 0, (op, cl)
assert sum(v for k, v in op.items() if k != "returns") == 4 and sum(v for k, v in cl.items() if k != "returns") == 1, (op, cl)
EOF
grep -q '<option value="tickets" selected>' "$T/page.html" && ok "report selected in the form" || fail "report not selected"
grep -q 'value="2026-06-03"' "$T/page.html" && ok "the last day (included, as --to) in the form" || fail "to field"

# --- the chart ---
src=$(sed -n 's/.*<img src="\([^"]*\)".*/\1/p' "$T/page.html" | sed 's/&amp;/\&/g')
check "chart URL" "/admin/reports/chart.svg?$q" "$src"
web a "$U$src"
check "chart answers" 200 "$code"
grep -qi '^Content-Type: image/svg+xml' "$T/head" && ok "chart is image/svg+xml" || fail "chart type: $(grep -i content-type "$T/head")"
cp "$T/body" "$T/chart.svg"
xmllint --noout "$T/chart.svg" 2>"$T/xml.err" && ok "chart is valid SVG" || fail "chart SVG: $(cat "$T/xml.err")"
grep -q '<title>Tickets opened and closed per queue</title>' "$T/chart.svg" && ok "chart has its title" || fail "chart title"
for r in customers response rma-sku rma-reason offers volume; do
	web a "$U/admin/reports?report=$r&from=2026-06-01&to=2026-06-03&by=week"
	check "$r report page" 200 "$code"
	web a "$U/admin/reports/chart.svg?report=$r&from=2026-06-01&to=2026-06-03&by=week"
	xmllint --noout "$T/body" 2>/dev/null && ok "$r chart is valid SVG" || fail "$r chart"
done

# --- the CSV download ---
csv=$(sed -n 's/.*<a href="\([^"]*\)" id="csv".*/\1/p' "$T/page.html" | sed 's/&amp;/\&/g')
check "CSV URL" "/admin/reports.csv?$q" "$csv"
web a "$U$csv"
check "CSV answers" 200 "$code"
"$CAREDESK" report tickets --from 2026-06-01 --to 2026-06-03 --csv >"$T/cli.csv"
cmp -s "$T/body" "$T/cli.csv" && ok "CSV = caredesk report tickets --csv" || fail "CSV differs: $(diff "$T/body" "$T/cli.csv" | head -5)"
grep -qi '^Content-Disposition: attachment; filename="caredesk-tickets-2026-06-01-2026-06-03.csv"' "$T/head" && ok "CSV is a download" || fail "CSV disposition"

# --- bad queries ---
web a "$U/admin/reports?report=nothing"
check "unknown report" 400 "$code"
web a "$U/admin/reports?report=tickets&from=2026-13-45"
check "bad date" 400 "$code"
web a "$U/admin/reports?report=tickets&from=2026-06-03&to=2026-06-01"
check "period backwards" 400 "$code"
web a "$U/admin/reports/chart.svg?report=tickets&by=year"
check "bad step for a chart" 400 "$code"
web a "$U/admin/reports?report=%3Cscript%3E"
grep -q '<script>' "$T/body" && fail "report name echoed raw" || ok "report name not echoed raw"
web a "$U/adminx"
check "/adminx is not the admin area" 404 "$code"

# --- CSRF and logout ---
tok=$(csrf fresh /admin/login)
code=$(curl -s -o /dev/null -w '%{http_code}' -d "csrf=$tok&login=ana&password=ana-password-1" "$U/admin/login")
check "login token without its cookie refused" 403 "$code"
web a -d "" "$U/admin/logout"
check "logout without CSRF token refused" 403 "$code"
web a "$U/admin/reports"
check "still logged in" 200 "$code"
tok=$(sed -n 's/.*action="\/admin\/logout".*name="csrf" value="\([^"]*\)".*/\1/p' "$T/body" | head -1)
web c -d "csrf=$tok" "$U/admin/logout"
check "the agent's token does not work for a customer" 403 "$code"
web a -d "csrf=$tok" "$U/admin/logout"
check "logout" "303 /admin/login" "$code $(loc)"
web a "$U/admin/reports"
check "after logout: to the login" "303 /admin/login" "$code $(loc)"
check "the session is gone" 0 "$(sql "SELECT count(*) FROM agent_sessions a JOIN agents g ON g.id = a.agent_id WHERE g.login = 'ana'")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: cd_admin=$cookie" "$U/admin/reports")
check "the old token opens nothing" 303 "$code"
web c "$U/orders"
check "the customer is still logged in" 200 "$code"

# --- a new password ends the agent's sessions; deactivation ends access ---
web r "$U/admin/reports"
check "admin still in" 200 "$code"
sql "UPDATE agents SET active = 0 WHERE login = 'root'"
web r "$U/admin/reports"
check "a deactivated agent's session opens nothing" 303 "$code"
sql "UPDATE agents SET active = 1 WHERE login = 'root'"
"$CAREDESK" agent password root --password root-password-2 >/dev/null
web r "$U/admin/reports"
check "a new password ends the sessions" 303 "$code"

stop_web
finish
