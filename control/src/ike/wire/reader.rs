//! What every payload codec shares: a bounded [`Reader`] over received bytes, the [`Codec`]
//! trait, and the length arithmetic of the encoders. A `Reader` never reads past its slice,
//! so a hostile length field can only ever produce an [`InvalidMessage`].

use super::error::InvalidMessage;

/// A wire structure that can be written to and read from bytes (the rustls shape).
pub trait Codec: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value from `r`. Values whose last field runs to the end of their part
    /// (payload bodies) take everything `r` has left, so `r` must be bounded by the caller.
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage>;

    /// The encoding of `self` as a fresh buffer.
    fn get_encoding(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Reads `bytes` as exactly one value; leftover bytes are an error.
    fn read_bytes(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let v = Self::read(&mut r)?;
        let name = std::any::type_name::<Self>();
        r.finish(name.rsplit("::").next().unwrap_or(name))?;
        Ok(v)
    }
}

/// Reads big-endian fields from a slice without ever reading past it.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over all of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// How many bytes are still unread.
    pub fn left(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.left() == 0
    }

    /// How many bytes have been read.
    pub fn used(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes; `what` names them in the error when fewer are left.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], InvalidMessage> {
        let have = self.left();
        let end = self.pos.saturating_add(n);
        match self.bytes.get(self.pos..end) {
            Some(s) if n <= have => {
                self.pos = end;
                Ok(s)
            }
            _ => Err(InvalidMessage::Truncated {
                what,
                need: n,
                have,
            }),
        }
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], InvalidMessage> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        s
    }

    /// One byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, InvalidMessage> {
        self.array::<1>(what).map(|[b]| b)
    }

    /// A big-endian u16.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, InvalidMessage> {
        self.array(what).map(u16::from_be_bytes)
    }

    /// A big-endian u32.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, InvalidMessage> {
        self.array(what).map(u32::from_be_bytes)
    }

    /// A reader confined to the next `n` bytes (one length-prefixed part).
    pub fn sub(&mut self, n: usize, what: &'static str) -> Result<Reader<'a>, InvalidMessage> {
        self.take(n, what).map(Reader::new)
    }

    /// Succeeds only when everything has been read.
    pub fn finish(&self, what: &'static str) -> Result<(), InvalidMessage> {
        match self.left() {
            0 => Ok(()),
            extra => Err(InvalidMessage::Trailing { what, extra }),
        }
    }
}

/// A length for a 16-bit length field. Lengths we encode come from our own payloads, far
/// below 64 KiB; a larger one is a bug in the caller, caught in debug builds, and saturates
/// (so the receiver refuses the message) in release builds.
pub(crate) fn len_u16(len: usize) -> u16 {
    debug_assert!(len <= usize::from(u16::MAX), "length {len} overflows u16");
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// A count or size for an 8-bit field; see [`len_u16`].
pub(crate) fn len_u8(len: usize) -> u8 {
    debug_assert!(len <= usize::from(u8::MAX), "count {len} overflows u8");
    u8::try_from(len).unwrap_or(u8::MAX)
}

/// Reserves a 16-bit length field at the end of `out`; [`fill_len`] writes it.
pub(crate) fn reserve_len(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    at
}

/// Writes the length of everything from `start` to the end of `out` into the field at `at`.
pub(crate) fn fill_len(out: &mut [u8], at: usize, start: usize) {
    let len = len_u16(out.len().saturating_sub(start));
    if let Some(slot) = out.get_mut(at..at.saturating_add(2)) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_fields_and_stops_at_the_end() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u16("b").unwrap(), 0x0203);
        let short = InvalidMessage::Truncated {
            what: "c",
            need: 4,
            have: 3,
        };
        assert_eq!(r.u32("c").unwrap_err(), short);
        // A failed read consumes nothing.
        assert_eq!(r.left(), 3);
        let huge = InvalidMessage::Truncated {
            what: "huge",
            need: usize::MAX,
            have: 3,
        };
        assert_eq!(r.take(usize::MAX, "huge").unwrap_err(), huge);
        let mut s = r.sub(2, "part").unwrap();
        let trailing = InvalidMessage::Trailing {
            what: "part",
            extra: 2,
        };
        assert_eq!(s.finish("part").unwrap_err(), trailing);
        assert_eq!(s.rest(), &[4, 5]);
        assert!(s.finish("part").is_ok());
        assert_eq!(r.used(), 5);
        assert_eq!(r.rest(), &[6]);
        assert!(r.is_empty());
        assert_eq!(r.rest(), &[] as &[u8]);
    }

    #[test]
    fn length_fields_are_filled_from_the_start() {
        let mut out = vec![9, 9];
        let at = reserve_len(&mut out);
        out.extend_from_slice(&[1, 2, 3]);
        fill_len(&mut out, at, 0);
        assert_eq!(out, [9, 9, 0, 7, 1, 2, 3]);
    }
}
