//! Batched datagram I/O: one `recvmmsg` or `sendmmsg` per batch, nothing allocated per packet.
//!
//! A batch owns N fixed slots laid out as `[headroom | capacity]`, the same shape as a
//! [`PacketBuf`]'s storage, so the engine transforms a received packet where it landed and may
//! prepend headers (an outer IP header synthesized by [`super::synthesize_outer`], or a whole
//! ESP encapsulation) without copying. The `mmsghdr`, `iovec`, `sockaddr_storage` and
//! control-message arrays are allocated once with the batch; their pointers are rewritten
//! before every syscall, so a batch may be moved (or sent to its worker thread) freely.
//!
//! Both work on any datagram socket: the NAT-T UDP socket ([`super::udp`]) and raw ESP/AH
//! sockets ([`super::raw`]).

use super::sys::{
    CmsgBuf, append_udp_segment, cvt, from_sockaddr, parse_pktinfo, to_sockaddr, write_src_pktinfo,
};
use crate::buf::PacketBuf;
use std::io;
use std::mem::zeroed;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};

/// Messages per batch when the caller has no better number (the kernel's UIO_MAXIOV is 1024;
/// 64 keeps a batch inside L2 for 1500-byte packets).
pub const DEFAULT_BATCH: usize = 64;

/// One slot's worth of preallocated syscall state.
fn zeroed_mmsghdr() -> libc::mmsghdr {
    // SAFETY: mmsghdr is plain old data; all-zero means null pointers and zero lengths.
    unsafe { zeroed() }
}

fn zeroed_storage() -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is plain old data; all-zero is AF_UNSPEC.
    unsafe { zeroed() }
}

fn empty_iovec() -> libc::iovec {
    libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }
}

/// Checks the geometry of a batch and returns the size of one slot.
fn slot_size(slots: usize, headroom: usize, capacity: usize) -> io::Result<usize> {
    let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidInput, m.to_owned());
    if slots == 0 || slots > 1024 {
        return Err(invalid("a batch has 1 to 1024 slots"));
    }
    if capacity == 0 {
        return Err(invalid("slot capacity must be non-zero"));
    }
    headroom
        .checked_add(capacity)
        .filter(|s| s.checked_mul(slots).is_some())
        .ok_or_else(|| invalid("batch too large"))
}

/// What the kernel said about one received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvMeta {
    /// The sender (port 0 on raw sockets).
    pub src: SocketAddr,
    /// The destination address of the IP header, ours (IP_PKTINFO / IPV6_PKTINFO).
    pub dst: Option<IpAddr>,
    /// The interface the datagram arrived on (0 if unknown).
    pub ifindex: u32,
    /// Bytes stored after the headroom.
    pub len: usize,
    /// The datagram was longer than the slot and was cut: count it as a drop.
    pub truncated: bool,
    /// UDP GRO (`udp::enable_gro`): these bytes are back-to-back datagrams of this size, the
    /// last one possibly shorter, that the kernel coalesced. `None`: one datagram.
    pub gro_segment: Option<usize>,
}

impl RecvMeta {
    const EMPTY: RecvMeta = RecvMeta {
        src: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        dst: None,
        ifindex: 0,
        len: 0,
        truncated: false,
        gro_segment: None,
    };
}

/// The slot storage and syscall arrays both batch kinds keep, one entry per slot: allocated
/// once, their pointers rewritten before every `recvmmsg`/`sendmmsg`.
struct MsgArrays {
    storage: Box<[u8]>,
    headroom: usize,
    capacity: usize,
    hdrs: Box<[libc::mmsghdr]>,
    iovecs: Box<[libc::iovec]>,
    names: Box<[libc::sockaddr_storage]>,
    controls: Box<[CmsgBuf]>,
}

impl MsgArrays {
    fn new(slots: usize, headroom: usize, capacity: usize) -> io::Result<Self> {
        let size = slot_size(slots, headroom, capacity)?;
        Ok(Self {
            storage: vec![0u8; size * slots].into_boxed_slice(),
            headroom,
            capacity,
            hdrs: (0..slots).map(|_| zeroed_mmsghdr()).collect(),
            iovecs: (0..slots).map(|_| empty_iovec()).collect(),
            names: (0..slots).map(|_| zeroed_storage()).collect(),
            controls: vec![CmsgBuf::new(); slots].into_boxed_slice(),
        })
    }

