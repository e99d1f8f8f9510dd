//! Multi-queue TUN device: one queue fd per worker, so each worker reads and writes the
//! clear-text side without sharing a descriptor (the kernel spreads flows over the queues by
//! flow hash).
//!
//! The device is not persistent: it exists while at least one queue fd is open and the kernel
//! deletes it when the last one closes, so a crashed daemon leaves nothing behind. Link
//! settings (MTU, up/down, ifindex) go through ioctls on a throw-away AF_INET datagram socket,
//! in the network namespace of the calling thread.

use super::sys::{cvt, cvt_size, socket};
use crate::wire::vnet;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Longest interface name the kernel accepts (IFNAMSIZ less the terminating NUL).
pub const MAX_NAME_LEN: usize = libc::IFNAMSIZ - 1;

/// The kernel's limit on queues per TUN device (MAX_TAP_QUEUES).
pub const MAX_QUEUES: usize = 256;

/// One queue of a multi-queue TUN device. Reads return one IP packet each (no packet-info
/// prefix); both directions are nonblocking and pass `WouldBlock` through.
#[derive(Debug)]
pub struct TunQueue {
    fd: OwnedFd,
    name: String,
}

impl TunQueue {
    /// The interface name (as the kernel resolved it, for a `%d` template).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads one packet into `buf` with what its virtio-net header says: with offloads on
    /// (`enable_offloads`), a TCP train to segment or a checksum to complete.
    pub fn read_offloaded(&mut self, buf: &mut [u8]) -> io::Result<(usize, vnet::Received)> {
        let mut hdr = [0u8; vnet::HEADER_LEN];
        let mut iov = [
            libc::iovec {
                iov_base: hdr.as_mut_ptr().cast(),
                iov_len: hdr.len(),
            },
            libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            },
        ];
        loop {
            // SAFETY: both iovecs point at live, writable buffers of the lengths they state.
            let n = unsafe { libc::readv(self.fd.as_raw_fd(), iov.as_mut_ptr(), 2) };
            match cvt_size(n) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => {
                    let n = r?.saturating_sub(vnet::HEADER_LEN);
                    return Ok((n, vnet::Received::parse(&hdr)));
                }
            }
        }
    }

    /// Lets the kernel hand this device TCP/IPv4 trains of up to 64 KB and packets with
    /// partial checksums (TUN_F_TSO4 | TUN_F_CSUM): its stack then runs once per train, and
    /// tunsec segments before encrypting (`tso.rs`). Applies to the whole device.
    pub fn enable_offloads(&self) -> io::Result<()> {
        let flags = (libc::TUN_F_CSUM | libc::TUN_F_TSO4) as libc::c_ulong;
        // SAFETY: TUNSETOFFLOAD takes its argument by value.
        cvt(unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TUNSETOFFLOAD, flags) }).map(|_| ())
    }

    /// Reads one packet into `buf`; a packet longer than `buf` is truncated by the kernel.
    /// The virtio-net header in front of it is dropped: use this only while offloads are off.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_offloaded(buf).map(|(n, _)| n)
    }

    /// Writes one whole IP packet to the kernel.
    pub fn write(&self, packet: &[u8]) -> io::Result<usize> {
        self.write_with_header(&vnet::PLAIN, packet)
    }

    /// Writes one large TCP packet that the kernel's stack treats as a GRO-merged train of
    /// `gso.gso_size`-byte segments (see `gro.rs`).
    pub fn write_gso(&self, packet: &[u8], gso: vnet::Gso) -> io::Result<usize> {
        let mut hdr = [0u8; vnet::HEADER_LEN];
        gso.emit(&mut hdr);
        self.write_with_header(&hdr, packet)
    }

    fn write_with_header(&self, hdr: &[u8; vnet::HEADER_LEN], packet: &[u8]) -> io::Result<usize> {
        let iov = [
            libc::iovec {
                iov_base: hdr.as_ptr() as *mut _,
                iov_len: hdr.len(),
            },
            libc::iovec {
                iov_base: packet.as_ptr() as *mut _,
                iov_len: packet.len(),
            },
        ];
        loop {
            // SAFETY: both iovecs point at live buffers of the lengths they state; writev
            // only reads them.
            let n = unsafe { libc::writev(self.fd.as_raw_fd(), iov.as_ptr(), 2) };
            match cvt_size(n) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r.map(|n| n.saturating_sub(vnet::HEADER_LEN)),
            }
        }
    }
}

