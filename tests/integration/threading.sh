#!/bin/sh
# threading.sh - the demo conversation through the MTA pipe: replies join by In-Reply-To and by
# subject tag from the ticket's own customer, a stranger copying the tag gets a new ticket, an
# out-of-office reply is stored but changes nothing, a bounce is recorded without a ticket, HTML-
# only and non-UTF-8 mail is readable, a reply to a closed ticket opens a follow-up, and the same
# mail reaching two addresses is one message with both recipients recorded.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
M="$CAREDESK_SRC/demo/mail"
deliver() { pipe "$M/$1" -r support@example.test; settle; }

deliver 01-new-request.eml
check "first mail opens T-000001" "1|new" "$(sql 'SELECT id, status FROM tickets')"
check "sender becomes a pending customer" "alice@example.org|pending|Alice Martin" "$(sql 'SELECT email, status, name FROM customers')"
check "signature stripped from the new text" 0 "$(sql "SELECT instr(body_reply, 'Martin & Söhne') FROM messages WHERE id = 1")"
check "full text keeps the signature" 1 "$(sql "SELECT instr(body_full, 'Martin & Söhne') > 0 FROM messages WHERE id = 1")"

deliver 02-reply-from-alice.eml
check "reply joins by In-Reply-To" "1|in-reply-to|customer" "$(sql "SELECT ticket_id, threaded_by, author_kind FROM messages WHERE message_id = 'req-2@mail.example.org'")"
check "quoted history stripped" "I forgot the photo of the display, it is attached now. The error came back after a restart." \
	"$(sql "SELECT body_reply FROM messages WHERE message_id = 'req-2@mail.example.org'")"
check "RFC 2231 filename decoded" "display E42 – foto.png|image/png|70" \
	"$(sql "SELECT filename, content_type, size FROM attachments")"
check "attachment hash" "$(printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==' | base64 -d | sha256sum | cut -d' ' -f1)" \
	"$(sql "SELECT sha256 FROM attachments")"
check "HTML alternative kept sanitised" 1 "$(sql "SELECT body_html LIKE '%<blockquote%since this morning%' FROM messages WHERE message_id = 'req-2@mail.example.org'")"

deliver 03-html-only.eml
check "RFC 2047 subject decoded" "Lieferung für Bestellung A1002 beschädigt" "$(sql 'SELECT subject FROM tickets WHERE id = 2')"
check "HTML-only mail readable as text" 1 "$(sql "SELECT instr(body_full, 'die Lieferung für Bestellung A1002 kam beschädigt an') > 0 FROM messages WHERE ticket_id = 2")"
check "list items as lines" 1 "$(sql "SELECT instr(body_full, 'Karton eingedrückt') > 0 FROM messages WHERE ticket_id = 2")"
check "no script text in the text" 0 "$(sql "SELECT instr(body_full, 'alert') FROM messages WHERE ticket_id = 2")"
check "no script or handler in the HTML" 0 "$(sql "SELECT (instr(lower(body_html), '<script') + instr(lower(body_html), 'onclick') + instr(body_html, 'alert')) FROM messages WHERE ticket_id = 2")"

deliver 04-non-utf8.eml
check "undeclared 8-bit text decoded (Windows-1252)" 1 "$(sql "SELECT instr(body_full, 'Je voudrais être remboursée pour la commande A1003, l’article ne fonctionne pas.') > 0 FROM messages WHERE ticket_id = 3")"

"$CAREDESK" ticket set T-000001 --status pending >/dev/null
deliver 05-out-of-office.eml
check "out-of-office joins the ticket as auto-reply" "1|auto_reply" "$(sql "SELECT ticket_id, kind FROM messages WHERE message_id = 'ooo-1@mail.example.org'")"
check "out-of-office does not re-open" pending "$(sql 'SELECT status FROM tickets WHERE id = 1')"

deliver 06-bounce.eml
check "bounce recorded" bounce "$(sql "SELECT kind FROM messages WHERE message_id = 'dsn-1@mx.example.org'")"
check "bounce opens no ticket" 3 "$(sql 'SELECT count(*) FROM tickets')"
check "bounce audited with its status" 1 "$(sql "SELECT count(*) FROM audit_events WHERE action = 'bounce' AND note LIKE '%5.1.1%nobody@example.org%'")"

