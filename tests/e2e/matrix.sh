#!/bin/bash
# tests/e2e/matrix.sh BUILD_DIR: every TLS client this machine has, through a
# real intercepting proxy (mitmdump, with the CA it makes itself), before and
# after cainit, in two sandboxes:
#   ns    this machine's root in a private mount namespace, read-only, with
#         tmpfs copies of its trust directories (scripts/sandbox_lib.sh)
#   ctr   the Debian minbase container (podman), the agent baked in
#   sd    the same image booted with systemd, each client a service
# and by every delivery path:
#   before   nothing done: each client must fail on the certificate (so its
#            traffic really was intercepted, and the failure is trust)
#   install  `cainit install` of the proxy's CA
#   serve    `cainit serve` in the sandbox, `cainit push` (POST /init) from
#            outside
#   rotated  the proxy restarts with a new CA; the agent gets it by /init
#   old CA   the proxy back on its first CA: each client must fail again,
#            and the CA is found in no file of the sandbox (find_der.py)
#   run      each client started by `cainit run --ca` in a fresh sandbox
# Clients in the ns sandbox run in a login shell (`bash -lc`, the way sandbox
# exec APIs start commands; it reads /etc/profile.d/cainit.sh), except under
# `run`, where the variables come from cainit run itself. After every
# `remove --all` the bundle and the JKS keystore are byte-identical to the
# originals. In the ns sandbox, `cainit doctor` runs too, after the install,
# the serve and the rotation, and its verdicts are compared cell by cell
# with the matrix's clients (doctor_vs_matrix.py: after the install login
# with the install column, pam with su, bare with bare, run with run; after
# serve and rotation login with theirs); in the container, doctor's image
# path (the Env bake recorded, what `podman exec` gives) after the install,
# the serve and the rotation, each with that column; in the systemd
# container, its systemd path after the install. Any disagreement fails.
# Prints the table; exit 1 when any cell is not what it must be.
set -euo pipefail
build=$(cd "${1:?usage: matrix.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export BUILD=$build

case ${CAINIT_MATRIX:-} in
"")
	[ "$(id -u)" -eq 0 ] || { echo "e2e matrix: needs root (mount namespaces, podman)" >&2; exit 1; }
	# the work directory: a tmpfs of the namespace's own on an empty directory
	# (not over /tmp, where the checkout itself may live), removed afterwards
	W=$(mktemp -d /tmp/cainit-matrix.XXXXXX)
	rc=0
	W=$W CAINIT_MATRIX=outer unshare -m --propagation private bash "$0" "$@" || rc=$?
	rmdir "$W"
	exit "$rc" ;;
outer | ns) ;;
*) echo "CAINIT_MATRIX=$CAINIT_MATRIX?" >&2; exit 2 ;;
esac

