#!/bin/sh
# outbox_bench.sh BUILD [N] - outbound delivery rate to a local SMTP sink (Postfix's smtp-sink,
# from ../shared/cookbook). N (default 2000) customer mails are taken in from a Maildir, which
# queues N acknowledgements and N agent notifications (2N outbox rows, rendered from the shipped
# templates); then `caredesk-mailgw deliver --once` sends them all and the rate is printed.
# Reference, in the same script and against the same sink: Python's smtplib sending the same
# number of ready-made messages over one connection (no database, no rendering, no bookkeeping).
# Prints msgs/s for both and the ratio.
set -eu
build=$(cd "$1" && pwd)
n=${2:-2000}
bin="$build/bin"
here=$(cd "$(dirname "$0")" && pwd)
shared=$(cd "$here/../../shared" && pwd)
w="$build/bench-work/outbox"
rm -rf "$w"
mkdir -p "$w"
sink=$(mktemp -d /tmp/cd-bench-sink.XXXXXX)
chmod 755 "$sink"
trap '"$shared/cookbook/smtp-sink-test.sh" stop "$sink" >/dev/null 2>&1; rm -rf "$sink"' EXIT
SMTP_PORT=2825 "$shared/cookbook/smtp-sink-test.sh" start "$sink" >/dev/null

python3 "$here/gen_messages.py" "$w/msgs" "$n" 7 0 >/dev/null
"$bin/caredesk" init "$w/cd" --domain example.test >/dev/null
export CAREDESK_CONF="$w/cd/caredesk.conf"
python3 - "$CAREDESK_CONF" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("[mail]\n", "[mail]\nsmtp_url = smtp://127.0.0.1:2825/example.test\nauto_reply_per_day = 1000000\n", 1)
open(p, "w").write(s)
PY
"$bin/caredesk" agent add ana ana@agents.test "Ana Agent" >/dev/null
mkdir -p "$w/Maildir/new" "$w/Maildir/cur" "$w/Maildir/tmp"
cp "$w"/msgs/* "$w/Maildir/new/"
"$bin/caredesk-mailgw" maildir --quiet "$w/Maildir"
rows=$(sqlite3 "$w/cd/caredesk.db" "SELECT count(*) FROM outbox WHERE state = 'queued'")
echo "outbox-bench: $n mails taken in, $rows rows queued; $(nproc) cores"

t0=$(date +%s.%N)
"$bin/caredesk-mailgw" deliver --once --quiet
t1=$(date +%s.%N)
sent=$(sqlite3 "$w/cd/caredesk.db" "SELECT count(*) FROM outbox WHERE state = 'sent'")
ours=$(echo "$sent / ($t1 - $t0)" | bc -l | cut -d. -f1)
echo "caredesk deliver: $sent of $rows sent in $(echo "$t1 - $t0" | bc -l | cut -c1-6) s, $ours msgs/s"

ref=$(/usr/bin/python3 - "$rows" <<'PY'
import smtplib, sys, time
from email.message import EmailMessage
n = int(sys.argv[1])
msgs = []
for i in range(n):
    m = EmailMessage()
    m["From"] = "Customer Support <support@example.test>"
    m["To"] = "customer%d@example.org" % i
    m["Subject"] = "[T-%06d] We received your message" % i
    m["Message-ID"] = "<ref.%d@example.test>" % i
    m.set_content("Hello,\n\nthank you for your message. Your ticket is T-%06d.\n" % i)
    m.add_alternative("<p>Hello,</p><p>thank you for your message.</p>", subtype="html")
    msgs.append(m)
t0 = time.time()
s = smtplib.SMTP("127.0.0.1", 2825, local_hostname="example.test")
for m in msgs:
    s.send_message(m, from_addr="bounces@example.test")
s.quit()
print("%.0f" % (n / (time.time() - t0)))
PY
)
echo "reference (Python smtplib, one connection, prebuilt messages): $ref msgs/s"
echo "outbox-bench summary: caredesk $ours msgs/s, reference $ref msgs/s, ratio $(echo "$ours / $ref" | bc -l | cut -c1-4)"