    fn slot_size(&self) -> usize {
        self.headroom + self.capacity
    }
}

/// A set of receive slots filled by one `recvmmsg`.
pub struct RecvBatch {
    arrays: MsgArrays,
    meta: Box<[RecvMeta]>,
    count: usize,
}

// SAFETY: the raw pointers inside `hdrs` and `iovecs` point only into this batch's own heap
// allocations, are rewritten before each syscall and never dereferenced otherwise; nothing is
// shared with another value, so moving the batch to another thread is sound.
unsafe impl Send for RecvBatch {}

impl std::fmt::Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("slots", &self.arrays.hdrs.len())
            .field("headroom", &self.arrays.headroom)
            .field("capacity", &self.arrays.capacity)
            .field("received", &self.meta())
            .finish()
    }
}

impl RecvBatch {
    /// `slots` slots, each with `headroom` free bytes in front of room for a `capacity`-byte
    /// datagram. Use [`crate::buf::DEFAULT_HEADROOM`] to leave space for an outer IPv6 + UDP
    /// header or a full encapsulation.
    pub fn new(slots: usize, headroom: usize, capacity: usize) -> io::Result<Self> {
        Ok(Self {
            arrays: MsgArrays::new(slots, headroom, capacity)?,
            meta: vec![RecvMeta::EMPTY; slots].into_boxed_slice(),
            count: 0,
        })
    }

