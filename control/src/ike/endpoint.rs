//! The IKEv2 endpoint: every IKE SA of this daemon, keyed by our SPI, and the dispatch of
//! received messages, acquires, lifetime events and timers to the exchanges
//! (`exchange/`). It does no I/O: each call leaves [`Action`]s for the runtime to carry out
//! (send a datagram, install or remove a child SA pair, log a line).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use tunsec_dataplane::sa::SaParams;

use super::peers::{IkeConfig, IkePeer};
use super::sa::{IkeSa, IkeState, InFlight, Queued, RETRANSMIT_TIMEOUTS, RequestKind, Side};
use super::wire::{ExchangeType, IkeSpi, ParsedMessage};

/// IKE's port, and the NAT-T port IKE floats to.
pub const IKE_PORT: u16 = 500;
pub const NATT_PORT: u16 = 4500;

/// A half-open responder SA (IKE_SA_INIT answered, no IKE_AUTH) is dropped after this.
const HALF_OPEN_TIMEOUT: Duration = Duration::from_secs(30);
/// After a failed or dead IKE SA, a non-passive peer is tried again this much later.
const RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// A child SA pair for the dataplane, bound to a policy.
pub struct ChildInstall {
    pub policy_index: usize,
    pub inbound: SaParams,
    pub outbound: SaParams,
}

/// What the runtime must do after a call into the endpoint.
pub enum Action {
    /// Send an IKE message (the runtime adds the non-ESP marker on port 4500).
    Send {
        local: SocketAddr,
        remote: SocketAddr,
        message: Vec<u8>,
    },
    Install(Box<ChildInstall>),
    Remove {
        policy_index: usize,
        inbound_spi: u32,
        outbound_spi: u32,
    },
    /// A log line, topic first (`ipsec`, `ipsec,error`), as RouterOS shows them.
    Log(String),
}

/// One row of `print remote-peers`.
#[derive(Debug, Clone)]
pub struct RemotePeerReport {
    pub peer: String,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: &'static str,
    pub side: &'static str,
    pub natt_peer: bool,
    pub uptime: Option<Duration>,
    pub last_seen: Duration,
    pub remote_id: String,
    pub ph2_active: usize,
    pub spi_i: String,
    pub spi_r: String,
}

pub struct Endpoint {
    pub(super) cfg: IkeConfig,
    pub(super) sas: HashMap<IkeSpi, IkeSa>,
    /// Per peer: when a non-passive peer may be (re)initiated.
    pub(super) next_attempt: Vec<Option<Instant>>,
    pub(super) actions: Vec<Action>,
    /// Secret of the stateless COOKIEs, random per daemon start.
    pub(super) cookie_secret: zeroize::Zeroizing<Vec<u8>>,
    /// Half-open SAs from which on cookies are demanded.
    pub(super) cookie_threshold: usize,
    /// IP datagram size above which protected messages are fragmented (RFC 7383), when
    /// the peer supports it.
    pub(super) fragment_datagram_len: usize,
    /// The calendar time certificate validity is checked against (the one clock reading
    /// here, injectable like rustls's TimeProvider).
    pub(super) wall_clock: fn() -> SystemTime,
}

impl Endpoint {
    pub fn new(cfg: IkeConfig, now: Instant) -> Self {
        let next_attempt = cfg
            .peers
            .iter()
            .map(|p| (!p.passive && !p.policies.is_empty()).then_some(now))
            .collect();
        let fragment_datagram_len = usize::from(cfg.fragment_size);
        let cookie_threshold = usize::try_from(cfg.cookie_threshold).unwrap_or(usize::MAX);
        Endpoint {
            cfg,
            sas: HashMap::new(),
            next_attempt,
            actions: Vec::new(),
            cookie_secret: zeroize::Zeroizing::new(super::crypto::random_bytes(32)),
            cookie_threshold,
            fragment_datagram_len,
            wall_clock: SystemTime::now,
        }
    }

    /// Replaces the calendar clock certificate validity is checked against.
    pub fn set_wall_clock(&mut self, clock: fn() -> SystemTime) {
        self.wall_clock = clock;
    }

