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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use super::super::endpoint::{Action, Endpoint};
    use super::super::peers::ike_config;
    use crate::config::{self, Config};

    /// The in-memory IKE tests' endpoint, with its secret replaced.
    fn side(me: &str, peer: &str, lan_me: u8, lan_peer: u8, passive: bool, secret: &str) -> String {
        let (lan_me, lan_peer) = (format!("10.201.{lan_me}"), format!("10.201.{lan_peer}"));
        super::super::tests::side(me, peer, &lan_me, &lan_peer, passive, "", "")
            .replace("test-secret", secret)
    }

    fn second(me: &str, peer: &str, lan_me: u8, lan_peer: u8) -> String {
        format!(
            r#"
[[policy]]
src-address = "10.201.{lan_me}.0/24"
dst-address = "10.201.{lan_peer}.0/24"
sa-src-address = "{me}"
sa-dst-address = "{peer}"
tunnel = true
peer = "other"
proposal = "p2"
"#
        )
    }

    /// What one end did.
    #[derive(Default, Debug)]
    struct Seen {
        installs: Vec<(usize, u32)>,
        removes: Vec<u32>,
    }

    /// Shuttles messages between the two ends for `seconds` simulated seconds.
    fn run(eps: &mut [Endpoint; 2], now: &mut Instant, seconds: u64) -> [Seen; 2] {
        let addrs: [SocketAddr; 2] = [
            "192.0.2.1:500".parse().unwrap(),
            "192.0.2.2:500".parse().unwrap(),
        ];
        let mut seen = [Seen::default(), Seen::default()];
        let end = *now + Duration::from_secs(seconds);
        while *now < end {
            for ep in eps.iter_mut() {
                ep.tick(*now);
            }
            let mut moved = true;
            while moved {
                moved = false;
                for i in 0..2 {
                    for a in eps[i].take_actions() {
                        match a {
                            Action::Send { message, .. } => {
                                moved = true;
                                eps[1 - i].handle(*now, addrs[1 - i], addrs[i], &message);
                            }
                            Action::Install(c) => {
                                seen[i].installs.push((c.policy_index, c.inbound.spi))
                            }
                            Action::Remove { inbound_spi, .. } => seen[i].removes.push(inbound_spi),
                            Action::Log(_) => {}
                        }
                    }
                }
            }
            *now += Duration::from_millis(500);
        }
        seen
    }

    fn cfg(text: &str) -> Config {
        config::parse(text).unwrap()
    }

    fn ike_spis(ep: &Endpoint) -> Vec<String> {
        ep.remote_peers(Instant::now())
            .into_iter()
            .map(|r| r.spi_i)
            .collect()
    }

    fn pair(now: Instant) -> ([Endpoint; 2], [Config; 2]) {
        let a = cfg(&side("192.0.2.1", "192.0.2.2", 1, 2, false, "s1"));
        let b = cfg(&side("192.0.2.2", "192.0.2.1", 2, 1, true, "s1"));
        let eps = [
            Endpoint::new(ike_config(&a).0, now),
            Endpoint::new(ike_config(&b).0, now),
        ];
        (eps, [a, b])
    }

    #[test]
    fn a_new_policy_is_negotiated_on_the_running_ike_sa() {
        let mut now = Instant::now();
        let (mut eps, [a, b]) = pair(now);
        let seen = run(&mut eps, &mut now, 3);
        assert_eq!(seen[0].installs.len(), 1);
        let before = ike_spis(&eps[0]);
        let a2 = cfg(&format!(
            "{}{}",
            side("192.0.2.1", "192.0.2.2", 1, 2, false, "s1"),
            second("192.0.2.1", "192.0.2.2", 1, 3)
        ));
        let b2 = cfg(&format!(
            "{}{}",
            side("192.0.2.2", "192.0.2.1", 2, 1, true, "s1"),
            second("192.0.2.2", "192.0.2.1", 3, 1)
        ));
        for (ep, (old, new)) in eps.iter_mut().zip([(&a, &a2), (&b, &b2)]).rev() {
            let plan = crate::reload::plan(old, new);
            let done = ep.reconfigure(now, ike_config(new).0, &plan.keep_peers, &plan.keep_rows);
            assert_eq!((done.kept, done.deleted, done.children_deleted), (1, 0, 0));
        }
        let seen = run(&mut eps, &mut now, 3);
        assert_eq!(ike_spis(&eps[0]), before, "the IKE SA carried on");
        assert!(
            seen[0].removes.is_empty() && seen[1].removes.is_empty(),
            "{seen:?}"
        );
        assert_eq!(
            seen[0].installs.iter().map(|i| i.0).collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(
            seen[1].installs.iter().map(|i| i.0).collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(eps[0].remote_peers(now)[0].ph2_active, 2);
    }

    #[test]
    fn a_changed_secret_renegotiates_the_peer() {
        let mut now = Instant::now();
        let (mut eps, [a, b]) = pair(now);
        run(&mut eps, &mut now, 3);
        let before = ike_spis(&eps[0]);
        let a2 = cfg(&side("192.0.2.1", "192.0.2.2", 1, 2, false, "s2"));
        let b2 = cfg(&side("192.0.2.2", "192.0.2.1", 2, 1, true, "s2"));
        for (ep, (old, new)) in eps.iter_mut().zip([(&a, &a2), (&b, &b2)]).rev() {
            let plan = crate::reload::plan(old, new);
            let done = ep.reconfigure(now, ike_config(new).0, &plan.keep_peers, &plan.keep_rows);
            assert_eq!(done.deleted, 1);
        }
        let seen = run(&mut eps, &mut now, 3);
        let after = ike_spis(&eps[0]);
        assert_eq!(after.len(), 1);
        assert_ne!(after, before, "a new IKE SA with the new secret");
        assert_eq!(eps[0].remote_peers(now)[0].state, "established");
        assert_eq!(seen[0].installs.len(), 1);
    }

    #[test]
    fn flushed_children_come_back_from_the_initiating_side() {
        let mut now = Instant::now();
        let (mut eps, _) = pair(now);
        let first = run(&mut eps, &mut now, 3);
        let old_spi = first[0].installs[0].1;
        assert_eq!(eps[0].flush_children(now), 1);
        let seen = run(&mut eps, &mut now, 3);
        assert_eq!(seen[0].removes, vec![old_spi], "ours removed");
        assert_eq!(
            seen[1].removes.len(),
            1,
            "the peer removed its pair on our Delete"
        );
        assert_eq!(seen[0].installs.len(), 1, "a fresh pair negotiated");
        assert_ne!(seen[0].installs[0].1, old_spi);
        assert_eq!(eps[1].remote_peers(now)[0].ph2_active, 1);
    }
}
