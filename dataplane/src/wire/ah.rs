//! Authentication Header (RFC 4302 section 2).
//!
//! ```text
//! | next hdr | payload len | reserved (2) | SPI (4) | Sequence Number (4) | ICV (variable) |
//! ```
//! Payload length is the AH length in 32-bit words minus 2. IPv4 needs the whole header to be
//! a multiple of 4 bytes, IPv6 of 8 (RFC 4302 2.2), so the ICV may be followed by padding.

use super::{Field, Result, WireError, read_u32, write_u32};

mod field {
    use super::Field;
    pub const NEXT_HEADER: usize = 0;
    pub const PAYLOAD_LEN: usize = 1;
    pub const RESERVED: Field = 2..4;
    pub const SPI: Field = 4..8;
    pub const SEQUENCE_NUMBER: Field = 8..12;
}

/// Fixed part before the ICV.
pub const FIXED_LEN: usize = 12;

/// AH header length for an ICV, padded to 4 bytes (IPv4) or 8 bytes (IPv6).
pub const fn header_len(icv_len: usize, ipv6: bool) -> usize {
    let align = if ipv6 { 8 } else { 4 };
    (FIXED_LEN + icv_len).div_ceil(align) * align
}

/// A view over an AH header; `new_checked` guarantees the declared length fits.
#[derive(Debug)]
pub struct AhHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> AhHeader<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self> {
        let h = Self { buffer };
        let b = h.buffer.as_ref();
        if b.len() < FIXED_LEN {
            return Err(WireError::Truncated);
        }
        if h.header_len() < FIXED_LEN {
            return Err(WireError::Malformed);
        }
        if b.len() < h.header_len() {
            return Err(WireError::Truncated);
        }
        Ok(h)
    }

    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }
    /// Total header length in bytes, ICV and padding included.
    pub fn header_len(&self) -> usize {
        (self.buffer.as_ref()[field::PAYLOAD_LEN] as usize + 2) * 4
    }
    pub fn spi(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SPI)
    }
    pub fn sequence_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SEQUENCE_NUMBER)
    }
    /// ICV plus any alignment padding.
    pub fn icv_area(&self) -> &[u8] {
        &self.buffer.as_ref()[FIXED_LEN..self.header_len()]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> AhHeader<T> {
    pub fn set_next_header(&mut self, v: u8) {
        self.buffer.as_mut()[field::NEXT_HEADER] = v;
    }
    /// Sets the length field from the total header length in bytes (a multiple of 4).
    pub fn set_header_len(&mut self, bytes: usize) {
        self.buffer.as_mut()[field::PAYLOAD_LEN] = (bytes / 4 - 2) as u8;
    }
    pub fn set_spi(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::SPI, v);
    }
    pub fn set_sequence_number(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::SEQUENCE_NUMBER, v);
    }
    pub fn clear_reserved(&mut self) {
        self.buffer.as_mut()[field::RESERVED].fill(0);
    }
    pub fn icv_area_mut(&mut self) -> &mut [u8] {
        let len = self.header_len();
        &mut self.buffer.as_mut()[FIXED_LEN..len]
    }
}

/// Zeroes, in a copy of an IPv4 header (options included), the fields RFC 4302 appendix A1
/// calls mutable: TOS, flags and fragment offset, TTL, checksum, and every option other than
/// the immutable ones (end of list, no-op, the security options, router alert, SDB).
pub fn zero_mutable_ipv4(header: &mut [u8]) -> Result<()> {
    use super::ipv4::{HEADER_LEN, Ipv4Packet};
    if header.len() < HEADER_LEN {
        return Err(WireError::Truncated);
    }
    let mut p = Ipv4Packet::new_unchecked(&mut header[..]);
    p.set_tos(0);
    p.set_flags_frag(0);
    p.set_ttl(0);
    p.set_checksum(0);
    let options = &mut header[HEADER_LEN..];
    let mut i = 0;
    while i < options.len() {
        let kind = options[i];
        let len = match kind {
            0 => break,
            1 => {
                i += 1;
                continue;
            }
            _ => match options.get(i + 1) {
                Some(&l) if l >= 2 && i + l as usize <= options.len() => l as usize,
                _ => return Err(WireError::Malformed),
            },
        };
        // Security (130), extended security (133), CIPSO (134), router alert (148), SDB (149).
        if !matches!(kind, 130 | 133 | 134 | 148 | 149) {
            options[i..i + len].fill(0);
        }
        i += len;
    }
    Ok(())
}

