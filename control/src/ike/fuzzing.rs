//! Entry points for cargo-fuzz (fuzz/fuzz_targets/ike_message.rs, pki_input.rs): hostile
//! bytes into the IKE codec and into a responder endpoint, which must answer or drop, and
//! into the certificate, key, PEM and signature-AUTH parsers, which must refuse; never panic.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use super::endpoint::Endpoint;
use super::peers::{IkeConfig, ike_config};
use super::wire::{ParsedMessage, parse_chain};

fn responder_config() -> &'static IkeConfig {
    static CFG: OnceLock<IkeConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let text = r#"
[interface]
address = ["10.201.2.1/24"]
[[profile]]
name = "p"
dh-group = ["ecp256", "modp1024"]
hash-algorithm = "sha256"
[[proposal]]
name = "e"
enc-algorithms = ["aes-128-gcm", "aes-128-cbc"]
[[peer]]
name = "any"
address = "0.0.0.0/0"
exchange-mode = "ike2"
secret = "fuzz"
profile = "p"
passive = true
[[policy]]
src-address = "10.201.2.0/24"
dst-address = "10.201.1.0/24"
sa-src-address = "192.0.2.2"
sa-dst-address = "192.0.2.1"
tunnel = true
proposal = "e"
"#;
        crate::config::parse(text)
            .map(|c| ike_config(&c).0)
            .unwrap_or_default()
    })
}

/// Parses `data` as an IKE message and as a payload chain, then hands it to a passive
/// responder (first as IKE_SA_INIT traffic on port 500, then on 4500).
pub fn ike_message(data: &[u8]) {
    if let Ok(p) = ParsedMessage::parse(data)
        && let Some(sk) = &p.encrypted
    {
        let _ = sk.aad(data);
        let _ = sk.body(data);
    }
    if let Some((&first, rest)) = data.split_first() {
        let _ = parse_chain(super::wire::PayloadType(first), rest);
    }
    let now = Instant::now();
    let mut e = Endpoint::new(responder_config().clone(), now);
    let local: SocketAddr = ([192, 0, 2, 2], 500).into();
    let remote: SocketAddr = ([192, 0, 2, 1], 500).into();
    e.handle(now, local, remote, data);
    // A second message on the same endpoint reaches the SA the first one may have created.
    e.handle(now, local, remote, data);
    e.tick(now);
    let _ = e.take_actions();
}

/// A fixed P-256 key to check hostile AUTH payloads against.
fn fuzz_public_key() -> &'static super::pki::PublicKey {
    static KEY: OnceLock<super::pki::PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let signing = p256::ecdsa::SigningKey::from_slice(&[0x11; 32]);
        match signing {
            Ok(k) => super::pki::PrivateKey::P256(k).public_key(),
            Err(_) => unreachable!("0x11.. is a valid P-256 scalar"),
        }
    })
}

/// Parses `data` as a certificate (then validates it against itself, reads its names and
/// matches identities), an AlgorithmIdentifier, public and private keys, PEM text, and an
/// RFC 7427 AUTH payload checked against a fixed key.
pub fn pki_input(data: &[u8]) {
    use super::pki::identity::id_matches_cert;
    use super::pki::{
        Cert, HashAlg, PrivateKey, PublicKey, SignatureScheme, pem, verify_auth, verify_chain,
    };
    use super::wire::{AuthMethod, Authentication, IdType, Identification};
    if let Ok(cert) = Cert::from_der(data) {
        let _ = (
            cert.subject(),
            cert.issuer(),
            cert.spki_sha1(),
            cert.public_key(),
        );
        let _ = (
            cert.not_before(),
            cert.not_after(),
            cert.is_ca(),
            cert.eku_allows_ike(),
        );
        let _ = verify_chain(
            &cert,
            &[],
            std::slice::from_ref(&cert),
            std::time::SystemTime::now(),
        );
        for id_type in [
            IdType::DER_ASN1_DN,
            IdType::FQDN,
            IdType::RFC822_ADDR,
            IdType::IPV4_ADDR,
        ] {
            let id = Identification {
                id_type,
                data: data.get(..16).unwrap_or(data).to_vec(),
            };
            let _ = id_matches_cert(&id, &cert);
        }
    }
    let _ = SignatureScheme::from_algorithm_identifier(data);
    let _ = PublicKey::from_spki_der(data);
    let _ = PublicKey::from_pkcs1_der(data);
    let _ = PrivateKey::from_pkcs8_der(data);
    let _ = PrivateKey::from_sec1_der(data);
    let _ = pem::blocks(data);
    for method in [
        AuthMethod::DIGITAL_SIGNATURE,
        AuthMethod::ECDSA_256,
        AuthMethod::RSA_SIG,
    ] {
        let auth = Authentication {
            method,
            data: data.to_vec(),
        };
        let _ = verify_auth(fuzz_public_key(), &auth, b"octets", &HashAlg::ANNOUNCED);
    }
}

