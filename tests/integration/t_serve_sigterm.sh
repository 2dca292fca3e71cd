# SIGTERM with requests in flight: the agent stops accepting at once, closes
# idle connections, finishes the request it is receiving (and answers it),
# then exits 0.
[ "$FS" = tmpfs ] || skip "does not depend on the filesystem"
r=$SCRATCH/r
mkroot debian "$r"
mkca A
mkleaf L A
echo tok > "$SCRATCH/token"
port=$(free_port)
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token"
init_body "$SCRATCH/A.pem" > "$SCRATCH/body.json"

python3 - "$port" "$SCRATCH/body.json" "$AGENT_PID" "$AGENT_LOG" <<'PY' > "$SCRATCH/py.out" || die "in-flight request: $(cat "$SCRATCH/py.out")"
import os, signal, socket, sys, time
port, body, pid, log = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3]), sys.argv[4]

def wait_for(cond, what):
    deadline = time.monotonic() + 60
    while not cond():
        if time.monotonic() > deadline:
            print("never: " + what); sys.exit(1)
        time.sleep(0.02)

# a request in flight: headers and half the body
busy = socket.create_connection(("127.0.0.1", port))
busy.sendall(b"POST /init HTTP/1.1\r\nHost: x\r\nX-Access-Token: tok\r\nContent-Length: %d\r\n\r\n" % len(body))
busy.sendall(body[: len(body) // 2])
# an idle keep-alive connection (one request done); its answer also proves
# the agent has read what came before it on the busy connection
idle = socket.create_connection(("127.0.0.1", port))
idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
assert b"204" in idle.recv(4096)
os.kill(pid, signal.SIGTERM)
wait_for(lambda: b"SIGTERM: finishing requests in flight" in open(log, "rb").read(), "the agent took SIGTERM")
# no new connections
try:
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    print("a new connection was accepted after SIGTERM"); sys.exit(1)
except ConnectionRefusedError:
    pass
# the idle one was closed
idle.settimeout(30)
assert idle.recv(4096) == b"", "idle connection still open"
# the request in flight is finished and answered
busy.sendall(body[len(body) // 2 :])
busy.settimeout(30)
resp = b""
while b"\r\n\r\n" not in resp:
    chunk = busy.recv(4096)
    assert chunk, "in-flight request got no answer"
    resp += chunk
assert resp.startswith(b"HTTP/1.1 204"), resp
assert b"Connection: close" in resp, resp
print("ok")
PY
wait "$AGENT_PID" || die "agent exit status $? after SIGTERM"
AGENT_PID=""
grep -q "SIGTERM: finishing requests in flight" "$AGENT_LOG" || die "log"
expect_rc 0 "$CAINIT" verify --root "$r" "$SCRATCH/L.pem"

# SIGINT too, and promptly when nothing is in flight
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token"
t0=$(date +%s%N)
kill -INT "$AGENT_PID"
wait "$AGENT_PID" || die "agent exit status $? after SIGINT"
AGENT_PID=""
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# (promptly: well before the drain's deadline, the request timeout 5 s and 1 s)
[ "$ms" -lt 5000 ] || die "SIGINT took ${ms} ms"
