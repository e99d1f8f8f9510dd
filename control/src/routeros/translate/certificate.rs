//! `/certificate`: RouterOS keeps certificates in a store and makes them on the router
//! (`add` a template, `sign` it); tunsec reads them from files. Each certificate a script
//! makes becomes a `[[certificate]]` with the file it should be in, and a warning with the
//! `tunsec cert` command that makes an equivalent one (same subject, alternative names, key
//! and validity), so the user can provision it without OpenSSL. Certificates a peer names
//! but the script does not make (imported on the router) become entries with the file to
//! provide; an `rsa-signature` peer that checks its peer against the store's CAs gets a
//! trusted CA entry to fill if the script made none.

use super::super::menus::Menu;
use super::super::model::{Entry, Model, SELF_SIGNED, SIGNED_BY};
use super::super::toml_out::{TomlTable, TomlValue};
use super::super::warning::Warning;

/// Where imported configurations expect certificate and key files.
pub const CERTIFICATE_DIR: &str = "/etc/tunsec/certificates";

/// The trusted CA entry written for peers that check against the store's CAs.
const STORE_CA: &str = "trusted-ca";

fn cert_file(name: &str) -> String {
    format!("{CERTIFICATE_DIR}/{name}.pem")
}

fn key_file(name: &str) -> String {
    format!("{CERTIFICATE_DIR}/{name}.key")
}

/// RouterOS `key-size` (1024..8192, prime256v1, secp384r1, secp521r1) as `tunsec cert --key`.
fn key_spec(entry: &Entry) -> String {
    match entry.value("key-size").unwrap_or("2048") {
        "prime256v1" | "secp256r1" => "ecdsa:p256".to_owned(),
        "secp384r1" => "ecdsa:p384".to_owned(),
        "secp521r1" => "ecdsa:p521".to_owned(),
        bits => format!("rsa:{bits}"),
    }
}

/// RouterOS `subject-alt-name` (`IP:2.2.2.2,DNS:vpn.example,email:a@b`) as `--san` options.
fn san_options(entry: &Entry) -> String {
    let Some(sans) = entry.value("subject-alt-name") else {
        return String::new();
    };
    sans.split(',')
        .filter_map(|san| {
            let (kind, value) = san.trim().split_once(':')?;
            let kind = match kind.to_ascii_lowercase().as_str() {
                "ip" => "ip",
                "dns" => "dns",
                "email" => "email",
                _ => return None,
            };
            Some(format!(" --san {kind}:{value}"))
        })
        .collect()
}

/// The `tunsec cert` command that makes a certificate like `entry` (`ca`: its issuer).
fn make_command(name: &str, entry: &Entry, ca: Option<&str>) -> String {
    let cn = entry.value("common-name").unwrap_or(name);
    let days = entry
        .value("days-valid")
        .map(|d| format!(" --days {d}"))
        .unwrap_or_default();
    let out = format!(
        "--out-cert {} --out-key {}",
        cert_file(name),
        key_file(name)
    );
    let key = key_spec(entry);
    match ca {
        None => format!("tunsec cert make-ca --cn 'CN={cn}' --key {key}{days} {out}"),
        Some(ca) => format!(
            "tunsec cert issue --ca {} --ca-key {} --cn 'CN={cn}'{} --key {key}{days} {out}",
            cert_file(ca),
            key_file(ca),
            san_options(entry)
        ),
    }
}

/// The script line a translated table came from (its "line N: ..." comment).
fn script_line(table: &TomlTable) -> usize {
    table
        .comments
        .iter()
        .find_map(|c| c.strip_prefix("line ")?.split(':').next()?.parse().ok())
        .unwrap_or(0)
}

