#!/bin/sh
# valgrind.sh BUILD - every unit test of a normal (non-sanitizer) build under valgrind memcheck:
# any invalid access, use of uninitialised memory or definite leak fails the run. Two at a time.
# Time limits that tests assert are stretched (CAREDESK_TEST_TIME_SCALE): valgrind is ~30x slower.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
logs="$build/valgrind-logs"
rm -rf "$logs"
mkdir -p "$logs" "$build/test-tmp"
export CAREDESK_SRC="$src" CAREDESK_SHARED="$src/../shared" CAREDESK_TEST_TMP="$build/test-tmp"
export CAREDESK_TEST_TIME_SCALE=40 G_SLICE=always-malloc G_DEBUG=gc-friendly,fatal-criticals
ls "$build"/bin/test_* | xargs -P 2 -I{} sh -c '
	t=$(basename "$1")
	if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--num-callers=30 --suppressions="$2/tests/valgrind.supp" "$1" >"$3/$t.log" 2>&1; then
		echo "valgrind: $t clean"
	else
		echo "valgrind: $t FAILED (log: $3/$t.log)"; grep -v "^ok \|^# " "$3/$t.log" | head -40
	fi' sh {} "$src" "$logs" | tee "$logs/summary"
! grep -q FAILED "$logs/summary"
