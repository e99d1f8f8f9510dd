//! Tests of the Encrypted payload: round trips for every suite, the RFC 7634 IKEv2 example,
//! and tampering, truncation and garbage, all of which must be errors and none a panic.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use super::*;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn key(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

fn suites() -> Vec<(IkeEncr, IkeInteg)> {
    let mut all = Vec::new();
    for key_len in [16, 24, 32] {
        for integ in [
            IkeInteg::HmacSha1_96,
            IkeInteg::HmacSha256_128,
            IkeInteg::HmacSha384_192,
            IkeInteg::HmacSha512_256,
        ] {
            all.push((IkeEncr::AesCbc { key_len }, integ));
        }
        for icv_len in [8, 12, 16] {
            all.push((IkeEncr::AesGcm { key_len, icv_len }, IkeInteg::None));
        }
    }
    all.push((IkeEncr::ChaCha20Poly1305, IkeInteg::None));
    all
}

fn cipher(encr: IkeEncr, integ: IkeInteg) -> SkCipher {
    SkCipher::new(
        encr,
        integ,
        &key(encr.key_material_len(), 0x11),
        &key(integ.key_len(), 0x22),
    )
    .unwrap()
}

/// A frame as the wire code builds it: 28-byte IKE header and 4-byte SK header.
fn frame(body_len: usize) -> Vec<u8> {
    let mut f = vec![0u8; 32];
    f[..8].copy_from_slice(&[1; 8]);
    f[8..16].copy_from_slice(&[2; 8]);
    f[16] = 46; // next payload SK
    f[17] = 0x20;
    f[18] = 37; // INFORMATIONAL
    f[24..28].copy_from_slice(&((32 + body_len) as u32).to_be_bytes());
    f[28] = 41; // first inner payload: Notify
    f[30..32].copy_from_slice(&((4 + body_len) as u16).to_be_bytes());
    f
}

#[test]
fn every_suite_round_trips_every_length() {
    for (encr, integ) in suites() {
        let mut out = cipher(encr, integ);
        let inp = cipher(encr, integ);
        for len in 0..=40 {
            let plain: Vec<u8> = (0..len as u8).collect();
            let body_len = out.body_len(len);
            let f = frame(body_len);
            let body = out.seal(&f, &plain).unwrap();
            assert_eq!(body.len(), body_len, "{encr:?} {integ:?} {len}");
            let text_len = body_len - out.iv_len() - out.icv_len();
            assert_eq!(text_len % encr.block_len(), 0);
            // Minimum padding.
            assert!(text_len - len - 1 < encr.block_len());
            let opened = inp.open(&f, &body).unwrap();
            assert_eq!(&opened[..], &plain[..], "{encr:?} {integ:?} {len}");
        }
    }
}

/// RFC 7634 appendix B: an INFORMATIONAL request with a SET_WINDOW_SIZE notify under
/// ChaCha20-Poly1305 (KEYMAT 80..9f, salt a0a1a2a3, IV 1011121314151617).
#[test]
fn rfc7634_ikev2_example() {
    let message = h(concat!(
        "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e20250000000009000000452900002910111213",
        "14151617610394701f8d017f7c129248896b71bfe25236efd7cdc67066906315b2",
    ));
    let keymat = h("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3");
    let inner = h("0000000c000040010000000a");
    let (f, body) = message.split_at(32);
    let inp = SkCipher::new(IkeEncr::ChaCha20Poly1305, IkeInteg::None, &keymat, &[]).unwrap();
    assert_eq!(&inp.open(f, body).unwrap()[..], &inner[..]);
    let mut out = SkCipher::new(IkeEncr::ChaCha20Poly1305, IkeInteg::None, &keymat, &[]).unwrap();
    out.set_next_iv(0x1011_1213_1415_1617);
    assert_eq!(out.body_len(inner.len()), body.len());
    assert_eq!(out.seal(f, &inner).unwrap(), body);
}

