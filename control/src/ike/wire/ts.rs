//! Traffic Selector payload bodies (RFC 7296 3.13), shared by TSi and TSr, with the
//! conversions between address ranges and prefixes that policies are written in.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;

use ipnet::IpNet;

use super::error::InvalidMessage;
use super::reader::{Reader, fill_len, len_u8, reserve_len};

/// Traffic selector type (RFC 7296 3.13.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TsType(pub u8);

impl TsType {
    /// TS_IPV4_ADDR_RANGE.
    pub const IPV4_ADDR_RANGE: Self = Self(7);
    /// TS_IPV6_ADDR_RANGE.
    pub const IPV6_ADDR_RANGE: Self = Self(8);

    /// The type for addresses of `ip`'s family.
    pub fn of(ip: IpAddr) -> Self {
        if ip.is_ipv6() {
            Self::IPV6_ADDR_RANGE
        } else {
            Self::IPV4_ADDR_RANGE
        }
    }

    /// Address length for the address-range types.
    fn address_len(self) -> Option<usize> {
        match self {
            Self::IPV4_ADDR_RANGE => Some(IPV4_LEN),
            Self::IPV6_ADDR_RANGE => Some(IPV6_LEN),
            _ => None,
        }
    }
}

const IPV4_LEN: usize = 4;
const IPV6_LEN: usize = 16;
/// TS type, protocol, length, start port, end port: the part before the addresses.
const TS_FIXED_LEN: usize = 8;
/// The part of the fixed header a length field's sub-reader starts after.
const TS_LENGTH_PREFIX_LEN: usize = 4;
/// "Any port" (RFC 7296 3.13.1).
const ALL_PORTS: RangeInclusive<u16> = 0..=u16::MAX;

/// One traffic selector: an address range, an IP protocol (0: any) and a port range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficSelector {
    pub ts_type: TsType,
    /// 0: any protocol.
    pub ip_protocol: u8,
    /// 65535 with `end_port` 0 means OPAQUE (RFC 7296 3.13.1): ports not visible.
    pub start_port: u16,
    pub end_port: u16,
    pub start: IpAddr,
    pub end: IpAddr,
}

impl TrafficSelector {
    /// A selector whose type follows `start`'s family (`start` and `end` must share it;
    /// see [`validate`](Self::validate)).
    pub fn new(
        ip_protocol: u8,
        start_port: u16,
        end_port: u16,
        start: IpAddr,
        end: IpAddr,
    ) -> Self {
        TrafficSelector {
            ts_type: TsType::of(start),
            ip_protocol,
            start_port,
            end_port,
            start,
            end,
        }
    }

    /// The addresses of `net`, with `ip_protocol` (0: any) and a port range.
    pub fn from_prefix(net: IpNet, ip_protocol: u8, ports: RangeInclusive<u16>) -> Self {
        Self::new(
            ip_protocol,
            *ports.start(),
            *ports.end(),
            net.network(),
            net.broadcast(),
        )
    }

    /// Every address of one family, any protocol, any port.
    pub fn any(ipv6: bool) -> Self {
        let (start, end): (IpAddr, IpAddr) = if ipv6 {
            (
                Ipv6Addr::UNSPECIFIED.into(),
                Ipv6Addr::from(u128::MAX).into(),
            )
        } else {
            (Ipv4Addr::UNSPECIFIED.into(), Ipv4Addr::BROADCAST.into())
        };
        Self::new(0, *ALL_PORTS.start(), *ALL_PORTS.end(), start, end)
    }

    /// Whether the type matches both addresses' family and the range is not reversed.
    /// (Port ranges are not checked: 65535-0 is OPAQUE.)
    pub fn validate(&self) -> Result<(), InvalidMessage> {
        if TsType::of(self.start) != self.ts_type || TsType::of(self.end) != self.ts_type {
            return Err(InvalidMessage::BadTrafficSelector(
                "address family does not match the selector type",
            ));
        }
        if bits(self.start) > bits(self.end) {
            return Err(InvalidMessage::BadTrafficSelector(
                "start address above end address",
            ));
        }
        Ok(())
    }

    /// Whether the ports are OPAQUE (RFC 7296 3.13.1).
    pub fn is_opaque_ports(&self) -> bool {
        self.start_port == u16::MAX && self.end_port == 0
    }

    /// The port range (empty when OPAQUE or reversed).
    pub fn ports(&self) -> RangeInclusive<u16> {
        self.start_port..=self.end_port
    }

    /// The address range as the fewest prefixes that cover exactly it (empty if reversed
    /// or mixed-family).
    pub fn to_prefixes(&self) -> Vec<IpNet> {
        if self.validate().is_err() {
            return Vec::new();
        }
        let ipv6 = self.start.is_ipv6();
        let width = if ipv6 { u128::BITS } else { u32::BITS };
        range_to_prefixes(bits(self.start), bits(self.end), width)
            .into_iter()
            .filter_map(|(addr, len)| IpNet::new(from_bits(addr, ipv6), len).ok())
            .collect()
    }

