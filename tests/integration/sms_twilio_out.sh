#!/bin/sh
# sms_twilio_out.sh - SMS out through a Twilio-style REST API: `caredesk-mailgw deliver` POSTs each
# SMS row to {url}/2010-04-01/Accounts/{sid}/Messages.json with HTTP basic auth (sid, auth token),
# To, From, Body and the StatusCallback, and keeps the returned sid on the row; the API's 5xx is
# retried, its 4xx fails the row. Also the per-number daily limit (the hourly one: sms_kannel.sh).
# The API is a small local HTTP server (python3) that records what it was sent. Port 14190.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
API=127.0.0.1:14190
sed -i -e 's|^# provider = kannel|provider = twilio|' -e "s|^# url = .*|url = http://$API|" \
	-e 's|^# from = 1234|from = +4930555000|' -e 's|^# account_sid = .*|account_sid = ACtest123|' \
	-e 's|^per_number_hourly = .*|per_number_hourly = 100|' -e 's|^per_number_daily = .*|per_number_daily = 3|' "$CAREDESK_CONF"
token=$(cat "$T/cd/sms-auth.token")
python3 - "$T/api.log" 14190 >"$T/api.out" 2>&1 <<'PY' &
import base64, json, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
log, port = sys.argv[1], int(sys.argv[2])
n = 0
seen = set()
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        global n
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = urllib.parse.parse_qs(body)
        user, _, password = base64.b64decode(self.headers.get("Authorization", "Basic ")[6:]).decode().partition(":")
        n += 1
        to = form.get("To", [""])[0]
        status = 503 if to.endswith("503") and to not in seen else 400 if to.endswith("400") else 201
        seen.add(to)
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "user": user, "password": password, "form": form, "status": status}) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"sid": "SM%04d" % n, "status": "queued"} if status == 201 else {"message": "no"}).encode())
    def log_message(self, *a):
        pass
HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
API_PID=$!
CLEANUP='kill $API_PID 2>/dev/null || true'
trap 'eval "$CLEANUP"' EXIT
i=0
until curl -s -o /dev/null "http://$API/"; do i=$((i + 1)); [ $i -lt 50 ] || die "API did not start"; sleep 0.1; done
sms() { # sms FROM TEXT: an SMS in through the spool folder
	mkdir -p "$T/in"
	printf 'From: %s\nAlphabet: ISO\n\n%s\n' "$1" "$2" >"$T/in/GSM1.$(date +%s%N)"
	"$MAILGW" sms-spool "$T/in" >/dev/null
}

# a customer texts in: the acknowledgement goes out through the API
"$CAREDESK" customer add dora@example.org --name "Dora" --phone +4915111110001 >/dev/null
sms 4915111110001 "My printer is broken"
check "one SMS row queued" 1 "$(sql "SELECT count(*) FROM outbox WHERE channel = 'sms' AND state = 'queued'")"
"$MAILGW" deliver --once --quiet
check "sent, the API's sid kept" "sent|SM0001" "$(sql "SELECT state, provider_ref FROM outbox WHERE channel = 'sms'")"
J() { python3 -c "import json, sys; d = [json.loads(l) for l in open('$T/api.log')][$1]; print($2)"; }
check "the path names the account" "/2010-04-01/Accounts/ACtest123/Messages.json" "$(J 0 'd["path"]')"
check "basic auth: sid and auth token" "ACtest123 $token" "$(J 0 'd["user"] + " " + d["password"]')"
check "To, From" "+4915111110001 +4930555000" "$(J 0 'd["form"]["To"][0] + " " + d["form"]["From"][0]')"
J 0 'd["form"]["Body"][0]' | grep -q "T-000001" && ok "the body names the ticket" || fail "body: $(J 0 'd["form"]["Body"][0]')"
J 0 'd["form"]["StatusCallback"][0]' | grep -q "/sms/twilio/status$" && ok "a status callback is asked for" ||
	fail "callback: $(J 0 'd["form"].get("StatusCallback")')"

# the API fails: 503 is retried later, 400 fails the row
"$CAREDESK" customer add erik@example.org --name "Erik" --phone +4915111110503 >/dev/null
"$CAREDESK" customer add fay@example.org --name "Fay" --phone +4915111110400 >/dev/null
sms 4915111110503 "Hello from Erik"
sms 4915111110400 "Hello from Fay"
"$MAILGW" deliver --once --quiet
check "503: queued again, one attempt" "queued|1" "$(sql "SELECT state, attempts FROM outbox WHERE recipient = '+4915111110503'")"
check "400: failed at once" "failed" "$(sql "SELECT state FROM outbox WHERE recipient = '+4915111110400'")"
sql "UPDATE outbox SET next_attempt_at = 0 WHERE recipient = '+4915111110503'"
"$MAILGW" deliver --once --quiet
check "503 then 201: sent on the retry" "sent|2" "$(sql "SELECT state, attempts FROM outbox WHERE recipient = '+4915111110503'")"

# the daily limit: 3 a day to one number, whatever the hour
for k in "STATUS T-000001" "status T-000001" "Status T-000001" "STATUS t-000001" "status t-000001"; do
	sms 4915111110001 "$k"
done
check "daily limit: 3 SMS to the number, the rest cancelled" "3 3" \
	"$(sql "SELECT (SELECT count(*) FROM outbox WHERE recipient = '+4915111110001' AND state <> 'cancelled') || ' ' || (SELECT count(*) FROM outbox WHERE recipient = '+4915111110001' AND state = 'cancelled')")"
check "daily limit: each cancelled SMS audited" 3 \
	"$(sql "SELECT count(*) FROM audit_events WHERE action = 'suppressed' AND note LIKE '%daily limit%'")"
finish
