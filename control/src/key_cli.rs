//! `tunsec key`: the commands of RouterOS's `/ip ipsec key` menu, on files (tunsec's key
//! store is the `[[key]]` table naming PEM files): generate-key, import, export-pub-key.
//! Private keys are written with mode 0600; each command prints the `[[key]]` entry to add.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use tunsec::config;
use tunsec::ike::pki::credentials::{KeyFile, load_key};
use tunsec::ike::pki::keys::{KeySpec, PublicKey};
use tunsec::ike::pki::{PrivateKey, pem};

use crate::cert_cli::write_file;

/// Where keys go unless `--dir` says otherwise.
const DEFAULT_DIR: &str = "/etc/tunsec/keys";

/// The key sizes RouterOS's generate-key offers.
const SIZES: [usize; 3] = [1024, 2048, 4096];

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate an RSA key pair NAME of SIZE bits (1024, 2048 or 4096, as RouterOS):
    /// DIR/NAME.key (private, 0600) and DIR/NAME.pub (its public key, for the other end).
    GenerateKey {
        name: String,
        size: usize,
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
    },
    /// Import the RSA key in FILE (private or public; PEM or DER) as NAME: checked, then
    /// written as PEM to DIR/NAME.key (private, 0600) or DIR/NAME.pub.
    Import {
        file: PathBuf,
        name: String,
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
    },
    /// Write the public key of NAME to FILE (PEM): NAME is a [[key]] of the configuration
    /// given with -c, or a key file.
    ExportPubKey { name: String, file: PathBuf },
}

fn snippet(name: &str, file: &Path) -> String {
    format!(
        "[[key]]\nname = {name:?}\nfile = {:?}\n",
        file.display().to_string()
    )
}

fn key_path(dir: &Path, name: &str, private: bool) -> Result<PathBuf> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        bail!("key name {name:?}: accepted: a name without '/' that does not start with '.'");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join(format!("{name}.{}", if private { "key" } else { "pub" })))
}

fn write_private(path: &Path, key: &PrivateKey) -> Result<()> {
    write_file(
        path,
        &pem::encode("PRIVATE KEY", &key.to_pkcs8_der()?),
        true,
    )
}

fn write_public(path: &Path, key: &PublicKey) -> Result<()> {
    write_file(path, &pem::encode("PUBLIC KEY", &key.to_spki_der()?), false)
}

fn require_rsa(what: &str, public: &PublicKey) -> Result<()> {
    if !matches!(public, PublicKey::Rsa(_)) {
        bail!(
            "{what} holds an {} key; /ip ipsec key (auth-method rsa-key) takes RSA keys only",
            public.describe()
        );
    }
    Ok(())
}

