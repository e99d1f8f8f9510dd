//! IKE fragmentation (RFC 7383): cutting a large protected message (IKE_AUTH with a
//! certificate chain, say) into SKF fragments that each fit an unfragmented IP datagram,
//! and putting a peer's fragments back together.
//!
//! IP fragments of UDP are dropped by many NATs and firewalls; IKE fragments are each a
//! whole, separately authenticated IKE message, so they pass wherever IKE does.

use std::net::SocketAddr;

use zeroize::Zeroizing;

use super::crypto::SkCipher;
use super::wire::{Fragment, PayloadType};

/// Most fragments we accept for one message: a 16-certificate chain fits in far fewer.
/// Bounds the memory a peer can make us hold (RFC 7383 2.6 asks for such a limit).
pub const MAX_FRAGMENTS: u16 = 64;

/// Most bytes of decrypted fragment content we hold for one message.
pub const MAX_REASSEMBLED_LEN: usize = 64 * 1024;

/// IKE header (28) + SKF payload header (8).
const FRAGMENT_FRAME_LEN: usize = 28 + 8;

/// Bytes of inner payloads one fragment can carry when talking from `local` to `remote`
/// under `cipher`: what is left of an IP datagram of `datagram_len` bytes after the IP and
/// UDP headers, the non-ESP marker on port 4500, the IKE and SKF headers, IV, padding and
/// ICV.
pub fn fragment_capacity(
    cipher: &SkCipher,
    local: SocketAddr,
    remote: SocketAddr,
    datagram_len: usize,
) -> usize {
    let ip_header = if remote.is_ipv4() { 20 } else { 40 };
    let natt = [local.port(), remote.port()].contains(&super::endpoint::NATT_PORT);
    let marker = if natt { 4 } else { 0 };
    let room = datagram_len.saturating_sub(ip_header + 8 + marker + FRAGMENT_FRAME_LEN);
    // body_len grows by whole cipher blocks; step down from an upper bound until it fits.
    let mut plain = room.saturating_sub(cipher.iv_len() + cipher.icv_len());
    while plain > 0 && cipher.body_len(plain) > room {
        plain -= 1;
    }
    plain
}

/// How `inner` (an encoded inner payload chain) is cut: one (fragment, first-inner, bytes)
/// per SKF payload. Only fragment 1 names the first inner payload (RFC 7383 2.5).
pub fn split(
    inner: &[u8],
    first: PayloadType,
    capacity: usize,
) -> Vec<(Fragment, PayloadType, &[u8])> {
    let chunks: Vec<&[u8]> = inner.chunks(capacity.max(1)).collect();
    let total = u16::try_from(chunks.len()).unwrap_or(u16::MAX);
    chunks
        .into_iter()
        .zip(1u16..)
        .map(|(bytes, number)| {
            let next = if number == 1 {
                first
            } else {
                PayloadType::NONE
            };
            (Fragment { number, total }, next, bytes)
        })
        .collect()
}

/// Why a received fragment was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    #[error("{0} fragments announced, more than the {MAX_FRAGMENTS} accepted")]
    TooMany(u16),
    #[error("reassembled message would exceed {MAX_REASSEMBLED_LEN} bytes")]
    TooLarge,
    #[error("fragment {number} of {total}, but an earlier fragment said {earlier} in all")]
    FewerThanBefore {
        number: u16,
        total: u16,
        earlier: u16,
    },
    #[error("fragment 1 names no first payload")]
    NoFirstPayload,
}

/// A reassembled message: the first inner payload's type and the inner payload chain.
pub type Reassembled = (PayloadType, Zeroizing<Vec<u8>>);

/// One message's fragments as they arrive (already authenticated and decrypted).
pub struct Reassembly {
    pub message_id: u32,
    pub response: bool,
    total: u16,
    first_inner: PayloadType,
    parts: Vec<Option<Zeroizing<Vec<u8>>>>,
    held: usize,
}

impl Reassembly {
    pub fn new(message_id: u32, response: bool, total: u16) -> Result<Self, FragmentError> {
        if total > MAX_FRAGMENTS {
            return Err(FragmentError::TooMany(total));
        }
        Ok(Reassembly {
            message_id,
            response,
            total,
            first_inner: PayloadType::NONE,
            parts: (0..total).map(|_| None).collect(),
            held: 0,
        })
    }

