//! IKE_SA_INIT (RFC 7296 1.2): proposals, Diffie-Hellman and nonces, NAT detection
//! (2.23), COOKIE (2.6) and INVALID_KE_PAYLOAD (1.2) retries.

use std::net::SocketAddr;
use std::time::Instant;

use super::super::crypto::{
    DhGroup as Group, DhPrivate, IkeSaKeys, Prf, SkCipher, SkeyseedInput, nat_detection_hash,
    random_bytes,
};
use super::super::endpoint::{Endpoint, IKE_PORT, NATT_PORT};
use super::super::proposal::{self, IkeSuite};
use super::super::sa::{IkeSa, IkeState, InFlight, Keyed, RETRANSMIT_TIMEOUTS, RequestKind, Side};
use super::super::wire::{
    ExchangeType, Header, HeaderFlags, IkeSpi, KeyExchange, Message, Notify, NotifyType,
    ParsedMessage, Payload, PayloadType, Payloads,
};

/// Version byte in front of our COOKIEs (RFC 7296 2.6 suggests one, for secret rotation).
const COOKIE_VERSION: u8 = 1;

/// Nonce length we send: twice the strongest PRF key we use (RFC 7296 2.10 wants at least
/// half the PRF key size, and 16 bytes minimum).
pub(crate) const NONCE_LEN: usize = 32;

/// A random, non-zero IKE SPI.
pub(crate) fn fresh_spi() -> IkeSpi {
    let mut b = [0u8; 8];
    loop {
        if getrandom::fill(&mut b).is_err() {
            continue;
        }
        if b != [0; 8] {
            return IkeSpi(b);
        }
    }
}

fn nat_notifies(spi_i: IkeSpi, spi_r: IkeSpi, src: SocketAddr, dst: SocketAddr) -> [Payload; 2] {
    [
        Payload::Notify(Notify::status(
            NotifyType::NAT_DETECTION_SOURCE_IP,
            nat_detection_hash(spi_i.0, spi_r.0, src.ip(), src.port()).to_vec(),
        )),
        Payload::Notify(Notify::status(
            NotifyType::NAT_DETECTION_DESTINATION_IP,
            nat_detection_hash(spi_i.0, spi_r.0, dst.ip(), dst.port()).to_vec(),
        )),
    ]
}

/// (NAT in front of us, NAT in front of the peer), from the peer's NAT_DETECTION notifies:
/// its SOURCE hash must match where the message came from, its DESTINATION hash where it
/// went to. Without the notifies the peer does not do NAT-T: no NAT assumed.
/// RFC 7383 2.3: we always offer fragmentation; it is on when the peer offers it too.
fn fragmentation_supported() -> Payload {
    Payload::Notify(Notify::status(
        NotifyType::IKEV2_FRAGMENTATION_SUPPORTED,
        Vec::new(),
    ))
}

fn offers_fragmentation(payloads: &[Payload]) -> bool {
    payloads
        .notifies(NotifyType::IKEV2_FRAGMENTATION_SUPPORTED)
        .next()
        .is_some()
}

fn detect_nat(
    payloads: &[Payload],
    spi_i: IkeSpi,
    spi_r: IkeSpi,
    local: SocketAddr,
    remote: SocketAddr,
) -> (bool, bool) {
    let sources: Vec<&[u8]> = payloads
        .notifies(NotifyType::NAT_DETECTION_SOURCE_IP)
        .map(|n| n.data.as_slice())
        .collect();
    let dest = payloads
        .notifies(NotifyType::NAT_DETECTION_DESTINATION_IP)
        .next()
        .map(|n| n.data.clone());
    let Some(dest) = dest else {
        return (false, false);
    };
    let remote_hash = nat_detection_hash(spi_i.0, spi_r.0, remote.ip(), remote.port());
    let local_hash = nat_detection_hash(spi_i.0, spi_r.0, local.ip(), local.port());
    let nat_remote = !sources.contains(&remote_hash.as_slice());
    let nat_local = dest.as_slice() != local_hash.as_slice();
    (nat_local, nat_remote)
}

