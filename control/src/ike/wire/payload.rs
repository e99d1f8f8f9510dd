//! Payloads and the generic payload header chain (RFC 7296 3.2): each payload names the
//! type of the next, so a chain is read from a first type and written back with every
//! next-payload and length field filled in.

use std::ops::Range;

use super::auth::Authentication;
use super::cert::{CertRequest, Certificate};
use super::cp::ConfigPayload;
use super::delete::Delete;
use super::error::InvalidMessage;
use super::header::PayloadType;
use super::id::Identification;
use super::ke::KeyExchange;
use super::notify::Notify;
use super::reader::{Codec, Reader, fill_len, reserve_len};
use super::sa::{Proposal, encode_proposals, read_proposals};
use super::ts::{TrafficSelector, encode_selectors, read_selectors};

/// Generic payload header: next payload, critical bit and reserved, payload length.
pub const GENERIC_HEADER_LEN: usize = 4;
/// The critical bit of the generic header's second octet.
const CRITICAL: u8 = 0x80;
/// Nonce data length bounds (RFC 7296 3.9).
pub const NONCE_MIN_LEN: usize = 16;
pub const NONCE_MAX_LEN: usize = 256;

/// One payload of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Sa(Vec<Proposal>),
    Ke(KeyExchange),
    IdI(Identification),
    IdR(Identification),
    Cert(Certificate),
    CertReq(CertRequest),
    Auth(Authentication),
    /// 16 to 256 bytes (enforced on read).
    Nonce(Vec<u8>),
    Notify(Notify),
    Delete(Delete),
    /// The vendor ID.
    Vendor(Vec<u8>),
    TsI(Vec<TrafficSelector>),
    TsR(Vec<TrafficSelector>),
    Cp(ConfigPayload),
    /// A payload type tunsec does not interpret (EAP, or one it has never heard of), kept
    /// so it can be skipped. Only non-critical ones get here: a critical one fails the
    /// parse with [`InvalidMessage::UnsupportedCritical`].
    Unknown {
        kind: PayloadType,
        critical: bool,
        body: Vec<u8>,
    },
}

impl Payload {
    /// The payload's type, as written in the previous next-payload field.
    pub fn kind(&self) -> PayloadType {
        match self {
            Payload::Sa(_) => PayloadType::SA,
            Payload::Ke(_) => PayloadType::KE,
            Payload::IdI(_) => PayloadType::IDI,
            Payload::IdR(_) => PayloadType::IDR,
            Payload::Cert(_) => PayloadType::CERT,
            Payload::CertReq(_) => PayloadType::CERTREQ,
            Payload::Auth(_) => PayloadType::AUTH,
            Payload::Nonce(_) => PayloadType::NONCE,
            Payload::Notify(_) => PayloadType::NOTIFY,
            Payload::Delete(_) => PayloadType::DELETE,
            Payload::Vendor(_) => PayloadType::VENDOR,
            Payload::TsI(_) => PayloadType::TSI,
            Payload::TsR(_) => PayloadType::TSR,
            Payload::Cp(_) => PayloadType::CP,
            Payload::Unknown { kind, .. } => *kind,
        }
    }

