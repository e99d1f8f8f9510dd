//! Entry points for the cargo-fuzz targets in `fuzz/` (each target is one line calling one of
//! these), and the seed packets their corpora start from.
//!
//! They live inside the crate so they can set up what a fuzzer could never guess: SAs with
//! known keys, replay windows already advanced, and packets whose ICV is recomputed over the
//! fuzzer's bytes ("forged"), so that mutated plaintext reaches the code behind the integrity
//! check. Every entry point must return normally for every input; the few `assert!`s state
//! properties of the engine (decap of encap is the identity, a replay is refused), so a
//! failing one is a real bug, never a harness limitation.
//!
//! Decapsulation inputs start with one byte of [`Knobs`], followed by the packet. The SA is
//! found by (SPI, protocol) in [`PROFILES`], as the SAD would find it, so every seed and every
//! mutation that keeps a known SPI reaches the crypto.

use crate::DropReason;
use crate::buf::{DEFAULT_HEADROOM, DEFAULT_TAILROOM, PacketBuf};
use crate::crypto::{AuthAlgorithm, EncAlgorithm, KeyBits};
use crate::mode::{self, OuterPacket};
use crate::replay::ReplayWindow;
use crate::sa::{
    Direction, IpsecProtocol, Lifetime, Mode, Padding, SaParams, SaTransform, SecurityAssociation,
    Timestamp, UdpEncap,
};
use crate::wire::ah::{self as ah_wire, AhHeader};
use crate::wire::esp::{EspPacket, EspTrailer};
use crate::wire::ip::{self, IpSummary};
use crate::wire::ipv4::{self, Ipv4Packet, Ipv4Repr};
use crate::wire::ipv6::{self, Ipv6Packet, Ipv6Repr};
use crate::wire::natt::{self, NattPayload};
use crate::wire::tcp::{self, TcpPacket};
use crate::wire::udp::{self, UdpPacket, UdpRepr};
use crate::wire::{checksum, proto};
use crate::{ah, esp};
use std::net::IpAddr;
use zeroize::Zeroizing;

const NOW: Timestamp = Timestamp(1_000);

/// One inbound SA the decapsulation targets know, with the outbound twin that made the seeds.
#[derive(Debug, Clone, Copy)]
struct Profile {
    spi: u32,
    protocol: IpsecProtocol,
    enc: EncAlgorithm,
    auth: AuthAlgorithm,
    mode: Mode,
    ipv6: bool,
    esn: bool,
    encap: bool,
}

const fn esp(
    spi: u32,
    enc: EncAlgorithm,
    auth: AuthAlgorithm,
    mode: Mode,
    ipv6: bool,
    esn: bool,
    encap: bool,
) -> Profile {
    Profile {
        spi,
        protocol: IpsecProtocol::Esp,
        enc,
        auth,
        mode,
        ipv6,
        esn,
        encap,
    }
}

const fn ah(spi: u32, auth: AuthAlgorithm, mode: Mode, ipv6: bool, esn: bool) -> Profile {
    Profile {
        spi,
        protocol: IpsecProtocol::Ah,
        enc: EncAlgorithm::Null,
        auth,
        mode,
        ipv6,
        esn,
        encap: false,
    }
}

const GCM128: EncAlgorithm = EncAlgorithm::AesGcm {
    key: KeyBits::K128,
    icv_len: 16,
};
const GCM256: EncAlgorithm = EncAlgorithm::AesGcm {
    key: KeyBits::K256,
    icv_len: 16,
};
const GCM128_8: EncAlgorithm = EncAlgorithm::AesGcm {
    key: KeyBits::K128,
    icv_len: 8,
};
const AES128_CBC: EncAlgorithm = EncAlgorithm::AesCbc(KeyBits::K128);
const AES256_CBC: EncAlgorithm = EncAlgorithm::AesCbc(KeyBits::K256);
const AES128_CTR: EncAlgorithm = EncAlgorithm::AesCtr(KeyBits::K128);
const GMAC128: EncAlgorithm = EncAlgorithm::AesGmac(KeyBits::K128);
const CHACHA: EncAlgorithm = EncAlgorithm::ChaCha20Poly1305;
const TRIPLE_DES: EncAlgorithm = EncAlgorithm::TripleDes;
const NULL_ENC: EncAlgorithm = EncAlgorithm::Null;
const NO_AUTH: AuthAlgorithm = AuthAlgorithm::Null;
const MD5: AuthAlgorithm = AuthAlgorithm::Md5;
const SHA1: AuthAlgorithm = AuthAlgorithm::Sha1;
const SHA256: AuthAlgorithm = AuthAlgorithm::Sha256;
const SHA384: AuthAlgorithm = AuthAlgorithm::Sha384;
const SHA512: AuthAlgorithm = AuthAlgorithm::Sha512;
const TUNNEL: Mode = Mode::Tunnel;
const TRANSPORT: Mode = Mode::Transport;

/// The inbound SAs every decapsulation target can reach: AEAD, CBC+HMAC, NULL+HMAC, CTR,
/// GMAC, ChaCha20, legacy 8-byte-block 3DES; tunnel and transport; IPv4 and IPv6; with and
/// without ESN; plain and UDP-encapsulated ESP; AH with every HMAC.
#[rustfmt::skip]
const PROFILES: &[Profile] = &[
    //   SPI     encryption      integrity  mode       IPv6   ESN    UDP
    esp(0x1001, GCM128,          NO_AUTH,   TUNNEL,    false, false, false),
    esp(0x1002, GCM256,          NO_AUTH,   TUNNEL,    true,  true,  false),
    esp(0x1003, AES128_CBC,      SHA256,    TUNNEL,    false, true,  false),
    esp(0x1004, AES256_CBC,      SHA256,    TRANSPORT, true,  false, false),
    esp(0x1005, NULL_ENC,        SHA1,      TUNNEL,    true,  false, false),
    esp(0x1006, NULL_ENC,        SHA1,      TRANSPORT, false, true,  false),
    esp(0x1007, GCM128_8,        NO_AUTH,   TRANSPORT, false, false, false),
    esp(0x1008, CHACHA,          NO_AUTH,   TRANSPORT, true,  true,  false),
    esp(0x1009, AES128_CTR,      SHA512,    TUNNEL,    false, false, false),
    esp(0x100a, GMAC128,         NO_AUTH,   TUNNEL,    true,  false, false),
    esp(0x100b, TRIPLE_DES,      MD5,       TRANSPORT, false, false, false),
    ah( 0x2001,                  SHA1,      TUNNEL,    false, false),
    ah( 0x2002,                  SHA256,    TRANSPORT, true,  true),
    ah( 0x2003,                  MD5,       TRANSPORT, false, false),
    ah( 0x2004,                  SHA512,    TUNNEL,    true,  true),
    ah( 0x2005,                  SHA384,    TRANSPORT, false, true),
    esp(0x3001, GCM128,          NO_AUTH,   TUNNEL,    false, false, true),
    esp(0x3002, AES256_CBC,      SHA256,    TRANSPORT, false, true,  true),
    esp(0x3003, NULL_ENC,        SHA1,      TRANSPORT, true,  false, true),
    esp(0x3004, CHACHA,          NO_AUTH,   TUNNEL,    true,  true,  true),
];

