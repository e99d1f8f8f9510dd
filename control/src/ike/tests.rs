//! Two IKE endpoints in memory, joined by a link that can drop, repeat and alter messages:
//! the exchanges end to end without sockets (strongSwan interop lives in
//! scripts/test-ike.sh).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::endpoint::{Action, ChildInstall, Endpoint};
use super::peers::ike_config;
use crate::config;

mod pki;

fn endpoint(text: &str, now: Instant) -> Endpoint {
    let cfg = config::parse(text).unwrap();
    let (ike, warnings) = ike_config(&cfg);
    assert!(warnings.is_empty(), "{warnings:?}");
    Endpoint::new(ike, now)
}

pub(super) fn side(
    me: &str,
    peer: &str,
    lan_me: &str,
    lan_peer: &str,
    passive: bool,
    extra_profile: &str,
    extra_proposal: &str,
) -> String {
    format!(
        r#"
[interface]
address = ["{lan_me}.1/24"]

[[profile]]
name = "p1"
hash-algorithm = "sha256"
dh-group = ["ecp256"]
{extra_profile}

[[proposal]]
name = "p2"
enc-algorithms = ["aes-128-gcm"]
pfs-group = "none"
{extra_proposal}

[[peer]]
name = "other"
address = "{peer}/32"
local-address = "{me}"
exchange-mode = "ike2"
secret = "test-secret"
profile = "p1"
passive = {passive}

[[policy]]
src-address = "{lan_me}.0/24"
dst-address = "{lan_peer}.0/24"
sa-src-address = "{me}"
sa-dst-address = "{peer}"
tunnel = true
peer = "other"
proposal = "p2"
"#
    )
}

/// What both ends did while messages were shuttled.
#[derive(Default)]
struct Outcome {
    installs: [Vec<ChildInstall>; 2],
    removes: [usize; 2],
    logs: [Vec<String>; 2],
    messages: usize,
}

/// Delivers messages between the endpoints until none are left, after `alter` had its way
/// with each (return None to drop it). Timers run every simulated 500 ms.
fn run(
    eps: &mut [Endpoint; 2],
    addrs: [SocketAddr; 2],
    start: Instant,
    seconds: u64,
    mut alter: impl FnMut(usize, Vec<u8>) -> Option<Vec<u8>>,
) -> Outcome {
    let mut out = Outcome::default();
    let mut now = start;
    let end = start + Duration::from_secs(seconds);
    while now < end {
        for ep in eps.iter_mut() {
            ep.tick(now);
        }
        let mut moved = true;
        while moved {
            moved = false;
            for i in 0..2 {
                for a in eps[i].take_actions() {
                    match a {
                        Action::Send { local, message, .. } => {
                            out.messages += 1;
                            moved = true;
                            let Some(m) = alter(i, message) else { continue };
                            let other = 1 - i;
                            let mut from = addrs[i];
                            from.set_port(local.port());
                            let mut to = addrs[other];
                            to.set_port(local.port());
                            eps[other].handle(now, to, from, &m);
                        }
                        Action::Install(c) => out.installs[i].push(*c),
                        Action::Remove { .. } => out.removes[i] += 1,
                        Action::Log(l) => out.logs[i].push(l),
                    }
                }
            }
        }
        now += Duration::from_millis(500);
    }
    out
}

fn addrs() -> [SocketAddr; 2] {
    [
        "192.0.2.1:500".parse().unwrap(),
        "192.0.2.2:500".parse().unwrap(),
    ]
}

/// The two configurations: a (192.0.2.1, LAN 10.201.1.0/24) initiates, b (192.0.2.2, LAN
/// 10.201.2.0/24) is passive; the extras are appended to the profile and the proposal.
fn sides(extra_profile: &str, extra_proposal: &str) -> [String; 2] {
    [
        side(
            "192.0.2.1",
            "192.0.2.2",
            "10.201.1",
            "10.201.2",
            false,
            extra_profile,
            extra_proposal,
        ),
        side(
            "192.0.2.2",
            "192.0.2.1",
            "10.201.2",
            "10.201.1",
            true,
            extra_profile,
            extra_proposal,
        ),
    ]
}

fn endpoints(texts: [String; 2], now: Instant) -> [Endpoint; 2] {
    texts.map(|t| endpoint(&t, now))
}

fn pair(extra_profile: &str, extra_proposal: &str, now: Instant) -> [Endpoint; 2] {
    endpoints(sides(extra_profile, extra_proposal), now)
}

