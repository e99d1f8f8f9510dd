//! Certificate and raw-key authentication end to end in memory: two endpoints whose configs
//! name PEM files made by `pki::make` (what `tunsec cert` writes), RSA and ECDSA, chains,
//! pinned certificates, and the refusals with the log line that says why.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::super::pki::keys::{Curve, KeySpec};
use super::super::pki::make::{Template, issue};
use super::super::pki::{Cert, PeerAuth, PrivateKey, pem};
use super::*;

/// A scratch directory for one test's certificate files, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("tunsec-pki-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn path(&self, f: &str) -> String {
        self.0.join(f).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate and its key, written to `<name>.pem` / `<name>.key`.
struct Issued {
    cert: Cert,
    key: PrivateKey,
}

fn write(dir: &Dir, name: &str, certs: &[&Cert], key: &PrivateKey) {
    let mut text = String::new();
    for c in certs {
        text.push_str(&pem::encode("CERTIFICATE", c.der()));
    }
    std::fs::write(Path::new(&dir.path(&format!("{name}.pem"))), text).unwrap();
    let der = key.to_pkcs8_der().unwrap();
    std::fs::write(
        Path::new(&dir.path(&format!("{name}.key"))),
        pem::encode("PRIVATE KEY", &der).as_bytes(),
    )
    .unwrap();
}

fn days(valid: u64, backdate: u64) -> (SystemTime, SystemTime) {
    Template::validity(valid, backdate)
}

fn make_ca(dir: &Dir, name: &str, spec: KeySpec) -> Issued {
    let key = PrivateKey::generate(spec).unwrap();
    let (not_before, not_after) = days(3650, 0);
    let t = Template {
        subject: format!("CN={name},O=tunsec test"),
        alt_names: vec![],
        is_ca: true,
        not_before,
        not_after,
    };
    let cert = issue(&t, &key.public_key(), None, Some(&key)).unwrap();
    write(dir, name, &[&cert], &key);
    Issued { cert, key }
}

#[allow(clippy::too_many_arguments)]
fn make_leaf(
    dir: &Dir,
    name: &str,
    ca: &Issued,
    spec: KeySpec,
    sans: &[&str],
    validity: (SystemTime, SystemTime),
    is_ca: bool,
    chain: &[&Cert],
) -> Issued {
    let key = PrivateKey::generate(spec).unwrap();
    let t = Template {
        subject: format!("CN={name},O=tunsec test"),
        alt_names: sans.iter().map(|s| (*s).to_owned()).collect(),
        is_ca,
        not_before: validity.0,
        not_after: validity.1,
    };
    let cert = issue(&t, &key.public_key(), Some((&ca.cert, &ca.key)), None).unwrap();
    let mut all = vec![&cert];
    all.extend_from_slice(chain);
    write(dir, name, &all, &key);
    Issued { cert, key }
}

/// One side's config: `auth` replaces the pre-shared secret, `tables` are appended.
fn cert_side(
    me: &str,
    peer: &str,
    lans: (&str, &str),
    passive: bool,
    auth: &str,
    tables: &str,
) -> String {
    side(me, peer, lans.0, lans.1, passive, "", "").replace("secret = \"test-secret\"", auth)
        + tables
}

fn certificate_table(name: &str, file: &str, key: Option<&str>, trusted: bool) -> String {
    let key = key.map_or(String::new(), |k| format!("private-key-file = \"{k}\"\n"));
    format!("\n[[certificate]]\nname = \"{name}\"\nfile = \"{file}\"\n{key}trusted = {trusted}\n")
}

/// Initiator 192.0.2.1 (gw-a) and responder 192.0.2.2 (gw-b), each trusting `trust_a` /
/// `trust_b`, with extra peer lines.
/// The common gateway certificate: ECDSA P-256, no alternative names, valid for 30 days.
fn leaf(dir: &Dir, name: &str, ca: &Issued) -> Issued {
    make_leaf(
        dir,
        name,
        ca,
        KeySpec::Ec(Curve::P256),
        &[],
        days(30, 0),
        false,
        &[],
    )
}

