#!/bin/sh
# smtp_agents.sh - answering by mail, through a real SMTP server (Postfix's smtp-sink, from
# ../shared/cookbook): a customer's mail produces an acknowledgement with the right threading
# headers; the customer's reply to it joins the ticket; an agent's reply written as a mail client
# writes it (quoting the notification) reaches the customer without the quote; commands from the
# agent act on the ticket; a forged command changes nothing and the real agent is told; a CR/LF
# smuggled into a subject never becomes a header.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
smtp_sink 2725
"$CAREDESK" agent add ana ana@agents.test "Ana Agent" >/dev/null

deliver() { "$MAILGW" deliver --once --quiet; }
hdr() { mail_header "$@"; }
body() { mail_text "$@"; }

# 1. A customer writes: an acknowledgement to them, a notification to the agent.
cat >"$T/c1.eml" <<'EOF'
From: Carla Customer <carla@example.org>
To: support@example.test
Subject: Printer shows error 42
Message-ID: <c1@example.org>
Content-Type: text/plain; charset=utf-8

Hello, my printer shows error 42 since yesterday. Can you help?
EOF
pipe "$T/c1.eml"
settle
check "new ticket" 1 "$(sql 'SELECT count(*) FROM tickets')"
check "two rows queued (ack, agent notification)" "agent_new_ticket|queued
ticket_ack|queued" "$(sql "SELECT kind, state FROM outbox ORDER BY kind")"
deliver
check "both sent" 2 "$(sql "SELECT count(*) FROM outbox WHERE state = 'sent'")"
ack=$(sink_find 'm["To"] and "carla@example.org" in m["To"]')
[ -n "$ack" ] || die "no acknowledgement reached the SMTP sink"
subject=$(hdr "$ack" Subject)
echo "$subject" | grep -q '\[T-000001\]' && ok "ack subject carries the tag ($subject)" || fail "ack subject: $subject"
check "ack In-Reply-To the customer's mail" "<c1@example.org>" "$(hdr "$ack" In-Reply-To)"
hdr "$ack" References | grep -q "<c1@example.org>" && ok "ack References" || fail "ack References: $(hdr "$ack" References)"
check "ack is an automatic answer (RFC 3834)" auto-replied "$(hdr "$ack" Auto-Submitted)"
ack_mid=$(hdr "$ack" Message-ID)
check "ack Message-ID is the outbox row's" "<$(sql "SELECT message_id FROM outbox WHERE kind = 'ticket_ack'")>" "$ack_mid"
reply_to=$(hdr "$ack" Reply-To)
echo "$reply_to" | grep -Eq '^support\+T1\.[A-Za-z0-9]+@example\.test$' && ok "ack Reply-To is a tokenised address" \
	|| fail "ack Reply-To: $reply_to"
verp=$(sed -n 's/^X-Mail-Args: <\(bounces+[^>]*\)>.*/\1/p' "$ack")
echo "$verp" | grep -Eq '^bounces\+[0-9]+\.[A-Za-z0-9]+@example\.test$' && ok "VERP return path ($verp)" \
	|| fail "envelope sender: $(grep X-Mail-Args "$ack")"
hdr "$ack" Content-Type | grep -q "multipart/alternative" && ok "ack has text and HTML" || fail "ack type: $(hdr "$ack" Content-Type)"

# 2. The customer answers the acknowledgement: it joins the ticket.
cat >"$T/c2.eml" <<EOF
From: Carla Customer <carla@example.org>
To: $reply_to
Subject: Re: $subject
Message-ID: <c2@example.org>
In-Reply-To: $ack_mid
References: <c1@example.org> $ack_mid
Content-Type: text/plain; charset=utf-8

I also tried turning it off and on again.
EOF
pipe "$T/c2.eml"
settle
check "customer reply joins the ticket" "1|2" "$(sql 'SELECT count(DISTINCT ticket_id), count(*) FROM messages')"

# 3. The agent answers the notification from a mail client, quoting it.
deliver
note=$(sink_find 'm["To"] and "ana@agents.test" in m["To"] and "T-000001" in str(m["Subject"])')
[ -n "$note" ] || die "no agent notification reached the SMTP sink"
agent_rt=$(hdr "$note" Reply-To)
note_mid=$(hdr "$note" Message-ID)
{
	printf 'From: Ana Agent <ana@agents.test>\nTo: %s\nSubject: Re: %s\nMessage-ID: <a1@agents.test>\n' "$agent_rt" "$(hdr "$note" Subject)"
	printf 'In-Reply-To: %s\nContent-Type: text/plain; charset=utf-8\n\n' "$note_mid"
	printf 'Hi Carla, please update the firmware to 2.1; that fixes error 42.\n\nAna\n\n'
	printf 'On Mon, 23 Nov 2026 at 10:00, Customer Support <support@example.test> wrote:\n'
	body "$note" | sed 's/^/> /'
} >"$T/a1.eml"
pipe "$T/a1.eml"
settle
deliver
relayed=$(sink_find 'm["To"] and "carla@example.org" in m["To"] and "firmware" in m.get_body(("plain",)).get_content()')
[ -n "$relayed" ] || die "the agent's reply did not reach the customer"
rb=$(body "$relayed")
echo "$rb" | grep -q "update the firmware to 2.1" && ok "agent's text relayed" || fail "relayed body: $rb"
echo "$rb" | grep -Eq "error 42 since yesterday|turning it off" && fail "the quoted notification was relayed too" \
	|| ok "quote not relayed"
