//! Identification (3.5), Authentication (3.8) and Key Exchange (3.4) payload bodies.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// ID type (RFC 7296 3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdType(pub u8);

impl IdType {
    pub const IPV4_ADDR: Self = Self(1);
    pub const FQDN: Self = Self(2);
    pub const RFC822_ADDR: Self = Self(3);
    pub const IPV6_ADDR: Self = Self(5);
    pub const DER_ASN1_DN: Self = Self(9);
    pub const KEY_ID: Self = Self(11);
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identification {
    pub id_type: IdType,
    pub data: Vec<u8>,
}

impl Identification {
    /// The payload body (type, three reserved bytes, data): what AUTH signs as IDx'
    /// (RFC 7296 2.15).
    pub fn body_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.id_type.0, 0, 0, 0];
        out.extend_from_slice(&self.data);
        out
    }
}

impl fmt::Display for Identification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = || String::from_utf8_lossy(&self.data).into_owned();
        match self.id_type {
            IdType::IPV4_ADDR => match <[u8; 4]>::try_from(self.data.as_slice()) {
                Ok(b) => write!(f, "{}", Ipv4Addr::from(b)),
                Err(_) => write!(f, "address:<{} bytes>", self.data.len()),
            },
            IdType::IPV6_ADDR => match <[u8; 16]>::try_from(self.data.as_slice()) {
                Ok(b) => write!(f, "{}", Ipv6Addr::from(b)),
                Err(_) => write!(f, "address:<{} bytes>", self.data.len()),
            },
            IdType::FQDN => write!(f, "fqdn:{}", text()),
            IdType::RFC822_ADDR => write!(f, "user-fqdn:{}", text()),
            IdType::KEY_ID => write!(f, "key-id:{}", hex::encode(&self.data)),
            IdType::DER_ASN1_DN => write!(f, "dn:<{} bytes>", self.data.len()),
            other => write!(f, "id-type-{}:{}", other.0, hex::encode(&self.data)),
        }
    }
}

/// AUTH method (RFC 7296 3.8, RFC 4754, RFC 7427).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuthMethod(pub u8);

impl AuthMethod {
    pub const RSA_SIG: Self = Self(1);
    pub const SHARED_KEY_MIC: Self = Self(2);
    pub const ECDSA_256: Self = Self(9);
    pub const ECDSA_384: Self = Self(10);
    pub const ECDSA_521: Self = Self(11);
    pub const DIGITAL_SIGNATURE: Self = Self(14);
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    pub method: AuthMethod,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyExchange {
    /// The DH group number (RFC 7296 3.4).
    pub group: u16,
    pub data: Vec<u8>,
}
