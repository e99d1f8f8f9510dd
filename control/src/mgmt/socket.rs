//! The control socket: a root-only Unix stream socket speaking one request line per
//! connection.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The listening side, removed from the file system when dropped.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ControlSocket {
    /// Binds `path` (replacing a stale socket file), mode 0600. The parent directory is created
    /// with mode 0700 when missing.
    pub fn bind(path: &Path) -> io::Result<ControlSocket> {
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            fs::create_dir_all(dir)?;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        match UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} is in use by a running tunsec", path.display()),
                ));
            }
            Err(_) if path.exists() => fs::remove_file(path)?,
            Err(_) => {}
        }
        // Create it unreadable by others from the first moment, then tighten to 0600.
        // SAFETY: umask only changes this process's file-creation mask.
        let old = unsafe { libc::umask(0o177) };
        let bound = UnixListener::bind(path);
        // SAFETY: as above, restoring the previous mask.
        unsafe { libc::umask(old) };
        let listener = bound?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        listener.set_nonblocking(true)?;
        Ok(ControlSocket {
            listener,
            path: path.to_owned(),
        })
    }

    pub fn listener(&self) -> &UnixListener {
        &self.listener
    }

    /// The next waiting client's request line, or `None` when nobody is waiting.
    pub fn accept(&self) -> io::Result<Option<(UnixStream, String)>> {
        let (stream, _) = match self.listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        };
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut line = String::new();
        BufReader::new(stream.try_clone()?.take(4096)).read_line(&mut line)?;
        Ok(Some((stream, line.trim().to_owned())))
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Sends one request to a running daemon and returns its answer.
pub fn request(path: &Path, line: &str) -> io::Result<String> {
    let mut stream = UnixStream::connect(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot reach tunsec at {}: {e}", path.display()),
        )
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(line.as_bytes())?;
    stream.write_all(b"\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn root_only_and_answers() {
        let dir = std::env::temp_dir().join(format!("tunsec-sock-{}", std::process::id()));
        let path = dir.join("ctl.sock");
        let sock = ControlSocket::bind(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        let client = std::thread::spawn({
            let path = path.clone();
            move || request(&path, "print statistics").unwrap()
        });
        let (mut stream, line) = loop {
            if let Some(got) = sock.accept().unwrap() {
                break got;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(line, "print statistics");
        stream.write_all(b"in-errors: 0\n").unwrap();
        drop(stream);
        assert_eq!(client.join().unwrap(), "in-errors: 0\n");
        // A second daemon on the same path is refused while the first runs.
        assert!(ControlSocket::bind(&path).is_err());
        drop(sock);
        assert!(!path.exists());
        fs::remove_dir(&dir).unwrap();
    }
}
