//! `[[peer]]` from RouterOS's peers, whichever way the router holds them: since 6.43 a peer
//! (address, exchange mode, profile) plus an `/ip ipsec identity` naming it (authentication,
//! IDs, mode-config, policy generation), before 6.43 one peer with all of it and the profile
//! properties too. tunsec's `[[peer]]` is the pre-6.43 shape minus the profile: identities are
//! folded into their peer, and a peer's own profile properties become a `[[profile]]` named
//! after it.
//!
//! Here too the warnings that matter most for bringing a tunnel up: IKEv1 exchange modes
//! (RouterOS's default is main) and authentication methods tunsec cannot negotiate yet, and
//! certificates, which an export names but does not carry.

use std::collections::HashMap;

use super::super::ImportOptions;
use super::super::menus::{Menu, PEER_PROFILE_PROPERTIES};
use super::super::model::{Entry, Model, Prop};
use super::super::toml_out::{TomlTable, TomlValue};
use super::super::warning::{Warning, shown};
use super::{Mapping, apply, line_of, origin, profile_mapping};

/// The `[[peer]]` tables, and the `[[profile]]` tables made from pre-6.43 peers.
pub fn peers(
    model: &Model,
    options: &ImportOptions,
    warnings: &mut Vec<Warning>,
) -> (Vec<TomlTable>, Vec<TomlTable>) {
    let entries = model.entries(Menu::Peer);
    let names = peer_names(entries);
    let identities = identities_by_peer(model, &names, warnings);
    let mut profile_names: Vec<String> = model
        .entries(Menu::Profile)
        .iter()
        .filter_map(|e| e.value("name").map(str::to_owned))
        .collect();
    let mut peers = Vec::new();
    let mut profiles = Vec::new();
    for (entry, name) in entries.iter().zip(&names) {
        let mut table = TomlTable::new("peer");
        table.comment(origin(Menu::Peer, entry));
        if entry.value("name").is_none() {
            table.comment(format!(
                "named {name:?} as RouterOS 6.43 names the unnamed peers it upgrades"
            ));
        }
        table.set("name", TomlValue::str(name));
        let mut folded = PeerFold::default();
        let mut own_profile = Vec::new();
        for prop in &entry.props {
            if PEER_PROFILE_PROPERTIES.contains(&prop.name) {
                own_profile.push(prop);
            } else {
                folded.property(Menu::Peer, entry, prop, &mut table, warnings);
            }
        }
        if let Some(identity) = identities.get(name.as_str()) {
            table.comment(format!(
                "line {}: with its /ip ipsec identity",
                identity.line()
            ));
            for prop in identity.props.iter().filter(|p| p.name != "peer") {
                folded.property(Menu::Identity, identity, prop, &mut table, warnings);
            }
        }
        if !own_profile.is_empty() {
            let profile_name = unique_name(name, &profile_names);
            profile_names.push(profile_name.clone());
            profiles.push(peer_profile(entry, &own_profile, &profile_name, warnings));
            if let Some(explicit) = entry.get("profile") {
                warnings.push(Warning::new(
                    line_of(entry, explicit),
                    format!("{} {}", Menu::Peer.path(), shown("profile", &explicit.value)),
                    format!(
                        "the peer also sets profile properties of its own, which make [[profile]] {profile_name:?}; that one is used"
                    ),
                ));
            }
            table.set("profile", TomlValue::str(&profile_name));
        }
        folded.finish(entry, name, options, &mut table, warnings);
        peers.push(table);
    }
    (peers, profiles)
}

/// Each peer's name: its own, or `peerN` as RouterOS 6.43 names the peers it upgrades.
fn peer_names(entries: &[Entry]) -> Vec<String> {
    let given: Vec<&str> = entries.iter().filter_map(|e| e.value("name")).collect();
    let mut names: Vec<String> = Vec::with_capacity(entries.len());
    let mut counter = 1;
    for e in entries {
        let name = match e.value("name") {
            Some(n) => n.to_owned(),
            None => loop {
                let candidate = format!("peer{counter}");
                counter += 1;
                if !given.contains(&candidate.as_str()) && !names.contains(&candidate) {
                    break candidate;
                }
            },
        };
        names.push(name);
    }
    names
}

/// `base`, or `base-profile`, `base-profile2`, ... if taken.
fn unique_name(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_owned();
    }
    (1..)
        .map(|n| {
            if n == 1 {
                format!("{base}-profile")
            } else {
                format!("{base}-profile{n}")
            }
        })
        .find(|c| !taken.contains(c))
        .unwrap_or_default()
}