CAINIT=$build/cainit
die() { echo "e2e matrix: FAIL: $*" >&2; exit 1; }
note() { echo "e2e matrix: $*"; }
# compare_doctor SANDBOX NAME COLUMN=PATH...: $W/doctor.NAME.json (doctor
# run in SANDBOX) against the matrix's cells there, cell by cell
compare_doctor() {
	local sb=$1 name=$2
	shift 2
	python3 "$here/doctor_vs_matrix.py" "$W/results" "$W/doctor.$name.json" "$sb" "$@" >"$W/doctor.compare" ||
		die "$sb: doctor and the matrix disagree: $(grep -v '^agree' "$W/doctor.compare")"
	note "$sb: $name: $(tail -n1 "$W/doctor.compare")"
}
# doctor_in CONTAINER NAME PATH: doctor in a container, as the matrix's
# clients run there (root), after a delivery: $W/doctor.NAME.json
doctor_in() {
	local drc=0
	timeout 600 podman --root "$work/storage" --runroot "$work/runroot" --storage-driver overlay exec "$1" \
		/usr/local/bin/cainit doctor --json --user root --timeout 60s --path "$3" >"$W/doctor.$2.json" 2>"$W/doctor.err" || drc=$?
	[ "$drc" -le 1 ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$W/doctor.$2.json" ||
		die "doctor in $2: exit $drc: $(head -c 600 "$W/doctor.err")"
}

# cell SANDBOX COLUMN CLIENT WANT LAUNCHER...: the client's command, given
# as the last argument to LAUNCHER (which bounds its time); one line in
# $W/results
cell() {
	local sb=$1 col=$2 c=$3 want=$4 rc=0 t0; shift 4
	t0=$(date +%s%N)
	"$@" "$(client_cmd "$c")" >"$W/cell.out" 2>&1 || rc=$?
	printf '%s|%s|%s|%s|%d|%s\n' "$sb" "$col" "$c" "$(client_verdict "$want" "$rc" "$W/cell.out")" \
		"$(( ($(date +%s%N) - t0) / 1000000 ))" "$(tr '\n' ' ' <"$W/cell.out" | cut -c1-200)" >>"$W/results"
}
# cells SANDBOX COLUMN WANT LAUNCHER...: every client of the sandbox
cells() {
	local sb=$1 col=$2 want=$3 c; shift 3
	for c in $(cat "$W/clients.$sb"); do
		cell "$sb" "$col" "$c" "$want" "$@"
	done
	note "$sb: $col: $(grep -c "^$sb|$col|[^|]*|$want|" "$W/results") of $(wc -w <"$W/clients.$sb") as they must be"
}

# ---------------------------------------------------------------------------
# the ns sandbox (a nested private namespace: sealed, read-only)
if [ "$CAINIT_MATRIX" = ns ]; then
	. "$here/../../scripts/sandbox_lib.sh"
	agent=""
	trap '[ -n "$agent" ] && kill "$agent" 2>/dev/null; proxy_stop' EXIT
	sandbox_seal
	ks=/etc/ssl/certs/java/cacerts
	sha() { cat /etc/ssl/certs/ca-certificates.crt "$ks" 2>/dev/null | sha256sum; }
	pristine=$(sha)
	cp /etc/ssl/certs/ca-certificates.crt "$W/bundle.orig"
	back_to_pristine() {
		"$CAINIT" remove --all >/dev/null 2>"$W/remove.err" || die "remove --all: $(cat "$W/remove.err")"
		[ "$(sha)" = "$pristine" ] || { diff /etc/ssl/certs/ca-certificates.crt "$W/bundle.orig" | head -n 5 >&2;
			die "after remove --all the bundle or the JKS keystore differs"; }
	}
	login() { in_sandbox bash -lc "$1"; }
	a=$(proxy_ca a) b=$(proxy_ca b)

	proxy_use a
	cells ns before refused login
	"$CAINIT" install --nss --nss-user root "$a" 2>"$W/install.err" || die "install: $(cat "$W/install.err")"
	cells ns install ok login
	# the other start paths (docs/env.md): a PAM session (`su`: pam_env reads
	# /etc/environment), an interactive non-login bash (the system bashrc),
	# and a bare start with no variables at all, which only the stores reach:
	# runtimes with roots of their own must then refuse (Bun reads the system
	# store as well: it needs no variable)
	su_pam() { in_sandbox su root -c "$1"; }
	bash_i() { in_sandbox bash -ic "$1"; }
	bare() { in_sandbox bash -c "$1"; }
	cells ns su ok su_pam
	cells ns "bash -i" ok bash_i
	for c in $(cat "$W/clients.ns"); do
		case $c in
		node | deno) cell ns bare "$c" refused bare ;;
		*) cell ns bare "$c" ok bare ;;
		esac
	done
	note "ns: bare: $(grep -c '^ns|bare|[^|]*|\(ok\|refused\)|' "$W/results") of $(wc -w <"$W/clients.ns") as they must be"
	# doctor, in the same sandbox and the same state, as the matrix's
	# clients run (root), after each delivery: compared with them cell by
	# cell (doctor_vs_matrix.py) once the matrix's columns are in
	# (a NAME ending in -url: doctor --url, the origin through the proxy,
	# as the matrix's clients fetch it: the real interception, no canary)
	doctor_as_matrix() { # NAME PATH...: $W/doctor.NAME.json
		local out=$W/doctor.$1.json drc=0 p args=()
		case $1 in *-url) args=(--url "$URL" --proxy "http://127.0.0.1:$PROXY_PORT") ;; esac
		shift
		# (every client but Firefox, which the matrix has no peer of:
		# t_doctor proves it, and here it would add a minute a run)
		for p in curl wget openssl python requests pip node npm bun deno ruby perl php git java go chromium; do
			args+=(--client "$p")
		done
		for p in "$@"; do args+=(--path "$p"); done
		timeout 600 env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			"$CAINIT" doctor --json --user root --timeout 60s "${args[@]}" >"$out" 2>"$W/doctor.err" || drc=$?
		[ "$drc" -le 1 ] && python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$out" ||
			die "doctor in the ns sandbox: exit $drc: $(head -c 600 "$W/doctor.err")"
	}
	doctor_as_matrix install login pam bare run
	doctor_as_matrix install-url login pam bare run
	back_to_pristine

	aport=$(free_port)
	"$CAINIT" serve --listen "127.0.0.1:$aport" --nss --nss-user root --quiet 2>"$W/agent.err" &
	agent=$!
	"$CAINIT" push --to "http://127.0.0.1:$aport" --deadline 10s "$a" 2>/dev/null || die "push: $(cat "$W/agent.err")"
	cells ns serve ok login
	doctor_as_matrix serve login
	proxy_use b
	"$CAINIT" push --to "http://127.0.0.1:$aport" "$b" 2>/dev/null || die "push (rotation): $(cat "$W/agent.err")"
	cells ns rotated ok login
	doctor_as_matrix rotated login
	if "$CAINIT" verify "$a" >/dev/null 2>&1; then die "after rotation cainit verify still accepts the old CA"; fi
	where=$(python3 "$TOOLS/find_der.py" "$a" /etc /usr/local/share/ca-certificates /root) ||
		die "after rotation the old CA is still in: $where"
	proxy_use a
	cells ns "old CA" refused login
	doctor_as_matrix old-ca-url login
	kill "$agent" && wait "$agent" 2>/dev/null || true
	agent=""
	back_to_pristine

	proxy_use b
	for c in $(cat "$W/clients.ns"); do
		cell ns run "$c" ok in_sandbox "$CAINIT" run --ca "$b" --nss --nss-user root -- bash -c
		back_to_pristine
	done
	note "ns: run: $(grep -c '^ns|run|[^|]*|ok|' "$W/results") of $(wc -w <"$W/clients.ns") as they must be"
	compare_doctor ns install install=login su=pam bare=bare run=run
	compare_doctor ns serve serve=login
	compare_doctor ns rotated rotated=login
	compare_doctor ns install-url install=login su=pam bare=bare run=run
	compare_doctor ns old-ca-url "old CA=login"
	exit 0
