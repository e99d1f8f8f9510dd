//! Unit tests of the pki module against fixed values (RFC 7427 Appendix A), the AUTH method
//! choice, path validation's refusals, and hostile input: corrupted certificates, keys,
//! signatures and AUTH payloads are refused without a panic.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::{Duration, SystemTime};

use super::super::wire::{AuthMethod, Authentication};
use super::auth::{AuthVerifyError, build_auth, verify_auth};
use super::cert::Cert;
use super::chain::{ChainError, verify_chain};
use super::hash::HashAlg;
use super::keys::{Curve, KeySpec, PrivateKey, PublicKey};
use super::make::{Template, issue};
use super::sig::{self, EcdsaFormat, SigError, SignatureScheme};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

/// RFC 7427 Appendix A: the AlgorithmIdentifier blobs of A.1 (PKCS#1 1.5) and A.3 (ECDSA).
#[test]
fn algorithm_identifiers_are_rfc7427_appendix_a() {
    let cases = [
        (
            SignatureScheme::RsaPkcs1(HashAlg::Sha1),
            "30 0d 06 09 2a 86 48 86 f7 0d 01 01 05 05 00",
        ),
        (
            SignatureScheme::RsaPkcs1(HashAlg::Sha256),
            "30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00",
        ),
        (
            SignatureScheme::RsaPkcs1(HashAlg::Sha384),
            "30 0d 06 09 2a 86 48 86 f7 0d 01 01 0c 05 00",
        ),
        (
            SignatureScheme::RsaPkcs1(HashAlg::Sha512),
            "30 0d 06 09 2a 86 48 86 f7 0d 01 01 0d 05 00",
        ),
        (
            SignatureScheme::Ecdsa(HashAlg::Sha1),
            "30 09 06 07 2a 86 48 ce 3d 04 01",
        ),
        (
            SignatureScheme::Ecdsa(HashAlg::Sha256),
            "30 0a 06 08 2a 86 48 ce 3d 04 03 02",
        ),
        (
            SignatureScheme::Ecdsa(HashAlg::Sha384),
            "30 0a 06 08 2a 86 48 ce 3d 04 03 03",
        ),
        (
            SignatureScheme::Ecdsa(HashAlg::Sha512),
            "30 0a 06 08 2a 86 48 ce 3d 04 03 04",
        ),
    ];
    for (scheme, blob) in cases {
        assert_eq!(
            hex::encode(scheme.algorithm_identifier()),
            hex::encode(h(blob)),
            "{scheme}"
        );
        assert_eq!(
            SignatureScheme::from_algorithm_identifier(&h(blob)).unwrap(),
            scheme
        );
    }
}

/// RSASSA-PSS with SHA-256 (RFC 7427 A.4.3's parameters: SHA-256, MGF1 with SHA-256, salt
/// 32) in RFC 4055's DER. The structure is the one of Chromium's rsa-pss-sha256-salt10 test
/// ALGORITHM block, whose salt (the last byte, 10) becomes 32 here.
#[test]
fn pss_algorithm_identifier_is_rfc4055_der() {
    let chromium_salt10 = "3041 0609 2a864886f70d01010a 3034 a00f 300d 0609 608648016503040201 0500 a11c 301a 0609 2a864886f70d010108 300d 0609 608648016503040201 0500 a203 0201 0a";
    let mut want = h(chromium_salt10);
    *want.last_mut().unwrap() = 0x20;
    let pss256 = SignatureScheme::RsaPss(HashAlg::Sha256);
    assert_eq!(
        hex::encode(pss256.algorithm_identifier()),
        hex::encode(&want)
    );
    assert_eq!(
        SignatureScheme::from_algorithm_identifier(&want).unwrap(),
        pss256
    );
    for hash in [HashAlg::Sha384, HashAlg::Sha512] {
        let s = SignatureScheme::RsaPss(hash);
        assert_eq!(
            SignatureScheme::from_algorithm_identifier(&s.algorithm_identifier()).unwrap(),
            s
        );
    }
    // The salt-10 form (or any other salt) is refused, not misread.
    assert!(matches!(
        SignatureScheme::from_algorithm_identifier(&h(chromium_salt10)),
        Err(SigError::Unsupported(_))
    ));
}

