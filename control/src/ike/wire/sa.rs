//! The SA payload body (RFC 7296 3.3): proposals of transforms, with the Key Length
//! attribute (3.3.5).
//!
//! A transform carrying an attribute IKEv2 does not define (anything but one TV-format Key
//! Length) is unacceptable (3.3.6), so the parser leaves it out of its proposal; a proposal
//! left without any transform of a type it offered is unacceptable too and is left out of
//! the SA. Proposal numbers stay as received, so a chosen proposal can still be named.

use std::fmt;

use super::error::InvalidMessage;
use super::ids::{DhGroupId, transform_name};
use super::reader::{Reader, fill_len, len_u8, reserve_len};

/// Protocol ID of a proposal, notify or delete (RFC 7296 3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProtocolId(pub u8);

impl ProtocolId {
    /// No protocol: a notify about the IKE SA or the message.
    pub const NONE: Self = Self(0);
    pub const IKE: Self = Self(1);
    pub const AH: Self = Self(2);
    pub const ESP: Self = Self(3);
}

/// Transform type (RFC 7296 3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransformType(pub u8);

impl TransformType {
    pub const ENCR: Self = Self(1);
    pub const PRF: Self = Self(2);
    pub const INTEG: Self = Self(3);
    pub const DH: Self = Self(4);
    pub const ESN: Self = Self(5);

    /// The RFC's short name (ENCR, PRF, INTEG, D-H, ESN), or the number.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            Self::ENCR => "ENCR".into(),
            Self::PRF => "PRF".into(),
            Self::INTEG => "INTEG".into(),
            Self::DH => "D-H".into(),
            Self::ESN => "ESN".into(),
            Self(other) => format!("TYPE_{other}").into(),
        }
    }
}

/// One transform: an algorithm of one type, with a key length for variable-key ciphers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    pub kind: TransformType,
    /// The transform ID (consts in [`transform_id`](super::transform_id), [`DhGroupId`]).
    pub id: u16,
    /// The Key Length attribute (type 14), in bits.
    pub key_length: Option<u16>,
}

impl Transform {
    /// A transform without attributes.
    pub fn new(kind: TransformType, id: u16) -> Self {
        Transform {
            kind,
            id,
            key_length: None,
        }
    }

    /// A transform with the Key Length attribute, in bits.
    pub fn with_key_length(kind: TransformType, id: u16, bits: u16) -> Self {
        Transform {
            kind,
            id,
            key_length: Some(bits),
        }
    }

    /// A D-H transform.
    pub fn dh(group: DhGroupId) -> Self {
        Self::new(TransformType::DH, group.0)
    }
}

impl fmt::Display for Transform {
    /// `ENCR_AES_GCM_16/128`, `PRF_HMAC_SHA2_256`, or `ENCR:99` for unknown IDs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match transform_name(self.kind, self.id) {
            Some(n) => f.write_str(n)?,
            None => write!(f, "{}:{}", self.kind.name(), self.id)?,
        }
        match self.key_length {
            Some(bits) => write!(f, "/{bits}"),
            None => Ok(()),
        }
    }
}

/// One proposal: a protocol, its SPI, and transforms (one of each type is chosen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// 1 for the first proposal, one more for each next (RFC 7296 3.3.1); a response
    /// carries the number of the proposal it accepted.
    pub number: u8,
    pub protocol: ProtocolId,
    /// Empty in IKE_SA_INIT, 8 bytes for an IKE rekey, 4 for ESP and AH.
    pub spi: Vec<u8>,
    pub transforms: Vec<Transform>,
}

impl Proposal {
    /// Numbers `proposals` 1, 2, 3... as an offer must be.
    pub fn number_in_order(proposals: &mut [Proposal]) {
        for (n, p) in (1..=u8::MAX).zip(proposals.iter_mut()) {
            p.number = n;
        }
    }

