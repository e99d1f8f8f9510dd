use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use proptest::prelude::*;

use super::*;
use crate::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use crate::wire::ipv6::Ipv6Repr;
use crate::wire::udp::UdpRepr;

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn policy(src: &str, dst: &str) -> Policy {
    Policy {
        src_address: net(src),
        dst_address: net(dst),
        ..Policy::default()
    }
}

fn sel(src: &str, dst: &str, protocol: u8, src_port: u16, dst_port: u16) -> Selector {
    Selector {
        src: ip(src),
        dst: ip(dst),
        protocol,
        src_port,
        dst_port,
    }
}

fn tcp(src: &str, dst: &str, dst_port: u16) -> Selector {
    sel(src, dst, 6, 40000, dst_port)
}

fn hit(table: &PolicyTable, s: &Selector) -> Option<usize> {
    table.lookup(s).map(PolicyId::index)
}

#[test]
fn first_match_from_the_top_regardless_of_specificity() {
    let table = PolicyTable::new(vec![
        policy("10.0.0.0/8", "0.0.0.0/0"),
        policy("10.1.1.0/24", "192.168.1.0/24"),
        policy("10.1.1.7/32", "192.168.1.9/32"),
    ]);
    // The broad policy on top shadows both specific ones.
    assert_eq!(hit(&table, &tcp("10.1.1.7", "192.168.1.9", 80)), Some(0));

    let table = PolicyTable::new(vec![
        policy("10.1.1.7/32", "192.168.1.9/32"),
        policy("10.1.1.0/24", "192.168.1.0/24"),
        policy("10.0.0.0/8", "0.0.0.0/0"),
    ]);
    assert_eq!(hit(&table, &tcp("10.1.1.7", "192.168.1.9", 80)), Some(0));
    assert_eq!(hit(&table, &tcp("10.1.1.8", "192.168.1.9", 80)), Some(1));
    assert_eq!(hit(&table, &tcp("10.2.0.1", "8.8.8.8", 80)), Some(2));
    assert_eq!(hit(&table, &tcp("11.0.0.1", "8.8.8.8", 80)), None);
    let (id, p) = table
        .lookup_policy(&tcp("10.1.1.8", "192.168.1.9", 80))
        .unwrap();
    assert_eq!((id.index(), p.src_address), (1, net("10.1.1.0/24")));
}

#[test]
fn host_bits_in_a_prefix_are_ignored() {
    let table = PolicyTable::new(vec![policy("10.1.1.77/24", "192.168.1.1/16")]);
    assert_eq!(hit(&table, &tcp("10.1.1.1", "192.168.200.1", 80)), Some(0));
}

#[test]
fn defaults_match_only_0_0_0_0() {
    let table = PolicyTable::new(vec![Policy::default()]);
    assert_eq!(hit(&table, &tcp("0.0.0.0", "0.0.0.0", 1)), Some(0));
    assert_eq!(hit(&table, &tcp("0.0.0.1", "0.0.0.0", 1)), None);
}

#[test]
fn disabled_and_template_policies_are_skipped() {
    let table = PolicyTable::new(vec![
        Policy {
            disabled: true,
            ..policy("10.0.0.0/8", "10.0.0.0/8")
        },
        Policy {
            template: true,
            ..policy("10.0.0.0/8", "10.0.0.0/8")
        },
        policy("10.1.0.0/16", "10.2.0.0/16"),
    ]);
    assert_eq!(hit(&table, &tcp("10.1.0.1", "10.2.0.1", 22)), Some(2));
    assert_eq!(hit(&table, &tcp("10.3.0.1", "10.2.0.1", 22)), None);
    let flags: Vec<String> = table.iter().map(|r| r.flags.to_string()).collect();
    assert_eq!(flags, ["X", "T", "A"]);
}

