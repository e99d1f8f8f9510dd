//! ESP and AH throughput next to the raw cryptography ceiling, for every transform in
//! [`TRANSFORMS`] at every inner packet size in [`SIZES`] (tunnel mode, IPv4 outer and inner).
//!
//! Each (transform, size) runs four benchmarks back to back, so the engine and its baseline see
//! the same machine load (the build machines are shared; only ratios are worth reading):
//!
//! - `esp/<t>/encap/<size>` (`ah/...` for AH): copy the inner packet into a pool buffer, then
//!   `esp::encapsulate`.
//! - `raw/<t>/seal/<size>`: copy the inner packet into the same buffer, then only the crypto
//!   (AEAD seal with 8 bytes of AAD, or cipher + HMAC) over it, with the same crates.
//! - `esp/<t>/decap/<size>`: copy a received packet into the buffer, parse its outer headers,
//!   `esp::decapsulate` (replay window of 1024 on).
//! - `raw/<t>/open/<size>`: copy a sealed inner packet and its tag in, verify and decrypt.
//!
//! Throughput is the inner packet length, so bytes/s compare directly. Every iteration works on
//! a different packet from a ring of pre-built ones: decapsulation needs a fresh sequence number
//! each time, so the inbound SA is re-created (untimed) whenever the ring starts over. The timed
//! loops allocate nothing (see `tests/no_alloc.rs`). `scripts/bench-esp.sh` turns the results
//! into a table of ratios.
//!
//! Paired mode: with `TUNSEC_PAIRED=aes-128-gcm/1400[,<transform>/<size>...]` in the
//! environment the binary skips criterion and, for `TUNSEC_PAIRED_SECS` seconds (default 10)
//! per entry, runs the four operations in rotating order one ring pass at a time, so all four
//! share every moment of machine load. Interference only ever adds time, so low percentiles
//! of the per-pass times and the per-round ratios estimate the unloaded ratio far more stably
//! than separate criterion runs on a busy machine.

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use tunsec_benches::raw::{self, RawCrypto};
use tunsec_benches::{
    SIZES, TRANSFORMS, Transform, decap_from, encap_into, esp_header, esp_payload_len,
    esp_transform, inner_ring, new_sa, ring_len, storage_for, wire_ring,
};
use tunsec_dataplane::buf::DEFAULT_HEADROOM;
use tunsec_dataplane::crypto::{EspTransform, cpu};
use tunsec_dataplane::sa::{Direction, SecurityAssociation};

/// Runs `op` over `iters` packets of `ring`, in ring order, starting over at its first packet
/// when it runs out. `reset` runs before each pass, outside the timed region; so does the
/// check that every `op` succeeded (a failing packet would take a shorter path).
fn timed_passes<S, P>(
    iters: u64,
    ring: &[P],
    state: &mut S,
    mut reset: impl FnMut(&mut S),
    mut op: impl FnMut(&mut S, u64, &P) -> bool,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    let mut failed = 0u64;
    while left > 0 {
        let take = left.min(ring.len() as u64) as usize;
        reset(state);
        let start = Instant::now();
        for (i, packet) in ring[..take].iter().enumerate() {
            failed += u64::from(!op(state, i as u64, packet));
        }
        total += start.elapsed();
        left -= take as u64;
    }
    assert_eq!(failed, 0, "{failed} of {iters} packets failed");
    total
}

/// The four operations measured for one (transform, size), over rings of packets built on
/// first use: criterion only runs the closures of benchmarks that pass the filter, so a
/// filtered run (or a profile) skips the setup of all the others.
struct Fixture<'t> {
    t: &'t Transform,
    size: usize,
    raw: Option<Box<dyn RawCrypto>>,
    /// Inner packets, as the TUN device hands them over.
    inner: OnceCell<Vec<Vec<u8>>>,
    /// The inner packets encapsulated, sequence numbers 1..=n.
    wire: OnceCell<Vec<Vec<u8>>>,
    /// The inner packets sealed by the raw baseline (ciphertext ‖ tag).
    sealed: OnceCell<Vec<Vec<u8>>>,
    /// Paired mode only: the SA's transform object alone, and packets it sealed
    /// (IV ‖ payload ‖ ICV, sequence numbers 1..=n).
    transform: Option<Box<dyn EspTransform>>,
    transform_sealed: OnceCell<Vec<Vec<u8>>>,
    /// One pool buffer for all four operations, as a worker reuses its buffers. ESP adds at
    /// most 84 bytes around the inner packet; its padding goes into the default tailroom.
    storage: Vec<u8>,
    outbound: SecurityAssociation,
    inbound: SecurityAssociation,
}

