# kill -9 in the middle of an install, a rotation or a remove, at every write-related
# system call in turn (strace fault injection): every bundle still parses,
# its bytes outside cainit's blocks are the original ones, it holds the old
# or the new CA (never both, never neither), the lock is not wedged, and the
# next run converges. Done on the rename path and on the in-place path.
# The rename-path root also has a Java JKS keystore: after every kill it
# checks (digest and entries, read by tests/tools/jks.py) and holds the old
# or the new CA; after removal it is the original file byte for byte.
# The rename-path root also has PAM and someone else's /etc/environment:
# their bytes stay, cainit's block is whole or absent, removal gives it back;
# and two pip-installed certifi bundles, one in a virtual environment
# given by --python-env (the later commands reach it through cainit's
# record of it), each checked as the system bundle is.
# A fresh install, a rotation and a removal, on each path. (Once, on tmpfs,
# for each build: what is tested is the order of cainit's writes, which no
# filesystem changes; each run over the disk took one and a half minutes.)
# The kill points run in lanes, one per CPU, each on its own copy of the root.
[ "$FS" = tmpfs ] || skip "once per build (tmpfs): the kill points do not depend on the filesystem"
command -v strace >/dev/null || die "strace is missing (scripts/deps.sh installs it)"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # LeakSanitizer cannot run under ptrace
mkca A
mkca B
# The checks after each of some 800 kills read the keystore twice: with the
# distro's interpreter, not a version manager's shim (pyenv's costs 0.3 s
# a start, more than the rest of a kill point)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
syscalls="openat writev fchmod close renameat2 renameat symlinkat unlinkat mkdirat pwrite64 ftruncate fallocate"
kills=0

# calls CMD...: how many times each of $syscalls runs in CMD
count_calls() {
	strace -f -qq -e trace="$(tr ' ' , <<<"$syscalls")" -o "$SCRATCH/trace" "$@" 2>/dev/null || true
	for sc in $syscalls; do
		printf '%s %s\n' "$sc" "$(grep -c "^[0-9]* *$sc(" "$SCRATCH/trace" || true)"
	done
}

in_bundle() { sed -n 's/^# cainit set=default sha256=\([^ ]*\) .*/\1/p' "$1"; }
# the SHA-256 (AB:CD:... form) of the keystore's cainit entries of set default
in_keystore() {
	"$PY" "$HERE/../tools/jks.py" "$1" | awk '$2 ~ /^cainit\.default\./ { print toupper($3) }' |
		sed 's/../&:/g; s/:$//'
}

check_after_kill() { # BUNDLE ORIG OLD_FP NEW_FP (NEW_FP empty: removal)
	local b=$1 orig=$2 old=$3 new=$4 have
	[ "$(count_certs "$b")" -gt 0 ] || die "bundle does not parse after kill"
	head -c "$(stat -c %s "$orig")" "$b" | cmp -s - "$orig" || die "bytes outside cainit's blocks changed"
	have=$(in_bundle "$b")
	case "$have" in
	"$old") ;;
	"$new") ;;
	*) die "bundle holds \"$have\", want old or new" ;;
	esac
	# the union CA file and the profile script: whole, never half-written
	if [ -e "$r/etc/cainit/ca.pem" ]; then
		have=$(in_bundle "$r/etc/cainit/ca.pem")
		[ "$have" = "$old" ] || [ "$have" = "$new" ] || die "ca.pem holds \"$have\", want old or new"
		[ "$(count_certs "$r/etc/cainit/ca.pem")" = 1 ] || die "ca.pem does not parse after kill"
	fi
	if [ -e "$r/etc/profile.d/cainit.sh" ]; then
		grep -q "DENO_TLS_CA_STORE=" "$r/etc/profile.d/cainit.sh" || die "profile script cut short"
	fi
	# someone else's /etc/environment: their bytes, then no block or a whole one
	if [ -e "$r/etc/environment" ]; then
		head -c "$(stat -c %s "$SCRATCH/orig.env")" "$r/etc/environment" | cmp -s - "$SCRATCH/orig.env" ||
			die "/etc/environment: bytes outside cainit's block changed"
		cmp -s "$r/etc/environment" "$SCRATCH/orig.env" || [ "$(tail -n 1 "$r/etc/environment")" = "# cainit end" ] ||
			die "/etc/environment: cainit's block cut short"
	fi
	for pyb in "${PYBS[@]}"; do
		[ -e "$r/$pyb" ] || continue
		head -c "$(stat -c %s "$SCRATCH/orig.certifi")" "$r/$pyb" | cmp -s - "$SCRATCH/orig.certifi" ||
			die "$pyb: bytes outside cainit's block changed"
		have=$(in_bundle "$r/$pyb")
		[ "$have" = "$old" ] || [ "$have" = "$new" ] || die "$pyb holds \"$have\", want old or new"
	done
	if [ -e "$r/etc/ssl/certs/java/cacerts" ]; then
		have=$(in_keystore "$r/etc/ssl/certs/java/cacerts") || die "keystore unsound after kill"
		[ "$have" = "$old" ] || [ "$have" = "$new" ] || die "keystore holds \"$have\", want old or new"
	fi
}

