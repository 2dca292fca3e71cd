#!/bin/bash
# tests/arch/release.sh DIST: what `make release` wrote is what a user
# downloads: SHA256SUMS verifies with sha256sum -c, and each
# cainit-linux-ARCH is a stripped static executable for ARCH that runs
# (the arm64 one under qemu-aarch64-static) and names that architecture.
set -euo pipefail
dist=$(cd "${1:?usage: release.sh DIST}" && pwd)
fail() { echo "release: $*" >&2; exit 1; }

(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not verify"
[ "$(awk '{ print $2 }' "$dist/SHA256SUMS" | sort | paste -sd' ')" = "cainit-linux-amd64 cainit-linux-arm64" ] ||
	fail "SHA256SUMS names $(awk '{ print $2 }' "$dist/SHA256SUMS" | paste -sd' ')"
for arch in amd64 arm64; do
	bin=$dist/cainit-linux-$arch
	case $arch in
	amd64) machine='Advanced Micro Devices X86-64' run=() ;;
	arm64) machine=AArch64 run=(qemu-aarch64-static) ;;
	esac
	readelf -h "$bin" | grep -q "Machine: *$machine" || fail "$bin is not a $arch executable"
	if readelf -l "$bin" | grep -q INTERP; then fail "$bin is not static (it has PT_INTERP)"; fi
	if readelf -S "$bin" | grep -q '\.symtab'; then fail "$bin is not stripped"; fi
	out=$("${run[@]}" "$bin" version)
	[[ $out == "cainit "*" linux-$arch ("* ]] || fail "$bin version says: $out"
	echo "release: cainit-linux-$arch: $(stat -c %s "$bin") bytes, static, stripped: $out"
done
