//! One packet worker: pinned to a core, it owns one TUN queue, its UDP-4500 socket(s), its
//! SAs (see `handoff.rs` for the ownership rule) and scratch buffers, and moves packets
//! between them in batches. It never blocks on the control thread: commands are drained
//! between batches, and nothing on the packet path takes a lock shared with another core.

use crate::DropReason;
use crate::buf::{DEFAULT_HEADROOM, PacketBuf};
use crate::ctl::{Command, Event, SaReport, WorkerReport};
use crate::engine::{Engine, Inbound, Outbound, OutboundDecision};
use crate::handoff::{Handoff, Work, owner_of_policy};
use crate::io::raw::RawSocket;
use crate::io::tun::TunQueue;
use crate::io::udp::{RecvBatch, RecvMeta, SendBatch, UdpSocketFd};
use crate::sa::{IpsecProtocol, Timestamp};
use crate::spd::PolicyId;
use crate::wire::ip::IpSummary;
use crate::wire::natt::{self, NattPayload};
use crate::wire::{proto, udp};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Packets handled per source before looking at the others, so one busy direction cannot
/// starve the other (and commands are seen at least this often).
const BATCH: usize = 64;

const TUN: Token = Token(0);
/// The token of each worker's [`Waker`]; create it with this token.
pub const WAKE: Token = Token(1);
const UDP_BASE: usize = 16;
const RAW_BASE: usize = 32;

/// Everything a worker owns, built by the runtime before the thread starts.
pub struct WorkerSetup {
    pub index: usize,
    pub workers: usize,
    pub engine: Engine,
    pub poll: Poll,
    pub tun: TunQueue,
    /// UDP-4500 sockets (one per address family in use), SO_REUSEPORT siblings of the other
    /// workers' sockets.
    pub udp: Vec<UdpSocketFd>,
    /// Raw ESP/AH receivers; only one worker gets them, since every raw socket of a protocol
    /// sees every packet of it.
    pub raw_receivers: Vec<RawSocket>,
    /// Send-only raw sockets (IPPROTO_RAW, header included) for IPv4 and IPv6 output.
    pub raw_send_v4: Option<RawSocket>,
    pub raw_send_v6: Option<RawSocket>,
    pub commands: Receiver<Command>,
    pub events: Sender<Event>,
    pub handoff: Arc<Handoff>,
    /// Every worker's waker, to signal a hand-off.
    pub wakers: Arc<Vec<Waker>>,
    /// Wakes the control thread after an event it should not wait for (IKE, acquire).
    pub control_waker: Option<Arc<Waker>>,
    /// Largest inner packet that fits the tunnel; bigger ones with DF get an ICMP error.
    pub tunnel_mtu: usize,
    /// MSS clamp for SYNs entering the tunnel (`None`: off).
    pub clamp_mss: Option<u16>,
    /// Our address on the protected side, the source of ICMP errors we originate.
    pub local_v4: Option<IpAddr>,
    pub local_v6: Option<IpAddr>,
    /// The runtime's clock origin, shared so timestamps agree across threads.
    pub epoch: Instant,
}

/// The running worker.
struct Worker {
    s: WorkerSetup,
    /// Owner of each inbound SA by (protocol, SPI), learned from `RouteSpi` commands.
    spi_owner: HashMap<(IpsecProtocol, u32), usize>,
    /// Whether each UDP socket is IPv6.
    udp_v6: Vec<bool>,
    /// Workers we handed packets to this round, woken once at its end (one eventfd write per
    /// round instead of one per packet).
    pending_wakes: Vec<bool>,
    /// Outgoing ESP-in-UDP, one batch per UDP socket, flushed after each round.
    send: Vec<SendBatch>,
    icmp: Box<[u8]>,
    /// Decrypted TCP segments waiting to be written to the TUN as one train.
    gro: crate::gro::TcpCoalescer,
    /// When each policy last asked the control thread for an SA: traffic waiting for IKE
    /// would otherwise send one acquire per packet.
    acquired: HashMap<PolicyId, Timestamp>,
}

