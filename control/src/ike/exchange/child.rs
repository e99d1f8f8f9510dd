//! Child SAs: the one that rides in IKE_AUTH, CREATE_CHILD_SA for new and rekeyed children
//! (RFC 7296 1.3.1, 1.3.3, 2.17), and the IKE SA rekey (1.3.2, 2.18).

use std::time::{Duration, Instant};

use tunsec_dataplane::sa::{Direction, IpsecProtocol, Lifetime, Mode, Padding, SaParams, UdpEncap};
use zeroize::Zeroizing;

use super::super::crypto::{
    DhGroup as Group, IkeSaKeys, SkeyseedInput, child_keymat, random_bytes,
};
use super::super::endpoint::{Action, ChildInstall, Endpoint};
use super::super::peers::IkePolicy;
use super::super::proposal::{self, ChildSuite};
use super::super::sa::{ChildSa, IkeSa, IkeState, Queued, RequestKind, Side};
use super::super::ts;
use super::super::wire::{
    ExchangeType, IkeSpi, KeyExchange, Notify, NotifyType, Payload, Payloads, ProtocolId,
    TrafficSelector, TransformType,
};
use super::init::{NONCE_LEN, keyed_from};

/// Default inbound replay window for negotiated SAs (as for manual SAs).
const REPLAY_WINDOW: u32 = 1024;

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

/// Lifetimes of a new child: hard from the proposal (`lifetime`, `lifebytes`; zero is no
/// limit), soft at a random 80-88 % (the end that created the child) or 90-95 % (the other
/// end), so that one end rekeys first and both rarely start at once.
fn child_lifetime(hard: Duration, hard_bytes: u64, created_here: bool) -> Lifetime {
    let (lo, span) = if created_here { (800, 80) } else { (900, 50) };
    let permille = lo + random_u64() % span;
    let soft = |hard: u64| (hard != 0).then(|| hard / 1000 * permille);
    let hard_ms = u64::try_from(hard.as_millis()).unwrap_or(u64::MAX);
    Lifetime {
        soft_millis: soft(hard_ms),
        hard_millis: (hard_ms != 0).then_some(hard_ms),
        soft_bytes: soft(hard_bytes),
        hard_bytes: (hard_bytes != 0).then_some(hard_bytes),
    }
}

/// Context of a CREATE_CHILD_SA exchange for the responder's KEYMAT.
pub(crate) struct ExchangeNonces {
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
}

impl Endpoint {
    /// A fresh inbound SPI, unused by every child we know.
    pub(crate) fn new_child_spi(&self) -> u32 {
        loop {
            let spi = (random_u64() as u32) | 0x0100_0000;
            let used = self
                .sas
                .values()
                .flat_map(|sa| sa.children.iter())
                .any(|c| c.inbound_spi == spi);
            if !used {
                return spi;
            }
        }
    }

