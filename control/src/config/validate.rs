//! Checks across tables: that what a policy or peer names exists, that a manual SA fits the
//! policy using it, that SA addresses make sense for the policy's mode, and that incoming SPIs
//! are unique. Checks stand down where a value they need was already reported bad.

use std::collections::HashMap;
use std::net::IpAddr;

use ipnet::IpNet;
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm};
use tunsec_dataplane::sa::{Direction, SecurityAssociation, Timestamp};
use tunsec_dataplane::spd::{IpsecProtocols, Level, Policy, PolicyAction};

use super::error::ConfigIssue;
use super::manual_sa::{ACCEPTED_SPI, ManualSa};
use super::peer::check_peer_overlap;
use super::reader::{EntryMeta, quote, quoted_list};
use super::{AuthMethod, Config, Draft};

pub(crate) fn cross_check(draft: &Draft, issues: &mut Vec<ConfigIssue>) {
    check_policies(draft, issues);
    check_manual_sas(draft, issues);
    check_peers(draft, issues);
    check_peer_overlap(&draft.config.peer, &draft.peer_meta, issues);
    check_pools(draft, issues);
    if issues.is_empty() {
        dry_run_installs(&draft.config, issues);
    }
}

/// `"x" is not defined; defined: "a", "b"`.
fn undefined<'a>(name: &str, defined: impl IntoIterator<Item = &'a str>) -> String {
    let defined = quoted_list(defined.into_iter().filter(|n| !n.is_empty()));
    format!("{} is not defined; defined: {defined}", quote(name))
}

fn is_host(net: &IpNet) -> bool {
    net.prefix_len() == net.max_prefix_len()
}

fn family(a: IpAddr) -> &'static str {
    if a.is_ipv4() { "IPv4" } else { "IPv6" }
}

fn check_policies(draft: &Draft, issues: &mut Vec<ConfigIssue>) {
    let c = &draft.config;
    let mut seen_pairs: HashMap<(IpNet, IpNet), usize> = HashMap::new();
    let mut manual_sa_users: HashMap<&str, usize> = HashMap::new();
    for (i, (p, m)) in c.policy.iter().zip(&draft.policy_meta).enumerate() {
        let mut issue = |key: &str, message: String| {
            issues.push(ConfigIssue::new(&m.location, Some(key), message));
        };
        let selectors_read = !m.failed("src-address") && !m.failed("dst-address");
        if selectors_read && !p.is_single_family() {
            issue(
                "dst-address",
                format!(
                    "\"{}\" is {} but src-address \"{}\" is {}, so the policy could match nothing; accepted: a prefix of src-address's family",
                    p.dst_address,
                    family(p.dst_address.addr()),
                    p.src_address,
                    family(p.src_address.addr())
                ),
            );
        }
        if selectors_read && !p.disabled && !p.template && p.is_single_family() {
            if let Some(first) = seen_pairs.get(&(p.src_address, p.dst_address)) {
                issue(
                    "dst-address",
                    format!(
                        "policy #{first} above already has src-address \"{}\" and dst-address \"{}\", so this one would be flagged invalid and never used; accepted: a src-address/dst-address pair no earlier enabled policy has",
                        p.src_address, p.dst_address
                    ),
                );
            } else {
                seen_pairs.insert((p.src_address, p.dst_address), i);
            }
        }
        if !m.failed("proposal") && !c.proposal.iter().any(|x| x.name == p.proposal) {
            issue(
                "proposal",
                undefined(&p.proposal, c.proposal.iter().map(|x| x.name.as_str())),
            );
        }
        if !p.peer.is_empty() && !m.failed("peer") && !c.peer.iter().any(|x| x.name == p.peer) {
            issue(
                "peer",
                undefined(&p.peer, c.peer.iter().map(|x| x.name.as_str())),
            );
        }
        if !m.failed("group") && !c.group.iter().any(|g| g.name == p.group) {
            issue(
                "group",
                undefined(&p.group, c.group.iter().map(|g| g.name.as_str())),
            );
        }
        if let Some(name) = &p.manual_sa {
            if !c.manual_sa.iter().any(|s| s.name == *name) {
                issue(
                    "manual-sa",
                    undefined(name, c.manual_sa.iter().map(|s| s.name.as_str())),
                );
            } else if p.action != PolicyAction::Encrypt {
                issue(
                    "manual-sa",
                    format!(
                        "{} is set but action is {}, which uses no SA; accepted: action = \"encrypt\", or no manual-sa",
                        quote(name),
                        p.action
                    ),
                );
            } else if p.template {
                issue(
                    "manual-sa",
                    format!(
                        "{} is set on a template, which IKE responders use to check proposals and never carries traffic; accepted: template = no, or no manual-sa",
                        quote(name)
                    ),
                );
            } else if !p.disabled {
                if let Some(first) = manual_sa_users.get(name.as_str()) {
                    issue(
                        "manual-sa",
                        format!(
                            "{} is already used by policy #{first}; its SPIs can identify only one policy's SAs; accepted: a [[manual-sa]] no other enabled policy uses",
                            quote(name)
                        ),
                    );
                } else {
                    manual_sa_users.insert(name, i);
                }
            }
        }
        if p.action == PolicyAction::Encrypt && !p.template {
            check_sa_addresses(p, m, c, issues);
        }
    }
}