/// Every single-bit change of the body or of the frame it is bound to is refused.
#[test]
fn every_flipped_bit_is_refused() {
    let picks = [
        (IkeEncr::AesCbc { key_len: 32 }, IkeInteg::HmacSha256_128),
        (IkeEncr::AesCbc { key_len: 16 }, IkeInteg::HmacSha1_96),
        (
            IkeEncr::AesGcm {
                key_len: 32,
                icv_len: 16,
            },
            IkeInteg::None,
        ),
        (
            IkeEncr::AesGcm {
                key_len: 16,
                icv_len: 8,
            },
            IkeInteg::None,
        ),
        (IkeEncr::ChaCha20Poly1305, IkeInteg::None),
    ];
    for (encr, integ) in picks {
        let mut out = cipher(encr, integ);
        let inp = cipher(encr, integ);
        let plain = b"twenty-one bytes here";
        let f = frame(out.body_len(plain.len()));
        let body = out.seal(&f, plain).unwrap();
        for bit in 0..body.len() * 8 {
            let mut bad = body.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(inp.open(&f, &bad).is_err(), "{encr:?} body bit {bit}");
        }
        for bit in 0..f.len() * 8 {
            let mut bad = f.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                inp.open(&bad, &body).unwrap_err(),
                SkError::Integrity,
                "{encr:?} frame bit {bit}"
            );
        }
        // Keys of the other direction do not open it either.
        let other = SkCipher::new(
            encr,
            integ,
            &key(encr.key_material_len(), 0x33),
            &key(integ.key_len(), 0x44),
        )
        .unwrap();
        assert!(other.open(&f, &body).is_err());
    }
}

