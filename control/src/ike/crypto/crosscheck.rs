//! RFC 7296's key schedule, AUTH and Encrypted payload have no published vectors, so this
//! test checks them (and every DH group) against an independent implementation:
//! `crosscheck.py`, written from the RFCs on Python's hmac/hashlib and the `cryptography`
//! package. Inputs go to it as "name hex" lines; what it prints must equal what this crate
//! computes. It also opens our SK bodies and seals bodies (with non-minimal padding) that we
//! must open. Skipped, with a message, without /usr/bin/python3 or its `cryptography`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::fmt::Display;
use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use super::*;

const PYTHON: &str = "/usr/bin/python3";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ike/crypto/crosscheck.py");

/// What goes to the script and what must come back.
#[derive(Default)]
struct Exchange {
    input: String,
    expect: BTreeMap<String, Vec<u8>>,
}

impl Exchange {
    fn give(&mut self, name: &str, value: &[u8]) {
        self.input
            .push_str(&format!("{name} {}\n", hex::encode(value)));
    }

    fn give_num(&mut self, name: &str, value: impl Display) {
        self.input.push_str(&format!("{name} {value}\n"));
    }

    fn expect(&mut self, name: &str, value: &[u8]) {
        self.expect.insert(name.to_owned(), value.to_vec());
    }
}

/// Deterministic test bytes (the inputs need not be random, only varied).
fn det(label: &str, len: usize) -> Vec<u8> {
    Prf::HmacSha256
        .plus(b"tunsec crosscheck", &[label.as_bytes()], len)
        .unwrap()
        .to_vec()
}

/// A private key both sides can use: in range for every curve, any value for MODP/X25519.
fn private_bytes(group: DhGroup, label: &str) -> Vec<u8> {
    let mut b = match group {
        DhGroup::Ecp256 | DhGroup::Ecp384 | DhGroup::Ecp521 | DhGroup::Curve25519 => {
            det(label, group.shared_len())
        }
        _ => det(label, 40),
    };
    match group {
        DhGroup::Ecp256 | DhGroup::Ecp384 => b[0] &= 0x7f,
        DhGroup::Ecp521 => b[0] &= 0x01,
        _ => {}
    }
    b
}

fn frame(body_len: usize) -> Vec<u8> {
    let mut f = vec![0u8; 32];
    f[..16].copy_from_slice(&det("frame spis", 16));
    f[16] = 46;
    f[17] = 0x20;
    f[18] = 37;
    f[24..28].copy_from_slice(&((32 + body_len) as u32).to_be_bytes());
    f[28] = 41;
    f[30..32].copy_from_slice(&((4 + body_len) as u16).to_be_bytes());
    f
}

struct IkeCase {
    name: &'static str,
    prf: Prf,
    encr: IkeEncr,
    integ: IkeInteg,
    dh: DhGroup,
}

fn give_suite(ex: &mut Exchange, k: &dyn Fn(&str) -> String, c: &IkeCase) {
    ex.give_num(&k("prf"), c.prf.transform_id());
    ex.give_num(&k("encr"), c.encr.transform_id());
    ex.give_num(&k("keybits"), c.encr.key_length_attr().unwrap_or(0));
    ex.give_num(&k("integ"), c.integ.transform_id());
}

fn expect_keys(ex: &mut Exchange, k: &dyn Fn(&str) -> String, keys: &IkeSaKeys) {
    for (name, key) in [
        ("sk_d", &keys.sk_d),
        ("sk_ai", &keys.sk_ai),
        ("sk_ar", &keys.sk_ar),
        ("sk_ei", &keys.sk_ei),
        ("sk_er", &keys.sk_er),
        ("sk_pi", &keys.sk_pi),
        ("sk_pr", &keys.sk_pr),
    ] {
        ex.expect(&k(name), key);
    }
}