/// Where the SA of an encrypting policy starts and ends, as the manual describes for tunnel
/// and transport mode.
fn check_sa_addresses(p: &Policy, m: &EntryMeta, c: &Config, issues: &mut Vec<ConfigIssue>) {
    let mut issue = |key: &str, message: String| {
        issues.push(ConfigIssue::new(&m.location, Some(key), message));
    };
    let needs = if p.tunnel {
        Some("tunnel mode")
    } else if p.manual_sa.is_some() {
        Some("a manually keyed SA")
    } else {
        None
    };
    let ends = [
        (
            "sa-src-address",
            p.sa_src_address,
            "local",
            "src-address",
            p.src_address,
        ),
        (
            "sa-dst-address",
            p.sa_dst_address,
            "remote",
            "dst-address",
            p.dst_address,
        ),
    ];
    if let Some(what) = needs {
        for (key, addr, end, _, _) in ends {
            if addr.is_unspecified() && !m.failed(key) {
                let given = if m.has(key) {
                    format!("{addr} means not set")
                } else {
                    "missing".to_owned()
                };
                issue(
                    key,
                    format!(
                        "{given}, but {what} needs the SA's {end} address; accepted: an IPv4 or IPv6 address"
                    ),
                );
            }
        }
    }
    let (src, dst) = (p.sa_src_address, p.sa_dst_address);
    let both_set = !src.is_unspecified() && !dst.is_unspecified();
    if both_set && src.is_ipv4() != dst.is_ipv4() {
        issue(
            "sa-dst-address",
            format!(
                "{dst} is {} but sa-src-address {src} is {}; accepted: an address of sa-src-address's family",
                family(dst),
                family(src)
            ),
        );
    } else if both_set && src == dst {
        issue(
            "sa-dst-address",
            format!("{dst} is also sa-src-address; accepted: the remote end's address"),
        );
    }
    if !p.tunnel && !m.failed("tunnel") {
        for (sa_key, addr, _, sel_key, sel) in ends {
            if m.failed(sel_key) || m.failed(sa_key) {
                continue;
            }
            if !is_host(&sel) {
                let host = if addr.is_unspecified() {
                    "a single host such as \"192.0.2.1/32\"".to_owned()
                } else {
                    format!("\"{}\" ({sa_key})", IpNet::from(addr))
                };
                issue(
                    sel_key,
                    format!(
                        "\"{sel}\" is not a single host, but tunnel is no: transport mode only carries packets that originate at and are destined for the IPsec peers themselves (the manual); accepted: {host}, or tunnel = yes to protect networks"
                    ),
                );
            } else if !addr.is_unspecified() && addr != sel.addr() {
                issue(
                    sa_key,
                    format!(
                        "{addr} is not {sel_key} {}, but tunnel is no: in transport mode only packets whose source and destination are sa-src-address and sa-dst-address can be processed (the manual); accepted: {}, or tunnel = yes",
                        sel.addr(),
                        sel.addr()
                    ),
                );
            }
        }
    }
    // Without a manual SA, IKE must negotiate one, and IKE needs a peer for the remote end.
    if p.manual_sa.is_none() && p.level != Level::Use && !p.disabled && !m.failed("manual-sa") {
        let remote = if !dst.is_unspecified() {
            Some(dst)
        } else if !p.tunnel && is_host(&p.dst_address) {
            Some(p.dst_address.addr())
        } else {
            None
        };
        let has_peer = |r: IpAddr| c.peer.iter().any(|q| !q.disabled && q.address.contains(&r));
        if let Some(r) = remote
            && !has_peer(r)
            && !m.failed("sa-dst-address")
        {
            issue(
                "manual-sa",
                format!(
                    "missing, and no enabled [[peer]] has an address containing {r} to negotiate an SA with IKE; accepted: the name of a [[manual-sa]] (defined: {}), or a [[peer]] whose address contains {r}",
                    quoted_list(
                        c.manual_sa
                            .iter()
                            .map(|s| s.name.as_str())
                            .filter(|n| !n.is_empty())
                    )
                ),
            );
        }
    }
}

