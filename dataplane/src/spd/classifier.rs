//! First-match packet classification without a linear scan: tuple space search with priority
//! ordering, the design of Open vSwitch's classifier.
//!
//! Policies are grouped by the shape of their address match, `(source prefix length,
//! destination prefix length)`, one [`Classifier`] per address family. Within a group every
//! policy's addresses are exact-match keys once masked, so a group is one hash lookup. A packet
//! is looked up in each group in turn; the answer is the smallest policy index found. Groups are
//! visited in ascending order of the smallest index they hold, so the walk stops as soon as the
//! next group cannot hold anything earlier than the match already in hand — for the usual table
//! (a few prefix shapes, specific entries first) a hit costs a handful of hash probes however
//! many policies there are.
//!
//! Protocol and ports are not part of the key: policies that share masked addresses share a
//! slot, and the slot lists them in table order, so the first one whose protocol and ports
//! also match is that group's answer. The table marks a second enabled policy with the same
//! addresses invalid, so in practice a slot holds one candidate and the list is empty.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::{BitAnd, Range};

use super::PortMatch;

/// The protocol and port part of a policy's match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Upper {
    pub protocol: Option<u8>,
    pub src_port: PortMatch,
    pub dst_port: PortMatch,
}

impl Upper {
    #[inline]
    fn matches(&self, protocol: u8, src_port: u16, dst_port: u16) -> bool {
        self.protocol.is_none_or(|p| p == protocol)
            && self.src_port.matches(src_port)
            && self.dst_port.matches(dst_port)
    }
}

/// An address of one family as an integer, so masking is one AND.
pub(super) trait AddrBits: Copy + Eq + BitAnd<Output = Self> + fmt::Debug {
    /// The hash key of a masked (source, destination) pair.
    type Key: Copy + Eq + Hash + fmt::Debug;
    fn mask(prefix_len: u8) -> Self;
    fn key(src: Self, dst: Self) -> Self::Key;
}

impl AddrBits for u32 {
    type Key = u64;
    #[inline]
    fn mask(prefix_len: u8) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(prefix_len.min(32)))
            .unwrap_or(0)
    }
    #[inline]
    fn key(src: u32, dst: u32) -> u64 {
        (u64::from(src) << 32) | u64::from(dst)
    }
}

impl AddrBits for u128 {
    type Key = (u128, u128);
    #[inline]
    fn mask(prefix_len: u8) -> u128 {
        u128::MAX
            .checked_shl(128 - u32::from(prefix_len.min(128)))
            .unwrap_or(0)
    }
    #[inline]
    fn key(src: u128, dst: u128) -> (u128, u128) {
        (src, dst)
    }
}

/// The hasher for group keys, keyed from the OS's randomness when a table is built.
///
/// Why keyed: lookups hash packet addresses, which anyone can send, but what can hurt a hash
/// table is many *stored* keys colliding (long probe sequences for every lookup). Stored keys
/// come from the configuration and from dynamic policies that IKE generates from templates, and
/// a peer chooses the traffic selectors of the latter. With an unknown key a peer cannot aim
/// its selectors at one bucket. Why not SipHash: keys are 8 or 32 bytes and this is the per-
/// packet path; a folded multiply (the construction of foldhash/aHash's fallback) hashes a
/// 64-bit word in a few cycles and is good enough against an attacker who never sees hashes.
#[derive(Clone, Copy)]
pub(super) struct KeyedState {
    seed: u64,
    k1: u64,
    k2: u64,
}

impl KeyedState {
    pub fn new() -> Self {
        // `RandomState::new()` is keyed from the OS once per thread and stepped per call.
        let random = RandomState::new();
        Self {
            seed: random.hash_one(0u8),
            k1: random.hash_one(1u8) | 1,
            k2: random.hash_one(2u8) | 1,
        }
    }
}

impl fmt::Debug for KeyedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyedState { .. }")
    }
}

