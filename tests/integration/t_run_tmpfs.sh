# `cainit run --tmpfs` on the host's own Debian store (in this test's
# namespace, over copies of /etc and /usr/local/share/ca-certificates): the
# whole /etc/ssl/certs directory, links, modes and subdirectories included,
# is copied onto a tmpfs mounted over it (and the anchor directory and
# /etc/cainit); the disk underneath is never written; a second run mounts
# nothing; the real update-ca-certificates works afterwards and keeps the
# CA. Without the privilege to mount: a warning, and the CA is installed
# anyway. Where the new mount API is missing, mount(2) does the same.
[ "$FS" = disk ] || skip "needs directories that are not tmpfs already"
command -v update-ca-certificates >/dev/null || die "update-ca-certificates missing (package ca-certificates)"
command -v setpriv >/dev/null || die "setpriv missing (package util-linux)"
command -v strace >/dev/null || die "strace is missing (scripts/deps.sh installs it)"
# (LeakSanitizer cannot run under ptrace: the strace runs below)
strace_asan() { env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace "$@"; }

mkdir -p "$SCRATCH/etc" "$SCRATCH/local-cas"
cp -a /etc/. "$SCRATCH/etc/"
cp -a /usr/local/share/ca-certificates/. "$SCRATCH/local-cas/"
mount --bind "$SCRATCH/etc" /etc
mount --bind "$SCRATCH/local-cas" /usr/local/share/ca-certificates
cover_host_pythons
mkdir -p /etc/ssl/certs/java-like && echo keep > /etc/ssl/certs/java-like/file && chmod 640 /etc/ssl/certs/java-like/file

fstype() { stat -f -c %T "$1"; }
mounts() { wc -l < /proc/self/mountinfo; }
mkca A
mkleaf L A

before=$(snapshot /etc/ssl/certs)
[ "$(fstype /etc/ssl/certs)" != tmpfs ] || die "/etc/ssl/certs is already tmpfs"
expect_rc 0 "$CAINIT" run --tmpfs -- true
expect_err "/etc/ssl/certs is now on tmpfs"
for d in /etc/ssl/certs /usr/local/share/ca-certificates /etc/cainit; do
	[ "$(fstype "$d")" = tmpfs ] || die "$d is on $(fstype "$d")"
done
# (inode numbers differ on the copy: compare everything else)
strip_inode() { awk '{ $4 = ""; print }'; }
[ "$(snapshot /etc/ssl/certs | strip_inode)" = "$(strip_inode <<<"$before")" ] ||
	die "the tmpfs copy differs: $(diff <(strip_inode <<<"$before") <(snapshot /etc/ssl/certs | strip_inode) | head)"
n=$(mounts)
expect_rc 0 "$CAINIT" run --tmpfs --ca "$SCRATCH/A.pem" -- true
expect_err "already on tmpfs"
[ "$(mounts)" = "$n" ] || die "a second --tmpfs mounted again"
grep -q "set=default" /etc/ssl/certs/ca-certificates.crt || die "CA not in the bundle"
! grep -q "set=default" "$SCRATCH/etc/ssl/certs/ca-certificates.crt" || die "the install reached the disk underneath"
[ ! -e "$SCRATCH/local-cas/cainit.default.crt" ] || die "the anchor reached the disk underneath"
note "/etc/ssl/certs copied whole onto tmpfs; writes stay off the disk; idempotent"

# the distro's own tool afterwards: it renames inside the directory
update-ca-certificates >"$SCRATCH/uca.log" 2>&1 || die "update-ca-certificates: $(cat "$SCRATCH/uca.log")"
update-ca-certificates --fresh >"$SCRATCH/uca.log" 2>&1 || die "update-ca-certificates --fresh: $(cat "$SCRATCH/uca.log")"
expect_rc 0 "$CAINIT" verify "$SCRATCH/L.pem"
port=$(free_port)
openssl s_server -quiet -no-CAfile -no-CApath -no-CAstore -accept "127.0.0.1:$port" \
	-cert "$SCRATCH/L.pem" -key "$SCRATCH/L.key" -www >/dev/null 2>&1 &
on_exit "kill $!"
wait_until 60 listening "$port" || die "nothing listens on $port"
curl -sS --max-time 5 -o /dev/null "https://localhost:$port/" || die "curl after update-ca-certificates on tmpfs"
[ "$(fstype /etc/ssl/certs)" = tmpfs ] || die "no longer tmpfs"
note "update-ca-certificates (plain and --fresh) on the tmpfs: CA kept, curl handshake OK"

# without the privilege to mount: warn, go on, install on the disk
r=$SCRATCH/np
mkroot debian "$r"
expect_rc 0 setpriv --bounding-set -sys_admin "$CAINIT" run --root "$r" --tmpfs --ca "$SCRATCH/A.pem" -- true
expect_err "no privilege to mount"
[ "$(fstype "$r/etc/ssl/certs")" != tmpfs ] || die "mounted without the privilege"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"
note "without CAP_SYS_ADMIN: a warning, the CA installed on the disk"

# no new mount API (older kernels, gVisor): mount(2), then the copy
r=$SCRATCH/old
mkroot debian "$r"
before=$(snapshot "$r/etc/ssl/certs")
strace_asan -qq -o /dev/null -e trace=fsopen -e inject=fsopen:error=ENOSYS \
	"$CAINIT" run --root "$r" --tmpfs -- true 2>"$SCRATCH/old.err" || die "fallback: $(cat "$SCRATCH/old.err")"
[ "$(fstype "$r/etc/ssl/certs")" = tmpfs ] || die "fallback did not mount"
[ "$(snapshot "$r/etc/ssl/certs" | strip_inode)" = "$(strip_inode <<<"$before")" ] || die "fallback copy differs"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"
note "without fsopen(2): mount(2) and the same copy"

# a copy that fails half-way (ENOSPC injected): the directory is left as
# it was, not mounted, with either API; the command still runs
for api in new old; do
	r=$SCRATCH/fail-$api
	mkroot debian "$r"
	before=$(snapshot "$r/etc/ssl/certs")
	inject=(-e inject=symlinkat:error=ENOSPC:when=5)
	[ "$api" = old ] && inject+=(-e inject=fsopen:error=ENOSYS)
	strace_asan -qq -o /dev/null -e trace=fsopen,symlinkat "${inject[@]}" \
		"$CAINIT" run --root "$r" --tmpfs -- touch "$SCRATCH/ran-$api" 2>"$SCRATCH/fail.err" ||
		die "$api API: a failed copy stopped the run: $(cat "$SCRATCH/fail.err")"
	grep -q "No space left on device" "$SCRATCH/fail.err" || die "$api API: no warning: $(cat "$SCRATCH/fail.err")"
	[ -e "$SCRATCH/ran-$api" ] || die "$api API: the command did not run"
	[ "$(fstype "$r/etc/ssl/certs")" != tmpfs ] || die "$api API: half-filled tmpfs left mounted"
	[ "$(snapshot "$r/etc/ssl/certs")" = "$before" ] || die "$api API: the directory changed"
done
note "a copy failing half-way leaves the directory as it was (both mount APIs)"