fn check_manual_sas(draft: &Draft, issues: &mut Vec<ConfigIssue>) {
    let c = &draft.config;
    let mut incoming: HashMap<(IpsecProtocols, u32), &str> = HashMap::new();
    let mut outgoing: HashMap<(IpsecProtocols, IpAddr, u32), &str> = HashMap::new();
    for (index, (sa, m)) in c.manual_sa.iter().zip(&draft.manual_sa_meta).enumerate() {
        // The policy that uses it (an enabled one first) decides which half is needed. A
        // policy names the first entry of a name; later ones are reported as duplicates.
        let first_of_name = !c.manual_sa[..index].iter().any(|s| s.name == sa.name);
        let user = c
            .policy
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                first_of_name
                    && !sa.name.is_empty()
                    && p.manual_sa.as_deref() == Some(sa.name.as_str())
            })
            .min_by_key(|(_, p)| p.disabled);
        check_manual_sa_use(sa, m, user, issues);
        for (protocol, spi, key) in [
            (IpsecProtocols::Esp, sa.esp_spi, "esp-spi"),
            (IpsecProtocols::Ah, sa.ah_spi, "ah-spi"),
        ] {
            let Some(spi) = spi else { continue };
            if let Some(other) = incoming.get(&(protocol, spi.incoming)) {
                issues.push(ConfigIssue::new(
                    &m.location,
                    Some(key),
                    format!(
                        "incoming SPI {:#x} is also [[manual-sa]] {}'s incoming SPI, so inbound packets could not tell the two apart; accepted: an incoming SPI no other [[manual-sa]] uses",
                        spi.incoming,
                        quote(other)
                    ),
                ));
            } else {
                incoming.insert((protocol, spi.incoming), &sa.name);
            }
            // The receiving end has the same problem with what two SAs send it.
            let Some((_, p)) = user else { continue };
            if p.ipsec_protocols != protocol || p.sa_dst_address.is_unspecified() {
                continue;
            }
            let to = p.sa_dst_address;
            if let Some(other) = outgoing.get(&(protocol, to, spi.outgoing)) {
                issues.push(ConfigIssue::new(
                    &m.location,
                    Some(key),
                    format!(
                        "outgoing SPI {:#x} to {to} is also [[manual-sa]] {}'s, so {to} could not tell the two apart; accepted: an outgoing SPI no other [[manual-sa]] sends to {to} with",
                        spi.outgoing,
                        quote(other)
                    ),
                ));
            } else {
                outgoing.insert((protocol, to, spi.outgoing), &sa.name);
            }
        }
    }
}