/// As [`pair`], with the profile's `dh-group` line and the proposal's `enc-algorithms` and
/// `pfs-group` lines replaced (TOML refuses a key given twice, so they cannot be appended).
fn pair_with(profile: &str, proposal: &str, now: Instant) -> [Endpoint; 2] {
    let texts = sides("", "").map(|t| {
        t.replace("dh-group = [\"ecp256\"]", profile).replace(
            "enc-algorithms = [\"aes-128-gcm\"]\npfs-group = \"none\"",
            proposal,
        )
    });
    endpoints(texts, now)
}

fn assert_keys_match(a: &ChildInstall, b: &ChildInstall) {
    assert_eq!(a.outbound.spi, b.inbound.spi);
    assert_eq!(a.inbound.spi, b.outbound.spi);
    assert_eq!(*a.outbound.enc_key, *b.inbound.enc_key);
    assert_eq!(*a.inbound.enc_key, *b.outbound.enc_key);
    assert_eq!(*a.outbound.auth_key, *b.inbound.auth_key);
    assert_ne!(*a.outbound.enc_key, *a.inbound.enc_key);
    assert_eq!(a.outbound.enc, b.inbound.enc);
}

#[test]
fn psk_gcm_ecp256_establishes_one_child_pair() {
    let now = Instant::now();
    let mut eps = pair("", "", now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    assert_eq!(out.installs[0].len(), 1, "{:?}", out.logs);
    assert_eq!(out.installs[1].len(), 1, "{:?}", out.logs);
    assert_keys_match(&out.installs[0][0], &out.installs[1][0]);
    assert_eq!(out.installs[0][0].outbound.enc.name(), "aes-128-gcm");
    let peers = eps[0].remote_peers(now);
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].state, "established");
    assert_eq!(peers[1 - 1].side, "initiator");
    assert_eq!(eps[1].remote_peers(now)[0].side, "responder");
}

#[test]
fn every_group_and_cbc_with_pfs() {
    for (group, enc, pfs) in [
        ("modp2048", "aes-256-cbc", "none"),
        ("curve25519", "aes-256-gcm", "curve25519"),
        ("ecp384", "aes-128-cbc", "ecp384"),
        ("modp1024", "aes-128-ctr", "none"),
    ] {
        let now = Instant::now();
        let profile = format!("dh-group = [\"{group}\"]\nenc-algorithm = [\"aes-256\"]");
        let proposal = format!(
            "enc-algorithms = [\"{enc}\"]\nauth-algorithms = [\"sha256\"]\npfs-group = \"{pfs}\""
        );
        let mut eps = pair_with(&profile, &proposal, now);
        let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
        assert_eq!(out.installs[0].len(), 1, "{group} {enc}: {:?}", out.logs);
        assert_keys_match(&out.installs[0][0], &out.installs[1][0]);
        assert_eq!(out.installs[0][0].outbound.enc.name(), enc);
    }
}

#[test]
fn lost_and_repeated_messages_are_retransmitted_and_answered_once() {
    let now = Instant::now();
    let mut eps = pair("", "", now);
    let mut n = 0;
    let out = run(&mut eps, addrs(), now, 10, |_, m| {
        n += 1;
        // Lose two answers to IKE_SA_INIT (the request is repeated and answered from the
        // responder's copy) and the first answer to IKE_AUTH.
        (![2, 4, 8].contains(&n)).then_some(m)
    });
    assert_eq!(out.installs[0].len(), 1, "{:?}", out.logs);
    assert_eq!(out.installs[1].len(), 1, "{:?}", out.logs);
    assert_keys_match(&out.installs[0][0], &out.installs[1][0]);
}

#[test]
fn tampered_messages_are_dropped_without_harm() {
    let now = Instant::now();
    let mut eps = pair("", "", now);
    let mut n = 0;
    // Flip one bit in the first copy of IKE_AUTH (the third message) and later ones.
    let out = run(&mut eps, addrs(), now, 10, |_, mut m| {
        n += 1;
        if n == 3 {
            let last = m.len() - 1;
            m[last] ^= 1;
        }
        Some(m)
    });
    assert_eq!(out.installs[0].len(), 1, "{:?}", out.logs);
    assert!(
        out.logs[1].iter().any(|l| l.contains("dropped request")),
        "{:?}",
        out.logs[1]
    );
}

