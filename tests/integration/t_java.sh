# Java trusts the CA through its own keystores, edited natively: Debian's
# JKS /etc/ssl/certs/java/cacerts (what the JDK's lib/security/cacerts links
# to), a vendor JDK's PKCS#12 cacerts under /opt (made by keytool), and a
# JDK named by $JAVA_HOME. keytool lists the entries; a real
# java.net.http.HttpClient with no flags fails before and reaches the
# server after; rotation leaves the old CA nowhere (Debian's hook's own
# "debian:cainit.SET.pem" alias included); `remove --all` gives the JKS
# file back byte for byte. Keystores cainit cannot edit (bad digest, other
# password, not a keystore) get a warning, stay byte-identical and never
# fail the install. A JDK linking its cacerts out of a --root stays inside.
# On the host's store, in this test's namespace over copies of /etc, /opt.
[ "$FS" = tmpfs ] || skip "uses the host's own store; once is enough"
for t in java javac keytool; do
	command -v $t >/dev/null || die "$t missing (scripts/deps.sh installs openjdk-17-jdk-headless)"
done
[ -f /etc/ssl/certs/java/cacerts ] || die "no Debian Java keystore (scripts/deps.sh installs ca-certificates-java)"

mkdir -p "$SCRATCH/etc" "$SCRATCH/local-cas" "$SCRATCH/opt"
cp -a /etc/. "$SCRATCH/etc/"
cp -a /usr/local/share/ca-certificates/. "$SCRATCH/local-cas/"
mount --bind "$SCRATCH/etc" /etc
mount --bind "$SCRATCH/local-cas" /usr/local/share/ca-certificates
mount --bind "$SCRATCH/opt" /opt
cover_host_pythons
jks=/etc/ssl/certs/java/cacerts
cp "$jks" "$SCRATCH/jks.orig"
[ "$(head -c4 "$jks" | od -An -tx1 | tr -d ' ')" = feedfeed ] || die "$jks is not JKS"

mkca A
mkca B
mkleaf LA A
port=$(free_port)
python3 "$HERE/../tools/origin.py" "$SCRATCH/LA.pem" "$SCRATCH/LA.key" "$port" &
on_exit "kill $!"
wait_until 60 listening "$port" || die "nothing listens on $port"
url=https://localhost:$port/

javac -d "$SCRATCH/cls" "$HERE/../tools/HttpGet.java" || die "javac HttpGet.java"
java_get() { java -cp "$SCRATCH/cls" "$@" HttpGet "$url"; }
alias_of() { echo "cainit.default.$(fp_of "$SCRATCH/$1.pem" | tr -d : | tr A-F a-f)"; }
has_alias() { keytool -list -storepass changeit -alias "$2" $1 >/dev/null 2>&1; }

# a vendor JDK under /opt with a PKCS#12 cacerts, and one named by JAVA_HOME (JKS)
vendor=/opt/vendor-jdk/lib/security/cacerts
mkdir -p "$(dirname "$vendor")" "$SCRATCH/jh/jre/lib/security"
keytool -importcert -noprompt -storetype PKCS12 -keystore "$vendor" -storepass changeit -alias isrg \
	-file /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt >/dev/null 2>&1 || die "keytool PKCS12"
jh=$SCRATCH/jh/jre/lib/security/cacerts
keytool -importcert -noprompt -storetype JKS -keystore "$jh" -storepass changeit -alias isrg \
	-file /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt >/dev/null 2>&1 || die "keytool JKS"
cp "$jh" "$SCRATCH/jh.orig"
p12_props=(-Djavax.net.ssl.trustStore="$vendor" -Djavax.net.ssl.trustStoreType=PKCS12
	-Djavax.net.ssl.trustStorePassword=changeit)

expect_rc 3 java_get
expect_rc 3 java_get "${p12_props[@]}"
note "java HttpClient before install: handshake refused (default cacerts and the PKCS#12 one)"

export JAVA_HOME=$SCRATCH/jh
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
a=$(alias_of A)
has_alias -cacerts "$a" || die "keytool -list -cacerts does not show $a"
has_alias "-keystore $vendor" "$a" || die "the PKCS#12 keystore lacks $a"
grep -q trustedCertEntry <<<"$(keytool -list -storepass changeit -keystore "$vendor" -alias "$a")" ||
	die "$a is not a trusted entry in the PKCS#12 keystore"
has_alias "-keystore $jh" "$a" || die "the \$JAVA_HOME keystore lacks $a"
expect_rc 0 java_get
[ "$OUT" = 200 ] || die "java HttpClient after install: $OUT $ERR"
expect_rc 0 java_get "${p12_props[@]}"
note "after install: keytool lists $a (JKS, PKCS#12, \$JAVA_HOME); HttpClient gets 200 through both formats"

expect_rc 0 "$CAINIT" status
grep -q "keystore present  $jks  verified" <<<"$OUT" || die "status: $OUT"
grep -q "keystore present  $vendor  verified" <<<"$OUT" || die "status (PKCS#12): $OUT"
expect_rc 0 "$CAINIT" verify "$SCRATCH/LA.pem"
grep -q "^keystore ok" <<<"$OUT" || die "verify shows no keystore: $OUT"

# a second install of the same CA writes nothing
cp "$jks" "$SCRATCH/jks.a"
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
grep -q "(unchanged)" <<<"$ERR" || die "re-install changed something: $ERR"
assert_same "$jks" "$SCRATCH/jks.a"