fn find_profile(spi: u32, protocol: IpsecProtocol) -> Option<&'static Profile> {
    PROFILES
        .iter()
        .find(|p| p.spi == spi && p.protocol == protocol)
}

fn key(len: usize, seed: u32) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed as u8))
            .collect(),
    )
}

fn endpoints(ipv6: bool) -> (IpAddr, IpAddr) {
    if ipv6 {
        (
            IpAddr::from([0x2001, 0xdb8, 1, 0, 0, 0, 0, 1]),
            IpAddr::from([0x2001, 0xdb8, 2, 0, 0, 0, 0, 1]),
        )
    } else {
        (IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2]))
    }
}

fn inner_endpoints(ipv6: bool) -> (IpAddr, IpAddr) {
    if ipv6 {
        (
            IpAddr::from([0x2001, 0xdb8, 0x201, 1, 0, 0, 0, 5]),
            IpAddr::from([0x2001, 0xdb8, 0x201, 2, 0, 0, 0, 5]),
        )
    } else {
        (IpAddr::from([10, 201, 1, 5]), IpAddr::from([10, 201, 2, 5]))
    }
}

fn params(p: &Profile, direction: Direction) -> SaParams {
    let (src, dst) = endpoints(p.ipv6);
    SaParams {
        spi: p.spi,
        direction,
        protocol: p.protocol,
        mode: p.mode,
        src,
        dst,
        encap: p.encap.then(UdpEncap::default),
        enc: p.enc,
        enc_key: key(p.enc.key_len(), p.spi),
        auth: p.auth,
        auth_key: key(p.auth.key_len(), p.spi >> 8),
        esn: p.esn,
        replay_window: crate::replay::DEFAULT_WINDOW,
        lifetime: Lifetime::default(),
        padding: Padding::Minimal,
        iv_seed: 0x0102_0304_0506_0708 ^ u64::from(p.spi),
    }
}

/// The first input byte of the decapsulation targets: how the SA and the receive path are set
/// up before the packet (the rest of the input) arrives.
#[derive(Debug, Clone, Copy)]
struct Knobs(u8);

