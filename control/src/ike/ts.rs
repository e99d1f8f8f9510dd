//! Traffic selectors (RFC 7296 2.9): what an initiator asks for from a policy, and how a
//! responder narrows the peer's request to one of its policies.

use std::net::IpAddr;

use ipnet::IpNet;
use tunsec_dataplane::spd::{Policy, PortMatch};

use super::wire::TrafficSelector;

/// An address range of one family as plain integers (IPv4 in the low 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    v6: bool,
    start: u128,
    end: u128,
}

fn to_int(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_int(v6: bool, x: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(x.into())
    } else {
        IpAddr::V4((x as u32).into())
    }
}

fn range_of_net(n: &IpNet) -> Range {
    Range {
        v6: n.addr().is_ipv6(),
        start: to_int(n.network()),
        end: to_int(n.broadcast()),
    }
}

fn ports_of(p: PortMatch) -> (u16, u16) {
    match p {
        PortMatch::Any => (0, u16::MAX),
        PortMatch::Port(n) => (n, n),
    }
}

/// The selector for one side of a policy (`src` picks src-address/src-port).
pub fn of_policy(policy: &Policy, src: bool) -> TrafficSelector {
    let (net, port) = if src {
        (policy.src_address, policy.src_port)
    } else {
        (policy.dst_address, policy.dst_port)
    };
    let (start_port, end_port) = ports_of(port);
    let r = range_of_net(&net);
    TrafficSelector::new(
        policy.protocol.unwrap_or(0),
        start_port,
        end_port,
        from_int(r.v6, r.start),
        from_int(r.v6, r.end),
    )
}

fn intersect(ts: &TrafficSelector, want: &TrafficSelector) -> Option<TrafficSelector> {
    let (a, b) = (
        Range {
            v6: ts.start.is_ipv6(),
            start: to_int(ts.start),
            end: to_int(ts.end),
        },
        Range {
            v6: want.start.is_ipv6(),
            start: to_int(want.start),
            end: to_int(want.end),
        },
    );
    if a.v6 != b.v6 {
        return None;
    }
    let protocol = match (ts.ip_protocol, want.ip_protocol) {
        (0, p) | (p, 0) => p,
        (p, q) if p == q => p,
        _ => return None,
    };
    let start = a.start.max(b.start);
    let end = a.end.min(b.end);
    let sp = ts.start_port.max(want.start_port);
    let ep = ts.end_port.min(want.end_port);
    (start <= end && sp <= ep)
        .then(|| TrafficSelector::new(protocol, sp, ep, from_int(a.v6, start), from_int(a.v6, end)))
}

/// Narrows the peer's selectors to `ours`: the intersection with the first of theirs that
/// overlaps (RFC 7296 2.9), or `None` when none does.
pub fn narrow(theirs: &[TrafficSelector], ours: &TrafficSelector) -> Option<TrafficSelector> {
    theirs.iter().find_map(|t| intersect(t, ours))
}

/// Whether a selector the responder returned lies within what we asked for.
pub fn within(got: &TrafficSelector, asked: &TrafficSelector) -> bool {
    intersect(got, asked).is_some_and(|i| i == *got)
}

/// A selector as text for logs: `10.201.1.0/24` when it is a prefix, else a range.
pub fn describe(ts: &TrafficSelector) -> String {
    let (s, e) = (to_int(ts.start), to_int(ts.end));
    let v6 = ts.start.is_ipv6();
    let bits = if v6 { 128 } else { 32 };
    let span = e.wrapping_sub(s).wrapping_add(1);
    let prefix = if span == 0 {
        Some(0)
    } else if span.is_power_of_two() && s % span == 0 {
        Some(bits - span.trailing_zeros())
    } else {
        None
    };
    let addr = match prefix {
        Some(p) => format!("{}/{p}", ts.start),
        None => format!("{}-{}", ts.start, ts.end),
    };
    let mut out = addr;
    if ts.ip_protocol != 0 {
        out.push_str(&format!(" proto {}", ts.ip_protocol));
    }
    if (ts.start_port, ts.end_port) != (0, u16::MAX) {
        out.push_str(&format!(" port {}-{}", ts.start_port, ts.end_port));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(a: &str, b: &str) -> TrafficSelector {
        TrafficSelector::new(0, 0, u16::MAX, a.parse().unwrap(), b.parse().unwrap())
    }

    #[test]
    fn narrowing_takes_the_intersection() {
        let theirs = [ts("10.201.0.0", "10.201.255.255")];
        let ours = ts("10.201.1.0", "10.201.1.255");
        assert_eq!(narrow(&theirs, &ours), Some(ours.clone()));
        assert_eq!(narrow(&[ts("10.202.0.0", "10.202.0.255")], &ours), None);
        assert!(within(&ours, &theirs[0]));
        assert!(!within(&theirs[0], &ours));
    }

    #[test]
    fn describe_prefers_prefixes() {
        assert_eq!(describe(&ts("10.201.1.0", "10.201.1.255")), "10.201.1.0/24");
        assert_eq!(describe(&ts("0.0.0.0", "255.255.255.255")), "0.0.0.0/0");
        assert_eq!(describe(&ts("10.0.0.1", "10.0.0.5")), "10.0.0.1-10.0.0.5");
    }
}
