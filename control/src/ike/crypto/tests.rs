//! Crypto tests. RFC 7296's key schedule and SK payload have no published vectors, so an
//! independent implementation (python-cryptography and Python integers,
//! scripts/ike_crypto_oracle.py) recomputes them; the DH groups are checked the same way
//! against python-cryptography's ECDH/X25519 and Python's modular exponentiation.

use std::process::Command;

use super::*;

fn oracle(args: &[&str]) -> Option<String> {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: /usr/bin/python3 with python3-cryptography is not installed");
        return None;
    }
    let out = Command::new("/usr/bin/python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/ike_crypto_oracle.py"
        ))
        .args(args)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

const GROUPS: [DhGroup; 12] = [
    DhGroup::Modp768,
    DhGroup::Modp1024,
    DhGroup::Modp1536,
    DhGroup::Modp2048,
    DhGroup::Modp3072,
    DhGroup::Modp4096,
    DhGroup::Modp6144,
    DhGroup::Modp8192,
    DhGroup::Ecp256,
    DhGroup::Ecp384,
    DhGroup::Ecp521,
    DhGroup::Curve25519,
];

fn prime_hex(g: DhGroup) -> &'static str {
    match g {
        DhGroup::Modp768 => super::dh::primes::MODP_768,
        DhGroup::Modp1024 => super::dh::primes::MODP_1024,
        DhGroup::Modp1536 => super::dh::primes::MODP_1536,
        DhGroup::Modp2048 => super::dh::primes::MODP_2048,
        DhGroup::Modp3072 => super::dh::primes::MODP_3072,
        DhGroup::Modp4096 => super::dh::primes::MODP_4096,
        DhGroup::Modp6144 => super::dh::primes::MODP_6144,
        DhGroup::Modp8192 => super::dh::primes::MODP_8192,
        _ => "",
    }
}

#[test]
fn every_group_agrees_with_an_independent_implementation() {
    for g in GROUPS {
        let ours = g.generate().unwrap();
        assert_eq!(ours.public_key().len(), g.public_len(), "{}", g.name());
        let Some(line) = oracle(&[
            "dh",
            g.name(),
            &hex::encode(ours.public_key()),
            prime_hex(g),
        ]) else {
            return;
        };
        let (theirs, shared) = line.split_once(' ').unwrap();
        let got = ours.agree(&hex::decode(theirs).unwrap()).unwrap();
        assert_eq!(hex::encode(&*got), shared, "{}", g.name());
    }
}

#[test]
fn modp_primes_match_the_words_the_rfcs_print() {
    // RFC 2409 6.2 (group 2) and RFC 3526 3 (group 14): the last words before the final
    // all-ones, and the shared pi prefix.
    assert!(super::dh::primes::MODP_1024.ends_with("49286651ECE65381FFFFFFFFFFFFFFFF"));
    assert!(super::dh::primes::MODP_2048.ends_with("15728E5A8AACAA68FFFFFFFFFFFFFFFF"));
    for g in GROUPS.iter().filter(|g| !prime_hex(**g).is_empty()) {
        assert!(prime_hex(*g).starts_with("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"));
        assert_eq!(prime_hex(*g).len() * 4, g.public_len() * 8);
    }
}

#[test]
fn hostile_public_values_are_refused() {
    let modp = DhGroup::Modp2048.generate().unwrap();
    let mut one = vec![0u8; 256];
    one[255] = 1;
    assert!(modp.agree(&one).is_err(), "y = 1");
    assert!(modp.agree(&vec![0xff; 256]).is_err(), "y > p");
    let p_minus_1 = {
        let mut p = hex::decode(super::dh::primes::MODP_2048).unwrap();
        p[255] -= 1;
        p
    };
    assert!(modp.agree(&p_minus_1).is_err(), "y = p - 1");
    assert!(modp.agree(&[2; 10]).is_err(), "short");
    let ecp = DhGroup::Ecp256.generate().unwrap();
    assert!(ecp.agree(&[1; 64]).is_err(), "not on the curve");
    let x = DhGroup::Curve25519.generate().unwrap();
    assert!(x.agree(&[0; 32]).is_err(), "low-order point");
}

