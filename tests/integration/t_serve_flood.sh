# An anonymous peer cannot keep the orchestrator out. One peer keeps 256
# connections open (twice the 128 slots) with half-sent requests and
# reconnects every one the agent closes, as fast as it can; meanwhile every
# authenticated /init (cainit push, as an orchestrator sends it) and every
# /health gets through.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca B
mkleaf LA A
mkleaf LB B
echo tok > "$SCRATCH/token"
port=$(free_port)
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" --quiet
python3 "$HERE/../tools/flood.py" "$port" 256 "$SCRATCH/stop" > "$SCRATCH/flood.out" 2>&1 &
flooder=$!
for i in $(seq 1 600); do grep -q flooding "$SCRATCH/flood.out" 2>/dev/null && break; sleep 0.05; done
grep -q flooding "$SCRATCH/flood.out" || die "the flood never started: $(cat "$SCRATCH/flood.out")"
for i in $(seq 1 20); do
	ca=A; [ $((i % 2)) = 0 ] && ca=B
	expect_rc 0 "$CAINIT" push --to "http://127.0.0.1:$port" --token-file "$SCRATCH/token" --deadline 30s "$SCRATCH/$ca.pem"
	expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L$ca.pem"
	[ "$(curl -s -o /dev/null -m 30 --retry 10 --retry-all-errors --retry-delay 0 -w '%{http_code}' "$AGENT_URL/health")" = 204 ] ||
		die "/health under the flood"
done
touch "$SCRATCH/stop"
wait "$flooder" || true
kill -0 "$AGENT_PID" || die "the agent died under the flood"
shed=$(curl -s -H "X-Access-Token: tok" "$AGENT_URL/metrics" | sed -n 's/^cainit_connections_shed_total //p')
[ "${shed:-0}" -gt 0 ] || die "nothing was shed: the flood did not fill the slots"
note "256 half-sent requests from one peer, $(sed -n 's/reconnects=//p' "$SCRATCH/flood.out") reconnects: 20 rotations by push and 20 /health all answered ($shed connections shed)"
stop_agent || die "agent exit status"
