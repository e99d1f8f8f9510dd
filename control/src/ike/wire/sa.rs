//! The SA payload (RFC 7296 3.3): proposals of transforms, with the key-length attribute.

use super::reader::{InvalidMessage, Reader, put_u16_at};

/// Protocol ID of a proposal, notify or delete (RFC 7296 3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProtocolId(pub u8);

impl ProtocolId {
    pub const NONE: Self = Self(0);
    pub const IKE: Self = Self(1);
    pub const AH: Self = Self(2);
    pub const ESP: Self = Self(3);
}

/// Transform type (RFC 7296 3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransformType(pub u8);

impl TransformType {
    pub const ENCR: Self = Self(1);
    pub const PRF: Self = Self(2);
    pub const INTEG: Self = Self(3);
    pub const DH: Self = Self(4);
    pub const ESN: Self = Self(5);
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    pub kind: TransformType,
    pub id: u16,
    /// The Key Length attribute (type 14), in bits.
    pub key_length: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub number: u8,
    pub protocol: ProtocolId,
    pub spi: Vec<u8>,
    pub transforms: Vec<Transform>,
}

const LAST: u8 = 0;
const MORE_PROPOSALS: u8 = 2;
const MORE_TRANSFORMS: u8 = 3;
/// Attribute format bit: TV (type/value) rather than TLV.
const ATTR_TV: u16 = 0x8000;
const ATTR_KEY_LENGTH: u16 = 14;

impl Transform {
    fn read(r: &mut Reader<'_>) -> Result<(Self, bool), InvalidMessage> {
        let more = r.u8("transform last-substruc")?;
        r.u8("transform reserved")?;
        let len = usize::from(r.u16("transform length")?);
        if len < 8 {
            return Err(InvalidMessage::BadLength {
                what: "transform",
                len,
            });
        }
        let mut t = r.sub(len - 4, "transform")?;
        let kind = TransformType(t.u8("transform type")?);
        t.u8("transform reserved")?;
        let id = t.u16("transform ID")?;
        let mut key_length = None;
        while t.left() > 0 {
            let at = t.u16("attribute type")?;
            if at & ATTR_TV != 0 {
                let v = t.u16("attribute value")?;
                if at & !ATTR_TV == ATTR_KEY_LENGTH {
                    key_length = Some(v);
                }
            } else {
                // TLV attributes are not defined for IKEv2 transforms; skip them.
                let l = usize::from(t.u16("attribute length")?);
                t.take(l, "attribute value")?;
            }
        }
        match more {
            LAST | MORE_TRANSFORMS => {}
            _ => return Err(InvalidMessage::Invalid("bad transform last-substruc")),
        }
        Ok((
            Transform {
                kind,
                id,
                key_length,
            },
            more == MORE_TRANSFORMS,
        ))
    }

    fn encode(&self, out: &mut Vec<u8>, last: bool) {
        out.push(if last { LAST } else { MORE_TRANSFORMS });
        out.push(0);
        let len: u16 = if self.key_length.is_some() { 12 } else { 8 };
        out.extend_from_slice(&len.to_be_bytes());
        out.push(self.kind.0);
        out.push(0);
        out.extend_from_slice(&self.id.to_be_bytes());
        if let Some(bits) = self.key_length {
            out.extend_from_slice(&(ATTR_TV | ATTR_KEY_LENGTH).to_be_bytes());
            out.extend_from_slice(&bits.to_be_bytes());
        }
    }
}

impl Proposal {
    pub(crate) fn read_all(r: &mut Reader<'_>) -> Result<Vec<Self>, InvalidMessage> {
        let mut out = Vec::new();
        loop {
            let more = r.u8("proposal last-substruc")?;
            r.u8("proposal reserved")?;
            let len = usize::from(r.u16("proposal length")?);
            if len < 8 {
                return Err(InvalidMessage::BadLength {
                    what: "proposal",
                    len,
                });
            }
            let mut p = r.sub(len - 4, "proposal")?;
            let number = p.u8("proposal number")?;
            let protocol = ProtocolId(p.u8("protocol ID")?);
            let spi_size = usize::from(p.u8("SPI size")?);
            let count = p.u8("transform count")?;
            let spi = p.take(spi_size, "proposal SPI")?.to_vec();
            let mut transforms = Vec::with_capacity(usize::from(count));
            for i in 0..count {
                let (t, more_t) = Transform::read(&mut p)?;
                transforms.push(t);
                if !more_t && i + 1 != count {
                    return Err(InvalidMessage::Invalid("transform count does not match"));
                }
            }
            p.finish("proposal")?;
            out.push(Proposal {
                number,
                protocol,
                spi,
                transforms,
            });
            match more {
                LAST => break,
                MORE_PROPOSALS => {}
                _ => return Err(InvalidMessage::Invalid("bad proposal last-substruc")),
            }
        }
        r.finish("SA payload")?;
        Ok(out)
    }

    pub(crate) fn encode_all(ps: &[Proposal], out: &mut Vec<u8>) {
        for (i, p) in ps.iter().enumerate() {
            let start = out.len();
            out.push(if i + 1 == ps.len() {
                LAST
            } else {
                MORE_PROPOSALS
            });
            out.push(0);
            out.extend_from_slice(&[0, 0]);
            out.push(p.number);
            out.push(p.protocol.0);
            out.push(p.spi.len() as u8);
            out.push(p.transforms.len() as u8);
            out.extend_from_slice(&p.spi);
            for (j, t) in p.transforms.iter().enumerate() {
                t.encode(out, j + 1 == p.transforms.len());
            }
            let len = (out.len() - start) as u16;
            put_u16_at(out, start + 2, len);
        }
    }
}
