# The command line under valgrind memcheck (the dynamically linked build:
# valgrind cannot follow malloc in a static binary): install, the same
# again, rotation with Java and a PKCS#12 keystore in the root, status
# (text and JSON), verify, env, refusals (private key, bad PEM, expired),
# remove and remove --all, NSS databases (made by --nss-user, rotated,
# removed), and bake --rootfs. Each run must report no error and no
# definite leak.
need_valgrind
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca B
mkca Old --from -7200 --to -3600
if [ -f /etc/ssl/certs/java/cacerts ]; then
	mkdir -p "$r/etc/ssl/certs/java"
	cp /etc/ssl/certs/java/cacerts "$r/etc/ssl/certs/java/cacerts"
fi
mkdir -p "$r/root"
grep -q '^root:' "$r/etc/passwd" 2>/dev/null || echo "root:x:0:0:root:/root:/bin/sh" >>"$r/etc/passwd"
runs=0
# vg WANT_RC ARGS...: cainit ARGS under memcheck
vg() {
	local want=$1 rc=0; shift
	$MEMCHECK -q --log-file="$SCRATCH/vg.log" "$BUILD/cainit-dynamic" "$@" >/dev/null 2>"$SCRATCH/vg.err" || rc=$?
	[ "$rc" = "$want" ] || die "cainit $* under valgrind: exit $rc, want $want: $(head -n 30 "$SCRATCH/vg.log") $(cat "$SCRATCH/vg.err")"
	[ ! -s "$SCRATCH/vg.log" ] || die "cainit $*: valgrind: $(head -n 30 "$SCRATCH/vg.log")"
	runs=$((runs + 1))
}
cat "$SCRATCH/A.pem" "$SCRATCH/A.key" >"$SCRATCH/keyed.pem"
head -n 5 "$SCRATCH/A.pem" >"$SCRATCH/torn.pem"
vg 0 install --root "$r" "$SCRATCH/A.pem"
vg 0 install --root "$r" "$SCRATCH/A.pem"
vg 0 install --root "$r" "$SCRATCH/B.pem"
vg 0 install --root "$r" --name other "$SCRATCH/A.pem"
vg 0 status --root "$r"
vg 0 status --root "$r" --json
vg 0 verify --root "$r" "$SCRATCH/B.pem"
vg 1 verify --root "$r" "$SCRATCH/Old.pem"
vg 0 env --root "$r"
vg 2 install --root "$r" "$SCRATCH/keyed.pem"
vg 2 install --root "$r" "$SCRATCH/torn.pem"
vg 2 install --root "$r" "$SCRATCH/Old.pem"
vg 0 install --root "$r" --name web --nss --nss-user root "$SCRATCH/A.pem"
vg 0 install --root "$r" --name web "$SCRATCH/B.pem"
vg 0 status --root "$r" --json
vg 0 remove --root "$r" --name other
vg 0 remove --root "$r" --all
mkroot debian "$SCRATCH/b"
vg 0 bake --rootfs "$SCRATCH/b" --agent "$BUILD/cainit" --ca "$SCRATCH/A.pem"
note "valgrind memcheck: $runs CLI runs (install, rotation, status, verify, env, refusals, remove, bake): no error, no definite leak"