/// A CA "ca" and two gateway certificates under it, "gw-a" and "gw-b", valid for 30 days:
/// what most of these tests start from.
/// `a_sans`: gw-a's subjectAltNames.
fn ca_and_gateways(dir: &Dir, ca: KeySpec, gw_a: KeySpec, gw_b: KeySpec, a_sans: &[&str]) {
    let ca = make_ca(dir, "ca", ca);
    for (name, spec, sans) in [("gw-a", gw_a, a_sans), ("gw-b", gw_b, &[][..])] {
        make_leaf(dir, name, &ca, spec, sans, days(30, 0), false, &[]);
    }
}

fn cert_pair(
    dir: &Dir,
    trust_a: &str,
    trust_b: &str,
    peer_a: &str,
    peer_b: &str,
    now: Instant,
) -> [Endpoint; 2] {
    let tables = |own: &str, trust: &str| {
        certificate_table(
            own,
            &dir.path(&format!("{own}.pem")),
            Some(&dir.path(&format!("{own}.key"))),
            false,
        ) + &certificate_table("trusted-ca", &dir.path(&format!("{trust}.pem")), None, true)
    };
    let a = cert_side(
        "192.0.2.1",
        "192.0.2.2",
        ("10.201.1", "10.201.2"),
        false,
        &format!("auth-method = \"rsa-signature\"\ncertificate = \"gw-a\"\n{peer_a}"),
        &tables("gw-a", trust_a),
    );
    let b = cert_side(
        "192.0.2.2",
        "192.0.2.1",
        ("10.201.2", "10.201.1"),
        true,
        &format!("auth-method = \"rsa-signature\"\ncertificate = \"gw-b\"\n{peer_b}"),
        &tables("gw-b", trust_b),
    );
    [endpoint(&a, now), endpoint(&b, now)]
}

fn established(out: &Outcome, eps: &[Endpoint; 2], now: Instant) {
    assert_eq!(out.installs[0].len(), 1, "{:#?}", out.logs);
    assert_eq!(out.installs[1].len(), 1, "{:#?}", out.logs);
    assert_keys_match(&out.installs[0][0], &out.installs[1][0]);
    assert_eq!(eps[0].remote_peers(now)[0].state, "established");
}

fn refused(out: &Outcome, side: usize, reason: &str) {
    if side == 1 {
        assert!(
            out.installs[0].is_empty() && out.installs[1].is_empty(),
            "{:#?}",
            out.logs
        );
    } else {
        // The responder has answered (and installed) before the initiator checks it; the
        // initiator's Delete takes its child down again.
        assert!(out.installs[0].is_empty(), "{:#?}", out.logs);
        assert_eq!(out.removes[1], out.installs[1].len(), "{:#?}", out.logs);
    }
    let lines: Vec<&String> = out.logs[side]
        .iter()
        .filter(|l| l.contains("failed to authenticate"))
        .collect();
    assert_eq!(lines.len(), 1, "{:#?}", out.logs);
    assert!(lines[0].starts_with("ipsec,error "), "{}", lines[0]);
    assert!(lines[0].contains(reason), "want {reason:?} in {}", lines[0]);
}

#[test]
fn rsa_certificates_from_one_ca_establish() {
    let dir = Dir::new("rsa");
    let ca = make_ca(&dir, "ca", KeySpec::Rsa(2048));
    make_leaf(
        &dir,
        "gw-a",
        &ca,
        KeySpec::Rsa(2048),
        &["dns:gw-a.example"],
        days(30, 0),
        false,
        &[],
    );
    make_leaf(
        &dir,
        "gw-b",
        &ca,
        KeySpec::Rsa(2048),
        &["dns:gw-b.example"],
        days(30, 0),
        false,
        &[],
    );
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    established(&out, &eps, now);
    // my-id auto: each end is known by its certificate's subject DN.
    assert_eq!(
        eps[0].remote_peers(now)[0].remote_id,
        "dn:CN=gw-b,O=tunsec test"
    );
    assert_eq!(
        eps[1].remote_peers(now)[0].remote_id,
        "dn:CN=gw-a,O=tunsec test"
    );
}

#[test]
fn ecdsa_certificates_on_every_curve_establish() {
    let dir = Dir::new("ecdsa");
    ca_and_gateways(
        &dir,
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P384),
        KeySpec::Ec(Curve::P521),
        &[],
    );
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    established(&out, &eps, now);
}

