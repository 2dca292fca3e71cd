# The agent's HTTP is strict where a lenient reading could be exploited:
# malformed versions, two different Content-Lengths, Content-Length beside
# Transfer-Encoding, control characters (NUL) in a header, folded lines and
# bare LFs are 400 (HTTP/2 is 505), the token is checked before "100
# Continue", and token files that are too long or hold a NUL are refused.
# Chunked bodies, pipelined requests and HTTP/1.0 still work, and an
# answer is written at once, not after a wait for the socket.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkleaf LA A
echo tok > "$SCRATCH/token"
port=$(free_port)
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token"
send() { printf "$1" > "$SCRATCH/req"; python3 "$HERE/../tools/rawreq.py" "$port" "$SCRATCH/req"; }
# the whole answer is read before its first line is taken: a reader that left
# early would give rawreq.py a broken pipe, and pipefail would fail the test
status_of() { local out; out=$(send "$1"); out=${out%%$'\n'*}; out=${out#* }; printf '%s\n' "${out%% *}"; }
expect_status() { local got; got=$(status_of "$2"); [ "$got" = "$1" ] || die "$3: status $got, want $1"; }

for v in 'HTTP/1.1x' 'HTTP/1.-1' 'HTTP/01.1' 'HTTP/ 1.1' 'HTTPS/1.1' 'HTTP/1' 'http/1.1' ''; do
	expect_status 400 "GET /health $v\r\nHost: x\r\n\r\n" "version \"$v\""
done
expect_status 505 'GET /health HTTP/2.0\r\nHost: x\r\n\r\n' "HTTP/2.0"
expect_status 204 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n' "HTTP/1.1"
expect_status 400 'POST /init HTTP/1.1\r\nX-Access-Token: tok\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}' "two Content-Lengths"
expect_status 204 'POST /init HTTP/1.1\r\nX-Access-Token: tok\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}' "the same Content-Length twice"
expect_status 400 'POST /init HTTP/1.1\r\nX-Access-Token: tok\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}' "Content-Length and chunked"
expect_status 501 'POST /init HTTP/1.1\r\nX-Access-Token: tok\r\nTransfer-Encoding: gzip\r\n\r\n' "another transfer coding"
expect_status 400 'POST /init HTTP/1.1\r\nX-Access-Token: tok\r\nContent-Length: +2\r\n\r\n{}' "a signed Content-Length"
expect_status 400 'GET /ca HTTP/1.1\r\nX-Access-Token: tok\0junk\r\n\r\n' "a NUL in the token"
expect_status 400 'GET /ca HTTP/1.1\r\nX-Access-Token: tok\r\nX-Access-Token: tok\r\n\r\n' "two tokens"
expect_status 400 'GET /ca HTTP/1.1\r\nX-Access-Token : tok\r\n\r\n' "a space before the colon"
expect_status 400 'GET /ca HTTP/1.1\r\nX-Access-Token: tok\r\n x\r\n\r\n' "a folded line"
expect_status 400 'GET /health HTTP/1.1\nHost: x\n\n' "bare LFs"
expect_status 417 'POST /init HTTP/1.1\r\nX-Access-Token: tok\r\nExpect: something\r\nContent-Length: 2\r\n\r\n{}' "an expectation"
expect_status 401 'GET /ca HTTP/1.1\r\nX-Access-Token: to\r\n\r\n' "a prefix of the token"
note "malformed versions, conflicting lengths, NULs, folded lines: refused"

# 100 Continue comes only after the token is checked
[ "$(python3 "$HERE/../tools/rawreq.py" "$port" --continue wrong)" = "HTTP/1.1 401 Unauthorized" ] ||
	die "a wrong token got something other than 401 before the body"
[ "$(python3 "$HERE/../tools/rawreq.py" "$port" --continue tok)" = "HTTP/1.1 100 Continue" ] ||
	die "the right token did not get 100 Continue"

# chunked bodies, pipelining, HTTP/1.0
body=$(init_body "$SCRATCH/A.pem")
python3 - "$port" "$body" <<'PY' || die "chunked, pipelined or HTTP/1.0 requests"
import socket, sys
port, body = int(sys.argv[1]), sys.argv[2].encode()
def exchange(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        c = s.recv(65536)
        if not c:
            return out
        out += c
half = len(body) // 2
chunked = b"%x;ext=1\r\n%s\r\n%x\r\n%s\r\n0\r\nTrailer: x\r\n\r\n" % (half, body[:half], len(body) - half, body[half:])
out = exchange(b"POST /init HTTP/1.1\r\nX-Access-Token: tok\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked +
               b"GET /health HTTP/1.1\r\n\r\nGET /ca HTTP/1.1\r\nX-Access-Token: tok\r\n\r\n")
assert out.count(b"HTTP/1.1 204") == 2 and out.count(b"HTTP/1.1 200") == 1, out[:400]
out = exchange(b"GET /health HTTP/1.0\r\n\r\n")
assert out.startswith(b"HTTP/1.1 204") and b"Connection: close" in out, out
PY
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/LA.pem"

# an answer goes to the socket at once: twenty requests, one after the
# other on one connection, and the agent never waits for the socket to be
# writable (no EPOLLOUT in its epoll_ctl calls; queued, each answer had one)
strace -f -qq -p "$AGENT_PID" -e trace=epoll_ctl,writev -o "$SCRATCH/etrace" &
tracer=$!
traced() { [ "$(awk '/^TracerPid/ {print $2}' "/proc/$AGENT_PID/status")" != 0 ]; }
wait_until 60 traced || die "strace did not attach"
python3 - "$port" <<'PY' || die "twenty requests on one connection"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
for i in range(20):
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while not got.endswith(b"\r\n\r\n"):
        c = s.recv(4096)
        assert c, got
        got += c
    assert got.startswith(b"HTTP/1.1 204"), got
s.close()
PY
kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
[ "$(grep -c 'writev(' "$SCRATCH/etrace")" -ge 20 ] || { cat "$SCRATCH/etrace" >&2; die "the trace saw fewer than 20 answers"; }
if grep -q 'EPOLLOUT' "$SCRATCH/etrace"; then cat "$SCRATCH/etrace" >&2; die "an answer waited for the socket to be writable"; fi
stop_agent

# token files: too long, or holding a NUL, are refused (not cut short)
head -c 5000 /dev/zero | tr '\0' a > "$SCRATCH/long-token"
expect_rc 2 "$CAINIT" serve --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/long-token"
expect_err "longer than 4095 bytes: not a token file"
printf 'tok\0en\n' > "$SCRATCH/nul-token"
expect_rc 2 "$CAINIT" serve --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/nul-token"
expect_err "a NUL byte in the token"
note "100 Continue after the token only; chunked, pipelined and HTTP/1.0 requests; token files too long or with a NUL refused"
