//! The IKE header (RFC 7296 3.1).

use super::reader::{InvalidMessage, Reader};

pub const HEADER_LEN: usize = 28;

/// An IKE SA SPI (8 bytes; zero is the responder's before it answers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IkeSpi(pub [u8; 8]);

impl IkeSpi {
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
}

/// Exchange type (RFC 7296 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExchangeType(pub u8);

impl ExchangeType {
    pub const IKE_SA_INIT: Self = Self(34);
    pub const IKE_AUTH: Self = Self(35);
    pub const CREATE_CHILD_SA: Self = Self(36);
    pub const INFORMATIONAL: Self = Self(37);
}

/// Next-payload type (RFC 7296 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayloadType(pub u8);

impl PayloadType {
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
    pub const SK: Self = Self(46);
    pub const CP: Self = Self(47);
    pub const EAP: Self = Self(48);
    pub const SKF: Self = Self(53);
}

/// The header flags that mean something in IKEv2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderFlags {
    /// Sent by the original initiator of the IKE SA.
    pub initiator: bool,
    /// Could speak a higher major version.
    pub version: bool,
    pub response: bool,
}

const FLAG_INITIATOR: u8 = 0x08;
const FLAG_VERSION: u8 = 0x10;
const FLAG_RESPONSE: u8 = 0x20;
const IKEV2: u8 = 0x20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub spi_i: IkeSpi,
    pub spi_r: IkeSpi,
    pub next_payload: PayloadType,
    pub exchange: ExchangeType,
    pub flags: HeaderFlags,
    pub message_id: u32,
    /// The whole message's length, header included.
    pub length: u32,
}

impl Header {
    /// A header whose length is filled in when the message is encoded.
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
            exchange,
            flags,
            message_id,
            length: 0,
        }
    }

    pub fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let mut spi_i = [0; 8];
        spi_i.copy_from_slice(r.take(8, "initiator SPI")?);
        let mut spi_r = [0; 8];
        spi_r.copy_from_slice(r.take(8, "responder SPI")?);
        let next_payload = PayloadType(r.u8("next payload")?);
        let version = r.u8("version")?;
        if version >> 4 != 2 {
            return Err(InvalidMessage::Version(version >> 4));
        }
        let exchange = ExchangeType(r.u8("exchange type")?);
        let f = r.u8("flags")?;
        let message_id = r.u32("message ID")?;
        let length = r.u32("length")?;
        Ok(Header {
            spi_i: IkeSpi(spi_i),
            spi_r: IkeSpi(spi_r),
            next_payload,
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

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.spi_i.0);
        out.extend_from_slice(&self.spi_r.0);
        out.push(self.next_payload.0);
        out.push(IKEV2);
        out.push(self.exchange.0);
        let mut f = 0;
        if self.flags.initiator {
            f |= FLAG_INITIATOR;
        }
        if self.flags.version {
            f |= FLAG_VERSION;
        }
        if self.flags.response {
            f |= FLAG_RESPONSE;
        }
        out.push(f);
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }
}
