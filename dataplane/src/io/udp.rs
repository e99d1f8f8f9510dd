//! The NAT-T / IKE UDP socket (ports 500 and 4500).
//!
//! Every worker binds its own socket to the same address with SO_REUSEPORT, and the kernel
//! spreads peers over them by 4-tuple hash, so one peer's traffic always meets the same worker
//! (and one tunnel does not scale past one core without re-dispatch). Packet info is switched
//! on so each datagram reports which local address it was sent to: a responder bound to a
//! wildcard address answers from that address, and [`super::synthesize_outer`] can rebuild
//! the outer header the socket stripped.
//!
//! Batch I/O is [`RecvBatch`] / [`SendBatch`]; [`UdpSocketFd::send_to`] is for the odd single
//! packet (NAT keepalives, IKE).

use super::sys::setsockopt_int;
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

pub use super::batch::{DEFAULT_BATCH, Flushed, PushError, RecvBatch, RecvMeta, SendBatch};

/// Socket buffer size asked for (best effort): a few batches of full-size packets per worker.
pub const SOCKET_BUFFER: usize = 4 << 20;

/// A nonblocking, close-on-exec UDP socket bound with SO_REUSEPORT and packet info enabled.
#[derive(Debug)]
pub struct UdpSocketFd {
    socket: std::net::UdpSocket,
}

/// Binds a UDP socket to `local` for one worker; call once per worker with the same address.
///
/// Sets SO_REUSEADDR and SO_REUSEPORT, nonblocking and close-on-exec, asks for
/// [`SOCKET_BUFFER`]-byte receive and send buffers (SO_*BUFFORCE when privileged, else capped
/// by the sysctl maxima; failures ignored), and enables IP_PKTINFO (IPv4) or IPV6_RECVPKTINFO
/// with IPV6_V6ONLY (IPv6; IPv4 gets its own socket).
pub fn bind_reuseport(local: SocketAddr) -> io::Result<UdpSocketFd> {
    let socket = Socket::new(
        Domain::for_address(local),
        Type::DGRAM.nonblocking().cloexec(),
        Some(Protocol::UDP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    super::sys::grow_buffers(&socket, SOCKET_BUFFER);
    if local.is_ipv4() {
        setsockopt_int(&socket, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)?;
    } else {
        socket.set_only_v6(true)?;
        setsockopt_int(&socket, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
    }
    socket.bind(&local.into())?;
    Ok(UdpSocketFd {
        socket: socket.into(),
    })
}

/// Asks the kernel to coalesce same-size datagrams of a flow into one receive (UDP_GRO,
/// Linux 5.0); [`super::batch::RecvMeta::gro_segment`] then tells the segment size.
pub fn enable_gro(sock: &UdpSocketFd) -> io::Result<()> {
    setsockopt_int(&sock.socket, libc::SOL_UDP, super::sys::UDP_GRO, 1)
}

impl UdpSocketFd {
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Sends one datagram; nonblocking, so `WouldBlock` passes through.
    pub fn send_to(&self, data: &[u8], dst: SocketAddr) -> io::Result<usize> {
        self.socket.send_to(data, dst)
    }

    /// Receives one datagram (slow paths and tests; the data path uses [`RecvBatch`]).
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.socket.recv_from(buf)
    }

    /// The underlying std socket, e.g. to register with an event loop.
    pub fn as_std(&self) -> &std::net::UdpSocket {
        &self.socket
    }
}

impl AsRawFd for UdpSocketFd {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

impl AsFd for UdpSocketFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of equal datagrams (and a shorter last one) leaves as one GSO send and arrives
    /// as the same datagrams; with GRO on, as one coalesced receive that names the size.
    #[test]
    fn gso_send_and_gro_receive_over_loopback() {
        let rx = bind_reuseport("127.0.0.1:0".parse().unwrap()).unwrap();
        let to = rx.local_addr().unwrap();
        let tx = bind_reuseport("127.0.0.1:0".parse().unwrap()).unwrap();
        let packets: Vec<Vec<u8>> = (0..5u8)
            .map(|i| vec![i; 100])
            .chain(std::iter::once(vec![9u8; 40]))
            .collect();
        let send = |gso: bool| {
            let mut b = SendBatch::new(8, 0, 2048).unwrap();
            b.set_gso(gso);
            for p in &packets {
                b.push(to, p).unwrap();
            }
            let f = b.flush(&tx).unwrap();
            assert_eq!((f.sent, f.dropped), (6, 0), "{:?}", f.last_error);
        };
        let mut r = RecvBatch::new(8, 0, 65535).unwrap();
        // Without GRO on the receiver the kernel cuts the GSO send back into datagrams.
        send(true);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let n = r.recv(&rx).unwrap();
        assert_eq!(n, 6);
        for (i, p) in packets.iter().enumerate() {
            assert_eq!(r.payload(i).unwrap(), &p[..]);
            assert_eq!(r.meta()[i].gro_segment, None);
        }
        // With GRO the train arrives whole, with its segment size.
        enable_gro(&rx).unwrap();
        send(true);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let n = r.recv(&rx).unwrap();
        assert_eq!(n, 1);
        assert_eq!(r.meta()[0].gro_segment, Some(100));
        let joined: Vec<u8> = packets.concat();
        assert_eq!(r.payload(0).unwrap(), &joined[..]);
        let seg = r.segment_buf(0, 500, 40).unwrap();
        assert_eq!(seg.data(), &[9u8; 40][..]);
        assert_eq!(seg.headroom(), 500);
    }
}