#[test]
fn duplicate_addresses_are_invalid_and_not_matched() {
    let table = PolicyTable::new(vec![
        Policy {
            dst_port: PortMatch::Port(22),
            ..policy("10.1.0.0/16", "10.2.0.0/16")
        },
        // Same src-address and dst-address (after masking) as the first: invalid, even
        // though its ports differ — the manual compares addresses only.
        Policy {
            dst_port: PortMatch::Port(80),
            ..policy("10.1.9.9/16", "10.2.0.0/16")
        },
        // A disabled earlier duplicate does not invalidate a later one.
        Policy {
            disabled: true,
            ..policy("10.5.0.0/16", "10.6.0.0/16")
        },
        policy("10.5.0.0/16", "10.6.0.0/16"),
        // Nor does a template.
        Policy {
            template: true,
            ..policy("10.7.0.0/16", "10.8.0.0/16")
        },
        policy("10.7.0.0/16", "10.8.0.0/16"),
        // Different family, same bits: not a duplicate.
        policy("::/0", "::/0"),
        policy("::/0", "::/0"),
        // A source and destination of different families can match nothing.
        policy("10.0.0.0/8", "::/0"),
    ]);
    let invalid: Vec<bool> = table.iter().map(|r| r.flags.invalid).collect();
    assert_eq!(
        invalid,
        [false, true, false, false, false, false, false, true, true]
    );
    let active: Vec<bool> = table.iter().map(|r| r.flags.active).collect();
    assert_eq!(
        active,
        [true, false, false, true, false, true, true, false, false]
    );
    assert_eq!(table.flags(PolicyId(1)).to_string(), "I");
    assert_eq!(hit(&table, &tcp("10.1.0.1", "10.2.0.1", 22)), Some(0));
    assert_eq!(hit(&table, &tcp("10.1.0.1", "10.2.0.1", 80)), None);
    assert_eq!(hit(&table, &tcp("10.5.0.1", "10.6.0.1", 80)), Some(3));
    assert_eq!(hit(&table, &tcp("10.7.0.1", "10.8.0.1", 80)), Some(5));
    assert_eq!(hit(&table, &tcp("2001:db8::1", "2001:db8::2", 80)), Some(6));
}

#[test]
fn ports_and_protocol_any_versus_specific() {
    let table = PolicyTable::new(vec![
        Policy {
            protocol: Some(6),
            dst_port: PortMatch::Port(22),
            ..policy("10.1.0.0/16", "10.2.0.0/16")
        },
        Policy {
            protocol: Some(17),
            src_port: PortMatch::Port(53),
            ..policy("10.1.0.0/24", "10.2.0.0/24")
        },
        Policy {
            protocol: Some(1),
            ..policy("10.1.0.0/25", "10.2.0.0/25")
        },
        policy("10.0.0.0/8", "10.0.0.0/8"),
    ]);
    assert_eq!(hit(&table, &tcp("10.1.0.1", "10.2.0.1", 22)), Some(0));
    assert_eq!(hit(&table, &tcp("10.1.0.1", "10.2.0.1", 23)), Some(3));
    assert_eq!(
        hit(&table, &sel("10.1.0.1", "10.2.0.1", 17, 53, 22)),
        Some(1)
    );
    assert_eq!(
        hit(&table, &sel("10.1.0.1", "10.2.0.1", 17, 54, 22)),
        Some(3)
    );
    assert_eq!(hit(&table, &sel("10.1.0.1", "10.2.0.1", 1, 0, 0)), Some(2));
    assert_eq!(
        hit(&table, &sel("10.1.0.200", "10.2.0.1", 1, 0, 0)),
        Some(3)
    );
    // A port-specific policy does not match a port-less packet.
    assert_eq!(hit(&table, &sel("10.1.0.1", "10.2.0.1", 6, 0, 0)), Some(3));
}

#[test]
fn ipv4_and_ipv6_tables_mixed() {
    let table = PolicyTable::new(vec![
        policy("2001:db8:1::/48", "2001:db8:2::/48"),
        policy("10.1.0.0/16", "10.2.0.0/16"),
        policy("::/0", "::/0"),
        policy("0.0.0.0/0", "0.0.0.0/0"),
    ]);
    assert_eq!(
        hit(&table, &tcp("2001:db8:1::5", "2001:db8:2::9", 443)),
        Some(0)
    );
    assert_eq!(
        hit(&table, &tcp("2001:db8:3::5", "2001:db8:2::9", 443)),
        Some(2)
    );
    assert_eq!(hit(&table, &tcp("10.1.0.1", "10.2.0.1", 443)), Some(1));
    assert_eq!(hit(&table, &tcp("10.9.0.1", "10.2.0.1", 443)), Some(3));
    assert_eq!(table.shape_counts(), (2, 2));
}

