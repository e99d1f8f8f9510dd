//! The Key Exchange payload body (RFC 7296 3.4).

use super::error::InvalidMessage;
use super::ids::DhGroupId;
use super::reader::{Codec, Reader};

/// A KE payload: a DH group and our public value in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyExchange {
    /// The DH group number (see [`DhGroupId`] for names; kept a `u16` for the state
    /// machines that compare it with their group tables).
    pub group: u16,
    pub data: Vec<u8>,
}

impl KeyExchange {
    /// The group as the newtype.
    pub fn group_id(&self) -> DhGroupId {
        DhGroupId(self.group)
    }
}

impl Codec for KeyExchange {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let group = r.u16("KE group")?;
        r.u16("KE reserved")?;
        Ok(KeyExchange {
            group,
            data: r.rest().to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.group.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ke_bytes_round_trip() {
        let ke = KeyExchange {
            group: DhGroupId::CURVE25519.0,
            data: vec![9; 32],
        };
        let mut bytes = vec![0, 31, 0, 0];
        bytes.extend_from_slice(&[9; 32]);
        assert_eq!(ke.get_encoding(), bytes);
        assert_eq!(KeyExchange::read_bytes(&bytes).unwrap(), ke);
        assert_eq!(ke.group_id(), DhGroupId::CURVE25519);
        assert!(KeyExchange::read_bytes(&[0, 19, 0]).is_err());
    }
}
