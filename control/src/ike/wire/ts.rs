//! Traffic Selector payload bodies (RFC 7296 3.13).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::reader::{InvalidMessage, Reader, put_u16_at};

const TS_IPV4_ADDR_RANGE: u8 = 7;
const TS_IPV6_ADDR_RANGE: u8 = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficSelector {
    /// 0: any protocol.
    pub ip_protocol: u8,
    pub start_port: u16,
    pub end_port: u16,
    pub start: IpAddr,
    pub end: IpAddr,
}

impl TrafficSelector {
    /// A selector; `start` and `end` must be of one family.
    pub fn new(
        ip_protocol: u8,
        start_port: u16,
        end_port: u16,
        start: IpAddr,
        end: IpAddr,
    ) -> Self {
        TrafficSelector {
            ip_protocol,
            start_port,
            end_port,
            start,
            end,
        }
    }

    pub(crate) fn read_all(r: &mut Reader<'_>) -> Result<Vec<Self>, InvalidMessage> {
        let count = r.u8("TS count")?;
        r.take(3, "TS reserved")?;
        let mut out = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let ts_type = r.u8("TS type")?;
            let ip_protocol = r.u8("TS protocol")?;
            let len = usize::from(r.u16("TS length")?);
            let alen = match ts_type {
                TS_IPV4_ADDR_RANGE => 4,
                TS_IPV6_ADDR_RANGE => 16,
                _ => return Err(InvalidMessage::Invalid("unknown traffic selector type")),
            };
            if len != 8 + 2 * alen {
                return Err(InvalidMessage::BadLength {
                    what: "traffic selector",
                    len,
                });
            }
            let start_port = r.u16("TS start port")?;
            let end_port = r.u16("TS end port")?;
            let a = r.take(alen, "TS start address")?;
            let b = r.take(alen, "TS end address")?;
            let (start, end) = if alen == 4 {
                let (mut x, mut y) = ([0u8; 4], [0u8; 4]);
                x.copy_from_slice(a);
                y.copy_from_slice(b);
                (IpAddr::V4(Ipv4Addr::from(x)), IpAddr::V4(Ipv4Addr::from(y)))
            } else {
                let (mut x, mut y) = ([0u8; 16], [0u8; 16]);
                x.copy_from_slice(a);
                y.copy_from_slice(b);
                (IpAddr::V6(Ipv6Addr::from(x)), IpAddr::V6(Ipv6Addr::from(y)))
            };
            out.push(TrafficSelector::new(
                ip_protocol,
                start_port,
                end_port,
                start,
                end,
            ));
        }
        r.finish("TS payload")?;
        Ok(out)
    }

    pub(crate) fn encode_all(ts: &[TrafficSelector], out: &mut Vec<u8>) {
        out.push(ts.len() as u8);
        out.extend_from_slice(&[0, 0, 0]);
        for t in ts {
            let start = out.len();
            let v6 = t.start.is_ipv6();
            out.push(if v6 {
                TS_IPV6_ADDR_RANGE
            } else {
                TS_IPV4_ADDR_RANGE
            });
            out.push(t.ip_protocol);
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&t.start_port.to_be_bytes());
            out.extend_from_slice(&t.end_port.to_be_bytes());
            for a in [t.start, t.end] {
                match a {
                    IpAddr::V4(v4) => out.extend_from_slice(&v4.octets()),
                    IpAddr::V6(v6) => out.extend_from_slice(&v6.octets()),
                }
            }
            let len = (out.len() - start) as u16;
            put_u16_at(out, start + 2, len);
        }
    }
}
