//! tunsec's ESP and AH against an implementation we did not write: Scapy's
//! `scapy.layers.ipsec`, driven through `scripts/scapy_oracle.py` (Debian's python3-scapy).
//!
//! For every transform Scapy implements, both modes, IPv4 and IPv6 (outer, and inner in tunnel
//! mode), ESN where Scapy implements it and NAT-T for ESP: tunsec encapsulates and Scapy
//! decrypts and verifies, and Scapy encrypts and tunsec decapsulates; either way the packet
//! that comes out must be the one that went in. Tampered packets and wrong keys must be
//! refused across the same boundary.
//!
//! Keys, sizes and sequence numbers are random; a failing run prints its seed, and
//! `TUNSEC_SCAPY_SEED=<seed>` replays it.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use tunsec_dataplane::DropReason;
use tunsec_dataplane::buf::{DEFAULT_HEADROOM, DEFAULT_TAILROOM, PacketBuf};
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm};
use tunsec_dataplane::mode::OuterPacket;
use tunsec_dataplane::sa::{
    Direction, IpsecProtocol, Lifetime, Mode, Padding, SaParams, SaTransform, SecurityAssociation,
    Timestamp, UdpEncap,
};
use tunsec_dataplane::{ah, esp};
use zeroize::Zeroizing;

const PYTHON: &str = "/usr/bin/python3";
const ORACLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/scapy_oracle.py");
const NOW: Timestamp = Timestamp(1_000);
const SPI: u32 = 0x5ca9_0001;

/// tunsec algorithms Scapy 2.5.0 has no implementation of, so no cell covers them: AES-GMAC
/// (RFC 4543 ENCR_NULL_AUTH_AES_GMAC), Twofish-CBC and Camellia-CBC.
const NOT_IN_SCAPY: &[&str] = &[
    "aes-128-gmac",
    "aes-192-gmac",
    "aes-256-gmac",
    "twofish",
    "camellia-128",
    "camellia-192",
    "camellia-256",
];

/// Payload sizes around cipher block (8, 16) and 4-byte alignment edges, and full-MTU packets
/// (1472 = 1500 - IPv4 - UDP, 1452 = 1500 - IPv6 - UDP, 1460/1440 for TCP).
const EDGE_SIZES: &[usize] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 22, 23, 24, 30, 31, 32, 33,
    34, 62, 63, 64, 65, 66, 254, 255, 256, 257, 1440, 1452, 1460, 1472, 1499, 1500,
];

// ---------------------------------------------------------------------------------------------
// Randomness: one seed per test, from the OS unless TUNSEC_SCAPY_SEED replays a failure.

struct Rng {
    state: u64,
    seed: u64,
}

impl Rng {
    fn new(test: &str) -> Rng {
        let seed = match std::env::var("TUNSEC_SCAPY_SEED") {
            Ok(s) => s.parse().expect("TUNSEC_SCAPY_SEED must be a u64"),
            Err(_) => getrandom::u64().unwrap(),
        };
        eprintln!("{test}: TUNSEC_SCAPY_SEED={seed}");
        Rng { state: seed, seed }
    }

