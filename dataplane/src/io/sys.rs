//! The few libc helpers the I/O modules share: errno conversion, integer socket options,
//! `sockaddr` <-> `SocketAddr`, and the IP_PKTINFO / IPV6_PKTINFO control messages.
//!
//! Everything that reinterprets C structures lives here so each unsafe block stays small and
//! the socket modules read as plain Rust.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Turns a libc `-1` return into the thread's errno.
pub(crate) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Same as [`cvt`] for calls returning `ssize_t`, as a byte count.
pub(crate) fn cvt_size(ret: libc::ssize_t) -> io::Result<usize> {
    usize::try_from(ret).map_err(|_| io::Error::last_os_error())
}

/// `socket(2)` with CLOEXEC and NONBLOCK set atomically.
pub(crate) fn socket(
    domain: libc::c_int,
    ty: libc::c_int,
    protocol: libc::c_int,
) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers; the result is checked before use.
    let fd = cvt(unsafe {
        libc::socket(
            domain,
            ty | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            protocol,
        )
    })?;
    // SAFETY: `fd` was just returned by socket(2), is open, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sets an `int`-valued socket option.
pub(crate) fn setsockopt_int(
    fd: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the option value points at a live c_int whose size is passed alongside it.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// A `SocketAddr` as the kernel wants it.
pub(crate) fn to_sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid (AF_UNSPEC) value.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for every sockaddr type.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo().to_be(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: as above.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// The address the kernel wrote into `storage`, or `None` for a family we do not speak.
pub(crate) fn from_sockaddr(
    storage: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> Option<SocketAddr> {
    let len = len as usize;
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a sockaddr_in, the kernel wrote at
            // least that many bytes, and sockaddr_storage is aligned for it.
            let sin: libc::sockaddr_in =
                unsafe { std::ptr::read((storage as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes()),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for sockaddr_in6.
            let sin6: libc::sockaddr_in6 =
                unsafe { std::ptr::read((storage as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// `linux/udp.h`: send a buffer as equal-size datagrams (GSO), and receive coalesced ones (GRO).
/// libc defines them only for some C libraries.
pub(crate) const UDP_SEGMENT: libc::c_int = 103;
pub(crate) const UDP_GRO: libc::c_int = 104;

/// Control-message space for one message: fits IP_PKTINFO or IPV6_PKTINFO plus a UDP_SEGMENT
/// (40 + 24 bytes for IPv6), aligned like `cmsghdr` (a `size_t` first field).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(crate) struct CmsgBuf(pub(crate) [u8; 64]);

impl CmsgBuf {
    pub(crate) const fn new() -> Self {
        Self([0; 64])
    }
}

/// What the packet-info control message told about a received datagram.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PacketInfo {
    /// The destination address in the IP header (ours).
    pub(crate) dst: Option<IpAddr>,
    /// The interface it arrived on.
    pub(crate) ifindex: u32,
    /// UDP GRO: the datagram is a train of segments of this size (the last may be shorter).
    pub(crate) gro_segment: Option<usize>,
}

/// Walks the control messages of a `msghdr` the kernel filled and picks out the packet info.
pub(crate) fn parse_pktinfo(hdr: &libc::msghdr) -> PacketInfo {
    let mut info = PacketInfo::default();
    // SAFETY: `hdr` comes from a successful recvmsg/recvmmsg, so msg_control/msg_controllen
    // describe a buffer holding well-formed control messages; the CMSG_* macros stay inside it.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(hdr) };
    while !cmsg.is_null() {
        // SAFETY: CMSG_FIRSTHDR/CMSG_NXTHDR return null or a header inside the buffer.
        let (level, ty) = unsafe { ((*cmsg).cmsg_level, (*cmsg).cmsg_type) };
        // SAFETY: as above; CMSG_DATA points just past that header.
        let data = unsafe { libc::CMSG_DATA(cmsg) };
        match (level, ty) {
            (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                // SAFETY: the kernel writes a whole in_pktinfo for IP_PKTINFO; read_unaligned
                // because CMSG_DATA guarantees no alignment for the payload type.
                let pi: libc::in_pktinfo = unsafe { std::ptr::read_unaligned(data.cast()) };
                info.dst = Some(IpAddr::V4(Ipv4Addr::from(pi.ipi_addr.s_addr.to_ne_bytes())));
                info.ifindex = pi.ipi_ifindex as u32;
            }
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                // SAFETY: likewise, a whole in6_pktinfo for IPV6_PKTINFO.
                let pi: libc::in6_pktinfo = unsafe { std::ptr::read_unaligned(data.cast()) };
                info.dst = Some(IpAddr::V6(Ipv6Addr::from(pi.ipi6_addr.s6_addr)));
                info.ifindex = pi.ipi6_ifindex;
            }
            (libc::SOL_UDP, UDP_GRO) => {
                // SAFETY: the kernel writes one int, the segment size, for UDP_GRO.
                let size: libc::c_int = unsafe { std::ptr::read_unaligned(data.cast()) };
                info.gro_segment = usize::try_from(size).ok().filter(|s| *s > 0);
            }
            _ => {}
        }
        // SAFETY: `cmsg` is a valid header of `hdr`'s control buffer.
        cmsg = unsafe { libc::CMSG_NXTHDR(hdr, cmsg) };
    }
    info
}

/// Writes a packet-info control message that picks `src` as the source address of a sent
/// datagram (IP_PKTINFO's `ipi_spec_dst`, IPV6_PKTINFO's `ipi6_addr`). Returns the control
/// length to put in `msg_controllen`.
pub(crate) fn write_src_pktinfo(buf: &mut CmsgBuf, src: IpAddr) -> usize {
    let (level, ty, payload_len) = match src {
        IpAddr::V4(_) => (
            libc::IPPROTO_IP,
            libc::IP_PKTINFO,
            size_of::<libc::in_pktinfo>(),
        ),
        IpAddr::V6(_) => (
            libc::IPPROTO_IPV6,
            libc::IPV6_PKTINFO,
            size_of::<libc::in6_pktinfo>(),
        ),
    };
    // SAFETY: CMSG_SPACE/CMSG_LEN only compute sizes.
    let (space, cmsg_len) = unsafe {
        (
            libc::CMSG_SPACE(payload_len as libc::c_uint) as usize,
            libc::CMSG_LEN(payload_len as libc::c_uint) as usize,
        )
    };
    debug_assert!(space <= buf.0.len());
    buf.0[..space].fill(0);
    // SAFETY: all-zero is a valid msghdr (null pointers, zero lengths).
    let mut hdr: libc::msghdr = unsafe { zeroed() };
    hdr.msg_control = buf.0.as_mut_ptr().cast();
    hdr.msg_controllen = space as _;
    // SAFETY: the control buffer is `space` bytes long and aligned for cmsghdr, so the first
    // header and its payload fit; payloads are written unaligned.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&hdr);
        (*cmsg).cmsg_level = level;
        (*cmsg).cmsg_type = ty;
        (*cmsg).cmsg_len = cmsg_len as _;
        let data = libc::CMSG_DATA(cmsg);
        match src {
            IpAddr::V4(a) => std::ptr::write_unaligned(
                data.cast(),
                libc::in_pktinfo {
                    ipi_ifindex: 0,
                    ipi_spec_dst: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.octets()),
                    },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                },
            ),
            IpAddr::V6(a) => std::ptr::write_unaligned(
                data.cast(),
                libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: a.octets(),
                    },
                    ipi6_ifindex: 0,
                },
            ),
        }
    }
    space
}

/// Appends a UDP_SEGMENT control message (the GSO segment size of a sent buffer) after the
/// `used` bytes already in `buf`. Returns the new control length.
pub(crate) fn append_udp_segment(buf: &mut CmsgBuf, used: usize, segment: u16) -> usize {
    let payload = size_of::<u16>() as libc::c_uint;
    // SAFETY: CMSG_SPACE/CMSG_LEN only compute sizes.
    let (space, cmsg_len) = unsafe {
        (
            libc::CMSG_SPACE(payload) as usize,
            libc::CMSG_LEN(payload) as usize,
        )
    };
    let Some(room) = buf.0.get_mut(used..used + space) else {
        return used;
    };
    room.fill(0);
    let hdr = libc::cmsghdr {
        cmsg_len: cmsg_len as _,
        cmsg_level: libc::SOL_UDP,
        cmsg_type: UDP_SEGMENT,
    };
    let data_at = cmsg_len - payload as usize;
    // SAFETY: `room` holds `space` bytes, enough for the header and its payload; both writes
    // are unaligned-safe.
    unsafe {
        std::ptr::write_unaligned(room.as_mut_ptr().cast::<libc::cmsghdr>(), hdr);
        std::ptr::write_unaligned(room.as_mut_ptr().add(data_at).cast::<u16>(), segment);
    }
    used + space
}

/// Asks for `size`-byte receive and send buffers; the forced variants need CAP_NET_ADMIN, the
/// plain ones are silently capped at net.core.[rw]mem_max. Neither failure matters for
/// correctness, only for how large a burst the socket absorbs.
pub(crate) fn grow_buffers(fd: &impl AsRawFd, size: usize) {
    let size = size as libc::c_int;
    for (force, plain) in [
        (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
        (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
    ] {
        if setsockopt_int(fd, libc::SOL_SOCKET, force, size).is_err() {
            let _ = setsockopt_int(fd, libc::SOL_SOCKET, plain, size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddr_round_trip() {
        for a in [
            "192.0.2.7:4500".parse::<SocketAddr>().unwrap(),
            "[2001:db8::1]:500".parse().unwrap(),
            SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 9, 0x12345, 3)),
        ] {
            let (s, l) = to_sockaddr(a);
            assert_eq!(from_sockaddr(&s, l), Some(a));
            assert_eq!(from_sockaddr(&s, l - 1), None, "short length is refused");
        }
    }

    #[test]
    fn pktinfo_written_is_parsed_back() {
        // A control message we build for sending reads back through the receive parser,
        // except that the send side puts the v4 source in `ipi_spec_dst`.
        let mut buf = CmsgBuf::new();
        let src: IpAddr = "2001:db8::9".parse().unwrap();
        let len = write_src_pktinfo(&mut buf, src);
        // SAFETY: all-zero is a valid msghdr.
        let mut hdr: libc::msghdr = unsafe { zeroed() };
        hdr.msg_control = buf.0.as_mut_ptr().cast();
        hdr.msg_controllen = len as _;
        assert_eq!(parse_pktinfo(&hdr).dst, Some(src));
    }
}
