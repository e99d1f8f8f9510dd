//! decap(encap(p)) == p for every transform, both modes, both IP versions, with and without
//! ESN and UDP encapsulation, on random packets (proptest). Also the negative paths: tampering,
//! replays and wrong keys each map to their statistics counter's drop reason.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use std::net::IpAddr;
use tunsec_dataplane::DropReason;
use tunsec_dataplane::buf::{DEFAULT_HEADROOM, DEFAULT_TAILROOM, PacketBuf};
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm};
use tunsec_dataplane::mode::OuterPacket;
use tunsec_dataplane::sa::{
    Direction, IpsecProtocol, Lifetime, Mode, Padding, SaParams, SecurityAssociation, Timestamp,
    UdpEncap,
};
use tunsec_dataplane::wire::ipv4::Ipv4Repr;
use tunsec_dataplane::wire::ipv6::Ipv6Repr;
use tunsec_dataplane::wire::{checksum, udp::UdpRepr};
use tunsec_dataplane::{ah, esp};
use zeroize::Zeroizing;

const NOW: Timestamp = Timestamp(1_000);

#[derive(Debug, Clone)]
struct Case {
    protocol: IpsecProtocol,
    enc: EncAlgorithm,
    auth: AuthAlgorithm,
    mode: Mode,
    ipv6_outer: bool,
    ipv6_inner: bool,
    esn: bool,
    encap: bool,
    tfc: Option<u16>,
}

fn key(len: usize, seed: u8) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect(),
    )
}

fn endpoints(v6: bool) -> (IpAddr, IpAddr) {
    if v6 {
        (
            "2001:db8:1::1".parse().unwrap(),
            "2001:db8:2::1".parse().unwrap(),
        )
    } else {
        ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap())
    }
}

fn sa_pair(c: &Case) -> (SecurityAssociation, SecurityAssociation) {
    let (src, dst) = endpoints(c.ipv6_outer);
    let params = |direction| SaParams {
        spi: 0x1000_2001,
        direction,
        protocol: c.protocol,
        mode: c.mode,
        src,
        dst,
        encap: c.encap.then(UdpEncap::default),
        enc: c.enc,
        enc_key: key(c.enc.key_len(), 1),
        auth: c.auth,
        auth_key: key(c.auth.key_len(), 2),
        esn: c.esn,
        replay_window: 1024,
        lifetime: Lifetime::default(),
        padding: c.tfc.map_or(Padding::Minimal, Padding::TfcPadTo),
        iv_seed: 0x0102_0304_0506_0708,
    };
    (
        SecurityAssociation::new(params(Direction::Outbound), NOW).unwrap(),
        SecurityAssociation::new(params(Direction::Inbound), NOW).unwrap(),
    )
}

/// An IP packet carrying a valid UDP datagram with `data` between `src` and `dst`.
fn ip_packet(src: IpAddr, dst: IpAddr, data: &[u8]) -> Vec<u8> {
    let ip_len = if src.is_ipv4() { 20 } else { 40 };
    let mut payload = vec![0u8; 8];
    UdpRepr {
        src_port: 5001,
        dst_port: 5201,
        payload_len: data.len(),
    }
    .emit(&mut payload)
    .unwrap();
    payload.extend_from_slice(data);
    let mut p = vec![0u8; ip_len];
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Ipv4Repr {
            src: s,
            dst: d,
            protocol: 17,
            payload_len: payload.len(),
            ttl: 64,
            tos: 0x10,
            ident: 7,
            dont_fragment: true,
        }
        .emit(&mut p)
        .unwrap(),
        (IpAddr::V6(s), IpAddr::V6(d)) => Ipv6Repr {
            src: s,
            dst: d,
            next_header: 17,
            payload_len: payload.len(),
            hop_limit: 64,
            traffic_class: 0x10,
            flow_label: 0,
        }
        .emit(&mut p)
        .unwrap(),
        _ => unreachable!(),
    }
    p.extend_from_slice(&payload);
    checksum::fill_transport_checksum(&mut p, ip_len, 17);
    p
}

