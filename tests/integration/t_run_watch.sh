# `cainit run --watch` on a volume the way the kubelet updates ConfigMaps
# and Secrets: the file is a symlink through "..data" into a timestamped
# directory; each update writes a new directory, swaps ..data with an
# atomic rename and deletes the old directory. Three rotations: after each
# the stores hold the latest CA and nothing of the one before. Bad content
# is refused with a warning and the last good CA stays; a file rewritten in
# place is seen too; the command runs throughout and its status is kept.
mkca A
mkca B
mkca C
mkca D
r=$SCRATCH/r
mkroot debian "$r"
vol=$SCRATCH/vol
mkdir -p "$vol"

# the kubelet's atomic writer (pkg/volume/util/atomic_writer.go), step by step
n=0
kube_publish() { # FILE: publish FILE as the volume's ca.crt
	local old new
	old=$(readlink "$vol/..data" 2>/dev/null || true)
	n=$((n + 1))
	new="..2026_11_22_10_00_0${n}.00000000$n"
	mkdir "$vol/$new"
	cp "$1" "$vol/$new/ca.crt"
	ln -s "$new" "$vol/..data_tmp"
	mv -T "$vol/..data_tmp" "$vol/..data" # rename(2): the atomic swap
	[ -L "$vol/ca.crt" ] || ln -s ..data/ca.crt "$vol/ca.crt"
	[ -z "$old" ] || rm -rf "${vol:?}/$old"
}

# trusted_only ROOT CA: the set holds exactly CA, in every store, verified
trusted_only() {
	"$CAINIT" status --root "$1" --json > "$SCRATCH/st.json" 2>/dev/null || return 1
	python3 - "$SCRATCH/st.json" "$(fp_of "$SCRATCH/$2.pem")" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sets = d["sets"]
sys.exit(0 if len(sets) == 1 and sets[0]["ok"] and [c["sha256"] for c in sets[0]["cas"]] == [sys.argv[2]] else 1)
PY
}
wait_trusted() { wait_until 60 trusted_only "$r" "$1"; } # CA
# nothing of the previous CA anywhere under the root (its signature's base64)
no_trace_of() {
	! grep -rqF "$(tail -n 3 "$SCRATCH/$1.pem" | head -n 1)" "$r" || die "$1 left in: $(grep -rlF "$(tail -n 3 "$SCRATCH/$1.pem" | head -n 1)" "$r")"
}

kube_publish "$SCRATCH/A.pem"
"$CAINIT" run --root "$r" --watch "$vol/ca.crt" -- sh -c 'sleep 30; exit 7' 2>"$SCRATCH/run.log" &
run=$!
on_exit "kill $run 2>/dev/null"
wait_trusted A || die "A not trusted at start: $(cat "$SCRATCH/run.log")"
prev=A
for ca in B C D; do
	kube_publish "$SCRATCH/$ca.pem"
	wait_trusted "$ca" || die "rotation to $ca not seen: $(cat "$SCRATCH/run.log")"
	no_trace_of "$prev"
	[ "$(grep -c '^# cainit set=' "$r/etc/ssl/certs/ca-certificates.crt")" = 1 ] || die "bundle holds more than $ca"
	[ "$(ls "$r/usr/local/share/ca-certificates")" = cainit.default.crt ] || die "anchor dir: $(ls "$r/usr/local/share/ca-certificates")"
	note "kubelet ..data swap to $ca: trusted, and nothing of $prev left"
	prev=$ca
done
kill -0 "$run" || die "cainit run exited during rotations: $(cat "$SCRATCH/run.log")"

# bad content: refused with a warning, D stays trusted
kube_publish "$SCRATCH/D.key"
wait_until 60 grep -q "private key" "$SCRATCH/run.log" || true
grep -q "private key.*stay trusted" "$SCRATCH/run.log" || die "no warning for a private key: $(cat "$SCRATCH/run.log")"
trusted_only "$r" D || die "D not trusted after a bad update"
# a plain file rewritten in place (no symlinks) is seen as well
rm "$vol/ca.crt"
cat "$SCRATCH/A.pem" > "$vol/ca.crt"
wait_trusted A || die "in-place rewrite not seen"
no_trace_of D
# deleting the file keeps the CA (nothing says what else to trust): once run
# has seen the deletion (it says so), the stores are as they were
rm "$vol/ca.crt"
wait_until 60 grep -q "ca.crt is gone" "$SCRATCH/run.log" || die "the deletion was not seen: $(cat "$SCRATCH/run.log")"
trusted_only "$r" A || die "deleting the watched file changed the stores"
kill -0 "$run" || die "cainit run exited: $(cat "$SCRATCH/run.log")"

# the command's own exit status comes through after all that
kill -TERM "$run"
rc=0; wait "$run" || rc=$?
[ "$rc" = 143 ] || die "exit $rc after SIGTERM"
grep -c "cainit run: trusted" "$SCRATCH/run.log" | grep -qx 5 || die "installs logged: $(grep -c 'cainit run: trusted' "$SCRATCH/run.log"), want 5"
"$CAINIT" run --root "$r" --watch "$vol/../vol/missing" --timeout 200ms -- true 2>/dev/null && die "--watch --timeout did not time out"
note "three kubelet rotations, a refused update, an in-place rewrite: stores followed each"