impl Endpoint {
    /// Starts an IKE SA with `peer` (IKE_SA_INIT request).
    pub(crate) fn initiate(&mut self, now: Instant, peer: usize) {
        let p = self.peer(peer).clone();
        let Some(remote_ip) = p.initiate_to() else {
            self.log_error(format!(
                "peer {:?}: address {} is not one host, so tunsec cannot initiate to it; set passive = true or a /32 (/128) address",
                p.name, p.address
            ));
            return;
        };
        let Some(local_ip) = self.local_address_for(peer) else {
            self.log_error(format!(
                "peer {:?}: no local-address and no policy sa-src-address to initiate from",
                p.name
            ));
            return;
        };
        let groups = proposal::ike_groups(&p.profile);
        let Some(group) = groups.first().copied() else {
            self.log_error(format!(
                "peer {:?}: profile {:?} has no IKEv2 DH group",
                p.name, p.profile.name
            ));
            return;
        };
        let local = SocketAddr::new(local_ip, IKE_PORT);
        let remote = SocketAddr::new(remote_ip, p.port);
        let mut sa = IkeSa::new(peer, Side::Initiator, local, remote, now);
        sa.spi_i = fresh_spi();
        self.log(format!(
            "{remote_ip} initiating IKE_SA_INIT (peer {})",
            p.name
        ));
        let Some(dh) = self.generate_dh(group) else {
            return;
        };
        self.send_init(now, sa, dh, random_bytes(NONCE_LEN), None);
    }

    fn generate_dh(&mut self, group: Group) -> Option<DhPrivate> {
        match group.generate() {
            Ok(dh) => Some(dh),
            Err(e) => {
                self.log_error(format!("DH {} key generation failed: {e}", group.name()));
                None
            }
        }
    }

    /// Builds and sends our IKE_SA_INIT request for `sa` with the KE of `dh`. A retry after
    /// a COOKIE passes the same `dh` and `nonce` back in: RFC 7296 2.6 wants every payload
    /// but the COOKIE unchanged, and a responder may bind its cookie to Ni.
    fn send_init(
        &mut self,
        now: Instant,
        mut sa: IkeSa,
        dh: DhPrivate,
        nonce: Vec<u8>,
        cookie: Option<Vec<u8>>,
    ) {
        let profile = self.peer(sa.peer).profile.clone();
        let group = dh.group();
        let mut payloads = Vec::new();
        if let Some(c) = &cookie {
            payloads.push(Payload::Notify(Notify::status(
                NotifyType::COOKIE,
                c.clone(),
            )));
        }
        payloads.push(Payload::Sa(proposal::ike_proposals(&profile, &[])));
        payloads.push(Payload::Ke(KeyExchange {
            group: group.id(),
            data: dh.public_key().to_vec(),
        }));
        payloads.push(Payload::Nonce(nonce.clone()));
        payloads.push(fragmentation_supported());
        if profile.nat_traversal {
            payloads.extend(nat_notifies(
                sa.spi_i,
                IkeSpi::default(),
                sa.local,
                sa.remote,
            ));
        }
        payloads.extend(self.init_signature_payloads(sa.peer, false, true));
        let header = Header::new(
            sa.spi_i,
            IkeSpi::default(),
            PayloadType::NONE,
            ExchangeType::IKE_SA_INIT,
            HeaderFlags {
                initiator: true,
                version: false,
                response: false,
            },
            0,
        );
        let request = Message { header, payloads }.encode();
        sa.next_request_id = 1;
        sa.in_flight = Some(InFlight {
            message_id: 0,
            datagrams: vec![request.clone()],
            kind: RequestKind::Dpd,
            sent: 1,
            next_retransmit: now + RETRANSMIT_TIMEOUTS[0],
            fixed_interval: None,
            max_sends: RETRANSMIT_TIMEOUTS.len(),
        });
        sa.state = IkeState::InitSent {
            dh,
            nonce,
            request: request.clone(),
            cookie,
        };
        let (l, r) = (sa.local, sa.remote);
        self.sas.insert(sa.spi_i, sa);
        self.send(l, r, request);
    }

    /// Answers an IKE_SA_INIT request (we are the responder).
    pub(crate) fn on_init_request(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        parsed: &ParsedMessage,
    ) {
        let h = &parsed.header;
        // A repeated request gets the same answer (RFC 7296 2.1).
        if let Some(sa) = self
            .sas
            .values()
            .find(|sa| sa.side == Side::Responder && sa.spi_i == h.spi_i && sa.remote == remote)
        {
            if let Some(answer) = sa.init_response.clone() {
                self.send(local, remote, answer);
            }
            return;
        }
        if !self.cookie_ok(local, remote, parsed) {
            return;
        }
        let Some(peer) = self.cfg.peer_for(remote.ip(), local.ip()) else {
            self.log_error(format!(
                "{}: no ike2 peer configured for this address",
                remote.ip()
            ));
            return;
        };
        if let Err((kind, data)) = self.answer_init(now, local, remote, bytes, parsed, peer) {
            self.send_init_error(local, remote, parsed.header.spi_i, kind, data);
        }
    }

