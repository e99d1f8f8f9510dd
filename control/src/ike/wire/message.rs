//! Whole messages: the generic payload header chain (RFC 7296 3.2), plaintext messages,
//! and the frame of an encrypted one (3.14, RFC 7383 2.5).

use super::header::{HEADER_LEN, Header, PayloadType};
use super::id::{AuthMethod, Authentication, IdType, Identification, KeyExchange};
use super::notify::{Delete, Notify, NotifyType};
use super::reader::{InvalidMessage, Reader, put_u16_at};
use super::sa::Proposal;
use super::ts::TrafficSelector;

/// Generic payload header length.
const GENERIC_LEN: usize = 4;
const CRITICAL: u8 = 0x80;
/// Nonce data length bounds (RFC 7296 3.9).
const NONCE_MIN: usize = 16;
const NONCE_MAX: usize = 256;
/// SKF carries fragment number and total before IV || ciphertext || ICV.
const SKF_HEADER_LEN: usize = GENERIC_LEN + 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Sa(Vec<Proposal>),
    Ke(KeyExchange),
    IdI(Identification),
    IdR(Identification),
    Cert {
        encoding: u8,
        data: Vec<u8>,
    },
    CertReq {
        encoding: u8,
        data: Vec<u8>,
    },
    Auth(Authentication),
    Nonce(Vec<u8>),
    Notify(Notify),
    Delete(Delete),
    Vendor(Vec<u8>),
    TsI(Vec<TrafficSelector>),
    TsR(Vec<TrafficSelector>),
    Cp {
        cfg_type: u8,
        attributes: Vec<(u16, Vec<u8>)>,
    },
    /// A payload tunsec does not interpret (kept so it is skipped, not refused).
    Unknown {
        kind: PayloadType,
        body: Vec<u8>,
    },
}

impl Payload {
    pub fn kind(&self) -> PayloadType {
        match self {
            Payload::Sa(_) => PayloadType::SA,
            Payload::Ke(_) => PayloadType::KE,
            Payload::IdI(_) => PayloadType::IDI,
            Payload::IdR(_) => PayloadType::IDR,
            Payload::Cert { .. } => PayloadType::CERT,
            Payload::CertReq { .. } => PayloadType::CERTREQ,
            Payload::Auth(_) => PayloadType::AUTH,
            Payload::Nonce(_) => PayloadType::NONCE,
            Payload::Notify(_) => PayloadType::NOTIFY,
            Payload::Delete(_) => PayloadType::DELETE,
            Payload::Vendor(_) => PayloadType::VENDOR,
            Payload::TsI(_) => PayloadType::TSI,
            Payload::TsR(_) => PayloadType::TSR,
            Payload::Cp { .. } => PayloadType::CP,
            Payload::Unknown { kind, .. } => *kind,
        }
    }

