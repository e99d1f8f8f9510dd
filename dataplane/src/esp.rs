//! ESP encapsulation and decapsulation (RFC 4303), tunnel and transport mode, IPv4 and IPv6,
//! with optional UDP encapsulation for NAT traversal (RFC 3948).
//!
//! Both directions work in place on a [`PacketBuf`]: outbound grows the packet into its head-
//! and tailroom, inbound shrinks it. Every refusal is a [`DropReason`], which names the
//! statistics counter to increment.

use crate::DropReason;
use crate::buf::PacketBuf;
use crate::crypto::EspTransform;
use crate::mode::{self, InnerInfo, OuterPacket, TransportSplit};
use crate::sa::{Mode, Padding, SaEvent, SaTransform, SecurityAssociation, Timestamp};
use crate::wire::esp::{self, EspPacket, EspTrailer};
use crate::wire::{checksum, proto, udp};

/// A packet ready to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encapsulated {
    /// Bytes of outer IP header (and extension headers) at the front. With UDP encapsulation
    /// the UDP header follows; a UDP socket sends from `ip_header_len + 8`.
    pub ip_header_len: usize,
    pub udp_encapsulated: bool,
    pub event: Option<SaEvent>,
}

/// A received packet, decrypted and verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decapsulated {
    /// `false` for an RFC 4303 dummy packet (next header 59): verified, then discarded.
    pub has_payload: bool,
    pub event: Option<SaEvent>,
}

fn esp_transform(sa: &SecurityAssociation) -> Result<&dyn EspTransform, DropReason> {
    match sa.transform() {
        SaTransform::Esp(t) => Ok(t.as_ref()),
        SaTransform::Ah(_) => Err(DropReason::OutStateModeErrors),
    }
}

/// Padding so that payload + trailer is a multiple of `block` (RFC 4303 2.4).
fn pad_len(data_len: usize, block: usize) -> usize {
    (block - (data_len + esp::TRAILER_LEN) % block) % block
}

/// The alignment outbound ESP pads its encrypted payload to. Ciphers need `block_len()`; any
/// real cipher is padded to at least 16 bytes, because the AES-GCM/CTR and ChaCha20
/// implementations process a trailing partial block on a slow path that costs more than
/// encrypting the extra bytes (measured: `benches/benches/esp.rs`, paired mode). RFC 4303 2.4
/// allows padding beyond the minimum, and receivers check only the cipher's own block.
pub fn send_alignment(t: &dyn EspTransform) -> usize {
    let block = t.block_len();
    if t.iv_len() > 0 { block.max(16) } else { block }
}