#[test]
fn signature_hash_algorithms_notify() {
    assert_eq!(
        HashAlg::notify_data(&HashAlg::ANNOUNCED),
        [0, 4, 0, 3, 0, 2]
    );
    // strongSwan 5.9 announces SHA-256/384/512 and Identity (5): the unknown one is skipped.
    assert_eq!(
        HashAlg::parse_notify(&[0, 2, 0, 3, 0, 4, 0, 5, 0]),
        [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512]
    );
}

fn keys() -> Vec<PrivateKey> {
    vec![
        PrivateKey::generate(KeySpec::Rsa(2048)).unwrap(),
        PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap(),
        PrivateKey::generate(KeySpec::Ec(Curve::P384)).unwrap(),
        PrivateKey::generate(KeySpec::Ec(Curve::P521)).unwrap(),
    ]
}

#[test]
fn auth_method_follows_what_the_peer_announced() {
    let octets = b"signed octets";
    let announced = HashAlg::ANNOUNCED;
    for key in keys() {
        let public = key.public_key();
        // No SIGNATURE_HASH_ALGORITHMS: the fixed methods.
        let fixed = build_auth(&key, None, octets).unwrap();
        let want = match public.curve() {
            None => AuthMethod::RSA_SIG,
            Some(Curve::P256) => AuthMethod::ECDSA_256,
            Some(Curve::P384) => AuthMethod::ECDSA_384,
            Some(Curve::P521) => AuthMethod::ECDSA_521,
        };
        assert_eq!(fixed.method, want, "{}", key.describe());
        assert!(verify_auth(&public, &fixed, octets, &announced).is_ok());
        // RFC 7427: method 14 with the curve's hash (SHA-256 for RSA) when offered.
        let ds = build_auth(&key, Some(&announced), octets).unwrap();
        assert_eq!(ds.method, AuthMethod::DIGITAL_SIGNATURE);
        let scheme = verify_auth(&public, &ds, octets, &announced).unwrap();
        let want_hash = match public.curve() {
            None | Some(Curve::P256) => HashAlg::Sha256,
            Some(Curve::P384) => HashAlg::Sha384,
            Some(Curve::P521) => HashAlg::Sha512,
        };
        assert_eq!(scheme.hash(), want_hash, "{}", key.describe());
        // Only SHA-384 offered: used, except on P-521, whose field needs 33+ bytes of hash.
        let only384 = build_auth(&key, Some(&[HashAlg::Sha384]), octets).unwrap();
        assert_eq!(only384.method, AuthMethod::DIGITAL_SIGNATURE);
        // A peer announcing nothing we know gets the fixed method.
        let none = build_auth(&key, Some(&[]), octets).unwrap();
        assert_eq!(none.method, want);
        // Wrong octets, and a signature checked against a hash we never announced.
        assert!(matches!(
            verify_auth(&public, &ds, b"other octets", &announced),
            Err(AuthVerifyError::Signature {
                error: SigError::Invalid,
                ..
            })
        ));
        assert!(matches!(
            verify_auth(&public, &ds, octets, &[HashAlg::Sha1]),
            Err(AuthVerifyError::HashNotAnnounced(_))
        ));
    }
}

#[test]
fn auth_method_and_key_must_fit() {
    let ks = keys();
    let rsa_auth = build_auth(&ks[0], None, b"x").unwrap();
    let p256_auth = build_auth(&ks[1], None, b"x").unwrap();
    let ann = HashAlg::ANNOUNCED;
    assert!(matches!(
        verify_auth(&ks[1].public_key(), &rsa_auth, b"x", &ann),
        Err(AuthVerifyError::MethodKeyMismatch { method: 1, .. })
    ));
    assert!(matches!(
        verify_auth(&ks[0].public_key(), &p256_auth, b"x", &ann),
        Err(AuthVerifyError::MethodKeyMismatch { method: 9, .. })
    ));
    // A P-256 signature claimed as P-384 (method 10).
    let claimed = Authentication {
        method: AuthMethod::ECDSA_384,
        data: p256_auth.data.clone(),
    };
    assert!(verify_auth(&ks[1].public_key(), &claimed, b"x", &ann).is_err());
    for method in [
        AuthMethod::SHARED_KEY_MIC,
        AuthMethod::DSS_SIG,
        AuthMethod::NULL_AUTH,
        AuthMethod(201),
    ] {
        let a = Authentication {
            method,
            data: vec![0; 64],
        };
        assert!(matches!(
            verify_auth(&ks[0].public_key(), &a, b"x", &ann),
            Err(AuthVerifyError::UnsupportedMethod(_))
        ));
    }
}

