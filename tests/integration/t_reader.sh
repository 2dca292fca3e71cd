# A reader loading the bundle with libcrypto in a tight loop, through 2,000
# rotations, never sees a torn, partial or empty bundle.
r=$SCRATCH/r
mkroot debian "$r"
bundle=$r/etc/ssl/certs/ca-certificates.crt
mkca A
mkca B
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
want=$(count_of "$bundle")
"$READER" "$bundle" "$want" "$SCRATCH/stop" > "$SCRATCH/reader.out" 2>&1 &
reader=$!
for i in $(seq 1 1000); do
	"$CAINIT" install --root "$r" "$SCRATCH/B.pem" 2>/dev/null || die "rotation $i failed"
	"$CAINIT" install --root "$r" "$SCRATCH/A.pem" 2>/dev/null || die "rotation $i failed"
done
touch "$SCRATCH/stop"
wait "$reader" || die "reader saw a bad bundle: $(cat "$SCRATCH/reader.out")"
note "$(cat "$SCRATCH/reader.out") over 2000 rotations"
grep -q 'failures=0' "$SCRATCH/reader.out" || die "reader"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/A.pem"
