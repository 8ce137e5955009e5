#!/bin/sh
# run.sh BUILD [SECONDS] - make fuzz: each libFuzzer target for SECONDS (default 60), seeded from
# ../shared/corpus, the demo mail and the regressions. A crash is saved under
# tests/fuzz/regressions/TARGET/ so that make check replays it from then on.
set -eu
build=$(cd "$1" && pwd)
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
shared=$(cd "$src/../shared" && pwd)
# the same leak suppressions as make check (fontconfig's font cache lives as long as the process)
export LSAN_OPTIONS="suppressions=$src/tests/lsan.supp:print_suppressions=0"
for t in mime html tnef quote rules agentcmd template ingest smskw webparse webhttp; do
	work="$build/fuzz-work/$t"
	mkdir -p "$work/corpus"
	case $t in
	mime | ingest) seeds="$shared/corpus $src/demo/mail" ;;
	html) seeds="$shared/corpus/mailgun-talon/html_replies" ;;
	rules) seeds="$src/filters" ;;
	template) seeds="$src/templates" ;;
	agentcmd) seeds="$here/seeds/agentcmd" ;;
	smskw) seeds="$here/seeds/smskw" ;;
	webparse) seeds="$here/seeds/webparse" ;;
	webhttp) seeds="$here/seeds/webhttp" ;;
	quote) seeds="$shared/corpus/github-email_reply_parser $shared/corpus/discourse-email_reply_trimmer" ;;
	tnef) seeds=""
		CAREDESK_TNEF_SAMPLE="$work/corpus/sample.tnef" "$build/bin/test_tnef" -p /tnef/in-a-message >/dev/null ;;
	esac
	echo "fuzz: $t for $secs s"
	"$build/bin/fuzz_$t" -max_total_time="$secs" -max_len=262144 -timeout=10 \
		-artifact_prefix="$here/regressions/$t/" "$work/corpus" $seeds "$here/regressions/$t" 2>&1 |
		grep -E "^#[0-9]+.*(DONE|pulse)|Done|ERROR|SUMMARY|crash-|stat::" || true
done
echo "fuzz: new crashes, if any, are in $here/regressions/*/ (commit them with the fix)"
