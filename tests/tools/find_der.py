#!/usr/bin/env python3
"""find_der.py CERT.pem DIR...: print every regular file under the DIRs
(symlinks not followed) that holds CERT: as raw DER (a JKS or PKCS#12
keystore entry, an NSS cert9.db row) or as a PEM block that decodes to the
same DER (bundles, anchors, hashed-directory files). Exit 0 when none does,
1 when some file holds it. An independent check that a CA is trusted
nowhere: it shares no code with cainit."""
import base64
import os
import re
import sys

PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s*(.*?)-----END CERTIFICATE-----", re.S)


def der_of(path):
    with open(path, "rb") as f:
        m = PEM.search(f.read())
    return base64.b64decode(b"".join(m.group(1).split()))


def holds(data, der):
    if der in data:
        return True
    for m in PEM.finditer(data):
        try:
            if base64.b64decode(b"".join(m.group(1).split())) == der:
                return True
        except ValueError:
            pass
    return False


def main():
    der = der_of(sys.argv[1])
    found = 0
    for top in sys.argv[2:]:
        for d, _, files in os.walk(top):
            for name in files:
                p = os.path.join(d, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    with open(p, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                if holds(data, der):
                    print(p)
                    found += 1
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
