# NSS databases, written natively (no certutil runs), proved with headless
# Chromium behind a real intercepting proxy (mitmdump, with the CA it makes
# itself) in front of a local TLS origin whose own CA Chromium is never
# given: a certificate error before, the page after `install --nss`, so the
# page can only have come through the proxy. The host's own certutil reads
# every database cainit wrote. --nss-user creates ~/.pki/nssdb (owned by
# the user); Firefox profiles (native, XDG, snap, Flatpak) and snap's and
# Flatpak's Chromium databases are found; a rotation without --nss reaches
# every database cainit recorded; remove takes the set out again; no
# database is a warning and exit 0. In this test's namespace, over tmpfs
# homes and a copy of /etc.
[ "$FS" = tmpfs ] || skip "uses the host's own store; once is enough"
for t in chromium certutil mitmdump; do
	command -v $t >/dev/null || die "$t missing (scripts/deps.sh installs chromium, libnss3-tools, mitmproxy)"
done

mkdir -p "$SCRATCH/etc" "$SCRATCH/local-cas"
cp -a /etc/. "$SCRATCH/etc/"
cp -a /usr/local/share/ca-certificates/. "$SCRATCH/local-cas/"
mount --bind "$SCRATCH/etc" /etc
mount --bind "$SCRATCH/local-cas" /usr/local/share/ca-certificates
mount -t tmpfs tmpfs /root
mount -t tmpfs tmpfs /home
cover_host_pythons
export HOME=/root

mkca O
mkleaf LO O
mkca B
oport=$(free_port)
pport=$(free_port)
python3 "$HERE/../tools/origin.py" "$SCRATCH/LO.pem" "$SCRATCH/LO.key" "$oport" &
on_exit "kill $!"
mitmdump -q --listen-host 127.0.0.1 -p "$pport" --ssl-insecure >"$SCRATCH/mitm.log" 2>&1 &
on_exit "kill $!"
mitm_ca=/root/.mitmproxy/mitmproxy-ca-cert.pem
proxy_up() { [ -s "$mitm_ca" ] && listening "$pport" && listening "$oport"; }
wait_until 120 proxy_up || die "mitmdump (or the origin) is not up: $(cat "$SCRATCH/mitm.log")"

# the flags of the machine notes, a fresh profile, everything through the proxy
browse() {
	rm -rf "$SCRATCH/ud"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$SCRATCH/ud" --proxy-server="http://127.0.0.1:$pport" \
		--proxy-bypass-list='<-loopback>' --dump-dom "https://localhost:$oport/" \
		>"$SCRATCH/page" 2>"$SCRATCH/chromium.err"
}
nick_of() { echo "cainit.default.$(fp_of "$1" | tr -d : | tr A-F a-f)"; }
nicks() { certutil -L -d "sql:$1" | awk 'NR > 3 { print $1 }'; }

browse
grep -q "ERR_CERT_AUTHORITY_INVALID" "$SCRATCH/chromium.err" || die "chromium before install: $(tail -n3 "$SCRATCH/chromium.err")"
grep -q "cainit test origin" "$SCRATCH/page" && die "chromium loaded the page before install"
note "chromium through mitmdump before install: net::ERR_CERT_AUTHORITY_INVALID"

expect_rc 0 "$CAINIT" install --nss "$mitm_ca"
grep -q "warning: no NSS database found" <<<"$ERR" || die "no warning without a database: $ERR"
expect_rc 2 "$CAINIT" install --nss-user root "$mitm_ca"

expect_rc 0 "$CAINIT" install --nss --nss-user root "$mitm_ca"
[ "$(stat -c '%a %U' /root/.pki/nssdb)" = "700 root" ] || die "nssdb: $(stat -c '%a %U' /root/.pki/nssdb)"
nick=$(nick_of "$mitm_ca")
grep -qx "$nick" <<<"$(nicks /root/.pki/nssdb)" || die "certutil -L lacks $nick: $(nicks /root/.pki/nssdb)"
browse
grep -q "cainit test origin" "$SCRATCH/page" || die "chromium after install: $(grep -v dbus "$SCRATCH/chromium.err" | tail -n3)"
note "after install --nss --nss-user root: ~/.pki/nssdb made, $nick in it, chromium loads the page through the proxy"

# another user's database is made and changed as that user
echo "tuser:x:4242:4242::/home/tuser:/bin/sh" >>/etc/passwd
mkdir /home/tuser && chown 4242:4242 /home/tuser
# root's browser databases, made before the next install: a Firefox
# profile where Firefox keeps them natively, in XDG's place, as a snap and
# as a Flatpak, and Chromium's as a snap and as a Flatpak
browser_dbs=(/root/.mozilla/firefox/abcd.default-release /root/.config/mozilla/firefox/x1.default
	/root/snap/firefox/common/.mozilla/firefox/s1.default /root/.var/app/org.mozilla.firefox/.mozilla/firefox/f1.default
	/root/snap/chromium/current/.pki/nssdb /root/.var/app/org.chromium.Chromium/.pki/nssdb)
