//! Tunnel and transport mode framing shared by ESP and AH: building the outer header, and
//! inserting or removing an IPsec header behind a packet's own IP header.

use crate::DropReason;
use crate::buf::PacketBuf;
use crate::sa::{Mode, SecurityAssociation, UdpEncap};
use crate::wire::ip::{self, IpSummary};
use crate::wire::ipv4::{self, Ipv4Packet, Ipv4Repr};
use crate::wire::ipv6::{self, Ipv6Packet, Ipv6Repr};
use crate::wire::udp::{self, UdpRepr};
use crate::wire::{WireError, proto};
use std::net::IpAddr;

pub const DEFAULT_TTL: u8 = 64;
/// The largest IP packet either version can carry without jumbograms.
pub const MAX_IP_LEN: usize = 65535;

/// What the outer header copies from the inner packet (RFC 4301 5.1.2).
#[derive(Debug, Clone, Copy, Default)]
pub struct InnerInfo {
    /// DSCP and ECN (RFC 6040 normal mode copies ECN too).
    pub tos: u8,
    pub dont_fragment: bool,
}

impl InnerInfo {
    pub fn of(packet: &[u8]) -> InnerInfo {
        match ip::version(packet) {
            Ok(4) => match Ipv4Packet::new_checked(packet) {
                Ok(p) => InnerInfo {
                    tos: p.tos(),
                    dont_fragment: p.dont_fragment(),
                },
                Err(_) => InnerInfo::default(),
            },
            // IPv6 is never fragmented on path, so its tunnel keeps DF set.
            Ok(_) => match Ipv6Packet::new_checked(packet) {
                Ok(p) => InnerInfo {
                    tos: p.traffic_class(),
                    dont_fragment: true,
                },
                Err(_) => InnerInfo::default(),
            },
            Err(_) => InnerInfo::default(),
        }
    }
}

/// Inner protocol number of a tunnel-mode payload (IPv4 or IPv6 inside).
///
/// The payload must be one whole IP packet: the receiver finds where it ends (and TFC padding
/// begins) from its own length field ([`tunnel_inner_len`]), so a truncated or malformed
/// packet would come out of the tunnel as a different one, padding included.
pub fn tunnel_next_header(inner: &[u8]) -> Result<u8, DropReason> {
    let s = IpSummary::parse(inner).map_err(|_| DropReason::OutStateModeErrors)?;
    Ok(if s.src.is_ipv4() {
        proto::IPV4
    } else {
        proto::IPV6
    })
}

/// Prepends UDP (when `encap`) and the outer IP header for tunnel mode. The current contents
/// of `buf` become the outer payload. `ident` fills the IPv4 identification field.
pub fn push_outer_header(
    buf: &mut PacketBuf,
    src: IpAddr,
    dst: IpAddr,
    ipsec_protocol: u8,
    encap: Option<UdpEncap>,
    inner: InnerInfo,
    ident: u16,
) -> Result<usize, DropReason> {
    let mut protocol = ipsec_protocol;
    if let Some(e) = encap {
        let payload_len = buf.len();
        let hdr = buf
            .prepend(udp::HEADER_LEN)
            .map_err(|_| DropReason::OutErrors)?;
        UdpRepr {
            src_port: e.src_port,
            dst_port: e.dst_port,
            payload_len,
        }
        .emit(hdr)
        .map_err(|_| DropReason::OutErrors)?;
        protocol = proto::UDP;
    }
    let payload_len = buf.len();
    match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            if payload_len + ipv4::HEADER_LEN > MAX_IP_LEN {
                return Err(DropReason::OutErrors);
            }
            let hdr = buf
                .prepend(ipv4::HEADER_LEN)
                .map_err(|_| DropReason::OutErrors)?;
            Ipv4Repr {
                src,
                dst,
                protocol,
                payload_len,
                ttl: DEFAULT_TTL,
                tos: inner.tos,
                ident,
                dont_fragment: inner.dont_fragment,
            }
            .emit(hdr)
            .map_err(|_| DropReason::OutErrors)?;
            Ok(ipv4::HEADER_LEN)
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            if payload_len > MAX_IP_LEN {
                return Err(DropReason::OutErrors);
            }
            let hdr = buf
                .prepend(ipv6::HEADER_LEN)
                .map_err(|_| DropReason::OutErrors)?;
            Ipv6Repr {
                src,
                dst,
                next_header: protocol,
                payload_len,
                hop_limit: DEFAULT_TTL,
                traffic_class: inner.tos,
                flow_label: 0,
            }
            .emit(hdr)
            .map_err(|_| DropReason::OutErrors)?;
            Ok(ipv6::HEADER_LEN)
        }
        _ => Err(DropReason::OutStateModeErrors),
    }
}

