//! Notify (RFC 7296 3.10) and Delete (3.11) payload bodies.

use super::reader::{InvalidMessage, Reader};
use super::sa::ProtocolId;

/// Notify message type; below 16384 an error, from 16384 a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NotifyType(pub u16);

macro_rules! notify_types {
    ($($name:ident = $v:expr),* $(,)?) => {
        impl NotifyType {
            $(pub const $name: Self = Self($v);)*

            /// The RFC's name, for logs.
            pub fn name(self) -> std::borrow::Cow<'static, str> {
                match self.0 {
                    $($v => std::borrow::Cow::Borrowed(stringify!($name)),)*
                    other => std::borrow::Cow::Owned(format!("NOTIFY-{other}")),
                }
            }
        }
    };
}

notify_types! {
    UNSUPPORTED_CRITICAL_PAYLOAD = 1,
    INVALID_IKE_SPI = 4,
    INVALID_MAJOR_VERSION = 5,
    INVALID_SYNTAX = 7,
    INVALID_MESSAGE_ID = 9,
    INVALID_SPI = 11,
    NO_PROPOSAL_CHOSEN = 14,
    INVALID_KE_PAYLOAD = 17,
    AUTHENTICATION_FAILED = 24,
    SINGLE_PAIR_REQUIRED = 34,
    NO_ADDITIONAL_SAS = 35,
    INTERNAL_ADDRESS_FAILURE = 36,
    FAILED_CP_REQUIRED = 37,
    TS_UNACCEPTABLE = 38,
    INVALID_SELECTORS = 39,
    TEMPORARY_FAILURE = 43,
    CHILD_SA_NOT_FOUND = 44,
    INITIAL_CONTACT = 16384,
    SET_WINDOW_SIZE = 16385,
    ADDITIONAL_TS_POSSIBLE = 16386,
    IPCOMP_SUPPORTED = 16387,
    NAT_DETECTION_SOURCE_IP = 16388,
    NAT_DETECTION_DESTINATION_IP = 16389,
    COOKIE = 16390,
    USE_TRANSPORT_MODE = 16391,
    HTTP_CERT_LOOKUP_SUPPORTED = 16392,
    REKEY_SA = 16393,
    ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
    NON_FIRST_FRAGMENTS_ALSO = 16395,
    MOBIKE_SUPPORTED = 16396,
    MULTIPLE_AUTH_SUPPORTED = 16404,
    REDIRECT_SUPPORTED = 16406,
    IKEV2_FRAGMENTATION_SUPPORTED = 16430,
    SIGNATURE_HASH_ALGORITHMS = 16431,
}

impl NotifyType {
    pub fn is_error(self) -> bool {
        self.0 < 16384
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub protocol: ProtocolId,
    pub spi: Vec<u8>,
    pub kind: NotifyType,
    pub data: Vec<u8>,
}

impl Notify {
    /// A status notify about the IKE SA (no protocol, no SPI).
    pub fn status(kind: NotifyType, data: Vec<u8>) -> Self {
        Notify {
            protocol: ProtocolId::NONE,
            spi: Vec::new(),
            kind,
            data,
        }
    }

    /// An error notify without data.
    pub fn error(kind: NotifyType) -> Self {
        Self::status(kind, Vec::new())
    }

    /// An error notify with data (e.g. INVALID_KE_PAYLOAD's group).
    pub fn error_with(kind: NotifyType, data: Vec<u8>) -> Self {
        Self::status(kind, data)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let protocol = ProtocolId(r.u8("notify protocol")?);
        let spi_size = usize::from(r.u8("notify SPI size")?);
        let kind = NotifyType(r.u16("notify type")?);
        let spi = r.take(spi_size, "notify SPI")?.to_vec();
        Ok(Notify {
            protocol,
            spi,
            kind,
            data: r.rest().to_vec(),
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.protocol.0);
        out.push(self.spi.len() as u8);
        out.extend_from_slice(&self.kind.0.to_be_bytes());
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&self.data);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delete {
    pub protocol: ProtocolId,
    pub spi_size: u8,
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

    /// The SPIs as 32-bit values (ESP/AH); others are skipped.
    pub fn spis_u32(&self) -> impl Iterator<Item = u32> + '_ {
        self.spis
            .iter()
            .filter_map(|s| <[u8; 4]>::try_from(s.as_slice()).ok())
            .map(u32::from_be_bytes)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        let protocol = ProtocolId(r.u8("delete protocol")?);
        let spi_size = r.u8("delete SPI size")?;
        let count = r.u16("delete SPI count")?;
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

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.protocol.0);
        out.push(self.spi_size);
        out.extend_from_slice(&(self.spis.len() as u16).to_be_bytes());
        for s in &self.spis {
            out.extend_from_slice(s);
        }
    }
}
