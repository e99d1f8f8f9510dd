//! The Delete payload body (RFC 7296 3.11).

use super::error::InvalidMessage;
use super::reader::{Codec, Reader, len_u16};
use super::sa::ProtocolId;

/// A Delete payload: the IKE SA the message travels in, or child SAs by SPI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delete {
    pub protocol: ProtocolId,
    /// 0 for IKE (no SPIs), 4 for ESP and AH.
    pub spi_size: u8,
    /// Each `spi_size` bytes: the sender's inbound SPIs.
    pub spis: Vec<Vec<u8>>,
}

impl Delete {
    /// Deletes the IKE SA the message travels in.
    pub fn ike() -> Self {
        Delete {
            protocol: ProtocolId::IKE,
            spi_size: 0,
            spis: Vec::new(),
        }
    }

    /// Deletes ESP SAs by their (the sender's inbound) SPIs.
    pub fn esp(spis: &[u32]) -> Self {
        Delete {
            protocol: ProtocolId::ESP,
            spi_size: 4,
            spis: spis.iter().map(|s| s.to_be_bytes().to_vec()).collect(),
        }
    }

    /// The SPIs as 32-bit values (ESP/AH); SPIs of other sizes are skipped.
    pub fn spis_u32(&self) -> impl Iterator<Item = u32> + '_ {
        self.spis
            .iter()
            .filter_map(|s| <[u8; 4]>::try_from(s.as_slice()).ok())
            .map(u32::from_be_bytes)
    }
}

impl Codec for Delete {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let protocol = ProtocolId(r.u8("delete protocol")?);
        let spi_size = r.u8("delete SPI size")?;
        let count = r.u16("delete SPI count")?;
        // Zero-sized SPIs would let a 4-byte body claim 65535 of them.
        if spi_size == 0 && count != 0 {
            return Err(InvalidMessage::BadDelete { spi_size, count });
        }
        let mut spis = Vec::new();
        for _ in 0..count {
            spis.push(r.take(usize::from(spi_size), "delete SPI")?.to_vec());
        }
        r.finish("delete payload")?;
        Ok(Delete {
            protocol,
            spi_size,
            spis,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.protocol.0);
        out.push(self.spi_size);
        out.extend_from_slice(&len_u16(self.spis.len()).to_be_bytes());
        for s in &self.spis {
            out.extend_from_slice(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_bytes_round_trip() {
        let d = Delete::esp(&[0x1001, 0x2002]);
        let bytes = [3, 4, 0, 2, 0, 0, 0x10, 0x01, 0, 0, 0x20, 0x02];
        assert_eq!(d.get_encoding(), bytes);
        assert_eq!(Delete::read_bytes(&bytes).unwrap(), d);
        assert_eq!(d.spis_u32().collect::<Vec<_>>(), [0x1001, 0x2002]);

        let d = Delete::ike();
        assert_eq!(d.get_encoding(), [1, 0, 0, 0]);
        assert_eq!(Delete::read_bytes(&[1, 0, 0, 0]).unwrap(), d);
    }

    #[test]
    fn delete_counts_must_fit() {
        // Three SPIs claimed, two present.
        let bytes = [3, 4, 0, 3, 0, 0, 0x10, 0x01, 0, 0, 0x20, 0x02];
        assert!(matches!(
            Delete::read_bytes(&bytes),
            Err(InvalidMessage::Truncated { .. })
        ));
        // One claimed, two present.
        let bytes = [3, 4, 0, 1, 0, 0, 0x10, 0x01, 0, 0, 0x20, 0x02];
        assert!(matches!(
            Delete::read_bytes(&bytes),
            Err(InvalidMessage::Trailing { .. })
        ));
        assert_eq!(
            Delete::read_bytes(&[1, 0, 0xff, 0xff]).unwrap_err(),
            InvalidMessage::BadDelete {
                spi_size: 0,
                count: 0xffff
            }
        );
    }
}
