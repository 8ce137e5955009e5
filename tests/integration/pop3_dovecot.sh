#!/bin/sh
# pop3_dovecot.sh - `caredesk-mailgw pop3` against a real Dovecot (IMAP 11343, POP3 11310): a drain
# with --once turns every message into what a Maildir drain of the same files makes of them and
# leaves the mailbox empty; a drain killed with SIGKILL between COMMIT and QUIT, and one killed after
# some batches were deleted, run again lose nothing and store nothing twice; STLS verifies the
# server's certificate; connection refused exits 75.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
COOKBOOK="$CAREDESK_SHARED/cookbook"
[ -x "$COOKBOOK/dovecot-test.sh" ] || die "no $COOKBOOK/dovecot-test.sh"
command -v dovecot >/dev/null || die "dovecot not installed (scripts/install-deps.sh: dovecot-imapd dovecot-pop3d)"

chmod 755 "$T"
D="$T/dovecot"
GW=""
CLEANUP='[ -z "$GW" ] || kill -9 $GW 2>/dev/null || true; "$COOKBOOK/dovecot-test.sh" stop "$D" >/dev/null 2>&1 || true'
trap 'eval "$CLEANUP"' EXIT
trap 'exit 1' INT TERM
IMAP_PORT=11343 POP3_PORT=11310 "$COOKBOOK/dovecot-test.sh" start "$D" >"$T/dovecot.out" 2>&1 ||
	{ cat "$T/dovecot.out" >&2; die "dovecot did not start"; }
. "$D/env.sh"
IMAP="imap://$MAIL_USER:$MAIL_PASS@$IMAP_HOST:$IMAP_PORT"
POP3="pop3://$MAIL_USER:$MAIL_PASS@$IMAP_HOST:$POP3_PORT/"
# (read until two readings agree: Dovecot renames files from new/ to cur/ while it syncs)
in_box() {
	a=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l)
	while b=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l) && [ "$a" != "$b" ]; do a=$b; sleep 0.01; done
	echo "$a"
}
pop3_list() { curl -s "$POP3" | grep -c '^[0-9]' || true; }
tickets() { "$CAREDESK" ticket list --json --limit 100000 | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }

# 1. demo mail and the RT corpus; a Maildir drain of the same files is the reference
find "$CAREDESK_SRC/demo/mail" "$CAREDESK_SHARED/corpus/rt" -type f | sort >"$T/list1"
N1=$(wc -l <"$T/list1")
"$CAREDESK" init "$T/ref" --domain example.test >/dev/null
mkdir -p "$T/ref/Maildir/new" "$T/ref/Maildir/cur" "$T/ref/Maildir/tmp"
i=0
while read -r f; do
	i=$((i + 1))
	curl -s "$IMAP/INBOX" -T "$f" || die "APPEND $f failed"
	cp "$f" "$T/ref/Maildir/new/$(printf '17%08d' $i).M$i.ref"
done <"$T/list1"
check "POP3 LIST shows all $N1" "$N1" "$(pop3_list)"
"$MAILGW" -c "$T/ref/caredesk.conf" maildir "$T/ref/Maildir" --quiet
ref_tickets=$(CAREDESK_CONF="$T/ref/caredesk.conf" tickets)
rc=0
"$MAILGW" pop3 "$POP3" --once >"$T/once.out" 2>"$T/once.err" || rc=$?
cat "$T/once.out"
check "pop3 --once: exit 0" 0 "$rc"
check "pop3 --once: every message stored once" "$N1" "$(sql "SELECT count(DISTINCT raw_id) FROM raw_deliveries WHERE source = 'pop3'")"
check "pop3 --once: as many tickets as a Maildir drain of the same files ($ref_tickets)" "$ref_tickets" "$(tickets)"
check "pop3 --once: none pending" 0 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"
check "mailbox empty afterwards (POP3 LIST)" 0 "$(pop3_list)"
check "mailbox empty afterwards (Maildir)" 0 "$(in_box)"

