# The bad-input catalogue: every case in tests/bad-inputs/*.case, through
# the front end it names (install, the agent's /init, a root that cannot
# be written, bake). For each: the exact exit code or HTTP status, the exact
# one-line message (JSON "code" and "error" for /init; `message-glob:` where
# a date or a digest varies, with * for it), and every trust file
# byte-identical afterwards (for an escape: the files outside the root). The inputs are made here (no private key is
# kept in the repository). CATALOGUE_RECORD=1 prints what each case got
# instead of checking it, to write a new case.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
[ -n "$AGENT" ] || skip "no static cainit to bake (build the static one first)"
cases=$HERE/../bad-inputs
R=$SCRATCH/r
mkroot debian "$R"
mkca A
mkca Old --from -7200 --to -3600
mkca Later --from 3600 --to 7200
mkleaf L A
in=$SCRATCH/in

# make_input RECIPE: the bad input, in $in (a file, or for /init a body)
make_input() {
	rm -rf "$in"
	case $1 in
	key-pkcs8) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$in" 2>/dev/null ;;
	key-rsa | key-ec | key-encrypted | key-openssh)
		local label
		case $1 in
		key-rsa) label="RSA PRIVATE KEY" ;; key-ec) label="EC PRIVATE KEY" ;;
		key-encrypted) label="ENCRYPTED PRIVATE KEY" ;; key-openssh) label="OPENSSH PRIVATE KEY" ;;
		esac
		{ cat "$SCRATCH/A.pem"; echo "-----BEGIN $label-----"; echo QUJDRA==; echo "-----END $label-----"; } >"$in" ;;
	key-der) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER -out "$in" 2>/dev/null ;;
	key-and-cert) cat "$SCRATCH/A.pem" "$SCRATCH/A.key" >"$in" ;;
	truncated) head -n 5 "$SCRATCH/A.pem" >"$in" ;;
	bad-base64) sed '3s/^./*/' "$SCRATCH/A.pem" >"$in" ;;
	der-garbage) { printf '\x30\x82\x01\x00'; head -c 256 /dev/urandom; } >"$in" ;;
	der-trailing) { openssl x509 -in "$SCRATCH/A.pem" -outform DER; printf 'trailing'; } >"$in" ;;
	ber-bitstring) # the signature BIT STRING with padding bits set: BER that
		# libcrypto decodes (and re-encodes as other bytes), not DER
		openssl x509 -in "$SCRATCH/A.pem" -outform DER | python3 -c '
import sys
d = bytearray(sys.stdin.buffer.read())
def tlv(p):  # (header length, content length) of the TLV at p
	n = d[p + 1]
	if n < 0x80:
		return 2, n
	k = n & 0x7f
	return 2 + k, int.from_bytes(d[p + 2:p + 2 + k], "big")
h, _ = tlv(0)
p = h
for _ in range(2):  # tbsCertificate, signatureAlgorithm
	hh, n = tlv(p)
	p += hh + n
hh, n = tlv(p)
d[p + hh] = 1        # one unused bit...
d[p + hh + n - 1] |= 1  # ...which is set
sys.stdout.buffer.write(d)' >"$in" ;;
	nul-bytes) sed '3s/^\(....\)/\1\x00/' "$SCRATCH/A.pem" >"$in" ;;
	utf16) { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$SCRATCH/A.pem"; } >"$in" ;;
	empty) : >"$in" ;;
	too-large) head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '\n' >"$in" ;;
	ten-thousand) "$BUILD/tests/mkcert" --cn many --count 10000 --out "$in" ;;
	leaf) cp "$SCRATCH/L.pem" "$in" ;;
	no-cert-sign) "$BUILD/tests/mkcert" --cn "no cert sign" --key-usage "critical,digitalSignature,cRLSign" --out "$in" ;;
	expired) cp "$SCRATCH/Old.pem" "$in" ;;
	not-yet-valid) cp "$SCRATCH/Later.pem" "$in" ;;
	crl) printf -- '-----BEGIN X509 CRL-----\nMIIBAA==\n-----END X509 CRL-----\n' >"$in" ;;
	directory) mkdir "$in" ;;
	missing) ;;
	bad-set-name) cp "$SCRATCH/A.pem" "$in" ;;
	wrong-type) echo '{"caBundle": 42}' >"$in" ;;
	array) python3 -c 'import json, sys; print(json.dumps({"caBundle": [open(sys.argv[1]).read()]}))' "$SCRATCH/A.pem" >"$in" ;;
	deep-json) python3 -c 'print("{\"caBundle\": " + "[" * 100000 + "]" * 100000 + "}")' >"$in" ;;
	duplicate-keys) python3 -c 'import json, sys; p = json.dumps(open(sys.argv[1]).read()); print("{\"caBundle\": %s, \"caBundle\": %s}" % (p, p))' "$SCRATCH/A.pem" >"$in" ;;
	invalid-utf8) printf '{"caBundle": "\xff\xfe-----BEGIN CERTIFICATE-----"}' >"$in" ;;
	over-1mib) head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$in" ;;
	header-flood | wrong-token) init_body "$SCRATCH/A.pem" >"$in" ;;
	private-key) python3 -c 'import json, sys; print(json.dumps({"caBundle": open(sys.argv[1]).read() + open(sys.argv[2]).read()}))' "$SCRATCH/A.pem" "$SCRATCH/A.key" >"$in" ;;
	not-json) echo 'caBundle=-----BEGIN CERTIFICATE-----' >"$in" ;;
	http-bad-version) printf 'GET /health HTTP/1.-1\r\nHost: x\r\n\r\n' >"$in" ;;
	http-two-lengths) { printf 'POST /init HTTP/1.1\r\nX-Access-Token: %s\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n' "$token"
		printf '{}'; } >"$in" ;;
	http-nul-token) printf 'GET /ca HTTP/1.1\r\nX-Access-Token: %s\0anything\r\n\r\n' "$token" >"$in" ;;
	symlink-escape | read-only | full-disk | bake-escape | dynamic-agent | txn-fifo | txn-hardlink | bake-deep-root | \
		oci-deep-layer | oci-big-layer | oci-blobs-symlink | planted-certutil | oci-whiteout-symlink | oci-platform-not-manifest | oci-mode-not-number) cp "$SCRATCH/A.pem" "$in" ;;
	*) die "no recipe $1" ;;
	esac
}

