//! IKEv2 message codec (RFC 7296 3): the header, the generic payload chain and every payload
//! tunsec sends or reads, in the rustls style: a bounded [`Reader`] per length-prefixed part,
//! trailing bytes an error, protocol numbers as open newtypes so unknown values round-trip.
//! Nothing here panics on any input; every refusal is an [`InvalidMessage`].

mod header;
mod id;
mod message;
mod notify;
mod reader;
mod sa;
mod ts;

pub use header::{ExchangeType, HEADER_LEN, Header, HeaderFlags, IkeSpi, PayloadType};
pub use id::{AuthMethod, Authentication, IdType, Identification, KeyExchange};
pub use message::{
    EncryptedPayload, Message, ParsedMessage, Payload, Payloads, encode_chain, encrypted_frame,
    parse_chain,
};
pub use notify::{Delete, Notify, NotifyType};
pub use reader::{InvalidMessage, Reader};
pub use sa::{Proposal, ProtocolId, Transform, TransformType};
pub use ts::TrafficSelector;

#[cfg(test)]
mod tests;
