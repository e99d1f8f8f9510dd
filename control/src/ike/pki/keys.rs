//! Private and public keys for IKE signatures: RSA and ECDSA on P-256, P-384 and P-521, read
//! from PKCS#8, PKCS#1 (RSA) and SEC1 (EC) DER, and from SubjectPublicKeyInfo. The private
//! keys are the RustCrypto types, which zeroize their secrets on drop.

use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1, SECP_521_R_1,
};
use der::{Decode, Encode};
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use spki::{DecodePublicKey, EncodePublicKey, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

/// Why a key could not be read or made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a key tunsec understands: {0}")]
    Malformed(String),
    #[error("unsupported key algorithm {0} (accepted: RSA, ECDSA on P-256, P-384, P-521)")]
    UnsupportedAlgorithm(String),
    #[error("RSA key of {0} bits is outside 1024..=8192")]
    RsaSize(usize),
    #[error("key generation failed: {0}")]
    Generate(String),
}

/// An elliptic curve tunsec signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Curve::P256 => SECP_256_R_1,
            Curve::P384 => SECP_384_R_1,
            Curve::P521 => SECP_521_R_1,
        }
    }

    fn from_oid(oid: ObjectIdentifier) -> Option<Self> {
        [Curve::P256, Curve::P384, Curve::P521]
            .into_iter()
            .find(|c| c.oid() == oid)
    }

    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// Bytes of one coordinate or scalar (r and s in RFC 4754's r|s form).
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// A private signing key. Debug shows the kind of key only.
pub enum PrivateKey {
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// A public verification key.
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    Rsa(rsa::PublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

fn malformed(e: impl fmt::Display) -> KeyError {
    KeyError::Malformed(e.to_string())
}

fn check_rsa_size(bits: usize) -> Result<(), KeyError> {
    if (1024..=8192).contains(&bits) {
        Ok(())
    } else {
        Err(KeyError::RsaSize(bits))
    }
}

impl PrivateKey {
    /// A PKCS#8 PrivateKeyInfo ("PRIVATE KEY").
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(malformed)?;
        let oid = info.algorithm.oid;
        if oid == RSA_ENCRYPTION {
            let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(malformed)?;
            check_rsa_size(key.size() * 8)?;
            return Ok(PrivateKey::Rsa(Box::new(key)));
        }
        if oid != ID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedAlgorithm(oid.to_string()));
        }
        let curve = info
            .algorithm
            .parameters_oid()
            .ok()
            .and_then(Curve::from_oid)
            .ok_or_else(|| {
                KeyError::UnsupportedAlgorithm("EC key on an unnamed or unsupported curve".into())
            })?;
        Ok(match curve {
            Curve::P256 => {
                PrivateKey::P256(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(malformed)?)
            }
            Curve::P384 => {
                PrivateKey::P384(p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(malformed)?)
            }
            Curve::P521 => {
                PrivateKey::P521(p521::ecdsa::SigningKey::from_pkcs8_der(der).map_err(malformed)?)
            }
        })
    }

    /// A PKCS#1 RSAPrivateKey ("RSA PRIVATE KEY").
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = rsa::PrivateKey::from_pkcs1_der(der).map_err(malformed)?;
        check_rsa_size(key.size() * 8)?;
        Ok(PrivateKey::Rsa(Box::new(key)))
    }

    /// A SEC1 ECPrivateKey ("EC PRIVATE KEY"); the curve comes from its parameters.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let parsed = sec1_curve(der)?;
        Ok(match parsed {
            Curve::P256 => PrivateKey::P256(
                p256::SecretKey::from_sec1_der(der)
                    .map_err(malformed)?
                    .into(),
            ),
            Curve::P384 => PrivateKey::P384(
                p384::SecretKey::from_sec1_der(der)
                    .map_err(malformed)?
                    .into(),
            ),
            Curve::P521 => PrivateKey::P521(
                p521::SecretKey::from_sec1_der(der)
                    .map_err(malformed)?
                    .into(),
            ),
        })
    }

    /// A fresh key: `rsa:BITS` or `ecdsa:p256|p384|p521`.
    pub fn generate(spec: KeySpec) -> Result<Self, KeyError> {
        use elliptic_curve::Generate;
        let rng_err = |e: getrandom::Error| KeyError::Generate(e.to_string());
        Ok(match spec {
            KeySpec::Rsa(bits) => {
                check_rsa_size(bits)?;
                let key = rsa::PrivateKey::new(&mut getrandom::SysRng, bits)
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                PrivateKey::Rsa(Box::new(key))
            }
            KeySpec::Ec(Curve::P256) => {
                PrivateKey::P256(p256::ecdsa::SigningKey::try_generate().map_err(rng_err)?)
            }
            KeySpec::Ec(Curve::P384) => {
                PrivateKey::P384(p384::ecdsa::SigningKey::try_generate().map_err(rng_err)?)
            }
            KeySpec::Ec(Curve::P521) => {
                PrivateKey::P521(p521::ecdsa::SigningKey::try_generate().map_err(rng_err)?)
            }
        })
    }

    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa(k.to_public_key()),
            PrivateKey::P256(k) => PublicKey::P256(*k.verifying_key()),
            PrivateKey::P384(k) => PublicKey::P384(*k.verifying_key()),
            PrivateKey::P521(k) => PublicKey::P521(*k.verifying_key()),
        }
    }

    /// PKCS#8 DER, in memory that is wiped when dropped.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = match self {
            PrivateKey::Rsa(k) => k.to_pkcs8_der(),
            PrivateKey::P256(k) => k.to_pkcs8_der(),
            PrivateKey::P384(k) => k.to_pkcs8_der(),
            PrivateKey::P521(k) => k.to_pkcs8_der(),
        }
        .map_err(malformed)?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    pub fn describe(&self) -> String {
        self.public_key().describe()
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, <redacted>)", self.describe())
    }
}

