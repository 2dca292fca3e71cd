# lib.sh: helpers for the integration tests. Each test runs with this
# sourced, inside its own mount namespace, with:
#   CAINIT MKCERT READER  the binaries under test
#   FS                    tmpfs | disk: what SCRATCH lives on
#   SCRATCH               an empty directory private to this test
#   STATIC_BUILD          1 when CAINIT is the static (shipped) build
#   AGENT                 a static cainit (CAINIT itself when it is one), or ""
#   NATIVE_CAINIT         when CAINIT is another architecture's under an
#                         emulator (tests/arch/run.sh): this machine's, or ""
set -euo pipefail
set -o posix # an expansion error ends the test instead of skipping the rest of a function

die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
note() { echo "# $*"; }

# wait_until SECONDS CMD...: run CMD until it succeeds (a real readiness
# check: a connect, a file, a line of output); false if SECONDS pass first.
# The limit only bounds a hang: it is never what a test waits for.
wait_until() {
	local limit=$1 end
	shift
	end=$(($(date +%s) + limit))
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.02
	done
}
# listening PORT: does something accept on 127.0.0.1:PORT?
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# on_exit CMD: run CMD when the test ends (after the test's own cleanups,
# every background job it started is killed)
EXIT_CMDS=()
on_exit() { EXIT_CMDS+=("$1"); }
run_exit_cmds() {
	local c
	for c in "${EXIT_CMDS[@]}"; do eval "$c" || true; done
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
}

setup_scratch() {
	trap run_exit_cmds EXIT
	SCRATCH="$WORK/s"
	mkdir -p "$SCRATCH"
	if [ "$FS" = tmpfs ]; then
		mount -t tmpfs -o size=256m cainit-test "$SCRATCH"
	fi
	# tools' temp files stay private (not a mount over /tmp: the checkout
	# under test may itself live there)
	mkdir -p "$SCRATCH/tmp"
	export SCRATCH TMPDIR="$SCRATCH/tmp"
	# the host's TLS variables must not leak into clients under test
	unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE REQUESTS_CA_BUNDLE NODE_EXTRA_CA_CERTS \
	      GIT_SSL_CAINFO PIP_CERT AWS_CA_BUNDLE HTTPLIB2_CA_CERTS GRPC_DEFAULT_SSL_ROOTS_FILE_PATH \
	      NIX_SSL_CERT_FILE CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE https_proxy HTTPS_PROXY http_proxy HTTP_PROXY
}

# expect_rc WANT CMD...: run CMD, keep stderr in $ERR, check the exit code.
expect_rc() {
	local want=$1; shift
	local rc=0
	"$@" 2>"$SCRATCH/.stderr" >"$SCRATCH/.stdout" || rc=$?
	ERR=$(cat "$SCRATCH/.stderr")
	OUT=$(cat "$SCRATCH/.stdout")
	[ "$rc" -eq "$want" ] || die "exit $rc, want $want: $*
stderr: $ERR"
}

# expect_err TEXT: the last command's stderr holds TEXT, on one line.
expect_err() {
	grep -qF -- "$1" <<<"$ERR" || die "stderr lacks \"$1\": $ERR"
}

assert_same() { cmp -s "$1" "$2" || die "$1 and $2 differ"; }

