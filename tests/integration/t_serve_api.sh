# The agent's API with the real binary, over loopback and a unix socket:
# every endpoint and status, the token, the refusal to listen beyond
# loopback without one, and a repeated bundle answered with no file I/O.
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkca B
mkleaf LA A
mkleaf LB B
echo "first-token" > "$SCRATCH/token"
port=$(free_port)
sock=$SCRATCH/agent.sock

# --- no token: loopback and unix only, unless --insecure-no-token ---
expect_rc 2 "$CAINIT" serve --root "$r" --listen "0.0.0.0:$port"
expect_err "refusing to listen on 0.0.0.0:$port without a token"
expect_rc 2 "$CAINIT" serve --root "$r" --listen "[::]:$port"
expect_rc 2 "$CAINIT" serve --root "$r" --listen "nonsense"
expect_err "nonsense: expected HOST:PORT"
start_agent --root "$r" --listen "0.0.0.0:$port" --insecure-no-token --quiet
expect_call 204 GET /health
expect_call 204 POST /init -d "$(init_body "$SCRATCH/A.pem")"  # no token configured: open
stop_agent || die "agent did not exit 0"
expect_rc 0 "$CAINIT" remove --root "$r" --all

# --- with a token, on loopback and a unix socket ---
start_agent --root "$r" --listen "127.0.0.1:$port" --listen "unix:$sock" --token-file "$SCRATCH/token"
[ "$(stat -c %a "$sock")" = 600 ] || die "socket mode $(stat -c %a "$sock")"
T=(-H "X-Access-Token: first-token")
expect_call 204 GET /health
expect_call 401 POST /init -d "$(init_body "$SCRATCH/A.pem")"
grep -q '"code":"unauthorized"' "$SCRATCH/.body" || die "401 body"
expect_call 401 POST /init -H "X-Access-Token: wrong" -d "$(init_body "$SCRATCH/A.pem")"
expect_call 401 POST /init -H "X-Access-Token: first-token-and-more" -d "$(init_body "$SCRATCH/A.pem")"
expect_call 401 GET /ca
expect_call 401 GET /metrics
expect_call 401 PUT /ca/x --data-binary @"$SCRATCH/A.pem"
expect_call 401 DELETE /ca/x
expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem" # the 401s changed nothing

expect_call 204 POST /init "${T[@]}" -d "$(init_body "$SCRATCH/A.pem")"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"
grep -q "POST /init 204 .* set=default sha256=$(fp_of "$SCRATCH/A.pem")" "$AGENT_LOG" || die "log line"

# the same bundle again: 204 and no file touched (the agent is traced)
strace -f -qq -p "$AGENT_PID" -e trace=%file,read,write,pread64,pwrite64,writev -o "$SCRATCH/trace" &
tracer=$!
traced() { [ "$(awk '/^TracerPid/ {print $2}' "/proc/$AGENT_PID/status")" != 0 ]; }
wait_until 60 traced || die "strace did not attach"
expect_call 204 POST /init "${T[@]}" -d "$(init_body "$SCRATCH/A.pem")"
# same CAs, other bytes (CRLF): still nothing touched
expect_call 204 POST /init "${T[@]}" -d "$(python3 -c 'import json,sys; print(json.dumps({"caBundle": open(sys.argv[1]).read().replace("\n", "\r\n")}))' "$SCRATCH/A.pem")"
kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
grep -q 'writev(' "$SCRATCH/trace" || die "the trace saw no reply: is strace working?"
if grep -qE '(open|openat|statx|fstat|renameat2?|unlinkat|mkdirat|symlinkat|readlinkat|pwrite64|fallocate|ftruncate|flock)\(' "$SCRATCH/trace"; then
	cat "$SCRATCH/trace" >&2; die "a repeated bundle touched files"
fi
# (it only checks that the install's files are still the ones it left: one
# fstatat each of the set's record and the bundle, from pinned directories)
[ "$(grep -c 'newfstatat(' "$SCRATCH/trace")" -le 4 ] || { cat "$SCRATCH/trace" >&2; die "more than 2 stats per request"; }
if grep 'newfstatat(' "$SCRATCH/trace" | grep -q AT_FDCWD; then cat "$SCRATCH/trace" >&2; die "a path walk"; fi
grep -q 'cainit_installs_unchanged_total 2' <(curl -s "${T[@]}" "$AGENT_URL/metrics") || die "unchanged count"

