#!/usr/bin/python3
"""Independent recomputation of tunsec's IKEv2 cryptography (control/src/ike/crypto).

Written from RFC 7296 (2.13 prf+, 2.14 SKEYSEED and the IKE SA keys, 2.15 AUTH, 2.17 child
KEYMAT, 2.18 rekey SKEYSEED, 2.23 NAT detection, 3.14 Encrypted payload), RFC 5282 (AES-GCM),
RFC 7634 (ChaCha20-Poly1305), RFC 2409/3526 (MODP primes, rebuilt here from pi), RFC 5903
(ECP) and RFC 8031 (Curve25519), on Python's hmac/hashlib and the `cryptography` package. It
shares no code with the Rust side: the Rust test (crosscheck.rs) feeds inputs on stdin as
"name value" lines and compares what this prints, also "name value" lines.

Input names (values are hex unless noted):
  dh.<g>.id (decimal), dh.<g>.xi, dh.<g>.xr        private keys of two sides
  ike.<n>.prf/.encr/.integ (decimal IDs), ike.<n>.keybits (decimal, 0 = none),
  ike.<n>.ni, .nr, .gir, .spii, .spir              a new IKE SA
  rekey.<n>.oldprf (decimal), .oldskd, + the ike.* names   a rekeyed IKE SA
  child.<n>.prf (decimal), .skd, .ni, .nr, .len (decimal), [.gir]
  auth.<n>.prf (decimal), .msg, .nonce, .skp, .id, .secret
  natd.<n>.spii, .spir, .addr, .port (decimal)
  sk.<n>.encr/.integ/.keybits (decimal), .ekey, .akey, .frame, .body, .plain
Output names:
  dh.<g>.gi, .gr, .gir; ike.<n>.sk_d ... .sk_pr; rekey likewise; child.<n>.keymat;
  auth.<n>.octets, .auth; natd.<n>.hash; sk.<n>.opened (what the Rust body decrypts to),
  sk.<n>.py_frame and sk.<n>.py_body (a body sealed here for Rust to open).
Prints "skip <reason>" and exits 0 when the cryptography package is missing.
"""

import hashlib
import hmac
import os
import sys

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, x25519
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
except ImportError as e:  # pragma: no cover
    print(f"skip python3 'cryptography' package missing: {e}")
    sys.exit(0)

HASHES = {2: hashlib.sha1, 5: hashlib.sha256, 6: hashlib.sha384, 7: hashlib.sha512}
# Integrity transform ID -> (hash, key length, truncated ICV length); RFC 2404, RFC 4868.
INTEG = {
    0: (None, 0, 0),
    2: (hashlib.sha1, 20, 12),
    12: (hashlib.sha256, 32, 16),
    13: (hashlib.sha384, 48, 24),
    14: (hashlib.sha512, 64, 32),
}
AES_CBC, GCM8, GCM12, GCM16, CHACHA = 12, 18, 19, 20, 28
GCM_ICV = {GCM8: 8, GCM12: 12, GCM16: 16}


def prf(prf_id, key, data):
    return hmac.new(key, data, HASHES[prf_id]).digest()


def prf_plus(prf_id, key, seed, length):
    out, t, n = b"", b"", 1
    while len(out) < length:
        assert n <= 255
        t = prf(prf_id, key, t + seed + bytes([n]))
        out += t
        n += 1
    return out[:length]


def encr_key_material(encr_id, keybits):
    """Bytes of SK_e: the key, plus a 4-byte salt for the AEADs (RFC 5282 7.1, 7634 2)."""
    if encr_id == AES_CBC:
        return keybits // 8
    if encr_id in GCM_ICV:
        return keybits // 8 + 4
    if encr_id == CHACHA:
        return 32 + 4
    raise ValueError(encr_id)


def ike_keys(prf_id, encr_id, keybits, integ_id, skeyseed, ni, nr, spii, spir):
    p = len(prf(prf_id, b"", b""))  # HMAC PRFs: preferred key length = output length
    a = INTEG[integ_id][1]
    e = encr_key_material(encr_id, keybits)
    stream = prf_plus(prf_id, skeyseed, ni + nr + spii + spir, 3 * p + 2 * a + 2 * e)
    keys, at = {}, 0
    for name, n in [("sk_d", p), ("sk_ai", a), ("sk_ar", a), ("sk_ei", e), ("sk_er", e),
                    ("sk_pi", p), ("sk_pr", p)]:
        keys[name] = stream[at:at + n]
        at += n
    return keys


