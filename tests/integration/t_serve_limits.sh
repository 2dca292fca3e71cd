# The agent's limits: 413 for bodies over 1 MiB without reading them, cut
# slow and idle clients, a cap on connections, refused header floods, and a
# truncated body that changes nothing.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
r=$SCRATCH/r
mkroot debian "$r"
mkca A
echo tok > "$SCRATCH/token"
port=$(free_port)
raw() { python3 "$HERE/../tools/rawhttp.py" "$port" "$@"; }
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" \
	--request-timeout 2s --idle-timeout 1500ms --max-connections 4
T=(-H "X-Access-Token: tok")

# 413: a 50 MB Content-Length is refused before a byte of body is sent
out=$(raw declared-too-big)
[ "${out%% *}" = 413 ] || die "declared 50 MB: $out"
awk -v t="${out##* }" 'BEGIN { exit !(t < 1.0) }' || die "413 took ${out##* }s"
echo "PUT /ca/big 413" >> "$API_LOG"
[ "$(raw chunked-too-big)" = 413 ] || die "chunked past 1 MiB"
head -c $((1024 * 1024 + 1)) /dev/zero > "$SCRATCH/big"
expect_call 413 POST /init "${T[@]}" --data-binary @"$SCRATCH/big"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
[ "$rss" -lt 40000 ] || die "agent RSS ${rss} kB after oversized bodies"

# a truncated body changes nothing
before=$(snapshot "$r")
raw truncated tok >/dev/null
sleep 0.3
[ "$(snapshot "$r")" = "$before" ] || die "truncated body changed files"
expect_call 204 GET /health

# one byte a second: cut at the request timeout (2 s), with no answer
t=$(raw slow tok)
awk -v t="$t" 'BEGIN { exit !(t >= 1.5 && t < 4.0) }' || die "slow client cut after ${t}s, want about 2s"
note "slow client (1 byte/s) cut after ${t}s (request timeout 2s)"
# silent connections: closed after the idle timeout (1.5 s)
t=$(raw idle)
awk -v t="$t" 'BEGIN { exit !(t >= 1.3 && t < 3.5) }' || die "idle connection closed after ${t}s, want about 1.5s"

# a 100 KiB header: refused, the agent goes on
out=$(raw header-flood)
case $out in 4*|closed) ;; *) die "header flood: $out" ;; esac
expect_call 204 GET /health

# the cap: with 4 connections held open, a fifth is not served until one goes
raw hold 4 3 > "$SCRATCH/hold" &
holder=$!
for i in $(seq 1 50); do grep -q holding "$SCRATCH/hold" 2>/dev/null && break; sleep 0.05; done
sleep 0.2
t0=$(date +%s%N)
code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$AGENT_URL/health")
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$holder" || true
[ "$code" = 204 ] || die "fifth connection: $code"
# (held connections are cut by the 1.5 s idle timeout, or freed at 3 s)
[ "$waited" -ge 700 ] || die "fifth connection served after ${waited} ms: the cap did not hold"
note "with 4 of 4 connections held, a fifth waited ${waited} ms"
expect_call 204 GET /health
grep -q '^cainit_connections [0-9]' <(curl -s "${T[@]}" "$AGENT_URL/metrics") || die "connections gauge"
stop_agent || die "agent exit status"
