//! `tunsec cert`: make a test CA, issue certificates and raw keys, and show a certificate,
//! all in PEM, without OpenSSL. Private keys are written with mode 0600.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use tunsec::ike::pki::credentials::{KeyFile, load_certs, load_key};
use tunsec::ike::pki::keys::KeySpec;
use tunsec::ike::pki::make::{Template, issue};
use tunsec::ike::pki::{PrivateKey, pem};

#[derive(Subcommand)]
pub enum CertCommand {
    /// Make a self-signed CA certificate and its private key.
    MakeCa {
        /// Subject: a common name, or an RFC 4514 name such as "CN=Test CA,O=example".
        #[arg(long)]
        cn: String,
        /// Key type: rsa:2048, rsa:3072, rsa:4096, ecdsa:p256, ecdsa:p384, ecdsa:p521.
        #[arg(long, default_value = "ecdsa:p256")]
        key: String,
        /// Days of validity.
        #[arg(long, default_value_t = 3650)]
        days: u64,
        /// Start the validity this many days ago (with a short --days: an expired certificate).
        #[arg(long, default_value_t = 0)]
        backdate: u64,
        #[arg(long)]
        out_cert: PathBuf,
        #[arg(long)]
        out_key: PathBuf,
    },
    /// Issue a certificate signed by a CA, with a fresh private key.
    Issue {
        /// The CA certificate (PEM).
        #[arg(long)]
        ca: PathBuf,
        /// The CA's private key.
        #[arg(long)]
        ca_key: PathBuf,
        /// Subject: a common name, or an RFC 4514 name.
        #[arg(long)]
        cn: String,
        /// subjectAltName, repeatable: dns:NAME, email:USER@DOMAIN, ip:ADDRESS.
        #[arg(long)]
        san: Vec<String>,
        #[arg(long, default_value = "ecdsa:p256")]
        key: String,
        #[arg(long, default_value_t = 365)]
        days: u64,
        #[arg(long, default_value_t = 0)]
        backdate: u64,
        /// Issue an intermediate CA instead of an end-entity certificate.
        #[arg(long)]
        ca_cert: bool,
        #[arg(long)]
        out_cert: PathBuf,
        #[arg(long)]
        out_key: PathBuf,
    },
    /// Make a bare key pair (for auth-method = "rsa-key": [[key]] files).
    MakeKey {
        #[arg(long, default_value = "rsa:2048")]
        key: String,
        #[arg(long)]
        out_key: PathBuf,
        /// The public key (SubjectPublicKeyInfo PEM), for the other end's [[key]].
        #[arg(long)]
        out_pub: PathBuf,
    },
    /// Print a certificate file's subject, issuer, validity, names and key.
    Show { file: PathBuf },
}

fn key_spec(s: &str) -> Result<KeySpec> {
    KeySpec::parse(s).with_context(|| format!("--key {s:?}; accepted: {}", KeySpec::ACCEPTED))
}

/// Writes `text` to `path`, mode 0600 when `private`.
pub fn write_file(path: &Path, text: &str, private: bool) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    if private {
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if private {
        // The mode above only applies to a new file; an existing one is tightened too.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_key(path: &Path, key: &PrivateKey) -> Result<()> {
    let der = key.to_pkcs8_der()?;
    write_file(path, &pem::encode("PRIVATE KEY", &der), true)
}

fn read_private(path: &Path) -> Result<PrivateKey> {
    match load_key(path, "--ca-key")? {
        KeyFile::Private(k) => Ok(k),
        KeyFile::Public(_) => bail!(
            "{} holds a public key; the CA's private key is needed",
            path.display()
        ),
    }
}

pub fn run(cmd: CertCommand) -> Result<()> {
    match cmd {
        CertCommand::MakeCa {
            cn,
            key,
            days,
            backdate,
            out_cert,
            out_key,
        } => {
            let key = PrivateKey::generate(key_spec(&key)?)?;
            let (not_before, not_after) = Template::validity(days, backdate);
            let t = Template {
                subject: cn,
                alt_names: Vec::new(),
                is_ca: true,
                not_before,
                not_after,
            };
            let cert = issue(&t, &key.public_key(), None, Some(&key))?;
            write_file(&out_cert, &pem::encode("CERTIFICATE", cert.der()), false)?;
            write_key(&out_key, &key)?;
            println!(
                "{}: CA {} ({})",
                out_cert.display(),
                cert.subject(),
                key.describe()
            );
        }
        CertCommand::Issue {
            ca,
            ca_key,
            cn,
            san,
            key,
            days,
            backdate,
            ca_cert,
            out_cert,
            out_key,
        } => {
            let ca_cert_parsed = load_certs(&ca, "--ca")?.swap_remove(0);
            let ca_private = read_private(&ca_key)?;
            let key = PrivateKey::generate(key_spec(&key)?)?;
            let (not_before, not_after) = Template::validity(days, backdate);
            let t = Template {
                subject: cn,
                alt_names: san,
                is_ca: ca_cert,
                not_before,
                not_after,
            };
            let cert = issue(
                &t,
                &key.public_key(),
                Some((&ca_cert_parsed, &ca_private)),
                None,
            )?;
            write_file(&out_cert, &pem::encode("CERTIFICATE", cert.der()), false)?;
            write_key(&out_key, &key)?;
            println!(
                "{}: {} issued by {} ({})",
                out_cert.display(),
                cert.subject(),
                cert.issuer(),
                key.describe()
            );
        }
        CertCommand::MakeKey {
            key,
            out_key,
            out_pub,
        } => {
            let key = PrivateKey::generate(key_spec(&key)?)?;
            write_key(&out_key, &key)?;
            let spki = key.public_key().to_spki_der()?;
            write_file(&out_pub, &pem::encode("PUBLIC KEY", &spki), false)?;
            println!(
                "{}: {} key, public part in {}",
                out_key.display(),
                key.describe(),
                out_pub.display()
            );
        }
        CertCommand::Show { file } => {
            for cert in load_certs(&file, "certificate")? {
                println!("subject:    {}", cert.subject());
                println!("issuer:     {}", cert.issuer());
                println!(
                    "validity:   {} .. {}",
                    humantime(cert.not_before()),
                    humantime(cert.not_after())
                );
                println!("ca:         {}", if cert.is_ca() { "yes" } else { "no" });
                for n in cert.alt_names() {
                    println!("alt-name:   {n:?}");
                }
                let key = cert
                    .public_key()
                    .map_or_else(|e| e.to_string(), |k| k.describe());
                println!("key:        {key}");
                println!("spki-sha1:  {}", hex::encode(cert.spki_sha1()));
                println!("sha256:     {}", cert.fingerprint());
            }
        }
    }
    Ok(())
}

fn humantime(t: std::time::SystemTime) -> String {
    x509_cert::time::Time::try_from(t)
        .map_or_else(|_| format!("{t:?}"), |t| t.to_date_time().to_string())
}
