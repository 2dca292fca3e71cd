# Bundles and store directories on other filesystems: a bundle that is a
# bind-mounted file (rename gives EBUSY: cainit rewrites it in place), and
# /etc/ssl/certs as its own tmpfs mount (renames stay inside it).
mkca A
mkca B
mkleaf LA A
mkleaf LB B

# --- the bundle is a bind-mounted file from another filesystem ---
r=$SCRATCH/r
mkroot debian "$r"
bundle=$r/etc/ssl/certs/ca-certificates.crt
mkdir -p "$SCRATCH/other"
mount -t tmpfs other "$SCRATCH/other"
cp "$bundle" "$SCRATCH/other/bundle.crt"
cp "$bundle" "$SCRATCH/orig.crt"
mount --bind "$SCRATCH/other/bundle.crt" "$bundle"
ino=$(stat -c %i "$bundle")
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
mountpoint -q "$bundle" || die "bind mount lost"
[ "$(stat -c %i "$bundle")" = "$ino" ] || die "bundle inode changed"
assert_same "$bundle" "$SCRATCH/other/bundle.crt"
openssl verify -CAfile "$bundle" "$SCRATCH/LA.pem" >/dev/null || die "A not trusted through the mounted bundle"
ls -a "$r/etc/ssl/certs" | grep -q cainit-tmp && die "temp file left beside the mounted bundle"
# rotate (shorter and longer contents), two sets, then restore
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
openssl verify -CAfile "$bundle" "$SCRATCH/LB.pem" >/dev/null || die "B not trusted after rotation"
openssl verify -CAfile "$bundle" "$SCRATCH/LA.pem" >/dev/null 2>&1 && die "A still trusted after rotation"
expect_rc 0 "$CAINIT" install --root "$r" --name two "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --name default
[ "$(count_certs "$bundle")" = $(( $(count_of "$SCRATCH/orig.crt") + 1 )) ] || die "count after shrinking in place"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --all
assert_same "$bundle" "$SCRATCH/orig.crt"
[ "$(stat -c %i "$bundle")" = "$ino" ] || die "bundle inode changed"

# the mounted bundle's filesystem fills up: the rotation fails in its commit
# phase, after other stores were already swapped, and the rollback puts
# every file back exactly (same inode, same mtime)
full=$SCRATCH/full
mkdir -p "$full"
mount -t tmpfs -o size=1m full "$full"
cp "$SCRATCH/orig.crt" "$full/bundle.crt"
r2=$SCRATCH/r2
mkroot debian "$r2"
mount --bind "$full/bundle.crt" "$r2/etc/ssl/certs/ca-certificates.crt"
expect_rc 0 "$CAINIT" install --root "$r2" "$SCRATCH/A.pem"
dd if=/dev/zero of="$full/filler" bs=4k 2>/dev/null || true
for i in 1 2 3 4 5 6 7 8; do "$MKCERT" --cn "growing $i" --out "$SCRATCH/g$i.pem"; done
cat "$SCRATCH"/g?.pem > "$SCRATCH/grow.pem" # more than a page of growth
before=$(snapshot "$r2")
expect_rc 1 "$CAINIT" install --root "$r2" "$SCRATCH/grow.pem"
expect_err "$r2/etc/ssl/certs/ca-certificates.crt: "
expect_err "No space left on device"
[ "$(snapshot "$r2")" = "$before" ] || die "files changed after a failed in-place install"

# --- /etc/ssl/certs is its own tmpfs (bundle and hashed dir on another device) ---
r3=$SCRATCH/r3
mkroot debian "$r3"
mkdir -p "$SCRATCH/certs-copy"
cp -a "$r3/etc/ssl/certs/." "$SCRATCH/certs-copy/"
mount -t tmpfs certs "$r3/etc/ssl/certs"
cp -a "$SCRATCH/certs-copy/." "$r3/etc/ssl/certs/"
before=$(content_snapshot "$r3")
expect_rc 0 "$CAINIT" install --root "$r3" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" verify --root "$r3" "$SCRATCH/LA.pem"
[ -f "$r3/usr/local/share/ca-certificates/cainit.default.crt" ] || die "anchor on the other device"
expect_rc 0 "$CAINIT" install --root "$r3" "$SCRATCH/B.pem"
expect_rc 0 "$CAINIT" verify --root "$r3" "$SCRATCH/LB.pem"
expect_rc 0 "$CAINIT" remove --root "$r3" --all
[ "$(content_snapshot "$r3")" = "$before" ] || die "not restored"
