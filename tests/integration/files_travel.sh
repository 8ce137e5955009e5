#!/bin/sh
# files_travel.sh - files go with the mail, through a real SMTP server (Postfix's smtp-sink): a
# customer's attachments (a file and an inline image) reach the agent with the notification, byte
# for byte; the files an agent attaches to a reply reach the customer, but not the agent's inline
# signature logo; files beyond forward_files_max_bytes stay behind and are listed; `caredesk ticket
# attachment ID` saves any stored one, never outside the folder it is told, and refuses to
# overwrite.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
smtp_sink 2755
sed -i "s/^forward_files_max_bytes = 10485760/forward_files_max_bytes = 300000/" "$CAREDESK_CONF"
grep -q "^forward_files_max_bytes = 300000" "$CAREDESK_CONF" || die "the default config has no forward_files_max_bytes"
"$CAREDESK" agent add ana ana@agents.test "Ana Agent" >/dev/null
deliver() { "$MAILGW" deliver --once --quiet; }

# files FILE: "name|content type|sha256|disposition" of each attachment of a sink message (or .eml)
files() {
	/usr/bin/python3 - "$1" <<'PY'
import email, email.policy, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for p in m.walk():
    if p.is_multipart() or p.get_content_maintype() == "text":
        continue
    print("%s|%s|%s|%s" % (p.get_filename(), p.get_content_type(),
                           hashlib.sha256(p.get_payload(decode=True)).hexdigest(), p.get_content_disposition()))
PY
}
hdr() { mail_header "$@"; }

