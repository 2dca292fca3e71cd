# Every subcommand has --help; bad usage exits 2 with one line; operational
# failures exit 1 naming the path.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"

for c in install remove status verify version serve push env run bake; do
	expect_rc 0 "$CAINIT" "$c" --help
	grep -q "^usage: cainit $c" <<<"$OUT" || die "$c --help"
done
expect_rc 0 "$CAINIT" --help
grep -q 'install' <<<"$OUT" || die "--help lists commands"
expect_rc 0 "$CAINIT" version
# the architecture it was built for: this machine's, or the emulated one's (tests/arch)
arch=${CAINIT_ARCH:-$(uname -m | sed 's/^x86_64$/amd64/; s/^aarch64$/arm64/')}
grep -Eq "^cainit [0-9]+\.[0-9]+\.[0-9]+ linux-$arch \(OpenSSL " <<<"$OUT" || die "version: $OUT"
expect_rc 0 "$CAINIT" --version
expect_rc 2 "$CAINIT" version extra

mkroot debian "$SCRATCH/r"
mkca A
expect_rc 2 "$CAINIT"
expect_rc 2 "$CAINIT" frobnicate
expect_err 'unknown command "frobnicate"'
expect_rc 2 "$CAINIT" install --root "$SCRATCH/r"
expect_err 'expected exactly one FILE'
expect_rc 2 "$CAINIT" install --bogus "$SCRATCH/A.pem"
expect_rc 2 "$CAINIT" install --root "$SCRATCH/r" "$SCRATCH/A.pem" extra
expect_rc 2 "$CAINIT" remove --root "$SCRATCH/r"
expect_err 'give exactly one of --name NAME or --all'
expect_rc 2 "$CAINIT" remove --root "$SCRATCH/r" --name a --all
expect_rc 2 "$CAINIT" install --root "$SCRATCH/r" --name 'a/../b' "$SCRATCH/A.pem"
expect_err 'invalid set name'
expect_rc 2 "$CAINIT" remove --root "$SCRATCH/r" --name '.hidden'
expect_rc 2 "$CAINIT" verify --root "$SCRATCH/r"
expect_rc 2 "$CAINIT" status --root "$SCRATCH/r" extra
expect_rc 2 "$CAINIT" install --root "$SCRATCH/r" "$SCRATCH/missing.pem"
expect_err "$SCRATCH/missing.pem: open: No such file or directory"
expect_rc 1 "$CAINIT" status --root "$SCRATCH/nonexistent"
expect_err "$SCRATCH/nonexistent: open root: No such file or directory"
expect_rc 1 "$CAINIT" verify --root "$SCRATCH/r" "$SCRATCH/A.pem"
expect_err 'is not trusted through every store'
# stdin works as FILE
expect_rc 0 "$CAINIT" install --root "$SCRATCH/r" - < "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" verify --root "$SCRATCH/r" - < "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$SCRATCH/r" --name nothing-here
expect_err 'set=nothing-here is not installed'
true