impl Knobs {
    /// Recompute the ICV (and, for ESP, encrypt) over the fuzzer's bytes before decapsulating,
    /// so mutated trailers, inner packets and header chains get past the integrity check.
    fn forge(self) -> bool {
        self.0 & 1 != 0
    }
    /// Replay window size and state (see [`Knobs::prepare_replay`]).
    fn replay_preset(self) -> u8 {
        (self.0 >> 1) & 7
    }
    /// Hand the engine the packet without trimming it to its IP length first.
    fn untrimmed(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// No head- or tailroom around the packet.
    fn tight(self) -> bool {
        self.0 & 0x20 != 0
    }
    /// Small soft and hard byte lifetimes, so accounting kills the SA.
    fn short_lifetime(self) -> bool {
        self.0 & 0x40 != 0
    }

    fn replay_window(self) -> u32 {
        match self.replay_preset() {
            1 => 64,
            4 => 0,
            5 => crate::replay::MAX_WINDOW,
            6 => crate::replay::MIN_WINDOW,
            _ => crate::replay::DEFAULT_WINDOW,
        }
    }

    /// Sequence numbers already authenticated before this packet, chosen to put the window at
    /// the interesting places of RFC 4303 appendix A (both ESN cases, the 2^32 boundary).
    fn prepare_replay(self, w: &mut ReplayWindow) {
        let seen: &[u64] = match self.replay_preset() {
            1 => &[990, 1000],
            2 => &[u32::MAX as u64 - 40, u32::MAX as u64 - 3],
            3 => &[(1 << 32) - 2, (1 << 32) + 5],
            5 => &[70_000],
            6 => &[3],
            7 => &[(5 << 32) + 0xffff_ff00],
            _ => &[],
        };
        for &s in seen {
            w.commit(s);
        }
    }

    /// The inbound SA for `p`, set up as the knobs say.
    fn inbound_sa(self, p: &Profile) -> Option<SecurityAssociation> {
        let mut params = params(p, Direction::Inbound);
        params.replay_window = self.replay_window();
        if self.short_lifetime() {
            params.lifetime = Lifetime {
                soft_bytes: Some(40),
                hard_bytes: Some(200),
                ..Lifetime::default()
            };
        }
        let mut sa = SecurityAssociation::new(params, NOW).ok()?;
        self.prepare_replay(sa.replay_mut());
        Some(sa)
    }
}

/// The receive path: trim to the IP length (unless told not to), parse the outer headers,
/// decapsulate. Returns the inner packet, empty for a dummy packet.
fn receive(
    sa: &mut SecurityAssociation,
    packet: &[u8],
    knobs: Knobs,
) -> Result<Vec<u8>, DropReason> {
    let (head, tail) = if knobs.tight() {
        (0, 0)
    } else {
        (DEFAULT_HEADROOM, DEFAULT_TAILROOM)
    };
    let mut storage = vec![0u8; head + packet.len() + tail];
    let mut buf =
        PacketBuf::copy_in(&mut storage, head, packet).map_err(|_| DropReason::InBufferErrors)?;
    if !knobs.untrimmed() {
        let s = IpSummary::parse(buf.data()).map_err(|_| DropReason::InHeaderErrors)?;
        buf.truncate(s.total_len);
    }
    let outer = OuterPacket::parse(buf.data())?;
    let d = match sa.params().protocol {
        IpsecProtocol::Esp => esp::decapsulate(sa, &outer, &mut buf, NOW)?,
        IpsecProtocol::Ah => ah::decapsulate(sa, &outer, &mut buf, NOW)?,
    };
    if !d.has_payload {
        assert!(buf.is_empty(), "a dummy packet leaves nothing behind");
    }
    Ok(buf.data().to_vec())
}

/// The SPI and protocol of a received packet, as the SAD lookup reads them.
fn spi_of(packet: &[u8]) -> Option<(u32, IpsecProtocol)> {
    let outer = OuterPacket::parse(packet).ok()?;
    let at = packet.get(outer.ipsec_offset..)?;
    match outer.protocol {
        proto::ESP => Some((EspPacket::new_checked(at).ok()?.spi(), IpsecProtocol::Esp)),
        proto::AH => Some((AhHeader::new_checked(at).ok()?.spi(), IpsecProtocol::Ah)),
        _ => None,
    }
}

/// Rewrites the IP (and UDP) length fields to the packet's real length, so a forged packet's
/// lengths agree with its size after the fuzzer grew or shrank it.
fn fix_lengths(packet: &mut [u8]) {
    let len = packet.len();
    match ip::version(packet) {
        Ok(4) if len >= ipv4::HEADER_LEN => {
            let Ok(total) = u16::try_from(len) else {
                return;
            };
            Ipv4Packet::new_unchecked(&mut packet[..]).set_total_len(total);
            if let Ok(mut p) = Ipv4Packet::new_checked(&mut packet[..]) {
                p.fill_checksum();
            }
        }
        Ok(6) if len >= ipv6::HEADER_LEN => {
            let Ok(payload) = u16::try_from(len - ipv6::HEADER_LEN) else {
                return;
            };
            Ipv6Packet::new_unchecked(&mut packet[..]).set_payload_len(payload);
        }
        _ => return,
    }
    if let Ok(outer) = OuterPacket::parse(packet)
        && outer.encap.is_some()
    {
        let at = outer.ip_header_len;
        if let Ok(l) = u16::try_from(len - at) {
            let mut u = UdpPacket::new_unchecked(&mut packet[at..]);
            u.set_len(l);
            u.set_checksum(0);
        }
    }
}

/// Encrypts the fuzzer's ESP body in place as the SA would have, so its plaintext (trailer,
/// inner packet) is whatever the fuzzer wrote.
fn forge_esp(sa: &SecurityAssociation, packet: &mut Vec<u8>) {
    let SaTransform::Esp(t) = sa.transform() else {
        return;
    };
    let (iv_len, icv_len, block) = (t.iv_len(), t.icv_len(), t.block_len());
    let Ok(outer) = OuterPacket::parse(packet) else {
        return;
    };
    let at = outer.ipsec_offset;
    let Some(ct_len) = packet
        .len()
        .checked_sub(at + crate::wire::esp::HEADER_LEN + iv_len + icv_len)
    else {
        return;
    };
    let aligned = ct_len - ct_len % block;
    if aligned < crate::wire::esp::TRAILER_LEN {
        return;
    }
    packet.truncate(packet.len() - (ct_len - aligned));
    fix_lengths(packet);
    let Some(esp) = packet.get_mut(at..) else {
        return;
    };
    let Ok(view) = EspPacket::new_checked(&*esp) else {
        return;
    };
    let header = view.header();
    let seq_hi = sa.params().esn.then(|| {
        sa.replay()
            .check(view.sequence_number())
            .map_or(0, |s| (s >> 32) as u32)
    });
    let body = &mut esp[crate::wire::esp::HEADER_LEN..];
    let (iv, rest) = body.split_at_mut(iv_len);
    let (payload, icv) = rest.split_at_mut(aligned);
    t.seal(&header, seq_hi, iv, payload, icv);
}

/// Computes the AH ICV over the fuzzer's packet as RFC 4302 defines it, independently of
/// `ah.rs`, and writes it into the packet.
fn forge_ah(sa: &SecurityAssociation, packet: &mut [u8]) {
    let SaTransform::Ah(integ) = sa.transform() else {
        return;
    };
    fix_lengths(packet);
    let Ok(outer) = OuterPacket::parse(packet) else {
        return;
    };
    let at = outer.ipsec_offset;
    let Some(Ok(h)) = packet.get(at..).map(AhHeader::new_checked) else {
        return;
    };
    let (ah_len, icv_len) = (h.header_len(), integ.icv_len());
    if h.icv_area().len() < icv_len {
        return;
    }
    let seq_hi = sa
        .replay()
        .check(h.sequence_number())
        .map_or(0, |s| (s >> 32) as u32)
        .to_be_bytes();
    let mut headers = packet[..at + ah_len].to_vec();
    let zeroed = if outer.ipv6 {
        ah_wire::zero_mutable_ipv6(&mut headers[..at])
    } else {
        ah_wire::zero_mutable_ipv4(&mut headers[..at])
    };
    if zeroed.is_err() {
        return;
    }
    let icv_at = at + ah_wire::FIXED_LEN;
    headers[icv_at..icv_at + icv_len].fill(0);
    let esn: &[u8] = if sa.params().esn { &seq_hi } else { &[] };
    let mut icv = [0u8; 64];
    integ.compute(
        &[&headers, &packet[at + ah_len..], esn],
        &mut icv[..icv_len],
    );
    packet[icv_at..icv_at + icv_len].copy_from_slice(&icv[..icv_len]);
}

/// Looks up the SA for `packet`, optionally forges it, decapsulates, and checks what came out.
fn decapsulate_with_knobs(knobs: Knobs, mut packet: Vec<u8>, want: IpsecProtocol) {
    if knobs.forge() {
        fix_lengths(&mut packet);
    }
    let Some((spi, protocol)) = spi_of(&packet).filter(|(_, p)| *p == want) else {
        return;
    };
    let Some(profile) = find_profile(spi, protocol) else {
        return;
    };
    let Some(mut sa) = knobs.inbound_sa(profile) else {
        return;
    };
    if knobs.forge() {
        match protocol {
            IpsecProtocol::Esp => forge_esp(&sa, &mut packet),
            IpsecProtocol::Ah => forge_ah(&sa, &mut packet),
        }
    }
    let Ok(inner) = receive(&mut sa, &packet, knobs) else {
        return;
    };
    let received = packet.len();
    assert!(inner.len() <= received, "decapsulation grew the packet");
    if profile.mode == Mode::Tunnel && !inner.is_empty() {
        let s = IpSummary::parse(&inner);
        assert!(
            s.is_ok_and(|s| s.total_len == inner.len()),
            "tunnel mode returned an inner packet that is not one whole IP packet"
        );
    }
    // The same packet again is a replay, whatever it carried.
    if knobs.replay_window() != 0 && !knobs.short_lifetime() {
        assert_eq!(
            receive(&mut sa, &packet, knobs),
            Err(DropReason::InStateSequenceErrors),
            "a replayed packet was accepted"
        );
    }
}

/// A received outer IP packet carrying ESP, decapsulated with the SA its SPI names.
/// Input: [`Knobs`] byte, then the packet.
pub fn esp_decapsulate(data: &[u8]) {
    let Some((&knobs, packet)) = data.split_first() else {
        return;
    };
    decapsulate_with_knobs(Knobs(knobs), packet.to_vec(), IpsecProtocol::Esp);
}

/// A received outer IP packet carrying AH. Input: [`Knobs`] byte, then the packet.
pub fn ah_decapsulate(data: &[u8]) {
    let Some((&knobs, packet)) = data.split_first() else {
        return;
    };
    decapsulate_with_knobs(Knobs(knobs), packet.to_vec(), IpsecProtocol::Ah);
}

/// What a UDP socket on port 4500 hands over: classified as RFC 3948 says, and ESP then goes
/// through the receive path behind the IP and UDP headers the kernel stripped.
/// Input: [`Knobs`] byte, then the UDP payload.
pub fn udp_encapsulated(data: &[u8]) {
    let Some((&knobs, payload)) = data.split_first() else {
        return;
    };
    let esp = match natt::classify(payload) {
        NattPayload::Esp(esp) => esp,
        NattPayload::Ike(_) | NattPayload::Keepalive | NattPayload::Invalid => return,
    };
    let Ok(view) = EspPacket::new_checked(esp) else {
        return;
    };
    let Some(profile) = find_profile(view.spi(), IpsecProtocol::Esp) else {
        return;
    };
    // The peer's outer addresses as the SA knows them (a NAT may have changed them, which
    // only transport mode's checksum fixup notices).
    let (sa_src, sa_dst) = endpoints(profile.ipv6);
    let Ok(packet) = ip_packet_raw(sa_src, sa_dst, proto::UDP, &udp_datagram(esp)) else {
        return;
    };
    decapsulate_with_knobs(Knobs(knobs), packet, IpsecProtocol::Esp);
}

fn udp_datagram(payload: &[u8]) -> Vec<u8> {
    let mut d = vec![0u8; udp::HEADER_LEN];
    let _ = UdpRepr {
        src_port: natt::NATT_PORT,
        dst_port: natt::NATT_PORT,
        payload_len: payload.len(),
    }
    .emit(&mut d);
    d.extend_from_slice(payload);
    d
}

/// An IP header for `src` -> `dst` in front of `payload` (no checksum of the payload).
fn ip_packet_raw(
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    payload: &[u8],
) -> Result<Vec<u8>, crate::wire::WireError> {
    let mut p = match (src, dst) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            let mut p = vec![0u8; ipv4::HEADER_LEN];
            Ipv4Repr {
                src,
                dst,
                protocol,
                payload_len: payload.len(),
                ttl: 64,
                tos: 0x10,
                ident: 7,
                dont_fragment: true,
            }
            .emit(&mut p)?;
            p
        }
        (IpAddr::V6(src), IpAddr::V6(dst)) => {
            let mut p = vec![0u8; ipv6::HEADER_LEN];
            Ipv6Repr {
                src,
                dst,
                next_header: protocol,
                payload_len: payload.len(),
                hop_limit: 64,
                traffic_class: 0x10,
                flow_label: 0x1234,
            }
            .emit(&mut p)?;
            p
        }
        _ => return Err(crate::wire::WireError::Malformed),
    };
    p.extend_from_slice(payload);
    Ok(p)
}

