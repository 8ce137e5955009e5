#!/bin/sh
# load_mail_web.sh - mail and web at once (issue 7), at test size: 1,000 generated messages through a
# real Postfix into pipe mode while caredesk-web serves wrk traffic on the same database
# (bench/load.sh, which `make bench` runs with 10,000): no message lost or doubled, none pending,
# and no error answer from the web view. Ports: SMTP 2647, web 18292.
. "$(dirname "$0")/../lib.sh"
setup_caredesk
chmod 755 "$T"
set +e
LOAD_WORK="$T/load" SMTP_PORT=2647 WEB_PORT=18292 sh "$CAREDESK_SRC/bench/load.sh" "$CAREDESK_BIN/.." "${LOAD_N:-1000}" >"$T/load.out" 2>&1
rc=$?
set -e
grep "^load: " "$T/load.out"
check "load.sh exits 0" 0 "$rc"
grep -q "^load: mail: .* stored ${LOAD_N:-1000} (${LOAD_N:-1000} distinct), pending 0" "$T/load.out" && ok "every message stored once, none pending" ||
	fail "mail: $(grep '^load: mail' "$T/load.out")"
grep -q "^load: web errors (non-2xx/3xx answers, socket errors, timeouts): 0$" "$T/load.out" && ok "no web error under load" ||
	fail "web: $(grep '^load: web' "$T/load.out")"
grep -q "^load: web under mail load: [1-9]" "$T/load.out" && ok "the web view served during the load" || fail "no web traffic measured"
finish
