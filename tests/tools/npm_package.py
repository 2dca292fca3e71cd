#!/usr/bin/env python3
"""npm_package.py DOCROOT BASE_URL: a one-package npm registry under DOCROOT/npm.

Writes DOCROOT/npm/cainit-probe, the package document (what `npm view`
reads and `bun install` resolves), and DOCROOT/npm/cainit-probe-1.0.0.tgz,
its tarball, named in the document at BASE_URL/npm/... with its real sha1
shasum and sha512 integrity, so that an installer that checks them can
install it. origin.py DOCROOT serves both.
"""
import base64
import hashlib
import io
import json
import os
import sys
import tarfile


def main():
    docroot, base = sys.argv[1], sys.argv[2].rstrip("/")
    os.makedirs(os.path.join(docroot, "npm"), exist_ok=True)
    buf = io.BytesIO()
    data = json.dumps({"name": "cainit-probe", "version": "1.0.0"}).encode()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo("package/package.json")
        info.size, info.mtime = len(data), 1577836800
        t.addfile(info, io.BytesIO(data))
    tgz = buf.getvalue()
    with open(os.path.join(docroot, "npm", "cainit-probe-1.0.0.tgz"), "wb") as f:
        f.write(tgz)
    doc = {"name": "cainit-probe", "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": {
        "name": "cainit-probe", "version": "1.0.0", "dist": {
            "tarball": f"{base}/npm/cainit-probe-1.0.0.tgz",
            "shasum": hashlib.sha1(tgz).hexdigest(),
            "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()}}}}
    with open(os.path.join(docroot, "npm", "cainit-probe"), "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