    /// Reads the body of a payload of type `kind` (everything in `r`).
    fn read_body(
        kind: PayloadType,
        critical: bool,
        r: &mut Reader<'_>,
    ) -> Result<Payload, InvalidMessage> {
        let p = match kind {
            PayloadType::SA => Payload::Sa(read_proposals(r)?),
            PayloadType::KE => Payload::Ke(KeyExchange::read(r)?),
            PayloadType::IDI => Payload::IdI(Identification::read(r)?),
            PayloadType::IDR => Payload::IdR(Identification::read(r)?),
            PayloadType::CERT => Payload::Cert(Certificate::read(r)?),
            PayloadType::CERTREQ => Payload::CertReq(CertRequest::read(r)?),
            PayloadType::AUTH => Payload::Auth(Authentication::read(r)?),
            PayloadType::NONCE => {
                let n = r.rest();
                if !(NONCE_MIN_LEN..=NONCE_MAX_LEN).contains(&n.len()) {
                    return Err(InvalidMessage::NonceLength(n.len()));
                }
                Payload::Nonce(n.to_vec())
            }
            PayloadType::NOTIFY => Payload::Notify(Notify::read(r)?),
            PayloadType::DELETE => Payload::Delete(Delete::read(r)?),
            PayloadType::VENDOR => Payload::Vendor(r.rest().to_vec()),
            PayloadType::TSI => Payload::TsI(read_selectors(r)?),
            PayloadType::TSR => Payload::TsR(read_selectors(r)?),
            PayloadType::CP => Payload::Cp(ConfigPayload::read(r)?),
            // The critical bit only matters for types the receiver does not understand
            // (RFC 7296 3.2).
            other if critical => return Err(InvalidMessage::UnsupportedCritical(other)),
            other => Payload::Unknown {
                kind: other,
                critical,
                body: r.rest().to_vec(),
            },
        };
        r.finish("payload")?;
        Ok(p)
    }

    /// Writes the body (everything after the generic header).
    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Payload::Sa(ps) => encode_proposals(ps, out),
            Payload::Ke(k) => k.encode(out),
            Payload::IdI(id) | Payload::IdR(id) => id.encode(out),
            Payload::Cert(c) => c.encode(out),
            Payload::CertReq(c) => c.encode(out),
            Payload::Auth(a) => a.encode(out),
            Payload::Nonce(n) | Payload::Vendor(n) => out.extend_from_slice(n),
            Payload::Notify(n) => n.encode(out),
            Payload::Delete(d) => d.encode(out),
            Payload::TsI(ts) | Payload::TsR(ts) => encode_selectors(ts, out),
            Payload::Cp(cp) => cp.encode(out),
            Payload::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn critical(&self) -> bool {
        matches!(self, Payload::Unknown { critical: true, .. })
    }
}

/// Where an SK or SKF payload sits in the bytes a chain was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EncryptedAt {
    /// SK or SKF.
    pub kind: PayloadType,
    /// Its next-payload field: the first payload inside.
    pub inner_first: PayloadType,
    /// The whole payload, generic header included.
    pub span: Range<usize>,
}

/// A chain as read: plaintext payloads, and the encrypted payload that ended it, if any.
#[derive(Debug)]
pub(crate) struct Chain {
    pub payloads: Vec<Payload>,
    pub encrypted: Option<EncryptedAt>,
}

/// Walks a payload chain starting with type `first` to the end of `bytes`, or to an SK/SKF
/// payload, which must be the last one (RFC 7296 3.14) and is located, not read.
pub(crate) fn walk(first: PayloadType, bytes: &[u8]) -> Result<Chain, InvalidMessage> {
    let mut r = Reader::new(bytes);
    let mut this = first;
    let mut payloads = Vec::new();
    while this != PayloadType::NONE {
        let start = r.used();
        let next = PayloadType(r.u8("next payload")?);
        let critical = r.u8("payload flags")? & CRITICAL != 0;
        let len = usize::from(r.u16("payload length")?);
        if len < GENERIC_HEADER_LEN {
            return Err(InvalidMessage::BadLength {
                what: "payload",
                len,
            });
        }
        let mut body = r.sub(len - GENERIC_HEADER_LEN, "payload body")?;
        if this.is_encrypted() {
            r.finish("message after the encrypted payload")?;
            return Ok(Chain {
                payloads,
                encrypted: Some(EncryptedAt {
                    kind: this,
                    inner_first: next,
                    span: start..start + len,
                }),
            });
        }
        payloads.push(Payload::read_body(this, critical, &mut body)?);
        this = next;
    }
    r.finish("payload chain")?;
    Ok(Chain {
        payloads,
        encrypted: None,
    })
}

