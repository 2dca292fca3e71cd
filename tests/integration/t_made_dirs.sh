# cainit gives a root back as it found it. The directories it had to make
# (a distroless or scratch image has no /etc/ssl/certs, no anchor directory,
# no /etc/cainit) are recorded in /etc/cainit/dirs, shown by status, and
# removed with the last set, deepest first, when empty; one that someone
# else has put a file in stays. A root whose only store is a hashed
# directory of CA files (OpenWrt, LEDE) is named as such.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
mkca A
mkleaf LA A
tree_of() { (cd "$1" && find . -printf '%p %y %m\n' | sort); }

# a scratch root: only /etc and /usr
r=$SCRATCH/scratch
mkdir -p "$r/etc" "$r/usr"
before=$(tree_of "$r")
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
expect_rc 0 "$CAINIT" status --root "$r"
grep -q "^made by cainit (removed with the last set when empty):.* /etc/ssl /etc/ssl/certs" <<<"$OUT" || die "status: $OUT"
"$CAINIT" status --root "$r" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert "/etc/ssl/certs" in d["made_dirs"] and "/etc/cainit" in d["made_dirs"], d["made_dirs"]' || die "status --json made_dirs"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(tree_of "$r")" = "$before" ] || die "remove --all did not give the root back:
$(diff <(echo "$before") <(tree_of "$r"))"
note "a scratch root: /etc/ssl/certs, /etc/cainit and the rest made, recorded, shown, and gone with the last set"

# the same root, and a file of someone else's in a directory cainit made
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
echo mine >"$r/etc/ssl/certs/theirs.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ -f "$r/etc/ssl/certs/theirs.pem" ] || die "someone else's file went"
[ ! -e "$r/etc/cainit" ] || die "/etc/cainit stayed"
rm "$r/etc/ssl/certs/theirs.pem"
rmdir "$r/etc/ssl/certs" "$r/etc/ssl"
[ "$(tree_of "$r")" = "$before" ] || die "more than the other file's directory stayed"

# two sets: the directories stay until the last one goes
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" install --root "$r" --name other "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --name default
[ -d "$r/etc/ssl/certs" ] && [ -d "$r/etc/cainit/sets" ] || die "directories went with a set that was not the last"
expect_rc 0 "$CAINIT" remove --root "$r" --name other
[ "$(tree_of "$r")" = "$before" ] || die "the last set's removal left directories"

# OpenWrt: CA files with hash links in /etc/ssl/certs, no bundle
r=$SCRATCH/openwrt
mkdir -p "$r/etc/ssl/certs"
for f in $(host_cas 20); do
	cp "$f" "$r/etc/ssl/certs/"
	h=$(openssl x509 -noout -subject_hash -in "$f")
	n=0
	while [ -e "$r/etc/ssl/certs/$h.$n" ]; do n=$((n + 1)); done
	ln -s "$(basename "$f")" "$r/etc/ssl/certs/$h.$n"
done
expect_rc 0 "$CAINIT" status --root "$r"
grep -qx "layouts: openwrt (CA files in a hashed directory and no bundle: cainit keeps its own bundle at /etc/ssl/certs/ca-certificates.crt)" <<<"$OUT" ||
	die "status of an OpenWrt root: $OUT"
before=$(tree_of "$r")
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
openssl verify -no-CAfile -CApath "$r/etc/ssl/certs" "$SCRATCH/LA.pem" >/dev/null || die "OpenSSL does not verify through the hashed directory"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(tree_of "$r")" = "$before" ] || die "the OpenWrt root was not given back"
note "an OpenWrt root is named as such; install and remove give it back as it was"
