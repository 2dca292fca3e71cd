# cainit doctor: the canary trusted by every client of a root (the host's
# real curl, wget, openssl, Python urllib and requests, pip, Node, npm,
# Bun, Deno, Ruby, Perl, PHP, git, Java, Go), on each start
# path (bare, run, login, pam, systemd), and refused by none when it comes
# from a stray CA; the verdicts
# follow the root (a start path that points SSL_CERT_FILE and SSL_CERT_DIR
# at stores without the CA fails exactly the clients that read them; one that sets
# NODE_TLS_REJECT_UNAUTHORIZED=0 makes Node "not verifying" there); the root is
# given back as it was, no key written; the root's programs run sandboxed
# (uid 1000 inside, loopback only, the root read-only, its own PIDs); and doctor inside
# a root (--root /, here a chroot) runs them there.
[ "$FS" = tmpfs ] || skip "a root built from the host's programs; once is enough"
command -v node >/dev/null || die "node missing (scripts/deps.sh installs nodejs)"
/usr/bin/python3 -c 'import requests' 2>/dev/null || die "python3-requests missing (scripts/deps.sh installs it)"
NPM_TOOLS=${NPM_TOOLS:-/opt/cainit-npm/node_modules}
BUN=$NPM_TOOLS/@oven/bun-linux-x64/bin/bun DENO=$NPM_TOOLS/@deno/linux-x64-glibc/deno
for p in "$BUN" "$DENO" /usr/bin/php /usr/bin/go; do [ -x "$p" ] || die "$p missing (scripts/deps.sh installs it)"; done

# (each doctor run is given --timeout 120s: the limit only bounds a hang,
# never what the test waits for, on a loaded machine too)

# the test root: the host's /usr read-only, its own /usr/local and /etc
R=$SCRATCH/root
mkdir -p "$R/usr" "$R/dev" "$R/tmp" "$R/proc"
mount --bind /usr "$R/usr" && mount -o remount,bind,ro "$R/usr"
mount -t tmpfs -o size=64m doctor-local "$R/usr/local"
mkdir -p "$R/usr/local/share/ca-certificates" "$R/usr/local/bin"
# Bun and Deno (npm's builds) where their images put them: bound, not copied
for p in "$BUN" "$DENO"; do : >"$R/usr/local/bin/${p##*/}" && mount --bind "$p" "$R/usr/local/bin/${p##*/}"; done
for d in bin sbin lib lib64; do if [ -L "/$d" ]; then ln -s "usr/$d" "$R/$d"; fi; done
cp -a /etc "$R/etc"
rm -rf "$R/etc/cainit" "$R/etc/profile.d/cainit.sh"
state() { content_snapshot "$R/etc"; content_snapshot "$R/usr/local"; }
before=$(state)

