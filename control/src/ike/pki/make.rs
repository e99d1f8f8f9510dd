//! Making certificates without OpenSSL, for `tunsec cert` (test CAs, gateway certificates,
//! expired or foreign ones for negative tests): a TBSCertificate assembled from x509-cert's
//! types, signed with the same code that signs IKE AUTH payloads, and parsed back before it
//! is returned.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use der::Encode;
use der::asn1::{Ia5String, OctetString};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use const_oid::AssociatedOid;

use super::cert::Cert;
use super::hash::HashAlg;
use super::keys::{Curve, PrivateKey, PublicKey};
use super::sig::{self, EcdsaFormat, SignatureScheme, wrap};

#[derive(Debug, thiserror::Error)]
pub enum MakeError {
    #[error("subject {0:?} is not a distinguished name (RFC 4514, e.g. CN=gw,O=example)")]
    Subject(String),
    #[error("subjectAltName {0:?} is not dns:NAME, email:USER@DOMAIN or ip:ADDRESS")]
    AltName(String),
    #[error("validity: {0}")]
    Validity(String),
    #[error("encoding: {0}")]
    Encoding(String),
    #[error("signing: {0}")]
    Signing(String),
}

/// What to put in a certificate.
pub struct Template {
    /// RFC 4514 text; a bare name is taken as the common name.
    pub subject: String,
    /// `dns:NAME`, `email:USER@DOMAIN`, `ip:ADDRESS` (a bare name is a DNS name).
    pub alt_names: Vec<String>,
    pub is_ca: bool,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
}

impl Template {
    /// Valid from `backdate` ago for `days` days from then.
    pub fn validity(days: u64, backdate_days: u64) -> (SystemTime, SystemTime) {
        let day = Duration::from_secs(86_400);
        let start = SystemTime::now() - day * u32::try_from(backdate_days).unwrap_or(0);
        (start, start + day * u32::try_from(days).unwrap_or(1))
    }
}

fn der_err(e: der::Error) -> MakeError {
    MakeError::Encoding(e.to_string())
}

fn parse_subject(s: &str) -> Result<Name, MakeError> {
    let text = if s.contains('=') {
        s.to_owned()
    } else {
        format!("CN={s}")
    };
    text.parse::<Name>()
        .map_err(|_| MakeError::Subject(s.to_owned()))
}

fn parse_alt_name(s: &str) -> Result<GeneralName, MakeError> {
    let bad = || MakeError::AltName(s.to_owned());
    let (kind, value) = s.split_once(':').unwrap_or(("dns", s));
    Ok(match kind {
        "dns" | "fqdn" => GeneralName::DnsName(Ia5String::new(value).map_err(|_| bad())?),
        "email" | "user-fqdn" => GeneralName::Rfc822Name(Ia5String::new(value).map_err(|_| bad())?),
        "ip" | "address" => GeneralName::from(value.parse::<IpAddr>().map_err(|_| bad())?),
        _ => return Err(bad()),
    })
}

/// The scheme a key signs certificates with: SHA-256 for RSA, the curve's hash for ECDSA.
fn cert_scheme(key: &PrivateKey) -> SignatureScheme {
    match key.public_key().curve() {
        None => SignatureScheme::RsaPkcs1(HashAlg::Sha256),
        Some(Curve::P256) => SignatureScheme::Ecdsa(HashAlg::Sha256),
        Some(Curve::P384) => SignatureScheme::Ecdsa(HashAlg::Sha384),
        Some(Curve::P521) => SignatureScheme::Ecdsa(HashAlg::Sha512),
    }
}

/// Key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1).
fn key_id(key: &PublicKey) -> Result<Vec<u8>, MakeError> {
    let spki_der = key
        .to_spki_der()
        .map_err(|e| MakeError::Encoding(e.to_string()))?;
    let spki = spki::SubjectPublicKeyInfoRef::try_from(spki_der.as_slice())
        .map_err(|e| MakeError::Encoding(e.to_string()))?;
    Ok(HashAlg::Sha1.digest(spki.subject_public_key.raw_bytes()))
}

fn extension(
    oid: const_oid::ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, MakeError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(der_err)?).map_err(der_err)?,
    })
}