    pub fn config(&self) -> &IkeConfig {
        &self.cfg
    }

    /// The actions left by the calls since the last take.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    pub(super) fn log(&mut self, line: String) {
        self.actions.push(Action::Log(format!("ipsec {line}")));
    }

    pub(super) fn log_error(&mut self, line: String) {
        self.actions
            .push(Action::Log(format!("ipsec,error {line}")));
    }

    pub(super) fn peer(&self, index: usize) -> &IkePeer {
        &self.cfg.peers[index]
    }

    /// A datagram from `remote` to `local` (with the non-ESP marker already removed).
    pub fn handle(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr, bytes: &[u8]) {
        let parsed = match ParsedMessage::parse(bytes) {
            Ok(p) => p,
            Err(e) => {
                self.log(format!("{}: dropped malformed message: {e}", remote.ip()));
                return;
            }
        };
        let h = &parsed.header;
        if h.exchange == ExchangeType::IKE_SA_INIT && !h.flags.response {
            self.on_init_request(now, local, remote, bytes, &parsed);
            return;
        }
        // The I flag says who sent it: a message from the original initiator carries our
        // SPI as responder, and the other way round.
        let ours = if h.flags.initiator { h.spi_r } else { h.spi_i };
        let Some(sa) = self.sas.get_mut(&ours) else {
            return;
        };
        if sa.remote.ip() != remote.ip() && !sa.nat_remote {
            return;
        }
        if h.exchange == ExchangeType::IKE_SA_INIT {
            if sa.side == Side::Initiator && matches!(sa.state, IkeState::InitSent { .. }) {
                self.on_init_response(now, ours, local, remote, bytes, &parsed);
            }
            return;
        }
        if h.flags.response {
            let expected = sa.in_flight.as_ref().map(|f| f.message_id);
            if expected != Some(h.message_id) {
                return;
            }
            let Some(payloads) = self.open(now, ours, local, remote, bytes, &parsed) else {
                return;
            };
            let Some(flight) = self.sas.get_mut(&ours).and_then(|sa| sa.in_flight.take()) else {
                return;
            };
            self.on_response(now, ours, h.exchange, flight.kind, payloads);
            self.kick(now, ours);
        } else {
            if h.message_id.wrapping_add(1) == sa.expected_request_id {
                // A repeated request: answer again, but for a fragmented one only on its
                // first fragment, so one retransmission gets one answer (RFC 7383 2.6.1).
                let first_fragment = parsed
                    .encrypted
                    .as_ref()
                    .and_then(|e| e.fragment)
                    .is_none_or(|f| f.number == 1);
                if let Some((id, answer)) = &sa.last_response
                    && *id == h.message_id
                    && first_fragment
                {
                    let answer = answer.clone();
                    let (l, r) = (sa.local, remote);
                    self.send_all(l, r, answer);
                }
                return;
            }
            if h.message_id != sa.expected_request_id {
                return;
            }
            let Some(payloads) = self.open(now, ours, local, remote, bytes, &parsed) else {
                return;
            };
            if let Some(sa) = self.sas.get_mut(&ours) {
                sa.expected_request_id = sa.expected_request_id.wrapping_add(1);
            }
            let id = h.message_id;
            match h.exchange {
                ExchangeType::IKE_AUTH => self.on_auth_request(now, ours, id, bytes, payloads),
                ExchangeType::CREATE_CHILD_SA => {
                    self.on_create_child_request(now, ours, id, payloads)
                }
                ExchangeType::INFORMATIONAL => {
                    self.on_informational_request(now, ours, id, payloads)
                }
                _ => {}
            }
            self.kick(now, ours);
        }
    }

    /// Checks and decrypts a protected message for the SA `ours`; once it is whole (all
    /// fragments in), the peer's addresses are taken from it (NAT mapping changes, RFC 7296
    /// 2.23) and its payloads returned. An authentic fragment only proves the peer alive.
    fn open(
        &mut self,
        now: Instant,
        ours: IkeSpi,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        parsed: &ParsedMessage,
    ) -> Option<Vec<super::wire::Payload>> {
        let sa = self.sas.get_mut(&ours)?;
        match sa.unprotect(bytes, parsed) {
            Ok(whole) => {
                sa.last_received = now;
                if whole.is_some() {
                    sa.remote = remote;
                    sa.local = local;
                }
                whole
            }
            Err(e) => {
                let h = &parsed.header;
                let what = if h.flags.response {
                    "response"
                } else {
                    "request"
                };
                self.log(format!(
                    "{}: dropped {what} {}: {e}",
                    remote.ip(),
                    h.message_id
                ));
                None
            }
        }
    }

    pub(super) fn send(&mut self, local: SocketAddr, remote: SocketAddr, message: Vec<u8>) {
        self.actions.push(Action::Send {
            local,
            remote,
            message,
        });
    }

    /// Sends a message given as datagrams: itself, or its fragments in order.
    pub(super) fn send_all(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        datagrams: Vec<Vec<u8>>,
    ) {
        for message in datagrams {
            self.send(local, remote, message);
        }
    }

    /// Sends an answer to the peer's request `message_id` and keeps it for repeats.
    pub(super) fn answer(
        &mut self,
        spi: IkeSpi,
        exchange: ExchangeType,
        message_id: u32,
        payloads: &[super::wire::Payload],
    ) {
        let max_datagram = self.fragment_datagram_len;
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        match sa.protect(exchange, true, message_id, payloads, max_datagram) {
            Ok(m) => {
                sa.last_response = Some((message_id, m.clone()));
                let (l, r) = (sa.local, sa.remote);
                self.send_all(l, r, m);
            }
            Err(e) => self.log_error(format!("cannot protect answer: {e}")),
        }
    }

    /// Answers the peer's request `message_id` with one error notify (RFC 7296 3.10.1).
    pub(super) fn answer_error(
        &mut self,
        spi: IkeSpi,
        exchange: ExchangeType,
        message_id: u32,
        kind: super::wire::NotifyType,
        data: Vec<u8>,
    ) {
        let notify = super::wire::Notify::error_with(kind, data);
        self.answer(
            spi,
            exchange,
            message_id,
            &[super::wire::Payload::Notify(notify)],
        );
    }

    /// Sends a protected request and remembers it for retransmission.
    pub(super) fn request(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        exchange: ExchangeType,
        payloads: &[super::wire::Payload],
        kind: RequestKind,
    ) {
        let dpd = self
            .sas
            .get(&spi)
            .map(|sa| self.cfg.peers[sa.peer].profile.dpd_interval);
        let max_datagram = self.fragment_datagram_len;
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        let id = sa.next_request_id;
        match sa.protect(exchange, false, id, payloads, max_datagram) {
            Ok(m) => {
                sa.next_request_id = id.wrapping_add(1);
                let is_dpd = matches!(kind, RequestKind::Dpd);
                let (fixed_interval, max_sends) = match (is_dpd, dpd.flatten()) {
                    (true, Some(interval)) => {
                        let failures = self.cfg.peers[sa.peer].profile.dpd_maximum_failures;
                        (Some(interval), usize::from(failures.max(1)))
                    }
                    _ => (None, RETRANSMIT_TIMEOUTS.len()),
                };
                sa.in_flight = Some(InFlight {
                    message_id: id,
                    datagrams: m.clone(),
                    kind,
                    sent: 1,
                    next_retransmit: now + fixed_interval.unwrap_or(RETRANSMIT_TIMEOUTS[0]),
                    fixed_interval,
                    max_sends,
                });
                let (l, r) = (sa.local, sa.remote);
                self.send_all(l, r, m);
            }
            Err(e) => self.log_error(format!("cannot protect request: {e}")),
        }
    }

    /// Sends the next queued request when none is in flight.
    pub(super) fn kick(&mut self, now: Instant, spi: IkeSpi) {
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        if sa.in_flight.is_some() || !sa.is_established() {
            return;
        }
        let Some(next) = sa.queue.pop_front() else {
            return;
        };
        match next {
            Queued::CreateChild {
                policy_index,
                rekey_of,
            } => self.start_create_child(now, spi, policy_index, rekey_of),
            Queued::RekeyIke => self.start_rekey_ike(now, spi),
            Queued::DeleteChildren(spis) => self.start_delete_children(now, spi, spis),
            Queued::DeleteIke => self.start_delete_ike(now, spi),
            Queued::Dpd => self.start_dpd(now, spi),
        }
    }

    /// Removes an IKE SA and every child it keyed.
    pub(super) fn kill(&mut self, now: Instant, spi: IkeSpi, retry: bool) {
        let Some(sa) = self.sas.remove(&spi) else {
            return;
        };
        for c in &sa.children {
            self.actions.push(Action::Remove {
                policy_index: c.policy_index,
                inbound_spi: c.inbound_spi,
                outbound_spi: c.outbound_spi,
            });
        }
        let peer = sa.peer;
        if retry && let Some(slot) = self.next_attempt.get_mut(peer) {
            let p = &self.cfg.peers[peer];
            if !p.passive && !p.policies.is_empty() {
                *slot = Some(now + RETRY_INTERVAL);
            }
        }
    }

    /// Traffic hit an encrypt policy with no SA.
    pub fn acquire(&mut self, now: Instant, policy_index: usize) {
        let Some(peer) = self
            .cfg
            .peers
            .iter()
            .position(|p| p.policies.contains(&policy_index))
        else {
            return;
        };
        let established = self
            .sas
            .iter()
            .find(|(_, sa)| sa.peer == peer && sa.is_established())
            .map(|(spi, _)| *spi);
        if let Some(spi) = established {
            let sa = &self.sas[&spi];
            if sa.child_for(policy_index).is_none() && !sa.child_pending(policy_index) {
                if let Some(sa) = self.sas.get_mut(&spi) {
                    sa.queue.push_back(Queued::CreateChild {
                        policy_index,
                        rekey_of: None,
                    });
                }
                self.kick(now, spi);
            }
            return;
        }
        let connecting = self.sas.values().any(|sa| sa.peer == peer);
        if !connecting && !self.cfg.peers[peer].passive {
            self.initiate(now, peer);
        }
    }

    /// A child SA of ours reached a lifetime (`spi` inbound or outbound).
    pub fn child_expired(&mut self, now: Instant, spi: u32, hard: bool) {
        let found = self.sas.iter().find_map(|(ike, sa)| {
            sa.children
                .iter()
                .find(|c| c.inbound_spi == spi || c.outbound_spi == spi)
                .map(|c| (*ike, c.clone()))
        });
        let Some((ike, child)) = found else {
            return;
        };
        if hard {
            if let Some(sa) = self.sas.get_mut(&ike) {
                sa.children.retain(|c| c.inbound_spi != child.inbound_spi);
                sa.queue
                    .push_back(Queued::DeleteChildren(vec![child.inbound_spi]));
            }
            self.actions.push(Action::Remove {
                policy_index: child.policy_index,
                inbound_spi: child.inbound_spi,
                outbound_spi: child.outbound_spi,
            });
            self.kick(now, ike);
            return;
        }
        if child.rekeying {
            return;
        }
        if let Some(sa) = self.sas.get_mut(&ike) {
            if let Some(c) = sa
                .children
                .iter_mut()
                .find(|c| c.inbound_spi == child.inbound_spi)
            {
                c.rekeying = true;
            }
            sa.queue.push_back(Queued::CreateChild {
                policy_index: child.policy_index,
                rekey_of: Some(child.inbound_spi),
            });
        }
        self.kick(now, ike);
    }

    /// Retransmissions, DPD, rekeying of IKE SAs and (re)initiation of non-passive peers.
    pub fn tick(&mut self, now: Instant) {
        let spis: Vec<IkeSpi> = self.sas.keys().copied().collect();
        for spi in spis {
            self.tick_sa(now, spi);
        }
        for peer in 0..self.cfg.peers.len() {
            let due = self.next_attempt[peer].is_some_and(|t| t <= now);
            if due && !self.sas.values().any(|sa| sa.peer == peer) {
                self.next_attempt[peer] = None;
                self.initiate(now, peer);
            }
        }
    }

    fn tick_sa(&mut self, now: Instant, spi: IkeSpi) {
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        if matches!(sa.state, IkeState::InitAnswered)
            && now.duration_since(sa.created_at) > HALF_OPEN_TIMEOUT
        {
            self.sas.remove(&spi);
            return;
        }
        if let Some(f) = sa.in_flight.as_mut()
            && f.next_retransmit <= now
        {
            if f.sent >= f.max_sends {
                let dpd = matches!(f.kind, RequestKind::Dpd);
                let established = sa.is_established();
                let ip = sa.remote.ip();
                if dpd {
                    self.log_error(format!("{ip} peer not responding, dead peer detected"));
                } else if established {
                    self.log_error(format!("{ip} exchange timed out, IKE SA deleted"));
                } else {
                    self.log_error(format!("{ip} phase1 negotiation failed due to time up"));
                }
                self.kill(now, spi, true);
                return;
            }
            let wait = f
                .fixed_interval
                .unwrap_or(RETRANSMIT_TIMEOUTS[f.sent.min(RETRANSMIT_TIMEOUTS.len() - 1)]);
            f.sent += 1;
            f.next_retransmit = now + wait;
            let (l, r, m) = (sa.local, sa.remote, f.datagrams.clone());
            self.send_all(l, r, m);
            return;
        }
        if !sa.is_established() {
            return;
        }
        let profile = &self.cfg.peers[sa.peer].profile;
        if let Some(interval) = profile.dpd_interval
            && sa.in_flight.is_none()
            && sa.queue.is_empty()
            && now.duration_since(sa.last_received) >= interval
        {
            sa.queue.push_back(Queued::Dpd);
        }
        if sa.rekey_at.is_some_and(|t| t <= now) {
            sa.rekey_at = None;
            sa.queue.push_back(Queued::RekeyIke);
        }
        self.kick(now, spi);
    }

    /// When `tick` next has something to do.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let mut next: Option<Instant> = self.next_attempt.iter().flatten().copied().min();
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        for sa in self.sas.values() {
            if let Some(f) = &sa.in_flight {
                consider(f.next_retransmit);
            }
            if let Some(t) = sa.rekey_at {
                consider(t);
            }
            if sa.is_established()
                && let Some(i) = self.cfg.peers[sa.peer].profile.dpd_interval
            {
                consider((sa.last_received + i).max(now));
            }
        }
        next
    }

    /// `print remote-peers`.
    pub fn remote_peers(&self, now: Instant) -> Vec<RemotePeerReport> {
        let mut rows: Vec<RemotePeerReport> = self
            .sas
            .values()
            .map(|sa| RemotePeerReport {
                peer: self.cfg.peers[sa.peer].name.clone(),
                local: sa.local,
                remote: sa.remote,
                state: sa.state.name(),
                side: sa.side.name(),
                natt_peer: sa.natt(),
                uptime: sa.established_at.map(|t| now.duration_since(t)),
                last_seen: now.duration_since(sa.last_received),
                remote_id: sa.remote_id.clone(),
                ph2_active: sa.children.len(),
                spi_i: hex::encode(sa.spi_i.0),
                spi_r: hex::encode(sa.spi_r.0),
            })
            .collect();
        rows.sort_by(|a, b| a.peer.cmp(&b.peer).then(a.spi_i.cmp(&b.spi_i)));
        rows
    }

    /// `remote-peers kill-connections`: deletes every IKE SA (telling the peers).
    pub fn kill_all(&mut self, now: Instant) {
        let spis: Vec<IkeSpi> = self.sas.keys().copied().collect();
        for spi in spis {
            let established = self.sas.get(&spi).is_some_and(IkeSa::is_established);
            if established {
                self.send_delete_ike_now(spi);
            }
            self.kill(now, spi, true);
        }
    }

    /// The local address to initiate from: the peer's `local-address`, else the
    /// `sa-src-address` of its first policy.
    pub(super) fn local_address_for(&self, peer: usize) -> Option<IpAddr> {
        let p = &self.cfg.peers[peer];
        p.local_address.or_else(|| {
            p.policies
                .iter()
                .filter_map(|i| self.cfg.policy(*i))
                .map(|x| x.policy.sa_src_address)
                .find(|a| !a.is_unspecified())
        })
    }
}