# converged_env ROOT NEW_FP: ca.pem and the profile match the finished change
converged_env() {
	if [ -n "$2" ]; then
		[ "$(in_bundle "$1/etc/cainit/ca.pem")" = "$2" ] || die "ca.pem not converged"
		[ ! -d "$1/etc/profile.d" ] || [ -s "$1/etc/profile.d/cainit.sh" ] || die "profile script missing"
		[ ! -d "$1/etc/pam.d" ] || grep -q '^SSL_CERT_FILE=' "$1/etc/environment" ||
			die "/etc/environment's block missing"
	else
		[ ! -e "$1/etc/cainit/ca.pem" ] || die "ca.pem left after removal"
		[ ! -e "$1/etc/profile.d/cainit.sh" ] || die "profile script left after removal"
		[ ! -d "$1/etc/pam.d" ] || cmp -s "$1/etc/environment" "$SCRATCH/orig.env" ||
			die "/etc/environment not given back byte for byte"
	fi
	for pyb in "${PYBS[@]}"; do
		[ -e "$1/$pyb" ] || continue
		if [ -n "$2" ]; then
			[ "$(in_bundle "$1/$pyb")" = "$2" ] || die "$pyb not converged"
		else
			cmp -s "$1/$pyb" "$SCRATCH/orig.certifi" || die "$pyb not restored byte for byte"
		fi
	done
	if [ -e "$1/etc/ssl/certs/java/cacerts" ]; then
		if [ -n "$2" ]; then
			[ "$(in_keystore "$1/etc/ssl/certs/java/cacerts")" = "$2" ] || die "keystore not converged"
		else
			cmp -s "$1/etc/ssl/certs/java/cacerts" "$SCRATCH/orig.jks" || die "keystore not restored byte for byte"
		fi
	fi
}

# The kill points are independent: each lane of them (one per CPU, at most
# four) works on its own copy of the root, made after the setup, so a run
# takes its share of the wall time and no lane sees another's files.
LANES=$(nproc)
[ "$LANES" -le 4 ] || LANES=4
INPLACE=0
# in_lanes ROOT POINTS BODY: BODY SC K for each "SC K" line of POINTS, in
# $LANES background lanes; in BODY, $r is the lane's root and $base the
# original. Prints how many BODY calls returned 0.
in_lanes() {
	local base=$1 points=$2 body=$3 lane pids=() total=0 c
	for lane in $(seq 0 $((LANES - 1))); do
		rm -rf "$base.lane$lane"
		cp -a "$base" "$base.lane$lane"
		if [ "$INPLACE" = 1 ]; then # the lane's bundle: its own bind-mounted file
			cp "$base/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/other/bundle.lane$lane.crt"
			mount --bind "$SCRATCH/other/bundle.lane$lane.crt" "$base.lane$lane/etc/ssl/certs/ca-certificates.crt"
		fi
		(
			r=$base.lane$lane i=0 n=0
			while read -r sc k; do
				i=$((i + 1))
				[ $(((i - 1) % LANES)) = "$lane" ] || continue
				if "$body" "$sc" "$k"; then n=$((n + 1)); fi
			done <"$points"
			echo "$n" >"$SCRATCH/lane$lane.count"
		) >&2 &
		pids+=($!)
	done
	for lane in "${!pids[@]}"; do
		wait "${pids[$lane]}" || die "lane $lane of $body failed (its FAIL line above)"
		read -r c <"$SCRATCH/lane$lane.count"
		total=$((total + c))
		[ "$INPLACE" = 0 ] || umount "$base.lane$lane/etc/ssl/certs/ca-certificates.crt"
		rm -rf "$base.lane$lane"
	done
	echo "$total"
}