#[test]
fn chain_through_an_intermediate_ca_and_fqdn_identities() {
    let dir = Dir::new("chain");
    let root = make_ca(&dir, "root", KeySpec::Ec(Curve::P384));
    let sub = make_leaf(
        &dir,
        "sub",
        &root,
        KeySpec::Ec(Curve::P256),
        &[],
        days(365, 0),
        true,
        &[],
    );
    make_leaf(
        &dir,
        "gw-a",
        &sub,
        KeySpec::Rsa(2048),
        &["dns:gw-a.example"],
        days(30, 0),
        false,
        &[&sub.cert],
    );
    make_leaf(
        &dir,
        "gw-b",
        &sub,
        KeySpec::Ec(Curve::P256),
        &["dns:gw-b.example"],
        days(30, 0),
        false,
        &[&sub.cert],
    );
    let now = Instant::now();
    let mut eps = cert_pair(
        &dir,
        "root",
        "root",
        "my-id = \"fqdn:gw-a.example\"\nremote-id = \"fqdn:*.example\"\n",
        "my-id = \"fqdn:gw-b.example\"\nremote-id = \"fqdn:gw-a.example\"\n",
        now,
    );
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    established(&out, &eps, now);
    assert_eq!(eps[1].remote_peers(now)[0].remote_id, "fqdn:gw-a.example");
}

#[test]
fn a_certificate_from_another_ca_is_refused_with_the_reason() {
    let dir = Dir::new("wrongca");
    let ca = make_ca(&dir, "ca", KeySpec::Ec(Curve::P256));
    let other = make_ca(&dir, "other-ca", KeySpec::Ec(Curve::P256));
    leaf(&dir, "gw-a", &other);
    leaf(&dir, "gw-b", &ca);
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        1,
        "192.0.2.1 peer other (dn:CN=gw-a,O=tunsec test) failed to authenticate: certificate not trusted: issuer CN=other-ca,O=tunsec test is not a trusted CA",
    );
    assert!(
        out.logs[0]
            .iter()
            .any(|l| l.contains("AUTHENTICATION_FAILED")),
        "{:#?}",
        out.logs[0]
    );
}

#[test]
fn the_initiator_refuses_an_untrusted_responder() {
    let dir = Dir::new("initrefuses");
    let ca = make_ca(&dir, "ca", KeySpec::Rsa(2048));
    let other = make_ca(&dir, "other-ca", KeySpec::Rsa(2048));
    make_leaf(
        &dir,
        "gw-a",
        &ca,
        KeySpec::Rsa(2048),
        &[],
        days(30, 0),
        false,
        &[],
    );
    make_leaf(
        &dir,
        "gw-b",
        &other,
        KeySpec::Rsa(2048),
        &[],
        days(30, 0),
        false,
        &[],
    );
    let now = Instant::now();
    // The responder trusts both CAs, the initiator only its own.
    let mut eps = cert_pair(&dir, "ca", "other-ca", "", "", now);
    let b_trusts_a = certificate_table("ca-too", &dir.path("ca.pem"), None, true);
    let b = cert_side(
        "192.0.2.2",
        "192.0.2.1",
        ("10.201.2", "10.201.1"),
        true,
        "auth-method = \"rsa-signature\"\ncertificate = \"gw-b\"\n",
        &(certificate_table(
            "gw-b",
            &dir.path("gw-b.pem"),
            Some(&dir.path("gw-b.key")),
            false,
        ) + &b_trusts_a),
    );
    eps[1] = endpoint(&b, now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        0,
        "certificate not trusted: issuer CN=other-ca,O=tunsec test is not a trusted CA",
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let dir = Dir::new("expired");
    let ca = make_ca(&dir, "ca", KeySpec::Ec(Curve::P256));
    make_leaf(
        &dir,
        "gw-a",
        &ca,
        KeySpec::Ec(Curve::P256),
        &[],
        days(5, 10),
        false,
        &[],
    );
    leaf(&dir, "gw-b", &ca);
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        1,
        "certificate not trusted: certificate CN=gw-a,O=tunsec test expired on ",
    );
}