impl<'t> Fixture<'t> {
    fn new(t: &'t Transform, size: usize) -> Self {
        Self {
            t,
            size,
            raw: raw::for_transform(t),
            inner: OnceCell::new(),
            wire: OnceCell::new(),
            sealed: OnceCell::new(),
            transform: esp_transform(t),
            transform_sealed: OnceCell::new(),
            storage: storage_for(size + 128),
            outbound: new_sa(t, Direction::Outbound),
            inbound: new_sa(t, Direction::Inbound),
        }
    }

    fn ring_len(&self) -> u64 {
        ring_len(self.size) as u64
    }

    fn encap(&mut self, iters: u64) -> Duration {
        let inner = self
            .inner
            .get_or_init(|| inner_ring(self.size, ring_len(self.size)));
        let storage = &mut self.storage;
        timed_passes(
            iters,
            inner,
            &mut self.outbound,
            |sa| sa.set_next_sequence(1),
            |sa, _, p| encap_into(sa, storage, p).map(black_box).is_ok(),
        )
    }

    fn decap(&mut self, iters: u64) -> Duration {
        let (t, size) = (self.t, self.size);
        let inner = self.inner.get_or_init(|| inner_ring(size, ring_len(size)));
        let wire = self.wire.get_or_init(|| wire_ring(t, inner));
        let storage = &mut self.storage;
        timed_passes(
            iters,
            wire,
            &mut self.inbound,
            // The ring's sequence numbers start at 1 again: a fresh SA takes them.
            |sa| *sa = new_sa(t, Direction::Inbound),
            |sa, _, w| decap_from(sa, storage, w).map(black_box).is_ok(),
        )
    }

    /// `None` when the transform has no raw baseline.
    fn seal(&mut self, iters: u64) -> Option<Duration> {
        let raw = self.raw.as_deref()?;
        let size = self.size;
        let inner = self.inner.get_or_init(|| inner_ring(size, ring_len(size)));
        let (len, tag_len) = (raw.sealed_len(size), raw.tag_len());
        let storage = &mut self.storage;
        let mut tag = [0u8; 32];
        Some(timed_passes(
            iters,
            inner,
            &mut (),
            |_| {},
            |_, i, p| {
                let body = &mut storage[DEFAULT_HEADROOM..DEFAULT_HEADROOM + len];
                body[..size].copy_from_slice(p);
                raw.seal(i, body, &mut tag[..tag_len]);
                black_box(&tag);
                true
            },
        ))
    }

    fn open(&mut self, iters: u64) -> Option<Duration> {
        let raw = self.raw.as_deref()?;
        let size = self.size;
        let inner = self.inner.get_or_init(|| inner_ring(size, ring_len(size)));
        let sealed = self.sealed.get_or_init(|| raw::sealed_ring(raw, inner));
        let len = raw.sealed_len(size);
        let storage = &mut self.storage;
        Some(timed_passes(
            iters,
            sealed,
            &mut (),
            |_| {},
            |_, i, s| {
                let at = &mut storage[DEFAULT_HEADROOM..DEFAULT_HEADROOM + s.len()];
                at.copy_from_slice(s);
                let (body, tag) = at.split_at_mut(len);
                black_box(raw.open(i, body, tag))
            },
        ))
    }

    /// Paired mode: `EspTransform::seal` alone on the ESP payload (inner packet, padding and
    /// trailer) where `encap` has it, after the same copy of the inner packet.
    fn transform_seal(&mut self, iters: u64) -> Option<Duration> {
        let t = self.transform.as_deref()?;
        let size = self.size;
        let inner = self.inner.get_or_init(|| inner_ring(size, ring_len(size)));
        let (iv_len, icv_len) = (t.iv_len(), t.icv_len());
        let payload_len = esp_payload_len(t, size);
        let storage = &mut self.storage;
        Some(timed_passes(
            iters,
            inner,
            &mut (),
            |_| {},
            |_, i, p| {
                let at = DEFAULT_HEADROOM - iv_len;
                let region = &mut storage[at..DEFAULT_HEADROOM + payload_len + icv_len];
                let (iv, rest) = region.split_at_mut(iv_len);
                rest[..size].copy_from_slice(p);
                let (payload, icv) = rest.split_at_mut(payload_len);
                t.seal(&esp_header(i as u32 + 1), None, iv, payload, icv);
                true
            },
        ))
    }