# unknown fields ignored; absent, null or empty caBundle changes nothing
expect_call 204 POST /init "${T[@]}" -d '{"envVars": {"A": "1"}, "accessToken": "x"}'
expect_call 204 POST /init "${T[@]}" -d '{"caBundle": null}'
expect_call 204 POST /init "${T[@]}" -d '{"caBundle": ""}'
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"

# a rotation A -> B -> A -> B -> A: the agent keeps the body before the last one
# with its CAs parsed and takes them when that body comes back; each time
# the stores hold exactly the CAs of the body just sent
for ca in B A B A; do
	other=$([ "$ca" = A ] && echo B || echo A)
	expect_call 204 POST /init "${T[@]}" -d "$(init_body "$SCRATCH/$ca.pem")"
	expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L$ca.pem"
	expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/L$other.pem"
	tail -n 1 "$AGENT_LOG" | grep -q "POST /init 204 .* set=default sha256=$(fp_of "$SCRATCH/$ca.pem")$" || die "rotation to $ca: log line: $(tail -n 1 "$AGENT_LOG")"
done

# bad bodies: 400 with a code, nothing changed
before=$(snapshot "$r")
expect_call 400 POST /init "${T[@]}" -d 'not json'
grep -q '"code":"bad_json"' "$SCRATCH/.body" || die "bad_json"
expect_call 400 POST /init "${T[@]}" -d '[1, 2]'
expect_call 400 POST /init "${T[@]}" -d '"a string"'
expect_call 400 POST /init "${T[@]}" -d '{"caBundle": 5}'
grep -q '"code":"bad_request"' "$SCRATCH/.body" || die "bad_request"
expect_call 400 POST /init "${T[@]}" -d '{"caBundle": "a", "caBundle": "b"}'
expect_call 400 POST /init "${T[@]}" -d "$(init_body "$SCRATCH/A.key")"
grep -q '"code":"private_key"' "$SCRATCH/.body" || die "private_key"
expect_call 400 POST /init "${T[@]}" -d "$(init_body "$SCRATCH/LA.pem")"
grep -q '"code":"not_ca"' "$SCRATCH/.body" || die "not_ca"
expect_call 400 POST /init "${T[@]}" -d '{"caBundle": "-----BEGIN CERTIFICATE-----\nQUJD\n"}'
grep -q '"code":"bad_pem"' "$SCRATCH/.body" || die "bad_pem"
expect_call 400 PUT /ca/bad..name "${T[@]}" --data-binary @"$SCRATCH/B.pem"
grep -q '"code":"invalid_set"' "$SCRATCH/.body" || die "invalid_set"
expect_call 400 DELETE /ca/-bad "${T[@]}"
expect_call 400 PUT /ca/other "${T[@]}" --data-binary 'garbage'
[ "$(snapshot "$r")" = "$before" ] || die "a refused request changed files"

# routing
expect_call 404 GET /nope
expect_call 404 GET /ca/x/y "${T[@]}"
expect_call 405 GET /init
grep -q '"code":"method_not_allowed"' "$SCRATCH/.body" || die "405 body"
curl -s -D "$SCRATCH/h" -o /dev/null -X DELETE "$AGENT_URL/init"
grep -qi '^Allow: POST' "$SCRATCH/h" || die "Allow header"
expect_call 405 POST /health
expect_call 405 POST /ca "${T[@]}"
expect_call 405 PUT /metrics "${T[@]}"
expect_call 405 GET /ca/x "${T[@]}"

# PUT and DELETE a named set, over the unix socket; DER body
saved=("${AGENT_CURL[@]}"); saved_url=$AGENT_URL
AGENT_CURL=(--unix-socket "$sock"); AGENT_URL=http://agent
openssl x509 -in "$SCRATCH/B.pem" -outform DER -out "$SCRATCH/B.der"
expect_call 204 PUT /ca/other "${T[@]}" --data-binary @"$SCRATCH/B.der"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LB.pem"
expect_call 200 GET /ca "${T[@]}"
python3 - "$SCRATCH/.body" "$(fp_of "$SCRATCH/A.pem")" "$(fp_of "$SCRATCH/B.pem")" <<'PY' || die "GET /ca"
import json, sys
d = json.load(open(sys.argv[1]))
sets = {s["name"]: s for s in d["sets"]}
assert sets["default"]["ok"] and sets["default"]["cas"][0]["sha256"] == sys.argv[2]
assert sets["other"]["ok"] and sets["other"]["cas"][0]["sha256"] == sys.argv[3]
PY
expect_call 204 DELETE /ca/other "${T[@]}"
expect_rc 1 "$CAINIT" verify --root "$r" "$SCRATCH/LB.pem"
expect_call 204 DELETE /ca/other "${T[@]}"   # again: still 204
AGENT_CURL=("${saved[@]}"); AGENT_URL=$saved_url

