#!/bin/sh
# web_accounts.sh - registration and activation per customer-group policy ([web] activation,
# [web.groups] and [web.activation]): a code by mail (entered on the page; wrong codes counted), a
# code by SMS (phone required), an admin's approval; registering a known address mails a reset
# link instead; and, behind a TLS proxy, plain HTTP redirected to https, Secure cookies, HSTS, the
# client IP taken from a trusted proxy's X-Forwarded-For.
. "$(dirname "$0")/../lib.sh"
WEB_PORT=18203
. "$CAREDESK_SRC/tests/web_lib.sh"
setup_caredesk
cat >>"$CAREDESK_CONF" <<'CONF'
[web.groups]
sms.example = texters
approve.example = business
[web.activation]
texters = sms
business = admin
CONF
start_web activation=email

# register JAR EMAIL [PHONE]
register() {
	tok=$(csrf "$1" /register)
	web "$1" --data-urlencode "csrf=$tok" --data-urlencode "name=Test Person" --data-urlencode "email=$2" \
		--data-urlencode "phone=${3:-}" --data-urlencode "password=a-long-password" "$U/register"
}
activate_code() { # JAR EMAIL CODE
	tok=$(csrf "$1" /activate)
	web "$1" --data-urlencode "csrf=$tok" --data-urlencode "email=$2" --data-urlencode "code=$3" "$U/activate"
}

# --- a code by mail (the default policy here) ---
register m ed@mail.example
check "registration" 200 "$code"
grep -q 'email with a code' "$T/body" && ok "asked to enter the mailed code" || fail "registered page: $(cat "$T/body")"
check "customer pending" pending "$(sql "SELECT status FROM customers WHERE email = 'ed@mail.example'")"
check "password stored as argon2id" 1 "$(sql "SELECT count(*) FROM customers WHERE email = 'ed@mail.example' AND password_hash LIKE '\$argon2id\$%'")"
mailcode=$(sql "SELECT body_text FROM outbox WHERE kind = 'activation' AND recipient = 'ed@mail.example'" | sed -n 's/.*this code: \([0-9]*\).*/\1/p')
[ ${#mailcode} -eq 6 ] && ok "a 6-digit code by mail" || fail "mailed code '$mailcode'"
sql "SELECT body_text FROM outbox WHERE kind = 'activation'" | grep -q 'reply to this email' && ok "the mail says a reply activates too" || fail "reply hint"
login m ed@mail.example a-long-password
check "a pending account cannot log in" 401 "$code"
grep -q 'not activated yet' "$T/body" && ok "told it is not activated (password was right)" || fail "pending login body"
activate_code m ed@mail.example 000000
check "wrong code refused" 400 "$code"
grep -q 'attempt' "$T/body" && ok "the answer counts the attempts left" || fail "wrong code body: $(grep error "$T/body")"
activate_code m ed@mail.example "$mailcode"
check "right code activates" 303 "$code"
check "customer active" active "$(sql "SELECT status FROM customers WHERE email = 'ed@mail.example'")"
login m ed@mail.example a-long-password
check "then login works" 303 "$code"

# --- a code by SMS for the group of sms.example ---
register s sam@sms.example
check "SMS policy needs a phone" 400 "$code"
register s sam@sms.example "+49 170 1234567"
check "registration with a phone" 200 "$code"
grep -q 'text message' "$T/body" && ok "asked to enter the SMS code" || fail "sms registered page"
check "the code goes by SMS to the phone" "sms +491701234567" "$(sql "SELECT channel || ' ' || recipient FROM outbox WHERE kind = 'activation' AND customer_id = (SELECT id FROM customers WHERE email = 'sam@sms.example')")"
check "the customer's group" texters "$(sql "SELECT customer_group FROM customers WHERE email = 'sam@sms.example'")"
smscode=$(sql "SELECT body_text FROM outbox WHERE channel = 'sms'" | grep -o '[0-9]\{6\}' | head -1)
activate_code s sam@sms.example "$smscode"
check "the SMS code activates" 303 "$code"

# --- an admin's approval for approve.example ---
register a ada@approve.example
grep -q 'checked by our team' "$T/body" && ok "told an admin approves" || fail "admin registered page"
check "nothing sent" 0 "$(sql "SELECT count(*) FROM outbox WHERE customer_id = (SELECT id FROM customers WHERE email = 'ada@approve.example')")"
"$CAREDESK" activations approve ada@approve.example >/dev/null
login a ada@approve.example a-long-password
check "login after the approval" 303 "$code"

# --- a known address ---
n=$(sql "SELECT count(*) FROM customers")
register k ed@mail.example
check "registering a known address answers the same" 200 "$code"
check "no second customer" "$n" "$(sql "SELECT count(*) FROM customers")"
check "its owner gets a reset link" 1 "$(sql "SELECT count(*) FROM outbox WHERE kind = 'password_reset' AND recipient = 'ed@mail.example'")"

# --- behind a TLS proxy ---
stop_web
start_web tls_proxy=true base_url=https://support.example.test trusted_proxies=127.0.0.1/32
code=$(curl -s -o /dev/null -D "$T/head" -w '%{http_code}' "$U/login?x=1")
check "plain HTTP is redirected" 301 "$code"
check "to https" "Location: https://support.example.test/login?x=1" "$(grep -i '^Location:' "$T/head" | tr -d '\r')"
web t -H 'X-Forwarded-Proto: https' "$U/login"
check "through the proxy" 200 "$code"
grep -qi '^Set-Cookie: cd_pre=.*; Secure' "$T/head" && ok "cookies are Secure" || fail "no Secure: $(grep -i set-cookie "$T/head")"
grep -qi '^Strict-Transport-Security: max-age=' "$T/head" && ok "HSTS" || fail "no HSTS"
tok=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$T/body" | head -1)
web t -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-For: 198.51.100.7' -d "csrf=$tok&email=ed@mail.example&password=nope-nope" "$U/login"
check "a failed login through the proxy" 401 "$code"
check "the client IP comes from X-Forwarded-For" 1 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'login_failed' AND note LIKE '%198.51.100.7%'")"
check "healthz is not redirected" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")"

stop_web
finish
