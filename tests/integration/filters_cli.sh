#!/bin/sh
# filters_cli.sh - `caredesk filters check` on the shipped rules (clean), on a broken folder (exit
# 65 with file:line:col, nothing half-loaded) and on the config's folder with its templates;
# `caredesk filters test` on demo mail and on an SMS, as text and --json, with the sender looked
# up read-only in the database; and that a dry run changes nothing.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
M="$CAREDESK_SRC/demo/mail"
F="$CAREDESK_SRC/filters"
J() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
rc() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $?; set -e; }

# check: the shipped rules are clean
check "check shipped filters exits 0" 0 "$(rc "$CAREDESK" filters check "$F")"
grep -q "rules, no problems" "$T/out" && ok "check says no problems" || fail "check output: $(cat "$T/out")"
check "check --json ok" "True 0" "$(CAREDESK_CONF=/nonexistent "$CAREDESK" filters check "$F" --json | J 'd["ok"], len(d["problems"])')"
"$CAREDESK" filters check "$F" -v | grep -q '^rule "Return request by mail (EN, DE, FR, ES)"$' && ok "check -v prints the rules back" ||
	fail "check -v"

# check: a broken folder does not load at all, and every broken file is named with line and column
mkdir -p "$T/bad"
printf 'rule "fine" then tag fine\n' >"$T/bad/10-good.rules"
printf '# two\nrule "typo" when subjct ~ /x/ then stop\n' >"$T/bad/20-bad.rules"
printf 'rule "flags" when subject ~ /x/g then stop\n' >"$T/bad/30-bad.rules"
check "check broken folder exits 65" 65 "$(rc "$CAREDESK" filters check "$T/bad")"
grep -q "^$T/bad/20-bad.rules:2:18: expected a field (from, to, cc, subject" "$T/out" && ok "error names file:line:col" ||
	fail "no file:line:col: $(cat "$T/out")"
grep -q "^$T/bad/30-bad.rules:1:32: expected regex flags (i, m, s, x or u), got 'g'" "$T/out" && ok "second file's error too" ||
	fail "second error: $(cat "$T/out")"
grep -q "not loaded" "$T/out" && ok "nothing half-loaded" || fail "half-load message: $(cat "$T/out")"
check "check --json names line and column" "20-bad.rules 2 18" \
	"$("$CAREDESK" filters check "$T/bad" --json | J '" ".join(str(x) for x in [d["problems"][0]["file"], d["problems"][0]["line"], d["problems"][0]["col"]])')"
check "test refuses broken rules" 65 "$(rc "$CAREDESK" filters test --rules "$T/bad" "$M/01-new-request.eml")"
grep -q "20-bad.rules:2:18" "$T/err" && ok "test says why on stderr" || fail "test stderr: $(cat "$T/err")"

