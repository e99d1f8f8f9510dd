//! What a configuration reload may keep running: the diff between the running and the new
//! configuration, in the terms the runtime acts on.
//!
//! SAs are bound to policy rows, so a policy row keeps its SAs when it is at the same row in
//! both files and nothing that keys it changed: the policy itself, its `[[manual-sa]]` for a
//! manually keyed policy, or for a negotiated one its proposal and its peer. A peer keeps its
//! IKE SAs when its `[[peer]]` entry and its profile are unchanged. Everything else is
//! removed and installed or negotiated again. Adding a policy at the end therefore leaves
//! every running tunnel alone.

use crate::config::Config;
use crate::ike::peers::{IkeConfig, ike_config};

/// The outcome of comparing two configurations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReloadPlan {
    /// Policy rows whose SAs carry on.
    pub keep_rows: Vec<usize>,
    /// IKEv2 peers (by name) whose IKE SAs carry on.
    pub keep_peers: Vec<String>,
    /// Whether the policy table must be swapped.
    pub policies_changed: bool,
    /// Whether anything IKE uses changed.
    pub ike_changed: bool,
    /// Changes that take effect only at the next start.
    pub restart_needed: Vec<&'static str>,
}

fn peer_of(ike: &IkeConfig, row: usize) -> Option<&str> {
    ike.peers
        .iter()
        .find(|p| p.policies.contains(&row))
        .map(|p| p.name.as_str())
}

/// Compares the running configuration `old` with the reloaded `new`.
pub fn plan(old: &Config, new: &Config) -> ReloadPlan {
    let (old_ike, _) = ike_config(old);
    let (new_ike, _) = ike_config(new);
    let mut out = ReloadPlan::default();

    for p in &new_ike.peers {
        let before = old.peer.iter().find(|x| x.name == p.name);
        let after = new.peer.iter().find(|x| x.name == p.name);
        let profile =
            |cfg: &Config, name: &str| cfg.profile.iter().find(|x| x.name == name).cloned();
        let unchanged = match (before, after) {
            (Some(b), Some(a)) => {
                b == a
                    && profile(old, &b.profile) == profile(new, &a.profile)
                    && old_ike.peers.iter().any(|x| x.name == p.name)
            }
            _ => false,
        };
        if unchanged {
            out.keep_peers.push(p.name.clone());
        }
    }

    let rows = old.policy.len().min(new.policy.len());
    for row in 0..rows {
        let (a, b) = (&old.policy[row], &new.policy[row]);
        if a != b {
            continue;
        }
        let manual = |cfg: &Config| {
            cfg.policy[row]
                .manual_sa
                .as_ref()
                .and_then(|n| cfg.manual_sa.iter().find(|m| &m.name == n).cloned())
        };
        if manual(old) != manual(new) {
            continue;
        }
        let negotiated = (old_ike.policy(row), new_ike.policy(row));
        let keep = match negotiated {
            (None, None) => true,
            (Some(x), Some(y)) => {
                x.proposal == y.proposal
                    && peer_of(&old_ike, row) == peer_of(&new_ike, row)
                    && peer_of(&new_ike, row)
                        .is_some_and(|name| out.keep_peers.iter().any(|k| k == name))
            }
            _ => false,
        };
        if keep {
            out.keep_rows.push(row);
        }
    }

    out.policies_changed = old.policies() != new.policies();
    let peers_differ =
        old_ike.peers.len() != new_ike.peers.len() || new_ike.peers.len() != out.keep_peers.len();
    let policies_differ = old_ike.policies.len() != new_ike.policies.len()
        || new_ike
            .policies
            .iter()
            .any(|p| !out.keep_rows.contains(&p.index));
    out.ike_changed = peers_differ || policies_differ;

    // log-level and log-topics apply at once; the rest of [daemon] is set up at start.
    let (d, e) = (&old.daemon, &new.daemon);
    if d.workers != e.workers {
        out.restart_needed.push("[daemon] workers");
    }
    if d.control_socket != e.control_socket {
        out.restart_needed.push("[daemon] control-socket");
    }
    if d.metrics_listen != e.metrics_listen {
        out.restart_needed.push("[daemon] metrics-listen");
    }
    let (i, j) = (&old.interface, &new.interface);
    if i.name != j.name {
        out.restart_needed.push("[interface] name");
    }
    if i.address != j.address {
        out.restart_needed.push("[interface] address");
    }
    if i.mtu != j.mtu {
        out.restart_needed.push("[interface] mtu");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    const BASE: &str = r#"
[[profile]]
name = "site"
dh-group = ["ecp256"]
hash-algorithm = "sha256"

[[proposal]]
name = "site"
enc-algorithms = ["aes-128-gcm"]
auth-algorithms = ["sha256"]

[[peer]]
name = "b"
address = "192.0.2.2/32"
exchange-mode = "ike2"
secret = "one"
profile = "site"

[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.2.0/24"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
tunnel = "yes"
peer = "b"
proposal = "site"
"#;

    const SECOND: &str = r#"
[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.3.0/24"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
tunnel = "yes"
peer = "b"
proposal = "site"
"#;

    fn cfg(text: &str) -> Config {
        parse(text).unwrap()
    }

    #[test]
    fn appending_a_tunnel_keeps_the_first_and_its_peer() {
        let old = cfg(BASE);
        let new = cfg(&format!("{BASE}{SECOND}"));
        let p = plan(&old, &new);
        assert_eq!(p.keep_rows, vec![0]);
        assert_eq!(p.keep_peers, vec!["b".to_owned()]);
        assert!(p.policies_changed && p.ike_changed);
        assert!(p.restart_needed.is_empty());
    }

    #[test]
    fn a_changed_secret_renegotiates_the_peer_and_its_policies() {
        let old = cfg(BASE);
        let new = cfg(&BASE.replace("secret = \"one\"", "secret = \"two\""));
        let p = plan(&old, &new);
        assert!(p.keep_peers.is_empty());
        assert!(p.keep_rows.is_empty());
        assert!(p.ike_changed && !p.policies_changed);
    }

    #[test]
    fn a_changed_proposal_renegotiates_only_its_policy() {
        let old = cfg(BASE);
        let new = cfg(&BASE.replace(
            "enc-algorithms = [\"aes-128-gcm\"]",
            "enc-algorithms = [\"aes-256-gcm\"]",
        ));
        let p = plan(&old, &new);
        assert_eq!(p.keep_peers, vec!["b".to_owned()]);
        assert!(p.keep_rows.is_empty());
        assert!(p.ike_changed);
    }

    #[test]
    fn log_settings_apply_without_a_restart() {
        let old = cfg(BASE);
        let new = cfg(&format!(
            "[daemon]\nlog-level = \"debug\"\nworkers = 3\n{BASE}"
        ));
        let p = plan(&old, &new);
        assert_eq!(p.restart_needed, vec!["[daemon] workers"]);
        assert_eq!(p.keep_rows, vec![0]);
    }

    #[test]
    fn an_unchanged_file_changes_nothing() {
        let p = plan(&cfg(BASE), &cfg(BASE));
        assert_eq!(p.keep_rows, vec![0]);
        assert!(!p.ike_changed && !p.policies_changed);
    }
}