/// Every wire view, parser and header helper on arbitrary bytes: `new_checked` and then every
/// accessor and setter, the IPv6 extension walk, the ESP trailer, AH's mutable-field zeroing.
pub fn wire_views(data: &[u8]) {
    let _ = ip::version(data);
    let _ = natt::classify(data);
    let _ = mode::tunnel_next_header(data);
    let _ = mode::InnerInfo::of(data);
    let _ = mode::tunnel_inner_len(data, proto::IPV4);
    let _ = mode::tunnel_inner_len(data, proto::IPV6);
    let _ = OuterPacket::parse(data);
    let _ = checksum::checksum(data);
    if let Ok(s) = IpSummary::parse(data) {
        let _ = s.ports(data);
        let mut copy = data.to_vec();
        if let Some(off) = s.upper_offset {
            checksum::fill_transport_checksum(&mut copy, off, s.protocol);
            checksum::refresh_after_nat(&mut copy, off, proto::UDP);
        }
        // Offsets from the input, not from the parse: the checksum helpers bound them.
        let off = usize::from(data.get(1).copied().unwrap_or(0));
        checksum::fill_transport_checksum(&mut copy, off, proto::TCP);
        checksum::refresh_after_nat(&mut copy, off, proto::UDP);
    }
    ipv4_view(data);
    ipv6_view(data);
    // Every offset a transport header could start at, so UDP/TCP/ESP/AH views see real bytes.
    for at in [0, ipv4::HEADER_LEN, ipv6::HEADER_LEN] {
        if let Some(rest) = data.get(at..) {
            transport_views(rest);
        }
    }
    let mut copy = data.to_vec();
    let once = ah_wire::zero_mutable_ipv4(&mut copy).map(|()| copy.clone());
    if let Ok(once) = once {
        // Zeroing is idempotent: the ICV input does not depend on how often it is computed.
        assert_eq!(ah_wire::zero_mutable_ipv4(&mut copy), Ok(()));
        assert_eq!(copy, once);
    }
    let mut copy = data.to_vec();
    let _ = ah_wire::zero_mutable_ipv6(&mut copy);
}

