//! One X.509 certificate (RFC 5280) as IKE uses it: its DER (what a CERT payload carries),
//! names, public key, validity and the extensions path validation and identity checks read.

use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use const_oid::AssociatedOid;
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};

use super::hash::HashAlg;
use super::keys::{KeyError, PublicKey};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertError {
    #[error("not an X.509 certificate: {0}")]
    Malformed(String),
    #[error("X.509 version 1 or 2 certificate (only v3 is accepted)")]
    NotV3,
    #[error("extension {0} is malformed")]
    BadExtension(&'static str),
}

/// A subjectAltName entry tunsec can match an IKE identity against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AltName {
    Dns(String),
    Email(String),
    Ip(IpAddr),
    /// A directoryName, DER.
    Dn(Vec<u8>),
}

/// A parsed certificate and the extensions read from it once.
#[derive(Clone)]
pub struct Cert {
    der: Vec<u8>,
    parsed: Certificate,
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<Vec<const_oid::ObjectIdentifier>>,
    alt_names: Vec<AltName>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    /// OIDs of critical extensions this code does not process (RFC 5280 4.2: such a
    /// certificate must be refused).
    unknown_critical: Vec<String>,
}

/// The extensions processed here; any other critical one fails validation.
const PROCESSED: [const_oid::ObjectIdentifier; 6] = [
    BasicConstraints::OID,
    KeyUsage::OID,
    ExtendedKeyUsage::OID,
    SubjectAltName::OID,
    SubjectKeyIdentifier::OID,
    AuthorityKeyIdentifier::OID,
];

impl Cert {
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let parsed = Certificate::from_der(der).map_err(|e| CertError::Malformed(e.to_string()))?;
        let tbs = parsed.tbs_certificate();
        if tbs.version() != x509_cert::certificate::Version::V3 {
            return Err(CertError::NotV3);
        }
        let bad = |what| move |_| CertError::BadExtension(what);
        let basic_constraints = tbs
            .get_extension::<BasicConstraints>()
            .map_err(bad("basicConstraints"))?
            .map(|(_, e)| e);
        let key_usage = tbs
            .get_extension::<KeyUsage>()
            .map_err(bad("keyUsage"))?
            .map(|(_, e)| e);
        let extended_key_usage = tbs
            .get_extension::<ExtendedKeyUsage>()
            .map_err(bad("extKeyUsage"))?
            .map(|(_, e)| e.0);
        let san = tbs
            .get_extension::<SubjectAltName>()
            .map_err(bad("subjectAltName"))?
            .map(|(_, e)| e.0)
            .unwrap_or_default();
        let mut alt_names = Vec::new();
        for name in san {
            match name {
                GeneralName::DnsName(s) => alt_names.push(AltName::Dns(s.to_string())),
                GeneralName::Rfc822Name(s) => alt_names.push(AltName::Email(s.to_string())),
                GeneralName::IpAddress(o) => {
                    let b = o.as_bytes();
                    if let Ok(a) = <[u8; 4]>::try_from(b) {
                        alt_names.push(AltName::Ip(IpAddr::from(a)));
                    } else if let Ok(a) = <[u8; 16]>::try_from(b) {
                        alt_names.push(AltName::Ip(IpAddr::from(a)));
                    }
                }
                GeneralName::DirectoryName(n) => {
                    if let Ok(d) = n.to_der() {
                        alt_names.push(AltName::Dn(d));
                    }
                }
                _ => {}
            }
        }
        let subject_key_id = tbs
            .get_extension::<SubjectKeyIdentifier>()
            .map_err(bad("subjectKeyIdentifier"))?
            .map(|(_, e)| e.0.as_bytes().to_vec());
        let authority_key_id = tbs
            .get_extension::<AuthorityKeyIdentifier>()
            .map_err(bad("authorityKeyIdentifier"))?
            .and_then(|(_, e)| e.key_identifier.map(|k| k.as_bytes().to_vec()));
        let unknown_critical = tbs
            .extensions()
            .map(|exts| {
                exts.iter()
                    .filter(|e| e.critical && !PROCESSED.contains(&e.extn_id))
                    .map(|e| e.extn_id.to_string())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Cert {
            der: der.to_vec(),
            parsed,
            basic_constraints,
            key_usage,
            extended_key_usage,
            alt_names,
            subject_key_id,
            authority_key_id,
            unknown_critical,
        })
    }

