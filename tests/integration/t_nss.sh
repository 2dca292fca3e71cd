# NSS databases through the root's certutil, proved with headless Chromium
# behind a real intercepting proxy (mitmdump, with the CA it makes itself)
# in front of a local TLS origin whose own CA Chromium is never given: a
# certificate error before, the page after `install --nss`, so the page
# can only have come through the proxy. --nss-user creates ~/.pki/nssdb
# (owned by the user, certutil run as the user); Firefox profiles are found;
# rotation replaces the nickname; remove takes it out again; no database,
# or no certutil, is a warning and exit 0. In this test's namespace, over
# tmpfs homes and a copy of /etc.
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
for i in $(seq 1 200); do
	[ -s "$mitm_ca" ] && (exec 3<>"/dev/tcp/127.0.0.1/$pport") 2>/dev/null && break
	sleep 0.05
done
[ -s "$mitm_ca" ] || die "mitmdump made no CA: $(cat "$SCRATCH/mitm.log")"

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
# a Firefox profile of root's, made before the next install
mkdir -p /root/.mozilla/firefox/abcd.default-release
certutil -N -d sql:/root/.mozilla/firefox/abcd.default-release --empty-password
expect_rc 0 "$CAINIT" install --nss --nss-user tuser "$mitm_ca"
[ "$(stat -c '%u %a' /home/tuser/.pki/nssdb /home/tuser/.pki/nssdb/cert9.db | tr '\n' ' ')" = "4242 700 4242 600 " ] ||
	die "tuser's database is not tuser's: $(stat -c '%n %u %a' /home/tuser/.pki/nssdb /home/tuser/.pki/nssdb/*)"
for db in /home/tuser/.pki/nssdb /root/.mozilla/firefox/abcd.default-release /root/.pki/nssdb; do
	grep -qx "$nick" <<<"$(nicks "$db")" || die "$db lacks $nick"
done
note "--nss-user tuser: a database owned by uid 4242; a Firefox profile found; all three hold the CA"

# rotation: B replaces the proxy's CA in every database; the page fails again
expect_rc 0 "$CAINIT" install --nss "$SCRATCH/B.pem"
for db in /home/tuser/.pki/nssdb /root/.mozilla/firefox/abcd.default-release /root/.pki/nssdb; do
	grep -qx "$nick" <<<"$(nicks "$db")" && die "rotation left $nick in $db"
	grep -qx "$(nick_of "$SCRATCH/B.pem")" <<<"$(nicks "$db")" || die "rotation: $db lacks B"
done
browse
grep -q "ERR_CERT_AUTHORITY_INVALID" "$SCRATCH/chromium.err" || die "chromium still trusts the old CA after rotation"

# `cainit run --nss` does the same before the command starts
expect_rc 0 "$CAINIT" run --ca "$mitm_ca" --nss -- certutil -L -d sql:/root/.pki/nssdb
grep -q "^$nick " <<<"$OUT" || die "run --nss: $OUT"

# remove: out of every database, wherever certutil is
expect_rc 0 "$CAINIT" remove --all
for db in /home/tuser/.pki/nssdb /root/.mozilla/firefox/abcd.default-release /root/.pki/nssdb; do
	[ -z "$(nicks "$db" | grep '^cainit\.')" ] || die "remove left $(nicks "$db") in $db"
done
note "rotation, run --nss and remove --all: every database follows"

# a root with a database but no certutil: a warning, everything else done
mkroot debian "$SCRATCH/R"
mkdir -p "$SCRATCH/R/etc/pki/nssdb"
cp /root/.pki/nssdb/cert9.db "$SCRATCH/R/etc/pki/nssdb/"
cp "$SCRATCH/R/etc/pki/nssdb/cert9.db" "$SCRATCH/cert9.orig"
expect_rc 0 "$CAINIT" install --root "$SCRATCH/R" --nss "$mitm_ca"
grep -q "warning: no certutil in the root (Debian: libnss3-tools): 1 NSS database(s) left alone" <<<"$ERR" ||
	die "no warning without certutil: $ERR"
assert_same "$SCRATCH/R/etc/pki/nssdb/cert9.db" "$SCRATCH/cert9.orig"
expect_rc 0 "$CAINIT" verify --root "$SCRATCH/R" "$mitm_ca"
note "no certutil in the root: a warning, the database untouched, the other stores done"

# a --root with its own certutil (the host's /usr, bound in): certutil runs
# chrooted into the root, and the database inside it gets the CA
R2=$SCRATCH/R2
mkdir -p "$R2/usr" "$R2/dev" "$R2/etc" "$R2/root/.pki/nssdb" "$R2/tmp"
# read-only, with a tmpfs at its anchor directory: nothing reaches the host's /usr
mount --bind /usr "$R2/usr"
mount -o remount,bind,ro "$R2/usr"
mount -t tmpfs tmpfs "$R2/usr/local/share/ca-certificates"
mount --bind /dev "$R2/dev" # (NSS reads /dev/urandom, as in any real root)
for l in bin sbin lib lib64; do [ -e "/$l" ] && ln -s "usr/$l" "$R2/$l"; done
cp /etc/passwd /etc/group "$R2/etc/"
certutil -N -d "sql:$R2/root/.pki/nssdb" --empty-password
expect_rc 0 "$CAINIT" install --root "$R2" --nss "$mitm_ca"
grep -qx "$nick" <<<"$(nicks "$R2/root/.pki/nssdb")" || die "--root with certutil: $ERR"
[ -z "$(nicks /root/.pki/nssdb | grep '^cainit\.')" ] || die "--root reached the host's database"
note "--root with its own certutil: run chrooted, the root's database holds the CA, the host's does not"