    /// Negotiates the IKE SA a valid request from `peer` asks for and answers it; the
    /// error notify to answer with instead when the request cannot be accepted.
    fn answer_init(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        parsed: &ParsedMessage,
        peer: usize,
    ) -> Result<(), (NotifyType, Vec<u8>)> {
        let h = &parsed.header;
        let profile = self.peer(peer).profile.clone();
        let payloads = &parsed.payloads;
        let offered = payloads.sa().unwrap_or_default();
        let spi_r = fresh_spi();
        let (suite, chosen) = match proposal::choose_ike(&profile, &offered, &[]) {
            Ok(x) => x,
            Err(no) => {
                for line in no.log_lines() {
                    self.log_error(line);
                }
                self.log_error(format!("{} failed to get valid proposal.", remote.ip()));
                self.log_error(format!("{} phase1 negotiation failed.", remote.ip()));
                return Err((NotifyType::NO_PROPOSAL_CHOSEN, Vec::new()));
            }
        };
        let Some(ke) = payloads.ke() else {
            return Err((NotifyType::INVALID_SYNTAX, Vec::new()));
        };
        if ke.group != suite.dh.id() {
            // RFC 7296 1.2: tell the initiator which group we want.
            self.log(format!(
                "{} KE for group {} but {} was chosen: asking for {}",
                remote.ip(),
                ke.group,
                suite.dh.name(),
                suite.dh.name()
            ));
            return Err((
                NotifyType::INVALID_KE_PAYLOAD,
                suite.dh.id().to_be_bytes().to_vec(),
            ));
        }
        let Some(ni) = payloads.nonce().map(<[u8]>::to_vec) else {
            return Err((NotifyType::INVALID_SYNTAX, Vec::new()));
        };
        let dh = match suite.dh.generate() {
            Ok(d) => d,
            Err(e) => {
                self.log_error(format!("DH {} key generation failed: {e}", suite.dh.name()));
                return Ok(());
            }
        };
        let shared = match dh.agree(&ke.data) {
            Ok(s) => s,
            Err(e) => {
                self.log_error(format!("{} bad KE payload: {e}", remote.ip()));
                return Err((NotifyType::INVALID_SYNTAX, Vec::new()));
            }
        };
        let nr = random_bytes(NONCE_LEN);
        let mut sa = IkeSa::new(peer, Side::Responder, local, remote, now);
        sa.spi_i = h.spi_i;
        sa.spi_r = spi_r;
        let nat_t = profile.nat_traversal
            && payloads
                .notifies(NotifyType::NAT_DETECTION_SOURCE_IP)
                .next()
                .is_some();
        if nat_t {
            let (nat_local, nat_remote) =
                detect_nat(payloads, h.spi_i, IkeSpi::default(), local, remote);
            sa.nat_local = nat_local;
            sa.nat_remote = nat_remote;
        }
        let mut out = vec![
            Payload::Sa(vec![chosen]),
            Payload::Ke(KeyExchange {
                group: suite.dh.id(),
                data: dh.public_key().to_vec(),
            }),
            Payload::Nonce(nr.clone()),
        ];
        if nat_t {
            out.extend(nat_notifies(h.spi_i, spi_r, local, remote));
        }
        sa.fragmentation = offers_fragmentation(payloads);
        if sa.fragmentation {
            out.push(fragmentation_supported());
        }
        let peer_announced = payloads.has_notify(NotifyType::SIGNATURE_HASH_ALGORITHMS);
        out.extend(self.init_signature_payloads(peer, true, peer_announced));
        let header = Header::new(
            h.spi_i,
            spi_r,
            PayloadType::NONE,
            ExchangeType::IKE_SA_INIT,
            HeaderFlags {
                initiator: false,
                version: false,
                response: true,
            },
            0,
        );
        let response = Message {
            header,
            payloads: out,
        }
        .encode();
        let keyed = match key_ike_sa(
            suite,
            &ni,
            &nr,
            &shared,
            h.spi_i,
            spi_r,
            Side::Responder,
            bytes,
            &response,
        ) {
            Ok(k) => k,
            Err(e) => {
                self.log_error(format!("{} key derivation failed: {e}", remote.ip()));
                return Ok(());
            }
        };
        sa.keyed = Some(keyed);
        sa.expected_request_id = 1;
        sa.init_response = Some(response.clone());
        sa.state = IkeState::InitAnswered;
        self.sas.insert(spi_r, sa);
        self.send(local, remote, response);
        Ok(())
    }

