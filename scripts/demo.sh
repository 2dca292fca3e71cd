#!/bin/bash
# demo.sh BUILD_DIR: `make demo`, a short tour of cainit's CLI. It runs in a
# private mount namespace whose /etc and /usr/local/share/ca-certificates are
# tmpfs copies of the host's, so the host's own trust store is never touched
# (the tour checks that at the end). The "sandbox" is this machine's root.
set -euo pipefail
build=$(cd "${1:?usage: demo.sh BUILD_DIR}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (it makes a private mount namespace)" >&2; exit 1; }
if [ -z "${CAINIT_DEMO_INSIDE:-}" ]; then
	export CAINIT_DEMO_INSIDE=1
	exec unshare -m --propagation private bash "$0" "$build"
fi

cainit=$build/cainit mkcert=$build/tests/mkcert
work=$(mktemp -d /tmp/cainit-demo.XXXXXX)
mount -t tmpfs demo "$work"
mkdir -p "$work/host" "$work/etc" "$work/local"
mount --bind / "$work/host"              # the real root, to prove it is untouched
host_sum() { sha256sum "$work/host/etc/ssl/certs/ca-certificates.crt" | cut -c1-16; }
before_host=$(host_sum)
cp -a /etc/. "$work/etc/" && mount --bind "$work/etc" /etc
cp -a /usr/local/share/ca-certificates/. "$work/local/" && mount --bind "$work/local" /usr/local/share/ca-certificates
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE NODE_EXTRA_CA_CERTS REQUESTS_CA_BUNDLE https_proxy HTTPS_PROXY
cp /etc/ssl/certs/ca-certificates.crt "$work/original.crt"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
server=""
serve() { # serve CA: a TLS server on localhost whose leaf CA signed
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
	"$mkcert" --leaf --cn localhost --san DNS:localhost,IP:127.0.0.1 --issuer "$work/$1.pem" \
		--issuer-key "$work/$1.key" --out "$work/leaf.pem" --key-out "$work/leaf.key"
	# (the server must not build its chain from the store under test)
	openssl s_server -quiet -no-CAfile -no-CApath -no-CAstore -accept "127.0.0.1:$port" \
		-cert "$work/leaf.pem" -key "$work/leaf.key" -www >/dev/null 2>&1 &
	server=$!
	for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
}
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; true' EXIT
curl_it() { # curl with no CA option of its own
	printf '$ curl https://localhost:%s/\n' "$port"
	if curl -sS --max-time 5 -o /dev/null "https://localhost:$port/" 2>"$work/curl.err"; then
		echo "  -> TLS handshake verified, HTTP 200"
	else
		echo "  -> $(head -n1 "$work/curl.err")"
	fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$mkcert" --rsa --cn "Demo Egress CA 1" --out "$work/ca1.pem" --key-out "$work/ca1.key"
"$mkcert" --rsa --cn "Demo Egress CA 2" --out "$work/ca2.pem" --key-out "$work/ca2.key"

step "A server whose certificate an egress CA signed; the sandbox does not trust it yet"
serve ca1
curl_it

step "cainit install: every store of this Debian root trusts the CA"
run "$cainit" install "$work/ca1.pem"
curl_it
run "$cainit" status

step "Same CA again (a sandbox resume): nothing is written"
run "$cainit" install "$work/ca1.pem"

step "Rotation: the proxy now signs with CA 2; CA 1 disappears from every store"
serve ca2
curl_it
run "$cainit" install "$work/ca2.pem"
curl_it
printf '$ %s\n' "cainit verify $work/ca1.pem"
"$cainit" verify "$work/ca1.pem" 2>&1 | sed 's/^/  /' || true

step "The distro's own tool still works and keeps the CA"
printf '$ update-ca-certificates\n'
update-ca-certificates 2>&1 | sed 's/^/  /'
curl_it

step "Node ignores the system store; started through 'cainit run' it gets NODE_EXTRA_CA_CERTS"
node_get='require("https").get(process.argv[1], r => console.log("  -> TLS handshake verified, HTTP " + r.statusCode)).on("error", e => console.log("  -> " + e.message))'
printf '$ node -e "https.get(...)"\n'
node -e "$node_get" "https://localhost:$port/"
printf '$ cainit run -- node -e "https.get(...)"\n'
"$cainit" run -- node -e "$node_get" "https://localhost:$port/"
run "$cainit" env --format dotenv

step "cainit remove --all: the bundle is byte-for-byte what it was"
run "$cainit" remove --all
printf '$ cmp original ca-certificates.crt\n'
if cmp -s "$work/original.crt" /etc/ssl/certs/ca-certificates.crt; then echo "  -> identical"; else echo "  -> DIFFERENT"; exit 1; fi
curl_it

step "The host's real trust store was never touched"
if [ "$(host_sum)" = "$before_host" ]; then
	echo "  /etc/ssl/certs/ca-certificates.crt on the host: unchanged (sha256 $before_host...)"
else
	echo "  the host's bundle changed!"; exit 1
fi
