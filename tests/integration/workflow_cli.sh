#!/bin/sh
# workflow_cli.sh - the workflow commands end to end: order import (CSV and JSON, bad rows, --strict,
# idempotent), order set-status, rma request/authorize/reject/receive/inspect/resolve/close with the
# refusals a customer is told, offers, ticket set, activations, customer show, and tick (idempotent,
# twice at once). Every command: --help, --json where it lists or shows, one-line errors, sysexits.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
DATA="$CAREDESK_SRC/tests/data/orders"
J() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# run CMD...: stdout to $T/out, stderr to $T/err, exit code in $rc
run() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; }

# --- orders ---
run "$CAREDESK" order import "$DATA/orders.csv"
check "import exits 0" 0 "$rc"
check "import summary" "orders.csv: 4 orders created, 0 updated, 0 unchanged, 0 skipped (5 lines)" "$(cat "$T/out")"
run "$CAREDESK" order import "$DATA/orders.csv"
check "second import changes nothing" "orders.csv: 0 orders created, 0 updated, 4 unchanged, 0 skipped (5 lines)" "$(cat "$T/out")"
run "$CAREDESK" order import "$DATA/orders.json"
check "JSON import" "orders.json: 2 orders created, 0 updated, 0 unchanged, 0 skipped (3 lines)" "$(cat "$T/out")"
n=$(sql 'SELECT count(*) FROM orders')
run "$CAREDESK" order import --strict "$DATA/bad_orders.csv"
check "strict import with bad rows exits EX_DATAERR" 65 "$rc"
check "strict import imports nothing" "$n" "$(sql 'SELECT count(*) FROM orders')"
grep -q "^caredesk: bad_orders.csv:3: column quantity: 'x' is not a whole number" "$T/err" && ok "bad row named by line and column" || fail "bad row message: $(cat "$T/err")"
grep -q "^caredesk: 7 problems in bad_orders.csv: nothing imported (--strict)$" "$T/err" && ok "strict says nothing was imported" || fail "strict message: $(cat "$T/err")"
run "$CAREDESK" order import "$DATA/bad_orders.csv"
check "import with skipped rows exits EX_DATAERR" 65 "$rc"
check "good rows imported, bad ones skipped" "bad_orders.csv: 2 orders created, 0 updated, 0 unchanged, 7 skipped (2 lines)" "$(cat "$T/out")"
check "one line per problem" 7 "$(grep -c '^caredesk: bad_orders.csv:' "$T/err")"
grep -q "^caredesk: bad_orders.csv:7:36: text after a closing quote" "$T/err" && ok "CSV syntax error names line and column" || fail "syntax message"
run "$CAREDESK" order import "$DATA/bad_orders.json" --json
check "JSON import --json is one document" "1 2 3" "$(J 'd["created"], d["skipped"], len(d["problems"])' <"$T/out" | tr -d '(),')"
run "$CAREDESK" order import "$T/nonexistent.csv"
check "missing file exits EX_NOINPUT" 66 "$rc"
check "order list --json" "A1001 delivered dora@example.org" "$("$CAREDESK" order list --json | J '" ".join(next([o["ref"], o["status"], o["customer"]] for o in d if o["ref"] == "A1001"))')"
"$CAREDESK" order show A1003 --json >"$T/order.json"
check "order show --json lines" "TN-1 3 CB-1 2" "$(J '" ".join("%s %d" % (l["sku"], l["returnable"]) for l in d["lines"])' <"$T/order.json")"
"$CAREDESK" order show a1003 | grep -q "^Order A1003  \[delivered\]" && ok "order show finds the reference in any case" || fail "order show text"
run "$CAREDESK" order set-status A1004 delivered --note "parcel tracked"
check "order set-status" "order A1004 is now delivered" "$(cat "$T/out")"
run "$CAREDESK" order set-status A1001 paid
check "forbidden order move exits EX_DATAERR" 65 "$rc"
check "forbidden order move names both states" "caredesk: A1001: an order cannot go from delivered to paid" "$(cat "$T/err")"
run "$CAREDESK" order set-status A1001 lost
check "unknown order status" "caredesk: unknown order status 'lost' (one of new, paid, shipped, delivered, cancelled, returned)" "$(cat "$T/err")"

# --- RMAs, on 2026-06-01 ---
export CAREDESK_NOW=1780272000
run "$CAREDESK" rma request A1001 --customer dora@example.org --reason "the screen is broken"
check "owner's request is authorized" "RMA-000001 authorized" "$(cat "$T/out")"
rmas=$(sql 'SELECT count(*) FROM rmas')
run "$CAREDESK" rma request A1001 --customer erik@example.org --reason "mine now"
check "stranger refused with EX_DATAERR" 65 "$rc"
check "stranger learns nothing" "refused: we could not find order A1001 for your address" "$(cat "$T/out")"
run "$CAREDESK" rma request A9999 --customer erik@example.org
check "unknown order: the same words" "refused: we could not find order A9999 for your address" "$(cat "$T/out")"
check "no RMA row for strangers" "$rmas" "$(sql 'SELECT count(*) FROM rmas')"
run "$CAREDESK" rma request A1002 --customer dora@example.org
check "past the warranty: refused with the reason" \
	"RMA-000002 refused: the warranty of 730 days for line 1 (PX-100 printer, old model) ended on 2025-01-14" "$(cat "$T/out")"
