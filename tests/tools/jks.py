#!/usr/bin/env python3
"""jks.py FILE [PASSWORD]: an independent reader of Java's JKS keystores for
the tests. Checks the keyed SHA-1 at the end (password "changeit" unless
given), walks every entry, and prints one line per entry: "TAG ALIAS
SHA256" (TAG trusted or key; the SHA-256 of a trusted entry's DER, "-" for
a key entry). Exit 1 with a message when the file is not a sound JKS."""
import hashlib
import struct
import sys


def read_jks(data, password="changeit"):
    if len(data) < 32 or data[:4] != b"\xfe\xed\xfe\xed":
        raise ValueError("not JKS")
    version, count = struct.unpack(">II", data[4:12])
    if version not in (1, 2):
        raise ValueError("version %d" % version)
    off = 12

    def take(n):
        nonlocal off
        if off + n > len(data) - 20:
            raise ValueError("truncated")
        b = data[off:off + n]
        off += n
        return b

    def utf():
        return take(struct.unpack(">H", take(2))[0]).decode("utf-8", "replace")

    def cert():
        if version == 2:
            utf()
        return take(struct.unpack(">I", take(4))[0])

    entries = []
    for _ in range(count):
        tag = struct.unpack(">I", take(4))[0]
        alias = utf()
        take(8)
        if tag == 2:
            entries.append(("trusted", alias, hashlib.sha256(cert()).hexdigest()))
        elif tag == 1:
            take(struct.unpack(">I", take(4))[0])
            for _ in range(struct.unpack(">I", take(4))[0]):
                cert()
            entries.append(("key", alias, "-"))
        else:
            raise ValueError("tag %d" % tag)
    if off != len(data) - 20:
        raise ValueError("trailing bytes")
    pw = "".join("\0" + c for c in password).encode("latin-1")
    if hashlib.sha1(pw + b"Mighty Aphrodite" + data[:off]).digest() != data[off:]:
        raise ValueError("integrity digest does not check")
    return entries


def main():
    try:
        entries = read_jks(open(sys.argv[1], "rb").read(), *sys.argv[2:3])
    except (ValueError, struct.error) as e:
        sys.exit("jks.py: %s: %s" % (sys.argv[1], e))
    for e in entries:
        print(" ".join(e))


if __name__ == "__main__":
    main()
