//! The Configuration payload body (RFC 7296 3.15): mode-config requests and replies
//! (internal addresses, DNS servers, protected subnets).

use super::error::InvalidMessage;
use super::reader::{Codec, Reader, fill_len, reserve_len};

/// CFG type (RFC 7296 3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfigType(pub u8);

impl ConfigType {
    pub const REQUEST: Self = Self(1);
    pub const REPLY: Self = Self(2);
    pub const SET: Self = Self(3);
    pub const ACK: Self = Self(4);
}

/// Configuration attribute type (RFC 7296 3.15.1; 15 bits, the top bit is reserved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfigAttributeType(pub u16);

impl ConfigAttributeType {
    pub const INTERNAL_IP4_ADDRESS: Self = Self(1);
    pub const INTERNAL_IP4_NETMASK: Self = Self(2);
    pub const INTERNAL_IP4_DNS: Self = Self(3);
    pub const INTERNAL_IP4_NBNS: Self = Self(4);
    pub const INTERNAL_IP4_DHCP: Self = Self(6);
    pub const APPLICATION_VERSION: Self = Self(7);
    pub const INTERNAL_IP6_ADDRESS: Self = Self(8);
    pub const INTERNAL_IP6_DNS: Self = Self(10);
    pub const INTERNAL_IP6_DHCP: Self = Self(12);
    pub const INTERNAL_IP4_SUBNET: Self = Self(13);
    pub const SUPPORTED_ATTRIBUTES: Self = Self(14);
    pub const INTERNAL_IP6_SUBNET: Self = Self(15);
}

/// One configuration attribute; an empty value asks for one in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigAttribute {
    pub kind: ConfigAttributeType,
    pub value: Vec<u8>,
}

/// A CP payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPayload {
    pub cfg_type: ConfigType,
    pub attributes: Vec<ConfigAttribute>,
}

impl ConfigPayload {
    /// The values of every attribute of `kind`.
    pub fn values(&self, kind: ConfigAttributeType) -> impl Iterator<Item = &[u8]> {
        self.attributes
            .iter()
            .filter(move |a| a.kind == kind)
            .map(|a| a.value.as_slice())
    }
}

/// CFG type and three reserved octets before the attributes.
const CP_FIXED_LEN: usize = 4;
/// The reserved top bit of an attribute type: sent as zero, ignored on receipt.
const ATTR_RESERVED: u16 = 0x8000;

impl Codec for ConfigPayload {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let cfg_type = ConfigType(r.u8("CFG type")?);
        r.take(CP_FIXED_LEN - 1, "CP reserved")?;
        let mut attributes = Vec::new();
        while !r.is_empty() {
            let kind = ConfigAttributeType(r.u16("CP attribute type")? & !ATTR_RESERVED);
            let len = usize::from(r.u16("CP attribute length")?);
            let value = r.take(len, "CP attribute value")?.to_vec();
            attributes.push(ConfigAttribute { kind, value });
        }
        Ok(ConfigPayload {
            cfg_type,
            attributes,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.cfg_type.0, 0, 0, 0]);
        for a in &self.attributes {
            out.extend_from_slice(&(a.kind.0 & !ATTR_RESERVED).to_be_bytes());
            let len_at = reserve_len(out);
            out.extend_from_slice(&a.value);
            fill_len(out, len_at, len_at + 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp_bytes_round_trip() {
        let cp = ConfigPayload {
            cfg_type: ConfigType::REPLY,
            attributes: vec![
                ConfigAttribute {
                    kind: ConfigAttributeType::INTERNAL_IP4_ADDRESS,
                    value: vec![10, 0, 0, 7],
                },
                ConfigAttribute {
                    kind: ConfigAttributeType::INTERNAL_IP4_DNS,
                    value: vec![192, 0, 2, 53],
                },
                ConfigAttribute {
                    kind: ConfigAttributeType::INTERNAL_IP6_ADDRESS,
                    value: Vec::new(),
                },
            ],
        };
        let bytes = [
            2, 0, 0, 0, // REPLY
            0, 1, 0, 4, 10, 0, 0, 7, // INTERNAL_IP4_ADDRESS
            0, 3, 0, 4, 192, 0, 2, 53, // INTERNAL_IP4_DNS
            0, 8, 0, 0, // INTERNAL_IP6_ADDRESS, asked for
        ];
        assert_eq!(cp.get_encoding(), bytes);
        assert_eq!(ConfigPayload::read_bytes(&bytes).unwrap(), cp);
        let dns: Vec<_> = cp.values(ConfigAttributeType::INTERNAL_IP4_DNS).collect();
        assert_eq!(dns, [&[192, 0, 2, 53][..]]);
    }

    #[test]
    fn cp_reserved_bit_is_ignored_and_lengths_checked() {
        let cp = ConfigPayload::read_bytes(&[1, 0, 0, 0, 0x80, 1, 0, 0]).unwrap();
        assert_eq!(
            cp.attributes[0].kind,
            ConfigAttributeType::INTERNAL_IP4_ADDRESS
        );
        assert!(ConfigPayload::read_bytes(&[1, 0, 0, 0, 0, 1, 0, 4, 10]).is_err());
        assert!(ConfigPayload::read_bytes(&[1, 0, 0, 0, 0, 1, 0]).is_err());
        assert!(ConfigPayload::read_bytes(&[1, 0]).is_err());
    }
}
