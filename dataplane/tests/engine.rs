//! Two engines (site A and site B) with ordered policies and manually keyed SAs: packets flow
//! A -> B through encrypt policies, discard and none policies behave as the manual says, and
//! every refusal increments exactly the statistics counter the manual names.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use tunsec_dataplane::DropReason;
use tunsec_dataplane::buf::{DEFAULT_HEADROOM, PacketBuf};
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm, KeyBits};
use tunsec_dataplane::engine::{Engine, Inbound, Outbound};
use tunsec_dataplane::sa::{
    Direction, IpsecProtocol, Lifetime, Mode, Padding, SaParams, Timestamp,
};
use tunsec_dataplane::spd::{Level, Policy, PolicyAction, PolicyTable, PortMatch};
use tunsec_dataplane::stats::Counter;
use tunsec_dataplane::wire::ipv4::Ipv4Repr;
use tunsec_dataplane::wire::{checksum, udp::UdpRepr};
use zeroize::Zeroizing;

const NOW: Timestamp = Timestamp(5_000);
const GCM: EncAlgorithm = EncAlgorithm::AesGcm {
    key: KeyBits::K128,
    icv_len: 16,
};

fn policy(src: &str, dst: &str, action: PolicyAction, level: Level) -> Policy {
    Policy {
        src_address: src.parse().unwrap(),
        dst_address: dst.parse().unwrap(),
        action,
        level,
        tunnel: true,
        sa_src_address: "192.0.2.1".parse().unwrap(),
        sa_dst_address: "192.0.2.2".parse().unwrap(),
        ..Policy::default()
    }
}

/// Site A's table; site B's mirrors the addresses.
fn table(mirror: bool) -> PolicyTable {
    let (l, r) = if mirror {
        ("10.201.2.0/24", "10.201.1.0/24")
    } else {
        ("10.201.1.0/24", "10.201.2.0/24")
    };
    // Same src/dst as the tunnel policy would be a duplicate (flag I, never matched, as the
    // manual says), so the discard rule names one host inside the remote network.
    let host = if mirror {
        "10.201.1.99/32"
    } else {
        "10.201.2.99/32"
    };
    let mut ports = policy(l, host, PolicyAction::Discard, Level::Require);
    ports.protocol = Some(17);
    ports.dst_port = PortMatch::Port(9);
    PolicyTable::new(vec![
        // Discard UDP to port 9 even inside the tunnel range: first match wins.
        ports,
        policy(l, r, PolicyAction::Encrypt, Level::Require),
        policy(l, "10.201.3.0/24", PolicyAction::Encrypt, Level::Use),
        policy(l, "10.201.4.0/24", PolicyAction::Encrypt, Level::Require),
        policy(l, "0.0.0.0/0", PolicyAction::None, Level::Require),
    ])
}

fn params(direction: Direction, spi: u32, key_seed: u8, src: &str, dst: &str) -> SaParams {
    SaParams {
        spi,
        direction,
        protocol: IpsecProtocol::Esp,
        mode: Mode::Tunnel,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        encap: None,
        enc: GCM,
        enc_key: Zeroizing::new(vec![key_seed; GCM.key_len()]),
        auth: AuthAlgorithm::Null,
        auth_key: Zeroizing::new(vec![]),
        esn: true,
        replay_window: 64,
        lifetime: Lifetime::default(),
        padding: Padding::Minimal,
        iv_seed: 42,
    }
}

/// A <-> B with the tunnel policy (row 1) keyed both ways.
fn sites() -> (Engine, Engine) {
    let mut a = Engine::new(table(false));
    let mut b = Engine::new(table(true));
    let pa = a.spd().id_at(1).unwrap();
    let pb = b.spd().id_at(1).unwrap();
    a.install(
        pa,
        params(Direction::Outbound, 0x1001, 7, "192.0.2.1", "192.0.2.2"),
        NOW,
    )
    .unwrap();
    b.install(
        pb,
        params(Direction::Inbound, 0x1001, 7, "192.0.2.1", "192.0.2.2"),
        NOW,
    )
    .unwrap();
    b.install(
        pb,
        params(Direction::Outbound, 0x2001, 9, "192.0.2.2", "192.0.2.1"),
        NOW,
    )
    .unwrap();
    a.install(
        pa,
        params(Direction::Inbound, 0x2001, 9, "192.0.2.2", "192.0.2.1"),
        NOW,
    )
    .unwrap();
    (a, b)
}

fn udp(src: &str, dst: &str, dport: u16, data: &[u8]) -> Vec<u8> {
    let (src, dst): (IpAddr, IpAddr) = (src.parse().unwrap(), dst.parse().unwrap());
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
        unreachable!()
    };
    let mut p = vec![0u8; 28];
    Ipv4Repr {
        src: s,
        dst: d,
        protocol: 17,
        payload_len: 8 + data.len(),
        ttl: 64,
        tos: 0,
        ident: 1,
        dont_fragment: true,
    }
    .emit(&mut p)
    .unwrap();
    UdpRepr {
        src_port: 40000,
        dst_port: dport,
        payload_len: data.len(),
    }
    .emit(&mut p[20..])
    .unwrap();
    p.extend_from_slice(data);
    checksum::fill_transport_checksum(&mut p, 20, 17);
    p
}

