# sandbox_lib.sh: sourced by scripts/demo.sh (`make demo`) and
# tests/e2e/matrix.sh (`make e2e`). What both need to show cainit doing its
# job through a real intercepting proxy, with nothing from the internet:
#
#   origin  a local TLS origin at https://origin.test:$ORIGIN_PORT whose CA
#           nobody is ever given: a client that reaches it directly fails
#   proxy   Debian's mitmdump on 127.0.0.1:$PROXY_PORT with a CA it made
#           itself, forwarding to the origin: the egress interceptor
#   sandbox this machine's root in a private mount namespace, read-only, with
#           tmpfs copies of /etc and the anchor directory and an empty /root:
#           whatever happens inside, the host's trust store cannot change
#   clients each TLS client with the command a program in a sandbox would
#           run: no CA option of its own, the proxy from $https_proxy
#
# The caller sets BUILD (the build directory) and W (a work directory on a
# tmpfs of its own, in its private mount namespace).

SANDBOX_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=$SANDBOX_LIB_DIR/../tests/tools

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT [PID]: until something listens on PORT; false when PID
# exits first (60 s bound a hang, never what is waited for)
wait_port() {
	local end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$end" ]; do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		[ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
		sleep 0.05
	done
	return 1
}

# origin_start: its own CA and leaf, a docroot with what the clients fetch
# (pip's simple index with one wheel, a bare git repository), then
# origin.py. Only the proxy resolves origin.test (its own /etc/hosts, see
# proxy_use): a client that tried to reach it directly could not.
origin_start() {
	local o=$W/origin
	mkdir -p "$o/docroot/simple/cainit-probe" "$o/docroot/files" "$o/docroot/git"
	"$BUILD/tests/mkcert" --cn "origin CA (never trusted)" --out "$o/ca.pem" --key-out "$o/ca.key"
	"$BUILD/tests/mkcert" --leaf --cn origin.test --san DNS:origin.test --issuer "$o/ca.pem" \
		--issuer-key "$o/ca.key" --out "$o/leaf.pem" --key-out "$o/leaf.key"
	python3 - "$o/docroot" <<'PY'
import base64, hashlib, os, sys, zipfile
root = sys.argv[1]
name, whl = "cainit_probe", "cainit_probe-1.0-py3-none-any.whl"
files = {
    f"{name}/__init__.py": b"",
    f"{name}-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: cainit-probe\nVersion: 1.0\n",
    f"{name}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: cainit\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = "".join(f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n"
                 for p, d in files.items()) + f"{name}-1.0.dist-info/RECORD,,\n"
files[f"{name}-1.0.dist-info/RECORD"] = record.encode()
path = os.path.join(root, "files", whl)
with zipfile.ZipFile(path, "w") as z:
    for p, d in files.items():
        z.writestr(zipfile.ZipInfo(p, (2020, 1, 1, 0, 0, 0)), d)
digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
with open(os.path.join(root, "simple", "cainit-probe", "index.html"), "w") as f:
    f.write(f'<html><body><a href="../../files/{whl}#sha256={digest}">{whl}</a></body></html>\n')
PY
	git init -q --bare -b main "$o/docroot/git/probe.git"
	git -C "$o" -c init.defaultBranch=main init -q work
	git -C "$o/work" -c user.name=e2e -c user.email=e2e@origin.test commit -q --allow-empty -m probe
	git -C "$o/work" push -q "$o/docroot/git/probe.git" main
	{ cat /etc/hosts; echo "127.0.0.1 origin.test"; } >"$W/hosts"
	ORIGIN_PORT=$(free_port)
	# a minimal npm registry: one package's document (what `npm view` reads)
	# and its tarball (what `bun install` fetches), named at this port
	python3 "$TOOLS/npm_package.py" "$o/docroot" "https://origin.test:$ORIGIN_PORT"
	python3 "$TOOLS/origin.py" "$o/leaf.pem" "$o/leaf.key" "$ORIGIN_PORT" "$o/docroot" &
	ORIGIN_PID=$!
	wait_port "$ORIGIN_PORT" "$ORIGIN_PID" || { echo "origin.py did not start" >&2; return 1; }
	URL=https://origin.test:$ORIGIN_PORT
}