# --- MODP primes, rebuilt from pi: p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) pi) + k)
MODP = {1: (768, 149686), 2: (1024, 129093), 5: (1536, 741804), 14: (2048, 124476),
        15: (3072, 1690314), 16: (4096, 240904), 17: (6144, 929484), 18: (8192, 4743158)}


def pi_times_2_to(bits):
    """floor(pi * 2^bits), by Machin's formula with 64 guard bits."""
    g = bits + 64
    one = 1 << g

    def arctan_inv(x):
        total = term = one // x
        x2, n, sign = x * x, 1, -1
        while term:
            term //= x2
            total += sign * (term // (2 * n + 1))
            sign, n = -sign, n + 1
        return total

    return (4 * (4 * arctan_inv(5) - arctan_inv(239))) >> 64


def modp_prime(group):
    n, k = MODP[group]
    return (1 << n) - (1 << (n - 64)) - 1 + (1 << 64) * (pi_times_2_to(n - 130) + k)


CURVES = {19: (ec.SECP256R1(), 32), 20: (ec.SECP384R1(), 48), 21: (ec.SECP521R1(), 66)}


def dh(group, xi, xr):
    """(g^i, g^r, g^ir) as KE data and shared secret."""
    if group in MODP:
        p = modp_prime(group)
        size = MODP[group][0] // 8
        i, r = int.from_bytes(xi, "big"), int.from_bytes(xr, "big")
        gi, gr = pow(2, i, p), pow(2, r, p)
        gir = pow(gr, i, p)
        assert gir == pow(gi, r, p)
        return tuple(v.to_bytes(size, "big") for v in (gi, gr, gir))
    if group in CURVES:
        curve, size = CURVES[group]
        ki = ec.derive_private_key(int.from_bytes(xi, "big"), curve)
        kr = ec.derive_private_key(int.from_bytes(xr, "big"), curve)

        def ke(k):
            n = k.public_key().public_numbers()
            return n.x.to_bytes(size, "big") + n.y.to_bytes(size, "big")

        gir = ki.exchange(ec.ECDH(), kr.public_key())
        assert gir == kr.exchange(ec.ECDH(), ki.public_key())
        return ke(ki), ke(kr), gir
    if group == 31:
        ki = x25519.X25519PrivateKey.from_private_bytes(xi)
        kr = x25519.X25519PrivateKey.from_private_bytes(xr)
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        return (ki.public_key().public_bytes(*raw), kr.public_key().public_bytes(*raw),
                ki.exchange(kr.public_key()))
    raise ValueError(group)


# --- Encrypted payload -----------------------------------------------------------------

def aead_parts(encr_id, ekey):
    return ekey[:-4], ekey[-4:]


def gcm_encrypt(key, nonce, aad, text, icv_len):
    enc = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    ct = enc.update(text) + enc.finalize()
    return ct, enc.tag[:icv_len]


def gcm_decrypt(key, nonce, aad, ct, tag):
    dec = Cipher(algorithms.AES(key), modes.GCM(nonce, tag, min_tag_length=len(tag))).decryptor()
    dec.authenticate_additional_data(aad)
    return dec.update(ct) + dec.finalize()


def sk_open(encr_id, integ_id, ekey, akey, frame, body):
    if encr_id == AES_CBC:
        h, _, icv_len = INTEG[integ_id]
        covered, icv = body[:-icv_len], body[-icv_len:]
        want = hmac.new(akey, frame + covered, h).digest()[:icv_len]
        if not hmac.compare_digest(want, icv):
            raise ValueError("HMAC mismatch")
        iv, ct = covered[:16], covered[16:]
        dec = Cipher(algorithms.AES(ekey), modes.CBC(iv)).decryptor()
        text = dec.update(ct) + dec.finalize()
    else:
        key, salt = aead_parts(encr_id, ekey)
        icv_len = GCM_ICV.get(encr_id, 16)
        iv, ct, tag = body[:8], body[8:-icv_len], body[-icv_len:]
        if encr_id == CHACHA:
            text = ChaCha20Poly1305(key).decrypt(salt + iv, ct + tag, frame)
        else:
            text = gcm_decrypt(key, salt + iv, frame, ct, tag)
    pad = text[-1]
    assert pad + 1 <= len(text)
    return text[:len(text) - pad - 1]


def sk_frame(body_len):
    """An INFORMATIONAL request header (SPIs, SK next payload, final lengths) + SK header."""
    header = (bytes(range(0x10, 0x18)) + bytes(range(0x20, 0x28)) + bytes([46, 0x20, 37, 0x08])
              + (7).to_bytes(4, "big") + (28 + 4 + body_len).to_bytes(4, "big"))
    return header + bytes([41, 0]) + (4 + body_len).to_bytes(2, "big")


def sk_seal(encr_id, integ_id, ekey, akey, plain):
    """Seals with more padding than needed (the receiver must accept any that aligns)."""
    if encr_id == AES_CBC:
        _, _, icv_len = INTEG[integ_id]
        pad = (-(len(plain) + 1)) % 16 + 16
        text = plain + os.urandom(pad) + bytes([pad])
        iv = os.urandom(16)
        enc = Cipher(algorithms.AES(ekey), modes.CBC(iv)).encryptor()
        covered = iv + enc.update(text) + enc.finalize()
        frame = sk_frame(len(covered) + icv_len)
        h = INTEG[integ_id][0]
        return frame, covered + hmac.new(akey, frame + covered, h).digest()[:icv_len]
    key, salt = aead_parts(encr_id, ekey)
    icv_len = GCM_ICV.get(encr_id, 16)
    text = plain + bytes(3) + bytes([3])
    iv = os.urandom(8)
    frame = sk_frame(8 + len(text) + icv_len)
    if encr_id == CHACHA:
        sealed = ChaCha20Poly1305(key).encrypt(salt + iv, text, frame)
        return frame, iv + sealed
    ct, tag = gcm_encrypt(key, salt + iv, frame, text, icv_len)
    return frame, iv + ct + tag


# --- Driver ----------------------------------------------------------------------------

def main():
    given = {}
    for line in sys.stdin:
        name, _, value = line.strip().partition(" ")
        if name:
            given[name] = value
    hx = lambda name: bytes.fromhex(given[name])
    num = lambda name: int(given[name])
    out = []
    emit = lambda name, data: out.append(f"{name} {data.hex()}")
    cases = lambda kind: sorted({n.split(".")[1] for n in given if n.startswith(kind + ".")})

    for g in cases("dh"):
        gi, gr, gir = dh(num(f"dh.{g}.id"), hx(f"dh.{g}.xi"), hx(f"dh.{g}.xr"))
        emit(f"dh.{g}.gi", gi)
        emit(f"dh.{g}.gr", gr)
        emit(f"dh.{g}.gir", gir)

    for kind in ("ike", "rekey"):
        for n in cases(kind):
            k = lambda s: f"{kind}.{n}.{s}"
            ni, nr, gir = hx(k("ni")), hx(k("nr")), hx(k("gir"))
            if kind == "ike":
                skeyseed = prf(num(k("prf")), ni + nr, gir)
            else:
                skeyseed = prf(num(k("oldprf")), hx(k("oldskd")), gir + ni + nr)
            keys = ike_keys(num(k("prf")), num(k("encr")), num(k("keybits")), num(k("integ")),
                            skeyseed, ni, nr, hx(k("spii")), hx(k("spir")))
            for name, value in keys.items():
                emit(k(name), value)

    for n in cases("child"):
        k = lambda s: f"child.{n}.{s}"
        seed = (hx(k("gir")) if k("gir") in given else b"") + hx(k("ni")) + hx(k("nr"))
        emit(k("keymat"), prf_plus(num(k("prf")), hx(k("skd")), seed, num(k("len"))))

    for n in cases("auth"):
        k = lambda s: f"auth.{n}.{s}"
        p = num(k("prf"))
        octets = hx(k("msg")) + hx(k("nonce")) + prf(p, hx(k("skp")), hx(k("id")))
        emit(k("octets"), octets)
        emit(k("auth"), prf(p, prf(p, hx(k("secret")), b"Key Pad for IKEv2"), octets))

    for n in cases("natd"):
        k = lambda s: f"natd.{n}.{s}"
        data = hx(k("spii")) + hx(k("spir")) + hx(k("addr")) + num(k("port")).to_bytes(2, "big")
        emit(k("hash"), hashlib.sha1(data).digest())

    for n in cases("sk"):
        k = lambda s: f"sk.{n}.{s}"
        encr_id, integ_id = num(k("encr")), num(k("integ"))
        ekey, akey = hx(k("ekey")), hx(k("akey"))
        assert len(ekey) == encr_key_material(encr_id, num(k("keybits")))
        assert len(akey) == INTEG[integ_id][1]
        emit(k("opened"), sk_open(encr_id, integ_id, ekey, akey, hx(k("frame")), hx(k("body"))))
        frame, body = sk_seal(encr_id, integ_id, ekey, akey, hx(k("plain")))
        emit(k("py_frame"), frame)
        emit(k("py_body"), body)

    print("\n".join(out))


if __name__ == "__main__":
    main()