    fn read_body(kind: PayloadType, body: &[u8]) -> Result<Payload, InvalidMessage> {
        let mut r = Reader::new(body);
        let p = match kind {
            PayloadType::SA => Payload::Sa(Proposal::read_all(&mut r)?),
            PayloadType::KE => {
                let group = r.u16("KE group")?;
                r.u16("KE reserved")?;
                Payload::Ke(KeyExchange {
                    group,
                    data: r.rest().to_vec(),
                })
            }
            PayloadType::IDI | PayloadType::IDR => {
                let id_type = IdType(r.u8("ID type")?);
                r.take(3, "ID reserved")?;
                let id = Identification {
                    id_type,
                    data: r.rest().to_vec(),
                };
                if kind == PayloadType::IDI {
                    Payload::IdI(id)
                } else {
                    Payload::IdR(id)
                }
            }
            PayloadType::CERT | PayloadType::CERTREQ => {
                let encoding = r.u8("certificate encoding")?;
                let data = r.rest().to_vec();
                if kind == PayloadType::CERT {
                    Payload::Cert { encoding, data }
                } else {
                    Payload::CertReq { encoding, data }
                }
            }
            PayloadType::AUTH => {
                let method = AuthMethod(r.u8("auth method")?);
                r.take(3, "auth reserved")?;
                Payload::Auth(Authentication {
                    method,
                    data: r.rest().to_vec(),
                })
            }
            PayloadType::NONCE => {
                let n = r.rest();
                if !(NONCE_MIN..=NONCE_MAX).contains(&n.len()) {
                    return Err(InvalidMessage::BadLength {
                        what: "nonce",
                        len: n.len(),
                    });
                }
                Payload::Nonce(n.to_vec())
            }
            PayloadType::NOTIFY => Payload::Notify(Notify::read(&mut r)?),
            PayloadType::DELETE => Payload::Delete(Delete::read(&mut r)?),
            PayloadType::VENDOR => Payload::Vendor(r.rest().to_vec()),
            PayloadType::TSI => Payload::TsI(TrafficSelector::read_all(&mut r)?),
            PayloadType::TSR => Payload::TsR(TrafficSelector::read_all(&mut r)?),
            PayloadType::CP => {
                let cfg_type = r.u8("CP type")?;
                r.take(3, "CP reserved")?;
                let mut attributes = Vec::new();
                while r.left() > 0 {
                    let t = r.u16("CP attribute type")? & 0x7fff;
                    let l = usize::from(r.u16("CP attribute length")?);
                    attributes.push((t, r.take(l, "CP attribute")?.to_vec()));
                }
                Payload::Cp {
                    cfg_type,
                    attributes,
                }
            }
            other => Payload::Unknown {
                kind: other,
                body: r.rest().to_vec(),
            },
        };
        r.finish("payload")?;
        Ok(p)
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Payload::Sa(ps) => Proposal::encode_all(ps, out),
            Payload::Ke(k) => {
                out.extend_from_slice(&k.group.to_be_bytes());
                out.extend_from_slice(&[0, 0]);
                out.extend_from_slice(&k.data);
            }
            Payload::IdI(id) | Payload::IdR(id) => out.extend_from_slice(&id.body_bytes()),
            Payload::Cert { encoding, data } | Payload::CertReq { encoding, data } => {
                out.push(*encoding);
                out.extend_from_slice(data);
            }
            Payload::Auth(a) => {
                out.extend_from_slice(&[a.method.0, 0, 0, 0]);
                out.extend_from_slice(&a.data);
            }
            Payload::Nonce(n) | Payload::Vendor(n) => out.extend_from_slice(n),
            Payload::Notify(n) => n.encode(out),
            Payload::Delete(d) => d.encode(out),
            Payload::TsI(ts) | Payload::TsR(ts) => TrafficSelector::encode_all(ts, out),
            Payload::Cp {
                cfg_type,
                attributes,
            } => {
                out.extend_from_slice(&[*cfg_type, 0, 0, 0]);
                for (t, v) in attributes {
                    out.extend_from_slice(&t.to_be_bytes());
                    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
                    out.extend_from_slice(v);
                }
            }
            Payload::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }
}

/// Where the chain ended: at the end of the bytes, or at an SK/SKF payload whose body is
/// returned unparsed.
struct Chain {
    payloads: Vec<Payload>,
    encrypted: Option<(PayloadType, PayloadType, usize, usize)>,
}

/// Walks a payload chain starting with `first`. `base` is the offset of `bytes` in the
/// message, so the location of an SK payload is reported message-relative.
fn walk(first: PayloadType, bytes: &[u8], base: usize) -> Result<Chain, InvalidMessage> {
    let mut r = Reader::new(bytes);
    let mut next = first;
    let mut payloads = Vec::new();
    while next != PayloadType::NONE {
        let start = base + (bytes.len() - r.left());
        let this = next;
        next = PayloadType(r.u8("next payload")?);
        let flags = r.u8("payload flags")?;
        let len = usize::from(r.u16("payload length")?);
        if len < GENERIC_LEN {
            return Err(InvalidMessage::BadLength {
                what: "payload",
                len,
            });
        }
        let body = r.take(len - GENERIC_LEN, "payload body")?;
        if this == PayloadType::SK || this == PayloadType::SKF {
            // The encrypted payload is the last one (RFC 7296 3.14); its next-payload field
            // names the first payload inside.
            r.finish("message after the encrypted payload")?;
            return Ok(Chain {
                payloads,
                encrypted: Some((this, next, start, len)),
            });
        }
        let known = matches!(this.0, 33..=48);
        if !known && flags & CRITICAL != 0 {
            return Err(InvalidMessage::UnsupportedCritical(this.0));
        }
        payloads.push(Payload::read_body(this, body)?);
    }
    r.finish("payload chain")?;
    Ok(Chain {
        payloads,
        encrypted: None,
    })
}

