#!/usr/bin/env python3
"""layercases.py: image layers that put a layer applier's symlink handling
to the test, and a canonical listing of an unpacked tree to compare two
appliers (cainit's and the reference runtime's).

  layercases.py names                 the cases, one per line
  layercases.py make CASE DIR         DIR/l1.tar, DIR/l2.tar, ... (plain tar)
  layercases.py tree DIR              every entry under DIR: path, type,
                                      permissions, owner, link target or
                                      content digest, sorted
"""
import hashlib
import io
import os
import stat
import sys
import tarfile

F, D, L, H = "f", "d", "l", "h"

# Each case: its layers, in order; each layer: (kind, path[, data or target]).
ALPINE = [(D, "etc"), (D, "etc/ssl"), (D, "etc/ssl/certs"),
          (F, "etc/ssl/certs/ca-certificates.crt", "the distro's bundle\n"),
          (L, "etc/ssl/cert.pem", "certs/ca-certificates.crt")]
CASES = {
    # a whiteout of a symlink removes the link, never its target
    "whiteout-of-symlink": [ALPINE, [(F, "etc/ssl/.wh.cert.pem")]],
    # a file over a symlink replaces the link; the target keeps its bytes
    "file-over-symlink": [ALPINE, [(F, "etc/ssl/cert.pem", "a bundle of its own\n")]],
    # an opaque marker in a directory reached through a symlink
    "opaque-under-symlink": [[(D, "real"), (F, "real/f1", "1"), (F, "real/f2", "2"), (L, "link", "real")],
                             [(F, "link/.wh..wh..opq"), (F, "link/new", "n")]],
    # a file over a symlink to a directory
    "file-over-dir-symlink": [[(D, "realdir"), (F, "realdir/x", "x"), (L, "d", "realdir")], [(F, "d", "file")]],
    # a directory over a symlink to a directory
    "dir-over-dir-symlink": [[(D, "realdir"), (F, "realdir/x", "x"), (L, "d", "realdir")], [(D, "d"), (F, "d/y", "y")]],
    # an opaque marker keeps what its own layer put in the directory
    "opaque-keeps-own-layer": [[(D, "x"), (D, "x/y"), (F, "x/y/old", "o")],
                               [(F, "x/y/early", "e"), (F, "x/y/.wh..wh..opq"), (F, "x/y/late", "l")]],
    # ... and what lower layers put under a directory its own layer names
    "opaque-below-own-dir": [[(D, "x"), (D, "x/y"), (F, "x/y/old", "o"), (F, "x/z", "z")],
                             [(D, "x/y"), (F, "x/.wh..wh..opq"), (F, "x/y/new", "n")]],
    # a whiteout never removes what its own layer created
    "whiteout-own-layer": [[(F, "a", "a")], [(F, "b", "b"), (F, ".wh.b"), (F, ".wh.a")]],
    # a parent that is an absolute symlink is resolved inside the root
    "absolute-parent": [[(D, "etc"), (D, "etc/ssl"), (D, "etc/ssl/certs"), (F, "etc/ssl/certs/b", "b"),
                         (L, "abs", "/etc/ssl")], [(F, "abs/.wh.certs"), (F, "abs/new", "n")]],
    # a parent that climbs out with ".." stays inside the root
    "climbing-parent": [[(D, "etc"), (L, "up", "../../../../..")], [(F, "up/etc/passwd", "inside\n")]],
    # a hard link to a symlink links the symlink itself
    "hardlink-to-symlink": [[(F, "target", "t"), (L, "sl", "target")], [(H, "hl", "sl")]],
    # a whiteout of the first link of a chain
    "whiteout-of-chain": [[(F, "c", "c"), (L, "b", "c"), (L, "a", "b")], [(F, ".wh.a")]],
    # a symlink over a file, then a file over that symlink, in one layer
    "replace-twice": [[(F, "target", "T"), (F, "f", "old")], [(L, "f", "target"), (F, "f", "new")]],
}


def make(case, out):
    os.makedirs(out, exist_ok=True)
    for n, layer in enumerate(CASES[case], 1):
        with tarfile.open(f"{out}/l{n}.tar", "w", format=tarfile.GNU_FORMAT) as t:
            for e in layer:
                ti = tarfile.TarInfo(e[1])
                ti.mtime = 0
                if e[0] == F:
                    data = (e[2] if len(e) > 2 else "").encode()
                    ti.size, ti.mode = len(data), 0o644
                    t.addfile(ti, io.BytesIO(data))
                elif e[0] == D:
                    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                    t.addfile(ti)
                elif e[0] == L:
                    ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, e[2], 0o777
                    t.addfile(ti)
                else:
                    ti.type, ti.linkname = tarfile.LNKTYPE, e[2]
                    t.addfile(ti)


def tree(root):
    rows = []
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(top, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            if stat.S_ISLNK(st.st_mode):
                what = "l -> " + os.readlink(p)
            elif stat.S_ISDIR(st.st_mode):
                what = "d"
            else:
                what = "f " + hashlib.sha256(open(p, "rb").read()).hexdigest()[:16]
            rows.append(f"{rel} {oct(stat.S_IMODE(st.st_mode))} {st.st_uid}:{st.st_gid} {what}")
    print("\n".join(sorted(rows)))


if __name__ == "__main__":
    if sys.argv[1] == "names":
        print("\n".join(CASES))
    elif sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "tree":
        tree(sys.argv[2])
    else:
        sys.exit("usage: layercases.py names | make CASE DIR | tree DIR")
