# 10,000 requests of every kind: under valgrind (the dynamically linked
# build: valgrind cannot follow malloc in a static binary) no definite leak
# and no error; and the shipped static agent's RSS stays flat.
need_valgrind
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca B
echo tok > "$SCRATCH/token"
port=$(free_port)
load() { python3 "$HERE/../tools/agentload.py" "$port" tok "$1" "$SCRATCH/A.pem" "$SCRATCH/B.pem" "${2:-100}"; }

# valgrind
AGENT_BIN="$MEMCHECK --log-file=$SCRATCH/vg.log $BUILD/cainit-dynamic"
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" --quiet
unset AGENT_BIN # (a prefix assignment to a function would persist in POSIX mode)
load 10000 >/dev/null || die "requests under valgrind failed"
kill -TERM "$AGENT_PID"
rc=0; wait "$AGENT_PID" || rc=$?
AGENT_PID=""
[ "$rc" = 0 ] || die "valgrind reported errors or leaks (exit $rc): $(head -n 40 "$SCRATCH/vg.log")"
grep -q "ERROR SUMMARY: 0 errors" "$SCRATCH/vg.log" || die "no clean valgrind summary: $(tail -n 20 "$SCRATCH/vg.log")"
! grep -q "definitely lost: [1-9]" "$SCRATCH/vg.log" || die "leaks: $(cat "$SCRATCH/vg.log")"
note "valgrind: 10000 requests, no definite leak, no error"

# the static agent's RSS, after 1,000 and after 10,000 more requests
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" --quiet
load 1000 >/dev/null || die "warm-up"
rss1=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
load 10000 >/dev/null || die "load"
rss2=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
stop_agent || die "agent exit status"
note "RSS after 1000 requests: ${rss1} kB, after 10000 more: ${rss2} kB"
[ $((rss2 - rss1)) -lt 512 ] || die "RSS grew from ${rss1} kB to ${rss2} kB"
