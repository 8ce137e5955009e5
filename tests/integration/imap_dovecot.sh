#!/bin/sh
# imap_dovecot.sh - `caredesk-mailgw imap` against a real Dovecot (../shared/cookbook/dovecot-test.sh,
# IMAP 11143, POP3 11110): a drain with --once turns every appended message into what a Maildir
# drain of the same files makes of them (same ticket count) and leaves the folder empty; with
# --move-to Archive the messages end up in Archive instead; the long-running mode, configured by a
# [mailbox.NAME] section with a password file, takes a message that arrives while it is in IDLE
# within 5 s, reconnects after the server restarted, and ends with exit 0 on SIGTERM; STARTTLS
# verifies the server's certificate (unknown CA or wrong name: exit 78, nothing taken); connection
# refused and a wrong password exit 75 and 78.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
COOKBOOK="$CAREDESK_SHARED/cookbook"
[ -x "$COOKBOOK/dovecot-test.sh" ] || die "no $COOKBOOK/dovecot-test.sh"
command -v dovecot >/dev/null || die "dovecot not installed (scripts/install-deps.sh: dovecot-imapd dovecot-pop3d)"

chmod 755 "$T" # dovecot's mail and auth processes must traverse it
D="$T/dovecot"
GW=""
CLEANUP='[ -z "$GW" ] || kill -9 $GW 2>/dev/null || true; "$COOKBOOK/dovecot-test.sh" stop "$D" >/dev/null 2>&1 || true'
trap 'eval "$CLEANUP"' EXIT
trap 'exit 1' INT TERM
IMAP_PORT=11143 POP3_PORT=11110 "$COOKBOOK/dovecot-test.sh" start "$D" >"$T/dovecot.out" 2>&1 ||
	{ cat "$T/dovecot.out" >&2; die "dovecot did not start"; }
. "$D/env.sh"
URL="imap://$MAIL_USER:$MAIL_PASS@$IMAP_HOST:$IMAP_PORT"