/// Where a transport-mode IPsec header goes in an outbound packet, and the protocol it
/// displaces (which becomes the IPsec header's next header).
#[derive(Debug, Clone, Copy)]
pub struct TransportSplit {
    pub header_len: usize,
    pub next_header: u8,
    pub ipv6: bool,
}

/// Checks a packet may use a transport-mode SA (its addresses are the SA's, as the manual
/// requires, and it is not a fragment) and finds the insertion point.
///
/// RFC 4301 section 7: transport-mode SAs do not carry fragments. The IPsec header would sit
/// in one fragment only, and an IPv4 packet sent with the fragment's MF flag or offset is one
/// no receiver can decapsulate before reassembly that never completes.
pub fn transport_split(
    packet: &[u8],
    sa: &SecurityAssociation,
) -> Result<TransportSplit, DropReason> {
    let s = IpSummary::parse(packet).map_err(|_| DropReason::OutStateModeErrors)?;
    let p = sa.params();
    if s.src != p.src || s.dst != p.dst {
        return Err(DropReason::OutStateModeErrors);
    }
    match ip::version(packet) {
        Ok(4) => {
            let v4 = Ipv4Packet::new_checked(packet).map_err(|_| DropReason::OutStateModeErrors)?;
            if v4.is_fragment() {
                return Err(DropReason::OutStateModeErrors);
            }
            Ok(TransportSplit {
                header_len: v4.header_len(),
                next_header: v4.protocol(),
                ipv6: false,
            })
        }
        _ => {
            let v6 = Ipv6Packet::new_checked(packet).map_err(|_| DropReason::OutStateModeErrors)?;
            let fragment = v6
                .extension_headers()
                .any(|e| e.is_ok_and(|e| e.kind == proto::FRAGMENT));
            if fragment {
                return Err(DropReason::OutStateModeErrors);
            }
            let (at, nh) = v6
                .ipsec_insertion_point()
                .map_err(|_| DropReason::OutStateModeErrors)?;
            Ok(TransportSplit {
                header_len: at,
                next_header: nh,
                ipv6: true,
            })
        }
    }
}

/// Opens `len` bytes behind the IP header for a transport-mode IPsec (and UDP) header, and
/// points the IP header at `protocol`. Lengths and checksum are fixed by [`finish_ip_header`].
pub fn transport_open(
    buf: &mut PacketBuf,
    split: &TransportSplit,
    len: usize,
    protocol: u8,
) -> Result<(), DropReason> {
    buf.open_gap(split.header_len, len)
        .map_err(|_| DropReason::OutErrors)?;
    set_protocol_at(buf.data_mut(), split.header_len, protocol, split.ipv6)
        .map_err(|_| DropReason::OutStateModeErrors)
}

/// Sets the protocol / next-header value that precedes offset `at`.
pub fn set_protocol_at(
    packet: &mut [u8],
    at: usize,
    protocol: u8,
    ipv6: bool,
) -> Result<(), WireError> {
    if ipv6 {
        Ipv6Packet::new_unchecked(packet).set_next_header_before(at, protocol)
    } else {
        Ipv4Packet::new_unchecked(packet).set_protocol(protocol);
        Ok(())
    }
}

/// Rewrites an IP header's length fields (and IPv4 checksum) after its packet changed size.
pub fn finish_ip_header(packet: &mut [u8], ipv6: bool) -> Result<(), DropReason> {
    let len = packet.len();
    if ipv6 {
        let payload = len
            .checked_sub(ipv6::HEADER_LEN)
            .ok_or(DropReason::OutErrors)?;
        let payload = u16::try_from(payload).map_err(|_| DropReason::OutErrors)?;
        Ipv6Packet::new_unchecked(packet).set_payload_len(payload);
    } else {
        let total = u16::try_from(len).map_err(|_| DropReason::OutErrors)?;
        let mut p = Ipv4Packet::new_unchecked(packet);
        p.set_total_len(total);
        p.fill_checksum();
    }
    Ok(())
}

