#!/bin/sh
# postfix_pipe.sh - the MTA contract through a real private Postfix (../shared/cookbook/postfix-test.sh,
# SMTP 2626) whose pipe(8) transport runs `caredesk-mailgw -c CONF pipe -f SENDER -r RECIPIENT` as
# user nobody: mail to support@gateway.test becomes a ticket (status=sent); while another process
# holds the database's write lock, Postfix keeps the next mail queued (status=deferred, listed by
# postqueue -p) and nothing is stored; once the lock is gone, `postqueue -f` delivers it exactly once
# (one raw row, one ticket). Needs root (the Postfix master starts as root).
. "$(dirname "$0")/../lib.sh"
setup_caredesk
COOKBOOK="$CAREDESK_SHARED/cookbook"
[ -x "$COOKBOOK/postfix-test.sh" ] || die "no $COOKBOOK/postfix-test.sh"
[ -x /usr/sbin/postfix ] || die "postfix not installed (scripts/install-deps.sh: postfix)"
[ "$(id -u)" = 0 ] || die "needs root: the private Postfix master starts as root"

# pipe(8) runs the gateway as nobody: the installation must be nobody's (database, -wal, -shm and
# the lock file beside it are created by whoever opens it first), every folder on the way o+x
chmod 755 "$T"
sed -i 's/^busy_timeout_ms = .*/busy_timeout_ms = 300/' "$CAREDESK_CONF"
chown -R nobody:nogroup "$T/cd"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
# read as nobody too, so that no -wal/-shm file ever belongs to root
nsql() { as_nobody sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }

# The sanitizers' reports of the gateway and its detached processor: pipe(8) passes no environment,
# so the wrapper sets it, with the logs in a folder nobody may write to.
SAN="$T/sanitizer"
mkdir -m 1777 "$SAN"
strip_log_path() { printf '%s' "$1" | sed 's/\(^\|:\)log_path=[^:]*//; s/^://'; }
cat >"$T/gateway.sh" <<EOF
#!/bin/sh
# run by Postfix's pipe(8) as nobody: argv = SENDER RECIPIENT, the message on stdin
export ASAN_OPTIONS="log_path=$SAN/asan:$(strip_log_path "${ASAN_OPTIONS:-detect_leaks=1}")"
export UBSAN_OPTIONS="log_path=$SAN/ubsan:$(strip_log_path "${UBSAN_OPTIONS:-print_stacktrace=1}")"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}"
exec "$MAILGW" -c "$CAREDESK_CONF" pipe -f "\$1" -r "\$2"
EOF
chmod 755 "$T/gateway.sh"

P="$T/postfix"
HOLDER=""
CLEANUP='[ -z "$HOLDER" ] || kill $HOLDER 2>/dev/null || true; "$COOKBOOK/postfix-test.sh" stop "$P" >/dev/null 2>&1 || true'
trap 'eval "$CLEANUP"' EXIT
trap 'exit 1' INT TERM
SMTP_PORT=2626 GATEWAY_CMD="$T/gateway.sh" GATEWAY_USER=nobody "$COOKBOOK/postfix-test.sh" start "$P" >"$T/postfix.out" 2>&1 ||
	{ cat "$T/postfix.out" >&2; die "postfix did not start"; }
. "$P/env.sh"

# send FILE MESSAGE-ID: over SMTP to support@gateway.test; prints Postfix's queue id
send() {
	sed "s/^Message-ID: .*/Message-ID: <$2>/" "$1" >"$T/send.eml"
	curl -sv "smtp://$SMTP_HOST:$SMTP_PORT/client.test" --mail-from alice@example.org \
		--mail-rcpt support@gateway.test -T "$T/send.eml" 2>&1 | sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-F]*\).*/\1/p'
}
# wait_log QUEUEID TEXT: until the mail log has TEXT on a line of that queue id (10 s)
wait_log() {
	i=0
	until grep "$1: " "$P/maillog" | grep -q "$2"; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.05
	done
}
messages_with() { nsql "SELECT count(*) FROM messages WHERE message_id = '$1' AND ticket_id IS NOT NULL"; }
# settle: the pipeline over whatever is pending (as nobody)
settle_nobody() { as_nobody "$MAILGW" -c "$CAREDESK_CONF" process; }