/// Parses a chain of plaintext payloads, such as the decrypted contents of an SK payload
/// whose next-payload field was `first`.
pub fn parse_chain(first: PayloadType, bytes: &[u8]) -> Result<Vec<Payload>, InvalidMessage> {
    let chain = walk(first, bytes)?;
    if chain.encrypted.is_some() {
        return Err(InvalidMessage::NestedEncrypted);
    }
    Ok(chain.payloads)
}

/// Encodes payloads as a chain: returns the first payload's type (for the header's or the
/// SK payload's next-payload field) and the bytes (what gets encrypted into an SK payload).
pub fn encode_chain(payloads: &[Payload]) -> (PayloadType, Vec<u8>) {
    let mut out = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let start = out.len();
        let next = payloads.get(i + 1).map_or(PayloadType::NONE, Payload::kind);
        out.push(next.0);
        out.push(if p.critical() { CRITICAL } else { 0 });
        let len_at = reserve_len(&mut out);
        p.encode_body(&mut out);
        fill_len(&mut out, len_at, start);
    }
    let first = payloads.first().map_or(PayloadType::NONE, Payload::kind);
    (first, out)
}

#[cfg(test)]
mod tests {
    use super::super::auth::AuthMethod;
    use super::super::cert::CertEncoding;
    use super::super::cp::{ConfigAttribute, ConfigAttributeType, ConfigType};
    use super::super::notify::NotifyType;
    use super::*;

    /// One payload of every kind tunsec reads.
    pub(crate) fn every_payload() -> Vec<Payload> {
        vec![
            Payload::Sa(vec![Proposal {
                number: 1,
                protocol: super::super::ProtocolId::ESP,
                spi: vec![1, 2, 3, 4],
                transforms: vec![super::super::Transform::with_key_length(
                    super::super::TransformType::ENCR,
                    super::super::transform_id::ENCR_AES_CBC,
                    256,
                )],
            }]),
            Payload::Ke(KeyExchange {
                group: 19,
                data: vec![7; 64],
            }),
            Payload::IdI(Identification::fqdn("initiator.example")),
            Payload::IdR(Identification::ip("192.0.2.2".parse().unwrap())),
            Payload::Cert(Certificate {
                encoding: CertEncoding::X509_SIGNATURE,
                data: vec![0x30, 0x03, 0x02, 0x01, 0x01],
            }),
            Payload::CertReq(CertRequest {
                encoding: CertEncoding::X509_SIGNATURE,
                data: vec![0xca; 20],
            }),
            Payload::Auth(Authentication {
                method: AuthMethod::SHARED_KEY_MIC,
                data: vec![5; 32],
            }),
            Payload::Nonce(vec![0x42; 32]),
            Payload::Notify(Notify::status(NotifyType::INITIAL_CONTACT, Vec::new())),
            Payload::Delete(Delete::esp(&[0x1001])),
            Payload::Vendor(b"tunsec".to_vec()),
            Payload::TsI(vec![TrafficSelector::any(false)]),
            Payload::TsR(vec![TrafficSelector::any(true)]),
            Payload::Cp(ConfigPayload {
                cfg_type: ConfigType::REQUEST,
                attributes: vec![ConfigAttribute {
                    kind: ConfigAttributeType::INTERNAL_IP4_ADDRESS,
                    value: Vec::new(),
                }],
            }),
            Payload::Unknown {
                kind: PayloadType::EAP,
                critical: false,
                body: vec![1, 2, 3, 4, 5],
            },
        ]
    }

    #[test]
    fn every_payload_round_trips_through_a_chain() {
        let payloads = every_payload();
        let (first, bytes) = encode_chain(&payloads);
        assert_eq!(first, PayloadType::SA);
        assert_eq!(parse_chain(first, &bytes).unwrap(), payloads);
        // And each alone, so no payload depends on its neighbours.
        for p in &payloads {
            let (first, bytes) = encode_chain(std::slice::from_ref(p));
            assert_eq!(first, p.kind());
            assert_eq!(bytes[0], PayloadType::NONE.0);
            assert_eq!(
                usize::from(u16::from_be_bytes([bytes[2], bytes[3]])),
                bytes.len()
            );
            assert_eq!(
                parse_chain(first, &bytes).unwrap(),
                vec![p.clone()],
                "{p:?}"
            );
        }
    }

