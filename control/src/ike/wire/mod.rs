//! IKEv2 message codec (RFC 7296 3): the header, the generic payload chain and every payload
//! tunsec sends or reads, in the rustls style: a [`Codec`] per structure, a bounded
//! [`Reader`] per length-prefixed part, trailing bytes an error, protocol numbers as open
//! newtypes so unknown values round-trip.
//!
//! Received messages go through [`ParsedMessage::parse`]: plaintext payloads are read, an
//! SK/SKF payload is located ([`EncryptedPayload`]: associated data, IV || ciphertext || ICV)
//! for the crypto layer, whose output [`parse_chain`] reads. Messages to send are
//! [`Message::encode`]d, or [`encode_chain`]ed and framed with [`encrypted_frame`].
//! Nothing here panics on any input; every refusal is an [`InvalidMessage`], which says
//! which Notify answers it.

mod auth;
mod cert;
mod cp;
mod delete;
mod error;
mod header;
mod id;
mod ids;
mod ke;
mod lookup;
mod message;
mod notify;
mod payload;
mod reader;
mod sa;
mod ts;

pub use auth::{AuthMethod, Authentication};
pub use cert::{CertEncoding, CertRequest, Certificate};
pub use cp::{ConfigAttribute, ConfigAttributeType, ConfigPayload, ConfigType};
pub use delete::Delete;
pub use error::InvalidMessage;
pub use header::{ExchangeType, HEADER_LEN, Header, HeaderFlags, IKEV2_MAJOR, IkeSpi, PayloadType};
pub use id::{IdType, Identification};
pub use ids::{DhGroupId, transform_id, transform_name};
pub use ke::KeyExchange;
pub use lookup::Payloads;
pub use message::{
    EncryptedPayload, Fragment, Message, ParsedMessage, SKF_HEADER_LEN, encrypted_fragment_frame,
    encrypted_frame,
};
pub use notify::{Notify, NotifyType};
pub use payload::{
    GENERIC_HEADER_LEN, NONCE_MAX_LEN, NONCE_MIN_LEN, Payload, encode_chain, parse_chain,
};
pub use reader::{Codec, Reader};
pub use sa::{Proposal, ProtocolId, Transform, TransformType};
pub use ts::{TrafficSelector, TsType};

#[cfg(test)]
mod tests;