impl crate::gro::PacketSink for TunQueue {
    fn write_plain(&mut self, packet: &[u8]) {
        // A full kernel queue drops the packet, as a full NIC ring would.
        let _ = self.write(packet);
    }
    fn write_gso(&mut self, packet: &[u8], gso: vnet::Gso) {
        let _ = TunQueue::write_gso(self, packet, gso);
    }
}

impl AsRawFd for TunQueue {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TunQueue {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Checks an interface name the way the kernel's `dev_valid_name` does, so a bad name fails
/// here with a clear error instead of an EINVAL from an ioctl. A `%d` template is allowed.
pub fn validate_name(name: &str) -> io::Result<()> {
    let bad = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid interface name {name:?}: {why}"),
        ))
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > MAX_NAME_LEN {
        return bad("longer than 15 bytes");
    }
    if name == "." || name == ".." {
        return bad("reserved");
    }
    if name
        .chars()
        .any(|c| c == '/' || c == ':' || c == '\0' || c.is_whitespace())
    {
        return bad("contains '/', ':', NUL or whitespace");
    }
    Ok(())
}

/// An `ifreq` carrying `name` (validated) and zeroes elsewhere.
fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    validate_name(name)?;
    // SAFETY: ifreq is plain old data (a name array and a union of integers, sockaddrs and a
    // pointer); all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    Ok(ifr)
}

/// The name the kernel left in an `ifreq` (NUL-terminated within IFNAMSIZ).
fn ifreq_name(ifr: &libc::ifreq) -> io::Result<String> {
    let bytes: Vec<u8> = ifr
        .ifr_name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Opens `queues` queues of the TUN device `name`, creating it if it does not exist. Every
/// queue is attached with IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE (the kernel requires the flag
/// on the first attach too), and every fd is O_CLOEXEC | O_NONBLOCK.
///
/// `name` may be a template such as `"tsec%d"`; the kernel picks the number on the first
/// attach and the remaining queues use the resolved name ([`TunQueue::name`]).
pub fn open_queues(name: &str, queues: usize) -> io::Result<Vec<TunQueue>> {
    if queues == 0 || queues > MAX_QUEUES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a TUN device has 1 to {MAX_QUEUES} queues, not {queues}"),
        ));
    }
    let mut name = name.to_owned();
    validate_name(&name)?;
    let mut out = Vec::with_capacity(queues);
    for _ in 0..queues {
        let q = open_queue(&name)?;
        name.clone_from(&q.name);
        out.push(q);
    }
    Ok(out)
}

fn open_queue(name: &str) -> io::Result<TunQueue> {
    let mut ifr = ifreq(name)?;
    ifr.ifr_ifru.ifru_flags =
        (libc::IFF_TUN | libc::IFF_NO_PI | libc::IFF_MULTI_QUEUE | libc::IFF_VNET_HDR)
            as libc::c_short;
    let path = c"/dev/net/tun";
    // SAFETY: `path` is a NUL-terminated string; open(2) takes no other pointers.
    let fd = cvt(unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDWR | libc::O_CLOEXEC | libc::O_NONBLOCK,
        )
    })?;
    // SAFETY: `fd` was just returned by open(2) and nothing else owns it; from here on
    // OwnedFd closes it on every exit path.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: TUNSETIFF reads and writes one ifreq, which lives for the call.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF, &mut ifr) })?;
    Ok(TunQueue {
        name: ifreq_name(&ifr)?,
        fd,
    })
}

