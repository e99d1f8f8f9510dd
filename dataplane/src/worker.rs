//! One packet worker: pinned to a core, it owns one TUN queue, its UDP-4500 socket(s), its
//! SAs (see `handoff.rs` for the ownership rule) and scratch buffers, and moves packets
//! between them in batches. It never blocks on the control thread: commands are drained
//! between batches, and nothing on the packet path takes a lock shared with another core.

use crate::DropReason;
use crate::buf::{DEFAULT_HEADROOM, PacketBuf};
use crate::ctl::{Command, Event, SaReport, WorkerReport};
use crate::engine::{Engine, Inbound, Outbound, OutboundDecision};
use crate::handoff::{Handoff, Slot, Work, owner_of_policy};
use crate::io::raw::RawSocket;
use crate::io::tun::TunQueue;
use crate::io::udp::{RecvBatch, UdpSocketFd};
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
const WAKE: Token = Token(1);
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
    scratch: Box<[u8]>,
    icmp: Box<[u8]>,
    recv: RecvBatch,
}

/// Runs the worker until it is told to stop. Errors are fatal setup errors.
pub fn run(setup: WorkerSetup) -> io::Result<()> {
    setup.poll.registry().register(&mut SourceFd(&setup.tun.as_raw_fd()), TUN, Interest::READABLE)?;
    for (i, s) in setup.udp.iter().enumerate() {
        setup.poll.registry().register(&mut SourceFd(&s.as_raw_fd()), Token(UDP_BASE + i), Interest::READABLE)?;
    }
    for (i, s) in setup.raw_receivers.iter().enumerate() {
        setup.poll.registry().register(&mut SourceFd(&s.as_raw_fd()), Token(RAW_BASE + i), Interest::READABLE)?;
    }
    let mut w = Worker {
        s: setup,
        spi_owner: HashMap::new(),
        scratch: vec![0u8; crate::handoff::SLOT_BYTES].into_boxed_slice(),
        icmp: vec![0u8; 1500].into_boxed_slice(),
        recv: RecvBatch::new(BATCH, DEFAULT_HEADROOM, 65535 + crate::buf::DEFAULT_TAILROOM),
    };
    w.run()
}

impl Worker {
    fn now(&self) -> Timestamp {
        Timestamp(self.s.epoch.elapsed().as_millis() as u64)
    }

    fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(64);
        // mio is edge-triggered: after a wakeup each source is drained until it would block
        // or its batch budget is spent; a spent budget means "poll again without sleeping".
        let mut more = true;
        loop {
            let timeout = if more { Duration::ZERO } else { Duration::from_millis(200) };
            if let Err(e) = self.s.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            if !self.commands()? {
                return Ok(());
            }
            more = false;
            more |= self.handoffs();
            more |= self.tun_batch();
            for i in 0..self.s.udp.len() {
                more |= self.udp_batch(i);
            }
            for i in 0..self.s.raw_receivers.len() {
                more |= self.raw_batch(i);
            }
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
                        let _ = self.s.events.send(Event::InstallFailed { worker: self.s.index, reason: e.to_string() });
                    }
                }
                Command::RouteSpi { protocol, spi, owner } => {
                    self.spi_owner.insert((protocol, spi), owner);
                }
                Command::UnrouteSpi { protocol, spi } => {
                    self.spi_owner.remove(&(protocol, spi));
                }
                Command::RemoveSa { protocol, spi, direction } => {
                    let found = self.s.engine.sad().iter().find(|(_, sa)| {
                        let p = sa.params();
                        p.protocol == protocol && p.spi == spi && p.direction == direction
                    });
                    if let Some((id, _)) = found {
                        self.s.engine.remove(id);
                    }
                }
                Command::Flush => self.s.engine.flush(),
                Command::SendKeepalive { from, to } => {
                    if let Some(sock) = self.udp_for(from) {
                        let _ = sock.send_to(&[natt::KEEPALIVE], to);
                    }
                }
                Command::Report(reply) => {
                    let sas = self.s.engine.sad().iter().map(|(_, sa)| SaReport::of(sa, self.s.index, now)).collect();
                    let _ = reply.send(WorkerReport {
                        worker: self.s.index,
                        sas,
                        statistics: self.s.engine.statistics().snapshot(),
                    });
                }
            }
        }
    }

    fn udp_for(&self, local: IpAddr) -> Option<&UdpSocketFd> {
        self.s.udp.iter().find(|s| s.is_ipv6() == local.is_ipv6())
    }

    /// Packets other workers handed to us.
    fn handoffs(&mut self) -> bool {
        for _ in 0..BATCH {
            let Some(mut slot) = self.s.handoff.receive(self.s.index) else { return false };
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

    fn tun_batch(&mut self) -> bool {
        for _ in 0..BATCH {
            let mut storage = std::mem::take(&mut self.scratch);
            let n = match self.s.tun.read(&mut storage[DEFAULT_HEADROOM..]) {
                Ok(n) => n,
                Err(_) => {
                    // WouldBlock: drained. Other errors (a packet too large for the
                    // buffer cannot happen) end this batch too.
                    self.scratch = storage;
                    return false;
                }
            };
            if let Ok(mut buf) = PacketBuf::new(&mut storage, DEFAULT_HEADROOM, n) {
                self.outbound(&mut buf);
            }
            self.scratch = storage;
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
                    self.hand_off(owner, buf.data(), Work::Encrypt(policy), DropReason::OutErrors);
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
                    let _ = self.s.events.send(Event::Sa { worker: self.s.index, event: e });
                }
                self.transmit(buf.data(), sent.ip_header_len, sent.udp_encapsulated);
            }
            Ok(Outbound::Bypass) => self.send_clear(buf.data()),
            Err(DropReason::OutNoStates) => {
                let _ = self.s.events.send(Event::Acquire { worker: self.s.index, policy });
            }
            Err(_) => {}
        }
    }

    fn reply_too_big(&mut self, packet: &[u8]) {
        let local = if packet.first().is_some_and(|b| b >> 4 == 6) { self.s.local_v6 } else { self.s.local_v4 };
        let Some(local) = local else { return };
        let mtu = self.s.tunnel_mtu.min(u16::MAX as usize) as u16;
        if let Some(n) = crate::mtu::too_big_reply(packet, mtu, local, &mut self.icmp) {
            let _ = self.s.tun.write(&self.icmp[..n]);
        }
    }

    /// Sends a protected packet: ESP-in-UDP from our 4500 socket, or the whole IP packet
    /// through a raw socket.
    fn transmit(&self, packet: &[u8], ip_header_len: usize, udp_encapsulated: bool) {
        let Ok(s) = IpSummary::parse(packet) else { return };
        if udp_encapsulated {
            let Some(header) = packet.get(ip_header_len..ip_header_len + udp::HEADER_LEN) else { return };
            let Ok(u) = udp::UdpPacket::new_checked(header) else { return };
            let to = SocketAddr::new(s.dst, u.dst_port());
            if let Some(sock) = self.udp_for(s.src) {
                let _ = sock.send_to(&packet[ip_header_len + udp::HEADER_LEN..], to);
            }
        } else {
            self.send_clear(packet);
        }
    }

    /// Hands a whole IP packet to the kernel to route (bypass traffic and raw ESP/AH).
    fn send_clear(&self, packet: &[u8]) {
        let Ok(s) = IpSummary::parse(packet) else { return };
        let sock = if s.dst.is_ipv6() { &self.s.raw_send_v6 } else { &self.s.raw_send_v4 };
        if let Some(sock) = sock {
            let _ = sock.send_packet(packet, s.dst);
        }
    }

    fn udp_batch(&mut self, i: usize) -> bool {
        let n = match self.recv.recv(&self.s.udp[i]) {
            Ok(n) => n,
            Err(_) => return false,
        };
        for m in 0..n {
            let (peer, local, len) = self.recv.meta(m);
            let (headroom, slot) = self.recv.slot_mut(m);
            let payload = &slot[headroom..headroom + len];
            match natt::classify(payload) {
                NattPayload::Esp(_) => {}
                // Keepalives only keep NAT bindings open; IKE goes to the control thread
                // once IKE exists. Nothing else is ESP.
                NattPayload::Keepalive | NattPayload::Ike(_) | NattPayload::Invalid => continue,
            }
            let Ok(mut buf) = PacketBuf::new(slot, headroom, len) else { continue };
            if crate::io::synthesize_outer(&mut buf, peer.ip(), local, Some((peer.port(), natt::NATT_PORT)), proto::ESP).is_err() {
                self.s.engine.count_drop(DropReason::InHeaderErrors);
                continue;
            }
            self.inbound(&mut buf);
        }
        n == self.recv.capacity()
    }

    fn raw_batch(&mut self, i: usize) -> bool {
        for _ in 0..BATCH {
            let mut storage = std::mem::take(&mut self.scratch);
            let got = self.s.raw_receivers[i].recv_packet(&mut storage, DEFAULT_HEADROOM);
            match got {
                Ok(Some((start, len))) => {
                    if let Ok(mut buf) = PacketBuf::new(&mut storage, start, len) {
                        self.inbound(&mut buf);
                    }
                    self.scratch = storage;
                }
                _ => {
                    self.scratch = storage;
                    return false;
                }
            }
        }
        true
    }

    fn inbound(&mut self, buf: &mut PacketBuf) {
        let Ok((protocol, spi)) = self.s.engine.peek_inbound(buf.data()) else { return };
        match self.spi_owner.get(&(protocol, spi)).copied() {
            Some(owner) if owner == self.s.index => self.decrypt_local(buf),
            Some(owner) => self.hand_off(owner, buf.data(), Work::Decrypt, DropReason::InBufferErrors),
            None => self.s.engine.count_drop(DropReason::InNoStates),
        }
    }

    fn decrypt_local(&mut self, buf: &mut PacketBuf) {
        let now = self.now();
        if let Ok(Inbound::Deliver { event, .. }) = self.s.engine.inbound(buf, now) {
            if let Some(e) = event {
                let _ = self.s.events.send(Event::Sa { worker: self.s.index, event: e });
            }
            let _ = self.s.tun.write(buf.data());
        }
    }

    fn hand_off(&self, owner: usize, packet: &[u8], work: Work, on_full: DropReason) {
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
                if let Some(w) = self.s.wakers.get(owner) {
                    let _ = w.wake();
                }
            }
            Err(slot) => {
                self.s.handoff.release(slot);
                self.s.engine.count_drop(on_full);
            }
        }
    }
}

#[allow(dead_code)]
fn _assert_slot_send(s: Box<Slot>) -> impl Send {
    s
}
