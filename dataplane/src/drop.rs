//! Why a packet was dropped. Every drop maps to exactly one statistics counter.

use crate::stats::Counter;

/// The reason the engine refused a packet, named after the counter it increments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[repr(u8)]
pub enum DropReason {
    /// Inbound packet too short or with an inconsistent header (IP/UDP/ESP/AH lengths).
    #[error("malformed header")]
    InHeaderErrors,
    /// No SA for the SPI (and destination, protocol).
    #[error("no inbound SA for this SPI, address and protocol")]
    InNoStates,
    /// ICV mismatch (wrong key, corruption or forgery), misaligned ciphertext, or a bad
    /// padding/pad-length after decryption.
    #[error("integrity check or decryption failed (wrong key or corrupted packet)")]
    InStateProtocolErrors,
    /// The decrypted next header or inner packet does not fit the SA's mode (e.g. no IP
    /// packet inside a tunnel-mode SA).
    #[error("decrypted packet is invalid for the SA's mode")]
    InStateModeErrors,
    /// Replayed or too old for the anti-replay window.
    #[error("sequence number replayed or outside the replay window")]
    InStateSequenceErrors,
    /// The SA's hard lifetime has passed or it is dead.
    #[error("SA has expired")]
    InStateExpired,
    /// UDP-encapsulated packet for a non-encapsulated SA or the reverse, or wrong ports.
    #[error("encapsulation does not match the SA")]
    InStateMismatches,
    /// Decrypted packet does not match the policy's selectors.
    #[error("inner packet does not match the SA's policy")]
    InTemplateMismatches,
    /// The SA is bound to no policy.
    #[error("no policy for this SA")]
    InNoPolicies,
    /// Packet larger than the buffer can hold after transformation.
    #[error("no room in the buffer for this packet")]
    InBufferErrors,
    #[error("inbound error")]
    InErrors,
    /// A discard policy matched.
    #[error("discarded by policy")]
    OutPolicyBlocked,
    /// An encrypt policy with level require has no SA.
    #[error("no outbound SA for an encrypt policy")]
    OutNoStates,
    /// Sequence number would wrap.
    #[error("outbound sequence number exhausted")]
    OutStateSequenceErrors,
    #[error("outbound SA has expired")]
    OutStateExpired,
    /// The packet cannot be carried by this SA's mode (e.g. transport mode for another host).
    #[error("packet does not fit the SA's mode")]
    OutStateModeErrors,
    /// The encapsulated packet would not fit the buffer or exceeds the maximum IP length.
    #[error("outbound packet too large")]
    OutErrors,
}

impl DropReason {
    pub const fn counter(self) -> Counter {
        match self {
            DropReason::InHeaderErrors => Counter::InHeaderErrors,
            DropReason::InNoStates => Counter::InNoStates,
            DropReason::InStateProtocolErrors => Counter::InStateProtocolErrors,
            DropReason::InStateModeErrors => Counter::InStateModeErrors,
            DropReason::InStateSequenceErrors => Counter::InStateSequenceErrors,
            DropReason::InStateExpired => Counter::InStateExpired,
            DropReason::InStateMismatches => Counter::InStateMismatches,
            DropReason::InTemplateMismatches => Counter::InTemplateMismatches,
            DropReason::InNoPolicies => Counter::InNoPolicies,
            DropReason::InBufferErrors => Counter::InBufferErrors,
            DropReason::InErrors => Counter::InErrors,
            DropReason::OutPolicyBlocked => Counter::OutPolicyBlocked,
            DropReason::OutNoStates => Counter::OutNoStates,
            DropReason::OutStateSequenceErrors => Counter::OutStateSequenceErrors,
            DropReason::OutStateExpired => Counter::OutStateExpired,
            DropReason::OutStateModeErrors => Counter::OutStateModeErrors,
            DropReason::OutErrors => Counter::OutErrors,
        }
    }
}
