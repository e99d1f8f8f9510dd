//! The ICMP and ICMPv6 errors the engine originates: "fragmentation needed" (RFC 792/1191)
//! and "packet too big" (RFC 4443 3.2), which tell a sender the tunnel's MTU.

use super::{Field, Result, WireError, write_u16, write_u32};

mod field {
    use super::Field;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// RFC 1191: unused (2) + next-hop MTU (2); RFC 4443: MTU (4).
    pub const MTU_V4: Field = 6..8;
    pub const MTU_V6: Field = 4..8;
}

pub const HEADER_LEN: usize = 8;
const DEST_UNREACHABLE: u8 = 3;
const FRAGMENTATION_NEEDED: u8 = 4;
const PACKET_TOO_BIG: u8 = 2;

/// Writes an ICMP error header for an IPv4 "fragmentation needed" with `mtu` into `buf[..8]`,
/// checksummed over `buf` (header plus the quoted packet that follows it).
pub fn emit_frag_needed(buf: &mut [u8], mtu: u16) -> Result<()> {
    if buf.len() < HEADER_LEN {
        return Err(WireError::Truncated);
    }
    buf[..HEADER_LEN].fill(0);
    buf[field::TYPE] = DEST_UNREACHABLE;
    buf[field::CODE] = FRAGMENTATION_NEEDED;
    write_u16(buf, field::MTU_V4, mtu);
    let c = super::checksum::checksum(buf);
    write_u16(buf, field::CHECKSUM, c);
    Ok(())
}

/// Writes an ICMPv6 "packet too big" header into `buf[..8]`; `pseudo` is the pseudo-header
/// sum for the reply's addresses (see [`super::checksum::pseudo_header`]).
pub fn emit_packet_too_big(buf: &mut [u8], mtu: u32, pseudo: u64) -> Result<()> {
    if buf.len() < HEADER_LEN {
        return Err(WireError::Truncated);
    }
    buf[..HEADER_LEN].fill(0);
    buf[field::TYPE] = PACKET_TOO_BIG;
    write_u32(buf, field::MTU_V6, mtu);
    let c = super::checksum::finish(super::checksum::accumulate(pseudo, buf));
    write_u16(buf, field::CHECKSUM, c);
    Ok(())
}

/// Whether an ICMP (v4) message of this type is an error, to which no error may be sent
/// (RFC 1122 3.2.2).
pub fn is_icmpv4_error(message_type: u8) -> bool {
    matches!(message_type, 3 | 4 | 5 | 11 | 12)
}

/// Likewise for ICMPv6 (types below 128 are errors, RFC 4443 2.1).
pub fn is_icmpv6_error(message_type: u8) -> bool {
    message_type < 128
}
