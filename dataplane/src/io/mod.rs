#![cfg(target_os = "linux")]
//! The dataplane's only contact with the operating system: TUN queues for the clear-text side,
//! UDP and raw IP sockets for the protected side, and batched datagram I/O.
//!
//! Each worker thread owns its resources outright: one [`tun::TunQueue`], one
//! [`udp::UdpSocketFd`] bound with SO_REUSEPORT, and its own [`RecvBatch`] / [`SendBatch`].
//! Nothing here is shared or locked; the kernel does the fan-out (TUN flow hash, REUSEPORT
//! 4-tuple hash). Received packets land in slots shaped like a [`PacketBuf`]'s storage, with
//! headroom in front, so the engine works on them in place.
//!
//! Sockets hide the headers the engine's [`crate::engine::Engine::inbound`] wants to see
//! (UDP strips IP and UDP, raw IPv6 strips IPv6). [`synthesize_outer`] puts an equivalent
//! header back in the headroom, built from what the socket reported (source, packet-info
//! destination, ports).
//!
//! Linux only; every call is nonblocking and passes `WouldBlock` through.

mod batch;
pub mod raw;
mod sys;
pub mod tun;
pub mod udp;

pub use batch::{DEFAULT_BATCH, Flushed, PushError, RecvBatch, RecvMeta, SendBatch};

use crate::buf::{NoRoom, PacketBuf};
use crate::wire::ipv4::{self, Ipv4Repr};
use crate::wire::ipv6::{self, Ipv6Repr};
use crate::wire::udp::{self as udp_wire, UdpRepr};
use crate::wire::{WireError, proto};
use std::net::IpAddr;

/// Hop limit written into synthesized headers: the socket does not report the real one.
/// It only matters for transport mode, whose inner packet inherits the outer header.
pub const SYNTHESIZED_TTL: u8 = 64;

