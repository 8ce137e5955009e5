#!/bin/sh
# rma_mail.sh - return requests by mail through `caredesk-mailgw pipe` with the shipped filter rules:
# from the order's customer an RMA on that order line is authorized; the same text from a stranger
# authorises nothing (no RMA row, nothing about the order revealed); past the line's warranty the
# request is refused with the reason; the request in German is recognised too; a request without an
# order number is asked for it once, and the reply that names it opens the RMA.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
ls "$T/cd/filters"/*.rules >/dev/null 2>&1 || die "caredesk init did not install the shipped filter rules"
"$CAREDESK" order import "$CAREDESK_SRC/tests/data/rma-orders.json" >/dev/null
check "orders imported" 3 "$(sql 'SELECT count(*) FROM orders')"

mail() { # mail FROM SUBJECT BODY
	printf 'From: %s\nTo: support@example.test\nSubject: %s\nMessage-ID: <%s@test>\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"$1" "$2" "$(date +%s%N)" "$3" >"$T/m.eml"
	pipe "$T/m.eml"
	settle
}
last_ticket() { sql "SELECT max(id) FROM tickets"; }

mail "Alice Martin <alice@example.org>" "Return request" "I want to return order #A1001, the screen is broken."
t=$(last_ticket)
check "owner: ticket typed rma" rma "$(sql "SELECT type FROM tickets WHERE id = $t")"
check "owner: RMA authorized on line 1 of A1001" "authorized|A1001|1|1" \
	"$(sql "SELECT r.status, o.ref, l.line_no, r.quantity FROM rmas r JOIN orders o ON o.id = r.order_id JOIN order_lines l ON l.id = r.order_line_id WHERE r.ticket_id = $t")"
check "owner: order number captured" A1001 "$(sql "SELECT value FROM ticket_fields WHERE ticket_id = $t AND name = 'order'")"
check "owner: RMA audited" 1 "$(sql "SELECT count(*) >= 1 FROM audit_events WHERE entity = 'rma'")"

mail "Mallory <mallory@evil.example>" "Return request" "I want to return order #A1001, the screen is broken."
t=$(last_ticket)
check "stranger: no RMA row" 0 "$(sql "SELECT count(*) FROM rmas WHERE ticket_id = $t")"
check "stranger: still one RMA on A1001" 1 "$(sql "SELECT count(*) FROM rmas r JOIN orders o ON o.id = r.order_id WHERE o.ref = 'A1001'")"
notes=$(sql "SELECT notes FROM messages WHERE ticket_id = $t")
echo "$notes" | grep -q "return refused" && ok "stranger: refusal noted" || fail "stranger notes: $notes"
echo "$notes" | grep -qi "alice" && fail "stranger's refusal reveals the owner" || ok "refusal reveals nothing about the owner"
check "stranger: told by mail why" "rma_refused|mallory@evil.example" \
	"$(sql "SELECT kind, recipient FROM outbox WHERE ticket_id = $t AND kind = 'rma_refused'")"
body=$(sql "SELECT body_text FROM outbox WHERE ticket_id = $t AND kind = 'rma_refused'")
echo "$body" | grep -q "could not find order A1001 for your address" && ok "stranger: the mail gives the reason" ||
	fail "stranger's refusal mail: $body"
echo "$body" | grep -qi "alice" && fail "the refusal mail reveals the owner" || ok "the refusal mail reveals nothing about the owner"
check "stranger: the refusal is an automatic answer, threaded under the request" "1|1" \
	"$(sql "SELECT auto_reply, instr(headers, (SELECT message_id FROM messages WHERE ticket_id = $t)) > 0 FROM outbox WHERE ticket_id = $t AND kind = 'rma_refused'")"
# asking again in the same thread, with the same result, is not answered again (agents see the reply)
ref=$(printf 'T-%06d' "$t")
mail "Mallory <mallory@evil.example>" "Re: Return request [$ref]" "Again: I want to return order #A1001, the screen is broken."
check "stranger: the reply joined the ticket" "$t" "$(last_ticket)"
check "stranger: not told the same refusal twice" 1 "$(sql "SELECT count(*) FROM outbox WHERE ticket_id = $t AND kind = 'rma_refused'")"
# a flood of new requests is answered at most auto_reply_per_day (5) times a day
for i in 1 2 3 4 5 6 7; do
	mail "Mallory <mallory@evil.example>" "Return request $i" "I want to return order #A1001, the screen is broken."
done
check "stranger: at most 5 automatic answers a day" 5 \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'mallory@evil.example' AND auto_reply = 1 AND state = 'queued'")"

mail "Alice Martin <alice@example.org>" "defective cable" "My cable from order A0900 is defective, I want a replacement under warranty."
t=$(last_ticket)
check "past warranty: RMA refused" rejected "$(sql "SELECT status FROM rmas WHERE ticket_id = $t")"
reason=$(sql "SELECT refusal_reason FROM rmas WHERE ticket_id = $t")
echo "$reason" | grep -qi "warranty" && ok "past warranty: the reason says so ($reason)" || fail "refusal reason: $reason"

mail "Bob Keller <bob.keller@example.net>" "Rücksendung" "Guten Tag, ich möchte die Bestellung A1002 zurückgeben, das Display ist defekt."
t=$(last_ticket)
check "German request recognised" "rma|authorized" "$(sql "SELECT t.type, r.status FROM tickets t JOIN rmas r ON r.ticket_id = t.id WHERE t.id = $t")"

"$CAREDESK" rma list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d) == 3, d' \
	&& ok "rma list shows the three RMAs" || fail "rma list"

# a request without an order number: the customer is asked which order, once; the reply that names
# it opens the RMA on the same ticket
cat >"$T/o.json" <<'JSON'
{"orders": [{"ref": "A2000", "email": "carla@example.org", "status": "delivered", "ordered_at": "2026-11-01",
  "delivered_at": "2026-11-03", "lines": [{"line_no": 1, "sku": "KT-1", "description": "Kettle", "quantity": 1,
  "unit_price": "39.00", "warranty_days": 730}]}]}
JSON
"$CAREDESK" order import "$T/o.json" >/dev/null
mail "Carla <carla@example.org>" "Broken kettle" "I want to return my kettle, it is broken."
t=$(last_ticket)
ref=$(printf 'T-%06d' "$t")
check "no order number: the customer is asked which order (an automatic answer, threaded)" "rma_need_order|1|1" \
	"$(sql "SELECT kind, auto_reply, instr(headers, (SELECT message_id FROM messages WHERE ticket_id = $t)) > 0 FROM outbox WHERE ticket_id = $t AND kind LIKE 'rma%'")"
sql "SELECT body_text FROM outbox WHERE ticket_id = $t AND kind = 'rma_need_order'" | grep -q "it is broken" \
	&& ok "the question quotes what the customer wrote" || fail "rma_need_order text"
check "no RMA yet" 0 "$(sql "SELECT count(*) FROM rmas WHERE ticket_id = $t")"
mail "Carla <carla@example.org>" "Re: [$ref] Your return request: which order?" "It is still broken, I cannot find the number."
check "a reply without the number joins the ticket" "$t" "$(last_ticket)"
check "asked only once" 1 "$(sql "SELECT count(*) FROM outbox WHERE ticket_id = $t AND kind = 'rma_need_order'")"
mail "Carla <carla@example.org>" "Re: [$ref] Your return request: which order?" "Found it: order A2000."
check "the reply that names the order opens the RMA on the ticket" "authorized|A2000" \
	"$(sql "SELECT r.status, o.ref FROM rmas r JOIN orders o ON o.id = r.order_id WHERE r.ticket_id = $t")"
finish
