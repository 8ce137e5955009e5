#!/bin/sh
# install-npm.sh - the npm packages the browser tests need (playwright-core, pinned in
# tests/browser/package.json) into tests/browser/node_modules. Idempotent: does nothing when the
# pinned version is there. playwright-core downloads no browser; the tests use Debian's chromium.
# 1.61 is the last release that runs on Debian 12's Node.js 18 (1.62 and later want 20).
set -eu
dir=$(cd "$(dirname "$0")/../tests/browser" && pwd)
want=$(sed -n 's/.*"playwright-core": *"\([^"]*\)".*/\1/p' "$dir/package.json")
have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/playwright-core/package.json" 2>/dev/null | head -1)
if [ "$have" = "$want" ]; then
	echo "install-npm: playwright-core $want present"
	exit 0
fi
command -v npm >/dev/null || { echo "install-npm: npm missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 18 ] || echo "install-npm: warning: playwright-core $want wants Node.js 18 or later; this is $(node --version 2>/dev/null)" >&2
echo "install-npm: installing playwright-core $want into $dir"
cd "$dir"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --no-save --loglevel=error \
	"playwright-core@$want" </dev/null