/// The `[[certificate]]` tables for what the script makes and what its peers name.
pub fn certificates(
    model: &Model,
    peers: &[TomlTable],
    warnings: &mut Vec<Warning>,
) -> Vec<TomlTable> {
    let mut out: Vec<TomlTable> = Vec::new();
    for entry in model.entries(Menu::Certificate) {
        let Some(name) = entry.value("name").or(entry.value("common-name")) else {
            warnings.push(Warning::new(
                entry.line(),
                "/certificate add",
                "a certificate with neither name nor common-name; skipped",
            ));
            continue;
        };
        let subject = format!("/certificate add name={name}");
        let mut table = TomlTable::new("certificate");
        table.comment(format!("line {}: /certificate add", entry.line()));
        table.set("name", TomlValue::str(name));
        table.set("file", TomlValue::str(&cert_file(name)));
        table.set("private-key-file", TomlValue::str(&key_file(name)));
        let command = match entry.value(SIGNED_BY) {
            None => {
                warnings.push(Warning::new(
                    entry.line(),
                    subject,
                    format!(
                        "never signed in the script (a template only on RouterOS); written with the files it would have: {} and {}",
                        cert_file(name),
                        key_file(name)
                    ),
                ));
                out.push(table);
                continue;
            }
            Some(SELF_SIGNED) => {
                table.set("trusted", TomlValue::str("yes"));
                make_command(name, entry, None)
            }
            Some(ca) => make_command(name, entry, Some(ca)),
        };
        warnings.push(Warning::new(
            entry.line(),
            subject,
            format!(
                "tunsec reads certificates from files, not a store: [[certificate]] {name:?} expects {} with its key in {}; make an equivalent with: {command}",
                cert_file(name),
                key_file(name)
            ),
        ));
        out.push(table);
    }
    for peer in peers {
        let peer_name = peer.get_str("name").unwrap_or("?");
        let peer_line = script_line(peer);
        for (key, signs) in [("certificate", true), ("remote-certificate", false)] {
            let Some(name) = peer.get_str(key) else {
                continue;
            };
            if out.iter().any(|t| t.get_str("name") == Some(name)) {
                continue;
            }
            let mut table = TomlTable::new("certificate");
            table.comment(format!(
                "[[peer]] {peer_name:?} {key}: a certificate the script does not make"
            ));
            table.set("name", TomlValue::str(name));
            table.set("file", TomlValue::str(&cert_file(name)));
            let role = if signs {
                table.set("private-key-file", TomlValue::str(&key_file(name)));
                format!(
                    "with its private key in {} (this end signs with it)",
                    key_file(name)
                )
            } else {
                "(the certificate the remote end must present)".to_owned()
            };
            warnings.push(Warning::new(
                peer_line,
                format!("[[peer]] {peer_name:?} {key}={name}"),
                format!(
                    "the script names this certificate but does not make it (it was imported on the router: /certificate export-certificate {name} there); written as [[certificate]] {name:?} expecting {} as PEM {role}",
                    cert_file(name)
                ),
            ));
            out.push(table);
        }
    }
    let checks_store = peers.iter().find(|p| {
        p.get_str("auth-method") == Some("rsa-signature")
            && p.get_str("remote-certificate").is_none()
    });
    let has_ca = out.iter().any(|t| t.get_str("trusted") == Some("yes"));
    if let Some(peer) = checks_store
        && !has_ca
    {
        let mut table = TomlTable::new("certificate");
        table.comment("the CAs RouterOS's store trusts, which an export does not name");
        table.set("name", TomlValue::str(STORE_CA));
        table.set("file", TomlValue::str(&cert_file(STORE_CA)));
        table.set("trusted", TomlValue::str("yes"));
        warnings.push(Warning::new(
            script_line(peer),
            "/certificate (the store)",
            format!(
                "an rsa-signature peer without remote-certificate is checked against the trusted CAs of RouterOS's store, which the script does not name; written as [[certificate]] {STORE_CA:?} expecting the CA certificate(s) as PEM in {}",
                cert_file(STORE_CA)
            ),
        ));
        out.push(table);
    }
    out
}
