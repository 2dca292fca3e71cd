# Install into a Debian root: every store, the log line, status --json, and
# installing the same CA again writes nothing but cainit's seal
# (/etc/cainit/seal/last: t_seal.sh).
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkleaf L A
bundle=$r/etc/ssl/certs/ca-certificates.crt
orig_count=$(count_of "$bundle")
fp=$(fp_of "$SCRATCH/A.pem")
hash=$(openssl x509 -noout -subject_hash -in "$SCRATCH/A.pem")

expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
grep -Eq "^cainit: trusted \"CN=cainit test A,O=cainit tests\" sha256=$fp set=default stores=4 in [0-9]+us$" <<<"$ERR" || \
	die "log line: $ERR"

# the stores
[ "$(count_certs "$bundle")" = $((orig_count + 1)) ] || die "bundle count"
grep -q "^# cainit set=default sha256=$fp hash=$hash subject=CN=cainit test A,O=cainit tests$" "$bundle" || die "marker"
anchor=$r/usr/local/share/ca-certificates/cainit.default.crt
[ "$(openssl x509 -noout -fingerprint -sha256 -in "$anchor" | cut -d= -f2)" = "$fp" ] || die "anchor"
link=$(readlink "$r/etc/ssl/certs/$hash.0")
[ "$link" = "cainit.default.$hash.0.pem" ] || die "hash link $hash.0 -> $link"
assert_same <(openssl x509 -in "$r/etc/ssl/certs/$link") <(openssl x509 -in "$SCRATCH/A.pem")
assert_same <(openssl x509 -in "$r/etc/cainit/sets/default.pem") <(openssl x509 -in "$SCRATCH/A.pem")
# OpenSSL itself agrees, through the bundle and through the hashed dir
openssl verify -CAfile "$bundle" "$SCRATCH/L.pem" >/dev/null || die "openssl verify via bundle"
cp -rL "$r/etc/ssl/certs" "$SCRATCH/hashed-copy" 2>/dev/null || true
openssl verify -no-CAfile -CApath "$r/etc/ssl/certs" "$SCRATCH/L.pem" >/dev/null || die "openssl verify via hashed dir"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"
grep -q "^bundle ok .*/etc/ssl/certs/ca-certificates.crt" <<<"$OUT" || die "verify output: $OUT"
grep -q "^hashed ok .*/etc/ssl/certs" <<<"$OUT" || die "verify output: $OUT"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/A.pem"

# status --json
expect_rc 0 "$CAINIT" status --root "$r" --json
echo "$OUT" > "$SCRATCH/status.json"
python3 - "$fp" "$r" "$SCRATCH/status.json" <<'PY' || die "status --json"
import json, sys
fp, root = sys.argv[1], sys.argv[2]
d = json.load(open(sys.argv[3]))
assert d["layouts"] == ["debian"], d["layouts"]
assert d["fallback_bundle"] is False
kinds = sorted(s["kind"] for s in d["stores"])
assert kinds == ["anchor", "bundle", "ca-file", "hashed"], kinds
(s,) = d["sets"]
assert s["name"] == "default" and s["ok"] is True, s
(ca,) = s["cas"]
assert ca["sha256"] == fp and ca["subject"] == "CN=cainit test A,O=cainit tests" and ca["ca"] is True
assert ca["not_after"].endswith("Z")
for st in s["stores"]:
    assert st["present"] is True, st
    assert st["path"].startswith(root), st
    if st["kind"] in ("bundle", "hashed"):
        assert st["verified"] is True, st
PY
expect_rc 0 "$CAINIT" status --root "$r"
grep -q "^set default: 1 CA" <<<"$OUT" || die "status text: $OUT"

# the same CA again: nothing written but the seal (inode and mtime of every
# other file kept)
unsealed() { snapshot "$1" | grep -v 'etc/cainit/seal/'; }
before=$(unsealed "$r")
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_err "(unchanged)"
[ "$(unsealed "$r")" = "$before" ] || die "a no-op install changed files"
# the same CA given as DER, with its duplicate: still nothing
openssl x509 -in "$SCRATCH/A.pem" -outform DER -out "$SCRATCH/A.der"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.der"
cat "$SCRATCH/A.pem" "$SCRATCH/A.pem" > "$SCRATCH/AA.pem"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/AA.pem"
[ "$(unsealed "$r")" = "$before" ] || die "a no-op install (DER, duplicate) changed files"
# no temp file anywhere
if find "$r" -name '*.cainit-tmp' | grep -q .; then die "temp files left"; fi

# BER inside the TBS, which OpenSSL keeps and fingerprints as it is: taken,
# under OpenSSL's fingerprint (BER outside it, which OpenSSL re-encodes, is
# bad input 52)
python3 "$HERE/../tools/ber_tbs.py" < "$SCRATCH/A.pem" > "$SCRATCH/ber.der"
mkroot debian "$SCRATCH/ber-root"
expect_rc 0 "$CAINIT" install --root "$SCRATCH/ber-root" "$SCRATCH/ber.der"
want=$(openssl x509 -inform DER -in "$SCRATCH/ber.der" -noout -fingerprint -sha256 | cut -d= -f2)
expect_err "sha256=$want"
expect_rc 0 "$CAINIT" remove --root "$SCRATCH/ber-root" --all

# a store that drifted is repaired by the next install
rm "$r/etc/ssl/certs/$hash.0"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
[ -L "$r/etc/ssl/certs/$hash.0" ] || die "hash link not repaired"