fn send(engine: &mut Engine, packet: &[u8]) -> Result<(Outbound, Vec<u8>), DropReason> {
    let mut storage = vec![0u8; 4096];
    let mut buf = PacketBuf::copy_in(&mut storage, DEFAULT_HEADROOM, packet).unwrap();
    let verdict = engine.outbound(&mut buf, NOW)?;
    Ok((verdict, buf.data().to_vec()))
}

fn receive(engine: &mut Engine, wire: &[u8]) -> Result<(Inbound, Vec<u8>), DropReason> {
    let mut storage = vec![0u8; 4096];
    let mut buf = PacketBuf::copy_in(&mut storage, DEFAULT_HEADROOM, wire).unwrap();
    let verdict = engine.inbound(&mut buf, NOW)?;
    Ok((verdict, buf.data().to_vec()))
}

/// Every counter except the ones listed is zero.
fn only(engine: &Engine, expected: &[(Counter, u64)]) {
    for c in Counter::ALL {
        let want = expected.iter().find(|(k, _)| k == c).map_or(0, |(_, v)| *v);
        assert_eq!(engine.statistics().get(*c), want, "{}", c.name());
    }
}

#[test]
fn tunnel_traffic_flows_both_ways() {
    let (mut a, mut b) = sites();
    let packet = udp(
        "10.201.1.10",
        "10.201.2.20",
        5201,
        b"hello through the tunnel",
    );
    let (verdict, wire) = send(&mut a, &packet).unwrap();
    assert!(matches!(verdict, Outbound::Protected { .. }));
    assert_eq!(wire[9], 50, "outer protocol is ESP");
    let (verdict, inner) = receive(&mut b, &wire).unwrap();
    assert!(matches!(verdict, Inbound::Deliver { .. }));
    assert_eq!(inner, packet);

    let reply = udp("10.201.2.20", "10.201.1.10", 40000, b"and back");
    let (_, wire) = send(&mut b, &reply).unwrap();
    assert_eq!(receive(&mut a, &wire).unwrap().1, reply);
    only(&a, &[]);
    only(&b, &[]);
    let sa = b.sad().iter().find(|(_, sa)| sa.spi() == 0x1001).unwrap().1;
    assert_eq!(sa.current_packets(), 1);
    assert_eq!(sa.current_bytes(), packet.len() as u64);
}

#[test]
fn discard_none_and_use_policies() {
    let (mut a, _) = sites();
    // Row 0: discard beats the encrypt policy below it; other ports fall through to row 1.
    let blocked = udp("10.201.1.10", "10.201.2.99", 9, b"x");
    assert!(matches!(
        send(&mut a, &udp("10.201.1.10", "10.201.2.99", 10, b"x"))
            .unwrap()
            .0,
        Outbound::Protected { .. }
    ));
    assert_eq!(
        send(&mut a, &blocked).unwrap_err(),
        DropReason::OutPolicyBlocked
    );
    // Row 2: level use without an SA sends in clear.
    let clear = udp("10.201.1.10", "10.201.3.1", 53, b"x");
    assert_eq!(
        send(&mut a, &clear).unwrap(),
        (Outbound::Bypass, clear.clone())
    );
    // Row 3: level require without an SA drops and counts out-no-states.
    let needs_sa = udp("10.201.1.10", "10.201.4.1", 53, b"x");
    assert_eq!(
        send(&mut a, &needs_sa).unwrap_err(),
        DropReason::OutNoStates
    );
    // Row 4: action none.
    let other = udp("10.201.1.10", "198.51.100.7", 53, b"x");
    assert_eq!(send(&mut a, &other).unwrap().0, Outbound::Bypass);
    // No policy at all (source outside every policy).
    let unmatched = udp("10.9.9.9", "10.201.2.20", 53, b"x");
    assert_eq!(send(&mut a, &unmatched).unwrap().0, Outbound::Bypass);
    // IKE from this host bypasses the SPD even inside the protected range.
    let ike = udp("10.201.1.10", "10.201.2.20", 500, b"x");
    let mut ike = ike;
    ike[20..22].copy_from_slice(&500u16.to_be_bytes());
    assert_eq!(send(&mut a, &ike).unwrap().0, Outbound::Bypass);
    only(
        &a,
        &[(Counter::OutPolicyBlocked, 1), (Counter::OutNoStates, 1)],
    );
}