/// Parses decrypted inner payloads.
pub fn parse_chain(first: PayloadType, bytes: &[u8]) -> Result<Vec<Payload>, InvalidMessage> {
    let chain = walk(first, bytes, 0)?;
    if chain.encrypted.is_some() {
        return Err(InvalidMessage::Invalid(
            "encrypted payload inside an encrypted payload",
        ));
    }
    Ok(chain.payloads)
}

/// Encodes payloads as a chain; returns the first payload's type and the bytes.
pub fn encode_chain(payloads: &[Payload]) -> (PayloadType, Vec<u8>) {
    let mut out = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let start = out.len();
        let next = payloads.get(i + 1).map_or(PayloadType::NONE, Payload::kind);
        out.push(next.0);
        out.push(0);
        out.extend_from_slice(&[0, 0]);
        p.encode_body(&mut out);
        let len = (out.len() - start) as u16;
        put_u16_at(&mut out, start + 2, len);
    }
    (
        payloads.first().map_or(PayloadType::NONE, Payload::kind),
        out,
    )
}

/// A plaintext message (IKE_SA_INIT and its errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub payloads: Vec<Payload>,
}

impl Message {
    pub fn encode(&self) -> Vec<u8> {
        let (first, body) = encode_chain(&self.payloads);
        let mut h = self.header.clone();
        h.next_payload = first;
        h.length = (HEADER_LEN + body.len()) as u32;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        h.encode(&mut out);
        out.extend_from_slice(&body);
        out
    }
}

/// Where an encrypted payload sits in its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedPayload {
    inner_first: PayloadType,
    /// Offset of the SK/SKF generic header and the payload's whole length.
    offset: usize,
    len: usize,
    /// For SKF (RFC 7383): fragment number and total.
    pub fragment: Option<(u16, u16)>,
}

impl EncryptedPayload {
    /// The first payload inside (SK's next-payload field).
    pub fn first_inner(&self) -> PayloadType {
        self.inner_first
    }

    fn header_len(&self) -> usize {
        if self.fragment.is_some() {
            SKF_HEADER_LEN
        } else {
            GENERIC_LEN
        }
    }

    /// The associated data of an AEAD (RFC 5282 5.1): the IKE header up to the end of the
    /// encrypted payload's header. CBC+HMAC covers this too, followed by the body.
    pub fn aad<'a>(&self, message: &'a [u8]) -> &'a [u8] {
        message
            .get(..self.offset + self.header_len())
            .unwrap_or_default()
    }

    /// IV || ciphertext || ICV.
    pub fn body<'a>(&self, message: &'a [u8]) -> &'a [u8] {
        message
            .get(self.offset + self.header_len()..self.offset + self.len)
            .unwrap_or_default()
    }
}

/// A received message: header, plaintext payloads, and the encrypted payload if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    pub header: Header,
    pub payloads: Vec<Payload>,
    pub encrypted: Option<EncryptedPayload>,
}