/// Why [`synthesize_outer`] could not build a header. The buffer is unchanged on error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OuterError {
    #[error(transparent)]
    NoRoom(#[from] NoRoom),
    #[error("source and destination address families differ")]
    MixedFamilies,
    #[error("UDP encapsulation carries only ESP, not protocol {0}")]
    UdpNotEsp(u8),
    #[error("payload of {0} bytes is too long for one IP packet")]
    TooLong(usize),
    #[error(transparent)]
    Wire(#[from] WireError),
}

/// Prepends an IPv4 or IPv6 header from `src` to `dst` (and a UDP header with ports
/// `(src_port, dst_port)` when `udp` is set) in front of a payload that a socket delivered
/// without them, so the buffer holds a whole IP packet for `Engine::inbound`.
///
/// `protocol` is what the payload is: ESP or AH for a raw IPv6 socket; with `udp` the IP
/// header carries UDP and `protocol` must be ESP (RFC 3948 encapsulates nothing else). The
/// synthesized UDP checksum is zero (the kernel already verified the real one); IPv4 headers
/// get a valid header checksum, identification 0, no DF, and TTL [`SYNTHESIZED_TTL`].
pub fn synthesize_outer(
    buf: &mut PacketBuf<'_>,
    src: IpAddr,
    dst: IpAddr,
    udp: Option<(u16, u16)>,
    protocol: u8,
) -> Result<(), OuterError> {
    if udp.is_some() && protocol != proto::ESP {
        return Err(OuterError::UdpNotEsp(protocol));
    }
    let udp_len = if udp.is_some() {
        udp_wire::HEADER_LEN
    } else {
        0
    };
    let ip_protocol = if udp.is_some() { proto::UDP } else { protocol };
    let payload_len = buf.len();
    // Everything that can fail is checked before the buffer is touched.
    let ip_len = match (src, dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) => ipv4::HEADER_LEN,
        (IpAddr::V6(_), IpAddr::V6(_)) => ipv6::HEADER_LEN,
        _ => return Err(OuterError::MixedFamilies),
    };
    // IPv4 counts its header in the 16-bit total length, IPv6 only the payload.
    let counted = if src.is_ipv4() { ip_len } else { 0 } + udp_len + payload_len;
    if counted > usize::from(u16::MAX) {
        return Err(OuterError::TooLong(payload_len));
    }
    let headers = ip_len + udp_len;
    if headers > buf.headroom() {
        return Err(NoRoom {
            needed: headers - buf.headroom(),
        }
        .into());
    }
    if let Some((src_port, dst_port)) = udp {
        UdpRepr {
            src_port,
            dst_port,
            payload_len,
        }
        .emit(buf.prepend(udp_wire::HEADER_LEN)?)?;
    }
    let ip_payload_len = udp_len + payload_len;
    match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => Ipv4Repr {
            src,
            dst,
            protocol: ip_protocol,
            payload_len: ip_payload_len,
            ttl: SYNTHESIZED_TTL,
            tos: 0,
            ident: 0,
            dont_fragment: false,
        }
        .emit(buf.prepend(ipv4::HEADER_LEN)?)?,
        (IpAddr::V6(src), IpAddr::V6(dst)) => Ipv6Repr {
            src,
            dst,
            next_header: ip_protocol,
            payload_len: ip_payload_len,
            hop_limit: SYNTHESIZED_TTL,
            traffic_class: 0,
            flow_label: 0,
        }
        .emit(buf.prepend(ipv6::HEADER_LEN)?)?,
        _ => return Err(OuterError::MixedFamilies),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buf::DEFAULT_HEADROOM;
    use crate::mode::OuterPacket;
    use crate::wire::ip::IpSummary;
    use crate::wire::ipv4::Ipv4Packet;

    const ESP: [u8; 12] = [0, 0, 0x10, 1, 0, 0, 0, 7, 0xaa, 0xbb, 0xcc, 0xdd];

    #[test]
    fn ipv4_udp_round_trip() {
        let mut storage = [0u8; 256];
        let mut b = PacketBuf::copy_in(&mut storage, DEFAULT_HEADROOM, &ESP).unwrap();
        let (src, dst) = (
            "198.51.100.7".parse().unwrap(),
            "192.0.2.1".parse().unwrap(),
        );
        synthesize_outer(&mut b, src, dst, Some((40123, 4500)), proto::ESP).unwrap();
        assert_eq!(b.len(), 20 + 8 + ESP.len());
        assert!(Ipv4Packet::new_checked(b.data()).unwrap().verify_checksum());
        let s = IpSummary::parse(b.data()).unwrap();
        assert_eq!(
            (s.src, s.dst, s.protocol, s.total_len),
            (src, dst, 17, b.len())
        );
        assert_eq!(s.ports(b.data()), (40123, 4500));
        let o = OuterPacket::parse(b.data()).unwrap();
        assert_eq!(o.protocol, proto::ESP);
        assert_eq!(o.ipsec_offset, 28);
        let encap = o.encap.unwrap();
        assert_eq!((encap.src_port, encap.dst_port), (40123, 4500));
        assert_eq!(&b.data()[o.ipsec_offset..], &ESP);
    }

    #[test]
    fn ipv6_raw_round_trip() {
        let mut storage = [0u8; 256];
        let mut b = PacketBuf::copy_in(&mut storage, DEFAULT_HEADROOM, &ESP).unwrap();
        let (src, dst) = (
            "2001:db8::7".parse().unwrap(),
            "2001:db8::1".parse().unwrap(),
        );
        synthesize_outer(&mut b, src, dst, None, proto::AH).unwrap();
        let o = OuterPacket::parse(b.data()).unwrap();
        assert_eq!(
            (o.src, o.dst, o.protocol, o.ipv6),
            (src, dst, proto::AH, true)
        );
        assert_eq!((o.ipsec_offset, o.encap.is_none()), (40, true));
        assert_eq!(
            IpSummary::parse(b.data()).unwrap().total_len,
            40 + ESP.len()
        );
    }

    #[test]
    fn refusals_leave_the_buffer_alone() {
        let mut storage = [0u8; 64];
        let mut b = PacketBuf::copy_in(&mut storage, 30, &ESP).unwrap();
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            synthesize_outer(&mut b, v4, v6, None, proto::ESP),
            Err(OuterError::MixedFamilies)
        );
        assert_eq!(
            synthesize_outer(&mut b, v4, v4, Some((1, 2)), proto::AH),
            Err(OuterError::UdpNotEsp(proto::AH))
        );
        assert_eq!(
            synthesize_outer(&mut b, v6, v6, None, proto::ESP),
            Err(OuterError::NoRoom(NoRoom { needed: 10 }))
        );
        assert_eq!(b.data(), &ESP);
        assert_eq!(b.headroom(), 30);
        let mut big = vec![0u8; 70_000];
        let mut b = PacketBuf::new(&mut big, 64, 65_520).unwrap();
        assert_eq!(
            synthesize_outer(&mut b, v4, v4, None, proto::ESP),
            Err(OuterError::TooLong(65_520))
        );
        // IPv6 does not count its own header: the same payload fits.
        synthesize_outer(&mut b, v6, v6, None, proto::ESP).unwrap();
    }
}
