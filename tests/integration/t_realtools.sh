# The host's own Debian trust store, in this test's private namespace (with
# /etc and /usr/local/share/ca-certificates on tmpfs copies): a TLS handshake
# to a local server whose leaf the CA signed fails before install, succeeds
# after, survives the real update-ca-certificates (plain and --fresh), and
# fails again after remove. The host's real files are compared at the end.
[ "$FS" = tmpfs ] || skip "uses the host's own store; once is enough"
command -v update-ca-certificates >/dev/null || die "update-ca-certificates missing (package ca-certificates)"

host=$SCRATCH/host
mkdir -p "$host"
mount --bind / "$host"            # the real root filesystem, to check it afterwards
host_sum=$(sha256sum "$host/etc/ssl/certs/ca-certificates.crt" | cut -d' ' -f1)
host_list=$(ls -la "$host/etc/ssl/certs" "$host/usr/local/share/ca-certificates" | md5sum)

own_host_store

mkca A
mkleaf L A
tls_server L
port=$TLS_PORT

tls_ok() { # every client, no CA flags of its own
	openssl s_client -connect "127.0.0.1:$port" -servername localhost -verify_hostname localhost \
		-verify_return_error </dev/null >/dev/null 2>&1 &&
	openssl s_client -no-CAfile -connect "127.0.0.1:$port" -servername localhost \
		-verify_hostname localhost -verify_return_error </dev/null >/dev/null 2>&1 &&
	curl -sS --max-time 5 -o /dev/null "https://localhost:$port/" 2>/dev/null
}
tls_fails() { # each client alone must fail
	! openssl s_client -connect "127.0.0.1:$port" -servername localhost -verify_hostname localhost \
		-verify_return_error </dev/null >/dev/null 2>&1 &&
	! openssl s_client -no-CAfile -connect "127.0.0.1:$port" -servername localhost \
		-verify_hostname localhost -verify_return_error </dev/null >/dev/null 2>&1 &&
	! curl -sS --max-time 5 -o /dev/null "https://localhost:$port/" 2>/dev/null
}

tls_fails || die "TLS succeeded before install"
cp /etc/ssl/certs/ca-certificates.crt "$SCRATCH/before.crt"
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
tls_ok || die "TLS failed after install"
expect_rc 0 "$CAINIT" verify "$SCRATCH/L.pem"

update-ca-certificates >"$SCRATCH/uca.log" 2>&1 || die "update-ca-certificates: $(cat "$SCRATCH/uca.log")"
tls_ok || die "TLS failed after update-ca-certificates"
# Debian's Java hook copied cainit's anchor into the JKS keystore as
# debian:cainit.default.pem: the same CA, so the set still holds there
jks_aliases() { python3 "$HERE/../tools/jks.py" /etc/ssl/certs/java/cacerts | awk '{ print $2 }'; }
java_hook=0
[ -x /etc/ca-certificates/update.d/jks-keystore ] && [ -f /etc/ssl/certs/java/cacerts ] && java_hook=1
if [ "$java_hook" = 1 ]; then
	grep -qx "debian:cainit.default.pem" <<<"$(jks_aliases)" || die "the Java hook did not copy the CA: $(cat "$SCRATCH/uca.log")"
	grep -q "^cainit\.default\." <<<"$(jks_aliases)" || die "cainit's own keystore entry is gone"
fi
expect_rc 0 "$CAINIT" verify "$SCRATCH/L.pem"
update-ca-certificates --fresh >"$SCRATCH/uca.log" 2>&1 || die "update-ca-certificates --fresh: $(cat "$SCRATCH/uca.log")"
tls_ok || die "TLS failed after update-ca-certificates --fresh"
expect_rc 0 "$CAINIT" verify "$SCRATCH/L.pem"
expect_rc 0 "$CAINIT" status --json
echo "$OUT" > "$SCRATCH/s.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); (s,)=d["sets"]; assert s["ok"], s' "$SCRATCH/s.json" || \
	die "status after the distro tool: $OUT"
# the same CA again is still a no-op after the distro tool rebuilt things
before=$(snapshot /etc/ssl/certs)
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
expect_err "(unchanged)"
[ "$(snapshot /etc/ssl/certs)" = "$before" ] || die "no-op install wrote after update-ca-certificates"

expect_rc 0 "$CAINIT" remove --all
tls_fails || die "TLS still succeeds after remove"
if [ "$java_hook" = 1 ] && grep -q "cainit" <<<"$(jks_aliases)"; then
	die "remove left a cainit entry in the Java keystore: $(jks_aliases | grep cainit)"
fi
update-ca-certificates >"$SCRATCH/uca.log" 2>&1 || die "update-ca-certificates after remove"
tls_fails || die "TLS succeeds after remove and update-ca-certificates"

[ "$(sha256sum "$host/etc/ssl/certs/ca-certificates.crt" | cut -d' ' -f1)" = "$host_sum" ] || die "host bundle changed"
[ "$(ls -la "$host/etc/ssl/certs" "$host/usr/local/share/ca-certificates" | md5sum)" = "$host_list" ] || \
	die "host trust directories changed"
note "the host's own store is unchanged"
