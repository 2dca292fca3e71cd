# The seal (src/engine/seal.h): an install that changes nothing writes
# /etc/cainit/seal/last, and the next install of the same CAs is answered
# from it, reading no store, while every stamp it holds still holds. Each
# way a root can change under a seal makes the next install scan and
# repair: a bundle regenerated, a bundle edited in place (same size, same
# inode), a new Python's certifi, the set's record deleted, a directory
# swapped for a link; a seal that is garbage, forged for another CA, or
# names a path through a link out of the root is not believed; a seal
# directory that is a link, or a seal that is a FIFO, is neither written
# through nor blocks. A rotation
# drops the seal; remove --all gives the root back byte for byte; bake
# leaves none in what it bakes.
command -v strace >/dev/null || die "strace is missing (scripts/deps.sh installs it)"
mkca A
mkca B
r=$SCRATCH/r
mkroot debian "$r"
bundle=$r/etc/ssl/certs/ca-certificates.crt
seal=$r/etc/cainit/seal/last
fp=$(fp_of "$SCRATCH/A.pem")

# sealed CA: install CA again until the seal is there. A stamp is trusted
# only once it is older than the filesystem's clock tick (50 ms on tmpfs,
# 2 s elsewhere): each try is a real install, and says it changed nothing.
sealed() {
	local i
	for ((i = 0; i < 4000; i++)); do
		expect_rc 0 "$CAINIT" install --root "$r" "$1"
		expect_err "(unchanged)"
		[ -f "$seal" ] && return 0
	done
	die "no seal after $i unchanged installs"
}
# opened CA: the paths of the files one install opened, one per line
opened() {
	env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -y -qq -e trace=openat -o "$SCRATCH/seal.trace" \
		"$CAINIT" install --root "$r" "$1" >"$SCRATCH/seal.out" 2>&1 || die "install under strace failed: $(cat "$SCRATCH/seal.out")"
	ERR=$(cat "$SCRATCH/seal.out")
	sed -n 's/.*openat(.*"\([^"]*\)".* = [0-9]*<\(.*\)>$/\2/p' "$SCRATCH/seal.trace"
}
answered_by_seal() {
	local o; o=$(opened "$1")
	expect_err "(unchanged)"
	expect_err "stores=4"
	if grep -q "ca-certificates.crt" <<<"$o"; then die "$2: the bundle was read: $o"; fi
	grep -q "/etc/cainit/seal/last$" <<<"$o" || die "$2: the seal was not read: $o"
}
scanned() {
	local o; o=$(opened "$1")
	grep -q "/etc/ssl/certs/ca-certificates.crt$" <<<"$o" || die "$2: the bundle was not read: $o"
}

expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
[ -d "$r/etc/cainit/seal" ] && [ ! -e "$seal" ] || die "after a change: the seal directory, and no seal"
sealed "$SCRATCH/A.pem"
grep -q "^key [0-9a-f]\{64\} default$" "$seal" || die "seal key: $(head -3 "$seal")"
grep -q "^f .* /etc/ssl/certs/ca-certificates.crt$" "$seal" || die "the seal does not hold the bundle"
answered_by_seal "$SCRATCH/A.pem" "a sealed install"
# (and it holds again: reading the seal changes nothing)
answered_by_seal "$SCRATCH/A.pem" "a second sealed install"
note "an unchanged install writes the seal; the next reads it and no store"

