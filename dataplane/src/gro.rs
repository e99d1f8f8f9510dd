//! Receive-side coalescing of decrypted TCP segments (GRO in userspace).
//!
//! Writing a packet into the TUN device runs the kernel's whole receive path for it inside
//! the `write`; profiling a tunnel under iperf3 put ~70% of all CPU there. Consecutive
//! segments of one TCP flow that came out of one receive batch are therefore merged into one
//! large segment and written once with a virtio-net header that marks it as GSO (TCPv4, the
//! segment size) and its checksum as partial; the kernel's stack handles it as one packet.
//! Only what Linux's own GRO would merge is merged: IPv4 without options or fragments, ACK
//! with at most PSH, identical headers apart from the sequence number, contiguous sequence
//! numbers, equal-size segments (a shorter one, or PSH, ends the train). Everything else
//! passes through unchanged, in order.

use crate::wire::checksum;
use crate::wire::ipv4::{self, Ipv4Packet};
use crate::wire::proto;
use crate::wire::tcp::TcpPacket;
use crate::wire::vnet::Gso;

/// Where coalesced packets go (the TUN queue; a `Vec` in tests).
pub trait PacketSink {
    /// One ordinary packet.
    fn write_plain(&mut self, packet: &[u8]);
    /// One merged TCP segment train.
    fn write_gso(&mut self, packet: &[u8], gso: Gso);
}

const MAX_TRAIN: usize = 65535;
const TCP_FLAG_PSH: u8 = 0x08;
const TCP_FLAG_ACK: u8 = 0x10;

/// The coalescing buffer of one worker.
pub struct TcpCoalescer {
    buf: Box<[u8]>,
    len: usize,
    segments: usize,
    /// Payload bytes of each full segment in the train.
    segment_size: usize,
    /// IPv4 + TCP header bytes at the front of `buf`.
    header_len: usize,
    next_seq: u32,
    /// The train may take no more segments (a short one or PSH arrived).
    closed: bool,
}

impl Default for TcpCoalescer {
    fn default() -> Self {
        Self::new()
    }
}

/// The parts of a coalescable segment.
struct Segment {
    header_len: usize,
    tcp_offset: usize,
    payload_len: usize,
    seq: u32,
    psh: bool,
}

fn coalescable(packet: &[u8]) -> Option<Segment> {
    let ip = Ipv4Packet::new_checked(packet).ok()?;
    if ip.header_len() != ipv4::HEADER_LEN
        || ip.is_fragment()
        || ip.protocol() != proto::TCP
        || ip.total_len() as usize != packet.len()
    {
        return None;
    }
    let tcp = TcpPacket::new_checked(&packet[ipv4::HEADER_LEN..]).ok()?;
    let flags = tcp.flags();
    if flags & !TCP_FLAG_PSH != TCP_FLAG_ACK {
        return None;
    }
    let header_len = ipv4::HEADER_LEN + tcp.header_len();
    let payload_len = packet.len().checked_sub(header_len).filter(|l| *l > 0)?;
    Some(Segment {
        header_len,
        tcp_offset: ipv4::HEADER_LEN,
        payload_len,
        seq: tcp.sequence_number(),
        psh: flags & TCP_FLAG_PSH != 0,
    })
}

impl TcpCoalescer {
    pub fn new() -> Self {
        Self {
            buf: vec![0u8; MAX_TRAIN].into_boxed_slice(),
            len: 0,
            segments: 0,
            segment_size: 0,
            header_len: 0,
            next_seq: 0,
            closed: false,
        }
    }

    /// Whether `packet` continues the current train: same addresses, ports and header bytes
    /// apart from IP length/id/checksum and TCP sequence/checksum/PSH.
    fn continues(&self, packet: &[u8], s: &Segment) -> bool {
        if self.segments == 0
            || self.closed
            || s.header_len != self.header_len
            || s.seq != self.next_seq
            || s.payload_len > self.segment_size
            || self.len + s.payload_len > MAX_TRAIN
        {
            return false;
        }
        let held = &self.buf[..self.header_len];
        let t = s.tcp_offset;
        // IPv4: version..TOS, flags/fragment, TTL, protocol, addresses.
        held[0..2] == packet[0..2]
            && held[6..10] == packet[6..10]
            && held[12..20] == packet[12..20]
            // TCP: ports, ack, data offset, flags (PSH aside), window, urgent, options.
            && held[t..t + 4] == packet[t..t + 4]
            && held[t + 8..t + 13] == packet[t + 8..t + 13]
            && held[t + 13] & !TCP_FLAG_PSH == packet[t + 13] & !TCP_FLAG_PSH
            && held[t + 14..t + 16] == packet[t + 14..t + 16]
            && held[t + 18..self.header_len] == packet[t + 18..s.header_len]
    }

    /// Adds one decrypted packet, writing out whatever it cannot join.
    pub fn push(&mut self, packet: &[u8], sink: &mut impl PacketSink) {
        let Some(s) = coalescable(packet) else {
            self.flush(sink);
            sink.write_plain(packet);
            return;
        };
        if self.continues(packet, &s) {
            self.buf[self.len..self.len + s.payload_len].copy_from_slice(&packet[s.header_len..]);
            self.len += s.payload_len;
            self.segments += 1;
        } else {
            self.flush(sink);
            self.buf[..packet.len()].copy_from_slice(packet);
            self.len = packet.len();
            self.segments = 1;
            self.segment_size = s.payload_len;
            self.header_len = s.header_len;
            self.closed = false;
        }
        self.next_seq = s.seq.wrapping_add(s.payload_len as u32);
        if s.psh || s.payload_len < self.segment_size {
            self.closed = true;
            if s.psh {
                self.buf[s.tcp_offset + 13] |= TCP_FLAG_PSH;
            }
        }
    }

