#!/bin/sh
# sms_spool_twilio.sh - the other SMS paths: `caredesk-mailgw sms-spool` over smstools and
# gammu-smsd incoming files (a concatenated message in two UDH parts arrives whole; a part whose
# sibling has not arrived stays; files are removed after commit), answers written to an smstools
# outgoing folder by `caredesk-mailgw deliver`, and the Twilio-style webhook with curl: a good
# X-Twilio-Signature opens a ticket, a bad one gets 403 and an audit row, a signed status
# callback lands on the outbox row. Port 14181.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
WEB=127.0.0.1:14181
mkdir -p "$T/in" "$T/out"
python3 - "$T/cd/caredesk.conf" "$T/out" <<'PY'
import sys
p, out = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("listen = 127.0.0.1:8080", "listen = 127.0.0.1:14181")
s = s.replace("base_url = http://127.0.0.1:8080", "base_url = http://127.0.0.1:14181")
s = s.replace("# provider = kannel", "provider = spool")
s = s.replace("busy_timeout_ms = 5000", "busy_timeout_ms = 300")
s = s.replace("# spool_dir = /var/spool/sms/outgoing", "spool_dir = " + out)
open(p, "w").write(s)
PY

# --- templates check: an SMS template that can exceed the segment cap fails ---
S="$T/cd/templates/sms/en/status_reply.txt"
cp "$S" "$T/status_reply.orig"
printf '{{site.name}}: {{ref}} is {{state}}. %s\n' "$(printf 'Thank you for your patience, we are working on it. %.0s' 1 2 3 4 5 6 7 8)" >"$S"
set +e; "$CAREDESK" templates check >"$T/tc.out"; rc=$?; set -e
check "a template over the cap: exit 65" 65 "$rc"
grep -q "sms/en/status_reply.txt:1:1: can take 4 SMS segments" "$T/tc.out" && ok "it names the file and the segments" || fail "check said: $(cat "$T/tc.out")"
sed -i 's/^max_segments = 3/max_segments = 4/' "$T/cd/caredesk.conf"
check "within a cap of 4: clean" 0 "$(set +e; "$CAREDESK" templates check >/dev/null; echo $?)"
sed -i 's/^max_segments = 4/max_segments = 3/' "$T/cd/caredesk.conf"
cp "$T/status_reply.orig" "$S"
check "the shipped templates fit" 0 "$(set +e; "$CAREDESK" templates check >/dev/null; echo $?)"

# --- spool in ---
printf 'From: 4915111111111\nFrom_TOA: 91 international, ISDN/telephone\nSent: 26-11-23 10:00:00\nAlphabet: ISO\n\nMy printer\nis on fire\n' >"$T/in/GSM1.a1"
# a concatenated message in two parts (UDH IEI 00, reference 0x2A), the second part first by name
printf 'From: 4915122222222\nAlphabet: ISO\nUDH-DATA: 05 00 03 2A 02 02\n\n second half.\n' >"$T/in/GSM1.b1"
printf 'From: 4915122222222\nAlphabet: ISO\nUDH-DATA: 05 00 03 2A 02 01\n\nFirst half,\n' >"$T/in/GSM1.b2"
# a part whose sibling has not arrived
printf 'From: 4915133333333\nAlphabet: ISO\nUDH-DATA: 05 00 03 07 02 01\n\nonly one part\n' >"$T/in/GSM1.c1"
# UCS-2 (big-endian) body
printf 'From: 4915144444444\nAlphabet: UCS2\n\n' >"$T/in/GSM1.d1"
printf 'Grüße 🔥' | iconv -f UTF-8 -t UTF-16BE >>"$T/in/GSM1.d1"
# gammu-smsd: the sender in the name, UTF-16 with a byte-order mark
printf 'Hallo aus gammu €' | iconv -f UTF-8 -t UTF-16 >"$T/in/IN20261123_100000_00_+4915155555555_00.txt"
printf 'From: 4915188888888\nAlphabet: ISO\n\nRMA A1001 broken screen' >"$T/in/GSM1.e1"
"$MAILGW" sms-spool "$T/in" >"$T/spool.out"
cat "$T/spool.out"
check "smstools text, lines kept" "My printer
is on fire" "$(sql "SELECT body_full FROM messages WHERE from_addr = '+4915111111111'")"
check "concatenated parts joined in order" "First half, second half." "$(sql "SELECT body_full FROM messages WHERE from_addr = '+4915122222222'")"
check "UCS-2 decoded" "Grüße 🔥" "$(sql "SELECT body_full FROM messages WHERE from_addr = '+4915144444444'")"
check "gammu file taken in" "Hallo aus gammu €" "$(sql "SELECT body_full FROM messages WHERE from_addr = '+4915155555555'")"
check "a lone part stays in the folder, the rest is removed" "GSM1.c1" "$(ls "$T/in")"
check "five SMS tickets" 5 "$(sql "SELECT count(*) FROM tickets WHERE channel = 'sms'")"
check "the RMA keyword typed its ticket" rma "$(sql "SELECT type FROM tickets WHERE subject LIKE 'SMS: RMA%'")"
"$MAILGW" sms-spool "$T/in" >/dev/null
check "running again takes nothing twice" 5 "$(sql "SELECT count(*) FROM tickets")"
"$CAREDESK" reprocess --since 2000-01-01 --json >"$T/reprocess.json"
grep -q "Return request by SMS" "$T/reprocess.json" && ok "reprocess reads SMS as SMS (channel sms rules match)" ||
	fail "reprocess: $(cat "$T/reprocess.json")"

