# A runtime variable the caller set to a file without the managed CAs
# (docs/env.md, "cainit run and variables the caller set"): by default
# `cainit run` hands the command a merged file, the caller's certificates
# and the managed CAs, so Node trusts both the proxy's CA and the caller's
# corporate CA; the file follows a rotation while run lives and goes with
# the last set; --env-keep leaves the caller's file (and Node then fails:
# the merge is what makes it work), --env-override replaces it; a file that
# already holds the CAs is kept, an unreadable one replaced, a directory
# left; `cainit env --merge` prints the same corrections. On this machine's
# own store, in this test's namespace over copies of /etc.
[ "$FS" = tmpfs ] || skip "uses the host's own store; once is enough"
command -v node >/dev/null || die "node missing (scripts/deps.sh installs nodejs)"
own_host_store

mkca A
mkca B
mkca Corp
mkleaf LA A
mkleaf LB B
mkleaf LC Corp
tls_server LA && PORT_LA=$TLS_PORT
tls_server LB && PORT_LB=$TLS_PORT
tls_server LC && PORT_LC=$TLS_PORT
cat >"$SCRATCH/get.js" <<'JS'
require("https").get(process.argv[2], r => { process.exit(r.statusCode === 200 ? 0 : 1); })
  .on("error", e => { console.error(e.message); process.exit(1); });
JS
get() { echo "node $SCRATCH/get.js https://localhost:$1/"; }
cp "$SCRATCH/Corp.pem" "$SCRATCH/corp-bundle.pem"
corp=$SCRATCH/corp-bundle.pem

expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
# the caller's NODE_EXTRA_CA_CERTS names the corporate CA alone
NODE_EXTRA_CA_CERTS=$corp expect_rc 1 "$CAINIT" run --env-keep -- sh -c "$(get "$PORT_LA")"
grep -q "NODE_EXTRA_CA_CERTS is set by the caller; left as it is" <<<"$ERR" || die "--env-keep said: $ERR"
NODE_EXTRA_CA_CERTS=$corp expect_rc 0 "$CAINIT" run -- sh -c "$(get "$PORT_LA") && $(get "$PORT_LC") && echo \$NODE_EXTRA_CA_CERTS"
merged=/etc/cainit/merged-NODE_EXTRA_CA_CERTS.pem
[ "$OUT" = "$merged" ] || die "the command got NODE_EXTRA_CA_CERTS=$OUT"
grep -q "lacks the managed CAs: the command gets $merged" <<<"$ERR" || die "run said: $ERR"
[ "$(count_of "$merged")" = 2 ] || die "the merged file holds $(count_of "$merged") certificates, want the caller's and A"
note "node under run: the proxy's CA and the caller's corporate CA both trusted (merged file); --env-keep: refused"

# --env-override: cainit's file, so the corporate CA is lost
NODE_EXTRA_CA_CERTS=$corp expect_rc 0 "$CAINIT" run --env-override -- sh -c "echo \$NODE_EXTRA_CA_CERTS"
[ "$OUT" = /etc/cainit/ca.pem ] || die "--env-override gave $OUT"
expect_rc 2 "$CAINIT" run --env-keep --env-override -- true
expect_err "--env-keep and --env-override: give one"

# a rotation while run lives: a command that starts Node after it trusts B
mkfifo "$SCRATCH/go"
rm "$merged" # (made by the runs above: this run makes it again)
NODE_EXTRA_CA_CERTS=$corp "$CAINIT" run -- sh -c "read x < $SCRATCH/go; $(get "$PORT_LB") && $(get "$PORT_LC")" \
	2>"$SCRATCH/run.err" &
runpid=$!
wait_until 60 test -e "$merged" || die "no merged file"
expect_rc 0 "$CAINIT" install "$SCRATCH/B.pem"
grep -q "$(fp_of "$SCRATCH/B.pem")" "$merged" || die "the rotation did not reach the merged file"
grep -q "$(fp_of "$SCRATCH/A.pem")" "$merged" && die "A left in the merged file after the rotation"
echo go >"$SCRATCH/go"
wait "$runpid" || die "node after the rotation, under the run that merged: $(cat "$SCRATCH/run.err")"
note "a rotation while run lives: the merged file holds B (and the corporate CA), not A"

# a caller's file that holds the CAs stays; an unreadable one is replaced; a directory stays
cat /etc/ssl/certs/ca-certificates.crt >"$SCRATCH/full.pem"
SSL_CERT_FILE=$SCRATCH/full.pem expect_rc 0 "$CAINIT" run -- sh -c 'echo $SSL_CERT_FILE'
[ "$OUT" = "$SCRATCH/full.pem" ] || die "a caller's bundle holding B was replaced: $OUT"
REQUESTS_CA_BUNDLE=/nonexistent.pem expect_rc 0 "$CAINIT" run -- sh -c 'echo $REQUESTS_CA_BUNDLE'
[ "$OUT" = /etc/ssl/certs/ca-certificates.crt ] || die "an unreadable caller's file: $OUT"
grep -q "is not a certificate file cainit can read" <<<"$ERR" || die "run said: $ERR"
printf -- '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' >"$SCRATCH/key.pem"
AWS_CA_BUNDLE=$SCRATCH/key.pem expect_rc 0 "$CAINIT" run -- sh -c 'echo $AWS_CA_BUNDLE'
[ ! -e /etc/cainit/merged-AWS_CA_BUNDLE.pem ] || die "a file with a key in it was merged"
SSL_CERT_DIR=/usr/share/ca-certificates expect_rc 0 "$CAINIT" run -- sh -c 'echo $SSL_CERT_DIR'
[ "$OUT" = /usr/share/ca-certificates ] || die "SSL_CERT_DIR: $OUT"
# cainit env --merge: the same corrections, printed
NODE_EXTRA_CA_CERTS=$corp expect_rc 0 "$CAINIT" env --merge --format dotenv
grep -qx "NODE_EXTRA_CA_CERTS=$merged" <<<"$OUT" || die "env --merge: $OUT"
grep -qx "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" <<<"$OUT" || die "env --merge lost the rest: $OUT"
note "a caller's file holding the CAs kept; unreadable or a key: replaced, never merged; a directory kept; env --merge"

# a change a killed cainit left half done (its mark, the record already B's
# successor A, ca.pem still B) is finished before the merge reads ca.pem
cp "$SCRATCH/A.pem" /etc/cainit/sets/default.pem
echo default >/etc/cainit/txn
NODE_EXTRA_CA_CERTS=$corp expect_rc 0 "$CAINIT" env --merge --format dotenv
[ ! -e /etc/cainit/txn ] || die "env --merge left the mark of the interrupted change"
grep -q "$(fp_of "$SCRATCH/A.pem")" "$merged" && ! grep -q "$(fp_of "$SCRATCH/B.pem")" "$merged" ||
	die "env --merge after an interrupted change: the merged file does not hold the recorded set"
expect_rc 0 "$CAINIT" verify "$SCRATCH/A.pem"
note "an interrupted change is brought to its record before a merge"

expect_rc 0 "$CAINIT" remove --all
[ ! -e "$merged" ] || die "the merged file outlived the last set"
