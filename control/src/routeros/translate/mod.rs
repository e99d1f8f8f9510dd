//! From the RouterOS entries a script left to tunsec's tables. Property names carry over as
//! they are (tunsec's configuration uses RouterOS's), values keep RouterOS's spelling
//! (`30m`, `yes`, `aes-128gcm`) except that lists become TOML arrays and numbers integers,
//! and `none` where it means "not set" is left out. Built-in entries a script did not change
//! are not written: tunsec has the same ones. Whatever has no place in tunsec's tables, or
//! has one that tunsec does not act on yet, is reported with its line.

mod certificate;
mod peer;

use std::collections::BTreeSet;

use super::ImportOptions;
use super::menus::Menu;
use super::model::{Entry, KEY_FILE, Model, Prop};
use super::toml_out::{TomlTable, TomlValue};
use super::warning::{Warning, shown};

/// How one property lands in a tunsec table.
enum Mapping {
    /// Under this key, as a string.
    Str(&'static str),
    /// Under this key, as an array.
    List(&'static str),
    /// Under this key, as an integer when it is one.
    Int(&'static str),
    /// Under this key, unless `none` or empty (RouterOS's "not set").
    Unless(&'static str),
    /// Nowhere: this is why.
    Drop(String),
    /// Nowhere: the tunsec table has no such key.
    NoKey,
    /// Nowhere, and nothing lost (a default that tunsec has too).
    Ignore,
}

/// Translates everything the model holds: tunsec's tables, in the order they are written.
pub fn translate(
    model: &Model,
    options: &ImportOptions,
    warnings: &mut Vec<Warning>,
) -> Vec<TomlTable> {
    let mut t = Translator { model, warnings };
    let (peers, peer_profiles) = peer::peers(model, options, t.warnings);
    let profiles = t.simple(Menu::Profile, "profile", profile_mapping);
    let proposals = t.simple(Menu::Proposal, "proposal", proposal_mapping);
    let groups = t.simple(Menu::PolicyGroup, "group", |name, _| match name {
        "name" | "comment" => Mapping::Str(name),
        _ => Mapping::NoKey,
    });
    let mode_configs = t.mode_configs();
    let pools = t.pools(&mode_configs);
    let users = t.simple(Menu::User, "user", |name, _| match name {
        "name" | "password" | "address" => Mapping::Str(name),
        other => Mapping::Drop(format!("tunsec's [[user]] has no {other}; dropped")),
    });
    let keys = t.keys();
    let policies = t.policies();
    let manual_sas = t.simple(Menu::ManualSa, "manual-sa", |name, _| match name {
        "disabled" => Mapping::Drop(
            "tunsec's [[manual-sa]] has no disabled (an SA no policy names is unused); dropped"
                .to_owned(),
        ),
        name => Mapping::Str(name),
    });
    let certificates = certificate::certificates(model, &peers, t.warnings);
    let mut tables = Vec::new();
    for part in [
        certificates,
        pools,
        groups,
        profiles,
        peer_profiles,
        proposals,
        mode_configs,
        peers,
        users,
        keys,
        policies,
        manual_sas,
    ] {
        tables.extend(part);
    }
    tables
}

struct Translator<'a> {
    model: &'a Model,
    warnings: &'a mut Vec<Warning>,
}

/// `/ip ipsec peer add` (line 3), or the built-in entry's first change.
fn origin(menu: Menu, entry: &Entry) -> String {
    if entry.builtin {
        format!(
            "line {}: RouterOS's built-in {} entry, as changed here",
            entry.line(),
            menu.path()
        )
    } else {
        format!("line {}: {} add", entry.line(), menu.path())
    }
}

/// The line a property came from (a built-in value: the entry's).
fn line_of(entry: &Entry, prop: &Prop) -> usize {
    prop.line.unwrap_or_else(|| entry.line())
}

/// Puts one property where `mapping` says, warning when it goes nowhere.
fn apply(
    menu: Menu,
    entry: &Entry,
    prop: &Prop,
    mapping: Mapping,
    table: &mut TomlTable,
    warnings: &mut Vec<Warning>,
) {
    let value = prop.value.as_str();
    match mapping {
        Mapping::Str(key) => table.set(key, TomlValue::str(value)),
        Mapping::List(key) => table.set(key, TomlValue::list(value)),
        Mapping::Int(key) => table.set(key, TomlValue::int(value)),
        Mapping::Unless(key) => {
            if !value.is_empty() && value != "none" {
                table.set(key, TomlValue::str(value));
            }
        }
        Mapping::Drop(why) => warnings.push(Warning::new(
            line_of(entry, prop),
            format!("{} {}", menu.path(), shown(prop.name, value)),
            why,
        )),
        Mapping::NoKey => warnings.push(Warning::new(
            line_of(entry, prop),
            format!("{} {}", menu.path(), shown(prop.name, value)),
            format!("tunsec's [[{}]] has no {}; dropped", table.name, prop.name),
        )),
        Mapping::Ignore => {}
    }
}

fn proposal_mapping(name: &'static str, _value: &str) -> Mapping {
    match name {
        "auth-algorithms" | "enc-algorithms" => Mapping::List(name),
        "name" | "comment" | "disabled" | "lifetime" | "pfs-group" => Mapping::Str(name),
        _ => Mapping::NoKey,
    }
}

/// Profile properties, on `/ip ipsec profile` or (before RouterOS 6.43) on the peer.
fn profile_mapping(name: &'static str, value: &str) -> Mapping {
    match name {
        "dh-group" | "enc-algorithm" => Mapping::List(name),
        "dpd-maximum-failures" | "lifebytes" => Mapping::Int(name),
        "prf-algorithm" if value == "auto" => Mapping::Ignore,
        "prf-algorithm" => Mapping::Drop(
            "tunsec's [[profile]] takes the PRF from hash-algorithm (RouterOS's prf-algorithm=auto); dropped"
                .to_owned(),
        ),
        "name" | "dpd-interval" | "hash-algorithm" | "lifetime" | "nat-traversal"
        | "proposal-check" => Mapping::Str(name),
        _ => Mapping::NoKey,
    }
}

impl Translator<'_> {
    /// One table per changed entry of `menu`, each property through `mapping`.
    fn simple(
        &mut self,
        menu: Menu,
        table_name: &'static str,
        mapping: impl Fn(&'static str, &str) -> Mapping,
    ) -> Vec<TomlTable> {
        let mut out = Vec::new();
        for entry in self.model.entries(menu).iter().filter(|e| e.is_changed()) {
            let mut table = TomlTable::new(table_name);
            table.comment(origin(menu, entry));
            for prop in &entry.props {
                let m = match mapping(prop.name, &prop.value) {
                    // The built-in entries' own values are tunsec's defaults too.
                    _ if entry.builtin && prop.line.is_none() && prop.name != "name" => {
                        Mapping::Ignore
                    }
                    m => m,
                };
                apply(menu, entry, prop, m, &mut table, self.warnings);
            }
            out.push(table);
        }
        out
    }

    fn mode_configs(&mut self) -> Vec<TomlTable> {
        let mut tables = self.simple(Menu::ModeConfig, "mode-config", |name, _| match name {
            "address-pool" => Mapping::Unless(name),
            "address-prefix-length" => Mapping::Int(name),
            "split-include" | "static-dns" => Mapping::List(name),
            "name" | "responder" | "src-address-list" | "system-dns" | "comment" => {
                Mapping::Str(name)
            }
            "address" => Mapping::Drop(
                "tunsec's [[mode-config]] hands out addresses from address-pool only; dropped"
                    .to_owned(),
            ),
            "connection-mark" => Mapping::Drop(
                "tunsec marks no connections (it has no firewall); dropped".to_owned(),
            ),
            _ => Mapping::NoKey,
        });
        // RouterOS's `add` makes a responder unless told responder=no (the manual: make "a
        // new Mode config entry with responder=no" for a client); tunsec's default is no.
        let entries = self
            .model
            .entries(Menu::ModeConfig)
            .iter()
            .filter(|e| e.is_changed());
        let pools: Vec<&str> = self
            .model
            .entries(Menu::Pool)
            .iter()
            .filter_map(|e| e.value("name"))
            .collect();
        for (table, entry) in tables.iter_mut().zip(entries) {
            if let Some(prop) = entry.get("address-pool")
                && !matches!(prop.value.as_str(), "" | "none")
                && !pools.contains(&prop.value.as_str())
            {
                self.warnings.push(Warning::new(
                    line_of(entry, prop),
                    format!("{} {}", Menu::ModeConfig.path(), shown(prop.name, &prop.value)),
                    format!(
                        "no /ip pool named {:?} is in the script; written as it is, and tunsec check refuses it until a [[pool]] of that name is added",
                        prop.value.as_str()
                    ),
                ));
            }
            if !entry.builtin && entry.get("responder").is_none() {
                table.set_noted(
                    "responder",
                    TomlValue::str("yes"),
                    Some("RouterOS's add makes a responder unless responder=no".to_owned()),
                );
            }
        }
        tables
    }

    /// The `/ip pool` entries the mode-configs use (and the pools they continue into).
    fn pools(&mut self, mode_configs: &[TomlTable]) -> Vec<TomlTable> {
        let entries = self.model.entries(Menu::Pool);
        let mut used: BTreeSet<String> = mode_configs
            .iter()
            .filter_map(|m| m.get_str("address-pool").map(str::to_owned))
            .collect();
        // Follow next-pool chains.
        loop {
            let more: Vec<String> = entries
                .iter()
                .filter(|e| e.value("name").is_some_and(|n| used.contains(n)))
                .filter_map(|e| e.value("next-pool"))
                .filter(|n| *n != "none" && !used.contains(*n))
                .map(str::to_owned)
                .collect();
            if more.is_empty() {
                break;
            }
            used.extend(more);
        }
        let mut out = Vec::new();
        for entry in entries {
            let name = entry.value("name").unwrap_or("");
            if !used.contains(name) {
                self.warnings.push(Warning::new(
                    entry.line(),
                    format!("{} {}", Menu::Pool.path(), shown("name", name)),
                    "no /ip ipsec mode-config hands out addresses from this pool (it serves something else: DHCP, PPP, ...); skipped",
                ));
                continue;
            }
            let mut table = TomlTable::new("pool");
            table.comment(origin(Menu::Pool, entry));
            for prop in &entry.props {
                let mapping = match prop.name {
                    "ranges" => Mapping::List(prop.name),
                    "next-pool" => Mapping::Unless(prop.name),
                    name => Mapping::Str(name),
                };
                apply(Menu::Pool, entry, prop, mapping, &mut table, self.warnings);
            }
            out.push(table);
        }
        out
    }

    fn keys(&mut self) -> Vec<TomlTable> {
        let mut out = Vec::new();
        for entry in self.model.entries(Menu::Key) {
            let (Some(name), Some(file)) = (entry.value("name"), entry.value(KEY_FILE)) else {
                self.warnings.push(Warning::new(
                    entry.line(),
                    format!("{} add", Menu::Key.path()),
                    "a key with no file (RouterOS makes keys with import or generate-key); skipped",
                ));
                continue;
            };
            self.warnings.push(Warning::new(
                entry.line(),
                format!("{} import {}", Menu::Key.path(), shown("file-name", file)),
                format!(
                    "{file:?} is a file on the router: put the key next to the configuration as PEM, where [[key]] {name:?} reads it (file = {file:?})"
                ),
            ));
            let mut table = TomlTable::new("key");
            table.comment(format!("line {}: /ip ipsec key import", entry.line()));
            table.set("name", TomlValue::str(name));
            table.set("file", TomlValue::str(file));
            out.push(table);
        }
        out
    }

    fn policies(&mut self) -> Vec<TomlTable> {
        let mut out = Vec::new();
        for entry in self
            .model
            .entries(Menu::Policy)
            .iter()
            .filter(|e| e.is_changed())
        {
            let mut table = TomlTable::new("policy");
            if entry.builtin {
                // tunsec has no built-in template: write all of it.
                table.comment(format!(
                    "line {}: RouterOS's default policy template, as changed here",
                    entry.line()
                ));
            } else {
                table.comment(origin(Menu::Policy, entry));
            }
            for prop in &entry.props {
                let mapping = match prop.name {
                    "manual-sa" => Mapping::Unless("manual-sa"),
                    "priority" => Mapping::Drop(
                        "policies are matched top to bottom, in RouterOS since 6.40 and in tunsec; the order is kept and priority dropped"
                            .to_owned(),
                    ),
                    name if POLICY_KEYS.contains(&name) => Mapping::Str(name),
                    _ => Mapping::NoKey,
                };
                apply(
                    Menu::Policy,
                    entry,
                    prop,
                    mapping,
                    &mut table,
                    self.warnings,
                );
            }
            out.push(table);
        }
        out
    }
}

/// `[[policy]]` keys named as RouterOS names them.
const POLICY_KEYS: &[&str] = &[
    "action",
    "comment",
    "disabled",
    "dst-address",
    "dst-port",
    "group",
    "ipsec-protocols",
    "level",
    "peer",
    "proposal",
    "protocol",
    "sa-dst-address",
    "sa-src-address",
    "src-address",
    "src-port",
    "template",
    "tunnel",
];