token=catalogue-token
echo "$token" >"$SCRATCH/token"
AGENT_LOG=$SCRATCH/agent.log
start_agent --listen "127.0.0.1:$(free_port)" --root "$R" --token-file "$SCRATCH/token"
on_exit stop_agent

# run_case FRONT RECIPE: sets GOT_RC and GOT_MSG; WATCH is the directory whose
# every file must be unchanged
run_case() {
	local front=$1 recipe=$2 d
	WATCH=$R
	case $front in
	install)
		local name=()
		[ "$recipe" = bad-set-name ] && name=(--name ../../etc/x)
		GOT_RC=0
		"$CAINIT" install --root "$R" "${name[@]}" "$in" 2>"$SCRATCH/.err" >/dev/null || GOT_RC=$?
		GOT_MSG=$(cat "$SCRATCH/.err") ;;
	init)
		local hdr=(-H "X-Access-Token: $token")
		[ "$recipe" = wrong-token ] && hdr=(-H "X-Access-Token: not-$token")
		if [ "$recipe" = header-flood ]; then
			for d in $(seq 2000); do hdr+=(-H "X-Flood-$d: $d"); done
		fi
		GOT_RC=$(curl -s -o "$SCRATCH/.body" -w '%{http_code}' -X POST "${hdr[@]}" --data-binary "@$in" "$AGENT_URL/init")
		GOT_MSG=$(python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print("%s: %s" % (d["code"], d["error"]))
except Exception:
    print("(no JSON body)")' "$SCRATCH/.body") ;;
	root)
		local extra=()
		d=$SCRATCH/special
		mkdir -p "$d"
		case $recipe in
		symlink-escape)
			mkdir -p "$d/outside" "$d/root/etc/ssl"
			echo "not yours" >"$d/outside/ca-certificates.crt"
			ln -s "$d/outside" "$d/root/etc/ssl/certs"
			WATCH=$d/outside ;;
		read-only)
			mount -t tmpfs ro "$d" && mkroot debian "$d/root" && mount -o remount,ro "$d"
			WATCH=$d/root ;;
		full-disk)
			mount -t tmpfs -o size=2m full "$d" && mkroot debian "$d/root"
			head -c 4M /dev/zero >"$d/filler" 2>/dev/null || true
			WATCH=$d/root ;;
		txn-fifo)
			mkroot debian "$d/root" && mkdir -p "$d/root/etc/cainit"
			mkfifo "$d/root/etc/cainit/txn"
			WATCH=$d/root/usr/share ;;
		planted-certutil)
			# an NSS database, and as its certutil a static program that
			# tries to escape if anything ever runs it (tests/tools/escape.c)
			mkroot debian "$d/root" && mkdir -p "$d/root/etc/pki/nssdb" "$d/root/usr/bin" "$d/outside"
			certutil -N -d "sql:$d/root/etc/pki/nssdb" --empty-password
			cp "$(dirname "$AGENT")/tests/escape" "$d/root/usr/bin/certutil"
			echo "$d/outside/escaped" >"$d/root/escape-target"
			extra=(--nss)
			WATCH=$d/outside ;;
		txn-hardlink)
			mkroot debian "$d/root" && mkdir -p "$d/root/etc/cainit" "$d/root/keep"
			echo "someone else's" >"$d/root/keep/file"
			ln "$d/root/keep/file" "$d/root/etc/cainit/txn"
			WATCH=$d/root/keep ;;
		esac
		snap_before=$(content_snapshot "$WATCH")
		GOT_RC=0
		timeout 30 "$CAINIT" install --root "$d/root" "${extra[@]}" "$in" 2>"$SCRATCH/.err" >/dev/null || GOT_RC=$?
		[ ! -e "$d/root/CAINIT-RAN" ] || die "$recipe: a program from the root ran"
		GOT_MSG=$(sed "s|$d|\$SPECIAL|g" "$SCRATCH/.err") ;;
	http)
		# raw bytes, as they are, to the agent
		python3 "$HERE/../tools/rawreq.py" "${AGENT_URL##*:}" "$in" >"$SCRATCH/.raw"
		GOT_RC=$(sed -n '1s/^HTTP\/1\.1 \([0-9]*\) .*/\1/p' "$SCRATCH/.raw")
		GOT_MSG=$(sed -n 2p "$SCRATCH/.raw") ;;
	bake-oci)
		# a layout with one layer that needs no CA store, and a bad second one
		d=$SCRATCH/special
		mkdir -p "$d/tmp"
		python3 - "$d" "$recipe" <<'PY'
