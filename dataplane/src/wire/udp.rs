//! UDP header (RFC 768).

use super::{Field, Result, WireError, read_u16, write_u16};

mod field {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
}

pub const HEADER_LEN: usize = 8;
pub const CHECKSUM_FIELD: Field = field::CHECKSUM;

/// A view over a UDP datagram; `new_checked` guarantees the header and declared length fit.
#[derive(Debug)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self { buffer };
        let b = p.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let len = p.len() as usize;
        if len < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if b.len() < len {
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
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..self.len() as usize]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    pub fn set_src_port(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::SRC_PORT, v);
    }
    pub fn set_dst_port(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::DST_PORT, v);
    }
    pub fn set_len(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::LENGTH, v);
    }
    pub fn set_checksum(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::CHECKSUM, v);
    }
}

/// A UDP header as the engine emits it. The checksum is left zero: RFC 3948 section 2.1 lets
/// ESP-in-UDP senders over IPv4 send zero since ESP protects the payload. (Over IPv6, RFC 6935/
/// 6936 permit zero-checksum UDP tunnels; the TUN runtime fills it where a stack requires it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpRepr {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload_len: usize,
}

impl UdpRepr {
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let len = u16::try_from(HEADER_LEN + self.payload_len).map_err(|_| WireError::Malformed)?;
        let mut p = UdpPacket::new_unchecked(&mut buf[..HEADER_LEN]);
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_len(len);
        p.set_checksum(0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DATAGRAM: [u8; 12] = [0x11, 0x94, 0x11, 0x94, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4];

    #[test]
    fn deconstruct_and_emit() {
        let p = UdpPacket::new_checked(&DATAGRAM[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port(), p.len()), (4500, 4500, 12));
        assert_eq!(p.payload(), &[1, 2, 3, 4]);
        let mut out = [0u8; 12];
        UdpRepr {
            src_port: 4500,
            dst_port: 4500,
            payload_len: 4,
        }
        .emit(&mut out)
        .unwrap();
        assert_eq!(&out[..8], &DATAGRAM[..8]);
    }

    #[test]
    fn check_len() {
        assert_eq!(
            UdpPacket::new_checked(&DATAGRAM[..7]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            UdpPacket::new_checked(&DATAGRAM[..11]).unwrap_err(),
            WireError::Truncated
        );
        let mut bad = DATAGRAM;
        bad[5] = 7;
        assert_eq!(
            UdpPacket::new_checked(&bad[..]).unwrap_err(),
            WireError::Malformed
        );
    }
}
