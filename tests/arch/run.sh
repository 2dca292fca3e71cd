#!/bin/bash
# tests/arch/run.sh ARM64_BUILD NATIVE_BUILD: the linux-arm64 cainit, tested
# on this x86-64 machine under Debian's user-mode emulator
# (qemu-aarch64-static): that it is a static aarch64 executable, the unit
# tests built for arm64, then the command-line part of the integration suite
# with the arm64 binary as the cainit under test (the native build gives the
# test tools, and pushes to the arm64 agent as an orchestrator would).
set -euo pipefail
arm=$(cd "${1:?usage: run.sh ARM64_BUILD NATIVE_BUILD}" && pwd)
native=$(cd "${2:?usage: run.sh ARM64_BUILD NATIVE_BUILD}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)

bin=$arm/cainit
readelf -h "$bin" | grep -q 'Machine: *AArch64' || { echo "arch: $bin is not an aarch64 executable" >&2; exit 1; }
if readelf -l "$bin" | grep -q INTERP; then echo "arch: $bin is not static (it has PT_INTERP)" >&2; exit 1; fi
echo "arch: $(qemu-aarch64-static "$bin" version)"

meson test -C "$arm" --no-rebuild --suite unit --print-errorlogs

# install, rotation, remove byte for byte, status, verify, env (and its
# merges), run with real clients, serve and pushes, refusals of bad input.
# Not t_run_process: qemu-user answers prctl(PR_SET_CHILD_SUBREAPER) with
# EINVAL, so run's reaping of orphans cannot be seen under emulation.
CAINIT_FOREIGN=$bin CAINIT_EMULATOR=qemu-aarch64-static CAINIT_ARCH=arm64 CAINIT_IT_FS=tmpfs \
	bash "$here/integration/run.sh" "$native" \
	t_cli t_install t_rotation t_refusals t_env t_env_merge t_run_clients t_run_wait \
	t_serve_api t_push

# a multi-platform bake with both real agents: an image index of a linux/amd64
# and a linux/arm64 image (tests/tools/mkoci.py), each platform baked with
# its own agent; the arm64 image's agent, unpacked as a runtime would, runs
# under qemu and finds the CA in the image's stores
scratch=$(mktemp -d /tmp/cainit-arch.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkoci="python3 $here/tools/mkoci.py"
mkdir -p "$scratch/l/etc/ssl/certs" "$scratch/l/usr/local/share/ca-certificates"
cp /etc/ssl/certs/ca-certificates.crt "$scratch/l/etc/ssl/certs/"
"$native/tests/mkcert" --cn "arch CA" --out "$scratch/ca.pem" >/dev/null
$mkoci make "$scratch/oci" amd --arch amd64 --layer "$scratch/l"
$mkoci make "$scratch/oci" arm --arch arm64 --layer "$scratch/l"
$mkoci index "$scratch/oci" both amd=amd64 arm=arm64
"$native/cainit" bake --oci "$scratch/oci:both" --tag baked --agent "$native/cainit" --agent "$bin" \
	--all-platforms --ca "$scratch/ca.pem" >"$scratch/fps"
$mkoci unpack "$scratch/oci" baked@arm64 "$scratch/u"
cmp "$bin" "$scratch/u/usr/local/bin/cainit" || { echo "arch: the arm64 image holds another agent" >&2; exit 1; }
qemu-aarch64-static "$scratch/u/usr/local/bin/cainit" version | grep -q ' linux-arm64 ' ||
	{ echo "arch: the baked arm64 agent does not say linux-arm64" >&2; exit 1; }
qemu-aarch64-static "$scratch/u/usr/local/bin/cainit" verify --root "$scratch/u" "$scratch/ca.pem" >/dev/null ||
	{ echo "arch: the baked arm64 agent does not find its CA in the image" >&2; exit 1; }
echo "arch: an amd64+arm64 index baked with both agents ($(tr '\n' ' ' <"$scratch/fps")); the arm64 agent runs in its image"