    /// Paired mode: `EspTransform::open` alone, the payload at the offset `decap` has it.
    fn transform_open(&mut self, iters: u64) -> Option<Duration> {
        let t = self.transform.as_deref()?;
        let size = self.size;
        let inner = self.inner.get_or_init(|| inner_ring(size, ring_len(size)));
        let (iv_len, icv_len) = (t.iv_len(), t.icv_len());
        let payload_len = esp_payload_len(t, size);
        let sealed = self.transform_sealed.get_or_init(|| {
            inner
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut packet = vec![0u8; iv_len + payload_len + icv_len];
                    let (iv, rest) = packet.split_at_mut(iv_len);
                    rest[..size].copy_from_slice(p);
                    let (payload, icv) = rest.split_at_mut(payload_len);
                    t.seal(&esp_header(i as u32 + 1), None, iv, payload, icv);
                    packet
                })
                .collect()
        });
        // Outer IPv4 header and ESP header in front, as a received packet has them.
        let at = DEFAULT_HEADROOM + 20 + 8;
        let storage = &mut self.storage;
        Some(timed_passes(
            iters,
            sealed,
            &mut (),
            |_| {},
            |_, i, s| {
                let region = &mut storage[at..at + s.len()];
                region.copy_from_slice(s);
                let (iv, rest) = region.split_at_mut(iv_len);
                let (payload, icv) = rest.split_at_mut(payload_len);
                t.open(&esp_header(i as u32 + 1), None, iv, payload, icv)
                    .is_ok()
            },
        ))
    }
}

fn bench_size(c: &mut Criterion, t: &Transform, size: usize) {
    let mut f = Fixture::new(t, size);
    let engine = t.engine_prefix();
    let has_raw = f.raw.is_some();
    // Engine and baseline alternate so that each pair runs close together in time.
    let benches: [(&str, &str, bool); 4] = [
        (engine, "encap", true),
        ("raw", "seal", has_raw),
        (engine, "decap", true),
        ("raw", "open", has_raw),
    ];
    for (prefix, op, present) in benches {
        if !present {
            continue;
        }
        let mut group = c.benchmark_group(format!("{prefix}/{}/{op}", t.name));
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter_custom(|iters| match op {
                "encap" => f.encap(iters),
                "decap" => f.decap(iters),
                "seal" => f.seal(iters).unwrap_or_default(),
                _ => f.open(iters).unwrap_or_default(),
            })
        });
        group.finish();
    }
}

/// One line each that `scripts/bench-esp.sh` picks out of the log: what the engine detects
/// and whether it calls each transform accelerated (`hw-aead`).
fn describe_machine() {
    let features = cpu::detect()
        .list()
        .iter()
        .map(|(name, on)| format!("{name}={}", if *on { "yes" } else { "no" }))
        .collect::<Vec<_>>()
        .join(" ");
    println!("tunsec-bench cpu: {features}");
    for t in TRANSFORMS {
        let sa = new_sa(t, Direction::Outbound);
        println!(
            "tunsec-bench transform: {} accelerated={}",
            t.name,
            sa.hw_aead()
        );
    }
}

fn benches(c: &mut Criterion) {
    describe_machine();
    for t in TRANSFORMS {
        for size in SIZES {
            bench_size(c, t, size);
        }
    }
}

/// The `q` quantile (0..=1) of `v`, which it sorts.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let at = ((v.len() - 1) as f64 * q).round() as usize;
    v[at]
}

/// The operations paired mode alternates, in rotation order.
const PAIRED_OPS: [&str; 6] = ["encap", "tseal", "seal", "decap", "topen", "open"];

fn run_op(f: &mut Fixture, op: usize, iters: u64) -> Option<Duration> {
    match PAIRED_OPS[op] {
        "encap" => Some(f.encap(iters)),
        "tseal" => f.transform_seal(iters),
        "seal" => f.seal(iters),
        "decap" => Some(f.decap(iters)),
        "topen" => f.transform_open(iters),
        _ => f.open(iters),
    }
}

