#!/usr/bin/env python3
"""tar_diff.py TAR_LIST DIR...: the differential half of fuzz_tar. Every
file in DIRs (the seed corpus of real layers and what the fuzzer grew from
it) is read by cainit's tar reader (TAR_LIST, tests/tools/tar_list.c), by
Python's tarfile and by GNU tar. Properties:

 - when cainit and tarfile both read an archive whole, they see the same
   entries in the same order: path, kind, link target, permission bits,
   owner, size and the SHA-256 of the data;
 - GNU tar lists the same paths whenever it and cainit both accept;
 - cainit never accepts an archive that tarfile and GNU tar both refuse
   (a reader more lenient than both is a smuggling channel: an image that
   unpacks differently in cainit than in the runtime).

Prints a summary; exits 1 naming the first input of each broken property.
"""
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tarfile

KINDS = {"f", "h", "l", "d"}


def norm(path, kind):
    while path.startswith("./") and len(path) > 2:
        path = path[2:]
    # (a directory named "/" is the root: tarfile strips its slash to "")
    return (path.rstrip("/") or "/") if kind == "d" else path


def cainit_list(tool, path):
    out = subprocess.run([tool, path], capture_output=True, timeout=60).stdout.decode("utf-8", "surrogateescape")
    lines = out.splitlines()
    if not lines or not lines[-1] == "ok":
        return None
    items = []
    for line in lines[:-1]:
        kind, mode, uid, gid, size, sha, rest = line.split(" ", 6)
        name, _, link = rest.partition(" -> ")
        items.append((norm(name, kind), kind if kind in KINDS else "o", link if kind in "hl" else "",
                      int(mode, 8), int(uid), int(gid), int(size) if kind == "f" else 0, sha if kind == "f" else ""))
    return items


def unprefixed(raw, m):
    """tarfile prepends a header's prefix field to its name whatever the
    magic; GNU tar and Go's archive/tar (the container runtimes') read the
    prefix only in ustar headers, as cainit does: the name they read."""
    hdr = raw[m.offset_data - 512:m.offset_data]
    if len(hdr) < 512 or hdr[257:262] == b"ustar":
        return m.name
    prefix = hdr[345:500].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    name = hdr[0:100].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return name if prefix and m.name == prefix + "/" + name else m.name


def tarfile_list(data):
    try:
        items = []
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as t:
            for m in t:
                m.name = unprefixed(raw, m)
                kind = "f" if m.isreg() else "h" if m.islnk() else "l" if m.issym() else "d" if m.isdir() else "o"
                sha, size = "", 0
                if kind == "f":
                    body = t.extractfile(m).read()
                    if len(body) != m.size:
                        return None
                    sha, size = hashlib.sha256(body).hexdigest(), m.size
                items.append((norm(m.name, kind), kind, m.linkname if kind in "hl" else "", m.mode & 0o7777,
                              m.uid, m.gid, size, sha))
        return items
    except Exception:
        return None


def gnu_names(path):
    # (literal quoting: names as their bytes, not with GNU tar's escapes)
    r = subprocess.run(["tar", "--quoting-style=literal", "-tf", path], capture_output=True, timeout=60)
    if r.returncode != 0:
        return None
    return [l for l in r.stdout.decode("utf-8", "surrogateescape").split("\n") if l]


def main():
    tool, dirs = sys.argv[1], sys.argv[2:]
    files = sorted(os.path.join(d, f) for d in dirs for f in os.listdir(d))
    both = only_cainit_ok = refused_by_cainit = 0
    broken = []
    for p in files:
        data = open(p, "rb").read()
        mine, theirs = cainit_list(tool, p), tarfile_list(data)
        if mine is None:
            refused_by_cainit += 1
            continue
        if theirs is not None:
            both += 1
            if mine != theirs:
                diff = next((i for i in range(min(len(mine), len(theirs))) if mine[i] != theirs[i]), None)
                detail = ("entry %d: cainit %r, tarfile %r" % (diff, mine[diff], theirs[diff]) if diff is not None
                          else "%d entries against %d" % (len(mine), len(theirs)))
                broken.append("%s: cainit and tarfile see different entries (%s)" % (p, detail))
        gnu = gnu_names(p)
        # (paths only, without a trailing slash: GNU tar lists a regular
        # entry whose name ends in "/" as a directory, where Go's
        # archive/tar, tarfile and cainit keep it a file)
        if gnu is not None and [norm(n, "d") for n in gnu] != [norm(m[0], "d") for m in mine] and \
                theirs is not None:
            broken.append("%s: GNU tar lists other paths than cainit" % p)
        if theirs is None and gnu is None:
            broken.append("%s: cainit accepts what tarfile and GNU tar both refuse" % p)
        elif theirs is None:
            only_cainit_ok += 1
    print("tar_diff: %d inputs: %d read whole by cainit and tarfile (all identical: %s), %d refused by cainit, "
          "%d accepted by cainit and GNU tar only" % (len(files), both, "yes" if not broken else "NO",
                                                       refused_by_cainit, only_cainit_ok))
    for b in broken[:20]:
        print("tar_diff: " + b)
    return 1 if broken else 0


sys.exit(main())