    /// The transforms of one type, in offered order.
    pub fn transforms_of(&self, kind: TransformType) -> impl Iterator<Item = &Transform> {
        self.transforms.iter().filter(move |t| t.kind == kind)
    }
}

/// "Last substruc" values (RFC 7296 3.3.1, 3.3.2): 0 for the last, else what follows.
const LAST: u8 = 0;
const MORE_PROPOSALS: u8 = 2;
const MORE_TRANSFORMS: u8 = 3;
/// Proposal: last-substruc, reserved, length, number, protocol, SPI size, transform count.
const PROPOSAL_FIXED_LEN: usize = 8;
/// Transform: last-substruc, reserved, length, type, reserved, ID.
const TRANSFORM_FIXED_LEN: usize = 8;
/// The part of the fixed header a length field's sub-reader starts after.
const SUBSTRUC_PREFIX_LEN: usize = 4;
/// Attribute format bit: TV (a 16-bit value in place of the length) rather than TLV.
const ATTR_TV: u16 = 0x8000;
const ATTR_KEY_LENGTH: u16 = 14;

/// Reads a last-substruc byte: `Ok(true)` when another one of `more` follows.
fn read_last_substruc(
    r: &mut Reader<'_>,
    what: &'static str,
    more: u8,
) -> Result<bool, InvalidMessage> {
    match r.u8(what)? {
        LAST => Ok(false),
        v if v == more => Ok(true),
        value => Err(InvalidMessage::LastSubstruc {
            what,
            value,
            expected: more,
        }),
    }
}

/// Checks that the last-substruc byte says what the position says.
fn check_position(
    what: &'static str,
    said_more: bool,
    is_last: bool,
    more: u8,
) -> Result<(), InvalidMessage> {
    if said_more != is_last {
        return Ok(());
    }
    Err(InvalidMessage::LastSubstruc {
        what,
        value: if said_more { more } else { LAST },
        expected: if is_last { LAST } else { more },
    })
}

/// A transform as read, with whether all its attributes were understood.
struct ReadTransform {
    transform: Transform,
    acceptable: bool,
}

fn read_transform(r: &mut Reader<'_>, is_last: bool) -> Result<ReadTransform, InvalidMessage> {
    let more = read_last_substruc(r, "transform last-substruc", MORE_TRANSFORMS)?;
    check_position("transform last-substruc", more, is_last, MORE_TRANSFORMS)?;
    r.u8("transform reserved")?;
    let len = usize::from(r.u16("transform length")?);
    if len < TRANSFORM_FIXED_LEN {
        return Err(InvalidMessage::BadLength {
            what: "transform",
            len,
        });
    }
    let mut t = r.sub(len - SUBSTRUC_PREFIX_LEN, "transform")?;
    let kind = TransformType(t.u8("transform type")?);
    t.u8("transform reserved")?;
    let id = t.u16("transform ID")?;
    let mut key_length = None;
    let mut acceptable = true;
    while !t.is_empty() {
        let attr = t.u16("attribute type")?;
        if attr & ATTR_TV != 0 {
            let value = t.u16("attribute value")?;
            if attr & !ATTR_TV == ATTR_KEY_LENGTH && key_length.is_none() {
                key_length = Some(value);
                continue;
            }
        } else {
            let l = usize::from(t.u16("attribute length")?);
            t.take(l, "attribute value")?;
        }
        // Anything else (an unknown type, a TLV Key Length, a repeated one).
        acceptable = false;
    }
    Ok(ReadTransform {
        transform: Transform {
            kind,
            id,
            key_length,
        },
        acceptable,
    })
}

