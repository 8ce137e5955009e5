#!/bin/sh
# rules_pipe.sh - filter rules in the MTA pipe: a reject rule makes pipe mode answer 77 with a
# "5.7.1 text" line for Postfix's bounce (the pipe switches to processing before its exit as soon
# as the loaded rules contain a reject), a drop rule takes the message in without a ticket (kept
# raw, audited), shipped rules set priority, and an edited rule file is picked up without restart.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
cat >"$T/cd/filters/90-local.rules" <<'RULES'
rule "no mail from the spam domain"
  when from ~ /@spam\.example$/
  then reject "no spam please"

rule "drop monitoring noise"
  when subject ~ /^NOISE:/
  then drop
RULES
"$MAILGW" process # an engine run loads the rules and records that one of them rejects

printf 'From: seller@spam.example\nTo: support@example.test\nSubject: cheap\nMessage-ID: <s1@spam.example>\n\nbuy\n' >"$T/spam.eml"
set +e
out=$("$MAILGW" pipe <"$T/spam.eml")
rc=$?
set -e
check "reject rule: exit 77 (EX_NOPERM)" 77 "$rc"
check "reject rule: 5.7.1 line for the MTA" "5.7.1 no spam please" "$out"
check "rejected message kept raw, marked rejected" rejected "$(sql "SELECT state FROM raw_messages")"
check "no ticket for a rejected message" 0 "$(sql 'SELECT count(*) FROM tickets')"
check "rejection audited" 1 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'rejected'")"

printf 'From: monitor@example.org\nTo: support@example.test\nSubject: NOISE: disk 81%%\nMessage-ID: <n1@example.org>\n\nx\n' >"$T/noise.eml"
rc=$(pipe_rc "$T/noise.eml")
check "drop rule: exit 0" 0 "$rc"
settle
check "dropped message kept raw" dropped "$(sql "SELECT state FROM raw_messages WHERE id = 2")"
check "no ticket for a dropped message" 0 "$(sql 'SELECT count(*) FROM tickets')"
check "drop audited with the rule" 1 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'dropped' AND actor LIKE '%drop monitoring noise%'")"

printf 'From: carla@example.fr\nTo: support@example.test\nSubject: URGENT: server down\nMessage-ID: <u1@example.fr>\n\nnothing works\n' >"$T/urgent.eml"
pipe "$T/urgent.eml"; settle
check "shipped rule: urgent subject raises the priority" urgent "$(sql "SELECT priority FROM tickets WHERE subject LIKE 'URGENT%'")"

# edit the rules: the spam domain becomes welcome; picked up without restart
sleep 1.1
sed -i 's/spam\\\.example/nobody\\.invalid/' "$T/cd/filters/90-local.rules"
printf 'From: seller@spam.example\nTo: support@example.test\nSubject: cheap again\nMessage-ID: <s2@spam.example>\n\nbuy\n' >"$T/spam2.eml"
rc=$(pipe_rc "$T/spam2.eml")
check "edited rule file picked up: accepted" 0 "$rc"
settle
check "edited rule file picked up: ticket" 1 "$(sql "SELECT count(*) FROM tickets WHERE subject = 'cheap again'")"

# a broken rule file keeps the previous rules in force and mail keeps flowing
sleep 1.1
printf 'rule "broken\n  when subject ~ /(/\n' >"$T/cd/filters/95-broken.rules"
printf 'From: seller@spam.example\nTo: support@example.test\nSubject: third\nMessage-ID: <s3@spam.example>\n\nbuy\n' >"$T/spam3.eml"
rc=$(pipe_rc "$T/spam3.eml")
check "broken rule file: mail still accepted" 0 "$rc"
settle 2>"$T/settle.err"
cat "$T/pipe.stderr" "$T/settle.err" | grep -q "95-broken.rules:" && ok "broken rule file logged with file:line:col" || fail "no error logged: $(cat "$T/settle.err")"
check "broken rule file: previous rules still applied" 1 "$(sql "SELECT count(*) FROM tickets WHERE subject = 'third'")"
finish
