//! Raw IP sockets for ESP (protocol 50) and AH (51) when a policy does not use UDP
//! encapsulation.
//!
//! The two families differ in what the socket shows:
//! - IPv4: received packets include the IP header, and sends use IP_HDRINCL, so the engine
//!   builds and reads whole packets ([`RawSocket::send_packet`]).
//! - IPv6: the kernel strips the IPv6 header (and extension headers) on receive and adds it on
//!   send, so [`RawSocket::recv`] reports source and destination (IPV6_RECVPKTINFO) for
//!   [`super::synthesize_outer`], and [`RawSocket::send_to`] takes the payload after the
//!   IPv6 header.
//!
//! Every raw protocol-50 socket on the host receives a copy of every ESP packet (raw delivery
//! is by protocol, not by flow), so only one worker may own each raw socket; more sockets
//! mean duplicate work, not scaling. Prefer UDP encapsulation for multi-core receive.
//! [`super::batch::RecvBatch`] and [`super::batch::SendBatch`] work on these sockets too.

use super::sys::{
    CmsgBuf, cvt_size, from_sockaddr, parse_pktinfo, setsockopt_int, socket, to_sockaddr,
};
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::ipv6::Ipv6Packet;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

/// A nonblocking, close-on-exec raw socket for one IP protocol.
#[derive(Debug)]
pub struct RawSocket {
    fd: OwnedFd,
    protocol: u8,
    ipv6: bool,
}

/// One packet read by [`RawSocket::recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRecv {
    /// Bytes stored (IPv4: from the IP header on; IPv6: the payload after it).
    pub len: usize,
    pub src: IpAddr,
    /// Our address the packet was sent to (packet info).
    pub dst: Option<IpAddr>,
    /// The packet did not fit the buffer and was cut.
    pub truncated: bool,
}

fn wrong_family(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

impl RawSocket {
    /// Opens a raw socket for `protocol` (50 ESP or 51 AH). IPv4 sockets get IP_HDRINCL and
    /// IP_PKTINFO, IPv6 sockets IPV6_RECVPKTINFO. Needs CAP_NET_RAW.
    pub fn open(protocol: u8, ipv6: bool) -> io::Result<RawSocket> {
        let proto = libc::c_int::from(protocol);
        let fd = if ipv6 {
            let fd = socket(libc::AF_INET6, libc::SOCK_RAW, proto)?;
            setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
            fd
        } else {
            let fd = socket(libc::AF_INET, libc::SOCK_RAW, proto)?;
            setsockopt_int(&fd, libc::IPPROTO_IP, libc::IP_HDRINCL, 1)?;
            setsockopt_int(&fd, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)?;
            fd
        };
        // A receiver that falls behind for a moment must not drop: TCP inside the tunnel
        // takes every loss as congestion.
        super::sys::grow_buffers(&fd, super::udp::SOCKET_BUFFER);
        Ok(RawSocket { fd, protocol, ipv6 })
    }

    /// Opens a send-only raw socket (IPPROTO_RAW) that takes whole IP packets, header
    /// included, for either family. Unlike a protocol-50 socket it never receives, so every
    /// worker can own one without also being handed a copy of every ESP packet on the host.
    pub fn open_sender(ipv6: bool) -> io::Result<RawSocket> {
        let fd = if ipv6 {
            let fd = socket(libc::AF_INET6, libc::SOCK_RAW, libc::IPPROTO_RAW)?;
            setsockopt_int(&fd, libc::IPPROTO_IPV6, libc::IPV6_HDRINCL, 1)?;
            fd
        } else {
            socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_RAW)?
        };
        super::sys::grow_buffers(&fd, super::udp::SOCKET_BUFFER);
        Ok(RawSocket {
            fd,
            protocol: libc::IPPROTO_RAW as u8,
            ipv6,
        })
    }

    pub fn protocol(&self) -> u8 {
        self.protocol
    }
    pub fn is_ipv6(&self) -> bool {
        self.ipv6
    }

    /// Sends a whole IP packet built by the engine, header included, to the header's
    /// destination: any IPv4 raw socket (IP_HDRINCL), or an IPv6 one from
    /// [`open_sender`](Self::open_sender) (IPV6_HDRINCL). For IPv4 the kernel fills in the
    /// total length and header checksum, and the source and identification when zero.
    pub fn send_packet(&self, packet: &[u8]) -> io::Result<usize> {
        let invalid = |e| io::Error::new(io::ErrorKind::InvalidInput, e);
        if self.ipv6 {
            if self.protocol != libc::IPPROTO_RAW as u8 {
                return Err(wrong_family(
                    "IPv6 whole packets need a socket from open_sender",
                ));
            }
            let ip = Ipv6Packet::new_checked(packet).map_err(invalid)?;
            return self.send_raw(
                packet,
                SocketAddr::V6(SocketAddrV6::new(ip.dst_addr(), 0, 0, 0)),
            );
        }
        let ip = Ipv4Packet::new_checked(packet).map_err(invalid)?;
        self.send_raw(packet, SocketAddr::V4(SocketAddrV4::new(ip.dst_addr(), 0)))
    }

    /// IPv6 only: sends `payload` (the ESP or AH header onwards) to `dst`; the kernel adds
    /// the IPv6 header with a source address chosen by routing.
    pub fn send_to(&self, payload: &[u8], dst: Ipv6Addr) -> io::Result<usize> {
        if !self.ipv6 {
            return Err(wrong_family("send_to is for IPv6 raw sockets"));
        }
        self.send_raw(payload, SocketAddr::V6(SocketAddrV6::new(dst, 0, 0, 0)))
    }

    fn send_raw(&self, data: &[u8], dst: SocketAddr) -> io::Result<usize> {
        let (name, name_len) = to_sockaddr(dst);
        loop {
            // SAFETY: `data` and `name` are live for the call and their lengths are passed.
            let n = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    data.as_ptr().cast(),
                    data.len(),
                    libc::MSG_DONTWAIT,
                    (&name as *const libc::sockaddr_storage).cast(),
                    name_len,
                )
            };
            match cvt_size(n) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }

    /// Receives one packet into `buf` (slow paths and tests; batches use `RecvBatch`).
    /// Nonblocking: `WouldBlock` passes through.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<RawRecv> {
        // SAFETY: all-zero is a valid sockaddr_storage and msghdr (null pointers, zero sizes).
        let (mut name, mut hdr): (libc::sockaddr_storage, libc::msghdr) =
            unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
        let mut control = CmsgBuf::new();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        hdr.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
        hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        hdr.msg_iov = &mut iov;
        hdr.msg_iovlen = 1;
        hdr.msg_control = control.0.as_mut_ptr().cast();
        hdr.msg_controllen = control.0.len() as _;
        let len = loop {
            // SAFETY: `hdr` points at `name`, `iov` (over `buf`) and `control`, all live for
            // the call and as long as the lengths in `hdr` say.
            let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut hdr, libc::MSG_DONTWAIT) };
            match cvt_size(n) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        let src = from_sockaddr(&name, hdr.msg_namelen)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no source address"))?;
        Ok(RawRecv {
            len,
            src: src.ip(),
            dst: parse_pktinfo(&hdr).dst,
            truncated: hdr.msg_flags & libc::MSG_TRUNC != 0,
        })
    }
}

impl AsRawFd for RawSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for RawSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