/// The curve named by a SEC1 ECPrivateKey's parameters.
fn sec1_curve(der: &[u8]) -> Result<Curve, KeyError> {
    let key = sec1::EcPrivateKey::from_der(der).map_err(malformed)?;
    let oid = key
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or_else(|| KeyError::UnsupportedAlgorithm("EC key without a named curve".into()))?;
    Curve::from_oid(oid).ok_or_else(|| KeyError::UnsupportedAlgorithm(format!("curve {oid}")))
}

/// What key `tunsec cert` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    Rsa(usize),
    Ec(Curve),
}

impl KeySpec {
    pub const ACCEPTED: &'static str =
        "rsa:2048, rsa:3072, rsa:4096 (any of 1024..=8192), ecdsa:p256, ecdsa:p384, ecdsa:p521";

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ecdsa:p256" | "ecdsa" => Some(KeySpec::Ec(Curve::P256)),
            "ecdsa:p384" => Some(KeySpec::Ec(Curve::P384)),
            "ecdsa:p521" => Some(KeySpec::Ec(Curve::P521)),
            _ => {
                let bits: usize = s.strip_prefix("rsa:")?.parse().ok()?;
                (1024..=8192).contains(&bits).then_some(KeySpec::Rsa(bits))
            }
        }
    }
}

impl PublicKey {
    /// From a DER SubjectPublicKeyInfo ("PUBLIC KEY", and the one inside a certificate).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(malformed)?;
        Self::from_spki(&spki)
    }

    pub fn from_spki(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Self, KeyError> {
        let oid = spki.algorithm.oid;
        if oid == RSA_ENCRYPTION {
            let der = spki.to_der().map_err(malformed)?;
            let key = rsa::PublicKey::from_public_key_der(&der).map_err(malformed)?;
            check_rsa_size(key.size() * 8)?;
            return Ok(PublicKey::Rsa(key));
        }
        if oid != ID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedAlgorithm(oid.to_string()));
        }
        let curve = spki
            .algorithm
            .parameters_oid()
            .ok()
            .and_then(Curve::from_oid)
            .ok_or_else(|| {
                KeyError::UnsupportedAlgorithm("EC key on an unnamed or unsupported curve".into())
            })?;
        let point = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| malformed("public key bit string has unused bits"))?;
        Ok(match curve {
            Curve::P256 => PublicKey::P256(
                p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(malformed)?,
            ),
            Curve::P384 => PublicKey::P384(
                p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(malformed)?,
            ),
            Curve::P521 => PublicKey::P521(
                p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(malformed)?,
            ),
        })
    }

    /// A PKCS#1 RSAPublicKey: the "Raw RSA Key" of a CERT payload (RFC 7296 3.6).
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = rsa::PublicKey::from_pkcs1_der(der).map_err(malformed)?;
        check_rsa_size(key.size() * 8)?;
        Ok(PublicKey::Rsa(key))
    }

    /// The PKCS#1 RSAPublicKey of an RSA key.
    pub fn to_pkcs1_der(&self) -> Option<Vec<u8>> {
        match self {
            PublicKey::Rsa(k) => k.to_pkcs1_der().ok().map(|d| d.as_bytes().to_vec()),
            _ => None,
        }
    }

    pub fn to_spki_der(&self) -> Result<Vec<u8>, KeyError> {
        let doc = match self {
            PublicKey::Rsa(k) => k.to_public_key_der(),
            PublicKey::P256(k) => k.to_public_key_der(),
            PublicKey::P384(k) => k.to_public_key_der(),
            PublicKey::P521(k) => k.to_public_key_der(),
        }
        .map_err(malformed)?;
        Ok(doc.as_bytes().to_vec())
    }

    pub fn curve(&self) -> Option<Curve> {
        match self {
            PublicKey::Rsa(_) => None,
            PublicKey::P256(_) => Some(Curve::P256),
            PublicKey::P384(_) => Some(Curve::P384),
            PublicKey::P521(_) => Some(Curve::P521),
        }
    }

    /// The modulus size of an RSA key, in bits.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            PublicKey::Rsa(k) => Some(k.size() * 8),
            _ => None,
        }
    }

    /// For logs: "RSA 2048", "ECDSA P-256".
    pub fn describe(&self) -> String {
        match self {
            PublicKey::Rsa(k) => format!("RSA {}", k.size() * 8),
            other => format!("ECDSA {}", other.curve().map_or("?", Curve::name)),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spki = self.to_spki_der().unwrap_or_default();
        write!(
            f,
            "PublicKey({}, spki-sha256 {})",
            self.describe(),
            hex::encode(super::HashAlg::Sha256.digest(&spki))
        )
    }
}
