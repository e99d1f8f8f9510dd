//! AUTH payloads that carry signatures: RSA with SHA-1 (method 1, RFC 7296 3.8), ECDSA with
//! the curve's hash (methods 9-11, RFC 4754) and the Digital Signature method (14, RFC 7427)
//! whose data is `len | AlgorithmIdentifier | signature`. Which one is sent follows what the
//! peer announced in SIGNATURE_HASH_ALGORITHMS.

use super::super::wire::{AuthMethod, Authentication};
use super::hash::HashAlg;
use super::keys::{Curve, PrivateKey, PublicKey};
use super::sig::{self, EcdsaFormat, SigError, SignatureScheme};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthBuildError {
    #[error("no signature method fits a {key} key and the peer's hashes {peer}")]
    NoCommonMethod { key: String, peer: String },
    #[error(transparent)]
    Signature(#[from] SigError),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthVerifyError {
    #[error("AUTH method {0} is not a signature method tunsec verifies")]
    UnsupportedMethod(u8),
    #[error("AUTH method {method} does not fit the peer's {key} key")]
    MethodKeyMismatch { method: u8, key: String },
    #[error("AUTH signature algorithm {0} is not supported")]
    UnsupportedAlgorithm(String),
    #[error("AUTH data is malformed")]
    Malformed,
    #[error("AUTH uses {0}, which tunsec did not announce in SIGNATURE_HASH_ALGORITHMS")]
    HashNotAnnounced(HashAlg),
    #[error("{scheme}: {error}")]
    Signature {
        scheme: SignatureScheme,
        error: SigError,
    },
}

/// The hash RFC 4754 ties to each curve, which is also the one we prefer under RFC 7427.
fn curve_hash(c: Curve) -> HashAlg {
    match c {
        Curve::P256 => HashAlg::Sha256,
        Curve::P384 => HashAlg::Sha384,
        Curve::P521 => HashAlg::Sha512,
    }
}

fn curve_method(c: Curve) -> AuthMethod {
    match c {
        Curve::P256 => AuthMethod::ECDSA_256,
        Curve::P384 => AuthMethod::ECDSA_384,
        Curve::P521 => AuthMethod::ECDSA_521,
    }
}

/// The RFC 7427 scheme for `key` given the hashes the peer accepts: for ECDSA the curve's
/// own hash when offered, then the others (a hash shorter than half the field is unusable:
/// ECDSA would have to pad it); for RSA SHA-256, SHA-384, SHA-512 in that order.
fn digital_signature_scheme(key: &PublicKey, peer: &[HashAlg]) -> Option<SignatureScheme> {
    match key.curve() {
        Some(c) => {
            let natural = curve_hash(c);
            let order = [natural, HashAlg::Sha512, HashAlg::Sha384, HashAlg::Sha256];
            order
                .into_iter()
                .filter(|h| 2 * h.output_len() >= c.field_len())
                .find(|h| peer.contains(h))
                .map(SignatureScheme::Ecdsa)
        }
        None => [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512]
            .into_iter()
            .find(|h| peer.contains(h))
            .map(SignatureScheme::RsaPkcs1),
    }
}

/// Signs `octets` (RFC 7296 2.15) as an AUTH payload. `peer_hashes` is the peer's
/// SIGNATURE_HASH_ALGORITHMS list, `None` when it sent none.
pub fn build_auth(
    key: &PrivateKey,
    peer_hashes: Option<&[HashAlg]>,
    octets: &[u8],
) -> Result<Authentication, AuthBuildError> {
    let public = key.public_key();
    if let Some(scheme) = peer_hashes.and_then(|p| digital_signature_scheme(&public, p)) {
        let signature = sig::sign(key, scheme, EcdsaFormat::Der, octets)?;
        let ai = scheme.algorithm_identifier();
        let mut data = Vec::with_capacity(1 + ai.len() + signature.len());
        // The AlgorithmIdentifier is at most a few dozen bytes: its length fits the octet.
        data.push(u8::try_from(ai.len()).unwrap_or(u8::MAX));
        data.extend_from_slice(&ai);
        data.extend_from_slice(&signature);
        return Ok(Authentication {
            method: AuthMethod::DIGITAL_SIGNATURE,
            data,
        });
    }
    // No RFC 7427 from the peer, or none of its hashes fits the key: the fixed methods,
    // which an IKEv2 implementation accepts for its key type.
    let (method, scheme, format) = match public.curve() {
        None => (
            AuthMethod::RSA_SIG,
            SignatureScheme::RsaPkcs1(HashAlg::Sha1),
            EcdsaFormat::Der,
        ),
        Some(c) => (
            curve_method(c),
            SignatureScheme::Ecdsa(curve_hash(c)),
            EcdsaFormat::Fixed,
        ),
    };
    let data = sig::sign(key, scheme, format, octets)?;
    Ok(Authentication { method, data })
}

/// Checks a signature AUTH payload over `octets` with the peer's public key. RFC 7427
/// signatures must use a hash we announced. Returns the scheme, for the log.
pub fn verify_auth(
    key: &PublicKey,
    auth: &Authentication,
    octets: &[u8],
    announced: &[HashAlg],
) -> Result<SignatureScheme, AuthVerifyError> {
    let mismatch = || AuthVerifyError::MethodKeyMismatch {
        method: auth.method.0,
        key: key.describe(),
    };
    let (scheme, format, signature) = match auth.method {
        AuthMethod::RSA_SIG => {
            if key.curve().is_some() {
                return Err(mismatch());
            }
            (
                SignatureScheme::RsaPkcs1(HashAlg::Sha1),
                EcdsaFormat::Der,
                &auth.data[..],
            )
        }
        AuthMethod::ECDSA_256 | AuthMethod::ECDSA_384 | AuthMethod::ECDSA_521 => {
            let Some(c) = key.curve() else {
                return Err(mismatch());
            };
            if curve_method(c) != auth.method {
                return Err(mismatch());
            }
            (
                SignatureScheme::Ecdsa(curve_hash(c)),
                EcdsaFormat::Fixed,
                &auth.data[..],
            )
        }
        AuthMethod::DIGITAL_SIGNATURE => {
            let (&len, rest) = auth.data.split_first().ok_or(AuthVerifyError::Malformed)?;
            let len = usize::from(len);
            if rest.len() < len {
                return Err(AuthVerifyError::Malformed);
            }
            let (ai, signature) = rest.split_at(len);
            let scheme = SignatureScheme::from_algorithm_identifier(ai).map_err(|e| match e {
                SigError::Unsupported(what) => AuthVerifyError::UnsupportedAlgorithm(what),
                _ => AuthVerifyError::Malformed,
            })?;
            if !announced.contains(&scheme.hash()) {
                return Err(AuthVerifyError::HashNotAnnounced(scheme.hash()));
            }
            (scheme, EcdsaFormat::Der, signature)
        }
        other => return Err(AuthVerifyError::UnsupportedMethod(other.0)),
    };
    sig::verify(key, scheme, format, octets, signature)
        .map_err(|error| AuthVerifyError::Signature { scheme, error })?;
    Ok(scheme)
}