    /// Builds the dataplane SA pair of a child from its KEYMAT. `we_initiated` is whether we
    /// sent the request of the exchange that created it (its initiator's keys come first).
    #[allow(clippy::too_many_arguments)]
    fn child_install(
        sa: &IkeSa,
        policy: &IkePolicy,
        suite: ChildSuite,
        keymat: &[u8],
        we_initiated: bool,
        inbound_spi: u32,
        outbound_spi: u32,
    ) -> ChildInstall {
        let ek = suite.enc.key_len();
        let ak = suite.auth.key_len();
        let part = |i: usize, len: usize| {
            Zeroizing::new(
                keymat
                    .get(i..i + len)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default(),
            )
        };
        let (enc_i, auth_i) = (part(0, ek), part(ek, ak));
        let (enc_r, auth_r) = (part(ek + ak, ek), part(2 * ek + ak, ak));
        let ((out_e, out_a), (in_e, in_a)) = if we_initiated {
            ((enc_i, auth_i), (enc_r, auth_r))
        } else {
            ((enc_r, auth_r), (enc_i, auth_i))
        };
        let encap = sa.natt().then(|| UdpEncap {
            src_port: sa.local.port(),
            dst_port: sa.remote.port(),
        });
        let mode = if policy.policy.tunnel {
            Mode::Tunnel
        } else {
            Mode::Transport
        };
        let lifetime = child_lifetime(
            policy.proposal.lifetime,
            policy.proposal.lifebytes,
            we_initiated,
        );
        let make = |direction, spi, enc_key, auth_key| SaParams {
            spi,
            direction,
            protocol: IpsecProtocol::Esp,
            mode,
            src: if direction == Direction::Outbound {
                sa.local.ip()
            } else {
                sa.remote.ip()
            },
            dst: if direction == Direction::Outbound {
                sa.remote.ip()
            } else {
                sa.local.ip()
            },
            encap: encap.map(|e| {
                if direction == Direction::Outbound {
                    e
                } else {
                    UdpEncap {
                        src_port: e.dst_port,
                        dst_port: e.src_port,
                    }
                }
            }),
            enc: suite.enc,
            enc_key,
            auth: suite.auth,
            auth_key,
            esn: suite.esn,
            replay_window: if direction == Direction::Inbound {
                REPLAY_WINDOW
            } else {
                0
            },
            lifetime,
            padding: Padding::Minimal,
            iv_seed: random_u64(),
        };
        ChildInstall {
            policy_index: policy.index,
            inbound: make(Direction::Inbound, inbound_spi, in_e, in_a),
            outbound: make(Direction::Outbound, outbound_spi, out_e, out_a),
        }
    }

    /// Records and installs a negotiated child.
    #[allow(clippy::too_many_arguments)]
    fn add_child(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        policy: &IkePolicy,
        suite: ChildSuite,
        keymat: &[u8],
        we_initiated: bool,
        inbound_spi: u32,
        outbound_spi: u32,
        ts_local: TrafficSelector,
        ts_remote: TrafficSelector,
    ) {
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        let install = Self::child_install(
            sa,
            policy,
            suite,
            keymat,
            we_initiated,
            inbound_spi,
            outbound_spi,
        );
        sa.children.push(ChildSa {
            policy_index: policy.index,
            inbound_spi,
            outbound_spi,
            suite,
            ts_local: ts_local.clone(),
            ts_remote: ts_remote.clone(),
            installed_at: now,
            rekeying: false,
        });
        let ip = sa.remote.ip();
        self.actions.push(Action::Install(Box::new(install)));
        self.log(format!(
            "{ip} child SA established: {} <=> {} esp {} spi in {inbound_spi:#010x} out {outbound_spi:#010x}",
            ts::describe(&ts_local),
            ts::describe(&ts_remote),
            proposal::describe_child(&suite),
        ));
    }

