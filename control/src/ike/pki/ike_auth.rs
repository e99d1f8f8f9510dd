//! What IKE_SA_INIT and IKE_AUTH carry for signature authentication, and the check of what
//! the peer sent: its certificate (chain or pinned), its identity and its AUTH signature.
//! The exchanges (`exchange/auth.rs`, `exchange/init.rs`) call these and do the sending.

use std::net::IpAddr;
use std::time::SystemTime;

use super::super::peers::IkePeer;
use super::super::wire::{
    AuthMethod, Authentication, CertEncoding, CertRequest, Certificate, Identification, Notify,
    NotifyType, ParsedMessage, Payload, Payloads,
};
use super::auth::{AuthVerifyError, build_auth, verify_auth};
use super::cert::{Cert, CertError};
use super::chain::{ChainError, verify_chain};
use super::credentials::{Credentials, PeerAuth};
use super::hash::HashAlg;
use super::identity::{dn_text, id_for_cert, id_matches_cert, remote_id_matches};
use super::keys::PublicKey;
use crate::config::{AuthMethod as ConfigAuth, MatchBy, RemoteId};

/// Why the peer's authentication is refused: the reason half of the log line.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("wrong pre-shared key?")]
    Psk,
    #[error("peer authenticates with AUTH method {got} ({}), but auth-method is {want}", method_name(*.got))]
    MethodMismatch { got: u8, want: ConfigAuth },
    #[error("peer sent no certificate, and no remote-certificate is set")]
    NoCertificate,
    #[error("peer's certificate is malformed: {0}")]
    BadCertificate(CertError),
    #[error("certificate not trusted: {0}")]
    NotTrusted(ChainError),
    #[error("certificate {got} is not remote-certificate {want}")]
    NotPinned { got: String, want: String },
    #[error(
        "ID {id} does not match certificate {subject} (neither its subject nor a subjectAltName)"
    )]
    IdNotInCertificate { id: String, subject: String },
    #[error("ID {id} is not the expected remote-id {want}")]
    RemoteId { id: String, want: String },
    #[error("peer's raw public key is not a [[key]] of this configuration")]
    UnknownKey,
    #[error("peer's key is unusable: {0}")]
    BadKey(String),
    #[error("AUTH signature does not verify: {0}")]
    Signature(AuthVerifyError),
}

fn method_name(m: u8) -> &'static str {
    match AuthMethod(m) {
        AuthMethod::RSA_SIG => "RSA signature",
        AuthMethod::SHARED_KEY_MIC => "shared key",
        AuthMethod::DSS_SIG => "DSS signature",
        AuthMethod::ECDSA_256 | AuthMethod::ECDSA_384 | AuthMethod::ECDSA_521 => "ECDSA signature",
        AuthMethod::NULL_AUTH => "NULL",
        AuthMethod::DIGITAL_SIGNATURE => "digital signature",
        _ => "unknown",
    }
}

/// Whether a peer authenticates with signatures (certificates or raw keys).
pub fn uses_signatures(peer: &IkePeer) -> bool {
    matches!(
        peer.auth_method,
        ConfigAuth::RsaSignature | ConfigAuth::RsaKey
    )
}

/// IKE_SA_INIT additions for a signature peer: SIGNATURE_HASH_ALGORITHMS (RFC 7427 4; a
/// responder only answers a peer that sent it) and, from the responder, a CERTREQ naming
/// our trusted CAs (RFC 7296 3.7).
pub fn init_payloads(peer: &IkePeer, responder: bool, peer_announced: bool) -> Vec<Payload> {
    let mut out = Vec::new();
    if !uses_signatures(peer) {
        return out;
    }
    if !responder || peer_announced {
        out.push(Payload::Notify(Notify::status(
            NotifyType::SIGNATURE_HASH_ALGORITHMS,
            HashAlg::notify_data(&HashAlg::ANNOUNCED),
        )));
    }
    if responder && let Some(req) = certreq(&peer.credentials) {
        out.push(req);
    }
    out
}