impl BuildHasher for KeyedState {
    type Hasher = KeyedHasher;
    #[inline]
    fn build_hasher(&self) -> KeyedHasher {
        KeyedHasher {
            acc: self.seed,
            k1: self.k1,
            k2: self.k2,
        }
    }
}

pub(super) struct KeyedHasher {
    acc: u64,
    k1: u64,
    k2: u64,
}

#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

impl Hasher for KeyedHasher {
    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.acc = folded_multiply(self.acc ^ word, self.k1);
    }

    #[inline]
    fn write_u128(&mut self, word: u128) {
        self.write_u64(word as u64);
        self.write_u64((word >> 64) as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by the keys above; here so any key type hashes correctly.
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
        self.write_u64(bytes.len() as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        folded_multiply(self.acc, self.k2)
    }
}

/// A policy as the classifier sees it: its table index and protocol/port match.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    index: u32,
    upper: Upper,
}

/// Every policy of one group with one masked address pair, in table order.
#[derive(Debug)]
struct Slot {
    first: Candidate,
    /// The others, in `Group::overflow`; empty unless the table has same-address policies.
    more: Range<u32>,
}

/// All policies with one `(source prefix length, destination prefix length)` shape.
#[derive(Debug)]
struct Group<A: AddrBits> {
    src_mask: A,
    dst_mask: A,
    /// The smallest policy index in the group: the walk's stopping rule.
    min_index: u32,
    slots: HashMap<A::Key, Slot, KeyedState>,
    overflow: Vec<Candidate>,
}

/// A group while policies are added: each masked pair's candidates in table order.
struct GroupBuilder<A: AddrBits> {
    src_mask: A,
    dst_mask: A,
    min_index: u32,
    by_key: HashMap<A::Key, Vec<Candidate>, KeyedState>,
}

impl<A: AddrBits> GroupBuilder<A> {
    fn finish(self, hasher: KeyedState) -> Group<A> {
        let mut slots = HashMap::with_capacity_and_hasher(self.by_key.len(), hasher);
        let mut overflow = Vec::new();
        for (key, candidates) in self.by_key {
            let Some((first, more)) = candidates.split_first() else {
                continue;
            };
            let start = overflow.len() as u32;
            overflow.extend_from_slice(more);
            slots.insert(
                key,
                Slot {
                    first: *first,
                    more: start..overflow.len() as u32,
                },
            );
        }
        let (src_mask, dst_mask, min_index) = (self.src_mask, self.dst_mask, self.min_index);
        Group {
            src_mask,
            dst_mask,
            min_index,
            slots,
            overflow,
        }
    }
}

/// One policy to index, as [`Classifier::build`] takes it.
pub(super) struct Indexed<A> {
    pub index: u32,
    pub src: A,
    pub src_len: u8,
    pub dst: A,
    pub dst_len: u8,
    pub upper: Upper,
}

/// The tuple-space index of one address family.
#[derive(Debug)]
pub(super) struct Classifier<A: AddrBits> {
    /// Ascending by `min_index`.
    groups: Vec<Group<A>>,
}

impl<A: AddrBits> Classifier<A> {
    /// Indexes `entries`, which must come in ascending `index` order.
    pub fn build(entries: impl IntoIterator<Item = Indexed<A>>, hasher: KeyedState) -> Self {
        // Groups in order of first appearance, which is ascending minimum index because
        // entries come in index order.
        let mut shapes: HashMap<(u8, u8), usize> = HashMap::new();
        let mut building: Vec<GroupBuilder<A>> = Vec::new();
        for e in entries {
            let group = *shapes.entry((e.src_len, e.dst_len)).or_insert_with(|| {
                building.push(GroupBuilder {
                    src_mask: A::mask(e.src_len),
                    dst_mask: A::mask(e.dst_len),
                    min_index: e.index,
                    by_key: HashMap::with_hasher(hasher),
                });
                building.len() - 1
            });
            let g = &mut building[group];
            let key = A::key(e.src & g.src_mask, e.dst & g.dst_mask);
            let candidate = Candidate {
                index: e.index,
                upper: e.upper,
            };
            g.by_key.entry(key).or_default().push(candidate);
        }
        Self {
            groups: building.into_iter().map(|g| g.finish(hasher)).collect(),
        }
    }

