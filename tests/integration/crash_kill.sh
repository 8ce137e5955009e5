#!/bin/sh
# crash_kill.sh - nothing lost, nothing twice, under SIGKILL at random moments (issue 7):
# 1. `caredesk-mailgw maildir` draining 5,000 generated messages, killed at least 20 times mid-way
#    and restarted until the Maildir is empty: every message in the database exactly once.
# 2. `caredesk-mailgw deliver` sending the acknowledgements those messages caused to a real SMTP
#    server (Postfix's smtp-sink), killed at least 20 times mid-way: every row sent, and counted at
#    the sink. A message may arrive twice only where a kill fell between the server's acceptance
#    and our commit of that row: at most one per kill; the test reports how many.
# (The same for IMAP against a real Dovecot is imap_kill.sh.)
. "$(dirname "$0")/../lib.sh"
setup_caredesk
N=${CRASH_KILL_N:-5000}
MD="$T/Maildir"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
python3 "$CAREDESK_SRC/bench/gen_messages.py" "$T/msgs" "$N" 23 0.05
cp "$T"/msgs/* "$MD/new/"
sed -i 's/^batch_size = .*/batch_size = 50/' "$CAREDESK_CONF"

# 1. Maildir
left_md() { ls "$MD/new" "$MD/cur" | grep -vc ':$\|^$' || true; }
stored() { sql 'SELECT count(*) FROM raw_messages'; }
check "$N messages in the Maildir" "$N" "$(left_md)"
kill_at_random left_md stored $((N / 25)) "$MAILGW" maildir "$MD" --quiet
echo "crash_kill: maildir: SIGKILL hit $KILLS drain(s) mid-way in $ATTEMPTS runs"
[ $KILLS -ge 20 ] && ok "maildir: survived $KILLS kills mid-drain (>= 20)" || fail "maildir: only $KILLS kills mid-drain"
check "maildir: empty" 0 "$(left_md)"
settle
for f in "$T"/msgs/*; do sha256sum "$f" | cut -c1-64; done | sort -u >"$T/expected.sha"
sql "SELECT sha256 FROM raw_messages ORDER BY 1" >"$T/stored.sha"
check "maildir: every message's bytes stored" "$N" "$(comm -12 "$T/expected.sha" "$T/stored.sha" | wc -l)"
check "maildir: no other raw rows" "$N" "$(sql 'SELECT count(*) FROM raw_messages')"
check "maildir: every Message-ID once" "$N" "$(sql "SELECT count(DISTINCT message_id) FROM messages WHERE message_id LIKE '%@bench.example'")"
check "maildir: no Message-ID twice" "$N" "$(sql "SELECT count(*) FROM messages WHERE message_id LIKE '%@bench.example'")"
check "maildir: none pending" 0 "$(sql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"

# 2. outbox delivery to a real SMTP server
smtp_sink 2735
sed -i 's|^lease_seconds = .*|lease_seconds = 1|' "$CAREDESK_CONF"
rows=$(sql "SELECT count(*) FROM outbox WHERE state = 'queued'")
[ "$rows" -ge 100 ] && ok "deliver: $rows acknowledgements queued" || fail "deliver: only $rows rows queued"
queued() { sql "SELECT count(*) FROM outbox WHERE state IN ('queued','sending')"; }
sent() { sql "SELECT count(*) FROM outbox WHERE state = 'sent'"; }
# a killed deliverer's rows are sent again once their lease (1 s here) ran out: the runs wait for it
kill_at_random queued sent $((rows / 50)) sh -c 'sleep 1.1; exec "$0" deliver --once --quiet' "$MAILGW"
echo "crash_kill: deliver: SIGKILL hit $KILLS run(s) mid-way in $ATTEMPTS runs"
[ $KILLS -ge 20 ] && ok "deliver: survived $KILLS kills mid-send (>= 20)" || fail "deliver: only $KILLS kills mid-send"
check "deliver: every row sent" "$rows" "$(sent)"
sleep 0.5
/usr/bin/python3 - "$SINK_MAIL" >"$T/sink.txt" <<'PY'
import collections, email, email.policy, glob, sys
c = collections.Counter()
for f in glob.glob(sys.argv[1] + "/*"):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.compat32)
    c[m.get("Message-ID", "").strip()] += 1
print(len(c), sum(n - 1 for n in c.values()))
PY
read distinct dups <"$T/sink.txt"
check "deliver: every row's Message-ID arrived at the sink" "$rows" "$distinct"
echo "crash_kill: deliver: $dups message(s) arrived twice (a kill between the server's acceptance and our commit)"
[ "$dups" -le "$KILLS" ] && ok "deliver: at most one duplicate per kill ($dups for $KILLS kills)" ||
	fail "deliver: $dups duplicates for $KILLS kills"
check "deliver: Message-IDs in the database match the sink" "$rows" \
	"$(sql "SELECT count(DISTINCT message_id) FROM outbox WHERE state = 'sent'")"
finish
