//! IKE_AUTH (RFC 7296 1.2, 2.15): identities, AUTH (pre-shared key, or a signature with a
//! certificate or raw key, see `pki::ike_auth`), and the first child SA.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::super::crypto::{psk_auth, signed_octets, verify_psk_auth};
use super::super::endpoint::Endpoint;
use super::super::pki::ike_auth::{self, AuthFailure};
use super::super::proposal;
use super::super::sa::{IkeState, Queued, RequestKind, Side};
use super::super::ts;
use super::super::wire::{
    AuthMethod, Authentication, ExchangeType, IdType, Identification, IkeSpi, Notify, NotifyType,
    Payload, Payloads,
};
use crate::config::MyId;

/// How long before the profile lifetime an IKE SA is rekeyed (a tenth, at most an hour).
pub(crate) fn ike_rekey_after(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 10).min(Duration::from_secs(3600))
}

/// Our identity for a peer (`my-id`; `auto` and `address` are the local IP for PSK).
pub(crate) fn our_id(my_id: &MyId, local: IpAddr) -> Identification {
    let address = |a: IpAddr| match a {
        IpAddr::V4(v4) => Identification {
            id_type: IdType::IPV4_ADDR,
            data: v4.octets().to_vec(),
        },
        IpAddr::V6(v6) => Identification {
            id_type: IdType::IPV6_ADDR,
            data: v6.octets().to_vec(),
        },
    };
    match my_id {
        MyId::Auto | MyId::Address(None) => address(local),
        MyId::Address(Some(a)) => address(*a),
        MyId::Fqdn(s) => Identification {
            id_type: IdType::FQDN,
            data: s.as_bytes().to_vec(),
        },
        MyId::UserFqdn(s) => Identification {
            id_type: IdType::RFC822_ADDR,
            data: s.as_bytes().to_vec(),
        },
        MyId::KeyId(s) => Identification {
            id_type: IdType::KEY_ID,
            data: s.as_bytes().to_vec(),
        },
    }
}

impl Endpoint {
    /// Initiator: IKE_AUTH request with our identity, AUTH and the first child SA.
    pub(crate) fn send_auth(&mut self, now: Instant, spi: IkeSpi) {
        let Some(sa) = self.sas.get(&spi) else {
            return;
        };
        let peer = self.peer(sa.peer).clone();
        if sa.keyed.is_none() {
            return;
        }
        let (id, certs, auth) = match self.our_auth(spi) {
            Ok(x) => x,
            Err(e) => {
                let ip = sa.remote.ip();
                self.log_error(format!(
                    "{ip} cannot sign IKE_AUTH for peer {}: {e}",
                    peer.name
                ));
                self.kill(now, spi, false);
                return;
            }
        };
        let mut payloads = vec![Payload::IdI(id)];
        payloads.extend(certs);
        // A CERTREQ for our CAs, so the responder sends its certificate (RFC 7296 3.7).
        payloads.extend(ike_auth::certreq(&peer.credentials));
        if peer.send_initial_contact {
            payloads.push(Payload::Notify(Notify::status(
                NotifyType::INITIAL_CONTACT,
                Vec::new(),
            )));
        }
        payloads.push(Payload::Auth(auth));
        // The first policy of this peer without an SA rides in IKE_AUTH; the others
        // follow in CREATE_CHILD_SA exchanges.
        let first = peer
            .policies
            .iter()
            .copied()
            .find(|i| !sa.children.iter().any(|c| c.policy_index == *i));
        let mut kind = RequestKind::Auth {
            policy_index: None,
            inbound_spi: 0,
            ts: None,
        };
        if let Some(index) = first
            && let Some(pol) = self.cfg.policy(index).cloned()
        {
            let spi_in = self.new_child_spi();
            let tsi = ts::of_policy(&pol.policy, true);
            let tsr = ts::of_policy(&pol.policy, false);
            if !pol.policy.tunnel {
                payloads.push(Payload::Notify(Notify::status(
                    NotifyType::USE_TRANSPORT_MODE,
                    Vec::new(),
                )));
            }
            payloads.push(Payload::Sa(proposal::esp_proposals(
                &pol.proposal,
                spi_in,
                None,
            )));
            payloads.push(Payload::TsI(vec![tsi.clone()]));
            payloads.push(Payload::TsR(vec![tsr.clone()]));
            kind = RequestKind::Auth {
                policy_index: Some(index),
                inbound_spi: spi_in,
                ts: Some((tsi, tsr)),
            };
        }
        if let Some(sa) = self.sas.get_mut(&spi) {
            sa.state = IkeState::AuthSent;
        }
        self.request(now, spi, ExchangeType::IKE_AUTH, &payloads, kind);
    }