fn read_proposal(r: &mut Reader<'_>) -> Result<(Option<Proposal>, bool), InvalidMessage> {
    let more = read_last_substruc(r, "proposal last-substruc", MORE_PROPOSALS)?;
    r.u8("proposal reserved")?;
    let len = usize::from(r.u16("proposal length")?);
    if len < PROPOSAL_FIXED_LEN {
        return Err(InvalidMessage::BadLength {
            what: "proposal",
            len,
        });
    }
    let mut p = r.sub(len - SUBSTRUC_PREFIX_LEN, "proposal")?;
    let number = p.u8("proposal number")?;
    let protocol = ProtocolId(p.u8("protocol ID")?);
    let spi_size = usize::from(p.u8("SPI size")?);
    let count = p.u8("transform count")?;
    let spi = p.take(spi_size, "proposal SPI")?.to_vec();
    let mut transforms = Vec::new();
    let mut refused_types = Vec::new();
    for i in 1..=count {
        let t = read_transform(&mut p, i == count)?;
        if t.acceptable {
            transforms.push(t.transform);
        } else {
            refused_types.push(t.transform.kind);
        }
    }
    p.finish("proposal")?;
    // A type whose every transform was refused leaves nothing to choose for it.
    let unusable = refused_types
        .iter()
        .any(|k| !transforms.iter().any(|t| t.kind == *k));
    let proposal = (!unusable).then_some(Proposal {
        number,
        protocol,
        spi,
        transforms,
    });
    Ok((proposal, more))
}

/// Reads an SA payload body: every proposal that can be considered.
pub(crate) fn read_proposals(r: &mut Reader<'_>) -> Result<Vec<Proposal>, InvalidMessage> {
    let mut out = Vec::new();
    loop {
        let (proposal, more) = read_proposal(r)?;
        out.extend(proposal);
        if !more {
            break;
        }
    }
    r.finish("SA payload")?;
    Ok(out)
}

fn encode_transform(t: &Transform, out: &mut Vec<u8>, is_last: bool) {
    let start = out.len();
    out.push(if is_last { LAST } else { MORE_TRANSFORMS });
    out.push(0);
    let len_at = reserve_len(out);
    out.push(t.kind.0);
    out.push(0);
    out.extend_from_slice(&t.id.to_be_bytes());
    if let Some(bits) = t.key_length {
        out.extend_from_slice(&(ATTR_TV | ATTR_KEY_LENGTH).to_be_bytes());
        out.extend_from_slice(&bits.to_be_bytes());
    }
    fill_len(out, len_at, start);
}

/// Writes an SA payload body. Proposal numbers are written as given (see
/// [`Proposal::number_in_order`]).
pub(crate) fn encode_proposals(proposals: &[Proposal], out: &mut Vec<u8>) {
    for (i, p) in proposals.iter().enumerate() {
        let start = out.len();
        let is_last = i + 1 == proposals.len();
        out.push(if is_last { LAST } else { MORE_PROPOSALS });
        out.push(0);
        let len_at = reserve_len(out);
        out.push(p.number);
        out.push(p.protocol.0);
        out.push(len_u8(p.spi.len()));
        out.push(len_u8(p.transforms.len()));
        out.extend_from_slice(&p.spi);
        for (j, t) in p.transforms.iter().enumerate() {
            encode_transform(t, out, j + 1 == p.transforms.len());
        }
        fill_len(out, len_at, start);
    }
}

#[cfg(test)]
mod tests {
    use super::super::reader::len_u16;
    use super::super::transform_id::*;
    use super::*;

    fn read(bytes: &[u8]) -> Result<Vec<Proposal>, InvalidMessage> {
        read_proposals(&mut Reader::new(bytes))
    }

    fn encode(ps: &[Proposal]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_proposals(ps, &mut out);
        out
    }

    /// ESP proposal 1, SPI 0x01020304: AES-GCM-16 with 256-bit keys, ESN no.
    const ESP_GCM: [u8; 32] = [
        0x00, 0x00, 0x00, 0x20, // last proposal, length 32
        0x01, 0x03, 0x04, 0x02, // #1, ESP, SPI size 4, 2 transforms
        0x01, 0x02, 0x03, 0x04, // SPI
        0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x14, // more, len 12, ENCR 20
        0x80, 0x0e, 0x01, 0x00, // TV key length 256
        0x00, 0x00, 0x00, 0x08, 0x05, 0x00, 0x00, 0x00, // last, len 8, ESN 0
    ];