/// Encrypts the packet in `buf` with an outbound ESP SA.
///
/// Tunnel mode: `buf` holds the inner IP packet; on return it holds outer IP (+ UDP) + ESP.
/// Transport mode: `buf` holds an IP packet between the SA's own addresses; ESP is inserted
/// behind its header.
pub fn encapsulate(
    sa: &mut SecurityAssociation,
    buf: &mut PacketBuf,
    now: Timestamp,
) -> Result<Encapsulated, DropReason> {
    let time_event = sa
        .check_time(now)
        .map_err(|_| DropReason::OutStateExpired)?;
    let inner_len = buf.len();
    let params = sa.params();
    let (mode, encap, padding) = (params.mode, params.encap, params.padding);
    let (src, dst, esn) = (params.src, params.dst, params.esn);

    let (next_header, split, inner_info) = match mode {
        Mode::Tunnel => (
            mode::tunnel_next_header(buf.data())?,
            None,
            InnerInfo::of(buf.data()),
        ),
        Mode::Transport => {
            let split = mode::transport_split(buf.data(), sa)?;
            (split.next_header, Some(split), InnerInfo::default())
        }
    };
    let header_len = split.map_or(0, |s| s.header_len);

    let t = esp_transform(sa)?;
    let (iv_len, icv_len, block) = (t.iv_len(), t.icv_len(), send_alignment(t));
    let mut data_len = inner_len - header_len;
    let tfc = match (padding, mode) {
        (Padding::TfcPadTo(to), Mode::Tunnel) => (to as usize).saturating_sub(data_len),
        _ => 0,
    };
    data_len += tfc;
    let pad = pad_len(data_len, block);
    let udp_len = if encap.is_some() { udp::HEADER_LEN } else { 0 };
    let outer_len = match (mode, src.is_ipv6()) {
        (Mode::Tunnel, false) => crate::wire::ipv4::HEADER_LEN,
        (Mode::Tunnel, true) => crate::wire::ipv6::HEADER_LEN,
        (Mode::Transport, _) => header_len,
    };
    let total = outer_len + udp_len + esp::HEADER_LEN + iv_len + data_len + pad + 2 + icv_len;
    if total > mode::MAX_IP_LEN {
        return Err(DropReason::OutErrors);
    }
    if buf.tailroom() < tfc + pad + esp::TRAILER_LEN + icv_len
        || buf.headroom()
            < outer_len.saturating_sub(header_len) + udp_len + esp::HEADER_LEN + iv_len
    {
        return Err(DropReason::OutErrors);
    }

    let seq = sa
        .next_sequence()
        .ok_or(DropReason::OutStateSequenceErrors)?;
    let spi = sa.spi();
    let t = esp_transform(sa)?;

    // Trailer: TFC bytes (zero), monotonic padding, pad length, next header.
    let tail = buf
        .append(tfc + pad + esp::TRAILER_LEN)
        .map_err(|_| DropReason::OutErrors)?;
    if tfc > 0 {
        tail[..tfc].fill(0);
    }
    EspTrailer {
        pad_len: pad as u8,
        next_header,
    }
    .emit(&mut tail[tfc..]);
    buf.append(icv_len).map_err(|_| DropReason::OutErrors)?;

    // ESP header and IV go in front of the protected data.
    let esp_start = match split {
        None => {
            buf.prepend(esp::HEADER_LEN + iv_len)
                .map_err(|_| DropReason::OutErrors)?;
            0
        }
        Some(s) => {
            let protocol = if encap.is_some() {
                proto::UDP
            } else {
                proto::ESP
            };
            mode::transport_open(buf, &s, udp_len + esp::HEADER_LEN + iv_len, protocol)?;
            s.header_len + udp_len
        }
    };
    let data = &mut buf.data_mut()[esp_start..];
    let mut header = [0u8; esp::HEADER_LEN];
    {
        let mut e = EspPacket::new_unchecked(&mut header[..]);
        e.set_spi(spi);
        e.set_sequence_number(seq as u32);
    }
    data[..esp::HEADER_LEN].copy_from_slice(&header);
    let (iv, rest) = data[esp::HEADER_LEN..].split_at_mut(iv_len);
    let (payload, icv) = rest.split_at_mut(rest.len() - icv_len);
    let seq_hi = esn.then_some((seq >> 32) as u32);
    t.seal(&header, seq_hi, iv, payload, icv);

    let ip_header_len = match split {
        None => mode::push_outer_header(buf, src, dst, proto::ESP, encap, inner_info, seq as u16)?,
        Some(s) => {
            if let Some(e) = encap {
                let udp_payload = buf.len() - s.header_len - udp_len;
                let hdr = &mut buf.data_mut()[s.header_len..s.header_len + udp_len];
                udp::UdpRepr {
                    src_port: e.src_port,
                    dst_port: e.dst_port,
                    payload_len: udp_payload,
                }
                .emit(hdr)
                .map_err(|_| DropReason::OutErrors)?;
            }
            mode::finish_ip_header(buf.data_mut(), s.ipv6)?;
            s.header_len
        }
    };
    let byte_event = sa.account(inner_len);
    Ok(Encapsulated {
        ip_header_len,
        udp_encapsulated: encap.is_some(),
        event: byte_event.or(time_event),
    })
}

