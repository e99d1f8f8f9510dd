//! Signatures and certificates against python3-cryptography (`crosscheck.py`): every key
//! type and scheme signed here and verified there, signed there and verified here, tampered
//! copies refused on both sides; certificates made by `make` checked there, and Python-made
//! certificates (RSA and ECDSA CAs, SHA-2 hashes) validated here. Skipped, with a message,
//! without /usr/bin/python3 or its `cryptography`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::SystemTime;

use super::cert::Cert;
use super::chain::verify_chain;
use super::hash::HashAlg;
use super::keys::{Curve, KeySpec, PrivateKey};
use super::make::{Template, issue};
use super::sig::{self, EcdsaFormat, SignatureScheme};

const PYTHON: &str = "/usr/bin/python3";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ike/pki/crosscheck.py");

fn scheme_name(s: SignatureScheme) -> String {
    match s {
        SignatureScheme::RsaPkcs1(h) => format!("pkcs1-{h}"),
        SignatureScheme::RsaPss(h) => format!("pss-{h}"),
        SignatureScheme::Ecdsa(h) => format!("ecdsa-{h}"),
    }
}

fn format_name(f: EcdsaFormat) -> &'static str {
    match f {
        EcdsaFormat::Der => "der",
        EcdsaFormat::Fixed => "fixed",
    }
}

/// Every (scheme, format) a key of this kind signs with.
fn cases(key: &PrivateKey) -> Vec<(SignatureScheme, EcdsaFormat)> {
    let all = [
        HashAlg::Sha1,
        HashAlg::Sha256,
        HashAlg::Sha384,
        HashAlg::Sha512,
    ];
    match key.public_key().curve() {
        None => all
            .iter()
            .map(|h| (SignatureScheme::RsaPkcs1(*h), EcdsaFormat::Der))
            .chain(
                all[1..]
                    .iter()
                    .map(|h| (SignatureScheme::RsaPss(*h), EcdsaFormat::Der)),
            )
            .collect(),
        Some(c) => all[1..]
            .iter()
            // ECDSA needs a hash at least half the field (P-521 with SHA-256 is not usable).
            .filter(|h| 2 * h.output_len() >= c.field_len())
            .flat_map(|h| {
                [EcdsaFormat::Der, EcdsaFormat::Fixed].map(|f| (SignatureScheme::Ecdsa(*h), f))
            })
            .collect(),
    }
}

fn run_python(input: &str) -> Option<String> {
    if !std::path::Path::new(PYTHON).exists() {
        println!("SKIPPED pki python cross-check: {PYTHON} not found");
        return None;
    }
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
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "crosscheck.py failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    if let Some(reason) = stdout.strip_prefix("skip ") {
        println!("SKIPPED pki python cross-check: {}", reason.trim());
        return None;
    }
    Some(stdout)
}

