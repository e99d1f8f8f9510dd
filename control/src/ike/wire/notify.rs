//! The Notify payload body (RFC 7296 3.10) and the notify message types tunsec sends or
//! understands (3.10.1 and later RFCs).

use super::error::InvalidMessage;
use super::ids::DhGroupId;
use super::reader::{Codec, Reader, len_u8};
use super::sa::ProtocolId;

/// Notify message type: below 16384 an error, from 16384 a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NotifyType(pub u16);

/// Defines the consts and their names together, so the two cannot drift apart.
macro_rules! notify_types {
    ($($(#[$doc:meta])* $name:ident = $v:literal),* $(,)?) => {
        impl NotifyType {
            $($(#[$doc])* pub const $name: Self = Self($v);)*

            /// The RFC's name (`NO_PROPOSAL_CHOSEN`), or the number for other types.
            pub fn name(self) -> std::borrow::Cow<'static, str> {
                match self.0 {
                    $($v => std::borrow::Cow::Borrowed(stringify!($name)),)*
                    other => std::borrow::Cow::Owned(other.to_string()),
                }
            }
        }
    };
}

notify_types! {
    /// Data: the one-octet payload type.
    UNSUPPORTED_CRITICAL_PAYLOAD = 1,
    INVALID_IKE_SPI = 4,
    INVALID_MAJOR_VERSION = 5,
    INVALID_SYNTAX = 7,
    INVALID_MESSAGE_ID = 9,
    INVALID_SPI = 11,
    NO_PROPOSAL_CHOSEN = 14,
    /// Data: the two-octet DH group the responder wants.
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
    /// Data: SHA-1(SPIi | SPIr | source IP | source port) (RFC 7296 2.23).
    NAT_DETECTION_SOURCE_IP = 16388,
    NAT_DETECTION_DESTINATION_IP = 16389,
    COOKIE = 16390,
    USE_TRANSPORT_MODE = 16391,
    HTTP_CERT_LOOKUP_SUPPORTED = 16392,
    /// Protocol and SPI: the child SA being rekeyed.
    REKEY_SA = 16393,
    ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
    NON_FIRST_FRAGMENTS_ALSO = 16395,
    MOBIKE_SUPPORTED = 16396,
    MULTIPLE_AUTH_SUPPORTED = 16404,
    REDIRECT_SUPPORTED = 16406,
    EAP_ONLY_AUTHENTICATION = 16417,
    CHILDLESS_IKEV2_SUPPORTED = 16418,
    IKEV2_FRAGMENTATION_SUPPORTED = 16430,
    /// Data: two-octet hash algorithm numbers (RFC 7427).
    SIGNATURE_HASH_ALGORITHMS = 16431,
}

impl NotifyType {
    /// First status type; everything below is an error (RFC 7296 3.10.1).
    const FIRST_STATUS: u16 = 16384;

    /// Whether this type reports an error (as opposed to a status).
    pub fn is_error(self) -> bool {
        self.0 < Self::FIRST_STATUS
    }
}

impl std::fmt::Display for NotifyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// A Notify payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// The protocol of the SA `spi` names; [`ProtocolId::NONE`] when `spi` is empty.
    pub protocol: ProtocolId,
    pub spi: Vec<u8>,
    pub kind: NotifyType,
    pub data: Vec<u8>,
}

impl Notify {
    /// A status notify about the IKE SA or the message (no protocol, no SPI).
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

    /// An error notify with data.
    pub fn error_with(kind: NotifyType, data: Vec<u8>) -> Self {
        Self::status(kind, data)
    }

    /// A notify about a child SA: REKEY_SA, CHILD_SA_NOT_FOUND, INVALID_SPI...
    pub fn about_child(kind: NotifyType, protocol: ProtocolId, spi: u32) -> Self {
        Notify {
            protocol,
            spi: spi.to_be_bytes().to_vec(),
            kind,
            data: Vec::new(),
        }
    }

    /// INVALID_KE_PAYLOAD asking for `group`.
    pub fn invalid_ke(group: DhGroupId) -> Self {
        Self::error_with(
            NotifyType::INVALID_KE_PAYLOAD,
            group.0.to_be_bytes().to_vec(),
        )
    }

    /// The group an INVALID_KE_PAYLOAD asks for (`None` for other types or bad data).
    pub fn wanted_group(&self) -> Option<DhGroupId> {
        if self.kind != NotifyType::INVALID_KE_PAYLOAD {
            return None;
        }
        let b = <[u8; 2]>::try_from(self.data.as_slice()).ok()?;
        Some(DhGroupId(u16::from_be_bytes(b)))
    }

    /// The SPI as a 32-bit ESP/AH SPI, if it is 4 bytes.
    pub fn spi_u32(&self) -> Option<u32> {
        <[u8; 4]>::try_from(self.spi.as_slice())
            .ok()
            .map(u32::from_be_bytes)
    }
}

impl Codec for Notify {
    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
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

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.protocol.0);
        out.push(len_u8(self.spi.len()));
        out.extend_from_slice(&self.kind.0.to_be_bytes());
        out.extend_from_slice(&self.spi);
        out.extend_from_slice(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_bytes_round_trip() {
        let n = Notify::about_child(NotifyType::REKEY_SA, ProtocolId::ESP, 0xc001_cafe);
        let bytes = [0x03, 0x04, 0x40, 0x09, 0xc0, 0x01, 0xca, 0xfe];
        assert_eq!(n.get_encoding(), bytes);
        assert_eq!(Notify::read_bytes(&bytes).unwrap(), n);
        assert_eq!(n.spi_u32(), Some(0xc001_cafe));

        let n = Notify::status(NotifyType::NAT_DETECTION_SOURCE_IP, vec![0x11; 20]);
        let mut bytes = vec![0x00, 0x00, 0x40, 0x04];
        bytes.extend_from_slice(&[0x11; 20]);
        assert_eq!(n.get_encoding(), bytes);
        assert_eq!(Notify::read_bytes(&bytes).unwrap(), n);
    }

    #[test]
    fn notify_spi_beyond_the_body_is_truncated() {
        assert!(matches!(
            Notify::read_bytes(&[0x03, 0x05, 0x40, 0x09, 1, 2, 3, 4]),
            Err(InvalidMessage::Truncated { .. })
        ));
        assert!(Notify::read_bytes(&[0x03, 0x00, 0x40]).is_err());
    }

    #[test]
    fn invalid_ke_carries_the_group() {
        let n = Notify::invalid_ke(DhGroupId::ECP_256);
        assert_eq!(n.data, [0, 19]);
        assert_eq!(n.wanted_group(), Some(DhGroupId::ECP_256));
        assert!(n.kind.is_error());
        assert_eq!(Notify::error(NotifyType::COOKIE).wanted_group(), None);
    }

    #[test]
    fn names_and_classes() {
        assert_eq!(NotifyType::NO_PROPOSAL_CHOSEN.name(), "NO_PROPOSAL_CHOSEN");
        assert_eq!(
            NotifyType::SIGNATURE_HASH_ALGORITHMS.to_string(),
            "SIGNATURE_HASH_ALGORITHMS"
        );
        assert_eq!(NotifyType(40000).name(), "40000");
        assert!(NotifyType::CHILD_SA_NOT_FOUND.is_error());
        assert!(!NotifyType::INITIAL_CONTACT.is_error());
        assert!(NotifyType(16383).is_error());
    }
}