    fn esp_gcm() -> Proposal {
        Proposal {
            number: 1,
            protocol: ProtocolId::ESP,
            spi: vec![1, 2, 3, 4],
            transforms: vec![
                Transform::with_key_length(TransformType::ENCR, ENCR_AES_GCM_16, 256),
                Transform::new(TransformType::ESN, ESN_NO),
            ],
        }
    }

    fn ike_cbc(number: u8) -> Proposal {
        Proposal {
            number,
            protocol: ProtocolId::IKE,
            spi: Vec::new(),
            transforms: vec![
                Transform::with_key_length(TransformType::ENCR, ENCR_AES_CBC, 128),
                Transform::with_key_length(TransformType::ENCR, ENCR_AES_CBC, 256),
                Transform::new(TransformType::PRF, PRF_HMAC_SHA2_256),
                Transform::new(TransformType::INTEG, AUTH_HMAC_SHA2_256_128),
                Transform::dh(DhGroupId::MODP_2048),
                Transform::dh(DhGroupId::CURVE25519),
            ],
        }
    }

    #[test]
    fn esp_proposal_bytes() {
        assert_eq!(encode(&[esp_gcm()]), ESP_GCM);
        assert_eq!(read(&ESP_GCM).unwrap(), vec![esp_gcm()]);
    }

    #[test]
    fn several_proposals_round_trip_with_last_substruc() {
        let ps = vec![ike_cbc(1), ike_cbc(2), esp_gcm()];
        let bytes = encode(&ps);
        assert_eq!(bytes[0], MORE_PROPOSALS);
        // Every transform but each proposal's last says "more".
        assert_eq!(read(&bytes).unwrap(), ps);
    }