run "$CAREDESK" rma request A1003 --customer dora@example.org --sku TN-1 --quantity 4
check "quantity refused" "RMA-000003 refused: you asked to return 4 but only 3 of line 1 (TN-1 toner) can still be returned" "$(cat "$T/out")"
run "$CAREDESK" rma request A1003 --customer dora@example.org --reason "one is broken"
check "ambiguous line waits for an agent" "RMA-000004 requested: an agent decides" "$(cat "$T/out")"
run "$CAREDESK" rma authorize RMA-000004
check "authorize without a line" "caredesk: RMA-000004: which line of order A1003 is returned? (give the line number)" "$(cat "$T/err")"
run "$CAREDESK" rma authorize RMA-000004 --line 2
check "authorize with the line" "RMA-000004 is now authorized" "$(cat "$T/out")"
run "$CAREDESK" rma request A1003 --customer dora@example.org --line 2 --quantity 2 --no-auto
check "quantity counts authorized RMAs" "RMA-000005 refused: you asked to return 2 but only 1 of line 2 (CB-1 USB cable, 2 m) can still be returned" "$(cat "$T/out")"
run "$CAREDESK" rma request A1003 --customer dora@example.org --line 1 --no-auto
check "--no-auto leaves it requested" "RMA-000006 requested: an agent decides" "$(cat "$T/out")"
run "$CAREDESK" rma reject RMA-000006 opened toner cannot be returned
check "reject" "RMA-000006 is now rejected" "$(cat "$T/out")"
check "refusal reason stored" "opened toner cannot be returned" "$(sql 'SELECT refusal_reason FROM rmas WHERE id = 6')"
run "$CAREDESK" rma resolve RMA-000001 refund 199.00
check "out-of-order step exits EX_DATAERR" 65 "$rc"
check "out-of-order step names both states" "caredesk: RMA-000001: an RMA cannot go from authorized to refunded" "$(cat "$T/err")"
"$CAREDESK" rma receive RMA-000001 >/dev/null
"$CAREDESK" rma inspect RMA-000001 --note "screen cracked" >/dev/null
run "$CAREDESK" rma resolve RMA-000001 refund 250
check "refund above the price" "caredesk: RMA-000001: a refund of 250.00 is more than the 199.00 paid for 1 of line 1 (PX-200 printer)" "$(cat "$T/err")"
run "$CAREDESK" rma resolve RMA-000001 refund 199.00
check "refund" "RMA-000001 is now refunded" "$(cat "$T/out")"
check "fully refunded order is returned" returned "$(sql "SELECT status FROM orders WHERE ref = 'A1001'")"
"$CAREDESK" rma close RMA-000001 >/dev/null
run "$CAREDESK" rma close RMA-000001
check "closing twice" "caredesk: RMA-000001: an RMA cannot go from closed to closed (it already is)" "$(cat "$T/err")"
run "$CAREDESK" rma show RMA-000999
check "unknown RMA exits EX_NOINPUT" 66 "$rc"
"$CAREDESK" rma show RMA-000001 --json >"$T/rma.json"
check "rma show --json history" "created status status status status status" "$(J '" ".join(h["action"] for h in d["history"])' <"$T/rma.json")"
check "rma show --json states" "requested>authorized authorized>received received>inspected inspected>refunded refunded>closed" \
	"$(J '" ".join("%s>%s" % (h["from_state"], h["to_state"]) for h in d["history"][1:])' <"$T/rma.json")"
check "rma list --json --status" "RMA-000004" "$("$CAREDESK" rma list --status authorized --json | J '" ".join(r["ref"] for r in d)')"
"$CAREDESK" rma show RMA-000004 | grep -q "^For agent: *order A1003 has 2 lines" && ok "rma show prints the agent note" || fail "rma show text"

# --- offers ---
run "$CAREDESK" offer create --customer dora@example.org --line "DR-1:1:89.00:drum unit" --line "TN-1:2:29.90" \
	--title "Spare parts" --valid-until 2026-06-05
check "offer create" "offer OF-000001 created for dora@example.org: 2 lines, total 148.80 EUR, valid until 2026-06-05 23:59" "$(cat "$T/out")"
check "offer create mails the customer" "offer_sent|dora@example.org" \
	"$(sql "SELECT kind, recipient FROM outbox WHERE kind = 'offer_sent'")"
