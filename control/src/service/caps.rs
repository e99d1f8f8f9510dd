//! Dropping privileges once setup is done. Setup (TUN device, raw and port-500 sockets, the
//! control socket, addresses and routes) needs root's capabilities; afterwards the daemon
//! only changes routes on reload and removes what it added at exit (`ip`, which needs
//! CAP_NET_ADMIN), so every thread keeps CAP_NET_ADMIN and CAP_NET_RAW and nothing else.
//! The bounding set is cut to the same two, so the `ip` commands run later inherit no more.
//!
//! Capabilities belong to threads: the control thread calls [`drop_to_runtime`] when setup
//! is complete, and each worker calls it as it starts.

use std::io;

const CAP_NET_ADMIN: u32 = 12;
const CAP_NET_RAW: u32 = 13;
/// The capabilities the running daemon keeps.
pub const KEPT: &[u32] = &[CAP_NET_ADMIN, CAP_NET_RAW];
/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The kept set as a 64-bit mask (bit n = capability n).
pub fn kept_mask() -> u64 {
    KEPT.iter().fold(0, |m, c| m | (1u64 << c))
}

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

/// Limits the calling thread to [`KEPT`]: bounding set, then effective, permitted and
/// inheritable sets. Without the capabilities to change them (not root), nothing is
/// dropped and the error says why.
pub fn drop_to_runtime() -> io::Result<()> {
    let keep = kept_mask();
    for cap in 0..=last_cap() {
        if keep & (1u64 << cap) != 0 {
            continue;
        }
        // SAFETY: PR_CAPBSET_DROP takes a capability number and no pointers.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
        // EINVAL: a capability this kernel does not know; nothing to drop.
        if rc != 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINVAL) {
                return Err(e);
            }
        }
    }
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and two data words as capget(2) requires for version 3.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    for (i, word) in data.iter_mut().enumerate() {
        let mask = (keep >> (32 * i)) as u32;
        word.effective &= mask;
        word.permitted &= mask;
        word.inheritable &= mask;
    }
    // SAFETY: as above, for capset(2).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A capability mask from a `/proc/.../status` line (`CapEff:\t0000000000003000`).
    fn status_mask(status: &str, field: &str) -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap()
    }

    #[test]
    fn a_thread_keeps_only_net_admin_and_net_raw() {
        // Capabilities are per thread: drop in a thread of our own, leaving the test runner's
        // threads as they were.
        let masks = std::thread::spawn(|| {
            let before = std::fs::read_to_string("/proc/thread-self/status").unwrap();
            let result = drop_to_runtime();
            let after = std::fs::read_to_string("/proc/thread-self/status").unwrap();
            (before, result.is_ok(), after)
        })
        .join()
        .unwrap();
        let (before, ok, after) = masks;
        let had = status_mask(&before, "CapEff:");
        let eff = status_mask(&after, "CapEff:");
        assert_eq!(eff & !kept_mask(), 0, "effective {eff:#x} after the drop");
        assert_eq!(eff, had & kept_mask());
        if ok && had & kept_mask() == kept_mask() {
            // Run as root (the netns tests' setting): exactly the two remain, also in the
            // bounding set that exec'd `ip` commands inherit.
            assert_eq!(eff, 0x3000);
            assert_eq!(status_mask(&after, "CapBnd:"), 0x3000);
        }
    }
}
