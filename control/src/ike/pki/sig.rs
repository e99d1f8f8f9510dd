//! Signature schemes: RSASSA-PKCS1-v1_5, RSASSA-PSS and ECDSA over SHA-1/SHA-2, each
//! named by the ASN.1 AlgorithmIdentifier that X.509 and RFC 7427 AUTH payloads carry.
//! Signing and verifying take the message and hash it here.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_RSASSA_PSS, ID_SHA_1,
    ID_SHA_256, ID_SHA_384, ID_SHA_512, SHA_1_WITH_RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION,
    SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};
use der::{Decode, Encode};
use rsa::pkcs1::RsaPssParams;
use signature::hazmat::{PrehashSigner, PrehashVerifier};
use spki::AlgorithmIdentifierRef;

use super::hash::HashAlg;
use super::keys::{Curve, PrivateKey, PublicKey};

/// ecdsa-with-SHA1 (RFC 3279), absent from the rfc5912 OID table.
const ECDSA_WITH_SHA_1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");

/// A signature algorithm with its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureScheme {
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS with MGF1 over the same hash and a salt as long as the hash.
    RsaPss(HashAlg),
    Ecdsa(HashAlg),
}

/// How an ECDSA signature is written: DER `Ecdsa-Sig-Value` (X.509, RFC 7427) or the
/// fixed-size r|s of RFC 4754 (AUTH methods 9-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcdsaFormat {
    Der,
    Fixed,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigError {
    #[error("signature does not verify")]
    Invalid,
    #[error("signature is malformed")]
    Malformed,
    #[error("{scheme} cannot be used with a {key} key")]
    KeyMismatch { scheme: String, key: String },
    #[error("unsupported signature algorithm {0}")]
    Unsupported(String),
    #[error("signing failed: {0}")]
    Signing(String),
}

impl std::fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureScheme::RsaPkcs1(h) => write!(f, "RSA PKCS#1 v1.5 with {h}"),
            SignatureScheme::RsaPss(h) => write!(f, "RSASSA-PSS with {h}"),
            SignatureScheme::Ecdsa(h) => write!(f, "ECDSA with {h}"),
        }
    }
}

fn hash_oid(h: HashAlg) -> ObjectIdentifier {
    match h {
        HashAlg::Sha1 => ID_SHA_1,
        HashAlg::Sha256 => ID_SHA_256,
        HashAlg::Sha384 => ID_SHA_384,
        HashAlg::Sha512 => ID_SHA_512,
    }
}

fn hash_of_oid(oid: ObjectIdentifier) -> Option<HashAlg> {
    [
        HashAlg::Sha1,
        HashAlg::Sha256,
        HashAlg::Sha384,
        HashAlg::Sha512,
    ]
    .into_iter()
    .find(|h| hash_oid(*h) == oid)
}

const RSA_PKCS1: [(HashAlg, ObjectIdentifier); 4] = [
    (HashAlg::Sha1, SHA_1_WITH_RSA_ENCRYPTION),
    (HashAlg::Sha256, SHA_256_WITH_RSA_ENCRYPTION),
    (HashAlg::Sha384, SHA_384_WITH_RSA_ENCRYPTION),
    (HashAlg::Sha512, SHA_512_WITH_RSA_ENCRYPTION),
];
const ECDSA: [(HashAlg, ObjectIdentifier); 4] = [
    (HashAlg::Sha1, ECDSA_WITH_SHA_1),
    (HashAlg::Sha256, ECDSA_WITH_SHA_256),
    (HashAlg::Sha384, ECDSA_WITH_SHA_384),
    (HashAlg::Sha512, ECDSA_WITH_SHA_512),
];

impl SignatureScheme {
    pub fn hash(self) -> HashAlg {
        match self {
            SignatureScheme::RsaPkcs1(h)
            | SignatureScheme::RsaPss(h)
            | SignatureScheme::Ecdsa(h) => h,
        }
    }

    /// The DER AlgorithmIdentifier (RFC 7427 Appendix A; RFC 4055 for PSS). The PKCS#1
    /// forms carry a NULL parameter, the ECDSA forms none (RFC 5758 3.2).
    pub fn algorithm_identifier(self) -> Vec<u8> {
        let (oid, params): (ObjectIdentifier, Option<Vec<u8>>) = match self {
            SignatureScheme::RsaPkcs1(h) => (lookup(&RSA_PKCS1, h), Some(vec![0x05, 0x00])),
            SignatureScheme::Ecdsa(h) => (lookup(&ECDSA, h), None),
            SignatureScheme::RsaPss(h) => (ID_RSASSA_PSS, Some(pss_params(h))),
        };
        let oid_der = oid.to_der().unwrap_or_default();
        let mut body = oid_der;
        if let Some(p) = params {
            body.extend_from_slice(&p);
        }
        let mut out = vec![0x30];
        push_len(&mut out, body.len());
        out.extend_from_slice(&body);
        out
    }

