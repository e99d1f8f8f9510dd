//! `tunsec import-routeros`: every `/ip ipsec` example of the RouterOS manual (the fixtures in
//! `tests/routeros/`, one per example, named after its section) imports and passes the
//! configuration check; key translations are checked property by property; every warning says
//! which line, menu, property and value it is about and what tunsec does instead; syntax
//! errors stop the import with the line and what was expected.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tunsec::config::{
    self, AuthMethod, Config, DhGroup, ExchangeMode, GeneratePolicy, HashAlgorithm,
    IkeEncAlgorithm, MyId, Proposal,
};
use tunsec::routeros::{ImportOptions, Imported, SyntaxErrorKind, import};
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm, KeyBits};
use tunsec_dataplane::spd::PolicyAction;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/routeros")
}

/// The manual's examples, in order.
fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("tests/routeros")
        .map(|e| e.expect("a fixture").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rsc"))
        .collect();
    files.sort();
    files
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture_dir().join(name)).expect(name)
}

fn run_import(script: &str, ike2: bool) -> Imported {
    import(script, "test.rsc", &ImportOptions { ike2 })
        .unwrap_or_else(|e| panic!("syntax error: {e}\n{script}"))
}

/// Imports and checks; panics with the TOML and the check's complaint if it is refused.
fn imported_config(script: &str, ike2: bool) -> (Imported, Config) {
    let imported = run_import(script, ike2);
    match config::parse(&imported.toml) {
        Ok(c) => (imported, c),
        Err(e) => panic!(
            "tunsec check refuses the import:\n{e}\n{}",
            imported.toml.as_str()
        ),
    }
}

/// The `index`th `[[table]]` of the TOML as sorted `key = value` pairs (values in TOML).
fn props(toml_text: &str, table: &str, index: usize) -> Vec<(String, String)> {
    let doc: toml::Table = toml::from_str(toml_text).expect("the import is TOML");
    let entries = doc[table].as_array().expect("an array of tables");
    let entry = entries[index].as_table().expect("a table");
    let mut out: Vec<(String, String)> = entry.iter().map(|(k, v)| (k.clone(), show(v))).collect();
    out.sort();
    out
}

/// A value as TOML writes it (strings in double quotes, arrays in brackets).
fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        other => panic!("the importer writes no {other:?}"),
    }
}

/// One key of the `index`th `[[table]]`, in TOML.
fn prop(toml_text: &str, table: &str, index: usize, key: &str) -> Option<String> {
    props(toml_text, table, index)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.sort();
    out
}

fn count(toml_text: &str, table: &str) -> usize {
    let doc: toml::Table = toml::from_str(toml_text).expect("the import is TOML");
    doc.get(table)
        .and_then(|t| t.as_array())
        .map_or(0, Vec::len)
}

fn warnings(imported: &Imported) -> Vec<String> {
    imported.warnings.iter().map(ToString::to_string).collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an address")
}

// ---------------------------------------------------------------------------------------
// Every example of the manual
// ---------------------------------------------------------------------------------------

#[test]
fn every_manual_example_imports_and_passes_check() {
    let files = fixtures();
    assert_eq!(files.len(), 14, "one fixture per /ip ipsec example");
    for file in &files {
        let script = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            script.starts_with("# Manual:IP/IPsec, "),
            "{name} names its manual section on its first line"
        );
        for ike2 in [false, true] {
            let imported = run_import(&script, ike2);
            if let Err(e) = config::parse(&imported.toml) {
                panic!(
                    "{name} (--ike2 {ike2}): tunsec check refuses the import:\n{e}\n{}",
                    imported.toml.as_str()
                );
            }
            // Every warning points into the file.
            let lines = script.lines().count();
            for w in &imported.warnings {
                assert!((1..=lines).contains(&w.line), "{name}: {w}");
            }
        }
    }
}

/// Where the manual is, to check that no example was left out (a copy is not shipped).
fn manual_text() -> Option<String> {
    let path = std::env::var_os("TUNSEC_ROUTEROS_MANUAL").map_or_else(
        || PathBuf::from("/work/shared/reference/routeros-ipsec-manual.txt"),
        PathBuf::from,
    );
    std::fs::read_to_string(path).ok()
}

