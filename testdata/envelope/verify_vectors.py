#!/usr/bin/env python3
"""Independent (non-Go) check of the KMSENC v1 golden vectors.

Decrypts every vector in this directory with the data key from its JSON file,
following docs/FORMAT.md only: HKDF-Expand-SHA-512 written out from RFC 5869,
HMAC-SHA-256 from the standard library, AES-256-GCM from the `cryptography`
package (OpenSSL). Exits non-zero on the first mismatch.

    python3 testdata/envelope/verify_vectors.py
"""
import glob, hashlib, hmac, json, os, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))


def hkdf_expand(prk, info, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha512).digest()
        out += t
        i += 1
    return out[:n]


def det_bytes(seed, n):
    """The deterministic generator of vectors_test.go: SHA-256(seed || u64be(i))."""
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(seed.encode() + struct.pack(">Q", i)).digest()
        i += 1
    return out[:n]


def decrypt(f, dek):
    assert f[:8] == b"\x89KMS\r\n\x1a\n" and f[8] == 1 and f[9:11] == b"\x00\x01", "preamble"
    L = struct.unpack(">I", f[12:16])[0]
    mac, salt, commit = f[16 + L:48 + L], f[48 + L:72 + L], f[72 + L:104 + L]
    okm = hkdf_expand(dek, b"c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00" + salt + f[:12], 76)
    key, nonce, want_commit = okm[:32], okm[32:44], okm[44:]
    mac_key = hkdf_expand(dek, b"kmsdesk.kmsenc/v1/header-mac\x00" + salt, 32)
    assert hmac.compare_digest(hmac.new(mac_key, f[:16 + L] + salt + commit, hashlib.sha256).digest(), mac), "header MAC"
    assert hmac.compare_digest(want_commit, commit), "commitment"
    aead, payload, out, i = AESGCM(key), f[104 + L:], b"", 0
    while True:
        c = payload[:16400]
        n = (int.from_bytes(nonce, "big") ^ i).to_bytes(12, "big")
        out += aead.decrypt(n, c, None)
        payload = payload[len(c):]
        if len(c) < 16400:
            assert not payload, "trailing data"
            return f[11] & 1, out
        i += 1


for path in sorted(glob.glob(os.path.join(HERE, "*.json"))):
    v = json.load(open(path))
    f = open(os.path.join(HERE, v["ciphertext"]), "rb").read()
    if v.get("plaintext_file"):
        pt = open(os.path.join(HERE, v["plaintext_file"]), "rb").read()
    else:
        pt = det_bytes(v["plaintext_seed"], v["plaintext_size"])
    has_meta, stream = decrypt(f, bytes.fromhex(v["data_key"]))
    if has_meta:
        rec, stream = stream[:1024], stream[1024:]
        n = struct.unpack(">H", rec[26:28])[0]
        assert rec[28:28 + n].decode() == v["metadata"]["name"], "metadata name"
    assert stream == pt and hashlib.sha256(pt).hexdigest() == v["plaintext_sha256"], "plaintext"
    print("ok", v["name"])
