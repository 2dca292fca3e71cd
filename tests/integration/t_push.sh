# cainit push: orchestrator-style retries (per-attempt timeout, fixed retry
# interval, overall deadline), no retry for a 4xx, input checked first.
# Another architecture's agent (tests/arch/run.sh) is pushed to by the
# native build's client, as an orchestrator on the host would.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
PUSHER=${NATIVE_CAINIT:-$CAINIT}
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca B
mkleaf L A
echo tok > "$SCRATCH/token"
port=$(free_port)
url=http://127.0.0.1:$port

# an agent that starts 300 ms late (the delay is the scenario, not a wait):
# push keeps trying, then is acknowledged (the deadline is generous: a
# loaded machine may start the agent later still)
( sleep 0.3; exec "$CAINIT" serve --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" \
	2>>"$SCRATCH/agent.log" ) &
late=$!
t0=$(date +%s%N)
expect_rc 0 "$PUSHER" push --to "$url" --token-file "$SCRATCH/token" --timeout 50ms --retry-every 5ms \
	--deadline 60s "$SCRATCH/A.pem"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
attempts=$(sed -n 's/.*after \([0-9]*\) attempts.*/\1/p' <<<"$ERR")
[ "${attempts:-1}" -gt 1 ] || die "push did not retry: $ERR"
[ "$ms" -ge 300 ] || die "acknowledged after ${ms} ms, before the agent started"
note "agent 300 ms late: acknowledged after $attempts attempts, ${ms} ms"
echo "POST /init 204" >> "$API_LOG"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"

# a 4xx is final: exactly one request reaches the agent
n0=$(grep -c 'POST /init' "$SCRATCH/agent.log")
expect_rc 2 "$PUSHER" push --to "$url" --token-file /dev/null --deadline 2s "$SCRATCH/B.pem" 2>/dev/null || true
echo wrong > "$SCRATCH/wrong"
expect_rc 2 "$PUSHER" push --to "$url" --token-file "$SCRATCH/wrong" --deadline 2s "$SCRATCH/B.pem"
expect_err "answered 401: missing or wrong X-Access-Token"
[ "$(grep -c 'POST /init' "$SCRATCH/agent.log")" = $((n0 + 1)) ] || die "a 4xx was retried"
# bad input: refused before any connection
expect_rc 2 "$PUSHER" push --to "$url" --token-file "$SCRATCH/token" "$SCRATCH/A.key"
expect_err "refusing input that holds a private key"
expect_rc 2 "$PUSHER" push --to "$url" --token-file "$SCRATCH/token" "$SCRATCH/L.pem"
expect_err "is not a CA"
[ "$(grep -c 'POST /init' "$SCRATCH/agent.log")" = $((n0 + 1)) ] || die "bad input reached the agent"
expect_rc 2 "$PUSHER" push --to "ftp://x" "$SCRATCH/A.pem"
expect_rc 2 "$PUSHER" push --to "$url" --timeout 5 "$SCRATCH/A.pem"
expect_err "bad duration"

# --set: PUT /ca/NAME, over a unix socket
kill -TERM $late; wait $late || true
start_agent --root "$r" --listen "unix:$SCRATCH/a.sock" --token-file "$SCRATCH/token"
expect_rc 0 "$PUSHER" push --to "unix:$SCRATCH/a.sock" --token-file "$SCRATCH/token" --set other "$SCRATCH/B.pem"
grep -q 'PUT /ca/other 204' "$AGENT_LOG" || die "no PUT"
expect_rc 0 env CAINIT_TOKEN=tok "$PUSHER" push --to "unix:$SCRATCH/a.sock" - < "$SCRATCH/A.pem"
stop_agent

# no agent at all: exit 1 at the deadline, retrying every 5 ms meanwhile
t0=$(date +%s%N)
expect_rc 1 "$PUSHER" push --to "$url" --deadline 300ms "$SCRATCH/A.pem"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# (never before the deadline; the upper bound only catches one ignored)
[ "$ms" -ge 290 ] && [ "$ms" -lt 30000 ] || die "deadline 300ms took ${ms} ms"
attempts=$(sed -n 's/.*(\([0-9]*\) attempts.*/\1/p' <<<"$ERR")
[ "${attempts:-0}" -ge 2 ] || die "no retry: $ERR"
expect_err "Connection refused"

# a server that accepts and never answers: each attempt gives up at --timeout
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$port" &
mute=$!
wait_until 60 listening "$port" || die "the mute server is not listening"
expect_rc 1 "$PUSHER" push --to "$url" --timeout 50ms --retry-every 5ms --deadline 500ms "$SCRATCH/A.pem"
attempts=$(sed -n 's/.*(\([0-9]*\) attempts.*/\1/p' <<<"$ERR")
# each attempt waits its whole 50 ms (never less, however loaded the
# machine): at most 11 fit in 500 ms; at least two, or it did not retry
[ "${attempts:-0}" -ge 2 ] && [ "${attempts:-0}" -le 11 ] || die "attempts against a mute server: $ERR"
expect_err "no answer within" # (the last attempt gets what is left of the deadline)
kill $mute
