//! IPv6 header (RFC 8200) and the walk over its extension headers.

use super::{Field, Result, WireError, proto, read_u16, read_u32, write_u16, write_u32};
use std::net::Ipv6Addr;

mod field {
    use super::Field;
    pub const VER_TC_FLOW: Field = 0..4;
    pub const PAYLOAD_LEN: Field = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: Field = 8..24;
    pub const DST: Field = 24..40;

    /// Generic extension header: next header, then length in 8-octet units beyond the first.
    pub const EXT_NEXT_HEADER: usize = 0;
    pub const EXT_LEN: usize = 1;
    /// Fragment header: offset (13 bits) and M flag share bytes 2..4.
    pub const FRAG_OFFSET_FLAGS: Field = 2..4;
}

pub const HEADER_LEN: usize = 40;
const FRAGMENT_HEADER_LEN: usize = 8;

/// A view over an IPv6 packet. `new_checked` guarantees the fixed header and the declared
/// payload length fit.
#[derive(Debug)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self { buffer };
        let b = p.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if b[0] >> 4 != 6 {
            return Err(WireError::WrongProtocol);
        }
        if b.len() < p.total_len() {
            return Err(WireError::Truncated);
        }
        Ok(p)
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn ver_tc_flow(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::VER_TC_FLOW)
    }
    pub fn traffic_class(&self) -> u8 {
        (self.ver_tc_flow() >> 20) as u8
    }
    pub fn flow_label(&self) -> u32 {
        self.ver_tc_flow() & 0x000f_ffff
    }
    pub fn payload_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PAYLOAD_LEN)
    }
    /// Header plus declared payload.
    pub fn total_len(&self) -> usize {
        HEADER_LEN + self.payload_len() as usize
    }
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NEXT_HEADER]
    }
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }
    pub fn src_addr(&self) -> Ipv6Addr {
        let mut o = [0u8; 16];
        o.copy_from_slice(&self.buffer.as_ref()[field::SRC]);
        Ipv6Addr::from(o)
    }
    pub fn dst_addr(&self) -> Ipv6Addr {
        let mut o = [0u8; 16];
        o.copy_from_slice(&self.buffer.as_ref()[field::DST]);
        Ipv6Addr::from(o)
    }
    /// The packet up to the declared payload length, or to the end of the buffer where that
    /// is shorter: transport mode walks the header chain of an unchecked view whose payload
    /// length is stale, just after removing the IPsec header and before fixing the length.
    pub fn packet(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        &b[..self.total_len().min(b.len())]
    }

    /// Walks the extension headers that precede the upper-layer header.
    pub fn extension_headers(&self) -> ExtHeaderIter<'_> {
        ExtHeaderIter {
            packet: self.packet(),
            next_header: self.next_header(),
            offset: HEADER_LEN,
            done: false,
        }
    }

    /// The upper-layer protocol and where its header starts, skipping hop-by-hop, routing,
    /// fragment and destination-options headers (AH and ESP count as upper layers here, since
    /// the engine is what removes them). `offset` is `None` for a non-first
    /// fragment, whose upper-layer header is elsewhere.
    pub fn upper_layer(&self) -> Result<UpperLayer> {
        let mut last = UpperLayer {
            protocol: self.next_header(),
            offset: Some(HEADER_LEN),
        };
        for ext in self.extension_headers() {
            let ext = ext?;
            if ext.fragment_offset.unwrap_or(0) != 0 {
                return Ok(UpperLayer {
                    protocol: ext.next_header,
                    offset: None,
                });
            }
            last = UpperLayer {
                protocol: ext.next_header,
                offset: Some(ext.offset + ext.len),
            };
        }
        Ok(last)
    }

    /// Where transport-mode ESP or AH goes (RFC 4303 3.1.1, RFC 4302 3.1.1): after the
    /// hop-by-hop, routing and fragment headers (and destination options that precede a routing
    /// header), before everything else. Returns the offset and the next-header value found
    /// there, which the inserted header must carry on.
    pub fn ipsec_insertion_point(&self) -> Result<(usize, u8)> {
        let mut point = (HEADER_LEN, self.next_header());
        for ext in self.extension_headers() {
            let ext = ext?;
            match ext.kind {
                proto::HOP_BY_HOP | proto::ROUTING | proto::FRAGMENT => {
                    point = (ext.offset + ext.len, ext.next_header)
                }
                proto::DESTINATION_OPTIONS => {}
                _ => break,
            }
        }
        Ok(point)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    fn set_ver_tc_flow(&mut self, v: u32) {
        write_u32(self.buffer.as_mut(), field::VER_TC_FLOW, v);
    }
    pub fn set_traffic_class(&mut self, tc: u8) {
        let w = (self.ver_tc_flow() & 0xf00f_ffff) | ((tc as u32) << 20);
        self.set_ver_tc_flow(w);
    }
    pub fn set_flow_label(&mut self, label: u32) {
        let w = (self.ver_tc_flow() & 0xfff0_0000) | (label & 0x000f_ffff);
        self.set_ver_tc_flow(w);
    }
    pub fn set_payload_len(&mut self, v: u16) {
        write_u16(self.buffer.as_mut(), field::PAYLOAD_LEN, v);
    }
    pub fn set_next_header(&mut self, v: u8) {
        self.buffer.as_mut()[field::NEXT_HEADER] = v;
    }
    pub fn set_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = v;
    }
    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&a.octets());
    }
    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&a.octets());
    }
    /// Rewrites the next-header byte of the header that precedes `offset`: the fixed header's
    /// when `offset` is 40, else the extension header ending at `offset`.
    ///
    /// Only the headers in front of `offset` are walked, and the payload length is not
    /// consulted: transport mode calls this while it inserts or removes an ESP/AH header, when
    /// the length field is stale (too short on the way out, too long on the way in) and the
    /// bytes at `offset` are the new header's, not an extension header.
    pub fn set_next_header_before(&mut self, offset: usize, value: u8) -> Result<()> {
        if offset == HEADER_LEN {
            self.set_next_header(value);
            return Ok(());
        }
        let buffer = self.buffer.as_ref();
        let headers = ExtHeaderIter {
            packet: &buffer[..offset.min(buffer.len())],
            next_header: self.next_header(),
            offset: HEADER_LEN,
            done: false,
        };
        let mut target = None;
        for ext in headers {
            let ext = ext?;
            if ext.offset + ext.len >= offset {
                target = (ext.offset + ext.len == offset).then_some(ext.offset);
                break;
            }
        }
        let at = target.ok_or(WireError::Malformed)?;
        self.buffer.as_mut()[at + field::EXT_NEXT_HEADER] = value;
        Ok(())
    }
    pub fn buffer_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
}

