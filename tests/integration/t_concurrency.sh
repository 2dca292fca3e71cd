# 16 cainit processes at once: they serialize on the root's lock. Different
# sets all land once in every store; the same set ends as exactly one of
# the installers' CAs, the same one in every store.
r=$SCRATCH/r
mkroot debian "$r"
bundle=$r/etc/ssl/certs/ca-certificates.crt
n0=$(count_of "$bundle")
for i in $(seq 1 16); do mkca "C$i"; done

pids=()
for i in $(seq 1 16); do
	"$CAINIT" install --root "$r" --name "set$i" "$SCRATCH/C$i.pem" 2>/dev/null & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "an installer failed"; done
[ "$(count_certs "$bundle")" = $((n0 + 16)) ] || die "bundle count $(count_certs "$bundle")"
for i in $(seq 1 16); do
	[ "$(grep -c "^# cainit set=set$i " "$bundle")" = 1 ] || die "set$i not exactly once"
	[ -f "$r/usr/local/share/ca-certificates/cainit.set$i.crt" ] || die "anchor set$i"
	[ -f "$r/etc/cainit/sets/set$i.pem" ] || die "set file set$i"
done
expect_rc 0 "$CAINIT" status --root "$r" --json
echo "$OUT" > "$SCRATCH/s.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["sets"])==16 and all(s["ok"] for s in d["sets"]), d' "$SCRATCH/s.json" || die "status"
expect_rc 0 "$CAINIT" remove --root "$r" --all

pids=()
for i in $(seq 1 16); do
	"$CAINIT" install --root "$r" "$SCRATCH/C$i.pem" 2>/dev/null & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "an installer failed"; done
[ "$(count_certs "$bundle")" = $((n0 + 1)) ] || die "bundle should hold one managed CA"
winner=$(sed -n 's/^# cainit set=default sha256=\([^ ]*\) .*/\1/p' "$bundle")
[ -n "$winner" ] || die "no managed block"
for f in "$r/usr/local/share/ca-certificates/cainit.default.crt" "$r/etc/cainit/sets/default.pem" \
	 "$r"/etc/ssl/certs/cainit.default.*.pem; do
	[ "$(openssl x509 -noout -fingerprint -sha256 -in "$f" | cut -d= -f2)" = "$winner" ] || die "$f disagrees"
done
[ "$(ls "$r"/etc/ssl/certs/cainit.default.*.pem | wc -l)" = 1 ] || die "stale hashed files"
expect_rc 0 "$CAINIT" status --root "$r" --json
grep -q '"ok": true' <<<"$OUT" || die "status not ok"
