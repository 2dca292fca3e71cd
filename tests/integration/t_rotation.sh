# Rotation replaces: the previous CA of the set disappears from every store,
# anchor and hash link. Sets are independent of each other.
r=$SCRATCH/r
mkroot debian "$r"
bundle=$r/etc/ssl/certs/ca-certificates.crt
cp "$bundle" "$SCRATCH/orig.crt"
mkca A
mkca B
mkca C
mkleaf LA A
mkleaf LB B
# A and B share a subject (same hash): the case where gaps in HASH.N matter
"$MKCERT" --cn "cainit same subject" --out "$SCRATCH/S1.pem" --key-out "$SCRATCH/S1.key"
"$MKCERT" --cn "cainit same subject" --out "$SCRATCH/S2.pem" --key-out "$SCRATCH/S2.key"

trusted_nowhere() { # neither the CA's fingerprint nor its base64 is in any file of the root
	local fp line; fp=$(fp_of "$1"); line=$(tail -n 3 "$1" | head -n 1) # inside the signature
	if grep -rqF -e "$fp" -e "$line" "$r"; then
		die "$1 still present: $(grep -rlF -e "$fp" -e "$line" "$r")"
	fi
}

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LB.pem"
expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
trusted_nowhere "$SCRATCH/A.pem"
[ "$(ls "$r/usr/local/share/ca-certificates")" = cainit.default.crt ] || die "anchor dir"
[ "$(ls "$r/etc/ssl/certs" | grep -c '^cainit\.')" = 1 ] || die "hashed dir holds one cainit file"

# a second set is independent
expect_rc 0 "$CAINIT" install --root "$r" --name other "$SCRATCH/C.pem"
expect_rc 0 "$CAINIT" install --root "$r" --name default "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/C.pem"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
trusted_nowhere "$SCRATCH/B.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --name default
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/C.pem"
trusted_nowhere "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --name other
assert_same "$bundle" "$SCRATCH/orig.crt"

# a set of two CAs, then rotations between CAs with the same subject hash:
# the HASH.N entries stay contiguous from .0 (OpenSSL stops at the first gap)
cat "$SCRATCH/S1.pem" "$SCRATCH/C.pem" > "$SCRATCH/two.pem"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/two.pem"
expect_err 'CN=cainit test C'
h=$(openssl x509 -noout -subject_hash -in "$SCRATCH/S1.pem")
for i in 1 2 3; do
	expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/S2.pem"
	[ -L "$r/etc/ssl/certs/$h.0" ] && [ ! -e "$r/etc/ssl/certs/$h.1" ] || die "hash entries: $(ls "$r/etc/ssl/certs" | grep "^$h")"
	openssl verify -no-CAfile -CApath "$r/etc/ssl/certs" "$SCRATCH/S2.pem" >/dev/null || die "S2 via hashed dir"
	expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/S1.pem"
	openssl verify -no-CAfile -CApath "$r/etc/ssl/certs" "$SCRATCH/S1.pem" >/dev/null || die "S1 via hashed dir"
done
trusted_nowhere "$SCRATCH/S2.pem"
trusted_nowhere "$SCRATCH/C.pem"
# both with the same subject in one set: HASH.0 and HASH.1; then only S2
cat "$SCRATCH/S1.pem" "$SCRATCH/S2.pem" > "$SCRATCH/both.pem"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/both.pem"
[ -L "$r/etc/ssl/certs/$h.1" ] || die "second entry"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/S2.pem"
[ -L "$r/etc/ssl/certs/$h.0" ] && [ ! -e "$r/etc/ssl/certs/$h.1" ] || die "gap after shrinking"
openssl verify -no-CAfile -CApath "$r/etc/ssl/certs" "$SCRATCH/S2.pem" >/dev/null || die "S2 after shrinking"
expect_rc 0 "$CAINIT" remove --root "$r" --all
assert_same "$bundle" "$SCRATCH/orig.crt"
