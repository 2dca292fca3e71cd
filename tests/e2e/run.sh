#!/bin/bash
# tests/e2e/run.sh BUILD_DIR: `cainit bake --oci` on real images, run by a
# real container runtime (Debian's podman with runc), with a real TLS
# server on the host's loopback:
#   1. a Debian minbase image (debootstrap, cached in BUILD_DIR/e2e-cache)
#      whose entrypoint is a shell script that curls the server;
#   2. an image with no shell and no libc: only a static TLS client.
# For each: the unbaked image cannot reach the server (so the check can
# fail), the baked one can, with no CA flag; cainit is PID 1 and the app
# its child; `podman stop` delivers SIGTERM to the app and its exit code
# comes back; baking again gives identical digests.
#
# Everything podman stores lives under a private directory in /var/tmp
# (--root/--runroot), inside a private mount namespace, with the project's
# own containers.conf (runc, no default ulimits): the host's images,
# containers and trust store are never touched.
set -euo pipefail

build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

if [ "${CAINIT_E2E_INNER:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (podman, mount namespaces)" >&2; exit 1; }
	exec env CAINIT_E2E_INNER=1 unshare -m --propagation private bash "$0" "$@"
fi

die() { echo "e2e: FAIL: $*" >&2; exit 1; }
note() { echo "e2e: $*"; }

CAINIT=$build/cainit
MKCERT=$build/tests/mkcert
PROBE=$build/tests/tlsprobe
readelf -l "$CAINIT" | grep -q INTERP && die "$CAINIT is not the static build"
[ -x "$PROBE" ] || die "missing $PROBE (static build only)"
for t in podman runc debootstrap openssl; do
	command -v "$t" >/dev/null || die "$t is missing (scripts/deps.sh installs it)"
done

# (lowercase only: podman names images pulled from oci:PATH after PATH)
work=/var/tmp/cainit-e2e-$$
rm -rf "$work" && mkdir -p "$work"
. "$here/lib.sh"
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	e2e_podman_cleanup
	rm -rf "$work"
}
trap cleanup EXIT
e2e_podman_setup
base_tar=$(e2e_base_tar) || die "debootstrap failed"

# ---- the CA, and a TLS server on loopback whose leaf it signed ----
"$MKCERT" --cn "cainit e2e CA" --out "$work/ca.pem" --key-out "$work/ca.key"
"$MKCERT" --leaf --cn localhost --san DNS:localhost,IP:127.0.0.1 --issuer "$work/ca.pem" \
	--issuer-key "$work/ca.key" --out "$work/leaf.pem" --key-out "$work/leaf.key"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -www -accept "127.0.0.1:$port" -cert "$work/leaf.pem" -key "$work/leaf.key" \
	-no-CAfile -no-CApath -no-CAstore >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 1200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done

# bake BASE NEWTAG [args]: prints the fingerprint
bake() {
	local base=$1 tag=$2; shift 2
	"$CAINIT" bake --oci "$work/layout:$base" --tag "$tag" --ca "$work/ca.pem" "$@"
}
manifest_of() { python3 - "$work/layout/index.json" "$1" <<'PY'
import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"])
PY
}

# stop_check IMAGE WANT_EXIT ARGS...: run detached, wait for "waiting",
# podman stop (SIGTERM), check the exit code and that the app saw TERM
stop_check() {
	local img=$1 want=$2 id rc start ms; shift 2
	id=$(pod run -d --network host "$img" "$@")
	for _ in $(seq 1200); do pod logs "$id" 2>&1 | grep -q waiting && break; sleep 0.05; done
	pod logs "$id" 2>&1 | grep -q waiting || die "$img: the app never got ready: $(pod logs "$id" 2>&1)"
	start=$(date +%s%N)
	pod stop -t 20 "$id" >/dev/null
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	rc=$(pod wait "$id" 2>/dev/null || pod inspect -f '{{.State.ExitCode}}' "$id")
	pod logs "$id" 2>&1 | grep -q "got.*TERM" || die "$img: the app did not see SIGTERM: $(pod logs "$id" 2>&1)"
	[ "$rc" = "$want" ] || die "$img: podman stop gave exit $rc, want $want (the app's own)"
	note "  podman stop: the app got SIGTERM, exit $rc came back, in $ms ms"
	pod rm -f "$id" >/dev/null
}

