# What a hostile image can throw at bake: trees so deep that a recursive
# walk would overflow the stack, layers that unpack to more than the caps,
# a layout whose blobs are a symlink, an image unpacked without privilege
# whose directories are 0555, and a bake interrupted by a signal. Each is a
# clear refusal (or a success), never a crash; the layout is left as it
# was; and no scratch directory is ever left behind.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
[ -n "$AGENT" ] || skip "no static cainit to bake (build the static one first)"
MKOCI="python3 $HERE/../tools/mkoci.py"
mkca A
tmp=$SCRATCH/bake-tmp
mkdir -p "$tmp"
export TMPDIR=$tmp
no_scratch() { [ -z "$(ls -A "$tmp")" ] || die "$1: scratch left behind: $(ls -A "$tmp")"; }
# deep DIR N: N nested directories "d" under DIR, a file at the bottom
deep() {
	python3 - "$1" "$2" <<'PY'
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
fd = os.open(sys.argv[1], os.O_RDONLY)
for _ in range(int(sys.argv[2])):
    os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
os.close(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
PY
}
# layer FILE SPEC...: a plain tar; SPEC is d:PATH:MODE, f:PATH:MODE:SIZE (zeros), or deep:N
layer() {
	python3 - "$@" <<'PY'
import io, sys, tarfile
out, specs = sys.argv[1], sys.argv[2:]
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    for s in specs:
        kind, _, rest = s.partition(":")
        if kind == "deep":
            n = int(rest)
            for i in range(1, n + 1):
                ti = tarfile.TarInfo("/".join(["d"] * i)); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
            continue
        parts = rest.split(":")
        ti = tarfile.TarInfo(parts[0]); ti.mode = int(parts[1], 8)
        if kind == "d":
            ti.type = tarfile.DIRTYPE; t.addfile(ti)
        else:
            size = int(parts[2]) if len(parts) > 2 else 0
            ti.size = size
            t.addfile(ti, io.BytesIO(b"\0" * size))
PY
}
bundle_layer() { layer "$1" d:etc:755 d:etc/ssl:755 d:etc/ssl/certs:755 f:etc/ssl/certs/ca-certificates.crt:644:0; }
layout_state() { (cd "$1" && find . -printf '%p %y %s\n' | sort && cat index.json); }

# 1. a root 1,000 directories deep: refused, nothing written
r=$SCRATCH/deep-root
mkroot debian "$r"
deep "$r/usr/share/x" 1000
before=$(cd "$r" && find . -maxdepth 3 -printf '%p %y %T@\n' | sort)
expect_rc 2 "$CAINIT" bake --rootfs "$r" --agent "$AGENT" --ca "$SCRATCH/A.pem"
expect_err "deeper than 256 directories"
[ "$(wc -l <<<"$ERR")" = 1 ] || die "one line: $ERR"
[ "$(cd "$r" && find . -maxdepth 3 -printf '%p %y %T@\n' | sort)" = "$before" ] || die "the deep root changed"
# 250 deep is fine, even with few file descriptors to spare
rm -rf "$r/usr/share/x"
deep "$r/usr/share/x" 250
expect_rc 0 prlimit --nofile=320 "$CAINIT" bake --rootfs "$r" --agent "$AGENT" --ca "$SCRATCH/A.pem"
note "a root 1,000 directories deep: refused in one line; 250 deep: baked with 320 file descriptors"

# 2. a layer 1,000 directories deep: refused, the layout untouched, no scratch
L=$SCRATCH/deep-layout
bundle_layer "$SCRATCH/base.tar"
layer "$SCRATCH/deep.tar" deep:1000
$MKOCI make "$L" t --raw-layer "$SCRATCH/base.tar" --raw-layer "$SCRATCH/deep.tar"
before=$(layout_state "$L")
expect_rc 2 "$CAINIT" bake --oci "$L:t" --tag baked --agent "$AGENT" --ca "$SCRATCH/A.pem"
expect_err "deeper than 255 directories"
[ "$(layout_state "$L")" = "$before" ] || die "a refused bake changed the layout"
no_scratch "a deep layer"

# 3. the caps on what layers unpack to
L=$SCRATCH/big-layout
layer "$SCRATCH/big.tar" f:big:644:$((24 * 1024 * 1024))
layer "$SCRATCH/mid.tar" f:mid:644:$((10 * 1024 * 1024))
gzip -9 -c "$SCRATCH/big.tar" >"$SCRATCH/big.tar.gz"
$MKOCI make "$L" bomb --raw-layer "$SCRATCH/base.tar" --raw-layer "$SCRATCH/big.tar.gz"
$MKOCI make "$L" two --raw-layer "$SCRATCH/base.tar" --raw-layer "$SCRATCH/mid.tar" --raw-layer "$SCRATCH/mid.tar"
before=$(layout_state "$L")
expect_rc 2 "$CAINIT" bake --oci "$L:bomb" --tag baked --agent "$AGENT" --ca "$SCRATCH/A.pem" --max-layer-size 16M
expect_err "the layer is larger than 16 MiB unpacked (raise it with --max-layer-size)"
no_scratch "a layer over its cap"
expect_rc 2 "$CAINIT" bake --oci "$L:two" --tag baked --agent "$AGENT" --ca "$SCRATCH/A.pem" --max-image-size 16M
expect_err "the image is larger than 16 MiB unpacked (raise it with --max-image-size)"
no_scratch "an image over its cap"
[ "$(layout_state "$L")" = "$before" ] || die "a refused bake changed the layout"
expect_rc 0 "$CAINIT" bake --oci "$L:two" --tag baked --agent "$AGENT" --ca "$SCRATCH/A.pem" --max-image-size 32M
no_scratch "a bake within its caps"
expect_rc 2 "$CAINIT" bake --oci "$L:two" --tag baked --agent "$AGENT" --max-image-size 12X
expect_err "a size like 512M or 8G"
note "a 24 MiB layer (24 KiB gzip) over a 16M layer cap, 20 MiB of layers over a 16M image cap: refused, no scratch"

# 4. blobs (or blobs/sha256) a symlink: refused, nothing written through it
for which in blobs blobs/sha256; do
	L=$SCRATCH/link-layout-${which%%/*}${which#blobs}
	$MKOCI make "$L" t --raw-layer "$SCRATCH/base.tar"
	mv "$L/$which" "$SCRATCH/elsewhere"
	ln -s "$SCRATCH/elsewhere" "$L/$which"
	before=$(cd "$SCRATCH/elsewhere" && find . | sort)
	expect_rc 2 "$CAINIT" bake --oci "$L:t" --tag baked --agent "$AGENT"
	expect_err "$L/$which: a symbolic link: blobs are never read or written through one"
	[ "$(cd "$SCRATCH/elsewhere" && find . | sort)" = "$before" ] || die "bake wrote through $which"
	rm -rf "$SCRATCH/elsewhere"
done
no_scratch "a symlinked blobs"

# 5. without privilege, an image whose directories are 0555 (Fedora's
# /usr/bin): baked, and no scratch left (it could not be removed before)
L=$SCRATCH/ro-layout
layer "$SCRATCH/ro.tar" d:etc:755 d:etc/ssl:555 d:etc/ssl/certs:555 f:etc/ssl/certs/ca-certificates.crt:444:0 \
	d:usr:755 d:usr/bin:555 f:usr/bin/tool:555:10
$MKOCI make "$L" t --raw-layer "$SCRATCH/ro.tar"
chown -R 65534:65534 "$L" "$tmp"
chmod 0755 "$SCRATCH" "$WORK"
cp "$AGENT" "$SCRATCH/agent" && cp "$SCRATCH/A.pem" "$SCRATCH/A-copy.pem" && chmod 0644 "$SCRATCH/A-copy.pem"
expect_rc 0 setpriv --reuid=65534 --regid=65534 --clear-groups env TMPDIR="$tmp" \
	"$CAINIT" bake --oci "$L:t" --tag baked --agent "$SCRATCH/agent" --ca "$SCRATCH/A-copy.pem"
no_scratch "an unprivileged bake of 0555 directories"
umoci unpack --image "$L:baked" "$SCRATCH/ro-baked" >/dev/null 2>&1 || die "umoci cannot unpack the baked image"
grep -q "^# cainit set=default" "$SCRATCH/ro-baked/rootfs/etc/ssl/certs/ca-certificates.crt" || die "the baked bundle lacks the CA"
[ "$(stat -c %a "$SCRATCH/ro-baked/rootfs/usr/bin")" = 555 ] || die "usr/bin is not 0555 in the baked image"
note "unprivileged, 0555 directories: baked (the image keeps its modes), no scratch left"

# 6. SIGTERM and SIGINT while the work is under way: the scratch goes, and
# bake ends by that signal (the work is slowed by strace so that it is
# surely under way: every write waits 100 ms)
L=$SCRATCH/sig-layout
layer "$SCRATCH/slow.tar" f:slow:644:$((4 * 1024 * 1024))
$MKOCI make "$L" t --raw-layer "$SCRATCH/base.tar" --raw-layer "$SCRATCH/slow.tar"
for sig in TERM INT; do
	strace -f -qq -o /dev/null -e trace=write -e inject=write:delay_enter=100000 \
		"$CAINIT" bake --oci "$L:t" --tag baked --agent "$AGENT" --ca "$SCRATCH/A.pem" 2>"$SCRATCH/sig.err" &
	tracer=$!
	for i in $(seq 1 600); do [ -e "$(ls -d "$tmp"/cainit-bake.*/root/slow 2>/dev/null | head -n1)" ] && break; sleep 0.05; done
	[ -n "$(ls -A "$tmp")" ] || die "SIG$sig: the bake never got under way"
	bake=$(pgrep -P "$tracer" -x cainit) || die "no bake to signal"
	kill -"$sig" "$bake"
	rc=0
	wait "$tracer" || rc=$?
	[ "$rc" = $((128 + $(kill -l "$sig"))) ] || die "SIG$sig: bake ended with $rc, not by the signal: $(cat "$SCRATCH/sig.err")"
	no_scratch "SIG$sig"
done
note "SIGTERM and SIGINT in the middle of an unpack: the scratch removed, bake ends by the signal"
