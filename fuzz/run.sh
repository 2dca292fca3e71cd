#!/bin/bash
# fuzz/run.sh FUZZ_BUILD_DIR SECONDS: each libFuzzer target for SECONDS,
# starting from its seed corpus in fuzz/corpus/TARGET (kept in the repo; new
# inputs go to a scratch directory, not into the repo). Prints, per target,
# the executions reached and the corpus it grew to. A crash, leak or broken
# property stops the run: the input is kept in FUZZ_BUILD_DIR/artifacts/ and
# becomes a regression test by being copied into fuzz/corpus/TARGET (every
# seed is replayed by every later run).
set -euo pipefail
build=$(cd "${1:?usage: run.sh FUZZ_BUILD_DIR SECONDS}" && pwd)
secs=${2:?usage: run.sh FUZZ_BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$build/artifacts"
scratch=$(mktemp -d /tmp/cainit-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
printf '%-18s %8s %12s %10s %8s\n' target seconds executions exec/s corpus
for t in cert_input bundle init_body fingerprint; do
	mkdir -p "$scratch/$t"
	if ! "$build/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/artifacts/$t-" "$scratch/$t" "$here/corpus/$t" >"$scratch/$t.log" 2>&1; then
		tail -n 40 "$scratch/$t.log" >&2
		echo "fuzz: $t FAILED; the input is in $build/artifacts/" >&2
		exit 1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/$t.log")
	printf '%-18s %8s %12s %10s %8s\n' "$t" "$secs" "$execs" "$rate" \
		"$(( $(ls "$scratch/$t" | wc -l) + $(ls "$here/corpus/$t" | wc -l) ))"
done