/// A CERTREQ for our trusted CAs, if we have any.
pub fn certreq(c: &Credentials) -> Option<Payload> {
    let data = c.trust.certreq_data();
    (!data.is_empty()).then_some(Payload::CertReq(CertRequest {
        encoding: CertEncoding::X509_SIGNATURE,
        data,
    }))
}

/// The hashes the peer announced in its IKE_SA_INIT message (`None`: no notify, so no
/// RFC 7427).
pub fn announced_hashes(init_message: &[u8]) -> Option<Vec<HashAlg>> {
    let parsed = ParsedMessage::parse(init_message).ok()?;
    parsed
        .payloads
        .find_notify(NotifyType::SIGNATURE_HASH_ALGORITHMS)
        .map(|n| HashAlg::parse_notify(&n.data))
}

/// Our identity: for certificates `my-id = auto` is the subject DN.
pub fn our_identity(peer: &IkePeer, local: IpAddr) -> Identification {
    match &peer.credentials.auth {
        PeerAuth::Certificate { chain, .. } => id_for_cert(&peer.my_id, &chain[0], local),
        _ => super::super::exchange::auth::our_id(&peer.my_id, local),
    }
}

/// The CERT payloads we send: our certificate then its chain, or our raw RSA key.
pub fn our_certificates(c: &Credentials) -> Vec<Payload> {
    match &c.auth {
        PeerAuth::Psk => Vec::new(),
        PeerAuth::Certificate { chain, .. } => chain
            .iter()
            .map(|cert| {
                Payload::Cert(Certificate {
                    encoding: CertEncoding::X509_SIGNATURE,
                    data: cert.der().to_vec(),
                })
            })
            .collect(),
        PeerAuth::RawKey { key, .. } => key
            .public_key()
            .to_pkcs1_der()
            .map(|data| {
                Payload::Cert(Certificate {
                    encoding: CertEncoding::RAW_RSA_KEY,
                    data,
                })
            })
            .into_iter()
            .collect(),
    }
}

/// Our AUTH payload over `octets` for a signature peer.
pub fn sign(
    c: &Credentials,
    peer_hashes: Option<&[HashAlg]>,
    octets: &[u8],
) -> Result<Authentication, String> {
    let key = c
        .signing_key()
        .ok_or_else(|| "no private key configured".to_owned())?;
    build_auth(key, peer_hashes, octets).map_err(|e| e.to_string())
}

/// What the peer proved: its identity for the logs.
pub struct Verified {
    pub id: String,
}

/// Checks the peer's identity, certificate and AUTH for a signature peer. `payloads` are
/// the IKE_AUTH message's (for CERT), `octets` what the peer signed.
pub fn check_peer(
    peer: &IkePeer,
    id: &Identification,
    payloads: &[Payload],
    auth: &Authentication,
    octets: &[u8],
    now: SystemTime,
    peer_ip: IpAddr,
) -> Result<Verified, AuthFailure> {
    let c = &peer.credentials;
    if auth.method == AuthMethod::SHARED_KEY_MIC || auth.method == AuthMethod::NULL_AUTH {
        return Err(AuthFailure::MethodMismatch {
            got: auth.method.0,
            want: peer.auth_method,
        });
    }
    let key = match &c.auth {
        PeerAuth::Psk => {
            return Err(AuthFailure::MethodMismatch {
                got: auth.method.0,
                want: peer.auth_method,
            });
        }
        PeerAuth::Certificate { .. } => {
            let leaf = peer_certificate(c, payloads, now)?;
            let ignore_id = c.skip_id_check || c.remote_id == RemoteId::Ignore;
            if !ignore_id && !id_matches_cert(id, &leaf) {
                return Err(AuthFailure::IdNotInCertificate {
                    id: show_id(id),
                    subject: leaf.subject(),
                });
            }
            leaf.public_key()
                .map_err(|e| AuthFailure::BadKey(e.to_string()))?
        }
        PeerAuth::RawKey { remote_keys, .. } => raw_key(remote_keys, payloads, auth, octets)?,
    };
    if c.match_by == MatchBy::RemoteId && !remote_id_matches(&c.remote_id, id, peer_ip) {
        return Err(AuthFailure::RemoteId {
            id: show_id(id),
            want: show_remote_id(&c.remote_id),
        });
    }
    verify_auth(&key, auth, octets, &HashAlg::ANNOUNCED).map_err(AuthFailure::Signature)?;
    Ok(Verified { id: show_id(id) })
}