fn ipv4_view(data: &[u8]) {
    let Ok(p) = Ipv4Packet::new_checked(data) else {
        return;
    };
    let _ = (p.header_len(), p.tos(), p.total_len(), p.ident());
    let _ = (p.dont_fragment(), p.more_fragments(), p.frag_offset());
    let _ = (p.is_fragment(), p.ttl(), p.protocol(), p.checksum());
    let _ = (p.src_addr(), p.dst_addr(), p.verify_checksum());
    let _ = (p.header().len(), p.payload().len());
    let mut copy = data.to_vec();
    let Ok(mut m) = Ipv4Packet::new_checked(&mut copy[..]) else {
        return;
    };
    m.set_flags_frag(m.flags_frag());
    m.set_dont_fragment(!m.dont_fragment());
    m.set_ttl(m.ttl().wrapping_sub(1));
    m.set_protocol(proto::ESP);
    m.fill_checksum();
    assert!(m.verify_checksum(), "a filled checksum verifies");
    let _ = (m.header_mut().len(), m.payload_mut().len());
    let _ = mode::set_protocol_at(&mut copy, ipv4::HEADER_LEN, proto::AH, false);
    let _ = mode::finish_ip_header(&mut copy, false);
}

fn ipv6_view(data: &[u8]) {
    let Ok(p) = Ipv6Packet::new_checked(data) else {
        return;
    };
    let _ = (
        p.traffic_class(),
        p.flow_label(),
        p.payload_len(),
        p.total_len(),
    );
    let _ = (p.next_header(), p.hop_limit(), p.src_addr(), p.dst_addr());
    let _ = p.packet().len();
    let exts: Vec<_> = p.extension_headers().collect();
    let _ = p.upper_layer();
    let point = p.ipsec_insertion_point();
    let mut copy = data.to_vec();
    let Ok(mut m) = Ipv6Packet::new_checked(&mut copy[..]) else {
        return;
    };
    m.set_traffic_class(0x2e);
    m.set_flow_label(0xfffff);
    m.set_hop_limit(1);
    if let Ok((at, _)) = point {
        let _ = m.set_next_header_before(at, proto::ESP);
    }
    for ext in exts.into_iter().flatten() {
        let _ = m.set_next_header_before(ext.offset + ext.len, proto::AH);
    }
    let _ = m.set_next_header_before(usize::from(data[7]), proto::UDP);
    let _ = m.buffer_mut().len();
    let _ = mode::finish_ip_header(&mut copy, true);
}

fn transport_views(data: &[u8]) {
    if let Ok(u) = UdpPacket::new_checked(data) {
        let _ = (
            u.src_port(),
            u.dst_port(),
            u.len(),
            u.checksum(),
            u.payload(),
        );
        let mut copy = data.to_vec();
        let mut m = UdpPacket::new_unchecked(&mut copy[..]);
        m.set_src_port(1);
        m.set_dst_port(2);
        m.set_len(8);
        m.set_checksum(0);
    }
    if let Ok(t) = TcpPacket::new_checked(data) {
        let _ = (t.src_port(), t.dst_port(), t.header_len(), t.flags());
    }
    let _ = tcp::ports(data);
    if let Ok(e) = EspPacket::new_checked(data) {
        let _ = (e.spi(), e.sequence_number(), e.header(), e.body().len());
        let mut copy = data.to_vec();
        let mut m = EspPacket::new_unchecked(&mut copy[..]);
        m.set_spi(0x1001);
        m.set_sequence_number(1);
        let _ = m.body_mut().len();
    }
    if let Ok((t, data_len)) = EspTrailer::parse(data) {
        // Emitting what was parsed gives back the same bytes.
        let mut copy = data.to_vec();
        t.emit(&mut copy[data_len..]);
        assert_eq!(copy, data, "ESP trailer emit disagrees with parse");
    }
    if let Ok(h) = AhHeader::new_checked(data) {
        let _ = (
            h.next_header(),
            h.header_len(),
            h.spi(),
            h.sequence_number(),
        );
        let _ = h.icv_area().len();
        let mut copy = data.to_vec();
        let mut m = AhHeader::new_unchecked(&mut copy[..]);
        m.set_next_header(proto::TCP);
        m.set_spi(0x2001);
        m.set_sequence_number(1);
        m.clear_reserved();
        m.icv_area_mut().fill(0);
    }
}

/// Reads fuzzer bytes front to back; past the end everything reads as zero.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
    fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// An SA pair (outbound, inbound) chosen by the roundtrip target's configuration bytes.
struct RoundtripCase {
    profile: Profile,
    inner_v6: bool,
    padding: Padding,
    start_seq: u64,
    packets: usize,
    tight: bool,
    mutate: bool,
    raw_inner: bool,
    inner_kind: u8,
}

impl RoundtripCase {
    fn read(r: &mut Reader<'_>) -> RoundtripCase {
        let (flags, enc, auth, extra, inner_kind) = (r.u8(), r.u8(), r.u8(), r.u8(), r.u8());
        let protocol = if flags & 1 != 0 {
            IpsecProtocol::Ah
        } else {
            IpsecProtocol::Esp
        };
        let mode = if flags & 2 != 0 { TRANSPORT } else { TUNNEL };
        let ipv6 = flags & 4 != 0;
        let enc = EncAlgorithm::all()[usize::from(enc) % EncAlgorithm::all().len()];
        let mut auth = AuthAlgorithm::all()[usize::from(auth) % AuthAlgorithm::all().len()];
        // The combinations an SA can be installed with (see `build_esp_transform`).
        let enc = match protocol {
            IpsecProtocol::Ah => {
                if auth == NO_AUTH {
                    auth = AuthAlgorithm::Sha256;
                }
                EncAlgorithm::Null
            }
            IpsecProtocol::Esp => {
                if enc.is_aead() {
                    auth = NO_AUTH;
                } else if enc == EncAlgorithm::Null && auth == NO_AUTH {
                    auth = AuthAlgorithm::Sha1;
                }
                enc
            }
        };
        let esn = flags & 0x10 != 0;
        let start_seq = match extra & 3 {
            0 => 1,
            1 => u32::MAX as u64 - 1,
            2 => (1 << 32) - 1,
            _ => (7 << 32) + 0x7fff_ffff,
        };
        let padding = match protocol {
            IpsecProtocol::Esp => match (extra >> 2) & 3 {
                0 => Padding::Minimal,
                1 => Padding::TfcPadTo(0),
                2 => Padding::TfcPadTo(200),
                _ => Padding::TfcPadTo(1500),
            },
            IpsecProtocol::Ah => Padding::Minimal,
        };
        RoundtripCase {
            profile: Profile {
                spi: 0x4001,
                protocol,
                enc,
                auth,
                mode,
                ipv6,
                esn,
                encap: flags & 0x20 != 0 && protocol == IpsecProtocol::Esp,
            },
            inner_v6: if mode == TUNNEL { flags & 8 != 0 } else { ipv6 },
            padding,
            start_seq,
            packets: if extra & 0x10 != 0 { 2 } else { 1 },
            tight: extra & 0x20 != 0,
            mutate: flags & 0x40 != 0,
            raw_inner: flags & 0x80 != 0,
            inner_kind,
        }
    }