/// Zeroes, in a copy of an IPv6 header chain up to (not including) AH, the fields RFC 4302
/// appendix A2 calls mutable: traffic class, flow label, hop limit, and the data of every
/// hop-by-hop or destination option whose type has the "may change en route" bit (0x20).
/// Routing headers are authenticated as sent: type 0, the only type with predictable mutation,
/// is deprecated (RFC 5095) and refused by this engine's peers.
pub fn zero_mutable_ipv6(chain: &mut [u8]) -> Result<()> {
    use super::ipv6::{HEADER_LEN, Ipv6Packet};
    use super::proto;
    if chain.len() < HEADER_LEN {
        return Err(WireError::Truncated);
    }
    let mut p = Ipv6Packet::new_unchecked(&mut chain[..]);
    p.set_traffic_class(0);
    p.set_flow_label(0);
    p.set_hop_limit(0);
    let mut next = p_next_header(chain);
    let mut at = HEADER_LEN;
    while at < chain.len() {
        let header = &mut chain[at..];
        if header.len() < 8 {
            return Err(WireError::Truncated);
        }
        let len = match next {
            proto::FRAGMENT => 8,
            proto::HOP_BY_HOP | proto::ROUTING | proto::DESTINATION_OPTIONS => {
                (header[1] as usize + 1) * 8
            }
            _ => return Err(WireError::Malformed),
        };
        if header.len() < len {
            return Err(WireError::Truncated);
        }
        if matches!(next, proto::HOP_BY_HOP | proto::DESTINATION_OPTIONS) {
            zero_mutable_tlv_options(&mut header[2..len])?;
        }
        next = header[0];
        at += len;
    }
    Ok(())
}

fn p_next_header(chain: &[u8]) -> u8 {
    super::ipv6::Ipv6Packet::new_unchecked(chain).next_header()
}

fn zero_mutable_tlv_options(options: &mut [u8]) -> Result<()> {
    const MAY_CHANGE: u8 = 0x20;
    let mut i = 0;
    while i < options.len() {
        let kind = options[i];
        if kind == 0 {
            // Pad1
            i += 1;
            continue;
        }
        let len = *options.get(i + 1).ok_or(WireError::Truncated)? as usize;
        let end = i + 2 + len;
        if end > options.len() {
            return Err(WireError::Truncated);
        }
        if kind & MAY_CHANGE != 0 {
            options[i + 2..end].fill(0);
        }
        i = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_aligned() {
        assert_eq!(header_len(12, false), 24);
        assert_eq!(header_len(12, true), 24);
        assert_eq!(header_len(16, false), 28);
        assert_eq!(header_len(16, true), 32);
        assert_eq!(header_len(24, true), 40);
        assert_eq!(header_len(32, false), 44);
    }

    #[test]
    fn header_round_trip() {
        let mut buf = [0u8; 24];
        let mut h = AhHeader::new_unchecked(&mut buf[..]);
        h.set_next_header(4);
        h.set_header_len(24);
        h.set_spi(0x200);
        h.set_sequence_number(9);
        h.icv_area_mut().fill(0xee);
        let h = AhHeader::new_checked(&buf[..]).unwrap();
        assert_eq!(
            (
                h.next_header(),
                h.header_len(),
                h.spi(),
                h.sequence_number()
            ),
            (4, 24, 0x200, 9)
        );
        assert_eq!(h.icv_area(), &[0xee; 12]);
        assert_eq!(buf[1], 4);
        assert_eq!(
            AhHeader::new_checked(&buf[..23]).unwrap_err(),
            WireError::Truncated
        );
        buf[1] = 0;
        assert_eq!(
            AhHeader::new_checked(&buf[..]).unwrap_err(),
            WireError::Malformed
        );
    }
}