#[test]
fn validity_follows_the_injected_wall_clock() {
    let dir = Dir::new("clock");
    ca_and_gateways(
        &dir,
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        &[],
    );
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    // Two years from now every certificate here has expired; the responder is the one
    // to check first.
    eps[1].set_wall_clock(|| SystemTime::now() + Duration::from_secs(2 * 365 * 86_400));
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(&out, 1, "expired on");
}

#[test]
fn an_id_the_certificate_does_not_carry_is_refused() {
    let dir = Dir::new("idmismatch");
    ca_and_gateways(
        &dir,
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        &["dns:gw-a.example"],
    );
    let now = Instant::now();
    let mut eps = cert_pair(
        &dir,
        "ca",
        "ca",
        "my-id = \"fqdn:someone-else.example\"\n",
        "",
        now,
    );
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        1,
        "ID fqdn:someone-else.example does not match certificate CN=gw-a,O=tunsec test",
    );
}

#[test]
fn a_remote_id_other_than_configured_is_refused() {
    let dir = Dir::new("remoteid");
    ca_and_gateways(
        &dir,
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        &["dns:gw-a.example"],
    );
    let now = Instant::now();
    let mut eps = cert_pair(
        &dir,
        "ca",
        "ca",
        "my-id = \"fqdn:gw-a.example\"\n",
        "remote-id = \"fqdn:gw-x.example\"\n",
        now,
    );
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        1,
        "ID fqdn:gw-a.example is not the expected remote-id fqdn:gw-x.example",
    );
}

#[test]
fn pinned_self_signed_certificates_need_no_ca() {
    let dir = Dir::new("pinned");
    // Each gateway's certificate is its own CA-less self-signed one.
    for name in ["gw-a", "gw-b"] {
        let key = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
        let (not_before, not_after) = days(30, 0);
        let t = Template {
            subject: format!("CN={name}"),
            alt_names: vec![],
            is_ca: false,
            not_before,
            not_after,
        };
        let cert = issue(&t, &key.public_key(), None, Some(&key)).unwrap();
        write(&dir, name, &[&cert], &key);
    }
    let now = Instant::now();
    let side_of = |me: &str, peer: &str, own: &str, other: &str, lans, passive| {
        cert_side(
            me,
            peer,
            lans,
            passive,
            &format!(
                "auth-method = \"rsa-signature\"\ncertificate = \"{own}\"\nremote-certificate = \"{other}\"\nmatch-by = \"certificate\"\n"
            ),
            &(certificate_table(
                own,
                &dir.path(&format!("{own}.pem")),
                Some(&dir.path(&format!("{own}.key"))),
                false,
            ) + &certificate_table(other, &dir.path(&format!("{other}.pem")), None, false)),
        )
    };
    let a = side_of(
        "192.0.2.1",
        "192.0.2.2",
        "gw-a",
        "gw-b",
        ("10.201.1", "10.201.2"),
        false,
    );
    let b = side_of(
        "192.0.2.2",
        "192.0.2.1",
        "gw-b",
        "gw-a",
        ("10.201.2", "10.201.1"),
        true,
    );
    let mut eps = [endpoint(&a, now), endpoint(&b, now)];
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    established(&out, &eps, now);
}