    /// Writes out the held train (at the end of every receive batch).
    pub fn flush(&mut self, sink: &mut impl PacketSink) {
        if self.segments == 0 {
            return;
        }
        let train = &mut self.buf[..self.len];
        if self.segments == 1 {
            sink.write_plain(train);
        } else {
            let mut ip = Ipv4Packet::new_unchecked(&mut train[..]);
            ip.set_total_len(self.len as u16);
            ip.fill_checksum();
            let (src, dst) = (ip.src_addr(), ip.dst_addr());
            let tcp_len = self.len - ipv4::HEADER_LEN;
            // A partial checksum holds the folded pseudo-header sum, not complemented; the
            // kernel (or the NIC it pretends to be) adds the segment's own bytes.
            let sum = checksum::pseudo_header(src.into(), dst.into(), proto::TCP, tcp_len);
            let partial = !checksum::finish(sum);
            let field = ipv4::HEADER_LEN + crate::wire::tcp::CHECKSUM_FIELD.start;
            train[field..field + 2].copy_from_slice(&partial.to_be_bytes());
            sink.write_gso(
                train,
                Gso::tcpv4(
                    self.header_len as u16,
                    self.segment_size as u16,
                    ipv4::HEADER_LEN as u16,
                ),
            );
        }
        self.segments = 0;
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::Ipv4Repr;

    #[derive(Default)]
    struct Sink(Vec<(Vec<u8>, Option<Gso>)>);
    impl PacketSink for Sink {
        fn write_plain(&mut self, p: &[u8]) {
            self.0.push((p.to_vec(), None));
        }
        fn write_gso(&mut self, p: &[u8], g: Gso) {
            self.0.push((p.to_vec(), Some(g)));
        }
    }

    fn segment(seq: u32, len: usize, flags: u8) -> Vec<u8> {
        let mut p = vec![0u8; 40 + len];
        Ipv4Repr {
            src: [10, 201, 1, 1].into(),
            dst: [10, 201, 2, 1].into(),
            protocol: proto::TCP,
            payload_len: 20 + len,
            ttl: 64,
            tos: 0,
            ident: seq as u16,
            dont_fragment: true,
        }
        .emit(&mut p)
        .unwrap();
        let t = &mut p[20..];
        t[0..4].copy_from_slice(&[0x9c, 0x40, 0x14, 0x51]);
        t[4..8].copy_from_slice(&seq.to_be_bytes());
        t[8..12].copy_from_slice(&7u32.to_be_bytes());
        t[12] = 0x50;
        t[13] = flags;
        t[14..16].copy_from_slice(&[0x01, 0xf6]);
        for (i, b) in t[20..].iter_mut().enumerate() {
            *b = (seq as usize + i) as u8;
        }
        checksum::fill_transport_checksum(&mut p, 20, proto::TCP);
        p
    }

    #[test]
    fn merges_a_train_and_passes_the_rest() {
        let mut c = TcpCoalescer::new();
        let mut sink = Sink::default();
        c.push(&segment(1000, 100, TCP_FLAG_ACK), &mut sink);
        c.push(&segment(1100, 100, TCP_FLAG_ACK), &mut sink);
        c.push(&segment(1200, 60, TCP_FLAG_ACK | TCP_FLAG_PSH), &mut sink);
        assert!(sink.0.is_empty(), "held until flushed");
        // Not contiguous: ends the train.
        c.push(&segment(5000, 100, TCP_FLAG_ACK), &mut sink);
        c.flush(&mut sink);
        assert_eq!(sink.0.len(), 2);
        let (train, gso) = &sink.0[0];
        let gso = gso.expect("merged");
        assert_eq!(train.len(), 40 + 260);
        assert_eq!(
            (gso.gso_size, gso.hdr_len, gso.csum_start, gso.csum_offset),
            (100, 40, 20, 16)
        );
        let ip = Ipv4Packet::new_checked(&train[..]).unwrap();
        assert!(ip.verify_checksum());
        assert_eq!(ip.total_len(), 300);
        assert_eq!(train[33] & TCP_FLAG_PSH, TCP_FLAG_PSH);
        // The payloads follow each other: the merged segment carries bytes 1000..1260.
        let expected: Vec<u8> = (0..100)
            .map(|i| (1000 + i) as u8)
            .chain((0..100).map(|i| (1100 + i) as u8))
            .chain((0..60).map(|i| (1200 + i) as u8))
            .collect();
        assert_eq!(&train[40..], &expected[..]);
        // The lone segment goes out untouched.
        assert_eq!(sink.0[1], (segment(5000, 100, TCP_FLAG_ACK), None));
    }

    #[test]
    fn single_segments_and_non_tcp_are_untouched() {
        let mut c = TcpCoalescer::new();
        let mut sink = Sink::default();
        let syn = segment(1, 0, 0x02);
        let one = segment(10, 100, TCP_FLAG_ACK);
        c.push(&one, &mut sink);
        c.push(&syn, &mut sink);
        c.flush(&mut sink);
        assert_eq!(sink.0, vec![(one, None), (syn, None)]);
    }

    #[test]
    fn differing_ack_is_not_merged() {
        let mut c = TcpCoalescer::new();
        let mut sink = Sink::default();
        let a = segment(1000, 100, TCP_FLAG_ACK);
        let mut b = segment(1100, 100, TCP_FLAG_ACK);
        b[28..32].copy_from_slice(&9u32.to_be_bytes());
        c.push(&a, &mut sink);
        c.push(&b, &mut sink);
        c.flush(&mut sink);
        assert_eq!(sink.0.len(), 2);
        assert!(sink.0.iter().all(|(_, g)| g.is_none()));
    }
}
