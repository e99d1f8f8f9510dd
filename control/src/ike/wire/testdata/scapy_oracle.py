"""Scapy's IKEv2 layer as an independent implementation for tunsec's codec tests
(control/src/ike/wire/tests.rs runs it with /usr/bin/python3 -c).

  decode HEX  prints the header and every payload Scapy dissects, as JSON
  build       prints {name: hex} of messages Scapy builds, which the tests rebuild in Rust

Scapy 2.5's builder gets several length fields wrong; where it does, they are given
explicitly (and commented), so what it builds is still what RFC 7296 says.
"""
import json
import sys

from scapy.contrib.ikev2 import *  # noqa: F401,F403 (the layer's classes)

def h(v):
    if isinstance(v, bytes):
        return v.hex()
    if v is None or isinstance(v, (int, str)):
        return v
    return bytes(v).hex()

def ts_list(p):
    out = []
    for t in p.traffic_selector:
        if t.TS_type == 7:
            a, b = t.starting_address_v4, t.ending_address_v4
        elif t.TS_type == 8:
            a, b = t.starting_address_v6, t.ending_address_v6
        else:
            a, b = None, None
        out.append([t.TS_type, t.IP_protocol_ID, t.length, t.start_port, t.end_port, a, b])
    return out

def chain(first):
    out, q = [], first
    while q is not None and q.__class__.__name__ in ("IKEv2_payload_Proposal", "IKEv2_payload_Transform"):
        out.append(q)
        q = q.payload if q.payload.__class__ is q.__class__ else None
    return out

def decode(hexstr):
    m = IKEv2(bytes.fromhex(hexstr))
    out = {"init_spi": h(m.init_SPI), "resp_spi": h(m.resp_SPI), "next": m.next_payload,
           "version": m.version, "exch_type": m.exch_type, "flags": int(m.flags), "id": m.id,
           "length": m.length, "payloads": []}
    p = m.payload
    while p is not None and p.__class__.__name__ not in ("NoPayload", "Raw", "Padding"):
        cls = p.__class__.__name__.replace("IKEv2_payload_", "")
        d = {"cls": cls, "next": p.next_payload, "length": p.length}
        if cls == "SA":
            d["proposals"] = [
                {"last": q.next_payload, "length": q.length, "num": q.proposal, "proto": q.proto,
                 "spi": h(q.SPI), "trans_nb": q.trans_nb,
                 "transforms": [[t.next_payload, t.length, t.transform_type, t.transform_id,
                                 t.key_length if t.length > 8 else None] for t in chain(q.trans)]}
                for q in chain(p.prop)]
        elif cls == "KE":
            d.update(group=p.group, data=h(p.load))
        elif cls in ("IDi", "IDr"):
            d.update(id_type=p.IDtype, id=h(p.ID))
        elif cls.startswith("CERT"):
            d.update(encoding=p.cert_type, data=h(p.cert_data))
        elif cls == "AUTH":
            d.update(method=p.auth_type, data=h(p.load))
        elif cls == "Nonce":
            d.update(data=h(p.load))
        elif cls == "Notify":
            d.update(proto=p.proto, spi_size=p.SPIsize, spi=h(p.SPI), type=p.type, data=h(p.load))
        elif cls in ("Delete", "VendorID"):
            d.update(data=h(p.vendorID))
        elif cls in ("TSi", "TSr"):
            d.update(count=p.number_of_TSs, ts=ts_list(p))
        elif cls == "CP":
            d.update(cfg_type=p.CFGType, attributes=[[a.type, a.length, h(a.value)] for a in p.attributes])
        elif cls == "Encrypted":
            d.update(data=h(p.load))
        elif cls == "Encrypted_Fragment":
            d.update(number=p.frag_number, total=p.frag_total, data=h(p.load))
        else:
            d.update(flags=int(p.flags), data=h(p.load))
        out["payloads"].append(d)
        p = p.payload
    print(json.dumps(out))

T = IKEv2_payload_Transform

def transforms(*specs):
    """(type, id[, key length]) tuples as a transform chain with last-substruc set."""
    chain = None
    for i, s in enumerate(specs):
        last = i + 1 == len(specs)
        kw = dict(next_payload=0 if last else 3, transform_type=s[0], transform_id=s[1])
        if len(s) > 2:
            kw.update(length=12, key_length=s[2])
        t = T(**kw)
        chain = t if chain is None else chain / t
    return chain

def proposal(num, proto, specs, spi=b"", last=True):
    # Scapy 2.5 computes the proposal length before the SPI size: give the size.
    return IKEv2_payload_Proposal(next_payload=0 if last else 2, proposal=num, proto=proto,
                                  SPIsize=len(spi), SPI=spi, trans_nb=len(specs),
                                  trans=transforms(*specs))

