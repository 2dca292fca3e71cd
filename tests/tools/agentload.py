#!/usr/bin/env python3
"""agentload.py PORT TOKEN COUNT CA_A CA_B [ROTATE_EVERY]

COUNT requests to an agent over one keep-alive connection, cycling through
every kind: /health, /init with the same bundle, a rotation every
ROTATE_EVERY requests (default 100), /metrics, a wrong token, a bad body,
unknown and wrong-method paths, PUT and DELETE of a named set. Fails on any
unexpected status. Prints "requests=N".
"""
import http.client
import json
import sys

port, token, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
cas = [open(sys.argv[4]).read(), open(sys.argv[5]).read()]
rotate_every = int(sys.argv[6]) if len(sys.argv) > 6 else 100
auth = {"X-Access-Token": token}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
current = 0


def req(method, path, body=None, headers=None, want=204):
    global c
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    r.read()
    if r.status != want:
        sys.exit("%s %s: %d, want %d" % (method, path, r.status, want))
    if r.getheader("Connection", "").lower() == "close":
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)


kinds = [
    lambda: req("GET", "/health"),
    lambda: req("POST", "/init", json.dumps({"caBundle": cas[current]}), auth),
    lambda: req("GET", "/metrics", headers=auth, want=200),
    lambda: req("POST", "/init", "{}", {"X-Access-Token": "wrong"}, want=401),
    lambda: req("POST", "/init", "[1]", auth, want=400),
    lambda: req("GET", "/nowhere", want=404),
    lambda: req("DELETE", "/health", want=405),
    lambda: req("PUT", "/ca/extra", cas[1 - current], auth),
    lambda: req("DELETE", "/ca/extra", headers=auth),
]
for i in range(count):
    if i % rotate_every == 0:
        current = 1 - current
        req("POST", "/init", json.dumps({"caBundle": cas[current]}), auth)
    elif i % 1000 == 500:
        req("GET", "/ca", headers=auth, want=200)
    else:
        kinds[i % len(kinds)]()
print("requests=%d" % count)
