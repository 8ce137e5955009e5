#!/bin/sh
# customer_data.sh - the customer commands end to end: search by each criterion, the customer page
# (notes with author and time, addresses, settings, tags, merge history), tags driving rules,
# merge (every row reachable from the primary; a later mail from a merged address joins the
# primary's ticket), erase (no trace of the address, name or number anywhere in the database file
# or its WAL, orders and RMAs kept; refused with an open order unless --force) and prune.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
J() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
run() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; }
# mail FILE FROM SUBJECT BODY [EXTRA-HEADER]: write a message
mail() {
	printf 'From: %s\nTo: support@example.test\n%sSubject: %s\nMessage-ID: <%s@test>\nDate: Mon, 01 Jun 2026 10:00:00 +0000\n\n%s\n' \
		"$2" "${5:+$5
}" "$3" "$(basename "$1" .eml)" "$4" >"$1"
}
deliver() { pipe "$1" -r support@example.test --sync; }

# --- customers with created dates, orders, tickets, RMAs ---
CAREDESK_NOW=1767225600 "$CAREDESK" customer add dora@example.org --name "Dora Kunde" --phone "+49 151 2345678" >/dev/null   # 2026-01-01
CAREDESK_NOW=1772323200 "$CAREDESK" customer add erik@example.org --name "Erik Berg" --phone "+46 70 1112233" >/dev/null    # 2026-03-01
"$CAREDESK" customer set erik@example.org --company "Berg AB" --group wholesale --language de >/dev/null
"$CAREDESK" customer tag add erik@example.org reseller >/dev/null
"$CAREDESK" order import "$CAREDESK_SRC/tests/data/orders/orders.csv" >/dev/null
export CAREDESK_NOW=1780272000   # 2026-06-01
"$CAREDESK" rma request A1001 --customer dora@example.org --reason "screen broken" >/dev/null
mail "$T/m1.eml" "Erik Berg <erik@example.org>" "Invoice question" "Where is my invoice?"
deliver "$T/m1.eml"

s() { "$CAREDESK" customer search "$@" --json | J '" ".join(c["email"] for c in d)'; }
check "search by part of the address" "dora@example.org" "$(s --email DORA@)"
check "search by name" "erik@example.org" "$(s --name berg)"
check "search by phone digits" "dora@example.org" "$(s --phone '(151) 234-5678')"
check "search by phone with + and spaces" "erik@example.org" "$(s --phone '+46 70 111')"
check "search by company" "erik@example.org" "$(s --company 'berg ab')"
check "search by tag (any case)" "erik@example.org" "$(s --tag RESELLER)"
check "search by group" "erik@example.org" "$(s --group wholesale)"
check "search by order ref" "dora@example.org" "$(s --order a1001)"
check "search by ticket ref" "erik@example.org" "$(s --ticket T-000001)"
check "search by RMA ref" "dora@example.org" "$(s --rma RMA-000001)"
check "search by status" "dora@example.org erik@example.org|" "$(s --status active)|$(s --status pending)"
check "search by created-between" "erik@example.org" "$(s --created-from 2026-02-01 --created-to 2026-03-01)"
check "criteria combine" "" "$(s --name dora --tag reseller)"
run "$CAREDESK" customer search --ticket X-1
check "bad ticket ref exits EX_USAGE" 64 "$rc"
"$CAREDESK" customer search --email example.org | grep -q "^ID  *EMAIL  *NAME" && ok "search prints a table" || fail "search table"

# --- notes, addresses, the page ---
run "$CAREDESK" customer note add dora@example.org prefers calls in the morning
check "note add" "note 1 added to customer 1" "$(cat "$T/out")"
"$CAREDESK" customer note add dora@example.org second note >/dev/null
"$CAREDESK" customer note edit 1 prefers calls after 10 >/dev/null
"$CAREDESK" customer note delete 2 >/dev/null
run "$CAREDESK" customer note delete 99
check "unknown note exits EX_NOINPUT" 66 "$rc"
"$CAREDESK" customer address add dora@example.org --kind shipping --street "Hauptstr. 5" --postcode 10115 --city Berlin --country DE >/dev/null
"$CAREDESK" customer show dora@example.org --json >"$T/page.json"
check "page: edited note with author and edit" "prefers calls after 10|$(id -un)|$(id -un)" \
	"$(J '"|".join(str(n[k]) for n in d["notes"] for k in ("body", "author", "edited_by"))' <"$T/page.json")"