/// The outer framing of a received IPsec packet.
#[derive(Debug, Clone, Copy)]
pub struct OuterPacket {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Offset of the ESP/AH header (after IP, extension headers and any UDP).
    pub ipsec_offset: usize,
    /// Offset where the IP header chain ends (== ipsec_offset unless UDP-encapsulated).
    pub ip_header_len: usize,
    /// The IP packet's length as its header declares it (link padding after it excluded).
    pub ip_len: usize,
    /// ESP or AH.
    pub protocol: u8,
    /// Source and destination UDP ports when UDP-encapsulated.
    pub encap: Option<UdpEncap>,
    pub ipv6: bool,
}

impl OuterPacket {
    /// Parses the outer headers of a received packet (already trimmed to its IP length).
    pub fn parse(packet: &[u8]) -> Result<OuterPacket, DropReason> {
        let s = IpSummary::parse(packet).map_err(|_| DropReason::InHeaderErrors)?;
        // Fragments are reassembled before they reach the engine (kernel sockets do it).
        let at = s.upper_offset.ok_or(DropReason::InHeaderErrors)?;
        let ipv6 = s.src.is_ipv6();
        if !ipv6 {
            let v4 = Ipv4Packet::new_unchecked(packet);
            if v4.more_fragments() {
                return Err(DropReason::InHeaderErrors);
            }
        }
        let mut outer = OuterPacket {
            src: s.src,
            dst: s.dst,
            ipsec_offset: at,
            ip_header_len: at,
            ip_len: s.total_len,
            protocol: s.protocol,
            encap: None,
            ipv6,
        };
        if s.protocol == proto::UDP {
            let datagram = &packet[at..s.total_len];
            let u =
                udp::UdpPacket::new_checked(datagram).map_err(|_| DropReason::InHeaderErrors)?;
            // RFC 768: the datagram is as long as its length field says. ESP read from bytes
            // beyond it would be bytes the sender's UDP never carried.
            if usize::from(u.len()) != datagram.len() {
                return Err(DropReason::InHeaderErrors);
            }
            outer.encap = Some(UdpEncap {
                src_port: u.src_port(),
                dst_port: u.dst_port(),
            });
            outer.ipsec_offset = at + udp::HEADER_LEN;
            outer.protocol = proto::ESP;
        }
        Ok(outer)
    }
}

/// Whether a received packet's encapsulation agrees with the SA's (RFC 3948: a UDP-encap SA
/// takes only UDP-encapsulated ESP, and a plain SA only plain ESP).
pub fn encap_matches(sa: &SecurityAssociation, outer: &OuterPacket) -> bool {
    sa.params().encap.is_some() == outer.encap.is_some()
}

/// Checks a tunnel-mode inner packet and trims TFC padding and link garbage after it.
pub fn tunnel_inner_len(inner: &[u8], next_header: u8) -> Result<usize, DropReason> {
    let expected = match next_header {
        proto::IPV4 => 4,
        proto::IPV6 => 6,
        _ => return Err(DropReason::InStateModeErrors),
    };
    if ip::version(inner) != Ok(expected) {
        return Err(DropReason::InStateModeErrors);
    }
    let s = IpSummary::parse(inner).map_err(|_| DropReason::InStateModeErrors)?;
    Ok(s.total_len)
}

