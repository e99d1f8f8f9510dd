//! `[[policy]]`: `/ip ipsec policy` rows, read into the dataplane's own [`Policy`], plus
//! tunsec's `manual-sa` key naming the manually keyed SA a policy uses instead of IKE.

use toml::{Table, Value};
use tunsec_dataplane::spd::{Policy, PortMatch, parse_protocol};

use super::error::ConfigIssue;
use super::reader::{
    ACCEPTED_ADDRESS, ACCEPTED_PREFIX, EntryMeta, Reader, parse_prefix, quote, show,
};

pub(crate) const POLICY_KEYS: &[&str] = &[
    "action",
    "comment",
    "disabled",
    "dst-address",
    "dst-port",
    "group",
    "ipsec-protocols",
    "level",
    "manual-sa",
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

const ACCEPTED_PORT: &str = "any, or an integer 0..65535";

/// `[[policy]] #2 (10.201.1.0/24 -> 10.201.2.0/24)`: the row number `policy print` shows
/// (from 0, the index in [`Config::policies`](super::Config::policies)) and the selectors as
/// written.
pub(crate) fn policy_location(index: usize, table: &Table) -> String {
    let side = |key: &str| match table.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => show(other),
        None => "0.0.0.0/32".to_owned(),
    };
    format!(
        "[[policy]] #{index} ({} -> {})",
        side("src-address"),
        side("dst-address")
    )
}

pub(crate) fn read_policy(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Policy, EntryMeta) {
    let mut r = Reader::new(table, policy_location(index, table), POLICY_KEYS, issues);
    let mut p = Policy::default();
    // RouterOS shows prefixes with the host bits cleared; so does the SPD.
    if let Some(v) = r.parsed("src-address", ACCEPTED_PREFIX, parse_prefix) {
        p.src_address = v.trunc();
    }
    if let Some(v) = r.parsed("dst-address", ACCEPTED_PREFIX, parse_prefix) {
        p.dst_address = v.trunc();
    }
    if let Some(v) = read_port(&mut r, "src-port") {
        p.src_port = v;
    }
    if let Some(v) = read_port(&mut r, "dst-port") {
        p.dst_port = v;
    }
    let accepted = parse_protocol("?").err().map(|e| e.expected.into_owned());
    let accepted = accepted
        .as_deref()
        .unwrap_or("all, an integer 0..255 or a protocol name");
    if let Some(v) = r.read("protocol", accepted, |v| match v {
        Value::Integer(n) => u8::try_from(*n)
            .map(Some)
            .map_err(|_| format!("{n} is out of range")),
        Value::String(s) => parse_protocol(s).map_err(|_| format!("{} is not valid", quote(s))),
        other => Err(format!("{} is not valid", show(other))),
    }) {
        p.protocol = v;
    }
    if let Some(v) = r.keyword("action") {
        p.action = v;
    }
    if let Some(v) = r.keyword("level") {
        p.level = v;
    }
    if let Some(v) = r.keyword("ipsec-protocols") {
        p.ipsec_protocols = v;
    }
    if let Some(v) = r.boolean("tunnel") {
        p.tunnel = v;
    }
    if let Some(v) = r.parsed("sa-src-address", ACCEPTED_ADDRESS, |s| s.parse().ok()) {
        p.sa_src_address = v;
    }
    if let Some(v) = r.parsed("sa-dst-address", ACCEPTED_ADDRESS, |s| s.parse().ok()) {
        p.sa_dst_address = v;
    }
    if let Some(v) = r.string("proposal") {
        p.proposal = v;
    }
    if let Some(v) = r.string("peer") {
        p.peer = v;
    }
    if let Some(v) = r.string("group") {
        p.group = v;
    }
    if let Some(v) = r.boolean("template") {
        p.template = v;
    }
    if let Some(v) = r.boolean("disabled") {
        p.disabled = v;
    }
    if let Some(v) = r.string("comment") {
        p.comment = v;
    }
    if let Some(v) = r.string("manual-sa") {
        // `manual-sa=none` is how RouterOS prints "no manual SA".
        p.manual_sa = (!v.is_empty() && v != "none").then_some(v);
    }
    (p, r.finish())
}

fn read_port(r: &mut Reader<'_>, key: &str) -> Option<PortMatch> {
    r.read(key, ACCEPTED_PORT, |v| match v {
        Value::Integer(n) => u16::try_from(*n)
            .map(PortMatch::Port)
            .map_err(|_| format!("{n} is out of range")),
        Value::String(s) => s.parse().map_err(|_| format!("{} is not valid", quote(s))),
        other => Err(format!("{} is not valid", show(other))),
    })
}
