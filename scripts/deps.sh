#!/bin/bash
# deps.sh [GROUP...]: install the Debian packages that GROUPs need and this
# machine lacks. Groups: build (compile cainit: plain `make`), test (unit and
# integration tests, the demo, the benchmarks: real tools and TLS peers),
# e2e (images run by podman, the client matrix; also Bun and Deno from the
# npm registry, into /opt/cainit-npm), fuzz (clang + libFuzzer), arm64 (the
# cross compiler and the user-mode emulator that runs its output; the arm64
# libraries come from scripts/cross_arm64.sh).
# No group: all of them. Idempotent and non-interactive: it asks dpkg first
# and runs apt-get (after apt-get update) only for missing packages.
set -euo pipefail

group_build=(gcc make meson ninja-build pkg-config binutils
	libssl-dev libevent-dev libjansson-dev zlib1g-dev libsqlite3-dev)
group_test=(libcmocka-dev python3
	# real tools and real TLS peers
	openssl ca-certificates curl strace util-linux procps valgrind python3-yaml python3-requests nodejs
	# Java and browser trust: Debian's JDK and its JKS cacerts, NSS's certutil, Chromium
	openjdk-17-jdk-headless ca-certificates-java libnss3-tools chromium
	# doctor's Firefox client (headless, driven over Marionette)
	firefox-esr
	# doctor's PHP client (its https stream wrapper)
	php-cli
	# a real intercepting proxy (makes its own CA), for the demo and the tests
	mitmproxy wget
	# the reference layer applier the unpack tests compare with
	umoci)
group_e2e=(
	# the TLS clients of the end-to-end matrix (tests/e2e/matrix.sh)
	git python3-pip golang-go ruby libwww-perl liblwp-protocol-https-perl
	# images built with debootstrap, run by podman with runc
	podman runc debootstrap)
group_fuzz=(clang libclang-rt-14-dev)
group_arm64=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build test e2e fuzz arm64)
packages=()
for g in "${groups[@]}"; do
	case $g in
	build) packages+=("${group_build[@]}") ;;
	test) packages+=("${group_test[@]}") ;;
	e2e) packages+=("${group_e2e[@]}") ;;
	fuzz) packages+=("${group_fuzz[@]}") ;;
	arm64) packages+=("${group_arm64[@]}") ;;
	*) echo "deps: no group '$g' (build, test, e2e, fuzz, arm64)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# e2e: Bun and Deno, real runtimes from the npm registry (the matrix's
# clients with roots of their own), pinned, into one directory of their own
npm_tools=/opt/cainit-npm
npm_pkgs=(@oven/bun-linux-x64@1.4.5 @deno/linux-x64-glibc@2.9.6)
if [[ " ${groups[*]} " == *" e2e "* ]] &&
	! { [ -x $npm_tools/node_modules/@oven/bun-linux-x64/bin/bun ] && [ -x $npm_tools/node_modules/@deno/linux-x64-glibc/deno ]; }; then
	command -v npm >/dev/null || { echo "deps: npm is missing (needed for Bun and Deno)" >&2; exit 1; }
	echo "deps: npm install ${npm_pkgs[*]} into $npm_tools" >&2
	mkdir -p $npm_tools
	npm install --prefix $npm_tools --no-audit --no-fund --no-save "${npm_pkgs[@]}" >&2
fi