#[test]
fn replay_wrong_key_unknown_spi_and_template_mismatch() {
    let (mut a, mut b) = sites();
    let packet = udp("10.201.1.10", "10.201.2.20", 5201, b"payload");
    let (_, wire) = send(&mut a, &packet).unwrap();
    receive(&mut b, &wire).unwrap();
    assert_eq!(
        receive(&mut b, &wire).unwrap_err(),
        DropReason::InStateSequenceErrors
    );

    let mut unknown = wire.clone();
    unknown[20..24].copy_from_slice(&0xdead_beefu32.to_be_bytes());
    assert_eq!(
        receive(&mut b, &unknown).unwrap_err(),
        DropReason::InNoStates
    );

    let mut corrupted = send(&mut a, &packet).unwrap().1;
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x80;
    assert_eq!(
        receive(&mut b, &corrupted).unwrap_err(),
        DropReason::InStateProtocolErrors
    );

    // A peer that encrypts traffic outside the policy's selectors with a valid SA.
    let foreign = udp("10.201.1.10", "10.201.9.9", 5201, b"sneaky");
    let mut rogue = Engine::new(PolicyTable::new(vec![policy(
        "10.201.1.0/24",
        "10.201.9.0/24",
        PolicyAction::Encrypt,
        Level::Require,
    )]));
    let rp = rogue.spd().id_at(0).unwrap();
    rogue
        .install(
            rp,
            params(Direction::Outbound, 0x1001, 7, "192.0.2.1", "192.0.2.2"),
            NOW,
        )
        .unwrap();
    // Its third packet has a sequence number B has not seen, so only the selector check fails.
    send(&mut rogue, &foreign).unwrap();
    send(&mut rogue, &foreign).unwrap();
    let (_, wire3) = send(&mut rogue, &foreign).unwrap();
    assert_eq!(
        receive(&mut b, &wire3).unwrap_err(),
        DropReason::InTemplateMismatches
    );

    // A's next sequence number (3) was used by the rogue; take 4 so only the length is wrong.
    send(&mut a, &packet).unwrap();
    let mut truncated = send(&mut a, &packet).unwrap().1;
    truncated.truncate(30);
    truncated[2..4].copy_from_slice(&30u16.to_be_bytes());
    assert_eq!(
        receive(&mut b, &truncated).unwrap_err(),
        DropReason::InHeaderErrors
    );
    only(
        &b,
        &[
            (Counter::InStateSequenceErrors, 1),
            (Counter::InNoStates, 1),
            (Counter::InStateProtocolErrors, 1),
            (Counter::InTemplateMismatches, 1),
            (Counter::InHeaderErrors, 1),
        ],
    );
}

#[test]
fn install_checks_policy_protocol_and_mode() {
    let (mut a, _) = sites();
    let p = a.spd().id_at(1).unwrap();
    let mut ah = params(Direction::Outbound, 0x3001, 1, "192.0.2.1", "192.0.2.2");
    ah.protocol = IpsecProtocol::Ah;
    ah.auth = AuthAlgorithm::Sha256;
    ah.auth_key = Zeroizing::new(vec![1; 32]);
    assert!(
        a.install(p, ah, NOW)
            .unwrap_err()
            .to_string()
            .contains("ipsec-protocols=esp")
    );
    let mut transport = params(Direction::Outbound, 0x3002, 1, "192.0.2.1", "192.0.2.2");
    transport.mode = Mode::Transport;
    assert!(
        a.install(p, transport, NOW)
            .unwrap_err()
            .to_string()
            .contains("tunnel=true")
    );
}

#[test]
fn flush_drops_to_out_no_states() {
    let (mut a, _) = sites();
    a.flush();
    let packet = udp("10.201.1.10", "10.201.2.20", 5201, b"x");
    assert_eq!(send(&mut a, &packet).unwrap_err(), DropReason::OutNoStates);
    assert_eq!(a.sad().len(), 0);
}

#[test]
fn replacing_the_table_keeps_the_sas_of_kept_rows() {
    let (mut a, mut b) = sites();
    // Row 3 (10.201.4.0/24) gets an SA too, then a reload keeps row 1 and drops row 3's.
    let p3 = a.spd().id_at(3).unwrap();
    a.install(
        p3,
        params(Direction::Outbound, 0x1003, 3, "192.0.2.1", "192.0.2.2"),
        NOW,
    )
    .unwrap();
    assert_eq!(a.sad().len(), 3);
    let mut policies: Vec<Policy> = table(false).iter().map(|r| r.policy.clone()).collect();
    policies.push(policy(
        "10.201.1.0/24",
        "10.201.5.0/24",
        PolicyAction::Encrypt,
        Level::Require,
    ));
    a.replace_spd_keeping(std::sync::Arc::new(PolicyTable::new(policies)), &[1]);
    assert_eq!(a.sad().len(), 2, "row 1's pair stays, row 3's SA goes");
    let row1 = a.spd().id_at(1).unwrap();
    assert_eq!(a.spd().ph2_state(row1).name(), "established");
    // Traffic on the kept row carries on with the same SA (B still decrypts it).
    let (_, wire) = send(&mut a, &udp("10.201.1.10", "10.201.2.20", 5201, b"kept")).unwrap();
    assert!(receive(&mut b, &wire).is_ok());
    let lost = udp("10.201.1.10", "10.201.4.20", 5201, b"x");
    assert_eq!(send(&mut a, &lost).unwrap_err(), DropReason::OutNoStates);
}