impl ParsedMessage {
    pub fn parse(bytes: &[u8]) -> Result<Self, InvalidMessage> {
        let mut r = Reader::new(bytes);
        let header = Header::read(&mut r)?;
        let len = header.length as usize;
        if len != bytes.len() {
            return Err(InvalidMessage::BadLength {
                what: "IKE header length",
                len,
            });
        }
        let chain = walk(header.next_payload, r.rest(), HEADER_LEN)?;
        let encrypted = match chain.encrypted {
            None => None,
            Some((kind, inner_first, offset, len)) => {
                let fragment = if kind == PayloadType::SKF {
                    let mut f = Reader::new(
                        bytes
                            .get(offset + GENERIC_LEN..offset + len)
                            .unwrap_or_default(),
                    );
                    let number = f.u16("fragment number")?;
                    let total = f.u16("total fragments")?;
                    if number == 0 || number > total {
                        return Err(InvalidMessage::Invalid("fragment number out of range"));
                    }
                    Some((number, total))
                } else {
                    None
                };
                Some(EncryptedPayload {
                    inner_first,
                    offset,
                    len,
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

/// The IKE header and the SK generic header of an encrypted message whose SK body will be
/// `body_len` bytes, with every length final: the bytes the SK body's integrity covers
/// first (RFC 7296 3.14).
pub fn encrypted_frame(header: &Header, inner_first: PayloadType, body_len: usize) -> Vec<u8> {
    let mut h = header.clone();
    h.next_payload = PayloadType::SK;
    h.length = (HEADER_LEN + GENERIC_LEN + body_len) as u32;
    let mut out = Vec::with_capacity(HEADER_LEN + GENERIC_LEN + body_len);
    h.encode(&mut out);
    out.push(inner_first.0);
    out.push(0);
    out.extend_from_slice(&((GENERIC_LEN + body_len) as u16).to_be_bytes());
    out
}

/// Lookups over a message's payloads.
pub trait Payloads {
    fn all(&self) -> &[Payload];

    fn sa(&self) -> Option<Vec<Proposal>> {
        self.all().iter().find_map(|p| match p {
            Payload::Sa(s) => Some(s.clone()),
            _ => None,
        })
    }
    fn ke(&self) -> Option<&KeyExchange> {
        self.all().iter().find_map(|p| match p {
            Payload::Ke(k) => Some(k),
            _ => None,
        })
    }
    fn nonce(&self) -> Option<&[u8]> {
        self.all().iter().find_map(|p| match p {
            Payload::Nonce(n) => Some(n.as_slice()),
            _ => None,
        })
    }
    fn id_i(&self) -> Option<&Identification> {
        self.all().iter().find_map(|p| match p {
            Payload::IdI(i) => Some(i),
            _ => None,
        })
    }
    fn id_r(&self) -> Option<&Identification> {
        self.all().iter().find_map(|p| match p {
            Payload::IdR(i) => Some(i),
            _ => None,
        })
    }
    fn auth(&self) -> Option<&Authentication> {
        self.all().iter().find_map(|p| match p {
            Payload::Auth(a) => Some(a),
            _ => None,
        })
    }
    fn ts_i(&self) -> Option<&[TrafficSelector]> {
        self.all().iter().find_map(|p| match p {
            Payload::TsI(t) => Some(t.as_slice()),
            _ => None,
        })
    }
    fn ts_r(&self) -> Option<&[TrafficSelector]> {
        self.all().iter().find_map(|p| match p {
            Payload::TsR(t) => Some(t.as_slice()),
            _ => None,
        })
    }
    fn notifies(&self, kind: NotifyType) -> impl Iterator<Item = &Notify> {
        self.all().iter().filter_map(move |p| match p {
            Payload::Notify(n) if n.kind == kind => Some(n),
            _ => None,
        })
    }
    /// The first error notify, if any.
    fn error_notify(&self) -> Option<&Notify> {
        self.all().iter().find_map(|p| match p {
            Payload::Notify(n) if n.kind.is_error() => Some(n),
            _ => None,
        })
    }
    fn deletes(&self) -> impl Iterator<Item = &Delete> {
        self.all().iter().filter_map(|p| match p {
            Payload::Delete(d) => Some(d),
            _ => None,
        })
    }
}

impl Payloads for [Payload] {
    fn all(&self) -> &[Payload] {
        self
    }
}

impl Payloads for Vec<Payload> {
    fn all(&self) -> &[Payload] {
        self
    }
}
