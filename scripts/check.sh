#!/bin/sh
# check.sh BUILD ASAN_BUILD - run every test from the sanitizer build (ASan + UBSan), then the unit
# tests of the normal build under valgrind memcheck (scripts/valgrind.sh).
# Sanitizer reports of every process, detached background processors included, are written to
# ASAN_BUILD/sanitizer-logs; any report there fails the run, even if the test that caused it passed.
set -eu
build=$(cd "$1" && pwd)
asan_build=$(cd "$2" && pwd)
logs="$asan_build/sanitizer-logs"
rm -rf "$logs" "$asan_build/test-tmp"
mkdir -p "$logs"
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
status=0
(cd "$asan_build" && ctest --output-on-failure -j "${JOBS:-2}") || status=1
if [ -n "$(ls -A "$logs")" ]; then
	echo "check: sanitizer reports:" >&2
	for f in "$logs"/*; do echo "== $f" >&2; cat "$f" >&2; done
	status=1
fi
[ $status -eq 0 ] && echo "check: all tests passed under ASan and UBSan"
(unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; "$(dirname "$0")/valgrind.sh" "$build") || status=1
# the web requests once more on the normal build: its threads' stacks are not ASan's (a PDF once
# overflowed a civetweb worker's stack in the normal build only)
src=$(cd "$(dirname "$0")/.." && pwd)
(unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; "$build/bin/fuzz_webhttp" "$src/tests/fuzz/seeds/webhttp" \
	"$src/tests/fuzz/regressions/webhttp" 2>/dev/null) || { echo "check: web requests crash the normal build" >&2; status=1; }
[ $status -eq 0 ] && echo "check: unit tests clean under valgrind memcheck"
exit $status
