#!/bin/bash
# cross_arm64.sh BUILD_DIR: set up (once) a Meson build of cainit for
# linux-arm64 on this x86-64 Debian machine, with Debian's cross compiler and
# Debian's own arm64 libraries, static as the native build.
#
# The arm64 libraries are not installed: `apt-get install libevent-dev:arm64`
# would remove the native libevent-dev (it is not multi-arch co-installable).
# Their .debs are downloaded (`apt-get download`, after adding the arm64
# architecture to apt's list) and unpacked into BUILD_DIR-sysroot, which the
# cross file points the compiler, the linker and pkg-config at. The test
# programs link dynamically there, so the runtime libraries (libc6 and the
# libraries' own packages) are unpacked too: qemu-aarch64-static -L
# BUILD_DIR-sysroot runs them (Meson's exe_wrapper).
set -euo pipefail
build=${1:?usage: cross_arm64.sh BUILD_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
sysroot=$(realpath -m "$build-sysroot")

bash "$here/scripts/deps.sh" build arm64
[ -f "$build/build.ninja" ] && exit 0

# the arm64 development files and the libraries the tests load at run time
debs=(libc6 libgcc-s1 libssl-dev libssl3 libevent-dev libevent-2.1-7 libevent-core-2.1-7
	libevent-extra-2.1-7 libevent-openssl-2.1-7 libevent-pthreads-2.1-7 libjansson-dev libjansson4
	zlib1g-dev zlib1g libsqlite3-dev libsqlite3-0 libcmocka-dev libcmocka0)
if [ ! -f "$sysroot/.complete" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi
	if ! apt-cache show libssl-dev:arm64 >/dev/null 2>&1; then
		echo "cross_arm64: fetching apt's arm64 package lists" >&2
		apt-get update -q >&2
	fi
	rm -rf "$sysroot" "$sysroot.debs"
	mkdir -p "$sysroot.debs"
	# apt drops privileges to _apt for downloads: give it the folder
	chown _apt "$sysroot.debs" 2>/dev/null || true
	(cd "$sysroot.debs" && apt-get download -q "${debs[@]/%/:arm64}" >&2)
	for d in "$sysroot.debs"/*.deb; do dpkg-deb -x "$d" "$sysroot"; done
	rm -rf "$sysroot.debs"
	touch "$sysroot/.complete"
fi

lib=$sysroot/usr/lib/aarch64-linux-gnu
mkdir -p "$build"
cross=$sysroot/cross.ini
cat >"$cross" <<EOF
# written by scripts/cross_arm64.sh
[binaries]
c = 'aarch64-linux-gnu-gcc'
ar = 'aarch64-linux-gnu-ar'
strip = 'aarch64-linux-gnu-strip'
pkgconfig = 'pkg-config'
exe_wrapper = ['qemu-aarch64-static', '-L', '$sysroot']

[properties]
sys_root = '$sysroot'
pkg_config_libdir = ['$lib/pkgconfig']

[built-in options]
c_args = ['-I$sysroot/usr/include/aarch64-linux-gnu', '-I$sysroot/usr/include']
c_link_args = ['-L$lib', '-Wl,-rpath-link,$lib', '-Wl,-rpath-link,$sysroot/lib/aarch64-linux-gnu']

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'aarch64'
endian = 'little'
EOF
meson setup "$build" --cross-file "$cross" -Dstatic=true
