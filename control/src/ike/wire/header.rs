//! The IKE header (RFC 7296 3.1) and the numbers it carries: SPIs, exchange types and
//! payload types.

use std::fmt;

use super::error::InvalidMessage;
use super::reader::{Codec, Reader};

/// Length of the IKE header.
pub const HEADER_LEN: usize = 28;

/// An IKE SA SPI (8 bytes; the responder's is zero in the first IKE_SA_INIT request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IkeSpi(pub [u8; 8]);

impl IkeSpi {
    /// Whether this is the all-zero SPI (not yet chosen).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
}

impl fmt::Display for IkeSpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Exchange type (RFC 7296 3.1); an open newtype so unknown values round-trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExchangeType(pub u8);

impl ExchangeType {
    pub const IKE_SA_INIT: Self = Self(34);
    pub const IKE_AUTH: Self = Self(35);
    pub const CREATE_CHILD_SA: Self = Self(36);
    pub const INFORMATIONAL: Self = Self(37);

    /// The RFC's name, or the number.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Self::IKE_SA_INIT => "IKE_SA_INIT".into(),
            Self::IKE_AUTH => "IKE_AUTH".into(),
            Self::CREATE_CHILD_SA => "CREATE_CHILD_SA".into(),
            Self::INFORMATIONAL => "INFORMATIONAL".into(),
            Self(other) => other.to_string().into(),
        }
    }
}

impl fmt::Display for ExchangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Payload type, as found in next-payload fields (RFC 7296 3.2, RFC 7383 2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayloadType(pub u8);

impl PayloadType {
    /// No next payload: the end of a chain.
    pub const NONE: Self = Self(0);
    pub const SA: Self = Self(33);
    pub const KE: Self = Self(34);
    pub const IDI: Self = Self(35);
    pub const IDR: Self = Self(36);
    pub const CERT: Self = Self(37);
    pub const CERTREQ: Self = Self(38);
    pub const AUTH: Self = Self(39);
    pub const NONCE: Self = Self(40);
    pub const NOTIFY: Self = Self(41);
    pub const DELETE: Self = Self(42);
    pub const VENDOR: Self = Self(43);
    pub const TSI: Self = Self(44);
    pub const TSR: Self = Self(45);
    /// Encrypted and Authenticated (RFC 7296 3.14).
    pub const SK: Self = Self(46);
    pub const CP: Self = Self(47);
    pub const EAP: Self = Self(48);
    /// Encrypted and Authenticated Fragment (RFC 7383 2.5).
    pub const SKF: Self = Self(53);

    /// The RFC's notation (SA, KE, IDi, N, TSi, ...), or the number.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        let s = match self {
            Self::NONE => "none",
            Self::SA => "SA",
            Self::KE => "KE",
            Self::IDI => "IDi",
            Self::IDR => "IDr",
            Self::CERT => "CERT",
            Self::CERTREQ => "CERTREQ",
            Self::AUTH => "AUTH",
            Self::NONCE => "Nonce",
            Self::NOTIFY => "N",
            Self::DELETE => "D",
            Self::VENDOR => "V",
            Self::TSI => "TSi",
            Self::TSR => "TSr",
            Self::SK => "SK",
            Self::CP => "CP",
            Self::EAP => "EAP",
            Self::SKF => "SKF",
            Self(other) => return other.to_string().into(),
        };
        s.into()
    }

    /// Whether this is SK or SKF, the payload that ends a plaintext chain.
    pub fn is_encrypted(self) -> bool {
        self == Self::SK || self == Self::SKF
    }
}

impl fmt::Display for PayloadType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The header flags that mean something in IKEv2 (the others are sent as zero and ignored).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderFlags {
    /// Sent by the original initiator of the IKE SA.
    pub initiator: bool,
    /// The sender could speak a higher major version.
    pub version: bool,
    /// A response to the request with the same message ID.
    pub response: bool,
}

const FLAG_INITIATOR: u8 = 0x08;
const FLAG_VERSION: u8 = 0x10;
const FLAG_RESPONSE: u8 = 0x20;
/// The only major version spoken.
pub const IKEV2_MAJOR: u8 = 2;

/// The IKE header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub spi_i: IkeSpi,
    pub spi_r: IkeSpi,
    /// The first payload's type (written by the encoders).
    pub next_payload: PayloadType,
    /// 2 in everything we send; [`ParsedMessage::parse`](super::ParsedMessage::parse) refuses
    /// others, [`Header::parse`] keeps them so INVALID_MAJOR_VERSION can be answered.
    pub major_version: u8,
    /// Sent as 0 and ignored on receipt (RFC 7296 2.5).
    pub minor_version: u8,
    pub exchange: ExchangeType,
    pub flags: HeaderFlags,
    pub message_id: u32,
    /// The whole message's length, header included (written by the encoders).
    pub length: u32,
}

