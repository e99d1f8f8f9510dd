//! The smaller IKE tables: `[[mode-config]]` (`/ip ipsec mode-config`), `[[user]]` (XAuth
//! users), `[[group]]` (policy template groups) and `[[key]]` (RSA keys). Read and checked
//! now; IKE uses them later.

use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use toml::Table;

use super::error::ConfigIssue;
use super::reader::{
    ACCEPTED_ADDRESS, EntryMeta, Reader, Secret, named_location, parse_prefix, quote, read_name,
};

pub(crate) const MODE_CONFIG_KEYS: &[&str] = &[
    "address-pool",
    "address-prefix-length",
    "comment",
    "name",
    "responder",
    "split-include",
    "src-address-list",
    "static-dns",
    "system-dns",
];
pub(crate) const USER_KEYS: &[&str] = &["address", "name", "password"];
pub(crate) const GROUP_KEYS: &[&str] = &["comment", "name"];
pub(crate) const KEY_KEYS: &[&str] = &["file", "name"];

/// The mode-config that exists without being defined: a client asking for an address.
pub const REQUEST_ONLY: &str = "request-only";

/// One `/ip ipsec mode-config`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModeConfig {
    pub name: String,
    /// `/ip pool` name a responder assigns addresses from; `None` is the manual's `none`.
    pub address_pool: Option<String>,
    pub address_prefix_length: Option<u8>,
    /// `yes`: this end hands out the settings (server); `no`: it asks for them (client).
    pub responder: bool,
    pub split_include: Vec<IpNet>,
    /// Client only: address list whose members are source-NATed to the assigned address.
    pub src_address_list: String,
    pub static_dns: Vec<IpAddr>,
    pub system_dns: bool,
    pub comment: String,
}

impl ModeConfig {
    /// The built-in `request-only` entry (responder = no).
    pub fn request_only() -> Self {
        Self {
            name: REQUEST_ONLY.to_owned(),
            ..Self::default()
        }
    }
}

/// One `/ip ipsec user` (XAuth).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    pub name: String,
    pub password: Secret,
    /// Address given to the client; `None`: one from the mode-config's pool.
    pub address: Option<IpAddr>,
}

/// One `/ip ipsec policy group`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    pub name: String,
    pub comment: String,
}

/// One `/ip ipsec key`. tunsec reads the key from `file` (PEM), where RouterOS imports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Key {
    pub name: String,
    pub file: PathBuf,
}

pub(crate) fn read_mode_config(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (ModeConfig, EntryMeta) {
    let location = named_location("mode-config", index, table);
    let mut r = Reader::new(table, location, MODE_CONFIG_KEYS, issues);
    let mut m = ModeConfig {
        name: read_name(&mut r, "mode-config", &["none"]),
        ..ModeConfig::default()
    };
    if let Some(v) = r.string("address-pool") {
        m.address_pool = (!v.is_empty() && v != "none").then_some(v);
    }
    if let Some(v) = r.integer("address-prefix-length", 1, 32) {
        m.address_prefix_length = u8::try_from(v).ok();
    }
    if let Some(v) = r.boolean("responder") {
        m.responder = v;
    }
    let accepted = "prefixes such as \"10.5.8.0/24\"";
    if let Some(v) = r.list("split-include", accepted, parse_prefix) {
        m.split_include = v;
    }
    if let Some(v) = r.string("src-address-list") {
        m.src_address_list = v;
    }
    if let Some(v) = r.list("static-dns", ACCEPTED_ADDRESS, |s| s.parse().ok()) {
        m.static_dns = v;
    }
    if let Some(v) = r.boolean("system-dns") {
        m.system_dns = v;
    }
    if let Some(v) = r.string("comment") {
        m.comment = v;
    }
    if m.system_dns && !m.static_dns.is_empty() {
        let list: Vec<String> = m.static_dns.iter().map(|a| format!("\"{a}\"")).collect();
        r.issue(
            "static-dns",
            format!(
                "[{}] is set together with system-dns = yes, which the manual does not allow; accepted: static-dns or system-dns, not both",
                list.join(", ")
            ),
        );
    }
    if m.responder && !m.src_address_list.is_empty() {
        r.issue(
            "src-address-list",
            format!(
                "{} is set but responder = yes, and it only applies to a client (responder = no); accepted: \"\" on a responder",
                quote(&m.src_address_list)
            ),
        );
    }
    (m, r.finish())
}

pub(crate) fn read_user(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (User, EntryMeta) {
    let location = named_location("user", index, table);
    let mut r = Reader::new(table, location, USER_KEYS, issues);
    let mut u = User {
        name: read_name(&mut r, "user", &[]),
        ..User::default()
    };
    if let Some(v) = r.secret("password") {
        u.password = v;
    }
    if let Some(v) = r.parsed("address", ACCEPTED_ADDRESS, |s| s.parse().ok()) {
        u.address = Some(v);
    }
    (u, r.finish())
}

pub(crate) fn read_group(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Group, EntryMeta) {
    let location = named_location("group", index, table);
    let mut r = Reader::new(table, location, GROUP_KEYS, issues);
    let mut g = Group {
        name: read_name(&mut r, "group", &["none"]),
        ..Group::default()
    };
    if let Some(v) = r.string("comment") {
        g.comment = v;
    }
    (g, r.finish())
}

pub(crate) fn read_key(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Key, EntryMeta) {
    let location = named_location("key", index, table);
    let mut r = Reader::new(table, location, KEY_KEYS, issues);
    let mut k = Key {
        name: read_name(&mut r, "key", &[]),
        ..Key::default()
    };
    match r.string("file") {
        Some(f) if !f.is_empty() => k.file = PathBuf::from(f),
        Some(_) => r.issue(
            "file",
            "\"\" is empty; accepted: the path of a PEM key file",
        ),
        None if !r.failed("file") => {
            r.issue("file", "missing; accepted: the path of a PEM key file")
        }
        None => {}
    }
    (k, r.finish())
}
