//! Moving packets to the worker that owns their SA.
//!
//! Ownership decision: every SA (both directions of a policy's SA pair) is owned by exactly
//! one worker, which alone touches its sequence counter, replay window and byte counters.
//! Sharing an SA between cores would make its counter and window one cache line that every
//! core fights over, and RFC 4303 forbids sending one sequence number twice, so a shared SA
//! would need an atomic per packet and a locked window. VPP takes the same approach (packets
//! are handed to the SA's thread). A worker that reads a packet for an SA it does not own
//! copies it into a pooled slot and pushes it onto the owner's lock-free queue; no lock, no
//! allocation. With RFC 9611 per-CPU SAs (IKE, later) each worker owns its own SA and the
//! hand-off disappears from the fast path.

use crate::spd::PolicyId;
use crossbeam_queue::ArrayQueue;

/// The largest packet that can be handed between workers: a 9000-byte jumbo frame plus room
/// for its outer headers. Larger ones (only possible with an MTU above jumbo size) are
/// counted as buffer errors rather than making every slot 64 KiB.
pub const MAX_HANDOFF_PACKET: usize = 9216;

/// Bytes per slot: headroom, the packet, and tailroom for encapsulation.
pub const SLOT_BYTES: usize =
    crate::buf::DEFAULT_HEADROOM + MAX_HANDOFF_PACKET + crate::buf::DEFAULT_TAILROOM;

/// What the owner must do with a handed-off packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// An inner packet already classified to this encrypt policy.
    Encrypt(PolicyId),
    /// A received IPsec packet (a whole outer IP packet) for one of the owner's SAs.
    Decrypt,
}

/// One packet in transit between workers.
pub struct Slot {
    storage: Box<[u8]>,
    start: usize,
    len: usize,
    pub work: Work,
}

impl Slot {
    fn new() -> Box<Slot> {
        Box::new(Slot {
            storage: vec![0u8; SLOT_BYTES].into_boxed_slice(),
            start: 0,
            len: 0,
            work: Work::Decrypt,
        })
    }

    /// Copies `packet` in behind the default headroom. Returns `false` if it does not fit.
    pub fn fill(&mut self, packet: &[u8], work: Work) -> bool {
        let start = crate::buf::DEFAULT_HEADROOM;
        let Some(dst) = self.storage.get_mut(start..start + packet.len()) else {
            return false;
        };
        dst.copy_from_slice(packet);
        self.start = start;
        self.len = packet.len();
        self.work = work;
        true
    }

    /// The packet as a [`crate::buf::PacketBuf`] with the slot's head- and tailroom. `None`
    /// only for a slot that was never filled.
    pub fn packet_buf(&mut self) -> Option<crate::buf::PacketBuf<'_>> {
        crate::buf::PacketBuf::new(&mut self.storage, self.start, self.len).ok()
    }
}

/// The shared pool of free slots and one inbound queue per worker.
pub struct Handoff {
    free: ArrayQueue<Box<Slot>>,
    queues: Vec<ArrayQueue<Box<Slot>>>,
}

impl Handoff {
    /// `slots` packets may be in flight between workers at once; each queue holds up to
    /// `queue_len` of them.
    pub fn new(workers: usize, slots: usize, queue_len: usize) -> Self {
        let free = ArrayQueue::new(slots.max(1));
        for _ in 0..slots {
            let _ = free.push(Slot::new());
        }
        let queues = (0..workers)
            .map(|_| ArrayQueue::new(queue_len.max(1)))
            .collect();
        Self { free, queues }
    }

    pub fn workers(&self) -> usize {
        self.queues.len()
    }

    /// A free slot, or `None` when every slot is in flight (the caller counts a buffer error).
    pub fn take(&self) -> Option<Box<Slot>> {
        self.free.pop()
    }

    /// Returns a slot to the pool.
    pub fn release(&self, slot: Box<Slot>) {
        // The pool never holds more slots than were created, so this cannot overflow.
        let _ = self.free.push(slot);
    }

    /// Queues a filled slot for worker `to`; a full queue gives the slot back to the caller.
    pub fn send(&self, to: usize, slot: Box<Slot>) -> Result<(), Box<Slot>> {
        match self.queues.get(to) {
            Some(q) => q.push(slot),
            None => Err(slot),
        }
    }

    /// The next packet handed to worker `me`.
    pub fn receive(&self, me: usize) -> Option<Box<Slot>> {
        self.queues.get(me)?.pop()
    }
}

/// Which worker owns the SAs of a policy: spread by policy row so different tunnels land on
/// different cores, and both directions of one policy on the same core.
pub fn owner_of_policy(policy_index: usize, workers: usize) -> usize {
    policy_index % workers.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_circulate_without_loss() {
        let h = Handoff::new(2, 4, 2);
        let mut slot = h.take().unwrap();
        assert!(slot.fill(&[1, 2, 3], Work::Decrypt));
        h.send(1, slot).map_err(|_| "full").unwrap();
        assert!(h.receive(0).is_none());
        let mut got = h.receive(1).unwrap();
        assert_eq!(got.packet_buf().unwrap().data(), &[1, 2, 3]);
        assert_eq!(got.work, Work::Decrypt);
        h.release(got);
        // Four slots exist; a queue of two refuses the third.
        let slots: Vec<_> = (0..4).map(|_| h.take().unwrap()).collect();
        assert!(h.take().is_none());
        let mut it = slots.into_iter();
        assert!(h.send(0, it.next().unwrap()).is_ok());
        assert!(h.send(0, it.next().unwrap()).is_ok());
        assert!(h.send(0, it.next().unwrap()).is_err());
        assert!(h.send(7, it.next().unwrap()).is_err());
    }

    #[test]
    fn oversized_packet_is_refused() {
        let h = Handoff::new(1, 1, 1);
        let mut slot = h.take().unwrap();
        assert!(!slot.fill(&vec![0u8; SLOT_BYTES], Work::Decrypt));
    }

    #[test]
    fn owners_spread_and_pair() {
        assert_eq!(owner_of_policy(0, 4), 0);
        assert_eq!(owner_of_policy(5, 4), 1);
        assert_eq!(owner_of_policy(5, 0), 0);
    }
}
