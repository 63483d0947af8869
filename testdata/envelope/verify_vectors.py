#!/usr/bin/env python3
"""Independent (non-Go) check of the KMSENC v1 golden vectors.

Decrypts every vector in this directory with the data key from its JSON file,
following docs/FORMAT.md only: HKDF-Expand written out from RFC 5869 and HMAC from
the standard library, over SHA-512/SHA-256 (suite 0x0001) or SM3 (suite 0x0002,
hashlib's OpenSSL SM3); AES-256-GCM from the `cryptography` package (OpenSSL); and
for suite 0x0002 GCM (NIST SP 800-38D) written out below over the SM4 block cipher of
`cryptography` (Debian's python3-cryptography has SM4, but not SM4 in GCM mode).
The SM4, SM3 and SM4-GCM code is first checked against published vectors. Only
Debian packages are needed (python3, python3-cryptography). Exits non-zero on the
first mismatch.

    python3 testdata/envelope/verify_vectors.py
"""
import glob, hashlib, hmac, json, os, struct, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- SM4-GCM: GCM (NIST SP 800-38D §6–7) over the SM4 block (GB/T 32907) ----------

def sm4_ecb(key, blocks):
    e = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return e.update(blocks) + e.finalize()


def gf_mul(x, y):
    """Multiplication in GF(2^128) with GCM's bit order (SP 800-38D §6.3)."""
    z, r = 0, 0xE1 << 120
    for i in range(127, -1, -1):
        if (y >> i) & 1:
            z ^= x
        x = (x >> 1) ^ r if x & 1 else x >> 1
    return z


def ghash(h, data):
    y = 0
    for i in range(0, len(data), 16):
        y = gf_mul(y ^ int.from_bytes(data[i:i + 16], "big"), h)
    return y


def xor(a, b):
    return (int.from_bytes(a, "big") ^ int.from_bytes(b[:len(a)], "big")).to_bytes(len(a), "big")


