# The start paths (docs/env.md): install writes the runtime variables where
# PAM sessions (/etc/environment), systemd's managers (system.conf.d and
# user.conf.d drop-ins) and interactive non-login bash (the system bashrc)
# read them, only where the root has that start path, as a marked block in
# someone else's file; a variable the file already sets is left to it; a
# rotation does not touch them; the last removal gives every file back
# byte for byte and removes the directories it made. A cut-short block or
# a FIFO in place of a file is left alone with a warning; links out of the
# root resolve inside it. Then, on this
# machine's own /etc (a copy, in this test's namespace), real processes:
# `su` (pam_env) and `bash -i` hand Node the variable it needs, and Node's
# https.get trusts a leaf of the CA only after install.
mkca A
mkca B

# ---- a fixture root with PAM, systemd and a bashrc ----
r=$SCRATCH/full
mkroot debian "$r"
mkdir -p "$r/etc/pam.d" "$r/etc/profile.d" "$r/usr/lib/systemd" "$r/etc/systemd"
: >"$r/usr/lib/systemd/systemd"
printf 'LANG=C.UTF-8\nexport NODE_EXTRA_CA_CERTS=/opt/corp.pem\nTZ=UTC' >"$r/etc/environment" # (no final newline)
printf '# system bashrc\n[ -z "$PS1" ] && return\nPS1=x\n' >"$r/etc/bash.bashrc"
before=$(content_snapshot "$r")

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
env_of() { "$CAINIT" env --root "$r" --format dotenv; }
# /etc/environment: the foreign bytes first, as they were, then the block
head -c "$(printf 'LANG=C.UTF-8\nexport NODE_EXTRA_CA_CERTS=/opt/corp.pem\nTZ=UTC' | wc -c)" "$r/etc/environment" |
	cmp -s - <(printf 'LANG=C.UTF-8\nexport NODE_EXTRA_CA_CERTS=/opt/corp.pem\nTZ=UTC') || die "/etc/environment: foreign bytes changed"
block=$(sed -n '/^# cainit begin/,/^# cainit end$/p' "$r/etc/environment" | grep -v '^#')
[ "$block" = "$(env_of | grep -v '^NODE_EXTRA_CA_CERTS=')" ] ||
	die "/etc/environment's block is not cainit env less the variable the file sets: $block"
[ "$(grep -c '^NODE_EXTRA_CA_CERTS=\|^export NODE_EXTRA_CA_CERTS=' "$r/etc/environment")" = 1 ] ||
	die "/etc/environment sets NODE_EXTRA_CA_CERTS twice"
note "/etc/environment: $(wc -l <<<"$block") variables in a block, the file's own NODE_EXTRA_CA_CERTS left to it"
# systemd: both managers, every variable, as DefaultEnvironment's quoted words
for m in system user; do
	f=$r/etc/systemd/$m.conf.d/cainit.conf
	[ -f "$f" ] || die "no $m manager drop-in"
	grep -qx '\[Manager\]' "$f" || die "$m drop-in: no [Manager] section"
	got=$(sed -n 's/^DefaultEnvironment=//p' "$f" | python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.stdin.read())))')
	[ "$got" = "$(env_of)" ] || die "$m drop-in's DefaultEnvironment is not cainit env: $got"
done
note "systemd: system.conf.d and user.conf.d drop-ins with every variable"
grep -qxF 'if [ -r /etc/profile.d/cainit.sh ]; then . /etc/profile.d/cainit.sh; fi' "$r/etc/bash.bashrc" ||
	die "the bashrc does not source the profile script"
head -n 3 "$r/etc/bash.bashrc" | cmp -s - <(printf '# system bashrc\n[ -z "$PS1" ] && return\nPS1=x\n') || die "bashrc: foreign bytes changed"

# a rotation changes none of them (paths only)
snap=$(cat "$r/etc/environment" "$r/etc/bash.bashrc" "$r"/etc/systemd/*/cainit.conf | sha256sum)
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
[ "$snap" = "$(cat "$r/etc/environment" "$r/etc/bash.bashrc" "$r"/etc/systemd/*/cainit.conf | sha256sum)" ] ||
	die "a rotation rewrote a start-path file"
# a second set keeps them; removing one set leaves them; the last gives all back
expect_rc 0 "$CAINIT" install --root "$r" --name other "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --name other
grep -q '^# cainit begin' "$r/etc/environment" || die "removing one of two sets removed the block"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$before" = "$(content_snapshot "$r")" ] || die "remove --all did not give the root back byte for byte:
$(diff <(echo "$before") <(content_snapshot "$r"))"
[ ! -e "$r/etc/systemd/system.conf.d" ] || die "system.conf.d (made by cainit) left behind"
note "rotation leaves them, remove --all gives every file back byte for byte"

# ---- a root without those start paths gets none of them ----
r2=$SCRATCH/bare
mkroot debian "$r2"
expect_rc 0 "$CAINIT" install --root "$r2" "$SCRATCH/A.pem"
for f in /etc/environment /etc/systemd /etc/bash.bashrc; do
	[ ! -e "$r2$f" ] || die "$f written in a root without its start path"