/// Decrypts and verifies a received ESP packet (a whole IP packet, possibly UDP-encapsulated)
/// with the inbound SA found for its SPI. On success `buf` holds the inner packet (tunnel
/// mode) or the restored original packet (transport mode).
///
/// The caller looked the SA up by [`OuterPacket`]'s SPI; `outer` is that parse.
pub fn decapsulate(
    sa: &mut SecurityAssociation,
    outer: &OuterPacket,
    buf: &mut PacketBuf,
    now: Timestamp,
) -> Result<Decapsulated, DropReason> {
    if !mode::encap_matches(sa, outer) {
        return Err(DropReason::InStateMismatches);
    }
    let time_event = sa.check_time(now).map_err(|_| DropReason::InStateExpired)?;
    let esn = sa.params().esn;
    let sa_mode = sa.params().mode;
    let transport_udp_fixup = sa_mode == Mode::Transport && outer.encap.is_some();

    let packet = buf.data_mut();
    let esp_bytes = packet
        .get_mut(outer.ipsec_offset..)
        .ok_or(DropReason::InHeaderErrors)?;
    let e = EspPacket::new_checked(&*esp_bytes).map_err(|_| DropReason::InHeaderErrors)?;
    let header = e.header();
    let seq = sa
        .replay()
        .check(e.sequence_number())
        .map_err(|_| DropReason::InStateSequenceErrors)?;

    let t = match sa.transform() {
        SaTransform::Esp(t) => t.as_ref(),
        SaTransform::Ah(_) => return Err(DropReason::InNoStates),
    };
    let (iv_len, icv_len, block) = (t.iv_len(), t.icv_len(), t.block_len());
    let body_len = esp_bytes.len() - esp::HEADER_LEN;
    let ct_len = body_len
        .checked_sub(iv_len + icv_len)
        .filter(|l| *l >= esp::TRAILER_LEN)
        .ok_or(DropReason::InHeaderErrors)?;
    if ct_len % block != 0 {
        return Err(DropReason::InStateProtocolErrors);
    }
    let body = &mut esp_bytes[esp::HEADER_LEN..];
    let (iv, rest) = body.split_at_mut(iv_len);
    let (payload, icv) = rest.split_at_mut(ct_len);
    let seq_hi = esn.then_some((seq >> 32) as u32);
    t.open(&header, seq_hi, iv, payload, icv)
        .map_err(|_| DropReason::InStateProtocolErrors)?;
    sa.replay_mut().commit(seq);

    let (trailer, data_len) =
        EspTrailer::parse(payload).map_err(|_| DropReason::InStateProtocolErrors)?;
    let data_start = outer.ipsec_offset + esp::HEADER_LEN + iv_len;

    if trailer.next_header == proto::NO_NEXT_HEADER {
        let event = sa.account(data_len);
        buf.truncate(0);
        return Ok(Decapsulated {
            has_payload: false,
            event: event.or(time_event),
        });
    }

    match sa_mode {
        Mode::Tunnel => {
            let inner = &buf.data()[data_start..data_start + data_len];
            let inner_len = mode::tunnel_inner_len(inner, trailer.next_header)?;
            if inner_len > data_len {
                return Err(DropReason::InStateModeErrors);
            }
            buf.trim_front(data_start);
            buf.truncate(inner_len);
        }
        Mode::Transport => {
            if matches!(trailer.next_header, proto::IPV4 | proto::IPV6) {
                return Err(DropReason::InStateModeErrors);
            }
            let split = TransportSplit {
                header_len: outer.ip_header_len,
                next_header: trailer.next_header,
                ipv6: outer.ipv6,
            };
            buf.truncate(data_start + data_len);
            buf.remove_gap(split.header_len, data_start - split.header_len);
            let p = buf.data_mut();
            mode::set_protocol_at(p, split.header_len, split.next_header, split.ipv6)
                .map_err(|_| DropReason::InStateModeErrors)?;
            mode::finish_ip_header(p, split.ipv6).map_err(|_| DropReason::InStateModeErrors)?;
            if transport_udp_fixup {
                // RFC 3948 3.1.2: NAT rewrote the outer addresses the inner TCP/UDP checksum
                // was computed over, so recompute it over the addresses we now see.
                checksum::refresh_after_nat(p, split.header_len, split.next_header);
            }
        }
    }
    let event = sa.account(buf.len());
    Ok(Decapsulated {
        has_payload: true,
        event: event.or(time_event),
    })
}