/// The enabled identity of each peer; tunsec's `[[peer]]` holds one.
fn identities_by_peer<'m>(
    model: &'m Model,
    names: &[String],
    warnings: &mut Vec<Warning>,
) -> HashMap<&'m str, &'m Entry> {
    let mut out: HashMap<&str, &Entry> = HashMap::new();
    for identity in model.entries(Menu::Identity) {
        let line = identity.line();
        let Some(peer) = identity.value("peer") else {
            warnings.push(Warning::new(
                line,
                format!("{} add", Menu::Identity.path()),
                "names no peer (peer=...); skipped",
            ));
            continue;
        };
        let subject = format!("{} {}", Menu::Identity.path(), shown("peer", peer));
        if !names.iter().any(|n| n == peer) {
            warnings.push(Warning::new(
                line,
                subject,
                format!("no /ip ipsec peer is named {peer:?}; the identity is skipped"),
            ));
        } else if identity
            .value("disabled")
            .is_some_and(|d| d == "yes" || d == "true")
        {
            warnings.push(Warning::new(
                line,
                subject,
                "the identity is disabled; skipped (its peer gets no authentication from it)",
            ));
        } else if let Some(first) = out.get(peer) {
            warnings.push(Warning::new(
                line,
                subject,
                format!(
                    "[[peer]] {peer:?} already takes the identity of line {}, and tunsec's [[peer]] holds one identity; this one is skipped",
                    first.line()
                ),
            ));
        } else {
            out.insert(peer, identity);
        }
    }
    out
}

/// A `[[profile]]` from a pre-6.43 peer's own profile properties.
fn peer_profile(
    entry: &Entry,
    props: &[&Prop],
    name: &str,
    warnings: &mut Vec<Warning>,
) -> TomlTable {
    let mut table = TomlTable::new("profile");
    table.comment(format!(
        "line {}: the profile properties of /ip ipsec peer {name:?}, as RouterOS 6.43+ splits them off",
        entry.line()
    ));
    table.set("name", TomlValue::str(name));
    for prop in props {
        let mapping = profile_mapping(prop.name, &prop.value);
        apply(Menu::Peer, entry, prop, mapping, &mut table, warnings);
    }
    table
}

/// What the peer and its identity say, gathered for the checks made once both are read.
#[derive(Default)]
struct PeerFold {
    /// exchange-mode as written, with its line.
    exchange_mode: Option<(String, usize)>,
    /// auth-method as written, its line and menu.
    auth_method: Option<(String, usize, Menu)>,
    has_secret: bool,
}

impl PeerFold {
    fn property(
        &mut self,
        menu: Menu,
        entry: &Entry,
        prop: &Prop,
        table: &mut TomlTable,
        warnings: &mut Vec<Warning>,
    ) {
        let value = prop.value.as_str();
        let line = line_of(entry, prop);
        let subject = format!("{} {}", menu.path(), shown(prop.name, value));
        let mut warn = |message: String| {
            warnings.push(Warning::new(line, subject.clone(), message));
        };
        let mapping = match prop.name {
            "name" | "peer" => Mapping::Ignore,
            "address"
            | "local-address"
            | "passive"
            | "send-initial-contact"
            | "disabled"
            | "profile"
            | "proposal"
            | "key"
            | "my-id"
            | "policy-template-group"
            | "xauth-login"
            | "xauth-password" => Mapping::Str(prop.name),
            "secret" => {
                self.has_secret |= !value.is_empty();
                Mapping::Str("secret")
            }
            "port" => Mapping::Int("port"),
            "compatibility-options" => Mapping::List("compatibility-options"),
            "comment" => {
                let comment = match table.get_str("comment") {
                    Some(earlier) if !earlier.is_empty() => format!("{earlier}; {value}"),
                    _ => value.to_owned(),
                };
                table.set("comment", TomlValue::str(&comment));
                Mapping::Ignore
            }
            // Judged in finish(), once both the peer and its identity are read.
            "exchange-mode" => {
                self.exchange_mode = Some((value.to_owned(), line));
                Mapping::Str("exchange-mode")
            }
            "auth-method" => {
                self.auth_method = Some((value.to_owned(), line, menu));
                table.set("auth-method", TomlValue::str(tunsec_auth_method(value)));
                Mapping::Ignore
            }
            // Identity (6.43+) names for the XAuth/EAP client's login.
            "username" => Mapping::Str("xauth-login"),
            "password" => Mapping::Str("xauth-password"),
            // The [[certificate]] it names is written (and explained) with the store.
            "certificate" | "remote-certificate" => Mapping::Unless(prop.name),
            "generate-policy" => {
                if value != "no" {
                    warn(format!(
                        "tunsec does not create policies from what a peer proposes yet (only configured policies get SAs); written as generate-policy = {value:?}, and not acted on"
                    ));
                }
                Mapping::Str("generate-policy")
            }
            "mode-config" => {
                if !value.is_empty() && value != "none" {
                    warn(format!(
                        "tunsec's IKEv2 does not exchange configuration payloads (mode-config) yet; written as mode-config = {value:?} so the [[mode-config]] stays linked, and not acted on"
                    ));
                }
                Mapping::Unless("mode-config")
            }
            "notrack-chain" => {
                if !value.is_empty() {
                    warn(format!(
                        "tunsec adds no firewall rules; written as notrack-chain = {value:?}, and not acted on"
                    ));
                }
                Mapping::Str("notrack-chain")
            }
            "remote-id" if value == "auto" => Mapping::Ignore,
            // tunsec's [[peer]] takes RouterOS 7's remote-id forms and match-by as they are.
            "remote-id" => Mapping::Str("remote-id"),
            "match-by" if value == "remote-id" => Mapping::Ignore,
            "match-by" => Mapping::Str("match-by"),
            "eap-methods" => Mapping::Drop("tunsec has no EAP client; dropped".to_owned()),
            "remote-key" => Mapping::Unless("remote-key"),
            _ => Mapping::NoKey,
        };
        apply(menu, entry, prop, mapping, table, warnings);
    }

