//! What a peer authenticates with, loaded from the files its config names: our certificate
//! chain and private key (`certificate`), the trusted CAs (`[[certificate]] trusted = yes`),
//! a pinned peer certificate (`remote-certificate`), or raw RSA keys (`key`, `remote-key`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::cert::{Cert, CertError};
use super::keys::{KeyError, PrivateKey, PublicKey};
use super::pem;
use crate::config::{AuthMethod, CompatibilityOption, Config, MatchBy, Peer, RemoteId};

/// Why a peer's credentials could not be loaded; names the table entry and the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{what}: cannot read {}: {error}", path.display())]
    Io {
        what: String,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{what}: {}: {why}", path.display())]
    Content {
        what: String,
        path: PathBuf,
        why: String,
    },
    #[error("{what}: not defined")]
    Undefined { what: String },
}

/// How this end proves itself, and what it accepts from the peer.
#[derive(Clone)]
pub enum PeerAuth {
    /// `pre-shared-key`: the secret lives in the peer config.
    Psk,
    /// `rsa-signature`: our certificate (leaf first, then the chain we send) and its key.
    Certificate {
        chain: Arc<Vec<Cert>>,
        key: Arc<PrivateKey>,
    },
    /// `rsa-key`: a bare key pair; the peer must prove one of `remote_keys`.
    RawKey {
        key: Arc<PrivateKey>,
        remote_keys: Arc<Vec<PublicKey>>,
    },
}

/// The CAs peers' certificates may chain to, and the CERTREQ naming them.
#[derive(Clone, Default, PartialEq)]
pub struct TrustStore {
    pub cas: Arc<Vec<Cert>>,
}

impl TrustStore {
    /// The CERTREQ data: the SHA-1 of each CA's SubjectPublicKeyInfo (RFC 7296 3.7).
    pub fn certreq_data(&self) -> Vec<u8> {
        self.cas.iter().flat_map(|c| c.spki_sha1()).collect()
    }
}

/// A peer's authentication, resolved from the config and its files.
#[derive(Clone)]
pub struct Credentials {
    pub auth: PeerAuth,
    pub trust: TrustStore,
    /// `remote-certificate`: the exact certificate the peer must present.
    pub pinned: Option<Cert>,
    pub remote_id: RemoteId,
    pub match_by: MatchBy,
    /// `compatibility-options = skip-peer-id-validation`: the peer's ID need not match its
    /// certificate.
    pub skip_id_check: bool,
}

impl Credentials {
    /// Pre-shared-key credentials (nothing to load).
    pub fn psk(peer: &Peer) -> Self {
        Credentials {
            auth: PeerAuth::Psk,
            trust: TrustStore::default(),
            pinned: None,
            remote_id: peer.remote_id.clone(),
            match_by: peer.match_by,
            skip_id_check: peer
                .compatibility_options
                .contains(&CompatibilityOption::SkipPeerIdValidation),
        }
    }

    /// Loads what `peer` needs from the files `cfg` names.
    pub fn load(cfg: &Config, peer: &Peer) -> Result<Self, LoadError> {
        let mut out = Credentials::psk(peer);
        match peer.auth_method {
            AuthMethod::RsaSignature => {
                let entry = certificate_entry(cfg, &peer.certificate, "certificate")?;
                let what = format!("[[certificate]] {:?} file", entry.name);
                let chain = load_certs(&entry.file, &what)?;
                let key_path =
                    entry
                        .private_key_file
                        .as_ref()
                        .ok_or_else(|| LoadError::Content {
                            what: format!("[[certificate]] {:?}", entry.name),
                            path: entry.file.clone(),
                            why: "no private-key-file, but this end signs with it".into(),
                        })?;
                let key_what = format!("[[certificate]] {:?} private-key-file", entry.name);
                let key = match load_key(key_path, &key_what)? {
                    KeyFile::Private(k) => k,
                    KeyFile::Public(_) => {
                        return Err(LoadError::Content {
                            what: key_what,
                            path: key_path.clone(),
                            why: "holds a public key; accepted: the certificate's private key"
                                .into(),
                        });
                    }
                };
                let cert_key = chain[0].public_key().map_err(|e| LoadError::Content {
                    what: what.clone(),
                    path: entry.file.clone(),
                    why: e.to_string(),
                })?;
                if cert_key != key.public_key() {
                    let (theirs, ours) = (cert_key.describe(), key.describe());
                    let which = if theirs == ours {
                        format!("another {ours} key")
                    } else {
                        format!("its key is {theirs}, this one {ours}")
                    };
                    return Err(LoadError::Content {
                        what: key_what,
                        path: key_path.clone(),
                        why: format!(
                            "is not the private key of certificate {} ({which})",
                            chain[0].subject()
                        ),
                    });
                }
                out.auth = PeerAuth::Certificate {
                    chain: Arc::new(chain),
                    key: Arc::new(key),
                };
                let mut cas = Vec::new();
                for ca in cfg.certificate.iter().filter(|c| c.trusted) {
                    let what = format!("[[certificate]] {:?} file", ca.name);
                    cas.push(load_certs(&ca.file, &what)?.swap_remove(0));
                }
                out.trust = TrustStore { cas: Arc::new(cas) };
                if !peer.remote_certificate.is_empty() {
                    let entry =
                        certificate_entry(cfg, &peer.remote_certificate, "remote-certificate")?;
                    let what = format!("[[certificate]] {:?} file", entry.name);
                    out.pinned = Some(load_certs(&entry.file, &what)?.swap_remove(0));
                }
            }
            AuthMethod::RsaKey => {
                let own = key_entry(cfg, &peer.key, "key")?;
                let what = format!("[[key]] {:?} file", own.name);
                let key = match load_key(&own.file, &what)? {
                    KeyFile::Private(k) => k,
                    KeyFile::Public(_) => {
                        return Err(LoadError::Content {
                            what,
                            path: own.file.clone(),
                            why: "holds a public key, but peer key must be this end's private key"
                                .into(),
                        });
                    }
                };
                let mut remote_keys = Vec::new();
                let remote: Vec<_> = if peer.remote_key.is_empty() {
                    cfg.key.iter().filter(|k| k.name != peer.key).collect()
                } else {
                    vec![key_entry(cfg, &peer.remote_key, "remote-key")?]
                };
                for k in remote {
                    let what = format!("[[key]] {:?} file", k.name);
                    remote_keys.push(match load_key(&k.file, &what)? {
                        KeyFile::Private(p) => p.public_key(),
                        KeyFile::Public(p) => p,
                    });
                }
                out.auth = PeerAuth::RawKey {
                    key: Arc::new(key),
                    remote_keys: Arc::new(remote_keys),
                };
            }
            _ => {}
        }
        Ok(out)
    }

