#!/bin/bash
# demo.sh BUILD_DIR: `make demo`, cainit's main job in under a minute of
# reading. A throwaway sandbox (this machine's root in a private mount
# namespace, read-only, its trust directories on tmpfs: scripts/sandbox_lib.sh)
# behind a real intercepting proxy (mitmdump, with the CA it makes itself).
# curl, Python and Node fail, then trust the proxy after `cainit install`; the
# proxy restarts with a new CA and the sandbox's agent gets it by POST /init;
# `cainit doctor --url` proves every client through the proxy;
# `cainit remove --all` gives the bundle back byte for byte; `cainit doctor`
# shows each client on each start path. Each step is timed, and the host's
# own store is checked at the end.
set -euo pipefail
build=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (it makes a private mount namespace)" >&2; exit 1; }
if [ -z "${CAINIT_DEMO_INSIDE:-}" ]; then
	# the work directory: a tmpfs of the namespace's own on an empty directory
	# (not over /tmp, where the checkout itself may live), removed afterwards
	W=$(mktemp -d /tmp/cainit-demo.XXXXXX)
	rc=0
	W=$W CAINIT_DEMO_INSIDE=1 unshare -m --propagation private bash "$0" "$build" || rc=$?
	rmdir "$W"
	exit "$rc"
fi

export BUILD=$build W
mount -t tmpfs cainit-demo "$W"
. "$here/sandbox_lib.sh"
cainit=$build/cainit agent=""
trap '[ -n "$agent" ] && kill "$agent" 2>/dev/null; proxy_stop; [ -n "${ORIGIN_PID:-}" ] && kill "$ORIGIN_PID" 2>/dev/null; true' EXIT

b() { printf '\033[1m%s\033[0m\n' "$*"; }
ms() { awk "BEGIN { printf \"%.1f ms\", ($(date +%s%N) - $1) / 1e6 }"; }
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//' | cut -c1-23; }
# try WANT: the three clients, as a program in the sandbox runs them (a
# login shell, no CA option, the proxy in $https_proxy); WANT is ok or
# refused, and any other outcome is counted in $unexpected
unexpected=0
try() {
	local c rc verdict
	for c in curl python-urllib node; do
		rc=0
		in_sandbox bash -lc "$(client_cmd "$c")" >"$W/out" 2>&1 || rc=$?
		verdict=$(client_verdict "$1" "$rc" "$W/out")
		if [ "$rc" -eq 0 ]; then
			printf '   %-8s ok: verified the proxy'"'"'s certificate, HTTP 200' "${c%-urllib}"
		else
			printf '   %-8s FAILS: %s' "${c%-urllib}" "$(grep -m1 -oiE 'SSL certificate problem: [^.]*|certificate verify failed: [^(]*|unable to verify[a-z ]*|self[- ]signed[a-z ]*|rsa routines::[a-z ]*|certificate signature failure' "$W/out" || head -c 80 "$W/out")"
		fi
		case $verdict in
		ok | refused) echo ;;
		*) echo "   <- NOT AS EXPECTED"; unexpected=$((unexpected + 1)) ;;
		esac
	done
}

# doctor_as_expected FILE RC: doctor's table in FILE (its exit status RC)
# fails where it must and only there: Node's bare start (its roots are
# compiled in), and the browsers, Chromium and Firefox, which read only NSS
# databases (this demo's install has no --nss, and the clients' user has no Firefox
# profile); nothing is "not verifying"
doctor_as_expected() {
	local others
	others=$(grep -E '^  [a-z]+( \(.*\))?, (bare|run|login|pam|systemd|image): ' "$1" |
		grep -v -E '^  (chromium|firefox), ' || true)
	[ "$2" -eq 1 ] && grep -q ' 0 not verifying' "$1" && [ "$(cut -d: -f1 <<<"$others")" = "  node, bare" ]
}

b "cainit demo: a sandbox behind an intercepting proxy"
t=$(date +%s%N)
origin_start
proxy_use one
host_before_file=$(sha256sum /etc/ssl/certs/ca-certificates.crt | cut -c1-16)
sandbox_seal
host_before=$(host_store_digest)
cp /etc/ssl/certs/ca-certificates.crt "$W/bundle.orig"
echo "   sandbox: this machine's root in a private mount namespace, read-only; /etc, /root and"
echo "            the anchor directory are tmpfs copies (sandbox, origin and proxy up in $(ms "$t"))"
echo "   proxy:   mitmdump on 127.0.0.1:$PROXY_PORT, re-signing https://origin.test:$ORIGIN_PORT with its own CA"
echo "            ($(fp "$(proxy_ca one)")...), the sandbox's only way out"
echo

b "1. Nothing trusts the proxy's CA yet"
try refused
echo

