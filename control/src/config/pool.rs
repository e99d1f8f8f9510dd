//! `[[pool]]`: `/ip pool`, the address ranges a mode-config responder hands out
//! (`[[mode-config]] address-pool`). Read and checked now; IKE's mode-config uses them later.

use std::net::IpAddr;

use ipnet::IpNet;
use toml::Table;

use super::error::ConfigIssue;
use super::reader::{EntryMeta, Reader, named_location, quote, read_name};

pub(crate) const POOL_KEYS: &[&str] = &["comment", "name", "next-pool", "ranges"];

const ACCEPTED_RANGE: &str = "address ranges such as \"192.0.2.10-192.0.2.99\", prefixes such as \"10.201.3.0/24\", or single addresses";

/// One run of addresses, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    pub first: IpAddr,
    pub last: IpAddr,
}

impl AddressRange {
    /// `first-last`, a prefix (all of its addresses, as RouterOS takes it) or one address.
    pub fn parse(s: &str) -> Option<Self> {
        if let Some((first, last)) = s.split_once('-') {
            let first: IpAddr = first.trim().parse().ok()?;
            let last: IpAddr = last.trim().parse().ok()?;
            return (first.is_ipv4() == last.is_ipv4() && first <= last)
                .then_some(Self { first, last });
        }
        if let Ok(net) = s.parse::<IpNet>() {
            return Some(Self {
                first: net.network(),
                last: net.broadcast(),
            });
        }
        let one: IpAddr = s.parse().ok()?;
        Some(Self {
            first: one,
            last: one,
        })
    }
}

impl std::fmt::Display for AddressRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// One `/ip pool`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pool {
    pub name: String,
    pub ranges: Vec<AddressRange>,
    /// The pool to take addresses from once this one is exhausted; `None` is the manual's
    /// `none`.
    pub next_pool: Option<String>,
    pub comment: String,
}

pub(crate) fn read_pool(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Pool, EntryMeta) {
    let location = named_location("pool", index, table);
    let mut r = Reader::new(table, location, POOL_KEYS, issues);
    let mut p = Pool {
        name: read_name(&mut r, "pool", &["none"]),
        ..Pool::default()
    };
    match r.list("ranges", ACCEPTED_RANGE, AddressRange::parse) {
        Some(ranges) if ranges.is_empty() => {
            r.issue("ranges", format!("[] is empty; accepted: {ACCEPTED_RANGE}"));
        }
        Some(ranges) => p.ranges = ranges,
        None if !r.has("ranges") => {
            r.issue("ranges", format!("missing; accepted: {ACCEPTED_RANGE}"));
        }
        None => {}
    }
    if let Some(v) = r.string("next-pool") {
        p.next_pool = (!v.is_empty() && v != "none").then_some(v);
    }
    if let Some(v) = r.string("comment") {
        p.comment = v;
    }
    if let Some(next) = &p.next_pool
        && *next == p.name
    {
        let message = format!(
            "{} is this pool itself; accepted: another [[pool]]'s name, or none",
            quote(next)
        );
        r.issue("next-pool", message);
    }
    (p, r.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_forms() {
        let r = AddressRange::parse("192.0.2.10-192.0.2.99").unwrap();
        assert_eq!(r.to_string(), "192.0.2.10-192.0.2.99");
        let r = AddressRange::parse("10.201.3.0/30").unwrap();
        assert_eq!(r.to_string(), "10.201.3.0-10.201.3.3");
        assert_eq!(
            AddressRange::parse("2001:db8::7").unwrap().to_string(),
            "2001:db8::7"
        );
        assert!(AddressRange::parse("192.0.2.99-192.0.2.10").is_none());
        assert!(AddressRange::parse("192.0.2.1-2001:db8::1").is_none());
        assert!(AddressRange::parse("pool").is_none());
    }
}