fn time(t: SystemTime) -> Result<Time, MakeError> {
    let bad = |e: der::Error| MakeError::Validity(e.to_string());
    let since_epoch = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| MakeError::Validity("before 1970".into()))?;
    // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after.
    let date = der::DateTime::from_unix_duration(Duration::from_secs(since_epoch.as_secs()))
        .map_err(bad)?;
    Ok(if date.year() <= 2049 {
        Time::UtcTime(der::asn1::UtcTime::from_date_time(date).map_err(bad)?)
    } else {
        Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(date))
    })
}

/// A certificate for `subject_key` as `template` says, signed by `issuer` (certificate and
/// key) or self-signed when `issuer` is `None`.
pub fn issue(
    template: &Template,
    subject_key: &PublicKey,
    issuer: Option<(&Cert, &PrivateKey)>,
    self_key: Option<&PrivateKey>,
) -> Result<Cert, MakeError> {
    let subject = parse_subject(&template.subject)?;
    let (issuer_name, signer, issuer_key_id) = match issuer {
        Some((cert, key)) => (
            cert.inner().tbs_certificate().subject().clone(),
            key,
            key_id(&key.public_key())?,
        ),
        None => {
            let key = self_key.ok_or_else(|| {
                MakeError::Signing("a self-signed certificate needs its own private key".into())
            })?;
            (subject.clone(), key, key_id(subject_key)?)
        }
    };
    if template.not_after <= template.not_before {
        return Err(MakeError::Validity("ends before it starts".into()));
    }
    let scheme = cert_scheme(signer);
    let alg = scheme.algorithm_identifier();

    let mut serial = super::super::crypto::random_bytes(16);
    serial[0] &= 0x7f; // positive
    serial[0] |= 0x40; // and no leading zero to strip
    let serial = SerialNumber::<x509_cert::certificate::Rfc5280>::new(&serial).map_err(der_err)?;

    let mut exts = vec![extension(
        BasicConstraints::OID,
        true,
        &BasicConstraints {
            ca: template.is_ca,
            path_len_constraint: None,
        },
    )?];
    let usage = if template.is_ca {
        KeyUsages::KeyCertSign | KeyUsages::CRLSign | KeyUsages::DigitalSignature
    } else {
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    };
    exts.push(extension(KeyUsage::OID, true, &KeyUsage(usage))?);
    exts.push(extension(
        SubjectKeyIdentifier::OID,
        false,
        &SubjectKeyIdentifier(OctetString::new(key_id(subject_key)?).map_err(der_err)?),
    )?);
    exts.push(extension(
        AuthorityKeyIdentifier::OID,
        false,
        &AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(issuer_key_id).map_err(der_err)?),
            ..Default::default()
        },
    )?);
    if !template.alt_names.is_empty() {
        let names = template
            .alt_names
            .iter()
            .map(|s| parse_alt_name(s))
            .collect::<Result<Vec<_>, _>>()?;
        exts.push(extension(
            SubjectAltName::OID,
            false,
            &SubjectAltName(names),
        )?);
    }

    let mut tbs = wrap(0xa0, &[0x02, 0x01, 0x02]); // [0] version v3
    tbs.extend_from_slice(&serial.to_der().map_err(der_err)?);
    tbs.extend_from_slice(&alg);
    tbs.extend_from_slice(&issuer_name.to_der().map_err(der_err)?);
    let validity = Validity::<x509_cert::certificate::Rfc5280>::new(
        time(template.not_before)?,
        time(template.not_after)?,
    );
    tbs.extend_from_slice(&validity.to_der().map_err(der_err)?);
    tbs.extend_from_slice(&subject.to_der().map_err(der_err)?);
    tbs.extend_from_slice(
        &subject_key
            .to_spki_der()
            .map_err(|e| MakeError::Encoding(e.to_string()))?,
    );
    let mut ext_der = Vec::new();
    for e in &exts {
        ext_der.extend_from_slice(&e.to_der().map_err(der_err)?);
    }
    tbs.extend_from_slice(&wrap(0xa3, &wrap(0x30, &ext_der)));
    let tbs = wrap(0x30, &tbs);

    let signature = sig::sign(signer, scheme, EcdsaFormat::Der, &tbs)
        .map_err(|e| MakeError::Signing(e.to_string()))?;
    let mut bits = vec![0u8]; // no unused bits
    bits.extend_from_slice(&signature);
    let mut body = tbs;
    body.extend_from_slice(&alg);
    body.extend_from_slice(&wrap(0x03, &bits));
    let der = wrap(0x30, &body);
    Cert::from_der(&der).map_err(|e| MakeError::Encoding(e.to_string()))
}