# points COUNTS: "SC K" for every call K of every system call SC. Under the
# sanitizers every third one: the order of the writes, which is what a kill
# tests, is the plain build's (it takes every point); what the sanitizers
# add is memory checking of the interrupted and rerun paths, which a third
# of the points reach as well (all of them took ten minutes of CI's sixty).
STRIDE=1
[ "$SANITIZED" = 0 ] || STRIDE=3
points() {
	local i=0
	while read -r sc n; do
		for k in $(seq 1 "$n"); do
			if [ $((i % STRIDE)) = 0 ]; then echo "$sc $k"; fi
			i=$((i + 1))
		done
	done <"$1"
}

# one kill point of run_kills (its locals: label, b, orig, old, new, from,
# setup, cmd); 0 when the run was killed
kill_point() {
	local sc=$1 k=$2 lb=$r${b#"$base"} killed=1
	# (an in-place run's calls vary with padding left by the previous
	# one, so a run may finish before call #k: then nothing was killed)
	if ! timeout 20 strace -f -qq -o /dev/null -e trace="$sc" \
		-e inject="$sc:signal=SIGKILL:when=$k" "$CAINIT" "${cmd[@]}" --root "$r" 2>/dev/null; then
		killed=0
	fi
	check_after_kill "$lb" "$orig" "$old" "$new"
	# converge: the interrupted command again, then back to the start
	timeout 10 "$CAINIT" "${cmd[@]}" --root "$r" 2>/dev/null || die "$label: rerun after $sc #$k"
	if [ -n "$new" ]; then
		"$CAINIT" verify --root "$r" "${cmd[-1]}" >/dev/null 2>&1 || die "$label: not trusted after $sc #$k"
		[ "$(in_bundle "$lb")" = "$new" ] || die "$label: not converged after $sc #$k"
	else
		cmp -s "$lb" "$orig" || { ls -la "$lb" "$orig"; diff <(tail -c 3000 "$lb") <(tail -c 3000 "$orig") | head -20; die "$label: not restored after $sc #$k"; }
	fi
	if find "$r" -name '*.cainit-tmp' | grep -q .; then die "$label: temp files after rerun"; fi
	converged_env "$r" "$new"
	[ ! -e "$r/etc/cainit/txn" ] || die "$label: change still marked as under way"
	# nothing of the old CA is left in any file (its signature's base64)
	if [ "$from" != - ] && grep -rqF "$(tail -n 3 "$SCRATCH/$from.pem" | head -n 1)" "$r"; then
		die "$label: old CA left after $sc #$k: $(grep -rlF "$(tail -n 3 "$SCRATCH/$from.pem" | head -n 1)" "$r")"
	fi
	timeout 10 "$CAINIT" "${setup[@]}" --root "$r" 2>/dev/null || die "$label: reset"
	return $killed
}

run_kills() { # LABEL ROOT BUNDLE ORIG SETUP_CA TARGET_CMD... (SETUP_CA "-": no set before)
	local label=$1 r=$2 b=$3 orig=$4 from=$5; shift 5
	local old="" new="" done_kills setup=(remove --all) cmd=("$@")
	if [ "$from" != - ]; then
		old=$(fp_of "$SCRATCH/$from.pem")
		setup=(install "${PYENV[@]}" "$SCRATCH/$from.pem")
	fi
	"$CAINIT" "${setup[@]}" --root "$r" 2>/dev/null
	[ "$1" = install ] && new=$(fp_of "${@: -1}")
	count_calls "$CAINIT" "$@" --root "$r" > "$SCRATCH/counts"
	"$CAINIT" "${setup[@]}" --root "$r" 2>/dev/null
	points "$SCRATCH/counts" >"$SCRATCH/points"
	done_kills=$(in_lanes "$r" "$SCRATCH/points" kill_point) || exit 1
	[ "$done_kills" -gt 0 ] || die "$label: no run was killed"
	kills=$((kills + done_kills))
	note "$label: killed at $done_kills of $(awk '{s += $2} END {print s}' "$SCRATCH/counts") system calls ($LANES lanes$([ "$STRIDE" = 1 ] || echo ", every $STRIDE"))"
}

# rename path
r=$SCRATCH/r
mkroot debian "$r"
mkdir -p "$r/etc/profile.d" "$r/etc/ssl/certs/java" "$r/etc/pam.d"
# someone else's /etc/environment, without a final newline (the block then owns one)
printf 'LANG=C.UTF-8\nTZ=UTC' >"$r/etc/environment"
cp "$r/etc/environment" "$SCRATCH/orig.env"
[ -f /etc/ssl/certs/java/cacerts ] || die "no Debian Java keystore (scripts/deps.sh installs ca-certificates-java)"
cp /etc/ssl/certs/java/cacerts "$r/etc/ssl/certs/java/cacerts"
cp /etc/ssl/certs/java/cacerts "$SCRATCH/orig.jks"
cp "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/orig.crt"
# pip-installed certifis (the Python room), one in a venv given by
# --python-env: their bytes stay, cainit's block holds the old or the new CA
PYBS=(usr/local/lib/python3.12/site-packages/certifi/cacert.pem srv/app/venv/lib/python3.12/site-packages/certifi/cacert.pem)
PYENV=(--python-env /srv/app/venv)
awk '/BEGIN CERTIFICATE/ { n++ } n <= 10' "$SCRATCH/orig.crt" >"$SCRATCH/orig.certifi"
for pyb in "${PYBS[@]}"; do
	mkdir -p "$r/${pyb%/*}"
	cp "$SCRATCH/orig.certifi" "$r/$pyb"
done
# (a fresh install writes a subset of a rotation's files: under the
# sanitizers, whose runs are four times slower, the rotation covers it)
[ "$SANITIZED" = 1 ] ||
	run_kills install "$r" "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/orig.crt" - install "${PYENV[@]}" "$SCRATCH/B.pem"
run_kills rotation "$r" "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/orig.crt" A install "${PYENV[@]}" "$SCRATCH/B.pem"
run_kills removal "$r" "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/orig.crt" A remove --all

# recovery: after a kill, an unrelated command first brings the interrupted
# set back to its last finished change (its CA-only file) in every store
mkca C
count_calls "$CAINIT" install --root "$r" "$SCRATCH/B.pem" > "$SCRATCH/counts"
"$CAINIT" install --root "$r" "${PYENV[@]}" "$SCRATCH/A.pem" 2>/dev/null
points "$SCRATCH/counts" >"$SCRATCH/points"
recover_point() { # 0 when the run was killed and the next command recovered it
	local sc=$1 k=$2 last json # (no expect_rc: its files are shared by the lanes)
	timeout 20 strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:signal=SIGKILL:when=$k" \
		"$CAINIT" install --root "$r" "$SCRATCH/B.pem" 2>/dev/null && return 1
	"$CAINIT" install --root "$r" --name other "$SCRATCH/C.pem" 2>/dev/null || die "recovery: install other after $sc #$k"
	[ ! -e "$r/etc/cainit/txn" ] || die "recovery: mark left after $sc #$k"
	json=$("$CAINIT" status --root "$r" --json) || die "recovery: status after $sc #$k"
	last=$(openssl x509 -noout -fingerprint -sha256 -in "$r/etc/cainit/sets/default.pem" | cut -d= -f2)
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
sets = {s["name"]: s for s in d["sets"]}
s = sets["default"]
assert s["ok"], s                                  # every store holds the same CA set
assert [c["sha256"] for c in s["cas"]] == [sys.argv[1]], s["cas"]
assert sets["other"]["ok"]
' "$last" <<<"$json" || die "recovery: stores disagree after $sc #$k"
	"$CAINIT" remove --root "$r" --name other 2>/dev/null || die "recovery: remove other after $sc #$k"
	"$CAINIT" install --root "$r" "$SCRATCH/A.pem" 2>/dev/null || die "recovery: reset after $sc #$k"
}
recovered=$(in_lanes "$r" "$SCRATCH/points" recover_point) || exit 1
[ "$recovered" -gt 0 ] || die "no recovery was exercised"
note "recovery: $recovered interrupted rotations converged to their last finished change"
kills=$((kills + recovered))

# in-place path: the bundle is a bind-mounted file
PYBS=() PYENV=()
r=$SCRATCH/m
mkroot debian "$r"
cp "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/morig.crt"
mkdir -p "$SCRATCH/other"
mount -t tmpfs other "$SCRATCH/other"
cp "$SCRATCH/morig.crt" "$SCRATCH/other/bundle.crt"
mount --bind "$SCRATCH/other/bundle.crt" "$r/etc/ssl/certs/ca-certificates.crt"
INPLACE=1
[ "$SANITIZED" = 1 ] ||
	run_kills in-place-install "$r" "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/morig.crt" - install "$SCRATCH/B.pem"
run_kills in-place-rotation "$r" "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/morig.crt" A install "$SCRATCH/B.pem"
run_kills in-place-removal "$r" "$r/etc/ssl/certs/ca-certificates.crt" "$SCRATCH/morig.crt" A remove --all
note "$kills kills in all"
