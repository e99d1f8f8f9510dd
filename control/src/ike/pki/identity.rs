//! IKE identities and certificates: the ID we send for a certificate (`my-id`), whether the
//! peer's ID is one its certificate vouches for (subject DN or a subjectAltName, RFC 4945
//! 3.1), and whether it is the one `remote-id` expects.

use std::net::IpAddr;

use der::{Decode, Encode};
use x509_cert::name::Name;

use super::super::wire::{IdType, Identification};
use super::cert::{AltName, Cert};
use crate::config::{MyId, RemoteId};

/// `my-id` for a certificate: `auto` is the subject DN (ID_DER_ASN1_DN), as RouterOS sends.
pub fn id_for_cert(my_id: &MyId, cert: &Cert, local: IpAddr) -> Identification {
    match my_id {
        MyId::Auto => Identification {
            id_type: IdType::DER_ASN1_DN,
            data: cert.subject_der(),
        },
        other => super::super::exchange::auth::our_id(other, local),
    }
}

/// A distinguished name's DER in RFC 4514 text, or `None` if it is not a Name.
pub fn dn_text(der: &[u8]) -> Option<String> {
    Name::from_der(der).ok().map(|n| n.to_string())
}

/// The DER of an RFC 4514 name ("CN=gw,O=tunsec").
pub fn dn_der(text: &str) -> Option<Vec<u8>> {
    text.parse::<Name>().ok().and_then(|n| n.to_der().ok())
}

/// Whether `id` names the holder of `cert`: the subject DN (or a directoryName
/// subjectAltName) for ID_DER_ASN1_DN, a dNSName for ID_FQDN, an rfc822Name for
/// ID_RFC822_ADDR, an iPAddress for the address types. ID_KEY_ID is bound to nothing in a
/// certificate and never matches.
pub fn id_matches_cert(id: &Identification, cert: &Cert) -> bool {
    let text = || String::from_utf8_lossy(&id.data).to_ascii_lowercase();
    match id.id_type {
        IdType::DER_ASN1_DN => {
            id.data == cert.subject_der()
                || cert
                    .alt_names()
                    .iter()
                    .any(|a| matches!(a, AltName::Dn(d) if *d == id.data))
        }
        IdType::FQDN => {
            let want = text();
            cert.alt_names()
                .iter()
                .any(|a| matches!(a, AltName::Dns(d) if d.to_ascii_lowercase() == want))
        }
        IdType::RFC822_ADDR => {
            let want = text();
            cert.alt_names()
                .iter()
                .any(|a| matches!(a, AltName::Email(e) if e.to_ascii_lowercase() == want))
        }
        IdType::IPV4_ADDR | IdType::IPV6_ADDR => id.as_ip().is_some_and(|ip| {
            cert.alt_names()
                .iter()
                .any(|a| matches!(a, AltName::Ip(x) if *x == ip))
        }),
        _ => false,
    }
}

/// Whether the peer's `id` is what `remote-id` asks for. `peer_ip` is where the peer's IKE
/// came from (for a bare `address`).
pub fn remote_id_matches(want: &RemoteId, id: &Identification, peer_ip: IpAddr) -> bool {
    let text = || String::from_utf8_lossy(&id.data).to_ascii_lowercase();
    match want {
        RemoteId::Auto | RemoteId::Ignore => true,
        RemoteId::Address(None) => id.as_ip() == Some(peer_ip),
        RemoteId::Address(Some(a)) => id.as_ip() == Some(*a),
        RemoteId::Fqdn(pattern) => {
            id.id_type == IdType::FQDN && fqdn_matches(&pattern.to_ascii_lowercase(), &text())
        }
        RemoteId::UserFqdn(u) => {
            id.id_type == IdType::RFC822_ADDR && text() == u.to_ascii_lowercase()
        }
        RemoteId::KeyId(k) => id.id_type == IdType::KEY_ID && id.data == k.as_bytes(),
        RemoteId::Dn(der) => id.id_type == IdType::DER_ASN1_DN && id.data == *der,
    }
}

/// `*.example.com` matches one or more labels in front of `example.com`; anything else
/// must be equal.
fn fqdn_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => name
            .strip_suffix(suffix)
            .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        None => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_fqdn() {
        assert!(fqdn_matches("*.example.com", "gw.example.com"));
        assert!(fqdn_matches("*.example.com", "a.b.example.com"));
        assert!(!fqdn_matches("*.example.com", "example.com"));
        assert!(!fqdn_matches("*.example.com", "badexample.com"));
        assert!(fqdn_matches("gw.example.com", "gw.example.com"));
        assert!(!fqdn_matches("gw.example.com", "gx.example.com"));
    }

    #[test]
    fn dn_text_round_trip() {
        let der = dn_der("CN=gw-a,O=tunsec test").unwrap();
        assert_eq!(dn_text(&der).unwrap(), "CN=gw-a,O=tunsec test");
        assert!(dn_text(b"\x30\x03junk").is_none());
    }
}
