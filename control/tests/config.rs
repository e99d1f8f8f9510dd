//! The configuration file: every example parses, the values land where they should, and bad
//! files are refused with every problem reported on its own line, naming the table, the
//! entry, the key, the bad value and what is accepted.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tunsec::config::{self, Config, LogLevel, Workers, parse};
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm, KeyBits};
use tunsec_dataplane::sa::{Direction, IpsecProtocol, Mode, Padding, UdpEncap};
use tunsec_dataplane::spd::{IpsecProtocols, Policy, PolicyAction, PortMatch};

fn example_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../config")
        .join(name)
}

fn example(name: &str) -> Config {
    match config::load(&example_path(name)) {
        Ok(c) => c,
        Err(e) => panic!("{name} is refused:\n{e}"),
    }
}

const EXAMPLES: &[&str] = &[
    "site-to-site-a.toml",
    "site-to-site-b.toml",
    "host-to-host-transport.toml",
    "nat-t.toml",
    "ah-tunnel.toml",
    "reference.toml",
];

/// A valid site-A configuration the error cases below alter.
const VALID: &str = r#"
[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.2.0/24"
tunnel = true
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
manual-sa = "site-b"

[[manual-sa]]
name = "site-b"
esp-enc-algorithm = "aes-128-gcm"
esp-enc-key = "0x5a2b05602e44ce1237b35b18afd8747401010aa3/0xf420b94b982267eb05597d4c9b11e79f419abe0b"
esp-spi = "0x2001/0x1001"
"#;

const POLICY: &str = "[[policy]] #0 (10.201.1.0/24 -> 10.201.2.0/24)";
const SITE_B: &str = "[[manual-sa]] \"site-b\"";

/// `base` with `from` replaced by `to` (which must be there: a test that edits nothing
/// tests nothing).
fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from:?} not in the config");
    base.replacen(from, to, 1)
}

/// [`VALID`] with `line` added to its `[[policy]]`.
fn policy_with(line: &str) -> String {
    edit(
        VALID,
        "tunnel = true\n",
        &format!("tunnel = true\n{line}\n"),
    )
}

/// [`VALID`] with `line` added to its `[[manual-sa]]`.
fn sa_with(line: &str) -> String {
    format!("{VALID}{line}\n")
}

#[track_caller]
fn assert_errors(text: &str, expected: &[String]) {
    let err = match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    };
    let shown = err.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(lines, expected, "config:\n{text}");
    assert_eq!(err.issues().len(), expected.len());
}

/// `location: key: message` lines.
fn at(location: &str, key: &str, message: &str) -> String {
    format!("{location}: {key}: {message}")
}

#[test]
fn the_valid_base_is_valid() {
    let c = parse(VALID).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.policy.len(), 1);
    assert_eq!(c.manual_sa_installs().len(), 1);
}

// ---------------------------------------------------------------------------------------
// The examples
// ---------------------------------------------------------------------------------------

#[test]
fn every_example_parses() {
    for name in EXAMPLES {
        example(name);
    }
}

#[test]
fn site_to_site_a_installs_its_sa_pair() {
    let c = example("site-to-site-a.toml");
    assert_eq!(c.interface.name, "tunsec0");
    assert_eq!(c.interface.address[0].to_string(), "10.201.1.1/24");
    assert_eq!(c.interface.mtu, None);
    assert_eq!(c.routes(), vec!["10.201.2.0/24".parse().unwrap()]);

    let policies = c.policies();
    assert_eq!(policies.len(), 1);
    let p = &policies[0];
    assert_eq!(p.src_address.to_string(), "10.201.1.0/24");
    assert_eq!(p.action, PolicyAction::Encrypt);
    assert!(p.tunnel);
    assert_eq!(p.manual_sa.as_deref(), Some("site-b"));

    let installs = c.manual_sa_installs();
    assert_eq!(installs.len(), 1);
    let i = &installs[0];
    assert_eq!(i.policy_index, 0);
    let a: IpAddr = "192.0.2.1".parse().unwrap();
    let b: IpAddr = "192.0.2.2".parse().unwrap();
    let gcm = EncAlgorithm::AesGcm {
        key: KeyBits::K128,
        icv_len: 16,
    };
    // Outbound: the SPI after the '/', A to B, the outgoing key.
    assert_eq!(i.outbound.spi, 0x1001);
    assert_eq!(i.outbound.direction, Direction::Outbound);
    assert_eq!((i.outbound.src, i.outbound.dst), (a, b));
    assert_eq!(
        hex::encode(&*i.outbound.enc_key),
        "f420b94b982267eb05597d4c9b11e79f419abe0b"
    );
    // Inbound: the SPI before the '/', B to A, the incoming key.
    assert_eq!(i.inbound.spi, 0x2001);
    assert_eq!(i.inbound.direction, Direction::Inbound);
    assert_eq!((i.inbound.src, i.inbound.dst), (b, a));
    assert_eq!(
        hex::encode(&*i.inbound.enc_key),
        "5a2b05602e44ce1237b35b18afd8747401010aa3"
    );
    for sa in [&i.inbound, &i.outbound] {
        assert_eq!(sa.protocol, IpsecProtocol::Esp);
        assert_eq!(sa.mode, Mode::Tunnel);
        assert_eq!(sa.enc, gcm);
        assert_eq!(sa.auth, AuthAlgorithm::Null);
        assert!(sa.auth_key.is_empty());
        assert_eq!(sa.encap, None);
        assert!(!sa.esn);
        assert_eq!(sa.lifetime.hard_millis, None);
        assert_eq!(sa.lifetime.soft_millis, None);
        assert_eq!(sa.padding, Padding::Minimal);
    }
    assert_eq!(i.inbound.replay_window, 1024);
    // IV seeds are drawn afresh for every SA.
    assert_ne!(i.inbound.iv_seed, i.outbound.iv_seed);
    let again = c.manual_sa_installs();
    assert_ne!(again[0].outbound.iv_seed, i.outbound.iv_seed);
}

#[test]
fn the_two_sites_mirror_each_other() {
    let a = example("site-to-site-a.toml").manual_sa_installs();
    let b = example("site-to-site-b.toml").manual_sa_installs();
    for (send, receive) in [
        (&a[0].outbound, &b[0].inbound),
        (&b[0].outbound, &a[0].inbound),
    ] {
        assert_eq!(send.spi, receive.spi);
        assert_eq!((send.src, send.dst), (receive.src, receive.dst));
        assert_eq!(*send.enc_key, *receive.enc_key);
        assert_eq!(send.enc, receive.enc);
    }
    assert_eq!(
        example("site-to-site-b.toml").interface.address[0].to_string(),
        "10.201.2.1/24"
    );
}

#[test]
fn transport_example() {
    let c = example("host-to-host-transport.toml");
    assert!(c.routes().is_empty(), "transport policies derive no route");
    let i = &c.manual_sa_installs()[0];
    for sa in [&i.inbound, &i.outbound] {
        assert_eq!(sa.mode, Mode::Transport);
        assert_eq!(sa.enc, EncAlgorithm::AesCbc(KeyBits::K256));
        assert_eq!(sa.auth, AuthAlgorithm::Sha256);
        assert_eq!(sa.auth_key.len(), 32);
        assert!(sa.esn);
        // 8h hard, 90% of it soft.
        assert_eq!(sa.lifetime.hard_millis, Some(8 * 3_600_000));
        assert_eq!(sa.lifetime.soft_millis, Some(8 * 3_600_000 * 9 / 10));
    }
    assert_eq!((i.inbound.spi, i.outbound.spi), (0x3002, 0x3001));
}

#[test]
fn nat_t_example() {
    let c = example("nat-t.toml");
    assert_eq!(c.daemon.workers, Workers::Count(2.try_into().unwrap()));
    assert_eq!(c.workers(64), 2);
    assert_eq!(c.daemon.log_level, LogLevel::Warn);
    assert_eq!(c.interface.mtu, Some(1400));
    assert_eq!(c.routes(), vec!["10.201.2.0/24".parse().unwrap()]);
    let i = &c.manual_sa_installs()[0];
    assert_eq!(i.outbound.encap, Some(UdpEncap::default()));
    assert_eq!(i.inbound.encap, Some(UdpEncap::default()));
    assert_eq!(UdpEncap::default().dst_port, 4500);
    assert_eq!(i.outbound.enc, EncAlgorithm::ChaCha20Poly1305);
    assert_eq!(i.outbound.lifetime.hard_millis, Some(86_400_000));
}