/// Paired mode for one `transform/size`: see the module comment. Besides the engine and the
/// raw crate it times the SA's `EspTransform` object alone (`tseal`/`topen`, ESP only), which
/// splits the engine's overhead into the transform wrapper (`crypto/`) and the framing around
/// it (`esp.rs`, `mode.rs`, `sa.rs`, `replay.rs`).
fn paired(spec: &str, budget: Duration) {
    let Some((name, size)) = spec.split_once('/') else {
        panic!("TUNSEC_PAIRED entry {spec:?} is not <transform>/<size>");
    };
    let t = TRANSFORMS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no transform {name:?}"));
    let size: usize = size
        .parse()
        .unwrap_or_else(|_| panic!("size {size:?} is not a number"));
    let mut f = Fixture::new(t, size);
    let n = f.ring_len();
    // Warm-up pass of each operation; also builds the rings outside the measurement.
    let ops: Vec<usize> = (0..PAIRED_OPS.len())
        .filter(|&op| run_op(&mut f, op, n).is_some())
        .collect();
    assert!(
        ops.iter().any(|&op| PAIRED_OPS[op] == "seal"),
        "paired mode needs a raw baseline"
    );
    // Per-packet nanoseconds of each pass, by operation.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); PAIRED_OPS.len()];
    let start = Instant::now();
    let mut round = 0usize;
    while start.elapsed() < budget {
        for k in 0..ops.len() {
            let op = ops[(round + k) % ops.len()];
            if let Some(d) = run_op(&mut f, op, n) {
                times[op].push(d.as_nanos() as f64 / n as f64);
            }
        }
        round += 1;
    }
    let at = |name: &str| PAIRED_OPS.iter().position(|o| *o == name).unwrap_or(0);
    let (e, s, d, o) = (at("encap"), at("seal"), at("decap"), at("open"));
    // Ratios within one round: its passes ran within a millisecond or two of each other.
    let per_round = |num: &[usize], den: &[usize]| -> Vec<f64> {
        (0..round)
            .map(|r| {
                num.iter().map(|&i| times[i][r]).sum::<f64>()
                    / den.iter().map(|&i| times[i][r]).sum::<f64>()
            })
            .collect()
    };
    let (mut es, mut dop, mut both) = (
        per_round(&[s], &[e]),
        per_round(&[o], &[d]),
        per_round(&[s, o], &[e, d]),
    );

    println!(
        "tunsec-paired {name}/{size}: {round} rounds of {} x {n} packets in {:.1} s",
        ops.len(),
        start.elapsed().as_secs_f64()
    );
    let header: String = ops
        .iter()
        .map(|&op| format!(" {:>8}", PAIRED_OPS[op]))
        .collect();
    println!("tunsec-paired   ns/packet    {header}");
    let mut p10 = vec![0f64; PAIRED_OPS.len()];
    for (label, q) in [("min", 0.0), ("p10", 0.10), ("median", 0.5)] {
        let mut row = String::new();
        for &op in &ops {
            let v = quantile(&mut times[op], q);
            if label == "p10" {
                p10[op] = v;
            }
            row += &format!(" {v:>8.1}");
        }
        println!("tunsec-paired   {label:<12} {row}");
    }
    let b = (p10[s] + p10[o]) / (p10[e] + p10[d]);
    println!(
        "tunsec-paired   from p10 times:         encap/seal {:.3}  decap/open {:.3}  both {b:.3}  overhead {:+.1}%",
        p10[s] / p10[e],
        p10[o] / p10[d],
        (1.0 / b - 1.0) * 100.0
    );
    let bm = quantile(&mut both, 0.5);
    println!(
        "tunsec-paired   median per-round ratio: encap/seal {:.3}  decap/open {:.3}  both {bm:.3}  overhead {:+.1}%  (both p25..p75 {:.3}..{:.3})",
        quantile(&mut es, 0.5),
        quantile(&mut dop, 0.5),
        (1.0 / bm - 1.0) * 100.0,
        quantile(&mut both, 0.25),
        quantile(&mut both, 0.75),
    );
    if ops.iter().any(|&op| PAIRED_OPS[op] == "tseal") {
        let (ts, to) = (at("tseal"), at("topen"));
        println!(
            "tunsec-paired   overhead ns/packet (p10): encap {:+.1} = transform {:+.1} + framing {:+.1};  decap {:+.1} = transform {:+.1} + framing {:+.1}",
            p10[e] - p10[s],
            p10[ts] - p10[s],
            p10[e] - p10[ts],
            p10[d] - p10[o],
            p10[to] - p10[o],
            p10[d] - p10[to],
        );
    }
}

criterion_group!(esp_benches, benches);

fn main() {
    if let Ok(specs) = std::env::var("TUNSEC_PAIRED") {
        let secs = std::env::var("TUNSEC_PAIRED_SECS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(10.0);
        for spec in specs.split(',').filter(|s| !s.is_empty()) {
            paired(spec.trim(), Duration::from_secs_f64(secs));
        }
        return;
    }
    // What criterion_main! expands to.
    esp_benches();
    Criterion::default().configure_from_args().final_summary();
}
