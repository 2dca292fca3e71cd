# Fixture roots for every layout in docs/stores.md, with the symlinks each
# distro ships: install reaches every store (each real bundle edited once,
# aliases left as links), verify passes, remove --all restores every file.
mkca A
mkleaf L A
fp=$(fp_of "$SCRATCH/A.pem")
checked=0

check_layout() { # LAYOUT EXPECTED_LAYOUT_NAME ANCHOR_DIR HASHED_DIR ALIASES...
	local layout=$1 want=$2 anchor=$3 hashed=$4; shift 4
	local r=$SCRATCH/$layout bundle
	mkroot "$layout" "$r"
	bundle=$r$(bundle_of "$layout")
	local before n0
	before=$(content_snapshot "$r")
	n0=$(count_certs "$bundle")
	[ "$layout" = scratch ] && n0=0 # no bundle yet

	expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"
	expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
	expect_rc 0 "$CAINIT" status --root "$r" --json
	echo "$OUT" > "$SCRATCH/$layout.json"
	python3 - "$SCRATCH/$layout.json" "$want" <<'PY' || die "$layout: status $(cat "$SCRATCH/$layout.json")"
import json, sys
d = json.load(open(sys.argv[1]))
want = sys.argv[2]
assert d["layouts"] == ([] if want == "none" else [want]), d["layouts"]
assert d["fallback_bundle"] == (want == "none")
(s,) = d["sets"]
assert s["ok"], s
PY
	[ "$(count_certs "$bundle")" = $((n0 + 1)) ] || die "$layout: bundle count"
	[ "$(grep -c "^# cainit set=default sha256=$fp" "$bundle")" = 1 ] || die "$layout: bundle edited more than once"
	for a in "$@"; do
		[ -L "$r$a" ] || die "$layout: alias $a is no longer a symlink"
	done
	openssl verify -CAfile "$bundle" "$SCRATCH/L.pem" >/dev/null || die "$layout: openssl via bundle"
	if [ -n "$hashed" ]; then
		openssl verify -no-CAfile -CApath "$r$hashed" "$SCRATCH/L.pem" >/dev/null || die "$layout: openssl via $hashed"
	fi
	if [ -n "$anchor" ]; then
		[ -f "$r$anchor/cainit.default.crt" ] || die "$layout: anchor file"
	fi
	expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"
	expect_rc 0 "$CAINIT" remove --root "$r" --all
	[ "$(content_snapshot "$r")" = "$before" ] || die "$layout: remove --all did not restore every file"
	note "$layout ok"
	checked=$((checked + 1))
}

check_layout debian debian /usr/local/share/ca-certificates /etc/ssl/certs /usr/lib/ssl/cert.pem
check_layout alpine debian /usr/local/share/ca-certificates /etc/ssl/certs /etc/ssl/cert.pem
check_layout fedora fedora /etc/pki/ca-trust/source/anchors /etc/pki/ca-trust/extracted/pem/directory-hash \
	/etc/pki/tls/certs/ca-bundle.crt /etc/pki/tls/cert.pem /etc/ssl/cert.pem \
	/etc/pki/ca-trust/extracted/pem/directory-hash/ca-certificates.crt
check_layout suse suse /etc/pki/trust/anchors /var/lib/ca-certificates/pem /etc/ssl/ca-bundle.pem
check_layout arch arch /etc/ca-certificates/trust-source/anchors /etc/ssl/certs \
	/etc/ssl/cert.pem /etc/ssl/certs/ca-certificates.crt
check_layout scratch none "" /etc/ssl/certs
[ "$checked" = 6 ] || die "only $checked of 6 layouts were checked to the end"

# a root with two layouts (Debian plus a Fedora tree) gets both
r=$SCRATCH/both
mkroot debian "$r"
mkroot fedora "$SCRATCH/fed"
cp -a "$SCRATCH/fed/etc/pki" "$r/etc/"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" status --root "$r" --json
grep -q '"debian"' <<<"$OUT" && grep -q '"fedora"' <<<"$OUT" || die "two layouts: $OUT"
openssl verify -CAfile "$r/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem" "$SCRATCH/L.pem" >/dev/null || die "fedora bundle"
openssl verify -CAfile "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/L.pem" >/dev/null || die "debian bundle"
[ -f "$r/etc/pki/ca-trust/source/anchors/cainit.default.crt" ] || die "fedora anchor"
[ -f "$r/usr/local/share/ca-certificates/cainit.default.crt" ] || die "debian anchor"