#[test]
fn ipv4_selector_never_matches_an_ipv6_policy() {
    let table = PolicyTable::new(vec![
        policy("::/0", "::/0"),
        // ::ffff:10.1.0.1 is an IPv4-mapped IPv6 address, not IPv4.
        policy("::ffff:10.1.0.0/112", "::ffff:10.2.0.0/112"),
    ]);
    assert_eq!(hit(&table, &tcp("10.1.0.1", "10.2.0.1", 80)), None);
    assert_eq!(hit(&table, &tcp("0.0.0.0", "0.0.0.0", 80)), None);
    // Nor an IPv6 selector an IPv4 one; a selector mixing families matches nothing.
    let table = PolicyTable::new(vec![policy("0.0.0.0/0", "0.0.0.0/0")]);
    assert_eq!(hit(&table, &tcp("::", "::", 80)), None);
    assert_eq!(hit(&table, &tcp("10.0.0.1", "::1", 80)), None);
}

#[test]
fn workers_can_share_a_table() {
    fn shareable<T: Send + Sync>() {}
    shareable::<PolicyTable>();
}

#[test]
fn empty_table() {
    let table = PolicyTable::default();
    assert!(table.is_empty());
    assert_eq!(hit(&table, &tcp("10.0.0.1", "10.0.0.2", 80)), None);
}

#[test]
fn ike_bypass() {
    let out = sel("192.0.2.1", "198.51.100.1", 17, 500, 500);
    assert!(is_ike_bypass(&out, true));
    let out = sel("192.0.2.1", "198.51.100.1", 17, 4500, 4500);
    assert!(is_ike_bypass(&out, true));
    // Sent from another port to a peer's 500: not our IKE daemon.
    assert!(!is_ike_bypass(
        &sel("192.0.2.1", "198.51.100.1", 17, 5000, 500),
        true
    ));
    // Received on 500/4500.
    assert!(is_ike_bypass(
        &sel("198.51.100.1", "192.0.2.1", 17, 1024, 500),
        false
    ));
    assert!(is_ike_bypass(
        &sel("198.51.100.1", "192.0.2.1", 17, 1024, 4500),
        false
    ));
    assert!(!is_ike_bypass(
        &sel("198.51.100.1", "192.0.2.1", 17, 500, 1024),
        false
    ));
    // TCP to 500 is not IKE.
    assert!(!is_ike_bypass(
        &sel("198.51.100.1", "192.0.2.1", 6, 1024, 500),
        false
    ));
    assert!(is_ike_bypass(
        &sel("2001:db8::1", "2001:db8::2", 17, 500, 500),
        true
    ));
}

#[test]
fn templates_match_requested_subnets_within_them() {
    let table = PolicyTable::new(vec![
        policy("10.0.0.0/8", "10.0.0.0/8"),
        Policy {
            template: true,
            group: "rw".into(),
            ..policy("10.1.0.0/16", "0.0.0.0/0")
        },
        Policy {
            template: true,
            protocol: Some(17),
            group: "rw".into(),
            ..policy("10.0.0.0/8", "0.0.0.0/0")
        },
        Policy {
            template: true,
            disabled: true,
            ..policy("0.0.0.0/0", "0.0.0.0/0")
        },
        // RouterOS's default template.
        Policy {
            template: true,
            ..policy("::/0", "::/0")
        },
    ]);
    let t = |group: &str, src: &str, dst: &str, proto: u8| {
        table
            .match_template(group, &net(src), &net(dst), proto)
            .map(PolicyId::index)
    };
    assert_eq!(t("rw", "10.1.2.0/24", "172.16.0.5/32", 6), Some(1));
    assert_eq!(t("rw", "10.1.0.0/16", "0.0.0.0/0", 6), Some(1));
    // Wider than the template's source: not within it.
    assert_eq!(t("rw", "10.0.0.0/15", "172.16.0.5/32", 6), None);
    assert_eq!(t("rw", "10.0.0.0/15", "172.16.0.5/32", 17), Some(2));
    assert_eq!(t("rw", "2001:db8::/64", "::/0", 6), None);
    // The disabled template is skipped; the default one takes both families.
    assert_eq!(t("default", "192.168.0.0/24", "0.0.0.0/0", 6), Some(4));
    assert_eq!(t("default", "2001:db8::/64", "::/0", 6), Some(4));
    assert_eq!(t("other", "10.1.2.0/24", "10.1.2.0/24", 6), None);
}