# proxy_use NAME: mitmdump with confdir $W/mitm-NAME listening on
# $PROXY_PORT (the same port for every NAME: a restart, as a platform's
# proxy restarts with a new CA). Its CA, made on the first start of NAME,
# is $W/mitm-NAME/mitmproxy-ca-cert.pem. It runs in a mount namespace of
# its own whose /etc/hosts names origin.test. A no-op when NAME already runs.
PROXY_NAME="" PROXY_PID=""
proxy_use() {
	[ "$PROXY_NAME" = "$1" ] && return 0
	proxy_stop
	PROXY_PORT=${PROXY_PORT:-$(free_port)}
	mkdir -p "$W/mitm-$1"
	HOME=$W/mitm-$1 unshare -m --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' \
		"$W/hosts" mitmdump -q --listen-host 127.0.0.1 -p "$PROXY_PORT" --ssl-insecure \
		--set confdir="$W/mitm-$1" >"$W/mitm-$1.log" 2>&1 &
	PROXY_PID=$! PROXY_NAME=$1
	wait_port "$PROXY_PORT" "$PROXY_PID" && [ -s "$W/mitm-$1/mitmproxy-ca-cert.pem" ] ||
		{ echo "mitmdump did not start: $(tail -n 3 "$W/mitm-$1.log")" >&2; return 1; }
}
proxy_ca() { echo "$W/mitm-$1/mitmproxy-ca-cert.pem"; }
proxy_stop() {
	[ -n "$PROXY_PID" ] || return 0
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID="" PROXY_NAME=""
}

