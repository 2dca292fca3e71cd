#!/bin/bash
# run.sh BUILD_DIR: every integration test, each in its own private mount
# namespace (unshare -m), once over tmpfs and once over the disk. Tests
# never touch the host's real trust store: anything they mount or change is
# inside their namespace or their scratch directory. Further arguments pick
# tests: a test's full name picks that test, anything else the tests whose
# name holds it; CAINIT_IT_FS="tmpfs" runs on one filesystem only.
#
# Another architecture's cainit (tests/arch/run.sh): CAINIT_FOREIGN names
# the binary and CAINIT_EMULATOR the user-mode emulator that runs it
# (qemu-aarch64-static); the tests reach it through a two-line wrapper,
# and BUILD_DIR (a native build) gives the test tools.
set -uo pipefail

build=$(cd "${1:?usage: run.sh BUILD_DIR [NAME...]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
shift
only=("$@")

if [ "$(id -u)" -ne 0 ]; then
	echo "integration tests need root (they create mount namespaces)" >&2
	exit 1
fi
for bin in cainit tests/mkcert tests/bundle_reader tests/certhash; do
	[ -x "$build/$bin" ] || { echo "missing $build/$bin: build first" >&2; exit 1; }
done
cainit=$build/cainit
native=
if [ -n "${CAINIT_FOREIGN:-}" ]; then
	native=$build/cainit
	# not static for the tests: what they bake or copy must run natively
	cainit=$build/it-foreign/cainit
	mkdir -p "$build/it-foreign"
	printf '#!/bin/sh\nexec %s %s "$@"\n' "${CAINIT_EMULATOR:?CAINIT_EMULATOR: the emulator}" \
		"$(realpath "$CAINIT_FOREIGN")" >"$cainit"
	chmod 755 "$cainit"
fi

static=0
if readelf -l "$cainit" >/dev/null 2>&1 && ! readelf -l "$cainit" | grep -q INTERP; then static=1; fi
# a static cainit for what must be one (a baked agent): this build's, or
# the one STATIC_CAINIT names (the Makefile's, for the sanitizer build)
agent=${STATIC_CAINIT:-}
[ "$static" = 1 ] && agent=$cainit
sanitized=0
if ldd "$cainit" 2>/dev/null | grep -q libasan; then sanitized=1; fi
full=0
[ ${#only[@]} -eq 0 ] && full=1
api_log="$build/it-api.log"
[ "$full" = 1 ] && : > "$api_log"

# the host's own trust store, as the tests must leave it (each test works in
# its namespace; a bind mount that exposes the real directory would not)
host_store() {
	{
		ls -la --time-style=+ /etc/ssl/certs /usr/local/share/ca-certificates /etc/cainit 2>&1
		sha256sum /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/java/cacerts 2>&1
		# the Python bundles (stores/python.c) of the host's interpreters
		sha256sum /usr/lib/python3*/*-packages/certifi/cacert.pem /usr/lib/python3*/*-packages/pip/_vendor/certifi/cacert.pem \
			/root/.pyenv/versions/*/lib/python*/site-packages/certifi/cacert.pem \
			/root/.pyenv/versions/*/lib/python*/site-packages/pip/_vendor/certifi/cacert.pem 2>/dev/null
	} | md5sum
}
host_before=$(host_store)

pass=0 fail=0 skip=0 failed=()
scratch_disk="$build/it-scratch"
for t in "$here"/t_*.sh; do
	name=$(basename "$t" .sh)
	if [ "$full" = 0 ]; then
		hit=0
		for o in "${only[@]}"; do
			if [ -f "$here/$o.sh" ]; then [ "$name" = "$o" ] && hit=1
			elif [[ "$name" == *"$o"* ]]; then hit=1; fi
		done
		[ "$hit" = 1 ] || continue
	fi
	for fs in ${CAINIT_IT_FS:-tmpfs disk}; do
		work="$scratch_disk/$name-$fs"
		rm -rf "$work" && mkdir -p "$work"
		log="$work.log"
		start=$(date +%s%N)
		CAINIT="$cainit" NATIVE_CAINIT="$native" MKCERT="$build/tests/mkcert" READER="$build/tests/bundle_reader" \
		CERTHASH="$build/tests/certhash" BUILD="$build" SANITIZED=$sanitized FULL_RUN=$full \
		API_LOG="$api_log" STATIC_BUILD=$static AGENT="$agent" FS=$fs WORK="$work" HERE="$here" \
			unshare -m --propagation private bash -c 'source "$HERE/lib.sh"; setup_scratch; source "$0"' "$t" \
			>"$log" 2>&1
		rc=$?
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		case $rc in
		0) pass=$((pass + 1)); printf 'ok   %-28s %-5s %6d ms\n' "$name" "$fs" "$ms"
		   grep '^# ' "$log" | sed 's/^/       /' || true ;;
		77) skip=$((skip + 1)); printf 'skip %-28s %-5s (%s)\n' "$name" "$fs" "$(tail -n1 "$log")" ;;
		*) fail=$((fail + 1)); failed+=("$name/$fs")
		   printf 'FAIL %-28s %-5s %6d ms (exit %d)\n' "$name" "$fs" "$ms" "$rc"
		   sed 's/^/    | /' "$log" | tail -n 25 ;;
		esac
		rm -rf "$work"
	done
done
rmdir "$scratch_disk" 2>/dev/null
if [ "$(host_store)" != "$host_before" ]; then
	fail=$((fail + 1)); failed+=("the host's trust store changed")
	echo "FAIL the host's own trust store changed during the run"
fi
echo "integration: $pass passed, $fail failed, $skip skipped ($(basename "$build"))"
[ "$fail" -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
