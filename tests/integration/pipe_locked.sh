#!/bin/sh
# pipe_locked.sh - the MTA contract with a locked database: while another process holds the write
# lock past busy_timeout_ms, pipe mode exits 75 and stores nothing; a lock shorter than the timeout
# is waited out; once the lock is gone the same message is stored exactly once.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
sed -i 's/^busy_timeout_ms = .*/busy_timeout_ms = 500/' "$CAREDESK_CONF"
MSG="$CAREDESK_SRC/demo/mail/01-new-request.eml"

hold_db_lock 30
rc=$(pipe_rc "$MSG")
check "locked past the timeout: exit 75 (EX_TEMPFAIL)" 75 "$rc"
grep -q "the MTA will retry" "$T/pipe.stderr" && ok "says why on stderr" || fail "no reason on stderr: $(cat "$T/pipe.stderr")"
kill "$HOLDER" 2>/dev/null || true
wait "$HOLDER" 2>/dev/null || true
check "nothing stored while locked" 0 "$(sql 'SELECT count(*) FROM raw_messages')"

# a lock shorter than the timeout is waited out
sed -i 's/^busy_timeout_ms = .*/busy_timeout_ms = 5000/' "$CAREDESK_CONF"
hold_db_lock 0.5
rc=$(pipe_rc "$MSG")
wait "$HOLDER" 2>/dev/null || true
check "lock shorter than busy_timeout: accepted" 0 "$rc"
rc=$(pipe_rc "$MSG")
check "MTA retry after the lock: accepted" 0 "$rc"
settle
check "stored exactly once" 1 "$(sql 'SELECT count(*) FROM raw_messages')"
check "one ticket" 1 "$(sql 'SELECT count(*) FROM tickets')"
check "one message" 1 "$(sql 'SELECT count(*) FROM messages')"

# a config that cannot be read is a temporary failure too, never a bounce
rc=$(pipe_rc "$MSG" -c "$T/missing.conf")
check "missing config: exit 75" 75 "$rc"
finish
