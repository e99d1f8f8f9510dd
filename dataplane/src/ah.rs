//! AH encapsulation and decapsulation (RFC 4302), tunnel and transport mode, IPv4 and IPv6.
//!
//! The ICV covers the outer IP header with its mutable fields zeroed, the AH header with its
//! ICV zeroed, and everything after it; with ESN the high sequence bits are appended to the
//! input (RFC 4302 3.3.3.1). The zeroing happens in a stack copy of the headers, so the packet
//! itself is never modified for the computation.

use crate::DropReason;
use crate::buf::PacketBuf;
use crate::crypto::Integrity;
use crate::esp::{Decapsulated, Encapsulated};
use crate::mode::{self, InnerInfo, OuterPacket, TransportSplit};
use crate::sa::{Mode, SaTransform, SecurityAssociation, Timestamp};
use crate::wire::ah::{self, AhHeader};
use crate::wire::proto;

/// Largest IP header chain (plus AH) the ICV computation copies; longer chains are refused.
const MAX_HEADER_CHAIN: usize = 512;

fn integrity(sa: &SecurityAssociation) -> Option<&Integrity> {
    match sa.transform() {
        SaTransform::Ah(i) => Some(i),
        SaTransform::Esp(_) => None,
    }
}

/// Copies the headers (IP chain + AH) into `scratch`, zeroes mutable fields and the ICV. The
/// alignment padding after the ICV stays as sent: it is authenticated (RFC 4302 3.3.3.2.1),
/// so nobody can alter it unnoticed.
fn zeroed_headers<'s>(
    packet: &[u8],
    ip_chain_len: usize,
    ah_len: usize,
    icv_len: usize,
    ipv6: bool,
    scratch: &'s mut [u8; MAX_HEADER_CHAIN],
) -> Option<&'s [u8]> {
    let n = ip_chain_len + ah_len;
    if n > MAX_HEADER_CHAIN || packet.len() < n {
        return None;
    }
    let copy = &mut scratch[..n];
    copy.copy_from_slice(&packet[..n]);
    let zeroed = if ipv6 {
        ah::zero_mutable_ipv6(&mut copy[..ip_chain_len])
    } else {
        ah::zero_mutable_ipv4(&mut copy[..ip_chain_len])
    };
    zeroed.ok()?;
    let icv_at = ip_chain_len + ah::FIXED_LEN;
    copy[icv_at..icv_at + icv_len].fill(0);
    Some(copy)
}

/// Authenticates the packet in `buf` with an outbound AH SA (see [`crate::esp::encapsulate`]
/// for the meaning of `buf` in each mode). AH is never UDP-encapsulated.
pub fn encapsulate(
    sa: &mut SecurityAssociation,
    buf: &mut PacketBuf,
    now: Timestamp,
) -> Result<Encapsulated, DropReason> {
    let time_event = sa
        .check_time(now)
        .map_err(|_| DropReason::OutStateExpired)?;
    let inner_len = buf.len();
    let params = sa.params();
    let (src, dst, esn, sa_mode) = (params.src, params.dst, params.esn, params.mode);
    let ipv6 = src.is_ipv6();
    let icv_len = integrity(sa)
        .ok_or(DropReason::OutStateModeErrors)?
        .icv_len();
    let ah_len = ah::header_len(icv_len, ipv6);

    let split = match sa_mode {
        Mode::Tunnel => None,
        Mode::Transport => Some(mode::transport_split(buf.data(), sa)?),
    };
    let next_header = match split {
        None => mode::tunnel_next_header(buf.data())?,
        Some(s) => s.next_header,
    };
    let outer_len = match split {
        None if ipv6 => crate::wire::ipv6::HEADER_LEN,
        None => crate::wire::ipv4::HEADER_LEN,
        Some(s) => s.header_len,
    };
    if inner_len + ah_len + outer_len - split.map_or(0, |s| s.header_len) > mode::MAX_IP_LEN {
        return Err(DropReason::OutErrors);
    }
    let seq = sa
        .next_sequence()
        .ok_or(DropReason::OutStateSequenceErrors)?;
    let spi = sa.spi();

    let ip_chain_len = match split {
        None => {
            let inner_info = InnerInfo::of(buf.data());
            buf.prepend(ah_len).map_err(|_| DropReason::OutErrors)?;
            mode::push_outer_header(buf, src, dst, proto::AH, None, inner_info, seq as u16)?
        }
        Some(s) => {
            mode::transport_open(buf, &s, ah_len, proto::AH)?;
            mode::finish_ip_header(buf.data_mut(), s.ipv6)?;
            s.header_len
        }
    };
    {
        let mut h =
            AhHeader::new_unchecked(&mut buf.data_mut()[ip_chain_len..ip_chain_len + ah_len]);
        h.set_next_header(next_header);
        h.set_header_len(ah_len);
        h.clear_reserved();
        h.set_spi(spi);
        h.set_sequence_number(seq as u32);
        h.icv_area_mut().fill(0);
    }
    let mut scratch = [0u8; MAX_HEADER_CHAIN];
    let packet = buf.data();
    let headers = zeroed_headers(packet, ip_chain_len, ah_len, icv_len, ipv6, &mut scratch)
        .ok_or(DropReason::OutErrors)?;
    let seq_hi = ((seq >> 32) as u32).to_be_bytes();
    let rest = &packet[ip_chain_len + ah_len..];
    let parts: [&[u8]; 3] = [headers, rest, if esn { &seq_hi } else { &[] }];
    let mut icv = [0u8; 64];
    let integ = integrity(sa).ok_or(DropReason::OutStateModeErrors)?;
    integ.compute(&parts, &mut icv[..icv_len]);
    let at = ip_chain_len + ah::FIXED_LEN;
    buf.data_mut()[at..at + icv_len].copy_from_slice(&icv[..icv_len]);

    let byte_event = sa.account(inner_len);
    Ok(Encapsulated {
        ip_header_len: ip_chain_len,
        udp_encapsulated: false,
        event: byte_event.or(time_event),
    })
}