MSG="$CAREDESK_SRC/demo/mail/01-new-request.eml"
# 1. delivered: a ticket
q1=$(send "$MSG" postfix-1@example.org)
[ -n "$q1" ] || die "Postfix did not queue the first message"
wait_log "$q1" "status=sent" && ok "first mail: status=sent" || fail "first mail not sent: $(grep "$q1" "$P/maillog")"
settle_nobody
check "first mail: a ticket" 1 "$(messages_with postfix-1@example.org)"
check "first mail: envelope recorded" "pipe|support@gateway.test" "$(nsql "SELECT d.source || '|' || d.recipient FROM raw_deliveries d JOIN messages m ON m.raw_id = d.raw_id WHERE m.message_id = 'postfix-1@example.org'")"

# 2. the database locked by another writer (as nobody, like the gateway): deferred, nothing stored
#    (setpriv execs python, so $! is the holder itself)
setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/bin/python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(60)' "$DB" >"$T/holder.out" 2>&1 &
HOLDER=$!
i=0
until grep -q locked "$T/holder.out"; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "lock holder did not take the lock: $(cat "$T/holder.out")"
	sleep 0.05
done
q2=$(send "$MSG" postfix-2@example.org)
[ -n "$q2" ] || die "Postfix did not queue the second message"
wait_log "$q2" "status=deferred" && ok "locked database: status=deferred" ||
	fail "locked database: not deferred: $(grep "$q2" "$P/maillog")"
grep "$q2: " "$P/maillog" | grep "status=deferred" | sed 's/^/  maillog: /' | head -1
postqueue -c "$POSTFIX_CONFIG_DIR" -p >"$T/queue.txt"
grep -q "^$q2" "$T/queue.txt" && ok "postqueue -p lists it" || fail "postqueue -p does not list $q2: $(cat "$T/queue.txt")"
grep -q "the MTA will retry" "$T/queue.txt" && ok "the deferral reason is the gateway's" ||
	fail "no reason from the gateway in the queue: $(cat "$T/queue.txt")"
check "locked: nothing stored" 1 "$(nsql 'SELECT count(*) FROM raw_messages')"

# 3. lock gone, flush: delivered exactly once
kill $HOLDER 2>/dev/null || true
wait $HOLDER 2>/dev/null || true
HOLDER=""
postqueue -c "$POSTFIX_CONFIG_DIR" -f
wait_log "$q2" "status=sent" && ok "after the flush: status=sent" || fail "not sent after the flush: $(grep "$q2" "$P/maillog")"
i=0
until postqueue -c "$POSTFIX_CONFIG_DIR" -p | grep -q "Mail queue is empty"; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
done
check "queue empty" 1 "$(postqueue -c "$POSTFIX_CONFIG_DIR" -p | grep -c 'Mail queue is empty')"
settle_nobody
check "second mail: exactly one ticket message" 1 "$(messages_with postfix-2@example.org)"
check "second mail: exactly one raw row" 1 "$(nsql "SELECT count(*) FROM raw_messages r JOIN messages m ON m.raw_id = r.id WHERE m.message_id = 'postfix-2@example.org'")"
check "two raw rows in all" 2 "$(nsql 'SELECT count(*) FROM raw_messages')"
check "none pending" 0 "$(nsql "SELECT count(*) FROM raw_messages WHERE state = 'pending'")"
check "no file of the installation belongs to root" "" "$(find "$T/cd" -user root)"

"$COOKBOOK/postfix-test.sh" stop "$P" >/dev/null 2>&1 || true
if [ -n "$(ls -A "$SAN")" ]; then
	fail "sanitizer reports from the gateway run by Postfix:"
	cat "$SAN"/* >&2
	# make them count where make check looks as well
	case "${ASAN_OPTIONS:-}" in *log_path=*)
		dir=$(dirname "$(printf '%s' "$ASAN_OPTIONS" | sed 's/.*log_path=\([^:]*\).*/\1/')")
		cp "$SAN"/* "$dir/" 2>/dev/null || true ;;
	esac
fi
finish
