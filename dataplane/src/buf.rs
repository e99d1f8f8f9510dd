//! A packet inside caller-owned storage, with room to grow at both ends.
//!
//! Encapsulation prepends outer headers and appends trailer and ICV; decapsulation strips them.
//! Doing both by moving two indices over one buffer is what keeps the hot path free of copies
//! and allocations: the runtime owns a pool of fixed buffers and lends one per packet.

/// Headroom that fits the largest outer stack: IPv6 (40) + UDP (8) + ESP (8) + IV (16), or
/// IPv6 + AH with a 32-byte ICV (44), rounded up to keep the inner packet 16-byte aligned.
pub const DEFAULT_HEADROOM: usize = 128;
/// Tailroom for the largest padding (255 + 2 trailer bytes) and ICV (32).
pub const DEFAULT_TAILROOM: usize = 320;

/// Not enough head- or tailroom for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("packet buffer has no room for {needed} more bytes")]
pub struct NoRoom {
    pub needed: usize,
}

/// A window `[start, end)` over `storage` holding the current packet.
#[derive(Debug)]
pub struct PacketBuf<'a> {
    storage: &'a mut [u8],
    start: usize,
    end: usize,
}

impl<'a> PacketBuf<'a> {
    /// A buffer whose packet is `storage[start..start + len]`.
    pub fn new(storage: &'a mut [u8], start: usize, len: usize) -> Result<Self, NoRoom> {
        let end = start.checked_add(len).ok_or(NoRoom { needed: len })?;
        if end > storage.len() {
            return Err(NoRoom {
                needed: end - storage.len(),
            });
        }
        Ok(Self {
            storage,
            start,
            end,
        })
    }

    /// Copies `packet` into `storage` after `headroom` bytes (for tests and slow paths).
    pub fn copy_in(storage: &'a mut [u8], headroom: usize, packet: &[u8]) -> Result<Self, NoRoom> {
        let end = headroom + packet.len();
        if end > storage.len() {
            return Err(NoRoom {
                needed: end - storage.len(),
            });
        }
        storage[headroom..end].copy_from_slice(packet);
        Ok(Self {
            storage,
            start: headroom,
            end,
        })
    }

    pub fn data(&self) -> &[u8] {
        &self.storage[self.start..self.end]
    }
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.end]
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn headroom(&self) -> usize {
        self.start
    }
    pub fn tailroom(&self) -> usize {
        self.storage.len() - self.end
    }
    /// Offset of the packet inside the storage.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Grows the packet by `n` bytes at the front and returns them.
    pub fn prepend(&mut self, n: usize) -> Result<&mut [u8], NoRoom> {
        if n > self.start {
            return Err(NoRoom {
                needed: n - self.start,
            });
        }
        self.start -= n;
        Ok(&mut self.storage[self.start..self.start + n])
    }

    /// Grows the packet by `n` bytes at the back and returns them.
    pub fn append(&mut self, n: usize) -> Result<&mut [u8], NoRoom> {
        if n > self.tailroom() {
            return Err(NoRoom {
                needed: n - self.tailroom(),
            });
        }
        self.end += n;
        Ok(&mut self.storage[self.end - n..self.end])
    }

    /// Drops `n` bytes from the front (callers check `n <= len()`).
    pub fn trim_front(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Drops `n` bytes from the back.
    pub fn trim_back(&mut self, n: usize) {
        self.end = self.end.saturating_sub(n).max(self.start);
    }

    /// Keeps only the first `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        self.end = self.start + len.min(self.len());
    }

    /// Moves the first `n` bytes of the packet `by` bytes towards the back (overlapping
    /// copy), then trims `by` bytes from the front: removes a gap of `by` bytes that starts
    /// at offset `n`. Used to drop an ESP/AH header from behind a transport-mode IP header.
    pub fn remove_gap(&mut self, n: usize, by: usize) {
        let s = self.start;
        self.storage.copy_within(s..s + n, s + by);
        self.start += by;
    }

    /// Grows the packet by `by` bytes at the front and moves its first `n` bytes there,
    /// opening a gap of `by` bytes at offset `n` (transport-mode insertion).
    pub fn open_gap(&mut self, n: usize, by: usize) -> Result<&mut [u8], NoRoom> {
        if by > self.start {
            return Err(NoRoom {
                needed: by - self.start,
            });
        }
        let s = self.start;
        self.storage.copy_within(s..s + n, s - by);
        self.start -= by;
        Ok(&mut self.storage[self.start + n..self.start + n + by])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_and_shrink() {
        let mut storage = [0u8; 16];
        let mut b = PacketBuf::copy_in(&mut storage, 4, &[1, 2, 3]).unwrap();
        b.prepend(2).unwrap().copy_from_slice(&[8, 9]);
        b.append(1).unwrap()[0] = 7;
        assert_eq!(b.data(), &[8, 9, 1, 2, 3, 7]);
        assert_eq!(b.prepend(3).unwrap_err(), NoRoom { needed: 1 });
        assert!(b.append(8).is_ok());
        assert_eq!(b.append(1).unwrap_err(), NoRoom { needed: 1 });
        b.trim_front(2);
        b.truncate(3);
        assert_eq!(b.data(), &[1, 2, 3]);
    }

    #[test]
    fn gaps() {
        let mut storage = [0u8; 16];
        let mut b = PacketBuf::copy_in(&mut storage, 8, &[1, 2, 3, 4]).unwrap();
        b.open_gap(2, 3).unwrap().copy_from_slice(&[7, 7, 7]);
        assert_eq!(b.data(), &[1, 2, 7, 7, 7, 3, 4]);
        b.remove_gap(2, 3);
        assert_eq!(b.data(), &[1, 2, 3, 4]);
    }
}