fn inner_packet(c: &Case, payload: &[u8]) -> Vec<u8> {
    match c.mode {
        Mode::Tunnel => {
            let (s, d) = if c.ipv6_inner {
                (
                    "2001:db8:201:1::5".parse().unwrap(),
                    "2001:db8:201:2::5".parse().unwrap(),
                )
            } else {
                ("10.201.1.5".parse().unwrap(), "10.201.2.5".parse().unwrap())
            };
            ip_packet(s, d, payload)
        }
        Mode::Transport => {
            let (s, d) = endpoints(c.ipv6_outer);
            ip_packet(s, d, payload)
        }
    }
}

fn encap(
    sa: &mut SecurityAssociation,
    storage: &mut [u8],
    packet: &[u8],
) -> Result<Vec<u8>, DropReason> {
    let mut buf = PacketBuf::copy_in(storage, DEFAULT_HEADROOM, packet).unwrap();
    match sa.params().protocol {
        IpsecProtocol::Esp => esp::encapsulate(sa, &mut buf, NOW)?,
        IpsecProtocol::Ah => ah::encapsulate(sa, &mut buf, NOW)?,
    };
    Ok(buf.data().to_vec())
}

fn decap(sa: &mut SecurityAssociation, wire: &[u8]) -> Result<Vec<u8>, DropReason> {
    let mut storage = vec![0u8; DEFAULT_HEADROOM + wire.len() + DEFAULT_TAILROOM];
    let mut buf = PacketBuf::copy_in(&mut storage, DEFAULT_HEADROOM, wire).unwrap();
    let outer = OuterPacket::parse(buf.data())?;
    let d = match sa.params().protocol {
        IpsecProtocol::Esp => esp::decapsulate(sa, &outer, &mut buf, NOW)?,
        IpsecProtocol::Ah => ah::decapsulate(sa, &outer, &mut buf, NOW)?,
    };
    assert!(d.has_payload);
    Ok(buf.data().to_vec())
}

fn normalise_transport(packet: &[u8]) -> Vec<u8> {
    // Transport mode keeps the header; only total length and checksum are rewritten, and they
    // come back equal. Nothing to normalise, but keep one place to say so.
    packet.to_vec()
}