imap_cmd() { curl -s "$URL/$1" -X "$2"; }
# exists FOLDER: the EXISTS count of a folder
exists() { imap_cmd "" "EXAMINE $1" | sed -n 's/^\* \([0-9]*\) EXISTS.*/\1/p'; }
uids() { imap_cmd INBOX "UID SEARCH ALL" | sed -n 's/^\* SEARCH *//p' | tr -d '\r'; }
tickets() { "$CAREDESK" ticket list --json --limit 100000 | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
raws() { sql "SELECT count(DISTINCT raw_id) FROM raw_deliveries WHERE source = 'imap'"; }

# 1. demo mail and the RT corpus, appended in a fixed order; a Maildir drain of the same files in
#    the same order into another installation is the reference.
find "$CAREDESK_SRC/demo/mail" "$CAREDESK_SHARED/corpus/rt" -type f | sort >"$T/list1"
N1=$(wc -l <"$T/list1")
[ "$N1" -ge 25 ] || die "only $N1 messages to append"
"$CAREDESK" init "$T/ref" --domain example.test >/dev/null
mkdir -p "$T/ref/Maildir/new" "$T/ref/Maildir/cur" "$T/ref/Maildir/tmp"
i=0
while read -r f; do
	i=$((i + 1))
	curl -s "$URL/INBOX" -T "$f" || die "APPEND $f failed"
	cp "$f" "$T/ref/Maildir/new/$(printf '17%08d' $i).M$i.ref"
done <"$T/list1"
check "all $N1 appended" "$N1" "$(exists INBOX)"
"$MAILGW" -c "$T/ref/caredesk.conf" maildir "$T/ref/Maildir" --quiet
ref_tickets=$(CAREDESK_CONF="$T/ref/caredesk.conf" tickets)

"$MAILGW" imap "$URL/INBOX" --once >"$T/once.out" 2>"$T/once.err" || { cat "$T/once.err" >&2; fail "imap --once exit $?"; }
cat "$T/once.out"
check "imap --once: every message stored once" "$N1" "$(raws)"
check "imap --once: as many tickets as a Maildir drain of the same files ($ref_tickets)" "$ref_tickets" "$(tickets)"
check "imap --once: none pending" 0 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"
check "INBOX empty afterwards (EXAMINE)" 0 "$(exists INBOX)"
check "INBOX empty afterwards (UID SEARCH)" "" "$(uids)"
check "UIDVALIDITY recorded" 1 "$(sql "SELECT count(*) FROM settings WHERE key LIKE 'imap:%/INBOX.uidvalidity'")"

# 2. --move-to Archive: a Maildir drop (unseen mail, as an LDA delivers it), then a drain that
#    moves instead of expunging.
N2=0
for f in "$CAREDESK_SHARED"/corpus/mikel-mail/plain_emails/*; do
	N2=$((N2 + 1))
	cp "$f" "$MAILDIR/tmp/18$N2.drop"
	chown --reference="$MAILDIR" "$MAILDIR/tmp/18$N2.drop"
	mv "$MAILDIR/tmp/18$N2.drop" "$MAILDIR/new/$(printf '18%08d' $N2).M$N2.drop"
done
check "Maildir drop seen by IMAP" "$N2" "$(exists INBOX)"
"$MAILGW" imap "$URL/INBOX" --once --move-to Archive --quiet 2>"$T/move.err" ||
	{ cat "$T/move.err" >&2; fail "imap --once --move-to exit $?"; }
check "--move-to: INBOX empty" 0 "$(exists INBOX)"
check "--move-to: all $N2 in Archive" "$N2" "$(exists Archive)"
# CRLF line ends become LF (as Dovecot stores them): two files differing only in that are one
ls "$CAREDESK_SHARED"/corpus/mikel-mail/plain_emails/* | cat "$T/list1" - >"$T/list2"
distinct=$(while read -r f; do sed 's/\r$//' "$f" | sha256sum; done <"$T/list2" | sort -u | wc -l)
check "--move-to: all stored (distinct after CRLF to LF: $distinct)" "$distinct" "$(raws)"

# 3. the long-running mode from a config section (no password on the command line): IDLE latency
printf '%s\n' "$MAIL_PASS" >"$T/imap.pass"
chmod 600 "$T/imap.pass"
cat >>"$CAREDESK_CONF" <<EOF

[mailbox.support]
url = imap://$MAIL_USER@$IMAP_HOST:$IMAP_PORT/INBOX
password_file = $T/imap.pass
after = expunge
queue = imapq
EOF
"$MAILGW" imap --mailbox support --verbose >"$T/idle.out" 2>"$T/idle.err" &
GW=$!
i=0
until grep -q "waiting in IDLE" "$T/idle.err"; do
	i=$((i + 1))
	[ $i -lt 200 ] && kill -0 $GW 2>/dev/null || { cat "$T/idle.err" >&2; die "imap did not reach IDLE"; }
	sleep 0.05
done
ps -o args= -p $GW | grep -q "$MAIL_PASS" && fail "password on the command line" || ok "no password on the command line"
sed "s/^Message-ID: .*/Message-ID: <idle-test@example.org>/" "$CAREDESK_SRC/demo/mail/01-new-request.eml" |
	sed "s/^Subject: .*/Subject: printer on fire (IDLE test)/" >"$T/idle.eml"
t0=$(date +%s.%N)
curl -s "$URL/INBOX" -T "$T/idle.eml" || die "APPEND failed"
i=0
while [ "$(sql "SELECT count(*) FROM messages WHERE message_id = 'idle-test@example.org' AND ticket_id IS NOT NULL")" != 1 ]; do
	i=$((i + 1))
	[ $i -lt 400 ] || break
	sleep 0.025
done
t1=$(date +%s.%N)
latency=$(echo "$t1 - $t0" | bc -l)
echo "IDLE latency: append to committed ticket $(printf '%.3f' "$latency") s"
[ "$(echo "$latency < 5" | bc -l)" = 1 ] && ok "IDLE: ticket within 5 s" || fail "IDLE: no ticket within 5 s ($latency s)"
check "IDLE: ticket in the configured queue" imapq "$(sql "SELECT q.name FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id WHERE m.message_id = 'idle-test@example.org'")"
i=0
while [ "$(exists INBOX)" != 0 ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
check "IDLE: INBOX empty again" 0 "$(exists INBOX)"

# the server goes away under the idling gateway and comes back: it reconnects (1 s, 2 s, ... backoff).
# Stopping Dovecot leaves logged-in sessions running, so the session is kicked first.
doveadm -c "$D/dovecot.conf" kick "$MAIL_USER" >/dev/null
"$COOKBOOK/dovecot-test.sh" stop "$D" >/dev/null 2>&1
sleep 1.5
IMAP_PORT=11143 POP3_PORT=11110 "$COOKBOOK/dovecot-test.sh" start "$D" >"$T/dovecot.out" 2>&1 ||
	{ cat "$T/dovecot.out" >&2; die "dovecot did not start again"; }
sed "s/^Message-ID: .*/Message-ID: <reconnect-test@example.org>/" "$T/idle.eml" >"$T/reconnect.eml"
t0=$(date +%s.%N)
curl -s "$URL/INBOX" -T "$T/reconnect.eml" || die "APPEND failed"
i=0
while [ "$(sql "SELECT count(*) FROM messages WHERE message_id = 'reconnect-test@example.org'")" != 1 ] && [ $i -lt 400 ]; do
	i=$((i + 1))
	sleep 0.05
done
check "after a server restart: reconnected and took the next message" 1 "$(sql "SELECT count(*) FROM messages WHERE message_id = 'reconnect-test@example.org'")"
echo "reconnect: message taken $(echo "$(date +%s.%N) - $t0" | bc -l | xargs printf '%.1f') s after the append"
grep -q "trying again in" "$T/idle.err" && ok "the lost connection was logged with its backoff" || fail "no backoff logged"
kill -0 $GW 2>/dev/null && ok "still running" || fail "the gateway exited when the server went away"
kill -TERM $GW
rc=0
wait $GW || rc=$?
GW=""
check "SIGTERM ends the long-running mode with exit 0" 0 "$rc"
cat "$T/idle.out"

# 4. TLS: STARTTLS with the server's certificate verified (a private CA; the certificate is for
#    127.0.0.1 only)
mkdir "$T/tls"
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/tls/srv.ext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/tls/ca.key" \
	-out "$T/tls/ca.pem" -days 2 -subj "/CN=caredesk test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/tls/srv.key" -out "$T/tls/srv.csr" \
	-subj "/CN=127.0.0.1" 2>/dev/null
openssl x509 -req -in "$T/tls/srv.csr" -CA "$T/tls/ca.pem" -CAkey "$T/tls/ca.key" -CAcreateserial \
	-out "$T/tls/srv.pem" -days 2 -extfile "$T/tls/srv.ext" 2>/dev/null
chmod 644 "$T"/tls/*
sed -i "s|^ssl = no|ssl = yes\nssl_cert = <$T/tls/srv.pem\nssl_key = <$T/tls/srv.key|" "$D/dovecot.conf"
kill -HUP "$(cat "$D/run/master.pid")" # the master reloads its configuration
sleep 0.5
curl -s "$URL/INBOX" -T "$CAREDESK_SRC/demo/mail/03-html-only.eml" || die "APPEND failed"
rc=0
"$MAILGW" imap "$URL/INBOX" --once --quiet --starttls=require 2>"$T/tls.err" || rc=$?
check "STARTTLS, certificate from an unknown CA: exit 78" 78 "$rc"
grep -q "NOT trusted" "$T/tls.err" && ok "says the certificate is not trusted" || fail "why? $(cat "$T/tls.err")"
rc=0
"$MAILGW" imap "imap://$MAIL_USER:$MAIL_PASS@localhost:$IMAP_PORT/INBOX" --once --quiet --ca-file "$T/tls/ca.pem" \
	2>"$T/tls.err" || rc=$?
check "STARTTLS, certificate for another name (localhost): exit 78" 78 "$rc"
check "nothing taken without trusted TLS" 1 "$(exists INBOX)"
rc=0
"$MAILGW" imap "$URL/INBOX" --once --verbose --starttls=require --ca-file "$T/tls/ca.pem" >"$T/tls.out" 2>"$T/tls.err" || rc=$?
check "STARTTLS with the private CA: exit 0" 0 "$rc"
grep -q "connected with TLS" "$T/tls.err" && ok "connected with TLS" || fail "not with TLS: $(cat "$T/tls.err")"
grep -q "Login: user=<$MAIL_USER>.*TLS" "$D/dovecot.log" && ok "Dovecot logged a TLS login" || fail "no TLS login in Dovecot's log"
check "STARTTLS: INBOX empty" 0 "$(exists INBOX)"

# 5. failures: classified by result.h (75 temporary, 78 configuration)
rc=0
"$MAILGW" imap "imap://$MAIL_USER:x@127.0.0.1:1/INBOX" --once --quiet 2>/dev/null || rc=$?
check "connection refused: exit 75" 75 "$rc"
rc=0
"$MAILGW" imap "imap://$MAIL_USER:wrong@$IMAP_HOST:$IMAP_PORT/INBOX" --once --quiet 2>/dev/null || rc=$?
check "wrong password: exit 78" 78 "$rc"
rc=0
"$MAILGW" imap "$URL/INBOX" --once --quiet --starttls=require 2>/dev/null || rc=$?
check "--starttls=require on a server without TLS: exit 78, nothing sent" 78 "$rc"
finish