# another CA is not answered by A's seal: a rotation. Back to A, A's old
# seal (left by the rotations: never to hold again, since every change
# marks itself in /etc/cainit) does not answer either
cp "$seal" "$SCRATCH/seal.A"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
grep -q "sha256=$(fp_of "$SCRATCH/B.pem")" <<<"$ERR" && ! grep -q "(unchanged)" <<<"$ERR" || die "rotation: $ERR"
[ "$(grep -c "^# cainit set=default" "$bundle")" = 1 ] && grep -q "^# cainit set=default sha256=$(fp_of "$SCRATCH/B.pem")" "$bundle" ||
	die "rotation: the bundle does not hold B alone"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
! grep -q "(unchanged)" <<<"$ERR" || die "the rotation back to A: $ERR"
cmp -s "$seal" "$SCRATCH/seal.A" || die "the old seal was not the one left"
scanned "$SCRATCH/A.pem" "A's old seal after A, B, A"
sealed "$SCRATCH/A.pem"
note "another CA is a change; A's seal from before A, B, A answers nothing; a new one is written"

# a bundle regenerated without cainit's block (a new file renamed over it)
n_with=$(count_of "$bundle")
cat /dev/null > "$SCRATCH/regen.pem"
for f in $(host_cas); do cat "$f" >> "$SCRATCH/regen.pem"; done
cp "$SCRATCH/regen.pem" "$bundle.new" && mv "$bundle.new" "$bundle"
scanned "$SCRATCH/A.pem" "a regenerated bundle"
[ "$(count_of "$bundle")" = "$n_with" ] && grep -q "^# cainit set=default sha256=$fp" "$bundle" ||
	die "the regenerated bundle was not repaired"
sealed "$SCRATCH/A.pem"

# the same bundle edited in place: the same size, the same inode, only
# cainit's marker line broken (its ctime is all that says so)
ino=$(stat -c %i "$bundle")
size=$(stat -c %s "$bundle")
off=$(grep -bo "# cainit set=default" "$bundle" | head -n 1 | cut -d: -f1)
printf 'X' | dd of="$bundle" bs=1 seek="$off" conv=notrunc status=none
[ "$(stat -c %i "$bundle")" = "$ino" ] && [ "$(stat -c %s "$bundle")" = "$size" ] || die "the edit was not in place"
scanned "$SCRATCH/A.pem" "a bundle edited in place"
grep -q "^# cainit set=default sha256=$fp" "$bundle" || die "the edited bundle was not repaired"
sealed "$SCRATCH/A.pem"
note "a bundle regenerated, or edited in place (same size and inode): scanned and repaired"

# a new Python with certifi, where discovery looks
py=$r/usr/local/lib/python3.13/site-packages/certifi
mkdir -p "$py"
cat $(host_cas 5) > "$py/cacert.pem"
scanned "$SCRATCH/A.pem" "a new Python"
grep -q "^# cainit set=default sha256=$fp" "$py/cacert.pem" || die "the new Python's certifi does not hold A"
sealed "$SCRATCH/A.pem"
note "a Python installed after the seal: found, and given the CA"

# the set's record deleted
rm "$r/etc/cainit/sets/default.pem"
scanned "$SCRATCH/A.pem" "a deleted record"
[ -f "$r/etc/cainit/sets/default.pem" ] || die "the record was not written again"
sealed "$SCRATCH/A.pem"

# /etc/ssl/certs swapped for a link to a copy of itself (the same files)
cp -a "$r/etc/ssl/certs" "$r/etc/ssl/certs.copy"
mv "$r/etc/ssl/certs" "$r/etc/ssl/certs.old"
ln -s certs.copy "$r/etc/ssl/certs"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
grep -q "^# cainit set=default sha256=$fp" "$r/etc/ssl/certs.copy/ca-certificates.crt" || die "through the link: no A"
rm "$r/etc/ssl/certs"
mv "$r/etc/ssl/certs.old" "$r/etc/ssl/certs"
rm -rf "$r/etc/ssl/certs.copy"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
sealed "$SCRATCH/A.pem"
note "the set's record deleted, a directory swapped for a link: scanned"

# restamp SEAL ROOT PATH...: the seal's line for each PATH with its stamp
# now (a new directory line where it has none): a seal forged by someone
# who can stat the root
restamp() {
	python3 - "$@" <<'PY'
import os, stat, sys
seal, root, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = open(seal).read().splitlines()
for path in paths:
    st = os.lstat(root + path)
    kind = "d" if stat.S_ISDIR(st.st_mode) else "f"
    line = "%s %d %d %o %d %d %d %d %d %s" % (kind, st.st_dev, st.st_ino, st.st_mode, st.st_size,
        st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9, st.st_ctime_ns // 10**9, st.st_ctime_ns % 10**9, path)
    hit = [i for i, l in enumerate(lines) if l.split(" ", 9)[-1] == path]
    if hit:
        lines[hit[0]] = line
    else:
        lines.insert(3, line)
open(seal, "w").write("\n".join(lines) + "\n")
PY
}

# seals not to be believed: garbage; a key of zeros; the bundle's ctime
# one nanosecond off; a directory's path through a link that leaves the
# root for the host's path of that very directory (followed out of the
# root, every stamp would hold)
cp "$seal" "$SCRATCH/good.seal"
for bad in garbage zero-key off-by-one outside; do
	case $bad in
	garbage) head -c 3000 /dev/urandom > "$seal" ;;
	zero-key) sed 's/^key [0-9a-f]*/key '"$(printf '%064d' 0)"'/' "$SCRATCH/good.seal" > "$seal" ;;
	off-by-one) awk '$1 == "f" && $NF ~ /ca-certificates.crt$/ { $9 = $9 + 1 } { print }' "$SCRATCH/good.seal" > "$seal" ;;
	outside)
		ln -s "$r/etc" "$r/etc/hostlink"
		cp "$SCRATCH/good.seal" "$seal"
		restamp "$seal" "$r" /etc
		sed -i 's#^\(d .*\) /etc/ssl$#\1 /etc/hostlink/ssl#' "$seal"
		grep -q " /etc/hostlink/ssl$" "$seal" || die "the forged seal lacks its line"
		;;
	esac
	scanned "$SCRATCH/A.pem" "a $bad seal"
	expect_err "(unchanged)"
	[ "$bad" != outside ] || rm "$r/etc/hostlink"
	cp "$SCRATCH/good.seal" "$seal"
