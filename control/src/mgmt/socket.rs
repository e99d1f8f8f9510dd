//! The control socket: a root-only Unix stream socket speaking one request line per
//! connection.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

    /// The next waiting client's request line, or `None` when nobody is waiting. A client
    /// that does not send one line within [`REQUEST_TIMEOUT`] in all, or breaks the
    /// connection, is dropped and the next one taken: no client can stop the daemon or hold
    /// its control thread longer than that.
    pub fn accept(&self) -> io::Result<Option<(UnixStream, String)>> {
        loop {
            let (stream, _) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e),
            };
            if let Some(line) = read_request(&stream) {
                return Ok(Some((stream, line)));
            }
        }
    }
}

/// How long a client has, in all, to send its request line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a client has to read its answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest request line.
const MAX_REQUEST: usize = 4096;

/// One request line, read within [`REQUEST_TIMEOUT`]; `None` if it does not come.
fn read_request(mut stream: &UnixStream) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    let mut line = Vec::new();
    let mut buf = [0u8; 512];
    while !line.contains(&b'\n') && line.len() < MAX_REQUEST {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).ok()?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => line.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    let request = String::from_utf8_lossy(&line[..end]).trim().to_owned();
    // A client that hung up without a word asked for nothing.
    (!request.is_empty()).then_some(request)
}

/// Writes `answer` to the client on a thread of its own, so a client that does not read
/// (a large `installed-sa` fills the socket buffer) never blocks the control thread.
pub fn answer_in_background(mut stream: UnixStream, answer: String) {
    let _ = std::thread::Builder::new()
        .name("control-answer".to_owned())
        .spawn(move || {
            if stream.set_write_timeout(Some(ANSWER_TIMEOUT)).is_ok() {
                let _ = stream.write_all(answer.as_bytes());
            }
        });
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

    #[test]
    fn silent_and_vanishing_clients_are_dropped_and_the_next_one_served() {
        let dir = std::env::temp_dir().join(format!("tunsec-sock2-{}", std::process::id()));
        let path = dir.join("ctl.sock");
        let sock = ControlSocket::bind(&path).unwrap();
        // One client connects and never speaks, one hangs up at once, one asks properly.
        let silent = UnixStream::connect(&path).unwrap();
        drop(UnixStream::connect(&path).unwrap());
        let good = std::thread::spawn({
            let path = path.clone();
            move || request(&path, "print installed-sa").unwrap()
        });
        let started = Instant::now();
        let (stream, line) = loop {
            if let Some(got) = sock.accept().expect("a bad client must not be an error") {
                break got;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(line, "print installed-sa");
        assert!(started.elapsed() < REQUEST_TIMEOUT + Duration::from_secs(1));
        answer_in_background(stream, "ok\n".to_owned());
        assert_eq!(good.join().unwrap(), "ok\n");
        drop(silent);
        drop(sock);
        fs::remove_dir(&dir).unwrap();
    }
}
