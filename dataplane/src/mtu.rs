//! Keeping packets inside the tunnel's MTU: TCP MSS clamping on SYNs entering the tunnel, and
//! the ICMP "fragmentation needed" / ICMPv6 "packet too big" replies that make senders shrink
//! oversized packets instead of stalling (the most common tunnel complaint).

use crate::wire::icmp;
use crate::wire::ip::IpSummary;
use crate::wire::ipv4::{self, Ipv4Packet, Ipv4Repr};
use crate::wire::ipv6::{self, Ipv6Repr};
use crate::wire::tcp::{FLAG_SYN, TcpPacket};
use crate::wire::{checksum, proto};
use std::net::IpAddr;

/// The largest TCP payload that fits `mtu` for this packet's IP version (no options).
pub fn mss_for_mtu(mtu: usize, ipv6: bool) -> u16 {
    let headers = if ipv6 { 60 } else { 40 };
    mtu.saturating_sub(headers).min(u16::MAX as usize) as u16
}

/// Lowers the MSS option of a TCP SYN to `max_mss`. Returns whether the packet changed.
pub fn clamp_mss(packet: &mut [u8], max_mss: u16) -> bool {
    let Ok(s) = IpSummary::parse(packet) else {
        return false;
    };
    let (proto::TCP, Some(offset)) = (s.protocol, s.upper_offset) else {
        return false;
    };
    let end = s.total_len.min(packet.len());
    let Some(segment) = packet.get_mut(offset..end) else {
        return false;
    };
    let Ok(mut tcp) = TcpPacket::new_checked(segment) else {
        return false;
    };
    if tcp.flags() & FLAG_SYN == 0 {
        return false;
    }
    match tcp.mss_option() {
        Some((mss, at)) if mss > max_mss => {
            tcp.set_mss(at, max_mss);
            true
        }
        _ => false,
    }
}

/// Whether `packet` may not be fragmented on its way (IPv4 DF set, or IPv6).
pub fn dont_fragment(packet: &[u8]) -> bool {
    match Ipv4Packet::new_checked(packet) {
        Ok(p) => p.dont_fragment(),
        Err(_) => true,
    }
}