    /// SIGNATURE_HASH_ALGORITHMS and CERTREQ for IKE_SA_INIT (signature peers only).
    pub(crate) fn init_signature_payloads(
        &self,
        peer: usize,
        responder: bool,
        peer_announced: bool,
    ) -> Vec<Payload> {
        ike_auth::init_payloads(self.peer(peer), responder, peer_announced)
    }

    /// Our identity, CERT payloads and AUTH for this SA's IKE_AUTH message (RFC 7296 2.15:
    /// we sign our own IKE_SA_INIT message, the peer's nonce and our identity).
    fn our_auth(
        &self,
        spi: IkeSpi,
    ) -> Result<(Identification, Vec<Payload>, Authentication), String> {
        let sa = self.sas.get(&spi).ok_or("no SA")?;
        let keyed = sa.keyed.as_ref().ok_or("SA not keyed")?;
        let peer = self.peer(sa.peer);
        let id = ike_auth::our_identity(peer, sa.local.ip());
        let (message, nonce, sk_p, peer_init) = match sa.side {
            Side::Initiator => (
                &keyed.init_request,
                &keyed.nr,
                &keyed.keys.sk_pi,
                &keyed.init_response,
            ),
            Side::Responder => (
                &keyed.init_response,
                &keyed.ni,
                &keyed.keys.sk_pr,
                &keyed.init_request,
            ),
        };
        let octets = signed_octets(message, nonce, keyed.suite.prf, sk_p, &id.body_bytes());
        if !ike_auth::uses_signatures(peer) {
            let auth = psk_auth(keyed.suite.prf, peer.secret.expose(), &octets);
            let auth = Authentication {
                method: AuthMethod::SHARED_KEY_MIC,
                data: auth.to_vec(),
            };
            return Ok((id, Vec::new(), auth));
        }
        let hashes = ike_auth::announced_hashes(peer_init);
        let auth = ike_auth::sign(&peer.credentials, hashes.as_deref(), &octets)?;
        Ok((id, ike_auth::our_certificates(&peer.credentials), auth))
    }

    /// Checks the peer's AUTH: its pre-shared key, or its certificate (or raw key), identity
    /// and signature. Returns the identity to show.
    fn check_peer_auth(
        &self,
        spi: IkeSpi,
        id: &Identification,
        auth: &Authentication,
        payloads: &[Payload],
    ) -> Result<String, AuthFailure> {
        let Some(sa) = self.sas.get(&spi) else {
            return Err(AuthFailure::Psk);
        };
        let Some(keyed) = sa.keyed.as_ref() else {
            return Err(AuthFailure::Psk);
        };
        let peer = self.peer(sa.peer);
        // The peer signs its own IKE_SA_INIT message, our nonce and its identity.
        let (message, nonce, sk_p) = match sa.side {
            Side::Initiator => (&keyed.init_response, &keyed.ni, &keyed.keys.sk_pr),
            Side::Responder => (&keyed.init_request, &keyed.nr, &keyed.keys.sk_pi),
        };
        let octets = signed_octets(message, nonce, keyed.suite.prf, sk_p, &id.body_bytes());
        if ike_auth::uses_signatures(peer) {
            let now = (self.wall_clock)();
            return ike_auth::check_peer(peer, id, payloads, auth, &octets, now, sa.remote.ip())
                .map(|v| v.id);
        }
        if auth.method != AuthMethod::SHARED_KEY_MIC {
            return Err(AuthFailure::MethodMismatch {
                got: auth.method.0,
                want: peer.auth_method,
            });
        }
        if verify_psk_auth(keyed.suite.prf, peer.secret.expose(), &octets, &auth.data) {
            Ok(ike_auth::show_id(id))
        } else {
            Err(AuthFailure::Psk)
        }
    }

