# Real runtimes started through `cainit run`, with no CA flags of their
# own, reach a local TLS server whose leaf the CA signed: Python requests
# (Debian's, which reads the bundle) and Node's https.get (which ignores
# the system store and needs NODE_EXTRA_CA_CERTS). Both fail before; Node
# still fails when started without cainit run, so the variable is what
# makes it work. On the host's own store, in this test's namespace over
# copies of /etc and /usr/local/share/ca-certificates.
[ "$FS" = tmpfs ] || skip "uses the host's own store; once is enough"
command -v node >/dev/null || die "node missing (scripts/deps.sh installs nodejs)"
py=/usr/bin/python3
"$py" -c 'import requests' 2>/dev/null || die "python3-requests missing (scripts/deps.sh installs it)"

own_host_store

mkca A
mkleaf L A
tls_server L
port=$TLS_PORT
url=https://localhost:$port/

python_get=("$py" -c 'import requests, sys; r = requests.get(sys.argv[1], timeout=5); print(r.status_code)' "$url")
node_get=(node -e '
require("https").get(process.argv[1], r => { console.log(r.statusCode); process.exit(r.statusCode === 200 ? 0 : 1); })
  .on("error", e => { console.error(e.message); process.exit(1); });' "$url")

"${python_get[@]}" >/dev/null 2>&1 && die "python requests trusted the leaf before install"
"${node_get[@]}" >/dev/null 2>&1 && die "node trusted the leaf before install"

expect_rc 0 "$CAINIT" run --ca "$SCRATCH/A.pem" -- "${python_get[@]}"
[ "$OUT" = 200 ] || die "python requests via cainit run: $OUT $ERR"
note "python requests via 'cainit run --ca': 200"

expect_rc 0 "$CAINIT" run -- "${node_get[@]}"
[ "$OUT" = 200 ] || die "node via cainit run: $OUT $ERR"
"${node_get[@]}" >/dev/null 2>&1 && die "node trusted the leaf without NODE_EXTRA_CA_CERTS (the check proves nothing)"
expect_rc 0 "$CAINIT" run --ca "$SCRATCH/A.pem" -- "${node_get[@]}"
note "node https.get via 'cainit run': 200 (and fails without it)"

# and a login-style shell gets the same from /etc/profile.d/cainit.sh
[ -f /etc/profile.d/cainit.sh ] || die "install did not write /etc/profile.d/cainit.sh"
out=$(env -i PATH=/usr/bin:/bin bash -lc '"$@"' _ "${node_get[@]}" 2>&1) || die "node from a login shell: $out"
note "node from a login shell (bash -l, profile.d): 200"
expect_rc 0 "$CAINIT" remove --all
"${python_get[@]}" >/dev/null 2>&1 && die "python requests still trusts the leaf after remove"
[ ! -e /etc/profile.d/cainit.sh ] || die "profile.d script left after remove"
