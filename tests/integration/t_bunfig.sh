# Bun's configuration room (docs/stores.md, "Bun"): `bun install` does not
# read the system store, and started with no variables it reads only
# `[install] cafile` of a bunfig. Where the root has Bun (/usr/local/bin/bun and the like:
# then root's and each login user's home; or a home's own ~/.bun/bin/bun),
# each such home's ~/.bunfig.toml gets `cafile = "<the full bundle>"` in
# cainit's block: inside the owner's [install] table, or as a new one; a
# file cainit creates belongs to the home's owner; a cafile the owner sets,
# or an inline `install = {...}`, is left with a warning; system accounts
# get nothing; the last removal gives every file back byte for byte. Then
# this machine's Bun: `bun install` from an HTTPS registry, with an empty
# environment, fails before and succeeds after.
mkca A
mkca B
r=$SCRATCH/r
mkroot debian "$r"
mkdir -p "$r/usr/local/bin" "$r/root" "$r/home/dev" "$r/home/ops" "$r/home/web" "$r/home/inl" "$r/usr/sbin"
: >"$r/usr/local/bin/bun"
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n' >"$r/etc/passwd"
printf 'dev:x:1000:1000::/home/dev:/bin/sh\nops:x:1001:1001::/home/ops:/bin/sh\n' >>"$r/etc/passwd"
printf 'web:x:1002:1002::/home/web:/bin/sh\ninl:x:1003:1003::/home/inl:/bin/sh\n' >>"$r/etc/passwd"
printf 'gone:x:1004:1004::/home/gone:/bin/sh\n' >>"$r/etc/passwd"
# dev: an [install] table and a later table (no final newline); ops: their
# own cafile; web: only other tables; inl: install as an inline table
printf 'telemetry = false\n\n[install]\nregistry = "https://r.example/"\n\n[install.cache]\ndir = "/tmp/c"' >"$r/home/dev/.bunfig.toml"
printf '[install]\ncafile = "/opt/corp.pem"\n' >"$r/home/ops/.bunfig.toml"
printf '[run]\nshell = "bun"\n' >"$r/home/web/.bunfig.toml"
printf 'install = { registry = "https://r.example/" }\n' >"$r/home/inl/.bunfig.toml"
before=$(content_snapshot "$r")
cp -a "$r" "$SCRATCH/orig"
toml_cafile() { # FILE: [install] cafile as a TOML parser reads it ("-": none)
	/usr/bin/python3 -c 'import sys, tomllib
print(tomllib.load(open(sys.argv[1], "rb")).get("install", {}).get("cafile", "-"))' "$1" ||
		die "$1: not TOML: $(cat "$1")"
}
bundle=/etc/ssl/certs/ca-certificates.crt

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
grep -q "home/ops/.bunfig.toml: \[install\] cafile is /opt/corp.pem, not the bundle; left as it is" <<<"$ERR" ||
	die "no warning for the owner's cafile: $ERR"
grep -q "home/inl/.bunfig.toml: defines install inline; left as it is" <<<"$ERR" || die "no warning for the inline table: $ERR"
for h in root home/dev home/web; do
	[ "$(toml_cafile "$r/$h/.bunfig.toml")" = $bundle ] || die "$h: cafile is $(toml_cafile "$r/$h/.bunfig.toml")"
done
[ "$(stat -c %u:%g "$r/root/.bunfig.toml")" = 0:0 ] || die "root's bunfig: owner"
/usr/bin/python3 -c 'import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
assert d["telemetry"] is False and d["install"]["registry"] == "https://r.example/" and d["install"]["cache"]["dir"] == "/tmp/c", d' \
	"$r/home/dev/.bunfig.toml" || die "dev's own keys moved: $(cat "$r/home/dev/.bunfig.toml")"
[ "$(toml_cafile "$r/home/ops/.bunfig.toml")" = /opt/corp.pem ] || die "the owner's cafile changed"
cmp -s "$r/home/inl/.bunfig.toml" "$SCRATCH/orig/home/inl/.bunfig.toml" || die "the inline table's file changed"
[ ! -e "$r/usr/sbin/.bunfig.toml" ] && [ ! -e "$r/home/gone" ] || die "a system account's home, or a missing one, got a bunfig"
note "install: cafile in root's (made), dev's (inside its [install]) and web's (a new [install]) bunfig; the owner's cafile and an inline table left, with warnings; no system account touched"