/// The upper-layer protocol found after the extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    pub protocol: u8,
    pub offset: Option<usize>,
}

/// One extension header: its type, where it starts, its length, and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtHeader {
    pub kind: u8,
    pub offset: usize,
    pub len: usize,
    pub next_header: u8,
    /// For a fragment header: the fragment offset in bytes.
    pub fragment_offset: Option<u16>,
}

pub fn is_extension_header(next_header: u8) -> bool {
    matches!(
        next_header,
        proto::HOP_BY_HOP | proto::ROUTING | proto::FRAGMENT | proto::DESTINATION_OPTIONS
    )
}

/// Iterates extension headers; yields an error for a header that runs past the packet.
pub struct ExtHeaderIter<'a> {
    packet: &'a [u8],
    next_header: u8,
    offset: usize,
    done: bool,
}

impl Iterator for ExtHeaderIter<'_> {
    type Item = Result<ExtHeader>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || !is_extension_header(self.next_header) {
            return None;
        }
        let kind = self.next_header;
        let rest = &self.packet[self.offset.min(self.packet.len())..];
        if rest.len() < 8 {
            self.done = true;
            return Some(Err(WireError::Truncated));
        }
        let (len, fragment_offset) = match kind {
            proto::FRAGMENT => {
                let off = read_u16(rest, field::FRAG_OFFSET_FLAGS) & 0xfff8;
                (FRAGMENT_HEADER_LEN, Some(off))
            }
            _ => ((rest[field::EXT_LEN] as usize + 1) * 8, None),
        };
        if rest.len() < len {
            self.done = true;
            return Some(Err(WireError::Truncated));
        }
        let header = ExtHeader {
            kind,
            offset: self.offset,
            len,
            next_header: rest[field::EXT_NEXT_HEADER],
            fragment_offset,
        };
        self.offset += len;
        self.next_header = header.next_header;
        // A non-first fragment's remaining headers are not in this packet.
        if fragment_offset.unwrap_or(0) != 0 {
            self.done = true;
        }
        Some(Ok(header))
    }
}

/// The fields of a 40-byte IPv6 header as the engine emits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Repr {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub next_header: u8,
    pub payload_len: usize,
    pub hop_limit: u8,
    pub traffic_class: u8,
    pub flow_label: u32,
}