    /// splitmix64: tiny, and good enough to pick keys and sizes.
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform enough in `lo..=hi` for test inputs.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle process.

struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    /// Starts `scripts/scapy_oracle.py`; fails the test (never skips it) when Scapy is missing.
    fn start() -> Oracle {
        let probe = Command::new(PYTHON)
            .args(["-c", "import scapy.layers.ipsec, cryptography"])
            .output();
        match probe {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "the Scapy interop tests need Debian's python3-scapy and python3-cryptography \
                 for {PYTHON}; run scripts/install-deps.sh (as root) to install them.\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => panic!(
                "the Scapy interop tests need {PYTHON} with python3-scapy ({e}); run \
                 scripts/install-deps.sh (as root) to install them"
            ),
        }
        let mut child = Command::new(PYTHON)
            .arg(ORACLE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {ORACLE}: {e}"));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Oracle {
            child,
            stdin,
            stdout,
        }
    }

    fn call(&mut self, request: &Value) -> Value {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "scapy_oracle.py exited (see its stderr)");
        serde_json::from_str(&line).unwrap()
    }

    /// The tunsec names Scapy can do, encryption and integrity.
    fn supported(&mut self) -> (BTreeSet<String>, BTreeSet<String>) {
        let reply = self.call(&json!({"op": "supported"}));
        let names = |k: &str| {
            reply[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        (names("enc"), names("auth"))
    }

    /// `encrypt` or `decrypt` one packet for a cell; `Err` is Scapy's refusal.
    fn run(
        &mut self,
        op: &str,
        cell: &Cell,
        keys: &Keys,
        seq: u64,
        packet: &[u8],
    ) -> Result<Vec<u8>, String> {
        let (src, dst) = outer_addresses(cell.outer_v6);
        let request = json!({
            "op": op,
            "proto": cell.protocol.name(),
            "enc": cell.enc.name(),
            "enc_key": hex::encode(&keys.enc[..]),
            "auth": cell.auth.name(),
            "auth_key": hex::encode(&keys.auth[..]),
            "spi": SPI,
            "mode": match cell.mode { Mode::Tunnel => "tunnel", Mode::Transport => "transport" },
            "src": src.to_string(),
            "dst": dst.to_string(),
            "esn": cell.esn,
            "seq": seq,
            "natt": cell.natt,
            "packet": hex::encode(packet),
        });
        let reply = self.call(&request);
        match (reply.get("packet"), reply.get("error")) {
            (Some(p), _) => Ok(hex::decode(p.as_str().unwrap()).unwrap()),
            (_, Some(e)) => Err(e.as_str().unwrap().to_string()),
            _ => panic!("malformed oracle reply {reply}"),
        }
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        // The oracle holds no state worth a clean exit.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The matrix.

#[derive(Debug, Clone, Copy)]
struct Cell {
    protocol: IpsecProtocol,
    /// `Null` for AH.
    enc: EncAlgorithm,
    auth: AuthAlgorithm,
    mode: Mode,
    outer_v6: bool,
    inner_v6: bool,
    /// Transport mode with IPv4 options or IPv6 extension headers in front of the payload.
    options: bool,
    esn: bool,
    natt: bool,
}

struct Keys {
    enc: Zeroizing<Vec<u8>>,
    auth: Zeroizing<Vec<u8>>,
}

impl Keys {
    fn random(rng: &mut Rng, cell: &Cell) -> Keys {
        let enc_len = match cell.protocol {
            IpsecProtocol::Esp => cell.enc.key_len(),
            IpsecProtocol::Ah => 0,
        };
        Keys {
            enc: Zeroizing::new(rng.bytes(enc_len)),
            auth: Zeroizing::new(rng.bytes(cell.auth.key_len())),
        }
    }
}

/// Whether Scapy computes the ESN high bits into the ICV for this transform. Scapy 2.5.0 does
/// for AEADs (in the AAD, RFC 4106 section 5 / RFC 7634 section 2.1) and for AH (RFC 4302
/// section 2.5.1), but its `AuthAlgo.sign`/`verify` leave them out of ESP's HMAC, where RFC
/// 4303 sections 2.2.1 and 2.8 put them ("included in the implicit ESP trailer"). tunsec
/// follows the RFC, so ESN with a separate ESP integrity algorithm is not a cell.
fn scapy_esn_is_rfc(protocol: IpsecProtocol, enc: EncAlgorithm) -> bool {
    protocol == IpsecProtocol::Ah || enc.is_aead()
}

/// (mode, outer IPv6, inner IPv6, options): tunnel carries either family over either;
/// transport runs with and without IPv4 options / IPv6 extension headers.
const LAYOUTS: [(Mode, bool, bool, bool); 8] = [
    (Mode::Tunnel, false, false, false),
    (Mode::Tunnel, false, true, false),
    (Mode::Tunnel, true, false, false),
    (Mode::Tunnel, true, true, false),
    (Mode::Transport, false, false, false),
    (Mode::Transport, true, true, false),
    (Mode::Transport, false, false, true),
    (Mode::Transport, true, true, true),
];

fn integrity_algorithms() -> impl Iterator<Item = AuthAlgorithm> {
    AuthAlgorithm::all()
        .iter()
        .copied()
        .filter(|a| *a != AuthAlgorithm::Null)
}

/// Every ESP transform Scapy implements (AEADs alone, every other cipher with every integrity
/// algorithm; tunsec refuses ESP without integrity) in every layout, ESN and NAT-T setting.
fn esp_cells(oracle: &mut Oracle) -> Vec<Cell> {
    let (scapy_enc, _) = oracle.supported();
    let mut cells = Vec::new();
    for &enc in EncAlgorithm::all() {
        if !scapy_enc.contains(enc.name()) {
            continue;
        }
        let auths: Vec<AuthAlgorithm> = if enc.is_aead() {
            vec![AuthAlgorithm::Null]
        } else {
            integrity_algorithms().collect()
        };
        for auth in auths {
            for (mode, outer_v6, inner_v6, options) in LAYOUTS {
                for esn in [false, true] {
                    if esn && !scapy_esn_is_rfc(IpsecProtocol::Esp, enc) {
                        continue;
                    }
                    for natt in [false, true] {
                        cells.push(Cell {
                            protocol: IpsecProtocol::Esp,
                            enc,
                            auth,
                            mode,
                            outer_v6,
                            inner_v6,
                            options,
                            esn,
                            natt,
                        });
                    }
                }
            }
        }
    }
    cells
}

/// Every AH integrity algorithm in every layout, with and without ESN (AH has no NAT-T).
fn ah_cells() -> Vec<Cell> {
    let mut cells = Vec::new();
    for auth in integrity_algorithms() {
        for (mode, outer_v6, inner_v6, options) in LAYOUTS {
            for esn in [false, true] {
                cells.push(Cell {
                    protocol: IpsecProtocol::Ah,
                    enc: EncAlgorithm::Null,
                    auth,
                    mode,
                    outer_v6,
                    inner_v6,
                    options,
                    esn,
                    natt: false,
                });
            }
        }
    }
    cells
}

fn outer_addresses(v6: bool) -> (IpAddr, IpAddr) {
    if v6 {
        (
            "2001:db8:1::1".parse().unwrap(),
            "2001:db8:2::1".parse().unwrap(),
        )
    } else {
        (
            "192.0.2.1".parse().unwrap(),
            "198.51.100.2".parse().unwrap(),
        )
    }
}

fn sa(cell: &Cell, keys: &Keys, direction: Direction) -> SecurityAssociation {
    let (src, dst) = outer_addresses(cell.outer_v6);
    let params = SaParams {
        spi: SPI,
        direction,
        protocol: cell.protocol,
        mode: cell.mode,
        src,
        dst,
        encap: cell.natt.then(UdpEncap::default),
        enc: cell.enc,
        enc_key: keys.enc.clone(),
        auth: cell.auth,
        auth_key: keys.auth.clone(),
        esn: cell.esn,
        replay_window: 1024,
        lifetime: Lifetime::default(),
        padding: Padding::Minimal,
        iv_seed: 0x0123_4567_89ab_cdef,
    };
    SecurityAssociation::new(params, NOW).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Real inner packets: ICMP echo, UDP and TCP with valid checksums.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upper {
    IcmpEcho,
    Udp,
    Tcp,
}

fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for byte in parts.iter().flat_map(|p| p.iter().copied()) {
        match odd.take() {
            Some(hi) => sum += u32::from(u16::from_be_bytes([hi, byte])),
            None => odd = Some(byte),
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(hi) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend(s.octets());
            p.extend(d.octets());
            p.extend([0, protocol]);
            p.extend((len as u16).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            p.extend(s.octets());
            p.extend(d.octets());
            p.extend((len as u32).to_be_bytes());
            p.extend([0, 0, 0, protocol]);
        }
        _ => unreachable!("mixed families"),
    }
    p
}

/// An IP packet from `src` to `dst` carrying `upper` with `data_len` random bytes of data, and
/// random values in the fields AH treats as mutable (TOS, DF, TTL, traffic class, flow label,
/// hop limit) so the ICV's zeroing is exercised. With `options`, the IPv4 header carries a
/// mutable record-route option (RFC 4302 A.1: zeroed) and an immutable router alert; IPv6
/// carries a hop-by-hop header and a destination-options header, each with an option whose
/// "may change en route" bit is set (RFC 4302 A.2: data zeroed).
fn ip_packet(
    rng: &mut Rng,
    src: IpAddr,
    dst: IpAddr,
    upper: Upper,
    data_len: usize,
    options: bool,
) -> Vec<u8> {
    let v6 = src.is_ipv6();
    let protocol = match (upper, v6) {
        (Upper::IcmpEcho, false) => 1,
        (Upper::IcmpEcho, true) => 58,
        (Upper::Udp, _) => 17,
        (Upper::Tcp, _) => 6,
    };
    let r = rng.next_u64().to_be_bytes();
    let mut l4 = match upper {
        // type, code, checksum, identifier, sequence number
        Upper::IcmpEcho => vec![if v6 { 128 } else { 8 }, 0, 0, 0, r[0], r[1], r[2], r[3]],
        Upper::Udp => {
            let len = ((8 + data_len) as u16).to_be_bytes();
            vec![r[0], r[1], 0x14, 0x51, len[0], len[1], 0, 0]
        }
        // ports, sequence, acknowledgement, offset 5 words, ACK|PSH, window, checksum, urgent
        Upper::Tcp => vec![
            r[0], r[1], 0x01, 0xbb, r[2], r[3], r[4], r[5], r[6], r[7], 0, 1, 0x50, 0x18, 0xfa,
            0xf0, 0, 0, 0, 0,
        ],
    };
    l4.extend(rng.bytes(data_len));
    let pseudo = match (upper, v6) {
        (Upper::IcmpEcho, false) => Vec::new(),
        _ => pseudo_header(src, dst, protocol, l4.len()),
    };
    let mut sum = internet_checksum(&[&pseudo, &l4]);
    if upper == Upper::Udp && sum == 0 {
        sum = 0xffff; // RFC 768: zero means "no checksum"
    }
    let at = match upper {
        Upper::IcmpEcho => 2,
        Upper::Udp => 6,
        Upper::Tcp => 16,
    };
    l4[at..at + 2].copy_from_slice(&sum.to_be_bytes());

    let r = rng.next_u64().to_be_bytes();
    let o = rng.next_u64().to_be_bytes();
    let mut packet = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            // NOP; record route with one slot, already filled; router alert.
            let opts: &[u8] = if options {
                &[1, 7, 7, 8, o[0], o[1], o[2], o[3], 148, 4, 0, 0]
            } else {
                &[]
            };
            let ihl = 0x40 | (5 + opts.len() / 4) as u8;
            let total = ((20 + opts.len() + l4.len()) as u16).to_be_bytes();
            let flags = if r[0] & 1 == 1 { 0x40 } else { 0 };
            let ttl = r[1].max(1);
            let mut h = vec![
                ihl, r[2], total[0], total[1], r[3], r[4], flags, 0, ttl, protocol, 0, 0,
            ];
            h.extend(s.octets());
            h.extend(d.octets());
            h.extend(opts);
            let sum = internet_checksum(&[&h]);
            h[10..12].copy_from_slice(&sum.to_be_bytes());
            h
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let (next, ext) = if options {
                let mut ext = vec![
                    // hop-by-hop (16 bytes): router alert; option 0x3e (skip, may change)
                    60, 1, 5, 2, 0, 0, 0x3e, 8, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7],
                    // destination options (8 bytes): option 0x3f (skip, may change)
                    protocol, 0, 0x3f, 4, r[6], r[7], o[0], o[1],
                ];
                ext[8..16].copy_from_slice(&o);
                (0, ext)
            } else {
                (protocol, Vec::new())
            };
            let flow = u32::from_be_bytes([0, r[2] & 0x0f, r[3], r[4]]);
            let word = (6u32 << 28) | (u32::from(r[5]) << 20) | flow;
            let mut h = word.to_be_bytes().to_vec();
            h.extend(((ext.len() + l4.len()) as u16).to_be_bytes());
            h.extend([next, r[1].max(1)]);
            h.extend(s.octets());
            h.extend(d.octets());
            h.extend(ext);
            h
        }
        _ => unreachable!("mixed families"),
    };
    packet.extend(l4);
    packet
}

/// The `n`-th packet of a test: inner addresses in tunnel mode, the SA's own in transport.
fn packet_for(rng: &mut Rng, cell: &Cell, n: usize) -> Vec<u8> {
    let (src, dst): (IpAddr, IpAddr) = match (cell.mode, cell.inner_v6) {
        (Mode::Transport, _) => outer_addresses(cell.outer_v6),
        (Mode::Tunnel, false) => ("10.1.0.5".parse().unwrap(), "10.2.0.7".parse().unwrap()),
        (Mode::Tunnel, true) => (
            "2001:db8:a::5".parse().unwrap(),
            "2001:db8:b::7".parse().unwrap(),
        ),
    };
    let upper = [Upper::IcmpEcho, Upper::Udp, Upper::Tcp][rng.range(0, 2) as usize];
    // Every other packet has the next edge size, the rest a random one.
    let data_len = if n.is_multiple_of(2) {
        EDGE_SIZES[(n / 2) % EDGE_SIZES.len()]
    } else {
        rng.range(0, 1500) as usize
    };
    ip_packet(rng, src, dst, upper, data_len, cell.options)
}

// ---------------------------------------------------------------------------------------------
// tunsec's side.

fn encap(sa: &mut SecurityAssociation, packet: &[u8]) -> Vec<u8> {
    let mut storage = vec![0u8; DEFAULT_HEADROOM + packet.len() + DEFAULT_TAILROOM];
    let mut buf = PacketBuf::copy_in(&mut storage, DEFAULT_HEADROOM, packet).unwrap();
    match sa.params().protocol {
        IpsecProtocol::Esp => esp::encapsulate(sa, &mut buf, NOW).unwrap(),
        IpsecProtocol::Ah => ah::encapsulate(sa, &mut buf, NOW).unwrap(),
    };
    buf.data().to_vec()
}

fn decap(sa: &mut SecurityAssociation, wire: &[u8]) -> Result<Vec<u8>, DropReason> {
    let mut storage = vec![0u8; DEFAULT_HEADROOM + wire.len() + DEFAULT_TAILROOM];
    let mut buf = PacketBuf::copy_in(&mut storage, DEFAULT_HEADROOM, wire).unwrap();
    let outer = OuterPacket::parse(buf.data())?;
    let d = match sa.params().protocol {
        IpsecProtocol::Esp => esp::decapsulate(sa, &outer, &mut buf, NOW)?,
        IpsecProtocol::Ah => ah::decapsulate(sa, &outer, &mut buf, NOW)?,
    };
    assert!(d.has_payload);
    Ok(buf.data().to_vec())
}

/// Collects disagreements so one run reports all of them, not just the first.
struct Report {
    seed: u64,
    packets: usize,
    failures: Vec<String>,
}

impl Report {
    fn new(rng: &Rng) -> Report {
        Report {
            seed: rng.seed,
            packets: 0,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.packets += 1;
        if !ok {
            self.failures.push(what());
        }
    }

    fn finish(self, name: &str) {
        eprintln!("{name}: {} packets", self.packets);
        assert!(
            self.failures.is_empty(),
            "{name}: {} of {} packets disagree (TUNSEC_SCAPY_SEED={}):\n{}",
            self.failures.len(),
            self.packets,
            self.seed,
            self.failures
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// A random full sequence number: low 32 bits never zero; with ESN, high bits above 2^32.
fn random_seq(rng: &mut Rng, esn: bool) -> u64 {
    let low = rng.range(1, u32::MAX.into());
    if esn {
        (rng.range(1, u32::MAX.into()) << 32) | low
    } else {
        low
    }
}

/// tunsec encapsulates, Scapy decrypts and verifies: the inner packet must come back.
fn tunsec_to_scapy(name: &str, cells: &[Cell], oracle: &mut Oracle, rng: &mut Rng) {
    let mut report = Report::new(rng);
    for cell in cells {
        let keys = Keys::random(rng, cell);
        let mut out = sa(cell, &keys, Direction::Outbound);
        for _ in 0..2 {
            let packet = packet_for(rng, cell, report.packets);
            let seq = random_seq(rng, cell.esn);
            out.set_next_sequence(seq);
            let wire = encap(&mut out, &packet);
            let back = oracle.run("decrypt", cell, &keys, seq, &wire);
            report.check(back.as_deref() == Ok(&packet[..]), || {
                format!(
                    "{cell:?} seq {seq:#x}, {} bytes: Scapy gives {back:02x?}\n  sent {}\n  wire {}",
                    packet.len(),
                    hex::encode(&packet),
                    hex::encode(&wire)
                )
            });
        }
    }
    report.finish(name);
}

/// Sequence numbers Scapy sends one cell. With ESN they walk the 64-bit space the way a real
/// sender does, across two 2^32 boundaries, so tunsec's receiver infers the high bits
/// (RFC 4303 appendix A2.2) from what it authenticated so far.
fn scapy_sequence(rng: &mut Rng, esn: bool) -> Vec<u64> {
    if esn {
        let late = |rng: &mut Rng| rng.range(0xf000_0000, 0xffff_fff0);
        let early = |rng: &mut Rng| rng.range(1, 0x7000_0000);
        vec![
            late(rng),
            (1 << 32) | early(rng),
            (1 << 32) | late(rng),
            (2 << 32) | early(rng),
        ]
    } else {
        let first = rng.range(1, 0x7fff_ffff);
        vec![first, first + rng.range(1, 0x7fff_ffff)]
    }
}

/// Scapy encrypts, tunsec decapsulates: the packet must come back, at the same 64-bit
/// sequence number.
fn scapy_to_tunsec(name: &str, cells: &[Cell], oracle: &mut Oracle, rng: &mut Rng) {
    let mut report = Report::new(rng);
    for cell in cells {
        let keys = Keys::random(rng, cell);
        let mut inb = sa(cell, &keys, Direction::Inbound);
        for seq in scapy_sequence(rng, cell.esn) {
            let packet = packet_for(rng, cell, report.packets);
            let wire = match oracle.run("encrypt", cell, &keys, seq, &packet) {
                Ok(w) => w,
                Err(e) => {
                    report.check(false, || format!("{cell:?}: Scapy cannot encrypt: {e}"));
                    continue;
                }
            };
            let back = decap(&mut inb, &wire);
            let top = inb.replay().top();
            report.check(back.as_deref() == Ok(&packet[..]) && top == seq, || {
                format!(
                    "{cell:?} seq {seq:#x} (tunsec inferred {top:#x}), {} bytes: tunsec gives \
                     {back:02x?}\n  sent {}\n  wire {}",
                    packet.len(),
                    hex::encode(&packet),
                    hex::encode(&wire)
                )
            });
        }
    }
    report.finish(name);
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn scapy_covers_all_but_the_algorithms_it_lacks() {
    let mut oracle = Oracle::start();
    let (enc, auth) = oracle.supported();
    let tunsec_enc: BTreeSet<String> = EncAlgorithm::all()
        .iter()
        .map(|a| a.name().to_string())
        .collect();
    let expected: BTreeSet<String> = tunsec_enc
        .iter()
        .filter(|n| !NOT_IN_SCAPY.contains(&n.as_str()))
        .cloned()
        .collect();
    assert_eq!(enc, expected, "update NOT_IN_SCAPY");
    let tunsec_auth: BTreeSet<String> = AuthAlgorithm::all()
        .iter()
        .map(|a| a.name().to_string())
        .collect();
    assert_eq!(auth, tunsec_auth);
}

#[test]
fn inner_packets_are_valid() {
    // Scapy rebuilds each test packet with its own checksums and lengths: same bytes.
    let mut oracle = Oracle::start();
    let mut rng = Rng::new("inner_packets_are_valid");
    for v6 in [false, true] {
        let (src, dst) = outer_addresses(v6);
        for upper in [Upper::IcmpEcho, Upper::Udp, Upper::Tcp] {
            for (len, options) in [(0, false), (1, true), (2, false), (3, true), (1001, true)] {
                let packet = ip_packet(&mut rng, src, dst, upper, len, options);
                let reply = oracle.call(&json!({"op": "rebuild", "packet": hex::encode(&packet)}));
                assert_eq!(
                    reply["packet"].as_str(),
                    Some(hex::encode(&packet).as_str()),
                    "{upper:?} over IPv{}: {reply}",
                    if v6 { 6 } else { 4 }
                );
            }
        }
    }
}

#[test]
fn esp_tunsec_to_scapy() {
    let mut oracle = Oracle::start();
    let mut rng = Rng::new("esp_tunsec_to_scapy");
    let cells = esp_cells(&mut oracle);
    tunsec_to_scapy("esp_tunsec_to_scapy", &cells, &mut oracle, &mut rng);
}

#[test]
fn esp_scapy_to_tunsec() {
    let mut oracle = Oracle::start();
    let mut rng = Rng::new("esp_scapy_to_tunsec");
    let cells = esp_cells(&mut oracle);
    scapy_to_tunsec("esp_scapy_to_tunsec", &cells, &mut oracle, &mut rng);
}

#[test]
fn ah_tunsec_to_scapy() {
    let mut oracle = Oracle::start();
    let mut rng = Rng::new("ah_tunsec_to_scapy");
    tunsec_to_scapy("ah_tunsec_to_scapy", &ah_cells(), &mut oracle, &mut rng);
}

#[test]
fn ah_scapy_to_tunsec() {
    let mut oracle = Oracle::start();
    let mut rng = Rng::new("ah_scapy_to_tunsec");
    scapy_to_tunsec("ah_scapy_to_tunsec", &ah_cells(), &mut oracle, &mut rng);
}

/// One cell per transform (ESP and AH), cycling through layouts, NAT-T and ESN.
fn one_cell_per_transform(oracle: &mut Oracle) -> Vec<Cell> {
    let mut seen = BTreeSet::new();
    let mut cells = Vec::new();
    for cell in esp_cells(oracle).into_iter().chain(ah_cells()) {
        let transform = (cell.protocol.name(), cell.enc.name(), cell.auth.name());
        if seen.insert(transform) {
            let k = cells.len();
            let (mode, outer_v6, inner_v6, options) = LAYOUTS[k % LAYOUTS.len()];
            cells.push(Cell {
                mode,
                outer_v6,
                inner_v6,
                options,
                natt: cell.protocol == IpsecProtocol::Esp && (k / LAYOUTS.len()) % 2 == 1,
                esn: scapy_esn_is_rfc(cell.protocol, cell.enc) && (k / 2) % 2 == 1,
                ..cell
            });
        }
    }
    cells
}

#[test]
fn scapy_packet_under_a_wrong_key_is_refused_by_tunsec() {
    let mut oracle = Oracle::start();
    let mut rng = Rng::new("scapy_packet_under_a_wrong_key_is_refused_by_tunsec");
    let mut report = Report::new(&rng);
    for cell in one_cell_per_transform(&mut oracle) {
        let keys = Keys::random(&mut rng, &cell);
        let wrong = Keys::random(&mut rng, &cell);
        let packet = packet_for(&mut rng, &cell, report.packets);
        let seq = random_seq(&mut rng, false);
        let right = oracle.run("encrypt", &cell, &keys, seq, &packet).unwrap();
        let forged = oracle.run("encrypt", &cell, &wrong, seq, &packet).unwrap();
        let mut inb = sa(&cell, &keys, Direction::Inbound);
        let refused = decap(&mut inb, &forged);
        report.check(refused == Err(DropReason::InStateProtocolErrors), || {
            format!("{cell:?}: wrong key gives {refused:02x?}")
        });
        // The same packet under the right key passes: the refusal was the key's doing.
        let accepted = decap(&mut inb, &right);
        report.check(accepted.as_deref() == Ok(&packet[..]), || {
            format!("{cell:?}: right key gives {accepted:02x?}")
        });
    }
    report.finish("wrong key");
}

#[test]
fn tunsec_packet_with_a_flipped_bit_is_refused_by_scapy() {
    let mut oracle = Oracle::start();
    let mut rng = Rng::new("tunsec_packet_with_a_flipped_bit_is_refused_by_scapy");
    let mut report = Report::new(&rng);
    for cell in one_cell_per_transform(&mut oracle) {
        let keys = Keys::random(&mut rng, &cell);
        let mut out = sa(&cell, &keys, Direction::Outbound);
        let packet = packet_for(&mut rng, &cell, report.packets);
        let seq = random_seq(&mut rng, cell.esn);
        out.set_next_sequence(seq);
        let wire = encap(&mut out, &packet);
        let accepted = oracle.run("decrypt", &cell, &keys, seq, &wire);
        report.check(accepted.as_deref() == Ok(&packet[..]), || {
            format!("{cell:?}: untouched packet gives {accepted:02x?}")
        });

        // The protected bytes: ESP ciphertext (between IV and ICV), or what AH covers behind
        // its header.
        let outer = OuterPacket::parse(&wire).unwrap();
        let (start, end) = match out.transform() {
            SaTransform::Esp(t) => (
                outer.ipsec_offset + 8 + t.iv_len(),
                wire.len() - t.icv_len(),
            ),
            SaTransform::Ah(_) => {
                let ah_len = (usize::from(wire[outer.ipsec_offset + 1]) + 2) * 4;
                (outer.ipsec_offset + ah_len, wire.len())
            }
        };
        let mut tampered = wire.clone();
        let bit = rng.range(0, ((end - start) * 8 - 1) as u64) as usize;
        tampered[start + bit / 8] ^= 1 << (bit % 8);
        let refused = oracle.run("decrypt", &cell, &keys, seq, &tampered);
        report.check(refused.is_err(), || {
            format!("{cell:?}: Scapy accepts bit {bit} flipped: {refused:02x?}")
        });
    }
    report.finish("flipped bit");
}