    #[test]
    fn numbering_in_order() {
        let mut ps = vec![esp_gcm(), esp_gcm(), esp_gcm()];
        Proposal::number_in_order(&mut ps);
        assert_eq!(ps.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(ps[0].transforms_of(TransformType::ESN).count(), 1);
    }

    #[test]
    fn last_substruc_must_match_the_position() {
        // The last transform says "more".
        let mut b = ESP_GCM;
        b[24] = MORE_TRANSFORMS;
        assert!(matches!(read(&b), Err(InvalidMessage::LastSubstruc { .. })));
        // The first transform says "last" though the count says two.
        let mut b = ESP_GCM;
        b[12] = LAST;
        assert!(matches!(read(&b), Err(InvalidMessage::LastSubstruc { .. })));
        // A transform says "more proposals".
        let mut b = ESP_GCM;
        b[12] = MORE_PROPOSALS;
        assert!(matches!(read(&b), Err(InvalidMessage::LastSubstruc { .. })));
        // The proposal says "more" with nothing after it.
        let mut b = ESP_GCM;
        b[0] = MORE_PROPOSALS;
        assert!(matches!(read(&b), Err(InvalidMessage::Truncated { .. })));
        // The proposal says "more transforms".
        let mut b = ESP_GCM;
        b[0] = MORE_TRANSFORMS;
        assert!(matches!(read(&b), Err(InvalidMessage::LastSubstruc { .. })));
    }

    #[test]
    fn counts_and_lengths_must_agree() {
        // Count 1 leaves the second transform as trailing bytes.
        let mut b = ESP_GCM;
        b[7] = 1;
        assert!(read(&b).is_err());
        // Count 3 runs out of transforms.
        let mut b = ESP_GCM;
        b[7] = 3;
        assert!(read(&b).is_err());
        // Proposal length below its fixed part, and beyond the payload.
        for len in [0u8, 7, 33, 0xff] {
            let mut b = ESP_GCM;
            b[3] = len;
            assert!(read(&b).is_err(), "proposal length {len}");
        }
        // Transform length below its fixed part, and beyond the proposal.
        for len in [0u8, 4, 7, 30] {
            let mut b = ESP_GCM;
            b[15] = len;
            assert!(read(&b).is_err(), "transform length {len}");
        }
        // SPI size beyond the proposal.
        let mut b = ESP_GCM;
        b[6] = 40;
        assert!(read(&b).is_err());
        assert!(read(&[]).is_err());
    }

    /// ENCR 12 with `attrs` after it, then INTEG 12, in one ESP proposal.
    fn with_attributes(attrs: &[u8], second_encr: bool) -> Vec<u8> {
        let mut p = vec![0x01, 0x03, 0x00];
        let mut ts = Vec::new();
        let mut t = |kind: u8, id: u8, attrs: &[u8], last: bool| {
            let len = len_u16(TRANSFORM_FIXED_LEN + attrs.len()).to_be_bytes();
            let last = if last { LAST } else { MORE_TRANSFORMS };
            ts.extend_from_slice(&[last, 0, len[0], len[1], kind, 0, 0, id]);
            ts.extend_from_slice(attrs);
        };
        t(1, 12, attrs, false);
        if second_encr {
            t(1, 20, &[0x80, 0x0e, 0x00, 0x80], false);
        }
        t(3, 12, &[], true);
        p.push(if second_encr { 3 } else { 2 });
        p.extend_from_slice(&ts);
        let len = len_u16(p.len() + SUBSTRUC_PREFIX_LEN).to_be_bytes();
        let mut out = vec![LAST, 0, len[0], len[1]];
        out.extend_from_slice(&p);
        out
    }

    #[test]
    fn unknown_attributes_make_the_transform_unacceptable() {
        // A TLV attribute of type 1 with two bytes: the transform is left out, and with no
        // other ENCR the whole proposal is.
        let tlv = [0x00, 0x01, 0x00, 0x02, 0xaa, 0xbb];
        assert_eq!(read(&with_attributes(&tlv, false)).unwrap(), vec![]);
        // With another ENCR to choose, only the unacceptable transform goes.
        let got = read(&with_attributes(&tlv, true)).unwrap();
        let ids: Vec<_> = got[0].transforms.iter().map(|t| t.id).collect();
        assert_eq!(ids, [ENCR_AES_GCM_16, AUTH_HMAC_SHA2_256_128]);
        // Unknown TV attribute, TLV-encoded Key Length, repeated Key Length.
        for attrs in [
            &[0x80, 0x05, 0x00, 0x01][..],
            &[0x00, 0x0e, 0x00, 0x02, 0x00, 0x80],
            &[0x80, 0x0e, 0x00, 0x80, 0x80, 0x0e, 0x01, 0x00],
        ] {
            let got = read(&with_attributes(attrs, true)).unwrap();
            assert_eq!(got[0].transforms.len(), 2, "{attrs:?}");
        }
        // A known Key Length is kept.
        let got = read(&with_attributes(&[0x80, 0x0e, 0x00, 0xc0], false)).unwrap();
        assert_eq!(got[0].transforms[0].key_length, Some(192));
        // A TLV attribute running past the transform is a syntax error.
        assert!(read(&with_attributes(&[0x00, 0x01, 0x00, 0x09, 0xaa], false)).is_err());
        // Half an attribute.
        assert!(read(&with_attributes(&[0x80], false)).is_err());
    }

    #[test]
    fn transform_display() {
        let t = Transform::with_key_length(TransformType::ENCR, ENCR_AES_GCM_16, 128);
        assert_eq!(t.to_string(), "ENCR_AES_GCM_16/128");
        assert_eq!(Transform::dh(DhGroupId::ECP_256).to_string(), "ECP_256");
        assert_eq!(
            Transform::new(TransformType::ENCR, 999).to_string(),
            "ENCR:999"
        );
        assert_eq!(Transform::new(TransformType(7), 1).to_string(), "TYPE_7:1");
    }
}
