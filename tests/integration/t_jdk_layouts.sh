# Every JDK a root has (docs/stores.md, Java keystores): the official
# images' /opt/java/openjdk (Temurin) and /usr/local/openjdk-N (the former
# openjdk image), a vendor's /opt/bitnami/java, and the JDK that
# /etc/environment's JAVA_HOME names get the CA without --java-home;
# keytool (this machine's) lists it in each; remove --all gives each
# keystore back byte for byte.
command -v keytool >/dev/null || die "keytool missing (scripts/deps.sh installs a JDK)"
[ -f /etc/ssl/certs/java/cacerts ] || die "no Debian Java keystore (scripts/deps.sh installs ca-certificates-java)"
mkca A
r=$SCRATCH/r
mkroot debian "$r"
homes=(opt/java/openjdk usr/local/openjdk-17 opt/bitnami/java srv/jdk)
for h in "${homes[@]}"; do
	mkdir -p "$r/$h/lib/security" "$r/$h/bin"
	cp /etc/ssl/certs/java/cacerts "$r/$h/lib/security/cacerts"
	: >"$r/$h/bin/java"
done
printf 'LANG=C.UTF-8\nJAVA_HOME="/srv/jdk"\n' >"$r/etc/environment"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
alias=cainit.default.$(openssl x509 -in "$SCRATCH/A.pem" -outform DER | sha256sum | cut -c1-64)
for h in "${homes[@]}"; do
	keytool -list -keystore "$r/$h/lib/security/cacerts" -storepass changeit -alias "$alias" >/dev/null 2>&1 ||
		die "$h: keytool does not list $alias"
done
expect_rc 0 "$CAINIT" status --root "$r"
[ "$(grep -c '^  keystore *present' <<<"$OUT")" -ge "${#homes[@]}" ] || die "status: $OUT"
note "install: ${#homes[@]} JDK layouts (/opt/java/openjdk, /usr/local/openjdk-17, /opt/bitnami/java, /etc/environment's JAVA_HOME) hold A, keytool lists it"
expect_rc 0 "$CAINIT" remove --root "$r" --all
for h in "${homes[@]}"; do
	cmp -s "$r/$h/lib/security/cacerts" /etc/ssl/certs/java/cacerts || die "$h: not given back byte for byte"
done
note "remove --all: each keystore given back byte for byte"

# issue 18: a directory the discovery of several rooms looks in is listed
# once per change. /opt is where Python's, Java's, npm's and Bun's
# prefixes are looked for: each room listing it again made four listings.
# (strace -y names each descriptor's path; LeakSanitizer cannot run under
# ptrace)
command -v strace >/dev/null || die "strace is missing (scripts/deps.sh installs it)"
env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -y -qq -e trace=openat -o "$SCRATCH/opt.trace" \
	"$CAINIT" install --root "$r" "$SCRATCH/A.pem" >/dev/null 2>&1 || die "install under strace failed"
listed=$(grep -cF "<$(realpath "$r")/opt>, \".\", O_RDONLY|O_CLOEXEC|O_DIRECTORY" "$SCRATCH/opt.trace" || true)
[ "$listed" = 1 ] || die "/opt listed $listed times in one install (want 1): $(grep -F "/opt>" "$SCRATCH/opt.trace" | head -5)"
# and a name missing from that listing (or from /opt/java's, /opt/bitnami's:
# listed for Java anyway) is not looked up again by the rooms that probe
# prefixes (Python: conda-meta, lib, lib64, envs; Java: lib, jre; npm and
# Bun: bin), while the JDKs below them were found (above)
probed=$(grep -E "<$(realpath "$r")/opt(/java|/bitnami)?>, \"(conda-meta|lib|lib64|envs|bin|jre)\"" "$SCRATCH/opt.trace" || true)
[ -z "$probed" ] || die "names the listings lack were looked up: $probed"
expect_rc 0 "$CAINIT" remove --root "$r" --all
note "one install lists /opt once, for the four rooms that look there, and looks up no name the listings lack"
