"""ber_tbs.py < CA.pem > BER.der: the same CA with BER inside its TBS,
which libcrypto keeps byte for byte (its X509 caches the TBS as read): the
first non-critical extension gets an explicit `critical` FALSE and its
length in long form. OpenSSL reads it, and fingerprints these very bytes;
cainit must take it too (t_install). (The signature no longer matches: a
trust anchor's own signature is not what makes it trusted.)"""
import base64, re, sys

pem = sys.stdin.read()
der = base64.b64decode("".join(re.findall(r"^[A-Za-z0-9+/=]+$", pem.split("-----BEGIN CERTIFICATE-----")[1], re.M)))

def parse(d, p):  # tag, header length, content length
    n = d[p + 1]
    if n < 0x80:
        return d[p], 2, n
    k = n & 0x7f
    return d[p], 2 + k, int.from_bytes(d[p + 2:p + 2 + k], "big")

def enc(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(b)]) + b + content

def children(d):
    p, out = 0, []
    while p < len(d):
        t, h, n = parse(d, p)
        out.append(d[p:p + h + n])
        p += h + n
    return out

def content(tlv):
    t, h, n = parse(tlv, 0)
    return tlv[h:h + n]

cert = children(content(der))          # tbs, sigalg, sig
tbs = children(content(cert[0]))
i = next(k for k, x in enumerate(tbs) if x[0] == 0xa3)
exts = children(content(content(tbs[i])))
j = next(k for k, x in enumerate(exts) if len(children(content(x))) == 2)  # one without `critical`
oid, value = children(content(exts[j]))
exts[j] = enc(0x30, oid + b"\x01\x01\x00" + value)
# and the extension's length in long form: BER, not DER
c = content(exts[j])
exts[j] = bytes([0x30, 0x81, len(c)]) + c
tbs[i] = enc(0xa3, enc(0x30, b"".join(exts)))
cert[0] = enc(0x30, b"".join(tbs))
sys.stdout.buffer.write(enc(0x30, b"".join(cert)))
