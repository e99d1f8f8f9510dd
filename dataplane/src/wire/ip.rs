//! Version-independent reading of an IP packet: addresses, protocol and where the upper-layer
//! header starts. Used by the SPD selector and by mode checks after decapsulation.

use super::ipv4::Ipv4Packet;
use super::ipv6::Ipv6Packet;
use super::{Result, WireError};
use std::net::IpAddr;

/// The IP version nibble, or an error for an empty buffer or another version.
pub fn version(packet: &[u8]) -> Result<u8> {
    match packet.first().map(|b| b >> 4) {
        Some(v @ (4 | 6)) => Ok(v),
        Some(_) => Err(WireError::WrongProtocol),
        None => Err(WireError::Truncated),
    }
}

/// What the SPD and mode checks need from an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpSummary {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// Offset of the upper-layer header; `None` for non-first fragments.
    pub upper_offset: Option<usize>,
    /// Header plus payload as declared by the header.
    pub total_len: usize,
}

impl IpSummary {
    pub fn parse(packet: &[u8]) -> Result<Self> {
        match version(packet)? {
            4 => {
                let p = Ipv4Packet::new_checked(packet)?;
                let upper = (p.frag_offset() == 0).then(|| p.header_len());
                Ok(IpSummary {
                    src: p.src_addr().into(),
                    dst: p.dst_addr().into(),
                    protocol: p.protocol(),
                    upper_offset: upper,
                    total_len: p.total_len() as usize,
                })
            }
            _ => {
                let p = Ipv6Packet::new_checked(packet)?;
                let upper = p.upper_layer()?;
                Ok(IpSummary {
                    src: p.src_addr().into(),
                    dst: p.dst_addr().into(),
                    protocol: upper.protocol,
                    upper_offset: upper.offset,
                    total_len: p.total_len(),
                })
            }
        }
    }

    /// Source and destination ports for TCP, UDP and SCTP; (0, 0) for other protocols, for
    /// non-first fragments, and when the transport header is cut short.
    pub fn ports(&self, packet: &[u8]) -> (u16, u16) {
        use super::proto::{SCTP, TCP, UDP};
        match (self.protocol, self.upper_offset) {
            (TCP | UDP | SCTP, Some(off)) => {
                let end = self.total_len.min(packet.len());
                packet
                    .get(off..end)
                    .and_then(|t| super::tcp::ports(t).ok())
                    .unwrap_or((0, 0))
            }
            _ => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::Ipv4Repr;

    #[test]
    fn summarises_ipv4_udp() {
        let mut p = [0u8; 32];
        Ipv4Repr {
            src: [10, 201, 1, 1].into(),
            dst: [10, 201, 2, 1].into(),
            protocol: 17,
            payload_len: 12,
            ttl: 64,
            tos: 0,
            ident: 1,
            dont_fragment: false,
        }
        .emit(&mut p)
        .unwrap();
        p[20..24].copy_from_slice(&[0x01, 0xf4, 0x11, 0x94]);
        let s = IpSummary::parse(&p).unwrap();
        assert_eq!(s.protocol, 17);
        assert_eq!(s.ports(&p), (500, 4500));
        assert_eq!(version(&[0x50]).unwrap_err(), WireError::WrongProtocol);
        assert_eq!(version(&[]).unwrap_err(), WireError::Truncated);
    }
}