    fn sa_pair(&self) -> Option<(SecurityAssociation, SecurityAssociation)> {
        let mut out_params = params(&self.profile, Direction::Outbound);
        out_params.padding = self.padding;
        let mut out = SecurityAssociation::new(out_params, NOW).ok()?;
        let mut inb =
            SecurityAssociation::new(params(&self.profile, Direction::Inbound), NOW).ok()?;
        out.set_next_sequence(self.start_seq);
        // The receiver has seen the packet before the first one sent here.
        let max = if self.profile.esn {
            u64::MAX
        } else {
            u32::MAX as u64
        };
        if self.start_seq > 1 && self.start_seq <= max {
            inb.replay_mut().commit(self.start_seq - 1);
        }
        Some((out, inb))
    }

    /// The packet to protect: built from the fuzzer's bytes (valid lengths and checksums) or
    /// taken as it is.
    fn inner_packet(&self, body: &[u8]) -> Vec<u8> {
        if self.raw_inner {
            return body.to_vec();
        }
        let (src, dst) = match self.profile.mode {
            Mode::Tunnel => inner_endpoints(self.inner_v6),
            Mode::Transport => endpoints(self.profile.ipv6),
        };
        structured_packet(src, dst, self.inner_kind, body)
    }
}

/// A well-formed IP packet of a kind chosen by `kind`: UDP, TCP, ICMP, SCTP-like, IPv4 with
/// options or IPv6 with extension headers, first and later fragments.
fn structured_packet(src: IpAddr, dst: IpAddr, kind: u8, body: &[u8]) -> Vec<u8> {
    let v6 = src.is_ipv6();
    let (protocol, transport): (u8, Vec<u8>) = match kind % 4 {
        0 => (proto::UDP, udp_datagram(body)),
        1 => {
            let mut t = vec![0u8; tcp::MIN_HEADER_LEN];
            t[..4].copy_from_slice(&[0x30, 0x39, 0x00, 0x50]);
            t[12] = 0x50;
            t[13] = tcp::FLAG_SYN;
            t.extend_from_slice(body);
            (proto::TCP, t)
        }
        2 => (if v6 { proto::ICMPV6 } else { proto::ICMP }, body.to_vec()),
        _ => (proto::SCTP, body.to_vec()),
    };
    let Ok(mut p) = ip_packet_raw(src, dst, protocol, &transport) else {
        return Vec::new();
    };
    let header_len = if v6 {
        ipv6::HEADER_LEN
    } else {
        ipv4::HEADER_LEN
    };
    // Optional extras behind the fixed header.
    let extras = (kind >> 2) % 4;
    let mut upper_at = header_len;
    match (v6, extras) {
        (false, 1) => {
            // Options: NOP, NOP, router alert (immutable), padded to 8 bytes.
            p.splice(header_len..header_len, [1, 1, 148, 4, 0, 0, 0, 0]);
            p[0] = 0x47;
            upper_at += 8;
        }
        (false, 2) => {
            // A first fragment (more fragments set).
            p[6] |= 0x20;
        }
        (true, 1) => {
            // Hop-by-hop then destination options (mutable option 0x3e) before the upper layer.
            let hbh = [proto::DESTINATION_OPTIONS, 0, 1, 4, 0, 0, 0, 0];
            let dst_opts = [protocol, 0, 0x3e, 4, 1, 2, 3, 4];
            p.splice(header_len..header_len, hbh.into_iter().chain(dst_opts));
            p[6] = proto::HOP_BY_HOP;
            upper_at += 16;
        }
        (true, 2) => {
            // Routing header (type 2, segments left 0) then a first fragment header.
            let routing = [proto::FRAGMENT, 0, 2, 0, 0, 0, 0, 0];
            let frag = [protocol, 0, 0, 1, 0, 0, 0, 9];
            p.splice(header_len..header_len, routing.into_iter().chain(frag));
            p[6] = proto::ROUTING;
            upper_at += 16;
        }
        _ => {}
    }
    if upper_at != header_len {
        let _ = mode::finish_ip_header(&mut p, v6);
    } else if !v6 {
        let _ = mode::finish_ip_header(&mut p, false);
    }
    checksum::fill_transport_checksum(&mut p, upper_at, protocol);
    p
}

/// What the receiver must give back for `inner`, or `None` where it must refuse it.
fn expected_after_roundtrip(case: &RoundtripCase, inner: &[u8]) -> Option<Vec<u8>> {
    let s = IpSummary::parse(inner).ok()?;
    match case.profile.mode {
        // Tunnel mode trims what follows the inner packet's own length (TFC padding).
        Mode::Tunnel => inner.get(..s.total_len).map(<[u8]>::to_vec),
        // Transport mode keeps the header; it rewrites the length (to what it protected) and
        // the IPv4 checksum, and after NAT-T the transport checksum.
        Mode::Transport => {
            // Transport mode carries no fragments.
            s.upper_offset?;
            let mut e = inner.to_vec();
            mode::finish_ip_header(&mut e, case.profile.ipv6).ok()?;
            if case.profile.encap {
                let (at, next_header) = transport_insertion_point(&e)?;
                checksum::refresh_after_nat(&mut e, at, next_header);
            }
            Some(e)
        }
    }
}

/// Where transport mode puts the IPsec header in `packet`, and the protocol behind it.
fn transport_insertion_point(packet: &[u8]) -> Option<(usize, u8)> {
    match ip::version(packet).ok()? {
        4 => {
            let p = Ipv4Packet::new_checked(packet).ok()?;
            Some((p.header_len(), p.protocol()))
        }
        _ => Ipv6Packet::new_checked(packet)
            .ok()?
            .ipsec_insertion_point()
            .ok(),
    }
}