/// Truncated bodies (every prefix and every suffix), extended bodies and random garbage of
/// every length are errors, never panics.
#[test]
fn truncated_and_garbage_bodies_are_errors() {
    for (encr, integ) in suites() {
        let mut out = cipher(encr, integ);
        let inp = cipher(encr, integ);
        let f = frame(out.body_len(30));
        let body = out.seal(&f, &[7; 30]).unwrap();
        for cut in 0..body.len() {
            assert!(inp.open(&f, &body[..cut]).is_err(), "{encr:?} prefix {cut}");
            assert!(
                inp.open(&f, &body[cut + 1..]).is_err(),
                "{encr:?} suffix {cut}"
            );
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(inp.open(&f, &longer).is_err());
        let mut noise = vec![0u8; 200];
        getrandom::fill(&mut noise).unwrap();
        for len in 0..noise.len() {
            assert!(inp.open(&f, &noise[..len]).is_err());
        }
        assert!(inp.open(&[], &[]).is_err());
    }
}

#[test]
fn short_and_misaligned_bodies_say_so() {
    let inp = cipher(IkeEncr::AesCbc { key_len: 16 }, IkeInteg::HmacSha256_128);
    // IV 16 + one block 16 + ICV 16.
    assert_eq!(inp.open(&[], &[0; 47]).unwrap_err(), SkError::Short(47));
    assert_eq!(inp.open(&[], &[0; 49]).unwrap_err(), SkError::Alignment(17));
    assert_eq!(inp.open(&[], &[0; 48]).unwrap_err(), SkError::Integrity);
    let gcm = cipher(
        IkeEncr::AesGcm {
            key_len: 16,
            icv_len: 16,
        },
        IkeInteg::None,
    );
    assert_eq!(gcm.open(&[], &[0; 24]).unwrap_err(), SkError::Short(24));
    assert_eq!(gcm.open(&[], &[0; 25]).unwrap_err(), SkError::Integrity);
}

/// A correctly authenticated body whose pad length points before its start is refused.
#[test]
fn pad_length_past_the_start_is_refused() {
    for (encr, integ) in [
        (IkeEncr::AesCbc { key_len: 16 }, IkeInteg::HmacSha256_128),
        (IkeEncr::ChaCha20Poly1305, IkeInteg::None),
    ] {
        let out = cipher(encr, integ);
        let inp = cipher(encr, integ);
        let iv = [9u8; 16];
        let iv = &iv[..encr.iv_len()];
        let mut text = vec![0u8; 16];
        text[15] = 16; // pad length 16 in 16 bytes: one too many
        let f = frame(iv.len() + text.len() + out.icv_len());
        let mut body = iv.to_vec();
        match &out.protection {
            Protection::Cbc { key, integ } => {
                key.encrypt(iv, &mut text).unwrap();
                body.extend_from_slice(&text);
                let mut icv = vec![0u8; integ.icv_len()];
                integ.compute(&[&f, &body], &mut icv);
                body.extend_from_slice(&icv);
            }
            Protection::Aead { aead, salt } => {
                let tag = aead.seal(nonce(salt, iv), &f, &mut text).unwrap();
                body.extend_from_slice(&text);
                body.extend_from_slice(&tag);
            }
        }
        assert_eq!(
            inp.open(&f, &body).unwrap_err(),
            SkError::Padding { pad: 16, len: 16 },
            "{encr:?}"
        );
    }
}

/// AEAD explicit IVs count up from zero; CBC IVs are random.
#[test]
fn ivs() {
    let mut gcm = cipher(
        IkeEncr::AesGcm {
            key_len: 16,
            icv_len: 16,
        },
        IkeInteg::None,
    );
    for n in 0u64..3 {
        let body = gcm.seal(&frame(0), b"x").unwrap();
        assert_eq!(body[..8], n.to_be_bytes());
    }
    gcm.set_next_iv(u64::MAX);
    assert!(gcm.seal(&frame(0), b"x").is_err());
    let mut cbc = cipher(IkeEncr::AesCbc { key_len: 16 }, IkeInteg::HmacSha1_96);
    let a = cbc.seal(&frame(0), b"x").unwrap();
    let b = cbc.seal(&frame(0), b"x").unwrap();
    assert_ne!(a[..16], b[..16]);
}

#[test]
fn suites_and_keys_are_checked() {
    let gcm = IkeEncr::AesGcm {
        key_len: 16,
        icv_len: 16,
    };
    let cbc = IkeEncr::AesCbc { key_len: 16 };
    let suite = |encr, integ| SkError::Suite { encr, integ };
    let err = |encr, integ: IkeInteg, ek: usize, ik: usize| {
        SkCipher::new(encr, integ, &key(ek, 1), &key(ik, 2)).unwrap_err()
    };
    assert_eq!(
        err(gcm, IkeInteg::HmacSha256_128, 20, 32),
        suite(gcm, IkeInteg::HmacSha256_128)
    );
    assert_eq!(err(cbc, IkeInteg::None, 16, 0), suite(cbc, IkeInteg::None));
    let odd = IkeEncr::AesCbc { key_len: 20 };
    assert_eq!(
        err(odd, IkeInteg::HmacSha1_96, 20, 20),
        suite(odd, IkeInteg::HmacSha1_96)
    );
    assert!(matches!(
        err(gcm, IkeInteg::None, 16, 0),
        SkError::KeyLength {
            which: "encryption",
            got: 16,
            want: 20
        }
    ));
    assert!(matches!(
        err(cbc, IkeInteg::HmacSha256_128, 16, 20),
        SkError::KeyLength {
            which: "integrity",
            got: 20,
            want: 32
        }
    ));
    assert!(matches!(
        err(gcm, IkeInteg::None, 20, 4),
        SkError::KeyLength {
            which: "integrity",
            ..
        }
    ));
}

#[test]
fn cipher_is_send_sync_and_hides_keys() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<SkCipher>();
    let c = cipher(IkeEncr::ChaCha20Poly1305, IkeInteg::None);
    assert_eq!(
        format!("{c:?}"),
        "SkCipher { encr: ChaCha20Poly1305, integ: None, .. }"
    );
}
