# 64 concurrent clients send alternating bundles, 1,000 requests in all,
# then one known last bundle: afterwards exactly that set is in every store,
# once, and a reader loading the bundle all along never saw a bad one.
r=$SCRATCH/r
mkroot debian "$r"
bundle=$r/etc/ssl/certs/ca-certificates.crt
mkca A
mkca B
mkca Z
echo tok > "$SCRATCH/token"
port=$(free_port)
start_agent --root "$r" --listen "127.0.0.1:$port" --token-file "$SCRATCH/token" --quiet
expect_call 204 POST /init -H "X-Access-Token: tok" -d "$(init_body "$SCRATCH/A.pem")"
want=$(count_of "$bundle")
"$READER" "$bundle" "$want" "$SCRATCH/stop" > "$SCRATCH/reader.out" 2>&1 &
reader=$!

python3 - "$port" "$SCRATCH/A.pem" "$SCRATCH/B.pem" "$API_LOG" <<'PY' || die "clients failed"
import http.client, json, sys, threading
port, a, b, log = int(sys.argv[1]), open(sys.argv[2]).read(), open(sys.argv[3]).read(), sys.argv[4]
bodies = [json.dumps({"caBundle": a}), json.dumps({"caBundle": b})]
lock = threading.Lock()
state = {"next": 0, "bad": []}
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while True:
        with lock:
            i = state["next"]
            if i >= 1000:
                break
            state["next"] += 1
        c.request("POST", "/init", body=bodies[i % 2], headers={"X-Access-Token": "tok"})
        resp = c.getresponse()
        resp.read()
        if resp.status != 204:
            with lock:
                state["bad"].append(resp.status)
threads = [threading.Thread(target=client) for _ in range(64)]
for t in threads: t.start()
for t in threads: t.join()
open(log, "a").write("POST /init 204\n")
assert not state["bad"], state["bad"][:5]
PY
expect_call 204 POST /init -H "X-Access-Token: tok" -d "$(init_body "$SCRATCH/Z.pem")"
touch "$SCRATCH/stop"
wait "$reader" || die "reader: $(cat "$SCRATCH/reader.out")"
note "reader: $(cat "$SCRATCH/reader.out")"
stop_agent || die "agent exit status"

zfp=$(fp_of "$SCRATCH/Z.pem")
[ "$(grep -c '^# cainit set=' "$bundle")" = 1 ] || die "bundle should hold one managed block"
grep -q "^# cainit set=default sha256=$zfp " "$bundle" || die "bundle does not hold the last CA"
expect_rc 0 "$CAINIT" status --root "$r" --json
echo "$OUT" > "$SCRATCH/s.json"
python3 - "$SCRATCH/s.json" "$zfp" <<'PY' || die "stores after the storm"
import json, sys
d = json.load(open(sys.argv[1]))
(s,) = d["sets"]
assert s["ok"] and [c["sha256"] for c in s["cas"]] == [sys.argv[2]], s
PY
[ "$(ls "$r"/etc/ssl/certs/cainit.default.*.pem | wc -l)" = 1 ] || die "hashed dir"
for ca in A B; do
	if grep -rqF "$(tail -n 3 "$SCRATCH/$ca.pem" | head -n 1)" "$r"; then die "$ca left behind"; fi
done
