//! SPD lookup cost against table size.
//!
//! The table looks like a hub's: site-to-site /24 <-> /24 pairs, some /16 <-> /16 and
//! /32 <-> /32 pairs, port-specific /24 pairs, a few IPv6 /48 pairs, all interleaved in
//! pseudo-random order as a table edited over years would be, and an `action=none` catch-all at
//! the bottom. Selectors are 70% hits on a random specific policy and 30% misses that only the
//! catch-all takes (the worst case: every prefix shape is probed), with 5% of all selectors
//! IPv6. The target: 10,000 policies within 2x of 10.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tunsec_dataplane::spd::{IpNet, Policy, PolicyAction, PolicyTable, PortMatch, Selector};

/// xorshift64*: deterministic, so every run benchmarks the same table.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn v4(bits: u32, len: u8) -> IpNet {
    IpNet::new(IpAddr::V4(Ipv4Addr::from_bits(bits)), len).expect("prefix length")
}

fn v6(bits: u128, len: u8) -> IpNet {
    IpNet::new(IpAddr::V6(Ipv6Addr::from_bits(bits)), len).expect("prefix length")
}

fn pair(src: IpNet, dst: IpNet) -> Policy {
    Policy {
        src_address: src,
        dst_address: dst,
        tunnel: true,
        ..Policy::default()
    }
}

/// `n` policies, the last one the catch-all. Each kind draws its addresses from its own
/// numbered sequence, so no two policies duplicate each other's addresses (none is invalid).
fn table(n: usize, rng: &mut Rng) -> Vec<Policy> {
    let mut policies = Vec::with_capacity(n);
    let (mut site, mut region, mut host, mut port, mut v6_site) = (0u32, 0u32, 0u32, 0u32, 0u128);
    for i in 0..n - 1 {
        // The first few rows cover every kind, so even the 10-policy table has each shape.
        let kind = if i < 5 {
            [0, 80, 85, 90, 98][i]
        } else {
            rng.below(100)
        };
        let p = match kind {
            0..=79 => {
                site += 1;
                // Remote sites spread through 172.0.0.0/8 out of step with the local ones.
                let remote = 0xac00_0000 | (site.wrapping_mul(2_654_435_761) << 8 & 0x00ff_ff00);
                pair(v4(0x0a00_0000 + (site << 8), 24), v4(remote, 24))
            }
            80..=84 => {
                region += 1;
                pair(
                    v4(0x6400_0000 + (region << 16), 16),
                    v4(0xc000_0000 + (region << 16), 16),
                )
            }
            85..=89 => {
                host += 1;
                pair(v4(0xcb00_0000 + host, 32), v4(0xc633_0000 + host, 32))
            }
            90..=97 => {
                port += 1;
                Policy {
                    protocol: Some(6),
                    dst_port: PortMatch::Port(if port.is_multiple_of(2) { 443 } else { 22 }),
                    ..pair(
                        v4(0x0c00_0000 + (port << 8), 24),
                        v4(0x0d00_0000 + (port << 8), 24),
                    )
                }
            }
            _ => {
                v6_site += 1;
                let prefix = 0x2001_0db8_u128 << 96;
                pair(
                    v6(prefix + (v6_site << 80), 48),
                    v6(prefix + (1 << 94) + (v6_site << 80), 48),
                )
            }
        };
        policies.push(p);
    }
    policies.push(Policy {
        action: PolicyAction::None,
        ..pair(v4(0, 0), v4(0, 0))
    });
    policies
}

/// A random address inside `net`.
fn inside(net: &IpNet, rng: &mut Rng) -> IpAddr {
    match net {
        IpNet::V4(n) => {
            let host = (rng.next() as u32)
                & !u32::MAX
                    .checked_shl(32 - u32::from(n.prefix_len()))
                    .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from_bits(n.network().to_bits() | host))
        }
        IpNet::V6(n) => {
            let host = (u128::from(rng.next()) << 64 | u128::from(rng.next()))
                & !u128::MAX
                    .checked_shl(128 - u32::from(n.prefix_len()))
                    .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from_bits(n.network().to_bits() | host))
        }
    }
}

fn selectors(policies: &[Policy], count: usize, rng: &mut Rng) -> Vec<Selector> {
    let specific = &policies[..policies.len() - 1];
    (0..count)
        .map(|_| {
            let roll = rng.below(100);
            if roll < 70 {
                let p = &specific[rng.below(specific.len() as u64) as usize];
                let dst_port = match p.dst_port {
                    PortMatch::Port(port) => port,
                    PortMatch::Any => 1024 + rng.below(60000) as u16,
                };
                Selector {
                    src: inside(&p.src_address, rng),
                    dst: inside(&p.dst_address, rng),
                    protocol: p
                        .protocol
                        .unwrap_or(if roll.is_multiple_of(2) { 6 } else { 17 }),
                    src_port: 1024 + rng.below(60000) as u16,
                    dst_port,
                }
            } else if roll < 95 {
                // Internet-bound: 1.0.0.0/8 -> 8.0.0.0/8, only the catch-all matches.
                Selector {
                    src: IpAddr::V4(Ipv4Addr::from_bits(
                        0x0100_0000 | (rng.next() as u32 & 0xff_ffff),
                    )),
                    dst: IpAddr::V4(Ipv4Addr::from_bits(
                        0x0800_0000 | (rng.next() as u32 & 0xff_ffff),
                    )),
                    protocol: 17,
                    src_port: 1024 + rng.below(60000) as u16,
                    dst_port: 53,
                }
            } else {
                // IPv6 with no policy (there is no IPv6 catch-all).
                Selector {
                    src: IpAddr::V6(Ipv6Addr::from_bits(0x2a00 << 112 | u128::from(rng.next()))),
                    dst: IpAddr::V6(Ipv6Addr::from_bits(0x2a01 << 112 | u128::from(rng.next()))),
                    protocol: 6,
                    src_port: 1024 + rng.below(60000) as u16,
                    dst_port: 443,
                }
            }
        })
        .collect()
}

const SELECTORS: usize = 4096;

fn spd_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("spd_lookup");
    for n in [10usize, 1_000, 10_000, 100_000] {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
        let policies = table(n, &mut rng);
        let sels = selectors(&policies, SELECTORS, &mut rng);
        let table = PolicyTable::new(policies);
        let hits = sels
            .iter()
            .filter(|s| table.lookup(s).is_some_and(|id| id.index() + 1 < n))
            .count();
        eprintln!(
            "spd {n} policies: prefix shapes (v4, v6) {:?}, {hits}/{SELECTORS} selectors hit \
             a specific policy",
            table.shape_counts()
        );
        group.bench_with_input(
            BenchmarkId::from_parameter(n),
            &(table, sels),
            |b, (table, sels)| {
                let mut i = 0usize;
                b.iter(|| {
                    let s = &sels[i % SELECTORS];
                    i = i.wrapping_add(1);
                    black_box(table.lookup(black_box(s)))
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, spd_lookup);
criterion_main!(benches);