    /// The smallest index among the policies matching the packet.
    #[inline]
    pub fn lookup(
        &self,
        src: A,
        dst: A,
        protocol: u8,
        src_port: u16,
        dst_port: u16,
    ) -> Option<u32> {
        let mut best = u32::MAX;
        for group in &self.groups {
            if group.min_index >= best {
                // This and every later group hold only policies after the match in hand.
                break;
            }
            let Some(slot) = group
                .slots
                .get(&A::key(src & group.src_mask, dst & group.dst_mask))
            else {
                continue;
            };
            if slot.first.index >= best {
                continue;
            }
            if slot.first.upper.matches(protocol, src_port, dst_port) {
                best = slot.first.index;
                continue;
            }
            let more = &group.overflow[slot.more.start as usize..slot.more.end as usize];
            for c in more {
                if c.index >= best {
                    break;
                }
                if c.upper.matches(protocol, src_port, dst_port) {
                    best = c.index;
                    break;
                }
            }
        }
        (best != u32::MAX).then_some(best)
    }

    /// How many prefix shapes a lookup may probe (the cost of a miss).
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(u32::mask(0), 0);
        assert_eq!(u32::mask(1), 0x8000_0000);
        assert_eq!(u32::mask(24), 0xffff_ff00);
        assert_eq!(u32::mask(32), u32::MAX);
        assert_eq!(u128::mask(0), 0);
        assert_eq!(u128::mask(64), u128::MAX << 64);
        assert_eq!(u128::mask(128), u128::MAX);
    }

    fn entry(index: u32, src: u32, src_len: u8, protocol: Option<u8>) -> Indexed<u32> {
        let upper = Upper {
            protocol,
            src_port: PortMatch::Any,
            dst_port: PortMatch::Any,
        };
        Indexed {
            index,
            src,
            src_len,
            dst: 0,
            dst_len: 0,
            upper,
        }
    }

    #[test]
    fn same_address_candidates_are_tried_in_order() {
        // The table never indexes two policies with the same masked addresses (the second is
        // invalid), but the classifier does not rely on it.
        let c = Classifier::build(
            [
                entry(0, 0x0a00_0000, 8, Some(6)),
                entry(1, 0x0a01_0000, 16, None),
                entry(2, 0x0a00_0000, 8, Some(17)),
                entry(3, 0x0a00_0000, 8, Some(1)),
                entry(4, 0x0a00_0000, 8, None),
            ],
            KeyedState::new(),
        );
        assert_eq!(c.group_count(), 2);
        assert_eq!(c.lookup(0x0a02_0000, 1, 6, 0, 0), Some(0));
        assert_eq!(c.lookup(0x0a02_0000, 1, 17, 0, 0), Some(2));
        assert_eq!(c.lookup(0x0a02_0000, 1, 1, 0, 0), Some(3));
        assert_eq!(c.lookup(0x0a02_0000, 1, 50, 0, 0), Some(4));
        // The /16 at index 1 beats the /8's later candidates but not index 0.
        assert_eq!(c.lookup(0x0a01_0001, 1, 17, 0, 0), Some(1));
        assert_eq!(c.lookup(0x0a01_0001, 1, 6, 0, 0), Some(0));
        assert_eq!(c.lookup(0x0b00_0000, 1, 6, 0, 0), None);
    }

    #[test]
    fn hasher_is_keyed_per_table() {
        let a = KeyedState::new();
        let b = KeyedState::new();
        let probe = 0x0a00_0001_0a00_0002u64;
        assert_ne!(a.hash_one(probe), b.hash_one(probe));
        assert_eq!(a.hash_one(probe), a.hash_one(probe));
        assert_ne!(a.hash_one((1u128, 2u128)), a.hash_one((2u128, 1u128)));
    }
}