    fn mark_established(&mut self, now: Instant, spi: IkeSpi, remote_id: String) {
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        sa.state = IkeState::Established;
        sa.established_at = Some(now);
        sa.remote_id = remote_id;
        let lifetime = self.cfg.peers[sa.peer].profile.lifetime;
        // Only the original initiator rekeys on schedule; the responder's lifetime is the
        // backstop (a little later), which keeps both ends from rekeying at once.
        let after = match sa.side {
            Side::Initiator => ike_rekey_after(lifetime),
            Side::Responder => lifetime - (lifetime / 20).min(Duration::from_secs(1800)),
        };
        sa.rekey_at = Some(now + after);
        let (ip, side, natt) = (sa.remote.ip(), sa.side.name(), sa.natt());
        let peer = self.cfg.peers[sa.peer].name.clone();
        let id = sa.remote_id.clone();
        self.log(format!(
            "{ip} ike2 SA established as {side} with peer {peer} (id {id}){}",
            if natt { ", NAT-T" } else { "" }
        ));
    }

    /// Initiator: the answer to IKE_AUTH.
    pub(crate) fn on_auth_response(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        kind: RequestKind,
        payloads: Vec<Payload>,
    ) {
        let ip = match self.sas.get(&spi) {
            Some(sa) => sa.remote.ip(),
            None => return,
        };
        if payloads.has_notify(NotifyType::AUTHENTICATION_FAILED) {
            let check = match self
                .sas
                .get(&spi)
                .map(|sa| ike_auth::uses_signatures(self.peer(sa.peer)))
            {
                Some(true) => "check certificate, its CA on the peer and my-id",
                _ => "check secret and my-id",
            };
            self.log_error(format!(
                "{ip} peer refused our authentication (AUTHENTICATION_FAILED): {check}"
            ));
            self.kill(now, spi, true);
            return;
        }
        let (Some(id), Some(auth)) = (payloads.id_r().cloned(), payloads.auth().cloned()) else {
            let reason = payloads
                .error_notify()
                .map_or("no IDr or AUTH".to_owned(), |n| n.kind.name().into_owned());
            self.log_error(format!("{ip} IKE_AUTH failed: {reason}"));
            self.kill(now, spi, true);
            return;
        };
        let shown = match self.check_peer_auth(spi, &id, &auth, &payloads) {
            Ok(shown) => shown,
            Err(why) => {
                let name = self
                    .sas
                    .get(&spi)
                    .map(|sa| self.peer(sa.peer).name.clone())
                    .unwrap_or_default();
                self.log_error(format!(
                    "{ip} peer {name} ({}) failed to authenticate: {why}",
                    ike_auth::show_id(&id)
                ));
                // The responder already counts the SA as up: tell it to take it down
                // (RFC 7296 2.21.2).
                self.send_delete_ike_now(spi);
                self.kill(now, spi, true);
                return;
            }
        };
        self.mark_established(now, spi, shown);
        let RequestKind::Auth {
            policy_index: Some(index),
            inbound_spi,
            ts: Some((tsi, tsr)),
        } = kind
        else {
            self.queue_missing_children(spi);
            return;
        };
        self.finish_child_initiator(
            now,
            spi,
            index,
            inbound_spi,
            tsi,
            tsr,
            None,
            None,
            &payloads,
        );
        self.queue_missing_children(spi);
    }