for db in "${browser_dbs[@]}"; do
	mkdir -p "$db"
	certutil -N -d "sql:$db" --empty-password
done
expect_rc 0 "$CAINIT" install --nss --nss-user tuser "$mitm_ca"
[ "$(stat -c '%u %a' /home/tuser/.pki/nssdb /home/tuser/.pki/nssdb/cert9.db | tr '\n' ' ')" = "4242 700 4242 600 " ] ||
	die "tuser's database is not tuser's: $(stat -c '%n %u %a' /home/tuser/.pki/nssdb /home/tuser/.pki/nssdb/*)"
for db in /home/tuser/.pki/nssdb "${browser_dbs[@]}" /root/.pki/nssdb; do
	grep -qx "$nick" <<<"$(nicks "$db")" || die "$db lacks $nick"
done
note "--nss-user tuser: a database owned by uid 4242; Firefox profiles (native, XDG, snap, Flatpak) and snap's and Flatpak's Chromium found; all hold the CA"

# rotation without --nss (as /init does it): B replaces the proxy's CA in
# every database cainit recorded; the page fails again
expect_rc 0 "$CAINIT" install "$SCRATCH/B.pem"
for db in /home/tuser/.pki/nssdb "${browser_dbs[@]}" /root/.pki/nssdb; do
	grep -qx "$nick" <<<"$(nicks "$db")" && die "rotation left $nick in $db"
	grep -qx "$(nick_of "$SCRATCH/B.pem")" <<<"$(nicks "$db")" || die "rotation: $db lacks B"
done
[ "$(sort /etc/cainit/nss | tr '\n' ' ')" = "$(printf '%s\n' /home/tuser/.pki/nssdb "${browser_dbs[@]}" /root/.pki/nssdb | sort | tr '\n' ' ')" ] ||
	die "the record: $(cat /etc/cainit/nss)"
browse
grep -q "ERR_CERT_AUTHORITY_INVALID" "$SCRATCH/chromium.err" || die "chromium still trusts the old CA after rotation"

# `cainit run --nss` does the same before the command starts
expect_rc 0 "$CAINIT" run --ca "$mitm_ca" --nss -- certutil -L -d sql:/root/.pki/nssdb
grep -q "^$nick " <<<"$OUT" || die "run --nss: $OUT"

# remove without --nss: out of every recorded database, the record gone
expect_rc 0 "$CAINIT" remove --all
for db in /home/tuser/.pki/nssdb "${browser_dbs[@]}" /root/.pki/nssdb; do
	[ -z "$(nicks "$db" | grep '^cainit\.')" ] || die "remove left $(nicks "$db") in $db"
	certutil -L -d "sql:$db" >/dev/null || die "$db no longer opens"
done
[ ! -e /etc/cainit/nss ] || die "the record outlived the last set: $(cat /etc/cainit/nss)"
note "rotation without --nss, run --nss and remove --all: every recorded database follows"

# a root with a database and no certutil at all: written natively, read
# back by the host's certutil, which verifies a leaf of the CA through it
mkroot debian "$SCRATCH/R"
mkdir -p "$SCRATCH/R/etc/pki/nssdb"
certutil -N -d "sql:$SCRATCH/R/etc/pki/nssdb" --empty-password
expect_rc 0 "$CAINIT" install --root "$SCRATCH/R" --nss "$SCRATCH/O.pem"
grep -qx "$(nick_of "$SCRATCH/O.pem")" <<<"$(nicks "$SCRATCH/R/etc/pki/nssdb")" || die "no certutil in the root: $ERR"
certutil -A -d "sql:$SCRATCH/R/etc/pki/nssdb" -n leaf -t ,, -i "$SCRATCH/LO.pem"
certutil -V -d "sql:$SCRATCH/R/etc/pki/nssdb" -n leaf -u V >"$SCRATCH/v" 2>&1 || die "NSS does not verify a leaf of the CA: $(cat "$SCRATCH/v")"
expect_rc 0 "$CAINIT" remove --root "$SCRATCH/R" --name default
certutil -V -d "sql:$SCRATCH/R/etc/pki/nssdb" -n leaf -u V >/dev/null 2>&1 && die "NSS still verifies after remove"
[ -z "$(nicks "$SCRATCH/R/etc/pki/nssdb" | grep '^cainit\.')" ] || die "remove left an entry in the root's database"
note "a root without certutil: its database written natively; NSS's own certutil -V verifies through it, and not after remove"
