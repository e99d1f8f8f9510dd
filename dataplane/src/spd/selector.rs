//! What the SPD matches a packet on, and the IKE traffic that never goes through it.

use std::net::IpAddr;

use super::IpProtocol;
use crate::wire::ip::IpSummary;
use crate::wire::{WireError, proto, tcp};

/// The fields of a packet the policy table matches (RFC 4301's selectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Selector {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol, after any IPv6 extension headers.
    pub protocol: u8,
    /// 0 when the protocol has no ports, and for non-first fragments.
    pub src_port: u16,
    pub dst_port: u16,
}

/// Why no selector could be read from a packet. The caller counts it as a header error
/// (`in-header-errors` inbound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("invalid IP header: {0}")]
    Ip(#[from] WireError),
    /// A TCP, UDP, SCTP, DCCP or UDP-Lite packet (or first fragment) too short to hold both ports. Refused
    /// rather than matched with port 0, so a tiny first fragment cannot slip past a
    /// port-specific policy.
    #[error("transport header too short to hold its ports")]
    TruncatedTransport,
}

impl Selector {
    /// Reads the selector of an IPv4 or IPv6 packet, skipping IPv6 extension headers.
    pub fn from_packet(packet: &[u8]) -> Result<Selector, SelectorError> {
        let ip = IpSummary::parse(packet)?;
        let (src_port, dst_port) = match ip.upper_offset {
            Some(offset) if IpProtocol(ip.protocol).has_ports() => {
                // `parse` checked that the declared length fits the buffer. TCP, UDP, SCTP,
                // DCCP and UDP-Lite all open with the two ports.
                let transport = packet.get(offset..ip.total_len).unwrap_or_default();
                tcp::ports(transport).map_err(|_| SelectorError::TruncatedTransport)?
            }
            _ => (0, 0),
        };
        Ok(Selector {
            src: ip.src,
            dst: ip.dst,
            protocol: ip.protocol,
            src_port,
            dst_port,
        })
    }
}

/// IKE's own packets (UDP 500 and 4500) bypass the SPD, or IKE could never set up the SAs that
/// encrypt-everything policies need: `locally_originated` packets *from* those ports, and
/// packets delivered to this host *to* them. Forwarded traffic is never bypassed; call this
/// only for packets that this host sends or receives.
pub fn is_ike_bypass(sel: &Selector, locally_originated: bool) -> bool {
    const IKE: u16 = 500;
    const IKE_NAT_T: u16 = 4500;
    let port = if locally_originated {
        sel.src_port
    } else {
        sel.dst_port
    };
    sel.protocol == proto::UDP && (port == IKE || port == IKE_NAT_T)
}