done
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/B.pem"
grep -q "^# cainit set=default sha256=$(fp_of "$SCRATCH/B.pem")" "$bundle" || die "B after A's seal"
note "a seal of garbage, with another key, a stamp off by one, a path through a link out of the root: not believed"

# planted: the seal directory a link to a directory of someone else's that
# has a file named like the seal; the seal a FIFO. Neither is written
# through, read from, or blocks an install.
rm -rf "$r/etc/cainit/seal"
mkdir -p "$r/srv/theirs"
echo "their file" > "$r/srv/theirs/last"
ln -s /srv/theirs "$r/etc/cainit/seal"
# (enough installs for the stamps to age past the margin: 50 ms here, 2 s
# on a filesystem with coarser timestamps)
tries=50
[ "$(stat -f -c %T "$r")" = tmpfs ] || tries=400
for ((i = 0; i < tries; i++)); do
	expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
done
[ "$(cat "$r/srv/theirs/last")" = "their file" ] && [ "$(ls -A "$r/srv/theirs")" = last ] ||
	die "a seal written through a link: $(ls -la "$r/srv/theirs")"
rm "$r/etc/cainit/seal"
rm -rf "$r/srv"
mkdir -m 700 "$r/etc/cainit/seal"
mkfifo "$r/etc/cainit/seal/last"
timeout 20 "$CAINIT" install --root "$r" "$SCRATCH/A.pem" 2>/dev/null || die "a FIFO seal: the install failed or blocked"
rm "$r/etc/cainit/seal/last"
sealed "$SCRATCH/A.pem"
note "a seal directory that is a link, a seal that is a FIFO: not written through, not blocking"

# a seal that names 1,500 directories, each with its true stamp (forged by
# whoever can stat the root): checking it pins more descriptors than a
# process limited to 256 has; the check fails, lets them go, and the scan
# that follows has what it needs
mkdir -p "$r/many"
(cd "$r/many" && seq 1500 | xargs mkdir)
restamp "$seal" "$r" / /many $(seq -f /many/%g 1500)
o=$(ulimit -n 256 && opened "$SCRATCH/A.pem") || die "with 256 descriptors and a seal of 1,500 directories: $ERR"
grep -q "/etc/ssl/certs/ca-certificates.crt$" <<<"$o" || die "a seal of 1,500 directories under 256 descriptors: not scanned"
rm -rf "$r/many"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
note "a seal of 1,500 directories, under a limit of 256 descriptors: the scan still runs"

# remove --all: the root as it was, seal and all
expect_rc 0 "$CAINIT" remove --root "$r" --all
orig=$(content_snapshot "$r")
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
sealed "$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" remove --root "$r" --all
[ "$(content_snapshot "$r")" = "$orig" ] || die "remove --all did not give the root back:
$(diff <(echo "$orig") <(content_snapshot "$r"))"
[ ! -e "$r/etc/cainit" ] || die "/etc/cainit left: $(ls -laR "$r/etc/cainit")"
note "remove --all after a seal: the root byte for byte"

# bake believes no seal: here one forged to match a bundle that lost A
# (what only the root's owner can do, and an install of the root's own
# would believe); bake scans, puts A back, and leaves no seal
r=$SCRATCH/bake
seal=$r/etc/cainit/seal/last
bundle=$r/etc/ssl/certs/ca-certificates.crt
mkroot debian "$r"
expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
sealed "$SCRATCH/A.pem"
python3 - "$bundle" <<'PY'
import sys
p = sys.argv[1]
t = open(p).read()
i = t.index("# cainit set=default")
j = t.index("-----END CERTIFICATE-----", i) + len("-----END CERTIFICATE-----\n")
open(p, "r+").write(t[:i] + t[j:])
import os; os.truncate(p, len(t[:i] + t[j:]))
PY
grep -q "^# cainit set=default" "$bundle" && die "the bundle still holds A"
restamp "$seal" "$r" /etc/ssl/certs/ca-certificates.crt
answered_by_seal "$SCRATCH/A.pem" "the forged seal, to an install"
expect_rc 0 "$CAINIT" bake --rootfs "$r" --agent "$AGENT" --ca "$SCRATCH/A.pem"
grep -q "^# cainit set=default sha256=$fp" "$bundle" || die "bake believed the seal: no A in the bundle"
[ ! -e "$r/etc/cainit/seal" ] || die "bake left a seal: $(ls -la "$r/etc/cainit/seal")"
note "bake believes no seal (one forged to match a bundle without A), and leaves none"