class SM4GCM:
    """SM4-GCM with a 12-byte nonce and a 16-byte tag: AEAD_SM4_GCM of RFC 8998."""

    def __init__(self, key):
        self.key = key
        self.h = int.from_bytes(sm4_ecb(key, bytes(16)), "big")

    def _ctr(self, nonce, n):
        j0 = nonce + b"\x00\x00\x00\x01"
        blocks = b"".join(nonce + struct.pack(">I", 2 + i) for i in range((n + 15) // 16))
        return j0, sm4_ecb(self.key, blocks) if blocks else b""

    def _tag(self, j0, aad, ct):
        pad = lambda b: b + bytes(-len(b) % 16)
        s = ghash(self.h, pad(aad) + pad(ct) + struct.pack(">QQ", 8 * len(aad), 8 * len(ct)))
        return xor(sm4_ecb(self.key, j0), s.to_bytes(16, "big"))

    def encrypt(self, nonce, pt, aad):
        j0, ks = self._ctr(nonce, len(pt))
        ct = xor(pt, ks) if pt else b""
        return ct + self._tag(j0, aad or b"", ct)

    def decrypt(self, nonce, data, aad):
        ct, tag = data[:-16], data[-16:]
        j0, ks = self._ctr(nonce, len(ct))
        if not hmac.compare_digest(self._tag(j0, aad or b"", ct), tag):
            raise ValueError("SM4-GCM tag")
        return xor(ct, ks) if ct else b""


def check_primitives():
    """Published known answers for the suite 0x0002 primitives used above."""
    k = bytes.fromhex("0123456789abcdeffedcba9876543210")
    # GB/T 32907-2016 Appendix A.1: key = plaintext.
    assert sm4_ecb(k, k).hex() == "681edf34d206965e86b3e94f536e4246", "SM4 known answer"
    # GB/T 32905-2016 Appendix A.1 and A.2.
    assert hashlib.new("sm3", b"abc").hexdigest() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", "SM3 known answer"
    assert hashlib.new("sm3", b"abcd" * 16).hexdigest() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732", "SM3 known answer"
    # RFC 8998 Appendix A.1 (AEAD_SM4_GCM).
    pt = bytes.fromhex("aa" * 8 + "bb" * 8 + "cc" * 8 + "dd" * 8 + "ee" * 8 + "ff" * 8 + "ee" * 8 + "aa" * 8)
    nonce, aad = bytes.fromhex("00001234567800000000abcd"), bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    want = ("17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
            "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d83de3541e4c2b58177e065a9bf7b62ec")
    g = SM4GCM(k)
    assert g.encrypt(nonce, pt, aad).hex() == want, "SM4-GCM known answer"
    assert g.decrypt(nonce, bytes.fromhex(want), aad) == pt, "SM4-GCM known answer"
    print("ok SM4, SM3 and SM4-GCM known answers")


# ---- KMSENC v1 (docs/FORMAT.md) -------------------------------------------------

# suite id -> (HKDF hash, HMAC hash, AEAD name, key size, AEAD constructor)
SUITES = {
    1: (hashlib.sha512, hashlib.sha256, "AEAD_AES_256_GCM", 32, AESGCM),
    2: ("sm3", "sm3", "AEAD_SM4_GCM", 16, SM4GCM),
}


def hkdf_expand(h, prk, info, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), h).digest()
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
    suite = struct.unpack(">H", f[9:11])[0]
    assert f[:8] == b"\x89KMS\r\n\x1a\n" and f[8] == 1 and suite in SUITES, "preamble"
    kdf, mac_hash, aead_name, ks, aead_new = SUITES[suite]
    L = struct.unpack(">I", f[12:16])[0]
    mac, salt, commit = f[16 + L:48 + L], f[48 + L:72 + L], f[72 + L:104 + L]
    okm = hkdf_expand(kdf, dek, b"c2sp.org/chunked-encryption@v1+" + aead_name.encode() + b"\x00" + salt + f[:12], ks + 44)
    key, nonce, want_commit = okm[:ks], okm[ks:ks + 12], okm[ks + 12:]
    mac_key = hkdf_expand(kdf, dek, b"kmsdesk.kmsenc/v1/header-mac\x00" + salt, 32)
    assert hmac.compare_digest(hmac.new(mac_key, f[:16 + L] + salt + commit, mac_hash).digest(), mac), "header MAC"
    assert hmac.compare_digest(want_commit, commit), "commitment"
    aead, payload, out, i = aead_new(key), f[104 + L:], b"", 0
    while True:
        c = payload[:16400]
        n = (int.from_bytes(nonce, "big") ^ i).to_bytes(12, "big")
        out += aead.decrypt(n, c, None)
        payload = payload[len(c):]
        if len(c) < 16400:
            assert not payload, "trailing data"
            return suite, f[11] & 1, out
        i += 1


check_primitives()
for path in sorted(glob.glob(os.path.join(HERE, "*.json"))):
    v = json.load(open(path))
    f = open(os.path.join(HERE, v["ciphertext"]), "rb").read()
    if v.get("plaintext_file"):
        pt = open(os.path.join(HERE, v["plaintext_file"]), "rb").read()
    else:
        pt = det_bytes(v["plaintext_seed"], v["plaintext_size"])
    suite, has_meta, stream = decrypt(f, bytes.fromhex(v["data_key"]))
    assert suite == v.get("suite", 1), "suite"
    if has_meta:
        rec, stream = stream[:1024], stream[1024:]
        n = struct.unpack(">H", rec[26:28])[0]
        assert rec[28:28 + n].decode() == v["metadata"]["name"], "metadata name"
    assert stream == pt and hashlib.sha256(pt).hexdigest() == v["plaintext_sha256"], "plaintext"
    print("ok", v["name"], "(suite 0x%04x)" % suite)
