#!/bin/sh
# sms_kannel.sh - the SMS channel end to end through a real Kannel (bearerbox + smsbox + fakesmsc,
# ../shared/cookbook/kannel-test.sh): fakesmsc sends an MO, smsbox calls caredesk-web's get-url,
# `caredesk-mailgw deliver` sends the answer through Kannel's sendsms and it comes out of fakesmsc;
# the delivery report comes back on the outbox row. Then: STOP and nothing more to that number,
# an activation code by SMS, RMA A1001 from the owner and from a stranger, an urgent ticket texted
# to an agent whose SMS answer reaches the customer (UCS-2), and a flood of 200 texts that gets at
# most [sms] per_number_hourly answers. Ports 14000-14180.
. "$(dirname "$0")/../lib.sh"
KT="$CAREDESK_SHARED/cookbook/kannel-test.sh"
[ -x "$KT" ] || die "no $KT"
command -v bearerbox >/dev/null || die "kannel not installed (scripts/install-deps.sh)"
setup_caredesk
WEB=127.0.0.1:14180
K="$T/kannel"
cat >>"$T/cd/caredesk.conf" <<CONF
CONF
python3 - "$T/cd/caredesk.conf" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("listen = 127.0.0.1:8080", "listen = 127.0.0.1:14180")
s = s.replace("base_url = http://127.0.0.1:8080", "base_url = http://127.0.0.1:14180")
s = s.replace("# provider = kannel", "provider = kannel")
s = s.replace("# url = http://127.0.0.1:13013/cgi-bin/sendsms", "url = http://127.0.0.1:14013/cgi-bin/sendsms")
s = s.replace("# username = caredesk", "username = tester")
s = s.replace("# password_file = kannel.password", "password_file = kannel.password")
s = s.replace("# from = 1234", "from = 1234")
s = s.replace("# inbound_token = change-me", "inbound_token = k-secret")
open(p, "w").write(s)
PY
printf 'foobar\n' >"$T/cd/kannel.password"

CLEANUP='[ -z "${WEBPID:-}" ] || kill $WEBPID 2>/dev/null; KANNEL_BASE_PORT=14000 "$KT" stop "$K" >/dev/null 2>&1 || true'
KANNEL_BASE_PORT=14000 MO_URL="http://$WEB/sms/kannel?from=%p&to=%P&text=%a&id=%I&time=%t&token=k-secret" \
	"$KT" start "$K" >"$T/kannel-start.log" 2>&1 || { cat "$T/kannel-start.log"; eval "$CLEANUP"; die "kannel did not start"; }
"$CAREDESK_BIN/caredesk-web" >"$T/web.log" 2>&1 &
WEBPID=$!
i=0
until curl -s -o /dev/null "http://$WEB/healthz"; do
	i=$((i + 1)); [ $i -lt 100 ] || { eval "$CLEANUP"; die "caredesk-web did not start: $(cat "$T/web.log")"; }
	sleep 0.05
done

mo() { "$KT" mo "$K" "$1" 1234 "$2"; }
mt() { "$KT" mt "$K"; }
# wait_for DESCRIPTION SQL EXPECTED: poll the database (the web hook commits asynchronously to fakesmsc)
wait_for() {
	j=0
	while [ "$(sql "$2")" != "$3" ]; do
		j=$((j + 1)); [ $j -lt 100 ] || break
		sleep 0.05
	done
	check "$1" "$3" "$(sql "$2")"
}
deliver() { "$MAILGW" deliver --once --quiet; }
# wait_mt PATTERN COUNT: fakesmsc got COUNT MT lines matching PATTERN
wait_mt() {
	j=0
	while [ "$(mt | grep -c -- "$1" || true)" -lt "$2" ]; do
		j=$((j + 1)); [ $j -lt 60 ] || break
		sleep 0.05
	done
	mt | grep -c -- "$1" || true
}

# 1. an SMS opens a ticket; the acknowledgement comes back out of fakesmsc
mo +4915111111111 'My printer is on fire'
wait_for "MO opened an SMS ticket" "SELECT count(*) FROM tickets WHERE channel = 'sms'" 1
check "the text is stored" "My printer is on fire" "$(sql "SELECT body_full FROM messages WHERE channel = 'sms'")"
check "the customer is found by E.164 number" "+4915111111111" "$(sql "SELECT c.phone FROM tickets t JOIN customers c ON c.id = t.customer_id")"
deliver
check "the acknowledgement reached fakesmsc" 1 "$(wait_mt '^1234 +4915111111111 text .*T-000001' 1)"
wait_for "the delivery report is recorded on the outbox row" \
	"SELECT delivery_status FROM outbox WHERE kind = 'ticket_ack' AND recipient = '+4915111111111'" delivered
check "a forged delivery report is refused" 403 \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://$WEB/sms/dlr?row=1&mac=AAAAAAAAAAAA&status=2")"
check "a get-url without the token is refused" 403 \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://$WEB/sms/kannel?from=%2B4915111111111&text=hi")"

# 2. UTF-8 in: German text and the euro sign arrive intact
mo +4915122222222 'Grüße, der Drucker brennt €'
wait_for "UTF-8 text intact" "SELECT count(*) FROM messages WHERE body_full = 'Grüße, der Drucker brennt €'" 1

