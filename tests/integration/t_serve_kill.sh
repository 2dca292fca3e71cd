# kill -9 of the agent in the middle of a rotation (at each of a series of
# its write-related system calls): on restart every store agrees (the last
# finished change), and pushing again converges on the new CA with the old
# one gone from every file.
command -v strace >/dev/null || die "strace is missing"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" # LeakSanitizer cannot run under ptrace
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca B
echo tok > "$SCRATCH/token"
port=$(free_port)
url=http://127.0.0.1:$port
afp=$(fp_of "$SCRATCH/A.pem") bfp=$(fp_of "$SCRATCH/B.pem")
kills=0 tried=0

consistent() { # the default set is $1 or $2 in every store
	expect_rc 0 "$CAINIT" status --root "$r" --json
	echo "$OUT" > "$SCRATCH/s.json"
	python3 - "$SCRATCH/s.json" "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
(s,) = [s for s in d["sets"] if s["name"] == "default"]
assert s["ok"], s
assert [c["sha256"] for c in s["cas"]][0] in sys.argv[2:], s["cas"]
PY
}

for spec in renameat2:1 renameat2:2 renameat2:3 renameat:1 renameat:2 symlinkat:1 unlinkat:1 unlinkat:2 \
	    unlinkat:3 unlinkat:4 writev:2 writev:3 writev:4 writev:5 openat:40 openat:45 openat:50 fchmod:1; do
	sc=${spec%:*} k=${spec#*:}
	# A is acknowledged
	expect_rc 0 "$CAINIT" install --root "$r" "$SCRATCH/A.pem"
	# an agent that dies at the k-th $sc, while rotating to B
	timeout 30 strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:signal=SIGKILL:when=$k" \
		"$CAINIT" serve --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" --quiet \
		2>>"$SCRATCH/agent.log" &
	tracer=$!
	up_or_dead() { curl -s -o /dev/null -m 5 "$url/health" || ! kill -0 "$tracer" 2>/dev/null; }
	wait_until 60 up_or_dead || die "the agent neither answered nor died"
	code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST -H "X-Access-Token: tok" "$url/init" \
		-d "$(init_body "$SCRATCH/B.pem")") || true
	tried=$((tried + 1))
	if [ "$code" = 204 ]; then
		# answered: the k-th call came after the rotation; stop that agent
		pkill -TERM -f "serve --root $r" 2>/dev/null || true
		wait $tracer 2>/dev/null || true
		continue
	fi
	wait $tracer 2>/dev/null || true
	kills=$((kills + 1))
	# restart: the stores agree, on A (the last acknowledged) or B (finished, unacknowledged)
	start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" --quiet
	consistent "$afp" "$bfp" || die "stores disagree after a kill at $sc #$k"
	# the orchestrator tries again: B everywhere, A nowhere
	expect_rc 0 env CAINIT_TOKEN=tok "$CAINIT" push --to "$url" "$SCRATCH/B.pem"
	consistent "$bfp" || die "not converged on B after a kill at $sc #$k"
	if grep -rqF "$(tail -n 3 "$SCRATCH/A.pem" | head -n 1)" "$r"; then die "A left after a kill at $sc #$k"; fi
	stop_agent || die "agent exit status"
done
[ "$kills" -ge 8 ] || die "only $kills of $tried attempts interrupted a rotation"
note "agent killed mid-rotation $kills times (of $tried); every restart converged"