/// What the protocol and mode of the policy using a manual SA ask of it.
fn check_manual_sa_use(
    sa: &ManualSa,
    m: &EntryMeta,
    user: Option<(usize, &Policy)>,
    issues: &mut Vec<ConfigIssue>,
) {
    let mut issue = |key: &str, message: String| {
        issues.push(ConfigIssue::new(&m.location, Some(key), message));
    };
    // Which half is needed depends on the policy; an unused SA is checked when it is used.
    let Some((i, p)) = user else { return };
    let protocol = p.ipsec_protocols;
    let because = format!("policy #{i} uses ipsec-protocols = {protocol}");
    match protocol {
        IpsecProtocols::Esp => {
            if sa.esp_spi.is_none() && !m.failed("esp-spi") {
                issue(
                    "esp-spi",
                    format!("missing, but {because}; accepted: {ACCEPTED_SPI}"),
                );
            }
            if sa.esp_enc_algorithm == EncAlgorithm::Null
                && sa.esp_auth_algorithm == AuthAlgorithm::Null
                && !m.failed("esp-enc-algorithm")
                && !m.failed("esp-auth-algorithm")
            {
                issue(
                    "esp-enc-algorithm",
                    format!(
                        "\"null\" with esp-auth-algorithm \"null\" would protect nothing, and {because}; accepted: an esp-enc-algorithm other than null (such as aes-128-gcm), or an esp-auth-algorithm other than null"
                    ),
                );
            }
        }
        IpsecProtocols::Ah => {
            if sa.ah_algorithm == AuthAlgorithm::Null && !m.failed("ah-algorithm") {
                let accepted: Vec<&str> = AuthAlgorithm::all()
                    .iter()
                    .filter(|a| **a != AuthAlgorithm::Null)
                    .map(|a| a.name())
                    .collect();
                issue(
                    "ah-algorithm",
                    format!(
                        "\"null\" (the default), but {because}, and AH without an integrity algorithm protects nothing; accepted: {}",
                        accepted.join(", ")
                    ),
                );
            }
            if sa.ah_spi.is_none() && !m.failed("ah-spi") {
                issue(
                    "ah-spi",
                    format!("missing, but {because}; accepted: {ACCEPTED_SPI}"),
                );
            }
            if sa.nat_t {
                issue(
                    "nat-t",
                    format!(
                        "true, but {because}: NAT-T carries only ESP (AH signs the IP header that NAT rewrites); accepted: false"
                    ),
                );
            }
        }
    }
    if let Some(to) = sa.tfc_pad_to
        && (p.ipsec_protocols != IpsecProtocols::Esp || !p.tunnel)
    {
        issue(
            "tfc-pad-to",
            format!(
                "{to} is set, but policy #{i} uses {} {} mode, and TFC padding needs ESP tunnel mode; accepted: no tfc-pad-to",
                p.ipsec_protocols,
                if p.tunnel { "tunnel" } else { "transport" }
            ),
        );
    }
}

fn check_peers(draft: &Draft, issues: &mut Vec<ConfigIssue>) {
    let c = &draft.config;
    for (p, m) in c.peer.iter().zip(&draft.peer_meta) {
        let mut issue = |key: &str, message: String| {
            issues.push(ConfigIssue::new(&m.location, Some(key), message));
        };
        if !m.failed("profile") && !c.profile.iter().any(|x| x.name == p.profile) {
            issue(
                "profile",
                undefined(&p.profile, c.profile.iter().map(|x| x.name.as_str())),
            );
        }
        if !m.failed("proposal") && !c.proposal.iter().any(|x| x.name == p.proposal) {
            issue(
                "proposal",
                undefined(&p.proposal, c.proposal.iter().map(|x| x.name.as_str())),
            );
        }
        if !p.key.is_empty() && !m.failed("key") && !c.key.iter().any(|k| k.name == p.key) {
            issue(
                "key",
                undefined(&p.key, c.key.iter().map(|k| k.name.as_str())),
            );
        }
        if !p.remote_key.is_empty()
            && !m.failed("remote-key")
            && !c.key.iter().any(|k| k.name == p.remote_key)
        {
            issue(
                "remote-key",
                undefined(&p.remote_key, c.key.iter().map(|k| k.name.as_str())),
            );
        }
        check_peer_certificates(p, m, c, &mut issue);
        if let Some(mc) = &p.mode_config
            && !m.failed("mode-config")
            && !c.mode_config.iter().any(|x| x.name == *mc)
        {
            let mut message = undefined(mc, c.mode_config.iter().map(|x| x.name.as_str()));
            message.push_str(" (or none)");
            issue("mode-config", message);
        }
        if let Some(g) = &p.policy_template_group
            && !m.failed("policy-template-group")
            && !c.group.iter().any(|x| x.name == *g)
        {
            let mut message = undefined(g, c.group.iter().map(|x| x.name.as_str()));
            message.push_str(" (or none)");
            issue("policy-template-group", message);
        }
    }
}