/// Builds into `out` the ICMP error telling the sender of `packet` that only `mtu` bytes fit,
/// from `local` (an address of ours on the sender's side). Returns the reply's length, or
/// `None` when no error may be sent (the packet is itself an ICMP error, or unparsable).
pub fn too_big_reply(packet: &[u8], mtu: u16, local: IpAddr, out: &mut [u8]) -> Option<usize> {
    let s = IpSummary::parse(packet).ok()?;
    let icmp_type = s.upper_offset.and_then(|o| packet.get(o)).copied();
    match (s.src, local) {
        (IpAddr::V4(sender), IpAddr::V4(local)) => {
            if s.protocol == proto::ICMP && icmp_type.is_some_and(icmp::is_icmpv4_error) {
                return None;
            }
            // RFC 792: the original IP header plus the first 8 bytes of its payload.
            let header_len = Ipv4Packet::new_checked(packet).ok()?.header_len();
            let quote = (header_len + 8).min(s.total_len).min(packet.len());
            let icmp_len = icmp::HEADER_LEN + quote;
            let total = ipv4::HEADER_LEN + icmp_len;
            let reply = out.get_mut(..total)?;
            reply[ipv4::HEADER_LEN + icmp::HEADER_LEN..].copy_from_slice(&packet[..quote]);
            icmp::emit_frag_needed(&mut reply[ipv4::HEADER_LEN..], mtu).ok()?;
            Ipv4Repr {
                src: local,
                dst: sender,
                protocol: proto::ICMP,
                payload_len: icmp_len,
                ttl: 64,
                tos: 0,
                ident: 0,
                dont_fragment: false,
            }
            .emit(reply)
            .ok()?;
            Some(total)
        }
        (IpAddr::V6(sender), IpAddr::V6(local)) => {
            if s.protocol == proto::ICMPV6 && icmp_type.is_some_and(icmp::is_icmpv6_error) {
                return None;
            }
            // RFC 4443 2.4(c): as much of the packet as fits in the minimum MTU.
            let room = 1280 - ipv6::HEADER_LEN - icmp::HEADER_LEN;
            let quote = room.min(s.total_len).min(packet.len());
            let icmp_len = icmp::HEADER_LEN + quote;
            let total = ipv6::HEADER_LEN + icmp_len;
            let reply = out.get_mut(..total)?;
            reply[ipv6::HEADER_LEN + icmp::HEADER_LEN..].copy_from_slice(&packet[..quote]);
            let pseudo =
                checksum::pseudo_header(local.into(), sender.into(), proto::ICMPV6, icmp_len);
            icmp::emit_packet_too_big(&mut reply[ipv6::HEADER_LEN..], mtu as u32, pseudo).ok()?;
            Ipv6Repr {
                src: local,
                dst: sender,
                next_header: proto::ICMPV6,
                payload_len: icmp_len,
                hop_limit: 64,
                traffic_class: 0,
                flow_label: 0,
            }
            .emit(reply)
            .ok()?;
            Some(total)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum::checksum;

    fn syn(mss: u16) -> Vec<u8> {
        let mut p = vec![0u8; 20 + 24];
        Ipv4Repr {
            src: [10, 201, 1, 10].into(),
            dst: [10, 201, 2, 10].into(),
            protocol: proto::TCP,
            payload_len: 24,
            ttl: 64,
            tos: 0,
            ident: 1,
            dont_fragment: true,
        }
        .emit(&mut p)
        .unwrap();
        let t = &mut p[20..];
        t[..4].copy_from_slice(&[0xc3, 0x50, 0x14, 0x51]);
        t[12] = 0x60;
        t[13] = FLAG_SYN;
        t[20..24].copy_from_slice(&[2, 4, (mss >> 8) as u8, mss as u8]);
        checksum::fill_transport_checksum(&mut p, 20, proto::TCP);
        p
    }

    fn tcp_checksum_ok(p: &[u8]) -> bool {
        let sum = checksum::pseudo_header(
            "10.201.1.10".parse().unwrap(),
            "10.201.2.10".parse().unwrap(),
            proto::TCP,
            p.len() - 20,
        );
        checksum::finish(checksum::accumulate(sum, &p[20..])) == 0
    }

    #[test]
    fn clamps_large_mss_only() {
        let mut p = syn(1460);
        assert!(tcp_checksum_ok(&p));
        assert!(clamp_mss(&mut p, 1360));
        assert_eq!(&p[42..44], &1360u16.to_be_bytes());
        assert!(tcp_checksum_ok(&p));
        let mut small = syn(1200);
        assert!(!clamp_mss(&mut small, 1360));
        let mut not_syn = syn(1460);
        not_syn[33] = 0x10;
        assert!(!clamp_mss(&mut not_syn, 1360));
    }

    #[test]
    fn frag_needed_quotes_header_and_8_bytes() {
        let p = syn(1460);
        let mut out = [0u8; 128];
        let n = too_big_reply(&p, 1400, "10.201.1.1".parse().unwrap(), &mut out).unwrap();
        assert_eq!(n, 20 + 8 + 28);
        let reply = Ipv4Packet::new_checked(&out[..n]).unwrap();
        assert_eq!(reply.dst_addr(), std::net::Ipv4Addr::new(10, 201, 1, 10));
        assert!(reply.verify_checksum());
        let icmp = reply.payload();
        assert_eq!(&icmp[..2], &[3, 4]);
        assert_eq!(&icmp[6..8], &1400u16.to_be_bytes());
        assert_eq!(checksum(icmp), 0);
        assert_eq!(&icmp[8..], &p[..28]);
    }

    #[test]
    fn no_error_about_an_error() {
        let mut p = syn(1460);
        p[9] = proto::ICMP;
        p[20] = 3;
        let mut out = [0u8; 128];
        assert!(too_big_reply(&p, 1400, "10.201.1.1".parse().unwrap(), &mut out).is_none());
    }

    #[test]
    fn packet_too_big_for_ipv6() {
        let mut p = vec![0u8; 40 + 1400];
        Ipv6Repr {
            src: "2001:db8:201:1::10".parse().unwrap(),
            dst: "2001:db8:201:2::10".parse().unwrap(),
            next_header: proto::UDP,
            payload_len: 1400,
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0,
        }
        .emit(&mut p)
        .unwrap();
        let local: IpAddr = "2001:db8:201:1::1".parse().unwrap();
        let mut out = vec![0u8; 1500];
        let n = too_big_reply(&p, 1380, local, &mut out).unwrap();
        assert_eq!(n, 1280);
        assert_eq!(out[40], 2);
        assert_eq!(&out[44..48], &1380u32.to_be_bytes());
        let sender: IpAddr = "2001:db8:201:1::10".parse().unwrap();
        let sum = checksum::pseudo_header(local, sender, proto::ICMPV6, n - 40);
        assert_eq!(checksum::finish(checksum::accumulate(sum, &out[40..n])), 0);
    }
}
