#!/bin/bash
# fuzz/run.sh FUZZ_BUILD_DIR SECONDS: every libFuzzer target for SECONDS, all at once,
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
targets=(cert_input bundle init_body fingerprint http_req nss_sdb tar keystore oci text_block start_env seal)
# all at once (libFuzzer uses one core each): the run takes SECONDS
pids=()
for t in "${targets[@]}"; do
	mkdir -p "$scratch/$t"
	"$build/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/artifacts/$t-" "$scratch/$t" "$here/corpus/$t" >"$scratch/$t.log" 2>&1 &
	pids+=($!)
done
failed=0
printf '%-18s %8s %12s %10s %8s\n' target seconds executions exec/s corpus
for i in "${!targets[@]}"; do
	t=${targets[$i]}
	if ! wait "${pids[$i]}"; then
		tail -n 40 "$scratch/$t.log" >&2
		echo "fuzz: $t FAILED; the input is in $build/artifacts/" >&2
		failed=1
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/$t.log")
	printf '%-18s %8s %12s %10s %8s\n' "$t" "$secs" "$execs" "$rate" \
		"$(( $(ls "$scratch/$t" | wc -l) + $(ls "$here/corpus/$t" | wc -l) ))"
done
# the differential half of fuzz_tar: the seeds of real layers and what the
# run grew from them, read by cainit, Python's tarfile and GNU tar
if [ "$failed" = 0 ]; then
	python3 "$here/tar_diff.py" "$build/tests/tar_list" "$here/corpus/tar" "$scratch/tar" || failed=1
fi
exit "$failed"
