#!/bin/sh
# loops.sh - two caredesk instances whose support addresses write to each other exchange a bounded
# number of messages (issue 7). Each instance's sendmail hands its mail straight to the other's
# `caredesk-mailgw pipe`. First as mail really travels: the acknowledgement carries
# Auto-Submitted and X-Loop, so the other side never answers it. Then through a relay that strips
# those headers (and Precedence) and loses the threading (In-Reply-To, References, the subject's
# ticket tag), so that every message looks like a new request from a person: the per-sender limit
# on automatic answers (auto_reply_per_day) still ends the exchange.
. "$(dirname "$0")/../lib.sh"
A="$T/a" B="$T/b"
"$CAREDESK" init "$A" --domain a.test >/dev/null
"$CAREDESK" init "$B" --domain b.test >/dev/null
limit=$(sed -n 's/^auto_reply_per_day = //p' "$A/caredesk.conf")
[ -n "$limit" ] || die "no auto_reply_per_day in the default config"
# relay FROM_DIR TO_DIR STRIP: a sendmail for FROM_DIR's instance that delivers into TO_DIR's
relay() {
	cat >"$1/sendmail" <<EOF
#!/bin/sh
# called as: sendmail -i -f SENDER -- RECIPIENT
shift; shift; sender=\$1; shift; shift
if [ "$3" = strip ]; then filter() { sed -e '/^Auto-Submitted:/Id' -e '/^X-Loop:/Id' -e '/^Precedence:/Id' \
	-e '/^In-Reply-To:/Id' -e '/^References:/Id' -e 's/^\(Subject:.*\)\[T-/\1[X-/'; }; else filter() { cat; }; fi
filter | CAREDESK_CONF="$2/caredesk.conf" "$MAILGW" pipe --sync -f "\$sender" -r "\$1"
EOF
	chmod +x "$1/sendmail"
	sed -i "s|^\[mail\]\$|[mail]\nsendmail = $1/sendmail|" "$1/caredesk.conf"
}
count() { sqlite3 "$1/caredesk.db" "SELECT count(*) FROM outbox WHERE state = 'sent'"; }
rounds() { # rounds N: deliver on both sides N times
	i=0
	while [ $i -lt "$1" ]; do
		CAREDESK_CONF="$A/caredesk.conf" "$MAILGW" deliver --once --quiet
		CAREDESK_CONF="$B/caredesk.conf" "$MAILGW" deliver --once --quiet
		i=$((i + 1))
	done
}
first_mail() { # B's support address writes to A's
	printf 'From: Support B <support@b.test>\nTo: support@a.test\nSubject: %s\nMessage-ID: <%s@b.test>\n\nHello A.\n' "$1" "$1" |
		CAREDESK_CONF="$A/caredesk.conf" "$MAILGW" pipe --sync -f support@b.test -r support@a.test
}

# 1. headers intact: A acknowledges once, B stores the acknowledgement and never answers it
relay "$A" "$B" keep
relay "$B" "$A" keep
first_mail hello
rounds 10
check "headers intact: A sent one acknowledgement" 1 "$(count "$A")"
check "headers intact: B answered nothing" 0 "$(count "$B")"
check "headers intact: B stored it as an automatic message" "auto_reply" \
	"$(sqlite3 "$B/caredesk.db" "SELECT kind FROM messages WHERE direction = 'in'")"

# 2. a relay strips Auto-Submitted, X-Loop, Precedence and the threading: the daily limit ends it
relay "$A" "$B" strip
relay "$B" "$A" strip
sed -i "s|^sendmail = .*|sendmail = $A/sendmail|" "$A/caredesk.conf"
sed -i "s|^sendmail = .*|sendmail = $B/sendmail|" "$B/caredesk.conf"
first_mail again
rounds 30
a=$(count "$A") b=$(count "$B")
echo "loops: with the headers stripped, A sent $a and B sent $b messages in 30 rounds (limit $limit a day)"
[ "$a" -le "$limit" ] && [ "$b" -le "$limit" ] && ok "stripped: each side sent at most $limit" || fail "stripped: A $a, B $b"
[ "$b" -ge $((limit - 1)) ] && ok "stripped: the loop really ran until the limit (B answered $b times)" ||
	fail "stripped: B answered only $b times: no loop to stop"
rounds 5
check "stripped: the exchange has stopped" "$a $b" "$(count "$A") $(count "$B")"
check "stripped: the suppressed answers are audited" 1 \
	"$(sqlite3 "$A/caredesk.db" "SELECT count(*) > 0 FROM audit_events WHERE action = 'suppressed'")"
DB="$A/caredesk.db"
finish