# 2. SIGKILL after some batches were deleted (QUIT), then between a COMMIT and its QUIT, then a
#    drain: nothing lost, nothing twice
N=600
python3 "$CAREDESK_SRC/bench/gen_messages.py" "$T/msgs" "$N" 11 0.05
i=0
for f in "$T"/msgs/*; do
	i=$((i + 1))
	cp "$f" "$MAILDIR/tmp/m$i"
	chown --reference="$MAILDIR" "$MAILDIR/tmp/m$i"
	mv "$MAILDIR/tmp/m$i" "$MAILDIR/new/$(printf '18%08d' $i).M$i.gen"
done
check "$N generated messages in the mailbox" "$N" "$(in_box)"
sed -i 's/^batch_size = .*/batch_size = 50/' "$CAREDESK_CONF"
# killed as soon as the first deletes took effect
"$MAILGW" pop3 "$POP3" --once --quiet 2>>"$T/kill.err" &
GW=$!
# two batches committed: the first session's QUIT is done (sessions follow each other)
stored=$(sql 'SELECT count(*) FROM raw_messages')
i=0
while [ "$(sql 'SELECT count(*) FROM raw_messages')" -lt $((stored + 100)) ] && [ $i -lt 1000 ]; do i=$((i + 1)); sleep 0.01; done
kill -9 $GW 2>/dev/null && killed=1 || killed=0
wait $GW 2>/dev/null || true
GW=""
left=$(in_box)
echo "SIGKILL with $left of $N left in the mailbox"
[ $killed = 1 ] && [ "$left" -gt 0 ] && [ "$left" -lt "$N" ] && ok "killed mid-drain ($left left)" ||
	fail "the kill did not hit a drain mid-way (killed=$killed, $left left)"
# killed right after a COMMIT, before DELE and QUIT: nothing deleted. The kill above may itself have
# fallen between a COMMIT and its QUIT: those messages (first in the mailbox) are stored already.
stored=$(sql 'SELECT count(*) FROM raw_messages')
sql "SELECT sha256 FROM raw_messages ORDER BY 1" >"$T/stored.sha"
pre=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f -exec sha256sum {} + | cut -c1-64 | sort | comm -12 - "$T/stored.sha" | wc -l)
echo "$pre of the $left left are stored already"
seen=$((pre > 50 ? pre : 50))
rc=0
"$MAILGW" pop3 "$POP3" --once --quiet --die-after-commit 2>>"$T/kill.err" || rc=$?
check "killed between COMMIT and QUIT (SIGKILL)" 137 "$rc"
check "nothing deleted" "$left" "$(in_box)"
check "the batch committed" $((pre > 50 ? 0 : 50 - pre)) "$(($(sql 'SELECT count(*) FROM raw_messages') - stored))"
rc=0
"$MAILGW" pop3 "$POP3" --once >"$T/again.out" 2>>"$T/kill.err" || rc=$?
cat "$T/again.out"
check "restart: exit 0" 0 "$rc"
grep -q ", $seen seen before," "$T/again.out" && ok "restart: the committed batch taken again as no-ops ($seen seen before)" ||
	fail "restart: expected $seen seen before"
check "restart: mailbox empty" 0 "$(in_box)"
for f in "$T"/msgs/*; do sha256sum "$f" | cut -c1-64; done | sort -u >"$T/expected.sha"
sql "SELECT sha256 FROM raw_messages ORDER BY 1" >"$T/stored.sha"
check "every generated message's bytes stored" "$N" "$(comm -12 "$T/expected.sha" "$T/stored.sha" | wc -l)"
check "every Message-ID once" "$N" "$(sql "SELECT count(DISTINCT message_id) FROM messages WHERE message_id LIKE '%@bench.example'")"
check "no Message-ID twice" "$N" "$(sql "SELECT count(*) FROM messages WHERE message_id LIKE '%@bench.example'")"
check "no pending rows" 0 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"

# 3. STLS with the server's certificate verified (a private CA)
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
kill -HUP "$(cat "$D/run/master.pid")"
sleep 0.5
curl -s "$IMAP/INBOX" -T "$CAREDESK_SRC/demo/mail/05-out-of-office.eml" || die "APPEND failed"
rc=0
"$MAILGW" pop3 "$POP3" --once --quiet --starttls=require 2>"$T/tls.err" || rc=$?
check "STLS, certificate from an unknown CA: exit 78" 78 "$rc"
check "nothing taken without trusted TLS" 1 "$(in_box)"
rc=0
"$MAILGW" pop3 "$POP3" --once --quiet --starttls=require --ca-file "$T/tls/ca.pem" 2>"$T/tls.err" || rc=$?
check "STLS with the private CA: exit 0" 0 "$rc"
grep -q "pop3-login: Info: Login: user=<$MAIL_USER>.*TLS" "$D/dovecot.log" && ok "Dovecot logged a POP3 login over TLS" ||
	fail "no POP3 TLS login in Dovecot's log"
check "STLS: mailbox empty" 0 "$(in_box)"

rc=0
"$MAILGW" pop3 "pop3://$MAIL_USER:x@127.0.0.1:1/" --once --quiet 2>/dev/null || rc=$?
check "connection refused: exit 75" 75 "$rc"
finish