    /// Initiator: the responder's answer carrying a child (IKE_AUTH or CREATE_CHILD_SA).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finish_child_initiator(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        policy_index: usize,
        inbound_spi: u32,
        tsi: TrafficSelector,
        tsr: TrafficSelector,
        nonces: Option<(&[u8], &[u8])>,
        pfs: Option<(Group, Zeroizing<Vec<u8>>)>,
        payloads: &[Payload],
    ) {
        let Some(sa) = self.sas.get(&spi) else {
            return;
        };
        let ip = sa.remote.ip();
        let Some(policy) = self.cfg.policy(policy_index).cloned() else {
            return;
        };
        if let Some(n) = payloads.error_notify() {
            self.log_error(format!(
                "{ip} fatal {} notify message for policy #{policy_index} ({} <=> {})",
                n.kind.name().replace('_', "-"),
                ts::describe(&tsi),
                ts::describe(&tsr)
            ));
            return;
        }
        let chosen = payloads.sa().unwrap_or_default();
        let pfs_group = pfs.as_ref().map(|(g, _)| *g);
        let (suite, outbound_spi) = match proposal::accept_esp(&policy.proposal, &chosen, pfs_group)
        {
            Ok(x) => x,
            Err(_) => {
                self.log_error(format!(
                    "{ip} responder chose an ESP proposal we did not offer"
                ));
                return;
            }
        };
        let (Some(got_i), Some(got_r)) = (
            payloads.ts_i().and_then(|t| t.first()).cloned(),
            payloads.ts_r().and_then(|t| t.first()).cloned(),
        ) else {
            self.log_error(format!("{ip} child SA answer without traffic selectors"));
            return;
        };
        if !ts::within(&got_i, &tsi) || !ts::within(&got_r, &tsr) {
            self.log_error(format!("{ip} responder widened our traffic selectors"));
            return;
        }
        let Some(keyed) = sa.keyed.as_ref() else {
            return;
        };
        let (ni, nr) = nonces.unwrap_or((&keyed.ni, &keyed.nr));
        let len = 2 * (suite.enc.key_len() + suite.auth.key_len());
        let shared = pfs.as_ref().map(|(_, s)| s.as_slice());
        let keymat = match child_keymat(keyed.suite.prf, &keyed.keys.sk_d, shared, ni, nr, len) {
            Ok(k) => k,
            Err(e) => {
                self.log_error(format!("{ip} child key derivation failed: {e}"));
                return;
            }
        };
        self.add_child(
            now,
            spi,
            &policy,
            suite,
            &keymat,
            true,
            inbound_spi,
            outbound_spi,
            got_i,
            got_r,
        );
    }

    /// Responder: picks the policy and proposal for a child the peer asks for and returns
    /// the payloads of the answer (SA, KEr, TSi, TSr, or an error notify). `nonces` is
    /// `None` in IKE_AUTH (the IKE_SA_INIT nonces key the child).
    pub(crate) fn answer_child(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        payloads: &[Payload],
        nonces: Option<&ExchangeNonces>,
        rekey_of: Option<u32>,
    ) -> Vec<Payload> {
        let Some(sa) = self.sas.get(&spi) else {
            return Vec::new();
        };
        let ip = sa.remote.ip();
        let peer = sa.peer;
        let (Some(tsi), Some(tsr)) = (payloads.ts_i(), payloads.ts_r()) else {
            return vec![Payload::Notify(Notify::error(NotifyType::TS_UNACCEPTABLE))];
        };
        // The peer's TSi is its side (our remote), its TSr ours.
        let mut found = None;
        for index in &self.cfg.peers[peer].policies {
            let Some(p) = self.cfg.policy(*index) else {
                continue;
            };
            let local = ts::of_policy(&p.policy, true);
            let remote = ts::of_policy(&p.policy, false);
            if let (Some(r), Some(l)) = (ts::narrow(tsi, &remote), ts::narrow(tsr, &local)) {
                found = Some((p.clone(), l, r));
                break;
            }
        }
        let Some((policy, ts_local, ts_remote)) = found else {
            let theirs: Vec<String> = tsi.iter().chain(tsr.iter()).map(ts::describe).collect();
            self.log_error(format!(
                "{ip} no policy of peer {} matches the proposed traffic selectors {} (TS_UNACCEPTABLE)",
                self.cfg.peers[peer].name,
                theirs.join(" <=> ")
            ));
            return vec![Payload::Notify(Notify::error(NotifyType::TS_UNACCEPTABLE))];
        };
        let transport = payloads
            .notifies(NotifyType::USE_TRANSPORT_MODE)
            .next()
            .is_some();
        if transport == policy.policy.tunnel {
            self.log_error(format!(
                "{ip} peer asks for {} mode, policy #{} uses {} mode",
                if transport { "transport" } else { "tunnel" },
                policy.index,
                if policy.policy.tunnel {
                    "tunnel"
                } else {
                    "transport"
                }
            ));
            return vec![Payload::Notify(Notify::error(
                NotifyType::NO_PROPOSAL_CHOSEN,
            ))];
        }
        let pfs = nonces.and_then(|_| policy.proposal.pfs_group.and_then(proposal::group_of));
        let ke = payloads.ke();
        // An IKE_AUTH child never has PFS; a CREATE_CHILD_SA one does when configured
        // (and when the peer sent a KE we take it as a request for PFS with that group).
        let pfs = match (pfs, ke, nonces) {
            (None, Some(k), Some(_)) => Group::from_id(k.group),
            (p, _, _) => p,
        };
        let inbound_spi = self.new_child_spi();
        let mut offered = payloads.sa().unwrap_or_default();
        if nonces.is_none() {
            // IKE_AUTH carries no KE, so a DH transform in its SA payload means nothing
            // (RFC 7296 1.2); some initiators leave their PFS group in. Ignore it.
            for p in &mut offered {
                p.transforms.retain(|t| t.kind != TransformType::DH);
            }
        }
        let (suite, chosen, outbound_spi) =
            match proposal::choose_esp(&policy.proposal, &offered, pfs, inbound_spi) {
                Ok(x) => x,
                Err(no) => {
                    for line in no.log_lines() {
                        self.log_error(line);
                    }
                    self.log_error(format!(
                        "{ip} failed to get valid proposal for policy #{} (NO_PROPOSAL_CHOSEN)",
                        policy.index
                    ));
                    return vec![Payload::Notify(Notify::error(
                        NotifyType::NO_PROPOSAL_CHOSEN,
                    ))];
                }
            };
        let mut out = vec![Payload::Sa(vec![chosen])];
        let mut shared = None;
        if let Some(g) = suite.dh {
            let Some(k) = ke.filter(|k| k.group == g.id()) else {
                return vec![Payload::Notify(Notify::error_with(
                    NotifyType::INVALID_KE_PAYLOAD,
                    g.id().to_be_bytes().to_vec(),
                ))];
            };
            let dh = match g.generate() {
                Ok(d) => d,
                Err(_) => {
                    return vec![Payload::Notify(Notify::error(
                        NotifyType::NO_PROPOSAL_CHOSEN,
                    ))];
                }
            };
            match dh.agree(&k.data) {
                Ok(s) => shared = Some(s),
                Err(_) => return vec![Payload::Notify(Notify::error(NotifyType::INVALID_SYNTAX))],
            }
            out.push(Payload::Ke(KeyExchange {
                group: g.id(),
                data: dh.public_key().to_vec(),
            }));
        }
        let Some(sa) = self.sas.get(&spi) else {
            return Vec::new();
        };
        let Some(keyed) = sa.keyed.as_ref() else {
            return Vec::new();
        };
        let (ni, nr) = match nonces {
            Some(n) => (n.ni.as_slice(), n.nr.as_slice()),
            None => (keyed.ni.as_slice(), keyed.nr.as_slice()),
        };
        let len = 2 * (suite.enc.key_len() + suite.auth.key_len());
        let keymat = match child_keymat(
            keyed.suite.prf,
            &keyed.keys.sk_d,
            shared.as_deref().map(|s| s.as_slice()),
            ni,
            nr,
            len,
        ) {
            Ok(k) => k,
            Err(_) => {
                return vec![Payload::Notify(Notify::error(
                    NotifyType::NO_PROPOSAL_CHOSEN,
                ))];
            }
        };
        out.push(Payload::TsI(vec![ts_remote.clone()]));
        out.push(Payload::TsR(vec![ts_local.clone()]));
        if transport {
            out.push(Payload::Notify(Notify::status(
                NotifyType::USE_TRANSPORT_MODE,
                Vec::new(),
            )));
        }
        if let Some(old) = rekey_of
            && let Some(sa) = self.sas.get_mut(&spi)
            && let Some(c) = sa.children.iter_mut().find(|c| c.outbound_spi == old)
        {
            c.rekeying = true;
        }
        self.add_child(
            now,
            spi,
            &policy,
            suite,
            &keymat,
            false,
            inbound_spi,
            outbound_spi,
            ts_local,
            ts_remote,
        );
        out
    }

    /// Initiator: CREATE_CHILD_SA for a new child of `policy_index`, or a rekey of the
    /// child whose inbound SPI is `rekey_of`.
    pub(crate) fn start_create_child(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        policy_index: usize,
        rekey_of: Option<u32>,
    ) {
        let Some(policy) = self.cfg.policy(policy_index).cloned() else {
            return;
        };
        if let Some(old) = rekey_of {
            let alive = self
                .sas
                .get(&spi)
                .is_some_and(|sa| sa.children.iter().any(|c| c.inbound_spi == old));
            if !alive {
                return;
            }
        }
        let pfs = policy.proposal.pfs_group.and_then(proposal::group_of);
        let dh = match pfs.map(Group::generate).transpose() {
            Ok(d) => d,
            Err(e) => {
                self.log_error(format!("PFS key generation failed: {e}"));
                return;
            }
        };
        let inbound_spi = self.new_child_spi();
        let nonce = random_bytes(NONCE_LEN);
        let tsi = ts::of_policy(&policy.policy, true);
        let tsr = ts::of_policy(&policy.policy, false);
        let mut payloads = Vec::new();
        if let Some(old) = rekey_of {
            payloads.push(Payload::Notify(Notify {
                protocol: ProtocolId::ESP,
                spi: old.to_be_bytes().to_vec(),
                kind: NotifyType::REKEY_SA,
                data: Vec::new(),
            }));
        }
        if !policy.policy.tunnel {
            payloads.push(Payload::Notify(Notify::status(
                NotifyType::USE_TRANSPORT_MODE,
                Vec::new(),
            )));
        }
        payloads.push(Payload::Sa(proposal::esp_proposals(
            &policy.proposal,
            inbound_spi,
            pfs,
        )));
        payloads.push(Payload::Nonce(nonce.clone()));
        if let Some(d) = &dh {
            payloads.push(Payload::Ke(KeyExchange {
                group: d.group().id(),
                data: d.public_key().to_vec(),
            }));
        }
        payloads.push(Payload::TsI(vec![tsi.clone()]));
        payloads.push(Payload::TsR(vec![tsr.clone()]));
        let kind = RequestKind::CreateChild {
            policy_index,
            inbound_spi,
            nonce,
            dh,
            rekey_of,
            ts: (tsi, tsr),
        };
        self.request(now, spi, ExchangeType::CREATE_CHILD_SA, &payloads, kind);
    }

    /// Initiator: the answer to our CREATE_CHILD_SA for a child.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_create_child_response(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        policy_index: usize,
        inbound_spi: u32,
        nonce: Vec<u8>,
        dh: Option<super::super::crypto::DhPrivate>,
        rekey_of: Option<u32>,
        ts: (TrafficSelector, TrafficSelector),
        payloads: Vec<Payload>,
    ) {
        let Some(nr) = payloads.nonce().map(<[u8]>::to_vec) else {
            if let Some(n) = payloads.error_notify() {
                let ip = self.sas.get(&spi).map(|s| s.remote.ip());
                self.log_error(format!(
                    "{} fatal {} notify message for policy #{policy_index}",
                    ip.map_or_else(String::new, |i| i.to_string()),
                    n.kind.name().replace('_', "-")
                ));
            }
            self.rekey_failed(spi, rekey_of);
            return;
        };
        let pfs = match dh {
            Some(d) => {
                let Some(ke) = payloads.ke() else {
                    self.rekey_failed(spi, rekey_of);
                    return;
                };
                match d.agree(&ke.data) {
                    Ok(s) => Some((d.group(), s)),
                    Err(_) => {
                        self.rekey_failed(spi, rekey_of);
                        return;
                    }
                }
            }
            None => None,
        };
        let before = self.sas.get(&spi).map_or(0, |s| s.children.len());
        self.finish_child_initiator(
            now,
            spi,
            policy_index,
            inbound_spi,
            ts.0,
            ts.1,
            Some((&nonce, &nr)),
            pfs,
            &payloads,
        );
        let added = self.sas.get(&spi).map_or(0, |s| s.children.len()) > before;
        if let Some(old) = rekey_of {
            if added {
                // The new child carries the traffic now; the old one goes (RFC 7296 1.3.3).
                if let Some(sa) = self.sas.get_mut(&spi) {
                    sa.queue.push_front(Queued::DeleteChildren(vec![old]));
                }
            } else {
                self.rekey_failed(spi, Some(old));
            }
        }
    }

    fn rekey_failed(&mut self, spi: IkeSpi, rekey_of: Option<u32>) {
        if let Some(old) = rekey_of
            && let Some(sa) = self.sas.get_mut(&spi)
            && let Some(c) = sa.children.iter_mut().find(|c| c.inbound_spi == old)
        {
            // Try again at the next soft-expiry event; hard expiry is the backstop.
            c.rekeying = false;
        }
    }

    /// Responder: CREATE_CHILD_SA request (new child, child rekey, or IKE SA rekey).
    pub(crate) fn on_create_child_request(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        message_id: u32,
        payloads: Vec<Payload>,
    ) {
        let Some(ni) = payloads.nonce().map(<[u8]>::to_vec) else {
            self.answer_error(
                spi,
                ExchangeType::CREATE_CHILD_SA,
                message_id,
                NotifyType::INVALID_SYNTAX,
                Vec::new(),
            );
            return;
        };
        let ike_rekey = payloads
            .sa()
            .is_some_and(|ps| ps.iter().any(|p| p.protocol == ProtocolId::IKE));
        if ike_rekey {
            self.answer_rekey_ike(now, spi, message_id, &payloads, ni);
            return;
        }
        let rekey_of = payloads
            .notifies(NotifyType::REKEY_SA)
            .next()
            .and_then(|n| <[u8; 4]>::try_from(n.spi.as_slice()).ok())
            .map(u32::from_be_bytes);
        let nr = random_bytes(NONCE_LEN);
        let nonces = ExchangeNonces { ni, nr: nr.clone() };
        let mut out = self.answer_child(now, spi, &payloads, Some(&nonces), rekey_of);
        if out.iter().any(|p| matches!(p, Payload::Sa(_))) {
            out.insert(1, Payload::Nonce(nr));
        }
        self.answer(spi, ExchangeType::CREATE_CHILD_SA, message_id, &out);
    }

    /// Responder side of an IKE SA rekey: a new IKE SA inherits the children.
    fn answer_rekey_ike(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        message_id: u32,
        payloads: &[Payload],
        ni: Vec<u8>,
    ) {
        let Some(sa) = self.sas.get(&spi) else {
            return;
        };
        let profile = self.cfg.peers[sa.peer].profile.clone();
        let ip = sa.remote.ip();
        let offered = payloads.sa().unwrap_or_default();
        let new_spi = super::init::fresh_spi();
        let (suite, chosen) = match proposal::choose_ike(&profile, &offered, &new_spi.0) {
            Ok(x) => x,
            Err(no) => {
                for line in no.log_lines() {
                    self.log_error(line);
                }
                self.answer_error(
                    spi,
                    ExchangeType::CREATE_CHILD_SA,
                    message_id,
                    NotifyType::NO_PROPOSAL_CHOSEN,
                    Vec::new(),
                );
                return;
            }
        };
        let their_spi = chosen_peer_spi(&offered, &chosen);
        let Some(their_spi) = their_spi else {
            self.answer_error(
                spi,
                ExchangeType::CREATE_CHILD_SA,
                message_id,
                NotifyType::INVALID_SYNTAX,
                Vec::new(),
            );
            return;
        };
        let Some(ke) = payloads.ke().filter(|k| k.group == suite.dh.id()) else {
            self.answer_error(
                spi,
                ExchangeType::CREATE_CHILD_SA,
                message_id,
                NotifyType::INVALID_KE_PAYLOAD,
                suite.dh.id().to_be_bytes().to_vec(),
            );
            return;
        };
        let (dh, shared) = match suite
            .dh
            .generate()
            .map_err(|e| e.to_string())
            .and_then(|d| {
                let s = d.agree(&ke.data).map_err(|e| e.to_string())?;
                Ok((d, s))
            }) {
            Ok(x) => x,
            Err(e) => {
                self.log_error(format!("{ip} IKE rekey DH failed: {e}"));
                self.answer_error(
                    spi,
                    ExchangeType::CREATE_CHILD_SA,
                    message_id,
                    NotifyType::INVALID_SYNTAX,
                    Vec::new(),
                );
                return;
            }
        };
        let nr = random_bytes(NONCE_LEN);
        let out = vec![
            Payload::Sa(vec![chosen]),
            Payload::Nonce(nr.clone()),
            Payload::Ke(KeyExchange {
                group: suite.dh.id(),
                data: dh.public_key().to_vec(),
            }),
        ];
        // The rekey's initiator is the new SA's initiator (RFC 7296 2.18).
        match self.rekeyed_sa(
            now,
            spi,
            suite,
            &shared,
            &ni,
            &nr,
            their_spi,
            new_spi,
            Side::Responder,
        ) {
            Ok(()) => {
                self.answer(spi, ExchangeType::CREATE_CHILD_SA, message_id, &out);
                self.log(format!("{ip} ike2 SA rekeyed (responder)"));
            }
            Err(e) => self.log_error(format!("{ip} IKE rekey failed: {e}")),
        }
    }

    /// Initiator: CREATE_CHILD_SA rekeying the IKE SA.
    pub(crate) fn start_rekey_ike(&mut self, now: Instant, spi: IkeSpi) {
        let Some(sa) = self.sas.get(&spi) else {
            return;
        };
        let Some(group) = sa.keyed.as_ref().map(|k| k.suite.dh) else {
            return;
        };
        let profile = self.cfg.peers[sa.peer].profile.clone();
        let dh = match group.generate() {
            Ok(d) => d,
            Err(e) => {
                self.log_error(format!("IKE rekey key generation failed: {e}"));
                return;
            }
        };
        let new_spi = super::init::fresh_spi();
        let nonce = random_bytes(NONCE_LEN);
        let payloads = vec![
            Payload::Sa(proposal::ike_proposals(&profile, &new_spi.0)),
            Payload::Nonce(nonce.clone()),
            Payload::Ke(KeyExchange {
                group: group.id(),
                data: dh.public_key().to_vec(),
            }),
        ];
        let kind = RequestKind::RekeyIke { new_spi, nonce, dh };
        self.request(now, spi, ExchangeType::CREATE_CHILD_SA, &payloads, kind);
    }

    /// Initiator: the answer to our IKE SA rekey.
    pub(crate) fn on_rekey_ike_response(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        new_spi: IkeSpi,
        ni: Vec<u8>,
        dh: super::super::crypto::DhPrivate,
        payloads: Vec<Payload>,
    ) {
        let Some(sa) = self.sas.get(&spi) else {
            return;
        };
        let ip = sa.remote.ip();
        let profile = self.cfg.peers[sa.peer].profile.clone();
        let chosen = payloads.sa().unwrap_or_default();
        let suite = match proposal::accept_ike(&profile, &chosen) {
            Ok(s) => s,
            Err(_) => {
                let why = payloads
                    .error_notify()
                    .map_or("no valid proposal".to_owned(), |n| {
                        n.kind.name().into_owned()
                    });
                self.log_error(format!("{ip} IKE SA rekey refused: {why}"));
                if let Some(sa) = self.sas.get_mut(&spi) {
                    sa.rekey_at = Some(now + Duration::from_secs(30));
                }
                return;
            }
        };
        let their_spi = chosen
            .first()
            .and_then(|p| <[u8; 8]>::try_from(p.spi.as_slice()).ok());
        let (Some(their_spi), Some(nr), Some(ke)) = (
            their_spi,
            payloads.nonce().map(<[u8]>::to_vec),
            payloads.ke(),
        ) else {
            self.log_error(format!("{ip} IKE SA rekey answer incomplete"));
            return;
        };
        let shared = match dh.agree(&ke.data) {
            Ok(s) => s,
            Err(e) => {
                self.log_error(format!("{ip} IKE rekey DH failed: {e}"));
                return;
            }
        };
        match self.rekeyed_sa(
            now,
            spi,
            suite,
            &shared,
            &ni,
            &nr,
            new_spi,
            IkeSpi(their_spi),
            Side::Initiator,
        ) {
            Ok(()) => {
                self.log(format!("{ip} ike2 SA rekeyed (initiator)"));
                if let Some(sa) = self.sas.get_mut(&spi) {
                    sa.queue.clear();
                    sa.queue.push_back(Queued::DeleteIke);
                }
            }
            Err(e) => self.log_error(format!("{ip} IKE rekey failed: {e}")),
        }
    }

    /// Creates the IKE SA that replaces `old` and moves its children over.
    #[allow(clippy::too_many_arguments)]
    fn rekeyed_sa(
        &mut self,
        now: Instant,
        old: IkeSpi,
        suite: proposal::IkeSuite,
        shared: &[u8],
        ni: &[u8],
        nr: &[u8],
        spi_i: IkeSpi,
        spi_r: IkeSpi,
        side: Side,
    ) -> Result<(), String> {
        let Some(sa) = self.sas.get_mut(&old) else {
            return Err("IKE SA gone".to_owned());
        };
        let Some(keyed) = sa.keyed.as_ref() else {
            return Err("IKE SA not keyed".to_owned());
        };
        let keys = IkeSaKeys::derive_rekey(
            keyed.suite.prf,
            &keyed.keys.sk_d,
            suite.prf,
            suite.encr,
            suite.integ,
            &SkeyseedInput { ni, nr, shared },
            spi_i.0,
            spi_r.0,
        )
        .map_err(|e| e.to_string())?;
        let new_keyed = keyed_from(suite, keys, ni, nr, side, &[], &[])?;
        let mut new = IkeSa::new(sa.peer, side, sa.local, sa.remote, now);
        new.spi_i = spi_i;
        new.spi_r = spi_r;
        new.nat_local = sa.nat_local;
        new.nat_remote = sa.nat_remote;
        // RFC 7383 2.3: a rekeyed IKE SA keeps the fragmentation support agreed before.
        new.fragmentation = sa.fragmentation;
        new.keyed = Some(new_keyed);
        new.children = std::mem::take(&mut sa.children);
        new.remote_id = sa.remote_id.clone();
        new.state = IkeState::Established;
        new.established_at = sa.established_at;
        new.last_received = now;
        // The old SA only waits for its Delete now.
        sa.rekey_at = None;
        let lifetime = self.cfg.peers[new.peer].profile.lifetime;
        new.rekey_at = Some(
            now + match side {
                Side::Initiator => super::auth::ike_rekey_after(lifetime),
                Side::Responder => lifetime - (lifetime / 20).min(Duration::from_secs(1800)),
            },
        );
        let key = new.our_spi();
        self.sas.insert(key, new);
        Ok(())
    }
}

/// The SPI of the peer's proposal that `chosen` answers (by proposal number).
fn chosen_peer_spi(
    offered: &[super::super::wire::Proposal],
    chosen: &super::super::wire::Proposal,
) -> Option<IkeSpi> {
    offered
        .iter()
        .find(|p| p.number == chosen.number)
        .and_then(|p| <[u8; 8]>::try_from(p.spi.as_slice()).ok())
        .map(IkeSpi)
}