#[test]
fn raw_rsa_keys_establish_and_a_stranger_key_is_refused() {
    let dir = Dir::new("rawkey");
    for name in ["a", "b", "stranger"] {
        let key = PrivateKey::generate(KeySpec::Rsa(2048)).unwrap();
        let der = key.to_pkcs8_der().unwrap();
        std::fs::write(
            dir.path(&format!("{name}.key")),
            pem::encode("PRIVATE KEY", &der).as_bytes(),
        )
        .unwrap();
        let spki = key.public_key().to_spki_der().unwrap();
        std::fs::write(
            dir.path(&format!("{name}.pub")),
            pem::encode("PUBLIC KEY", &spki).as_bytes(),
        )
        .unwrap();
    }
    let side_of = |me: &str, peer: &str, own: &str, other: &str, lans, passive| {
        cert_side(
            me,
            peer,
            lans,
            passive,
            "auth-method = \"rsa-key\"\nkey = \"own\"\nremote-key = \"other\"\n",
            &format!(
                "\n[[key]]\nname = \"own\"\nfile = \"{}\"\n\n[[key]]\nname = \"other\"\nfile = \"{}\"\n",
                dir.path(&format!("{own}.key")),
                dir.path(&format!("{other}.pub"))
            ),
        )
    };
    let now = Instant::now();
    let a = side_of(
        "192.0.2.1",
        "192.0.2.2",
        "a",
        "b",
        ("10.201.1", "10.201.2"),
        false,
    );
    let b = side_of(
        "192.0.2.2",
        "192.0.2.1",
        "b",
        "a",
        ("10.201.2", "10.201.1"),
        true,
    );
    let mut eps = [endpoint(&a, now), endpoint(&b, now)];
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    established(&out, &eps, now);

    let b_expects_stranger = side_of(
        "192.0.2.2",
        "192.0.2.1",
        "b",
        "stranger",
        ("10.201.2", "10.201.1"),
        true,
    );
    let mut eps = [endpoint(&a, now), endpoint(&b_expects_stranger, now)];
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        1,
        "peer's raw public key is not a [[key]] of this configuration",
    );
}

#[test]
fn a_psk_peer_refuses_a_signature_and_says_so() {
    let dir = Dir::new("mixed");
    ca_and_gateways(
        &dir,
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        &[],
    );
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    let psk_b = side(
        "192.0.2.2",
        "192.0.2.1",
        "10.201.2",
        "10.201.1",
        true,
        "",
        "",
    );
    eps[1] = endpoint(&psk_b, now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(&out, 1, "but auth-method is pre-shared-key");
}

#[test]
fn a_flipped_bit_in_the_signature_is_refused() {
    // The whole of IKE_AUTH is integrity-protected, so to reach the signature check the
    // responder's own key is swapped: gw-b's certificate file with another key's signature.
    let dir = Dir::new("badsig");
    let ca = make_ca(&dir, "ca", KeySpec::Ec(Curve::P256));
    leaf(&dir, "gw-a", &ca);
    let b = leaf(&dir, "gw-b", &ca);
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    // gw-a's certificate with a corrupted CA signature: the chain check names it.
    let mut der = b.cert.der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 1;
    std::fs::write(
        dir.path("gw-b.pem"),
        pem::encode("CERTIFICATE", &der).as_bytes(),
    )
    .unwrap();
    let tables = certificate_table(
        "gw-b",
        &dir.path("gw-b.pem"),
        Some(&dir.path("gw-b.key")),
        false,
    ) + &certificate_table("trusted-ca", &dir.path("ca.pem"), None, true);
    let bside = cert_side(
        "192.0.2.2",
        "192.0.2.1",
        ("10.201.2", "10.201.1"),
        true,
        "auth-method = \"rsa-signature\"\ncertificate = \"gw-b\"\n",
        &tables,
    );
    eps[1] = endpoint(&bside, now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        0,
        "certificate not trusted: signature of CN=gw-b,O=tunsec test does not verify with the key of its issuer CN=ca,O=tunsec test",
    );
}

#[test]
fn an_auth_signature_by_another_key_is_refused() {
    // gw-a presents its own (valid) certificate but signs with a key that is not the
    // certificate's: the chain passes, the AUTH signature must not.
    let dir = Dir::new("wrongkey");
    ca_and_gateways(
        &dir,
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        KeySpec::Ec(Curve::P256),
        &[],
    );
    let now = Instant::now();
    let mut eps = cert_pair(&dir, "ca", "ca", "", "", now);
    let stranger = PrivateKey::generate(KeySpec::Ec(Curve::P256)).unwrap();
    let creds = &mut eps[0].cfg.peers[0].credentials;
    let PeerAuth::Certificate { chain, .. } = &creds.auth else {
        panic!("gw-a has no certificate credentials");
    };
    creds.auth = PeerAuth::Certificate {
        chain: chain.clone(),
        key: std::sync::Arc::new(stranger),
    };
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    refused(
        &out,
        1,
        "failed to authenticate: AUTH signature does not verify: ECDSA with sha256: signature does not verify",
    );
}