    /// Exchange mode and authentication, once the peer and its identity are both read.
    fn finish(
        self,
        entry: &Entry,
        name: &str,
        options: &ImportOptions,
        table: &mut TomlTable,
        warnings: &mut Vec<Warning>,
    ) {
        let (auth, auth_line, auth_menu) = self
            .auth_method
            .clone()
            .unwrap_or_else(|| ("pre-shared-key".to_owned(), entry.line(), Menu::Peer));
        let auth_written = self.auth_method.is_some();
        let tunsec_auth = tunsec_auth_method(&auth);
        let xauth = matches!(tunsec_auth, "pre-shared-key-xauth" | "rsa-signature-hybrid");

        let (mode, mode_line) = self
            .exchange_mode
            .clone()
            .unwrap_or_else(|| ("main".to_owned(), entry.line()));
        let mode_written = self.exchange_mode.is_some();
        let subject = if mode_written {
            format!("{} exchange-mode={mode}", Menu::Peer.path())
        } else {
            format!(
                "{} exchange-mode not set (RouterOS's default: main)",
                Menu::Peer.path()
            )
        };
        let ikev1 = matches!(
            mode.as_str(),
            "main" | "main-l2tp" | "aggressive" | "base" | "ike"
        );
        if !ikev1 {
            // ike2, or a mode tunsec check judges.
        } else if options.ike2 && !xauth {
            table.set_noted(
                "exchange-mode",
                TomlValue::str("ike2"),
                Some(format!("--ike2: RouterOS had {mode} (IKEv1)")),
            );
            warnings.push(Warning::new(
                mode_line,
                subject,
                format!(
                    "IKEv1 is not in tunsec yet; [[peer]] {name:?} is written with exchange-mode = \"ike2\" as --ike2 asks, so the other end must run IKEv2 (exchange-mode=ike2) too"
                ),
            ));
        } else {
            let remedy = if xauth {
                format!("--ike2 cannot help: auth-method {auth} (XAuth) exists only in IKEv1")
            } else {
                "to bring it up, set exchange-mode=ike2 on both ends, or import with --ike2"
                    .to_owned()
            };
            warnings.push(Warning::new(
                mode_line,
                subject,
                format!(
                    "IKEv1 is not in tunsec yet: it negotiates IKEv2 (exchange-mode=ike2) only. [[peer]] {name:?} keeps exchange-mode {mode}, which tunsec check accepts and tunsec run leaves out (\"exchange-mode {mode} (IKEv1) is not supported\"); {remedy}",
                    mode = if mode == "ike" { "main" } else { mode.as_str() }
                ),
            ));
        }

        let auth_subject = if auth_written {
            format!("{} auth-method={auth}", auth_menu.path())
        } else {
            format!("{} auth-method", auth_menu.path())
        };
        match tunsec_auth {
            "pre-shared-key" | "rsa-signature" | "rsa-key" => {}
            "eap" => warnings.push(Warning::new(
                auth_line,
                auth_subject,
                "tunsec has no EAP client; written as auth-method = \"eap\", which tunsec check refuses (naming auth-method)",
            )),
            other => {
                let renamed = if auth != other {
                    format!(" (RouterOS 6.45's name for {other})")
                } else {
                    String::new()
                };
                warnings.push(Warning::new(
                    auth_line,
                    auth_subject,
                    format!(
                        "tunsec authenticates with pre-shared keys, certificates (rsa-signature) and RSA keys (rsa-key) so far; [[peer]] {name:?} is written with auth-method = {other:?}{renamed}, which tunsec check accepts and tunsec run leaves out (\"auth-method {other} is not supported yet\")"
                    ),
                ));
            }
        }
        if matches!(tunsec_auth, "pre-shared-key" | "pre-shared-key-xauth") && !self.has_secret {
            warnings.push(Warning::new(
                entry.line(),
                format!("{} {}", Menu::Peer.path(), shown("name", name)),
                format!(
                    "no secret (neither the peer nor an /ip ipsec identity gives one) for auth-method {tunsec_auth}; tunsec check refuses [[peer]] {name:?} until it has one"
                ),
            ));
        }
    }
}

/// RouterOS 6.45 renamed rsa-signature to digital-signature; tunsec keeps the manual's name.
fn tunsec_auth_method(routeros: &str) -> &str {
    match routeros {
        "digital-signature" => "rsa-signature",
        other => other,
    }
}
