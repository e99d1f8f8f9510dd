//! The part of the TCP header (RFC 9293) the engine reads: ports and flags.

use super::{Field, Result, WireError, read_u16};

mod field {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQUENCE: Field = 4..8;
    pub const DATA_OFFSET: usize = 12;
    pub const FLAGS: usize = 13;
    pub const CHECKSUM: Field = 16..18;
}

pub const MIN_HEADER_LEN: usize = 20;
pub const CHECKSUM_FIELD: Field = field::CHECKSUM;
pub const FLAG_SYN: u8 = 0x02;

/// A view over a TCP segment; `new_checked` guarantees the header with its options fits.
#[derive(Debug)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self { buffer };
        let b = p.buffer.as_ref();
        if b.len() < MIN_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let hl = p.header_len();
        if hl < MIN_HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if b.len() < hl {
            return Err(WireError::Truncated);
        }
        Ok(p)
    }
    pub fn src_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SRC_PORT)
    }
    pub fn dst_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::DST_PORT)
    }
    pub fn header_len(&self) -> usize {
        ((self.buffer.as_ref()[field::DATA_OFFSET] >> 4) as usize) * 4
    }
    pub fn sequence_number(&self) -> u32 {
        super::read_u32(self.buffer.as_ref(), field::SEQUENCE)
    }
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// The MSS option's value and its offset in the segment, if the SYN carries one.
    pub fn mss_option(&self) -> Option<(u16, usize)> {
        let b = self.buffer.as_ref();
        let end = self.header_len();
        let mut i = MIN_HEADER_LEN;
        while i < end {
            match b[i] {
                OPT_END => return None,
                OPT_NOP => i += 1,
                kind => {
                    let len = *b.get(i + 1)? as usize;
                    if len < 2 || i + len > end {
                        return None;
                    }
                    if kind == OPT_MSS && len == 4 {
                        return Some((u16::from_be_bytes([b[i + 2], b[i + 3]]), i + 2));
                    }
                    i += len;
                }
            }
        }
        None
    }

    /// Rewrites the MSS option value at `offset` (from [`mss_option`](Self::mss_option)) and
    /// patches the checksum incrementally (RFC 1624).
    pub fn set_mss(&mut self, offset: usize, mss: u16) {
        let b = self.buffer.as_mut();
        let old = u16::from_be_bytes([b[offset], b[offset + 1]]);
        b[offset..offset + 2].copy_from_slice(&mss.to_be_bytes());
        let sum = read_u16(b, field::CHECKSUM);
        let new = super::checksum::update(sum, old, mss);
        b[field::CHECKSUM].copy_from_slice(&new.to_be_bytes());
    }
}

const OPT_END: u8 = 0;
const OPT_NOP: u8 = 1;
const OPT_MSS: u8 = 2;

/// Source and destination ports of a TCP, UDP or SCTP header, which all start with them.
/// Only 4 bytes are needed, so a truncated transport header still yields ports when present.
pub fn ports(transport: &[u8]) -> Result<(u16, u16)> {
    if transport.len() < 4 {
        return Err(WireError::Truncated);
    }
    Ok((
        read_u16(transport, field::SRC_PORT),
        read_u16(transport, field::DST_PORT),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syn_segment() {
        let mut seg = [0u8; 24];
        seg[..4].copy_from_slice(&[0x30, 0x39, 0x00, 0x50]);
        seg[12] = 0x60;
        seg[13] = FLAG_SYN;
        let p = TcpPacket::new_checked(&seg[..]).unwrap();
        assert_eq!(
            (p.src_port(), p.dst_port(), p.header_len()),
            (12345, 80, 24)
        );
        assert_eq!(p.flags() & FLAG_SYN, FLAG_SYN);
        assert_eq!(
            TcpPacket::new_checked(&seg[..20]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(ports(&seg[..3]).unwrap_err(), WireError::Truncated);
    }

    #[test]
    fn mss_option_found_and_rewritten() {
        let mut seg = [0u8; 28];
        seg[12] = 0x70; // 28-byte header
        seg[13] = FLAG_SYN;
        seg[16..18].copy_from_slice(&[0x12, 0x34]);
        seg[20..28].copy_from_slice(&[1, 1, 2, 4, 0x05, 0xb4, 0, 0]); // NOP NOP MSS=1460 END
        let mut p = TcpPacket::new_checked(&mut seg[..]).unwrap();
        assert_eq!(p.mss_option(), Some((1460, 24)));
        p.set_mss(24, 1360);
        assert_eq!(p.mss_option(), Some((1360, 24)));
        // The word shrank by 100, so the sum shrinks and its complement (the checksum) grows.
        assert_eq!(&seg[16..18], &(0x1234u16 + 100).to_be_bytes());
        seg[23] = 40; // option length past the header
        assert_eq!(
            TcpPacket::new_checked(&mut seg[..]).unwrap().mss_option(),
            None
        );
    }
}