    /// RFC 7296 2.6: under load (many half-open SAs), a request must carry the COOKIE we
    /// computed from its nonce, address and SPI; without it we answer with the COOKIE and
    /// keep no state. Cookie = version || HMAC-SHA-256(secret, Ni | IPi | SPIi).
    fn cookie_ok(&mut self, local: SocketAddr, remote: SocketAddr, parsed: &ParsedMessage) -> bool {
        let half_open = self
            .sas
            .values()
            .filter(|sa| matches!(sa.state, IkeState::InitAnswered))
            .count();
        if half_open < self.cookie_threshold {
            return true;
        }
        let Some(ni) = parsed.payloads.nonce() else {
            return true;
        };
        let ip = match remote.ip() {
            std::net::IpAddr::V4(a) => a.octets().to_vec(),
            std::net::IpAddr::V6(a) => a.octets().to_vec(),
        };
        let mac = Prf::HmacSha256.compute(&self.cookie_secret, &[ni, &ip, &parsed.header.spi_i.0]);
        let mut expected = vec![COOKIE_VERSION];
        expected.extend_from_slice(&mac);
        let offered = parsed
            .payloads
            .notifies(NotifyType::COOKIE)
            .next()
            .map(|n| n.data.as_slice());
        if offered.is_some_and(|c| bool::from(subtle::ConstantTimeEq::ct_eq(c, &expected[..]))) {
            return true;
        }
        self.send_init_error(
            local,
            remote,
            parsed.header.spi_i,
            NotifyType::COOKIE,
            expected,
        );
        false
    }

    fn send_init_error(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        spi_i: IkeSpi,
        kind: NotifyType,
        data: Vec<u8>,
    ) {
        let header = Header::new(
            spi_i,
            IkeSpi::default(),
            PayloadType::NONE,
            ExchangeType::IKE_SA_INIT,
            HeaderFlags {
                initiator: false,
                version: false,
                response: true,
            },
            0,
        );
        let m = Message {
            header,
            payloads: vec![Payload::Notify(Notify::status(kind, data))],
        }
        .encode();
        self.send(local, remote, m);
    }