/// The mode of an SA, for code that branches on it.
pub fn is_tunnel(sa: &SecurityAssociation) -> bool {
    sa.params().mode == Mode::Tunnel
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::crypto::{AuthAlgorithm, EncAlgorithm};
    use crate::sa::{Direction, IpsecProtocol, Lifetime, Padding, SaParams, Timestamp};

    fn transport_sa(src: IpAddr, dst: IpAddr) -> SecurityAssociation {
        let params = SaParams {
            spi: 0x1000,
            direction: Direction::Outbound,
            protocol: IpsecProtocol::Esp,
            mode: Mode::Transport,
            src,
            dst,
            encap: None,
            enc: EncAlgorithm::Null,
            enc_key: Default::default(),
            auth: AuthAlgorithm::Sha1,
            auth_key: zeroize::Zeroizing::new(vec![7; 20]),
            esn: false,
            replay_window: 64,
            lifetime: Lifetime::default(),
            padding: Padding::Minimal,
            iv_seed: 0,
        };
        SecurityAssociation::new(params, Timestamp(0)).unwrap()
    }

    #[test]
    fn tunnel_mode_refuses_partial_packets() {
        // Found by fuzzing (roundtrip target): a 3-byte "IPv4 packet" went into the tunnel
        // with TFC padding, and the receiver read the padding as the rest of a 768-byte one.
        assert_eq!(
            tunnel_next_header(&[0x4c, 0x61, 0x03]).unwrap_err(),
            DropReason::OutStateModeErrors
        );
        let mut p = [0u8; 28];
        Ipv4Repr {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            protocol: proto::UDP,
            payload_len: 8,
            ttl: 64,
            tos: 0,
            ident: 1,
            dont_fragment: false,
        }
        .emit(&mut p)
        .unwrap();
        assert_eq!(tunnel_next_header(&p), Ok(proto::IPV4));
        assert_eq!(
            tunnel_next_header(&p[..27]).unwrap_err(),
            DropReason::OutStateModeErrors
        );
    }

    #[test]
    fn transport_mode_refuses_fragments() {
        // Found by fuzzing (roundtrip target): an IPv4 first fragment went out in transport
        // mode with MF still set, an ESP packet its peer refuses to decapsulate.
        let (src, dst) = ([192, 0, 2, 1].into(), [192, 0, 2, 2].into());
        let sa = transport_sa(IpAddr::V4(src), IpAddr::V4(dst));
        let mut p = [0u8; 28];
        let mut repr = Ipv4Repr {
            src,
            dst,
            protocol: proto::UDP,
            payload_len: 8,
            ttl: 64,
            tos: 0,
            ident: 1,
            dont_fragment: false,
        };
        repr.emit(&mut p).unwrap();
        assert_eq!(transport_split(&p, &sa).unwrap().header_len, 20);
        for flags_frag in [0x2000, 0x0001, 0x2003] {
            Ipv4Packet::new_unchecked(&mut p[..]).set_flags_frag(flags_frag);
            assert_eq!(
                transport_split(&p, &sa).unwrap_err(),
                DropReason::OutStateModeErrors
            );
        }
        repr.dont_fragment = true;
        repr.emit(&mut p).unwrap();
        assert!(transport_split(&p, &sa).is_ok());

        // IPv6: a fragment header anywhere in the chain.
        let (src6, dst6) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        let sa = transport_sa(IpAddr::V6(src6), IpAddr::V6(dst6));
        let mut p = vec![0u8; 40];
        Ipv6Repr {
            src: src6,
            dst: dst6,
            next_header: proto::FRAGMENT,
            payload_len: 16,
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0,
        }
        .emit(&mut p)
        .unwrap();
        p.extend_from_slice(&[proto::UDP, 0, 0, 1, 0, 0, 0, 9]);
        p.extend_from_slice(&[0; 8]);
        assert_eq!(
            transport_split(&p, &sa).unwrap_err(),
            DropReason::OutStateModeErrors
        );
        p[6] = proto::UDP;
        assert_eq!(transport_split(&p, &sa).unwrap().header_len, 40);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod natt_tests {
    use super::*;

    /// IPv4 / UDP 4500 / an ESP header and 8 bytes, with `udp_len` in the UDP length field.
    fn natt_packet(udp_len: u16) -> Vec<u8> {
        let esp = [0x10, 0, 0, 1, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8];
        let mut p = vec![0u8; ipv4::HEADER_LEN + udp::HEADER_LEN];
        Ipv4Repr {
            src: "192.0.2.1".parse().unwrap(),
            dst: "192.0.2.2".parse().unwrap(),
            protocol: proto::UDP,
            payload_len: udp::HEADER_LEN + esp.len(),
            ttl: 64,
            tos: 0,
            ident: 1,
            dont_fragment: false,
        }
        .emit(&mut p)
        .unwrap();
        UdpRepr {
            src_port: 4500,
            dst_port: 4500,
            payload_len: esp.len(),
        }
        .emit(&mut p[ipv4::HEADER_LEN..])
        .unwrap();
        p[ipv4::HEADER_LEN + 4..ipv4::HEADER_LEN + 6].copy_from_slice(&udp_len.to_be_bytes());
        p.extend_from_slice(&esp);
        p
    }

    #[test]
    fn udp_encapsulated_esp_is_found_behind_udp() {
        let outer = OuterPacket::parse(&natt_packet(24)).unwrap();
        assert_eq!(outer.ipsec_offset, 28);
        assert_eq!(outer.ip_header_len, 20);
        assert_eq!(outer.encap, Some(UdpEncap::default()));
    }

    /// Scapy 2.5.0 sends IPv4 NAT-T packets whose UDP length says 8 (header only) and ESP
    /// after it; the ESP lies outside the datagram, so the packet is malformed.
    #[test]
    fn udp_length_must_cover_the_esp_packet() {
        for len in [8, 23, 25] {
            assert_eq!(
                OuterPacket::parse(&natt_packet(len)).unwrap_err(),
                DropReason::InHeaderErrors,
                "UDP length {len}"
            );
        }
    }
}
