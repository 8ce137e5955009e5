#!/bin/sh
# web_security.sh - caredesk-web's defences with curl: security headers and cookie flags, CSRF
# refusal, the same answer for an unknown address and a wrong password, 20 wrong passwords lock
# the account (the right one is refused until the lock ends) and slow the IP, the blocklist at
# registration and login, logout and password change end sessions, single-use password reset
# links, another customer's order/offer/ticket/file is a 404, a file is always a download, <script> in a message's HTML never
# reaches the page, SQL and HTML metacharacters in fields do nothing, and the shop API's token.
. "$(dirname "$0")/../lib.sh"
WEB_PORT=18201
. "$CAREDESK_SRC/tests/web_lib.sh"
setup_caredesk
start_web login_lockout_seconds=5 login_account_max_failures=10 login_ip_free_failures=5 login_ip_first_delay_seconds=60
customer ann@example.net "ann-password-1" "Ann Example"
customer bob@example.net "bob-password-1" "Bob Example"

# --- headers and cookies ---
web a "$U/login"
check "login page" 200 "$code"
hdr() { grep -i "^$1:" "$T/head" | head -1 | tr -d '\r'; }
case "$(hdr Content-Security-Policy)" in
*"frame-ancestors 'none'"*"base-uri 'none'"*) ok "CSP with frame-ancestors 'none'" ;;
*) fail "CSP: $(hdr Content-Security-Policy)" ;;
esac
case "$(hdr Content-Security-Policy)" in *unsafe-inline*|*script-src*\'self\'*) fail "CSP allows scripts" ;; *) ok "CSP allows no script" ;; esac
check "nosniff" "X-Content-Type-Options: nosniff" "$(hdr X-Content-Type-Options)"
check "referrer policy" "Referrer-Policy: same-origin" "$(hdr Referrer-Policy)"
grep -i '^Set-Cookie: cd_pre=' "$T/head" | grep -q 'HttpOnly; SameSite=Lax' && ok "pre cookie HttpOnly SameSite=Lax" || fail "pre cookie flags"
grep -qi 'Set-Cookie:.*Secure' "$T/head" && fail "Secure cookie on plain HTTP without tls_proxy" || ok "no Secure flag on plain HTTP"
login a ann@example.net ann-password-1
check "right password logs in" 303 "$code"
grep -i '^Set-Cookie: cd_session=' "$T/head" | grep -q 'HttpOnly; SameSite=Lax' && ok "session cookie HttpOnly SameSite=Lax" || fail "session cookie flags: $(cat "$T/head")"
session_hash=$(sql "SELECT token_hash FROM web_sessions LIMIT 1")
cookie=$(awk '$6 == "cd_session" {print $7}' "$T/a.jar")
[ ${#session_hash} -eq 64 ] && [ "$session_hash" != "$cookie" ] && ok "only a hash of the session token is stored" || fail "session token storage"

# --- CSRF ---
web a -d "language=de&notify_channel=email" "$U/account/settings"
check "settings without CSRF token refused" 403 "$code"
web a -d "csrf=AAAAAAAAAAAA&language=de&notify_channel=email" "$U/account/settings"
check "settings with a wrong CSRF token refused" 403 "$code"
check "language unchanged" "" "$(sql "SELECT coalesce(language, '') FROM customers WHERE email = 'ann@example.net'")"
tok=$(csrf a /account)
web a -d "csrf=$tok&language=de&notify_channel=email" "$U/account/settings"
check "settings with the token saved" 200 "$code"
check "language saved" de "$(sql "SELECT language FROM customers WHERE email = 'ann@example.net'")"
tok=$(csrf fresh /login)
code=$(curl -s -o /dev/null -w '%{http_code}' -d "csrf=$tok&email=ann@example.net&password=ann-password-1" "$U/login")
check "login token without its cookie refused" 403 "$code"

# --- same answer for an unknown address and a wrong password ---
login u1 nobody@example.net "whatever-pass" --interface 127.0.0.9
unknown="$code $(grep -o 'class="error"[^<]*' "$T/body")"
login u2 bob@example.net "wrong-pass-1" --interface 127.0.0.9
wrong="$code $(grep -o 'class="error"[^<]*' "$T/body")"
check "unknown address and wrong password get the same answer" "$unknown" "$wrong"
check "the answer is a 401" 401 "${wrong%% *}"
check "audit row per failure" 2 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'login_failed'")"
check "the failure names the IP" 1 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'login_failed' AND note LIKE '%127.0.0.9%wrong password%'")"

# --- 20 wrong passwords lock the account, the IP is slowed ---
n=0
for ip in 2 3 4 5 6; do
	for k in 1 2 3 4; do
		login w bob@example.net "wrong-$ip-$k" --interface 127.0.0.$ip
		n=$((n + 1))
		last=$code
	done
done
check "20th wrong password refused as locked" 429 "$last"
grep -q 'locked' "$T/body" && ok "locked answer says so" || fail "locked body"
login w bob@example.net bob-password-1 --interface 127.0.0.7
check "right password refused while locked" 429 "$code"
check "failures stop counting at the lock (10th)" 10 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'login_failed' AND actor = 'bob@example.net'")"
for k in 1 2 3 4 5; do login s "slow$k@example.net" "bad-password" --interface 127.0.0.8; done
check "5 failures from one IP still answered" 401 "$code"
login s "slow6@example.net" "bad-password" --interface 127.0.0.8
check "then the IP must wait" 429 "$code"
grep -q 'wait' "$T/body" && ok "the IP is told to wait" || fail "ip wait body"
check "another IP is not slowed" 401 "$(login s "slow7@example.net" "bad-password" --interface 127.0.0.10; echo "$code")"
sleep 5
login w bob@example.net bob-password-1 --interface 127.0.0.7
check "right password accepted after the lock-out" 303 "$code"

# --- blocklist ---
"$CAREDESK" blocklist add domain evil.test --reason "fraud ring" >/dev/null
"$CAREDESK" blocklist add ip 127.0.0.128/25 --reason "bad network" --expires 1d >/dev/null
"$CAREDESK" blocklist list >"$T/bl"
grep -q "127.0.0.128/25.*bad network" "$T/bl" && ok "blocklist list shows the range and reason" || fail "blocklist list: $(cat "$T/bl")"
tok=$(csrf r /register)
web r --data-urlencode "csrf=$tok" -d "name=Eve&email=eve@mail.evil.test&password=long-enough-pass" "$U/register"
check "registration from a blocked domain refused" 403 "$code"
check "no customer made" 0 "$(sql "SELECT count(*) FROM customers WHERE email = 'eve@mail.evil.test'")"
login b ann@example.net ann-password-1 --interface 127.0.0.200
check "login from a blocked range refused" 403 "$code"
"$CAREDESK" blocklist remove ip 127.0.0.128/25 >/dev/null
login b ann@example.net ann-password-1 --interface 127.0.0.200
check "login allowed once the block is removed" 303 "$code"
"$CAREDESK" blocklist add card "4111 1111 1111 1111" >/dev/null
check "a card is kept only as its hash" 0 "$(sql "SELECT count(*) FROM blocklist WHERE value LIKE '%4111%'")"

# --- logout and password change end sessions ---
login l1 ann@example.net ann-password-1
old=$(awk '$6 == "cd_session" {print $7}' "$T/l1.jar")
tok=$(csrf l1 /orders)
web l1 -d "csrf=$tok" "$U/logout"
check "logout" 303 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "cd_session=$old" "$U/orders")
check "the old session cookie no longer works" 303 "$code"
login p1 ann@example.net ann-password-1
login p2 ann@example.net ann-password-1
tok=$(csrf p1 /account)
web p1 --data-urlencode "csrf=$tok" -d "current=ann-password-1&password=ann-password-2" "$U/account/password"
check "password changed" 200 "$code"
web p2 "$U/orders"
check "the other session ended with the password change" 303 "$code"
web p1 "$U/orders"
check "the changing browser stays logged in" 200 "$code"
login p3 ann@example.net ann-password-1
check "the old password no longer works" 401 "$code"

# --- password reset: single use ---
tok=$(csrf f /password/forgot)
web f -d "csrf=$tok&email=bob@example.net" "$U/password/forgot"
check "reset asked" 200 "$code"
tok=$(csrf f /password/forgot)
web f -d "csrf=$tok&email=nobody@example.net" "$U/password/forgot"
check "unknown address gets the same page" 200 "$code"
check "one reset mail, to the known address" "bob@example.net" "$(sql "SELECT group_concat(recipient) FROM outbox WHERE kind = 'password_reset'")"
link=$(outbox_link password_reset)
reset_token=${link##*token=}
check "the token is not stored" 0 "$(sql "SELECT count(*) FROM password_resets WHERE token_hash = '$reset_token'")"
tok=$(csrf f "/password/reset?token=$reset_token")
check "reset page" 200 "$code"
web f --data-urlencode "csrf=$tok" -d "token=$reset_token&password=bob-password-9" "$U/password/reset"
check "new password set" 303 "$code"
web f --data-urlencode "csrf=$tok" -d "token=$reset_token&password=bob-password-X" "$U/password/reset"
check "the link works only once" 400 "$code"
login g bob@example.net bob-password-9
check "login with the reset password" 303 "$code"
for k in 1 2 3 4 5; do
	tok=$(csrf f /password/forgot)
	web f -d "csrf=$tok&email=ann@example.net" "$U/password/forgot"
done
check "asking again and again answers the same" 200 "$code"
check "at most 3 reset mails an hour" 3 "$(sql "SELECT count(*) FROM outbox WHERE kind = 'password_reset' AND recipient = 'ann@example.net'")"

# --- another customer's things are 404; escaping ---
cat >"$T/orders.json" <<'JSON'
[{"ref": "B-7", "email": "bob@example.net", "status": "paid",
  "lines": [{"sku": "X1", "description": "Widget <i>'; DROP TABLE orders;--", "quantity": 1, "unit_price": "5.00"}]}]
JSON
"$CAREDESK" order import "$T/orders.json" >/dev/null
bob_id=$(sql "SELECT id FROM customers WHERE email = 'bob@example.net'")
"$CAREDESK" offer create --customer bob@example.net --line "SVC:1:10.00" >/dev/null
offer=$(sql "SELECT ref FROM offers WHERE customer_id = $bob_id LIMIT 1")
sql "INSERT INTO tickets(customer_id, queue_id, subject, created_at, updated_at) VALUES ($bob_id, 1, 'Bob''s ticket', 0, 0)"
tid=$(sql "SELECT printf('T-%06d', max(id)) FROM tickets")
sql "INSERT INTO messages(ticket_id, direction, channel, author_kind, customer_id, body_full, body_html, created_at) VALUES ((SELECT max(id) FROM tickets), 'in', 'email', 'customer', $bob_id, 'hello <script>alert(1)</script>', '<p>hello</p><script>alert(1)</script><img src=x onerror=alert(2)>', 0)"
web g "$U/orders/B-7"
check "own order" 200 "$code"
grep -q "Widget &lt;i&gt;&#39;; DROP TABLE orders;--\|Widget &lt;i&gt;'; DROP TABLE orders;--" "$T/body" && ok "metacharacters shown as text" || fail "order line escaping: $(grep Widget "$T/body")"
web g "$U/tickets/$tid"
check "own ticket" 200 "$code"
grep -qi '<script' "$T/body" && fail "<script> reached the page" || ok "no <script> on the page"
grep -qi 'onerror' "$T/body" && fail "event handler reached the page" || ok "no event handlers on the page"
grep -q 'hello' "$T/body" && ok "the message is shown" || fail "message missing"
web p1 "$U/orders/B-7"
check "another customer's order is 404" 404 "$code"
web p1 "$U/orders/B-7/invoice.pdf"
check "another customer's invoice is 404" 404 "$code"
web p1 "$U/offers/$offer"
check "another customer's offer is 404" 404 "$code"
web p1 "$U/tickets/$tid"
check "another customer's ticket is 404" 404 "$code"
# files: a download of the customer's own ticket only, never shown inline (a sender's "text/html"
# with script stays a download), never one of an internal note
mid=$(sql "SELECT max(id) FROM messages")
sql "INSERT INTO attachments(message_id, filename, content_type, size, sha256, content) VALUES ($mid, 'Prüfbericht <b>.html', 'text/html', 29, 'x', CAST('<script>alert(1)</script>hello' AS BLOB))"
fid=$(sql "SELECT max(id) FROM attachments")
sql "INSERT INTO messages(ticket_id, direction, channel, kind, author_kind, body_full, created_at) VALUES ((SELECT max(id) FROM tickets), 'in', 'email', 'note', 'agent', 'internal', 0)"
sql "INSERT INTO attachments(message_id, filename, content_type, size, sha256, content) VALUES ((SELECT max(id) FROM messages), 'internal.txt', 'text/plain', 6, 'x', CAST('secret' AS BLOB))"
nid=$(sql "SELECT max(id) FROM attachments")
web g "$U/tickets/$tid"
grep -q "href=\"/tickets/$tid/files/$fid\"" "$T/body" && ok "the ticket page links its file" || fail "no file link on the ticket page"
grep -q "Prüfbericht &lt;b&gt;.html" "$T/body" && ok "the file name is escaped" || fail "file name: $(grep -o 'files/[^<]*' "$T/body")"
grep -q "internal.txt" "$T/body" && fail "an internal note's file is listed" || ok "an internal note's file is not listed"
web g "$U/tickets/$tid/files/$fid"
check "own file" 200 "$code"
check "its bytes" "<script>alert(1)</script>hello" "$(cat "$T/body")"
check "sent as a download, whatever type the sender gave" "Content-Type: application/octet-stream" \
	"$(grep -i '^Content-Type:' "$T/head" | tr -d '\r')"
grep -i '^Content-Disposition: attachment;' "$T/head" | grep -q "filename\*=UTF-8''Pr%C3%BCfbericht%20%3Cb%3E.html" \
	&& ok "its name in RFC 6266 form" || fail "disposition: $(grep -i '^Content-Disposition' "$T/head")"
web p1 "$U/tickets/$tid/files/$fid"
check "another customer's file is 404" 404 "$code"
web g "$U/tickets/$tid/files/$nid"
check "an internal note's file is 404" 404 "$code"
sql "INSERT INTO tickets(customer_id, queue_id, subject, created_at, updated_at) VALUES ($bob_id, 1, 'Bob''s other ticket', 0, 0)"
web g "$U/tickets/$(sql "SELECT printf('T-%06d', max(id)) FROM tickets")/files/$fid"
check "a file under another of the customer's tickets is 404" 404 "$code"
"$CAREDESK" rma request B-7 --customer bob@example.net >/dev/null
rma=$(sql "SELECT printf('RMA-%06d', max(id)) FROM rmas WHERE customer_id = $bob_id")
web g "$U/rmas/$rma"
check "own RMA" 200 "$code"
web p1 "$U/rmas/$rma"
check "another customer's RMA is 404" 404 "$code"
web p1 "$U/tickets/T-999999"
check "a ticket that does not exist is 404 too" 404 "$code"
web p1 "$U/ordersX"
check "a path that only begins like an area is 404" 404 "$code"
tok=$(csrf p1 /account)
web p1 --data-urlencode "csrf=$tok" -d "decision=accept" "$U/offers/$offer/decide"
check "deciding another customer's offer is 404" 404 "$code"
check "the offer is unchanged" new "$(sql "SELECT status FROM offers WHERE ref = '$offer'")"
tok=$(csrf r /register)
web r --data-urlencode "csrf=$tok" --data-urlencode "name=Robert'); DROP TABLE customers;-- <b>x</b>" \
	--data-urlencode "email=robert@example.org" --data-urlencode "password=\"><script>x</script>" "$U/register"
check "registration with metacharacters" 200 "$code"
check "the name is stored as given" "Robert'); DROP TABLE customers;-- <b>x</b>" "$(sql "SELECT name FROM customers WHERE email = 'robert@example.org'")"
web r --data-urlencode "csrf=$tok" --data-urlencode "name=<b>x" --data-urlencode "email=\"><svg>@x" \
	--data-urlencode "password=short" "$U/register"
check "a bad address is refused" 400 "$code"
grep -q '<svg>' "$T/body" && fail "the address came back unescaped" || ok "the address is escaped in the form"

# --- the shop API ---
code=$(curl -s -o "$T/body" -w '%{http_code}' "$U/api/v1/customers?email=bob@example.net")
check "API without a token" 401 "$code"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$U/api/v1/customers?email=bob@example.net")
check "API with a wrong token" 401 "$code"
api=$("$CAREDESK" account token create shop)
A() { curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $api" "$@"; }
check "customer lookup" 200 "$(A "$U/api/v1/customers?email=bob@example.net")"
check "customer lookup finds Bob" "Bob Example" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$T/body")"
check "unknown customer" 404 "$(A "$U/api/v1/customers?email=nobody@example.net")"
check "order created" 201 "$(A -H 'Content-Type: application/json' -d '{"ref":"S-1","email":"ann@example.net","lines":[{"sku":"P","quantity":2,"unit_price":"3.50"}]}' "$U/api/v1/orders")"
check "same order again changes nothing" 200 "$(A -d '{"ref":"S-1","email":"ann@example.net","lines":[{"sku":"P","quantity":2,"unit_price":"3.50"}]}' "$U/api/v1/orders")"
check "bad order refused" 400 "$(A -d '{"ref":"S-2","lines":[]}' "$U/api/v1/orders")"
check "status set" 200 "$(A -d '{"status":"paid"}' "$U/api/v1/orders/S-1/status")"
check "illegal transition" 409 "$(A -d '{"status":"new"}' "$U/api/v1/orders/S-1/status")"
check "offer created" 201 "$(A -d '{"email":"ann@example.net","title":"Spare parts","lines":[{"sku":"P","quantity":1,"unit_price_cents":990}]}' "$U/api/v1/offers")"
"$CAREDESK" account token revoke shop >/dev/null
check "revoked token refused" 401 "$(A "$U/api/v1/customers?email=bob@example.net")"

stop_web
finish