    #[test]
    fn generic_header_bytes() {
        let (first, bytes) = encode_chain(&[
            Payload::Vendor(vec![0xaa, 0xbb]),
            Payload::Nonce(vec![0x11; 16]),
        ]);
        assert_eq!(first, PayloadType::VENDOR);
        assert_eq!(&bytes[..6], [40, 0, 0, 6, 0xaa, 0xbb]);
        assert_eq!(&bytes[6..10], [0, 0, 0, 20]);
        assert_eq!(encode_chain(&[]), (PayloadType::NONE, Vec::new()));
        assert_eq!(parse_chain(PayloadType::NONE, &[]).unwrap(), vec![]);
    }

    #[test]
    fn unknown_payloads_critical_refused_others_kept() {
        let unknown = |critical| Payload::Unknown {
            kind: PayloadType(200),
            critical,
            body: vec![0xaa, 0xbb],
        };
        let nonce = Payload::Nonce(vec![0x11; 16]);
        let (first, bytes) = encode_chain(&[nonce.clone(), unknown(true), nonce.clone()]);
        assert_eq!(bytes[20 + 1], CRITICAL);
        assert_eq!(
            parse_chain(first, &bytes).unwrap_err(),
            InvalidMessage::UnsupportedCritical(PayloadType(200))
        );
        let kept = vec![nonce.clone(), unknown(false), nonce];
        let (first, bytes) = encode_chain(&kept);
        assert_eq!(parse_chain(first, &bytes).unwrap(), kept);
        // The critical bit of a payload we understand is ignored.
        let (first, mut bytes) = encode_chain(&[Payload::Vendor(vec![1])]);
        bytes[1] = CRITICAL;
        assert_eq!(
            parse_chain(first, &bytes).unwrap(),
            vec![Payload::Vendor(vec![1])]
        );
    }

    #[test]
    fn nonce_length_is_enforced() {
        for (len, ok) in [
            (15, false),
            (16, true),
            (256, true),
            (257, false),
            (0, false),
        ] {
            let (first, bytes) = encode_chain(&[Payload::Nonce(vec![1; len])]);
            let got = parse_chain(first, &bytes);
            assert_eq!(got.is_ok(), ok, "nonce of {len}");
            if !ok {
                assert_eq!(got.unwrap_err(), InvalidMessage::NonceLength(len));
            }
        }
    }

    #[test]
    fn bad_payload_lengths() {
        let (first, bytes) = encode_chain(&[Payload::Vendor(vec![1, 2, 3])]);
        for len in [0u16, 3, 6, 8, 0xffff] {
            let mut b = bytes.clone();
            b[2..4].copy_from_slice(&len.to_be_bytes());
            assert!(parse_chain(first, &b).is_err(), "length {len}");
        }
        // A body too long for its payload's fixed part (KE needs 4 bytes).
        assert!(parse_chain(PayloadType::KE, &[0, 0, 0, 6, 0, 19]).is_err());
        // The chain says another payload follows but the bytes end.
        let mut b = bytes.clone();
        b[0] = PayloadType::VENDOR.0;
        assert!(matches!(
            parse_chain(first, &b),
            Err(InvalidMessage::Truncated { .. })
        ));
        // Bytes after the chain's end.
        let mut b = bytes;
        b.push(0);
        assert!(matches!(
            parse_chain(first, &b),
            Err(InvalidMessage::Trailing { .. })
        ));
    }

    #[test]
    fn encrypted_payload_inside_decrypted_payloads_is_refused() {
        let bytes = [0, 0, 0, 8, 1, 2, 3, 4];
        assert_eq!(
            parse_chain(PayloadType::SK, &bytes).unwrap_err(),
            InvalidMessage::NestedEncrypted
        );
    }
}
