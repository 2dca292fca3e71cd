# The conda configuration room (docs/stores.md, "conda"): each conda prefix
# the Python room finds (a directory with conda-meta/: /opt/NAME and its
# envs, each home's miniconda3, anaconda3, miniforge3, .conda/envs) gets
# `ssl_verify: <the full bundle>` in cainit's block of its .condarc, a
# top-level key a YAML loader reads once; an ssl_verify the owner sets is
# left, with a warning, and so is a file cainit cannot extend by a line
# (a flow mapping); a rotation rewrites none of them (the bundle's path
# does not move); the last removal gives each file back byte for byte and
# takes away the ones cainit made.
mkca A
mkca B
r=$SCRATCH/r
mkroot debian "$r"
prefixes=(opt/conda opt/conda/envs/ml root/miniforge3 home/dev/.conda/envs/web opt/flow opt/theirs)
for p in "${prefixes[@]}"; do mkdir -p "$r/$p/conda-meta"; done
mkdir -p "$r/opt/notconda/lib" # no conda-meta: not conda's
printf 'channels:\n  - conda-forge\n  - defaults\nauto_activate_base: false' >"$r/opt/conda/.condarc" # (no final newline)
printf '{channels: [defaults]}\n' >"$r/opt/flow/.condarc"
printf "ssl_verify: '/opt/corp.pem'\n" >"$r/opt/theirs/.condarc"
printf 'root:x:0:0:root:/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\n' >"$r/etc/passwd"
before=$(content_snapshot "$r")
cp -a "$r" "$SCRATCH/orig"
yaml_get() { # FILE KEY: the value a YAML loader reads ("-": none)
	/usr/bin/python3 -c 'import sys, yaml
d = yaml.safe_load(open(sys.argv[1])) or {}
print(d.get(sys.argv[2], "-"))' "$1" "$2" || die "$1: not YAML: $(cat "$1")"
}

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
grep -q "opt/theirs/.condarc: ssl_verify is /opt/corp.pem, not the bundle; left as it is" <<<"$ERR" ||
	die "no warning for the owner's ssl_verify: $ERR"
grep -q "opt/flow/.condarc: not a block mapping" <<<"$ERR" || die "no warning for the flow mapping: $ERR"
for p in opt/conda opt/conda/envs/ml root/miniforge3 home/dev/.conda/envs/web; do
	[ "$(yaml_get "$r/$p/.condarc" ssl_verify)" = /etc/ssl/certs/ca-certificates.crt ] ||
		die "$p/.condarc: ssl_verify is $(yaml_get "$r/$p/.condarc" ssl_verify)"
done
[ "$(yaml_get "$r/opt/conda/.condarc" channels)" = "['conda-forge', 'defaults']" ] &&
	[ "$(yaml_get "$r/opt/conda/.condarc" auto_activate_base)" = False ] ||
	die "the owner's keys moved: $(cat "$r/opt/conda/.condarc")"
cmp -s "$r/opt/flow/.condarc" "$SCRATCH/orig/opt/flow/.condarc" || die "the flow mapping changed"
cmp -s "$r/opt/theirs/.condarc" "$SCRATCH/orig/opt/theirs/.condarc" || die "the owner's ssl_verify changed"
[ ! -e "$r/opt/notconda/.condarc" ] || die "a .condarc for a prefix without conda-meta"
note "install: ssl_verify in 4 prefixes' .condarc (one the owner's, extended inside its mapping); the owner's ssl_verify and a flow mapping left, with warnings"

rcs() { cat "$r/opt/conda/.condarc" "$r/opt/conda/envs/ml/.condarc" "$r/root/miniforge3/.condarc" | md5sum; }
after_a=$(rcs)
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
[ "$(rcs)" = "$after_a" ] || die "a rotation rewrote the .condarc files (they name the bundle, which does not move)"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(content_snapshot "$r")" = "$before" ] || die "after remove --all the root differs: $(diff -r "$SCRATCH/orig" "$r" | head)"
note "rotation, then remove --all: every .condarc given back byte for byte, the ones cainit made gone"
