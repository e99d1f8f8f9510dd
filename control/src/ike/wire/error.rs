//! Why a message could not be parsed, and what the receiver of a request answers
//! (RFC 7296 2.21.1, 3.10.1).

use super::header::PayloadType;
use super::notify::{Notify, NotifyType};

/// Why received bytes are not a valid IKEv2 message (or part of one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMessage {
    /// A field or part runs past the end of its enclosing part.
    #[error("truncated {what}: needs {need} bytes, {have} left")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// A part has bytes its fields do not account for.
    #[error("{what} is followed by {extra} unexpected bytes")]
    Trailing { what: &'static str, extra: usize },
    /// A length field smaller than its fixed part, or one its type does not allow.
    #[error("bad length {len} in {what}")]
    BadLength { what: &'static str, len: usize },
    /// The IKE header's length is not the datagram's.
    #[error("IKE header says {header} bytes, the datagram has {actual}")]
    MessageLength { header: u32, actual: usize },
    /// A major version other than 2 (answer INVALID_MAJOR_VERSION, RFC 7296 2.5).
    #[error("IKE major version {0} (only 2 is spoken)")]
    MajorVersion(u8),
    /// A proposal or transform whose "last substruc" byte disagrees with its position.
    #[error("{what} has last-substruc {value}, expected {expected}")]
    LastSubstruc {
        what: &'static str,
        value: u8,
        expected: u8,
    },
    /// A nonce outside 16..=256 bytes (RFC 7296 3.9).
    #[error("nonce of {0} bytes (16 to 256 allowed)")]
    NonceLength(usize),
    /// A payload type we do not implement, with the critical bit set (RFC 7296 3.2): the
    /// message is refused and a request answered with UNSUPPORTED_CRITICAL_PAYLOAD.
    #[error("unsupported payload type {0} marked critical")]
    UnsupportedCritical(PayloadType),
    /// An SK or SKF payload inside decrypted payloads.
    #[error("encrypted payload inside an encrypted payload")]
    NestedEncrypted,
    /// A traffic selector that is malformed (reversed range, wrong address family).
    #[error("bad traffic selector: {0}")]
    BadTrafficSelector(&'static str),
    /// A traffic selector type other than IPv4/IPv6 address ranges (answer TS_UNACCEPTABLE).
    #[error("unsupported traffic selector type {0}")]
    UnsupportedTrafficSelector(u8),
    /// SKF fragment numbers out of range (RFC 7383 2.5).
    #[error("fragment {number} of {total}")]
    BadFragment { number: u16, total: u16 },
    /// A Delete payload whose SPI size and count disagree (RFC 7296 3.11).
    #[error("delete payload with SPI size {spi_size} and {count} SPIs")]
    BadDelete { spi_size: u8, count: u16 },
}

impl InvalidMessage {
    /// The error Notify that answers a request refused for this reason: the RFC's specific
    /// type where there is one, INVALID_SYNTAX otherwise.
    pub fn notify(&self) -> Notify {
        match self {
            // The notification data is the one-octet payload type (RFC 7296 3.10.1).
            InvalidMessage::UnsupportedCritical(t) => {
                Notify::error_with(NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD, vec![t.0])
            }
            InvalidMessage::MajorVersion(_) => Notify::error(NotifyType::INVALID_MAJOR_VERSION),
            InvalidMessage::UnsupportedTrafficSelector(_) => {
                Notify::error(NotifyType::TS_UNACCEPTABLE)
            }
            _ => Notify::error(NotifyType::INVALID_SYNTAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_notify_to_send() {
        let n = InvalidMessage::UnsupportedCritical(PayloadType(200)).notify();
        assert_eq!(n.kind, NotifyType::UNSUPPORTED_CRITICAL_PAYLOAD);
        assert_eq!(n.data, [200]);
        let n = InvalidMessage::MajorVersion(3).notify();
        assert_eq!(n.kind, NotifyType::INVALID_MAJOR_VERSION);
        let n = InvalidMessage::UnsupportedTrafficSelector(10).notify();
        assert_eq!(n.kind, NotifyType::TS_UNACCEPTABLE);
        let n = InvalidMessage::NonceLength(3).notify();
        assert_eq!(n.kind, NotifyType::INVALID_SYNTAX);
        assert_eq!(
            InvalidMessage::UnsupportedCritical(PayloadType(200)).to_string(),
            "unsupported payload type 200 marked critical"
        );
    }
}