def hdr(exch, np, flags="Initiator", id=0, resp=b"\0" * 8):
    return IKEv2(init_SPI=bytes(range(1, 9)), resp_SPI=resp, exch_type=exch, flags=flags,
                 id=id, next_payload=np)

def build():
    out = {}
    sa = IKEv2_payload_SA(next_payload=34, prop=
        proposal(1, 1, [(1, 12, 128), (1, 12, 256), (2, 5), (3, 12), (4, 19), (4, 14)], last=False)
        / proposal(2, 1, [(1, 20, 256), (2, 6), (4, 31)]))
    out["init"] = (hdr(34, 33) / sa
        / IKEv2_payload_KE(next_payload=40, group=19, load=bytes(range(64)))
        / IKEv2_payload_Nonce(next_payload=41, load=b"\x42" * 32)
        / IKEv2_payload_Notify(next_payload=41, type=16388, load=b"\x11" * 20)
        / IKEv2_payload_Notify(next_payload=41, type=16389, load=b"\x22" * 20)
        / IKEv2_payload_Notify(next_payload=43, type=16430)
        / IKEv2_payload_VendorID(next_payload=0, vendorID=b"scapy-vid"))
    ts4 = IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                              starting_address_v4="192.0.2.0", ending_address_v4="192.0.2.255")
    # Scapy 2.5's IPv6 selector length defaults to 20, not 40: give it.
    ts6 = IPv6TrafficSelector(IP_protocol_ID=17, length=40, start_port=500, end_port=500,
                              starting_address_v6="2001:db8::", ending_address_v6="2001:db8::ffff")
    ts4b = IPv4TrafficSelector(IP_protocol_ID=6, start_port=443, end_port=443,
                               starting_address_v4="198.51.100.7", ending_address_v4="198.51.100.7")
    attrs = [ConfigurationAttribute(type=1, length=4, value="10.9.8.7"),
             ConfigurationAttribute(type=3, value=b""),
             ConfigurationAttribute(type=8, value=bytes(17))]
    esp = IKEv2_payload_SA(next_payload=44,
                           prop=proposal(1, 3, [(1, 20, 128), (5, 0)], spi=b"\xca\xfe\xba\xbe"))
    # Scapy 2.5 computes no length for IDi and CP: give them.
    out["auth"] = (hdr(37, 35, id=1, resp=b"\x77" * 8)
        / IKEv2_payload_IDi(next_payload=36, IDtype=2, ID=b"initiator.example", length=8 + 17)
        / IKEv2_payload_IDr(next_payload=39, IDtype=1, ID="192.0.2.2", length=12)
        / IKEv2_payload_AUTH(next_payload=47, auth_type=2, load=b"\x5a" * 32)
        / IKEv2_payload_CP(next_payload=33, CFGType=1, attributes=attrs, length=8 + 8 + 4 + 21)
        / esp
        / IKEv2_payload_TSi(next_payload=45, traffic_selector=[ts4, ts6])
        / IKEv2_payload_TSr(next_payload=42, traffic_selector=[ts4b])
        / IKEv2_payload_Delete(next_payload=38, vendorID=bytes.fromhex("030400020000100100002002"))
        / IKEv2_payload_CERTREQ(next_payload=200, cert_type=4, cert_data=b"\xcc" * 20)
        / IKEv2_payload(next_payload=41, load=b"opaque")
        # Last: Scapy 2.5 leaves the SPI out of the Notify length (so give it), and its
        # dissector reads the SPI again as data (so nothing may follow).
        / IKEv2_payload_Notify(next_payload=0, proto=3, SPI=b"\x01\x02\x03\x04", type=16393,
                               length=12))
    out["sk"] = (hdr(35, 46, id=1, resp=b"\x77" * 8)
        / IKEv2_payload_Encrypted(next_payload=35, load=bytes(range(48))))
    out["skf"] = (hdr(35, 53, id=1, resp=b"\x77" * 8)
        / IKEv2_payload_Encrypted_Fragment(next_payload=0, frag_number=2, frag_total=3,
                                           load=bytes(range(40))))
    out["critical"] = (hdr(34, 40)
        / IKEv2_payload_Nonce(next_payload=200, load=b"\x42" * 32)
        / IKEv2_payload(next_payload=0, flags=0x80, load=b"x"))
    print(json.dumps({k: bytes(v).hex() for k, v in out.items()}))

if __name__ == "__main__":
    decode(sys.argv[2]) if sys.argv[1] == "decode" else build()