/// The peer's end-entity certificate, validated: the pinned `remote-certificate`, or a
/// chain to a trusted CA. The first CERT payload holds the key AUTH is checked with
/// (RFC 7296 3.6); the others may be intermediates.
fn peer_certificate(
    c: &Credentials,
    payloads: &[Payload],
    now: SystemTime,
) -> Result<Cert, AuthFailure> {
    let sent: Vec<Cert> = payloads
        .certs()
        .filter(|x| x.encoding == CertEncoding::X509_SIGNATURE)
        .map(|x| Cert::from_der(&x.data))
        .collect::<Result<_, _>>()
        .map_err(AuthFailure::BadCertificate)?;
    if let Some(pinned) = &c.pinned {
        let leaf = sent.first().unwrap_or(pinned);
        if leaf != pinned {
            return Err(AuthFailure::NotPinned {
                got: leaf.subject(),
                want: pinned.subject(),
            });
        }
        verify_chain(pinned, &[], std::slice::from_ref(pinned), now)
            .map_err(AuthFailure::NotTrusted)?;
        return Ok(pinned.clone());
    }
    let Some((leaf, intermediates)) = sent.split_first() else {
        return Err(AuthFailure::NoCertificate);
    };
    verify_chain(leaf, intermediates, &c.trust.cas, now).map_err(AuthFailure::NotTrusted)?;
    Ok(leaf.clone())
}

/// The peer's raw key: the one its "Raw RSA Key" CERT names, if it is ours to trust, else
/// the first configured key its AUTH verifies with.
fn raw_key(
    remote_keys: &[PublicKey],
    payloads: &[Payload],
    auth: &Authentication,
    octets: &[u8],
) -> Result<PublicKey, AuthFailure> {
    if let Some(sent) = payloads
        .certs()
        .find(|x| x.encoding == CertEncoding::RAW_RSA_KEY)
    {
        let key = PublicKey::from_pkcs1_der(&sent.data)
            .map_err(|e| AuthFailure::BadKey(e.to_string()))?;
        return remote_keys
            .iter()
            .find(|k| **k == key)
            .cloned()
            .ok_or(AuthFailure::UnknownKey);
    }
    let mut last = None;
    for k in remote_keys {
        match verify_auth(k, auth, octets, &HashAlg::ANNOUNCED) {
            Ok(_) => return Ok(k.clone()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or(AuthFailure::UnknownKey, AuthFailure::Signature))
}

/// An identity for logs, DNs in RFC 4514 text.
pub fn show_id(id: &Identification) -> String {
    if id.id_type == super::super::wire::IdType::DER_ASN1_DN
        && let Some(t) = dn_text(&id.data)
    {
        return format!("dn:{t}");
    }
    id.to_string()
}

fn show_remote_id(r: &RemoteId) -> String {
    match r {
        RemoteId::Auto => "auto".into(),
        RemoteId::Ignore => "ignore".into(),
        RemoteId::Address(None) => "address".into(),
        RemoteId::Address(Some(a)) => format!("address:{a}"),
        RemoteId::Fqdn(f) => format!("fqdn:{f}"),
        RemoteId::UserFqdn(u) => format!("user-fqdn:{u}"),
        RemoteId::KeyId(k) => format!("key-id:{k}"),
        RemoteId::Dn(d) => format!("dn:{}", dn_text(d).unwrap_or_default()),
    }
}
