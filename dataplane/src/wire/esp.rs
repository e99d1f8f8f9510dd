//! ESP header and trailer (RFC 4303 section 2).
//!
//! ```text
//! | SPI (4) | Sequence Number (4) | IV (iv_len) | payload ... | padding | pad len | next hdr | ICV |
//! ```
//! The IV and ICV lengths belong to the SA's transform, so this view only covers the fixed
//! header and the two trailer bytes; `esp.rs` places the rest.

use super::{Field, Result, WireError, read_u32, write_u32};

mod field {
    use super::Field;
    pub const SPI: Field = 0..4;
    pub const SEQUENCE_NUMBER: Field = 4..8;
}

pub const HEADER_LEN: usize = 8;
/// Pad length and next header.
pub const TRAILER_LEN: usize = 2;
/// RFC 4303 2.4: padding is at most 255 bytes.
pub const MAX_PAD_LEN: usize = 255;

/// A view over an ESP packet starting at the SPI.
#[derive(Debug)]
pub struct EspPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EspPacket<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(Self { buffer })
    }

    pub fn spi(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SPI)
    }
    pub fn sequence_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SEQUENCE_NUMBER)
    }
    pub fn header(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h.copy_from_slice(&self.buffer.as_ref()[..HEADER_LEN]);
        h
    }
    /// Everything after the fixed header: IV, ciphertext, ICV.
    pub fn body(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EspPacket<T> {
    pub fn set_spi(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::SPI, v);
    }
    pub fn set_sequence_number(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::SEQUENCE_NUMBER, v);
    }
    pub fn body_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

/// The two bytes that end the decrypted payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspTrailer {
    pub pad_len: u8,
    pub next_header: u8,
}

impl EspTrailer {
    /// Reads the trailer from the end of a decrypted payload and checks the padding bytes are
    /// the monotonic 1, 2, 3, ... that RFC 4303 2.4 defines (a receiver "SHOULD" check; we do,
    /// since a mismatch means a wrong key or a forged packet slipped past a null ICV).
    pub fn parse(plaintext: &[u8]) -> Result<(Self, usize)> {
        let n = plaintext.len();
        if n < TRAILER_LEN {
            return Err(WireError::Truncated);
        }
        let t = EspTrailer {
            pad_len: plaintext[n - 2],
            next_header: plaintext[n - 1],
        };
        let pad = t.pad_len as usize;
        if n < TRAILER_LEN + pad {
            return Err(WireError::Malformed);
        }
        let data_len = n - TRAILER_LEN - pad;
        let padding = &plaintext[data_len..n - TRAILER_LEN];
        if padding
            .iter()
            .enumerate()
            .any(|(i, b)| *b as usize != i + 1)
        {
            return Err(WireError::Malformed);
        }
        Ok((t, data_len))
    }

    /// Writes monotonic padding and the trailer into `tail` (exactly `pad_len + 2` bytes).
    pub fn emit(&self, tail: &mut [u8]) {
        let pad = self.pad_len as usize;
        debug_assert_eq!(tail.len(), pad + TRAILER_LEN);
        for (i, b) in tail[..pad].iter_mut().enumerate() {
            *b = (i + 1) as u8;
        }
        tail[pad] = self.pad_len;
        tail[pad + 1] = self.next_header;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let mut buf = [0u8; 12];
        let mut p = EspPacket::new_checked(&mut buf[..]).unwrap();
        p.set_spi(0x1000_2001);
        p.set_sequence_number(7);
        assert_eq!(buf[..8], [0x10, 0x00, 0x20, 0x01, 0, 0, 0, 7]);
        let p = EspPacket::new_checked(&buf[..]).unwrap();
        assert_eq!((p.spi(), p.sequence_number()), (0x1000_2001, 7));
        assert_eq!(
            EspPacket::new_checked(&buf[..7]).unwrap_err(),
            WireError::Truncated
        );
    }

    #[test]
    fn trailer_round_trip_and_checks() {
        let mut buf = [0xaau8; 10];
        EspTrailer {
            pad_len: 3,
            next_header: 4,
        }
        .emit(&mut buf[5..]);
        assert_eq!(&buf[5..], &[1, 2, 3, 3, 4]);
        let (t, data_len) = EspTrailer::parse(&buf).unwrap();
        assert_eq!((t.pad_len, t.next_header, data_len), (3, 4, 5));
        buf[6] = 9;
        assert_eq!(EspTrailer::parse(&buf).unwrap_err(), WireError::Malformed);
        assert_eq!(
            EspTrailer::parse(&[200, 4]).unwrap_err(),
            WireError::Malformed
        );
        assert_eq!(EspTrailer::parse(&[4]).unwrap_err(), WireError::Truncated);
    }
}
