//! Certificate path validation (RFC 5280 6.1, the parts IKE peers rely on): from the peer's
//! end-entity certificate through the intermediates it sent up to one of our trusted CAs,
//! checking names, signatures, validity, basicConstraints, keyUsage, extKeyUsage and
//! unknown critical extensions. No revocation (no CRL or OCSP fetches).

use std::time::SystemTime;

use x509_cert::ext::pkix::KeyUsages;

use super::cert::Cert;
use super::sig::{self, EcdsaFormat, SignatureScheme};

/// The longest chain followed (end entity, intermediates, anchor).
const MAX_DEPTH: usize = 8;

/// Why a certificate is not trusted; each message names the certificate by its subject.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    #[error("certificate {subject} expired on {not_after}")]
    Expired { subject: String, not_after: String },
    #[error("certificate {subject} is not valid before {not_before}")]
    NotYetValid { subject: String, not_before: String },
    #[error("issuer {issuer} is not a trusted CA")]
    UntrustedIssuer { issuer: String },
    #[error("signature of {subject} does not verify with the key of its issuer {issuer}")]
    BadSignature { subject: String, issuer: String },
    #[error("signature of {subject} uses {why}")]
    UnsupportedSignature { subject: String, why: String },
    #[error("issuer {subject} is not a CA (basicConstraints cA is not set)")]
    NotCa { subject: String },
    #[error("issuer {subject} may not sign certificates (keyUsage lacks keyCertSign)")]
    NoCertSign { subject: String },
    #[error("issuer {subject} allows {allowed} intermediate CAs below it, the chain has {used}")]
    PathLength {
        subject: String,
        allowed: u8,
        used: usize,
    },
    #[error("certificate {subject} may not sign (keyUsage lacks digitalSignature)")]
    NoDigitalSignature { subject: String },
    #[error("certificate {subject} is not for IKE (extKeyUsage)")]
    ExtKeyUsage { subject: String },
    #[error("certificate {subject} has an unknown critical extension {oid}")]
    UnknownCritical { subject: String, oid: String },
    #[error("chain from {subject} is longer than {MAX_DEPTH} certificates")]
    TooLong { subject: String },
}

fn show_time(t: SystemTime) -> String {
    match x509_cert::time::Time::try_from(t) {
        Ok(t) => t.to_date_time().to_string(),
        Err(_) => format!("{t:?}"),
    }
}

/// Validity and critical extensions, which every certificate on the path must pass.
fn check_common(c: &Cert, now: SystemTime) -> Result<(), ChainError> {
    if now > c.not_after() {
        return Err(ChainError::Expired {
            subject: c.subject(),
            not_after: show_time(c.not_after()),
        });
    }
    if now < c.not_before() {
        return Err(ChainError::NotYetValid {
            subject: c.subject(),
            not_before: show_time(c.not_before()),
        });
    }
    if let Some(oid) = c.unknown_critical_extensions().first() {
        return Err(ChainError::UnknownCritical {
            subject: c.subject(),
            oid: oid.clone(),
        });
    }
    Ok(())
}

/// What an issuing certificate must be; `below` counts the intermediate CAs under it.
fn check_issuer(ca: &Cert, below: usize) -> Result<(), ChainError> {
    if !ca.is_ca() {
        return Err(ChainError::NotCa {
            subject: ca.subject(),
        });
    }
    if !ca.key_usage_allows(KeyUsages::KeyCertSign) {
        return Err(ChainError::NoCertSign {
            subject: ca.subject(),
        });
    }
    if let Some(allowed) = ca.path_len()
        && below > usize::from(allowed)
    {
        return Err(ChainError::PathLength {
            subject: ca.subject(),
            allowed,
            used: below,
        });
    }
    Ok(())
}

/// Whether `issuer` signed `child`.
fn signed_by(child: &Cert, issuer: &Cert) -> Result<(), ChainError> {
    let bad = || ChainError::BadSignature {
        subject: child.subject(),
        issuer: issuer.subject(),
    };
    let scheme = SignatureScheme::from_algorithm_identifier(&child.signature_algorithm_der())
        .map_err(|e| ChainError::UnsupportedSignature {
            subject: child.subject(),
            why: e.to_string(),
        })?;
    let key = issuer
        .public_key()
        .map_err(|e| ChainError::UnsupportedSignature {
            subject: child.subject(),
            why: format!("an issuer key tunsec cannot use: {e}"),
        })?;
    let signature = child.signature_bytes().ok_or_else(bad)?;
    sig::verify(&key, scheme, EcdsaFormat::Der, &child.tbs_der(), signature).map_err(|_| bad())
}

/// Whether `issuer` could be `child`'s issuer by name and (if both carry them) key IDs.
fn names_issuer(child: &Cert, issuer: &Cert) -> bool {
    if child.issuer_der() != issuer.subject_der() {
        return false;
    }
    match (child.authority_key_id(), issuer.subject_key_id()) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    }
}

/// Validates `leaf` against `trusted` CAs, using `intermediates` as needed. Returns the path
/// from the leaf to the anchor.
pub fn verify_chain<'a>(
    leaf: &'a Cert,
    intermediates: &'a [Cert],
    trusted: &'a [Cert],
    now: SystemTime,
) -> Result<Vec<&'a Cert>, ChainError> {
    check_common(leaf, now)?;
    if !leaf.key_usage_allows(KeyUsages::DigitalSignature)
        && !leaf.key_usage_allows(KeyUsages::NonRepudiation)
    {
        return Err(ChainError::NoDigitalSignature {
            subject: leaf.subject(),
        });
    }
    if !leaf.eku_allows_ike() {
        return Err(ChainError::ExtKeyUsage {
            subject: leaf.subject(),
        });
    }
    let mut path = vec![leaf];
    // A trusted certificate presented as is (a self-signed peer certificate imported as
    // trusted) needs no issuer.
    if trusted.iter().any(|t| t == leaf) {
        return Ok(path);
    }
    loop {
        let current = path[path.len() - 1];
        if path.len() > MAX_DEPTH {
            return Err(ChainError::TooLong {
                subject: leaf.subject(),
            });
        }
        let below = path.len() - 1;
        // A trusted CA of the right name ends the path; if its signature fails, that is the
        // answer (rather than "untrusted"), since the name matched.
        let mut signature_error = None;
        for anchor in trusted.iter().filter(|t| names_issuer(current, t)) {
            match signed_by(current, anchor) {
                Ok(()) => {
                    check_common(anchor, now)?;
                    check_issuer(anchor, below)?;
                    path.push(anchor);
                    return Ok(path);
                }
                Err(e) => signature_error = Some(e),
            }
        }
        let next = intermediates
            .iter()
            .filter(|i| !path.contains(i) && names_issuer(current, i))
            .find(|i| signed_by(current, i).is_ok());
        match next {
            Some(ca) => {
                check_common(ca, now)?;
                check_issuer(ca, below)?;
                path.push(ca);
            }
            None => {
                return Err(
                    signature_error.unwrap_or_else(|| ChainError::UntrustedIssuer {
                        issuer: current.issuer(),
                    }),
                );
            }
        }
    }
}