# check with the config: its filters folder, templates checked
cp "$F"/*.rules "$T/cd/filters/"
check "config's filters and shipped templates: clean" 0 "$(rc "$CAREDESK" filters check)"
printf 'rule "welcome back" when customer == known then reply "welcome-back"\nrule "by sms" when channel == sms then sms "welcome-back"\n' \
	>"$T/cd/filters/90-local.rules"
check "config's filters: templates missing" 65 "$(rc "$CAREDESK" filters check)"
grep -q '90-local.rules:1:[0-9]*: reply "welcome-back": no such template' "$T/out" && ok "unknown template reported" ||
	fail "templates: $(cat "$T/out")"
mkdir -p "$T/cd/templates/email/en" "$T/cd/templates/sms/en"
echo "Welcome back" >"$T/cd/templates/email/en/welcome-back.subject"
echo "Good to hear from you again." >"$T/cd/templates/email/en/welcome-back.txt"
echo "Good to hear from you again." >"$T/cd/templates/sms/en/welcome-back.txt"
check "config's filters with templates: clean" 0 "$(rc "$CAREDESK" filters check)"
rm "$T/cd/filters/90-local.rules"

# test: a German return request from a stranger, without the database (--rules)
check "test exits 0" 0 "$(rc "$CAREDESK" filters test --rules "$F" "$M/03-html-only.eml")"
grep -q '^20-rma.rules:[0-9]* rule "Return request by mail (EN, DE, FR, ES)": MATCHED$' "$T/out" && ok "trace shows the rule" ||
	fail "trace: $(cat "$T/out")"
grep -q '«beschädigt»' "$T/out" && ok "trace shows what matched" || fail "trace match: $(cat "$T/out")"
grep -q '^  captures  order = "A1002"' "$T/out" && ok "decision shows the capture" || fail "decision: $(cat "$T/out")"
grep -q "^Dry run: nothing was stored, sent or changed.$" "$T/out" && ok "says it is a dry run" || fail "dry run line"
check "test --json" "rma returns A1002 unknown" \
	"$("$CAREDESK" filters test --rules "$F" "$M/03-html-only.eml" --json | J '" ".join([d["decision"]["type"], d["decision"]["queue"], d["decision"]["captures"]["order"], d["sender"]["customer"]])')"
check "test from stdin" "rma" "$("$CAREDESK" filters test --rules "$F" - --json <"$M/04-non-utf8.eml" | J 'd["decision"]["type"]')"
check "out-of-office: tagged, stopped, no reply" "auto-reply 0" \
	"$("$CAREDESK" filters test --rules "$F" "$M/05-out-of-office.eml" --json | J '" ".join([",".join(d["decision"]["tags"]), str(len(d["decision"]["replies"]))])')"

# test with the database: Alice is a known VIP customer with a phone number; nothing changes
"$CAREDESK" customer add alice@example.org "Alice Martin" >/dev/null
sql "INSERT INTO customer_tags SELECT id, 'vip' FROM customers WHERE email = 'alice@example.org';
     UPDATE customers SET phone = '+4915112345678' WHERE email = 'alice@example.org';"
before=$(sql "SELECT (SELECT count(*) FROM audit_events) || '/' || (SELECT count(*) FROM tickets) || '/' || (SELECT count(*) FROM outbox)" 2>/dev/null ||
	sql "SELECT (SELECT count(*) FROM audit_events) || '/' || (SELECT count(*) FROM tickets)")
sum_before=$(sha256sum "$DB" | cut -d' ' -f1)
check "known VIP from the database" "known vip vip high" \
	"$("$CAREDESK" filters test "$M/01-new-request.eml" --json | J '" ".join([d["sender"]["customer"], ",".join(d["sender"]["tags"]), d["decision"]["queue"], d["decision"]["priority"]])')"
check "SMS return from the VIP's phone" "known rma returns high A1001 display broken" \
	"$("$CAREDESK" filters test --sms +4915112345678 "RMA A1001 display broken" --json | J '" ".join([d["sender"]["customer"], d["decision"]["type"], d["decision"]["queue"], d["decision"]["priority"], d["decision"]["captures"]["order"], d["decision"]["captures"]["reason"]])')"
check "SMS activation code from a stranger" "unknown activation 123 456" \
	"$("$CAREDESK" filters test --sms +4917000000000 "123 456" --json | J '" ".join([d["sender"]["customer"], d["decision"]["type"], d["decision"]["captures"]["code"]])')"
check "--customer and --tag override the database" "agent None" \
	"$("$CAREDESK" filters test "$M/01-new-request.eml" --customer agent --json | J '" ".join([d["sender"]["customer"], str(d["decision"]["type"])])')"
"$CAREDESK" filters test --sms +4915112345678 "RMA A1001 display broken" >"$T/sms.txt"
grep -q '^Message:   SMS (sms, ' "$T/sms.txt" && grep -q "customer known: customer 1; tags vip" "$T/sms.txt" && ok "SMS as text" ||
	fail "SMS text: $(cat "$T/sms.txt")"
after=$(sql "SELECT (SELECT count(*) FROM audit_events) || '/' || (SELECT count(*) FROM tickets) || '/' || (SELECT count(*) FROM outbox)" 2>/dev/null ||
	sql "SELECT (SELECT count(*) FROM audit_events) || '/' || (SELECT count(*) FROM tickets)")
check "a dry run writes no row" "$before" "$after"
check "a dry run leaves the database file as it was" "$sum_before" "$(sha256sum "$DB" | cut -d' ' -f1)"

# usage errors
check "filters without a subcommand" 64 "$(rc "$CAREDESK" filters)"
check "test without a message" 64 "$(rc "$CAREDESK" filters test)"
check "test of a missing file" 66 "$(rc "$CAREDESK" filters test --rules "$F" "$T/nope.eml")"
check "test --customer must be known/unknown/agent" 64 "$(rc "$CAREDESK" filters test --rules "$F" --customer vip "$M/01-new-request.eml")"
finish
