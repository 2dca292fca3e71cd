# The npm configuration room (docs/stores.md, "npm"): for each Node the
# root has (PREFIX/bin/node: /usr, /usr/local, /opt/NAME, each home's nvm
# versions), PREFIX/etc/npmrc, npm's global configuration, gets
# cafile=<the full bundle> in cainit's block, and so does an existing
# /etc/npmrc; a cafile the owner sets is left, with a warning; a link to
# a file already kept is that file; the directories cainit made go with
# the last set and every file is given back byte for byte. (The matrix's
# bare column runs a real npm against an HTTPS registry with no variables.)
mkca A
mkca B
r=$SCRATCH/r
mkroot debian "$r"
nodes=(usr usr/local opt/node20 home/dev/.nvm/versions/node/v22.1.0)
for p in "${nodes[@]}"; do mkdir -p "$r/$p/bin" && : >"$r/$p/bin/node"; done
mkdir -p "$r/usr/local/etc" "$r/home/dev/.nvm/versions/node/v22.1.0/etc" "$r/opt/node18"
printf 'registry=https://r.example/\nCAFILE = /opt/corp.pem' >"$r/usr/local/etc/npmrc" # (no final newline)
printf 'fund=false' >"$r/home/dev/.nvm/versions/node/v22.1.0/etc/npmrc"
printf '; npm global\nprogress=false\n' >"$r/etc/npmrc"
ln -s /usr/bin "$r/opt/node18/bin" # /usr's Node through a link: npm's prefix is the real one, /usr
printf 'root:x:0:0::/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\n' >"$r/etc/passwd"
before=$(content_snapshot "$r")
cp -a "$r" "$SCRATCH/orig"

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
grep -q "usr/local/etc/npmrc: cafile is /opt/corp.pem, not the bundle; left as it is" <<<"$ERR" ||
	die "no warning for the owner's cafile: $ERR"
cafile_of() { # FILE: the cafile npm's ini reader would take (the last one)
	python3 -c 'import re, sys
v = "-"
for line in open(sys.argv[1]):
    m = re.match(r"\s*cafile\s*[=:]\s*(.*?)\s*$", line, re.I)
    if m and not line.lstrip().startswith(("#", ";")): v = m.group(1)
print(v)' "$1"
}
for f in usr/etc/npmrc opt/node20/etc/npmrc home/dev/.nvm/versions/node/v22.1.0/etc/npmrc etc/npmrc; do
	[ "$(cafile_of "$r/$f")" = /etc/ssl/certs/ca-certificates.crt ] || die "$f: cafile $(cafile_of "$r/$f")"
	[ "$(grep -c '^cafile=' "$r/$f")" = 1 ] || die "$f: cafile more than once"
done
[ ! -e "$r/opt/node18/etc" ] || die "an npmrc for a linked Node's link prefix (npm reads its real prefix's)"
[ "$(cafile_of "$r/usr/local/etc/npmrc")" = /opt/corp.pem ] || die "the owner's cafile changed"
cmp -s "$r/usr/local/etc/npmrc" "$SCRATCH/orig/usr/local/etc/npmrc" || die "the owner's npmrc changed"
head -c 10 "$r/home/dev/.nvm/versions/node/v22.1.0/etc/npmrc" | cmp -s - <(printf 'fund=false') ||
	die "nvm's npmrc: the owner's bytes moved"
note "install: npmrc for /usr (made /usr/etc), /opt/node20, nvm's v22.1.0 and /etc/npmrc; the owner's cafile left, with a warning"

npmrcs() { cat "$r/usr/etc/npmrc" "$r/opt/node20/etc/npmrc" "$r/etc/npmrc" | md5sum; }
after_a=$(npmrcs)
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
[ "$(npmrcs)" = "$after_a" ] || die "a rotation rewrote the npmrc files (they name the bundle, which does not move)"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(content_snapshot "$r")" = "$before" ] || die "after remove --all the root differs: $(diff -r "$SCRATCH/orig" "$r" | head)"
[ ! -e "$r/usr/etc" ] && [ ! -e "$r/opt/node20/etc" ] || die "a directory cainit made outlived the last set"
note "rotation, then remove --all: every npmrc given back byte for byte, the directories cainit made gone"