#[test]
fn proposal_mismatch_is_explained_and_nothing_installed() {
    let now = Instant::now();
    let [a, b] = sides("", "");
    let b = b.replace(
        "enc-algorithms = [\"aes-128-gcm\"]",
        "enc-algorithms = [\"aes-256-cbc\"]\nauth-algorithms = [\"sha1\"]",
    );
    let mut eps = endpoints([a, b], now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    assert!(out.installs[0].is_empty() && out.installs[1].is_empty());
    assert!(
        out.logs[1]
            .iter()
            .any(|l| l.contains("no suitable proposal found")),
        "{:?}",
        out.logs[1]
    );
    assert!(
        out.logs[1]
            .iter()
            .any(|l| l.contains("rejected enctype") && l.contains("AES-CBC-256:AES-GCM-128")),
        "{:?}",
        out.logs[1]
    );
    assert!(
        out.logs[0].iter().any(|l| l.contains("NO-PROPOSAL-CHOSEN")),
        "{:?}",
        out.logs[0]
    );
    // The IKE SA itself is up; only the child failed.
    assert_eq!(eps[0].remote_peers(now)[0].state, "established");
}

#[test]
fn wrong_secret_fails_authentication() {
    let now = Instant::now();
    let [a, b] = sides("", "");
    let mut eps = endpoints([a, b.replace("test-secret", "other-secret")], now);
    let out = run(&mut eps, addrs(), now, 3, |_, m| Some(m));
    assert!(out.installs[0].is_empty() && out.installs[1].is_empty());
    assert!(
        out.logs[1]
            .iter()
            .any(|l| l.contains("failed to authenticate")),
        "{:?}",
        out.logs[1]
    );
    assert!(
        out.logs[0]
            .iter()
            .any(|l| l.contains("AUTHENTICATION_FAILED")),
        "{:?}",
        out.logs[0]
    );
}

#[test]
fn child_rekey_installs_new_pair_then_deletes_old() {
    let now = Instant::now();
    let mut eps = pair("", "", now);
    let out = run(&mut eps, addrs(), now, 2, |_, m| Some(m));
    let first = &out.installs[0][0];
    let old_in = first.inbound.spi;
    eps[0].child_expired(now + Duration::from_secs(2), old_in, false);
    let out2 = run(
        &mut eps,
        addrs(),
        now + Duration::from_secs(2),
        2,
        |_, m| Some(m),
    );
    assert_eq!(out2.installs[0].len(), 1, "{:?}", out2.logs);
    assert_eq!(out2.installs[1].len(), 1, "{:?}", out2.logs);
    assert_keys_match(&out2.installs[0][0], &out2.installs[1][0]);
    assert_ne!(out2.installs[0][0].inbound.spi, old_in);
    assert_eq!(out2.removes, [1, 1], "{:?}", out2.logs);
}

#[test]
fn ike_rekey_keeps_children_and_the_sa_works_after() {
    let now = Instant::now();
    let mut eps = pair("lifetime = \"10s\"", "", now);
    let out = run(&mut eps, addrs(), now, 2, |_, m| Some(m));
    assert_eq!(out.installs[0].len(), 1);
    // Past the rekey point (9 s) of the initiator.
    let out2 = run(
        &mut eps,
        addrs(),
        now + Duration::from_secs(2),
        9,
        |_, m| Some(m),
    );
    assert!(
        out2.logs[0]
            .iter()
            .any(|l| l.contains("rekeyed (initiator)")),
        "{:?}",
        out2.logs
    );
    assert!(
        out2.logs[1]
            .iter()
            .any(|l| l.contains("rekeyed (responder)")),
        "{:?}",
        out2.logs
    );
    assert_eq!(out2.removes, [0, 0], "children survive an IKE rekey");
    let peers = eps[0].remote_peers(now + Duration::from_secs(11));
    assert_eq!(peers.len(), 1, "old IKE SA deleted");
    assert_eq!(peers[0].ph2_active, 1);
    // The new IKE SA carries a child rekey.
    let spi = out.installs[0][0].inbound.spi;
    eps[0].child_expired(now + Duration::from_secs(11), spi, false);
    let out3 = run(
        &mut eps,
        addrs(),
        now + Duration::from_secs(11),
        2,
        |_, m| Some(m),
    );
    assert_eq!(out3.installs[0].len(), 1, "{:?}", out3.logs);
    assert_keys_match(&out3.installs[0][0], &out3.installs[1][0]);
}

#[test]
fn dpd_declares_a_silent_peer_dead_and_retries() {
    let now = Instant::now();
    let mut eps = pair("dpd-interval = \"2s\"\ndpd-maximum-failures = 3", "", now);
    let out = run(&mut eps, addrs(), now, 2, |_, m| Some(m));
    assert_eq!(out.installs[0].len(), 1);
    // The peer goes silent: after about 2 s idle + 3 x 2 s the SA is dead.
    let out2 = run(
        &mut eps,
        addrs(),
        now + Duration::from_secs(2),
        12,
        |i, m| (i == 1).then_some(m).filter(|_| false),
    );
    assert!(
        out2.logs[0].iter().any(|l| l.contains("dead peer")),
        "{:?}",
        out2.logs[0]
    );
    assert_eq!(out2.removes[0], 1);
}

#[test]
fn under_load_the_responder_demands_a_cookie_and_keeps_no_state_until_it_comes_back() {
    let now = Instant::now();
    let mut eps = pair("", "", now);
    // Every request counts as "under load".
    eps[1].cookie_threshold = 0;
    let mut first_answer = None;
    let mut n = 0;
    let out = run(&mut eps, addrs(), now, 3, |i, m| {
        n += 1;
        if n == 2 && i == 1 {
            first_answer = Some(m.clone());
        }
        Some(m)
    });
    // The first answer is a bare COOKIE notify, the SA comes up on the second try.
    let first = super::wire::ParsedMessage::parse(&first_answer.unwrap()).unwrap();
    use super::wire::Payloads;
    assert!(
        first
            .payloads
            .notifies(super::wire::NotifyType::COOKIE)
            .next()
            .is_some()
    );
    assert!(first.payloads.sa().is_none());
    assert_eq!(out.installs[0].len(), 1, "{:?}", out.logs);
    assert_keys_match(&out.installs[0][0], &out.installs[1][0]);
}

/// The IKE header's next-payload byte: SKF (53) marks an RFC 7383 fragment.
fn is_fragment(m: &[u8]) -> bool {
    m.get(16) == Some(&53)
}

#[test]
fn large_messages_travel_as_fragments_that_each_fit_and_survive_loss_and_tampering() {
    for enc in ["aes-128-gcm", "aes-256-cbc"] {
        let now = Instant::now();
        let proposal = format!(
            "enc-algorithms = [\"{enc}\"]\nauth-algorithms = [\"sha256\"]\nlifetime = \"30s\""
        );
        let mut eps = pair_with("dh-group = [\"ecp256\"]", &proposal, now);
        for ep in &mut eps {
            ep.fragment_datagram_len = 160;
        }
        let (mut fragments, mut dropped, mut tampered) = (0, false, false);
        let mut largest = 0;
        let out = run(&mut eps, addrs(), now, 40, |_, mut m| {
            // IKE_SA_INIT (exchange type 34) is never fragmented.
            if m[18] != 34 {
                largest = largest.max(m.len());
            }
            if !is_fragment(&m) {
                return Some(m);
            }
            fragments += 1;
            // The first IKE_AUTH request's second fragment is lost, the third altered.
            let number = u16::from_be_bytes([m[32], m[33]]);
            if !dropped && number == 2 {
                dropped = true;
                return None;
            }
            if !tampered && number == 3 {
                tampered = true;
                let last = m.len() - 1;
                m[last] ^= 1;
            }
            Some(m)
        });
        assert!(fragments >= 4, "{enc}: only {fragments} fragments");
        assert!(dropped && tampered, "{enc}: no third fragment to alter");
        // 160-byte IP datagrams: 20 bytes of IPv4 and 8 of UDP leave 132 for IKE.
        assert!(largest <= 132, "{enc}: a {largest}-byte message");
        assert_eq!(out.installs[0].len(), 1, "{enc}: {:?}", out.logs);
        assert_keys_match(&out.installs[0][0], &out.installs[1][0]);
        assert!(
            out.logs
                .iter()
                .flatten()
                .any(|l| l.contains("integrity check failed")),
            "{enc}: {:?}",
            out.logs
        );
    }
}

#[test]
fn responder_picks_the_most_specific_peer_bound_to_the_address_the_request_came_to() {
    let text = r#"
[[peer]]
name = "any"
address = "0.0.0.0/0"
local-address = "192.0.2.1"
exchange-mode = "ike2"
secret = "s1"
passive = true

[[peer]]
name = "lan"
address = "198.51.100.0/24"
local-address = "192.0.2.9"
exchange-mode = "ike2"
secret = "s2"
passive = true

[[peer]]
name = "host"
address = "198.51.100.7/32"
exchange-mode = "ike2"
secret = "s3"
passive = true
"#;
    let cfg = config::parse(text).unwrap();
    let (ike, _) = ike_config(&cfg);
    let name = |remote: &str, local: &str| {
        ike.peer_for(remote.parse().unwrap(), local.parse().unwrap())
            .map(|i| ike.peers[i].name.as_str())
    };
    assert_eq!(name("198.51.100.5", "192.0.2.9"), Some("lan"));
    assert_eq!(name("198.51.100.5", "192.0.2.1"), Some("any"));
    assert_eq!(name("198.51.100.7", "192.0.2.1"), Some("host"));
    assert_eq!(name("203.0.113.1", "192.0.2.9"), None);
}
