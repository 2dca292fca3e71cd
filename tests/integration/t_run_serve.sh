# `cainit run --serve`: the agent API in the entrypoint's own process
# while the command runs. The command's NODE_EXTRA_CA_CERTS already names
# the CA-only file before any CA arrives (the agent will write it); a CA
# pushed to the agent is trusted; SIGHUP re-reads the token file and still
# reaches the command; SIGTERM reaches the command, and once it exits the
# agent stops listening and cainit exits with the command's status.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
mkca A
r=$SCRATCH/r
mkroot debian "$r"
port=$(free_port)
log=$SCRATCH/signals
printf 'first-token\n' > "$SCRATCH/token"
env --default-signal "$CAINIT" run --root "$r" --serve "127.0.0.1:$port" --token-file "$SCRATCH/token" \
	-- sh -c 'echo "$NODE_EXTRA_CA_CERTS" > "$0"; exec python3 "$1" "$2"' "$SCRATCH/env.out" \
	"$HERE/../tools/sigrecord.py" "$log" 2>"$SCRATCH/run.log" &
run=$!
on_exit "kill $run 2>/dev/null"
AGENT_CURL=(); AGENT_URL=http://127.0.0.1:$port
wait_until 60 curl -s -o /dev/null -m 5 "$AGENT_URL/health" || die "no agent: $(cat "$SCRATCH/run.log")"
wait_until 60 test -s "$log.ready" || die "command did not start: $(cat "$SCRATCH/run.log")"
[ "$(cat "$SCRATCH/env.out")" = /etc/cainit/ca.pem ] || die "NODE_EXTRA_CA_CERTS before the CA: $(cat "$SCRATCH/env.out")"
[ ! -e "$r/etc/cainit/ca.pem" ] || die "CA file exists before any CA"

expect_call 401 PUT /ca/default --data-binary @"$SCRATCH/A.pem"
expect_call 204 PUT /ca/default -H "X-Access-Token: first-token" --data-binary @"$SCRATCH/A.pem"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/A.pem"
[ "$(fp_of "$r/etc/cainit/ca.pem")" = "$(fp_of "$SCRATCH/A.pem")" ] || die "CA-only file after the push"

# SIGHUP: the token file is read again, and the command gets the signal too
printf 'second-token\n' > "$SCRATCH/token"
kill -HUP "$run"
last_is_hup() { [ "$(tail -n 1 "$log" 2>/dev/null)" = SIGHUP ]; }
wait_until 60 last_is_hup || die "SIGHUP did not reach the command"
wait_until 60 grep -q "token re-read" "$SCRATCH/run.log" || die "no token reload logged: $(cat "$SCRATCH/run.log")"
expect_call 401 GET /ca -H "X-Access-Token: first-token"
expect_call 200 GET /ca -H "X-Access-Token: second-token"
grep -q "token re-read" "$SCRATCH/run.log" || die "no token reload logged: $(cat "$SCRATCH/run.log")"

# SIGTERM: to the command (which exits 0), then the agent drains
kill -TERM "$run"
rc=0; wait "$run" || rc=$?
[ "$rc" = 0 ] || die "exit $rc, want the command's 0"
[ "$(tail -n 1 "$log")" = SIGTERM ] || die "SIGTERM did not reach the command"
curl -s -o /dev/null -m 1 "$AGENT_URL/health" && die "the agent still answers after cainit run exited"
grep -q "listening on 127.0.0.1:$port" "$SCRATCH/run.log" || die "no listen line"
note "run --serve: push trusted, SIGHUP reloads the token and is forwarded, SIGTERM ends both"

# the agent refuses to start without a token beyond loopback: nothing runs
expect_rc 2 "$CAINIT" run --root "$r" --serve "0.0.0.0:$port" -- touch "$SCRATCH/started"
expect_err "without a token"
[ ! -e "$SCRATCH/started" ] || die "the command ran although the agent could not start"
