#!/usr/bin/python3
"""Scapy as an independent ESP/AH implementation, for dataplane/tests/scapy_interop.rs.

Reads one JSON request per line on stdin and writes one JSON reply per line on stdout:

  {"op": "supported"}
      -> {"enc": [tunsec names], "auth": [tunsec names]}
  {"op": "decrypt" | "encrypt", "proto": "esp" | "ah", "enc": name, "enc_key": hex,
   "auth": name, "auth_key": hex, "spi": int, "mode": "tunnel" | "transport",
   "src": ip, "dst": ip, "esn": bool, "seq": int (64-bit), "natt": bool, "packet": hex}
      -> {"packet": hex} or {"error": "..."}
  {"op": "rebuild", "packet": hex}
      -> {"packet": hex}, the packet with Scapy's own lengths and checksums

decrypt takes a whole outer IP packet and returns the inner packet (tunnel) or the restored
packet (transport); encrypt takes an IP packet and returns the whole outer packet. Algorithm
names are tunsec's (EncAlgorithm::name / AuthAlgorithm::name). Needs Debian's python3-scapy
and python3-cryptography (scripts/install-deps.sh).

Where Scapy 2.5.0 departs from the RFCs the oracle works around it, and says so below.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")  # Blowfish/TripleDES deprecation notices

from cryptography.hazmat.primitives.ciphers import algorithms, modes  # noqa: E402
from scapy.compat import raw  # noqa: E402
from scapy.packet import Raw  # noqa: E402
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.ipsec import AH, ESP, CryptAlgo, SecurityAssociation  # noqa: E402

NATT_PORT = 4500
UDP_PROTOCOL = 17


def truncated_gcm(icv_size):
    # Scapy 2.5.0's 'AES-GCM' uses cryptography's one-shot AESGCM API, which always emits and
    # expects a 16-byte tag and so ignores crypt_icv_size; RFC 4106 section 6 also defines 8-
    # and 12-byte ICVs. Scapy's own CryptAlgo over cryptography's GCM mode truncates the tag
    # (its encrypt keeps tag[:icv_size], its decrypt passes min_tag_length), with the same
    # salt || IV nonce and SPI || seq AAD as the stock algorithm.
    return CryptAlgo(
        "AES-GCM",
        cipher=algorithms.AES,
        mode=modes.GCM,
        key_size=(16, 24, 32),
        block_size=1,
        iv_size=8,
        icv_size=icv_size,
        salt_size=4,
        format_mode_iv=lambda sa, iv, **kw: sa.crypt_salt + iv,
    )


# tunsec name -> (Scapy name, CryptAlgo override or None). Not here, because Scapy has no
# implementation: aes-*-gmac (RFC 4543), twofish, camellia-*.
ENC = {"null": ("NULL", None), "des": ("DES", None), "3des": ("3DES", None)}
for bits in (128, 192, 256):
    ENC[f"aes-{bits}-cbc"] = ("AES-CBC", None)
    ENC[f"aes-{bits}-ctr"] = ("AES-CTR", None)
    ENC[f"aes-{bits}-gcm"] = ("AES-GCM", None)
    ENC[f"aes-{bits}-gcm-12"] = ("AES-GCM", truncated_gcm(12))
    ENC[f"aes-{bits}-gcm-8"] = ("AES-GCM", truncated_gcm(8))
ENC["blowfish"] = ("Blowfish", None)
ENC["chacha20-poly1305"] = ("CHACHA20-POLY1305", None)

AUTH = {
    "null": None,
    "md5": "HMAC-MD5-96",
    "sha1": "HMAC-SHA1-96",
    "sha256": "SHA2-256-128",
    "sha384": "SHA2-384-192",
    "sha512": "SHA2-512-256",
}


def ip_class(packet):
    return IPv6 if packet[0] >> 4 == 6 else IP


def make_sa(req):
    esp = req["proto"] == "esp"
    ip = IPv6 if ":" in req["src"] else IP
    kwargs, override = {}, None
    if esp:
        scapy_enc, override = ENC[req["enc"]]
        kwargs.update(crypt_algo=scapy_enc, crypt_key=bytes.fromhex(req["enc_key"]))
    auth = AUTH[req["auth"]]
    if auth:
        kwargs.update(auth_algo=auth, auth_key=bytes.fromhex(req["auth_key"]))
    if req["mode"] == "tunnel":
        kwargs["tunnel_header"] = ip(src=req["src"], dst=req["dst"])
    if req["natt"]:
        kwargs["nat_t_header"] = UDP(sport=NATT_PORT, dport=NATT_PORT)
    seq = req["seq"]
    sa = SecurityAssociation(
        ESP if esp else AH,
        spi=req["spi"],
        seq_num=seq & 0xFFFFFFFF,
        esn_en=req["esn"],
        esn=seq >> 32,
        **kwargs,
    )
    if override is not None:
        sa.crypt_algo = override
    return sa


def check_outer(packet):
    """The outer header's length fields and IPv4 checksum, which Scapy's dissector ignores."""
    p = ip_class(packet)(packet)
    if isinstance(p, IP):
        header_len = p.ihl * 4
        fixed = p.copy()
        del fixed.chksum
        if raw(fixed)[:header_len] != packet[:header_len] or p.len != len(packet):
            raise ValueError("outer IPv4 length or checksum is wrong")
    elif p.plen != len(packet) - 40:
        raise ValueError("outer IPv6 payload length is wrong")


def strip_natt(packet):
    """RFC 3948 section 3.3: check and remove the UDP header in front of ESP.

    Scapy 2.5.0 cannot decrypt UDP-encapsulated IPv6 transport-mode ESP (it sets the next
    header on the UDP layer, not the IPv6 header), so the oracle hands it plain ESP instead.
    """
    p = ip_class(packet)(packet)
    udp = p[UDP]
    if (udp.sport, udp.dport) != (NATT_PORT, NATT_PORT):
        raise ValueError(f"UDP ports {udp.sport}/{udp.dport}, expected 4500/4500")
    if udp.len != len(raw(udp)):
        raise ValueError(f"UDP length {udp.len}, datagram is {len(raw(udp))} bytes")
    esp = raw(udp.payload)
    before = udp.underlayer  # the IP header, or the IPv6 extension header UDP follows
    before.remove_payload()
    if isinstance(before, IP):
        before.proto = 50
        del before.len, before.chksum
    else:
        before.nh = 50
        del p.plen
    return raw(p / Raw(esp))


def decrypt(req):
    packet = bytes.fromhex(req["packet"])
    check_outer(packet)
    if req["natt"]:
        packet = strip_natt(packet)
    p = ip_class(packet)(packet)
    ipsec = p[ESP] if req["proto"] == "esp" else p[AH]
    if ipsec.seq != req["seq"] & 0xFFFFFFFF:
        raise ValueError(f"sequence number {ipsec.seq} on the wire, expected {req['seq']}")
    return raw(make_sa(req).decrypt(p))


def encrypt(req):
    packet = bytes.fromhex(req["packet"])
    seq = req["seq"]
    out = make_sa(req).encrypt(ip_class(packet)(packet), seq_num=seq & 0xFFFFFFFF, esn=seq >> 32)
    if req["natt"]:
        # Two Scapy 2.5.0 slips in the NAT-T header it adds, put right here. Over IPv4 it
        # freezes the UDP header before appending ESP, so the length field says 8 (RFC 768:
        # header plus data). Behind IPv6 extension headers it leaves the last one's next
        # header at ESP although UDP now follows (it only updates the fixed header's).
        udp = out[UDP]
        del udp.len
        if not isinstance(udp.underlayer, IP):
            udp.underlayer.nh = UDP_PROTOCOL
    out = raw(out)
    check_outer(out)
    return out


def rebuild(req):
    """The packet with every length and checksum recomputed by Scapy (checks the test's own
    packet builder)."""
    packet = bytes.fromhex(req["packet"])
    p = ip_class(packet)(packet)
    layer = p
    while layer:
        for name in ("len", "plen", "chksum", "cksum"):
            if name in layer.fields:
                delattr(layer, name)
        layer = layer.payload
    return raw(p)


def handle(req):
    op = req["op"]
    if op == "supported":
        return {"enc": sorted(ENC), "auth": sorted(AUTH)}
    try:
        result = {"decrypt": decrypt, "encrypt": encrypt, "rebuild": rebuild}[op](req)
    except Exception as e:  # noqa: BLE001 -- every failure is an answer to the test
        return {"error": f"{type(e).__name__}: {e}"}
    return {"packet": result.hex()}


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(handle(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
