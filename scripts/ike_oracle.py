#!/usr/bin/python3
"""Decodes IKEv2 messages with Scapy (an implementation tunsec did not write) for tunsec's
wire tests: `ike_oracle.py decode HEX` prints the header and every plaintext payload as JSON;
`ike_oracle.py build` prints a Scapy-built IKE_SA_INIT request for tunsec to parse."""
import json
import sys

from scapy.contrib.ikev2 import (
    IKEv2, IKEv2_payload_KE, IKEv2_payload_Nonce, IKEv2_payload_Notify,
    IKEv2_payload_Proposal, IKEv2_payload_SA, IKEv2_payload_TSi, IKEv2_payload_TSr,
    IKEv2_payload_Transform, IKEv2_payload_Delete, IKEv2_payload_IDi, IKEv2_payload_AUTH,
    IPv4TrafficSelector,
)


def decode(hexstr):
    m = IKEv2(bytes.fromhex(hexstr))
    out = {"init_spi": m.init_SPI.hex(), "resp_spi": m.resp_SPI.hex(), "exch_type": m.exch_type,
           "flags": int(m.flags), "id": m.id, "length": m.length, "payloads": []}
    p = m.payload
    while p is not None and p.name != "NoPayload" and p.__class__.__name__ != "Raw":
        cls = p.__class__.__name__
        item = {"type": cls}
        if isinstance(p, IKEv2_payload_SA):
            props = []
            q = p.prop
            while q is not None and isinstance(q, IKEv2_payload_Proposal):
                ts = []
                t = q.trans
                while t is not None and isinstance(t, IKEv2_payload_Transform):
                    ts.append([int(t.transform_type), int(t.transform_id), int(t.key_length or 0)])
                    t = t.payload if isinstance(t.payload, IKEv2_payload_Transform) else None
                props.append({"num": q.proposal, "proto": q.proto, "spi": bytes(q.SPI).hex(), "transforms": ts})
                q = q.payload if isinstance(q.payload, IKEv2_payload_Proposal) else None
            item["proposals"] = props
        elif isinstance(p, IKEv2_payload_KE):
            item["group"] = p.group
            item["len"] = len(p.load)
        elif isinstance(p, IKEv2_payload_Nonce):
            item["len"] = len(p.load)
        elif isinstance(p, IKEv2_payload_Notify):
            item["notify"] = p.type
            item["data"] = bytes(p.load).hex()
        elif isinstance(p, (IKEv2_payload_TSi, IKEv2_payload_TSr)):
            item["ts"] = [[t.starting_address_v4, t.ending_address_v4, t.start_port, t.end_port]
                          for t in p.traffic_selector]
        elif isinstance(p, IKEv2_payload_Delete):
            # Scapy 2.5 keeps the Delete body as one opaque field.
            item["body"] = bytes(p.vendorID).hex()
        out["payloads"].append(item)
        p = p.payload
    print(json.dumps(out))


def build():
    t = (IKEv2_payload_Transform(transform_type=1, transform_id=12, key_length=256)
         / IKEv2_payload_Transform(transform_type=2, transform_id=5)
         / IKEv2_payload_Transform(transform_type=3, transform_id=12)
         / IKEv2_payload_Transform(transform_type=4, transform_id=19))
    prop = IKEv2_payload_Proposal(proposal=1, proto=1, trans_nb=4, trans=t)
    # Scapy 2.5 leaves next_payload at 0 unless told; name each one.
    m = (IKEv2(init_SPI=bytes(range(1, 9)), exch_type=34, flags="Initiator", id=0, next_payload=33)
         / IKEv2_payload_SA(prop=prop, next_payload=34)
         / IKEv2_payload_KE(group=19, load=bytes(64), next_payload=40)
         / IKEv2_payload_Nonce(load=b"\x42" * 32, next_payload=41)
         / IKEv2_payload_Notify(type=16388, load=b"\x11" * 20, next_payload=0))
    print(bytes(m).hex())


if __name__ == "__main__":
    if sys.argv[1] == "decode":
        decode(sys.argv[2])
    else:
        build()