# Bun's installer's layout: only that home, made with its owner
h=$SCRATCH/h
mkroot debian "$h"
mkdir -p "$h/home/dev/.bun/bin" "$h/root"
: >"$h/home/dev/.bun/bin/bun"
printf 'root:x:0:0:root:/root:/bin/sh\ndev:x:1000:1000::/home/dev:/bin/sh\n' >"$h/etc/passwd"
expect_rc 0 "$CAINIT" install --root "$h" "$SCRATCH/A.pem"
[ "$(toml_cafile "$h/home/dev/.bunfig.toml")" = $bundle ] || die "~/.bun/bin/bun's home: no cafile"
[ "$(stat -c %u:%g:%a "$h/home/dev/.bunfig.toml")" = 1000:1000:644 ] ||
	die "a bunfig cainit made: $(stat -c %u:%g:%a "$h/home/dev/.bunfig.toml"), want dev's, 644"
[ ! -e "$h/root/.bunfig.toml" ] || die "a bunfig for a home without Bun"
expect_rc 0 "$CAINIT" remove --root "$h" --all
[ ! -e "$h/home/dev/.bunfig.toml" ] || die "the bunfig cainit made outlived the last set"
note "~/.bun/bin/bun: that home's bunfig only, owned by its user (1000:1000, 644), gone with the last set"

rcs() { cat "$r/root/.bunfig.toml" "$r/home/dev/.bunfig.toml" "$r/home/web/.bunfig.toml" | md5sum; }
after_a=$(rcs)
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
[ "$(rcs)" = "$after_a" ] || die "a rotation rewrote the bunfig files (they name the bundle, which does not move)"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(content_snapshot "$r")" = "$before" ] || die "after remove --all the root differs: $(diff -r "$SCRATCH/orig" "$r" | head)"
note "rotation, then remove --all: every bunfig given back byte for byte, the one cainit made gone"

# ---- this machine's Bun, with an empty environment ----
[ "$FS" = tmpfs ] || { note "(the real bun install: once, on tmpfs)"; exit 0; }
BUN=${NPM_TOOLS:-/opt/cainit-npm/node_modules}/@oven/bun-linux-x64/bin/bun
[ -x "$BUN" ] || skip "no Bun (scripts/deps.sh e2e installs it from npm)"
own_host_store # (/etc is now a private copy: its passwd may change)
home=$SCRATCH/bunhome
mkdir -p "$home/.bun/bin"
ln -s "$BUN" "$home/.bun/bin/bun" # Bun's installer's layout, in root's home
sed -i "s|^root:\([^:]*:[^:]*:[^:]*:[^:]*\):[^:]*:|root:\1:$home:|" /etc/passwd
grep -q "^root:.*:$home:" /etc/passwd || die "root's home: $(grep '^root:' /etc/passwd)"
mkleaf LA A
REGISTRY_PORT=$(free_port)
python3 "$HERE/../tools/npm_package.py" "$SCRATCH/docroot" "https://localhost:$REGISTRY_PORT"
python3 "$HERE/../tools/origin.py" "$SCRATCH/LA.pem" "$SCRATCH/LA.key" "$REGISTRY_PORT" "$SCRATCH/docroot" &
on_exit "kill $!"
wait_until 60 listening "$REGISTRY_PORT" || die "the registry did not start"
bun_install() {
	rm -rf "$SCRATCH/proj" && mkdir "$SCRATCH/proj" &&
		echo '{"name":"p","dependencies":{"cainit-probe":"1.0.0"}}' >"$SCRATCH/proj/package.json" &&
		(cd "$SCRATCH/proj" && env -i HOME="$home" PATH=/usr/bin:/bin "$BUN" install --no-cache \
			--registry "https://localhost:$REGISTRY_PORT/npm/" >"$SCRATCH/bun.out" 2>&1) &&
		[ -f "$SCRATCH/proj/node_modules/cainit-probe/package.json" ]
}
bun_install && die "bun install trusts the CA before install"
grep -q "UNABLE_TO_VERIFY\|certificate" "$SCRATCH/bun.out" || die "bun install failed, not on the certificate: $(cat "$SCRATCH/bun.out")"
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
bun_install || die "bun install, empty environment, after install: $(tail -n 2 "$SCRATCH/bun.out")"
expect_rc 0 "$CAINIT" remove --all
bun_install && die "bun install trusts the CA after remove --all"
note "this machine's Bun ($("$BUN" --version)): bun install from an HTTPS registry, no variables: refused before install, ok after, refused after remove"