import io, sys, tarfile, gzip
d, recipe = sys.argv[1], sys.argv[2]
def tar(path, entries):
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, size in entries:
            ti = tarfile.TarInfo(name); ti.mode = 0o755 if kind == "d" else 0o644
            if kind == "d":
                ti.type = tarfile.DIRTYPE; t.addfile(ti)
            else:
                ti.size = size; t.addfile(ti, io.BytesIO(b"\0" * size))
tar(f"{d}/l1.tar", [("etc", "d", 0), ("etc/ssl", "d", 0), ("etc/ssl/certs", "d", 0), ("etc/ssl/certs/ca-certificates.crt", "f", 0)])
if recipe == "oci-deep-layer":
    tar(f"{d}/l2.tar", [("/".join(["d"] * i), "d", 0) for i in range(1, 301)])
elif recipe == "oci-whiteout-symlink":
    # an Alpine-style link to the bundle, then a layer that whites the link out
    with tarfile.open(f"{d}/l1.tar", "a") as t:
        ti = tarfile.TarInfo("etc/ssl/cert.pem"); ti.type = tarfile.SYMTYPE; ti.linkname = "certs/ca-certificates.crt"
        t.addfile(ti)
    tar(f"{d}/l2.tar", [("etc/ssl/.wh.cert.pem", "f", 0)])
elif recipe == "oci-mode-not-number":
    # a mode field of digits, a NUL and junk: Python reads 040, Go refuses
    tar(f"{d}/l2.tar", [("app", "f", 1)])
    raw = bytearray(open(f"{d}/l2.tar", "rb").read())
    raw[100:108] = b"40\0xyz\0\0"
    raw[148:156] = b" " * 8
    raw[148:155] = b"%06o\0" % sum(raw[:512])
    open(f"{d}/l2.tar", "wb").write(raw)
elif recipe == "oci-big-layer":
    tar(f"{d}/l2.raw", [("big", "f", 5 * 1024 * 1024)])
    open(f"{d}/l2.tar", "wb").write(gzip.compress(open(f"{d}/l2.raw", "rb").read(), mtime=0))
else:
    tar(f"{d}/l2.tar", [("app", "d", 0)])
PY
		python3 "$HERE/../tools/mkoci.py" make "$d/layout" t --raw-layer "$d/l1.tar" --raw-layer "$d/l2.tar"
		if [ "$recipe" = oci-blobs-symlink ]; then
			mv "$d/layout/blobs" "$d/blobs" && ln -s "$d/blobs" "$d/layout/blobs"
		fi
		if [ "$recipe" = oci-platform-not-manifest ]; then
			# tag t: an image index whose linux/amd64 entry says it is an index
			python3 - "$d/layout" <<'PY'
import hashlib, json, os, sys
l = sys.argv[1]
idx = json.load(open(f"{l}/index.json"))
m = idx["manifests"][0]
data = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": m["digest"], "size": m["size"],
     "platform": {"os": "linux", "architecture": os.uname().machine.replace("x86_64", "amd64").replace("aarch64", "arm64")}}]}).encode()
h = hashlib.sha256(data).hexdigest()
open(f"{l}/blobs/sha256/{h}", "wb").write(data)
idx["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h,
                     "size": len(data), "annotations": {"org.opencontainers.image.ref.name": "t"}}]
