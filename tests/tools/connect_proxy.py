#!/usr/bin/env python3
"""connect_proxy.py LOG HOST=ADDR...: an HTTP proxy that only tunnels
(CONNECT), for tests of clients told to use a proxy (cainit doctor --url).

It listens on a free port of 127.0.0.1 and prints "port N" once it does.
A CONNECT to HOST:PORT is tunnelled to ADDR:PORT, and only for the HOSTs
given (the proxy resolves them: the clients cannot); any other target, or
any other method, is refused (403, 405), so nothing leaves the machine.
Each request's first line is appended to LOG. Serves until killed; one
thread per connection.
"""
import socket
import sys
import threading


def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(conn, hosts, log, lock):
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        data = conn.recv(4096)
        if not data:
            conn.close()
            return
        head += data
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    with lock, open(log, "a") as f:
        f.write(line + "\n")
    parts = line.split()
    if len(parts) != 3 or parts[0] != "CONNECT":
        conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    host, _, port = parts[1].rpartition(":")
    if host not in hosts or not port.isdigit():
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    try:
        up = socket.create_connection((hosts[host], int(port)), timeout=10)
        up.settimeout(None)
    except OSError:
        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        return
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    rest = head.split(b"\r\n\r\n", 1)[1]
    if rest:
        up.sendall(rest)
    threading.Thread(target=pipe, args=(up, conn), daemon=True).start()
    pipe(conn, up)


def main():
    log = sys.argv[1]
    hosts = dict(a.split("=", 1) for a in sys.argv[2:])
    lock = threading.Lock()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    print(f"port {srv.getsockname()[1]}", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, hosts, log, lock), daemon=True).start()


if __name__ == "__main__":
    main()
