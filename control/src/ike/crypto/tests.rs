//! Crypto tests of shapes and hostile input. Agreement with an independent implementation
//! (every DH group, the key schedule, SK bodies both ways) is `crosscheck.rs`'s job.

use super::*;

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
fn modp_primes_match_the_words_the_rfcs_print() {
    // RFC 2409 6.2 (group 2) and RFC 3526 3 (group 14): the last words before the final
    // all-ones, and the shared pi prefix.
    assert!(super::dh::primes::MODP_1024.ends_with("49286651ECE65381FFFFFFFFFFFFFFFF"));
    assert!(super::dh::primes::MODP_2048.ends_with("15728E5A8AACAA68FFFFFFFFFFFFFFFF"));
    for g in DhGroup::ALL.iter().filter(|g| !prime_hex(**g).is_empty()) {
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

fn frame(body_len: usize) -> Vec<u8> {
    let mut f = vec![0xabu8; 28];
    f.extend_from_slice(&[35, 0]);
    f.extend_from_slice(&((4 + body_len) as u16).to_be_bytes());
    f
}

#[test]
fn sk_bodies_round_trip_and_tampering_is_refused() {
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