/// How often one policy may ask for an SA while it has none.
const ACQUIRE_INTERVAL_MS: u64 = 1000;

/// Receive-side storage, kept apart from [`Worker`] so packets borrowed from it can be
/// processed by `&mut Worker` methods.
struct Buffers {
    scratch: Box<[u8]>,
    /// One segment of a TCP train being cut up (`tso.rs`), with head- and tailroom.
    segment: Box<[u8]>,
    recv: RecvBatch,
}

/// Runs the worker until it is told to stop. Errors are fatal setup errors.
pub fn run(setup: WorkerSetup) -> io::Result<()> {
    setup.poll.registry().register(
        &mut SourceFd(&setup.tun.as_raw_fd()),
        TUN,
        Interest::READABLE,
    )?;
    for (i, s) in setup.udp.iter().enumerate() {
        setup.poll.registry().register(
            &mut SourceFd(&s.as_raw_fd()),
            Token(UDP_BASE + i),
            Interest::READABLE,
        )?;
    }
    for (i, s) in setup.raw_receivers.iter().enumerate() {
        setup.poll.registry().register(
            &mut SourceFd(&s.as_raw_fd()),
            Token(RAW_BASE + i),
            Interest::READABLE,
        )?;
    }
    let udp_v6 = setup
        .udp
        .iter()
        .map(|s| s.local_addr().map(|a| a.is_ipv6()))
        .collect::<io::Result<Vec<_>>>()?;
    let mut send = (0..setup.udp.len())
        .map(|_| SendBatch::new(BATCH, 0, MAX_DATAGRAM))
        .collect::<io::Result<Vec<_>>>()?;
    // UDP GSO and GRO on the ESP-in-UDP sockets: a TCP train cut into segments leaves as one
    // send and arrives as one receive, so the outer UDP stack runs once per train rather than
    // once per packet. Kernels without them (before 4.18 / 5.0) just do per-packet I/O.
    for (batch, sock) in send.iter_mut().zip(&setup.udp) {
        batch.set_gso(true);
        let _ = crate::io::udp::enable_gro(sock);
    }
    let mut bufs = Buffers {
        scratch: vec![0u8; SCRATCH_BYTES].into_boxed_slice(),
        segment: vec![0u8; SCRATCH_BYTES].into_boxed_slice(),
        recv: RecvBatch::new(
            BATCH,
            DEFAULT_HEADROOM,
            MAX_DATAGRAM + crate::buf::DEFAULT_TAILROOM,
        )?,
    };
    let pending_wakes = vec![false; setup.workers];
    let mut w = Worker {
        s: setup,
        spi_owner: HashMap::new(),
        udp_v6,
        pending_wakes,
        send,
        icmp: vec![0u8; 1500].into_boxed_slice(),
        gro: crate::gro::TcpCoalescer::new(),
        acquired: HashMap::new(),
    };
    w.run(&mut bufs)
}

/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65535;

/// Scratch buffer for one TUN or raw-socket packet of any size, with head- and tailroom.
const SCRATCH_BYTES: usize = DEFAULT_HEADROOM + 65535 + crate::buf::DEFAULT_TAILROOM;

impl Worker {
    fn now(&self) -> Timestamp {
        Timestamp(self.s.epoch.elapsed().as_millis() as u64)
    }

    /// Tells the control thread that `policy` needs an SA, at most once a second per policy.
    fn acquire(&mut self, policy: PolicyId, now: Timestamp) {
        if let Some(last) = self.acquired.get(&policy)
            && now.0.saturating_sub(last.0) < ACQUIRE_INTERVAL_MS
        {
            return;
        }
        self.acquired.insert(policy, now);
        let _ = self.s.events.send(Event::Acquire {
            worker: self.s.index,
            policy,
        });
        self.wake_control();
    }

    fn wake_control(&self) {
        if let Some(w) = &self.s.control_waker {
            let _ = w.wake();
        }
    }

