//! A configuration file holding secrets (pre-shared keys, passwords, manual SA keys) must not
//! be readable by other users: the daemon refuses to start, or to reload, from one that is.
//! "Readable by others" means what the kernel would allow a user outside the file's owner
//! and group: the file grants read to others, and every directory above it grants search.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::config::Config;

/// Why a configuration file is refused.
#[derive(Debug, thiserror::Error)]
pub enum PermissionError {
    #[error(
        "{path} holds secrets ({what}) and is readable by other users (mode {mode:04o}); run `chmod 600 {path}` (or `chmod o-r`), or keep it in a directory others cannot enter"
    )]
    ReadableByOthers {
        path: String,
        mode: u32,
        what: String,
    },
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
}

/// What kinds of secret the configuration holds (empty: none).
pub fn secrets(cfg: &Config) -> Vec<&'static str> {
    let mut out = Vec::new();
    if cfg.peer.iter().any(|p| !p.secret.is_empty()) {
        out.push("peer secret");
    }
    if cfg.peer.iter().any(|p| !p.xauth_password.is_empty())
        || cfg.user.iter().any(|u| !u.password.is_empty())
    {
        out.push("XAuth password");
    }
    if !cfg.manual_sa.is_empty() {
        out.push("manual-sa keys");
    }
    out
}

/// Whether a user other than the owner and group could read `path`.
fn readable_by_others(path: &Path) -> io::Result<Option<u32>> {
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o004 == 0 {
        return Ok(None);
    }
    let absolute: PathBuf = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    };
    for dir in absolute.ancestors().skip(1) {
        if fs::metadata(dir)?.permissions().mode() & 0o001 == 0 {
            return Ok(None);
        }
    }
    Ok(Some(mode & 0o7777))
}

/// Refuses `path` when `cfg` (read from it) holds secrets others could read.
pub fn check(path: &Path, cfg: &Config) -> Result<(), PermissionError> {
    let what = secrets(cfg);
    if what.is_empty() {
        return Ok(());
    }
    let shown = path.display().to_string();
    match readable_by_others(path) {
        Ok(None) => Ok(()),
        Ok(Some(mode)) => Err(PermissionError::ReadableByOthers {
            path: shown,
            mode,
            what: what.join(", "),
        }),
        Err(source) => Err(PermissionError::Io {
            path: shown,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_readable_by_others_are_refused() {
        let base = std::env::temp_dir().join(format!("tunsec-perm-{}", std::process::id()));
        let open_dir = base.join("open");
        fs::create_dir_all(&open_dir).unwrap();
        fs::set_permissions(&base, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&open_dir, fs::Permissions::from_mode(0o755)).unwrap();
        let file = open_dir.join("t.toml");
        let text = "[[peer]]\nname = \"b\"\nexchange-mode = \"ike2\"\nsecret = \"s3cret\"\n";
        fs::write(&file, text).unwrap();
        let cfg = crate::config::parse(text).unwrap();
        assert_eq!(secrets(&cfg), vec!["peer secret"]);

        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        // Only meaningful where every directory above the temp dir is searchable.
        if readable_by_others(&file).unwrap().is_some() {
            let e = check(&file, &cfg).unwrap_err().to_string();
            assert!(e.contains("readable by other users (mode 0644)"), "{e}");
            assert!(e.contains("chmod 600"), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        check(&file, &cfg).unwrap();
        // Readable file in a directory others cannot enter: fine.
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(&open_dir, fs::Permissions::from_mode(0o700)).unwrap();
        check(&file, &cfg).unwrap();
        // No secrets: any mode.
        let plain = crate::config::parse("[interface]\nname = \"t0\"\n").unwrap();
        fs::set_permissions(&open_dir, fs::Permissions::from_mode(0o755)).unwrap();
        check(&file, &plain).unwrap();
        fs::remove_dir_all(&base).unwrap();
    }
}