# ---- 1. Debian minbase with a shell-script app ----
note "image 1: Debian bookworm minbase (curl, ca-certificates), app = /app.sh"
mkdir -p "$work/deb"
tar -C "$work/deb" -xf "$base_tar"
cat > "$work/deb/app.sh" <<'APP'
#!/bin/sh
echo "pid1=$(cat /proc/1/comm) me=$$ parent=$PPID"
curl -sS -o /dev/null -w 'tls=%{http_code}\n' "https://localhost:$1/" 2>&1 | tail -n1
[ "${2:-}" = wait ] || exit 0
trap 'echo got TERM; exit 42' TERM
echo waiting
while :; do sleep 0.1; done
APP
chmod 755 "$work/deb/app.sh"
e2e_import "$work/deb" deb '["/app.sh"]' '["443"]'
rm -rf "$work/deb"

out=$(pod run --rm --network host "$(e2e_image_of deb)" "$port")
grep -q '^tls=200' <<<"$out" && die "the unbaked image already trusts the CA: $out"
note "  unbaked: $(grep tls= <<<"$out")"

start=$(date +%s%N)
fp1=$(bake deb deb-baked 2>"$work/bake.err") || die "bake: $(cat "$work/bake.err")"
note "  bake: $(( ($(date +%s%N) - start) / 1000000 )) ms; $(sed 's/^cainit: //' "$work/bake.err")"
m1=$(manifest_of deb-baked)
img=$(e2e_image_of deb-baked)
out=$(pod run --rm --network host "$img" "$port")
grep -q '^tls=200' <<<"$out" || die "baked image: the TLS request failed: $out"
grep -q '^pid1=cainit me=[0-9]* parent=1$' <<<"$out" || die "baked image: not run under cainit as PID 1: $out"
note "  baked: $(tr '\n' ' ' <<<"$out")"
# the image's own trust store holds the CA: tools that ignore the variables work too
out=$(pod run --rm --network host --entrypoint /usr/bin/curl "$img" -sS -o /dev/null -w '%{http_code}' \
	"https://localhost:$port/")
[ "$out" = 200 ] || die "curl without cainit run in the baked image: $out"
note "  curl with no variables (the image's bundle itself): $out"
stop_check "$img" 42 "$port" wait

fp2=$(bake deb deb-baked-again 2>/dev/null)
[ "$(manifest_of deb-baked-again)" = "$m1" ] || die "baking again gave another manifest digest"
[ "$fp1" = "$fp2" ] || die "baking again gave another fingerprint"
note "  bake again: manifest $m1 and fingerprint identical"

# ---- 2. no shell, no libc: only a static TLS client ----
note "image 2: no shell, no libc: /tlsprobe (static) alone"
mkdir -p "$work/bare"
cp "$PROBE" "$work/bare/tlsprobe"
e2e_import "$work/bare" bare '["/tlsprobe"]' '["localhost","443"]'
out=$(pod run --rm --network host "$(e2e_image_of bare)" localhost "$port" || true)
grep -q '^tls=ok' <<<"$out" && die "the unbaked bare image already trusts the CA: $out"
note "  unbaked: $(grep tls= <<<"$out")"
fp3=$(bake bare bare-baked 2>"$work/bake.err") || die "bake: $(cat "$work/bake.err")"
m3=$(manifest_of bare-baked)
img=$(e2e_image_of bare-baked)
out=$(pod run --rm --network host "$img" localhost "$port")
grep -q '^tls=ok HTTP/1.0 200' <<<"$out" || die "baked bare image: the TLS request failed: $out"
grep -q '^pid=[0-9]* ppid=1$' <<<"$out" || die "baked bare image: the app is not cainit's child: $out"
note "  baked: $(tr '\n' ' ' <<<"$out")"
stop_check "$img" 43 localhost "$port" 43
bake bare bare-baked-again >/dev/null 2>&1
[ "$(manifest_of bare-baked-again)" = "$m3" ] || die "bare: baking again gave another manifest digest"
[ "$fp3" != "$fp1" ] || die "two different bases gave one fingerprint"
note "  bake again: manifest $m3 identical"
note "passed"