    /// The scheme an AlgorithmIdentifier names, or why it is not one tunsec verifies.
    pub fn from_algorithm_identifier(der: &[u8]) -> Result<Self, SigError> {
        let ai = AlgorithmIdentifierRef::from_der(der).map_err(|_| SigError::Malformed)?;
        if let Some((h, _)) = RSA_PKCS1.iter().find(|(_, o)| *o == ai.oid) {
            return Ok(SignatureScheme::RsaPkcs1(*h));
        }
        if let Some((h, _)) = ECDSA.iter().find(|(_, o)| *o == ai.oid) {
            return Ok(SignatureScheme::Ecdsa(*h));
        }
        if ai.oid == ID_RSASSA_PSS {
            let params = ai.parameters.ok_or(SigError::Malformed)?;
            let params_der = params.to_der().map_err(|_| SigError::Malformed)?;
            let pss = RsaPssParams::<der::Any>::try_from(params_der.as_slice())
                .map_err(|_| SigError::Malformed)?;
            let hash = hash_of_oid(pss.hash.oid).ok_or_else(|| {
                SigError::Unsupported(format!("RSASSA-PSS hash {}", pss.hash.oid))
            })?;
            let mgf_hash = pss
                .mask_gen
                .parameters
                .as_ref()
                .and_then(|p| hash_of_oid(p.oid));
            // One hash for the message and MGF1, salt as long as the hash: what RFC 7427 and
            // every IKE implementation uses; other combinations are refused, not guessed.
            if mgf_hash != Some(hash) || usize::from(pss.salt_len) != hash.output_len() {
                return Err(SigError::Unsupported(
                    "RSASSA-PSS parameters other than MGF1 with the same hash and a hash-sized salt".into(),
                ));
            }
            return Ok(SignatureScheme::RsaPss(hash));
        }
        Err(SigError::Unsupported(ai.oid.to_string()))
    }

    fn fits(self, key: &PublicKey) -> bool {
        matches!(
            (self, key),
            (
                SignatureScheme::RsaPkcs1(_) | SignatureScheme::RsaPss(_),
                PublicKey::Rsa(_)
            ) | (
                SignatureScheme::Ecdsa(_),
                PublicKey::P256(_) | PublicKey::P384(_) | PublicKey::P521(_)
            )
        )
    }

    fn mismatch(self, key: &PublicKey) -> SigError {
        SigError::KeyMismatch {
            scheme: self.to_string(),
            key: key.describe(),
        }
    }
}

fn lookup(table: &[(HashAlg, ObjectIdentifier)], h: HashAlg) -> ObjectIdentifier {
    table
        .iter()
        .find(|(x, _)| *x == h)
        .map_or(table[0].1, |(_, o)| *o)
}

/// RSASSA-PSS-params for `h`: hash, MGF1(h), saltLength = |h|; trailerField left default.
fn pss_params(h: HashAlg) -> Vec<u8> {
    let hash_ai = |h: HashAlg| {
        let mut b = hash_oid(h).to_der().unwrap_or_default();
        b.extend_from_slice(&[0x05, 0x00]);
        wrap(0x30, &b)
    };
    let mut mgf = const_oid::db::rfc5912::ID_MGF_1
        .to_der()
        .unwrap_or_default();
    mgf.extend_from_slice(&hash_ai(h));
    let salt = u8::try_from(h.output_len()).unwrap_or(32);
    let mut body = wrap(0xa0, &hash_ai(h));
    body.extend_from_slice(&wrap(0xa1, &wrap(0x30, &mgf)));
    body.extend_from_slice(&wrap(0xa2, &[0x02, 0x01, salt]));
    wrap(0x30, &body)
}

/// A DER element: `tag`, definite length, `body` (short bodies only: under 64 KiB).
pub(crate) fn wrap(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_len(&mut out, body.len());
    out.extend_from_slice(body);
    out
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.push(0x82);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    }
}

macro_rules! with_digest {
    ($h:expr, $D:ident => $body:expr) => {
        match $h {
            HashAlg::Sha1 => {
                type $D = sha1::Sha1;
                $body
            }
            HashAlg::Sha256 => {
                type $D = sha2::Sha256;
                $body
            }
            HashAlg::Sha384 => {
                type $D = sha2::Sha384;
                $body
            }
            HashAlg::Sha512 => {
                type $D = sha2::Sha512;
                $body
            }
        }
    };
}