/// Whether `packet` is an IPv4 fragment or carries an IPv6 fragment header (which transport
/// mode refuses, RFC 4301 section 7).
fn is_fragment(packet: &[u8]) -> bool {
    match ip::version(packet) {
        Ok(4) => Ipv4Packet::new_checked(packet).is_ok_and(|p| p.is_fragment()),
        Ok(_) => Ipv6Packet::new_checked(packet).is_ok_and(|p| {
            p.extension_headers()
                .any(|e| e.is_ok_and(|e| e.kind == proto::FRAGMENT))
        }),
        Err(_) => false,
    }
}

/// Fuzzer-chosen damage to a packet in flight.
struct Mutations {
    flips: Vec<(u16, u8)>,
    truncate: u8,
    append: u8,
}

impl Mutations {
    fn read(r: &mut Reader<'_>) -> Mutations {
        let n = r.u8() % 8;
        let flips = (0..n).map(|_| (r.u16(), r.u8())).collect();
        let (truncate, append) = match r.u8() {
            b @ 0..=15 => (b, 0),
            b @ 16..=31 => (0, b - 15),
            _ => (0, 0),
        };
        Mutations {
            flips,
            truncate,
            append,
        }
    }

    /// Applies the damage from `protected_from` on (the bytes the SA protects in its mode).
    fn apply(&self, wire: &mut Vec<u8>, protected_from: usize) {
        let span = wire.len().saturating_sub(protected_from);
        if span > 0 {
            for &(at, x) in &self.flips {
                let i = protected_from + usize::from(at) % span;
                wire[i] ^= x;
            }
        }
        let keep = wire.len().saturating_sub(usize::from(self.truncate));
        wire.truncate(keep.max(protected_from));
        wire.extend(std::iter::repeat_n(0xa5, usize::from(self.append)));
    }
}

fn encapsulate(
    sa: &mut SecurityAssociation,
    inner: &[u8],
    head: usize,
    tail: usize,
) -> Result<Vec<u8>, DropReason> {
    let mut storage = vec![0u8; head + inner.len() + tail];
    let mut buf =
        PacketBuf::copy_in(&mut storage, head, inner).map_err(|_| DropReason::OutErrors)?;
    match sa.params().protocol {
        IpsecProtocol::Esp => esp::encapsulate(sa, &mut buf, NOW)?,
        IpsecProtocol::Ah => ah::encapsulate(sa, &mut buf, NOW)?,
    };
    Ok(buf.data().to_vec())
}

/// Encapsulates a fuzzer-chosen packet with a fuzzer-chosen SA, optionally damages it in
/// flight, and decapsulates it with the peer SA. Undamaged, decap(encap(p)) must be `p` (as
/// the mode defines it); damaged, the receiver must refuse it or still return exactly `p`.
pub fn roundtrip(data: &[u8]) {
    let mut r = Reader(data);
    let case = RoundtripCase::read(&mut r);
    let mutations = case.mutate.then(|| Mutations::read(&mut r));
    let inner = case.inner_packet(r.rest());
    let Some((mut out, mut inb)) = case.sa_pair() else {
        return;
    };
    let (head, tail) = if case.tight {
        // Some room, maybe not enough: encapsulation must refuse cleanly, never overrun.
        (
            usize::from(case.inner_kind) % 64,
            usize::from(case.inner_kind) % 48,
        )
    } else {
        let tfc = match case.padding {
            Padding::TfcPadTo(n) => usize::from(n),
            Padding::Minimal => 0,
        };
        (DEFAULT_HEADROOM, DEFAULT_TAILROOM + tfc)
    };
    let expected = expected_after_roundtrip(&case, &inner);
    let receive_knobs = Knobs(0);
    for _ in 0..case.packets {
        let wire = match encapsulate(&mut out, &inner, head, tail) {
            Ok(w) => w,
            Err(e) => {
                // Refusals the sender may give: no room, sequence space exhausted, a packet
                // the SA's mode cannot carry (unparsable, or foreign addresses in transport).
                let valid_input = !case.raw_inner
                    && !case.tight
                    && !inner.is_empty()
                    && (case.profile.mode == TUNNEL || !is_fragment(&inner));
                let exhausted =
                    e == DropReason::OutStateSequenceErrors || e == DropReason::OutStateExpired;
                assert!(
                    !valid_input || exhausted,
                    "encapsulation refused a valid packet: {e:?}"
                );
                return;
            }
        };
        let Some(m) = &mutations else {
            let got = receive(&mut inb, &wire, receive_knobs);
            match &expected {
                Some(e) => assert_eq!(got.as_ref(), Ok(e), "decap(encap(p)) != p"),
                None => assert!(got.is_err(), "an unparsable inner packet was accepted"),
            }
            if got.is_ok() {
                assert_eq!(
                    receive(&mut inb, &wire, receive_knobs),
                    Err(DropReason::InStateSequenceErrors),
                    "a replayed packet was accepted"
                );
            }
            continue;
        };
        // Only an SA with integrity can notice damage.
        let has_integrity = match inb.transform() {
            SaTransform::Esp(t) => t.icv_len() > 0,
            SaTransform::Ah(_) => true,
        };
        if !has_integrity {
            return;
        }
        let Ok(outer) = OuterPacket::parse(&wire) else {
            panic!("the engine emitted a packet it cannot parse");
        };
        // In transport mode the IP header is the original packet's own (ESP does not protect
        // it, AH protects only its immutable part): damage only what follows it.
        let protected_from = match case.profile.mode {
            Mode::Tunnel => 0,
            Mode::Transport => outer.ip_header_len,
        };
        let mut damaged = wire.clone();
        m.apply(&mut damaged, protected_from);
        if let Ok(got) = receive(&mut inb, &damaged, receive_knobs) {
            assert_eq!(
                Some(&got),
                expected.as_ref(),
                "a damaged packet decapsulated to something else"
            );
        }
    }
}

