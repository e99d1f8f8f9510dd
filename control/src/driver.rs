//! The IKE driver: the I/O around the sans-I/O [`Endpoint`]. It owns the UDP port-500
//! sockets (one per address family, with IP_PKTINFO so the local address of each request
//! is known for NAT detection), feeds received messages and the time into the endpoint,
//! and hands the resulting actions to the runtime. IKE on port 4500 reaches it through the
//! workers, which own that port (see `Command::SendIke` and `Event::Ike`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use tunsec_dataplane::io::udp::{self, RecvBatch, UdpSocketFd};

use crate::config::Config;
use crate::ike::endpoint::{Action, Endpoint, IKE_PORT};
use crate::ike::peers::{IkeConfig, ike_config};

/// IKE messages read per socket wakeup.
const RECV_SLOTS: usize = 8;
/// The largest IKE datagram we accept (fragmentation keeps real ones far smaller).
const MAX_IKE_DATAGRAM: usize = 65535;

pub struct IkeDriver {
    pub endpoint: Endpoint,
    sockets: Vec<UdpSocketFd>,
    recv: RecvBatch,
}

impl IkeDriver {
    /// The driver for a configuration's IKEv2 peers, or `None` when it has none. Warnings
    /// about peers left out are returned for the log.
    pub fn new(
        cfg: &Config,
        now: Instant,
        mark: impl Fn(&UdpSocketFd) -> io::Result<()>,
    ) -> io::Result<(Option<IkeDriver>, Vec<String>)> {
        let (ike, warnings) = ike_config(cfg);
        if ike.is_empty() {
            return Ok((None, warnings));
        }
        let families = families(&ike);
        let mut sockets = Vec::new();
        for v6 in families {
            let any: IpAddr = if v6 {
                Ipv6Addr::UNSPECIFIED.into()
            } else {
                Ipv4Addr::UNSPECIFIED.into()
            };
            let s = udp::bind_reuseport(SocketAddr::new(any, IKE_PORT))?;
            mark(&s)?;
            sockets.push(s);
        }
        let recv = RecvBatch::new(RECV_SLOTS, 0, MAX_IKE_DATAGRAM)?;
        Ok((
            Some(IkeDriver {
                endpoint: Endpoint::new(ike, now),
                sockets,
                recv,
            }),
            warnings,
        ))
    }

    /// Registers the port-500 sockets with tokens `first`, `first + 1`, ...
    pub fn register(&self, registry: &Registry, first: usize) -> io::Result<()> {
        for (i, s) in self.sockets.iter().enumerate() {
            registry.register(
                &mut SourceFd(&s.as_raw_fd()),
                Token(first + i),
                Interest::READABLE,
            )?;
        }
        Ok(())
    }

    pub fn sockets(&self) -> usize {
        self.sockets.len()
    }

    /// Reads every waiting datagram on port 500 into the endpoint.
    pub fn receive(&mut self, now: Instant) {
        for i in 0..self.sockets.len() {
            while let Ok(n) = self.recv.recv(&self.sockets[i]) {
                for m in 0..n {
                    let Some(meta) = self.recv.meta().get(m).copied() else {
                        continue;
                    };
                    let (Some(local), false) = (meta.dst, meta.truncated) else {
                        continue;
                    };
                    if let Some(bytes) = self.recv.payload(m) {
                        let bytes = bytes.to_vec();
                        self.endpoint.handle(
                            now,
                            SocketAddr::new(local, IKE_PORT),
                            meta.src,
                            &bytes,
                        );
                    }
                }
                if n < self.recv.slots() {
                    break;
                }
            }
        }
    }

    /// Sends a datagram on port 500 from the socket of its family.
    pub fn send_500(&self, remote: SocketAddr, message: &[u8]) {
        let sock = self.sockets.iter().find(|s| {
            s.local_addr()
                .is_ok_and(|a| a.is_ipv6() == remote.is_ipv6())
        });
        if let Some(s) = sock {
            let _ = s.send_to(message, remote);
        }
    }

    pub fn take_actions(&mut self) -> Vec<Action> {
        self.endpoint.take_actions()
    }
}

/// Address families IKE needs (from the peers' addresses).
fn families(ike: &IkeConfig) -> Vec<bool> {
    let mut out = Vec::new();
    for p in &ike.peers {
        let v6 = p.address.addr().is_ipv6();
        if !out.contains(&v6) {
            out.push(v6);
        }
    }
    out
}