/// An ECDSA signature of `$curve` from DER or from the fixed r|s form (which must be
/// exactly two field elements long).
macro_rules! ecdsa_in {
    ($curve:ident, $format:expr, $bytes:expr, $c:expr) => {
        match $format {
            EcdsaFormat::Der => {
                $curve::ecdsa::Signature::from_der($bytes).map_err(|_| SigError::Malformed)?
            }
            EcdsaFormat::Fixed if $bytes.len() == 2 * $c.field_len() => {
                $curve::ecdsa::Signature::from_slice($bytes).map_err(|_| SigError::Malformed)?
            }
            EcdsaFormat::Fixed => return Err(SigError::Malformed),
        }
    };
}

/// Signs `message` with `key`; ECDSA signatures in `format`.
pub fn sign(
    key: &PrivateKey,
    scheme: SignatureScheme,
    format: EcdsaFormat,
    message: &[u8],
) -> Result<Vec<u8>, SigError> {
    let public = key.public_key();
    if !scheme.fits(&public) {
        return Err(scheme.mismatch(&public));
    }
    let digest = scheme.hash().digest(message);
    let fail = |e: signature::Error| SigError::Signing(e.to_string());
    let rsa_fail = |e: rsa::Error| SigError::Signing(e.to_string());
    match (key, scheme) {
        (PrivateKey::Rsa(k), SignatureScheme::RsaPkcs1(h)) => with_digest!(h, D => {
            k.sign(rsa::Pkcs1v15Sign::new::<D>(), &digest).map_err(rsa_fail)
        }),
        (PrivateKey::Rsa(k), SignatureScheme::RsaPss(h)) => with_digest!(h, D => {
            k.sign_with_rng(&mut getrandom::SysRng, rsa::pss::Pss::<D>::new(), &digest).map_err(rsa_fail)
        }),
        (PrivateKey::P256(k), _) => {
            let s: p256::ecdsa::Signature = k.sign_prehash(&digest).map_err(fail)?;
            Ok(ecdsa_out(format, s.to_der().as_bytes(), &s.to_bytes()))
        }
        (PrivateKey::P384(k), _) => {
            let s: p384::ecdsa::Signature = k.sign_prehash(&digest).map_err(fail)?;
            Ok(ecdsa_out(format, s.to_der().as_bytes(), &s.to_bytes()))
        }
        (PrivateKey::P521(k), _) => {
            let s: p521::ecdsa::Signature = k.sign_prehash(&digest).map_err(fail)?;
            Ok(ecdsa_out(format, s.to_der().as_bytes(), &s.to_bytes()))
        }
        _ => Err(scheme.mismatch(&public)),
    }
}

fn ecdsa_out(format: EcdsaFormat, der: &[u8], fixed: &[u8]) -> Vec<u8> {
    match format {
        EcdsaFormat::Der => der.to_vec(),
        EcdsaFormat::Fixed => fixed.to_vec(),
    }
}

/// Checks `signature` over `message`.
pub fn verify(
    key: &PublicKey,
    scheme: SignatureScheme,
    format: EcdsaFormat,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SigError> {
    if !scheme.fits(key) {
        return Err(scheme.mismatch(key));
    }
    let digest = scheme.hash().digest(message);
    match (key, scheme) {
        (PublicKey::Rsa(k), SignatureScheme::RsaPkcs1(h)) => with_digest!(h, D => {
            k.verify(rsa::Pkcs1v15Sign::new::<D>(), &digest, signature).map_err(|_| SigError::Invalid)
        }),
        (PublicKey::Rsa(k), SignatureScheme::RsaPss(h)) => with_digest!(h, D => {
            k.verify(rsa::pss::Pss::<D>::new(), &digest, signature).map_err(|_| SigError::Invalid)
        }),
        (PublicKey::P256(k), _) => {
            let s = ecdsa_in!(p256, format, signature, Curve::P256);
            k.verify_prehash(&digest, &s).map_err(|_| SigError::Invalid)
        }
        (PublicKey::P384(k), _) => {
            let s = ecdsa_in!(p384, format, signature, Curve::P384);
            k.verify_prehash(&digest, &s).map_err(|_| SigError::Invalid)
        }
        (PublicKey::P521(k), _) => {
            let s = ecdsa_in!(p521, format, signature, Curve::P521);
            k.verify_prehash(&digest, &s).map_err(|_| SigError::Invalid)
        }
        _ => Err(scheme.mismatch(key)),
    }
}
