# Nothing under --root can make cainit read or write outside it: absolute
# symlinks, "../" chains and symlinked parent directories all resolve
# inside the root, as they would for the root's own processes.
mkca A
out=$SCRATCH/outside
mkdir -p "$out/etc/ssl/certs" "$out/anchors" "$out/cainit"
mkroot debian "$SCRATCH/decoy"
cp "$SCRATCH/decoy/etc/ssl/certs/ca-certificates.crt" "$out/etc/ssl/certs/ca-certificates.crt"
cp "$SCRATCH/decoy/etc/ssl/certs/ca-certificates.crt" "$out/bundle.crt"
outside_before=$(snapshot "$out")

# 1. the bundle is an absolute symlink to the host's path of the decoy
r=$SCRATCH/r1
mkroot debian "$r"
rm "$r/etc/ssl/certs/ca-certificates.crt"
ln -s "$out/bundle.crt" "$r/etc/ssl/certs/ca-certificates.crt"
# 2. a ../ chain for the Debian alias, 3. a symlinked parent dir for anchors
ln -sf ../../../../../../../../../../"$out"/bundle.crt "$r/usr/lib/ssl/cert.pem"
rm -rf "$r/usr/local/share/ca-certificates"
ln -s "$out/anchors" "$r/usr/local/share/ca-certificates"
# 4. cainit's own directory planted as a link to the outside
ln -s ../../../../../../../"$out"/cainit "$r/etc/cainit"
"$CAINIT" install --root "$r" "$SCRATCH/A.pem" || true
"$CAINIT" status --root "$r" >/dev/null || true
"$CAINIT" verify --root "$r" "$SCRATCH/A.pem" >/dev/null || true
"$CAINIT" remove --root "$r" --all || true
[ "$(snapshot "$out")" = "$outside_before" ] || die "files outside the root changed (case 1-4)"
# what the links mean inside the root is where cainit writes: the bundle
# link dangles there, so the root counts as having no store (cainit's own
# bundle goes where the link points, inside the root)
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
[ "$(count_certs "$r$out/bundle.crt")" = 1 ] || die "bundle not written inside the root"
[ -f "$r$out/cainit/sets/default.pem" ] || die "set file not written inside the root"
# once the anchor link's target exists inside the root, it is used
mkdir -p "$r$out/anchors"
expect_rc 0 "$CAINIT" install --root "$r" --name second "$SCRATCH/A.pem"
[ -f "$r$out/anchors/cainit.second.crt" ] || die "anchor not written inside the root"
[ "$(snapshot "$out")" = "$outside_before" ] || die "files outside the root changed (install)"

# 5. /etc/ssl itself is a link that climbs out ("../../..")
r=$SCRATCH/r2
mkroot debian "$r"
rm -rf "$r/etc/ssl"
ln -s ../../../../../../../../"$out"/etc/ssl "$r/etc/ssl"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
[ "$(snapshot "$out")" = "$outside_before" ] || die "files outside the root changed (case 5)"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(snapshot "$out")" = "$outside_before" ] || die "files outside the root changed (case 5, remove)"

# 6. a symlink loop where a store should be: an error naming the path, nothing written
r=$SCRATCH/r3
mkroot debian "$r"
rm -rf "$r/usr/local/share/ca-certificates"
ln -s loop "$r/usr/local/share/loop"
ln -s loop "$r/usr/local/share/ca-certificates"
before=$(snapshot "$r")
expect_rc 1 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_err "usr/local/share"
expect_err "Too many levels of symbolic links"
[ "$(snapshot "$r")" = "$before" ] || die "files changed after a failed install (loop)"

# 7. a FIFO planted as the bundle does not hang cainit
r=$SCRATCH/r4
mkroot debian "$r"
rm "$r/etc/ssl/certs/ca-certificates.crt"
mkfifo "$r/etc/ssl/certs/ca-certificates.crt"
expect_rc 1 timeout 10 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_err "$r/etc/ssl/certs/ca-certificates.crt: not a regular file"
[ -p "$r/etc/ssl/certs/ca-certificates.crt" ] || die "the FIFO was replaced"
[ "$(snapshot "$out")" = "$outside_before" ] || die "files outside the root changed"
