//! A bounded reader over received bytes: every read checks the length, `sub` confines a
//! length-prefixed part, and `finish` refuses leftovers.

/// Why a message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMessage {
    #[error("truncated: {what} needs {need} bytes, {have} left")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    #[error("{what} has {extra} unexpected trailing bytes")]
    Trailing { what: &'static str, extra: usize },
    #[error("bad length field in {what}: {len}")]
    BadLength { what: &'static str, len: usize },
    #[error("IKE major version {0} (only 2 is spoken)")]
    Version(u8),
    #[error("unknown payload type {0} marked critical")]
    UnsupportedCritical(u8),
    #[error("{0}")]
    Invalid(&'static str),
}

/// Reads big-endian fields from a slice without ever reading past it.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        if self.left() < n {
            return Err(InvalidMessage::Truncated {
                what,
                need: n,
                have: self.left(),
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        s
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, InvalidMessage> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, InvalidMessage> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A sub-reader over the next `n` bytes.
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Reader<'a>, InvalidMessage> {
        self.take(n, what).map(Reader::new)
    }

    pub fn finish(&self, what: &'static str) -> Result<(), InvalidMessage> {
        match self.left() {
            0 => Ok(()),
            extra => Err(InvalidMessage::Trailing { what, extra }),
        }
    }
}

/// Appends a big-endian u16 length placeholder's final value at `at`.
pub(crate) fn put_u16_at(out: &mut [u8], at: usize, v: u16) {
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&v.to_be_bytes());
    }
}