# cell CLIENT PATH: the verdict in $OUT (doctor --json)
cell() { python3 -c 'import json, sys; d = json.loads(sys.stdin.read())
print(next(c for c in d["clients"] if c["client"] == sys.argv[1])["cells"][sys.argv[2]]["verdict"])' "$1" "$2" <<<"$OUT"; }
detail() { python3 -c 'import json, sys; d = json.loads(sys.stdin.read())
print(next(c for c in d["clients"] if c["client"] == sys.argv[1])["cells"][sys.argv[2]].get("detail", ""))' "$1" "$2" <<<"$OUT"; }
expect_cells() { # VERDICT PATH CLIENT...
	local want=$1 path=$2 c got
	shift 2
	for c in "$@"; do
		got=$(cell "$c" "$path")
		[ "$got" = "$want" ] || die "$c, $path: $got (want $want): $(detail "$c" "$path")"
	done
}
unchanged() {
	[ "$(state)" = "$before" ] || die "doctor ($1) did not give the root back: $(diff <(echo "$before") <(state) | head -5)"
	! grep -rlqI 'PRIVATE KEY' "$R/etc" "$R/usr/local" "$TMPDIR" || die "a private key was written ($1)" # (-I: a PEM key is text; Bun's and Deno's binaries hold the words)
}

# pyenv_in: a Python of pyenv's in the root beside Debian's (the host's,
# with PyPI's requests and certifi, read-only at the same path; its certifi
# bundles writable copies, as in an image where it is the root's own; a .pth
# this machine's platform drops, which appends its own CA to certifi,
# masked); pyenv_out takes it away
pyenv_in() {
	local b n=0 pth
	pyenv=$(for p in /root/.pyenv/versions/3.*; do
		"$p/bin/python3" -c 'import requests, certifi' 2>/dev/null && { echo "$p"; break; }; done)
	[ -n "$pyenv" ] || die "no pyenv Python with requests and certifi (this machine kind has them)"
	mkdir -p "$R$pyenv"
	mount --bind "$pyenv" "$R$pyenv" && mount -o remount,bind,ro "$R$pyenv"
	for b in "$pyenv"/lib/python3*/site-packages/certifi/cacert.pem "$pyenv"/lib/python3*/site-packages/pip/_vendor/certifi/cacert.pem; do
		[ -f "$b" ] || continue
		n=$((n + 1))
		cp "$b" "$SCRATCH/pyenv-bundle.$n"
		mount --bind "$SCRATCH/pyenv-bundle.$n" "$R$b"
	done
	for pth in "$pyenv"/lib/python3*/site-packages/*.pth; do
		if [ -f "$pth" ] && grep -q 'certifi.where' "$pth"; then mount --bind /dev/null "$R$pth"; fi
	done
}
pyenv_out() {
	local m
	for m in $(awk -v r="$R$pyenv" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount "$m"; done
}

# url_setup: for --url, an origin (origin.test, its leaf signed by
# $SCRATCH/U.pem, at $url) and a proxy that only tunnels (CONNECT, each
# request line in $SCRATCH/proxy.log) on 127.0.0.1:$pport, which alone
# resolves origin.test: the root cannot, so a client reaches the origin
# only through the proxy
url_setup() {
	mkca U
	"$MKCERT" --leaf --cn origin.test --san DNS:origin.test --issuer "$SCRATCH/U.pem" --issuer-key "$SCRATCH/U.key" \
		--out "$SCRATCH/UL.pem" --key-out "$SCRATCH/UL.key"
	oport=$(free_port)
	python3 "$HERE/../tools/origin.py" "$SCRATCH/UL.pem" "$SCRATCH/UL.key" "$oport" &
	on_exit "kill $!"
	wait_until 60 listening "$oport" || die "the origin did not start"
	coproc PROXY { exec python3 "$HERE/../tools/connect_proxy.py" "$SCRATCH/proxy.log" origin.test=127.0.0.1; }
	on_exit "kill $PROXY_PID"
	read -r _ pport <&"${PROXY[0]}" || die "the proxy did not start"
	url=https://origin.test:$oport/
}

if [ "$STATIC_BUILD" = 0 ]; then
	# the sanitizer build: cainit's own code (the canary, the engine, the
	# sandbox, the endpoint, the workers, JSON) over three clients and every
	# path; the full table and the controls are the static build's run
	note "sanitizer build: curl, python (Debian's and a pyenv one), node on every start path"
	pyenv_in
	before=$(state)
	# (a --python-env that is not in the root: no row for it)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client curl --client python --client node \
		--python-env /srv/no-such-venv
	for p in bare run login pam systemd; do expect_cells ok "$p" curl python; done
	for p in run login pam systemd; do expect_cells ok "$p" node; done
	expect_cells fail bare node
	python3 -c 'import json, sys; r = [c for c in json.loads(sys.argv[1])["clients"] if c["client"] == "python"]
assert [c["program"] for c in r] == ["/usr/bin/python3", sys.argv[2]] and all(v["verdict"] == "ok" for p, v in r[1]["cells"].items() if p != "image"), r' \
		"$OUT" "$pyenv/bin/python3" || die "the pyenv Python's row: $OUT"
	unchanged "sanitizer build"
	pyenv_out
	note "sanitizer build: --url through a CONNECT proxy: curl, node, perl FAIL before the CA, ok after (node but on bare); chromium in the sandbox refuses the canary (no NSS database)"
	url_setup
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --url "$url" --proxy "127.0.0.1:$pport" \
		--client curl --client node --client perl --path bare --path run
	for p in bare run; do expect_cells fail "$p" curl node perl; done
	expect_rc 0 "$CAINIT" install --root "$R" "$SCRATCH/U.pem"
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --url "$url" --proxy "127.0.0.1:$pport" \
		--client curl --client node --client perl --path bare --path run
	expect_cells ok run curl node perl
	expect_cells ok bare curl perl
	expect_cells fail bare node
	expect_rc 0 "$CAINIT" remove --root "$R" --all
	unchanged "sanitizer build, --url"
	# Chromium in the sandbox (its profiles in doctor's scratch directory,
	# removed after): no NSS database in this root, so it refuses the canary
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client chromium --path bare --path login
	for p in bare login; do
		expect_cells fail "$p" chromium
		grep -q 'ERR_CERT_AUTHORITY_INVALID' <<<"$(detail chromium "$p")" || die "chromium, $p: $(detail chromium "$p")"
	done
	unchanged "sanitizer build, chromium"
	# Firefox, driven over Marionette (src/doctor/firefox.c) in the sandbox:
	# the sandbox user's home (no HOME on bare: uid 1000's in the root's
	# /etc/passwd, or none) has no profile, so Firefox runs on a new one
	# and refuses the canary; and --url, through the proxy (the only way to
	# the origin's name: a direct try would be a DNS error, not a
	# certificate one)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client firefox --path bare
	expect_cells fail bare firefox
	[[ "$(detail firefox bare)" == "insecure certificate (a new profile: "* ]] ||
		die "firefox, bare: $(detail firefox bare)"
	: >"$SCRATCH/proxy.log"
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --url "$url" --proxy "127.0.0.1:$pport" \
		--client firefox --path run
	expect_cells fail run firefox
	[[ "$(detail firefox run)" == "insecure certificate ("* ]] || die "firefox, --url, run: $(detail firefox run)"
	grep -q "CONNECT origin.test:" "$SCRATCH/proxy.log" || die "firefox did not go through the proxy"
	unchanged "sanitizer build, firefox"
else
	note "every client, every start path, in the sandbox"
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client curl --client wget --client openssl \
		--client python --client requests --client node --client bun --client deno --client ruby --client perl \
		--client php --client git --client go
	for p in bare run login pam systemd; do
		expect_cells ok "$p" curl wget openssl python requests bun ruby perl php git go
	done
	for p in run login pam systemd; do expect_cells ok "$p" node deno; done
	expect_cells fail bare node # Node's roots are compiled in: only NODE_EXTRA_CA_CERTS reaches it
	grep -q 'UNABLE_TO_VERIFY_LEAF_SIGNATURE\|unable to' <<<"$(detail node bare)" || die "node bare: $(detail node bare)"
	expect_cells fail bare deno # Deno's default store is its own Mozilla list
	grep -q 'UnknownIssuer' <<<"$(detail deno bare)" || die "deno bare: $(detail deno bare)"
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["ok"] is False and d["summary"]["ok"] == 63 and d["summary"]["fail"] == 2, d["summary"]' "$OUT" ||
		die "summary: $OUT"
	unchanged "sandbox"
	note "curl, wget, openssl, python, requests, bun, ruby, perl, php, git, go ok on bare, run, login, pam and systemd; node ok but on bare: $(detail node bare); deno ok but on bare: $(detail deno bare)"
	# Java reads its keystore whatever the environment: two paths show it
	# (its JVM is the slowest client to start). The root's javac is masked
	# by a program that fails: doctor brings its probe compiled, so a JRE
	# is a client as a JDK is
	javac=$(readlink -f /usr/bin/javac)
	mount --bind /bin/false "$R$javac"
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --client java --path bare --path systemd
	umount "$R$javac"
	expect_cells ok bare java
	expect_cells ok systemd java
	unchanged "java"
	note "java (its javac masked: doctor's probe comes compiled) ok on bare and systemd"

	# pip (Debian's, 23: its index lookup) and npm (a registry ping) on every path:
	# this machine's pip reads the system bundle, its npm /usr/etc/npmrc's cafile,
	# the system bundle too, and cainit's variables name it on the other paths
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --client pip --client npm
	for p in bare run login pam systemd; do expect_cells ok "$p" pip npm; done
	unchanged "pip, npm"
	note "pip and npm ok on every start path"

	# a Python of pyenv's beside Debian's: python, requests and pip get a
	# row for each
	pyenv_in
	before=$(state)
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --client python --client requests --client pip \
		--path bare --path login
	python3 - "$OUT" "$pyenv/bin/python3" <<'PY' || die "the pyenv Python's rows: $OUT"
import json, sys
d, py = json.loads(sys.argv[1]), sys.argv[2]
for client in ("python", "requests", "pip"):
    rows = [r for r in d["clients"] if r["client"] == client]
    assert [r["program"] for r in rows] == ["/usr/bin/python3", py], (client, rows)
    for r in rows:
        for path in ("bare", "login"):
            assert r["cells"][path]["verdict"] == "ok", (client, r)
PY
	unchanged "pyenv"
	pyenv_out
	note "a pyenv Python beside Debian's: python, requests and pip each a row per interpreter ($pyenv), ok on bare and login"

	# a virtual environment install was given (--python-env): doctor reads
	# the engine's record of it and gives it rows of its own, though its
	# python3 is a link to Debian's (a venv's packages are its own); a
	# second venv, without the system's packages, has no requests: a python
	# row, and no requests row (both in /srv, where neither looks by
	# itself); and a Python where both look, an /opt/NAME prefix (a vendor
	# app's), found with no --python-env
	mkca V
	mkdir -p "$R/srv"
	/usr/bin/python3 -m venv --system-site-packages --without-pip "$R/srv/venv"
	/usr/bin/python3 -m venv --without-pip "$R/srv/plain"
	/usr/bin/python3 -m venv --system-site-packages --without-pip "$R/opt/vendorapp"
	expect_rc 0 "$CAINIT" install --root "$R" --python-env /srv/venv --python-env /srv/plain "$SCRATCH/V.pem"
	grep -qx /srv/venv "$R/etc/cainit/python-envs" || die "install did not record the venv"
	before=$(state)
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --client python --client requests --path bare --path login
	python3 - "$OUT" <<'PY' || die "the venvs' rows: $OUT"
import json, sys
d = json.loads(sys.argv[1])
want = {"python": ["/usr/bin/python3", "/opt/vendorapp/bin/python3", "/srv/venv/bin/python3", "/srv/plain/bin/python3"],
        "requests": ["/usr/bin/python3", "/opt/vendorapp/bin/python3", "/srv/venv/bin/python3"]}
for client in ("python", "requests"):
    rows = [r for r in d["clients"] if r["client"] == client]
    assert [r["program"] for r in rows] == want[client], (client, rows)
    assert all(r["cells"][p]["verdict"] == "ok" for r in rows for p in ("bare", "login")), (client, rows)
PY
	# (a root that keeps a set: doctor's canary gives /etc/cainit back as it
	# was, its held directory gone and no line of it in the record of the
	# directories cainit made)
	unchanged "venv"
	[ ! -e "$R/etc/cainit/held" ] || die "doctor left /etc/cainit/held in a root that keeps a set"
	expect_rc 0 "$CAINIT" remove --root "$R" --all
	rm -r "$R/srv/venv" "$R/srv/plain" "$R/opt/vendorapp"
	before=$(state)
	note "venvs given to install (their python3 a link to Debian's): rows of their own, from the engine's record, ok on bare and login; no requests row for the venv without it; an /opt/NAME Python found by itself"

	# a venv no install was told of, where the engine does not look
	# (/srv), made by the pyenv Python (ensurepip's pip) with PyPI's
	# requests and certifi copied in: doctor --python-env gives it rows, and
	# the canary is not installed for it, so its requests, which reads its
	# own certifi, FAILs with no variable, and only it (its pip reads
	# /etc/pip.conf; a login's REQUESTS_CA_BUNDLE reaches its requests)
	pyenv_in
	venv=/srv/app/.venv
	"$pyenv/bin/python3" -m venv "$R$venv" || die "python -m venv"
	site=$(echo "$R$venv"/lib/python3*/site-packages)
	for m in requests certifi urllib3 idna charset_normalizer '*__mypyc*.so'; do
		cp -a "$pyenv"/lib/python3*/site-packages/$m "$site/" || die "copy $m into the venv"
	done
	before=$(state)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --python-env "$venv" --client python --client requests \
		--client pip --path bare --path login
	python3 - "$OUT" "$pyenv/bin/python3" "$venv/bin/python3" <<'PY' || die "a venv install was not told of: $OUT"
import json, sys
d, py, venv = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
for client in ("python", "requests", "pip"):
    rows = [r for r in d["clients"] if r["client"] == client]
    assert [r["program"] for r in rows] == ["/usr/bin/python3", py, venv], (client, rows)
    for r in rows:
        for path in ("bare", "login"):
            want = "fail" if (client, r["program"], path) == ("requests", venv, "bare") else "ok"
            assert r["cells"][path]["verdict"] == want, (client, r)
assert "SSLCertVerificationError" in [r for r in d["clients"] if r["client"] == "requests"][2]["cells"]["bare"]["detail"]
assert d["summary"]["fail"] == 1, d["summary"]
PY
	unchanged "a venv no install was told of"
	rm -r "$R/srv"
	pyenv_out
	before=$(state)
	note "a venv no install was told of (/srv/app/.venv, PyPI's requests and certifi), given to doctor --python-env: its requests FAIL on bare (its own certifi), and only it; ok on login"

	note "the table, limited to what is asked"
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --client curl --client node --path run --path login
	[ "$(head -n1 <<<"$OUT" | tr -s ' ')" = "client program run login " ] || die "header: $(head -n1 <<<"$OUT")"
	[ "$(grep -c '^curl \|^node ' <<<"$OUT")" = 2 ] && [ "$(wc -l <<<"$OUT")" = 5 ] && grep -qx '  (the clients ran as sandbox uid 1000)' <<<"$OUT" || die "rows: $OUT"
	grep -q '^doctor: .*: 4 ok, 0 FAIL, 0 not verifying, 0 n/a$' <<<"$OUT" || die "summary line: $OUT"
	unchanged "limited"

	note "negative controls: the verdicts follow the root"
	cp "$R/etc/ssl/certs/ca-certificates.crt" "$R/etc/ssl/stale.pem"
	mkdir "$R/etc/ssl/stale-dir"
	printf 'export SSL_CERT_FILE=/etc/ssl/stale.pem SSL_CERT_DIR=/etc/ssl/stale-dir\n' >"$R/etc/profile.d/zz-stale.sh"
	before=$(state)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client curl --client openssl --client python --client requests \
		--client node --client ruby --client perl --client git --client php --client go --client bun --client deno \
		--path bare --path login
	expect_cells fail login openssl python ruby perl php go # OpenSSL's default paths (Go's own list): SSL_CERT_FILE and SSL_CERT_DIR
	expect_cells ok login curl requests node git bun deno   # their own (curl's and git's built-in, certifi, NODE_EXTRA_CA_CERTS, DENO_CERT)
	expect_cells ok bare curl openssl python requests ruby perl git php go bun
	unchanged "stale SSL_CERT_FILE"
	rm -r "$R/etc/profile.d/zz-stale.sh" "$R/etc/ssl/stale.pem" "$R/etc/ssl/stale-dir"
	printf 'export NODE_TLS_REJECT_UNAUTHORIZED=0\n' >"$R/etc/profile.d/zz-insecure.sh"
	cp -a "$R/etc/environment" "$SCRATCH/environment.orig" 2>/dev/null || : >"$SCRATCH/environment.orig"
	printf 'NODE_TLS_REJECT_UNAUTHORIZED=0\n' >>"$R/etc/environment"
	mkdir -p "$R/etc/systemd/system.conf.d"
	printf '[Manager]\nDefaultEnvironment="NODE_TLS_REJECT_UNAUTHORIZED=0"\n' >"$R/etc/systemd/system.conf.d/zz-insecure.conf"
	before=$(state)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client node --client bun --client curl
	for p in login pam systemd; do expect_cells not_verifying "$p" node bun; done # (Bun honours it too)
	expect_cells ok run node bun
	for p in login pam systemd; do expect_cells ok "$p" curl; done
	unchanged "NODE_TLS_REJECT_UNAUTHORIZED=0"
	rm "$R/etc/profile.d/zz-insecure.sh" "$R/etc/systemd/system.conf.d/zz-insecure.conf"
	cp -a "$SCRATCH/environment.orig" "$R/etc/environment"
	# pip's and npm's own configuration naming a bundle without the CA (the
	# owner's cert and cafile: cainit leaves a key that names another file,
	# with a warning): /etc/pip.conf's cert, and npm's global npmrc (bound
	# over the host's read-only one). With no variable (bare) the pyenv
	# Python's pip and npm FAIL, and only they: Debian's pip gets PIP_CERT
	# from cainit's block in Debian's sitecustomize (/etc/python3.11, the
	# root's own), the pyenv Python, whose standard library is read-only
	# here, gets none. On login PIP_CERT and NPM_CONFIG_CAFILE reach both
	pyenv_in
	npmrc=$(npm config get globalconfig --logs-max=0)
	[ -f "$R$npmrc" ] || die "npm's global npmrc $npmrc is not in the root"
	cp "$R/etc/ssl/certs/ca-certificates.crt" "$R/etc/ssl/stale.pem"
	cp -a "$R/etc/pip.conf" "$SCRATCH/pip.conf.orig"
	printf '[global]\ncert = /etc/ssl/stale.pem\n' >"$R/etc/pip.conf"
	printf 'cafile=/etc/ssl/stale.pem\n' >"$SCRATCH/npmrc.stale"
	mount --bind "$SCRATCH/npmrc.stale" "$R$npmrc"
	before=$(state)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client pip --client npm --client curl \
		--client python --client requests --path bare --path login
	python3 - "$OUT" "$pyenv/bin/python3" <<'PY' || die "a stale pip.conf cert and npmrc cafile: $OUT"
import json, sys
d, py = json.loads(sys.argv[1]), sys.argv[2]
fail = {(r["client"], r["program"], p) for r in d["clients"] for p, c in r["cells"].items() if c["verdict"] != "ok"}
assert fail == {("pip", py, "bare"), ("npm", "/usr/bin/npm", "bare")}, fail
pip = [r for r in d["clients"] if r["client"] == "pip"]
assert [r["program"] for r in pip] == ["/usr/bin/python3", py], pip
assert "CERTIFICATE_VERIFY_FAILED" in pip[1]["cells"]["bare"]["detail"], pip[1]
PY
	grep -qi 'certificate\|UNABLE_TO\|SELF_SIGNED' <<<"$(detail npm bare)" || die "npm bare, a stale cafile: $(detail npm bare)"
	unchanged "a stale pip.conf cert and npmrc cafile"
	umount "$R$npmrc"
	cp -a "$SCRATCH/pip.conf.orig" "$R/etc/pip.conf"
	rm "$R/etc/ssl/stale.pem"
	pyenv_out
	before=$(state)
	# the image path: the Env bake --oci recorded (t_bake_oci checks the
	# record), as a container runtime starts the image's processes
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --path image --client curl
	expect_cells n/a image curl
	grep -q 'no image Env recorded' <<<"$(detail curl image)" || die "image n/a: $(detail curl image)"
	mkdir "$R/etc/cainit"
	printf '["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem"]' >"$R/etc/cainit/image-env.json"
	before=$(state)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --path image --path bare --client node --client curl
	expect_cells ok image node curl
	expect_cells fail bare node
	unchanged "image Env"
	printf '["NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem", "NODE_TLS_REJECT_UNAUTHORIZED=0"]' >"$R/etc/cainit/image-env.json"
	before=$(state)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --path image --client node
	expect_cells not_verifying image node
	printf '{"Env": []}' >"$R/etc/cainit/image-env.json"
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --path image --client node
	expect_cells n/a image node
	grep -q 'not a JSON list' <<<"$(detail node image)" || die "image, a bad record: $(detail node image)"
	# a record past 64 KiB is not cut to a list it never was: n/a
	python3 -c 'import json, sys; print(json.dumps(["PAD%d=%s" % (i, "x" * 1000) for i in range(70)] + ["NODE_EXTRA_CA_CERTS=/etc/cainit/ca.pem"]))' >"$R/etc/cainit/image-env.json"
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --path image --client node
	expect_cells n/a image node
	grep -q 'larger than 64 KiB' <<<"$(detail node image)" || die "image, a long record: $(detail node image)"
	# FIFOs where doctor reads the start paths' files: nothing to read,
	# and nothing waits for a writer that never comes (timeout: the test's
	# own limit, far above a run's; doctor used to wait there for ever)
	rm "$R/etc/cainit/image-env.json"
	mkfifo "$R/etc/cainit/image-env.json"
	mv "$R/etc/environment" "$SCRATCH/environment.keep" 2>/dev/null || : >"$SCRATCH/environment.keep"
	mkfifo "$R/etc/environment"
	mkdir -p "$R/etc/systemd/system.conf.d"
	mkfifo "$R/etc/systemd/system.conf.d/zz-fifo.conf"
	expect_rc 0 timeout 300 "$CAINIT" doctor --timeout 120s --root "$R" --json --path image --path pam --path systemd --client curl
	expect_cells n/a image curl
	expect_cells ok pam curl
	expect_cells ok systemd curl
	rm "$R/etc/environment" "$R/etc/systemd/system.conf.d/zz-fifo.conf"
	mv "$SCRATCH/environment.keep" "$R/etc/environment"
	rm -r "$R/etc/cainit"
	before=$(state)
	# a root without PAM: that column is n/a, and n/a is not a failure
	mv "$R/etc/pam.d" "$R/etc/pam.d.away"
	before=$(state)
	expect_rc 0 "$CAINIT" doctor --timeout 120s --root "$R" --json --path pam --client curl --client python
	expect_cells n/a pam curl python
	[ "$(detail curl pam)" = "the root has no PAM (/etc/pam.d)" ] || die "pam n/a: $(detail curl pam)"
	mv "$R/etc/pam.d.away" "$R/etc/pam.d"
	before=$(state)
	note "SSL_CERT_FILE/SSL_CERT_DIR at stale ones on login: openssl, python, ruby, perl, php, go FAIL there, curl, requests, node, git, bun, deno ok; NODE_TLS_REJECT_UNAUTHORIZED=0 in profile.d, /etc/environment and a systemd drop-in: node and bun not verifying on login, pam, systemd; /etc/pip.conf's cert and npm's global cafile naming a stale bundle: the pyenv Python's pip and npm FAIL on bare, and only they (Debian's pip: PIP_CERT from cainit's sitecustomize block), ok on login; the image path: node ok with the recorded Env, not verifying with NODE_TLS_REJECT_UNAUTHORIZED=0 there, n/a without a record, with a bad one, one past 64 KiB or a FIFO; FIFOs at /etc/environment and a systemd drop-in: read as empty, no hang; no /etc/pam.d: pam n/a"

	# --url: no canary. Each client fetches a real origin through a proxy
	# that only tunnels (CONNECT) and alone resolves origin.test (the root
	# cannot): an ok is a fetch through the proxy whose chain verified
	# against what the root trusts; the stray-CA control stays on loopback
	url_setup
	all=(curl wget openssl python requests pip node npm bun deno ruby perl php git java go)
	args=() && for c in "${all[@]}"; do args+=(--client "$c"); done
	before=$(state)
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --url "$url" --proxy "http://127.0.0.1:$pport" "${args[@]}" \
		--path bare --path login
	for p in bare login; do
		expect_cells fail "$p" "${all[@]}"
		for c in "${all[@]}"; do
			grep -qiE 'certif|verif|issuer|PKIX|x509' <<<"$(detail "$c" "$p")" || die "$c, $p: not a refused chain: $(detail "$c" "$p")"
		done
	done
	unchanged "--url, the CA not installed"
	expect_rc 0 "$CAINIT" install --root "$R" "$SCRATCH/U.pem"
	: >"$SCRATCH/proxy.log"
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --url "$url" --proxy "http://127.0.0.1:$pport" "${args[@]}" \
		--path bare --path login
	expect_cells ok login "${all[@]}"
	expect_cells ok bare curl wget openssl python requests pip npm bun ruby perl php git java go
	expect_cells fail bare node deno # (their roots are their own: only variables reach them)
	python3 - "$OUT" "$url" "http://127.0.0.1:$pport" "$SCRATCH/proxy.log" <<'PY' || die "--url: $OUT"
import json, sys
d, url, proxy, log = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
assert d["target"] == {"kind": "url", "url": url, "proxy": proxy}, d["target"]
lines = open(log).read().splitlines()
want = {"CONNECT " + url[len("https://"):].rstrip("/") + " HTTP/1." + v for v in "01"}
# every ok cell went through the proxy; nothing else did (not the stray
# control, which is served on loopback)
assert len(lines) >= d["summary"]["ok"] and set(lines) <= want, (len(lines), set(lines))
PY
	# the proxy doctor's own environment names (no --proxy), and the one a
	# start path's environment names (/etc/environment: pam), when doctor's
	# names none; with no proxy at all a client goes direct (and here fails)
	expect_rc 0 env -u HTTPS_PROXY https_proxy="http://127.0.0.1:$pport" "$CAINIT" doctor --timeout 120s --root "$R" \
		--json --url "$url" --client node --client curl --path run
	expect_cells ok run node curl
	cp -a "$R/etc/environment" "$SCRATCH/environment.orig"
	echo "https_proxy=http://127.0.0.1:$pport" >>"$R/etc/environment"
	expect_rc 1 env -u https_proxy -u HTTPS_PROXY "$CAINIT" doctor --timeout 120s --root "$R" --json --url "$url" \
		--client curl --client node --client java --path pam --path bare
	expect_cells ok pam curl node java
	expect_cells fail bare curl
	grep -qi 'resolve' <<<"$(detail curl bare)" || die "curl bare, no proxy: $(detail curl bare)"
	cp -a "$SCRATCH/environment.orig" "$R/etc/environment"
	# a client that accepts anything is still caught: the stray CA
	printf 'export NODE_TLS_REJECT_UNAUTHORIZED=0\n' >"$R/etc/profile.d/zz-insecure.sh"
	expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --url "$url" --proxy "127.0.0.1:$pport" --client node --path login
	expect_cells not_verifying login node
	rm "$R/etc/profile.d/zz-insecure.sh"
	expect_rc 0 "$CAINIT" remove --root "$R" --all
	unchanged "--url"
	note "--url through a CONNECT proxy: all ${#all[@]} clients FAIL (a refused chain) on bare and login before the CA is installed, ok after (node and deno but on bare), each through the proxy, the stray control never; the proxy from doctor's environment, from a path's own (pam), none (bare: direct, unresolved); node not verifying with NODE_TLS_REJECT_UNAUTHORIZED=0"
fi

note "the sandbox: the root's program runs as uid 1000, loopback only, the root read-only, its own processes"
mkca H
mkleaf HL H
tls_server HL # on the host's loopback: the sandbox must not reach it
server_pid=$!
cat >"$R/usr/local/bin/curl" <<PROBE
#!/bin/bash
if (exec 3<>/dev/tcp/127.0.0.1/$TLS_PORT) 2>/dev/null; then net=host; else net=own; fi
if touch /etc/doctor-probe 2>/dev/null; then w=writable; else w=read-only; fi
if [ ! -e /proc/self ]; then p=none; elif [ -e /proc/$server_pid ]; then p=host; else p=own; fi
echo "uid=\$(id -u) net=\$net root=\$w pids=\$p" >&2
exit 1
PROBE
chmod 755 "$R/usr/local/bin/curl"
[ -e "/proc/$server_pid" ] || die "the host's TLS server (pid $server_pid) is gone: the probe proves nothing"
before=$(state)
expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client curl --path bare
[ "$(detail curl bare)" = "uid=1000 net=own root=read-only pids=own" ] || die "sandbox probe: $(detail curl bare)"
[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["clients"][0]["program"])' "$OUT")" = /usr/local/bin/curl ] ||
	die "not the root's own curl: $OUT"
[ ! -e "$R/etc/doctor-probe" ] || die "the probe wrote into the root"
# with --url the clients must reach the proxy: the host's network, the
# rest of the sandbox as it was
expect_rc 1 "$CAINIT" doctor --timeout 120s --root "$R" --json --client curl --path bare --url https://origin.test:1/
[ "$(detail curl bare)" = "uid=1000 net=host root=read-only pids=own" ] || die "sandbox probe, --url: $(detail curl bare)"
unchanged "probe"
# a client that never answers, its stderr closed: the run's limit ends it
# (and what it started), and doctor goes on (the limit is what is tested:
# the client never ends by itself)
printf '#!/bin/sh\nexec 2>&-\nexec tail -f /dev/null\n' >"$R/usr/local/bin/curl"
before=$(state)
probe=$(detail curl bare)
expect_rc 1 "$CAINIT" doctor --timeout 1s --root "$R" --json --client curl --path bare
[ "$(detail curl bare)" = "no answer within 1000 ms" ] || die "a hung client: $(detail curl bare)"
unchanged "hung client"
rm "$R/usr/local/bin/curl"
before=$(state)
note "probe: $probe; a hung client (stderr closed): 'no answer within 1000 ms', doctor goes on"

note "inside a root (--root /): the clients run there"
if [ -n "$AGENT" ] && [ "$STATIC_BUILD" = 1 ]; then
	cp "$AGENT" "$R/usr/local/bin/cainit"
	mount --rbind /dev "$R/dev"
	before=$(state)
	expect_rc 0 chroot "$R" /usr/local/bin/cainit doctor --timeout 120s --client curl --client python --client requests \
		--path bare --path run --path login --json
	for p in bare run login; do expect_cells ok "$p" curl python requests; done
	# as root, doctor runs the clients as the root's first user (uid 1000
	# to 60000 in its /etc/passwd), or root without one; --user names another
	first=$(awk -F: '$3 >= 1000 && $3 <= 60000 { print $1; exit }' "$R/etc/passwd")
	python3 -c 'import json, sys; u = json.loads(sys.argv[1])["user"]; assert u["name"] == (sys.argv[2] or "root"), u' "$OUT" "$first" ||
		die "the clients did not run as the root's first user (${first:-root}): $OUT"
	cp -a "$R/etc/passwd" "$SCRATCH/passwd.orig"
	echo "cainit-probe:x:4321:4322:probe:/home/cainit-probe:/bin/sh" >>"$R/etc/passwd"
	# (and doctor's process above the client, which has doctor's memory,
	# is closed to it: its own /proc entry readable, its parent's not)
	cat >"$R/usr/local/bin/curl" <<'PROBE'
#!/bin/sh
mem() { if cat "/proc/$1/environ" >/dev/null 2>&1; then echo readable; else echo closed; fi; }
echo "uid=$(/usr/bin/id -u) gid=$(/usr/bin/id -g) groups=$(/usr/bin/id -G) home=${HOME-} cwd=$(pwd) self=$(mem $$) parent=$(mem $PPID)" >&2
exit 1
PROBE
	chmod 755 "$R/usr/local/bin/curl"
	mount -t proc doctor-proc "$R/proc"
	expect_rc 1 chroot "$R" /usr/local/bin/cainit doctor --timeout 120s --client curl --path bare --path login --json \
		--user cainit-probe
	[ "$(detail curl bare)" = "uid=4321 gid=4322 groups=4322 home= cwd=/ self=readable parent=closed" ] ||
		die "--user, bare: $(detail curl bare)"
	[ "$(detail curl login)" = "uid=4321 gid=4322 groups=4322 home=/home/cainit-probe cwd=/ self=readable parent=closed" ] ||
		die "--user, login: $(detail curl login)"
	# the same user by its uid
	expect_rc 1 chroot "$R" /usr/local/bin/cainit doctor --timeout 120s --client curl --path login --json --user 4321
	[ "$(detail curl login)" = "uid=4321 gid=4322 groups=4322 home=/home/cainit-probe cwd=/ self=readable parent=closed" ] ||
		die "--user 4321, login: $(detail curl login)"
	python3 -c 'import json, sys; u = json.loads(sys.argv[1])["user"]; assert u == {"name": "cainit-probe", "uid": 4321}, u' "$OUT" ||
		die "--user 4321: $OUT"
	# Chromium reads the user's ~/.pki/nssdb (install --nss-user made it):
	# the canary goes there too, beside the set install put there. A start
	# with HOME (login, and pam: the session's login set it) finds it; one
	# without (bare, run, systemd) does not (Chromium then looks in TMPDIR)
	rm "$R/usr/local/bin/curl"
	mkdir -p "$R/home/cainit-probe" && chown 4321:4322 "$R/home/cainit-probe" && chmod 1777 "$R/tmp"
	# Firefox reads its profile's NSS database: the user's profile, as
	# Firefox leaves one (profiles.ini naming it, its databases). Before
	# install --nss it is no store of cainit's, so the canary is not there
	ff=/home/cainit-probe/.mozilla/firefox
	mkdir -p "$R$ff/abcd1234.default-esr"
	printf '%s\n' '[Install3B6073811A6ABF12]' 'Default=abcd1234.default-esr' 'Locked=1' '' '[Profile0]' \
		'Name=default-esr' 'IsRelative=1' 'Path=abcd1234.default-esr' 'Default=1' '' '[General]' \
		'StartWithLastProfile=1' 'Version=2' >"$R$ff/profiles.ini"
	certutil -N -d "sql:$R$ff/abcd1234.default-esr" --empty-password
	chown -R 4321:4322 "$R/home/cainit-probe"
	expect_rc 1 chroot "$R" /usr/local/bin/cainit doctor --timeout 120s --client firefox --path login --json \
		--user cainit-probe
	expect_cells fail login firefox
	[ "$(detail firefox login)" = "insecure certificate (the NSS databases of $ff/abcd1234.default-esr)" ] ||
		die "firefox, login, before install --nss: $(detail firefox login)"
	mkca N
	expect_rc 0 "$CAINIT" install --root "$R" --nss --nss-user cainit-probe "$SCRATCH/N.pem"
	# after it, the canary is in the profile's database too: ok with HOME
	# (login) and without (bare: Firefox takes the home from /etc/passwd)
	expect_rc 0 chroot "$R" /usr/local/bin/cainit doctor --timeout 120s --client firefox --path bare --path login \
		--json --user cainit-probe
	for p in bare login; do expect_cells ok "$p" firefox; done
	# (Firefox ran on copies: the profile holds what it held, and the
	# database the set's CA and no canary)
	[ "$(ls -A "$R$ff/abcd1234.default-esr" | sort | paste -sd' ')" = "cert9.db key4.db pkcs11.txt" ] ||
		die "the Firefox profile after doctor: $(ls -A "$R$ff/abcd1234.default-esr")"
	nicks=$(certutil -L -d "sql:$R$ff/abcd1234.default-esr" | awk 'NR > 3 { print $1 }')
	grep -q '^cainit\.default\.' <<<"$nicks" && ! grep -q 'doctor-' <<<"$nicks" || die "the profile's database: $nicks"
	expect_rc 1 chroot "$R" /usr/local/bin/cainit doctor --timeout 120s --client chromium --client curl --json \
		--user cainit-probe
	for p in login pam; do expect_cells ok "$p" chromium curl; done
	for p in bare run systemd; do expect_cells fail "$p" chromium; expect_cells ok "$p" curl; done
	grep -q 'ERR_CERT_AUTHORITY_INVALID' <<<"$(detail chromium bare)" || die "chromium bare: $(detail chromium bare)"
	[ -z "$(ls -A "$R/tmp")" ] || die "doctor left in /tmp: $(ls -A "$R/tmp")"
	# (the canary is gone from the database again; the set's CA stays)
	nicks=$(certutil -L -d "sql:$R/home/cainit-probe/.pki/nssdb" | awk 'NR > 3 { print $1 }')
	grep -q '^cainit\.default\.' <<<"$nicks" && ! grep -q 'doctor-' <<<"$nicks" || die "the NSS database after doctor: $nicks"
	expect_rc 0 "$CAINIT" remove --root "$R" --all
	rm -r "$R/home"
	umount "$R/proc"
	expect_rc 2 chroot "$R" /usr/local/bin/cainit doctor --client curl --user 4329
	expect_err 'no such user'
	expect_rc 2 chroot "$R" /usr/local/bin/cainit doctor --client curl --user nosuchuser
	expect_err 'no such user'
	expect_rc 2 "$CAINIT" doctor --root "$R" --client curl --user root
	expect_err 'only with --root /'
	cp -a "$SCRATCH/passwd.orig" "$R/etc/passwd"
	umount -l "$R/dev"
	rm "$R/usr/local/bin/cainit"
	before=$(state)
	unchanged "chroot"
	note "chroot: curl, python, requests ok on bare, run and login, as ${first:-root}; --user NAME and --user UID: its uid, gid and home; doctor's process above it closed to it; chromium (install --nss-user) ok on login and pam, FAIL on bare, run and systemd (no HOME); firefox on the user's profile: FAIL before install --nss, ok after on bare and login"
fi

note "the agent: POST /doctor while the loop answers, one at a time, its limit; push --doctor"
# a curl that waits at a gate (a FIFO in the root) until the test opens it,
# so that a run is surely under way while the other requests are sent
mkfifo -m 0666 "$R/usr/local/gate"
cat >"$R/usr/local/bin/curl" <<'SH'
#!/bin/sh
[ -e /usr/local/open ] || read -r _ </usr/local/gate
exec /usr/bin/curl "$@"
SH
chmod 755 "$R/usr/local/bin/curl"
mkca A
echo doctor-token >"$SCRATCH/token"
T=(-H "X-Access-Token: doctor-token")
start_agent --root "$R" --listen "unix:$SCRATCH/agent.sock" --token-file "$SCRATCH/token"
expect_call 401 POST /doctor -d '{}'
expect_call 405 GET /doctor "${T[@]}"
expect_call 400 POST /doctor "${T[@]}" -d '{"clients": "curl"}'
expect_call 400 POST /doctor "${T[@]}" -d '{"client": ["curl"]}'
expect_call 400 POST /doctor "${T[@]}" -d '{"clients": ["bogus"]}' # doctor's own usage error
curl -s -o "$SCRATCH/doc1" -w '%{http_code}' -X POST "${AGENT_CURL[@]}" "${T[@]}" \
	-d '{"clients": ["curl", "node"], "paths": ["bare", "run"], "timeout": "120s"}' "$AGENT_URL/doctor" >"$SCRATCH/doc1.code" &
first=$!
gated() { pgrep -f "^/bin/sh /usr/local/bin/curl" >/dev/null; }
wait_until 120 gated || die "the first doctor run did not reach curl"
expect_call 204 GET /health
expect_call 409 POST /doctor "${T[@]}" -d '{}'
expect_call 200 GET /ca "${T[@]}"
touch "$R/usr/local/open"
echo go >"$R/usr/local/gate"
wait "$first"
echo "POST /doctor $(cat "$SCRATCH/doc1.code")" >>"${API_LOG:-/dev/null}"
[ "$(cat "$SCRATCH/doc1.code")" = 200 ] || die "POST /doctor: $(cat "$SCRATCH/doc1.code"): $(cat "$SCRATCH/doc1")"
OUT=$(cat "$SCRATCH/doc1")
expect_cells ok bare curl
expect_cells ok run curl node
expect_cells fail bare node
python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["ok"] is False and d["paths"] == ["bare", "run"], d' "$OUT" ||
	die "POST /doctor's document: $OUT"
# push: the CA, then the proof (exit 3 when a cell is not ok)
expect_rc 3 "$CAINIT" push --to "unix:$SCRATCH/agent.sock" --token-file "$SCRATCH/token" --doctor \
	--doctor-client curl --doctor-client node --doctor-path bare --doctor-path run "$SCRATCH/A.pem"
expect_err "NOT every client trusts the CA"
expect_cells fail bare node
expect_rc 0 "$CAINIT" push --to "unix:$SCRATCH/agent.sock" --token-file "$SCRATCH/token" --doctor \
	--doctor-client curl --doctor-client python --doctor-path bare --doctor-path login "$SCRATCH/A.pem"
expect_err "every reachable cell ok"
expect_cells ok login curl python
"$CAINIT" verify --root "$R" "$SCRATCH/A.pem" >/dev/null || die "push --doctor: A is not trusted in the root"
# --doctor-url: the agent's doctor fetches the origin through the proxy
# (url_setup's: the origin's CA is not in the root, so curl refuses it)
expect_call 400 POST /doctor "${T[@]}" -d '{"url": 5}'
expect_call 400 POST /doctor "${T[@]}" -d '{"url": "http://origin.test/"}' # doctor's own usage error
: >"$SCRATCH/proxy.log"
expect_rc 3 "$CAINIT" push --to "unix:$SCRATCH/agent.sock" --token-file "$SCRATCH/token" --doctor-url "$url" \
	--doctor-proxy "127.0.0.1:$pport" --doctor-client curl --doctor-path bare "$SCRATCH/A.pem"
expect_err "NOT every client trusts the CA"
expect_cells fail bare curl
grep -qi 'certif' <<<"$(detail curl bare)" || die "push --doctor-url: curl bare: $(detail curl bare)"
python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["target"] == {"kind": "url", "url": sys.argv[2], "proxy": sys.argv[3]}, d["target"]' \
	"$OUT" "$url" "127.0.0.1:$pport" || die "push --doctor-url: $OUT"
grep -q '^CONNECT origin.test:' "$SCRATCH/proxy.log" || die "push --doctor-url: nothing went through the proxy"
# --doctor-wait bounds push's wait: a run held at the gate cannot answer in
# time (exit 3, said so); the agent's run goes on, and ends when the gate opens
rm "$R/usr/local/open"
expect_rc 3 "$CAINIT" push --to "unix:$SCRATCH/agent.sock" --token-file "$SCRATCH/token" --doctor \
	--doctor-wait 500ms --doctor-client curl --doctor-path bare "$SCRATCH/A.pem"
expect_err "doctor: no answer within 500 ms"
wait_until 120 gated || die "the doctor push gave up on did not reach curl"
expect_call 409 POST /doctor "${T[@]}" -d '{}'
touch "$R/usr/local/open"
echo go >"$R/usr/local/gate"
no_child() { ! pgrep -P "$AGENT_PID" >/dev/null; }
wait_until 120 no_child || die "the doctor push gave up on did not end: $(pgrep -a -P "$AGENT_PID")"
# the doctor could not run (the root's /etc read-only: no canary set): 500
mount --bind "$R/etc" "$R/etc" && mount -o remount,bind,ro "$R/etc"
expect_call 500 POST /doctor "${T[@]}" -d '{"clients": ["curl"], "paths": ["bare"]}'
umount "$R/etc"
stop_agent
# past --doctor-limit: 504, and the run is killed whole
rm "$R/usr/local/open"
start_agent --root "$R" --listen "unix:$SCRATCH/agent.sock" --token-file "$SCRATCH/token" --doctor-limit 300ms
expect_call 504 POST /doctor "${T[@]}" -d '{"clients": ["curl"], "paths": ["bare"]}'
! pgrep -P "$AGENT_PID" >/dev/null || die "the doctor outlived its limit: $(pgrep -a -P "$AGENT_PID")"
expect_call 204 GET /health
stop_agent
held_sets() { ls "$R/etc/cainit/held" 2>/dev/null; }
# every held file free to lock: whoever held it (the doctor, its sandbox) is gone
lock_free() { local f; for f in "$R"/etc/cainit/held/*; do [ -e "$f" ] || continue; flock -n -E 3 "$f" true || return 1; done; }
# the run killed at its limit left its canary set, held by nobody now:
# the next change of the root removes it (here: an install of A again)
wait_until 60 lock_free || die "the killed run's hold is still taken"
[ -n "$(held_sets)" ] || die "the killed run left no held set to sweep"
stale=$(held_sets)
expect_rc 0 "$CAINIT" install --root "$R" "$SCRATCH/A.pem"
[ -z "$(held_sets)" ] || die "a held set nobody holds survived an install: $(held_sets)"
! "$CAINIT" status --root "$R" --json | grep -q "\"$stale\"" || die "set $stale survived the next install"
note "a killed run's canary set ($stale), held by nobody, removed by the next install"

note "a live doctor's canary stays through another cainit's changes; a killed one's goes with the next"
"$CAINIT" doctor --timeout 120s --root "$R" --json --client curl --path bare --path run >"$SCRATCH/live.json" &
live=$!
wait_until 120 gated || die "the doctor did not reach curl"
set=$(held_sets)
[ -n "$set" ] || die "a live doctor holds no set"
expect_rc 0 "$CAINIT" remove --root "$R" --name default
expect_rc 0 "$CAINIT" install --root "$R" "$SCRATCH/A.pem"
[ "$(held_sets)" = "$set" ] || die "a live doctor's set was swept: $(held_sets)"
# a file planted there under another set's name removes nothing
: >"$R/etc/cainit/held/default"
expect_rc 0 "$CAINIT" remove --root "$R" --name nosuchset
"$CAINIT" verify --root "$R" "$SCRATCH/A.pem" >/dev/null || die "a planted held file removed the default set"
rm "$R/etc/cainit/held/default"
touch "$R/usr/local/open"
echo go >"$R/usr/local/gate"
wait "$live" || die "the live doctor failed: $(cat "$SCRATCH/live.json")"
OUT=$(cat "$SCRATCH/live.json")
expect_cells ok bare curl
expect_cells ok run curl
[ -z "$(held_sets)" ] || die "the doctor left its held set: $(held_sets)"
# killed with SIGKILL while held at the gate
rm "$R/usr/local/open"
"$CAINIT" doctor --timeout 120s --root "$R" --json --client curl --path bare >/dev/null &
killed=$!
wait_until 120 gated || die "the doctor did not reach curl"
set=$(held_sets)
kill -KILL "$killed"
wait "$killed" 2>/dev/null || true
wait_until 60 lock_free || die "the killed doctor's hold is still taken: $(for f in "$R"/etc/cainit/held/*; do fuser -v "$f" 2>&1; done; ps -ef --forest | grep -v "ps -ef" | tail -20)"
# as if a sweep had been killed after taking the held file and before the
# set went (or a recovery had brought the set back): the set is still
# nobody's, and the next change removes it
rm "$R/etc/cainit/held/$set"
expect_rc 0 "$CAINIT" remove --root "$R" --name default
! "$CAINIT" status --root "$R" --json | grep -q "\"$set\"" || die "set $set survived the next remove"
[ ! -e "$R/etc/cainit/held" ] || die "the held directory outlived the last set: $(ls -la "$R/etc/cainit/held")"
note "live: $set kept through a remove and an install of another set; killed, its held file gone too: swept by the next remove"
# the prefix is doctor's: no other install may take it (it would be swept)
expect_rc 2 "$CAINIT" install --root "$R" --name doctor-mine "$SCRATCH/A.pem"
expect_err "doctor's temporary sets"
rm "$R/usr/local/bin/curl" "$R/usr/local/gate"
"$CAINIT" remove --root "$R" --all >/dev/null
unchanged "agent"
note "POST /doctor: 401, 405, 400 (body, doctor's usage), 409 while one runs (/health and /ca answered), 200 with the table; push --doctor exit 3 then 0; push --doctor-url: through the proxy, curl FAIL (the origin's CA not trusted); 500 on a read-only /etc; 504 past --doctor-limit, the child gone"

note "bad usage: one line, exit 2, nothing touched"
expect_rc 2 "$CAINIT" doctor --root "$R" --client bogus
expect_err 'unknown client "bogus"'
expect_rc 2 "$CAINIT" doctor --root "$R" --timeout 0
expect_err 'a duration from 1ms'
expect_rc 1 "$CAINIT" doctor --root "$SCRATCH/nope"
expect_err 'nope'
expect_rc 2 "$CAINIT" doctor --root "$R" --url http://origin.test/
expect_err 'an https:// URL'
expect_rc 2 "$CAINIT" doctor --root "$R" --url "https://origin.test/ x"
expect_err 'no spaces or quotes'
expect_rc 2 "$CAINIT" doctor --root "$R" --proxy http://127.0.0.1:3128
expect_err 'only with --url'
expect_rc 2 "$CAINIT" doctor --root "$R" --url https://origin.test/ --proxy socks5://127.0.0.1:1080
expect_err 'http://HOST:PORT'
expect_rc 2 "$CAINIT" doctor --root "$R" --python-env relative/venv
expect_err 'an absolute path inside the root'
unchanged "bad usage"
