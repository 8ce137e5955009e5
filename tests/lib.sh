# lib.sh - shared helpers of the shell tests (sourced). Every test works in its own temp dir
# with its own caredesk installation made by `caredesk init`; nothing outside it is touched.
set -eu

: "${CAREDESK_BIN:?run through ctest (make check)}"
CAREDESK="$CAREDESK_BIN/caredesk"
MAILGW="$CAREDESK_BIN/caredesk-mailgw"
DBCHECK="$CAREDESK_BIN/cd-dbcheck"
TESTNAME=$(basename "$0" .sh)
mkdir -p "$CAREDESK_TEST_TMP"
T=$(mktemp -d "$CAREDESK_TEST_TMP/$TESTNAME.XXXXXX")
export CAREDESK_CONF="$T/cd/caredesk.conf"
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
die() { echo "FATAL: $*" >&2; exit 1; }

# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

setup_caredesk() {
	"$CAREDESK" init "$T/cd" --domain example.test >/dev/null
	DB="$T/cd/caredesk.db"
}

sql() { sqlite3 -cmd ".timeout 5000" "$DB" "$@"; }

# pipe FILE [ARGS]: deliver like an MTA; prints nothing, returns the exit code
pipe() {
	f=$1; shift
	set +e
	"$MAILGW" pipe "$@" <"$f"
	rc=$?
	set -e
	return $rc
}

pipe_rc() {
	f=$1; shift
	set +e
	"$MAILGW" pipe "$@" <"$f" 2>>"$T/pipe.stderr"
	echo $?
	set -e
}

# settle: wait for every stored message to be processed (takes the pipeline lock)
settle() { "$MAILGW" process; }

# smtp_sink PORT: a real SMTP server that keeps what it is sent (Postfix's smtp-sink, from
# ../shared/cookbook) on PORT, stopped at exit; caredesk's smtp_url points at it. SINK_MAIL is the
# folder with one file per message received. Ports in use: see `grep -rn "smtp_sink \|PORT=" tests`.
smtp_sink() {
	SINK_DIR=$(mktemp -d /tmp/cd-sink.XXXXXX)
	chmod 755 "$SINK_DIR"
	CLEANUP='"$CAREDESK_SHARED/cookbook/smtp-sink-test.sh" stop "$SINK_DIR" >/dev/null 2>&1; rm -rf "$SINK_DIR"'
	trap 'eval "$CLEANUP"' EXIT
	SMTP_PORT=$1 "$CAREDESK_SHARED/cookbook/smtp-sink-test.sh" start "$SINK_DIR" >/dev/null
	SINK_MAIL="$SINK_DIR/mail"
	sed -i "s|^\[mail\]\$|[mail]\nsmtp_url = smtp://127.0.0.1:$1/example.test|" "$CAREDESK_CONF"
}

# sink_find PY_EXPR: the newest message the sink received whose parsed form m (Python's email
# package) makes PY_EXPR true, as a path; empty when none
sink_find() {
	/usr/bin/python3 - "$SINK_MAIL" "$1" <<'PY'
import email, email.policy, glob, os, sys
hit = ""
for f in sorted(glob.glob(sys.argv[1] + "/*"), key=os.path.getmtime):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if eval(sys.argv[2]):
        hit = f
print(hit)
PY
}

# mail_header FILE NAME: a header of a message file, decoded
mail_header() {
	/usr/bin/python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get(sys.argv[2], ""))' "$1" "$2"
}

# mail_text FILE: the text/plain body of a message file
mail_text() {
	/usr/bin/python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_body(("plain",)).get_content())' "$1"
}

finish() {
	"$DBCHECK" "$DB" >/dev/null || fail "database holds invalid UTF-8 ($DBCHECK $DB)"
	if [ "$FAILS" -ne 0 ]; then
		[ -z "${CLEANUP:-}" ] || eval "$CLEANUP"
		echo "$TESTNAME: $FAILS check(s) failed; files kept in $T" >&2
		exit 1
	fi
	[ -z "${CLEANUP:-}" ] || eval "$CLEANUP"
	rm -rf "$T"
	echo "$TESTNAME: all checks passed"
}

# hold_db_lock SECONDS: a process that holds the database write lock (python's sqlite3); sets HOLDER
hold_db_lock() {
	python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")' "$DB" "$1" >/dev/null 2>&1 &
	HOLDER=$!
	i=0
	while sqlite3 "$DB" "PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 200 ] || die "lock holder did not take the lock"
		sleep 0.05
	done
}

# hold_pipeline_lock: a process that holds the pipeline lock, so that pipe deliveries stay pending
hold_pipeline_lock() {
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(60)' "$DB-process.lock" >/dev/null 2>&1 &
	LOCKER=$!
	sleep 0.5
}

# kill_at_random LEFT DONE STEP CMD...: run CMD again and again until the shell command LEFT prints
# 0 (at most 80 runs), killing each run with SIGKILL once the command DONE (a count that grows as
# the run works) has grown by a random 1..min(LEFT/2, STEP), plus a random 0-30 ms, so the kill
# falls anywhere in the work: reading, parsing, committing, talking to a server. The moment follows
# progress, not the clock (machines differ tenfold). Sets KILLS (runs killed mid-way: LEFT went
# down, not to 0) and ATTEMPTS; prints one line a run. KILL_SEED makes a run repeatable.
kill_at_random() {
	_left=$1 _done=$2 _step=$3
	shift 3
	KILLS=0 ATTEMPTS=0
	_seed=${KILL_SEED:-$$}
	echo "kill_at_random: seed $_seed"
	while [ "$(eval "$_left")" -gt 0 ] && [ $ATTEMPTS -lt 80 ]; do
		ATTEMPTS=$((ATTEMPTS + 1))
		_before=$(eval "$_left")
		_d0=$(eval "$_done")
		_r=$(awk -v s="$_seed" -v a="$ATTEMPTS" -v n="$_before" -v m="$_step" \
			'BEGIN { srand(s * 1000 + a); x = n / 2; if (x > m) x = m; printf "%d %.3f", 1 + int(rand() * x), rand() * 0.03 }')
		_target=$((_d0 + ${_r% *})) _jitter=${_r#* }
		"$@" 2>>"$T/killed-runs.err" &
		_pid=$!
		while kill -0 $_pid 2>/dev/null && [ "$(eval "$_done")" -lt $_target ]; do sleep 0.005; done
		sleep "$_jitter"
		if kill -9 $_pid 2>/dev/null; then
			wait $_pid 2>/dev/null || true
			_after=$(eval "$_left")
			echo "  run $ATTEMPTS: SIGKILL $_jitter s after $_target done, $_before -> $_after left"
			[ "$_after" -gt 0 ] && [ "$_after" -lt "$_before" ] && KILLS=$((KILLS + 1))
		else
			wait $_pid 2>/dev/null || true
			echo "  run $ATTEMPTS: finished before $_target done, $_before -> $(eval "$_left") left"
		fi
	done
	return 0
}
