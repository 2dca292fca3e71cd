# The agent's limits: 413 for bodies over 1 MiB without reading them, cut
# slow and idle clients, a cap on connections that anonymous ones cannot
# hold, refused header floods, and a truncated body that changes nothing.
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
metric() { curl -s "${T[@]}" "$AGENT_URL/metrics" | sed -n "s/^$1 //p"; }

# 413: a 50 MB Content-Length is refused before a byte of body is sent (the
# client sends none and waits: an answer at all is the proof); without the
# token the same request gets 401, and never "100 Continue"
[ "$(raw declared-too-big tok)" = 413 ] || die "declared 50 MB with the token"
[ "$(raw declared-too-big)" = 401 ] || die "declared 50 MB without the token"
echo "PUT /ca/big 413" >> "$API_LOG"
[ "$(raw chunked-too-big tok)" = 413 ] || die "chunked past 1 MiB"
head -c $((1024 * 1024 + 1)) /dev/zero > "$SCRATCH/big"
expect_call 413 POST /init "${T[@]}" --data-binary @"$SCRATCH/big"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
[ "$rss" -lt 40000 ] || die "agent RSS ${rss} kB after oversized bodies"

# a truncated body changes nothing (the agent answers a request after it:
# the truncated one was dropped by then)
before=$(snapshot "$r")
raw truncated tok >/dev/null
expect_call 204 GET /health
[ "$(snapshot "$r")" = "$before" ] || die "truncated body changed files"

# one byte a second: cut at the request timeout (2 s), never before, with no
# answer; a silent connection: closed after the idle timeout (1.5 s), never
# before (the upper bounds only catch a connection never cut)
t=$(raw slow tok)
awk -v t="$t" 'BEGIN { exit !(t >= 1.9 && t < 30) }' || die "slow client cut after ${t}s, want 2s or a little more"
note "slow client (1 byte/s) cut after ${t}s (request timeout 2s)"
t=$(raw idle)
awk -v t="$t" 'BEGIN { exit !(t >= 1.4 && t < 30) }' || die "idle connection closed after ${t}s, want 1.5s or a little more"

# a 100 KiB header: refused, the agent goes on
out=$(raw header-flood)
case $out in 4*|closed) ;; *) die "header flood: $out" ;; esac
expect_call 204 GET /health

# the cap (4): connections that never presented the token cannot hold it; a
# new one makes room by closing the oldest of them
shed0=$(metric cainit_connections_shed_total)
raw hold 4 30 > "$SCRATCH/hold" &
holder=$!
for i in $(seq 1 600); do grep -q holding "$SCRATCH/hold" 2>/dev/null && break; sleep 0.05; done
grep -q holding "$SCRATCH/hold" || die "the holder never held"
expect_call 204 GET /health
[ "$(metric cainit_connections_shed_total)" -gt "$shed0" ] || die "no connection was shed for the fifth"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
note "4 of 4 slots held by anonymous connections: a fifth is served, the oldest of them shed"

# 4 authenticated requests under way hold every slot: a fifth is refused at
# once (closed unanswered), and served again as soon as one of them ends
mkfifo "$SCRATCH/go"
raw held 4 tok < "$SCRATCH/go" > "$SCRATCH/held" &
holder=$!
exec 7>"$SCRATCH/go"
for i in $(seq 1 600); do grep -q holding "$SCRATCH/held" 2>/dev/null && break; sleep 0.05; done
grep -q holding "$SCRATCH/held" || die "the authenticated holder never held"
code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$AGENT_URL/health" || true)
[ "$code" = 000 ] || die "a fifth connection beside 4 authenticated requests: $code"
echo >&7
exec 7>&-
for i in $(seq 1 600); do [ "$(wc -l < "$SCRATCH/held")" -ge 2 ] && break; sleep 0.05; done
[ "$(sed -n 2p "$SCRATCH/held")" = 400 ] || die "the finished request: $(cat "$SCRATCH/held")"
expect_call 204 GET /health
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
note "4 authenticated requests under way: a fifth refused at once, served when one ended"
grep -q '^cainit_connections [0-9]' <(curl -s "${T[@]}" "$AGENT_URL/metrics") || die "connections gauge"
stop_agent || die "agent exit status"
