# A hostile root's certutil never runs. The root plants a static program
# as certutil in every place cainit once looked (tests/tools/escape.c: if
# run, it marks /CAINIT-RAN and tries a chroot escape, /proc/1/root and
# ptrace to write a file outside the root). install --nss, a rotation,
# remove of a set that is not there (without --nss), remove --all, serve
# with /init, and run --nss all write the root's NSS database natively:
# the program never runs and nothing outside the root changes, while the
# database holds exactly the CA (read back by the host's own certutil).
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
command -v certutil >/dev/null || die "certutil missing (scripts/deps.sh installs libnss3-tools)"
escape=$BUILD/tests/escape
[ -x "$escape" ] || escape=$(dirname "${AGENT:-/nonexistent}")/tests/escape
[ -x "$escape" ] || skip "no static tests/escape in this build (build the static one first)"
mkca A
mkca B
mkleaf LA A

r=$SCRATCH/r
out=$SCRATCH/outside
mkdir -p "$out"
echo "the host's" >"$out/keep"
mkroot debian "$r"
mkdir -p "$r/root/.pki/nssdb" "$r/usr/bin" "$r/bin" "$r/usr/local/bin" "$r/proc"
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
certutil -N -d "sql:$r/root/.pki/nssdb" --empty-password
for p in /usr/bin/certutil /bin/certutil /usr/local/bin/certutil; do
	cp "$escape" "$r$p"
	chmod 4755 "$r$p"
done
echo "$out/escaped" >"$r/escape-target"
outside_before=$(snapshot "$out")
nick_of() { echo "cainit.default.$(fp_of "$1" | tr -d : | tr A-F a-f)"; }
nicks() { certutil -L -d "sql:$r/root/.pki/nssdb" | awk 'NR > 3 { print $1 }' | grep '^cainit\.' || true; }
never_ran() {
	[ ! -e "$r/CAINIT-RAN" ] || die "$1: the root's certutil ran"
	[ ! -e "$r/CAINIT-PTRACED" ] || die "$1: the root's certutil attached to cainit"
	[ ! -e "$out/escaped" ] || die "$1: the root's certutil escaped: $(cat "$out/escaped")"
	[ "$(snapshot "$out")" = "$outside_before" ] || die "$1: files outside the root changed"
}

expect_rc 0 "$CAINIT" install --root "$r" --nss "$SCRATCH/A.pem"
never_ran "install --nss"
[ "$(nicks)" = "$(nick_of "$SCRATCH/A.pem")" ] || die "install --nss: the database holds: $(nicks)"

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
never_ran "a rotation"
[ "$(nicks)" = "$(nick_of "$SCRATCH/B.pem")" ] || die "rotation: the database holds: $(nicks)"

expect_rc 0 "$CAINIT" remove --root "$r" --name nosuchset
never_ran "remove --name nosuchset"

expect_rc 0 "$CAINIT" remove --root "$r" --all
never_ran "remove --all"
[ -z "$(nicks)" ] || die "remove --all left $(nicks)"

echo tok >"$SCRATCH/token"
port=$(free_port)
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" --nss
expect_rc 0 "$CAINIT" push --to "http://127.0.0.1:$port" --token-file "$SCRATCH/token" "$SCRATCH/A.pem"
stop_agent
never_ran "serve, /init"
[ "$(nicks)" = "$(nick_of "$SCRATCH/A.pem")" ] || die "serve --nss: the database holds: $(nicks)"

expect_rc 0 "$CAINIT" run --root "$r" --ca "$SCRATCH/B.pem" --nss -- true
never_ran "run --nss"
[ "$(nicks)" = "$(nick_of "$SCRATCH/B.pem")" ] || die "run --nss: the database holds: $(nicks)"
expect_rc 0 "$CAINIT" remove --root "$r" --all
never_ran "the last remove"
note "a planted certutil (setuid, static, escaping) never ran in install, rotation, remove, remove --all, serve or run; the database followed each"

# remove without --nss touches only the databases cainit recorded: one it
# never wrote (here holding a cainit-named entry someone else made) stays
# as it is; remove --nss searches the root and takes the entry out
mkdir -p "$r/etc/pki/nssdb"
certutil -N -d "sql:$r/etc/pki/nssdb" --empty-password
certutil -A -d "sql:$r/etc/pki/nssdb" -n "$(nick_of "$SCRATCH/A.pem")" -t C,, -i "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
cp "$r/etc/pki/nssdb/cert9.db" "$SCRATCH/cert9.before"
expect_rc 0 "$CAINIT" remove --root "$r" --all
assert_same "$r/etc/pki/nssdb/cert9.db" "$SCRATCH/cert9.before"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --all --nss
[ -z "$(certutil -L -d "sql:$r/etc/pki/nssdb" | awk 'NR > 3 { print $1 }' | grep '^cainit\.')" ] ||
	die "remove --nss left the entry"
never_ran "remove --nss"
note "remove without --nss leaves a database cainit never wrote byte for byte; remove --nss searches"
