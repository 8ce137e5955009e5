#!/bin/sh
# cli.sh - caredesk init/doctor and the conventions every command keeps: idempotent init,
# secret key mode 0600, --json documents, --help, one-line errors starting with the program name.
. "$(dirname "$0")/../lib.sh"
out=$("$CAREDESK" init "$T/cd" --domain example.test)
DB="$T/cd/caredesk.db"
for f in caredesk.conf secret.key caredesk.db; do
	[ -f "$T/cd/$f" ] && ok "init created $f" || fail "init did not create $f"
done
check "secret key mode" 600 "$(stat -c %a "$T/cd/secret.key")"
check "database in WAL mode" wal "$(sql 'PRAGMA journal_mode')"
check "schema version recorded" 1 "$(sql 'SELECT user_version > 0 FROM pragma_user_version')"
key=$(cat "$T/cd/secret.key")
"$CAREDESK" init "$T/cd" >/dev/null
check "second init keeps the secret key" "$key" "$(cat "$T/cd/secret.key")"
"$CAREDESK" doctor >"$T/doctor.out" && ok "doctor passes on a fresh install" || { cat "$T/doctor.out"; fail "doctor"; }
chmod 644 "$T/cd/secret.key"
if "$CAREDESK" doctor >"$T/doctor.out"; then fail "doctor accepts a world-readable secret key"; else ok "doctor refuses a world-readable secret key"; fi
grep -q "chmod 600" "$T/doctor.out" && ok "doctor says what to do" || fail "doctor output lacks the fix"
chmod 600 "$T/cd/secret.key"
"$CAREDESK" doctor --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert all(c["level"]!="fail" for c in d), d' \
	&& ok "doctor --json is one JSON document" || fail "doctor --json"

"$CAREDESK" agent add ana ana@example.test "Ana Agent" >/dev/null
"$CAREDESK" customer add dora@example.org --name "Dora Kunde" >/dev/null
"$CAREDESK" customer contact dora@example.org dora.office@example.org >/dev/null
check "agent list --json" ana "$("$CAREDESK" agent list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["login"])')"
check "customer list --json" dora@example.org "$("$CAREDESK" customer list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["email"])')"
pipe "$CAREDESK_SRC/demo/mail/01-new-request.eml"
settle
"$CAREDESK" ticket list --json >"$T/list.json"
check "ticket list --json ref" T-000001 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["ref"])' "$T/list.json")"
"$CAREDESK" ticket show T-000001 >"$T/show.txt"
grep -q "error E42" "$T/show.txt" && ok "ticket show prints the message" || fail "ticket show text"
grep -q "created" "$T/show.txt" && ok "ticket show prints the history" || fail "ticket show history"
"$CAREDESK" ticket set T-000001 --status resolved >/dev/null
check "ticket set changes the status" resolved "$(sql 'SELECT status FROM tickets WHERE id = 1')"
set +e
"$CAREDESK" ticket set T-000001 --status new 2>"$T/err"
rc=$?
set -e
check "illegal transition exits EX_DATAERR" 65 "$rc"
grep -q "^caredesk: T-000001: a ticket cannot go from resolved to new" "$T/err" && ok "illegal transition names both states" || fail "error text: $(cat "$T/err")"
set +e
"$CAREDESK" ticket show T-999999 2>"$T/err"; rc=$?
set -e
check "unknown ticket exits EX_NOINPUT" 66 "$rc"
"$CAREDESK" --help | grep -q "init DIR" && ok "--help lists commands" || fail "--help"
"$MAILGW" --help | grep -q "pipe" && ok "caredesk-mailgw --help" || fail "mailgw --help"
finish
