//! INFORMATIONAL (RFC 7296 1.4, 1.5, 2.4): deletes, liveness checks (DPD) and their
//! answers, and the dispatch of every answer to our requests.

use std::time::Instant;

use super::super::endpoint::{Action, Endpoint};
use super::super::sa::{Queued, RequestKind};
use super::super::wire::{Delete, ExchangeType, IkeSpi, Payload, Payloads, ProtocolId};

impl Endpoint {
    /// Routes the answer to one of our requests to the exchange that sent it.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        _exchange: ExchangeType,
        kind: RequestKind,
        payloads: Vec<Payload>,
    ) {
        match kind {
            RequestKind::Auth { .. } => self.on_auth_response(now, spi, kind, payloads),
            RequestKind::CreateChild {
                policy_index,
                inbound_spi,
                nonce,
                dh,
                rekey_of,
                ts,
            } => self.on_create_child_response(
                now,
                spi,
                policy_index,
                inbound_spi,
                nonce,
                dh,
                rekey_of,
                ts,
                payloads,
            ),
            RequestKind::RekeyIke { new_spi, nonce, dh } => {
                self.on_rekey_ike_response(now, spi, new_spi, nonce, dh, payloads)
            }
            RequestKind::DeleteChildren(spis) => self.remove_children(spi, &spis),
            RequestKind::DeleteIke => {
                if let Some(sa) = self.sas.get(&spi) {
                    let ip = sa.remote.ip();
                    self.log(format!("{ip} ike2 SA deleted"));
                }
                self.kill(now, spi, false);
            }
            RequestKind::Dpd => {}
        }
    }

    /// Removes our children with these inbound SPIs from the SA and the dataplane.
    fn remove_children(&mut self, spi: IkeSpi, inbound: &[u32]) {
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        let (gone, kept) = std::mem::take(&mut sa.children)
            .into_iter()
            .partition(|c| inbound.contains(&c.inbound_spi));
        sa.children = kept;
        let gone: Vec<_> = gone;
        for c in gone {
            self.actions.push(Action::Remove {
                policy_index: c.policy_index,
                inbound_spi: c.inbound_spi,
                outbound_spi: c.outbound_spi,
            });
        }
    }

    pub(crate) fn start_delete_children(&mut self, now: Instant, spi: IkeSpi, spis: Vec<u32>) {
        let payloads = [Payload::Delete(Delete::esp(&spis))];
        self.request(
            now,
            spi,
            ExchangeType::INFORMATIONAL,
            &payloads,
            RequestKind::DeleteChildren(spis),
        );
    }

    pub(crate) fn start_delete_ike(&mut self, now: Instant, spi: IkeSpi) {
        let payloads = [Payload::Delete(Delete::ike())];
        self.request(
            now,
            spi,
            ExchangeType::INFORMATIONAL,
            &payloads,
            RequestKind::DeleteIke,
        );
    }

    /// A Delete for the IKE SA sent once, without waiting (shutdown, kill-connections).
    pub(crate) fn send_delete_ike_now(&mut self, spi: IkeSpi) {
        let max_datagram = self.fragment_datagram_len;
        let Some(sa) = self.sas.get_mut(&spi) else {
            return;
        };
        let id = sa.next_request_id;
        let payloads = [Payload::Delete(Delete::ike())];
        if let Ok(m) = sa.protect(
            ExchangeType::INFORMATIONAL,
            false,
            id,
            &payloads,
            max_datagram,
        ) {
            sa.next_request_id = id.wrapping_add(1);
            let (l, r) = (sa.local, sa.remote);
            self.send_all(l, r, m);
        }
    }

    pub(crate) fn start_dpd(&mut self, now: Instant, spi: IkeSpi) {
        self.request(now, spi, ExchangeType::INFORMATIONAL, &[], RequestKind::Dpd);
    }

    /// The peer's INFORMATIONAL request: deletes, or an empty liveness check.
    pub(crate) fn on_informational_request(
        &mut self,
        now: Instant,
        spi: IkeSpi,
        message_id: u32,
        payloads: Vec<Payload>,
    ) {
        let mut ike_deleted = false;
        let mut our_deleted = Vec::new();
        for d in payloads.deletes() {
            if d.protocol == ProtocolId::IKE {
                ike_deleted = true;
                continue;
            }
            let Some(sa) = self.sas.get(&spi) else {
                return;
            };
            // The peer names its inbound SPIs, which are our outbound ones.
            for their in d.spis_u32() {
                if let Some(c) = sa.children.iter().find(|c| c.outbound_spi == their) {
                    our_deleted.push(c.inbound_spi);
                }
            }
        }
        if ike_deleted {
            self.answer(spi, ExchangeType::INFORMATIONAL, message_id, &[]);
            if let Some(sa) = self.sas.get(&spi) {
                let ip = sa.remote.ip();
                let moved = sa.children.is_empty();
                self.log(format!(
                    "{ip} ike2 SA deleted by peer{}",
                    if moved { "" } else { ", its child SAs removed" }
                ));
            }
            self.kill(now, spi, true);
            return;
        }
        let mut out = Vec::new();
        if !our_deleted.is_empty() {
            out.push(Payload::Delete(Delete::esp(&our_deleted)));
            if let Some(sa) = self.sas.get(&spi) {
                let ip = sa.remote.ip();
                self.log(format!(
                    "{ip} child SA deleted by peer ({} SA pair(s))",
                    our_deleted.len()
                ));
            }
            self.remove_children(spi, &our_deleted);
            // Our own rekey of those children, if queued, has nothing left to do.
            if let Some(sa) = self.sas.get_mut(&spi) {
                sa.queue.retain(|q| !matches!(q, Queued::CreateChild { rekey_of: Some(old), .. } if our_deleted.contains(old)));
            }
        }
        self.answer(spi, ExchangeType::INFORMATIONAL, message_id, &out);
    }
}
