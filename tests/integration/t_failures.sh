# Read-only roots, full filesystems and missing permissions: one line naming
# the path and the errno, exit 1, and every file as it was.
mkca A
mkca B

# --- read-only ---
r=$SCRATCH/ro
mkroot debian "$r"
mount --bind "$r" "$r"
mount -o remount,bind,ro "$r"
before=$(snapshot "$r")
expect_rc 1 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_err "$r/etc/cainit: mkdir: Read-only file system"
[ "$(wc -l <<<"$ERR")" = 1 ] || die "one line"
[ "$(snapshot "$r")" = "$before" ] || die "files changed on a read-only root"
# installed while writable, then read-only: the same CA is a no-op and succeeds,
# another CA fails cleanly
mount -o remount,bind,rw "$r"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
mount -o remount,bind,ro "$r"
before=$(snapshot "$r")
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 1 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
expect_err "Read-only file system"
expect_rc 1 "$CAINIT" remove --root "$r" --all
expect_err "Read-only file system"
[ "$(snapshot "$r")" = "$before" ] || die "files changed on a read-only root"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/A.pem"

# --- full filesystem (a tiny tmpfs) ---
tiny=$SCRATCH/tiny
mkdir -p "$tiny"
mount -t tmpfs -o size=2m tiny "$tiny"
mkroot debian "$tiny/r"
expect_rc 0 "$CAINIT" install --root "$tiny/r" "$SCRATCH/A.pem"
dd if=/dev/zero of="$tiny/filler" bs=4k 2>/dev/null || true
before=$(snapshot "$tiny/r")
expect_rc 1 "$CAINIT" install --root "$tiny/r" "$SCRATCH/B.pem"
expect_err "No space left on device"
expect_err "$tiny/r/"
[ "$(snapshot "$tiny/r")" = "$before" ] || die "files changed on a full filesystem"
if find "$tiny/r" -name '*.cainit-tmp' | grep -q .; then die "temp files left"; fi
expect_rc 0 "$CAINIT" verify --root "$tiny/r" "$SCRATCH/A.pem"
rm "$tiny/filler"
expect_rc 0 "$CAINIT" install --root "$tiny/r" "$SCRATCH/B.pem"

# --- no permission (an unprivileged user on a root-owned tree) ---
r=$SCRATCH/perm
mkroot debian "$r"
chmod 0755 "$SCRATCH" "$WORK" 2>/dev/null || true
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
before=$(snapshot "$r")
expect_rc 1 as_nobody "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_err "$r/etc/cainit: mkdir: Permission denied"
mkdir -p "$r/etc/cainit/sets"
before=$(snapshot "$r")
expect_rc 1 as_nobody "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_err "Permission denied"
[ "$(snapshot "$r")" = "$before" ] || die "files changed without permission"
