//! Whole messages: plaintext ones (IKE_SA_INIT and its errors) encoded and parsed, and
//! encrypted ones located and framed (RFC 7296 3.14, RFC 5282 5.1, RFC 7383 2.5). The
//! crypto layer seals and opens the SK body; this module only says where it is.

use std::ops::Range;

use super::error::InvalidMessage;
use super::header::{HEADER_LEN, Header, IKEV2_MAJOR, PayloadType};
use super::payload::{GENERIC_HEADER_LEN, Payload, encode_chain, walk};
use super::reader::{Codec, Reader, len_u16};

/// The SKF payload header: the generic header, then fragment number and total fragments.
pub const SKF_HEADER_LEN: usize = GENERIC_HEADER_LEN + 4;

/// A message to send in the clear (or whose payloads are encoded by [`encode_chain`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub payloads: Vec<Payload>,
}

impl Message {
    /// The message's bytes, with the header's next-payload and length fields filled in.
    pub fn encode(&self) -> Vec<u8> {
        let (first, body) = encode_chain(&self.payloads);
        let mut h = self.header.clone();
        h.next_payload = first;
        h.length = message_len(HEADER_LEN + body.len());
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        h.encode(&mut out);
        out.extend_from_slice(&body);
        out
    }

    /// Parses a received datagram; the same as [`ParsedMessage::parse`].
    pub fn parse(bytes: &[u8]) -> Result<ParsedMessage, InvalidMessage> {
        ParsedMessage::parse(bytes)
    }
}

/// A message length for the header's 32-bit field (datagrams are far below 4 GiB).
fn message_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// One fragment's place in a fragmented message (RFC 7383 2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// 1-based.
    pub number: u16,
    pub total: u16,
}

/// Where the SK (or SKF) payload of a received message sits, by byte ranges of the
/// message it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedPayload {
    kind: PayloadType,
    inner_first: PayloadType,
    /// From the IKE header's first byte to the end of the SK/SKF payload header.
    aad: Range<usize>,
    /// IV || ciphertext || ICV.
    body: Range<usize>,
    /// For SKF: fragment number and total.
    pub fragment: Option<Fragment>,
}

impl EncryptedPayload {
    /// SK or SKF.
    pub fn kind(&self) -> PayloadType {
        self.kind
    }

    /// The first payload inside (the SK payload's next-payload field). For an SKF
    /// fragment other than the first this is NONE (RFC 7383 2.5).
    pub fn first_inner(&self) -> PayloadType {
        self.inner_first
    }

    /// The bytes an AEAD authenticates as associated data (RFC 5282 5.1): the IKE header
    /// through the end of the SK generic payload header (for SKF, through the fragment
    /// fields, RFC 7383 2.5). With CBC and HMAC, the ICV covers this, then [`body`]'s IV
    /// and ciphertext.
    ///
    /// [`body`]: Self::body
    pub fn aad_range(&self) -> Range<usize> {
        self.aad.clone()
    }

    /// IV || ciphertext || ICV: the SK payload's body.
    pub fn body_range(&self) -> Range<usize> {
        self.body.clone()
    }

    /// [`aad_range`](Self::aad_range) of `message` (the bytes this was parsed from; empty
    /// if given other bytes too short for it).
    pub fn aad<'a>(&self, message: &'a [u8]) -> &'a [u8] {
        message.get(self.aad.clone()).unwrap_or_default()
    }

    /// [`body_range`](Self::body_range) of `message`, as for [`aad`](Self::aad).
    pub fn body<'a>(&self, message: &'a [u8]) -> &'a [u8] {
        message.get(self.body.clone()).unwrap_or_default()
    }
}

/// A received message: the header, the plaintext payloads, and where the encrypted
/// payload is, if there is one (its contents are read with
/// [`parse_chain`](super::parse_chain) once decrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    pub header: Header,
    pub payloads: Vec<Payload>,
    pub encrypted: Option<EncryptedPayload>,
}

impl ParsedMessage {
    /// Parses a datagram (without the non-ESP marker) as one IKEv2 message.
    pub fn parse(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let header = Header::read(&mut r)?;
        if header.major_version != IKEV2_MAJOR {
            return Err(InvalidMessage::MajorVersion(header.major_version));
        }
        if usize::try_from(header.length).ok() != Some(bytes.len()) {
            return Err(InvalidMessage::MessageLength {
                header: header.length,
                actual: bytes.len(),
            });
        }
        let chain = walk(header.next_payload, r.rest())?;
        let encrypted = match chain.encrypted {
            None => None,
            Some(at) => {
                let span = (HEADER_LEN + at.span.start)..(HEADER_LEN + at.span.end);
                let (header_len, fragment) = if at.kind == PayloadType::SKF {
                    let fields = bytes
                        .get(span.start + GENERIC_HEADER_LEN..span.end)
                        .unwrap_or_default();
                    (SKF_HEADER_LEN, Some(read_fragment(fields)?))
                } else {
                    (GENERIC_HEADER_LEN, None)
                };
                let body_start = span.start + header_len;
                Some(EncryptedPayload {
                    kind: at.kind,
                    inner_first: at.inner_first,
                    aad: 0..body_start,
                    body: body_start..span.end,
                    fragment,
                })
            }
        };
        Ok(ParsedMessage {
            header,
            payloads: chain.payloads,
            encrypted,
        })
    }
}

/// Reads an SKF payload's fragment number and total (RFC 7383 2.5).
fn read_fragment(fields: &[u8]) -> Result<Fragment, InvalidMessage> {
    let mut r = Reader::new(fields);
    let number = r.u16("fragment number")?;
    let total = r.u16("total fragments")?;
    if number == 0 || number > total {
        return Err(InvalidMessage::BadFragment { number, total });
    }
    Ok(Fragment { number, total })
}

/// The first bytes of an encrypted message: the IKE header (next payload SK, length for
/// the whole message) and the SK payload header (next payload `inner_first`, length for
/// a body of `body_len` bytes). The crypto layer appends IV || ciphertext || ICV, and for
/// an AEAD these 32 bytes are the associated data.
pub fn encrypted_frame(header: &Header, inner_first: PayloadType, body_len: usize) -> Vec<u8> {
    let payload_len = GENERIC_HEADER_LEN + body_len;
    let mut h = header.clone();
    h.next_payload = PayloadType::SK;
    h.length = message_len(HEADER_LEN + payload_len);
    let mut out = Vec::with_capacity(HEADER_LEN + payload_len);
    h.encode(&mut out);
    out.push(inner_first.0);
    out.push(0);
    out.extend_from_slice(&len_u16(payload_len).to_be_bytes());
    out
}

/// As [`encrypted_frame`], for one SKF fragment (RFC 7383 2.5): `inner_first` is the first
/// inner payload's type in fragment 1 and NONE in the others. Returns 36 bytes.
pub fn encrypted_fragment_frame(
    header: &Header,
    inner_first: PayloadType,
    fragment: Fragment,
    body_len: usize,
) -> Vec<u8> {
    let payload_len = SKF_HEADER_LEN + body_len;
    let mut h = header.clone();
    h.next_payload = PayloadType::SKF;
    h.length = message_len(HEADER_LEN + payload_len);
    let mut out = Vec::with_capacity(HEADER_LEN + payload_len);
    h.encode(&mut out);
    out.push(inner_first.0);
    out.push(0);
    out.extend_from_slice(&len_u16(payload_len).to_be_bytes());
    out.extend_from_slice(&fragment.number.to_be_bytes());
    out.extend_from_slice(&fragment.total.to_be_bytes());
    out
}