/// Runs one SIOC* interface ioctl on a fresh AF_INET datagram socket.
fn link_ioctl(request: libc::Ioctl, ifr: &mut libc::ifreq) -> io::Result<()> {
    let sock = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
    // SAFETY: every SIOC*IF* request used here reads and writes exactly one ifreq.
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), request, ifr as *mut libc::ifreq) }).map(drop)
}

/// Sets the MTU of interface `name` (SIOCSIFMTU).
pub fn set_mtu(name: &str, mtu: u32) -> io::Result<()> {
    let mut ifr = ifreq(name)?;
    ifr.ifr_ifru.ifru_mtu = libc::c_int::try_from(mtu)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "MTU out of range"))?;
    link_ioctl(libc::SIOCSIFMTU, &mut ifr)
}

/// The MTU of interface `name` (SIOCGIFMTU).
pub fn mtu(name: &str) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    link_ioctl(libc::SIOCGIFMTU, &mut ifr)?;
    // SAFETY: SIOCGIFMTU succeeded, so the kernel stored the MTU in this union member.
    let mtu = unsafe { ifr.ifr_ifru.ifru_mtu };
    u32::try_from(mtu).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The interface flags of `name` (SIOCGIFFLAGS): IFF_UP, IFF_RUNNING, ...
pub fn flags(name: &str) -> io::Result<libc::c_int> {
    let mut ifr = ifreq(name)?;
    link_ioctl(libc::SIOCGIFFLAGS, &mut ifr)?;
    // SAFETY: SIOCGIFFLAGS succeeded, so the kernel stored the flags in this union member.
    // The kernel's flags are an unsigned short; widen without sign extension.
    Ok(libc::c_int::from(unsafe { ifr.ifr_ifru.ifru_flags } as u16))
}

/// Brings interface `name` up or down (SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP changed).
pub fn set_up(name: &str, up: bool) -> io::Result<()> {
    let mut ifr = ifreq(name)?;
    link_ioctl(libc::SIOCGIFFLAGS, &mut ifr)?;
    // SAFETY: SIOCGIFFLAGS succeeded, so the flags member is the one the kernel wrote.
    let current = unsafe { ifr.ifr_ifru.ifru_flags };
    let up_bit = libc::IFF_UP as libc::c_short;
    let wanted = if up {
        current | up_bit
    } else {
        current & !up_bit
    };
    if wanted == current {
        return Ok(());
    }
    ifr.ifr_ifru.ifru_flags = wanted;
    link_ioctl(libc::SIOCSIFFLAGS, &mut ifr)
}

/// The interface index of `name` (SIOCGIFINDEX); fails with ENODEV when there is none.
pub fn ifindex(name: &str) -> io::Result<u32> {
    let mut ifr = ifreq(name)?;
    link_ioctl(libc::SIOCGIFINDEX, &mut ifr)?;
    // SAFETY: SIOCGIFINDEX succeeded, so the kernel stored the index in this union member.
    let index = unsafe { ifr.ifr_ifru.ifru_ifindex };
    u32::try_from(index).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        for ok in ["tun0", "tsec%d", "a", "x23456789012345", "wg-ü"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "x234567890123456",
            "a/b",
            "a b",
            "tab\t",
            "a:1",
            ".",
            "..",
            "nul\0",
        ] {
            let e = validate_name(bad).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
        // 15 bytes but more characters than bytes allow is about bytes, not chars.
        assert!(validate_name("üüüüüüüü").is_err());
    }

    #[test]
    fn queue_count_is_checked_before_touching_the_kernel() {
        for n in [0, MAX_QUEUES + 1] {
            let e = open_queues("tun-none", n).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        }
        assert_eq!(
            open_queues("bad name", 1).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