#[test]
fn hostile_auth_payloads_are_refused() {
    let key = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
    let public = key.public_key();
    let good = build_auth(&key, Some(&HashAlg::ANNOUNCED), b"octets").unwrap();
    let ann = HashAlg::ANNOUNCED;
    // Every truncation and every single-byte change of a method-14 AUTH.
    for len in 0..good.data.len() {
        let a = Authentication {
            method: good.method,
            data: good.data[..len].to_vec(),
        };
        assert!(
            verify_auth(&public, &a, b"octets", &ann).is_err(),
            "truncated to {len}"
        );
    }
    for i in 0..good.data.len() {
        for bit in [0x01, 0x80] {
            let mut a = good.clone();
            a.data[i] ^= bit;
            assert!(
                verify_auth(&public, &a, b"octets", &ann).is_err(),
                "byte {i} ^ {bit}"
            );
        }
    }
    // An AlgorithmIdentifier length past the end, an unknown algorithm, junk.
    for data in [
        vec![0xff, 0x30, 0x00],
        h("0b 3009 0607 2a8648ce380403 00"),
        vec![0x30; 300],
    ] {
        let a = Authentication {
            method: AuthMethod::DIGITAL_SIGNATURE,
            data,
        };
        assert!(verify_auth(&public, &a, b"octets", &ann).is_err());
    }
    // Fixed r|s of the wrong length, r or s zero or past the order.
    let fixed = build_auth(&key, None, b"octets").unwrap();
    for data in [
        fixed.data[..63].to_vec(),
        [fixed.data.clone(), vec![0]].concat(),
        vec![0; 64],
        vec![0xff; 64],
    ] {
        let a = Authentication {
            method: AuthMethod::ECDSA_256,
            data,
        };
        assert!(verify_auth(&public, &a, b"octets", &ann).is_err());
    }
}