    fn run(&mut self, bufs: &mut Buffers) -> io::Result<()> {
        let mut events = Events::with_capacity(64);
        // mio is edge-triggered: after a wakeup each source is drained until it would block
        // or its batch budget is spent; a spent budget means "poll again without sleeping".
        let mut more = true;
        let mut next_sweep = Instant::now();
        let mut expired = Vec::new();
        loop {
            let timeout = if more {
                Duration::ZERO
            } else {
                Duration::from_millis(200)
            };
            if let Err(e) = self.s.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                return Err(e);
            }
            if !self.commands()? {
                return Ok(());
            }
            if Instant::now() >= next_sweep {
                // Lifetimes also run out on idle SAs; once a second is precise enough for
                // limits written in seconds.
                next_sweep = Instant::now() + Duration::from_secs(1);
                let now = self.now();
                self.s.engine.expire(now, &mut expired);
                for event in expired.drain(..) {
                    let _ = self.s.events.send(Event::Sa {
                        worker: self.s.index,
                        event,
                    });
                }
            }
            more = false;
            more |= self.handoffs();
            more |= self.tun_batch(bufs);
            for i in 0..self.s.udp.len() {
                more |= self.udp_batch(i, bufs);
            }
            for i in 0..self.s.raw_receivers.len() {
                more |= self.raw_batch(i, bufs);
            }
            self.flush();
            self.gro.flush(&mut self.s.tun);
            self.wake_owners();
        }
    }

    /// Applies pending commands; `false` means stop.
    fn commands(&mut self) -> io::Result<bool> {
        loop {
            let cmd = match self.s.commands.try_recv() {
                Ok(c) => c,
                Err(TryRecvError::Empty) => return Ok(true),
                Err(TryRecvError::Disconnected) => return Ok(false),
            };
            let now = self.now();
            match cmd {
                Command::Stop => return Ok(false),
                Command::InstallSa { policy, params } => {
                    // The runtime validated the SA; a failure here is reported, not fatal.
                    if let Err(e) = self.s.engine.install(policy, *params, now) {
                        let _ = self.s.events.send(Event::InstallFailed {
                            worker: self.s.index,
                            reason: e.to_string(),
                        });
                    }
                }
                Command::RouteSpi {
                    protocol,
                    spi,
                    owner,
                } => {
                    self.spi_owner.insert((protocol, spi), owner);
                }
                Command::UnrouteSpi { protocol, spi } => {
                    self.spi_owner.remove(&(protocol, spi));
                }
                Command::RemoveSa {
                    protocol,
                    spi,
                    direction,
                } => {
                    let found = self.s.engine.sad().iter().find(|(_, sa)| {
                        let p = sa.params();
                        p.protocol == protocol && p.spi == spi && p.direction == direction
                    });
                    if let Some((id, _)) = found {
                        self.s.engine.remove(id);
                    }
                }
                Command::Flush => self.s.engine.flush(),
                Command::ReplacePolicies { table, keep } => {
                    // SPI routes of removed SAs are withdrawn by the control thread
                    // (UnrouteSpi); those of kept SAs must stay.
                    self.s.engine.replace_spd_keeping(table, &keep);
                }
                Command::SendKeepalive { from, to } => {
                    if let Some(sock) = self.udp_for(from) {
                        let _ = sock.send_to(&[natt::KEEPALIVE], to);
                    }
                }
                Command::SendIke { from, to, message } => {
                    if let Some(sock) = self.udp_for(from) {
                        let mut datagram =
                            Vec::with_capacity(natt::NON_ESP_MARKER.len() + message.len());
                        datagram.extend_from_slice(&natt::NON_ESP_MARKER);
                        datagram.extend_from_slice(&message);
                        let _ = sock.send_to(&datagram, to);
                    }
                }
                Command::Report { reply, keys } => {
                    let sas = self
                        .s
                        .engine
                        .sad()
                        .iter()
                        .map(|(_, sa)| SaReport::of(sa, self.s.index, now, keys))
                        .collect();
                    let _ = reply.send(WorkerReport {
                        worker: self.s.index,
                        sas,
                        statistics: self.s.engine.statistics().snapshot(),
                    });
                }
            }
        }
    }

    fn udp_index(&self, local: IpAddr) -> Option<usize> {
        self.udp_v6.iter().position(|v6| *v6 == local.is_ipv6())
    }

    fn udp_for(&self, local: IpAddr) -> Option<&UdpSocketFd> {
        self.s.udp.get(self.udp_index(local)?)
    }

    /// Sends the queued ESP-in-UDP datagrams, one `sendmmsg` per socket.
    fn flush(&mut self) {
        for (batch, sock) in self.send.iter_mut().zip(&self.s.udp) {
            if !batch.is_empty() {
                // Drops for a full socket buffer are what a full NIC queue does too.
                let _ = batch.flush(sock);
            }
        }
    }

    /// Packets other workers handed to us.
    fn handoffs(&mut self) -> bool {
        for _ in 0..BATCH {
            let Some(mut slot) = self.s.handoff.receive(self.s.index) else {
                return false;
            };
            let work = slot.work;
            if let Some(mut buf) = slot.packet_buf() {
                match work {
                    Work::Encrypt(policy) => self.encrypt_local(policy, &mut buf),
                    Work::Decrypt => self.decrypt_local(&mut buf),
                }
            }
            self.s.handoff.release(slot);
        }
        true
    }

    fn tun_batch(&mut self, bufs: &mut Buffers) -> bool {
        for _ in 0..BATCH {
            let (n, info) = match self
                .s
                .tun
                .read_offloaded(&mut bufs.scratch[DEFAULT_HEADROOM..])
            {
                Ok(r) => r,
                // WouldBlock: drained. Other errors end this round too; the next poll retries.
                Err(_) => return false,
            };
            let start = DEFAULT_HEADROOM;
            if info.tcpv4_train {
                let (train, segment) = (&bufs.scratch[start..start + n], &mut bufs.segment);
                let result = crate::tso::segment_tcpv4(
                    train,
                    &info,
                    segment,
                    DEFAULT_HEADROOM,
                    |buf, at, len| {
                        if let Ok(mut b) = PacketBuf::new(buf, at, len) {
                            self.outbound(&mut b);
                        }
                    },
                );
                if result.is_err() {
                    self.s.engine.count_drop(DropReason::OutErrors);
                }
                continue;
            }
            if info.needs_csum {
                let (cs, co) = (info.csum_start as usize, info.csum_offset as usize);
                if crate::tso::complete_checksum(&mut bufs.scratch[start..start + n], cs, co)
                    .is_err()
                {
                    self.s.engine.count_drop(DropReason::OutErrors);
                    continue;
                }
            }
            if let Ok(mut buf) = PacketBuf::new(&mut bufs.scratch, start, n) {
                self.outbound(&mut buf);
            }
        }
        true
    }

    fn outbound(&mut self, buf: &mut PacketBuf) {
        if let Some(mss) = self.s.clamp_mss {
            crate::mtu::clamp_mss(buf.data_mut(), mss);
        }
        match self.s.engine.classify_outbound(buf.data()) {
            Ok(OutboundDecision::Bypass) => self.send_clear(buf.data()),
            Ok(OutboundDecision::Encrypt(policy)) => {
                let owner = owner_of_policy(policy.index(), self.s.workers);
                if owner == self.s.index {
                    self.encrypt_local(policy, buf);
                } else {
                    self.hand_off(
                        owner,
                        buf.data(),
                        Work::Encrypt(policy),
                        DropReason::OutErrors,
                    );
                }
            }
            Err(_) => {} // counted by the engine
        }
    }

    fn encrypt_local(&mut self, policy: PolicyId, buf: &mut PacketBuf) {
        if buf.len() > self.s.tunnel_mtu && crate::mtu::dont_fragment(buf.data()) {
            self.reply_too_big(buf.data());
            return;
        }
        let now = self.now();
        match self.s.engine.encrypt(policy, buf, now) {
            Ok(Outbound::Protected { sent, .. }) => {
                if let Some(e) = sent.event {
                    let _ = self.s.events.send(Event::Sa {
                        worker: self.s.index,
                        event: e,
                    });
                }
                self.transmit(buf.data(), sent.ip_header_len, sent.udp_encapsulated);
            }
            Ok(Outbound::Bypass) => self.send_clear(buf.data()),
            Err(DropReason::OutNoStates) => self.acquire(policy, now),
            Err(_) => {}
        }
    }

    fn reply_too_big(&mut self, packet: &[u8]) {
        let Ok(summary) = IpSummary::parse(packet) else {
            return;
        };
        let ours = if summary.src.is_ipv6() {
            self.s.local_v6
        } else {
            self.s.local_v4
        };
        // The error comes from our address on the protected side, unless the sender is this
        // host itself (a packet from our own address would be dropped as a martian): then
        // from the address it was trying to reach, the far end of the too-narrow path.
        let from = match ours {
            Some(a) if a != summary.src => a,
            _ => summary.dst,
        };
        let mtu = self.s.tunnel_mtu.min(u16::MAX as usize) as u16;
        if let Some(n) = crate::mtu::too_big_reply(packet, mtu, from, &mut self.icmp) {
            let _ = self.s.tun.write(&self.icmp[..n]);
        }
    }

    /// Sends a protected packet: ESP-in-UDP from our 4500 socket, or the whole IP packet
    /// through a raw socket.
    fn transmit(&mut self, packet: &[u8], ip_header_len: usize, udp_encapsulated: bool) {
        if !udp_encapsulated {
            self.send_clear(packet);
            return;
        }
        // The engine built this packet; failing to read it back is a bug, counted not hidden.
        let parsed = IpSummary::parse(packet).ok().and_then(|s| {
            let datagram = packet.get(ip_header_len..s.total_len)?;
            let u = udp::UdpPacket::new_checked(datagram).ok()?;
            Some((s, u.dst_port()))
        });
        let Some((s, port)) = parsed else {
            self.s.engine.count_drop(DropReason::OutErrors);
            return;
        };
        let payload = &packet[ip_header_len + udp::HEADER_LEN..s.total_len];
        let Some(k) = self.udp_index(s.src) else {
            self.s.engine.count_drop(DropReason::OutErrors);
            return;
        };
        if self.send[k].is_full() {
            let _ = self.send[k].flush(&self.s.udp[k]);
        }
        if self.send[k]
            .push_from(Some(s.src), SocketAddr::new(s.dst, port), payload)
            .is_err()
        {
            self.s.engine.count_drop(DropReason::OutErrors);
        }
    }

    /// Hands a whole IP packet to the kernel to route (raw ESP/AH, and bypass traffic)
    /// through this worker's send-only raw socket.
    fn send_clear(&self, packet: &[u8]) {
        let v6 = packet.first().is_some_and(|b| b >> 4 == 6);
        let sock = if v6 {
            &self.s.raw_send_v6
        } else {
            &self.s.raw_send_v4
        };
        let sent = sock.as_ref().map(|s| s.send_packet(packet));
        if !matches!(sent, Some(Ok(_))) {
            self.s.engine.count_drop(DropReason::OutErrors);
        }
    }

    fn udp_batch(&mut self, i: usize, bufs: &mut Buffers) -> bool {
        let n = match bufs.recv.recv(&self.s.udp[i]) {
            Ok(n) => n,
            Err(_) => return false,
        };
        for m in 0..n {
            let Some(meta) = bufs.recv.meta().get(m).copied() else {
                continue;
            };
            if meta.truncated {
                self.s.engine.count_drop(DropReason::InBufferErrors);
                continue;
            }
            let Some(local) = meta.dst else { continue };
            // A GRO train is a run of datagrams of one size (the last may be shorter), each
            // processed on its own, in order, in place.
            let segment = meta
                .gro_segment
                .filter(|s| *s < meta.len)
                .unwrap_or(meta.len)
                .max(1);
            let mut offset = 0;
            while offset < meta.len {
                let len = segment.min(meta.len - offset);
                if let Some(mut buf) = bufs.recv.segment_buf(m, offset, len) {
                    self.udp_datagram(meta, local, &mut buf);
                }
                offset += len;
            }
        }
        n == bufs.recv.slots()
    }

    /// One datagram from UDP port 4500: ESP goes to the engine, IKE to the control thread.
    fn udp_datagram(&mut self, meta: RecvMeta, local: IpAddr, buf: &mut PacketBuf<'_>) {
        match natt::classify(buf.data()) {
            NattPayload::Esp(_) => {}
            NattPayload::Ike(message) => {
                // IKE is rare next to ESP; the copy keeps the receive slot free.
                let _ = self.s.events.send(Event::Ike {
                    from: meta.src,
                    local,
                    message: message.to_vec(),
                });
                self.wake_control();
                return;
            }
            // Keepalives only keep NAT bindings open; the rest is too short to be anything
            // (RFC 3948: discard).
            NattPayload::Keepalive | NattPayload::Invalid => return,
        }
        let ports = Some((meta.src.port(), natt::NATT_PORT));
        if crate::io::synthesize_outer(buf, meta.src.ip(), local, ports, proto::ESP).is_err() {
            self.s.engine.count_drop(DropReason::InHeaderErrors);
            return;
        }
        self.inbound(buf);
    }

    fn raw_batch(&mut self, i: usize, bufs: &mut Buffers) -> bool {
        for _ in 0..BATCH {
            let sock = &self.s.raw_receivers[i];
            let (protocol, v6) = (sock.protocol(), sock.is_ipv6());
            let got = match sock.recv(&mut bufs.scratch[DEFAULT_HEADROOM..]) {
                Ok(r) => r,
                Err(_) => return false,
            };
            if got.truncated {
                self.s.engine.count_drop(DropReason::InBufferErrors);
                continue;
            }
            let Ok(mut buf) = PacketBuf::new(&mut bufs.scratch, DEFAULT_HEADROOM, got.len) else {
                continue;
            };
            if v6 {
                // The kernel strips the IPv6 header from raw sockets; put one back.
                let Some(dst) = got.dst else { continue };
                if crate::io::synthesize_outer(&mut buf, got.src, dst, None, protocol).is_err() {
                    self.s.engine.count_drop(DropReason::InHeaderErrors);
                    continue;
                }
            }
            self.inbound(&mut buf);
        }
        true
    }

    fn inbound(&mut self, buf: &mut PacketBuf) {
        let Ok((protocol, spi)) = self.s.engine.peek_inbound(buf.data()) else {
            return;
        };
        match self.spi_owner.get(&(protocol, spi)).copied() {
            Some(owner) if owner == self.s.index => self.decrypt_local(buf),
            Some(owner) => {
                self.hand_off(owner, buf.data(), Work::Decrypt, DropReason::InBufferErrors)
            }
            None => self.s.engine.count_drop(DropReason::InNoStates),
        }
    }

    fn decrypt_local(&mut self, buf: &mut PacketBuf) {
        let now = self.now();
        if let Ok(Inbound::Deliver { event, .. }) = self.s.engine.inbound(buf, now) {
            if let Some(e) = event {
                let _ = self.s.events.send(Event::Sa {
                    worker: self.s.index,
                    event: e,
                });
            }
            self.gro.push(buf.data(), &mut self.s.tun);
        }
    }

    fn wake_owners(&mut self) {
        for (owner, pending) in self.pending_wakes.iter_mut().enumerate() {
            if std::mem::take(pending)
                && let Some(w) = self.s.wakers.get(owner)
            {
                let _ = w.wake();
            }
        }
    }

    fn hand_off(&mut self, owner: usize, packet: &[u8], work: Work, on_full: DropReason) {
        let Some(mut slot) = self.s.handoff.take() else {
            self.s.engine.count_drop(on_full);
            return;
        };
        if !slot.fill(packet, work) {
            self.s.handoff.release(slot);
            self.s.engine.count_drop(on_full);
            return;
        }
        match self.s.handoff.send(owner, slot) {
            Ok(()) => {
                if let Some(pending) = self.pending_wakes.get_mut(owner) {
                    *pending = true;
                }
            }
            Err(slot) => {
                self.s.handoff.release(slot);
                self.s.engine.count_drop(on_full);
            }
        }
    }
}