    /// Queues CREATE_CHILD_SA for every policy of the SA's peer that has no child yet.
    pub(crate) fn queue_missing_children(&mut self, spi: IkeSpi) {
        let Some(sa) = self.sas.get(&spi) else {
            return;
        };
        let missing: Vec<usize> = self.cfg.peers[sa.peer]
            .policies
            .iter()
            .copied()
            .filter(|i| sa.child_for(*i).is_none() && !sa.child_pending(*i))
            .collect();
        if let Some(sa) = self.sas.get_mut(&spi) {
            for policy_index in missing {
                sa.queue.push_back(Queued::CreateChild {
                    policy_index,
                    rekey_of: None,
                });
            }
        }
    }

    /// Responder: IKE_AUTH request.
    pub(crate) fn on_auth_request(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        message_id: u32,
        _bytes: &[u8],
        payloads: Vec<Payload>,
    ) {
        let Some(sa) = self.sas.get(&spi) else {
            return;
        };
        if !matches!(sa.state, IkeState::InitAnswered) {
            return;
        }
        let ip = sa.remote.ip();
        let peer = self.peer(sa.peer).clone();
        let (Some(id), Some(auth)) = (payloads.id_i().cloned(), payloads.auth().cloned()) else {
            self.answer(
                spi,
                ExchangeType::IKE_AUTH,
                message_id,
                &[Payload::Notify(Notify::error(NotifyType::INVALID_SYNTAX))],
            );
            self.kill(now, spi, false);
            return;
        };
        let shown = match self.check_peer_auth(spi, &id, &auth, &payloads) {
            Ok(shown) => shown,
            Err(why) => {
                self.log_error(format!(
                    "{ip} peer {} ({}) failed to authenticate: {why}",
                    peer.name,
                    ike_auth::show_id(&id)
                ));
                self.answer(
                    spi,
                    ExchangeType::IKE_AUTH,
                    message_id,
                    &[Payload::Notify(Notify::error(
                        NotifyType::AUTHENTICATION_FAILED,
                    ))],
                );
                self.kill(now, spi, false);
                return;
            }
        };
        if payloads
            .notifies(NotifyType::INITIAL_CONTACT)
            .next()
            .is_some()
        {
            // The peer restarted: every older IKE SA with it is stale (RFC 7296 2.4).
            let stale: Vec<IkeSpi> = self
                .sas
                .iter()
                .filter(|(s, x)| **s != spi && x.peer == sa_peer(self, spi) && x.remote.ip() == ip)
                .map(|(s, _)| *s)
                .collect();
            for s in stale {
                self.kill(now, s, false);
            }
        }
        let (our, certs, our_auth) = match self.our_auth(spi) {
            Ok(x) => x,
            Err(e) => {
                self.log_error(format!(
                    "{ip} cannot sign IKE_AUTH for peer {}: {e}",
                    peer.name
                ));
                self.answer(
                    spi,
                    ExchangeType::IKE_AUTH,
                    message_id,
                    &[Payload::Notify(Notify::error(
                        NotifyType::AUTHENTICATION_FAILED,
                    ))],
                );
                self.kill(now, spi, false);
                return;
            }
        };
        let mut out = vec![Payload::IdR(our)];
        out.extend(certs);
        out.push(Payload::Auth(our_auth));
        self.mark_established(now, spi, shown);
        if payloads.sa().is_some() {
            out.extend(self.answer_child(now, spi, &payloads, None, None));
        }
        self.answer(spi, ExchangeType::IKE_AUTH, message_id, &out);
    }
}

fn sa_peer(e: &Endpoint, spi: IkeSpi) -> usize {
    e.sas.get(&spi).map_or(usize::MAX, |s| s.peer)
}