fi

# ---------------------------------------------------------------------------
# outer: the origin, the clients, the proxy's two CAs; then each sandbox
readelf -l "$CAINIT" | grep -q INTERP && die "$CAINIT is not the static build"
for t in mitmdump podman runc debootstrap; do
	command -v "$t" >/dev/null || die "$t is missing (scripts/deps.sh installs it)"
done
mount -t tmpfs cainit-matrix "$W"
export W
mkdir -p "$W"
. "$here/../../scripts/sandbox_lib.sh"
work=/var/tmp/cainit-matrix-$$
rm -rf "$work" && mkdir -p "$work"
. "$here/lib.sh"
cleanup() {
	proxy_stop
	[ -n "${ORIGIN_PID:-}" ] && kill "$ORIGIN_PID" 2>/dev/null
	e2e_podman_cleanup
	rm -rf "$work"
}
trap cleanup EXIT

start=$(date +%s)
origin_start
clients_build
proxy_use a
proxy_use b # both CAs exist from here on
proxy_stop
: >"$W/results"
for c in "${CLIENTS[@]}"; do
	if client_ready "$c"; then echo "$c"; else note "ns: $c: not on this machine" >&2; fi
done >"$W/clients.ns"
[ "$(wc -l <"$W/clients.ns")" -ge 12 ] || die "only $(wc -l <"$W/clients.ns") clients (scripts/deps.sh installs them)"
export URL ORIGIN_PORT PROXY_PORT
note "origin $URL (its CA never trusted), proxy mitmdump on 127.0.0.1:$PROXY_PORT"

CAINIT_MATRIX=ns unshare -m --propagation private bash "$0" "$build" || die "the ns sandbox"

