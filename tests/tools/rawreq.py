#!/usr/bin/env python3
"""rawreq.py: send bytes to the agent as they are and print what comes back.

  rawreq.py PORT FILE      sends FILE's bytes, half-closes, prints the
                           answer's status line and its JSON body's
                           "code: error" (or "(no JSON body)"), one line each
  rawreq.py PORT --continue TOKEN
                           a PUT with Expect: 100-continue: prints the first
                           line the agent sends before any body is sent
"""
import json
import socket
import sys

port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=20)
if sys.argv[2] == "--continue":
    s.sendall(b"PUT /ca/x HTTP/1.1\r\nHost: x\r\nX-Access-Token: %s\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
              % sys.argv[3].encode())
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print(data.split(b"\r\n")[0].decode())
    sys.exit(0)
s.sendall(open(sys.argv[2], "rb").read())
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
if not data:
    print("(closed)")
    sys.exit(0)
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode())
try:
    d = json.loads(body.split(b"\n")[0])
    print("%s: %s" % (d["code"], d["error"]))
except Exception:
    print("(no JSON body)")
