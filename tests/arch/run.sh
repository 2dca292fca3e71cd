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
	t_cli t_install t_rotation t_refusals t_env t_env_merge t_python t_run_clients t_run_wait \
	t_serve_api t_push
