//! The Internet checksum (RFC 1071), folded over several slices without copying.

/// Ones'-complement sum of `data` added to `acc` (not yet folded or inverted).
pub fn accumulate(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        // Summing 32-bit halves into a 64-bit accumulator defers carries (RFC 1071 section 2).
        acc += u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64;
        acc += u32::from_be_bytes([c[4], c[5], c[6], c[7]]) as u64;
    }
    let mut rest = chunks.remainder().chunks_exact(2);
    for c in &mut rest {
        acc += u16::from_be_bytes([c[0], c[1]]) as u64;
    }
    if let [last] = rest.remainder() {
        acc += (*last as u64) << 8;
    }
    acc
}

/// Folds an accumulator to the final 16-bit checksum (inverted).
pub fn finish(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Checksum of one buffer.
pub fn checksum(data: &[u8]) -> u16 {
    finish(accumulate(0, data))
}

/// Incrementally updates a stored checksum when one 16-bit word changes from `old` to `new`
/// (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
pub fn update(stored: u16, old: u16, new: u16) -> u16 {
    let sum = (!stored as u64) + (!old as u64) + new as u64;
    finish(sum)
}

/// The TCP/UDP pseudo-header sum (RFC 9293 3.1, RFC 8200 8.1), to pass to [`accumulate`].
pub fn pseudo_header(
    src: std::net::IpAddr,
    dst: std::net::IpAddr,
    protocol: u8,
    len: usize,
) -> u64 {
    use std::net::IpAddr;
    let mut acc = 0u64;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = accumulate(acc, &s.octets());
            acc = accumulate(acc, &d.octets());
        }
        (s, d) => {
            let s = match s {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            let d = match d {
                IpAddr::V6(a) => a.octets(),
                IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            };
            acc = accumulate(acc, &s);
            acc = accumulate(acc, &d);
        }
    }
    acc + protocol as u64 + len as u64
}

/// Recomputes the TCP or UDP checksum of a transport-mode packet whose outer addresses a NAT
/// rewrote (RFC 3948 3.1.2), keeping an IPv4 UDP datagram sent without a checksum so.
pub fn refresh_after_nat(packet: &mut [u8], offset: usize, protocol: u8) {
    fill_transport_checksum_inner(packet, offset, protocol, true)
}

/// Computes and stores the TCP or UDP checksum of the segment at `offset` in an IP packet.
/// Other protocols and short segments are left alone.
pub fn fill_transport_checksum(packet: &mut [u8], offset: usize, protocol: u8) {
    fill_transport_checksum_inner(packet, offset, protocol, false)
}

fn fill_transport_checksum_inner(
    packet: &mut [u8],
    offset: usize,
    protocol: u8,
    keep_zero_udp: bool,
) {
    use super::{ip::IpSummary, proto};
    let Ok(summary) = IpSummary::parse(packet) else {
        return;
    };
    let field = match protocol {
        proto::TCP => super::tcp::CHECKSUM_FIELD,
        proto::UDP => super::udp::CHECKSUM_FIELD,
        _ => return,
    };
    let end = summary.total_len.min(packet.len());
    let Some(at) = offset.checked_add(field.start).filter(|a| a + 2 <= end) else {
        return;
    };
    let udp = protocol == proto::UDP;
    if keep_zero_udp && udp && summary.src.is_ipv4() && packet[at..at + 2] == [0, 0] {
        return;
    }
    packet[at..at + 2].fill(0);
    let sum = pseudo_header(summary.src, summary.dst, protocol, end - offset);
    let mut c = finish(accumulate(sum, &packet[offset..end]));
    // UDP sends an all-ones checksum for a computed zero (RFC 768).
    if udp && c == 0 {
        c = 0xffff;
    }
    packet[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the sum of these bytes is ddf2, checksum is its complement.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn incremental_update_matches_recompute() {
        let mut data = [0x45u8, 0x00, 0x12, 0x34, 0xab, 0xcd, 0x00, 0x01];
        let before = checksum(&data);
        data[2..4].copy_from_slice(&[0x0f, 0xf0]);
        assert_eq!(update(before, 0x1234, 0x0ff0), checksum(&data));
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(
            checksum(&[0x12, 0x34, 0x56]),
            checksum(&[0x12, 0x34, 0x56, 0x00])
        );
    }

    #[test]
    fn valid_header_sums_to_zero() {
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        let c = checksum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(c, 0xb861);
        assert_eq!(checksum(&h), 0);
    }
}