done
# an /etc/environment there is edited even without PAM (someone reads it)
echo 'A=1' >"$r2/etc/environment"
expect_rc 0 "$CAINIT" install --root "$r2" "$SCRATCH/B.pem"
grep -q '^SSL_CERT_FILE=' "$r2/etc/environment" || die "an existing /etc/environment got no block"
expect_rc 0 "$CAINIT" remove --root "$r2" --all
[ "$(cat "$r2/etc/environment")" = A=1 ] || die "/etc/environment not given back"
note "no PAM, systemd or bashrc: none written; an existing /etc/environment: edited, given back"

# ---- left alone: a block cut short, a FIFO ----
r3=$SCRATCH/odd
mkroot debian "$r3"
mkdir -p "$r3/etc/pam.d"
printf 'A=1\n# cainit begin: half of a block\nB=2\n' >"$r3/etc/environment"
cp "$r3/etc/environment" "$SCRATCH/odd.env"
expect_rc 0 "$CAINIT" install --root "$r3" "$SCRATCH/A.pem"
grep -q "etc/environment: cainit's block there is cut short" <<<"$ERR" || die "no warning for a cut-short block: $ERR"
cmp -s "$r3/etc/environment" "$SCRATCH/odd.env" || die "a file with a cut-short block was changed"
rm "$r3/etc/environment" && mkfifo "$r3/etc/environment"
expect_rc 0 timeout 20 "$CAINIT" install --root "$r3" "$SCRATCH/B.pem"
grep -q "etc/environment: not a regular file; left as it is" <<<"$ERR" || die "no warning for a FIFO: $ERR"
[ -p "$r3/etc/environment" ] || die "the FIFO was replaced"
note "a cut-short block and a FIFO: left as they are, with a warning"

# ---- a link out of the root: never followed out ----
mkdir -p "$SCRATCH/outside" && echo 'HOST=1' >"$SCRATCH/outside/environment"
rm "$r3/etc/environment" && ln -s "$SCRATCH/outside/environment" "$r3/etc/environment"
ln -s ../../../../../../../.. "$r3/etc/bashroot" && mkdir -p "$r3/etc/profile.d" && ln -s bashroot/etc/bash.bashrc "$r3/etc/bash.bashrc"
host_bashrc=$(sha256sum </etc/bash.bashrc)
expect_rc 0 "$CAINIT" install --root "$r3" "$SCRATCH/A.pem"
[ "$(cat "$SCRATCH/outside/environment")" = HOST=1 ] || die "install wrote through a link out of the root"
[ "$(sha256sum </etc/bash.bashrc)" = "$host_bashrc" ] || die "install wrote the host's bashrc through ../.."
expect_rc 0 "$CAINIT" remove --root "$r3" --all
note "links out of the root (absolute, and ../.. past it): resolved inside it, the host's files untouched"

# ---- real processes on this machine's own /etc ----
[ "$FS" = tmpfs ] || { note "(real processes: once, on tmpfs)"; exit 0; }
command -v node >/dev/null || die "node missing (scripts/deps.sh installs nodejs)"
own_host_store
mkleaf L A
tls_server L
port=$TLS_PORT
cat >"$SCRATCH/get.js" <<'JS'
require("https").get(process.argv[2], r => { console.log(r.statusCode); process.exit(r.statusCode === 200 ? 0 : 1); })
  .on("error", e => { console.error(e.message); process.exit(1); });
JS
node_su() { env -i PATH=/usr/bin:/bin su root -c "node $SCRATCH/get.js https://localhost:$port/"; }
node_bash_i() { env -i PATH=/usr/bin:/bin HOME=/nonexistent bash -i -c "node $SCRATCH/get.js https://localhost:$port/" 2>/dev/null; }
node_bare() { env -i PATH=/usr/bin:/bin node "$SCRATCH/get.js" "https://localhost:$port/"; }
node_su >/dev/null 2>&1 && die "node under su trusted the leaf before install"
node_bash_i >/dev/null 2>&1 && die "node under bash -i trusted the leaf before install"
cp /etc/environment /etc/bash.bashrc "$SCRATCH/"
expect_rc 0 "$CAINIT" install "$SCRATCH/A.pem"
out=$(node_su 2>&1) || die "node under su (pam_env, /etc/environment): $out"
out=$(node_bash_i 2>&1) || die "node under bash -i (the bashrc's block): $out"
node_bare >/dev/null 2>&1 && die "node with an empty environment trusted the leaf (the checks above prove nothing)"
note "node https.get: 200 under su (PAM) and bash -i, refused before install and with no variables"
# systemd reads the drop-in: the tool that lists what the manager reads
cat_config=$(systemd-analyze --no-pager cat-config systemd/system.conf 2>&1) || die "systemd-analyze: $cat_config"
grep -q '^# /etc/systemd/system.conf.d/cainit.conf' <<<"$cat_config" ||
	die "systemd-analyze does not list the drop-in among system.conf's"
note "systemd-analyze cat-config lists /etc/systemd/system.conf.d/cainit.conf"
expect_rc 0 "$CAINIT" remove --all
cmp -s /etc/environment "$SCRATCH/environment" || die "/etc/environment not given back byte for byte"
cmp -s /etc/bash.bashrc "$SCRATCH/bash.bashrc" || die "/etc/bash.bashrc not given back byte for byte"
[ ! -e /etc/systemd/system.conf.d/cainit.conf ] || die "the systemd drop-in left after remove"
node_su >/dev/null 2>&1 && die "node under su still trusts the leaf after remove"
exit 0