check "page: address" "shipping Berlin" "$(J '" ".join(a["kind"] + " " + a["city"] for a in d["addresses"])' <"$T/page.json")"
check "page: history has the note and address events in order" "note added,note added,note edited,note deleted,address added" \
	"$(J '",".join(h["action"] for h in d["history"] if h["action"].startswith(("note", "address")))' <"$T/page.json")"
"$CAREDESK" customer show erik@example.org >"$T/page.txt"
grep -q "^Group: *wholesale" "$T/page.txt" && ok "page shows the group" || fail "group on the page"
grep -q "^Company: *Berg AB" "$T/page.txt" && ok "page shows the company" || fail "company on the page"

# --- tags drive rules ---
"$CAREDESK" customer tag add dora@example.org vip >/dev/null
mail "$T/m2.eml" "dora@example.org" "Toner" "Need toner."
deliver "$T/m2.eml"
check "customer.tag vip puts the ticket in the vip queue" "vip|high" \
	"$(sql "SELECT q.name, t.priority FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.subject = 'Toner'")"
"$CAREDESK" customer tag remove dora@example.org vip >/dev/null
check "tag removed" "" "$(sql "SELECT tag FROM customer_tags WHERE tag = 'vip'")"

# --- merge: a duplicate account with a ticket, an order, an RMA, an offer, a contact, a note, a tag ---
mail "$T/m3.eml" "Dora K <dora.old@example.net>" "Broken cable from order B2001" "My cable is broken."
deliver "$T/m3.eml"
OLD=$(sql "SELECT id FROM customers WHERE email = 'dora.old@example.net'")
T3=$(sql "SELECT ticket_id FROM messages WHERE message_id = 'm3@test'")
cat >"$T/o.csv" <<'EOF'
order_ref,email,name,status,ordered_at,delivered_at,line_no,sku,description,quantity,unit_price,warranty_days,serial
B2001,dora.old@example.net,Dora K,delivered,2026-05-01,2026-05-03,1,CB-1,cable,2,9.90,365,
EOF
"$CAREDESK" order import "$T/o.csv" >/dev/null
"$CAREDESK" rma request B2001 --customer dora.old@example.net --reason "cable broken" >/dev/null
"$CAREDESK" offer create --customer dora.old@example.net --line "CB-2:1:12.00:better cable" >/dev/null
"$CAREDESK" customer contact dora.old@example.net dora.work@example.net >/dev/null
"$CAREDESK" customer note add dora.old@example.net duplicate account >/dev/null
"$CAREDESK" customer tag add dora.old@example.net reseller >/dev/null
"$CAREDESK" customer tag add dora@example.org reseller >/dev/null
total() { sql "SELECT (SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM tickets) || ' ' || (SELECT count(*) FROM rmas) || ' ' || (SELECT count(*) FROM offers) || ' ' || (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM outbox)"; }
before=$(total)
mine() { sql "SELECT (SELECT count(*) FROM orders WHERE customer_id = $1) + (SELECT count(*) FROM tickets WHERE customer_id = $1) + (SELECT count(*) FROM rmas WHERE customer_id = $1) + (SELECT count(*) FROM offers WHERE customer_id = $1) + (SELECT count(*) FROM messages WHERE customer_id = $1) + (SELECT count(*) FROM customer_notes WHERE customer_id = $1)"; }
expect=$(( $(mine 1) + $(mine "$OLD") ))
run "$CAREDESK" customer merge dora@example.org dora.old@example.net
check "merge exits 0" 0 "$rc"
grep -q "^customer $OLD merged into 1: 1 order, 1 offer, 1 ticket, 1 RMA, 1 contact, 1 note, 1 tag$" "$T/out" && ok "merge says what moved" || fail "merge output: $(cat "$T/out")"
check "nothing lost" "$before" "$(total)"
check "every row reachable from the primary" "$expect" "$(mine 1)"
check "merged account gone" 0 "$(sql "SELECT count(*) FROM customers WHERE id = $OLD")"
check "no row refers to it" 0 "$(sql "SELECT (SELECT count(*) FROM messages WHERE customer_id = $OLD) + (SELECT count(*) FROM outbox WHERE customer_id = $OLD) + (SELECT count(*) FROM audit_events WHERE customer_id = $OLD) + (SELECT count(*) FROM customer_contacts WHERE customer_id = $OLD)")"
check "merged address and its contact are contacts of the primary" "dora.old@example.net dora.work@example.net" \
	"$(sql "SELECT group_concat(value, ' ') FROM (SELECT value FROM customer_contacts WHERE customer_id = 1 ORDER BY value)")"
