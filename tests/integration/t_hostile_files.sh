# What a tenant can plant where cainit reads or creates files: a FIFO, a
# device node or a hard link at /etc/cainit/txn (the mark of a change under
# way) or at any store path. cainit never blocks on one, never writes
# through one, and never treats one as its own record.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
mkca A
mkca B
mkleaf LA A
mkleaf LB B
r=$SCRATCH/r
mkroot debian "$r"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"

# 1. a FIFO at the mark: the next install neither hangs nor fails; the mark
# says "a change was interrupted" without naming one, so every set is
# brought back to its record first, and the FIFO goes with the mark
mkfifo "$r/etc/cainit/txn"
expect_rc 0 timeout 20 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
[ ! -e "$r/etc/cainit/txn" ] || die "the FIFO at the mark is still there"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LB.pem"
expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"

# 2. a device node at the mark: the same
mknod "$r/etc/cainit/txn" c 1 3
expect_rc 0 timeout 20 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
[ ! -e "$r/etc/cainit/txn" ] || die "the device at the mark is still there"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"

# 3. a hard link at the mark to another file of the root: that file keeps
# its bytes (the mark is a new file, never an old one truncated)
echo "someone else's file" > "$r/etc/hostname"
ln "$r/etc/hostname" "$r/etc/cainit/txn"
cp "$r/etc/hostname" "$SCRATCH/hostname.before"
expect_rc 0 timeout 20 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
assert_same "$r/etc/hostname" "$SCRATCH/hostname.before"
[ "$(stat -c %h "$r/etc/hostname")" = 1 ] || die "the hard link is still there"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LB.pem"

# 4. a FIFO at every other path cainit reads or replaces: never a hang,
# never a write through it; a file cainit replaces is replaced, one it
# only reads is refused with a one-line error naming it
for p in /etc/cainit/sets/default.pem /etc/cainit/ca.pem /etc/cainit/env \
	/usr/local/share/ca-certificates/cainit.default.crt /etc/ssl/certs/ca-certificates.crt; do
	mkroot debian "$SCRATCH/f"
	expect_rc 0 "$CAINIT" install --root "$SCRATCH/f" "$SCRATCH/A.pem"
	rm -f "$SCRATCH/f$p"
	mkfifo "$SCRATCH/f$p"
	for cmd in "install $SCRATCH/B.pem" "status" "remove --all"; do
		rc=0
		# shellcheck disable=SC2086 # cmd is words
		timeout 20 "$CAINIT" ${cmd%% *} --root "$SCRATCH/f" ${cmd#* } 2>"$SCRATCH/.err" >/dev/null || rc=$?
		[ "$cmd" = status ] && rc=0 # (status prints what it can)
		[ "$rc" != 124 ] || die "cainit ${cmd%% *} hung on a FIFO at $p"
		case $rc in 0 | 1) ;; *) die "cainit ${cmd%% *} with a FIFO at $p: exit $rc: $(cat "$SCRATCH/.err")" ;; esac
		[ "$(wc -l <"$SCRATCH/.err")" -le 2 ] || die "a FIFO at $p: $(cat "$SCRATCH/.err")"
	done
	rm -rf "$SCRATCH/f"
done
note "a FIFO, a device or a hard link at the mark, and FIFOs at every store path: no hang, nothing written through"
