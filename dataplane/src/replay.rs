//! Anti-replay window with Extended Sequence Numbers (RFC 4303 3.4.3 and appendix A).
//!
//! Two phases, as every careful implementation does: [`ReplayWindow::check`] runs before the
//! ICV is verified and only reads; [`ReplayWindow::commit`] runs after the ICV verified. A
//! forged packet therefore can never advance the window.
//!
//! The bitmap is a ring indexed by `seq mod size` (RFC 6479), so advancing the window clears
//! only the words it passes over instead of shifting the whole bitmap. The default size is 1024
//! packets: parallel workers and batched I/O reorder packets far more than the RFC's 64.

pub const DEFAULT_WINDOW: u32 = 1024;
pub const MIN_WINDOW: u32 = 32;
pub const MAX_WINDOW: u32 = 65536;

/// Why a sequence number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error("sequence number already received")]
    Replayed,
    #[error("sequence number is older than the window")]
    TooOld,
    #[error("sequence number zero is never sent")]
    Zero,
}

/// The receive state of one inbound SA.
#[derive(Debug, Clone)]
pub struct ReplayWindow {
    /// Highest authenticated sequence number (64-bit; the high half is implicit on the wire).
    top: u64,
    size: u64,
    bitmap: Box<[u64]>,
    esn: bool,
    /// `false` disables checking (window size 0), as manual keying sometimes requires.
    enabled: bool,
}

impl ReplayWindow {
    /// A window of `size` packets (rounded up to a multiple of 64, clamped to
    /// [`MIN_WINDOW`]..=[`MAX_WINDOW`]); `size == 0` accepts everything.
    pub fn new(size: u32, esn: bool) -> Self {
        let enabled = size != 0;
        let size = (size.clamp(MIN_WINDOW, MAX_WINDOW) as u64).div_ceil(64) * 64;
        // One spare word, so the word holding `top` never shares bits with the oldest edge.
        let words = (size / 64 + 1) as usize;
        Self {
            top: 0,
            size,
            bitmap: vec![0u64; words].into_boxed_slice(),
            esn,
            enabled,
        }
    }

    pub fn size(&self) -> u32 {
        if self.enabled { self.size as u32 } else { 0 }
    }

    /// Highest sequence number seen so far.
    pub fn top(&self) -> u64 {
        self.top
    }

    /// Reconstructs the full 64-bit sequence number from the 32 bits on the wire (RFC 4303
    /// A2.2) and checks it against the window. Does not modify the window.
    pub fn check(&self, seq_low: u32) -> Result<u64, ReplayError> {
        let seq = self.infer(seq_low);
        if seq == 0 {
            return Err(ReplayError::Zero);
        }
        if !self.enabled || seq > self.top {
            return Ok(seq);
        }
        if self.top - seq >= self.size {
            return Err(ReplayError::TooOld);
        }
        if self.bit(seq) {
            return Err(ReplayError::Replayed);
        }
        Ok(seq)
    }

    /// Records an authenticated sequence number returned by [`check`](Self::check).
    pub fn commit(&mut self, seq: u64) {
        if !self.enabled {
            self.top = self.top.max(seq);
            return;
        }
        if seq > self.top {
            self.advance_to(seq);
        } else if self.top - seq >= self.size {
            return;
        }
        let (word, mask) = self.position(seq);
        self.bitmap[word] |= mask;
    }

    fn infer(&self, seq_low: u32) -> u64 {
        if !self.esn {
            return seq_low as u64;
        }
        let window = self.size;
        let tl = self.top as u32 as u64;
        let th = self.top >> 32;
        let s = seq_low as u64;
        // Case A of A2.2: the window lies within one 2^32 subspace.
        if tl >= window - 1 {
            if s >= tl - (window - 1) {
                (th << 32) | s
            } else {
                ((th + 1) << 32) | s
            }
        } else {
            // Case B: the window spans two subspaces.
            let bottom = tl.wrapping_sub(window - 1) & 0xffff_ffff;
            if s >= bottom && th > 0 {
                ((th - 1) << 32) | s
            } else {
                (th << 32) | s
            }
        }
    }

    fn position(&self, seq: u64) -> (usize, u64) {
        let bit = seq % (self.bitmap.len() as u64 * 64);
        ((bit / 64) as usize, 1u64 << (bit % 64))
    }

    fn bit(&self, seq: u64) -> bool {
        let (word, mask) = self.position(seq);
        self.bitmap[word] & mask != 0
    }