    pub fn total(&self) -> u16 {
        self.total
    }

    /// Keeps one decrypted fragment; a repeat of one we hold is ignored. Returns the whole
    /// inner payload chain and its first payload type once every fragment is in.
    pub fn add(
        &mut self,
        fragment: Fragment,
        first_inner: PayloadType,
        content: Zeroizing<Vec<u8>>,
    ) -> Result<Option<Reassembled>, FragmentError> {
        if fragment.total != self.total {
            // RFC 7383 2.6: a larger total means the sender re-fragmented (smaller size):
            // the caller starts over; a smaller one is a stale fragment.
            return Err(FragmentError::FewerThanBefore {
                number: fragment.number,
                total: fragment.total,
                earlier: self.total,
            });
        }
        let slot = usize::from(fragment.number - 1);
        if self.parts.get(slot).is_some_and(Option::is_some) {
            return Ok(None);
        }
        if fragment.number == 1 {
            if first_inner == PayloadType::NONE {
                return Err(FragmentError::NoFirstPayload);
            }
            self.first_inner = first_inner;
        }
        if self.held + content.len() > MAX_REASSEMBLED_LEN {
            return Err(FragmentError::TooLarge);
        }
        self.held += content.len();
        if let Some(s) = self.parts.get_mut(slot) {
            *s = Some(content);
        }
        if self.parts.iter().any(Option::is_none) {
            return Ok(None);
        }
        let mut whole = Zeroizing::new(Vec::with_capacity(self.held));
        for part in self.parts.iter().flatten() {
            whole.extend_from_slice(part);
        }
        Ok(Some((self.first_inner, whole)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(number: u16, total: u16) -> Fragment {
        Fragment { number, total }
    }

    #[test]
    fn split_names_the_first_payload_only_in_fragment_one() {
        let inner: Vec<u8> = (0..250u8).collect();
        let parts = split(&inner, PayloadType::IDI, 100);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].0, frag(1, 3));
        assert_eq!(parts[0].1, PayloadType::IDI);
        assert_eq!(parts[1].1, PayloadType::NONE);
        assert_eq!(parts[2].2.len(), 50);
        let joined: Vec<u8> = parts.iter().flat_map(|p| p.2.iter().copied()).collect();
        assert_eq!(joined, inner);
    }

    #[test]
    fn reassembles_out_of_order_and_ignores_repeats() {
        let mut r = Reassembly::new(1, false, 3).unwrap();
        let c = |b: &[u8]| Zeroizing::new(b.to_vec());
        assert_eq!(
            r.add(frag(3, 3), PayloadType::NONE, c(b"ef")).unwrap(),
            None
        );
        assert_eq!(r.add(frag(1, 3), PayloadType::IDI, c(b"ab")).unwrap(), None);
        assert_eq!(r.add(frag(1, 3), PayloadType::IDI, c(b"XX")).unwrap(), None);
        let (first, whole) = r
            .add(frag(2, 3), PayloadType::NONE, c(b"cd"))
            .unwrap()
            .unwrap();
        assert_eq!(first, PayloadType::IDI);
        assert_eq!(whole.as_slice(), b"abcdef");
    }

    #[test]
    fn hostile_fragment_sets_are_refused() {
        assert_eq!(
            Reassembly::new(0, false, MAX_FRAGMENTS + 1).err(),
            Some(FragmentError::TooMany(MAX_FRAGMENTS + 1))
        );
        let mut r = Reassembly::new(0, false, 2).unwrap();
        assert!(matches!(
            r.add(frag(1, 1), PayloadType::IDI, Zeroizing::new(vec![1])),
            Err(FragmentError::FewerThanBefore { .. })
        ));
        assert_eq!(
            r.add(frag(1, 2), PayloadType::NONE, Zeroizing::new(vec![1])),
            Err(FragmentError::NoFirstPayload)
        );
        let big = Zeroizing::new(vec![0u8; MAX_REASSEMBLED_LEN + 1]);
        assert_eq!(
            r.add(frag(2, 2), PayloadType::NONE, big),
            Err(FragmentError::TooLarge)
        );
    }
}