#[test]
fn ah_example() {
    let c = example("ah-tunnel.toml");
    assert_eq!(c.policy[0].ipsec_protocols, IpsecProtocols::Ah);
    let i = &c.manual_sa_installs()[0];
    for sa in [&i.inbound, &i.outbound] {
        assert_eq!(sa.protocol, IpsecProtocol::Ah);
        assert_eq!(sa.auth, AuthAlgorithm::Sha256);
        assert_eq!(sa.enc, EncAlgorithm::Null);
        assert_eq!(sa.auth_key.len(), 32);
    }
    assert_eq!((i.inbound.spi, i.outbound.spi), (0x5002, 0x5001));
    assert_eq!(i.inbound.replay_window, 128);
}

/// The `# key = value` lines of reference.toml, uncommented.
fn reference_uncommented() -> String {
    let text = std::fs::read_to_string(example_path("reference.toml")).expect("reference.toml");
    text.lines()
        .map(|line| {
            let rest = line.strip_prefix("# ").unwrap_or("");
            let is_setting = rest.starts_with('[')
                || rest.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                });
            if is_setting { rest } else { line }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_reference_uncommented_is_valid() {
    let text = reference_uncommented();
    let c = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // The defaults it shows are the defaults.
    let empty = parse("").unwrap();
    // metrics-listen has no default (off); the reference shows an example address.
    assert_eq!(
        c.daemon.metrics_listen,
        Some("127.0.0.1:9474".parse().unwrap())
    );
    let mut daemon = c.daemon.clone();
    daemon.metrics_listen = None;
    assert_eq!(daemon, empty.daemon);
    assert_eq!(c.proposal, empty.proposal);
    assert_eq!(c.profile, empty.profile);
    assert_eq!(
        c.policy[0],
        Policy {
            manual_sa: None,
            ..Policy::default()
        }
    );
}

#[test]
fn the_reference_lists_every_key() {
    let text = std::fs::read_to_string(example_path("reference.toml")).unwrap();
    for table in [
        "[daemon]",
        "[interface]",
        "[[policy]]",
        "[[proposal]]",
        "[[group]]",
        "[[peer]]",
        "[[profile]]",
        "[[mode-config]]",
        "[[pool]]",
        "[[user]]",
        "[[key]]",
        "[[manual-sa]]",
    ] {
        // The unknown-key error lists a table's keys.
        let probe = format!("{table}\nno-such-key = 1\n");
        let err = parse(&probe).unwrap_err().to_string();
        let first = err.lines().next().unwrap();
        let keys = first.split("; accepted: ").nth(1).unwrap();
        let start = text
            .find(&format!("# {table}\n"))
            .unwrap_or_else(|| panic!("{table} missing"));
        let section = &text[start..];
        let end = section[3..].find("\n# [").map_or(section.len(), |e| e + 3);
        let section = &section[..end];
        for key in keys.split(", ") {
            assert!(
                section.contains(&format!("\n# {key} = ")),
                "reference.toml's {table} lacks {key}"
            );
        }
    }
}

/// What serde makes of the `[[policy]]` tables is what the config reader makes of them.
#[test]
fn policy_serde_agrees_with_the_reader() {
    #[derive(Deserialize)]
    struct Policies {
        #[serde(default)]
        policy: Vec<Policy>,
    }
    for name in EXAMPLES {
        let text = std::fs::read_to_string(example_path(name)).unwrap();
        let via_serde: Policies = toml::from_str(&text).unwrap();
        assert_eq!(via_serde.policy, example(name).policies(), "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Defaults and value forms
// ---------------------------------------------------------------------------------------

#[test]
fn an_empty_file_is_all_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.daemon.workers, Workers::Auto);
    assert_eq!(c.workers(8), 8);
    assert_eq!(c.workers(0), 1);
    assert_eq!(
        c.daemon.control_socket,
        PathBuf::from("/run/tunsec/tunsec.sock")
    );
    assert_eq!(c.daemon.log_level, LogLevel::Info);
    assert_eq!(c.interface.name, "tunsec0");
    assert!(c.policies().is_empty() && c.routes().is_empty());
    // The built-in entries.
    let p = &c.proposal[0];
    assert_eq!(p.name, "default");
    assert_eq!(p.auth_algorithms, vec![AuthAlgorithm::Sha1]);
    assert_eq!(
        p.enc_algorithms,
        vec![
            EncAlgorithm::AesCbc(KeyBits::K256),
            EncAlgorithm::AesCbc(KeyBits::K192),
            EncAlgorithm::AesCbc(KeyBits::K128)
        ]
    );
    assert_eq!(p.lifetime, Duration::from_secs(1800));
    assert_eq!(p.pfs_group, Some(config::DhGroup::Modp1024));
    let f = &c.profile[0];
    assert_eq!(f.name, "default");
    assert_eq!(
        f.dh_group,
        vec![config::DhGroup::Modp2048, config::DhGroup::Modp1024]
    );
    assert_eq!(
        f.enc_algorithm,
        vec![
            config::IkeEncAlgorithm::Aes128,
            config::IkeEncAlgorithm::TripleDes
        ]
    );
    assert_eq!(f.hash_algorithm, config::HashAlgorithm::Sha1);
    assert_eq!(f.lifetime, Duration::from_secs(86_400));
    assert_eq!(f.dpd_interval, Some(Duration::from_secs(120)));
    assert_eq!(f.dpd_maximum_failures, 5);
    assert!(f.nat_traversal);
    assert_eq!(f.proposal_check, config::ProposalCheck::Obey);
    assert_eq!(c.group[0].name, "default");
    assert_eq!(c.mode_config[0].name, "request-only");
}

#[test]
fn a_peer_takes_the_manuals_defaults() {
    let c = parse("[[peer]]\nname = \"office\"\naddress = \"192.0.2.2\"\nsecret = \"s3cret\"\n")
        .unwrap();
    let p = &c.peer[0];
    assert_eq!(p.address.to_string(), "192.0.2.2/32");
    assert_eq!(p.port, 500);
    assert!(!p.passive);
    assert_eq!(p.exchange_mode, config::ExchangeMode::Main);
    assert_eq!(p.profile, "default");
    assert_eq!(p.auth_method, config::AuthMethod::PreSharedKey);
    assert_eq!(p.my_id, config::MyId::Auto);
    assert!(p.send_initial_contact);
    assert_eq!(p.secret.expose(), b"s3cret");
    // RouterOS reads a secret starting with 0x as hex.
    let c =
        parse("[[peer]]\nname = \"x\"\nsecret = \"0x00ff\"\nexchange-mode = \"ike\"\n").unwrap();
    assert_eq!(c.peer[0].secret.expose(), &[0x00, 0xff]);
    assert_eq!(c.peer[0].exchange_mode, config::ExchangeMode::Main);
}

#[test]
fn the_manuals_value_forms() {
    let text = r#"
[[proposal]]
name = "p"
lifetime = "1d2h30m"
enc-algorithms = "aes-128gcm,aes-256-cbc"
auth-algorithms = ["sha256"]
disabled = "yes"

[[profile]]
name = "slow"
lifetime = 3600
dpd-interval = "disable-dpd"
nat-traversal = "no"

[[peer]]
name = "office"
address = "192.0.2.0/24"
secret = "x"
profile = "slow"
proposal = "p"
my-id = "fqdn:gw.example.org"
passive = true
port = "4500"
"#;
    let c = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let p = c.proposal.iter().find(|p| p.name == "p").unwrap();
    assert_eq!(p.lifetime, Duration::from_secs(86_400 + 2 * 3600 + 1800));
    assert_eq!(
        p.enc_algorithms,
        vec![
            EncAlgorithm::AesGcm {
                key: KeyBits::K128,
                icv_len: 16
            },
            EncAlgorithm::AesCbc(KeyBits::K256)
        ]
    );
    assert!(p.disabled);
    let f = c.profile.iter().find(|p| p.name == "slow").unwrap();
    assert_eq!(f.lifetime, Duration::from_secs(3600));
    assert_eq!(f.dpd_interval, None);
    assert!(!f.nat_traversal);
    assert_eq!(
        c.peer[0].my_id,
        config::MyId::Fqdn("gw.example.org".to_owned())
    );
    assert!(c.peer[0].passive);
    assert_eq!(c.peer[0].port, 4500);
    // Both defaults exist besides the defined ones.
    assert_eq!(c.proposal.len(), 2);
    assert_eq!(c.profile.len(), 2);
}

#[test]
fn policy_forms() {
    let c = parse(&policy_with(
        "protocol = \"udp\"\ndst-port = 500\nsrc-port = \"any\"\nlevel = \"unique\"\ncomment = \"x\"",
    ))
    .unwrap();
    let p = &c.policy[0];
    assert_eq!(p.protocol, Some(17));
    assert_eq!(p.dst_port, PortMatch::Port(500));
    assert_eq!(p.src_port, PortMatch::Any);
    // A bare address is one host; host bits are cleared as RouterOS shows them.
    let text = edit(
        &edit(VALID, "\"10.201.1.0/24\"", "\"10.201.1.7/24\""),
        "\"10.201.2.0/24\"",
        "\"10.201.2.9\"",
    );
    let p = &parse(&text).unwrap().policy[0];
    assert_eq!(p.src_address.to_string(), "10.201.1.0/24");
    assert_eq!(p.dst_address.to_string(), "10.201.2.9/32");
    // manual-sa = "none" is no manual SA (then IKE, which needs a peer).
    let text = format!(
        "{}[[peer]]\nname = \"b\"\naddress = \"192.0.2.2\"\nsecret = \"x\"\n",
        edit(VALID, "manual-sa = \"site-b\"", "manual-sa = \"none\"")
    );
    let c = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.policy[0].manual_sa, None);
    assert!(c.manual_sa_installs().is_empty());
}

#[test]
fn routes_explicit_or_derived() {
    let two = format!(
        "{VALID}{}",
        r#"
[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.9.0/24"
action = "discard"
[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.8.0/24"
tunnel = true
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
disabled = true
"#
    );
    let c = parse(&two).unwrap_or_else(|e| panic!("{e}"));
    // Only the enabled, encrypting tunnel policy's destination.
    assert_eq!(c.routes(), vec!["10.201.2.0/24".parse().unwrap()]);
    // Disabled policies install nothing.
    assert_eq!(c.manual_sa_installs().len(), 1);
    let explicit = format!("[interface]\nroutes = [\"10.0.0.0/8\", \"2001:db8::/32\"]\n{VALID}");
    let c = parse(&explicit).unwrap();
    let routes: Vec<String> = c.routes().iter().map(ToString::to_string).collect();
    assert_eq!(routes, ["10.0.0.0/8", "2001:db8::/32"]);
}

#[test]
fn check_summarises_in_one_paragraph() {
    let summary = config::check(&example_path("site-to-site-a.toml")).unwrap();
    assert!(!summary.contains('\n'), "{summary}");
    for part in [
        "is valid: 1 policy (1 enabled, 1 keyed by a manual SA, 0 templates), 0 peers, 1 manual SA",
        "Interface tunsec0 with 10.201.1.1/24, MTU derived at start-up, routing 10.201.2.0/24 (from the tunnel policies)",
        "(auto: one per online CPU), control socket /run/tunsec/site-a.sock, log level info.",
    ] {
        assert!(summary.contains(part), "{summary}");
    }
    let err = config::check(&example_path("no-such-file.toml")).unwrap_err();
    assert!(err.to_string().starts_with("cannot read "), "{err}");
    assert!(err.to_string().contains("no-such-file.toml"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

#[test]
fn secrets_never_reach_debug_or_errors() {
    let c = example("site-to-site-a.toml");
    let debug = format!("{c:?} {:?}", c.manual_sa_installs());
    for key in [
        "5a2b05602e44ce1237b35b18afd8747401010aa3",
        "f420b94b982267eb05597d4c9b11e79f419abe0b",
        "5a2b05",
    ] {
        assert!(!debug.contains(key), "{debug}");
    }
    assert!(debug.contains("<20 bytes>"), "{debug}");

    let text = "[[peer]]\nname = \"p\"\nsecret = \"hunter2\"\nxauth-password = \"swordfish\"\n[[user]]\nname = \"u\"\npassword = \"letmein\"\n";
    let debug = format!("{:?}", parse(text).unwrap());
    for secret in ["hunter2", "swordfish", "letmein"] {
        assert!(!debug.contains(secret), "{debug}");
    }

    // Bad secrets and keys are refused without being quoted.
    let text = format!(
        "{}[[peer]]\nname = \"p\"\nsecret = \"0xhunter2\"\n",
        edit(
            VALID,
            "0x5a2b05602e44ce1237b35b18afd8747401010aa3",
            "0x5a2b05602e44ce1237b35b18afd8747401010aaZ"
        )
    );
    let err = parse(&text).unwrap_err().to_string();
    assert!(!err.contains("hunter2") && !err.contains("5a2b05"), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    // Nor does a TOML syntax error quote the line it is on.
    let err = parse("[[peer]]\nname = \"a\"\nsecret = \"hunter2\n")
        .unwrap_err()
        .to_string();
    assert!(!err.contains("hunter2"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Errors: exact lines
// ---------------------------------------------------------------------------------------

#[test]
fn toml_syntax_errors_keep_line_and_column() {
    assert_errors(
        "[daemon]\nworkers = \n",
        &["TOML syntax error at line 2, column 11: string values must be quoted, expected literal string".to_owned()],
    );
}

#[test]
fn gcm_key_too_short() {
    let text = edit(
        VALID,
        "0x5a2b05602e44ce1237b35b18afd8747401010aa3/",
        "0x000102030405060708090a0b0c0d0e0f/",
    );
    assert_errors(
        &text,
        &[at(
            SITE_B,
            "esp-enc-key",
            "incoming key is 16 bytes but aes-128-gcm needs 20 (16-byte key + 4-byte salt); accepted: \"0x<40 hex digits>/0x<40 hex digits>\"",
        )],
    );
}

#[test]
fn both_keys_wrong_and_a_ctr_nonce() {
    let text = edit(
        &edit(VALID, "aes-128-gcm", "aes-256-ctr"),
        "esp-spi",
        "esp-auth-algorithm = \"sha1\"\nesp-auth-key = \"0x00/0x0011\"\nesp-spi",
    );
    assert_errors(
        &text,
        &[
            at(
                SITE_B,
                "esp-enc-key",
                "incoming and outgoing keys are 20 bytes but aes-256-ctr needs 36 (32-byte key + 4-byte nonce); accepted: \"0x<72 hex digits>/0x<72 hex digits>\"",
            ),
            at(
                SITE_B,
                "esp-auth-key",
                "incoming key is 1 bytes and outgoing key is 2 bytes but sha1 needs 20; accepted: \"0x<40 hex digits>/0x<40 hex digits>\"",
            ),
        ],
    );
}

#[test]
fn undefined_manual_sa() {
    let text = format!(
        "[[policy]]\naction = \"none\"\n[[policy]]\nsrc-address = \"10.0.0.0/8\"\naction = \"discard\"\n{}",
        edit(VALID, "manual-sa = \"site-b\"", "manual-sa = \"site-x\"")
    );
    assert_errors(
        &text,
        &[at(
            "[[policy]] #2 (10.201.1.0/24 -> 10.201.2.0/24)",
            "manual-sa",
            "\"site-x\" is not defined; defined: \"site-b\"",
        )],
    );
}

#[test]
fn unknown_keys_list_the_valid_ones() {
    // The misspelt key is reported; what its absence would cause is not.
    assert_errors(
        &edit(VALID, "tunnel = true", "tunel = true"),
        &[at(
            POLICY,
            "tunel",
            "unknown key (did you mean \"tunnel\"?); accepted: action, comment, disabled, dst-address, dst-port, group, ipsec-protocols, level, manual-sa, peer, proposal, protocol, sa-dst-address, sa-src-address, src-address, src-port, template, tunnel",
        )],
    );
    assert_errors(
        &edit(VALID, "esp-enc-algorithm", "esp-enc-algorithms"),
        &[at(
            SITE_B,
            "esp-enc-algorithms",
            "unknown key (did you mean \"esp-enc-algorithm\"?); accepted: ah-algorithm, ah-key, ah-spi, comment, esn, esp-auth-algorithm, esp-auth-key, esp-enc-algorithm, esp-enc-key, esp-spi, lifetime, name, nat-t, replay-window, tfc-pad-to",
        )],
    );
    assert_errors(
        "[daemon]\npriority = 1\n",
        &[at(
            "[daemon]",
            "priority",
            "unknown key; accepted: control-socket, ike-cookie-threshold, ike-fragment-size, log-level, log-topics, metrics-listen, workers",
        )],
    );
}

#[test]
fn unknown_and_misplaced_tables() {
    assert_errors(
        "[deamon]\nworkers = 2\n",
        &[at(
            "(top level)",
            "deamon",
            "unknown table (did you mean \"daemon\"?); accepted: [daemon], [interface], [[policy]], [[proposal]], [[group]], [[peer]], [[profile]], [[mode-config]], [[pool]], [[user]], [[key]], [[certificate]], [[manual-sa]]",
        )],
    );
    assert_errors(
        "workers = 2\n[daemon]\n",
        &[at(
            "(top level)",
            "workers",
            "is a [daemon] key outside [daemon] (keys above the first table header are top-level); accepted: workers under [daemon]",
        )],
    );
    assert_errors(
        "[policy]\nsrc-address = \"10.0.0.0/8\"\n",
        &[at(
            "(top level)",
            "policy",
            "is written [policy]; accepted: [[policy]], one for each entry",
        )],
    );
    assert_errors(
        "[[daemon]]\nworkers = 2\n",
        &[at(
            "(top level)",
            "daemon",
            "is written [[daemon]], but there is only one; accepted: [daemon]",
        )],
    );
}

#[test]
fn bad_policy_values() {
    let text = policy_with(
        "action = \"drop\"\nsrc-port = \"http\"\ndst-port = 70000\ndisabled = \"maybe\"\nlevel = 3\nsa-dst-address = \"192.0.2.300\"",
    );
    let text = edit(&text, "sa-dst-address = \"192.0.2.2\"\n", "");
    assert_errors(
        &text,
        &[
            at(
                POLICY,
                "src-port",
                "\"http\" is not valid; accepted: any, or an integer 0..65535",
            ),
            at(
                POLICY,
                "dst-port",
                "70000 is out of range; accepted: any, or an integer 0..65535",
            ),
            at(
                POLICY,
                "action",
                "\"drop\" is not valid; accepted: discard, encrypt, none",
            ),
            at(
                POLICY,
                "level",
                "3 is not a string; accepted: require, unique, use",
            ),
            at(
                POLICY,
                "sa-dst-address",
                "\"192.0.2.300\" is not valid; accepted: an IPv4 or IPv6 address such as \"192.0.2.1\"",
            ),
            at(
                POLICY,
                "disabled",
                "\"maybe\" is not valid; accepted: yes, no, true, false",
            ),
        ],
    );
    assert_errors(
        &edit(VALID, "\"10.201.1.0/24\"", "\"10.201.1.0/33\""),
        &[at(
            "[[policy]] #0 (10.201.1.0/33 -> 10.201.2.0/24)",
            "src-address",
            "\"10.201.1.0/33\" is not valid; accepted: an IPv4 or IPv6 prefix such as \"10.201.1.0/24\", or an address for a single host",
        )],
    );
    assert_errors(
        &policy_with("protocol = \"tcpp\""),
        &[at(
            POLICY,
            "protocol",
            "\"tcpp\" is not valid; accepted: all, an integer 0..255 or one of icmp igmp ggp ipencap st tcp egp pup udp hmp xns-idp rdp iso-tp4 dccp xtp ddp idpr-cmtp ipv6-encap ipv6-route ipv6-frag rsvp gre ipsec-esp ipsec-ah icmpv6 ipv6-nonxt ipv6-opts rspf vmtp ospf ipip etherip encap pim vrrp l2tp sctp udp-lite esp ah ipv6-icmp ipv6 udplite",
        )],
    );
}

#[test]
fn bad_proposal_values() {
    let text = "[[proposal]]\nname = \"p\"\nlifetime = \"30x\"\nenc-algorithms = [\"aes-512-cbc\", \"aes-128-cbc\"]\npfs-group = \"modp9999\"\nauth-algorithms = []\n";
    let p = "[[proposal]] \"p\"";
    assert_errors(
        text,
        &[
            at(
                p,
                "auth-algorithms",
                "[] is empty; accepted: one or more of null, md5, sha1, sha256, sha384, sha512",
            ),
            at(
                p,
                "enc-algorithms",
                "\"aes-512-cbc\" is not valid; accepted: one or more of null, des, 3des, aes-128-cbc, aes-192-cbc, aes-256-cbc, aes-128-ctr, aes-192-ctr, aes-256-ctr, aes-128-gcm, aes-192-gcm, aes-256-gcm, aes-128-gcm-12, aes-192-gcm-12, aes-256-gcm-12, aes-128-gcm-8, aes-192-gcm-8, aes-256-gcm-8, aes-128-gmac, aes-192-gmac, aes-256-gmac, blowfish, twofish, camellia-128, camellia-192, camellia-256, chacha20-poly1305",
            ),
            at(
                p,
                "lifetime",
                "\"30x\" is not a time; accepted: a time such as \"30m\", \"8h\", \"1d2h30m\", \"90s\", \"00:30:00\" or whole seconds",
            ),
            at(
                p,
                "pfs-group",
                "\"modp9999\" is not valid; accepted: none, or one of modp768, modp1024, modp1536, modp2048, modp3072, modp4096, modp6144, modp8192, ec2n155, ec2n185, ecp256, ecp384, ecp521, curve25519",
            ),
        ],
    );
    assert_errors(
        "[[proposal]]\nname = \"p\"\nenc-algorithms = \"null\"\nauth-algorithms = \"null\"\n",
        &[at(
            p,
            "enc-algorithms",
            "[\"null\"] with auth-algorithms [\"null\"] would protect nothing; accepted: a cipher other than null, or an auth algorithm other than null",
        )],
    );
}

#[test]
fn bad_daemon_and_interface() {
    assert_errors(
        "[daemon]\nworkers = 0\ncontrol-socket = \"tunsec.sock\"\nlog-level = \"verbose\"\n",
        &[
            at(
                "[daemon]",
                "workers",
                "0 is out of range; accepted: auto, or an integer 1..1024",
            ),
            at(
                "[daemon]",
                "control-socket",
                "\"tunsec.sock\" is not an absolute path; accepted: an absolute path such as \"/run/tunsec/tunsec.sock\"",
            ),
            at(
                "[daemon]",
                "log-level",
                "\"verbose\" is not valid; accepted: error, warn, info, debug, trace",
            ),
        ],
    );
    assert_errors(
        "[daemon]\nworkers = \"all\"\n",
        &[at(
            "[daemon]",
            "workers",
            "\"all\" is not valid; accepted: auto, or an integer 1..1024",
        )],
    );
    assert_errors(
        "[interface]\nname = \"a-very-long-interface-name\"\naddress = [\"10.201.1.1\", \"2001:db8::1/64\"]\nroutes = [\"10.201.2.5/24\"]\n",
        &[
            at(
                "[interface]",
                "name",
                "\"a-very-long-interface-name\" is not a usable interface name; accepted: 1 to 15 characters without '/', ':' or spaces",
            ),
            at(
                "[interface]",
                "address",
                "\"10.201.1.1\" is not valid; accepted: addresses with their prefix length such as \"10.201.1.1/24\"",
            ),
            at(
                "[interface]",
                "routes",
                "\"10.201.2.5/24\" has host bits set; accepted: a network prefix such as \"10.201.2.0/24\"",
            ),
        ],
    );
    assert_errors(
        "[interface]\naddress = [\"2001:db8::1/64\", \"2001:db8::1/64\"]\nmtu = 1000\n",
        &[
            at(
                "[interface]",
                "address",
                "\"2001:db8::1/64\" is listed twice; accepted: addresses with their prefix length such as \"10.201.1.1/24\"",
            ),
            at(
                "[interface]",
                "mtu",
                "1000 is below IPv6's minimum of 1280 and address has an IPv6 address; accepted: an integer 1280..65535",
            ),
        ],
    );
}

#[test]
fn names_missing_or_duplicated() {
    assert_errors(
        &format!(
            "{VALID}{}",
            edit(
                &VALID[VALID.find("[[manual-sa]]").unwrap()..],
                "0x2001/",
                "0x2002/"
            )
        ),
        &[at(
            SITE_B,
            "name",
            "\"site-b\" is defined twice (#0 and #1); accepted: a name unique among [[manual-sa]]",
        )],
    );
    assert_errors(
        "[[peer]]\naddress = \"192.0.2.2\"\nsecret = \"x\"\n",
        &[at(
            "[[peer]] #0",
            "name",
            "missing; accepted: a non-empty string, unique among [[peer]]",
        )],
    );
    assert_errors(
        "[[manual-sa]]\nname = \"none\"\n",
        &[at(
            "[[manual-sa]] \"none\"",
            "name",
            "\"none\" is reserved (it means no [[manual-sa]] where one is named); accepted: a non-empty string, unique among [[manual-sa]]",
        )],
    );
}

#[test]
fn bad_spis() {
    let accepted = "accepted: \"0x<incoming>/0x<outgoing>\", each 0x100..0xffffffff";
    assert_errors(
        &edit(VALID, "0x2001/0x1001", "0xff/0x1001"),
        &[at(
            SITE_B,
            "esp-spi",
            &format!("incoming SPI 0xff is reserved (0..0xff, RFC 4303); {accepted}"),
        )],
    );
    assert_errors(
        &edit(VALID, "0x2001/0x1001", "0x2001/0x1ffffffff"),
        &[at(
            SITE_B,
            "esp-spi",
            &format!("outgoing SPI 0x1ffffffff is above 0xffffffff; {accepted}"),
        )],
    );
    assert_errors(
        &edit(VALID, "0x2001/0x1001", "0x2001"),
        &[at(
            SITE_B,
            "esp-spi",
            &format!(
                "\"0x2001\" is one SPI, but an incoming and an outgoing SPI are needed; {accepted}"
            ),
        )],
    );
    assert_errors(
        &edit(VALID, "esp-spi = \"0x2001/0x1001\"\n", ""),
        &[at(
            SITE_B,
            "esp-spi",
            &format!("missing, but policy #0 uses ipsec-protocols = esp; {accepted}"),
        )],
    );
}

#[test]
fn incoming_spis_are_unique() {
    let other = edit(
        &edit(
            &VALID[VALID.find("[[manual-sa]]").unwrap()..],
            "site-b",
            "site-c",
        ),
        "/0x1001",
        "/0x1002",
    );
    assert_errors(
        &format!("{VALID}{other}"),
        &[at(
            "[[manual-sa]] \"site-c\"",
            "esp-spi",
            "incoming SPI 0x2001 is also [[manual-sa]] \"site-b\"'s incoming SPI, so inbound packets could not tell the two apart; accepted: an incoming SPI no other [[manual-sa]] uses",
        )],
    );
}

#[test]
fn outgoing_spis_to_one_peer_are_unique() {
    let sa_c = edit(
        &edit(
            &VALID[VALID.find("[[manual-sa]]").unwrap()..],
            "site-b",
            "site-c",
        ),
        "0x2001/",
        "0x2002/",
    );
    let policy_c = edit(
        &edit(
            &VALID[..VALID.find("[[manual-sa]]").unwrap()],
            "site-b",
            "site-c",
        ),
        "10.201.2.0/24",
        "10.201.3.0/24",
    );
    assert_errors(
        &format!("{VALID}{policy_c}{sa_c}"),
        &[at(
            "[[manual-sa]] \"site-c\"",
            "esp-spi",
            "outgoing SPI 0x1001 to 192.0.2.2 is also [[manual-sa]] \"site-b\"'s, so 192.0.2.2 could not tell the two apart; accepted: an outgoing SPI no other [[manual-sa]] sends to 192.0.2.2 with",
        )],
    );
    // To another peer it is fine.
    parse(&format!(
        "{VALID}{}{sa_c}",
        policy_c.replace("192.0.2.2", "192.0.2.3")
    ))
    .unwrap();
}

#[test]
fn algorithm_combinations() {
    assert_errors(
        &sa_with(&format!(
            "esp-auth-algorithm = \"sha1\"\nesp-auth-key = \"0x{}/0x{}\"",
            "00".repeat(20),
            "11".repeat(20)
        )),
        &[at(
            SITE_B,
            "esp-auth-algorithm",
            "\"sha1\" cannot be combined with aes-128-gcm, which authenticates by itself; accepted: null",
        )],
    );
    let null_null = format!(
        "{}[[manual-sa]]\nname = \"site-b\"\nesp-spi = \"0x2001/0x1001\"\n",
        &VALID[..VALID.find("[[manual-sa]]").unwrap()]
    );
    assert_errors(
        &null_null,
        &[at(
            SITE_B,
            "esp-enc-algorithm",
            "\"null\" with esp-auth-algorithm \"null\" would protect nothing, and policy #0 uses ipsec-protocols = esp; accepted: an esp-enc-algorithm other than null (such as aes-128-gcm), or an esp-auth-algorithm other than null",
        )],
    );
    assert_errors(
        &sa_with("esp-auth-key = \"0x00/0x00\""),
        &[at(
            SITE_B,
            "esp-auth-key",
            "a key is given, but esp-auth-algorithm is null, which takes none; accepted: \"\" (no key)",
        )],
    );
    assert_errors(
        &edit(VALID, "esp-enc-key", "comment"),
        &[at(
            SITE_B,
            "esp-enc-key",
            "missing, but aes-128-gcm needs 20-byte keys; accepted: \"0x<40 hex digits>/0x<40 hex digits>\"",
        )],
    );
    assert_errors(
        &edit(
            VALID,
            "0xf420b94b982267eb05597d4c9b11e79f419abe0b",
            "0xf420b94b982267eb05597d4c9b11e79f419abe0",
        ),
        &[at(
            SITE_B,
            "esp-enc-key",
            "outgoing key is not an even number of hex digits (value hidden); accepted: \"0x<40 hex digits>/0x<40 hex digits>\"",
        )],
    );
    assert_errors(
        &edit(
            VALID,
            "0xf420b94b982267eb05597d4c9b11e79f419abe0b",
            "0x5a2b05602e44ce1237b35b18afd8747401010aa3",
        ),
        &[at(
            SITE_B,
            "esp-enc-key",
            "incoming and outgoing keys are the same, and aes-128-gcm must not use one key in both directions (nonces would repeat); accepted: \"0x<40 hex digits>/0x<40 hex digits>\" with two different keys",
        )],
    );
    assert_errors(
        &edit(VALID, "aes-128-gcm", "aes-128-xts"),
        &[at(
            SITE_B,
            "esp-enc-algorithm",
            "\"aes-128-xts\" is not valid; accepted: null, des, 3des, aes-128-cbc, aes-192-cbc, aes-256-cbc, aes-128-ctr, aes-192-ctr, aes-256-ctr, aes-128-gcm, aes-192-gcm, aes-256-gcm, aes-128-gcm-12, aes-192-gcm-12, aes-256-gcm-12, aes-128-gcm-8, aes-192-gcm-8, aes-256-gcm-8, aes-128-gmac, aes-192-gmac, aes-256-gmac, blowfish, twofish, camellia-128, camellia-192, camellia-256, chacha20-poly1305",
        )],
    );
}

#[test]
fn ah_needs_its_own_keys_and_no_nat_t() {
    let text = edit(
        &policy_with("ipsec-protocols = \"ah\""),
        "esp-spi = \"0x2001/0x1001\"",
        "nat-t = true",
    );
    assert_errors(
        &text,
        &[
            at(
                SITE_B,
                "ah-algorithm",
                "\"null\" (the default), but policy #0 uses ipsec-protocols = ah, and AH without an integrity algorithm protects nothing; accepted: md5, sha1, sha256, sha384, sha512",
            ),
            at(
                SITE_B,
                "ah-spi",
                "missing, but policy #0 uses ipsec-protocols = ah; accepted: \"0x<incoming>/0x<outgoing>\", each 0x100..0xffffffff",
            ),
            at(
                SITE_B,
                "nat-t",
                "true, but policy #0 uses ipsec-protocols = ah: NAT-T carries only ESP (AH signs the IP header that NAT rewrites); accepted: false",
            ),
        ],
    );
    assert_errors(
        &sa_with("ah-algorithm = \"sha256\"\nah-key = \"0x00/0x11\""),
        &[at(
            SITE_B,
            "ah-key",
            "incoming and outgoing keys are 1 bytes but sha256 needs 32; accepted: \"0x<64 hex digits>/0x<64 hex digits>\"",
        )],
    );
}

#[test]
fn sa_addresses_for_tunnel_mode() {
    assert_errors(
        &edit(VALID, "sa-src-address = \"192.0.2.1\"\n", ""),
        &[at(
            POLICY,
            "sa-src-address",
            "missing, but tunnel mode needs the SA's local address; accepted: an IPv4 or IPv6 address",
        )],
    );
    assert_errors(
        &edit(VALID, "\"192.0.2.2\"", "\"0.0.0.0\""),
        &[at(
            POLICY,
            "sa-dst-address",
            "0.0.0.0 means not set, but tunnel mode needs the SA's remote address; accepted: an IPv4 or IPv6 address",
        )],
    );
    assert_errors(
        &edit(VALID, "\"192.0.2.2\"", "\"2001:db8::2\""),
        &[at(
            POLICY,
            "sa-dst-address",
            "2001:db8::2 is IPv6 but sa-src-address 192.0.2.1 is IPv4; accepted: an address of sa-src-address's family",
        )],
    );
}

#[test]
fn transport_mode_is_between_the_sa_ends() {
    let transport = edit(VALID, "tunnel = true", "tunnel = \"no\"");
    assert_errors(
        &transport,
        &[
            at(
                POLICY,
                "src-address",
                "\"10.201.1.0/24\" is not a single host, but tunnel is no: transport mode only carries packets that originate at and are destined for the IPsec peers themselves (the manual); accepted: \"192.0.2.1/32\" (sa-src-address), or tunnel = yes to protect networks",
            ),
            at(
                POLICY,
                "dst-address",
                "\"10.201.2.0/24\" is not a single host, but tunnel is no: transport mode only carries packets that originate at and are destined for the IPsec peers themselves (the manual); accepted: \"192.0.2.2/32\" (sa-dst-address), or tunnel = yes to protect networks",
            ),
        ],
    );
    let hosts = edit(
        &edit(&transport, "10.201.1.0/24", "192.0.2.1/32"),
        "10.201.2.0/24",
        "192.0.2.9",
    );
    assert_errors(
        &hosts,
        &[at(
            "[[policy]] #0 (192.0.2.1/32 -> 192.0.2.9)",
            "sa-dst-address",
            "192.0.2.2 is not dst-address 192.0.2.9, but tunnel is no: in transport mode only packets whose source and destination are sa-src-address and sa-dst-address can be processed (the manual); accepted: 192.0.2.9, or tunnel = yes",
        )],
    );
}

#[test]
fn manual_sa_misuse() {
    assert_errors(
        &policy_with("action = \"discard\""),
        &[at(
            POLICY,
            "manual-sa",
            "\"site-b\" is set but action is discard, which uses no SA; accepted: action = \"encrypt\", or no manual-sa",
        )],
    );
    assert_errors(
        &policy_with("template = true"),
        &[at(
            POLICY,
            "manual-sa",
            "\"site-b\" is set on a template, which IKE responders use to check proposals and never carries traffic; accepted: template = no, or no manual-sa",
        )],
    );
    let second =
        &VALID[..VALID.find("[[manual-sa]]").unwrap()].replace("10.201.2.0/24", "10.201.3.0/24");
    assert_errors(
        &format!("{second}{VALID}"),
        &[at(
            POLICY.replace("#0", "#1").as_str(),
            "manual-sa",
            "\"site-b\" is already used by policy #0; its SPIs can identify only one policy's SAs; accepted: a [[manual-sa]] no other enabled policy uses",
        )],
    );
    assert_errors(
        &sa_with("replay-window = 16\ntfc-pad-to = 1400\n")
            .replace("tunnel = true", "tunnel = true\nipsec-protocols = \"esp\""),
        &[at(
            SITE_B,
            "replay-window",
            "16 is out of range; accepted: 0 (no replay check), or an integer 32..65536",
        )],
    );
    let transport_hosts = edit(
        &edit(
            &edit(VALID, "tunnel = true", "tunnel = false"),
            "10.201.1.0/24",
            "192.0.2.1",
        ),
        "10.201.2.0/24",
        "192.0.2.2",
    );
    assert_errors(
        &sa_with("tfc-pad-to = 1400").replace(VALID, &transport_hosts),
        &[at(
            SITE_B,
            "tfc-pad-to",
            "1400 is set, but policy #0 uses esp transport mode, and TFC padding needs ESP tunnel mode; accepted: no tfc-pad-to",
        )],
    );
}

#[test]
fn policies_that_could_never_match() {
    let discard = "[[policy]]\nsrc-address = \"10.201.1.0/24\"\ndst-address = \"10.201.2.0/24\"\naction = \"discard\"\n";
    assert_errors(
        &format!("{VALID}{discard}"),
        &[at(
            POLICY.replace("#0", "#1").as_str(),
            "dst-address",
            "policy #0 above already has src-address \"10.201.1.0/24\" and dst-address \"10.201.2.0/24\", so this one would be flagged invalid and never used; accepted: a src-address/dst-address pair no earlier enabled policy has",
        )],
    );
    // A disabled duplicate is fine: it is not matched.
    parse(&format!("{VALID}{discard}disabled = true\n")).unwrap();
    assert_errors(
        &edit(VALID, "10.201.2.0/24", "2001:db8::/64"),
        &[at(
            "[[policy]] #0 (10.201.1.0/24 -> 2001:db8::/64)",
            "dst-address",
            "\"2001:db8::/64\" is IPv6 but src-address \"10.201.1.0/24\" is IPv4, so the policy could match nothing; accepted: a prefix of src-address's family",
        )],
    );
}

#[test]
fn references_must_exist() {
    assert_errors(
        &policy_with("proposal = \"strong\"\ngroup = \"g\""),
        &[
            at(
                POLICY,
                "proposal",
                "\"strong\" is not defined; defined: \"default\"",
            ),
            at(
                POLICY,
                "group",
                "\"g\" is not defined; defined: \"default\"",
            ),
        ],
    );
    let peer = "[[peer]]\nname = \"office\"\naddress = \"192.0.2.2/32\"\nprofile = \"fast\"\nmode-config = \"cfg\"\npolicy-template-group = \"g\"\nauth-method = \"rsa-key\"\nkey = \"k\"\n[[profile]]\nname = \"slow\"\n";
    let p = "[[peer]] \"office\"";
    assert_errors(
        peer,
        &[
            at(
                p,
                "profile",
                "\"fast\" is not defined; defined: \"default\", \"slow\"",
            ),
            at(p, "key", "\"k\" is not defined; defined: none"),
            at(
                p,
                "mode-config",
                "\"cfg\" is not defined; defined: \"request-only\" (or none)",
            ),
            at(
                p,
                "policy-template-group",
                "\"g\" is not defined; defined: \"default\" (or none)",
            ),
        ],
    );
}

#[test]
fn ike_policies_need_a_peer() {
    let ike = edit(VALID, "manual-sa = \"site-b\"\n", "");
    assert_errors(
        &ike,
        &[at(
            POLICY,
            "manual-sa",
            "missing, and no enabled [[peer]] has an address containing 192.0.2.2 to negotiate an SA with IKE; accepted: the name of a [[manual-sa]] (defined: \"site-b\"), or a [[peer]] whose address contains 192.0.2.2",
        )],
    );
    parse(&format!(
        "{ike}[[peer]]\nname = \"b\"\naddress = \"192.0.2.0/24\"\nsecret = \"x\"\n"
    ))
    .unwrap();
    // level = use acquires nothing, so needs no peer.
    parse(&edit(
        &ike,
        "tunnel = true",
        "tunnel = true\nlevel = \"use\"",
    ))
    .unwrap();
}

#[test]
fn peers_and_their_auth_methods() {
    assert_errors(
        "[[peer]]\nname = \"office\"\naddress = \"192.0.2.2\"\n",
        &[at(
            "[[peer]] \"office\"",
            "secret",
            "missing, but auth-method is pre-shared-key; accepted: the pre-shared key, as text or 0x followed by hex digits",
        )],
    );
    assert_errors(
        "[[peer]]\nname = \"office\"\nauth-method = \"eap-radius\"\nexchange-mode = \"main\"\n[[peer]]\nname = \"x\"\nauth-method = \"pre-shared-key-xauth\"\nexchange-mode = \"ike2\"\nsecret = \"s\"\nlocal-address = \"2001:db8::1\"\n",
        &[
            at(
                "[[peer]] \"office\"",
                "exchange-mode",
                "\"main\" cannot carry auth-method eap-radius (EAP is IKEv2's); accepted: ike2",
            ),
            at(
                "[[peer]] \"x\"",
                "xauth-login",
                "missing, but auth-method is pre-shared-key-xauth and passive is no (this end is the XAuth client); accepted: the XAuth user name",
            ),
            at(
                "[[peer]] \"x\"",
                "exchange-mode",
                "\"ike2\" cannot carry auth-method pre-shared-key-xauth (XAuth is IKEv1's); accepted: main, aggressive, base, main-l2tp",
            ),
            at(
                "[[peer]] \"x\"",
                "local-address",
                "2001:db8::1 is not of address's family (0.0.0.0/0); accepted: an address of the same family as address",
            ),
        ],
    );
    assert_errors(
        "[[peer]]\nname = \"office\"\nsecret = \"0xsupersecret\"\nxauth-password = 12345\n",
        &[
            at(
                "[[peer]] \"office\"",
                "secret",
                "starts with 0x but is not an even number of hex digits (value hidden); accepted: a string, or 0x followed by an even number of hex digits",
            ),
            at(
                "[[peer]] \"office\"",
                "xauth-password",
                "is not a string (value hidden); accepted: a string, or 0x followed by an even number of hex digits",
            ),
        ],
    );
    assert_errors(
        "[[peer]]\nname = \"a\"\naddress = \"192.0.2.0/24\"\nsecret = \"s\"\n[[peer]]\nname = \"b\"\naddress = \"192.0.2.0/24\"\nexchange-mode = \"main-l2tp\"\nsecret = \"s\"\n",
        &[at(
            "[[peer]] \"b\"",
            "address",
            "\"192.0.2.0/24\" with exchange-mode main-l2tp is already [[peer]] \"a\"'s (exchange-mode main), and only the exchange mode tells peers of one address apart (main and main-l2tp count as one); accepted: another address or exchange-mode",
        )],
    );
    assert_errors(
        "[[peer]]\nname = \"a\"\nsecret = \"s\"\nmy-id = \"email:a@b\"\nport = 0\n",
        &[
            at(
                "[[peer]] \"a\"",
                "port",
                "0 is out of range; accepted: an integer 1..65535",
            ),
            at(
                "[[peer]] \"a\"",
                "my-id",
                "\"email:a@b\" is not valid; accepted: auto, address, address:<ip>, fqdn:<name>, user-fqdn:<user@domain>, key-id:<id>",
            ),
        ],
    );
}

#[test]
fn profiles_mode_configs_users_keys() {
    let p = "[[profile]] \"p\"";
    assert_errors(
        "[[profile]]\nname = \"p\"\ndpd-maximum-failures = 0\ndpd-interval = \"never\"\nhash-algorithm = \"sha384\"\ndh-group = [\"modp2048\", \"modp2048\"]\n",
        &[
            at(
                p,
                "dh-group",
                "\"modp2048\" is listed twice; accepted: one or more of modp768, modp1024, modp1536, modp2048, modp3072, modp4096, modp6144, modp8192, ec2n155, ec2n185, ecp256, ecp384, ecp521, curve25519",
            ),
            at(
                p,
                "hash-algorithm",
                "\"sha384\" is not valid; accepted: md5, sha1, sha256, sha512",
            ),
            at(
                p,
                "dpd-interval",
                "\"never\" is not valid; accepted: disable-dpd, or a time such as \"30m\", \"8h\", \"1d2h30m\", \"90s\", \"00:30:00\" or whole seconds, above 0",
            ),
            at(
                p,
                "dpd-maximum-failures",
                "0 is out of range; accepted: an integer 1..100",
            ),
        ],
    );
    let m = "[[mode-config]] \"c\"";
    assert_errors(
        "[[mode-config]]\nname = \"c\"\nresponder = true\nsystem-dns = true\nstatic-dns = [\"192.0.2.53\"]\nsrc-address-list = \"lan\"\naddress-prefix-length = 33\n",
        &[
            at(
                m,
                "address-prefix-length",
                "33 is out of range; accepted: an integer 1..32",
            ),
            at(
                m,
                "static-dns",
                "[\"192.0.2.53\"] is set together with system-dns = yes, which the manual does not allow; accepted: static-dns or system-dns, not both",
            ),
            at(
                m,
                "src-address-list",
                "\"lan\" is set but responder = yes, and it only applies to a client (responder = no); accepted: \"\" on a responder",
            ),
        ],
    );
    assert_errors(
        "[[user]]\nname = \"alice\"\naddress = \"10.0.0.300\"\n[[user]]\nname = \"alice\"\n[[key]]\nname = \"k\"\n",
        &[
            at(
                "[[user]] \"alice\"",
                "address",
                "\"10.0.0.300\" is not valid; accepted: an IPv4 or IPv6 address such as \"192.0.2.1\"",
            ),
            at(
                "[[user]] \"alice\"",
                "name",
                "\"alice\" is defined twice (#0 and #1); accepted: a name unique among [[user]]",
            ),
            at(
                "[[key]] \"k\"",
                "file",
                "missing; accepted: the path of a PEM key file",
            ),
        ],
    );
}

#[test]
fn pools_and_the_mode_configs_using_them() {
    let c = parse(
        "[[pool]]\nname = \"rw\"\nranges = \"192.0.2.10-192.0.2.20,10.201.3.0/30\"\nnext-pool = \"spare\"\n[[pool]]\nname = \"spare\"\nranges = [\"10.201.4.7\"]\n[[mode-config]]\nname = \"rw-conf\"\nresponder = \"yes\"\naddress-pool = \"rw\"\n",
    )
    .unwrap();
    let rw = &c.pool[0];
    let ranges: Vec<String> = rw.ranges.iter().map(ToString::to_string).collect();
    assert_eq!(ranges, ["192.0.2.10-192.0.2.20", "10.201.3.0-10.201.3.3"]);
    assert_eq!(rw.next_pool.as_deref(), Some("spare"));
    assert_eq!(c.pool[1].ranges[0].to_string(), "10.201.4.7");
    let m = c.mode_config.iter().find(|m| m.name == "rw-conf").unwrap();
    assert_eq!(m.address_pool.as_deref(), Some("rw"));

    let accepted = "accepted: address ranges such as \"192.0.2.10-192.0.2.99\", prefixes such as \"10.201.3.0/24\", or single addresses";
    assert_errors(
        "[[pool]]\nname = \"a\"\nranges = \"192.0.2.20-192.0.2.10\"\nnext-pool = \"a\"\n[[pool]]\nname = \"b\"\nnext-pool = \"c\"\n[[mode-config]]\nname = \"m\"\naddress-pool = \"rw\"\n",
        &[
            at(
                "[[pool]] \"a\"",
                "ranges",
                &format!("\"192.0.2.20-192.0.2.10\" is not valid; {accepted}"),
            ),
            at(
                "[[pool]] \"a\"",
                "next-pool",
                "\"a\" is this pool itself; accepted: another [[pool]]'s name, or none",
            ),
            at("[[pool]] \"b\"", "ranges", &format!("missing; {accepted}")),
            at(
                "[[mode-config]] \"m\"",
                "address-pool",
                "\"rw\" is not defined; defined: \"a\", \"b\" (or none)",
            ),
            at(
                "[[pool]] \"b\"",
                "next-pool",
                "\"c\" is not defined; defined: \"a\", \"b\" (or none)",
            ),
        ],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"
[daemon]
workers = 0
log-level = "loud"

[interface]
mtu = 20

[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.2.0/24"
tunnel = "yes"
sa-src-address = "192.0.2.1"
manual-sa = "site-x"

[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.3.0/24"
tunnel = true
action = "drop"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
manual-sa = "site-b"

[[manual-sa]]
name = "site-b"
esp-enc-algorithm = "aes-256-gcm"
esp-enc-key = "0x00/0x11"
esp-spi = "0x10/0x1001"
lifetime = "forever"
"#;
    let p0 = "[[policy]] #0 (10.201.1.0/24 -> 10.201.2.0/24)";
    let p1 = "[[policy]] #1 (10.201.1.0/24 -> 10.201.3.0/24)";
    assert_errors(
        text,
        &[
            at(
                "[daemon]",
                "workers",
                "0 is out of range; accepted: auto, or an integer 1..1024",
            ),
            at(
                "[daemon]",
                "log-level",
                "\"loud\" is not valid; accepted: error, warn, info, debug, trace",
            ),
            at(
                "[interface]",
                "mtu",
                "20 is out of range; accepted: an integer 68..65535",
            ),
            at(
                p1,
                "action",
                "\"drop\" is not valid; accepted: discard, encrypt, none",
            ),
            at(
                SITE_B,
                "esp-enc-key",
                "incoming and outgoing keys are 1 bytes but aes-256-gcm needs 36 (32-byte key + 4-byte salt); accepted: \"0x<72 hex digits>/0x<72 hex digits>\"",
            ),
            at(
                SITE_B,
                "esp-spi",
                "incoming SPI 0x10 is reserved (0..0xff, RFC 4303); accepted: \"0x<incoming>/0x<outgoing>\", each 0x100..0xffffffff",
            ),
            at(
                SITE_B,
                "lifetime",
                "\"forever\" is not a time; accepted: a time such as \"30m\", \"8h\", \"1d2h30m\", \"90s\", \"00:30:00\" or whole seconds",
            ),
            at(
                p0,
                "manual-sa",
                "\"site-x\" is not defined; defined: \"site-b\"",
            ),
            at(
                p0,
                "sa-dst-address",
                "missing, but tunnel mode needs the SA's remote address; accepted: an IPv4 or IPv6 address",
            ),
        ],
    );
}

#[test]
fn load_reports_unreadable_files() {
    let err = config::load(&example_path("missing.toml")).unwrap_err();
    assert_eq!(err.issues().len(), 1);
    assert!(err.to_string().starts_with("cannot read "), "{err}");
}

#[test]
fn daemon_logging_and_metrics_keys() {
    let c = parse(
        "[daemon]\nlog-topics = [\"ipsec,!debug\", \"system\"]\nmetrics-listen = \"[::1]:9474\"\n",
    )
    .unwrap();
    assert_eq!(c.daemon.log_topics, vec!["ipsec,!debug", "system"]);
    assert_eq!(c.daemon.metrics_listen, Some("[::1]:9474".parse().unwrap()));
    let e = parse("[daemon]\nlog-topics = [\"ipsec,,x\"]\nmetrics-listen = \"localhost\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("[daemon]: log-topics: \"ipsec,,x\" is not a topic rule; accepted:"),
        "{e}"
    );
    assert!(
        e.contains("[daemon]: metrics-listen: \"localhost\" is not an address and port; accepted: an address and port such as \"127.0.0.1:9474\""),
        "{e}"
    );
}

#[test]
fn certificate_authentication_keys_are_checked() {
    let p = "[[peer]] \"gw\"";
    let peer = |lines: &str| {
        format!(
            "[[peer]]\nname = \"gw\"\naddress = \"192.0.2.2/32\"\nexchange-mode = \"ike2\"\nauth-method = \"rsa-signature\"\n{lines}"
        )
    };
    let ca = "\n[[certificate]]\nname = \"ca\"\nfile = \"/etc/tunsec/ca.pem\"\ntrusted = \"yes\"\n";
    let own = "\n[[certificate]]\nname = \"own\"\nfile = \"/etc/tunsec/gw.pem\"\nprivate-key-file = \"/etc/tunsec/gw.key\"\n";
    // A valid one: our certificate with its key, a trusted CA, remote-id and match-by.
    let ok = peer("certificate = \"own\"\nremote-id = \"dn:CN=gw-b,O=example\"\n") + ca + own;
    let cfg = config::parse(&ok).unwrap();
    assert_eq!(cfg.certificate.len(), 2);
    assert!(cfg.certificate[0].trusted);
    assert_eq!(
        cfg.certificate[1].private_key_file.as_deref(),
        Some(std::path::Path::new("/etc/tunsec/gw.key"))
    );
    assert!(matches!(cfg.peer[0].remote_id, config::RemoteId::Dn(_)));
    assert_errors(
        &(peer("certificate = \"missing\"\nremote-certificate = \"gone\"\n") + ca),
        &[
            at(
                p,
                "certificate",
                "\"missing\" is not defined; defined: \"ca\"",
            ),
            at(
                p,
                "remote-certificate",
                "\"gone\" is not defined; defined: \"ca\"",
            ),
        ],
    );
    // Signing with a certificate that has no key; nothing to check the peer with.
    assert_errors(
        &(peer("certificate = \"ca\"\n")
            + "\n[[certificate]]\nname = \"ca\"\nfile = \"/etc/tunsec/ca.pem\"\n"),
        &[
            at(
                p,
                "certificate",
                "\"ca\" has no private-key-file, but this end signs with it (auth-method rsa-signature); accepted: a [[certificate]] with private-key-file",
            ),
            at(
                p,
                "remote-certificate",
                "missing, and no [[certificate]] has trusted = yes, so the peer's certificate could not be checked (auth-method rsa-signature); accepted: the name of the peer's [[certificate]], or a CA [[certificate]] with trusted = yes",
            ),
        ],
    );
    assert_errors(
        &(peer("certificate = \"own\"\nremote-id = \"fqdn:\"\nmatch-by = \"certificate\"\n")
            + ca
            + own),
        &[
            at(
                p,
                "remote-id",
                "\"fqdn:\" is not valid; accepted: auto, ignore, address, address:<ip>, fqdn:<name or *.domain>, user-fqdn:<user@domain>, key-id:<id>, dn:<RFC 4514 name, e.g. CN=gw,O=example>",
            ),
            at(
                p,
                "match-by",
                "\"certificate\" needs remote-certificate, the certificate the peer must present; accepted: remote-id, or set remote-certificate",
            ),
        ],
    );
    let c = "[[certificate]] \"x\"";
    assert_errors(
        "[[certificate]]\nname = \"x\"\nfile = \"\"\nprivate-key-file = \"\"\ntrusted = \"maybe\"\nkey = \"k\"\n",
        &[
            at(
                c,
                "key",
                "unknown key; accepted: comment, file, name, private-key-file, trusted",
            ),
            at(
                c,
                "file",
                "\"\" is empty; accepted: the path of a PEM or DER certificate file",
            ),
            at(
                c,
                "private-key-file",
                "\"\" is empty; accepted: the path of a PEM or DER private key file, or leave the key out",
            ),
            at(
                c,
                "trusted",
                "\"maybe\" is not valid; accepted: yes, no, true, false",
            ),
        ],
    );
    // rsa-key: remote-key names a [[key]].
    assert_errors(
        "[[peer]]\nname = \"gw\"\naddress = \"192.0.2.2/32\"\nauth-method = \"rsa-key\"\nkey = \"own\"\nremote-key = \"theirs\"\n[[key]]\nname = \"own\"\nfile = \"/k.pem\"\n",
        &[at(
            p,
            "remote-key",
            "\"theirs\" is not defined; defined: \"own\"",
        )],
    );
}