check "common tag kept once" 1 "$(sql "SELECT count(*) FROM customer_tags WHERE customer_id = 1 AND tag = 'reseller'")"
"$CAREDESK" customer show 1 --json >"$T/page.json"
check "merge history on the page" "$OLD dora.old@example.net Dora K" \
	"$(J '" ".join("%s %s %s" % (m["merged_id"], m["email"], m["name"]) for m in d["merges"])' <"$T/page.json")"
check "the merged account's history is on the primary's page" 1 \
	"$(J 'sum(1 for h in d["history"] if h["action"] == "created" and h["note"] == "dora.old@example.net")' <"$T/page.json")"
run "$CAREDESK" customer merge dora@example.org dora@example.org
check "merge into itself refused" 64 "$rc"

# a later mail from the merged address joins the primary's ticket (subject tag), and a new one is the primary's
mail "$T/m4.eml" "dora.old@example.net" "Re: [T-$(printf %06d "$T3")] Broken cable" "Any news?"
deliver "$T/m4.eml"
check "mail from the merged address joins the ticket" "$T3|subject-tag|1" \
	"$(sql "SELECT ticket_id, threaded_by, customer_id FROM messages WHERE message_id = 'm4@test'")"
check "the ticket is the primary's" 1 "$(sql "SELECT customer_id FROM tickets WHERE id = $T3")"
mail "$T/m5.eml" "dora.old@example.net" "Another thing" "Hello again."
deliver "$T/m5.eml"
check "a new mail from the merged address opens a ticket of the primary" 1 \
	"$(sql "SELECT t.customer_id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'm5@test'")"
check "no account re-created for the merged address" 0 "$(sql "SELECT count(*) FROM customers WHERE email = 'dora.old@example.net'")"

# --- erase ---
"$CAREDESK" customer add erika@example.org --name "Erika Mustermann" --phone "+4915199887766" >/dev/null
cat >"$T/o2.csv" <<'EOF'
order_ref,email,name,status,ordered_at,delivered_at,line_no,sku,description,quantity,unit_price,warranty_days,serial
C3001,erika@example.org,Erika Mustermann,delivered,2026-05-01,2026-05-03,1,PX-200,printer,1,199.00,730,SN-E-1
C3002,erika@example.org,Erika Mustermann,paid,2026-05-20,,1,TN-1,toner,1,29.90,365,
EOF
"$CAREDESK" order import "$T/o2.csv" >/dev/null
"$CAREDESK" rma request C3001 --customer erika@example.org --reason "printer broken" >/dev/null
cat >"$T/m6.eml" <<'EOF'
From: Erika Mustermann <erika@example.org>
To: support@example.test
Subject: Printer C3001 and my number
Message-ID: <m6@test>
Date: Mon, 01 Jun 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Hello, this is Erika Mustermann, call me at +4915199887766.

--b
Content-Type: text/plain; name="erika-mustermann.txt"
Content-Disposition: attachment; filename="erika-mustermann.txt"