/// Seed inputs for each target, `(target name, input)`: valid packets for every profile, as
/// the `seeds_are_current` test writes them to `fuzz/seeds/<target>/`.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut seeds = Vec::new();
    for p in PROFILES {
        let Ok(mut out) = SecurityAssociation::new(params(p, Direction::Outbound), NOW) else {
            continue;
        };
        let (src, dst) = match p.mode {
            Mode::Tunnel => inner_endpoints(!p.ipv6),
            Mode::Transport => endpoints(p.ipv6),
        };
        let inner = structured_packet(src, dst, 0, b"tunsec fuzz seed");
        let Ok(wire) = encapsulate(&mut out, &inner, DEFAULT_HEADROOM, DEFAULT_TAILROOM) else {
            continue;
        };
        let target = match (p.protocol, p.encap) {
            (IpsecProtocol::Ah, _) => "ah_decap",
            (IpsecProtocol::Esp, false) => "esp_decap",
            (IpsecProtocol::Esp, true) => "udp_encap_decap",
        };
        let Ok(outer) = OuterPacket::parse(&wire) else {
            continue;
        };
        // What a UDP socket hands over starts at the SPI.
        let from = if p.encap { outer.ipsec_offset } else { 0 };
        seeds.push((target, [&[0u8][..], &wire[from..]].concat()));
        // The bytes to forge from: ESP with its plaintext in place (forging encrypts it again
        // and recomputes the ICV), AH as it is.
        let Ok(inbound) = SecurityAssociation::new(params(p, Direction::Inbound), NOW) else {
            continue;
        };
        let mut plain = wire.clone();
        if let SaTransform::Esp(t) = inbound.transform() {
            let Some(esp) = plain.get_mut(outer.ipsec_offset..) else {
                continue;
            };
            let Ok(header) = EspPacket::new_checked(&*esp).map(|e| e.header()) else {
                continue;
            };
            let seq_hi = p.esn.then_some(0);
            let body = &mut esp[crate::wire::esp::HEADER_LEN..];
            let (iv, rest) = body.split_at_mut(t.iv_len());
            let Some(ct_len) = rest.len().checked_sub(t.icv_len()) else {
                continue;
            };
            let (payload, icv) = rest.split_at_mut(ct_len);
            if t.open(&header, seq_hi, iv, payload, icv).is_err() {
                continue;
            }
        }
        seeds.push((target, [&[1u8][..], &plain[from..]].concat()));
        seeds.push(("wire_views", wire));
    }
    seeds.push(("udp_encap_decap", vec![0, natt::KEEPALIVE]));
    seeds.push((
        "udp_encap_decap",
        vec![0, 0, 0, 0, 0, 0x2e, 0x20, 0x22, 0x08],
    ));
    let (src, dst) = inner_endpoints(true);
    for kind in [0, 1, 5, 9] {
        seeds.push(("wire_views", structured_packet(src, dst, kind, b"hdrs")));
    }
    // Roundtrip configurations: ESP-GCM tunnel, AH transport IPv6 with ESN, ESP CBC+SHA256
    // UDP-encapsulated transport with TFC, and a damaged AES-CBC packet.
    for config in [
        [0x00, 9, 0, 0x00, 0],
        [0x17, 0, 3, 0x00, 5],
        [0x22, 5, 3, 0x09, 1],
        [0x4c, 3, 3, 0x10, 2],
    ] {
        let mut input = config.to_vec();
        if config[0] & 0x40 != 0 {
            input.extend_from_slice(&[1, 0, 30, 0x01, 0xff]);
        }
        input.extend_from_slice(b"roundtrip seed payload");
        seeds.push(("roundtrip", input));
    }
    seeds
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::PathBuf;

    fn seed_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds")
    }

    fn entry_point(target: &str) -> fn(&[u8]) {
        match target {
            "esp_decap" => esp_decapsulate,
            "ah_decap" => ah_decapsulate,
            "udp_encap_decap" => udp_encapsulated,
            "wire_views" => wire_views,
            "roundtrip" => roundtrip,
            other => panic!("unknown fuzz target {other}"),
        }
    }

    #[test]
    fn every_profile_installs() {
        for p in PROFILES {
            assert!(SecurityAssociation::new(params(p, Direction::Inbound), NOW).is_ok());
        }
    }

    #[test]
    fn seeds_decapsulate() {
        // Each decapsulation seed, unforged and forged, reaches a successful decapsulation.
        for (target, input) in seeds() {
            entry_point(target)(&input);
            if !matches!(target, "esp_decap" | "ah_decap") {
                continue;
            }
            let knobs = Knobs(input[0]);
            let mut packet = input[1..].to_vec();
            let (spi, protocol) = spi_of(&packet).unwrap();
            let mut sa = knobs
                .inbound_sa(find_profile(spi, protocol).unwrap())
                .unwrap();
            if knobs.forge() {
                match protocol {
                    IpsecProtocol::Esp => forge_esp(&sa, &mut packet),
                    IpsecProtocol::Ah => forge_ah(&sa, &mut packet),
                }
            }
            let r = receive(&mut sa, &packet, knobs);
            assert!(r.is_ok(), "{spi:#x} {knobs:?} {r:?}");
        }
    }

    #[test]
    fn forging_makes_mutated_plaintext_authentic() {
        // A forged ESP packet whose plaintext is all zeroes passes the ICV and then fails on
        // its trailer, not its ICV: the harness really gets past the integrity check.
        let p = find_profile(0x1003, IpsecProtocol::Esp).unwrap();
        let mut sa = Knobs(0).inbound_sa(p).unwrap();
        let (src, dst) = endpoints(false);
        let mut esp = vec![0u8; 8 + 16 + 32 + 16];
        esp[..8].copy_from_slice(&[0, 0, 0x10, 0x03, 0, 0, 0, 1]);
        let mut packet = ip_packet_raw(src, dst, proto::ESP, &esp).unwrap();
        packet[30..].fill(0);
        forge_esp(&sa, &mut packet);
        assert_eq!(
            receive(&mut sa, &packet, Knobs(0)),
            Err(DropReason::InStateModeErrors)
        );
    }

    /// Checks `fuzz/seeds` holds exactly what [`seeds`] generates; with
    /// `TUNSEC_WRITE_SEEDS=1` it (re)writes them instead.
    #[test]
    fn seeds_are_current() {
        let dir = seed_dir();
        let write = std::env::var_os("TUNSEC_WRITE_SEEDS").is_some();
        let mut counts = std::collections::HashMap::new();
        for (target, input) in seeds() {
            let n = counts.entry(target).or_insert(0);
            *n += 1;
            let path = dir.join(target).join(format!("seed-{n:02}"));
            if write {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &input).unwrap();
            } else {
                let on_disk = std::fs::read(&path).unwrap_or_default();
                assert!(
                    on_disk == input,
                    "{} is stale: run TUNSEC_WRITE_SEEDS=1 cargo test -p tunsec-dataplane \
                     --lib fuzzing",
                    path.display()
                );
            }
        }
    }
}
