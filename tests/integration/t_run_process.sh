# `cainit run` as an entrypoint, with no shell of its own: each of the
# seven signals reaches the command; --group reaches its whole process
# group; orphaned grandchildren are reaped (as a subreaper, and as PID 1 in
# a PID namespace); the exit code is the command's status, 128+N when
# signal N killed it, 127 when it is not found, 126 when it cannot be run.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
r=$SCRATCH/r
mkroot debian "$r"
rec=$HERE/../tools/sigrecord.py

# wait_for COND_CMD...: until it holds (60 s bound a hang)
wait_for() { wait_until 60 "$@"; }
last_is() { [ -f "$1" ] && [ "$(tail -n 1 "$1")" = "$2" ]; }

# ---- every forwarded signal ----
log=$SCRATCH/signals
# (a script's background jobs start with SIGINT and SIGQUIT ignored: undo that)
env --default-signal "$CAINIT" run --root "$r" -- python3 "$rec" "$log" 2>"$SCRATCH/run.err" &
run=$!
wait_for test -s "$log.ready" || die "recorder did not start: $(cat "$SCRATCH/run.err")"
[ "$(awk '/^PPid/ {print $2}' "/proc/$(cat "$log.ready")/status")" = "$run" ] || die "the command is not cainit's child"
for s in INT HUP QUIT USR1 USR2 WINCH TERM; do
	kill -"$s" "$run"
	wait_for last_is "$log" "SIG$s" || die "SIG$s did not reach the command (log: $(tr '\n' ' ' < "$log"))"
done
rc=0; wait "$run" || rc=$?
[ "$rc" = 0 ] || die "exit $rc after the command exited 0"
[ "$(wc -l < "$log")" = 7 ] || die "signals recorded: $(tr '\n' ' ' < "$log")"
note "SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH SIGTERM forwarded, each once"

# ---- a signal that kills the command: 128+N ----
for s in TERM:143 INT:130 HUP:129 QUIT:131; do
	env --default-signal "$CAINIT" run --root "$r" -- sleep 30 2>/dev/null &
	run=$!
	wait_for pgrep -P "$run" -x sleep >/dev/null || die "sleep did not start"
	kill -"${s%%:*}" "$run"
	rc=0; wait "$run" || rc=$?
	[ "$rc" = "${s##*:}" ] || die "SIG${s%%:*}: exit $rc, want ${s##*:}"
done
expect_rc 138 "$CAINIT" run --root "$r" -- sh -c 'kill -USR1 $$'
expect_rc 137 "$CAINIT" run --root "$r" -- sh -c 'kill -KILL $$'

# ---- exit codes ----
expect_rc 0 "$CAINIT" run --root "$r" -- true
expect_rc 1 "$CAINIT" run --root "$r" -- false
expect_rc 42 "$CAINIT" run --root "$r" -- sh -c 'exit 42'
expect_rc 127 "$CAINIT" run --root "$r" -- /nonexistent/cmd
expect_err "No such file or directory"
expect_rc 127 "$CAINIT" run --root "$r" -- no-such-command-cainit
printf 'not a program\n' > "$SCRATCH/plain"
chmod 644 "$SCRATCH/plain"
expect_rc 126 "$CAINIT" run --root "$r" -- "$SCRATCH/plain"
expect_err "Permission denied"
expect_rc 126 "$CAINIT" run --root "$r" -- "$SCRATCH"
expect_rc 2 "$CAINIT" run --root "$r"
expect_err "no command to run"
expect_rc 2 "$CAINIT" run --root "$r" --bogus -- true
# arguments reach the command exactly, and a command's own options are not cainit's
out=$("$CAINIT" run --root "$r" -- printf '[%s]' 'a b' '' --ca -x 2>/dev/null)
[ "$out" = "[a b][][--ca][-x]" ] || die "arguments: $out"
note "exit codes: status, 128+N, 126, 127"