/// The key file NAME stands for: a [[key]] of the configuration, or a path.
fn key_file(name: &str, config_file: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = config_file {
        let cfg = config::load(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if let Some(k) = cfg.key.iter().find(|k| k.name == name) {
            return Ok(k.file.clone());
        }
        let names: Vec<&str> = cfg.key.iter().map(|k| k.name.as_str()).collect();
        if !Path::new(name).exists() {
            bail!(
                "{}: no [[key]] named {name:?}; defined: {}",
                path.display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            );
        }
    }
    if Path::new(name).exists() {
        return Ok(PathBuf::from(name));
    }
    bail!("{name:?} is neither a [[key]] (give the configuration with -c FILE) nor a key file")
}

pub fn run(cmd: KeyCommand, config_file: Option<&Path>) -> Result<()> {
    match cmd {
        KeyCommand::GenerateKey { name, size, dir } => {
            if !SIZES.contains(&size) {
                bail!("key size {size}: accepted: 1024, 2048, 4096");
            }
            let key = PrivateKey::generate(KeySpec::Rsa(size))?;
            let private = key_path(&dir, &name, true)?;
            let public = key_path(&dir, &name, false)?;
            write_private(&private, &key)?;
            write_public(&public, &key.public_key())?;
            println!(
                "# {}: {} private key (public part in {}); add to the configuration:\n{}",
                private.display(),
                key.describe(),
                public.display(),
                snippet(&name, &private)
            );
        }
        KeyCommand::Import { file, name, dir } => {
            let what = file.display().to_string();
            let (path, describe) = match load_key(&file, "key")? {
                KeyFile::Private(key) => {
                    require_rsa(&what, &key.public_key())?;
                    let path = key_path(&dir, &name, true)?;
                    write_private(&path, &key)?;
                    (path, format!("{} private key", key.describe()))
                }
                KeyFile::Public(key) => {
                    require_rsa(&what, &key)?;
                    let path = key_path(&dir, &name, false)?;
                    write_public(&path, &key)?;
                    (path, format!("{} public key", key.describe()))
                }
            };
            println!(
                "# {what}: {describe}, imported as {}; add to the configuration:\n{}",
                path.display(),
                snippet(&name, &path)
            );
        }
        KeyCommand::ExportPubKey { name, file } => {
            let source = key_file(&name, config_file)?;
            let public = match load_key(&source, "key")? {
                KeyFile::Private(key) => key.public_key(),
                KeyFile::Public(key) => key,
            };
            require_rsa(&source.display().to_string(), &public)?;
            write_public(&file, &public)?;
            println!(
                "{}: public key of {name} ({})",
                file.display(),
                public.describe()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tunsec-key-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Runs a python3-cryptography check; false (after saying so) when it is not installed.
    fn python(script: &str, args: &[&Path]) -> bool {
        let ok = Command::new("/usr/bin/python3")
            .args(["-c", "import cryptography"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("SKIPPED: /usr/bin/python3 with python3-cryptography is not installed");
            return false;
        }
        let out = Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        true
    }

    #[test]
    fn generated_keys_and_exported_public_keys_agree_in_an_independent_implementation() {
        let dir = scratch("gen");
        run(
            KeyCommand::GenerateKey {
                name: "gw".into(),
                size: 2048,
                dir: dir.clone(),
            },
            None,
        )
        .unwrap();
        let private = dir.join("gw.key");
        let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let exported = dir.join("exported.pub");
        run(
            KeyCommand::ExportPubKey {
                name: private.display().to_string(),
                file: exported.clone(),
            },
            None,
        )
        .unwrap();
        // Python signs with our private key and verifies with the public keys we wrote.
        python(
            r#"
import sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
assert key.key_size == 2048, key.key_size
sig = key.sign(b"tunsec", padding.PKCS1v15(), hashes.SHA256())
for f in sys.argv[2:]:
    pub = serialization.load_pem_public_key(open(f, "rb").read())
    pub.verify(sig, b"tunsec", padding.PKCS1v15(), hashes.SHA256())
"#,
            &[&private, &dir.join("gw.pub"), &exported],
        );
        assert!(
            run(
                KeyCommand::GenerateKey {
                    name: "x".into(),
                    size: 3000,
                    dir: dir.clone()
                },
                None
            )
            .unwrap_err()
            .to_string()
            .contains("accepted: 1024, 2048, 4096")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn import_takes_python_made_rsa_keys_and_refuses_ec_ones() {
        let dir = scratch("import");
        let rsa = dir.join("rsa.pem");
        let ec = dir.join("ec.pem");
        if !python(
            r#"
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
k = rsa.generate_private_key(65537, 2048)
open(sys.argv[1], "wb").write(k.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
e = ec.generate_private_key(ec.SECP256R1())
open(sys.argv[2], "wb").write(e.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
"#,
            &[&rsa, &ec],
        ) {
            return;
        }
        run(
            KeyCommand::Import {
                file: rsa.clone(),
                name: "peer".into(),
                dir: dir.clone(),
            },
            None,
        )
        .unwrap();
        // The PKCS#1 key, re-written as PKCS#8, is the same key.
        python(
            r#"
import sys
from cryptography.hazmat.primitives import serialization
a = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
assert a.private_numbers() == b.private_numbers()
"#,
            &[&rsa, &dir.join("peer.key")],
        );
        let err = run(
            KeyCommand::Import {
                file: ec,
                name: "ec".into(),
                dir: dir.clone(),
            },
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("takes RSA keys only"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