/// Statements with their continuations joined and white space collapsed.
fn normalized_statements(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    joined
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[test]
fn the_fixtures_hold_every_ipsec_example_of_the_manual() {
    let Some(manual) = manual_text() else {
        eprintln!("the RouterOS manual is not here (TUNSEC_ROUTEROS_MANUAL); coverage not checked");
        return;
    };
    let corpus: Vec<String> = fixtures()
        .iter()
        .flat_map(|f| normalized_statements(&std::fs::read_to_string(f).unwrap()))
        .collect();
    // Each block of commands that starts at an /ip ipsec or /ip pool line, up to a blank line
    // or the prose after it (which starts with a capital).
    let lines: Vec<&str> = manual.lines().collect();
    let mut blocks = 0;
    for (i, line) in lines.iter().enumerate() {
        if !(line.starts_with("/ip ipsec") || line.starts_with("/ip pool")) {
            continue;
        }
        blocks += 1;
        let end = lines[i..]
            .iter()
            .position(|l| l.trim().is_empty() || l.starts_with(|c: char| c.is_ascii_uppercase()))
            .map_or(lines.len(), |n| i + n);
        for statement in normalized_statements(&lines[i..end].join("\n")) {
            assert!(
                corpus.contains(&statement),
                "manual line {}: {statement:?} is in no fixture",
                i + 1
            );
        }
    }
    assert_eq!(blocks, 34, "the manual's /ip ipsec and /ip pool blocks");
}

// ---------------------------------------------------------------------------------------
// Key translations, property by property
// ---------------------------------------------------------------------------------------

#[test]
fn site_to_site_office1() {
    let script = read("07-site-to-site-office1.rsc");
    let (imported, c) = imported_config(&script, false);
    let toml = imported.toml.as_str();
    assert_eq!(
        props(toml, "peer", 0),
        expect(&[
            ("name", "\"peer1\""),
            ("address", "\"192.168.80.1/32\""),
            ("auth-method", "\"pre-shared-key\""),
            ("secret", "\"test\""),
        ])
    );
    assert_eq!(
        props(toml, "policy", 0),
        expect(&[
            ("src-address", "\"10.1.202.0/24\""),
            ("src-port", "\"any\""),
            ("dst-address", "\"10.1.101.0/24\""),
            ("dst-port", "\"any\""),
            ("sa-src-address", "\"192.168.90.1\""),
            ("sa-dst-address", "\"192.168.80.1\""),
            ("tunnel", "\"yes\""),
            ("action", "\"encrypt\""),
            ("proposal", "\"default\""),
        ])
    );
    // Nothing else: the default proposal and profile are tunsec's too.
    assert_eq!((count(toml, "proposal"), count(toml, "profile")), (0, 0));
    let peer = &c.peer[0];
    assert_eq!(peer.exchange_mode, ExchangeMode::Main);
    assert_eq!(peer.auth_method, AuthMethod::PreSharedKey);
    assert_eq!(peer.secret.expose(), b"test");
    assert_eq!(peer.address, "192.168.80.1/32".parse().unwrap());
    assert!(!peer.passive);
    let p = &c.policy[0];
    assert_eq!(
        (p.tunnel, p.action, p.sa_src_address, p.sa_dst_address),
        (
            true,
            PolicyAction::Encrypt,
            ip("192.168.90.1"),
            ip("192.168.80.1")
        )
    );
    assert_eq!(c.proposal, vec![Proposal::default_named("default")]);
    assert_eq!(
        imported.warnings[0].to_string(),
        "line 5: /ip ipsec peer exchange-mode not set (RouterOS's default: main): IKEv1 is not in tunsec yet: it negotiates IKEv2 (exchange-mode=ike2) only. [[peer]] \"peer1\" keeps exchange-mode main, which tunsec check accepts and tunsec run leaves out (\"exchange-mode main (IKEv1) is not supported\"); to bring it up, set exchange-mode=ike2 on both ends, or import with --ike2"
    );

    // With --ike2 the peer runs IKEv2, and says so.
    let (imported, c) = imported_config(&script, true);
    assert_eq!(c.peer[0].exchange_mode, ExchangeMode::Ike2);
    assert_eq!(
        imported.warnings[0].to_string(),
        "line 5: /ip ipsec peer exchange-mode not set (RouterOS's default: main): IKEv1 is not in tunsec yet; [[peer]] \"peer1\" is written with exchange-mode = \"ike2\" as --ike2 asks, so the other end must run IKEv2 (exchange-mode=ike2) too"
    );
    // The whole output, comments included.
    assert_eq!(
        imported.toml.as_str(),
        r#"# tunsec configuration imported from test.rsc by `tunsec import-routeros`.
# 8 warnings from the import (on stderr); check the result with `tunsec check -c FILE`.
# A router's /ip ipsec export says nothing of tunsec's [daemon] (control socket) and
# [interface] (the TUN device's addresses): add them for the host that runs it.

# line 5: /ip ipsec peer add
# named "peer1" as RouterOS 6.43 names the unnamed peers it upgrades
[[peer]]
name = "peer1"
address = "192.168.80.1/32"
auth-method = "pre-shared-key"
secret = "test"
exchange-mode = "ike2"  # --ike2: RouterOS had main (IKEv1)

# line 8: /ip ipsec policy add
[[policy]]
src-address = "10.1.202.0/24"
src-port = "any"
dst-address = "10.1.101.0/24"
dst-port = "any"
sa-src-address = "192.168.90.1"
sa-dst-address = "192.168.80.1"
tunnel = "yes"
action = "encrypt"
proposal = "default"
"#
    );
}

#[test]
fn roadwarrior_ikev2_rsa_server() {
    let (imported, c) = imported_config(&read("09-roadwarrior-ikev2-rsa-server.rsc"), false);
    let toml = imported.toml.as_str();
    assert_eq!(
        props(toml, "pool", 0),
        expect(&[
            ("name", "\"rw-pool\""),
            ("ranges", "[\"192.168.77.2-192.168.77.254\"]"),
        ])
    );
    assert_eq!(
        props(toml, "proposal", 0),
        expect(&[("name", "\"rw-proposal\""), ("pfs-group", "\"none\"")])
    );
    // `mode-conf`, `address-prefix=32` and the two `set [find name="rw-conf"]` lines.
    assert_eq!(
        props(toml, "mode-config", 0),
        expect(&[
            ("name", "\"rw-conf\""),
            ("system-dns", "\"no\""),
            ("address-pool", "\"rw-pool\""),
            ("address-prefix-length", "32"),
            ("split-include", "[\"10.5.8.0/24\"]"),
            ("static-dns", "[\"10.5.8.1\"]"),
            ("responder", "\"yes\""),
        ])
    );
    assert_eq!(
        props(toml, "group", 0),
        expect(&[("name", "\"rw-policies\"")])
    );
    assert_eq!(
        props(toml, "peer", 0),
        expect(&[
            ("name", "\"peer1\""),
            ("auth-method", "\"rsa-signature\""),
            ("certificate", "\"server1\""),
            ("generate-policy", "\"port-strict\""),
            ("mode-config", "\"rw-conf\""),
            ("passive", "\"yes\""),
            ("exchange-mode", "\"ike2\""),
            ("policy-template-group", "\"rw-policies\""),
        ])
    );
    assert_eq!(
        props(toml, "policy", 0),
        expect(&[
            ("template", "\"yes\""),
            ("dst-address", "\"192.168.77.0/24\""),
            ("group", "\"rw-policies\""),
            ("proposal", "\"rw-proposal\""),
        ])
    );
    let m = c.mode_config.iter().find(|m| m.name == "rw-conf").unwrap();
    assert!(m.responder && !m.system_dns);
    assert_eq!(m.static_dns, [ip("10.5.8.1")]);
    assert_eq!(m.address_prefix_length, Some(32));
    assert_eq!(c.pool[0].ranges[0].first, ip("192.168.77.2"));
    let peer = &c.peer[0];
    assert_eq!(peer.auth_method, AuthMethod::RsaSignature);
    assert_eq!(peer.exchange_mode, ExchangeMode::Ike2);
    assert_eq!(peer.generate_policy, GeneratePolicy::PortStrict);
    assert_eq!(
        peer.remote_certificate, "",
        "remote-certificate=none is not set"
    );
    assert_eq!(peer.address, "0.0.0.0/0".parse().unwrap());
    assert!(c.policy[0].template);
    let w = warnings(&imported);
    // The certificates the script makes: files to provide, with the tunsec cert commands
    // that make equivalents; the self-signed one is the trusted CA.
    assert!(w.contains(&"line 4: /certificate add name=ca: tunsec reads certificates from files, not a store: [[certificate]] \"ca\" expects /etc/tunsec/certificates/ca.pem with its key in /etc/tunsec/certificates/ca.key; make an equivalent with: tunsec cert make-ca --cn 'CN=ca' --key rsa:2048 --out-cert /etc/tunsec/certificates/ca.pem --out-key /etc/tunsec/certificates/ca.key".to_owned()), "{w:#?}");
    assert!(w.contains(&"line 6: /certificate add name=server1: tunsec reads certificates from files, not a store: [[certificate]] \"server1\" expects /etc/tunsec/certificates/server1.pem with its key in /etc/tunsec/certificates/server1.key; make an equivalent with: tunsec cert issue --ca /etc/tunsec/certificates/ca.pem --ca-key /etc/tunsec/certificates/ca.key --cn 'CN=2.2.2.2' --san ip:2.2.2.2 --key rsa:2048 --out-cert /etc/tunsec/certificates/server1.pem --out-key /etc/tunsec/certificates/server1.key".to_owned()), "{w:#?}");
    assert!(!w.iter().any(|l| l.contains("auth-method")), "{w:#?}");
    let names: Vec<(&str, bool)> = c
        .certificate
        .iter()
        .map(|x| (x.name.as_str(), x.trusted))
        .collect();
    assert_eq!(
        names,
        [("ca", true), ("server1", false), ("rw-client1", false)]
    );
}

#[test]
fn roadwarrior_modeconf_server() {
    let (imported, c) = imported_config(&read("11-roadwarrior-modeconf-server.rsc"), true);
    let toml = imported.toml.as_str();
    // `set default ...` edits the built-in proposal.
    assert_eq!(
        props(toml, "proposal", 0),
        expect(&[
            ("name", "\"default\""),
            ("enc-algorithms", "[\"aes-128-cbc\", \"aes-256-cbc\"]"),
            ("lifetime", "\"8h\""),
            ("pfs-group", "\"none\""),
        ])
    );
    let default = &c.proposal[0];
    assert_eq!(
        default.enc_algorithms,
        [
            EncAlgorithm::AesCbc(KeyBits::K128),
            EncAlgorithm::AesCbc(KeyBits::K256)
        ]
    );
    assert_eq!(default.auth_algorithms, [AuthAlgorithm::Sha1]);
    assert_eq!(default.lifetime, Duration::from_secs(8 * 3600));
    assert_eq!(default.pfs_group, None);
    assert_eq!(
        props(toml, "mode-config", 0),
        expect(&[
            ("name", "\"RW-cfg\""),
            ("address-pool", "\"ipsec-RW\""),
            ("split-include", "[\"10.5.8.0/24\", \"192.168.55.0/24\"]"),
            ("responder", "\"yes\""),
        ])
    );
    let users: Vec<(&str, &[u8])> = c
        .user
        .iter()
        .map(|u| (u.name.as_str(), u.password.expose()))
        .collect();
    assert_eq!(users, [("user1", &b"123"[..]), ("user2", &b"234"[..])]);
    let templates: Vec<(String, String)> = c
        .policy
        .iter()
        .filter(|p| p.template && p.group == "RoadWarrior")
        .map(|p| (p.src_address.to_string(), p.dst_address.to_string()))
        .collect();
    assert_eq!(
        templates,
        [
            ("10.5.8.0/24".into(), "192.168.77.0/24".into()),
            ("192.168.55.0/24".into(), "192.168.77.0/24".into()),
            ("0.0.0.0/0".into(), "192.168.77.0/24".into()),
        ]
    );
    // XAuth is IKEv1's: --ike2 leaves this peer alone, and says why.
    let peer = &c.peer[0];
    assert_eq!(
        (peer.auth_method, peer.exchange_mode, peer.passive),
        (AuthMethod::PreSharedKeyXauth, ExchangeMode::Main, true)
    );
    assert!(warnings(&imported).contains(&"line 25: /ip ipsec peer exchange-mode not set (RouterOS's default: main): IKEv1 is not in tunsec yet: it negotiates IKEv2 (exchange-mode=ike2) only. [[peer]] \"peer1\" keeps exchange-mode main, which tunsec check accepts and tunsec run leaves out (\"exchange-mode main (IKEv1) is not supported\"); --ike2 cannot help: auth-method pre-shared-key-xauth (XAuth) exists only in IKEv1".to_owned()));
}

#[test]
fn request_only_gets_an_address_list() {
    let (imported, c) = imported_config(&read("01-roadwarrior-client-nat.rsc"), false);
    assert_eq!(
        props(&imported.toml, "mode-config", 0),
        expect(&[
            ("name", "\"request-only\""),
            ("src-address-list", "\"local-RW\""),
        ])
    );
    let m = c
        .mode_config
        .iter()
        .find(|m| m.name == "request-only")
        .unwrap();
    assert!(!m.responder);
    assert_eq!(m.src_address_list, "local-RW");
    assert_eq!(
        warnings(&imported),
        [
            "line 3: /ip firewall address-list add: outside /ip ipsec and /ip pool, which is all tunsec imports; skipped"
        ]
    );
}

/// A RouterOS 6.43+ export: peers, profiles and identities apart, policies naming their peer,
/// the built-in profile, proposal and policy template changed with `set [ find default=yes ]`.
const EXPORT_6_48: &str = r#"# jan/02/1970 00:00:00 by RouterOS 6.48.6
# software id = ABCD-1234
#
# model = RB4011iGS+
/ip pool
add name=unused ranges=10.99.0.2-10.99.0.50
/ip ipsec policy group
add name=offices
/ip ipsec profile
set [ find default=yes ] dh-group=modp2048 enc-algorithm=aes-256 hash-algorithm=\
    sha256
add dh-group=ecp256,modp2048 enc-algorithm=aes-128 hash-algorithm=sha256 \
    name=site-profile prf-algorithm=auto
/ip ipsec peer
add address=192.0.2.2/32 exchange-mode=ike2 local-address=192.0.2.1 name=site-b \
    profile=site-profile
/ip ipsec proposal
set [ find default=yes ] enc-algorithms=aes-256-cbc,aes-128-cbc
add auth-algorithms=sha256 enc-algorithms=aes-128-gcm,aes-256-cbc name=\
    site-proposal pfs-group=ecp256
/ip ipsec identity
add my-id=fqdn:a.example.net peer=site-b remote-id=fqdn:b.example.net secret=\
    "a \"quoted\" \$ecret"
/ip ipsec policy
set 0 dst-address=10.201.0.0/16 group=offices src-address=10.201.0.0/16
add dst-address=10.201.2.0/24 peer=site-b proposal=site-proposal sa-dst-address=\
    192.0.2.2 sa-src-address=192.0.2.1 src-address=10.201.1.0/24 tunnel=yes
"#;

#[test]
fn a_6_43_export_folds_identities_into_peers() {
    let (imported, c) = imported_config(EXPORT_6_48, false);
    let toml = imported.toml.as_str();
    assert_eq!(
        props(toml, "profile", 0),
        expect(&[
            ("name", "\"default\""),
            ("dh-group", "[\"modp2048\"]"),
            ("enc-algorithm", "[\"aes-256\"]"),
            ("hash-algorithm", "\"sha256\""),
        ])
    );
    assert_eq!(
        props(toml, "profile", 1),
        expect(&[
            ("name", "\"site-profile\""),
            ("dh-group", "[\"ecp256\", \"modp2048\"]"),
            ("enc-algorithm", "[\"aes-128\"]"),
            ("hash-algorithm", "\"sha256\""),
        ])
    );
    assert_eq!(
        props(toml, "peer", 0),
        expect(&[
            ("name", "\"site-b\""),
            ("address", "\"192.0.2.2/32\""),
            ("exchange-mode", "\"ike2\""),
            ("local-address", "\"192.0.2.1\""),
            ("profile", "\"site-profile\""),
            ("my-id", "\"fqdn:a.example.net\""),
            ("remote-id", "\"fqdn:b.example.net\""),
            ("secret", "\"a \\\"quoted\\\" $ecret\""),
        ])
    );
    assert_eq!(
        props(toml, "proposal", 0),
        expect(&[
            ("name", "\"default\""),
            ("enc-algorithms", "[\"aes-256-cbc\", \"aes-128-cbc\"]"),
        ])
    );
    // The default template, changed by `set 0`, is written whole: tunsec has none built in.
    assert_eq!(
        props(toml, "policy", 0),
        expect(&[
            ("group", "\"offices\""),
            ("src-address", "\"10.201.0.0/16\""),
            ("dst-address", "\"10.201.0.0/16\""),
            ("protocol", "\"all\""),
            ("proposal", "\"default\""),
            ("template", "\"yes\""),
        ])
    );
    assert_eq!(
        prop(toml, "policy", 1, "peer").as_deref(),
        Some("\"site-b\"")
    );
    assert_eq!(count(toml, "pool"), 0);

    let peer = &c.peer[0];
    assert_eq!(peer.secret.expose(), b"a \"quoted\" $ecret");
    assert_eq!(peer.my_id, MyId::Fqdn("a.example.net".into()));
    let profile = c.profile.iter().find(|p| p.name == "site-profile").unwrap();
    assert_eq!(profile.dh_group, [DhGroup::Ecp256, DhGroup::Modp2048]);
    assert_eq!(profile.enc_algorithm, [IkeEncAlgorithm::Aes128]);
    assert_eq!(profile.hash_algorithm, HashAlgorithm::Sha256);
    assert_eq!(c.policy[1].peer, "site-b");
    assert_eq!(
        warnings(&imported),
        [
            "line 6: /ip pool name=unused: no /ip ipsec mode-config hands out addresses from this pool (it serves something else: DHCP, PPP, ...); skipped",
            "line 25: /ip ipsec policy set: item numbers (0) count entries as `print` last listed them; taken in the order this script made them, built-in entries first",
        ]
    );
}

#[test]
fn a_pre_6_43_peer_with_profile_properties_gets_its_own_profile() {
    let script = "/ip ipsec peer\nadd address=192.0.2.2 secret=s exchange-mode=ike2 hash-algorithm=sha256 enc-algorithm=aes-256,aes-128 dh-group=ecp256 lifetime=8h dpd-interval=disable-dpd dpd-maximum-failures=3 nat-traversal=no\nadd name=peer1 address=192.0.2.3 secret=s exchange-mode=ike2\n";
    let (imported, c) = imported_config(script, false);
    let toml = imported.toml.as_str();
    // The unnamed peer takes the first peerN that is free.
    assert_eq!(
        props(toml, "peer", 0),
        expect(&[
            ("name", "\"peer2\""),
            ("address", "\"192.0.2.2\""),
            ("secret", "\"s\""),
            ("exchange-mode", "\"ike2\""),
            ("profile", "\"peer2\""),
        ])
    );
    assert_eq!(
        props(toml, "profile", 0),
        expect(&[
            ("name", "\"peer2\""),
            ("hash-algorithm", "\"sha256\""),
            ("enc-algorithm", "[\"aes-256\", \"aes-128\"]"),
            ("dh-group", "[\"ecp256\"]"),
            ("lifetime", "\"8h\""),
            ("dpd-interval", "\"disable-dpd\""),
            ("dpd-maximum-failures", "3"),
            ("nat-traversal", "\"no\""),
        ])
    );
    let p = c.profile.iter().find(|p| p.name == "peer2").unwrap();
    assert_eq!(p.dpd_interval, None);
    assert_eq!(p.lifetime, Duration::from_secs(8 * 3600));
    assert!(!p.nat_traversal);
    assert_eq!(c.peer[1].profile, "default");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
}

// ---------------------------------------------------------------------------------------
// Warnings
// ---------------------------------------------------------------------------------------

#[test]
fn every_warning_names_the_line_menu_property_and_what_tunsec_does() {
    let script = r#"/ip ipsec peer
add address=192.0.2.2 name=a exchange-mode=aggressive secret=s1 notrack-chain=prerouting
add address=192.0.2.3 name=b exchange-mode=ike2 remote-certificate=ca-cert
add address=192.0.2.4 name=c exchange-mode=ike2 profile=default lifetime=1h
add address=192.0.2.5 name=d exchange-mode=ike2
/ip ipsec identity
add peer=b auth-method=digital-signature certificate=b-cert match-by=certificate remote-key=k
add peer=c secret=s2 eap-methods=eap-tls
add peer=c secret=s3
add peer=nobody secret=s4
add peer=d auth-method=eap username=u password=p disabled=yes
add peer=d auth-method=eap username=u password=p
/ip ipsec profile add name=p prf-algorithm=sha256
/ip ipsec mode-config add name=m address=10.201.3.9 connection-mark=vpn address-pool=nopool
/ip ipsec policy add src-address=10.201.1.0/24 dst-address=10.201.2.0/24 priority=5 tunnel=yes sa-dst-address=192.0.2.3 sa-src-address=192.0.2.1 peer=b
/ip ipsec user add name=u password=p comment=x
/ip ipsec manual-sa add name=m disabled=yes
/ip ipsec key import file-name=k.pem name=k
/ip ipsec key generate-key key-size=2048 name=k2
/ip ipsec key add name=k3
"#;
    let imported = run_import(script, false);
    assert_eq!(
        warnings(&imported),
        [
            "line 2: /ip ipsec peer notrack-chain=prerouting: tunsec adds no firewall rules; written as notrack-chain = \"prerouting\", and not acted on",
            "line 2: /ip ipsec peer exchange-mode=aggressive: IKEv1 is not in tunsec yet: it negotiates IKEv2 (exchange-mode=ike2) only. [[peer]] \"a\" keeps exchange-mode aggressive, which tunsec check accepts and tunsec run leaves out (\"exchange-mode aggressive (IKEv1) is not supported\"); to bring it up, set exchange-mode=ike2 on both ends, or import with --ike2",
            "line 3: [[peer]] \"b\" certificate=b-cert: the script names this certificate but does not make it (it was imported on the router: /certificate export-certificate b-cert there); written as [[certificate]] \"b-cert\" expecting /etc/tunsec/certificates/b-cert.pem as PEM with its private key in /etc/tunsec/certificates/b-cert.key (this end signs with it)",
            "line 3: [[peer]] \"b\" remote-certificate=ca-cert: the script names this certificate but does not make it (it was imported on the router: /certificate export-certificate ca-cert there); written as [[certificate]] \"ca-cert\" expecting /etc/tunsec/certificates/ca-cert.pem as PEM (the certificate the remote end must present)",
            "line 4: /ip ipsec peer profile=default: the peer also sets profile properties of its own, which make [[profile]] \"c\"; that one is used",
            "line 8: /ip ipsec identity eap-methods=eap-tls: tunsec has no EAP client; dropped",
            "line 9: /ip ipsec identity peer=c: [[peer]] \"c\" already takes the identity of line 8, and tunsec's [[peer]] holds one identity; this one is skipped",
            "line 10: /ip ipsec identity peer=nobody: no /ip ipsec peer is named \"nobody\"; the identity is skipped",
            "line 11: /ip ipsec identity peer=d: the identity is disabled; skipped (its peer gets no authentication from it)",
            "line 12: /ip ipsec identity auth-method=eap: tunsec has no EAP client; written as auth-method = \"eap\", which tunsec check refuses (naming auth-method)",
            "line 13: /ip ipsec profile prf-algorithm=sha256: tunsec's [[profile]] takes the PRF from hash-algorithm (RouterOS's prf-algorithm=auto); dropped",
            "line 14: /ip ipsec mode-config address=10.201.3.9: tunsec's [[mode-config]] hands out addresses from address-pool only; dropped",
            "line 14: /ip ipsec mode-config connection-mark=vpn: tunsec marks no connections (it has no firewall); dropped",
            "line 14: /ip ipsec mode-config address-pool=nopool: no /ip pool named \"nopool\" is in the script; written as it is, and tunsec check refuses it until a [[pool]] of that name is added",
            "line 15: /ip ipsec policy priority=5: policies are matched top to bottom, in RouterOS since 6.40 and in tunsec; the order is kept and priority dropped",
            "line 16: /ip ipsec user comment=x: tunsec's [[user]] has no comment; dropped",
            "line 17: /ip ipsec manual-sa disabled=yes: tunsec's [[manual-sa]] has no disabled (an SA no policy names is unused); dropped",
            "line 18: /ip ipsec key import file-name=k.pem: \"k.pem\" is a file on the router: put the key next to the configuration as PEM, where [[key]] \"k\" reads it (file = \"k.pem\")",
            "line 19: /ip ipsec key generate-key: keys are files for tunsec: make one with `tunsec cert make-key --key rsa:2048 --out-key FILE --out-pub FILE.pub` and add a [[key]] with its file; skipped",
            "line 20: /ip ipsec key add: a key with no file (RouterOS makes keys with import or generate-key); skipped",
        ]
    );
    // The EAP client has no place in tunsec: the check names the key.
    let err = config::parse(&imported.toml).unwrap_err().to_string();
    assert!(
        err.starts_with("[[peer]] \"d\": auth-method: \"eap\" is not valid; accepted: eap-radius, pre-shared-key,"),
        "{err}"
    );
    // The identity's EAP login lands where tunsec keeps a client's login.
    assert_eq!(
        prop(&imported.toml, "peer", 3, "xauth-login").as_deref(),
        Some("\"u\"")
    );
}

#[test]
fn a_peer_without_a_secret_is_refused_by_check_naming_the_key() {
    let imported = run_import(
        "/ip ipsec peer add address=192.0.2.2 name=gw exchange-mode=ike2\n",
        false,
    );
    assert_eq!(
        warnings(&imported),
        [
            "line 1: /ip ipsec peer name=gw: no secret (neither the peer nor an /ip ipsec identity gives one) for auth-method pre-shared-key; tunsec check refuses [[peer]] \"gw\" until it has one"
        ]
    );
    let err = config::parse(&imported.toml).unwrap_err().to_string();
    assert_eq!(
        err,
        "[[peer]] \"gw\": secret: missing, but auth-method is pre-shared-key; accepted: the pre-shared key, as text or 0x followed by hex digits"
    );
}

#[test]
fn secrets_never_reach_warnings() {
    let script = r#"/ip ipsec peer add name=a address=192.0.2.2 secret=TOPSECRET1 xauth-password=TOPSECRET2 bogus=1
/ip ipsec peer add name=a secret=TOPSECRET3
/ip ipsec identity add peer=nobody secret=TOPSECRET4 password=TOPSECRET5
/ip ipsec proposal set [ find secret=TOPSECRET6 ] lifetime=1h
/ip ipsec key import file-name=k.pem passphrase=TOPSECRET7
/ip ipsec manual-sa add name=m esp-enc-key=TOPSECRET8 disabled=yes
/ip ipsec user add name=u password=TOPSECRET9 comment=x
/ip ipsec peer set [ find secret~"TOPSECRET10" ] passive=yes
/ip ipsec peer set [ find where secret="TOPSECRET11" and passive=no ] passive=yes
/ip ipsec peer set [ find secret="TOPSECRET12" ] passive=yes
"#;
    let imported = run_import(script, false);
    assert!(imported.warnings.len() >= 10, "{:?}", imported.warnings);
    for w in warnings(&imported) {
        assert!(!w.contains("TOPSECRET"), "{w}");
    }
}

// ---------------------------------------------------------------------------------------
// Syntax errors and the command line
// ---------------------------------------------------------------------------------------

#[test]
fn syntax_errors_stop_the_import() {
    let e = import(
        "/ip ipsec peer\nadd secret=\"open\n",
        "x",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.column, e.kind),
        (2, 12, SyntaxErrorKind::UnterminatedQuote)
    );
    let e = import(
        "/ip ipsec proposal\nset [ find default=yes lifetime=1h\n",
        "x",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.column, e.kind),
        (2, 5, SyntaxErrorKind::UnterminatedBracket)
    );
}

