//! The IKEv2 peers of a configuration, resolved: each enabled `exchange-mode = "ike2"` peer
//! with its profile, its credentials (pre-shared key, or certificates and keys loaded from
//! their files) and the policies whose SAs it negotiates.

use std::net::IpAddr;

use ipnet::IpNet;
use tunsec_dataplane::spd::{Policy, PolicyAction};

use super::pki::Credentials;
use crate::config::{AuthMethod, Config, MyId, Profile, Proposal};

/// One IKEv2 peer as the state machines use it.
#[derive(Debug, Clone)]
pub struct IkePeer {
    pub name: String,
    /// Remote addresses this peer accepts IKE from, and (as a host prefix) initiates to.
    pub address: IpNet,
    pub local_address: Option<IpAddr>,
    pub port: u16,
    pub passive: bool,
    pub auth_method: AuthMethod,
    pub secret: crate::config::Secret,
    /// Certificates, keys and identity checks (`auth_method` says which are used).
    pub credentials: Credentials,
    pub my_id: MyId,
    pub profile: Profile,
    pub send_initial_contact: bool,
    /// Indexes (in [`Config::policies`]) of the policies negotiated with this peer.
    pub policies: Vec<usize>,
}

impl IkePeer {
    /// The address to initiate to: the peer's `address` when it names one host.
    pub fn initiate_to(&self) -> Option<IpAddr> {
        (self.address.prefix_len() == self.address.max_prefix_len()).then(|| self.address.addr())
    }
}

/// A policy negotiated by IKE, with its proposal.
#[derive(Debug, Clone)]
pub struct IkePolicy {
    pub index: usize,
    pub policy: Policy,
    pub proposal: Proposal,
}

/// Everything IKE needs from a configuration.
#[derive(Debug, Clone)]
pub struct IkeConfig {
    pub peers: Vec<IkePeer>,
    pub policies: Vec<IkePolicy>,
    /// `[daemon] ike-fragment-size`.
    pub fragment_size: u16,
    /// `[daemon] ike-cookie-threshold`.
    pub cookie_threshold: u32,
}

impl Default for IkeConfig {
    fn default() -> Self {
        IkeConfig {
            peers: Vec::new(),
            policies: Vec::new(),
            fragment_size: crate::config::DEFAULT_IKE_FRAGMENT_SIZE,
            cookie_threshold: crate::config::DEFAULT_IKE_COOKIE_THRESHOLD,
        }
    }
}

/// Why a peer is left out (logged at start-up).
pub fn ike_config(cfg: &Config) -> (IkeConfig, Vec<String>) {
    let mut warnings = Vec::new();
    let mut out = IkeConfig {
        fragment_size: cfg.daemon.ike_fragment_size,
        cookie_threshold: cfg.daemon.ike_cookie_threshold,
        ..IkeConfig::default()
    };
    let policies = cfg.policies();
    for p in cfg.peer.iter().filter(|p| !p.disabled) {
        if !p.exchange_mode.is_ikev2() {
            warnings.push(format!(
                "peer {:?}: exchange-mode {} (IKEv1) is not supported; only ike2 peers are negotiated",
                p.name, p.exchange_mode
            ));
            continue;
        }
        let credentials = match p.auth_method {
            AuthMethod::PreSharedKey => Credentials::psk(p),
            AuthMethod::RsaSignature | AuthMethod::RsaKey => match Credentials::load(cfg, p) {
                Ok(c) => c,
                Err(e) => {
                    warnings.push(format!("peer {:?} left out: {e}", p.name));
                    continue;
                }
            },
            other => {
                warnings.push(format!(
                    "peer {:?}: auth-method {other} is not supported yet; accepted: pre-shared-key, rsa-signature, rsa-key",
                    p.name
                ));
                continue;
            }
        };
        let Some(profile) = cfg.profile.iter().find(|x| x.name == p.profile) else {
            continue;
        };
        out.peers.push(IkePeer {
            name: p.name.clone(),
            address: p.address,
            local_address: p.local_address,
            port: p.port,
            passive: p.passive,
            auth_method: p.auth_method,
            secret: p.secret.clone(),
            credentials,
            my_id: p.my_id.clone(),
            profile: profile.clone(),
            send_initial_contact: p.send_initial_contact,
            policies: Vec::new(),
        });
    }
    for (index, policy) in policies.iter().enumerate() {
        let negotiated = policy.action == PolicyAction::Encrypt
            && policy.manual_sa.is_none()
            && !policy.disabled
            && !policy.template;
        if !negotiated {
            continue;
        }
        let peer = if policy.peer.is_empty() {
            // The most specific peer address containing the SA's remote end.
            out.peers
                .iter()
                .enumerate()
                .filter(|(_, p)| p.address.contains(&policy.sa_dst_address))
                .max_by_key(|(_, p)| p.address.prefix_len())
                .map(|(i, _)| i)
        } else {
            out.peers.iter().position(|p| p.name == policy.peer)
        };
        let Some(peer) = peer else {
            continue;
        };
        let Some(proposal) = cfg.proposal.iter().find(|x| x.name == policy.proposal) else {
            continue;
        };
        out.peers[peer].policies.push(index);
        out.policies.push(IkePolicy {
            index,
            policy: policy.clone(),
            proposal: proposal.clone(),
        });
    }
    (out, warnings)
}

impl IkeConfig {
    pub fn policy(&self, index: usize) -> Option<&IkePolicy> {
        self.policies.iter().find(|p| p.index == index)
    }

    /// The peer for a request from `remote` to our `local` address: the most specific
    /// `address` containing `remote`, among the peers whose `local-address` is unset or is
    /// `local` (the manual: a peer with a local-address only answers on that address).
    pub fn peer_for(&self, remote: IpAddr, local: IpAddr) -> Option<usize> {
        self.peers
            .iter()
            .enumerate()
            .filter(|(_, p)| p.address.contains(&remote))
            .filter(|(_, p)| p.local_address.is_none_or(|l| l == local))
            .max_by_key(|(_, p)| p.address.prefix_len())
            .map(|(i, _)| i)
    }

    /// Whether IKE has anything to do.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }
}

/// The credential files of every enabled ike2 peer that authenticates with certificates or
/// keys, loaded as the daemon would at start-up: one line per peer whose files are missing
/// or wrong (for `tunsec check`).
pub fn credential_errors(cfg: &Config) -> Vec<String> {
    cfg.peer
        .iter()
        .filter(|p| !p.disabled && p.exchange_mode.is_ikev2())
        .filter(|p| matches!(p.auth_method, AuthMethod::RsaSignature | AuthMethod::RsaKey))
        .filter_map(|p| {
            Credentials::load(cfg, p)
                .err()
                .map(|e| format!("[[peer]] {:?}: {e}", p.name))
        })
        .collect()
}
