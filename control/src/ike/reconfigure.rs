//! Applying a reloaded configuration to a running endpoint without disturbing what did not
//! change: IKE SAs of unchanged peers keep running (their index in the new peer list may
//! differ), children of unchanged policies keep running, and new policies of a kept peer are
//! negotiated on its existing IKE SA. IKE SAs of changed or removed peers are deleted (the
//! peer is told) and, for non-passive peers, negotiated again from the new configuration.
//! The caller decides what counts as unchanged (`crate::reload`).

use std::time::Instant;

use super::endpoint::{Action, Endpoint};
use super::peers::IkeConfig;
use super::sa::Queued;
use super::wire::IkeSpi;

/// What a reconfiguration did, for the log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconfigured {
    /// IKE SAs kept running.
    pub kept: usize,
    /// IKE SAs deleted because their peer changed or went away.
    pub deleted: usize,
    /// Child SAs deleted because their policy changed.
    pub children_deleted: usize,
}

impl Endpoint {
    /// Swaps in `cfg`, keeping the IKE SAs of the peers named in `keep_peers` and the children
    /// bound to the policy rows in `keep_rows`.
    pub fn reconfigure(
        &mut self,
        now: Instant,
        cfg: IkeConfig,
        keep_peers: &[String],
        keep_rows: &[usize],
    ) -> Reconfigured {
        let mut done = Reconfigured::default();
        let spis: Vec<IkeSpi> = self.sas.keys().copied().collect();
        for spi in spis {
            let Some(sa) = self.sas.get(&spi) else {
                continue;
            };
            let name = &self.cfg.peers[sa.peer].name;
            let new_index = keep_peers
                .contains(name)
                .then(|| cfg.peers.iter().position(|p| &p.name == name))
                .flatten();
            let Some(new_index) = new_index else {
                if sa.is_established() {
                    self.send_delete_ike_now(spi);
                }
                self.kill(now, spi, false);
                done.deleted += 1;
                continue;
            };
            let Some(sa) = self.sas.get_mut(&spi) else {
                continue;
            };
            sa.peer = new_index;
            let (kept, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut sa.children)
                .into_iter()
                .partition(|c| keep_rows.contains(&c.policy_index));
            sa.children = kept;
            sa.queue.retain(|q| match q {
                Queued::CreateChild { policy_index, .. } => keep_rows.contains(policy_index),
                _ => true,
            });
            if !gone.is_empty() {
                sa.queue.push_back(Queued::DeleteChildren(
                    gone.iter().map(|c| c.inbound_spi).collect(),
                ));
            }
            done.children_deleted += gone.len();
            done.kept += 1;
            for c in gone {
                self.actions.push(Action::Remove {
                    policy_index: c.policy_index,
                    inbound_spi: c.inbound_spi,
                    outbound_spi: c.outbound_spi,
                });
            }
        }
        self.cfg = cfg;
        self.next_attempt = self
            .cfg
            .peers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let wanted = !p.passive && !p.policies.is_empty();
                let running = self.sas.values().any(|sa| sa.peer == i);
                (wanted && !running).then_some(now)
            })
            .collect();
        // New policies of a kept peer: negotiate them on the IKE SA that is already up.
        let spis: Vec<IkeSpi> = self.sas.keys().copied().collect();
        for spi in spis {
            let Some(sa) = self.sas.get_mut(&spi) else {
                continue;
            };
            if !sa.is_established() {
                continue;
            }
            let peer = &self.cfg.peers[sa.peer];
            if peer.passive {
                continue;
            }
            for &policy_index in &peer.policies {
                if sa.child_for(policy_index).is_none() && !sa.child_pending(policy_index) {
                    sa.queue.push_back(Queued::CreateChild {
                        policy_index,
                        rekey_of: None,
                    });
                }
            }
            self.kick(now, spi);
        }
        done
    }

    /// `installed-sa flush`: forgets every child SA (telling the peers), so that the next
    /// packet, or the non-passive side at once, negotiates fresh ones. Returns how many
    /// children were dropped; the runtime removes them from the dataplane through the
    /// `Remove` actions.
    pub fn flush_children(&mut self, now: Instant) -> usize {
        let mut dropped = 0;
        let spis: Vec<IkeSpi> = self.sas.keys().copied().collect();
        for spi in spis {
            let Some(sa) = self.sas.get_mut(&spi) else {
                continue;
            };
            let gone = std::mem::take(&mut sa.children);
            if gone.is_empty() {
                continue;
            }
            dropped += gone.len();
            sa.queue.push_back(Queued::DeleteChildren(
                gone.iter().map(|c| c.inbound_spi).collect(),
            ));
            let renegotiate = !self.cfg.peers[sa.peer].passive && sa.is_established();
            if renegotiate {
                // A child being rekeyed has two pairs for one policy: one request each policy.
                let mut policies: Vec<usize> = gone.iter().map(|c| c.policy_index).collect();
                policies.sort_unstable();
                policies.dedup();
                for policy_index in policies {
                    sa.queue.push_back(Queued::CreateChild {
                        policy_index,
                        rekey_of: None,
                    });
                }
            }
            for c in gone {
                self.actions.push(Action::Remove {
                    policy_index: c.policy_index,
                    inbound_spi: c.inbound_spi,
                    outbound_spi: c.outbound_spi,
                });
            }
            self.kick(now, spi);
        }
        dropped
    }
}