# --- spool out ---
"$MAILGW" deliver --once --quiet
f="$T/out/caredesk-$(sql "SELECT id FROM outbox WHERE recipient = '+4915111111111'")"
[ -f "$f" ] && ok "the answer is an smstools outgoing file" || fail "no $f in $(ls "$T/out")"
check "smstools header: number without +" "To: 4915111111111" "$(head -1 "$f")"
grep -q "T-000001" "$f" && ok "the acknowledgement names the ticket" || fail "outgoing file: $(cat "$f")"
check "every SMS row sent" 0 "$(sql "SELECT count(*) FROM outbox WHERE state != 'sent' AND channel = 'sms'")"

# --- keywords answered in their own language (fr, es), English for an English word ---
printf 'From: 33612345678\nAlphabet: ISO\n\nARRET\n' >"$T/in/GSM2.f1"
printf 'From: 34612345678\nAlphabet: ISO\n\nAYUDA\n' >"$T/in/GSM2.f2"
printf 'From: 33698765432\nAlphabet: ISO\n\nHELP\n' >"$T/in/GSM2.f3"
"$MAILGW" sms-spool "$T/in" >/dev/null
answer() { sql "SELECT body_text FROM outbox WHERE recipient = '$1' AND channel = 'sms'"; }
answer +33612345678 | grep -q "vous ne recevrez plus de SMS" && ok "ARRET: the French confirmation" || fail "ARRET: $(answer +33612345678)"
answer +34612345678 | grep -q "escríbanos su pregunta" && ok "AYUDA: the Spanish help" || fail "AYUDA: $(answer +34612345678)"
answer +33698765432 | grep -q "text us your question" && ok "HELP from a French number: English (the customer's language is unknown)" \
	|| fail "HELP: $(answer +33698765432)"

# --- Twilio-style webhook ---
"$CAREDESK_BIN/caredesk-web" >"$T/web.log" 2>&1 &
WEBPID=$!
CLEANUP='kill $WEBPID 2>/dev/null || true'
i=0
until curl -s -o /dev/null "http://$WEB/healthz"; do
	i=$((i + 1)); [ $i -lt 100 ] || die "caredesk-web did not start: $(cat "$T/web.log")"
	sleep 0.05
done
sign() { # sign URL NAME=VALUE...: X-Twilio-Signature as Twilio computes it
	python3 - "$T/cd/sms-auth.token" "$@" <<'PY'
import base64, hashlib, hmac, sys
token = open(sys.argv[1]).read().strip().encode()
url, params = sys.argv[2], [a.split("=", 1) for a in sys.argv[3:]]
s = url + "".join(k + v for k, v in sorted(params))
print(base64.b64encode(hmac.new(token, s.encode(), hashlib.sha1).digest()).decode())
PY
}
post() { # post PATH SIGNATURE NAME=VALUE...: the HTTP status
	path=$1 sig=$2; shift 2
	set -- $(for a in "$@"; do printf -- '--data-urlencode\n%s\n' "$a"; done)
	curl -s -o "$T/body" -w '%{http_code}' -H "X-Twilio-Signature: $sig" "$@" "http://$WEB$path"
}
U="http://$WEB/sms/twilio"
SIG=$(sign "$U" From=+4915166666666 To=+491234 Body=Hello-from-Twilio MessageSid=SM0001)
check "good signature: 200" 200 "$(post /sms/twilio "$SIG" From=+4915166666666 To=+491234 Body=Hello-from-Twilio MessageSid=SM0001)"
grep -q "<Response>" "$T/body" && ok "answered with TwiML" || fail "body: $(cat "$T/body")"
check "good signature: ticket opened" 1 "$(sql "SELECT count(*) FROM messages WHERE from_addr = '+4915166666666' AND body_full = 'Hello-from-Twilio'")"
check "the same MessageSid again: no second message" 200 "$(post /sms/twilio "$SIG" From=+4915166666666 To=+491234 Body=Hello-from-Twilio MessageSid=SM0001)"
check "still one message" 1 "$(sql "SELECT count(*) FROM messages WHERE from_addr = '+4915166666666'")"
check "bad signature: 403" 403 "$(post /sms/twilio "$SIG" From=+4915166666666 To=+491234 Body=Forged MessageSid=SM0002)"
check "bad signature: nothing taken in" 0 "$(sql "SELECT count(*) FROM messages WHERE body_full = 'Forged'")"
check "bad signature: audited" 1 "$(sql "SELECT count(*) FROM audit_events WHERE entity = 'webhook' AND action = 'refused'")"
check "no signature: 403" 403 "$(curl -s -o /dev/null -w '%{http_code}' --data 'From=%2B49151&Body=x' "http://$WEB/sms/twilio")"
# a transient failure (the database locked past the busy timeout) answers 503, so the gateway retries
SIG3=$(sign "$U" From=+4915177777777 Body=while-locked MessageSid=SM0003)
hold_db_lock 2
check "database locked: 503" 503 "$(post /sms/twilio "$SIG3" From=+4915177777777 Body=while-locked MessageSid=SM0003)"
wait $HOLDER
check "the retry after the lock: 200" 200 "$(post /sms/twilio "$SIG3" From=+4915177777777 Body=while-locked MessageSid=SM0003)"
check "taken in once" 1 "$(sql "SELECT count(*) FROM messages WHERE body_full = 'while-locked'")"
sql "UPDATE outbox SET provider_ref = 'SMabc' WHERE recipient = '+4915111111111'"
SU="http://$WEB/sms/twilio/status"
check "signed status callback: 200" 200 "$(post /sms/twilio/status "$(sign "$SU" MessageSid=SMabc MessageStatus=undelivered)" MessageSid=SMabc MessageStatus=undelivered)"
check "status recorded on the row" undelivered "$(sql "SELECT delivery_status FROM outbox WHERE provider_ref = 'SMabc'")"
check "an undelivered SMS is audited" 1 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'sms_undelivered'")"
finish