fn tunsec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tunsec"))
        .args(args)
        .output()
        .expect("the tunsec binary runs")
}

#[test]
fn the_command_writes_toml_to_stdout_and_warnings_to_stderr() {
    let fixture = fixture_dir().join("08-site-to-site-office2.rsc");
    let fixture_str = fixture.to_str().unwrap();
    let out = tunsec(&["import-routeros", "--ike2", fixture_str]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.starts_with("# tunsec configuration imported from "));
    assert!(
        stderr.starts_with(&format!(
            "{fixture_str}:5: warning: /ip ipsec peer exchange-mode not set (RouterOS's default: main): IKEv1 is not in tunsec yet; [[peer]] \"peer1\" is written with exchange-mode = \"ike2\""
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "tunsec import-routeros: {fixture_str}: 6 warning(s); the result passes tunsec check\n"
        )),
        "{stderr}"
    );
    // tunsec check on the written file passes.
    let dir = std::env::temp_dir().join(format!("tunsec-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let written = dir.join("office2.toml");
    std::fs::write(&written, &stdout).unwrap();
    let check = tunsec(&["check", "-c", written.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // A syntax error: file, line and column, and what was expected; nothing on stdout.
    let broken = dir.join("broken.rsc");
    std::fs::write(
        &broken,
        "/ip ipsec peer\nadd address=192.0.2.2 secret=\"open\n",
    )
    .unwrap();
    let out = tunsec(&["import-routeros", broken.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "tunsec: {}:2:30: error: unterminated quoted string; expected a closing \" before the end of the line (or \\ to continue it on the next)\n",
            broken.display()
        )
    );
    // An import that check refuses says so, naming the key.
    let bad = dir.join("bad.rsc");
    std::fs::write(&bad, "/ip ipsec peer add address=192.0.2.2 name=gw\n").unwrap();
    let out = tunsec(&["import-routeros", bad.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.ends_with("2 warning(s); tunsec check refuses the result:\n[[peer]] \"gw\": secret: missing, but auth-method is pre-shared-key; accepted: the pre-shared key, as text or 0x followed by hex digits\n"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn standard_input_is_read_for_a_dash() {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tunsec"))
        .args(["import-routeros", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"/ip pool add name=p ranges=192.0.2.10-192.0.2.20\n/ip ipsec mode-config add name=m address-pool=p\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let c = config::parse(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
    assert_eq!(c.pool[0].name, "p");
}