impl Ipv6Repr {
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let payload_len = u16::try_from(self.payload_len).map_err(|_| WireError::Malformed)?;
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..HEADER_LEN]);
        p.set_ver_tc_flow(
            (6 << 28) | ((self.traffic_class as u32) << 20) | (self.flow_label & 0xfffff),
        );
        p.set_payload_len(payload_len);
        p.set_next_header(self.next_header);
        p.set_hop_limit(self.hop_limit);
        p.set_src_addr(self.src);
        p.set_dst_addr(self.dst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet_with_exts() -> Vec<u8> {
        let mut p = vec![0u8; 40];
        Ipv6Repr {
            src: "2001:db8::1".parse().unwrap(),
            dst: "2001:db8::2".parse().unwrap(),
            next_header: proto::HOP_BY_HOP,
            payload_len: 8 + 8 + 8 + 8 + 4,
            hop_limit: 64,
            traffic_class: 0x2e,
            flow_label: 0x12345,
        }
        .emit(&mut p)
        .unwrap();
        // hop-by-hop (8) -> destination options (8) -> routing (8) -> fragment (8) -> UDP
        p.extend_from_slice(&[proto::DESTINATION_OPTIONS, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(&[proto::ROUTING, 0, 1, 4, 0, 0, 0, 0]);
        p.extend_from_slice(&[proto::FRAGMENT, 0, 4, 0, 0, 0, 0, 0]);
        p.extend_from_slice(&[proto::UDP, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[1, 2, 3, 4]);
        p
    }

    #[test]
    fn fixed_header_fields() {
        let buf = packet_with_exts();
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.traffic_class(), 0x2e);
        assert_eq!(p.flow_label(), 0x12345);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.dst_addr(), "2001:db8::2".parse::<Ipv6Addr>().unwrap());
    }

    #[test]
    fn walks_extensions_to_upper_layer() {
        let buf = packet_with_exts();
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        let kinds: Vec<u8> = p.extension_headers().map(|e| e.unwrap().kind).collect();
        assert_eq!(
            kinds,
            [
                proto::HOP_BY_HOP,
                proto::DESTINATION_OPTIONS,
                proto::ROUTING,
                proto::FRAGMENT
            ]
        );
        assert_eq!(
            p.upper_layer().unwrap(),
            UpperLayer {
                protocol: proto::UDP,
                offset: Some(72)
            }
        );
        assert_eq!(p.ipsec_insertion_point().unwrap(), (72, proto::UDP));
    }

    #[test]
    fn non_first_fragment_has_no_upper_header() {
        let mut buf = packet_with_exts();
        buf[64 + 3] = 0x08; // fragment offset 1 (8 bytes)
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            p.upper_layer().unwrap(),
            UpperLayer {
                protocol: proto::UDP,
                offset: None
            }
        );
    }

    #[test]
    fn truncated_extension_is_an_error() {
        let mut buf = packet_with_exts();
        buf[41] = 200; // hop-by-hop claims 1608 bytes
        let p = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.upper_layer().unwrap_err(), WireError::Truncated);
        assert_eq!(
            Ipv6Packet::new_checked(&buf[..39]).unwrap_err(),
            WireError::Truncated
        );
    }

    #[test]
    fn set_next_header_before_with_stale_payload_length() {
        // Found by fuzzing: transport-mode decapsulation removes ESP/AH from behind a
        // hop-by-hop header, then sets its next header while the payload length still
        // counts the removed bytes. The walk must stay inside the buffer.
        let mut buf = packet_with_exts();
        buf[40] = proto::ESP;
        buf.truncate(52);
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
        p.set_next_header_before(48, proto::UDP).unwrap();
        assert_eq!(buf[40], proto::UDP);
    }

    #[test]
    fn set_next_header_before_ignores_what_follows() {
        // Found by fuzzing: transport-mode encapsulation opens a gap for ESP/AH behind the
        // hop-by-hop header and then sets its next header. The walk went on into the gap,
        // read it as the (moved) destination options header, and failed on the garbage.
        let mut buf = packet_with_exts();
        buf[48..].fill(0);
        buf.truncate(64);
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
        p.set_next_header_before(48, proto::AH).unwrap();
        assert_eq!(buf[40], proto::AH);
        // No header ends at 44 (hop-by-hop runs to 48): refused, whatever the walk saw.
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
        assert!(p.set_next_header_before(44, proto::AH).is_err());
    }

    #[test]
    fn set_next_header_before_extension() {
        let mut buf = packet_with_exts();
        let mut p = Ipv6Packet::new_checked(&mut buf[..]).unwrap();
        p.set_next_header_before(72, proto::ESP).unwrap();
        assert_eq!(p.upper_layer().unwrap().protocol, proto::ESP);
        p.set_next_header_before(40, proto::AH).unwrap();
        assert_eq!(p.next_header(), proto::AH);
    }

    /// Transport mode rewrites the next header while the payload length is stale. Removing
    /// ESP/AH (length field too long) used to slice past the buffer and panic; inserting it
    /// (length field too short, new header bytes at `offset`) used to walk into the new header
    /// and fail.
    #[test]
    fn set_next_header_before_ignores_a_stale_payload_length() {
        let mut buf = packet_with_exts();
        // Inbound: everything after hop-by-hop and destination options is gone, the length
        // field still counts it.
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..56]);
        p.set_next_header_before(56, proto::UDP).unwrap();
        assert_eq!(buf[48], proto::UDP);

        // Outbound: a header is being inserted behind hop-by-hop; the length field does not
        // count the gap yet, and hop-by-hop still names what used to follow it.
        let mut buf = packet_with_exts();
        buf[4..6].copy_from_slice(&8u16.to_be_bytes());
        buf[48..56].fill(0xff);
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
        p.set_next_header_before(48, proto::ESP).unwrap();
        assert_eq!(buf[40], proto::ESP);

        // An offset that no header ends at is still refused.
        let mut buf = packet_with_exts();
        let mut p = Ipv6Packet::new_unchecked(&mut buf[..]);
        assert!(p.set_next_header_before(52, proto::ESP).is_err());
    }
}