# keystores cainit cannot edit: reported, left alone, never fatal
mkdir -p /opt/badsum-jdk/lib/security /opt/garbage-jdk/lib/security /opt/otherpass-jdk/lib/security
python3 - "$SCRATCH/jks.orig" /opt/badsum-jdk/lib/security/cacerts <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-1] ^= 1; open(sys.argv[2], 'wb').write(b)
EOF
echo "this is not a keystore" > /opt/garbage-jdk/lib/security/cacerts
keytool -importcert -noprompt -storetype JKS -keystore /opt/otherpass-jdk/lib/security/cacerts \
	-storepass secret123 -alias isrg -file /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt >/dev/null 2>&1
# a keystore that is a bind-mounted file (as a Kubernetes subPath mount makes): rename gives EBUSY
mkdir -p /opt/bound-jdk/lib/security
cp "$SCRATCH/jh.orig" "$SCRATCH/bound.cacerts"
touch /opt/bound-jdk/lib/security/cacerts
mount --bind "$SCRATCH/bound.cacerts" /opt/bound-jdk/lib/security/cacerts
for d in badsum garbage otherpass bound; do cp /opt/$d-jdk/lib/security/cacerts "$SCRATCH/$d.orig"; done

# Debian's hook, run by update-ca-certificates, names cainit's anchor file's CA "debian:cainit.default.pem"
keytool -importcert -noprompt -keystore "$jks" -storepass changeit -alias debian:cainit.default.pem \
	-file "$SCRATCH/A.pem" >/dev/null 2>&1 || die "keytool import of the derived alias"

expect_rc 0 "$CAINIT" install "$SCRATCH/B.pem"
for d in badsum garbage otherpass bound; do
	grep -q "warning: /opt/$d-jdk/lib/security/cacerts: .*left as it is" <<<"$ERR" || die "no warning for $d: $ERR"
	assert_same /opt/$d-jdk/lib/security/cacerts "$SCRATCH/$d.orig"
done
grep -q "otherpass-jdk/lib/security/cacerts: JKS: integrity digest does not check" <<<"$ERR" ||
	die "the other-password keystore's warning does not say why: $ERR"
b=$(alias_of B)
for ks in -cacerts "-keystore $vendor" "-keystore $jh"; do
	has_alias "$ks" "$b" || die "rotation: $ks lacks $b"
	has_alias "$ks" "$a" && die "rotation: $ks still holds $a"
done
has_alias -cacerts debian:cainit.default.pem && die "rotation left Debian's derived alias with the old CA"
expect_rc 3 java_get
note "rotation to B: B everywhere, A (and debian:cainit.default.pem) nowhere, HttpClient refused again"
expect_rc 0 "$CAINIT" status
grep -q "keystore /opt/garbage-jdk/lib/security/cacerts  UNUSABLE: neither JKS nor PKCS#12" <<<"$OUT" ||
	die "status does not show the unusable keystore: $OUT"
grep -q "keystore /opt/otherpass-jdk/lib/security/cacerts  UNUSABLE: JKS: integrity digest does not check" <<<"$OUT" ||
	die "status does not show the keystore with another password: $OUT"
expect_rc 0 "$CAINIT" status --json
# unusable keystores are not the set's stores; the bound one is, and truly lacks the CA
python3 - <(echo "$OUT") <<'EOF' || die "status with unusable and bound keystores: $OUT"
import json, sys
(s,) = json.load(open(sys.argv[1]))["sets"]
for st in s["stores"]:
    bound = "bound-jdk" in st["path"]
    assert st["present"] != bound and st.get("verified", True) != bound, st
    assert not any(x in st["path"] for x in ("badsum", "garbage", "otherpass")), st
assert not s["ok"]
EOF
ls /tmp/.cacerts.cainit-tmp /opt/bound-jdk/lib/security/.cacerts.cainit-tmp 2>/dev/null && die "temp file left beside the bound keystore"
note "3 unusable keystores and a bind-mounted one: warned, byte-identical, shown by status; the rest rotated"
umount /opt/bound-jdk/lib/security/cacerts
rm -rf /opt/badsum-jdk /opt/garbage-jdk /opt/otherpass-jdk /opt/bound-jdk

# remove --all: the JKS files come back byte for byte, the PKCS#12 loses the entry
expect_rc 0 "$CAINIT" remove --all
has_alias -cacerts "$b" && die "remove left $b"
assert_same "$jh" "$SCRATCH/jh.orig"
[ "$(keytool -list -storepass changeit -keystore "$vendor" | grep -c trustedCertEntry)" = 1 ] ||
	die "the PKCS#12 keystore still holds cainit's entry"
note "remove --all: \$JAVA_HOME's JKS byte-identical, PKCS#12 back to its one entry"

# and without the hook's alias in the way, the Debian JKS itself round-trips exactly
cp "$SCRATCH/jks.orig" "$jks"
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
cmp -s "$jks" "$SCRATCH/jks.orig" && die "install did not change $jks"
expect_rc 0 "$CAINIT" remove --all
assert_same "$jks" "$SCRATCH/jks.orig"
note "Debian's JKS: install then remove --all is byte-identical to the original"

# confinement: a JDK in a --root whose cacerts links out of it
mkroot debian "$SCRATCH/R"
mkdir -p "$SCRATCH/outside" "$SCRATCH/R/usr/lib/jvm/evil/lib/security"
cp "$SCRATCH/jks.orig" "$SCRATCH/outside/cacerts"
ln -s "$SCRATCH/outside/cacerts" "$SCRATCH/R/usr/lib/jvm/evil/lib/security/cacerts"
expect_rc 0 "$CAINIT" install --root "$SCRATCH/R" "$SCRATCH/A.pem"
assert_same "$SCRATCH/outside/cacerts" "$SCRATCH/jks.orig"
note "a cacerts symlink out of --root: the file outside is untouched"
