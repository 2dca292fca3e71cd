# The shipped binary is static (no PT_INTERP) and works in a root with no
# libc and no shell: a scratch image gets a bundle holding only its CA.
[ "$STATIC_BUILD" = 1 ] || skip "the sanitizer build is dynamic by design"
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"

if readelf -l "$CAINIT" | grep -q 'INTERP'; then die "cainit has a PT_INTERP"; fi
readelf -d "$CAINIT" 2>/dev/null | grep -q NEEDED && die "cainit needs shared libraries"

empty=$SCRATCH/empty
mkdir -p "$empty/bin"
cp "$CAINIT" "$empty/bin/cainit"
mkca A
cp "$SCRATCH/A.pem" "$empty/ca.pem"
chroot "$empty" /bin/cainit version | grep -q '^cainit ' || die "version in an empty root"
expect_rc 0 chroot "$empty" /bin/cainit install /ca.pem
expect_err 'set=default stores='
[ -f "$empty/etc/ssl/certs/ca-certificates.crt" ] || die "no bundle created"
[ "$(count_certs "$empty/etc/ssl/certs/ca-certificates.crt")" = 1 ] || die "bundle should hold exactly the CA"
expect_rc 0 chroot "$empty" /bin/cainit verify /ca.pem
expect_rc 0 chroot "$empty" /bin/cainit remove --all
[ -e "$empty/etc/ssl/certs/ca-certificates.crt" ] && die "created bundle should go with the last CA"
true