    pub fn slots(&self) -> usize {
        self.arrays.hdrs.len()
    }
    pub fn headroom(&self) -> usize {
        self.arrays.headroom
    }
    pub fn capacity(&self) -> usize {
        self.arrays.capacity
    }
    /// Size of one slot's storage (`headroom + capacity`).
    pub fn slot_size(&self) -> usize {
        self.arrays.slot_size()
    }
    /// Messages held from the last [`recv`](Self::recv).
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Receives up to `slots()` datagrams with one nonblocking `recvmmsg`, replacing what the
    /// batch held. `WouldBlock` passes through when nothing is queued.
    pub fn recv(&mut self, sock: &impl AsFd) -> io::Result<usize> {
        self.count = 0;
        let size = self.slot_size();
        let slots = self.arrays.storage.chunks_exact_mut(size);
        for ((((slot, iov), hdr), name), control) in slots
            .zip(self.arrays.iovecs.iter_mut())
            .zip(self.arrays.hdrs.iter_mut())
            .zip(self.arrays.names.iter_mut())
            .zip(self.arrays.controls.iter_mut())
        {
            let data = &mut slot[self.arrays.headroom..];
            *iov = libc::iovec {
                iov_base: data.as_mut_ptr().cast(),
                iov_len: data.len(),
            };
            let m = &mut hdr.msg_hdr;
            m.msg_name = (name as *mut libc::sockaddr_storage).cast();
            m.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            m.msg_iov = iov;
            m.msg_iovlen = 1;
            m.msg_control = control.0.as_mut_ptr().cast();
            m.msg_controllen = control.0.len() as _;
            m.msg_flags = 0;
            hdr.msg_len = 0;
        }
        let n = loop {
            // SAFETY: every header points at this batch's own iovec, name and control
            // buffers set up just above, each live and as long as the lengths say; the kernel
            // writes at most `hdrs.len()` entries. A null timeout means none.
            let r = unsafe {
                libc::recvmmsg(
                    sock.as_fd().as_raw_fd(),
                    self.arrays.hdrs.as_mut_ptr(),
                    self.arrays.hdrs.len() as libc::c_uint,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                )
            };
            match cvt(r) {
                Ok(n) => break n as usize,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        for ((hdr, name), meta) in self.arrays.hdrs[..n]
            .iter()
            .zip(self.arrays.names.iter())
            .zip(self.meta.iter_mut())
        {
            let m = &hdr.msg_hdr;
            let info = parse_pktinfo(m);
            *meta = RecvMeta {
                // Sockets of the families we open always report one; the fallback is unused.
                src: from_sockaddr(name, m.msg_namelen).unwrap_or(RecvMeta::EMPTY.src),
                dst: info.dst,
                ifindex: info.ifindex,
                len: (hdr.msg_len as usize).min(self.arrays.capacity),
                truncated: m.msg_flags & libc::MSG_TRUNC != 0,
                gro_segment: info.gro_segment,
            };
        }
        self.count = n;
        Ok(n)
    }

    /// What is known about each received message.
    pub fn meta(&self) -> &[RecvMeta] {
        &self.meta[..self.count]
    }

    /// The bytes of message `i`.
    pub fn payload(&self, i: usize) -> Option<&[u8]> {
        let meta = self.meta().get(i)?;
        let start = i * self.slot_size() + self.arrays.headroom;
        Some(&self.arrays.storage[start..start + meta.len])
    }

    /// The whole storage of message `i`'s slot, `[headroom | capacity]`; the datagram is at
    /// `headroom()..headroom() + meta.len`.
    pub fn slot_mut(&mut self, i: usize) -> Option<(RecvMeta, &mut [u8])> {
        let meta = *self.meta().get(i)?;
        let size = self.slot_size();
        Some((meta, &mut self.arrays.storage[i * size..(i + 1) * size]))
    }

    /// Message `i` as a [`PacketBuf`] over its slot, with the headroom free in front.
    pub fn packet_buf(&mut self, i: usize) -> Option<(RecvMeta, PacketBuf<'_>)> {
        let headroom = self.arrays.headroom;
        let (meta, slot) = self.slot_mut(i)?;
        // The slot is headroom + capacity bytes and len <= capacity, so this cannot fail.
        let buf = PacketBuf::new(slot, headroom, meta.len).ok()?;
        Some((meta, buf))
    }

    /// Bytes `offset..offset + len` of message `i` (one segment of a GRO train) as a
    /// [`PacketBuf`] whose headroom is everything in front of it in the slot: the segments
    /// before it have been processed by then, so their bytes may take prepended headers.
    pub fn segment_buf(&mut self, i: usize, offset: usize, len: usize) -> Option<PacketBuf<'_>> {
        let headroom = self.arrays.headroom;
        let (meta, slot) = self.slot_mut(i)?;
        if offset.checked_add(len)? > meta.len {
            return None;
        }
        PacketBuf::new(slot, headroom + offset, len).ok()
    }

    /// Every received message as a [`PacketBuf`], in arrival order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (RecvMeta, PacketBuf<'_>)> {
        let (headroom, size, count) = (self.arrays.headroom, self.slot_size(), self.count);
        self.arrays
            .storage
            .chunks_exact_mut(size)
            .zip(self.meta.iter())
            .take(count)
            .filter_map(move |(slot, meta)| {
                PacketBuf::new(slot, headroom, meta.len)
                    .ok()
                    .map(|b| (*meta, b))
            })
    }
}

/// Why a packet could not be queued in a [`SendBatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    #[error("send batch is full")]
    Full,
    #[error("packet of {len} bytes does not fit a {room}-byte slot")]
    TooLarge { len: usize, room: usize },
    #[error("source and destination address families differ")]
    FamilyMismatch,
}

/// What a [`SendBatch::flush`] did with the queued packets. Every queued packet is counted in
/// exactly one of `sent` and `dropped`; the batch is empty afterwards.
#[derive(Debug, Default)]
pub struct Flushed {
    pub sent: usize,
    pub dropped: usize,
    /// The last error that dropped packets (EAGAIN/ENOBUFS: the socket buffer was full and the
    /// rest of the batch was dropped; anything else: that one packet was refused).
    pub last_error: Option<io::Error>,
}

/// Where a queued packet lies in its slot.
#[derive(Debug, Clone, Copy, Default)]
struct Queued {
    start: usize,
    len: usize,
    name_len: libc::socklen_t,
    control_len: usize,
    /// Where it goes, to find runs of packets one GSO send can carry.
    dst: Option<SocketAddr>,
    src: Option<IpAddr>,
}