json.dump(idx, open(f"{l}/index.json", "w"))
PY
		fi
		WATCH=$d/layout
		if [ "$recipe" = oci-whiteout-symlink ]; then
			# (a bake that works writes the layout: what must not change is
			# the base's layers)
			mkdir -p "$d/base-blobs" && cp "$d/layout/blobs/sha256/"* "$d/base-blobs/"
			WATCH=$d/base-blobs
		fi
		snap_before=$(content_snapshot "$WATCH")
		GOT_RC=0
		TMPDIR=$d/tmp "$CAINIT" bake --oci "$d/layout:t" --tag baked --agent "$AGENT" --ca "$in" --max-layer-size 4M \
			2>"$SCRATCH/.err" >/dev/null || GOT_RC=$?
		[ -z "$(ls -A "$d/tmp")" ] || die "$recipe: scratch left behind"
		if [ "$recipe" = oci-whiteout-symlink ] && [ "$GOT_RC" = 0 ]; then
			umoci unpack --image "$d/layout:baked" "$d/baked" >/dev/null 2>&1 || die "$recipe: umoci cannot unpack"
			grep -q "^# cainit set=default" "$d/baked/rootfs/etc/ssl/certs/ca-certificates.crt" ||
				die "$recipe: the baked image's real bundle lacks the CA"
		fi
		GOT_MSG=$(sed "s|$d|\$SPECIAL|g" "$SCRATCH/.err") ;;
	bake)
		local agent=$AGENT r=$R
		[ "$recipe" = dynamic-agent ] && agent=$(command -v openssl)
		if [ "$recipe" = bake-deep-root ]; then
			d=$SCRATCH/special
			mkroot debian "$d/root"
			python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for _ in range(300):
    os.mkdir("d", dir_fd=fd); n = os.open("d", os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n' "$d/root"
			r=$d/root WATCH=$d/root
			snap_before=$(content_snapshot "$WATCH")
		fi
		if [ "$recipe" = bake-escape ]; then
			d=$SCRATCH/special
			mkdir -p "$d/outside" "$d/root/usr"
			ln -s "$d/outside" "$d/root/usr/local"
			r=$d/root WATCH=$d/outside
			snap_before=$(content_snapshot "$WATCH")
		fi
		GOT_RC=0
		"$CAINIT" bake --rootfs "$r" --agent "$agent" --ca "$in" 2>"$SCRATCH/.err" >/dev/null || GOT_RC=$?
		GOT_MSG=$(sed "s|$agent|\$AGENT|g; s|${d:-/nonexistent}|\$SPECIAL|g" "$SCRATCH/.err")
		[ "$recipe" = bake-escape ] && [ ! -e "$d/root/usr/local/bin/cainit" ] && [ -f "$d/outside/bin/cainit" ] &&
			die "bake followed /usr/local out of the root" ;;
	esac
	GOT_MSG=$(sed "s|$in|\$IN|g; s|$R|\$ROOT|g" <<<"$GOT_MSG")
}

n=0
for c in "$cases"/*.case; do
	front=$(sed -n 's/^front: //p' "$c") recipe=$(sed -n 's/^input: //p' "$c")
	want_rc=$(sed -n 's/^rc: //p' "$c") want_msg=$(sed -n 's/^message: //p' "$c")
	want_glob=$(sed -n 's/^message-glob: //p' "$c")
	make_input "$recipe"
	snap_before=$(content_snapshot "$R")
	run_case "$front" "$recipe"
	if [ "${CATALOGUE_RECORD:-}" = 1 ]; then
		echo "$(basename "$c"): rc=$GOT_RC message=$GOT_MSG"
	else
		[ "$GOT_RC" = "$want_rc" ] || die "$(basename "$c"): exit/status $GOT_RC, want $want_rc: $GOT_MSG"
		if [ -n "$want_glob" ]; then
			# shellcheck disable=SC2053 # the pattern is meant to match
			[[ $GOT_MSG == $want_glob ]] || die "$(basename "$c"): message
  got:  $GOT_MSG
  want: $want_glob"
		else
			[ "$GOT_MSG" = "$want_msg" ] || die "$(basename "$c"): message
  got:  $GOT_MSG
  want: $want_msg"
		fi
	fi
	[ "$(content_snapshot "$WATCH")" = "$snap_before" ] || die "$(basename "$c"): files under $WATCH changed"
	if [ -d "$SCRATCH/special" ]; then
		umount "$SCRATCH/special" 2>/dev/null || true
		rm -rf "$SCRATCH/special"
	fi
	n=$((n + 1))
done
kill -0 "$AGENT_PID" || die "the agent died during the catalogue"
note "$n bad inputs: each answered as catalogued, every trust file byte-identical"
