# A reader loading the bundle with libcrypto in a tight loop, through 2,000
# rotations, never sees a torn, partial or empty bundle. (Under the
# sanitizers, 200: whether a reader can see a torn file depends on the order
# of cainit's writes, which the plain build's 2,000 test; the sanitizers
# check the memory of one rotation as well as of a thousand, and their 2,000
# took nine minutes of CI's sixty.)
r=$SCRATCH/r
mkroot debian "$r"
bundle=$r/etc/ssl/certs/ca-certificates.crt
mkca A
mkca B
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
want=$(count_of "$bundle")
"$READER" "$bundle" "$want" "$SCRATCH/stop" > "$SCRATCH/reader.out" 2>&1 &
reader=$!
rounds=1000
[ "$SANITIZED" = 0 ] || rounds=100
for i in $(seq 1 "$rounds"); do
	"$CAINIT" install --root "$r" "$SCRATCH/B.pem" 2>/dev/null || die "rotation $i failed"
	"$CAINIT" install --root "$r" "$SCRATCH/A.pem" 2>/dev/null || die "rotation $i failed"
done
touch "$SCRATCH/stop"
wait "$reader" || die "reader saw a bad bundle: $(cat "$SCRATCH/reader.out")"
note "$(cat "$SCRATCH/reader.out") over $((2 * rounds)) rotations"
grep -q 'failures=0' "$SCRATCH/reader.out" || die "reader"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/A.pem"