#[test]
fn python_cross_check() {
    if !std::path::Path::new(PYTHON).exists() {
        println!("SKIPPED python_cross_check: {PYTHON} not found");
        return;
    }
    let mut ex = Exchange::default();

    // Diffie-Hellman: every group, from fixed private keys on both sides.
    let mut shared = BTreeMap::new();
    for g in DhGroup::ALL {
        let k = |s: &str| format!("dh.{}.{s}", g.name());
        let (xi, xr) = (private_bytes(g, &k("i")), private_bytes(g, &k("r")));
        let i = DhPrivate::from_private_bytes(g, &xi).unwrap();
        let r = DhPrivate::from_private_bytes(g, &xr).unwrap();
        let gir = i.agree(r.public_key()).unwrap();
        assert_eq!(gir, r.agree(i.public_key()).unwrap(), "{g:?}");
        ex.give_num(&k("id"), g.id());
        ex.give(&k("xi"), &xi);
        ex.give(&k("xr"), &xr);
        ex.expect(&k("gi"), i.public_key());
        ex.expect(&k("gr"), r.public_key());
        ex.expect(&k("gir"), &gir);
        shared.insert(g.id(), gir);
    }

    // New IKE SAs: SKEYSEED and the seven keys for five suites.
    let cases = [
        IkeCase {
            name: "cbc256",
            prf: Prf::HmacSha256,
            encr: IkeEncr::AesCbc { key_len: 32 },
            integ: IkeInteg::HmacSha256_128,
            dh: DhGroup::Modp2048,
        },
        IkeCase {
            name: "cbc128",
            prf: Prf::HmacSha1,
            encr: IkeEncr::AesCbc { key_len: 16 },
            integ: IkeInteg::HmacSha1_96,
            dh: DhGroup::Modp1024,
        },
        IkeCase {
            name: "gcm256",
            prf: Prf::HmacSha384,
            encr: IkeEncr::AesGcm {
                key_len: 32,
                icv_len: 16,
            },
            integ: IkeInteg::None,
            dh: DhGroup::Ecp384,
        },
        IkeCase {
            name: "gcm128icv8",
            prf: Prf::HmacSha256,
            encr: IkeEncr::AesGcm {
                key_len: 16,
                icv_len: 8,
            },
            integ: IkeInteg::None,
            dh: DhGroup::Ecp521,
        },
        IkeCase {
            name: "chacha",
            prf: Prf::HmacSha512,
            encr: IkeEncr::ChaCha20Poly1305,
            integ: IkeInteg::None,
            dh: DhGroup::Curve25519,
        },
    ];
    let mut ike_keys = BTreeMap::new();
    for (n, c) in cases.iter().enumerate() {
        let k = |s: &str| format!("ike.{}.{s}", c.name);
        // Nonces of several lengths (RFC 7296: 16 to 256 bytes).
        let (ni, nr) = (det(&k("ni"), 16 + 40 * n), det(&k("nr"), 256 - 30 * n));
        let (spi_i, spi_r): ([u8; 8], [u8; 8]) = (
            det(&k("spii"), 8).try_into().unwrap(),
            det(&k("spir"), 8).try_into().unwrap(),
        );
        let gir = &shared[&c.dh.id()];
        let input = SkeyseedInput {
            ni: &ni,
            nr: &nr,
            shared: gir,
        };
        let keys = IkeSaKeys::derive(c.prf, c.encr, c.integ, &input, spi_i, spi_r).unwrap();
        give_suite(&mut ex, &k, c);
        ex.give(&k("ni"), &ni);
        ex.give(&k("nr"), &nr);
        ex.give(&k("gir"), gir);
        ex.give(&k("spii"), &spi_i);
        ex.give(&k("spir"), &spi_r);
        expect_keys(&mut ex, &k, &keys);
        ike_keys.insert(c.name, keys);
    }

    // An IKE SA rekey: the old SA's PRF (SHA-1) and SK_d, the new SA's PRF (SHA-256).
    {
        let old = &ike_keys["cbc128"];
        let new = &cases[0];
        let k = |s: &str| format!("rekey.sha1to256.{s}");
        let (ni, nr) = (det(&k("ni"), 32), det(&k("nr"), 32));
        let gir = &shared[&DhGroup::Ecp256.id()];
        let keys = IkeSaKeys::derive_rekey(
            Prf::HmacSha1,
            &old.sk_d,
            new.prf,
            new.encr,
            new.integ,
            &SkeyseedInput {
                ni: &ni,
                nr: &nr,
                shared: gir,
            },
            [0x11; 8],
            [0x22; 8],
        )
        .unwrap();
        give_suite(&mut ex, &k, new);
        ex.give_num(&k("oldprf"), Prf::HmacSha1.transform_id());
        ex.give(&k("oldskd"), &old.sk_d);
        ex.give(&k("ni"), &ni);
        ex.give(&k("nr"), &nr);
        ex.give(&k("gir"), gir);
        ex.give(&k("spii"), &[0x11; 8]);
        ex.give(&k("spir"), &[0x22; 8]);
        expect_keys(&mut ex, &k, &keys);
    }

    // Child SA KEYMAT, without PFS (ESP AES-GCM-256: 36 bytes each way) and with PFS
    // (ESP AES-CBC-128 + HMAC-SHA1: 16 + 20 each way), cut into the four keys.
    for (name, ike, pfs, encr_len, integ_len) in [
        ("nopfs", "cbc256", None, 36, 0),
        ("pfs", "gcm256", Some(DhGroup::Modp3072), 16, 20),
    ] {
        let k = |s: &str| format!("child.{name}.{s}");
        let prf = cases.iter().find(|c| c.name == ike).unwrap().prf;
        let sk_d = &ike_keys[ike].sk_d;
        let (ni, nr) = (det(&k("ni"), 32), det(&k("nr"), 48));
        let gir = pfs.map(|g| shared[&g.id()].clone());
        let keys = ChildKeys::derive(
            prf,
            sk_d,
            gir.as_ref().map(|g| g.as_slice()),
            &ni,
            &nr,
            encr_len,
            integ_len,
        )
        .unwrap();
        ex.give_num(&k("prf"), prf.transform_id());
        ex.give(&k("skd"), sk_d);
        ex.give(&k("ni"), &ni);
        ex.give(&k("nr"), &nr);
        ex.give_num(&k("len"), child_keymat_len(encr_len, integ_len));
        if let Some(gir) = &gir {
            ex.give(&k("gir"), gir);
        }
        let joined = [&keys.encr_i, &keys.integ_i, &keys.encr_r, &keys.integ_r]
            .iter()
            .flat_map(|k| k.iter().copied())
            .collect::<Vec<u8>>();
        ex.expect(&k("keymat"), &joined);
    }

    // PSK AUTH: a short secret, and one longer than the HMAC block (hashed first).
    for (name, ike, secret) in [
        ("short", "cbc256", b"correct horse battery staple".to_vec()),
        ("long", "chacha", det("long secret", 150)),
    ] {
        let k = |s: &str| format!("auth.{name}.{s}");
        let prf = cases.iter().find(|c| c.name == ike).unwrap().prf;
        let (msg, nonce) = (det(&k("msg"), 432), det(&k("nonce"), 32));
        let id = [&[2u8, 0, 0, 0][..], b"vpn.example.net"].concat();
        let sk_p = &ike_keys[ike].sk_pi;
        let octets = signed_octets(&msg, &nonce, prf, sk_p, &id);
        ex.give_num(&k("prf"), prf.transform_id());
        ex.give(&k("msg"), &msg);
        ex.give(&k("nonce"), &nonce);
        ex.give(&k("skp"), sk_p);
        ex.give(&k("id"), &id);
        ex.give(&k("secret"), &secret);
        ex.expect(&k("octets"), &octets);
        ex.expect(&k("auth"), &psk_auth(prf, &secret, &octets));
    }

    // NAT detection, IPv4 (SPIr zero, as in the IKE_SA_INIT request) and IPv6.
    for (name, spi_r, addr, port) in [
        ("v4", [0u8; 8], IpAddr::from([198, 51, 100, 7]), 500u16),
        ("v6", [0x5a; 8], "2001:db8::4500".parse().unwrap(), 4500),
    ] {
        let k = |s: &str| format!("natd.{name}.{s}");
        let spi_i = [0xa5; 8];
        let bytes = match addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        ex.give(&k("spii"), &spi_i);
        ex.give(&k("spir"), &spi_r);
        ex.give(&k("addr"), &bytes);
        ex.give_num(&k("port"), port);
        ex.expect(&k("hash"), &nat_detection_hash(spi_i, spi_r, addr, port));
    }

    // Encrypted payloads: sealed here with the initiator's keys of four IKE SAs above,
    // opened there; sealed there, opened here.
    let plain = det("inner payloads", 77);
    let mut receivers = BTreeMap::new();
    for c in cases.iter().filter(|c| c.name != "cbc128") {
        let k = |s: &str| format!("sk.{}.{s}", c.name);
        let keys = &ike_keys[c.name];
        let mut out = SkCipher::new(c.encr, c.integ, &keys.sk_ei, &keys.sk_ai).unwrap();
        let f = frame(out.body_len(plain.len()));
        let body = out.seal(&f, &plain).unwrap();
        ex.give_num(&k("encr"), c.encr.transform_id());
        ex.give_num(&k("keybits"), c.encr.key_length_attr().unwrap_or(0));
        ex.give_num(&k("integ"), c.integ.transform_id());
        ex.give(&k("ekey"), &keys.sk_ei);
        ex.give(&k("akey"), &keys.sk_ai);
        ex.give(&k("frame"), &f);
        ex.give(&k("body"), &body);
        ex.give(&k("plain"), &plain);
        ex.expect(&k("opened"), &plain);
        let inp = SkCipher::new(c.encr, c.integ, &keys.sk_ei, &keys.sk_ai).unwrap();
        receivers.insert(c.name.to_owned(), inp);
    }

    // Run it.
    let mut child = Command::new(PYTHON)
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ex.input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "crosscheck.py failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(reason) = stdout.strip_prefix("skip ") {
        println!("SKIPPED python_cross_check: {}", reason.trim());
        return;
    }

    let mut got = BTreeMap::new();
    for line in stdout.lines() {
        let (name, value) = line.split_once(' ').unwrap();
        got.insert(name.to_owned(), hex::decode(value).unwrap());
    }
    let mut compared = 0;
    for (name, want) in &ex.expect {
        let Some(value) = got.get(name) else {
            panic!("crosscheck.py did not compute {name}");
        };
        assert_eq!(hex::encode(value), hex::encode(want), "{name} differs");
        compared += 1;
    }
    let mut opened = 0;
    for (name, inp) in &receivers {
        let f = &got[&format!("sk.{name}.py_frame")];
        let body = &got[&format!("sk.{name}.py_body")];
        let text = inp.open(f, body).unwrap();
        assert_eq!(&text[..], &plain[..], "Python's {name} body");
        let mut bad = body.clone();
        bad[body.len() / 2] ^= 0x80;
        assert_eq!(inp.open(f, &bad).unwrap_err(), SkError::Integrity);
        opened += 1;
    }
    println!("python_cross_check: {compared} values equal, {opened} Python-sealed bodies opened");
    assert_eq!(opened, 4);
}
