#!/bin/bash
# deps.sh: install whatever the build, the tests, the demo and the benchmarks
# need and this Debian machine lacks. Idempotent and non-interactive: it asks
# dpkg first and runs apt-get (after apt-get update) only for missing packages.
set -euo pipefail

packages=(
	# build
	gcc make meson ninja-build pkg-config binutils
	libssl-dev libevent-dev libjansson-dev libcmocka-dev zlib1g-dev libsqlite3-dev
	# tests, demo, benchmarks: real tools and real TLS peers
	openssl ca-certificates curl strace util-linux procps python3 valgrind python3-yaml
	# fuzzing: clang with libFuzzer
	clang libclang-rt-14-dev
	python3-requests nodejs
	# Java and browser trust: Debian's JDK and its JKS cacerts, NSS's certutil, Chromium
	openjdk-17-jdk-headless ca-certificates-java libnss3-tools chromium
	# a real intercepting proxy (makes its own CA), and the TLS clients of the
	# end-to-end matrix (tests/e2e/matrix.sh)
	mitmproxy wget git python3-pip golang-go ruby libwww-perl liblwp-protocol-https-perl
	# e2e: images built with debootstrap, run by podman with runc
	podman runc debootstrap
	# the reference layer applier the unpack tests compare with
	umoci
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