Erika Mustermann, Hauptstrasse 1
--b--
EOF
deliver "$T/m6.eml"
mail "$T/m7.eml" "Bob Other <bob@example.com>" "Question" "My colleague erika@example.org asked me to write." "Cc: Erika Mustermann <erika@example.org>"
deliver "$T/m7.eml"
"$CAREDESK" customer note add erika@example.org Erika Mustermann called from +4915199887766 >/dev/null
"$CAREDESK" customer address add erika@example.org --name "Erika Mustermann" --street "Hauptstrasse 1" --city Koeln >/dev/null
sql "SELECT count(*) FROM outbox WHERE recipient = 'erika@example.org'" | grep -qv '^0$' && ok "an acknowledgement was queued to her" || fail "no outbox row to erase"
counts="$(sql "SELECT (SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM order_lines) || ' ' || (SELECT count(*) FROM rmas) || ' ' || (SELECT count(*) FROM tickets)")"
run "$CAREDESK" customer erase erika@example.org
check "erase refused with an open order" 65 "$rc"
grep -q "open order" "$T/err" && ok "refusal names the open order" || fail "refusal: $(cat "$T/err")"
check "nothing erased after the refusal" "Erika Mustermann" "$(sql "SELECT name FROM customers WHERE email = 'erika@example.org'")"
ERIKA=$(sql "SELECT id FROM customers WHERE email = 'erika@example.org'")
run "$CAREDESK" customer erase erika@example.org --force
check "erase --force exits 0" 0 "$rc"
check "orders, lines, RMAs, tickets kept" "$counts" "$(sql "SELECT (SELECT count(*) FROM orders) || ' ' || (SELECT count(*) FROM order_lines) || ' ' || (SELECT count(*) FROM rmas) || ' ' || (SELECT count(*) FROM tickets)")"
check "orders and RMAs still hers" "2 1" "$(sql "SELECT (SELECT count(*) FROM orders WHERE customer_id = $ERIKA) || ' ' || (SELECT count(*) FROM rmas WHERE customer_id = $ERIKA)")"
check "the account is marked erased" "erased" "$("$CAREDESK" customer show "$ERIKA" --json | J '"erased" if d["erased"] else d["status"]')"
check "erase audited without personal data" 1 "$(sql "SELECT count(*) FROM audit_events WHERE customer_id = $ERIKA AND action = 'erased' AND note NOT LIKE '%erika%'")"
check "search finds it as erased" "$ERIKA" "$("$CAREDESK" customer search --status erased --json | J '" ".join(str(c["id"]) for c in d)')"
check "bob's message keeps its own text" 1 "$(sql "SELECT instr(body_full, 'asked me to write') > 0 FROM messages WHERE message_id = 'm7@test'")"
# no trace in the file: checkpoint and truncate the WAL, VACUUM, then scan every byte of the file and the WAL
sql "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
for f in "$DB" "$DB-wal"; do
	[ -f "$f" ] || continue
	for needle in erika@example.org "Erika Mustermann" "Mustermann" 4915199887766; do
		n=$(grep -a -i -c -- "$needle" "$f" || true)
		check "no '$needle' in $(basename "$f") even before VACUUM (secure_delete)" 0 "$n"
	done
done
sql "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
for f in "$DB" "$DB-wal"; do
	[ -f "$f" ] || continue
	for needle in erika@example.org "Erika Mustermann" 4915199887766; do
		check "no '$needle' in $(basename "$f") after VACUUM" 0 "$(grep -a -i -c -- "$needle" "$f" || true)"
	done
done
grep -a -c "Dora Kunde" "$DB" >/dev/null && ok "other customers' data still there (scan sanity)" || fail "scan finds nothing at all"

# --- prune ---
CAREDESK_NOW=1700000000 "$CAREDESK" customer add old@example.org --name "Old Account" >/dev/null
check "prune lists the inactive account" "old@example.org" \
	"$("$CAREDESK" customer prune --inactive 365 --json | J '" ".join(c["email"] for c in d)')"
check "listing changed nothing" "Old Account" "$(sql "SELECT name FROM customers WHERE email = 'old@example.org'")"
run "$CAREDESK" customer prune --inactive 365 --apply
check "prune --apply erases it" "1 customers erased, 0 skipped" "$(cat "$T/out")"
check "pruned account erased" "1|" "$(sql "SELECT erased_at IS NOT NULL, coalesce(email, '') FROM customers WHERE name IS NULL AND created_at = 1700000000")"
check "active customers untouched" "Dora Kunde" "$(sql "SELECT name FROM customers WHERE id = 1")"
run "$CAREDESK" customer prune
check "prune without --inactive exits EX_USAGE" 64 "$rc"
finish