    /// The answer to our IKE_SA_INIT request.
    pub(crate) fn on_init_response(
        &mut self,
        now: Instant,
        spi: super::super::wire::IkeSpi,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
        parsed: &ParsedMessage,
    ) {
        let Some(mut sa) = self.sas.remove(&spi) else {
            return;
        };
        let profile = self.peer(sa.peer).profile.clone();
        let payloads = &parsed.payloads;
        let IkeState::InitSent {
            dh,
            nonce: ni,
            request,
            cookie,
        } = std::mem::replace(&mut sa.state, IkeState::Dead)
        else {
            return;
        };
        if let Some(c) = payloads.notifies(NotifyType::COOKIE).next() {
            let c = c.data.clone();
            if cookie.as_ref() != Some(&c) {
                self.send_init(now, sa, dh, ni, Some(c));
            }
            return;
        }
        if let Some(n) = payloads.notifies(NotifyType::INVALID_KE_PAYLOAD).next() {
            let wanted = <[u8; 2]>::try_from(n.data.as_slice())
                .ok()
                .map(u16::from_be_bytes)
                .and_then(Group::from_id)
                .filter(|g| proposal::ike_groups(&profile).contains(g));
            match wanted {
                Some(g) if g != dh.group() => {
                    self.log(format!(
                        "{} asks for DH group {}: retrying",
                        remote.ip(),
                        g.name()
                    ));
                    match self.generate_dh(g) {
                        Some(dh) => self.send_init(now, sa, dh, ni, cookie),
                        None => self.kill_removed(now, sa),
                    }
                }
                _ => {
                    self.log_error(format!(
                        "{} INVALID_KE_PAYLOAD for a group we do not offer",
                        remote.ip()
                    ));
                    self.kill_removed(now, sa);
                }
            }
            return;
        }
        if let Some(n) = payloads.error_notify() {
            self.log_error(format!(
                "{} fatal {} notify message",
                remote.ip(),
                n.kind.name().replace('_', "-")
            ));
            self.log_error(format!("{} phase1 negotiation failed.", remote.ip()));
            self.kill_removed(now, sa);
            return;
        }
        let chosen = payloads.sa().unwrap_or_default();
        let suite = match proposal::accept_ike(&profile, &chosen) {
            Ok(s) => s,
            Err(_) => {
                self.log_error(format!(
                    "{} responder chose a proposal we did not offer",
                    remote.ip()
                ));
                self.kill_removed(now, sa);
                return;
            }
        };
        let (Some(ke), Some(nr)) = (payloads.ke(), payloads.nonce().map(<[u8]>::to_vec)) else {
            self.log_error(format!(
                "{} IKE_SA_INIT response without KE or nonce",
                remote.ip()
            ));
            self.kill_removed(now, sa);
            return;
        };
        if ke.group != suite.dh.id() || suite.dh != dh.group() {
            self.log_error(format!(
                "{} KE group {} does not match our {}",
                remote.ip(),
                ke.group,
                dh.group().name()
            ));
            self.kill_removed(now, sa);
            return;
        }
        let shared = match dh.agree(&ke.data) {
            Ok(s) => s,
            Err(e) => {
                self.log_error(format!("{} bad KE payload: {e}", remote.ip()));
                self.kill_removed(now, sa);
                return;
            }
        };
        sa.spi_r = parsed.header.spi_r;
        sa.fragmentation = offers_fragmentation(payloads);
        if profile.nat_traversal {
            let (nat_local, nat_remote) = detect_nat(payloads, sa.spi_i, sa.spi_r, local, remote);
            sa.nat_local = nat_local;
            sa.nat_remote = nat_remote;
        }
        let keyed = match key_ike_sa(
            suite,
            &ni,
            &nr,
            &shared,
            sa.spi_i,
            sa.spi_r,
            Side::Initiator,
            &request,
            bytes,
        ) {
            Ok(k) => k,
            Err(e) => {
                self.log_error(format!("{} key derivation failed: {e}", remote.ip()));
                self.kill_removed(now, sa);
                return;
            }
        };
        sa.keyed = Some(keyed);
        sa.in_flight = None;
        sa.last_received = now;
        if sa.natt() {
            // RFC 7296 2.23: once a NAT is seen, IKE moves to port 4500 at once.
            sa.local.set_port(NATT_PORT);
            sa.remote.set_port(NATT_PORT);
        }
        let spi = sa.spi_i;
        self.sas.insert(spi, sa);
        self.send_auth(now, spi);
    }

    /// Drops an SA already taken out of the table, scheduling a retry of its peer.
    fn kill_removed(&mut self, now: Instant, sa: IkeSa) {
        let spi = sa.our_spi();
        self.sas.insert(spi, sa);
        self.kill(now, spi, true);
    }
}

/// Derives the IKE SA keys and builds the SK ciphers for our side.
#[allow(clippy::too_many_arguments)]
pub(crate) fn key_ike_sa(
    suite: IkeSuite,
    ni: &[u8],
    nr: &[u8],
    shared: &[u8],
    spi_i: IkeSpi,
    spi_r: IkeSpi,
    side: Side,
    init_request: &[u8],
    init_response: &[u8],
) -> Result<Keyed, String> {
    let keys = IkeSaKeys::derive(
        suite.prf,
        suite.encr,
        suite.integ,
        &SkeyseedInput { ni, nr, shared },
        spi_i.0,
        spi_r.0,
    )
    .map_err(|e| e.to_string())?;
    keyed_from(suite, keys, ni, nr, side, init_request, init_response)
}

/// The SK ciphers of an IKE SA from its keys (initiator's keys protect what the original
/// initiator sends).
pub(crate) fn keyed_from(
    suite: IkeSuite,
    keys: IkeSaKeys,
    ni: &[u8],
    nr: &[u8],
    side: Side,
    init_request: &[u8],
    init_response: &[u8],
) -> Result<Keyed, String> {
    let initiator = SkCipher::new(suite.encr, suite.integ, &keys.sk_ei, &keys.sk_ai)
        .map_err(|e| e.to_string())?;
    let responder = SkCipher::new(suite.encr, suite.integ, &keys.sk_er, &keys.sk_ar)
        .map_err(|e| e.to_string())?;
    let (out, inp) = match side {
        Side::Initiator => (initiator, responder),
        Side::Responder => (responder, initiator),
    };
    Ok(Keyed {
        suite,
        keys,
        out,
        inp,
        ni: ni.to_vec(),
        nr: nr.to_vec(),
        init_request: init_request.to_vec(),
        init_response: init_response.to_vec(),
    })
}