deliver 07-stranger-copies-tag.eml
check "stranger copying [T-000001] gets a new ticket" "4|" "$(sql "SELECT ticket_id, coalesce(threaded_by, '') FROM messages WHERE message_id = 'm-1@evil.example'")"
check "T-000001 still has only Alice's mails" 0 "$(sql "SELECT count(*) FROM messages WHERE ticket_id = 1 AND from_addr LIKE '%evil%'")"

deliver 08-tag-from-owner.eml
check "owner's tag (address in other case) joins" "1|subject-tag|customer" "$(sql "SELECT ticket_id, threaded_by, author_kind FROM messages WHERE message_id = 'req-3@mail.example.org'")"
check "one customer for both spellings" 1 "$(sql "SELECT count(*) FROM customers WHERE email = 'alice@example.org'")"
check "customer reply re-opens a pending ticket" open "$(sql 'SELECT status FROM tickets WHERE id = 1')"
check "Outlook quote block stripped" "Any news? The printer still shows E42." "$(sql "SELECT body_reply FROM messages WHERE message_id = 'req-3@mail.example.org'")"
check "re-open audited" 1 "$(sql "SELECT count(*) FROM audit_events WHERE entity = 'ticket' AND entity_id = 1 AND from_state = 'pending' AND to_state = 'open' AND actor_kind = 'customer'")"

# A contact allowed to follow may use the tag; one who may not is treated as a stranger.
"$CAREDESK" customer contact alice@example.org alice.home@example.org >/dev/null
sed -e 's/^From: .*/From: alice.home@example.org/' -e 's/req-3@/req-4@/' "$M/08-tag-from-owner.eml" >"$T/contact.eml"
pipe "$T/contact.eml"; settle
check "contact's tag joins" "1|contact" "$(sql "SELECT ticket_id, author_kind FROM messages WHERE message_id = 'req-4@mail.example.org'")"

# Closed tickets are final: a reply opens a follow-up.
"$CAREDESK" ticket set T-000002 --status closed >/dev/null
cat >"$T/late.eml" <<MAIL
From: bob.keller@example.net
To: support@example.test
Subject: Re: Lieferung
Message-ID: <late@example.net>
In-Reply-To: <CAbob123@mail.example.net>

Are you still there?
MAIL
pipe "$T/late.eml"; settle
check "reply to a closed ticket opens a follow-up" "2|new" "$(sql "SELECT follow_up_of, status FROM tickets WHERE id = (SELECT ticket_id FROM messages WHERE message_id = 'late@example.net')")"

# One mail, two addresses: the same bytes, then a copy with an extra Delivered-To.
tickets=$(sql 'SELECT count(*) FROM tickets')
cat >"$T/two.eml" <<MAIL
From: dave@example.org
To: support@example.test, sales@example.test
Subject: price list
Message-ID: <two@example.org>

Please send me the price list.
MAIL
pipe "$T/two.eml" -r support@example.test
pipe "$T/two.eml" -r sales@example.test
{ printf 'Delivered-To: info@example.test\n'; cat "$T/two.eml"; } >"$T/two-b.eml"
pipe "$T/two-b.eml" -r info@example.test
settle
check "one ticket for a mail sent to three addresses" $((tickets + 1)) "$(sql 'SELECT count(*) FROM tickets')"
check "one message" 1 "$(sql "SELECT count(*) FROM messages WHERE message_id = 'two@example.org'")"
check "all recipients recorded" "info@example.test,sales@example.test,support@example.test" \
	"$(sql "SELECT group_concat(recipient) FROM (SELECT d.recipient FROM raw_deliveries d JOIN raw_messages r ON r.id = d.raw_id WHERE r.id IN (SELECT raw_id FROM messages WHERE message_id = 'two@example.org') OR r.message_id IN (SELECT id FROM messages WHERE message_id = 'two@example.org') ORDER BY 1)")"
check "the copy is marked duplicate" 1 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'duplicate'")"
finish
