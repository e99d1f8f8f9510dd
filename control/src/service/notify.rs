//! systemd's readiness protocol (`Type=notify`): one datagram per state change to the Unix
//! socket named by `$NOTIFY_SOCKET` (a path, or an abstract name written with a leading
//! `@`). Without the variable (not started by systemd) nothing is sent.

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Sends `state` (`READY=1`, `RELOADING=1`, `STOPPING=1`, `STATUS=...`, newline-separated)
/// to systemd. Returns `Ok(false)` when not run under systemd.
pub fn notify(state: &str) -> io::Result<bool> {
    match std::env::var_os("NOTIFY_SOCKET") {
        Some(path) => send(&path.to_string_lossy(), state).map(|()| true),
        None => Ok(false),
    }
}

/// Sends `state` to the notify socket `path` (`@name` for an abstract socket).
fn send(path: &str, state: &str) -> io::Result<()> {
    let addr = match path.strip_prefix('@') {
        Some(name) => SocketAddr::from_abstract_name(name.as_bytes())?,
        None => SocketAddr::from_pathname(path)?,
    };
    let socket = UnixDatagram::unbound()?;
    socket.send_to_addr(state.as_bytes(), &addr)?;
    Ok(())
}

/// [`notify`], logging rather than failing: readiness is a courtesy to the service manager.
pub fn tell(state: &str) {
    if let Err(e) = notify(state) {
        crate::logging::emit(
            "system,warning",
            &format!("cannot notify systemd ({state}): {e}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_reach_the_socket_by_path_and_abstract_name() {
        let dir = std::env::temp_dir().join(format!("tunsec-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let listener = UnixDatagram::bind(&path).unwrap();
        send(&path.to_string_lossy(), "READY=1").unwrap();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");

        let name = format!("tunsec-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let abstract_listener = UnixDatagram::bind_addr(&addr).unwrap();
        send(&format!("@{name}"), "STOPPING=1").unwrap();
        let n = abstract_listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");

        assert!(send(&dir.join("absent.sock").to_string_lossy(), "READY=1").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