#[test]
fn hostile_signatures_and_keys_are_refused() {
    let ks = keys();
    let rsa = ks[0].public_key();
    let s = sig::sign(
        &ks[0],
        SignatureScheme::RsaPkcs1(HashAlg::Sha256),
        EcdsaFormat::Der,
        b"m",
    )
    .unwrap();
    let scheme = SignatureScheme::RsaPkcs1(HashAlg::Sha256);
    for bad in [
        vec![],
        s[..255].to_vec(),
        [s.clone(), vec![0]].concat(),
        vec![0xff; 256],
        vec![0; 256],
    ] {
        assert!(sig::verify(&rsa, scheme, EcdsaFormat::Der, b"m", &bad).is_err());
    }
    assert!(matches!(
        sig::verify(
            &rsa,
            SignatureScheme::Ecdsa(HashAlg::Sha256),
            EcdsaFormat::Der,
            b"m",
            &s
        ),
        Err(SigError::KeyMismatch { .. })
    ));
    // PKCS#1 signed, checked as PSS, and the other way round.
    assert!(
        sig::verify(
            &rsa,
            SignatureScheme::RsaPss(HashAlg::Sha256),
            EcdsaFormat::Der,
            b"m",
            &s
        )
        .is_err()
    );
    // Keys: garbage, truncated, an unsupported curve's SPKI (secp256k1).
    let spki = rsa.to_spki_der().unwrap();
    for len in [0, 1, 10, spki.len() / 2, spki.len() - 1] {
        assert!(PublicKey::from_spki_der(&spki[..len]).is_err());
    }
    let k1 = h("3056301006072a8648ce3d020106052b8104000a034200 04");
    assert!(PublicKey::from_spki_der(&k1).is_err());
    assert!(PrivateKey::from_pkcs8_der(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
    assert!(PrivateKey::from_sec1_der(&[0x30, 0x00]).is_err());
    assert!(PublicKey::from_pkcs1_der(&[0x30, 0x00]).is_err());
    // RSA keys below 1024 bits are refused when read.
    assert!(KeySpec::parse("rsa:512").is_none());
    assert!(KeySpec::parse("ecdsa:p192").is_none());
    assert_eq!(KeySpec::parse("ecdsa:p384"), Some(KeySpec::Ec(Curve::P384)));
}

fn template(subject: &str, ca: bool, from: SystemTime, to: SystemTime) -> Template {
    Template {
        subject: subject.into(),
        alt_names: vec![],
        is_ca: ca,
        not_before: from,
        not_after: to,
    }
}

#[test]
fn hostile_certificates_are_refused_without_panic() {
    let key = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
    let (nb, na) = Template::validity(30, 0);
    let ca = issue(
        &template("CN=ca", true, nb, na),
        &key.public_key(),
        None,
        Some(&key),
    )
    .unwrap();
    let leaf_key = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
    let leaf = issue(
        &template("CN=leaf", false, nb, na),
        &leaf_key.public_key(),
        Some((&ca, &key)),
        None,
    )
    .unwrap();
    let now = SystemTime::now();
    assert!(verify_chain(&leaf, &[], std::slice::from_ref(&ca), now).is_ok());
    let der = leaf.der();
    for len in 0..der.len() {
        assert!(Cert::from_der(&der[..len]).is_err(), "truncated to {len}");
    }
    let mut accepted = 0;
    for i in 0..der.len() {
        for bit in [0x01, 0x80] {
            let mut d = der.to_vec();
            d[i] ^= bit;
            if let Ok(c) = Cert::from_der(&d)
                && verify_chain(&c, &[], std::slice::from_ref(&ca), now).is_ok()
            {
                accepted += 1;
            }
        }
    }
    // A flipped bit either breaks the DER or the CA's signature; the one exception is the
    // signature's own ASN.1 wrapper, which DER decoding already refuses.
    assert_eq!(accepted, 0);
}

#[test]
fn path_validation_refusals_name_the_reason() {
    let now = SystemTime::now();
    let day = Duration::from_secs(86_400);
    let ca_key = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
    let ca = issue(
        &template("CN=ca", true, now - day, now + 100 * day),
        &ca_key.public_key(),
        None,
        Some(&ca_key),
    )
    .unwrap();
    let k = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
    let cert = |subject: &str, ca_flag: bool, from, to, issuer: (&Cert, &PrivateKey)| {
        issue(
            &template(subject, ca_flag, from, to),
            &k.public_key(),
            Some(issuer),
            None,
        )
        .unwrap()
    };
    let trusted = std::slice::from_ref(&ca);

    let future = cert("CN=future", false, now + day, now + 2 * day, (&ca, &ca_key));
    assert!(matches!(
        verify_chain(&future, &[], trusted, now),
        Err(ChainError::NotYetValid { .. })
    ));
    let expired = cert("CN=old", false, now - 3 * day, now - day, (&ca, &ca_key));
    let e = verify_chain(&expired, &[], trusted, now).unwrap_err();
    assert!(
        e.to_string().starts_with("certificate CN=old expired on "),
        "{e}"
    );

    // A leaf signed by a non-CA certificate of the chain.
    let not_ca = cert("CN=not-a-ca", false, now - day, now + day, (&ca, &ca_key));
    let under = cert("CN=under", false, now - day, now + day, (&not_ca, &k));
    assert_eq!(
        verify_chain(&under, std::slice::from_ref(&not_ca), trusted, now).unwrap_err(),
        ChainError::NotCa {
            subject: "CN=not-a-ca".into()
        }
    );
    // Without the intermediate the issuer is simply unknown.
    assert_eq!(
        verify_chain(&under, &[], trusted, now)
            .unwrap_err()
            .to_string(),
        "issuer CN=not-a-ca is not a trusted CA"
    );
    // An expired trusted CA fails the chain.
    let old_ca = issue(
        &template("CN=old-ca", true, now - 3 * day, now - day),
        &ca_key.public_key(),
        None,
        Some(&ca_key),
    )
    .unwrap();
    let under_old = cert("CN=x", false, now - day, now + day, (&old_ca, &ca_key));
    assert!(matches!(
        verify_chain(&under_old, &[], std::slice::from_ref(&old_ca), now),
        Err(ChainError::Expired { .. })
    ));
    // Same CA name, other key: the signature check says so.
    let impostor_key = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
    let impostor = issue(
        &template("CN=ca", true, now - day, now + day),
        &impostor_key.public_key(),
        None,
        Some(&impostor_key),
    )
    .unwrap();
    let forged = cert(
        "CN=forged",
        false,
        now - day,
        now + day,
        (&impostor, &impostor_key),
    );
    // (the authority key ID differs too, so name and key ID both must be checked)
    let e = verify_chain(&forged, &[], trusted, now).unwrap_err();
    assert!(
        matches!(
            e,
            ChainError::UntrustedIssuer { .. } | ChainError::BadSignature { .. }
        ),
        "{e}"
    );
}