/// Seed inputs for `pki_input`: certificates as `tunsec cert` makes them (DER and PEM), an
/// RFC 7427 AUTH payload body and a public key.
pub fn pki_seeds() -> Vec<Vec<u8>> {
    use super::pki::keys::{Curve, KeySpec};
    use super::pki::make::{Template, issue};
    use super::pki::{HashAlg, PrivateKey, build_auth, pem};
    let mut out = Vec::new();
    for spec in [KeySpec::Ec(Curve::P256), KeySpec::Rsa(1024)] {
        let Ok(key) = PrivateKey::generate(spec) else {
            continue;
        };
        let (not_before, not_after) = Template::validity(30, 0);
        let t = Template {
            subject: "CN=seed,O=tunsec".into(),
            alt_names: vec!["dns:seed.example".into(), "ip:192.0.2.1".into()],
            is_ca: true,
            not_before,
            not_after,
        };
        if let Ok(cert) = issue(&t, &key.public_key(), None, Some(&key)) {
            out.push(cert.der().to_vec());
            out.push(pem::encode("CERTIFICATE", cert.der()).as_bytes().to_vec());
        }
        if let Ok(spki) = key.public_key().to_spki_der() {
            out.push(spki);
        }
        if let Ok(a) = build_auth(&key, Some(&HashAlg::ANNOUNCED), b"octets") {
            out.push(a.data);
        }
    }
    out
}

/// Seed inputs: a real IKE_SA_INIT request as tunsec sends it.
pub fn seeds() -> Vec<Vec<u8>> {
    let text = r#"
[interface]
address = ["10.201.1.1/24"]
[[profile]]
name = "p"
dh-group = ["ecp256"]
hash-algorithm = "sha256"
[[proposal]]
name = "e"
enc-algorithms = ["aes-128-gcm"]
[[peer]]
name = "b"
address = "192.0.2.2/32"
local-address = "192.0.2.1"
exchange-mode = "ike2"
secret = "fuzz"
profile = "p"
[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.2.0/24"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
tunnel = true
proposal = "e"
"#;
    let Ok(cfg) = crate::config::parse(text) else {
        return Vec::new();
    };
    let mut e = Endpoint::new(ike_config(&cfg).0, Instant::now());
    e.tick(Instant::now());
    e.take_actions()
        .into_iter()
        .filter_map(|a| match a {
            super::endpoint::Action::Send { message, .. } => Some(message),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn seeds_are_accepted_and_fuzz_entry_survives_them() {
        let seeds = super::seeds();
        assert!(!seeds.is_empty());
        for s in &seeds {
            super::ike_message(s);
        }
        let pki = super::pki_seeds();
        assert_eq!(pki.len(), 8);
        for s in &pki {
            super::pki_input(s);
        }
        if std::env::var_os("TUNSEC_WRITE_SEEDS").is_some() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/seeds/pki_input");
            std::fs::create_dir_all(dir).unwrap();
            for (i, s) in pki.iter().enumerate() {
                std::fs::write(format!("{dir}/seed-{i}"), s).unwrap();
            }
        }
        if std::env::var_os("TUNSEC_WRITE_SEEDS").is_some() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/seeds/ike_message");
            std::fs::create_dir_all(dir).unwrap();
            for (i, s) in seeds.iter().enumerate() {
                std::fs::write(format!("{dir}/init-{i}"), s).unwrap();
            }
        }
    }
}
