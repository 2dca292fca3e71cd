# Readers never see a store path go missing during a rotation. Two CAs with
# the same subject (so the same HASH.0 link) replace each other 20,000
# times in-process (tests/tools/rotator, as the agent calls the engine)
# while a reader looks the subject up through OpenSSL's hashed-directory
# lookup, opens HASH.0 itself, and reads the bundle, the anchor file, the
# set's CA-only file and /etc/cainit/ca.pem, over and over: not one failure.
[ "$FS" = tmpfs ] || skip "renames are atomic on both filesystems: once is enough"
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca A2 --cn "cainit test A" # the same subject, another key
[ "$(openssl x509 -noout -subject_hash -in "$SCRATCH/A.pem")" = "$(openssl x509 -noout -subject_hash -in "$SCRATCH/A2.pem")" ] ||
	die "the two CAs do not share a subject hash"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
n=20000
"$BUILD/tests/store_reader" "$SCRATCH/stop" "$r/etc/ssl/certs" "$SCRATCH/A.pem" \
	"$r/etc/ssl/certs/ca-certificates.crt" "$r/usr/local/share/ca-certificates/cainit.default.crt" \
	"$r/etc/cainit/sets/default.pem" "$r/etc/cainit/ca.pem" >"$SCRATCH/reader.out" 2>&1 &
reader=$!
"$BUILD/tests/rotator" "$r" "$n" "$SCRATCH/A.pem" "$SCRATCH/A2.pem" >"$SCRATCH/rotator.out" 2>&1 ||
	die "rotator: $(cat "$SCRATCH/rotator.out")"
touch "$SCRATCH/stop"
wait "$reader" || die "a reader saw a store path missing: $(cat "$SCRATCH/reader.out")"
grep -q "failures=0" "$SCRATCH/reader.out" || die "reader: $(cat "$SCRATCH/reader.out")"
note "$n same-subject rotations, $(sed -n 's/.*reads=\([0-9]*\).*/\1/p' "$SCRATCH/reader.out") rounds of reads: no lookup, link or file ever missing"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/A.pem"
[ "$(ls "$r/etc/ssl/certs" | grep -c '^cainit\.')" = 1 ] || die "hashed dir: $(ls "$r/etc/ssl/certs" | grep cainit)"

# a root installed before slot names ("cainit.SET.FP16.HASH.pem"): the next
# install moves the link to the slot name, and no old name stays
hash=$(openssl x509 -noout -subject_hash -in "$SCRATCH/A.pem")
fp16=$(fp_of "$SCRATCH/A.pem" | tr -d : | tr A-F a-f | cut -c1-16)
mv "$r/etc/ssl/certs/cainit.default.$hash.0.pem" "$r/etc/ssl/certs/cainit.default.$fp16.$hash.pem"
ln -sfn "cainit.default.$fp16.$hash.pem" "$r/etc/ssl/certs/$hash.0"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A2.pem"
[ "$(readlink "$r/etc/ssl/certs/$hash.0")" = "cainit.default.$hash.0.pem" ] || die "the link was not moved to the slot name"
[ ! -e "$r/etc/ssl/certs/cainit.default.$fp16.$hash.pem" ] || die "the old name stayed"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/A2.pem"
mv "$r/etc/ssl/certs/cainit.default.$hash.0.pem" "$r/etc/ssl/certs/cainit.default.0123456789abcdef.$hash.pem"
ln -sfn "cainit.default.0123456789abcdef.$hash.pem" "$r/etc/ssl/certs/$hash.0"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ -z "$(ls "$r/etc/ssl/certs" | grep '^cainit\.')" ] || die "remove left: $(ls "$r/etc/ssl/certs" | grep cainit)"
[ ! -e "$r/etc/ssl/certs/$hash.0" ] && [ ! -L "$r/etc/ssl/certs/$hash.0" ] || die "remove left the link"
