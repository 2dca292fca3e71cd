# The Python room (docs/stores.md, "Python"): install puts the CA into the
# bundles Python packages ship and read instead of the system store
# (certifi's, pip's vendored certifi, botocore's, httplib2's, grpc's), in
# every site directory of every Python where images keep them (/usr/local,
# the homes' pyenv and ~/.local, /opt's conda and its envs, vendor apps);
# Debian's certifi, a link to the system bundle, is that bundle, edited
# once; a link out of the root resolves inside it; a read-only one is left
# with a warning; a rotation leaves the old CA in none; the last removal
# gives each file back byte for byte. Then this machine's pip-installed
# Pythons (pyenv, with PyPI's requests and certifi): requests.get with an
# empty environment fails before install and succeeds after, from each.
mkca A
mkca B
mkleaf LA A
mkleaf LB B

# ---- a fixture root with Pythons where images keep them ----
r=$SCRATCH/r
mkroot debian "$r"
# a certifi bundle: the real one of a pip-installed certifi when there is one
src=$(ls /root/.pyenv/versions/*/lib/python3*/site-packages/certifi/cacert.pem 2>/dev/null | head -n 1)
[ -n "$src" ] || src=$r/etc/ssl/certs/ca-certificates.crt
cp "$src" "$SCRATCH/certifi.pem"
files=(
	usr/local/lib/python3.12/site-packages/certifi/cacert.pem
	home/dev/.pyenv/versions/3.11.7/lib/python3.11/site-packages/certifi/cacert.pem
	home/dev/.pyenv/versions/3.11.7/lib/python3.11/site-packages/pip/_vendor/certifi/cacert.pem
	home/dev/.local/lib/python3.11/site-packages/botocore/cacert.pem
	opt/conda/lib/python3.12/site-packages/certifi/cacert.pem
	opt/conda/envs/ml/lib/python3.10/site-packages/httplib2/cacerts.txt
	root/miniconda3/envs/x/lib/python3.9/dist-packages/certifi/cacert.pem
)
for f in "${files[@]}"; do
	mkdir -p "$(dirname "$r/$f")"
	cp "$SCRATCH/certifi.pem" "$r/$f"
