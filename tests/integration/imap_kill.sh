#!/bin/sh
# imap_kill.sh - crash safety of `caredesk-mailgw imap` against a real Dovecot (IMAP 11243, POP3
# 11210): 5,000 generated messages in the folder, the gateway killed with SIGKILL at random moments
# and restarted (at least 20 random kills that hit a drain mid-way, then one on purpose between
# COMMIT and EXPUNGE) until the folder is empty; then every
# message is in the database exactly once (its bytes, its Message-ID) and the folder is empty.
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
IMAP_PORT=11243 POP3_PORT=11210 "$COOKBOOK/dovecot-test.sh" start "$D" >"$T/dovecot.out" 2>&1 ||
	{ cat "$T/dovecot.out" >&2; die "dovecot did not start"; }
. "$D/env.sh"
URL="imap://$MAIL_USER:$MAIL_PASS@$IMAP_HOST:$IMAP_PORT/INBOX"
# in the folder: what Dovecot has in the Maildir (new/ and cur/)
# (read until two readings agree: Dovecot renames files from new/ to cur/ while it syncs)
in_folder() {
	a=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l)
	while b=$(find "$MAILDIR/new" "$MAILDIR/cur" -type f | wc -l) && [ "$a" != "$b" ]; do a=$b; sleep 0.01; done
	echo "$a"
}

N=${IMAP_KILL_N:-5000}
python3 "$CAREDESK_SRC/bench/gen_messages.py" "$T/msgs" "$N" 7 0.05
# all but the last 100 go in now; those 100 are kept for the kill between COMMIT and EXPUNGE
RESERVE=100
put_in_folder() { # put_in_folder FIRST LAST: generated messages FIRST..LAST into new/, as Dovecot's
	i=0
	for f in "$T"/msgs/*; do
		i=$((i + 1))
		[ $i -ge "$1" ] && [ $i -le "$2" ] && cp "$f" "$MAILDIR/tmp/m$i"
	done
	chown -R --reference="$MAILDIR" "$MAILDIR/tmp"
	for f in "$MAILDIR"/tmp/m*; do
		mv "$f" "$MAILDIR/new/$(printf '17%08d' "${f##*/m}").M${f##*/m}.gen"
	done
}
put_in_folder 1 $((N - RESERVE))
check "$((N - RESERVE)) messages in the folder" "$((N - RESERVE))" "$(in_folder)"
sed -i 's/^batch_size = .*/batch_size = 50/' "$CAREDESK_CONF"

# SIGKILL at random moments (progress-driven, tests/lib.sh kill_at_random) until the folder is empty
stored() { sql 'SELECT count(*) FROM raw_messages'; }
kill_at_random in_folder stored $((N / 25)) "$MAILGW" imap "$URL" --once --quiet
kills=$KILLS attempt=$ATTEMPTS
# then the narrowest window on purpose: killed right after a COMMIT, before EXPUNGE
rest=$(in_folder)
put_in_folder $((N - RESERVE + 1)) "$N"
left=$(in_folder)
check "the $RESERVE kept back are in the folder" $((rest + RESERVE)) "$left"
stored=$(sql 'SELECT count(*) FROM raw_messages')
rc=0
"$MAILGW" imap "$URL" --once --quiet --die-after-commit 2>>"$T/gw.err" || rc=$?
check "killed between COMMIT and EXPUNGE (SIGKILL)" 137 "$rc"
check "nothing expunged" "$left" "$(in_folder)"
check "the batch committed" 50 "$(($(sql 'SELECT count(*) FROM raw_messages') - stored))"
rc=0
"$MAILGW" imap "$URL" --once >"$T/final.out" 2>>"$T/gw.err" || rc=$?
cat "$T/final.out"
check "final run: exit 0" 0 "$rc"
grep -q ", 50 seen before," "$T/final.out" && ok "final run: the committed batch taken again as no-ops (50 seen before)" ||
	fail "final run: expected 50 seen before"
echo "imap_kill: SIGKILL hit $kills run(s) mid-drain in $attempt attempts"
[ $kills -ge 20 ] && ok "survived $kills kills mid-drain (>= 20)" || fail "only $kills kills mid-drain (< 20)"

check "folder empty (Maildir)" 0 "$(in_folder)"
check "folder empty (IMAP EXAMINE)" 0 "$(curl -s "${URL%/INBOX}/" -X 'EXAMINE INBOX' | sed -n 's/^\* \([0-9]*\) EXISTS.*/\1/p')"
# every generated file's bytes exactly once, and nothing else
for f in "$T"/msgs/*; do sha256sum "$f" | cut -c1-64; done | sort >"$T/expected.sha"
sql "SELECT sha256 FROM raw_messages ORDER BY 1" >"$T/stored.sha"
check "every message's bytes stored (distinct SHA-256)" "$N" "$(sort -u "$T/expected.sha" | comm -12 - "$T/stored.sha" | wc -l)"
check "no other raw rows" "$N" "$(sql 'SELECT count(*) FROM raw_messages')"
check "every Message-ID once" "$N" "$(sql "SELECT count(DISTINCT message_id) FROM messages WHERE message_id LIKE '%@bench.example'")"
check "no Message-ID twice" "$N" "$(sql "SELECT count(*) FROM messages WHERE message_id LIKE '%@bench.example'")"
check "no pending rows" 0 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"
echo "imap_kill: $kills random kills mid-drain and one between COMMIT and EXPUNGE survived, $N messages checked"
finish