/// UDP GSO limits: segments per send (the kernel's UDP_MAX_SEGMENTS is 64 before 5.x and
/// 128 after) and bytes per send (an IPv4 UDP payload is at most 65507 bytes).
const GSO_MAX_SEGMENTS: usize = 64;
const GSO_MAX_BYTES: usize = 65_000;

/// Packets queued for one `sendmmsg`.
///
/// Packets live in slots the batch owns, either copied in by [`push`](Self::push) or built in
/// place: take [`free_slot`](Self::free_slot), read or encapsulate into it (the engine's
/// [`PacketBuf`] over the slot), then [`commit`](Self::commit) its final window. Owning the
/// storage (rather than borrowing caller slices) lets a worker keep one batch across
/// iterations with no lifetime tying it to the receive buffers that are reused meanwhile,
/// and the in-place path costs no copy at all: a TUN read lands in a send slot, is encrypted
/// there and leaves from there.
pub struct SendBatch {
    arrays: MsgArrays,
    queued: Box<[Queued]>,
    count: usize,
    /// Runs of equal-size packets to one destination leave as one UDP GSO send.
    gso: bool,
    /// Packets in each message of the last flush (1 without GSO).
    group_len: Box<[usize]>,
}

// SAFETY: as for RecvBatch: the raw pointers point only into the batch's own heap storage,
// are rewritten before each syscall and never dereferenced otherwise.
unsafe impl Send for SendBatch {}

impl std::fmt::Debug for SendBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendBatch")
            .field("slots", &self.arrays.hdrs.len())
            .field("headroom", &self.arrays.headroom)
            .field("capacity", &self.arrays.capacity)
            .field("queued", &self.count)
            .finish()
    }
}

impl SendBatch {
    /// `slots` slots of `headroom + capacity` bytes each.
    pub fn new(slots: usize, headroom: usize, capacity: usize) -> io::Result<Self> {
        Ok(Self {
            arrays: MsgArrays::new(slots, headroom, capacity)?,
            queued: vec![Queued::default(); slots].into_boxed_slice(),
            count: 0,
            gso: false,
            group_len: vec![0; slots].into_boxed_slice(),
        })
    }

    /// Sends runs of same-size datagrams to one destination as one UDP_SEGMENT (GSO) message
    /// each: the kernel then runs its UDP stack once per run and the NIC or veth cuts it up.
    /// Only for UDP sockets; turned off again by itself if the kernel refuses it.
    pub fn set_gso(&mut self, on: bool) {
        self.gso = on;
    }

    pub fn gso(&self) -> bool {
        self.gso
    }

    pub fn slots(&self) -> usize {
        self.arrays.hdrs.len()
    }
    pub fn headroom(&self) -> usize {
        self.arrays.headroom
    }
    pub fn capacity(&self) -> usize {
        self.arrays.capacity
    }
    pub fn slot_size(&self) -> usize {
        self.arrays.slot_size()
    }
    /// Packets queued.
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    pub fn is_full(&self) -> bool {
        self.count == self.slots()
    }

    /// Forgets every queued packet without sending it.
    pub fn clear(&mut self) {
        self.count = 0;
    }

    /// Copies `data` into the next slot (after the headroom), to go to `dst`.
    pub fn push(&mut self, dst: SocketAddr, data: &[u8]) -> Result<(), PushError> {
        self.push_from(None, dst, data)
    }

    /// Like [`push`](Self::push), sending from local address `src` (IP_PKTINFO /
    /// IPV6_PKTINFO), e.g. the address a request arrived on, for a socket bound to a wildcard.
    pub fn push_from(
        &mut self,
        src: Option<IpAddr>,
        dst: SocketAddr,
        data: &[u8],
    ) -> Result<(), PushError> {
        let headroom = self.arrays.headroom;
        if data.len() > self.arrays.capacity {
            return Err(PushError::TooLarge {
                len: data.len(),
                room: self.arrays.capacity,
            });
        }
        let slot = self.free_slot().ok_or(PushError::Full)?;
        slot[headroom..headroom + data.len()].copy_from_slice(data);
        self.commit(src, dst, headroom, data.len())
    }