#[test]
fn key_schedule_matches_an_independent_implementation() {
    let ni = [0x11u8; 32];
    let nr = [0x22u8; 32];
    let gir = [0x33u8; 256];
    let (spi_i, spi_r) = ([1u8; 8], [2u8; 8]);
    for (prf, name) in [
        (Prf::HmacSha1, "sha1"),
        (Prf::HmacSha256, "sha256"),
        (Prf::HmacSha512, "sha512"),
    ] {
        let encr = IkeEncr::AesCbc { key_len: 32 };
        let integ = IkeInteg::HmacSha256_128;
        let keys = IkeSaKeys::derive(
            prf,
            encr,
            integ,
            &SkeyseedInput {
                ni: &ni,
                nr: &nr,
                shared: &gir,
            },
            spi_i,
            spi_r,
        )
        .unwrap();
        let p = prf.key_len();
        let lens = format!("{p},32,32,32,32,{p},{p}");
        let Some(line) = oracle(&[
            "keys",
            name,
            &hex::encode(ni),
            &hex::encode(nr),
            &hex::encode(gir),
            &hex::encode(spi_i),
            &hex::encode(spi_r),
            &lens,
        ]) else {
            return;
        };
        let want: Vec<&str> = line.split(',').collect();
        let got = [
            &keys.sk_d,
            &keys.sk_ai,
            &keys.sk_ar,
            &keys.sk_ei,
            &keys.sk_er,
            &keys.sk_pi,
            &keys.sk_pr,
        ];
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(hex::encode(g.as_slice()), *w, "{name}");
        }
    }
}

fn frame(body_len: usize) -> Vec<u8> {
    let mut f = vec![0xabu8; 28];
    f.extend_from_slice(&[35, 0]);
    f.extend_from_slice(&((4 + body_len) as u16).to_be_bytes());
    f
}

#[test]
fn sk_bodies_open_in_an_independent_implementation_and_tampering_is_refused() {
    let plain: Vec<u8> = (0..77u8).collect();
    for (encr, integ, kind, key_len) in [
        (
            IkeEncr::AesGcm {
                key_len: 32,
                icv_len: 16,
            },
            IkeInteg::None,
            "gcm",
            36,
        ),
        (
            IkeEncr::AesGcm {
                key_len: 16,
                icv_len: 16,
            },
            IkeInteg::None,
            "gcm",
            20,
        ),
        (IkeEncr::ChaCha20Poly1305, IkeInteg::None, "chacha", 36),
        (
            IkeEncr::AesCbc { key_len: 32 },
            IkeInteg::HmacSha256_128,
            "cbc",
            32,
        ),
    ] {
        let key: Vec<u8> = (0..key_len as u8).collect();
        let ikey = [7u8; 32];
        let mut c =
            SkCipher::new(encr, integ, &key, if kind == "cbc" { &ikey } else { &[] }).unwrap();
        let f = frame(c.body_len(plain.len()));
        let body = c.seal(&f, &plain).unwrap();
        assert_eq!(body.len(), c.body_len(plain.len()));
        assert_eq!(&*c.open(&f, &body).unwrap(), &plain[..]);
        if let Some(out) = oracle(&[
            "open",
            kind,
            &hex::encode(&key),
            &hex::encode(ikey),
            &hex::encode(&f),
            &hex::encode(&body),
        ]) {
            assert_eq!(out, hex::encode(&plain), "{kind}");
        }
        for bit in 0..body.len() * 8 {
            let mut b = body.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(
                c.open(&f, &b).is_err(),
                "{kind}: flipped bit {bit} accepted"
            );
        }
        let mut g = f.clone();
        g[10] ^= 1;
        assert!(
            c.open(&g, &body).is_err(),
            "{kind}: altered header accepted"
        );
        for cut in 0..body.len() {
            let _ = c.open(&f, &body[..cut]);
        }
    }
}

#[test]
fn psk_auth_and_nat_hash_shapes() {
    let octets = signed_octets(
        b"msg",
        b"nonce",
        Prf::HmacSha256,
        &[1; 32],
        b"\x01\0\0\0\xc0\0\x02\x01",
    );
    let a = psk_auth(Prf::HmacSha256, b"secret", &octets);
    assert!(verify_psk_auth(Prf::HmacSha256, b"secret", &octets, &a));
    assert!(!verify_psk_auth(Prf::HmacSha256, b"secreT", &octets, &a));
    assert!(!verify_psk_auth(
        Prf::HmacSha256,
        b"secret",
        &octets,
        &a[..31]
    ));
    let h = nat_detection_hash([1; 8], [0; 8], "192.0.2.1".parse().unwrap(), 500);
    assert_ne!(
        h,
        nat_detection_hash([1; 8], [0; 8], "192.0.2.1".parse().unwrap(), 4500)
    );
}

/// Prints the cost of the largest MODP group (run with --ignored --nocapture).
#[test]
#[ignore]
fn modp8192_cost() {
    let t = std::time::Instant::now();
    let a = DhGroup::Modp8192.generate().unwrap();
    let b = DhGroup::Modp8192.generate().unwrap();
    let _ = a.agree(b.public_key()).unwrap();
    eprintln!("modp8192: 2 x generate + 1 x agree in {:?}", t.elapsed());
}