#[test]
fn phase2_state_is_set_by_id_and_printed() {
    let table = PolicyTable::from_entries([
        (policy("10.1.0.0/16", "10.2.0.0/16"), Origin::Static),
        (policy("10.3.0.0/16", "10.4.0.0/16"), Origin::Dynamic),
    ]);
    let id = table.id_at(1).unwrap();
    assert_eq!(table.id_at(2), None);
    assert_eq!(table.ph2_state(id), Ph2State::NoPhase2);
    assert_eq!(table.ph2_count(id), 0);
    table.set_ph2_state(id, Ph2State::Established);
    table.set_ph2_count(id, 2);
    let rows: Vec<_> = table.iter().collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[1].ph2_state, rows[1].ph2_count),
        (Ph2State::Established, 2)
    );
    assert_eq!(
        (rows[0].ph2_state, rows[0].ph2_count),
        (Ph2State::NoPhase2, 0)
    );
    assert_eq!(rows[1].flags.to_string(), "DA");
    table.set_ph2_state(id, Ph2State::Expired);
    assert_eq!(table.ph2_state(id), Ph2State::Expired);
}

// ---- the key property: the index agrees with a linear first-match scan ----

/// The reference: the manual's semantics written as plainly as possible. A policy takes part
/// when enabled, not a template, of one address family, and no earlier enabled non-template
/// policy has the same source and destination prefixes.
fn naive_eligible(policies: &[Policy], i: usize) -> bool {
    let enabled = |q: &Policy| !q.disabled && !q.template;
    let p = &policies[i];
    let same_family = p.src_address.network().is_ipv4() == p.dst_address.network().is_ipv4();
    enabled(p)
        && same_family
        && !policies[..i].iter().any(|q| {
            enabled(q)
                && q.src_address.trunc() == p.src_address.trunc()
                && q.dst_address.trunc() == p.dst_address.trunc()
        })
}

fn naive_lookup(policies: &[Policy], s: &Selector) -> Option<usize> {
    (0..policies.len()).find(|&i| naive_eligible(policies, i) && policies[i].matches(s))
}

/// Addresses from a space small enough that random prefixes overlap often: 10.0.0.0/28 and
/// 2001:db8::/124, plus an occasional outsider only short prefixes cover.
fn address(v6: bool) -> impl Strategy<Value = IpAddr> {
    (0u8..16, prop::bool::weighted(0.1)).prop_map(move |(low, outsider)| {
        let high = if outsider { 0xc0 } else { 0x0a };
        if v6 {
            let first = if outsider { 0xfe80 } else { 0x2001 };
            IpAddr::V6(Ipv6Addr::new(first, 0xdb8, 0, 0, 0, 0, 0, u16::from(low)))
        } else {
            IpAddr::V4(Ipv4Addr::new(high, 0, 0, low))
        }
    })
}

fn prefix(v6: bool) -> impl Strategy<Value = IpNet> {
    let width: u8 = if v6 { 128 } else { 32 };
    // Mostly lengths that discriminate inside the 16-address space, some catch-alls, some
    // arbitrary.
    let len = prop_oneof![
        6 => (width - 4)..=width,
        1 => Just(0u8),
        1 => 0..=width,
    ];
    (address(v6), len).prop_map(|(a, len)| IpNet::new(a, len).unwrap())
}

fn port_match() -> impl Strategy<Value = PortMatch> {
    prop_oneof![2 => Just(PortMatch::Any), 1 => (0u16..3).prop_map(PortMatch::Port)]
}

