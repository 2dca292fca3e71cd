# cainit applies image layers exactly as a container runtime does. Each case
# of tests/tools/layercases.py (whiteouts of symlinks, files and directories
# over symlinks, opaque markers under symlinked paths and beside entries of
# their own layer, absolute and climbing parents, hard links to symlinks) is
# unpacked by umoci, the reference (Debian's package), and by cainit's
# applier (tests/tools/unpack_tree, src/unpack.c): the two trees must be the
# same, entry for entry (type, permissions, owner, link target, content).
# Then bake --oci of the Alpine-style cases, unpacked by umoci: the image's
# real bundle holds the distro's bytes and the CA, and no file outside the
# layers' own changed.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
command -v umoci >/dev/null || die "umoci missing (scripts/deps.sh installs it)"
CASES="python3 $HERE/../tools/layercases.py"
MKOCI="python3 $HERE/../tools/mkoci.py"
n=0
for c in $($CASES names); do
	d=$SCRATCH/$c
	mkdir -p "$d/mine"
	$CASES make "$c" "$d"
	layers=()
	for l in "$d"/l*.tar; do layers+=(--raw-layer "$l"); done
	$MKOCI make "$d/layout" t "${layers[@]}"
	umoci unpack --image "$d/layout:t" "$d/ref" >/dev/null 2>"$d/umoci.err" || die "$c: umoci: $(cat "$d/umoci.err")"
	"$BUILD/tests/unpack_tree" "$d/mine" "$d"/l*.tar >/dev/null 2>"$d/mine.err" || die "$c: cainit: $(cat "$d/mine.err")"
	$CASES tree "$d/ref/rootfs" >"$d/ref.txt"
	$CASES tree "$d/mine" >"$d/mine.txt"
	diff -u "$d/ref.txt" "$d/mine.txt" >"$d/diff" || die "$c: cainit's tree differs from umoci's:
$(cat "$d/diff")"
	n=$((n + 1))
done
note "$n layer cases: cainit's trees are umoci's, entry for entry"

# bake through the same cases: what a runtime unpacks of the baked image
# trusts the CA in the image's real bundle, whose distro bytes stay
[ -n "$AGENT" ] || skip "no static cainit to bake (build the static one first)"
mkca A
for c in whiteout-of-symlink file-over-symlink; do
	d=$SCRATCH/$c
	expect_rc 0 "$CAINIT" bake --oci "$d/layout:t" --tag baked --agent "$AGENT" --ca "$SCRATCH/A.pem"
	umoci unpack --image "$d/layout:baked" "$d/baked" >/dev/null 2>"$d/umoci.err" || die "$c: umoci: $(cat "$d/umoci.err")"
	real=$d/baked/rootfs/etc/ssl/certs/ca-certificates.crt
	[ -f "$real" ] && [ ! -L "$real" ] || die "$c: the baked image has no real bundle"
	head -n1 "$real" | grep -qx "the distro's bundle" || die "$c: the real bundle lost its bytes: $(head -n2 "$real")"
	grep -q "^# cainit set=default sha256=$(fp_of "$SCRATCH/A.pem")" "$real" || die "$c: the real bundle lacks the CA"
	case $c in
	whiteout-of-symlink) [ ! -e "$d/baked/rootfs/etc/ssl/cert.pem" ] || die "$c: cert.pem came back" ;;
	file-over-symlink)
		head -n1 "$d/baked/rootfs/etc/ssl/cert.pem" | grep -qx "a bundle of its own" || die "$c: cert.pem's bytes"
		grep -q "^# cainit set=default" "$d/baked/rootfs/etc/ssl/cert.pem" || die "$c: cert.pem lacks the CA" ;;
	esac
done
note "bake --oci of the symlink cases: the real bundle keeps its bytes and gains the CA, as umoci unpacks it"
