//! The part of the TCP header (RFC 9293) the engine reads: ports and flags.

use super::{Field, Result, WireError, read_u16};

mod field {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
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
    pub fn flags(&self) -> u8 {
        self.buffer.as_ref()[field::FLAGS]
    }
}

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
}