done
# Debian's python3-certifi: a link to the system bundle
mkdir -p "$r/usr/lib/python3/dist-packages/certifi"
ln -s /etc/ssl/certs/ca-certificates.crt "$r/usr/lib/python3/dist-packages/certifi/cacert.pem"
# a link that would leave the root, and a host file it names
echo "the host's" >"$SCRATCH/outside.pem"
mkdir -p "$r/usr/local/lib/python3.12/site-packages/pip/_vendor/certifi"
ln -s "$SCRATCH/outside.pem" "$r/usr/local/lib/python3.12/site-packages/pip/_vendor/certifi/cacert.pem"
# a vendor app's grpc on a read-only mount
ro=opt/app/lib/python3.9/site-packages/grpc/_cython/_credentials
mkdir -p "$r/$ro"
cp "$SCRATCH/certifi.pem" "$r/$ro/roots.pem"
mount --bind "$r/$ro" "$r/$ro"
mount -o remount,bind,ro "$r/$ro"
# a writable bundle bind-mounted into a read-only directory (a ConfigMap's
# subPath): no temp file can go beside it, so it is rewritten in place
rw=opt/app2/lib/python3.9/site-packages/certifi
mkdir -p "$r/$rw"
cp "$SCRATCH/certifi.pem" "$r/$rw/cacert.pem"
cp "$SCRATCH/certifi.pem" "$SCRATCH/rw.pem"
mount --bind "$r/$rw" "$r/$rw"
mount -o remount,bind,ro "$r/$rw"
mount --bind "$SCRATCH/rw.pem" "$r/$rw/cacert.pem"
mkdir -p "$r/etc"
printf 'root:x:0:0:root:/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\nbad:x:1:1::../../..:/bin/sh\n' >"$r/etc/passwd"

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
grep -q "$ro/roots.pem: Read-only file system; left as it is" <<<"$ERR" || die "no warning for the read-only bundle: $ERR"
fpA=$(fp_of "$SCRATCH/A.pem")
for f in "${files[@]}"; do
	[ "$(grep -c "^# cainit set=default sha256=$fpA" "$r/$f")" = 1 ] || die "$f: not one block of A"
	head -c "$(stat -c %s "$SCRATCH/certifi.pem")" "$r/$f" | cmp -s - "$SCRATCH/certifi.pem" || die "$f: its own bytes moved"
done
[ "$(grep -c "^# cainit set=default" "$r/etc/ssl/certs/ca-certificates.crt")" = 1 ] ||
	die "the system bundle (also Debian's certifi) does not hold one block"
cmp -s "$r/$ro/roots.pem" "$SCRATCH/certifi.pem" || die "the read-only bundle changed"
[ "$(grep -c "^# cainit set=default sha256=$fpA" "$SCRATCH/rw.pem")" = 1 ] ||
	die "the writable bundle in a read-only directory: no block of A ($ERR)"
[ "$(cat "$SCRATCH/outside.pem")" = "the host's" ] || die "a link out of the root was followed"
expect_rc 0 "$CAINIT" status --root "$r" --json
n=$(python3 -c 'import json, sys; print(sum(1 for s in json.load(sys.stdin)["sets"][0]["stores"] if s["kind"] == "python" and s["present"]))' <<<"$OUT")
[ "$n" = $((${#files[@]} + 1)) ] || die "status: $n python stores hold A, want ${#files[@]} + 1"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
[ "$(grep -c '^python ok ' <<<"$OUT")" = $((${#files[@]} + 1)) ] || die "verify: $OUT"
note "install: ${#files[@]} Python bundles hold A; Debian's link is the system bundle's one block; read-only left, with a warning; a writable one in a read-only directory rewritten in place; no link followed out"

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
if grep -rlF "$(tail -n 3 "$SCRATCH/A.pem" | head -n 1)" "$r" | grep -q .; then
	die "A left after the rotation in: $(grep -rlF "$(tail -n 3 "$SCRATCH/A.pem" | head -n 1)" "$r")"
fi
for f in "${files[@]}"; do
	grep -q "^# cainit set=default sha256=$(fp_of "$SCRATCH/B.pem")" "$r/$f" || die "$f: B missing after the rotation"
done
expect_rc 0 "$CAINIT" remove --root "$r" --all
for f in "${files[@]}" "$rw/cacert.pem"; do
	cmp -s "$r/$f" "$SCRATCH/certifi.pem" || die "$f: not given back byte for byte"
done
note "rotation: A in no file; remove --all: every Python bundle given back byte for byte"

# ---- virtual environments at paths the caller names ----
# --python-env DIR (repeatable) and run's $VIRTUAL_ENV: the venv's bundles
# take the set, and cainit records the venv so that every later change
# (a rotation by another command, remove) reaches it with no flag
v=$SCRATCH/v
mkroot debian "$v"
venvs=(srv/app/.venv work/env2 srv/run-venv)
for d in "${venvs[@]}"; do
	mkdir -p "$v/$d/lib/python3.12/site-packages/certifi"
	cp "$SCRATCH/certifi.pem" "$v/$d/lib/python3.12/site-packages/certifi/cacert.pem"
done
vb() { echo "$v/$1/lib/python3.12/site-packages/certifi/cacert.pem"; }
ln -s /srv "$v/escape" # absolute: resolves inside the root
expect_rc 2 "$CAINIT" install --root "$v" --python-env srv/app/.venv "$SCRATCH/A.pem"
grep -q "absolute path" <<<"$ERR" || die "a relative --python-env: $ERR"
expect_rc 0 "$CAINIT" install --root "$v" "$SCRATCH/A.pem"
cmp -s "$(vb srv/app/.venv)" "$SCRATCH/certifi.pem" || die "a venv nobody named was edited"
expect_rc 0 "$CAINIT" install --root "$v" --python-env /escape/app/.venv --python-env /work/env2 "$SCRATCH/A.pem"
for d in srv/app/.venv work/env2; do
	[ "$(grep -c "^# cainit set=default sha256=$fpA" "$(vb $d)")" = 1 ] || die "$d: --python-env did not reach it"
done
[ "$(cat "$v/etc/cainit/python-envs")" = "$(printf '/srv/app/.venv\n/work/env2')" ] ||
	die "the record: $(cat "$v/etc/cainit/python-envs")"
# run, from inside the venv (its activate sets VIRTUAL_ENV)
VIRTUAL_ENV=/srv/run-venv expect_rc 0 "$CAINIT" run --root "$v" --ca "$SCRATCH/B.pem" -- true
for d in "${venvs[@]}"; do
	grep -q "^# cainit set=default sha256=$(fp_of "$SCRATCH/B.pem")" "$(vb $d)" || die "$d: B missing after run's rotation"
	grep -q "^# cainit set=default sha256=$fpA" "$(vb $d)" && die "$d: A left after run's rotation"
done
expect_rc 0 "$CAINIT" status --root "$v" --json
n=$(python3 -c 'import json, sys
venvs = sys.argv[1:]
print(sum(1 for s in json.load(sys.stdin)["sets"][0]["stores"]
          if s["kind"] == "python" and s["present"] and any("/" + d + "/" in s["path"] for d in venvs)))' "${venvs[@]}" <<<"$OUT")
[ "$n" = 3 ] || die "status: $n of the 3 recorded venvs hold B: $OUT"
expect_rc 0 "$CAINIT" remove --root "$v" --all
for d in "${venvs[@]}"; do
	cmp -s "$(vb $d)" "$SCRATCH/certifi.pem" || die "$d: not given back byte for byte"
done
[ ! -e "$v/etc/cainit/python-envs" ] || die "the record outlived the last set"
note "--python-env (through a link, resolved in the root) and run's \$VIRTUAL_ENV: the venvs' certifi take the set, are recorded, rotate with no flag, come back byte for byte; a relative path refused"

# ---- /etc/pip.conf: cert = the full bundle, in [global], for a strict parser ----
ini_cert() { # FILE: [global] cert as Python's strict configparser reads it
	python3 -c 'import configparser, sys
c = configparser.RawConfigParser(strict=True)
c.read(sys.argv[1])
print(c.get("global", "cert", fallback="-"))' "$1" || die "$1: configparser refused it: $(cat "$1")"
}
bundle=/etc/ssl/certs/ca-certificates.crt
for v in none global other theirs; do
	p=$SCRATCH/pip-$v
	mkroot debian "$p"
	mkdir -p "$p/usr/lib/python3.11" # a Python (its standard library)
	: >"$p/usr/lib/python3.11/os.py"
	case $v in
	global) printf '[global]\ntimeout = 60\n\n[install]\nuser = false' >"$p/etc/pip.conf" ;; # (no final newline)
	other) printf '[install]\nuser = false\n' >"$p/etc/pip.conf" ;;
	theirs) printf '[global]\nCert: /opt/corp.pem\n' >"$p/etc/pip.conf" ;;
	esac
	[ -e "$p/etc/pip.conf" ] && cp "$p/etc/pip.conf" "$SCRATCH/pip-$v.orig"
	expect_rc 0 "$CAINIT" install --root "$p" "$SCRATCH/A.pem"
	want=$bundle
	[ $v = theirs ] && want=/opt/corp.pem
	[ "$(ini_cert "$p/etc/pip.conf")" = "$want" ] || die "pip.conf ($v): cert is $(ini_cert "$p/etc/pip.conf")"
	[ $v = theirs ] && { grep -q "cert is /opt/corp.pem, not the bundle; left as it is" <<<"$ERR" || die "no warning: $ERR"; }
	[ $v = global ] && { python3 -c 'import configparser, sys
c = configparser.RawConfigParser(strict=True); c.read(sys.argv[1])
assert c.get("global", "timeout") == "60" and c.get("install", "user") == "false"' "$p/etc/pip.conf" ||
		die "pip.conf: the owner's options moved: $(cat "$p/etc/pip.conf")"; }
	expect_rc 0 "$CAINIT" remove --root "$p" --all
	if [ $v = none ]; then
		[ ! -e "$p/etc/pip.conf" ] || die "pip.conf cainit created outlived the last set"
	else
		cmp -s "$p/etc/pip.conf" "$SCRATCH/pip-$v.orig" || die "pip.conf ($v) not given back byte for byte"
	fi
done
note "pip.conf: created with [global]; inside an existing [global] before the next section; a new [global] after others; the owner's cert left, with a warning; each given back"

# ---- this machine's pip-installed Pythons ----
[ "$FS" = tmpfs ] || { note "(real interpreters: once, on tmpfs)"; exit 0; }
pys=()
for p in /root/.pyenv/versions/3.*/bin/python; do
	[ -x "$p" ] && "$p" -c 'import requests, certifi' 2>/dev/null && pys+=("$p")
done
[ ${#pys[@]} -gt 0 ] || skip "no pyenv Python with PyPI's requests on this machine"
own_host_store # (every Python bundle the engine finds gets a private copy)
# this workplace's platform hook appends its CA to certifi.where() at each
# start (scripts/sandbox_lib.sh): masked, so that only cainit edits them
for pth in /root/.pyenv/versions/3.*/lib/python3*/site-packages/*.pth; do
	[ -f "$pth" ] && grep -q 'certifi.where' "$pth" && mount --bind /dev/null "$pth"
done
tls_server LA
get='import sys, requests; requests.get(sys.argv[1], timeout=20).raise_for_status()'
for p in "${pys[@]}"; do
	env -i "$p" -c "$get" "https://localhost:$TLS_PORT/" >/dev/null 2>&1 && die "$p trusts the CA before install"
done
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
for p in "${pys[@]}"; do
	env -i "$p" -c "$get" "https://localhost:$TLS_PORT/" 2>"$SCRATCH/py.err" ||
		die "$p, empty environment, after install: $(tail -n 1 "$SCRATCH/py.err")"
done
note "requests from ${#pys[@]} pip-installed Pythons (${pys[*]}), no variables: refused before install, ok after"

# a venv made after the install, PyPI's requests and a fresh certifi copied
# in (as pip would install them): the interpreter's sitecustomize block
# hands it the bundle, with no variables
py=${pys[0]}
expect_rc 0 "$CAINIT" remove --all # (the packages copied below are then PyPI's bytes again)
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$SCRATCH/pkgs"
for pkg in requests certifi urllib3 idna charset_normalizer; do cp -a "$site/$pkg" "$SCRATCH/pkgs/"; done
cp -a "$site"/*__mypyc*.so "$SCRATCH/pkgs/" 2>/dev/null || true
grep -q '^# cainit' "$SCRATCH/pkgs/certifi/cacert.pem" && die "the copied certifi holds a block"
venv_get() { # DIR: a new venv with the packages; requests.get with no variables
	"$py" -m venv --without-pip "$1" || die "python -m venv $1"
	cp -a "$SCRATCH/pkgs/." "$("$1/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/"
	env -i "$1/bin/python" -c "$get" "https://localhost:$TLS_PORT/" 2>"$SCRATCH/venv.err"
}
venv_get "$SCRATCH/venv0" && die "a venv trusts the CA before install"
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
venv_get "$SCRATCH/venv1" || die "a venv made after install, no variables: $(tail -n 1 "$SCRATCH/venv.err")"
REQUESTS_CA_BUNDLE=$SCRATCH/pkgs/certifi/cacert.pem "$SCRATCH/venv1/bin/python" -c "$get" "https://localhost:$TLS_PORT/" 2>/dev/null &&
	die "sitecustomize overrode the caller's REQUESTS_CA_BUNDLE"
expect_rc 0 "$CAINIT" remove --all
venv_get "$SCRATCH/venv2" && die "a venv trusts the CA after remove --all"
note "a venv made after install (PyPI's requests, a fresh certifi), no variables: ok; a caller's REQUESTS_CA_BUNDLE wins; refused after remove"