    /// The storage of the next free slot (`slot_size()` bytes), to build a packet in place;
    /// `None` when the batch is full. Nothing is queued until [`commit`](Self::commit).
    pub fn free_slot(&mut self) -> Option<&mut [u8]> {
        let size = self.slot_size();
        let i = self.count;
        self.arrays.storage.get_mut(i * size..(i + 1) * size)
    }

    /// Queues the packet at `start..start + len` of the slot last returned by
    /// [`free_slot`](Self::free_slot) (a [`PacketBuf`]'s `start()` and `len()`).
    pub fn commit(
        &mut self,
        src: Option<IpAddr>,
        dst: SocketAddr,
        start: usize,
        len: usize,
    ) -> Result<(), PushError> {
        let i = self.count;
        if i == self.slots() {
            return Err(PushError::Full);
        }
        let room = self.slot_size();
        if start.checked_add(len).is_none_or(|end| end > room) {
            return Err(PushError::TooLarge { len, room });
        }
        let control_len = match src {
            Some(s) if s.is_ipv4() != dst.is_ipv4() => return Err(PushError::FamilyMismatch),
            Some(s) => write_src_pktinfo(&mut self.arrays.controls[i], s),
            None => 0,
        };
        let (name, name_len) = to_sockaddr(dst);
        self.arrays.names[i] = name;
        self.queued[i] = Queued {
            start,
            len,
            name_len,
            control_len,
            dst: Some(dst),
            src,
        };
        self.count += 1;
        Ok(())
    }

