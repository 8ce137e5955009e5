#!/bin/sh
# pipe_disk_full.sh - the MTA contract on a full disk: the database lives on a small tmpfs this test
# mounts (needs root, as make check is run); with the file system full, pipe mode exits 75 and
# stores nothing; after space is freed the MTA's retry is stored exactly once.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || die "needs root to mount a small file system (run make check as root, as README says)"
FS="$T/fs"
mkdir -p "$FS"
mount -t tmpfs -o size=4m tmpfs "$FS" || die "cannot mount tmpfs on $FS"
CLEANUP='umount "$FS" 2>/dev/null || true'
trap 'umount "$FS" 2>/dev/null || true' EXIT
"$CAREDESK" init "$FS/cd" --domain example.test >/dev/null
export CAREDESK_CONF="$FS/cd/caredesk.conf"
DB="$FS/cd/caredesk.db"

# a 600 KB message (a base64 attachment)
MSG="$T/big.eml"
{
	printf 'From: Erik <erik@example.org>\nTo: support@example.test\nSubject: log files\nMessage-ID: <big-1@example.org>\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nlogs attached\n'
	printf -- '--x\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=logs.bin\nContent-Transfer-Encoding: base64\n\n'
	head -c 450000 /dev/urandom | base64
	printf -- '--x--\n'
} >"$MSG"

# fill the file system, leaving less than the message needs
avail=$(df --output=avail -B1 "$FS" | tail -1)
head -c $((avail - 100000)) /dev/zero >"$FS/filler" 2>/dev/null || true
rc=$(pipe_rc "$MSG")
check "disk full: exit 75 (EX_TEMPFAIL)" 75 "$rc"
check "nothing stored on a full disk" 0 "$(sql 'SELECT count(*) FROM raw_messages')"

rm -f "$FS/filler"
rc=$(pipe_rc "$MSG")
check "after space is freed: accepted" 0 "$rc"
rc=$(pipe_rc "$MSG")
check "a second retry: accepted" 0 "$rc"
settle
check "stored exactly once" 1 "$(sql 'SELECT count(*) FROM raw_messages')"
check "one ticket" 1 "$(sql 'SELECT count(*) FROM tickets')"
check "attachment kept whole" 450000 "$(sql 'SELECT length(content) FROM attachments')"
finish