# 3. STOP: the confirmation, then nothing more to that number
mo +4915111111111 STOP
wait_for "STOP recorded" "SELECT count(*) FROM sms_optouts WHERE number = '+4915111111111'" 1
deliver
check "the STOP confirmation went out" 1 "$(wait_mt '^1234 +4915111111111 text .*START' 1)"
mo +4915111111111 'Is my printer repaired yet?'
mo +4915111111111 HELP
wait_for "both texts taken in" "SELECT count(*) FROM messages WHERE from_addr = '+4915111111111'" 4
deliver
sleep 0.3
check "after STOP nothing more went to the number" 2 "$(mt | grep -c '^1234 +4915111111111 ' || true)"
check "what would have gone is cancelled, with the reason" 1 \
	"$(sql "SELECT count(*) > 0 FROM outbox WHERE recipient = '+4915111111111' AND state = 'cancelled' AND last_error LIKE '%opted out%'")"

# 4. an activation code by SMS activates the pending account of that number
sql "INSERT INTO customers(email, phone, status, created_at, updated_at) VALUES ('pia@example.org', '+4915133333333', 'pending', unixepoch(), unixepoch());
     INSERT INTO activations(customer_id, channel, code_hash, max_attempts, expires_at, created_at, updated_at)
     SELECT id, 'sms', '$(printf 482913 | sha256sum | cut -d' ' -f1)', 5, unixepoch() + 3600, unixepoch(), unixepoch()
     FROM customers WHERE email = 'pia@example.org';"
mo +4915133333333 '482 913'
wait_for "the account is active" "SELECT status FROM customers WHERE email = 'pia@example.org'" active
check "the activation is used" activated "$(sql "SELECT state FROM activations")"

# 5. RMA A1001 from the order's owner opens an RMA; from a stranger it does not
"$CAREDESK" order import "$CAREDESK_SRC/tests/data/rma-orders.json" >/dev/null
sql "UPDATE customers SET phone = '+4915144444444', notify_channel = 'sms' WHERE email = 'alice@example.org'"
mo +4915144444444 'RMA A1001 broken screen'
wait_for "owner: RMA authorized for A1001" \
	"SELECT r.status || ' ' || c.email FROM rmas r JOIN orders o ON o.id = r.order_id JOIN customers c ON c.id = r.customer_id WHERE o.ref = 'A1001'" \
	"authorized alice@example.org"
check "owner: the reason is captured" "broken screen" "$(sql "SELECT reason FROM rmas")"
deliver
check "owner: told by SMS" 1 "$(wait_mt '^1234 +4915144444444 text .*RMA-000001' 1)"
mo +4915155555555 'RMA A1001 broken screen'
wait_for "stranger: a ticket, but no RMA" "SELECT count(*) FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE c.phone = '+4915155555555' AND t.type = 'rma'" 1
check "stranger: still one RMA on A1001" 1 "$(sql "SELECT count(*) FROM rmas")"

# 6. an urgent ticket is texted to the agent who has a phone; the agent's SMS answer reaches the
#    customer, as UCS-2 when it needs it
"$CAREDESK" agent add ana ana@agents.test "Ana Agent" --phone "0176 1234 5678" >/dev/null
check "the agent's number is stored as E.164" "+4917612345678" "$(sql "SELECT phone FROM agents WHERE login = 'ana'")"
mo +4915177777777 'URGENT: the server room is flooded'
wait_for "urgent SMS ticket" "SELECT priority FROM tickets WHERE subject LIKE 'SMS: URGENT%'" urgent
deliver
check "the agent got an SMS about it" 1 "$(wait_mt '^1234 +4917612345678 text urgent T-' 1)"
mo +4917612345678 'Wir sind unterwegs 🚒'
wait_for "the agent's SMS is on the ticket" 	"SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.subject LIKE 'SMS: URGENT%' AND m.author_kind = 'agent'" 1
deliver
check "relayed to the customer as UCS-2" 1 "$(wait_mt '^1234 +4915177777777 ucs-2 ' 1)"
check "the ticket waits on the customer" pending "$(sql "SELECT status FROM tickets WHERE subject LIKE 'SMS: URGENT%'")"

# 7. a flood of 200 texts from one number, each asking for an answer (HELP): at most
#    per_number_hourly (5) answers
n=0
while [ $n -lt 200 ]; do
	n=$((n + 1))
	mo +4915166666666 HELP >/dev/null
done
wait_for "all 200 texts taken in" "SELECT count(*) FROM raw_messages WHERE envelope_from = '+4915166666666'" 200
deliver
wait_mt '^1234 +4915166666666 ' 5 >/dev/null
sleep 1.2 # fakesmsc passes MT on within about a second; anything beyond the limit would show by now
sent=$(mt | grep -c '^1234 +4915166666666 ' || true)
[ "$sent" -ge 1 ] && [ "$sent" -le 5 ] && ok "flood: $sent answers (limit 5)" || fail "flood: $sent answers went out"
check "flood: the rest are cancelled by the hourly limit" 1 \
	"$(sql "SELECT count(*) > 0 FROM outbox WHERE recipient = '+4915166666666' AND state = 'cancelled' AND last_error LIKE '%hourly limit%'")"
finish