/// A mode-config's address-pool and a pool's next-pool name a `[[pool]]`, as RouterOS
/// requires of `/ip pool` names.
fn check_pools(draft: &Draft, issues: &mut Vec<ConfigIssue>) {
    let c = &draft.config;
    let pools = || c.pool.iter().map(|x| x.name.as_str());
    for (m, meta) in c.mode_config.iter().zip(&draft.mode_config_meta) {
        if let Some(pool) = &m.address_pool
            && !meta.failed("address-pool")
            && !c.pool.iter().any(|x| x.name == *pool)
        {
            let mut message = undefined(pool, pools());
            message.push_str(" (or none)");
            issues.push(ConfigIssue::new(
                &meta.location,
                Some("address-pool"),
                message,
            ));
        }
    }
    for (p, meta) in c.pool.iter().zip(&draft.pool_meta) {
        if let Some(next) = &p.next_pool
            && !meta.failed("next-pool")
            && !c.pool.iter().any(|x| x.name == *next)
        {
            let mut message = undefined(next, pools());
            message.push_str(" (or none)");
            issues.push(ConfigIssue::new(&meta.location, Some("next-pool"), message));
        }
    }
}

/// `certificate` and `remote-certificate` name [[certificate]] entries; the one we sign with
/// has its private key; an rsa-signature peer has something to check the other end with.
fn check_peer_certificates(
    p: &crate::config::Peer,
    m: &EntryMeta,
    c: &Config,
    issue: &mut impl FnMut(&str, String),
) {
    let names = || c.certificate.iter().map(|x| x.name.as_str());
    for (key, name) in [
        ("certificate", &p.certificate),
        ("remote-certificate", &p.remote_certificate),
    ] {
        if !name.is_empty() && !m.failed(key) && !c.certificate.iter().any(|x| x.name == *name) {
            issue(key, undefined(name, names()));
        }
    }
    let signing = c.certificate.iter().find(|x| x.name == p.certificate);
    if p.auth_method == AuthMethod::RsaSignature
        && let Some(cert) = signing
        && cert.private_key_file.is_none()
    {
        issue(
            "certificate",
            format!(
                "\"{}\" has no private-key-file, but this end signs with it (auth-method rsa-signature); accepted: a [[certificate]] with private-key-file",
                p.certificate
            ),
        );
    }
    if p.auth_method == AuthMethod::RsaSignature
        && p.remote_certificate.is_empty()
        && !m.failed("remote-certificate")
        && !c.certificate.iter().any(|x| x.trusted)
    {
        issue(
            "remote-certificate",
            "missing, and no [[certificate]] has trusted = yes, so the peer's certificate could not be checked (auth-method rsa-signature); accepted: the name of the peer's [[certificate]], or a CA [[certificate]] with trusted = yes".to_owned(),
        );
    }
}

/// Builds every SA the configuration installs, as the dataplane will, so that anything it
/// would refuse is reported now rather than at start-up.
fn dry_run_installs(c: &Config, issues: &mut Vec<ConfigIssue>) {
    for (i, p) in c.policy.iter().enumerate() {
        let Some(sa) = c.sa_for(p) else { continue };
        for direction in [Direction::Inbound, Direction::Outbound] {
            if let Err(e) = SecurityAssociation::new(sa.sa_params(p, direction, 0), Timestamp(0)) {
                issues.push(ConfigIssue::new(
                    &format!("[[manual-sa]] {}", quote(&sa.name)),
                    None,
                    format!("the dataplane refuses its SAs for policy #{i}: {e}"),
                ));
                break;
            }
        }
    }
}
