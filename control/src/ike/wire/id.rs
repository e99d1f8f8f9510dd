//! The Identification payload body (RFC 7296 3.5), shared by IDi and IDr.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::InvalidMessage;
use super::reader::{Codec, Reader};

/// ID type (RFC 7296 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdType(pub u8);

impl IdType {
    /// ID_IPV4_ADDR: four octets.
    pub const IPV4_ADDR: Self = Self(1);
    /// ID_FQDN: a domain name, no terminator.
    pub const FQDN: Self = Self(2);
    /// ID_RFC822_ADDR: an email address (strongSwan's and RouterOS's "user-fqdn").
    pub const RFC822_ADDR: Self = Self(3);
    /// ID_IPV6_ADDR: sixteen octets.
    pub const IPV6_ADDR: Self = Self(5);
    /// ID_DER_ASN1_DN: a DER-encoded X.500 distinguished name.
    pub const DER_ASN1_DN: Self = Self(9);
    /// ID_KEY_ID: opaque octets.
    pub const KEY_ID: Self = Self(11);
}

/// An identity: IDi or IDr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identification {
    pub id_type: IdType,
    pub data: Vec<u8>,
}

/// ID type and three reserved octets before the data.
const ID_FIXED_LEN: usize = 4;

impl Identification {
    /// ID_IPV4_ADDR or ID_IPV6_ADDR for `ip`.
    pub fn ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Identification {
                id_type: IdType::IPV4_ADDR,
                data: v4.octets().to_vec(),
            },
            IpAddr::V6(v6) => Identification {
                id_type: IdType::IPV6_ADDR,
                data: v6.octets().to_vec(),
            },
        }
    }

    /// ID_FQDN.
    pub fn fqdn(name: &str) -> Self {
        Identification {
            id_type: IdType::FQDN,
            data: name.as_bytes().to_vec(),
        }
    }

    /// ID_RFC822_ADDR.
    pub fn rfc822(addr: &str) -> Self {
        Identification {
            id_type: IdType::RFC822_ADDR,
            data: addr.as_bytes().to_vec(),
        }
    }

    /// ID_KEY_ID.
    pub fn key_id(key: &[u8]) -> Self {
        Identification {
            id_type: IdType::KEY_ID,
            data: key.to_vec(),
        }
    }

    /// The address of an ID_IPV4_ADDR or ID_IPV6_ADDR of the right length.
    pub fn as_ip(&self) -> Option<IpAddr> {
        match self.id_type {
            IdType::IPV4_ADDR => <[u8; 4]>::try_from(self.data.as_slice())
                .ok()
                .map(|b| Ipv4Addr::from(b).into()),
            IdType::IPV6_ADDR => <[u8; 16]>::try_from(self.data.as_slice())
                .ok()
                .map(|b| Ipv6Addr::from(b).into()),
            _ => None,
        }
    }

    /// The payload body (type, three reserved bytes, data): what AUTH signs as IDx'
    /// (RFC 7296 2.15).
    pub fn body_bytes(&self) -> Vec<u8> {
        self.get_encoding()
    }
}

impl Codec for Identification {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let id_type = IdType(r.u8("ID type")?);
        r.take(ID_FIXED_LEN - 1, "ID reserved")?;
        Ok(Identification {
            id_type,
            data: r.rest().to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.id_type.0, 0, 0, 0]);
        out.extend_from_slice(&self.data);
    }
}

impl fmt::Display for Identification {
    /// For logs: `192.0.2.1`, `fqdn:gw.example`, `user-fqdn:a@b`, `key-id:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Peer-chosen text: escape control characters so a log line stays one line.
        let text = || {
            let mut s = String::new();
            for c in String::from_utf8_lossy(&self.data).chars() {
                if c.is_control() {
                    s.extend(c.escape_default());
                } else {
                    s.push(c);
                }
            }
            s
        };
        if let Some(ip) = self.as_ip() {
            return write!(f, "{ip}");
        }
        match self.id_type {
            IdType::IPV4_ADDR | IdType::IPV6_ADDR => {
                write!(f, "address:<{} bytes>", self.data.len())
            }
            IdType::FQDN => write!(f, "fqdn:{}", text()),
            IdType::RFC822_ADDR => write!(f, "user-fqdn:{}", text()),
            IdType::KEY_ID => write!(f, "key-id:{}", hex::encode(&self.data)),
            IdType::DER_ASN1_DN => write!(f, "dn:{}", hex::encode(&self.data)),
            other => write!(f, "id-type-{}:{}", other.0, hex::encode(&self.data)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_bytes_are_the_payload_body() {
        let id = Identification::ip("192.0.2.1".parse().unwrap());
        assert_eq!(id.body_bytes(), [1, 0, 0, 0, 192, 0, 2, 1]);
        assert_eq!(Identification::read_bytes(&id.body_bytes()).unwrap(), id);
        let id = Identification::fqdn("gw.example");
        assert_eq!(&id.body_bytes()[..4], [2, 0, 0, 0]);
        assert_eq!(Identification::read_bytes(&id.body_bytes()).unwrap(), id);
        // Reserved bytes are ignored on receipt.
        let id = Identification::read_bytes(&[11, 1, 2, 3, 0xaa]).unwrap();
        assert_eq!(id, Identification::key_id(&[0xaa]));
        assert!(Identification::read_bytes(&[1, 0, 0]).is_err());
    }

    #[test]
    fn display_for_logs() {
        let show = |id: Identification| id.to_string();
        assert_eq!(
            show(Identification::ip("192.0.2.1".parse().unwrap())),
            "192.0.2.1"
        );
        assert_eq!(
            show(Identification::ip("2001:db8::1".parse().unwrap())),
            "2001:db8::1"
        );
        assert_eq!(show(Identification::fqdn("gw.example")), "fqdn:gw.example");
        assert_eq!(show(Identification::rfc822("a@b")), "user-fqdn:a@b");
        assert_eq!(show(Identification::key_id(&[0xde, 0xad])), "key-id:dead");
        assert_eq!(show(Identification::fqdn("a\nb")), "fqdn:a\\nb");
        let short = Identification {
            id_type: IdType::IPV4_ADDR,
            data: vec![1, 2],
        };
        assert_eq!(show(short), "address:<2 bytes>");
        let odd = Identification {
            id_type: IdType(200),
            data: vec![1],
        };
        assert_eq!(show(odd), "id-type-200:01");
    }
}