impl Header {
    /// An IKEv2 header whose next-payload and length the encoders fill in.
    pub fn new(
        spi_i: IkeSpi,
        spi_r: IkeSpi,
        next_payload: PayloadType,
        exchange: ExchangeType,
        flags: HeaderFlags,
        message_id: u32,
    ) -> Self {
        Header {
            spi_i,
            spi_r,
            next_payload,
            major_version: IKEV2_MAJOR,
            minor_version: 0,
            exchange,
            flags,
            message_id,
            length: 0,
        }
    }

    /// Reads only the header at the start of `bytes`, whatever follows and whatever its
    /// version: enough to answer a message the full parse refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        Self::read(&mut Reader::new(bytes))
    }
}

impl Codec for Header {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let spi_i = IkeSpi(r.array("initiator SPI")?);
        let spi_r = IkeSpi(r.array("responder SPI")?);
        let next_payload = PayloadType(r.u8("next payload")?);
        let version = r.u8("version")?;
        let exchange = ExchangeType(r.u8("exchange type")?);
        let f = r.u8("flags")?;
        let message_id = r.u32("message ID")?;
        let length = r.u32("message length")?;
        Ok(Header {
            spi_i,
            spi_r,
            next_payload,
            major_version: version >> 4,
            minor_version: version & 0x0f,
            exchange,
            flags: HeaderFlags {
                initiator: f & FLAG_INITIATOR != 0,
                version: f & FLAG_VERSION != 0,
                response: f & FLAG_RESPONSE != 0,
            },
            message_id,
            length,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.spi_i.0);
        out.extend_from_slice(&self.spi_r.0);
        out.push(self.next_payload.0);
        out.push(self.major_version << 4 | (self.minor_version & 0x0f));
        out.push(self.exchange.0);
        let mut f = 0;
        for (set, bit) in [
            (self.flags.initiator, FLAG_INITIATOR),
            (self.flags.version, FLAG_VERSION),
            (self.flags.response, FLAG_RESPONSE),
        ] {
            if set {
                f |= bit;
            }
        }
        out.push(f);
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An IKE_AUTH response from the initiator's peer: I clear, R set, message ID 1.
    const HEADER_BYTES: [u8; HEADER_LEN] = [
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // SPIi
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, // SPIr
        0x2e, 0x20, 0x23, 0x20, // next SK, version 2.0, IKE_AUTH, flags R
        0x00, 0x00, 0x00, 0x01, // message ID
        0x00, 0x00, 0x00, 0x50, // length
    ];

    fn header() -> Header {
        let mut h = Header::new(
            IkeSpi([1, 2, 3, 4, 5, 6, 7, 8]),
            IkeSpi([0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]),
            PayloadType::SK,
            ExchangeType::IKE_AUTH,
            HeaderFlags {
                initiator: false,
                version: false,
                response: true,
            },
            1,
        );
        h.length = 0x50;
        h
    }

    #[test]
    fn header_bytes_round_trip() {
        assert_eq!(header().get_encoding(), HEADER_BYTES);
        assert_eq!(Header::read_bytes(&HEADER_BYTES).unwrap(), header());
    }

    #[test]
    fn flags_and_versions_are_read_bit_by_bit() {
        let mut b = HEADER_BYTES;
        // I and V set, reserved bits set too (ignored on receipt); version 3.1.
        b[19] = 0x08 | 0x10 | 0x01 | 0x80;
        b[17] = 0x31;
        let h = Header::parse(&b).unwrap();
        assert_eq!(
            h.flags,
            HeaderFlags {
                initiator: true,
                version: true,
                response: false,
            }
        );
        assert_eq!((h.major_version, h.minor_version), (3, 1));
        // Reserved flag bits are not sent back.
        assert_eq!(h.get_encoding()[19], 0x18);
    }

    #[test]
    fn short_header_is_truncated() {
        for cut in 0..HEADER_LEN {
            assert!(matches!(
                Header::parse(&HEADER_BYTES[..cut]),
                Err(InvalidMessage::Truncated { .. })
            ));
        }
    }

    #[test]
    fn names_for_logs() {
        assert_eq!(PayloadType::TSI.to_string(), "TSi");
        assert_eq!(PayloadType(99).to_string(), "99");
        assert_eq!(ExchangeType::CREATE_CHILD_SA.to_string(), "CREATE_CHILD_SA");
        assert_eq!(IkeSpi([0xab; 8]).to_string(), "abababababababab");
        assert!(IkeSpi::default().is_zero());
    }
}
