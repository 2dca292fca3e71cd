#!/usr/bin/env python3
"""origin.py CERT KEY PORT [DOCROOT]: a local HTTPS origin for client tests.

Without DOCROOT it answers every GET with 200 and a short body (with
Content-Length, HTTP/1.1), which every client, Java's HttpClient included,
reads without waiting for the connection to close.

With DOCROOT it also serves what the end-to-end clients fetch: files under
DOCROOT (a directory's index.html: pip's "simple" index and its wheel), and
/git/... through `git http-backend` (git's smart HTTP protocol, for
`git ls-remote`) on the bare repositories under DOCROOT/git. "/" still
answers with the short body. Serves until killed; one thread per connection.
"""
import http.server
import os
import socketserver
import ssl
import subprocess
import sys

BODY = b"cainit test origin\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        docroot = self.server.docroot
        if docroot is None or path == "/":
            return self.reply(200, BODY)
        if path.startswith("/git/"):
            return self.git(path[len("/git"):], query, b"")
        rel = os.path.normpath(path.lstrip("/"))
        if rel.startswith(".."):
            return self.reply(404, b"not found\n")
        full = os.path.join(docroot, rel)
        if os.path.isdir(full):
            full = os.path.join(full, "index.html")
        try:
            with open(full, "rb") as f:
                data = f.read()
        except OSError:
            return self.reply(404, b"not found\n")
        ctype = "text/html" if full.endswith(".html") else "application/octet-stream"
        self.reply(200, data, ctype)

    def do_POST(self):
        path, _, query = self.path.partition("?")
        if self.server.docroot is None or not path.startswith("/git/"):
            return self.reply(404, b"not found\n")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.git(path[len("/git"):], query, body)

    def git(self, path_info, query, body):
        """git http-backend as a CGI program (git's smart HTTP)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": os.path.join(self.server.docroot, "git"),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
        }
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             stdout=subprocess.PIPE, check=False).stdout
        head, _, data = out.partition(b"\r\n\r\n")
        status, ctype, headers = 200, "text/plain", []
        for line in head.split(b"\r\n"):
            k, _, v = line.decode("latin-1").partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k.lower() == "content-type":
                ctype = v.strip()
            elif k:
                headers.append((k, v.strip()))
        self.reply(status, data, ctype, headers)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    docroot = None

    def handle_error(self, request, client_address):
        # A client that hangs up mid-reply (a 404 it did not wait for) is
        # no failure of the origin; anything else is printed as before.
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def main():
    cert, key, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = Server(("127.0.0.1", port), Handler)
    srv.docroot = sys.argv[4] if len(sys.argv) > 4 else None
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
