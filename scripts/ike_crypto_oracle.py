#!/usr/bin/python3
"""Independent IKEv2 crypto (python-cryptography and Python integers) for tunsec's tests.

  dh GROUP OUR_PUBLIC_HEX       -> "their_public_hex shared_hex" for the group (RFC 5903 x||y
                                   for ECP, RFC 3526 MODP with p from `p.hex` argument, X25519)
  keys PRF NI NR GIR SPII SPIR LENS  -> SKEYSEED-derived keys (RFC 7296 2.14), hex, comma-separated
  open ENCR KEY INTEG_KEY FRAME BODY -> the inner payload bytes of an SK body, hex
"""
import hashlib
import hmac
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def prf(h, key, data):
    return hmac.new(key, data, HASHES[h]).digest()


def prf_plus(h, key, seed, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(h, key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


def dh(group, ours_hex, p_hex=None):
    ours = bytes.fromhex(ours_hex)
    if group in ("ecp256", "ecp384", "ecp521"):
        curve = {"ecp256": ec.SECP256R1(), "ecp384": ec.SECP384R1(), "ecp521": ec.SECP521R1()}[group]
        k = ec.generate_private_key(curve)
        peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + ours)
        shared = k.exchange(ec.ECDH(), peer)
        n = k.public_key().public_numbers()
        size = (curve.key_size + 7) // 8
        pub = n.x.to_bytes(size, "big") + n.y.to_bytes(size, "big")
    elif group == "curve25519":
        k = x25519.X25519PrivateKey.generate()
        shared = k.exchange(x25519.X25519PublicKey.from_public_bytes(ours))
        pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        p = int(p_hex, 16)
        size = (p.bit_length() + 7) // 8
        x = int.from_bytes(hashlib.sha512(ours).digest(), "big")
        pub = pow(2, x, p).to_bytes(size, "big")
        shared = pow(int.from_bytes(ours, "big"), x, p).to_bytes(size, "big")
    print(pub.hex(), shared.hex())


def keys(h, ni, nr, gir, spii, spir, lens):
    ni, nr, gir = bytes.fromhex(ni), bytes.fromhex(nr), bytes.fromhex(gir)
    lens = [int(x) for x in lens.split(",")]
    seed = prf(h, ni + nr, gir)
    km = prf_plus(h, seed, ni + nr + bytes.fromhex(spii) + bytes.fromhex(spir), sum(lens))
    out, at = [], 0
    for n in lens:
        out.append(km[at:at + n].hex())
        at += n
    print(",".join(out))


def open_sk(encr, key, integ_key, frame, body):
    key, frame, body = bytes.fromhex(key), bytes.fromhex(frame), bytes.fromhex(body)
    if encr == "gcm":
        k, salt = key[:-4], key[-4:]
        iv, ct = body[:8], body[8:]
        plain = AESGCM(k).decrypt(salt + iv, ct, frame)
    elif encr == "chacha":
        k, salt = key[:-4], key[-4:]
        iv, ct = body[:8], body[8:]
        plain = ChaCha20Poly1305(k).decrypt(salt + iv, ct, frame)
    else:  # cbc with HMAC-SHA-256-128
        icv = body[-16:]
        want = hmac.new(bytes.fromhex(integ_key), frame + body[:-16], hashlib.sha256).digest()[:16]
        assert hmac.compare_digest(icv, want), "ICV mismatch"
        iv, ct = body[:16], body[16:-16]
        d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        plain = d.update(ct) + d.finalize()
    pad = plain[-1]
    print(plain[: len(plain) - pad - 1].hex())


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"dh": dh, "keys": keys, "open": open_sk}[cmd](*args)