/// Verifies a received AH packet with its inbound SA and removes AH (and, in tunnel mode, the
/// outer header).
pub fn decapsulate(
    sa: &mut SecurityAssociation,
    outer: &OuterPacket,
    buf: &mut PacketBuf,
    now: Timestamp,
) -> Result<Decapsulated, DropReason> {
    if outer.encap.is_some() || sa.params().encap.is_some() {
        return Err(DropReason::InStateMismatches);
    }
    let time_event = sa.check_time(now).map_err(|_| DropReason::InStateExpired)?;
    let (esn, sa_mode) = (sa.params().esn, sa.params().mode);
    let integ = integrity(sa).ok_or(DropReason::InNoStates)?;
    let icv_len = integ.icv_len();
    let packet = buf.data();
    let at = outer.ipsec_offset;
    let h = AhHeader::new_checked(packet.get(at..).ok_or(DropReason::InHeaderErrors)?)
        .map_err(|_| DropReason::InHeaderErrors)?;
    let ah_len = h.header_len();
    if h.icv_area().len() < icv_len {
        return Err(DropReason::InHeaderErrors);
    }
    let next_header = h.next_header();
    let mut icv = [0u8; 64];
    icv[..icv_len].copy_from_slice(&h.icv_area()[..icv_len]);
    let seq = sa
        .replay()
        .check(h.sequence_number())
        .map_err(|_| DropReason::InStateSequenceErrors)?;

    let mut scratch = [0u8; MAX_HEADER_CHAIN];
    let headers = zeroed_headers(packet, at, ah_len, icv_len, outer.ipv6, &mut scratch)
        .ok_or(DropReason::InHeaderErrors)?;
    let seq_hi = ((seq >> 32) as u32).to_be_bytes();
    let parts: [&[u8]; 3] = [
        headers,
        &packet[at + ah_len..],
        if esn { &seq_hi } else { &[] },
    ];
    integ
        .verify(&parts, &icv[..icv_len])
        .map_err(|_| DropReason::InStateProtocolErrors)?;
    sa.replay_mut().commit(seq);

    match sa_mode {
        Mode::Tunnel => {
            let inner_len = mode::tunnel_inner_len(&buf.data()[at + ah_len..], next_header)?;
            buf.trim_front(at + ah_len);
            buf.truncate(inner_len);
        }
        Mode::Transport => {
            if matches!(next_header, proto::IPV4 | proto::IPV6) {
                return Err(DropReason::InStateModeErrors);
            }
            let split = TransportSplit {
                header_len: at,
                next_header,
                ipv6: outer.ipv6,
            };
            buf.remove_gap(split.header_len, ah_len);
            let p = buf.data_mut();
            mode::set_protocol_at(p, split.header_len, next_header, split.ipv6)
                .map_err(|_| DropReason::InStateModeErrors)?;
            mode::finish_ip_header(p, split.ipv6).map_err(|_| DropReason::InStateModeErrors)?;
        }
    }
    let event = sa.account(buf.len());
    Ok(Decapsulated {
        has_payload: true,
        event: event.or(time_event),
    })
}
