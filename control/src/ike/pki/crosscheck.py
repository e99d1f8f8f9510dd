#!/usr/bin/python3
"""Independent check of tunsec's signatures and certificates (control/src/ike/pki) with the
`cryptography` package, sharing no code with the Rust side (crosscheck.rs).

Input lines on stdin (values hex):
  key NAME PKCS8                        a private key made by tunsec
  verify ID NAME SCHEME FORMAT MSG SIG  check tunsec's signature with NAME's public key
  sign ID NAME SCHEME FORMAT MSG        sign MSG with NAME's key, for tunsec to check
  cert ID CERT ISSUER                   check that ISSUER signed CERT (tunsec cert make)
  makecerts                             make a CA and certificates here, for tunsec to check
SCHEME is pkcs1-sha1|pkcs1-sha256|...|pss-sha256|...|ecdsa-sha256|...; FORMAT der|fixed
(RFC 4754 r|s).
Output lines: "verify ID ok|bad", "sign ID SIG", "cert ID ok|bad REASON",
"pyca NAME CERT", "pycert NAME SIGNED_BY CERT", "pykey NAME PKCS8", "pytrad NAME PKCS1_OR_SEC1".
Prints "skip <reason>" and exits 0 when the cryptography package is missing.
"""

import datetime
import sys

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import (
        decode_dss_signature,
        encode_dss_signature,
    )
    from cryptography.x509.oid import NameOID
except ImportError as e:
    print(f"skip python3 cryptography not available: {e}")
    sys.exit(0)

HASHES = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def field_len(key):
    return (key.curve.key_size + 7) // 8


def scheme_parts(scheme):
    kind, h = scheme.split("-")
    return kind, HASHES[h]()


def pss(h):
    # Salt as long as the hash, MGF1 over the same hash: RFC 7427's usual PSS form.
    return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)


def verify(pub, scheme, fmt, msg, sig):
    kind, h = scheme_parts(scheme)
    try:
        if kind == "pkcs1":
            pub.verify(sig, msg, padding.PKCS1v15(), h)
        elif kind == "pss":
            pub.verify(sig, msg, pss(h), h)
        else:
            if fmt == "fixed":
                n = field_len(pub)
                if len(sig) != 2 * n:
                    return False
                sig = encode_dss_signature(
                    int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big")
                )
            pub.verify(sig, msg, ec.ECDSA(h))
        return True
    except (InvalidSignature, ValueError):
        return False


def sign(key, scheme, fmt, msg):
    kind, h = scheme_parts(scheme)
    if kind == "pkcs1":
        return key.sign(msg, padding.PKCS1v15(), h)
    if kind == "pss":
        return key.sign(msg, pss(h), h)
    sig = key.sign(msg, ec.ECDSA(h))
    if fmt == "fixed":
        r, s = decode_dss_signature(sig)
        n = field_len(key.public_key())
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    return sig


def issued_by(cert, issuer):
    pub = issuer.public_key()
    h = cert.signature_hash_algorithm
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), h)
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(h))
    except InvalidSignature:
        return "bad signature"
    if cert.issuer != issuer.subject:
        return "issuer name differs"
    bc = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    if not bc.ca:
        return "issuer is not a CA"
    return "ok"


def name(cn):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "python oracle"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_cert(subject, issuer_name, pub, signer, h, ca, sans=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer_name))
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        b = b.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False
        )
    return b.sign(signer, h)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER).hex()


def pkcs8(key):
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).hex()


def makecerts(out):
    # An RSA CA and an EC CA, each signing RSA and EC leaves with several hashes.
    cas = {
        "rsa-ca": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec-ca": ec.generate_private_key(ec.SECP384R1()),
    }
    for ca_name, ca_key in cas.items():
        ca = make_cert(ca_name, ca_name, ca_key.public_key(), ca_key, hashes.SHA256(), True)
        out.append(f"pyca {ca_name} {der(ca)}")
        leaves = {
            "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "p256": ec.generate_private_key(ec.SECP256R1()),
        }
        for leaf_name, leaf_key in leaves.items():
            for hname in ("sha256", "sha384", "sha512"):
                n = f"{ca_name}.{leaf_name}.{hname}"
                c = make_cert(
                    n, ca_name, leaf_key.public_key(), ca_key, HASHES[hname](), False, [n + ".example"]
                )
                out.append(f"pycert {n} {ca_name} {der(c)}")
            out.append(f"pykey {ca_name}.{leaf_name} {pkcs8(leaf_key)}")
            # The same key as OpenSSL's traditional files hold it: PKCS#1 for RSA, SEC1 for EC.
            trad = leaf_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            ).hex()
            out.append(f"pytrad {ca_name}.{leaf_name} {trad}")


def main():
    keys = {}
    out = []
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        op = f[0]
        if op == "key":
            keys[f[1]] = serialization.load_der_private_key(bytes.fromhex(f[2]), None)
        elif op == "verify":
            _, ident, kname, scheme, fmt, msg, sig = f
            ok = verify(keys[kname].public_key(), scheme, fmt, bytes.fromhex(msg), bytes.fromhex(sig))
            out.append(f"verify {ident} {'ok' if ok else 'bad'}")
        elif op == "sign":
            _, ident, kname, scheme, fmt, msg = f
            out.append(f"sign {ident} {sign(keys[kname], scheme, fmt, bytes.fromhex(msg)).hex()}")
        elif op == "cert":
            _, ident, c, issuer = f
            c = x509.load_der_x509_certificate(bytes.fromhex(c))
            issuer = x509.load_der_x509_certificate(bytes.fromhex(issuer))
            out.append(f"cert {ident} {issued_by(c, issuer)}")
        elif op == "makecerts":
            makecerts(out)
        else:
            raise SystemExit(f"unknown op {op}")
    print("\n".join(out))


main()