fn random_policy() -> impl Strategy<Value = Policy> {
    let family = prop_oneof![
        4 => Just((false, false)),
        3 => Just((true, true)),
        1 => (any::<bool>(), any::<bool>()),
    ];
    family
        .prop_flat_map(|(src_v6, dst_v6)| {
            (
                prefix(src_v6),
                prefix(dst_v6),
                prop::option::weighted(0.4, prop::sample::select(vec![1u8, 6, 17])),
                port_match(),
                port_match(),
                prop::bool::weighted(0.15),
                prop::bool::weighted(0.1),
            )
        })
        .prop_map(
            |(src, dst, protocol, src_port, dst_port, disabled, template)| Policy {
                src_address: src,
                dst_address: dst,
                protocol,
                src_port,
                dst_port,
                disabled,
                template,
                ..Policy::default()
            },
        )
}

fn random_selector() -> impl Strategy<Value = Selector> {
    any::<bool>()
        .prop_flat_map(|v6| {
            (
                address(v6),
                address(v6),
                prop::sample::select(vec![1u8, 6, 17, 50]),
                0u16..4,
                0u16..4,
            )
        })
        .prop_map(|(src, dst, protocol, src_port, dst_port)| Selector {
            src,
            dst,
            protocol,
            src_port,
            dst_port,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lookup_agrees_with_a_linear_first_match_scan(
        policies in prop::collection::vec(random_policy(), 0..64),
        selectors in prop::collection::vec(random_selector(), 1..64),
    ) {
        let table = PolicyTable::new(policies.clone());
        for s in &selectors {
            prop_assert_eq!(hit(&table, s), naive_lookup(&policies, s), "selector {:?}", s);
        }
        for row in table.iter() {
            let i = row.id.index();
            let p = &policies[i];
            let eligible = naive_eligible(&policies, i);
            prop_assert_eq!(row.flags.active, eligible);
            prop_assert_eq!(row.flags.invalid, !eligible && !p.disabled && !p.template);
        }
    }
}

// ---- Selector::from_packet ----

fn udp_v4(src_port: u16, dst_port: u16) -> Vec<u8> {
    let mut p = vec![0u8; 20 + 8 + 4];
    Ipv4Repr {
        src: Ipv4Addr::new(10, 1, 0, 1),
        dst: Ipv4Addr::new(10, 2, 0, 1),
        protocol: 17,
        payload_len: 12,
        ttl: 64,
        tos: 0,
        ident: 7,
        dont_fragment: false,
    }
    .emit(&mut p)
    .unwrap();
    UdpRepr {
        src_port,
        dst_port,
        payload_len: 4,
    }
    .emit(&mut p[20..])
    .unwrap();
    p
}

#[test]
fn selector_from_ipv4_udp() {
    let p = udp_v4(500, 4500);
    assert_eq!(
        Selector::from_packet(&p),
        Ok(sel("10.1.0.1", "10.2.0.1", 17, 500, 4500))
    );
}

#[test]
fn selector_from_ipv4_fragments() {
    // First fragment (MF set, offset 0): ports are there.
    let mut p = udp_v4(1000, 53);
    Ipv4Packet::new_unchecked(&mut p[..]).set_flags_frag(0x2000);
    assert_eq!(Selector::from_packet(&p).unwrap().dst_port, 53);
    // Non-first fragment: whatever follows the header is not a transport header.
    Ipv4Packet::new_unchecked(&mut p[..]).set_flags_frag(0x0001);
    let s = Selector::from_packet(&p).unwrap();
    assert_eq!((s.protocol, s.src_port, s.dst_port), (17, 0, 0));
}

#[test]
fn selector_refuses_truncated_headers() {
    let p = udp_v4(1000, 53);
    // IPv4 total length says 32 bytes; hand it less.
    assert!(matches!(
        Selector::from_packet(&p[..30]),
        Err(SelectorError::Ip(_))
    ));
    // An IP header whose payload cannot hold the ports.
    let mut short = vec![0u8; 22];
    Ipv4Repr {
        src: Ipv4Addr::new(10, 1, 0, 1),
        dst: Ipv4Addr::new(10, 2, 0, 1),
        protocol: 6,
        payload_len: 2,
        ttl: 64,
        tos: 0,
        ident: 7,
        dont_fragment: false,
    }
    .emit(&mut short)
    .unwrap();
    assert_eq!(
        Selector::from_packet(&short),
        Err(SelectorError::TruncatedTransport)
    );
    // ICMP has no ports, so a short payload is fine.
    Ipv4Packet::new_unchecked(&mut short[..]).set_protocol(1);
    let s = Selector::from_packet(&short).unwrap();
    assert_eq!((s.protocol, s.src_port, s.dst_port), (1, 0, 0));
    assert!(Selector::from_packet(&[]).is_err());
    assert!(Selector::from_packet(&[0x50; 40]).is_err());
}

fn ipv6_with(next_header: u8, rest: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    Ipv6Repr {
        src: "2001:db8:1::1".parse().unwrap(),
        dst: "2001:db8:2::1".parse().unwrap(),
        next_header,
        payload_len: rest.len(),
        hop_limit: 64,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut p)
    .unwrap();
    p.extend_from_slice(rest);
    p
}

// Hop-by-hop (8 bytes, next: routing), routing (8 bytes, next: destination options),
// destination options (8 bytes, next: TCP), then TCP ports 40000 -> 443.
static V6_EXTENSIONS_THEN_TCP: [u8; 28] = [
    43, 0, 1, 4, 0, 0, 0, 0, // hop-by-hop, PadN
    60, 0, 0, 0, 0, 0, 0, 0, // routing type 0, segments left 0
    6, 0, 1, 4, 0, 0, 0, 0, // destination options, PadN
    0x9c, 0x40, 0x01, 0xbb, // TCP source and destination port
];

// Fragment header (next: UDP) with offset 0 and M set, then UDP 5353 -> 53.
static V6_FIRST_FRAGMENT_UDP: [u8; 12] = [17, 0, 0x00, 0x01, 0, 0, 0, 9, 0x14, 0xe9, 0x00, 0x35];

// Fragment header (next: UDP) with offset 8 bytes: no transport header here.
static V6_LATER_FRAGMENT_UDP: [u8; 12] = [17, 0, 0x00, 0x08, 0, 0, 0, 9, 0x14, 0xe9, 0x00, 0x35];

#[test]
fn selector_from_ipv6_skips_extension_headers() {
    let p = ipv6_with(0, &V6_EXTENSIONS_THEN_TCP);
    assert_eq!(
        Selector::from_packet(&p),
        Ok(sel("2001:db8:1::1", "2001:db8:2::1", 6, 40000, 443))
    );
    let p = ipv6_with(44, &V6_FIRST_FRAGMENT_UDP);
    let s = Selector::from_packet(&p).unwrap();
    assert_eq!((s.protocol, s.src_port, s.dst_port), (17, 5353, 53));
    let p = ipv6_with(44, &V6_LATER_FRAGMENT_UDP);
    let s = Selector::from_packet(&p).unwrap();
    assert_eq!((s.protocol, s.src_port, s.dst_port), (17, 0, 0));
    // An extension header running past the packet.
    let p = ipv6_with(0, &V6_EXTENSIONS_THEN_TCP[..12]);
    assert!(matches!(
        Selector::from_packet(&p),
        Err(SelectorError::Ip(_))
    ));
    // ICMPv6 straight after the fixed header.
    let p = ipv6_with(58, &[128, 0, 0, 0]);
    let s = Selector::from_packet(&p).unwrap();
    assert_eq!((s.protocol, s.src_port, s.dst_port), (58, 0, 0));
}

#[test]
fn packets_find_their_policy() {
    let table = PolicyTable::new(vec![
        Policy {
            action: PolicyAction::None,
            ..policy("2001:db8:1::/48", "2001:db8:2::/48")
        },
        Policy {
            protocol: Some(17),
            dst_port: PortMatch::Port(4500),
            ..policy("10.1.0.0/16", "10.2.0.0/16")
        },
    ]);
    let s = Selector::from_packet(&udp_v4(500, 4500)).unwrap();
    assert_eq!(hit(&table, &s), Some(1));
    let s = Selector::from_packet(&ipv6_with(0, &V6_EXTENSIONS_THEN_TCP)).unwrap();
    assert_eq!(
        table.lookup_policy(&s).map(|(_, p)| p.action),
        Some(PolicyAction::None)
    );
}
