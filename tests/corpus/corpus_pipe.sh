#!/bin/sh
# corpus_pipe.sh - every message of the parsing corpora in ../shared/corpus (the list is read from
# its MANIFEST.md) through `caredesk-mailgw pipe`: each exits 0, becomes a processed message that
# joins a ticket (or is recognised as a bounce or auto-reply), every text in the database is valid
# UTF-8, and delivering all of them again changes nothing.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
CORPUS="$CAREDESK_SHARED/corpus"
[ -f "$CORPUS/MANIFEST.md" ] || die "no corpus at $CORPUS"

awk '/^### /{src=$2}
     /^\| shared \| `/{ if (src ~ /^(rt|rt-gnupg|python-test_email|gmime|mime4j|mime-tools|mikel-mail|postal-mime|nodemailer-mailparser)$/ && $0 !~ /charset vector/) {
        match($0, /`[^`]+`/); print src "/" substr($0, RSTART+1, RLENGTH-2) } }' "$CORPUS/MANIFEST.md" >"$T/list"
total=$(wc -l <"$T/list")
[ "$total" -ge 200 ] || die "MANIFEST lists only $total messages"

bad=0
while read -r f; do
	rc=$(pipe_rc "$CORPUS/$f")
	[ "$rc" = 0 ] || { fail "$f: pipe exit $rc"; bad=$((bad + 1)); }
done <"$T/list"
check "all $total corpus messages accepted (exit 0)" 0 "$bad"
settle

# Each message: raw row processed; a message row that joined a ticket, or a bounce/auto-reply.
unprocessed=0 orphan=0
while read -r f; do
	sha=$(sha256sum "$CORPUS/$f" | cut -d' ' -f1)
	state=$(sql "SELECT state FROM raw_messages WHERE sha256 = '$sha'")
	case "$state" in
	done) ;;
	duplicate) continue ;;
	*) fail "$f: raw state '$state'"; unprocessed=$((unprocessed + 1)); continue ;;
	esac
	n=$(sql "SELECT count(*) FROM messages m JOIN raw_messages r ON r.id = m.raw_id WHERE r.sha256 = '$sha'
	         AND (m.ticket_id IS NOT NULL OR m.kind IN ('bounce', 'auto_reply'))")
	[ "$n" = 1 ] || { fail "$f: no ticket message (found $n)"; orphan=$((orphan + 1)); }
done <"$T/list"
check "every corpus message processed" 0 "$unprocessed"
check "every corpus message yields a ticket or is a bounce/auto-reply" 0 "$orphan"

dups=$(sql "SELECT count(*) FROM raw_messages WHERE state = 'duplicate'")
bounces=$(sql "SELECT count(*) FROM messages WHERE kind = 'bounce'")
autos=$(sql "SELECT count(*) FROM messages WHERE kind = 'auto_reply'")
unparsed=$(sql "SELECT count(*) FROM tickets WHERE unparsed = 1")
tickets=$(sql "SELECT count(*) FROM tickets")
echo "corpus: $total messages, $tickets tickets, $bounces bounces, $autos auto-replies, $dups duplicates by Message-ID, $unparsed unparsed"
[ "$bounces" -ge 3 ] || fail "expected the corpus DSNs to be recognised as bounces (found $bounces)"

# Text of a known message arrived decoded (ISO-8859-15 quoted-printable with a euro sign).
sha=$(sha256sum "$CORPUS/rt/8859-15-message-series/msg1" | cut -d' ' -f1)
euro=$(sql "SELECT count(*) FROM messages m JOIN raw_messages r ON r.id = m.raw_id WHERE r.sha256 = '$sha' AND instr(m.body_full || m.subject, '€') > 0")
check "ISO-8859-15 text decoded to UTF-8 (euro sign present)" 1 "$euro"

# Delivering everything again is a no-op.
before=$(sql "SELECT (SELECT count(*) FROM raw_messages) || '/' || (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM tickets)")
bad=0
while read -r f; do
	rc=$(pipe_rc "$CORPUS/$f")
	[ "$rc" = 0 ] || bad=$((bad + 1))
done <"$T/list"
settle
after=$(sql "SELECT (SELECT count(*) FROM raw_messages) || '/' || (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM tickets)")
check "re-delivery accepted" 0 "$bad"
check "re-delivery changes nothing (raw/messages/tickets)" "$before" "$after"
finish