    /// What a CERT payload with encoding 4 carries.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn inner(&self) -> &Certificate {
        &self.parsed
    }

    /// The subject as DER: the data of an ID_DER_ASN1_DN identity.
    pub fn subject_der(&self) -> Vec<u8> {
        self.parsed
            .tbs_certificate()
            .subject()
            .to_der()
            .unwrap_or_default()
    }

    pub fn issuer_der(&self) -> Vec<u8> {
        self.parsed
            .tbs_certificate()
            .issuer()
            .to_der()
            .unwrap_or_default()
    }

    /// RFC 4514 text, for logs ("CN=gw-a,O=tunsec").
    pub fn subject(&self) -> String {
        self.parsed.tbs_certificate().subject().to_string()
    }

    pub fn issuer(&self) -> String {
        self.parsed.tbs_certificate().issuer().to_string()
    }

    pub fn spki_der(&self) -> Vec<u8> {
        self.parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .unwrap_or_default()
    }

    /// SHA-1 of the SubjectPublicKeyInfo: how a CERTREQ names a CA (RFC 7296 3.7).
    pub fn spki_sha1(&self) -> Vec<u8> {
        HashAlg::Sha1.digest(&self.spki_der())
    }

    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        PublicKey::from_spki_der(&self.spki_der())
    }

    pub fn not_before(&self) -> SystemTime {
        self.parsed
            .tbs_certificate()
            .validity()
            .not_before
            .to_system_time()
    }

    pub fn not_after(&self) -> SystemTime {
        self.parsed
            .tbs_certificate()
            .validity()
            .not_after
            .to_system_time()
    }

    /// basicConstraints cA, and the pathLenConstraint.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.as_ref().is_some_and(|b| b.ca)
    }

    pub fn path_len(&self) -> Option<u8> {
        self.basic_constraints
            .as_ref()
            .and_then(|b| b.path_len_constraint)
    }

    /// Whether keyUsage allows `usage` (no keyUsage extension allows all).
    pub fn key_usage_allows(&self, usage: KeyUsages) -> bool {
        self.key_usage.as_ref().is_none_or(|k| k.0.contains(usage))
    }

    /// Whether extKeyUsage (if present) allows IKE: RFC 4945 5.1.3.12 lets anyExtendedKeyUsage,
    /// id-kp-ipsecIKE and serverAuth/clientAuth (what most CAs issue, strongSwan too) through.
    pub fn eku_allows_ike(&self) -> bool {
        const ANY: &str = "2.5.29.37.0";
        const IPSEC_IKE: &str = "1.3.6.1.5.5.7.3.17";
        const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
        const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
        self.extended_key_usage.as_ref().is_none_or(|ekus| {
            ekus.iter().any(|o| {
                let s = o.to_string();
                [ANY, IPSEC_IKE, SERVER_AUTH, CLIENT_AUTH].contains(&s.as_str())
            })
        })
    }

    pub fn alt_names(&self) -> &[AltName] {
        &self.alt_names
    }

    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.subject_key_id.as_deref()
    }

    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    pub fn unknown_critical_extensions(&self) -> &[String] {
        &self.unknown_critical
    }

    /// The signed part and the signature over it.
    pub fn tbs_der(&self) -> Vec<u8> {
        self.parsed.tbs_certificate().to_der().unwrap_or_default()
    }

    pub fn signature_algorithm_der(&self) -> Vec<u8> {
        self.parsed
            .signature_algorithm()
            .to_der()
            .unwrap_or_default()
    }

    pub fn signature_bytes(&self) -> Option<&[u8]> {
        self.parsed.signature().as_bytes()
    }

    pub fn fingerprint(&self) -> String {
        hex::encode(HashAlg::Sha256.digest(&self.der))
    }
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl fmt::Debug for Cert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cert({}, sha256 {})", self.subject(), self.fingerprint())
    }
}