#[test]
fn signatures_and_certificates_agree_with_python_cryptography() {
    let keys: Vec<(&str, PrivateKey)> = vec![
        ("rsa2048", PrivateKey::generate(KeySpec::Rsa(2048)).unwrap()),
        ("rsa3072", PrivateKey::generate(KeySpec::Rsa(3072)).unwrap()),
        (
            "p256",
            PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap(),
        ),
        (
            "p384",
            PrivateKey::generate(KeySpec::Ec(Curve::P384)).unwrap(),
        ),
        (
            "p521",
            PrivateKey::generate(KeySpec::Ec(Curve::P521)).unwrap(),
        ),
    ];
    let msg = b"RealMessage | Nonce | prf(SK_p, ID') stands in for the IKE signed octets";
    let mut input = String::new();
    let mut expect_verify = BTreeMap::new();
    let mut to_verify = BTreeMap::new();
    for (name, key) in &keys {
        input.push_str(&format!(
            "key {name} {}\n",
            hex::encode(&*key.to_pkcs8_der().unwrap())
        ));
        for (scheme, format) in cases(key) {
            let id = format!("{name}.{}.{}", scheme_name(scheme), format_name(format));
            let s = sig::sign(key, scheme, format, msg).unwrap();
            let mut bad = s.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x01;
            for (suffix, sig, want) in [("good", &s, "ok"), ("bad", &bad, "bad")] {
                input.push_str(&format!(
                    "verify {id}.{suffix} {name} {} {} {} {}\n",
                    scheme_name(scheme),
                    format_name(format),
                    hex::encode(msg),
                    hex::encode(sig)
                ));
                expect_verify.insert(format!("{id}.{suffix}"), want);
            }
            input.push_str(&format!(
                "sign {id} {name} {} {} {}\n",
                scheme_name(scheme),
                format_name(format),
                hex::encode(msg)
            ));
            to_verify.insert(id, (key.public_key(), scheme, format));
        }
    }
    // Certificates made here: an RSA root, an ECDSA intermediate, an ECDSA and an RSA leaf.
    let (nb, na) = Template::validity(30, 0);
    let t = |subject: &str, ca: bool| Template {
        subject: subject.into(),
        alt_names: vec!["dns:gw.example".into()],
        is_ca: ca,
        not_before: nb,
        not_after: na,
    };
    let root_key = &keys[0].1;
    let root = issue(
        &t("CN=root", true),
        &root_key.public_key(),
        None,
        Some(root_key),
    )
    .unwrap();
    let sub_key = &keys[3].1;
    let sub = issue(
        &t("CN=sub", true),
        &sub_key.public_key(),
        Some((&root, root_key)),
        None,
    )
    .unwrap();
    let leaf_ec = issue(
        &t("CN=leaf-ec", false),
        &keys[2].1.public_key(),
        Some((&sub, sub_key)),
        None,
    )
    .unwrap();
    let leaf_rsa = issue(
        &t("CN=leaf-rsa", false),
        &keys[1].1.public_key(),
        Some((&root, root_key)),
        None,
    )
    .unwrap();
    let certs = [
        ("root", &root, &root),
        ("sub", &sub, &root),
        ("leaf-ec", &leaf_ec, &sub),
        ("leaf-rsa", &leaf_rsa, &root),
    ];
    for (id, c, issuer) in certs {
        input.push_str(&format!(
            "cert {id} {} {}\n",
            hex::encode(c.der()),
            hex::encode(issuer.der())
        ));
    }
    input.push_str("makecerts\n");

    let Some(stdout) = run_python(&input) else {
        return;
    };
    let mut verified = 0;
    let mut signed = 0;
    let mut certs_ok = 0;
    let mut py_cas: BTreeMap<String, Cert> = BTreeMap::new();
    let mut py_certs = Vec::new();
    let mut py_keys = BTreeMap::new();
    let mut traditional = 0;
    for line in stdout.lines() {
        let mut f = line.splitn(4, ' ');
        let op = f.next().unwrap();
        let id = f.next().unwrap().to_owned();
        let rest: Vec<&str> = f.collect();
        match op {
            "verify" => {
                assert_eq!(rest[0], expect_verify[&id], "python verify {id}");
                verified += 1;
            }
            "sign" => {
                let (key, scheme, format) = &to_verify[&id];
                let s = hex::decode(rest[0]).unwrap();
                sig::verify(key, *scheme, *format, msg, &s)
                    .unwrap_or_else(|e| panic!("python's {id} signature: {e}"));
                let mut bad = s.clone();
                let last = bad.len() - 1;
                bad[last] ^= 0x80;
                assert!(
                    sig::verify(key, *scheme, *format, msg, &bad).is_err(),
                    "{id} tampered"
                );
                assert!(
                    sig::verify(key, *scheme, *format, b"other message", &s).is_err(),
                    "{id} other message"
                );
                signed += 1;
            }
            "cert" => {
                assert_eq!(rest.join(" "), "ok", "python on our certificate {id}");
                certs_ok += 1;
            }
            "pyca" => {
                py_cas.insert(id, Cert::from_der(&hex::decode(rest[0]).unwrap()).unwrap());
            }
            "pycert" => {
                py_certs.push((
                    id,
                    rest[0].to_owned(),
                    Cert::from_der(&hex::decode(rest[1]).unwrap()).unwrap(),
                ));
            }
            "pykey" => {
                // Python's PKCS#8 keys load here.
                let k = PrivateKey::from_pkcs8_der(&hex::decode(rest[0]).unwrap()).unwrap();
                py_keys.insert(id, k.public_key());
            }
            "pytrad" => {
                // And the same keys in PKCS#1 (RSA) or SEC1 (EC) form give the same public key.
                let der = hex::decode(rest[0]).unwrap();
                let k = PrivateKey::from_pkcs1_der(&der)
                    .or_else(|_| PrivateKey::from_sec1_der(&der))
                    .unwrap();
                assert_eq!(py_keys[&id], k.public_key(), "{id}");
                traditional += 1;
            }
            other => panic!("unexpected line {other}"),
        }
    }
    // Python's certificates validate here, and their signatureAlgorithm is byte for byte
    // the AlgorithmIdentifier we write for that scheme.
    let now = SystemTime::now();
    for (id, ca_name, cert) in &py_certs {
        let ca = &py_cas[ca_name];
        let path = verify_chain(cert, &[], std::slice::from_ref(ca), now)
            .unwrap_or_else(|e| panic!("python certificate {id}: {e}"));
        assert_eq!(path.len(), 2);
        let scheme =
            SignatureScheme::from_algorithm_identifier(&cert.signature_algorithm_der()).unwrap();
        assert_eq!(
            scheme.algorithm_identifier(),
            cert.signature_algorithm_der(),
            "{id}"
        );
        // And not by the other CA.
        let other = py_cas.values().find(|c| *c != ca).unwrap();
        assert!(verify_chain(cert, &[], std::slice::from_ref(other), now).is_err());
    }
    println!(
        "pki python cross-check: {verified} of our signatures judged, {signed} of Python's verified, {certs_ok} of our certificates and {} of Python's validated",
        py_certs.len()
    );
    assert_eq!(verified, expect_verify.len());
    assert_eq!(signed, to_verify.len());
    assert_eq!(certs_ok, 4);
    assert_eq!(py_certs.len(), 12);
    assert_eq!(traditional, 4);
}
