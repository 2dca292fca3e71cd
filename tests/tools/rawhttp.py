#!/usr/bin/env python3
"""rawhttp.py: HTTP requests that misbehave, for the agent's limit tests.

  rawhttp.py PORT declared-too-big [TOKEN]
                                     headers announce 50 MB, no body sent:
                                     prints the status that comes back (so it
                                     came before any body)
  rawhttp.py PORT chunked-too-big [TOKEN]   a chunked body growing past 1 MiB
  rawhttp.py PORT truncated TOKEN    announces 1000 bytes, sends 10, closes
  rawhttp.py PORT slow TOKEN         one byte a second; prints when the agent
                                     closed the connection
  rawhttp.py PORT idle               connects, sends nothing; prints when closed
  rawhttp.py PORT header-flood       a 100 KiB header
  rawhttp.py PORT hold N SECONDS     opens N idle connections, holds them
  rawhttp.py PORT held N TOKEN       N connections that each sent the head of
                                     an authenticated request and half its
                                     body; prints "holding", then finishes one
                                     request when a line arrives on stdin and
                                     prints its status
"""
import socket
import sys
import time

port = int(sys.argv[1])
mode = sys.argv[2]


def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=20)
    return s


def status(s):
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return "closed"
        data += chunk
    return data.split(b" ")[1].decode()


def wait_closed(s, start):
    s.settimeout(30)
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    return time.monotonic() - start


start = time.monotonic()
def token_header():
    return b"X-Access-Token: %s\r\n" % sys.argv[3].encode() if len(sys.argv) > 3 else b""


if mode == "declared-too-big":
    s = conn()
    s.sendall(b"PUT /ca/big HTTP/1.1\r\nHost: x\r\n%sContent-Length: 52428800\r\n\r\n" % token_header())
    print(status(s))
elif mode == "chunked-too-big":
    s = conn()
    s.sendall(b"PUT /ca/big HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding: chunked\r\n\r\n" % token_header())
    chunk = b"%x\r\n%s\r\n" % (65536, b"A" * 65536)
    try:
        for _ in range(40):
            s.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(status(s))
elif mode == "truncated":
    s = conn()
    s.sendall(b"POST /init HTTP/1.1\r\nHost: x\r\nX-Access-Token: %s\r\nContent-Length: 1000\r\n\r\n{\"caBundle\":"
              % sys.argv[3].encode())
    s.close()
    print("sent")
elif mode == "slow":
    s = conn()
    req = (b"POST /init HTTP/1.1\r\nHost: x\r\nX-Access-Token: %s\r\nContent-Length: 40\r\n\r\n"
           % sys.argv[3].encode()) + b"{" * 40
    try:
        for b in req:
            s.sendall(bytes([b]))
            s.settimeout(1.0)
            try:
                if s.recv(4096) == b"":
                    break
            except socket.timeout:
                pass
    except (BrokenPipeError, ConnectionResetError):
        pass
    print("%.1f" % (time.monotonic() - start))
elif mode == "idle":
    s = conn()
    print("%.1f" % wait_closed(s, start))
elif mode == "header-flood":
    s = conn()
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Flood: " + b"a" * 102400 + b"\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        print(status(s))
    except ConnectionResetError:
        print("closed")
elif mode == "hold":
    socks = [conn() for _ in range(int(sys.argv[3]))]
    print("holding", flush=True)
    time.sleep(float(sys.argv[4]))
elif mode == "held":
    body = b"{" * 40
    socks = []
    for _ in range(int(sys.argv[3])):
        s = conn()
        s.sendall(b"POST /init HTTP/1.1\r\nHost: x\r\nX-Access-Token: %s\r\nContent-Length: %d\r\n\r\n"
                  % (sys.argv[4].encode(), len(body)) + body[:20])
        socks.append(s)
    print("holding", flush=True)
    sys.stdin.readline()
    socks[0].sendall(body[20:])
    print(status(socks[0]), flush=True)
else:
    sys.exit("unknown mode " + mode)