sql "SELECT body_text FROM outbox WHERE kind = 'offer_sent'" | grep -q "^  2 x TN-1  29.90 EUR" &&
	sql "SELECT body_text FROM outbox WHERE kind = 'offer_sent'" | grep -q "^  1 x drum unit (DR-1)  89.00 EUR" &&
	sql "SELECT body_text FROM outbox WHERE kind = 'offer_sent'" | grep -q "Total: 148.80 EUR" && ok "the offer mail lists lines and total" ||
	fail "offer mail: $(sql "SELECT body_text FROM outbox WHERE kind = 'offer_sent'")"
printf '{"offer": {"ref": "OF-9", "currency": "EUR", "total": "5.00", "lines": [{"sku": "S-1", "quantity": 1, "price": "5.00"}]}}' \
	| "$CAREDESK" templates render offer_sent --vars - >"$T/render" 2>&1
grep -q "Your offer$" "$T/render" && grep -q "Here is your offer OF-9:" "$T/render" && grep -q "^  1 x S-1  5.00 EUR" "$T/render" &&
	! grep -q ', ""' "$T/render" && ok "an offer without title or descriptions: no empty quotes, no repeated SKU" ||
	fail "offer_sent without title: $(cat "$T/render")"
cat >"$T/offer.json" <<'EOF'
{"customer": "fred@example.org", "title": "Scanner service", "lines": [{"sku": "SV-1", "quantity": 1, "unit_price": "59.00"}]}
EOF
run "$CAREDESK" offer create --file "$T/offer.json" --valid-days 3
check "offer create from JSON" "offer OF-000002 created for fred@example.org: 1 line, total 59.00 EUR, valid until 2026-06-04 00:00" "$(cat "$T/out")"
run "$CAREDESK" offer create --customer dora@example.org --line "DR-1:x:1"
check "bad --line exits EX_USAGE" 64 "$rc"
run "$CAREDESK" offer accept OF-000002 --comment "by phone"
check "offer accept" "offer OF-000002 is now accepted" "$(cat "$T/out")"
check "offer list --json" "OF-000002:accepted OF-000001:new" "$("$CAREDESK" offer list --json | J '" ".join(o["ref"] + ":" + o["status"] for o in d)')"
check "offer show --json" "DR-1 TN-1" "$("$CAREDESK" offer show OF-000001 --json | J '" ".join(l["sku"] for l in d["lines"])')"

# --- tickets ---
sql "INSERT INTO tickets(customer_id, queue_id, subject, status, created_at, updated_at, last_customer_at)
     SELECT id, 1, 'printer broken', 'open', $CAREDESK_NOW - 3600, $CAREDESK_NOW - 3600, $CAREDESK_NOW - 3600
     FROM customers WHERE email = 'dora@example.org'"
"$CAREDESK" agent add ana ana@example.test "Ana Agent" >/dev/null
"$CAREDESK" agent add ben ben@example.test "Ben Agent" >/dev/null
sql "INSERT INTO queues(name, sla_minutes, created_at) VALUES ('returns', 60, 0)"
run "$CAREDESK" ticket set T-000001 --priority high --assign ana --queue returns
check "ticket set several" "T-000001: queue returns, assigned to ana, priority high" "$(cat "$T/out")"
check "ticket row" "high|ana|returns" "$(sql 'SELECT t.priority, a.login, q.name FROM tickets t JOIN agents a ON a.id = t.assignee_id JOIN queues q ON q.id = t.queue_id')"
run "$CAREDESK" ticket set T-000001 --assign nobody-here --priority low
check "unknown agent: nothing changed" "caredesk: no active agent 'nobody-here'" "$(cat "$T/err")"
check "all or nothing" high "$(sql 'SELECT priority FROM tickets WHERE id = 1')"
run "$CAREDESK" ticket set T-000001 --queue nowhere
check "unknown queue lists the queues" "caredesk: no queue 'nowhere' (queues: returns, support)" "$(cat "$T/err")"
run "$CAREDESK" ticket set T-000001 --priority whenever
check "bad priority exits EX_DATAERR" 65 "$rc"
run "$CAREDESK" ticket set T-000001 --status resolved --assign none
check "status and unassign" "T-000001: unassigned, status resolved" "$(cat "$T/out")"
"$CAREDESK" ticket show T-000001 --json >"$T/ticket.json"
check "ticket history" "queue assign priority assign status" "$(J '" ".join(h["action"] for h in d["history"])' <"$T/ticket.json")"

# --- activations ---
"$CAREDESK" activations list --json >"$T/act.json"
check "activations list: pending customers" "dora@example.org erik@example.org fred@example.org gina@example.org hana@example.org jo@example.org" \
	"$(J '" ".join(sorted(r["customer"] for r in d))' <"$T/act.json")"
