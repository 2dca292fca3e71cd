# Bad input: one line naming the problem, exit 2, and every file exactly as
# it was (content, inode, mtime).
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca B
mkleaf L A
mkca Old --from -7200 --to -3600
mkca Later --from 3600 --to 7200
before=$(snapshot "$r")
before_content=$(content_snapshot "$r")

refuse() { # refuse FILE MESSAGE
	expect_rc 2 "$CAINIT" install --root "$r" "$1"
	expect_err "$2"
	[ "$(wc -l <<<"$ERR")" -eq 1 ] || die "more than one line: $ERR"
	[ "$(snapshot "$r")" = "$before" ] || die "files changed after refusing $1"
}
in=$SCRATCH/in
cat "$SCRATCH/A.key" > "$in.1"; refuse "$in.1" "refusing input that holds a private key"
cat "$SCRATCH/A.pem" "$SCRATCH/A.key" > "$in.2"; refuse "$in.2" "line $(($(wc -l < "$SCRATCH/A.pem") + 1)): refusing input that holds a private key"
for label in "RSA PRIVATE KEY" "EC PRIVATE KEY" "ENCRYPTED PRIVATE KEY" "PRIVATE KEY"; do
	{ cat "$SCRATCH/A.pem"; echo "-----BEGIN $label-----"; echo QUJD; echo "-----END $label-----"; } > "$in.3"
	refuse "$in.3" "private key"
done
openssl pkey -in "$SCRATCH/A.key" -outform DER -out "$in.4"; refuse "$in.4" "is a DER private key"
: > "$in.5"; refuse "$in.5" "input is empty"
echo "hello" > "$in.6"; refuse "$in.6" "neither PEM nor a DER certificate"
head -c 300 "$SCRATCH/A.pem" > "$in.7"; refuse "$in.7" "line 1: truncated PEM block"
sed '3s/./*/' "$SCRATCH/A.pem" > "$in.8"; refuse "$in.8" "line 1: broken base64"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '\n' > "$in.9"; refuse "$in.9" "input is larger than 1 MiB"
refuse "$SCRATCH/L.pem" "is not a CA (no basicConstraints CA:TRUE); --allow-leaf installs it anyway"
refuse "$SCRATCH/Old.pem" "expired at"
refuse "$SCRATCH/Later.pem" "is not valid before"
# a bad certificate among good ones refuses the whole input
cat "$SCRATCH/B.pem" "$SCRATCH/Old.pem" > "$in.10"; refuse "$in.10" "expired at"

# the escape hatches work
expect_rc 0 "$CAINIT" install --root "$r" --name leaf --allow-leaf "$SCRATCH/L.pem"
expect_rc 0 "$CAINIT" install --root "$r" --name old --allow-expired "$SCRATCH/Old.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(content_snapshot "$r")" = "$before_content" ] || die "remove --all did not restore the root"