    fn advance_to(&mut self, seq: u64) {
        let words = self.bitmap.len() as u64;
        let old_word = self.top / 64;
        let new_word = seq / 64;
        let passed = new_word - old_word;
        if passed >= words {
            self.bitmap.fill(0);
        } else {
            for w in old_word + 1..=new_word {
                self.bitmap[(w % words) as usize] = 0;
            }
        }
        self.top = seq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn accept(w: &mut ReplayWindow, seq: u32) -> Result<u64, ReplayError> {
        let s = w.check(seq)?;
        w.commit(s);
        Ok(s)
    }

    #[test]
    fn in_order_and_replays() {
        let mut w = ReplayWindow::new(64, false);
        assert_eq!(accept(&mut w, 0), Err(ReplayError::Zero));
        for s in 1..=100 {
            assert_eq!(accept(&mut w, s), Ok(s as u64));
        }
        assert_eq!(accept(&mut w, 100), Err(ReplayError::Replayed));
        assert_eq!(accept(&mut w, 37), Err(ReplayError::Replayed));
        assert_eq!(accept(&mut w, 36), Err(ReplayError::TooOld));
    }

    #[test]
    fn out_of_order_inside_window() {
        let mut w = ReplayWindow::new(1024, false);
        accept(&mut w, 2000).unwrap();
        assert!(accept(&mut w, 1000).is_ok());
        assert_eq!(accept(&mut w, 976), Err(ReplayError::TooOld));
        assert_eq!(accept(&mut w, 1000), Err(ReplayError::Replayed));
        accept(&mut w, 1999).unwrap();
    }

    #[test]
    fn check_does_not_commit() {
        let mut w = ReplayWindow::new(64, false);
        assert_eq!(w.check(5), Ok(5));
        assert_eq!(w.check(5), Ok(5));
        w.commit(5);
        assert_eq!(w.check(5), Err(ReplayError::Replayed));
        assert_eq!(w.top(), 5);
    }

    #[test]
    fn large_jump_clears_window() {
        let mut w = ReplayWindow::new(128, false);
        accept(&mut w, 5).unwrap();
        accept(&mut w, 1_000_000).unwrap();
        assert!(accept(&mut w, 1_000_000 - 127).is_ok());
        assert_eq!(accept(&mut w, 1_000_000 - 128), Err(ReplayError::TooOld));
    }

    #[test]
    fn esn_crosses_the_32_bit_boundary() {
        let mut w = ReplayWindow::new(64, true);
        accept(&mut w, u32::MAX - 1).unwrap();
        // Low 32 bits wrap to small numbers: inferred in the next subspace.
        assert_eq!(accept(&mut w, 3), Ok((1 << 32) | 3));
        // A late packet from the previous subspace is still placed correctly.
        assert_eq!(accept(&mut w, u32::MAX), Ok(u32::MAX as u64));
        assert_eq!(accept(&mut w, u32::MAX - 1), Err(ReplayError::Replayed));
        assert_eq!(w.top(), (1 << 32) | 3);
    }

    #[test]
    fn disabled_window_accepts_replays() {
        let mut w = ReplayWindow::new(0, false);
        assert_eq!(w.size(), 0);
        accept(&mut w, 5).unwrap();
        assert!(accept(&mut w, 5).is_ok());
    }

    #[test]
    fn sizes_are_clamped() {
        assert_eq!(ReplayWindow::new(1, false).size(), 64);
        assert_eq!(ReplayWindow::new(4096, false).size(), 4096);
        assert_eq!(ReplayWindow::new(100_000, false).size(), 65536);
    }

    proptest! {
        /// The ring bitmap agrees with a naive set-based model for arbitrary arrival orders.
        #[test]
        fn matches_model(seqs in proptest::collection::vec(1u32..3000, 1..400), size in 32u32..300) {
            let mut w = ReplayWindow::new(size, false);
            let effective = w.size() as u64;
            let mut seen = std::collections::BTreeSet::new();
            let mut top = 0u64;
            for s in seqs {
                let s64 = s as u64;
                let expected = if s64 > top {
                    Ok(s64)
                } else if top - s64 >= effective {
                    Err(ReplayError::TooOld)
                } else if seen.contains(&s64) {
                    Err(ReplayError::Replayed)
                } else {
                    Ok(s64)
                };
                prop_assert_eq!(accept(&mut w, s), expected);
                if expected.is_ok() {
                    seen.insert(s64);
                    top = top.max(s64);
                }
            }
        }
    }
}