# ---- the container sandbox ----
e2e_podman_setup
base_tar=$(e2e_base_tar) || die "debootstrap failed"
echo "curl wget openssl python-urllib python-requests node" >"$W/clients.ctr"
# the pip-installed Python, read-only at its own path (its platform .pth
# hook, see scripts/sandbox_lib.sh, masked): its certifi is PyPI's, so
# only the image's Env reaches it
pyenv_vols=()
if grep -qx pypi-requests "$W/clients.ns"; then
	echo "pypi-requests pypi-pip" >>"$W/clients.ctr"
	pyenv_vols=(-v "$PYENV_PY:$PYENV_PY:ro")
	for pth in "$PYENV_PY"/lib/python3*/site-packages/*.pth; do
		[ -f "$pth" ] && grep -q 'certifi.where' "$pth" && pyenv_vols+=(-v "/dev/null:$pth:ro")
	done
fi
mkdir -p "$work/root" "$work/cas"
cp "$(proxy_ca a)" "$work/cas/a.pem"
cp "$(proxy_ca b)" "$work/cas/b.pem"
tar -C "$work/root" -xf "$base_tar"
e2e_import "$work/root" matrix '["/bin/sleep"]' '["infinity"]'
rm -rf "$work/root"
aport=$(free_port)
"$CAINIT" bake --oci "$work/layout:matrix" --tag matrix-agent --run-args "--serve 127.0.0.1:$aport" \
	>/dev/null 2>"$work/bake.err" || die "bake: $(cat "$work/bake.err")"
img=$(e2e_image_of matrix-agent)
penv=(-e "https_proxy=http://127.0.0.1:$PROXY_PORT" -e "http_proxy=http://127.0.0.1:$PROXY_PORT"
	-e no_proxy=127.0.0.1,localhost)
clients_dir=$(cd "$here/clients" && pwd)
ctr=$(pod run -d --network host -v "$work/cas:/cas:ro" -v "$clients_dir:$clients_dir:ro" "${pyenv_vols[@]}" "$img")
ctr_exec() { timeout 60 podman --root "$work/storage" --runroot "$work/runroot" --storage-driver overlay exec "${penv[@]}" "$ctr" sh -c "$1"; }
ctr_sha() { pod exec "$ctr" sha256sum /etc/ssl/certs/ca-certificates.crt; }
pristine=$(ctr_sha)
ctr_pristine() {
	pod exec "$ctr" /usr/local/bin/cainit remove --all >/dev/null 2>&1 || die "ctr: remove --all"
	[ "$(ctr_sha)" = "$pristine" ] || die "ctr: after remove --all the bundle differs"
}

proxy_use a
cells ctr before refused ctr_exec
pod exec "$ctr" /usr/local/bin/cainit install /cas/a.pem 2>/dev/null || die "ctr: install"
cells ctr install ok ctr_exec
doctor_in "$ctr" ctr-install image
ctr_pristine
"$CAINIT" push --to "http://127.0.0.1:$aport" --deadline 10s "$work/cas/a.pem" 2>/dev/null ||
	die "ctr: push: $(pod logs "$ctr" 2>&1 | tail -n 3)"
cells ctr serve ok ctr_exec
doctor_in "$ctr" ctr-serve image
proxy_use b
"$CAINIT" push --to "http://127.0.0.1:$aport" "$work/cas/b.pem" 2>/dev/null || die "ctr: push (rotation)"
cells ctr rotated ok ctr_exec
doctor_in "$ctr" ctr-rotated image
if pod exec "$ctr" /usr/local/bin/cainit verify /cas/a.pem >/dev/null 2>&1; then
	die "ctr: after rotation cainit verify still accepts the old CA"
fi
mnt=$(pod mount "$ctr")
where=$(python3 "$TOOLS/find_der.py" "$work/cas/a.pem" "$mnt/etc" "$mnt/usr/local/share/ca-certificates") ||
	die "ctr: after rotation the old CA is still in: $where"
pod umount "$ctr" >/dev/null
proxy_use a
cells ctr "old CA" refused ctr_exec
ctr_pristine
pod rm -f "$ctr" >/dev/null
proxy_use b
ctr_run() { timeout 90 podman --root "$work/storage" --runroot "$work/runroot" --storage-driver overlay run --rm --network host "${penv[@]}" -v "$work/cas:/cas:ro" -v "$clients_dir:$clients_dir:ro" "${pyenv_vols[@]}" --entrypoint /usr/local/bin/cainit \
	"$img" run --ca /cas/b.pem -- sh -c "$1"; }
cells ctr run ok ctr_run
compare_doctor ctr ctr-install install=image
compare_doctor ctr ctr-serve serve=image
compare_doctor ctr ctr-rotated rotated=image

# ---- a container booted with systemd: its services' environment ----
# The same base, baked as a root filesystem without a CA (bake prepares the
# start paths: the manager's DefaultEnvironment drop-in), booted with
# systemd as PID 1. Each client runs as a oneshot service the manager
# starts, so its variables come from the drop-in alone; the proxy is the
# unit's own Environment=.
echo "curl python-requests node" >"$W/clients.sd"
[ ${#pyenv_vols[@]} -eq 0 ] || echo pypi-requests >>"$W/clients.sd"
mkdir -p "$work/sdroot"
tar -C "$work/sdroot" -xf "$base_tar"
"$CAINIT" bake --rootfs "$work/sdroot" >/dev/null 2>"$work/bake-sd.err" || die "bake --rootfs: $(cat "$work/bake-sd.err")"
mkdir -p "$work/sdroot/etc/systemd/system"
cat >"$work/sdroot/etc/systemd/system/probe.service" <<UNIT
[Service]
Type=oneshot
Environment=https_proxy=http://127.0.0.1:$PROXY_PORT http_proxy=http://127.0.0.1:$PROXY_PORT no_proxy=127.0.0.1,localhost
ExecStart=/bin/sh /run/probe.sh
UNIT
e2e_import "$work/sdroot" sd '["/lib/systemd/systemd"]' '["--show-status=no"]'
rm -rf "$work/sdroot"
sd=$(pod run -d --systemd=always --network host -v "$work/cas:/cas:ro" -v "$clients_dir:$clients_dir:ro" "${pyenv_vols[@]}" \
	"$(e2e_image_of sd)")
# The manager's private bus socket appears a moment after `run -d` returns;
# systemctl before it fails at once ("Failed to connect to bus"), so wait
# for the socket (each probe is one exec), then for the boot to finish.
deadline=$(($(date +%s) + 120))
until pod exec "$sd" test -S /run/systemd/private 2>/dev/null; do
	[ "$(date +%s)" -lt "$deadline" ] || break
	[ "$(pod inspect -f '{{.State.Running}}' "$sd" 2>/dev/null)" = true ] || break
done
state=$(timeout 120 podman --root "$work/storage" --runroot "$work/runroot" --storage-driver overlay exec "$sd" \
	systemctl is-system-running --wait 2>&1 || true)
case $state in running | degraded) ;; *) die "sd: systemd did not boot: $state $(pod logs "$sd" 2>&1 | tail -n 5)" ;; esac
sd_service() { # the command as the manager's service; its output, its status
	printf 'exec >/run/probe.out 2>&1\n%s\n' "$1" | pod exec -i "$sd" sh -c 'cat >/run/probe.sh' &&
		timeout 60 podman --root "$work/storage" --runroot "$work/runroot" --storage-driver overlay exec "$sd" \
			systemctl start probe.service
	local rc=$?
	pod exec "$sd" cat /run/probe.out
	return $rc
}
cells sd before refused sd_service
pod exec "$sd" /usr/local/bin/cainit install /cas/b.pem 2>/dev/null || die "sd: install"
cells sd install ok sd_service
doctor_in "$sd" sd-install systemd
compare_doctor sd sd-install install=systemd
pod rm -f "$sd" >/dev/null
proxy_stop

# ---- the table ----
cols=(before install su "bash -i" bare serve rotated "old CA" run)
table() { # table SANDBOX TITLE
	local c col v line
	printf '\n%s\n\n| client |' "$2"
	for col in "${cols[@]}"; do printf ' %s |' "$col"; done
	printf '\n|---|'
	for col in "${cols[@]}"; do printf -- '---|'; done
	printf '\n'
	for c in "${CLIENTS[@]}"; do
		grep -q "^$1|[^|]*|$c|" "$W/results" || continue
		line="| $(client_label "$c") |"
		for col in "${cols[@]}"; do
			v=$(awk -F'|' -v s="$1" -v k="$col" -v c="$c" '$1 == s && $2 == k && $3 == c { print $4 }' "$W/results")
			line+=" ${v:--} |"
		done
		echo "$line"
	done
}
table ns "Sandbox: a private mount namespace over this machine's root (read-only; trust directories on tmpfs)"
table ctr "Sandbox: the Debian bookworm minbase container (podman), the agent baked in"
table sd "Sandbox: the same image booted with systemd (podman --systemd=always), each client a service the manager starts"
echo
bad=$(awk -F'|' '$4 != "ok" && $4 != "refused"' "$W/results")
if [ -n "$bad" ]; then
	echo "cells that are not what they must be (sandbox|column|client|verdict|ms|output):"
	echo "$bad"
	die "$(wc -l <<<"$bad") wrong cell(s)"
fi
note "passed: $(wc -l <"$W/results") cells in $(( $(date +%s) - start )) s"