    /// Sends every queued packet with as few nonblocking `sendmmsg` calls as it takes.
    ///
    /// A packet the kernel refuses (no route, port 0, message too long, ...) is dropped and
    /// the rest still go; when the socket buffer is full (EAGAIN/ENOBUFS) the rest of the
    /// batch is dropped, as a full NIC queue would. `Err` only when the socket itself is
    /// unusable (EBADF, ENOTSOCK, EFAULT); the batch is emptied then too.
    pub fn flush(&mut self, sock: &impl AsFd) -> io::Result<Flushed> {
        let count = self.count;
        self.count = 0;
        let size = self.slot_size();
        for ((slot, q), iov) in self
            .arrays
            .storage
            .chunks_exact_mut(size)
            .zip(self.queued.iter())
            .zip(self.arrays.iovecs.iter_mut())
            .take(count)
        {
            let data = &mut slot[q.start..q.start + q.len];
            *iov = libc::iovec {
                iov_base: data.as_mut_ptr().cast(),
                iov_len: data.len(),
            };
        }
        // One message per run: with GSO, consecutive packets to the same place whose sizes
        // equal the first's (the last may be shorter) share one message, its iovecs being the
        // packets' consecutive iovec entries.
        let mut messages = 0;
        let mut first = 0;
        while first < count {
            let head = self.queued[first];
            let mut run = 1;
            if self.gso {
                let mut bytes = head.len;
                while first + run < count && run < GSO_MAX_SEGMENTS {
                    let q = self.queued[first + run];
                    let fits = q.dst == head.dst
                        && q.src == head.src
                        && q.len <= head.len
                        && q.len > 0
                        && bytes + q.len <= GSO_MAX_BYTES;
                    if !fits {
                        break;
                    }
                    bytes += q.len;
                    run += 1;
                    if q.len < head.len {
                        break;
                    }
                }
            }
            let control_len = if run > 1 {
                append_udp_segment(
                    &mut self.arrays.controls[first],
                    head.control_len,
                    head.len as u16,
                )
            } else {
                head.control_len
            };
            let control = self.arrays.controls[first].0.as_mut_ptr();
            let name = &mut self.arrays.names[first] as *mut libc::sockaddr_storage;
            let iov = &mut self.arrays.iovecs[first] as *mut libc::iovec;
            let hdr = &mut self.arrays.hdrs[messages];
            let m = &mut hdr.msg_hdr;
            m.msg_name = name.cast();
            m.msg_namelen = head.name_len;
            m.msg_iov = iov;
            m.msg_iovlen = run as _;
            m.msg_control = if control_len == 0 {
                std::ptr::null_mut()
            } else {
                control.cast()
            };
            m.msg_controllen = control_len as _;
            m.msg_flags = 0;
            hdr.msg_len = 0;
            self.group_len[messages] = run;
            messages += 1;
            first += run;
        }
        let mut out = Flushed::default();
        let mut done = 0;
        while done < messages {
            let rest = &mut self.arrays.hdrs[done..messages];
            // SAFETY: headers `done..messages` point at this batch's own slots, iovecs, names
            // and control buffers, set up above and live for the call, with matching lengths.
            let r = unsafe {
                libc::sendmmsg(
                    sock.as_fd().as_raw_fd(),
                    rest.as_mut_ptr(),
                    rest.len() as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            let packets = |from: usize, to: usize, g: &[usize]| g[from..to].iter().sum::<usize>();
            match cvt(r) {
                // sendmmsg returns 0 only for an empty vector, which `rest` never is; treat it
                // as a refusal of the first message so the loop always advances.
                Ok(0) => {
                    out.dropped += self.group_len[done];
                    done += 1;
                }
                Ok(n) => {
                    out.sent += packets(done, done + n as usize, &self.group_len);
                    done += n as usize;
                }
                Err(e) => match e.raw_os_error() {
                    Some(libc::EINTR) => {}
                    Some(libc::EAGAIN | libc::ENOBUFS) => {
                        out.dropped += packets(done, messages, &self.group_len);
                        out.last_error = Some(e);
                        done = messages;
                    }
                    Some(libc::EBADF | libc::ENOTSOCK | libc::EFAULT) => return Err(e),
                    Some(libc::EIO | libc::EINVAL) if self.group_len[done] > 1 => {
                        // The kernel or the route's device cannot segment UDP: send runs as
                        // single datagrams from now on (these few are lost; TCP resends).
                        self.gso = false;
                        out.dropped += self.group_len[done];
                        out.last_error = Some(e);
                        done += 1;
                    }
                    _ => {
                        out.dropped += self.group_len[done];
                        out.last_error = Some(e);
                        done += 1;
                    }
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_is_checked() {
        assert!(RecvBatch::new(0, 128, 2048).is_err());
        assert!(RecvBatch::new(2000, 128, 2048).is_err());
        assert!(SendBatch::new(4, 128, 0).is_err());
        assert!(SendBatch::new(4, usize::MAX, 2).is_err());
        let b = RecvBatch::new(4, 128, 2048).unwrap();
        assert_eq!((b.slots(), b.slot_size(), b.len()), (4, 2176, 0));
    }

    #[test]
    fn push_and_commit_bookkeeping() {
        let dst: SocketAddr = "192.0.2.1:4500".parse().unwrap();
        let mut b = SendBatch::new(2, 16, 8).unwrap();
        assert_eq!(
            b.push(dst, &[0; 9]),
            Err(PushError::TooLarge { len: 9, room: 8 })
        );
        assert_eq!(
            b.push_from(Some("::1".parse().unwrap()), dst, &[1]),
            Err(PushError::FamilyMismatch)
        );
        b.push(dst, &[1, 2, 3]).unwrap();
        // In place: an outer header prepended into the headroom.
        let slot = b.free_slot().unwrap();
        let mut pb = PacketBuf::copy_in(slot, 16, &[9; 8]).unwrap();
        pb.prepend(4).unwrap().fill(7);
        let (start, len) = (pb.start(), pb.len());
        b.commit(None, dst, start, len).unwrap();
        assert!(b.is_full());
        assert!(b.free_slot().is_none());
        assert_eq!(b.push(dst, &[1]), Err(PushError::Full));
        assert_eq!(b.queued[1].start, 12);
        assert_eq!(b.queued[1].len, 12);
        b.clear();
        assert!(b.is_empty());
    }
}