fn cases() -> impl Strategy<Value = Case> {
    let esp_enc = proptest::sample::select(EncAlgorithm::all().to_vec());
    let auth = proptest::sample::select(AuthAlgorithm::all().to_vec());
    (
        any::<bool>(),
        esp_enc,
        auth,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0u16..1600),
    )
        .prop_map(|(use_ah, enc, auth, tunnel, v6o, v6i, esn, encap, tfc)| {
            let protocol = if use_ah {
                IpsecProtocol::Ah
            } else {
                IpsecProtocol::Esp
            };
            let mut auth = auth;
            if protocol == IpsecProtocol::Ah && auth == AuthAlgorithm::Null {
                auth = AuthAlgorithm::Sha256;
            }
            if protocol == IpsecProtocol::Esp {
                if enc.is_aead() {
                    auth = AuthAlgorithm::Null;
                } else if enc == EncAlgorithm::Null && auth == AuthAlgorithm::Null {
                    auth = AuthAlgorithm::Sha1;
                }
            }
            let mode = if tunnel {
                Mode::Tunnel
            } else {
                Mode::Transport
            };
            Case {
                protocol,
                enc,
                auth,
                mode,
                ipv6_outer: v6o,
                ipv6_inner: if tunnel { v6i } else { v6o },
                esn,
                encap: encap && protocol == IpsecProtocol::Esp,
                tfc: if protocol == IpsecProtocol::Esp {
                    tfc
                } else {
                    None
                },
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decap_of_encap_is_identity(c in cases(), payload in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let (mut out, mut inb) = sa_pair(&c);
        let packet = inner_packet(&c, &payload);
        let mut storage = vec![0u8; DEFAULT_HEADROOM + packet.len() + 1600 + DEFAULT_TAILROOM];
        let wire = encap(&mut out, &mut storage, &packet).unwrap();
        prop_assert_ne!(&wire, &packet);
        let back = decap(&mut inb, &wire).unwrap();
        prop_assert_eq!(normalise_transport(&back), packet);
        prop_assert_eq!(inb.current_packets(), 1);
        // The same packet again is a replay.
        prop_assert_eq!(decap(&mut inb, &wire).unwrap_err(), DropReason::InStateSequenceErrors);
    }

    #[test]
    fn any_flipped_bit_is_refused(c in cases().prop_filter("needs integrity", |c| {
        c.enc.is_aead() || c.auth != AuthAlgorithm::Null
    }), payload in proptest::collection::vec(any::<u8>(), 1..300), flip in any::<prop::sample::Index>()) {
        let (mut out, mut inb) = sa_pair(&c);
        let packet = inner_packet(&c, &payload);
        let mut storage = vec![0u8; DEFAULT_HEADROOM + packet.len() + 1600 + DEFAULT_TAILROOM];
        let mut wire = encap(&mut out, &mut storage, &packet).unwrap();
        let outer = OuterPacket::parse(&wire).unwrap();
        // Flip a bit in the authenticated part: from the IPsec header on.
        let start = outer.ipsec_offset;
        let at = start + flip.index(wire.len() - start);
        wire[at] ^= 0x01;
        let err = decap(&mut inb, &wire).unwrap_err();
        // A flip in the SPI finds no SA; one in the sequence number may land outside the window
        // or authenticate wrongly; anything else fails the ICV (or, for AH, the length check).
        prop_assert!(matches!(err,
            DropReason::InStateProtocolErrors | DropReason::InNoStates |
            DropReason::InStateSequenceErrors | DropReason::InHeaderErrors), "{:?}", err);
        prop_assert_eq!(inb.current_packets(), 0);
    }
}

#[test]
fn wrong_key_counts_protocol_error() {
    let c = Case {
        protocol: IpsecProtocol::Esp,
        enc: EncAlgorithm::AesGcm {
            key: tunsec_dataplane::crypto::KeyBits::K128,
            icv_len: 16,
        },
        auth: AuthAlgorithm::Null,
        mode: Mode::Tunnel,
        ipv6_outer: false,
        ipv6_inner: false,
        esn: false,
        encap: false,
        tfc: None,
    };
    let (mut out, _) = sa_pair(&c);
    let mut other = c.clone();
    other.enc = c.enc;
    let (_, mut inb) = sa_pair(&other);
    let mut inb_params = inb.params().clone();
    inb_params.enc_key = key(c.enc.key_len(), 99);
    inb = SecurityAssociation::new(inb_params, NOW).unwrap();
    let packet = inner_packet(&c, b"hello");
    let mut storage = vec![0u8; 4096];
    let wire = encap(&mut out, &mut storage, &packet).unwrap();
    assert_eq!(
        decap(&mut inb, &wire).unwrap_err(),
        DropReason::InStateProtocolErrors
    );
}

#[test]
fn encapsulation_mismatch_is_a_state_mismatch() {
    let mut c = Case {
        protocol: IpsecProtocol::Esp,
        enc: EncAlgorithm::AesCbc(tunsec_dataplane::crypto::KeyBits::K256),
        auth: AuthAlgorithm::Sha256,
        mode: Mode::Tunnel,
        ipv6_outer: false,
        ipv6_inner: false,
        esn: false,
        encap: true,
        tfc: None,
    };
    let (mut out, _) = sa_pair(&c);
    c.encap = false;
    let (_, mut inb) = sa_pair(&c);
    let packet = inner_packet(&c, b"hello");
    let mut storage = vec![0u8; 4096];
    let wire = encap(&mut out, &mut storage, &packet).unwrap();
    assert_eq!(
        decap(&mut inb, &wire).unwrap_err(),
        DropReason::InStateMismatches
    );
}

#[test]
fn transport_mode_refuses_foreign_addresses() {
    let c = Case {
        protocol: IpsecProtocol::Esp,
        enc: EncAlgorithm::AesCtr(tunsec_dataplane::crypto::KeyBits::K128),
        auth: AuthAlgorithm::Sha1,
        mode: Mode::Transport,
        ipv6_outer: false,
        ipv6_inner: false,
        esn: false,
        encap: false,
        tfc: None,
    };
    let (mut out, _) = sa_pair(&c);
    let packet = ip_packet(
        "10.201.1.1".parse().unwrap(),
        "10.201.2.1".parse().unwrap(),
        b"x",
    );
    let mut storage = vec![0u8; 4096];
    assert_eq!(
        encap(&mut out, &mut storage, &packet).unwrap_err(),
        DropReason::OutStateModeErrors
    );
}

#[test]
fn sequence_exhaustion_kills_the_sa() {
    let c = Case {
        protocol: IpsecProtocol::Esp,
        enc: EncAlgorithm::ChaCha20Poly1305,
        auth: AuthAlgorithm::Null,
        mode: Mode::Tunnel,
        ipv6_outer: true,
        ipv6_inner: false,
        esn: false,
        encap: false,
        tfc: None,
    };
    let (mut out, _) = sa_pair(&c);
    out.set_next_sequence(u32::MAX as u64);
    let packet = inner_packet(&c, b"last");
    let mut storage = vec![0u8; 4096];
    assert!(encap(&mut out, &mut storage, &packet).is_ok());
    assert_eq!(
        encap(&mut out, &mut storage, &packet).unwrap_err(),
        DropReason::OutStateSequenceErrors
    );
    assert_eq!(
        encap(&mut out, &mut storage, &packet).unwrap_err(),
        DropReason::OutStateExpired
    );
}

/// Transport mode behind IPv6 extension headers: ESP/AH go after hop-by-hop, before the
/// destination options (RFC 4303 3.1.1, RFC 4302 3.1.1). Removing them used to panic (the
/// next-header rewrite walked the chain by the stale payload length).
#[test]
fn transport_mode_behind_ipv6_extension_headers() {
    for protocol in [IpsecProtocol::Esp, IpsecProtocol::Ah] {
        let c = Case {
            protocol,
            enc: EncAlgorithm::AesCbc(tunsec_dataplane::crypto::KeyBits::K128),
            auth: AuthAlgorithm::Sha256,
            mode: Mode::Transport,
            ipv6_outer: true,
            ipv6_inner: true,
            esn: false,
            encap: false,
            tfc: None,
        };
        let (mut out, mut inb) = sa_pair(&c);
        let plain = inner_packet(&c, b"behind extension headers");
        // IPv6 -> hop-by-hop (router alert) -> destination options (PadN) -> UDP
        let mut packet = plain[..40].to_vec();
        packet[6] = 0;
        packet.extend_from_slice(&[60, 0, 5, 2, 0, 0, 1, 0]);
        packet.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
        packet.extend_from_slice(&plain[40..]);
        let plen = (packet.len() - 40) as u16;
        packet[4..6].copy_from_slice(&plen.to_be_bytes());

        let mut storage = vec![0u8; 4096];
        storage.fill(0xa5); // what a recycled buffer may hold where the new header goes
        let wire = encap(&mut out, &mut storage, &packet).unwrap();
        assert_eq!(
            wire[40],
            protocol.ip_protocol(),
            "{protocol:?} follows hop-by-hop"
        );
        assert_eq!(decap(&mut inb, &wire).unwrap(), packet, "{protocol:?}");
    }
}