# snapshot ROOT: every file and link under ROOT with mode, inode, mtime,
# link target and content hash (to prove "nothing changed").
snapshot() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%p %y %m %i %T@ %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}
# content_snapshot ROOT: the same without inode and mtime (to prove "restored").
content_snapshot() {
	(cd "$1" && find . \( -type f -o -type l \) -printf '%p %y %m %l\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# mkca NAME [mkcert args...]: $SCRATCH/NAME.pem (+ .key)
mkca() {
	local n=$1; shift
	"$MKCERT" --cn "cainit test $n" --out "$SCRATCH/$n.pem" --key-out "$SCRATCH/$n.key" "$@"
}
# mkleaf NAME CA: a localhost server certificate signed by CA
mkleaf() {
	"$MKCERT" --leaf --cn localhost --san DNS:localhost,IP:127.0.0.1 \
		--issuer "$SCRATCH/$2.pem" --issuer-key "$SCRATCH/$2.key" \
		--out "$SCRATCH/$1.pem" --key-out "$SCRATCH/$1.key"
}

fp_of() { openssl x509 -noout -fingerprint -sha256 -in "$1" | cut -d= -f2; }

# some of the host's real CAs, as distro content for fixture roots
host_cas() { local a=(/usr/share/ca-certificates/mozilla/*.crt); printf '%s\n' "${a[@]:0:${1:-40}}"; }

# mkroot LAYOUT DIR: a fixture root with that layout's paths and the
# symlinks the distro ships (docs/stores.md), holding real CA certificates.
mkroot() {
	local layout=$1 r=$2 f
	mkdir -p "$r"
	case $layout in
	debian)
		mkdir -p "$r/etc/ssl/certs" "$r/usr/share/ca-certificates/mozilla" \
			"$r/usr/local/share/ca-certificates" "$r/usr/lib/ssl"
		for f in $(host_cas); do
			cp "$f" "$r/usr/share/ca-certificates/mozilla/"
			ln -s "/usr/share/ca-certificates/mozilla/$(basename "$f")" \
				"$r/etc/ssl/certs/$(basename "$f" .crt).pem"
			cat "$f" >> "$r/etc/ssl/certs/ca-certificates.crt"
		done
		(cd "$r/usr/share/ca-certificates" && ls mozilla/*.crt) > "$r/etc/ca-certificates.conf"
		rehash_in "$r" /etc/ssl/certs
		ln -s /etc/ssl/certs/ca-certificates.crt "$r/usr/lib/ssl/cert.pem"
		ln -s /etc/ssl/certs "$r/usr/lib/ssl/certs"
		;;
	alpine)
		mkdir -p "$r/etc/ssl/certs" "$r/usr/share/ca-certificates/mozilla" \
			"$r/usr/local/share/ca-certificates"
		for f in $(host_cas); do
			cp "$f" "$r/usr/share/ca-certificates/mozilla/"
			ln -s "/usr/share/ca-certificates/mozilla/$(basename "$f")" \
				"$r/etc/ssl/certs/ca-cert-$(basename "$f" .crt).pem"
			cat "$f" >> "$r/etc/ssl/certs/ca-certificates.crt"
		done
		rehash_in "$r" /etc/ssl/certs
		ln -s certs/ca-certificates.crt "$r/etc/ssl/cert.pem"
		;;
	fedora)
		local x=/etc/pki/ca-trust/extracted
		mkdir -p "$r$x/pem/directory-hash" "$r$x/openssl" "$r$x/java" \
			"$r/etc/pki/ca-trust/source/anchors" "$r/usr/share/pki/ca-trust-source/anchors" \
			"$r/etc/pki/tls/certs" "$r/etc/ssl"
		for f in $(host_cas); do
			cp "$f" "$r$x/pem/directory-hash/$(basename "$f" .crt).pem"
			{ echo "# $(basename "$f" .crt)"; cat "$f"; } >> "$r$x/pem/tls-ca-bundle.pem"
		done
		rehash_in "$r" "$x/pem/directory-hash"
		ln -s "$x/pem/tls-ca-bundle.pem" "$r$x/pem/directory-hash/ca-certificates.crt"
		ln -s "$x/pem/tls-ca-bundle.pem" "$r/etc/pki/tls/certs/ca-bundle.crt"
		ln -s "$x/pem/tls-ca-bundle.pem" "$r/etc/pki/tls/cert.pem"
		ln -s /etc/pki/tls/cert.pem "$r/etc/ssl/cert.pem"
		ln -s "$x/pem/directory-hash" "$r/etc/ssl/certs"
		;;
	suse)
		mkdir -p "$r/var/lib/ca-certificates/pem" "$r/etc/pki/trust/anchors" \
			"$r/usr/share/pki/trust/anchors" "$r/etc/ssl"
		for f in $(host_cas); do
			cp "$f" "$r/var/lib/ca-certificates/pem/$(basename "$f" .crt).pem"
			cat "$f" >> "$r/var/lib/ca-certificates/ca-bundle.pem"
		done
		rehash_in "$r" /var/lib/ca-certificates/pem
		ln -s /var/lib/ca-certificates/ca-bundle.pem "$r/etc/ssl/ca-bundle.pem"
		ln -s /var/lib/ca-certificates/pem "$r/etc/ssl/certs"
		;;
	arch)
		local x=/etc/ca-certificates/extracted
		mkdir -p "$r$x" "$r/etc/ca-certificates/trust-source/anchors" "$r/etc/ssl/certs"
		for f in $(host_cas); do
			cp "$f" "$r/etc/ssl/certs/$(basename "$f" .crt).pem"
			{ echo "# $(basename "$f" .crt)"; cat "$f"; } >> "$r$x/tls-ca-bundle.pem"
		done
		rehash_in "$r" /etc/ssl/certs
		ln -s "$x/tls-ca-bundle.pem" "$r/etc/ssl/cert.pem"
		ln -s "$x/tls-ca-bundle.pem" "$r/etc/ssl/certs/ca-certificates.crt"
		;;
	scratch)
		mkdir -p "$r/etc"
		;;
	*) die "unknown layout $layout" ;;
	esac
}

# rehash_in ROOT DIR: OpenSSL hash links for DIR as the distro makes them
# (what `openssl rehash` would do, with links resolved inside ROOT).
rehash_in() {
	local r=$1 d=$2 f h n real i=0
	local -a names=() files=() hashes=()
	for f in "$r$d"/*.pem; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		real=$f
		if [ -L "$f" ]; then
			real=$(readlink "$f")
			case $real in /*) real="$r$real" ;; *) real="$r$d/$real" ;; esac
		fi
		names+=("$(basename "$f")")
		files+=("$real")
	done
	[ ${#files[@]} -gt 0 ] || return 0
	mapfile -t hashes < <("$CERTHASH" "${files[@]}" | cut -d' ' -f1)
	for h in "${hashes[@]}"; do
		n=0
		while [ -e "$r$d/$h.$n" ] || [ -L "$r$d/$h.$n" ]; do n=$((n + 1)); done
		ln -s "${names[$i]}" "$r$d/$h.$n"
		i=$((i + 1))
	done
}

# the bundle paths of a fixture layout (real file first)
bundle_of() {
	case $1 in
	debian|alpine|scratch) echo /etc/ssl/certs/ca-certificates.crt ;;
	fedora) echo /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem ;;
	suse) echo /var/lib/ca-certificates/ca-bundle.pem ;;
	arch) echo /etc/ca-certificates/extracted/tls-ca-bundle.pem ;;
	esac
}

# count_certs FILE: how many certificates libcrypto reads from FILE; -1 when
# FILE is missing or does not parse. Always one number, never a failure.
count_certs() {
	local n
	n=$("$READER" "$1" -1 --once 2>/dev/null | sed -n 's/^count=//p') || true
	echo "${n:--1}"
}
# count_of FILE: like count_certs, but FILE must parse
count_of() {
	local n; n=$(count_certs "$1")
	[ "$n" -ge 0 ] || die "$1 does not parse"
	echo "$n"
}

# ---- the agent ----

# need_valgrind: skip unless this build can run under valgrind memcheck
# (the dynamically linked build of an unsanitized tree: valgrind cannot
# follow malloc in a static binary, nor run a sanitizer build).
# MEMCHECK: the valgrind command line for no error and no definite leak.
need_valgrind() {
	[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
	[ "$SANITIZED" = 0 ] || skip "valgrind does not run a sanitizer build"
	[ -x "$BUILD/cainit-dynamic" ] || skip "no cainit-dynamic in this build"
	command -v valgrind >/dev/null || die "valgrind is missing (scripts/deps.sh installs it)"
	MEMCHECK="valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# cover_host_pythons: every place where the engine looks for Pythons and
# Nodes on this host (their bundles, sitecustomize, npmrc: stores/python*.c,
# npm_conf.c) gets an overlay in this test's namespace, so that what cainit writes there lands
# in the test's scratch and nothing of the host's changes; then every
# Python store status lists must lie under one of them. For every test that
# lets cainit work on / (after its /etc is a copy).
PY_TREES="/usr /opt /root /home" # (npmrc: PREFIX/etc of each Node, /usr/etc among them)
cover_host_pythons() {
	local d n=0 f ok
	for d in $PY_TREES; do
		[ -d "$d" ] && [ ! -L "$d" ] || continue
		n=$((n + 1))
		mkdir -p "$SCRATCH/py-over/$n/up" "$SCRATCH/py-over/$n/work"
		mount -t overlay "py$n" -o "lowerdir=$d,upperdir=$SCRATCH/py-over/$n/up,workdir=$SCRATCH/py-over/$n/work" "$d" ||
			die "cover_host_pythons: cannot overlay $d"
	done
	"$CAINIT" status --json >"$SCRATCH/host-status.json" || die "cover_host_pythons: cainit status"
	python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["stores"]:
    if s["kind"] == "python":
        print(s["path"])' "$SCRATCH/host-status.json" >"$SCRATCH/host-py" || die "cover_host_pythons: status --json"
	while IFS= read -r f; do
		ok=0
		for d in $PY_TREES; do
			case $f in "$d"/*) grep -q " $d [^ ]*.* - overlay " /proc/self/mountinfo && ok=1 ;; esac
		done
		[ "$ok" = 1 ] || die "cover_host_pythons: $f is the host's and not covered"
	done <"$SCRATCH/host-py"
}

# own_host_store: the test works on this machine's own store, through
# private copies of /etc and the anchor directory bind-mounted over them in
# its mount namespace: the host's store itself never changes
own_host_store() {
	mkdir -p "$SCRATCH/etc" "$SCRATCH/local-cas"
	cp -a /etc/. "$SCRATCH/etc/"
	cp -a /usr/local/share/ca-certificates/. "$SCRATCH/local-cas/"
	mount --bind "$SCRATCH/etc" /etc
	mount --bind "$SCRATCH/local-cas" /usr/local/share/ca-certificates
	cover_host_pythons
}

# tls_server LEAF: a TLS server (openssl s_server -www) with $SCRATCH/LEAF.pem
# and its key on a free port, killed on exit; TLS_PORT is its port once it
# listens
tls_server() {
	TLS_PORT=$(free_port)
	openssl s_server -quiet -no-CAfile -no-CApath -no-CAstore -accept "127.0.0.1:$TLS_PORT" \
		-cert "$SCRATCH/$1.pem" -key "$SCRATCH/$1.key" -www >/dev/null 2>&1 &
	on_exit "kill $!"
	wait_until 60 listening "$TLS_PORT" || die "nothing listens on $TLS_PORT"
}

# start_agent ARGS...: `cainit serve ARGS` in the background, its log in
# $AGENT_LOG; waits until /health answers on the first --listen address.
# Sets AGENT_PID, AGENT_URL and AGENT_CURL (curl options to reach it).
start_agent() {
	local first="" a prev=""
	for a in "$@"; do
		[ "$prev" = --listen ] && [ -z "$first" ] && first=$a
		prev=$a
	done
	AGENT_LOG=${AGENT_LOG:-$SCRATCH/agent.log}
	# AGENT_BIN may be a command with arguments (a valgrind wrapper)
	${AGENT_BIN:-$CAINIT} serve "$@" 2>>"$AGENT_LOG" &
	AGENT_PID=$!
	case $first in
	unix:*) AGENT_CURL=(--unix-socket "${first#unix:}"); AGENT_URL=http://agent ;;
	*) AGENT_CURL=(); AGENT_URL=http://$first ;;
	esac
	agent_up() {
		kill -0 "$AGENT_PID" 2>/dev/null || die "agent exited: $(tail -n 3 "$AGENT_LOG")"
		curl -s -o /dev/null -m 5 "${AGENT_CURL[@]}" "$AGENT_URL/health"
	}
	wait_until 60 agent_up || die "agent did not answer /health"
}

stop_agent() {
	[ -n "${AGENT_PID:-}" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null || true
	local rc=0
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=""
	return $rc
}

# call METHOD PATH [curl options...]: one request to the agent. Prints the
# status; the body is in $SCRATCH/.body. Records "METHOD PATH STATUS" in
# $API_LOG, which t_zz_api checks against docs/api.yaml.
call() {
	local m=$1 p=$2 code; shift 2
	code=$(curl -s -o "$SCRATCH/.body" -w '%{http_code}' -X "$m" "${AGENT_CURL[@]}" "$@" "$AGENT_URL$p") || true
	echo "$m $p $code" >> "${API_LOG:-/dev/null}"
	echo "$code"
}

# the /init body for a PEM file
init_body() { python3 -c 'import json, sys; print(json.dumps({"caBundle": open(sys.argv[1]).read(), "envVars": {"X": "1"}}))' "$1"; }

# expect_call STATUS METHOD PATH [curl options...]
expect_call() {
	local want=$1 got; shift
	got=$(call "$@")
	[ "$got" = "$want" ] || die "$1 $2: status $got, want $want: $(cat "$SCRATCH/.body" 2>/dev/null)"
}
