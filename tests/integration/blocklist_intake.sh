#!/bin/sh
# blocklist_intake.sh - the fraud stop at every door (issue 8): a blocked address and a blocked
# domain by mail open no ticket and get no answer, the message is kept raw (dropped) and an audit
# row says why; a blocked number by SMS (spool intake) gets nothing, not even a STOP confirmation;
# an expired entry blocks nothing; an unblocked sender is served as before. (The web view's
# refusal of a blocked IP, address or phone: web_security.sh.)
. "$(dirname "$0")/../lib.sh"
setup_caredesk
mkdir -p "$T/in" "$T/out"
sed -i -e 's|^# provider = kannel|provider = spool|' -e "s|^# spool_dir = .*|spool_dir = $T/out|" "$CAREDESK_CONF"
mail() { # mail FROM SUBJECT
	printf 'From: %s\nTo: support@example.test\nSubject: %s\nMessage-ID: <%s@x>\n\nHello\n' "$1" "$2" "$(echo "$2" | tr ' ' -)" >"$T/m.eml"
	pipe "$T/m.eml"
	settle
}
tickets() { sql "SELECT count(*) FROM tickets"; }

"$CAREDESK" blocklist add email fraud@example.org --reason "chargeback fraud" >/dev/null
"$CAREDESK" blocklist add domain spam.example --reason "spam run" >/dev/null
"$CAREDESK" blocklist add phone +4915199999999 --reason "abusive texts" >/dev/null
"$CAREDESK" blocklist add email old@example.org --reason "long ago" --expires 2020-01-01 >/dev/null 2>&1 ||
	sql "INSERT INTO blocklist(kind, value, reason, created_at, expires_at) VALUES ('email', 'old@example.org', 'long ago', 0, 1)"

mail "Fraud <fraud@example.org>" "refund now"
check "blocked address: no ticket" 0 "$(tickets)"
check "blocked address: kept raw, dropped" "dropped" "$(sql "SELECT state FROM raw_messages ORDER BY id DESC LIMIT 1")"
sql "SELECT note FROM audit_events WHERE action = 'blocked' ORDER BY id DESC LIMIT 1" | grep -q "fraud@example.org.*chargeback fraud" &&
	ok "blocked address: audited with the reason" || fail "audit: $(sql "SELECT action, note FROM audit_events")"
check "blocked address: nothing queued" 0 "$(sql "SELECT count(*) FROM outbox")"

mail "Bot <bot@mx3.spam.example>" "cheap pills"
check "blocked domain (a subdomain): no ticket" 0 "$(tickets)"
check "blocked domain: audited" 2 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'blocked'")"

mail "Old <old@example.org>" "expired entry"
check "expired entry: a ticket as usual" 1 "$(tickets)"
mail "Carla <carla@example.org>" "printer"
check "unblocked sender: a ticket as usual" 2 "$(tickets)"
check "unblocked senders are acknowledged" 2 "$(sql "SELECT count(*) FROM outbox WHERE kind = 'ticket_ack'")"

printf 'From: 4915199999999\nAlphabet: ISO\n\nSTOP\n' >"$T/in/GSM1.a1"
printf 'From: 4915199999999\nAlphabet: ISO\n\nmy order please\n' >"$T/in/GSM1.a2"
printf 'From: 4915177777777\nAlphabet: ISO\n\nmy order please\n' >"$T/in/GSM1.a3"
"$MAILGW" sms-spool "$T/in" >/dev/null
check "spool emptied" 0 "$(ls "$T/in" | wc -l)"
check "blocked number: no ticket, the other number one" 3 "$(tickets)"
check "blocked number: both texts kept raw, dropped" 2 \
	"$(sql "SELECT count(*) FROM raw_messages WHERE channel = 'sms' AND state = 'dropped'")"
check "blocked number: no opt-out recorded, nothing sent" "0 0" \
	"$(sql "SELECT (SELECT count(*) FROM sms_optouts) || ' ' || (SELECT count(*) FROM outbox WHERE recipient = '+4915199999999')")"
check "blocked number: audited" 2 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'blocked' AND note LIKE 'SMS from +4915199999999%'")"
finish