    /// The address range as one prefix, if it is exactly one.
    pub fn to_prefix(&self) -> Option<IpNet> {
        match self.to_prefixes().as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// An address as an integer (IPv4 in the low 32 bits).
fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_bits(v: u128, ipv6: bool) -> IpAddr {
    if ipv6 {
        Ipv6Addr::from(v).into()
    } else {
        // Only ever called with values derived from IPv4 addresses.
        Ipv4Addr::from(u32::try_from(v).unwrap_or(u32::MAX)).into()
    }
}

/// The host bits of a block of 2^k addresses.
fn host_mask(k: u32) -> u128 {
    if k >= u128::BITS {
        u128::MAX
    } else {
        (1u128 << k) - 1
    }
}

/// Splits `start..=end` (`start <= end`, both below 2^width) into aligned blocks, largest
/// first possible at each step: (block start, prefix length).
fn range_to_prefixes(start: u128, end: u128, width: u32) -> Vec<(u128, u8)> {
    let mut out = Vec::new();
    let mut s = start;
    loop {
        let mut k = s.trailing_zeros().min(width);
        // `s` is aligned to 2^k, so `s | mask` is the block's last address, without overflow.
        while k > 0 && s | host_mask(k) > end {
            k -= 1;
        }
        let prefix_len = u8::try_from(width - k).unwrap_or(u8::MAX);
        out.push((s, prefix_len));
        let last = s | host_mask(k);
        if last >= end {
            return out;
        }
        s = last + 1;
    }
}

fn read_address(
    r: &mut Reader<'_>,
    len: usize,
    what: &'static str,
) -> Result<IpAddr, InvalidMessage> {
    Ok(if len == IPV4_LEN {
        Ipv4Addr::from(r.array::<IPV4_LEN>(what)?).into()
    } else {
        Ipv6Addr::from(r.array::<IPV6_LEN>(what)?).into()
    })
}

fn read_one(r: &mut Reader<'_>) -> Result<TrafficSelector, InvalidMessage> {
    let ts_type = TsType(r.u8("TS type")?);
    let ip_protocol = r.u8("TS protocol")?;
    let len = usize::from(r.u16("TS length")?);
    let alen = ts_type
        .address_len()
        .ok_or(InvalidMessage::UnsupportedTrafficSelector(ts_type.0))?;
    if len != TS_FIXED_LEN + 2 * alen {
        return Err(InvalidMessage::BadLength {
            what: "traffic selector",
            len,
        });
    }
    let mut t = r.sub(len - TS_LENGTH_PREFIX_LEN, "traffic selector")?;
    let start_port = t.u16("TS start port")?;
    let end_port = t.u16("TS end port")?;
    let start = read_address(&mut t, alen, "TS start address")?;
    let end = read_address(&mut t, alen, "TS end address")?;
    t.finish("traffic selector")?;
    let ts = TrafficSelector {
        ts_type,
        ip_protocol,
        start_port,
        end_port,
        start,
        end,
    };
    ts.validate()?;
    Ok(ts)
}

/// Reads a TSi/TSr payload body.
pub(crate) fn read_selectors(r: &mut Reader<'_>) -> Result<Vec<TrafficSelector>, InvalidMessage> {
    let count = r.u8("TS count")?;
    r.take(3, "TS reserved")?;
    let mut out = Vec::new();
    for _ in 0..count {
        out.push(read_one(r)?);
    }
    r.finish("TS payload")?;
    Ok(out)
}

/// Writes a TSi/TSr payload body.
pub(crate) fn encode_selectors(selectors: &[TrafficSelector], out: &mut Vec<u8>) {
    out.push(len_u8(selectors.len()));
    out.extend_from_slice(&[0, 0, 0]);
    for t in selectors {
        let start = out.len();
        out.push(t.ts_type.0);
        out.push(t.ip_protocol);
        let len_at = reserve_len(out);
        out.extend_from_slice(&t.start_port.to_be_bytes());
        out.extend_from_slice(&t.end_port.to_be_bytes());
        for a in [t.start, t.end] {
            match a {
                IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
                IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
            }
        }
        fill_len(out, len_at, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(a: &str, b: &str) -> TrafficSelector {
        TrafficSelector::new(0, 0, u16::MAX, a.parse().unwrap(), b.parse().unwrap())
    }

    fn read(bytes: &[u8]) -> Result<Vec<TrafficSelector>, InvalidMessage> {
        read_selectors(&mut Reader::new(bytes))
    }

    fn encode(ts: &[TrafficSelector]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_selectors(ts, &mut out);
        out
    }

    const V4_TCP_443: [u8; 20] = [
        1, 0, 0, 0, // one selector
        7, 6, 0, 16, // IPv4 range, TCP, length 16
        0x01, 0xbb, 0x01, 0xbb, // port 443 only
        192, 0, 2, 0, 192, 0, 2, 255,
    ];

    #[test]
    fn ipv4_selector_bytes() {
        let t = TrafficSelector::from_prefix("192.0.2.0/24".parse().unwrap(), 6, 443..=443);
        assert_eq!(encode(std::slice::from_ref(&t)), V4_TCP_443);
        assert_eq!(read(&V4_TCP_443).unwrap(), vec![t]);
    }

    #[test]
    fn ipv6_and_mixed_lists_round_trip() {
        let list = vec![
            ts("2001:db8::", "2001:db8::ffff"),
            ts("10.0.0.0", "10.0.0.255"),
            TrafficSelector::any(true),
            TrafficSelector::any(false),
        ];
        let bytes = encode(&list);
        assert_eq!(bytes.len(), 4 + 40 + 16 + 40 + 16);
        assert_eq!(read(&bytes).unwrap(), list);
    }

    #[test]
    fn bad_selectors_are_refused() {
        // Unknown type.
        let mut b = V4_TCP_443;
        b[4] = 9;
        assert_eq!(
            read(&b).unwrap_err(),
            InvalidMessage::UnsupportedTrafficSelector(9)
        );
        // IPv6 type with an IPv4-sized body.
        let mut b = V4_TCP_443;
        b[4] = 8;
        assert!(matches!(read(&b), Err(InvalidMessage::BadLength { .. })));
        // Length fields that disagree with the type.
        for len in [0u8, 4, 15, 17, 40] {
            let mut b = V4_TCP_443;
            b[7] = len;
            assert!(read(&b).is_err(), "length {len}");
        }
        // Reversed range.
        let mut b = V4_TCP_443;
        b[15] = 1;
        b[19] = 0;
        assert!(matches!(
            read(&b),
            Err(InvalidMessage::BadTrafficSelector(_))
        ));
        // Count beyond the selectors, and below them.
        let mut b = V4_TCP_443;
        b[0] = 2;
        assert!(read(&b).is_err());
        let mut b = V4_TCP_443;
        b[0] = 0;
        assert!(matches!(read(&b), Err(InvalidMessage::Trailing { .. })));
    }

    #[test]
    fn opaque_ports_are_accepted() {
        let mut b = V4_TCP_443;
        b[8..12].copy_from_slice(&[0xff, 0xff, 0, 0]);
        let t = &read(&b).unwrap()[0];
        assert!(t.is_opaque_ports());
        assert!(t.ports().is_empty());
    }

    #[test]
    fn validation() {
        let mut t = ts("192.0.2.1", "192.0.2.9");
        assert!(t.validate().is_ok());
        t.ts_type = TsType::IPV6_ADDR_RANGE;
        assert!(t.validate().is_err());
        assert!(ts("192.0.2.1", "2001:db8::1").validate().is_err());
        assert!(ts("192.0.2.9", "192.0.2.1").validate().is_err());
    }

    #[test]
    fn prefixes_and_ranges() {
        let p = |s: &str| s.parse::<IpNet>().unwrap();
        for net in [
            "192.0.2.0/24",
            "0.0.0.0/0",
            "192.0.2.7/32",
            "2001:db8::/64",
            "::/0",
        ] {
            let t = TrafficSelector::from_prefix(p(net), 0, ALL_PORTS);
            assert_eq!(t.to_prefix(), Some(p(net)), "{net}");
        }
        assert_eq!(
            TrafficSelector::any(false).to_prefix(),
            Some(p("0.0.0.0/0"))
        );
        assert_eq!(TrafficSelector::any(true).to_prefix(), Some(p("::/0")));
        // 192.0.2.1-192.0.2.6 = .1/32 .2/31 .4/31 .6/32
        let t = ts("192.0.2.1", "192.0.2.6");
        assert_eq!(t.to_prefix(), None);
        assert_eq!(
            t.to_prefixes(),
            [
                "192.0.2.1/32",
                "192.0.2.2/31",
                "192.0.2.4/31",
                "192.0.2.6/32"
            ]
            .map(p)
        );
        // Up to the top of the address space, without overflow.
        let t = ts("255.255.255.254", "255.255.255.255");
        assert_eq!(t.to_prefixes(), [p("255.255.255.254/31")]);
        let t = ts("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assert_eq!(t.to_prefixes().len(), 128);
        assert!(ts("192.0.2.9", "192.0.2.1").to_prefixes().is_empty());
    }
}