b "2. cainit install mitmproxy-ca-cert.pem"
t=$(date +%s%N)
"$cainit" install "$(proxy_ca one)" 2>"$W/err" || { cat "$W/err"; exit 1; }
echo "   $(ms "$t") for the whole process; the engine: $(grep -o 'in [0-9]*us' "$W/err" | sed 's/in //')"
echo "   cainit status: $("$cainit" status | grep -c ' present ') stores hold it: $("$cainit" status | awk '$2 == "present" { print $1 }' | sort -u | paste -sd, | sed 's/,/, /g')"
try ok
echo "   (node reads NODE_EXTRA_CA_CERTS, exported by /etc/profile.d/cainit.sh to login shells)"
echo

b "3. Rotation: the proxy restarts with a new CA; the sandbox's agent gets it by POST /init"
aport=$(free_port)
t=$(date +%s%N)
"$cainit" serve --listen "127.0.0.1:$aport" --quiet 2>"$W/agent.log" &
agent=$!
wait_port "$aport" "$agent"
echo "   cainit serve: answering on 127.0.0.1:$aport after $(ms "$t")"
proxy_use two
echo "   proxy restarted with CA $(fp "$(proxy_ca two)")...; the sandbox still trusts the old one:"
try refused
t=$(date +%s%N)
"$cainit" push --to "http://127.0.0.1:$aport" "$(proxy_ca two)" 2>"$W/err" || { cat "$W/err"; exit 1; }
echo "   cainit push (the orchestrator's side) of the new CA: acknowledged in $(ms "$t")"
try ok
if python3 "$TOOLS/find_der.py" "$(proxy_ca one)" /etc /usr/local/share/ca-certificates >/dev/null; then
	echo "   the old CA is in no file of the sandbox any more"
else
	echo "   the old CA is still somewhere!"; exit 1
fi
kill "$agent"; wait "$agent" 2>/dev/null || true; agent=""
# doctor --url: no canary, every client through the real proxy to the origin
t=$(date +%s%N)
rc=0
"$cainit" doctor --timeout 60s --url "$URL" --proxy "http://127.0.0.1:$PROXY_PORT" --path login --path bare \
	>"$W/doctor-url" 2>&1 || rc=$?
echo "   cainit doctor --url $URL --path login --path bare: every client, through the proxy, $(ms "$t"):"
echo "   $(tail -n 1 "$W/doctor-url")"
sed -n 's/^  \(\(node\|chromium\|firefox\), [a-z]*: .*\)/     \1/p' "$W/doctor-url"
if ! doctor_as_expected "$W/doctor-url" "$rc"; then
	sed 's/^/     /' "$W/doctor-url"
	echo "   <- NOT AS EXPECTED (only node's bare start, and the browsers without --nss, should fail)"; unexpected=$((unexpected + 1))
fi
echo

b "4. cainit remove --all"
t=$(date +%s%N)
"$cainit" remove --all 2>/dev/null
echo "   $(ms "$t") for the whole process"
if cmp -s "$W/bundle.orig" /etc/ssl/certs/ca-certificates.crt; then
	echo "   /etc/ssl/certs/ca-certificates.crt is byte for byte what it was before step 2"
else
	echo "   the bundle DIFFERS from the original"; exit 1
fi
try refused
echo

b "5. cainit doctor: each client, started each way, against a canary CA"
# (a throwaway CA installed as a temporary set and removed again; node's
# bare start is the one expected FAIL: its roots are compiled in; and
# the browsers, which read only NSS databases: install --nss puts CAs there)
t=$(date +%s%N)
rc=0
"$cainit" doctor --timeout 60s >"$W/doctor" 2>&1 || rc=$?
sed 's/^/   /' "$W/doctor"
echo "   ($(ms "$t"))"
if ! doctor_as_expected "$W/doctor" "$rc"; then
	echo "   <- NOT AS EXPECTED (only node's bare start, and the browsers without --nss, should fail)"; unexpected=$((unexpected + 1))
fi
if ! cmp -s "$W/bundle.orig" /etc/ssl/certs/ca-certificates.crt; then
	echo "   doctor did not give the bundle back"; exit 1
fi
echo

b "6. The host"
if [ "$(host_store_digest)" = "$host_before" ] &&
	[ "$(sha256sum "$W/host/etc/ssl/certs/ca-certificates.crt" | cut -c1-16)" = "$host_before_file" ]; then
	echo "   the host's own trust store is untouched (bundle sha256 $host_before_file...);"
	echo "   the sandbox goes away with this process"
else
	echo "   the host's trust store CHANGED"; exit 1
fi
if [ "$unexpected" -gt 0 ]; then
	echo "$unexpected client result(s) were not as expected"
	exit 1
fi
