#!/usr/bin/env python3
"""flood.py: one peer holding an agent's connections with half-sent
requests, reconnecting each one the agent closes, as fast as it can.

  flood.py PORT N STOPFILE

Keeps N connections that each sent the start of a request head and never
finish it. Prints "flooding" once all N are open, then "reconnects=K"
when STOPFILE appears.
"""
import os
import selectors
import socket
import sys

port, n, stop = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sel = selectors.DefaultSelector()
reconnects = 0


def open_one():
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    sel.register(s, selectors.EVENT_WRITE)


for _ in range(n):
    open_one()
announced = False
while not os.path.exists(stop):
    for key, ev in sel.select(timeout=0.05):
        s = key.fileobj
        if ev & selectors.EVENT_WRITE:
            try:
                s.send(b"POST /init HTTP/1.1\r\nHost: x\r\nContent-Le")
                sel.modify(s, selectors.EVENT_READ)
            except OSError:
                sel.unregister(s)
                s.close()
                reconnects += 1
                open_one()
            continue
        try:
            gone = s.recv(4096) == b""
        except OSError:
            gone = True
        if gone:
            sel.unregister(s)
            s.close()
            reconnects += 1
            open_one()
    if not announced and len(sel.get_map()) >= n:
        print("flooding", flush=True)
        announced = True
print("reconnects=%d" % reconnects, flush=True)
