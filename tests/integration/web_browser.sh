#!/bin/sh
# web_browser.sh - the customer's way through the web view in headless Chromium with playwright-core
# (tests/browser/flow.js): register, activate by the link in the real outbox, log in, orders, invoice
# PDF (pdftotext finds the ref), accept an offer, open an RMA, reply, log out. Screenshots of every
# page are kept in $CAREDESK_TEST_TMP/web_browser-screenshots. Chromium, node and playwright-core
# must be installed (make deps): a missing one fails the test.
. "$(dirname "$0")/../lib.sh"
WEB_PORT=18202
. "$CAREDESK_SRC/tests/web_lib.sh"
BROWSER_DIR="$CAREDESK_SRC/tests/browser"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing: run make deps"
command -v node >/dev/null || die "node missing: run make deps"
command -v pdftotext >/dev/null || die "pdftotext missing: run make deps"
[ -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] || die "playwright-core missing: run scripts/install-npm.sh"
setup_caredesk
"$CAREDESK" agent add ana ana@example.test "Ana Agent" >/dev/null
start_web
SHOTS="$CAREDESK_TEST_TMP/web_browser-screenshots"
rm -rf "$SHOTS"
mkdir -p "$SHOTS" "$T/downloads" "$T/tmp"
set +e
TMPDIR="$T/tmp" NODE_PATH="$BROWSER_DIR/node_modules" node "$BROWSER_DIR/flow.js" "$U" "$DB" "$SHOTS" "$CAREDESK_BIN" \
	"$T/downloads" </dev/null
rc=$?
set -e
check "the browser flow passed" 0 "$rc"
n=$(ls "$SHOTS" | wc -l)
[ "$n" -ge 15 ] && ok "$n screenshots in $SHOTS" || fail "only $n screenshots"
stop_web
finish