# sandbox_seal: in this private mount namespace, tmpfs copies of /etc and
# /usr/local/share/ca-certificates, an empty /root (NSS databases, HOME),
# then the rest of / read-only. Mounts made before (the work tmpfs) stay
# writable. The host's root stays reachable, read-only,
# at $W/host, to prove afterwards that its store did not change.
sandbox_seal() {
	mkdir -p "$W/host" "$W/etc" "$W/anchors" "$W/home" "$W/tmp"
	mount --bind / "$W/host"
	mount -o remount,bind,ro "$W/host"
	cp -a /etc/. "$W/etc/"
	cp -a /usr/local/share/ca-certificates/. "$W/anchors/"
	mount --bind "$W/etc" /etc
	mount --bind "$W/anchors" /usr/local/share/ca-certificates
	mount --bind "$W/home" /root
	# Bun where its installer puts it (~/.bun/bin/bun): the sandbox has Bun
	if [ -x "$NPM_TOOLS/@oven/bun-linux-x64/bin/bun" ]; then
		mkdir -p /root/.bun/bin
		ln -sf "$NPM_TOOLS/@oven/bun-linux-x64/bin/bun" /root/.bun/bin/bun
	fi
	# a pip-installed Python (pyenv's, with PyPI's requests and certifi), read-only
	if [ -n "$PYENV_PY" ] && [ -x "$W/host$PYENV_PY/bin/python" ]; then
		mkdir -p "$W/home/${PYENV_PY#/root/}"
		mount --bind "$W/host$PYENV_PY" "/root/${PYENV_PY#/root/}"
		mount -o remount,bind,ro "/root/${PYENV_PY#/root/}"
		# its certifi bundles (its requests', its pip's) writable copies,
		# as in an image where the Python is the sandbox's own
		local b n=0
		mkdir -p "$W/py-bundles"
		for b in "$PYENV_PY"/lib/python3*/site-packages/certifi/cacert.pem \
			"$PYENV_PY"/lib/python3*/site-packages/pip/_vendor/certifi/cacert.pem; do
			[ -f "$b" ] || continue
			n=$((n + 1))
			cp "$b" "$W/py-bundles/$n"
			mount --bind "$W/py-bundles/$n" "$b"
		done
	fi
	# Some machines' own platform (this workplace's does) drops a .pth file
	# into Python's site directories that appends its egress CA to
	# certifi.where(), i.e. Debian's bundle, every time Python starts and
	# finds the CA not at the bundle's tail. Inside the sandbox those files
	# read as empty, so that the bundle changes only by what cainit does.
	local pth
	for pth in /usr/lib/python3/dist-packages/*.pth /usr/local/lib/python3*/dist-packages/*.pth \
		"$PYENV_PY"/lib/python3*/site-packages/*.pth; do
		[ -f "$pth" ] && grep -q 'certifi.where' "$pth" && mount --bind /dev/null "$pth"
	done
	# The same platform's global npmrc and pip.conf name the system bundle as
	# npm's cafile and pip's cert; a stock image has neither, and the matrix
	# shows what a stock image's npm and pip do (their own roots unless a
	# variable says otherwise).
	# (/etc is the sandbox's copy: they go from it; /usr/etc, npm's global
	# directory for /usr/bin/node, becomes an empty tmpfs, where cainit may
	# write the npmrc a stock image would get)
	local rc
	for rc in /etc/npmrc /etc/pip.conf /etc/xdg/pip/pip.conf; do
		[ -f "$rc" ] && grep -qE '^(cafile|cert) *=' "$rc" && rm -f "$rc"
	done
	[ -d /usr/etc ] && mount -t tmpfs sandbox-usr-etc /usr/etc
	mount -o remount,bind,ro /
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin # nothing from the old /root
	hash -r
}

# host_store_digest: one digest of the host's own trust store (listings of
# its directories, and the bundle's and JKS keystore's bytes)
host_store_digest() {
	local h=$W/host
	{
		ls -la "$h/etc/ssl/certs" "$h/usr/local/share/ca-certificates" "$h/etc/cainit" 2>&1
		cat "$h/etc/ssl/certs/ca-certificates.crt" "$h/etc/ssl/certs/java/cacerts" 2>/dev/null
	} | sha256sum | cut -c1-16
}

# in_sandbox CMD...: CMD with the environment every client starts with
# (nothing of the caller's: no SSL_CERT_FILE or the like), the proxy in
# $https_proxy and $http_proxy (Ruby's Net::HTTP reads only the latter);
# killed after 60 s
in_sandbox() {
	timeout 60 env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		TMPDIR="$W/tmp" TERM=dumb LANG=C.UTF-8 GIT_TERMINAL_PROMPT=0 \
		https_proxy="http://127.0.0.1:$PROXY_PORT" HTTPS_PROXY="http://127.0.0.1:$PROXY_PORT" \
		http_proxy="http://127.0.0.1:$PROXY_PORT" HTTP_PROXY="http://127.0.0.1:$PROXY_PORT" "$@"
}

# client_verdict WANT RC OUTPUT-FILE: "ok" (WANT ok, exit 0), "refused" (WANT
# refused, a failure that names the certificate or its signature: the
# proxy's CA was not trusted, so the traffic was intercepted; a trusted CA
# of the same name but another key fails the signature check, which curl
# reports as "rsa routines::invalid padding" or "data too large for
# modulus"), anything else in capitals.
client_verdict() {
	if [ "$2" -eq 0 ]; then
		[ "$1" = ok ] && echo ok || echo ACCEPTED
	elif grep -qiE 'certif|x509|PKIX|verify|issuer|signature|rsa routines|ERR_CERT' "$3"; then
		[ "$1" = refused ] && echo refused || echo FAILED
	else
		echo "ERROR"
	fi
}

# The clients. client_cmd NAME: the shell command, exit 0 only on a verified
# handshake and a good answer; none has a CA option. client_ready NAME: does
# this machine have it (after clients_build)?
CLIENTS=(curl wget openssl python-urllib python-requests pip node git go java chromium ruby perl-lwp
	pypi-requests pypi-pip venv-pip npm bun bun-install deno)
# the pip-installed Python: the first pyenv interpreter with PyPI's requests
PYENV_PY=${PYENV_PY-$(for p in /root/.pyenv/versions/3.*; do
	"$p/bin/python" -c 'import requests, certifi' 2>/dev/null && { echo "$p"; break; }; done)}
NPM_TOOLS=${NPM_TOOLS:-/opt/cainit-npm/node_modules} # scripts/deps.sh e2e: Bun and Deno
client_cmd() {
	case $1 in
	curl) echo "curl -sS -f --max-time 20 -o /dev/null $URL/" ;;
	wget) echo "wget -nv -T 20 -t 1 -O /dev/null $URL/" ;;
	openssl) echo "openssl s_client -brief -proxy 127.0.0.1:$PROXY_PORT -connect origin.test:$ORIGIN_PORT" \
		"-servername origin.test -verify_hostname origin.test -verify_return_error </dev/null" ;;
	python-urllib) echo "python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20).read()' $URL/" ;;
	python-requests) echo "python3 -c 'import sys, requests; requests.get(sys.argv[1], timeout=20).raise_for_status()' $URL/" ;;
	pip) echo "python3 -m pip download --disable-pip-version-check --no-cache-dir --retries 0 --timeout 20" \
		"--no-deps -d \$(mktemp -d) --index-url $URL/simple/ cainit-probe" ;;
	node) echo "node $SANDBOX_LIB_DIR/../tests/e2e/clients/https_get.js $URL/" ;;
	git) echo "git ls-remote $URL/git/probe.git | grep -q refs/heads/main" ;;
	go) echo "$W/clients/httpget $URL/" ;;
	java) echo "java -XX:-UsePerfData -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=$PROXY_PORT -cp $W/clients HttpGet $URL/" ;;
	chromium) echo "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run" \
		"--disable-background-networking --disable-component-update --disable-sync" \
		"--user-data-dir=\$(mktemp -d) --proxy-server=http://127.0.0.1:$PROXY_PORT --dump-dom $URL/" \
		">\$TMPDIR/chromium.out 2>&1; grep -q 'cainit test origin' \$TMPDIR/chromium.out ||" \
		"{ grep -m1 -o 'net::ERR_[A-Z_]*' \$TMPDIR/chromium.out >&2; exit 1; }" ;;
	ruby) echo "ruby -rnet/http -e 'r = Net::HTTP.get_response(URI(ARGV[0])); exit(r.code == \"200\")' $URL/" ;;
	perl-lwp) echo "perl -MLWP::UserAgent -e '\$r = LWP::UserAgent->new(env_proxy => 1, timeout => 20)->get(\$ARGV[0]);" \
		"print STDERR \$r->status_line, qq(\\n) unless \$r->is_success; exit !\$r->is_success' $URL/" ;;
	pypi-requests) echo "$PYENV_PY/bin/python -c 'import sys, requests; requests.get(sys.argv[1], timeout=20).raise_for_status()' $URL/" ;;
	pypi-pip) echo "$PYENV_PY/bin/python -m pip download --disable-pip-version-check --no-cache-dir --retries 0 --timeout 20" \
		"--no-deps -d \$(mktemp -d) --index-url $URL/simple/ cainit-probe" ;;
	venv-pip) echo "v=\$(mktemp -d)/venv && $PYENV_PY/bin/python -m venv \$v &&" \
		"\$v/bin/python -m pip download --disable-pip-version-check --no-cache-dir --retries 0 --timeout 20" \
		"--no-deps -d \$(mktemp -d) --index-url $URL/simple/ cainit-probe" ;;
	npm) echo "npm view --registry $URL/npm/ --no-update-notifier --fetch-retries 0 --fetch-timeout 20000" \
		"--cache \$(mktemp -d) cainit-probe version | grep -qx 1.0.0" ;;
	bun) echo "$NPM_TOOLS/@oven/bun-linux-x64/bin/bun $SANDBOX_LIB_DIR/../tests/e2e/clients/fetch_get.mjs $URL/" ;;
	bun-install) echo "cd \$(mktemp -d) && echo '{\"dependencies\":{\"cainit-probe\":\"1.0.0\"}}' >package.json &&" \
		"\$HOME/.bun/bin/bun install --no-cache --no-progress --registry $URL/npm/ && test -f node_modules/cainit-probe/package.json" ;;
	deno) echo "DENO_NO_UPDATE_CHECK=1 DENO_DIR=\$(mktemp -d) $NPM_TOOLS/@deno/linux-x64-glibc/deno run -A" \
		"$SANDBOX_LIB_DIR/../tests/e2e/clients/fetch_get.mjs $URL/" ;;
	esac
}
# client_label NAME: the name in the README's table
client_label() {
	case $1 in
	openssl) echo 'openssl (`s_client -verify_return_error`)' ;;
	pip) echo 'pip (`pip download` from an HTTPS index)' ;;
	node) echo 'node (`https`)' ;;
	git) echo 'git (`ls-remote`, smart HTTP)' ;;
	go) echo 'go (`net/http`)' ;;
	java) echo 'java (`HttpClient`)' ;;
	chromium) echo 'chromium (headless)' ;;
	ruby) echo 'ruby (`Net::HTTP`)' ;;
	perl-lwp) echo 'perl-lwp (`LWP::UserAgent`)' ;;
	pypi-requests) echo 'pypi-requests (pyenv Python, PyPI requests + certifi)' ;;
	pypi-pip) echo 'pypi-pip (pyenv Python, its own pip)' ;;
	venv-pip) echo 'venv-pip (a venv made at each start, its fresh pip)' ;;
	npm) echo 'npm (`npm view`, an HTTPS registry)' ;;
	bun) echo 'bun (`fetch`)' ;;
	bun-install) echo 'bun install (an HTTPS registry)' ;;
	deno) echo 'deno (`fetch`)' ;;
	*) echo "$1" ;;
	esac
}
client_ready() {
	local probe
	case $1 in
	python-urllib) probe="command -v python3" ;;
	python-requests) probe="python3 -c 'import requests'" ;;
	pip) probe="python3 -m pip --version" ;;
	go) probe="test -x $W/clients/httpget" ;;
	java) probe="test -f $W/clients/HttpGet.class" ;;
	perl-lwp) probe="perl -MLWP::Protocol::https -e1" ;;
	pypi-requests | pypi-pip | venv-pip) probe="test -n '$PYENV_PY' && $PYENV_PY/bin/python -c 'import requests, certifi, pip'" ;;
	bun | bun-install) probe="$NPM_TOOLS/@oven/bun-linux-x64/bin/bun --version" ;;
	deno) probe="$NPM_TOOLS/@deno/linux-x64-glibc/deno --version" ;;
	*) probe="command -v $1" ;;
	esac
	in_sandbox bash -c "$probe" >/dev/null 2>&1
}

# clients_build: the compiled clients, into $W/clients (Go's build cache
# kept in the build directory)
clients_build() {
	mkdir -p "$W/clients" "$W/tmp"
	if command -v go >/dev/null; then
		GOCACHE=$BUILD/go-cache GOPATH=$W/gopath GO111MODULE=off GOFLAGS= \
			go build -o "$W/clients/httpget" "$SANDBOX_LIB_DIR/../tests/e2e/clients/httpget.go"
	fi
	if command -v javac >/dev/null; then
		javac -d "$W/clients" "$TOOLS/HttpGet.java"
	fi
}