    /// Our private key, for signature methods.
    pub fn signing_key(&self) -> Option<&PrivateKey> {
        match &self.auth {
            PeerAuth::Psk => None,
            PeerAuth::Certificate { key, .. } | PeerAuth::RawKey { key, .. } => Some(key),
        }
    }
}

fn certificate_entry<'a>(
    cfg: &'a Config,
    name: &str,
    key: &str,
) -> Result<&'a crate::config::Certificate, LoadError> {
    cfg.certificate
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| LoadError::Undefined {
            what: format!("{key} {name:?} ([[certificate]])"),
        })
}

fn key_entry<'a>(
    cfg: &'a Config,
    name: &str,
    key: &str,
) -> Result<&'a crate::config::Key, LoadError> {
    cfg.key
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| LoadError::Undefined {
            what: format!("{key} {name:?} ([[key]])"),
        })
}

fn read(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>, LoadError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|error| LoadError::Io {
            what: what.to_owned(),
            path: path.to_owned(),
            error,
        })
}

/// The certificates of a PEM file (in order) or a single DER certificate.
pub fn load_certs(path: &Path, what: &str) -> Result<Vec<Cert>, LoadError> {
    let bytes = read(path, what)?;
    let content = |why: String| LoadError::Content {
        what: what.to_owned(),
        path: path.to_owned(),
        why,
    };
    let parse = |der: &[u8]| Cert::from_der(der).map_err(|e: CertError| content(e.to_string()));
    let certs = match pem::blocks(&bytes).map_err(|e| content(e.to_string()))? {
        Some(blocks) => blocks
            .iter()
            .filter(|b| b.label == "CERTIFICATE")
            .map(|b| parse(&b.der))
            .collect::<Result<Vec<_>, _>>()?,
        None => vec![parse(&bytes)?],
    };
    if certs.is_empty() {
        return Err(content("holds no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// What a key file holds.
pub enum KeyFile {
    Private(PrivateKey),
    Public(PublicKey),
}

/// A private key (PKCS#8, PKCS#1 RSA, SEC1 EC) or public key (SubjectPublicKeyInfo, PKCS#1
/// RSAPublicKey), PEM or DER.
pub fn load_key(path: &Path, what: &str) -> Result<KeyFile, LoadError> {
    let bytes = read(path, what)?;
    let content = |why: String| LoadError::Content {
        what: what.to_owned(),
        path: path.to_owned(),
        why,
    };
    let key_err = |e: KeyError| content(e.to_string());
    let Some(blocks) = pem::blocks(&bytes).map_err(|e| content(e.to_string()))? else {
        // DER: try each form in turn.
        return PrivateKey::from_pkcs8_der(&bytes)
            .or_else(|_| PrivateKey::from_pkcs1_der(&bytes))
            .or_else(|_| PrivateKey::from_sec1_der(&bytes))
            .map(KeyFile::Private)
            .or_else(|_| PublicKey::from_spki_der(&bytes).map(KeyFile::Public))
            .or_else(|_| PublicKey::from_pkcs1_der(&bytes).map(KeyFile::Public))
            .map_err(|_| {
                content(
                    "not a DER private or public key (PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo)"
                        .into(),
                )
            });
    };
    // The first key block decides (EC PARAMETERS and the like may come before it).
    let key_block = blocks.iter().find(|b| {
        matches!(
            b.label.as_str(),
            "PRIVATE KEY"
                | "RSA PRIVATE KEY"
                | "EC PRIVATE KEY"
                | "PUBLIC KEY"
                | "RSA PUBLIC KEY"
                | "ENCRYPTED PRIVATE KEY"
        )
    });
    if let Some(b) = key_block {
        return match b.label.as_str() {
            "PRIVATE KEY" => PrivateKey::from_pkcs8_der(&b.der).map(KeyFile::Private).map_err(key_err),
            "RSA PRIVATE KEY" => PrivateKey::from_pkcs1_der(&b.der).map(KeyFile::Private).map_err(key_err),
            "EC PRIVATE KEY" => PrivateKey::from_sec1_der(&b.der).map(KeyFile::Private).map_err(key_err),
            "PUBLIC KEY" => PublicKey::from_spki_der(&b.der).map(KeyFile::Public).map_err(key_err),
            "RSA PUBLIC KEY" => PublicKey::from_pkcs1_der(&b.der).map(KeyFile::Public).map_err(key_err),
            _ => Err(content(
                "is an encrypted private key; accepted: an unencrypted PKCS#8, PKCS#1 or SEC1 key (protect the file instead)".into(),
            )),
        };
    }
    Err(content(format!(
        "holds no key block (found: {}); accepted: PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, PUBLIC KEY, RSA PUBLIC KEY",
        blocks
            .iter()
            .map(|b| b.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

impl fmt::Debug for PeerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerAuth::Psk => write!(f, "Psk"),
            PeerAuth::Certificate { chain, key } => write!(f, "Certificate({chain:?}, {key:?})"),
            PeerAuth::RawKey { key, remote_keys } => write!(f, "RawKey({key:?}, {remote_keys:?})"),
        }
    }
}

impl fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrustStore({:?})", self.cas)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("auth", &self.auth)
            .field("trust", &self.trust)
            .field("pinned", &self.pinned)
            .field("remote_id", &self.remote_id)
            .field("match_by", &self.match_by)
            .field("skip_id_check", &self.skip_id_check)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ike::pki::keys::{Curve, KeySpec};

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tunsec-cred-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn key_files_in_every_form_and_the_refusals() {
        let d = scratch("keys");
        let key = PrivateKey::generate(KeySpec::Ec(Curve::P384)).unwrap();
        let pkcs8 = key.to_pkcs8_der().unwrap();
        let public = key.public_key();
        // PEM PKCS#8 after an EC PARAMETERS block, DER PKCS#8, a PEM public key.
        let params = pem::encode("EC PARAMETERS", &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]);
        let with_params = format!(
            "{}{}",
            params.as_str(),
            pem::encode("PRIVATE KEY", &pkcs8).as_str()
        );
        std::fs::write(d.join("a.pem"), with_params).unwrap();
        std::fs::write(d.join("a.der"), &*pkcs8).unwrap();
        let spki = public.to_spki_der().unwrap();
        std::fs::write(d.join("a.pub"), pem::encode("PUBLIC KEY", &spki).as_bytes()).unwrap();
        for f in ["a.pem", "a.der"] {
            match load_key(&d.join(f), "k").unwrap() {
                KeyFile::Private(k) => assert_eq!(k.public_key(), public, "{f}"),
                KeyFile::Public(_) => panic!("{f} read as a public key"),
            }
        }
        assert!(
            matches!(load_key(&d.join("a.pub"), "k").unwrap(), KeyFile::Public(p) if p == public)
        );
        // Encrypted, missing, garbage, certificate-only.
        std::fs::write(
            d.join("enc.pem"),
            pem::encode("ENCRYPTED PRIVATE KEY", &[0x30, 0]).as_bytes(),
        )
        .unwrap();
        let e = load_key(&d.join("enc.pem"), "[[key]] \"k\" file")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("is an encrypted private key"), "{e}");
        let e = load_key(&d.join("none.pem"), "[[key]] \"k\" file")
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("[[key]] \"k\" file: cannot read "), "{e}");
        std::fs::write(d.join("junk"), b"\x30\x03\x01\x02\x03").unwrap();
        assert!(load_key(&d.join("junk"), "k").is_err());
        std::fs::write(
            d.join("c.pem"),
            pem::encode("CERTIFICATE", &[0x30, 0]).as_bytes(),
        )
        .unwrap();
        let e = load_key(&d.join("c.pem"), "k").err().unwrap().to_string();
        assert!(e.contains("holds no key block (found: CERTIFICATE)"), "{e}");
        let e = load_certs(&d.join("a.pem"), "c").err().unwrap().to_string();
        assert!(e.contains("holds no CERTIFICATE block"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
