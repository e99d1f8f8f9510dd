//! `[[certificate]]`: RouterOS's `/certificate` store as IKE uses it. Each entry names a PEM
//! (or DER) certificate file, optionally the private key that goes with it (for the
//! certificates this end signs with), and whether it is a trusted CA that peers'
//! certificates are checked against. The files are read when IKE starts, not here.

use std::path::PathBuf;

use toml::Table;

use super::error::ConfigIssue;
use super::reader::{EntryMeta, Reader, named_location, read_name};

pub(crate) const CERTIFICATE_KEYS: &[&str] =
    &["comment", "file", "name", "private-key-file", "trusted"];

/// One certificate of the store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    pub name: String,
    /// The certificate, PEM or DER. Further certificates in a PEM file are the chain sent
    /// along with it (intermediate CAs, leaf first).
    pub file: PathBuf,
    /// The matching private key (PKCS#8, PKCS#1 RSA or SEC1 EC; PEM or DER), for a
    /// certificate this end authenticates with.
    pub private_key_file: Option<PathBuf>,
    /// A CA peers' certificates may chain to (RouterOS `trusted=yes`).
    pub trusted: bool,
    pub comment: String,
}

pub(crate) fn read_certificate(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Certificate, EntryMeta) {
    let location = named_location("certificate", index, table);
    let mut r = Reader::new(table, location, CERTIFICATE_KEYS, issues);
    let mut c = Certificate {
        name: read_name(&mut r, "certificate", &["none"]),
        ..Certificate::default()
    };
    match r.string("file") {
        Some(f) if !f.is_empty() => c.file = PathBuf::from(f),
        Some(_) => r.issue(
            "file",
            "\"\" is empty; accepted: the path of a PEM or DER certificate file",
        ),
        None if !r.failed("file") => r.issue(
            "file",
            "missing; accepted: the path of a PEM or DER certificate file",
        ),
        None => {}
    }
    match r.string("private-key-file") {
        Some(f) if !f.is_empty() => c.private_key_file = Some(PathBuf::from(f)),
        Some(_) => r.issue(
            "private-key-file",
            "\"\" is empty; accepted: the path of a PEM or DER private key file, or leave the key out",
        ),
        None => {}
    }
    if let Some(v) = r.boolean("trusted") {
        c.trusted = v;
    }
    if let Some(v) = r.string("comment") {
        c.comment = v;
    }
    (c, r.finish())
}
