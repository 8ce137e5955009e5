#!/bin/sh
# templates_cli.sh - `caredesk templates check` on the templates `caredesk init` installed and on
# the shipped folder (clean, exit 0), on a broken copy (exit 65, each problem as file:line:col, also
# as --json), on a folder that is not there (66); `templates vars` and `templates render` (a
# German preview with the variables from a file, an SMS); and usage errors.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
S="$CAREDESK_SRC/templates"
J() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
rc() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $?; set -e; }

# init installed the whole tree, language folders and partials included
[ -f "$T/cd/templates/email/de/ticket_ack.txt" ] && [ -f "$T/cd/templates/email/partials/en/footer.txt" ] &&
	[ -f "$T/cd/templates/sms/de/activation.txt" ] && ok "init copied the templates recursively" ||
	fail "init did not copy the template tree: $(find "$T/cd/templates" | head -20)"

# clean: the config's folder and the shipped one
check "check the installed templates exits 0" 0 "$(rc "$CAREDESK" templates check)"
grep -q "^$T/cd/templates: [0-9]* templates, no problems$" "$T/out" && ok "summary says no problems" ||
	fail "summary: $(cat "$T/out")"
check "check the shipped templates exits 0" 0 "$(rc "$CAREDESK" templates check "$S")"
check "check --json ok" "True 0" "$(CAREDESK_CONF=/nonexistent "$CAREDESK" templates check "$S" --json | J 'd["ok"], len(d["problems"])')"

# broken: a syntax error, an unknown variable, a missing English text, an HTML without its text
B="$T/broken"
cp -r "$S" "$B"
printf 'Hello {{customer.name}},\n\n{{#ticket.ref}}\nyour request\n' >"$B/email/en/ticket_ack.txt"
printf 'Your code: {{activation.cod}}\n' >"$B/sms/en/activation.txt"
rm "$B/email/en/password_reset.txt"
rm "$B/email/de/order_status.txt"
check "check a broken copy exits 65" 65 "$(rc "$CAREDESK" templates check "$B")"
grep -q "^$B/email/en/ticket_ack.txt:3:1: expected {{/ticket.ref}} to close the section {{#ticket.ref}} that starts here" "$T/out" &&
	ok "syntax error with file:line:col" || fail "syntax error: $(cat "$T/out")"
grep -q "^$B/sms/en/activation.txt:1:12: unknown variable 'activation.cod': kind activation has no activation.cod" "$T/out" &&
	ok "unknown variable with its position" || fail "unknown variable: $(cat "$T/out")"
grep -q "^$B/email/en/password_reset.txt: missing: caredesk sends password_reset" "$T/out" &&
	ok "missing English text" || fail "missing text: $(cat "$T/out")"
grep -q "^$B/email/de/order_status.html:1:1: an HTML template needs its text alternative" "$T/out" &&
	ok "HTML without text" || fail "html without text: $(cat "$T/out")"
grep -q "^$B: [0-9]* templates, 5 problems$" "$T/out" && ok "summary counts the problems" || fail "summary: $(tail -1 "$T/out")"
check "check --json names file, line and column" "False sms/en/activation.txt 1 12" \
	"$("$CAREDESK" templates check "$B" --json | J '" ".join(str(x) for x in [d["ok"]] + [[p["file"], p["line"], p["col"]] for p in d["problems"] if "activation.cod" in p["message"]][0])')"
check "check a folder that is not there" 66 "$(rc "$CAREDESK" templates check "$T/nope")"

# the rules' template check knows the layout: a shipped kind is found in email/en/
mkdir -p "$T/rules"
printf 'rule "ack" when subject exists then reply ticket_ack\n  sms "activation"\n' >"$T/rules/10-ack.rules"
check "filters check finds templates in language folders" 0 "$(rc "$CAREDESK" filters check "$T/rules" --templates "$S")"

# vars
"$CAREDESK" templates vars >"$T/vars.txt"
grep -q "^rma_authorized  *email sms " "$T/vars.txt" && ok "vars lists the kinds" || fail "vars: $(cat "$T/vars.txt")"
"$CAREDESK" templates vars activation | grep -q "^  activation.code$" && ok "vars KIND lists its variables" || fail "vars activation"
check "vars --json" "True" "$("$CAREDESK" templates vars --json | J '"offer.lines[].sku" in [v for k in d["kinds"] for v in k["vars"] if k["kind"] == "offer_sent"]')"
check "vars of an unknown kind" 64 "$(rc "$CAREDESK" templates vars nope)"

# render: a German preview with real values, an SMS, and the placeholders without --vars
cat >"$T/vars.json" <<'EOF'
{"site": {"name": "Beispiel GmbH", "support_address": "hilfe@beispiel.test"},
 "customer": {"name": "Jörg Müller"},
 "activation": {"code": "731 204", "link": "https://beispiel.test/a/x", "minutes": 30}}
EOF
check "render exits 0" 0 "$(rc "$CAREDESK" templates render activation --lang de --vars "$T/vars.json" --dir "$S")"
grep -q "^Subject: Aktivieren Sie Ihr Konto bei Beispiel GmbH$" "$T/out" && grep -q "^Guten Tag Jörg Müller,$" "$T/out" &&
	grep -q "oder geben Sie diesen Code ein: 731 204" "$T/out" && ok "German preview" || fail "render: $(cat "$T/out")"
check "render --sms" "Your Beispiel GmbH activation code is 731 204. It is valid for 30 minutes." \
	"$("$CAREDESK" templates render activation --sms --vars "$T/vars.json" --dir "$S")"
check "render --json" "True" "$("$CAREDESK" templates render ticket_ack --json | J '"[ticket.ref]" in d["subject"] and d["html"] is not None')"
check "render an unknown kind" 66 "$(rc "$CAREDESK" templates render nope --dir "$S")"

# usage errors
check "templates without a subcommand" 64 "$(rc "$CAREDESK" templates)"
check "render without a kind" 64 "$(rc "$CAREDESK" templates render)"
finish