# 1. A customer sends a photo (as a file), a screenshot (inline, in the HTML) and a PDF with a
#    German name; the three together fit in the limit, a fourth large file does not.
/usr/bin/python3 - "$T" <<'PY'
import os, sys
from email.message import EmailMessage
t = sys.argv[1]
m = EmailMessage()
m["From"] = "Carla <carla@example.org>"
m["To"] = "support@example.test"
m["Subject"] = "Broken hinge, photos attached"
m["Message-ID"] = "<files1@example.org>"
m.set_content("The hinge broke on day two. Photos attached.\n")
m.add_alternative('<p>The hinge broke. Screenshot: <img src="cid:shot1@example.org"></p>', subtype="html")
html = m.get_payload()[1]
html.add_related(os.urandom(20000), "image", "png", cid="<shot1@example.org>", filename="screenshot.png")
m.add_attachment(os.urandom(150000), maintype="image", subtype="jpeg", filename="hinge.jpg")
m.add_attachment(os.urandom(60000), maintype="application", subtype="pdf", filename="Rechnung März.pdf")
m.add_attachment(os.urandom(400000), maintype="application", subtype="zip", filename="video.zip")
open(t + "/c1.eml", "wb").write(bytes(m))
PY
pipe "$T/c1.eml"
settle
check "one ticket" 1 "$(sql 'SELECT count(*) FROM tickets')"
check "four attachments stored" 4 "$(sql 'SELECT count(*) FROM attachments WHERE content IS NOT NULL')"
check "three of them go with the notification (the zip is over the limit)" "Rechnung März.pdf
hinge.jpg
screenshot.png" "$(sql "SELECT a.filename FROM outbox o JOIN outbox_attachments l ON l.outbox_id = o.id
	JOIN attachments a ON a.id = l.attachment_id WHERE o.kind = 'agent_new_ticket' ORDER BY a.filename")"
check "no files with the customer's acknowledgement" 0 \
	"$(sql "SELECT count(*) FROM outbox o JOIN outbox_attachments l ON l.outbox_id = o.id WHERE o.kind = 'ticket_ack'")"
deliver
note=$(sink_find 'm["To"] and "ana@agents.test" in m["To"]')
[ -n "$note" ] || die "no agent notification reached the SMTP sink"
want=$(files "$T/c1.eml" | grep -v video.zip | cut -d'|' -f1-3 | sort)
check "the agent gets the customer's three files, byte for byte" "$want" "$(files "$note" | cut -d'|' -f1-3 | sort)"
check "sent as attachments" "attachment
attachment
attachment" "$(files "$note" | cut -d'|' -f4)"
mail_text "$note" | grep -q "video.zip" && ok "the file left behind is still named in the notification" \
	|| fail "video.zip is not named in the notification"
ack=$(sink_find 'm["To"] and "carla@example.org" in m["To"]')
check "the acknowledgement carries no files" "" "$(files "$ack")"

# 2. The agent answers with a file and an inline logo in the signature: the file reaches the
#    customer, the logo does not.
/usr/bin/python3 - "$T" "$(hdr "$note" Reply-To)" "$(hdr "$note" Message-ID)" <<'PY'
import os, sys
from email.message import EmailMessage
t, rt, mid = sys.argv[1:4]
m = EmailMessage()
m["From"] = "Ana Agent <ana@agents.test>"
m["To"] = rt
m["Subject"] = "Re: your hinge"
m["Message-ID"] = "<a1@agents.test>"
m["In-Reply-To"] = mid
m.set_content("Hi Carla, here is the return label. Ana\n")
m.add_alternative('<p>Hi Carla, here is the return label.</p><p>Ana <img src="cid:logo@agents.test"></p>', subtype="html")
m.get_payload()[1].add_related(os.urandom(3000), "image", "png", cid="<logo@agents.test>", filename="logo.png")
m.add_attachment(os.urandom(40000), maintype="application", subtype="pdf", filename="label.pdf")
open(t + "/a1.eml", "wb").write(bytes(m))
PY
pipe "$T/a1.eml"
settle
deliver
relayed=$(sink_find 'm["To"] and "carla@example.org" in m["To"] and "return label" in m.get_body(("plain",)).get_content()')
[ -n "$relayed" ] || die "the agent's reply did not reach the customer"
check "the customer gets the agent's file, not the signature logo" \
	"$(files "$T/a1.eml" | grep label.pdf | cut -d'|' -f1-3)" "$(files "$relayed" | cut -d'|' -f1-3)"

# 3. caredesk ticket attachment saves a stored file under its own name, or where -o says.
id=$(sql "SELECT id FROM attachments WHERE filename = 'hinge.jpg'")
"$CAREDESK" ticket show T-000001 | grep -q "\[attachment $id\] hinge.jpg" && ok "ticket show lists the attachment's ID" \
	|| fail "ticket show: $("$CAREDESK" ticket show T-000001 | grep attachment)"
mkdir "$T/save"
(cd "$T/save" && "$CAREDESK" ticket attachment "$id" 2>/dev/null) || fail "ticket attachment $id failed"
check "saved under its own name, the bytes the customer sent" "$(files "$T/c1.eml" | grep hinge.jpg | cut -d'|' -f3)" \
	"$(sha256sum "$T/save/hinge.jpg" | cut -d' ' -f1)"
set +e
(cd "$T/save" && "$CAREDESK" ticket attachment "$id" 2>"$T/err")
rc=$?
set -e
[ "$rc" -ne 0 ] && grep -q "exists" "$T/err" && ok "an existing file is not overwritten" || fail "rc $rc: $(cat "$T/err")"
"$CAREDESK" ticket attachment "$id" -o - 2>/dev/null | sha256sum | grep -q "$(sha256sum "$T/save/hinge.jpg" | cut -d' ' -f1)" \
	&& ok "-o - writes it to standard output" || fail "-o - differs"
# a name chosen by the sender never picks the folder
sql "UPDATE attachments SET filename = '../../evil.sh' WHERE id = $id"
(cd "$T/save" && "$CAREDESK" ticket attachment "$id" 2>/dev/null)
[ -f "$T/save/evil.sh" ] && [ ! -e "$T/evil.sh" ] && ok "a path in the sender's file name is dropped" || fail "saved where?"
# a stored file whose bytes do not match their SHA-256 is not handed out
sql "UPDATE attachments SET content = X'00' WHERE id = $id"
set +e
"$CAREDESK" ticket attachment "$id" -o "$T/bad" 2>"$T/err"
rc=$?
set -e
[ "$rc" -ne 0 ] && [ ! -e "$T/bad" ] && grep -q "SHA-256" "$T/err" && ok "damaged bytes are refused" || fail "rc $rc: $(cat "$T/err")"

finish