run "$CAREDESK" activations approve dora@example.org --note "known by phone"
check "approve" "customer dora@example.org is now active" "$(cat "$T/out")"
check "customer active" active "$(sql "SELECT status FROM customers WHERE email = 'dora@example.org'")"
run "$CAREDESK" activations approve dora@example.org
check "approve twice exits EX_DATAERR" 65 "$rc"
run "$CAREDESK" activations approve nobody@example.org
check "approve unknown exits EX_NOINPUT" 66 "$rc"

# --- tick, 8 days later ---
sql "INSERT INTO activations(customer_id, channel, code_hash, expires_at, created_at, updated_at)
     SELECT id, 'sms', 'x', $CAREDESK_NOW + 600, $CAREDESK_NOW, $CAREDESK_NOW FROM customers WHERE email = 'erik@example.org'"
export CAREDESK_NOW=$((CAREDESK_NOW + 8 * 86400))
run "$CAREDESK" tick
check "tick exits 0" 0 "$rc"
grep -q "^ticket T-000001 closed: resolved -> closed (resolved 8 days ago)$" "$T/out" && ok "tick closes the resolved ticket" || fail "tick output: $(cat "$T/out")"
grep -q "^offer OF-000001 expired: new -> expired" "$T/out" && ok "tick expires the offer" || fail "tick offer"
grep -q "^activation 2 expired: pending -> expired" "$T/out" && ok "tick expires the code" || fail "tick activation: $(cat "$T/out")"
check "tick summary" "tick: 1 ticket closed, 0 escalated; 0 RMAs, 1 offer, 1 activation code expired" "$(tail -n 1 "$T/out")"
run "$CAREDESK" tick --json
check "second tick changes nothing" "0 0" "$(J 'len(d["actions"]), d["tickets_closed"]' <"$T/out" | tr -d '(),')"
run "$CAREDESK" tick --quiet
check "tick --quiet with nothing due prints nothing" "" "$(cat "$T/out")"
# 40 days later: the authorized RMA-000004 expires; two ticks at once do it once
export CAREDESK_NOW=$((CAREDESK_NOW + 40 * 86400))
"$CAREDESK" tick --json >"$T/tick1" & p1=$!
"$CAREDESK" tick --json >"$T/tick2" & p2=$!
wait $p1 && wait $p2 && ok "two ticks at once succeed" || fail "concurrent ticks"
check "two ticks at once expire the RMA once" 1 "$(($(J 'd["rmas_expired"]' <"$T/tick1") + $(J 'd["rmas_expired"]' <"$T/tick2")))"
check "one audit row for it" 1 "$(sql "SELECT count(*) FROM audit_events WHERE entity = 'rma' AND entity_id = 4 AND to_state = 'expired'")"

# --- customer page ---
"$CAREDESK" customer show dora@example.org --json >"$T/cust.json"
check "customer show --json sections" "3 6 1 1 1" \
	"$(J '" ".join(str(len(d[k])) for k in ("orders", "rmas", "tickets", "offers", "activations"))' <"$T/cust.json")"
check "history in time order" True "$(J 'all(a["at"] <= b["at"] for a, b in zip(d["history"], d["history"][1:]))' <"$T/cust.json")"
check "history shows the refund" 1 "$(J 'sum(1 for h in d["history"] if h["what"] == "RMA-000001" and h["to_state"] == "refunded")' <"$T/cust.json")"
id=$(sql "SELECT id FROM customers WHERE email = 'dora@example.org'")
"$CAREDESK" customer show "$id" >"$T/cust.txt"
grep -q "^History:" "$T/cust.txt" && grep -q "RMA-000001 status inspected -> refunded" "$T/cust.txt" && ok "customer show by id, as a page" || fail "customer show text"
run "$CAREDESK" customer show nobody@example.org
check "unknown customer exits EX_NOINPUT" 66 "$rc"

# --- conventions ---
for c in "rma list" "rma show" "rma request" "rma authorize" "rma reject" "rma resolve" "offer create" "offer list" \
	"order import" "order set-status" "order show" "activations list" "activations approve" "customer show" "tick" "ticket set"; do
	# shellcheck disable=SC2086
	if "$CAREDESK" $c --help >"$T/help" 2>&1 && grep -q "Usage:" "$T/help"; then ok "$c --help"; else fail "$c --help"; fi
done
"$CAREDESK" order import --help | grep -q "line_delivered_at" && ok "order import --help documents the columns" || fail "import help"
for c in "rma frobnicate" "offer frobnicate" "order frobnicate" "activations frobnicate"; do
	# shellcheck disable=SC2086
	run "$CAREDESK" $c
	check "$c exits EX_USAGE" 64 "$rc"
	check "$c: one line on stderr" 1 "$(wc -l <"$T/err")"
done
finish