echo "$rb" | grep -qi "wrote:" && fail "the quote header was relayed" || ok "quote header not relayed"
echo "$rb" | grep -q "ana@agents.test" && fail "the agent's address leaked" || ok "agent's address not shown"
check "relayed from the support address" "Customer Support <support@example.test>" "$(hdr "$relayed" From)"
hdr "$relayed" Subject | grep -q '\[T-000001\]' && ok "relayed subject carries the tag" || fail "relayed subject"
hdr "$relayed" References | grep -q "<c2@example.org>" && ok "relayed reply threads under the customer's mail" \
	|| fail "relayed References: $(hdr "$relayed" References)"
check "ticket pending after the agent's answer" pending "$(sql 'SELECT status FROM tickets WHERE id = 1')"
check "agent recorded as author" "agent" "$(sql "SELECT author_kind FROM messages WHERE message_id = 'a1@agents.test'")"

# 4. Commands from the agent act on the ticket; the agent is told.
cat >"$T/a2.eml" <<EOF
From: Ana Agent <ana@agents.test>
To: $agent_rt
Subject: Re: [T-000001] Printer shows error 42
Message-ID: <a2@agents.test>
Content-Type: text/plain; charset=utf-8

#priority high
#status resolved
The firmware fixed it, closing.
EOF
pipe "$T/a2.eml"
settle
check "commands applied" "high|resolved" "$(sql 'SELECT priority, status FROM tickets WHERE id = 1')"
check "the agent is told the result" 1 "$(sql "SELECT count(*) FROM outbox WHERE kind = 'agent_command_result'")"

# 5. A forged command: the agent's From, but not their reply address. Nothing changes.
cat >"$T/f1.eml" <<'EOF'
From: Ana Agent <ana@agents.test>
To: support@example.test
Subject: Re: [T-000001] Printer shows error 42
Message-ID: <forged1@evil.example>
Content-Type: text/plain; charset=utf-8

#status closed
#priority low
EOF
pipe "$T/f1.eml"
settle
check "forged commands changed nothing" "high|resolved" "$(sql 'SELECT priority, status FROM tickets WHERE id = 1')"
check "forged attempt audited" 1 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'agent_command_refused'")"
check "the real agent is told" 2 "$(sql "SELECT count(*) FROM outbox WHERE kind = 'agent_command_result' AND recipient = 'ana@agents.test'")"
# and the token of another recipient does not make an agent either
cat >"$T/f2.eml" <<EOF
From: Ana Agent <ana@agents.test>
To: $reply_to
Subject: Re: [T-000001]
Message-ID: <forged2@evil.example>
Content-Type: text/plain; charset=utf-8

#status closed
EOF
pipe "$T/f2.eml"
settle
check "a customer's token does not verify an agent" resolved "$(sql 'SELECT status FROM tickets WHERE id = 1')"

# 6. Header injection: a CR/LF inside an encoded subject stays in the subject.
cat >"$T/i1.eml" <<'EOF'
From: Ivan <ivan@example.org>
To: support@example.test
Subject: =?utf-8?q?Hello=0D=0ABcc=3A_victim=40example=2Ecom?=
Message-ID: <i1@example.org>
Content-Type: text/plain; charset=utf-8

Hi
EOF
pipe "$T/i1.eml"
settle
deliver
inj=$(sink_find 'm["To"] and "ivan@example.org" in m["To"]')
[ -n "$inj" ] || die "no acknowledgement for the injection test"
grep -qi "^Bcc:" "$inj" && fail "a smuggled Bcc: became a header" || ok "no header injected"
grep -c "^X-Rcpt-Args:" "$inj" | grep -qx 1 && ok "one envelope recipient" || fail "recipients: $(grep X-Rcpt-Args "$inj")"

# 7. A bounce of the acknowledgement, to its VERP address, is matched to its outbox row.
cat >"$T/dsn.eml" <<EOF
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: $verp
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.example.org>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; carla@example.org
Action: failed
Status: 5.1.1