# ---- orphaned grandchildren are reaped (child subreaper) ----
# (the orphan lives until the test has seen it re-parented, then is killed)
"$CAINIT" run --root "$r" -- sh -c '(sleep 60 & echo $! > "$0"); sleep 60' "$SCRATCH/orphan" 2>/dev/null &
run=$!
wait_for test -s "$SCRATCH/orphan" || die "no orphan"
orphan=$(cat "$SCRATCH/orphan")
ppid_is_run() { [ "$(awk '/^PPid/ {print $2}' "/proc/$orphan/status" 2>/dev/null)" = "$run" ]; }
wait_for ppid_is_run || die "the orphan was not re-parented to cainit run"
kill "$orphan"
gone() { [ ! -e "/proc/$orphan" ]; } # (a zombie keeps its /proc entry until reaped)
wait_for gone || die "orphan $orphan not reaped: $(cat "/proc/$orphan/stat" 2>/dev/null)"
kill "$run"; wait "$run" || true
note "orphaned grandchild re-parented to cainit run and reaped"

# ---- as PID 1 of a PID namespace ----
out=$(unshare --pid --fork --mount-proc "$CAINIT" run --root "$r" -- sh -c '
	echo "pid1=$(cat /proc/1/comm)"
	: > "$0"
	for i in 1 2 3 4 5; do (sh -c "echo \$\$ >> $0" &); done
	exited() { # five orphans recorded, each gone or a zombie
		[ "$(wc -l < "$0")" = 5 ] || return 1
		for p in $(cat "$0"); do
			case $(ps -o stat= -p "$p") in "" | Z*) ;; *) return 1 ;; esac
		done
	}
	for i in $(seq 1 1200); do exited && break; sleep 0.05; done
	for i in $(seq 1 1200); do
		z=$(ps -eo stat= | grep -c "^Z" || true)
		[ "$z" = 0 ] && break
		sleep 0.05
	done
	echo "orphans=$(wc -l < "$0") zombies=$z"' "$SCRATCH/orphans" 2>&1)
grep -qx "pid1=cainit" <<<"$out" || die "cainit is not PID 1: $out"
grep -qx "orphans=5 zombies=0" <<<"$out" || die "zombies left under cainit as PID 1: $out"
# a signal sent to PID 1 from outside reaches the command
unshare --pid --fork --mount-proc "$CAINIT" run --root "$r" -- sleep 30 2>/dev/null &
ns=$!
wait_for pgrep -P "$ns" -x cainit >/dev/null || die "no cainit under unshare"
pid1=$(pgrep -P "$ns" -x cainit)
wait_for pgrep -P "$pid1" -x sleep >/dev/null || die "no sleep under cainit"
kill -TERM "$pid1"
rc=0; wait "$ns" || rc=$?
[ "$rc" = 143 ] || die "PID 1: exit $rc after SIGTERM, want 143"
note "as PID 1: orphans reaped (0 zombies), SIGTERM forwarded (exit 143)"

# ---- --group: the whole process group ----
group_run() { # FLAGS...: a shell with a background sleep; prints the sleep's pid
	rm -f "$SCRATCH/g.pid"
	"$CAINIT" run --root "$r" "$@" -- sh -c 'sleep 30 & echo $! > "$0"; wait' "$SCRATCH/g.pid" 2>/dev/null &
	run=$!
	wait_for test -s "$SCRATCH/g.pid" || die "group: no sleep"
	kill -TERM "$run"
	rc=0; wait "$run" || rc=$?
	[ "$rc" = 143 ] || die "group $*: exit $rc"
}
group_run --group
gpid=$(cat "$SCRATCH/g.pid")
wait_for test ! -e "/proc/$gpid" || die "--group: the group's other process survived SIGTERM"
group_run
gpid=$(cat "$SCRATCH/g.pid")
kill -0 "$gpid" 2>/dev/null || die "without --group, SIGTERM reached more than the command"
kill "$gpid"
note "--group signals the process group; without it only the command"
