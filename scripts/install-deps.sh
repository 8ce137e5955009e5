#!/bin/sh
# install-deps.sh - the one list of Debian packages that build, tests and demo need.
# Idempotent and non-interactive; run as root on Debian 12 (bookworm).
# INSTALL and the Makefile both use this file: add a package here, nowhere else.
set -eu

BUILD="build-essential cmake pkg-config libdpkg-perl clang libclang-rt-14-dev llvm
 libgmime-3.0-dev libglib2.0-dev libetpan-dev libcurl4-gnutls-dev libpcre2-dev
 libsqlite3-dev sqlite3 nettle-dev libjson-glib-dev libcivetweb-dev libsodium-dev libxml2-dev libytnef0-dev libgnutls28-dev
 libcairo2-dev libphonenumber-dev"
TEST="valgrind util-linux e2fsprogs python3 curl bc
 dovecot-imapd dovecot-pop3d postfix swaks python3-aiosmtpd kannel kannel-extras
 chromium nodejs poppler-utils fonts-dejavu-core wrk"
# npm: Debian ships it as its own package; a nodejs from NodeSource carries it (and conflicts with
# Debian's npm), so it is only asked for when missing. playwright-core: scripts/install-npm.sh.
command -v npm >/dev/null 2>&1 || TEST="$TEST npm"

missing=""
for p in $BUILD $TEST; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Installing postfix must not ask questions or start services on a laptop.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
apt-get -o DPkg::Lock::Timeout=900 update -q
apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $missing