--B--
EOF
pipe "$T/dsn.eml" -f "" -r "$verp"
settle
row=$(echo "$verp" | sed 's/^bounces+\([0-9]*\)\..*/\1/')
check "DSN recorded on the acknowledgement's row" "ticket_ack|failed|failed 5.1.1" \
	"$(sql "SELECT kind, state, delivery_status FROM outbox WHERE id = $row")"
check "one hard bounce counted" "1|0" "$(sql "SELECT hard_bounces, bouncing FROM mail_addresses WHERE address = 'carla@example.org'")"
check "the bounce opened no ticket" 2 "$(sql 'SELECT count(*) FROM tickets')"
"$CAREDESK" outbox show "$row" | grep -q "failed 5.1.1" && ok "outbox show tells the bounce" || fail "outbox show $row"

# 8. With trusted_authserv set, a token alone is not enough: the trusted host's pass is needed.
sed -i 's/^\[mail\]$/[mail]\ntrusted_authserv = mx.example.test/' "$CAREDESK_CONF"
agent_mail() { # agent_mail ID AUTH-RESULTS-LINE COMMAND
	{
		printf 'From: Ana Agent <ana@agents.test>\nTo: %s\nSubject: Re: [T-000001]\nMessage-ID: <%s@agents.test>\n' "$agent_rt" "$1"
		[ -z "$2" ] || printf 'Authentication-Results: %s\n' "$2"
		printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$3"
	} >"$T/$1.eml"
	pipe "$T/$1.eml"
	settle
}
agent_mail ar1 "" "#priority low"
check "no Authentication-Results: refused" high "$(sql 'SELECT priority FROM tickets WHERE id = 1')"
agent_mail ar2 "evil.example; dkim=pass header.d=agents.test" "#priority low"
check "a pass from another host: refused" high "$(sql 'SELECT priority FROM tickets WHERE id = 1')"
agent_mail ar3 "mx.example.test; dkim=fail; spf=softfail" "#priority low"
check "a failure from the trusted host: refused" high "$(sql 'SELECT priority FROM tickets WHERE id = 1')"
agent_mail ar4 "mx.example.test; dkim=pass header.d=agents.test" "#priority low"
check "a dkim pass from the trusted host: accepted" low "$(sql 'SELECT priority FROM tickets WHERE id = 1')"


# 9. A rule's reply replaces the acknowledgement; its notify adds an agent to the reply notifications.
"$CAREDESK" agent add bo bo@agents.test "Bo Agent" >/dev/null
mkdir -p "$T/cd/templates/email/en"
printf 'Your coverage question [{{ticket.ref}}]\n' >"$T/cd/templates/email/en/warranty.subject"
printf 'About serial {{captures.serial}}: we check the warranty.\n' >"$T/cd/templates/email/en/warranty.txt"
cat >"$T/cd/filters/60-warranty.rules" <<'EOF'
rule "Coverage questions"
  when subject ~ /coverage question/i
  then capture serial = body ~ /serial (?<serial>[A-Z0-9-]+)/
       reply "warranty"
       notify "bo"
EOF
"$CAREDESK" filters check >/dev/null && ok "warranty rule checks clean" || fail "filters check: $("$CAREDESK" filters check)"
printf 'From: Dora <dora@example.org>\nTo: support@example.test\nSubject: Coverage question\nMessage-ID: <w1@example.org>\n\nMy serial SN-77 is dead.\n' >"$T/w1.eml"
pipe "$T/w1.eml"
settle
wt=$(sql "SELECT id FROM tickets WHERE subject = 'Coverage question'")
check "the rule's reply, not the acknowledgement" "warranty" \
	"$(sql "SELECT group_concat(kind) FROM outbox WHERE ticket_id = $wt AND recipient = 'dora@example.org'")"
deliver
f=$(sink_find 'm["Subject"].startswith("Your coverage question")')
[ -n "$f" ] && body "$f" | grep -q "About serial SN-77" && ok "the reply carries the capture" || fail "warranty reply: $f"
check "the reply is an automatic answer" "auto-replied" "$(hdr "$f" Auto-Submitted)"
sql "UPDATE tickets SET assignee_id = (SELECT id FROM agents WHERE login = 'ana') WHERE id = $wt"
printf 'From: Dora <dora@example.org>\nTo: support@example.test\nSubject: Re: Your coverage question [T-%06d]\nIn-Reply-To: <w1@example.org>\nMessage-ID: <w2@example.org>\n\nAny news?\n' "$wt" >"$T/w2.eml"
pipe "$T/w2.eml"
settle
check "the assignee and the rule's agent hear of the reply" "ana@agents.test,bo@agents.test" \
	"$(sql "SELECT group_concat(recipient) FROM (SELECT recipient FROM outbox WHERE ticket_id = $wt AND kind = 'agent_customer_reply' ORDER BY recipient)")"
rm "$T/cd/filters/60-warranty.rules"

finish