# metrics
expect_call 200 GET /metrics "${T[@]}"
m=$SCRATCH/.body
grep -q '^# TYPE cainit_install_duration_seconds histogram$' "$m" || die "histogram"
grep -q '^cainit_install_duration_seconds_bucket{le="+Inf"} [1-9]' "$m" || die "histogram count"
grep -q '^cainit_failures_total{reason="unauthorized"} 7$' "$m" || die "failures by reason: $(grep failures "$m")"
grep -q '^cainit_failures_total{reason="bad_json"} 4$' "$m" || die "bad_json count: $(grep failures "$m")"
grep -q "^cainit_ca_info{set=\"default\",sha256=\"$(fp_of "$SCRATCH/A.pem")\"" "$m" || die "ca_info"
grep -q '^cainit_removes_total 1$' "$m" || die "removes"
python3 - "$m" <<'PY' || die "metrics do not parse as Prometheus text"
import re, sys
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
        continue
    assert re.match(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [0-9.e+-]+$', line), line
PY

# SIGHUP re-reads the token file
echo "second-token" > "$SCRATCH/token"
kill -HUP "$AGENT_PID"
wait_until 60 grep -q "token re-read" "$AGENT_LOG" || die "SIGHUP: token not re-read"
expect_call 401 GET /ca "${T[@]}"
expect_call 200 GET /ca -H "X-Access-Token: second-token"
: > "$SCRATCH/token"          # an empty file keeps the old token
kill -HUP "$AGENT_PID"
wait_until 60 grep -q "keeping the previous token" "$AGENT_LOG" || die "SIGHUP with a bad file: nothing logged"
expect_call 200 GET /ca -H "X-Access-Token: second-token"
grep -q "keeping the previous token" "$AGENT_LOG" || die "HUP with a bad file"
stop_agent || die "agent did not exit 0"
[ ! -e "$sock" ] || die "unix socket left behind"

# an IPv6 loopback address (when the machine has one)
if ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
	port6=$(free_port)
	echo v6-token > "$SCRATCH/token"
	start_agent --root "$r" --listen "[::1]:$port6" --token-file "$SCRATCH/token"
	[ "$(curl -s -g -o /dev/null -w '%{http_code}' "http://[::1]:$port6/health")" = 204 ] || die "[::1]"
	expect_rc 0 "$CAINIT" push --to "http://[::1]:$port6" --token-file "$SCRATCH/token" "$SCRATCH/A.pem"
	stop_agent
else
	note "no IPv6 loopback here: [::1] not tested"
fi

# CAINIT_TOKEN works like --token-file
export CAINIT_TOKEN=env-token
start_agent --root "$r" --listen "127.0.0.1:$port"
unset CAINIT_TOKEN
expect_call 401 GET /ca
expect_call 200 GET /ca -H "X-Access-Token: env-token"
# a restarted agent's /metrics shows the sets installed before it started
# (it reads the records at the first /metrics, not at start)
expect_call 200 GET /metrics -H "X-Access-Token: env-token"
grep -q "^cainit_ca_info{set=\"default\",sha256=\"$(fp_of "$SCRATCH/A.pem")\"" "$SCRATCH/.body" ||
	die "after a restart, /metrics: $(grep ca_info "$SCRATCH/.body")"
stop_agent

# a root the agent cannot write: 500, every file as it was
mount --bind "$r" "$r" && mount -o remount,bind,ro "$r"
echo third > "$SCRATCH/token"
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token"
expect_call 500 POST /init -H "X-Access-Token: third" -d "$(init_body "$SCRATCH/B.pem")"
grep -q 'Read-only file system' "$SCRATCH/.body" || die "500 body: $(cat "$SCRATCH/.body")"
expect_call 500 PUT /ca/other -H "X-Access-Token: third" --data-binary @"$SCRATCH/B.pem"
stop_agent
