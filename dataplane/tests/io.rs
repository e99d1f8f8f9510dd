//! The I/O layer against the real kernel: multi-queue TUN, REUSEPORT UDP with batched
//! recvmmsg/sendmmsg and packet info, raw ESP sockets, and header synthesis, each inside a
//! private network namespace.
//!
//! Every test runs its body on a fresh thread that first calls `unshare(CLONE_NEWNET)`: the
//! namespace belongs to that thread alone (child processes it spawns inherit it, which
//! `commands_run_in_the_thread_namespace` checks) and vanishes when the thread and its fds are
//! gone, so nothing leaks into the host. Needs root (CAP_NET_ADMIN, CAP_NET_RAW).

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};
use std::process::Command;
use std::time::{Duration, Instant};
use tunsec_dataplane::buf::{DEFAULT_HEADROOM, PacketBuf};
use tunsec_dataplane::io::raw::RawSocket;
use tunsec_dataplane::io::udp::{self, RecvBatch, SendBatch};
use tunsec_dataplane::io::{synthesize_outer, tun};
use tunsec_dataplane::mode::OuterPacket;
use tunsec_dataplane::wire::ip::IpSummary;
use tunsec_dataplane::wire::ipv4::Ipv4Repr;
use tunsec_dataplane::wire::natt::{self, NattPayload};
use tunsec_dataplane::wire::udp::UdpRepr;
use tunsec_dataplane::wire::{checksum, proto};

const WAIT: Duration = Duration::from_secs(10);

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `f` on a new thread inside a private network namespace with `lo` up. Panics in `f`
/// fail the calling test. Returns `None` (the test is skipped) when not root.
fn in_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces, TUN and raw sockets");
        return None;
    }
    let t = std::thread::spawn(move || {
        // SAFETY: unshare takes no pointers; CLONE_NEWNET moves only this thread.
        let r = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(
            r,
            0,
            "unshare(CLONE_NEWNET): {}",
            io::Error::last_os_error()
        );
        tun::set_up("lo", true).unwrap();
        f()
    });
    match t.join() {
        Ok(v) => Some(v),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn ip(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Waits until one of `fds` is readable; returns which are.
fn wait_readable(fds: &[RawFd], deadline: Instant) -> Vec<bool> {
    let mut polls: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let left = deadline.saturating_duration_since(Instant::now());
    assert!(!left.is_zero(), "timed out waiting for packets");
    // SAFETY: `polls` is a live array of pollfd whose length is passed.
    let r = unsafe {
        libc::poll(
            polls.as_mut_ptr(),
            polls.len() as libc::nfds_t,
            left.as_millis() as libc::c_int,
        )
    };
    assert!(r >= 0, "poll: {}", io::Error::last_os_error());
    polls
        .iter()
        .map(|p| p.revents & libc::POLLIN != 0)
        .collect()
}

/// An IPv4/UDP packet with a valid UDP checksum.
fn udp_packet(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src.ip(), dst.ip()) else {
        panic!("IPv4 only");
    };
    let mut p = vec![0u8; 28 + payload.len()];
    Ipv4Repr {
        src: s,
        dst: d,
        protocol: proto::UDP,
        payload_len: 8 + payload.len(),
        ttl: 64,
        tos: 0,
        ident: 1,
        dont_fragment: true,
    }
    .emit(&mut p)
    .unwrap();
    UdpRepr {
        src_port: src.port(),
        dst_port: dst.port(),
        payload_len: payload.len(),
    }
    .emit(&mut p[20..])
    .unwrap();
    p[28..].copy_from_slice(payload);
    checksum::fill_transport_checksum(&mut p, 20, proto::UDP);
    p
}

#[test]
fn commands_run_in_the_thread_namespace() {
    // `ip addr add` from a test thread must act on that thread's namespace: a spawned child
    // inherits the namespaces of the thread that forks it, not of the process's main thread.
    in_netns(|| {
        let ours = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
        let out = Command::new("readlink")
            .arg("/proc/self/ns/net")
            .output()
            .unwrap();
        let child = String::from_utf8(out.stdout).unwrap();
        assert_eq!(child.trim(), ours.to_str().unwrap());
        let host =
            std::fs::read_link(format!("/proc/self/task/{}/ns/net", std::process::id())).unwrap();
        assert_ne!(ours, host, "the main thread stays in the host namespace");
        // Only loopback exists in a fresh namespace.
        let links = ip(&["-o", "link", "show"]);
        assert_eq!(links.lines().count(), 1, "{links}");
        assert!(links.contains("lo:"));
    });
}

#[test]
fn tun_queues_carry_packets_both_ways() {
    in_netns(|| {
        let mut queues = tun::open_queues("tsq%d", 2).unwrap();
        let name = queues[0].name().to_owned();
        assert!(name.starts_with("tsq"), "{name}");
        assert_eq!(queues[1].name(), name);

        tun::set_mtu(&name, 1400).unwrap();
        tun::set_up(&name, true).unwrap();
        assert_eq!(tun::mtu(&name).unwrap(), 1400);
        assert_ne!(tun::flags(&name).unwrap() & libc::IFF_UP, 0);
        let index = tun::ifindex(&name).unwrap();
        let cname = std::ffi::CString::new(name.clone()).unwrap();
        // SAFETY: `cname` is a NUL-terminated string.
        assert_eq!(unsafe { libc::if_nametoindex(cname.as_ptr()) }, index);
        ip(&["addr", "add", "10.99.0.1/24", "dev", &name]);
        // Cross-check the ioctls against what iproute2 reads over netlink.
        let link = ip(&["-o", "link", "show", "dev", &name]);
        assert!(link.contains("mtu 1400"), "{link}");
        assert!(link.contains("<POINTOPOINT,MULTICAST,NOARP,UP"), "{link}");
        assert!(
            link.contains(&format!("{index}: {name}:")),
            "{link} vs {index}"
        );

        // Kernel -> TUN: 32 flows to a peer routed into the device. Each arrives as a whole
        // IP packet on some queue, and the flow hash uses both queues.
        let peer: SocketAddr = "10.99.0.2:5555".parse().unwrap();
        let senders: Vec<UdpSocket> = (0..32)
            .map(|_| UdpSocket::bind("10.99.0.1:0").unwrap())
            .collect();
        for (i, s) in senders.iter().enumerate() {
            s.send_to(format!("flow {i}").as_bytes(), peer).unwrap();
        }
        let mut seen = BTreeSet::new();
        let mut per_queue = [0usize; 2];
        let deadline = Instant::now() + WAIT;
        let mut buf = [0u8; 2048];
        let fds: Vec<RawFd> = queues.iter().map(|q| q.as_raw_fd()).collect();
        while seen.len() < senders.len() {
            let ready = wait_readable(&fds, deadline);
            for (qi, q) in queues.iter_mut().enumerate() {
                if !ready[qi] {
                    continue;
                }
                loop {
                    let n = match q.read(&mut buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("tun read: {e}"),
                    };
                    let pkt = &buf[..n];
                    // The kernel also sends IPv6 router solicitations and the like: skip.
                    let Ok(s) = IpSummary::parse(pkt) else {
                        continue;
                    };
                    if s.protocol != proto::UDP || s.dst != peer.ip() {
                        continue;
                    }
                    assert_eq!(s.src, IpAddr::from([10, 99, 0, 1]));
                    assert_eq!(s.total_len, n);
                    let (sport, dport) = s.ports(pkt);
                    assert_eq!(dport, 5555);
                    let off = s.upper_offset.unwrap() + 8;
                    let i = senders
                        .iter()
                        .position(|x| x.local_addr().unwrap().port() == sport)
                        .unwrap();
                    assert_eq!(&pkt[off..], format!("flow {i}").as_bytes());
                    assert!(seen.insert(i), "flow {i} twice");
                    per_queue[qi] += 1;
                }
            }
        }
        assert!(
            per_queue.iter().all(|&c| c > 0),
            "flows spread over both queues: {per_queue:?}"
        );

        // TUN -> kernel: a packet written into either queue reaches a socket in the namespace.
        let local: SocketAddr = "10.99.0.1:7777".parse().unwrap();
        let rx = udp::bind_reuseport(local).unwrap();
        for (qi, q) in queues.iter().enumerate() {
            let pkt = udp_packet(peer, local, format!("via queue {qi}").as_bytes());
            assert_eq!(q.write(&pkt).unwrap(), pkt.len());
        }
        let mut batch = RecvBatch::new(8, DEFAULT_HEADROOM, 2048).unwrap();
        let mut got = Vec::new();
        let deadline = Instant::now() + WAIT;
        while got.len() < 2 {
            wait_readable(&[rx.as_raw_fd()], deadline);
            match batch.recv(&rx) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("recv: {e}"),
            }
            for (i, m) in batch.meta().iter().enumerate() {
                assert_eq!(m.src, peer);
                assert_eq!(m.dst, Some(local.ip()));
                assert_eq!(m.ifindex, index);
                got.push(String::from_utf8(batch.payload(i).unwrap().to_vec()).unwrap());
            }
        }
        got.sort();
        assert_eq!(got, ["via queue 0", "via queue 1"]);

        // The device lives while any queue fd is open and goes with the last one.
        drop(rx);
        queues.pop();
        assert_eq!(tun::ifindex(&name).unwrap(), index);
        drop(queues);
        let gone = tun::ifindex(&name).unwrap_err();
        assert_eq!(gone.raw_os_error(), Some(libc::ENODEV), "{gone}");
        assert!(
            !Command::new("ip")
                .args(["link", "show", "dev", &name])
                .output()
                .unwrap()
                .status
                .success()
        );
    });
}

#[test]
fn tun_queues_attach_later_and_errors_surface() {
    in_netns(|| {
        let q = tun::open_queues("tsqa", 1).unwrap();
        // Attaching more queues later works (what a worker pool growing would do).
        let more = tun::open_queues("tsqa", 3).unwrap();
        assert_eq!(more.len(), 3);
        assert_eq!(
            tun::set_mtu("no-such-dev", 1400)
                .unwrap_err()
                .raw_os_error(),
            Some(libc::ENODEV)
        );
        assert_eq!(
            tun::open_queues("bad/name", 1).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        // Nonblocking: an idle queue reports WouldBlock instead of hanging.
        let mut q = q;
        let mut buf = [0u8; 64];
        assert_eq!(
            q[0].read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        tun::set_up("tsqa", true).unwrap();
        tun::set_up("tsqa", false).unwrap();
        assert_eq!(tun::flags("tsqa").unwrap() & libc::IFF_UP, 0);
    });
}

/// Receives until `want` messages arrived on any of `socks`, calling `each` per message.
fn recv_all<S: AsRawFd + std::os::fd::AsFd>(
    socks: &[&S],
    batch: &mut RecvBatch,
    want: usize,
    mut each: impl FnMut(usize, &udp::RecvMeta, &[u8]),
) {
    let fds: Vec<RawFd> = socks.iter().map(|s| s.as_raw_fd()).collect();
    let deadline = Instant::now() + WAIT;
    let mut got = 0;
    while got < want {
        let ready = wait_readable(&fds, deadline);
        for (si, s) in socks.iter().enumerate() {
            if !ready[si] {
                continue;
            }
            loop {
                match batch.recv(*s) {
                    Ok(n) => assert!(n > 0 && n <= batch.slots()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("recv: {e}"),
                }
                for (i, m) in batch.meta().iter().enumerate() {
                    assert!(!m.truncated);
                    each(si, m, batch.payload(i).unwrap());
                    got += 1;
                }
            }
        }
    }
    assert_eq!(got, want);
}

#[test]
fn udp_reuseport_batches_over_loopback() {
    in_netns(|| {
        // Two workers share one wildcard port.
        let rx1 = udp::bind_reuseport("0.0.0.0:0".parse().unwrap()).unwrap();
        let port = rx1.local_addr().unwrap().port();
        let rx2 = udp::bind_reuseport(SocketAddr::from(([0, 0, 0, 0], port))).unwrap();

        // 200 datagrams from 4 senders to two local addresses; packet info says which one
        // each was sent to.
        let senders: Vec<UdpSocket> = (0..4)
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect();
        let to = |i: usize| SocketAddr::from(([127, 0, 0, 1 + (i % 2) as u8], port));
        for i in 0..200 {
            let s = &senders[i % 4];
            s.send_to(format!("datagram {i:03}").as_bytes(), to(i))
                .unwrap();
        }
        let mut batch = RecvBatch::new(udp::DEFAULT_BATCH, DEFAULT_HEADROOM, 2048).unwrap();
        let mut seen = BTreeSet::new();
        let mut per_socket = [0usize; 2];
        recv_all(&[&rx1, &rx2], &mut batch, 200, |si, m, data| {
            let text = std::str::from_utf8(data).unwrap();
            let i: usize = text.strip_prefix("datagram ").unwrap().parse().unwrap();
            assert!(seen.insert(i), "{i} twice");
            assert_eq!(m.src, senders[i % 4].local_addr().unwrap());
            assert_eq!(m.dst, Some(to(i).ip()));
            assert_eq!(m.ifindex, 1, "loopback");
            per_socket[si] += 1;
        });
        assert_eq!(seen.len(), 200);
        eprintln!("REUSEPORT split over two sockets: {per_socket:?}");

        // SendBatch: 100 datagrams, copied, sent from a chosen source, and built in place.
        let tx = udp::bind_reuseport("0.0.0.0:0".parse().unwrap()).unwrap();
        let sink = udp::bind_reuseport("127.0.0.1:0".parse().unwrap()).unwrap();
        let dst = sink.local_addr().unwrap();
        let src2: IpAddr = Ipv4Addr::new(127, 0, 0, 2).into();
        let mut out = SendBatch::new(udp::DEFAULT_BATCH, DEFAULT_HEADROOM, 2048).unwrap();
        let (mut sent, mut flushes) = (0, 0);
        for i in 0..100 {
            let msg = format!("out {i:03}");
            match i % 3 {
                0 => out.push(dst, msg.as_bytes()).unwrap(),
                1 => out.push_from(Some(src2), dst, msg.as_bytes()).unwrap(),
                _ => {
                    let slot = out.free_slot().unwrap();
                    let mut pb =
                        PacketBuf::copy_in(slot, DEFAULT_HEADROOM, &msg.as_bytes()[4..]).unwrap();
                    pb.prepend(4).unwrap().copy_from_slice(b"out ");
                    let (start, len) = (pb.start(), pb.len());
                    out.commit(None, dst, start, len).unwrap();
                }
            }
            if out.is_full() || i == 99 {
                let f = out.flush(&tx).unwrap();
                assert_eq!(f.dropped, 0, "{:?}", f.last_error);
                sent += f.sent;
                flushes += 1;
                assert!(out.is_empty());
            }
        }
        assert_eq!((sent, flushes), (100, 2));
        let tx_port = tx.local_addr().unwrap().port();
        let mut seen = BTreeSet::new();
        recv_all(&[&sink], &mut batch, 100, |_, m, data| {
            let i: usize = std::str::from_utf8(&data[4..]).unwrap().parse().unwrap();
            assert!(seen.insert(i));
            let want_src: IpAddr = if i % 3 == 1 {
                src2
            } else {
                Ipv4Addr::LOCALHOST.into()
            };
            assert_eq!(m.src, SocketAddr::new(want_src, tx_port), "datagram {i}");
        });

        // A refused packet in the middle is dropped and counted; the others still go.
        out.push(dst, b"first").unwrap();
        out.push(SocketAddr::from(([127, 0, 0, 1], 0)), b"to port 0")
            .unwrap();
        out.push(dst, b"third").unwrap();
        let f = out.flush(&tx).unwrap();
        assert_eq!((f.sent, f.dropped), (2, 1));
        assert_eq!(f.last_error.unwrap().raw_os_error(), Some(libc::EINVAL));
        let mut got = Vec::new();
        recv_all(&[&sink], &mut batch, 2, |_, _, d| got.push(d.to_vec()));
        assert_eq!(got, [b"first".to_vec(), b"third".to_vec()]);

        // Single-packet path.
        tx.send_to(&[natt::KEEPALIVE], dst).unwrap();
        let mut one = [0u8; 16];
        wait_readable(&[sink.as_raw_fd()], Instant::now() + WAIT);
        let (n, from) = sink.recv_from(&mut one).unwrap();
        assert_eq!(
            (natt::classify(&one[..n]), from.port()),
            (NattPayload::Keepalive, tx_port)
        );
        assert_eq!(
            sink.recv_from(&mut one).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    });
}

#[test]
fn udp_ipv6_and_natt_header_synthesis() {
    in_netns(|| {
        // IPv6: V6ONLY, packet info reports ::1.
        let rx6 = udp::bind_reuseport("[::1]:0".parse().unwrap()).unwrap();
        let tx6 = udp::bind_reuseport("[::1]:0".parse().unwrap()).unwrap();
        let mut out = SendBatch::new(4, DEFAULT_HEADROOM, 1500).unwrap();
        out.push(rx6.local_addr().unwrap(), b"six").unwrap();
        assert_eq!(out.flush(&tx6).unwrap().sent, 1);
        let mut batch = RecvBatch::new(4, DEFAULT_HEADROOM, 1500).unwrap();
        recv_all(&[&rx6], &mut batch, 1, |_, m, d| {
            assert_eq!(d, b"six");
            assert_eq!(m.src, tx6.local_addr().unwrap());
            assert_eq!(m.dst, Some(Ipv6Addr::LOCALHOST.into()));
        });

        // NAT-T: an ESP packet arrives on a UDP socket without its headers; the outer
        // IPv4 + UDP header is rebuilt in the headroom for the engine.
        let natt_rx = udp::bind_reuseport("0.0.0.0:0".parse().unwrap()).unwrap();
        let port = natt_rx.local_addr().unwrap().port();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let esp = [0, 0, 0x10, 1, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef];
        peer.send_to(&esp, SocketAddr::from(([127, 0, 0, 3], port)))
            .unwrap();
        wait_readable(&[natt_rx.as_raw_fd()], Instant::now() + WAIT);
        assert_eq!(batch.recv(&natt_rx).unwrap(), 1);
        let (meta, mut buf) = batch.packet_buf(0).unwrap();
        assert_eq!(natt::classify(buf.data()), NattPayload::Esp(&esp));
        let dst = meta.dst.unwrap();
        synthesize_outer(
            &mut buf,
            meta.src.ip(),
            dst,
            Some((meta.src.port(), port)),
            proto::ESP,
        )
        .unwrap();
        let outer = OuterPacket::parse(buf.data()).unwrap();
        assert_eq!(outer.src, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(outer.dst, IpAddr::from([127, 0, 0, 3]));
        assert_eq!(outer.protocol, proto::ESP);
        let encap = outer.encap.unwrap();
        assert_eq!(
            (encap.src_port, encap.dst_port),
            (peer.local_addr().unwrap().port(), port)
        );
        assert_eq!(&buf.data()[outer.ipsec_offset..], &esp);
        assert_eq!(buf.headroom(), DEFAULT_HEADROOM - 28);
    });
}

fn esp_payload(seq: u8) -> Vec<u8> {
    let mut p = vec![0, 0, 0x10, 1, 0, 0, 0, seq];
    p.extend_from_slice(&[0x5a; 24]);
    p
}

#[test]
fn raw_esp_ipv4_hdrincl_over_loopback() {
    in_netns(|| {
        let rx = RawSocket::open(proto::ESP, false).unwrap();
        let tx = RawSocket::open(proto::ESP, false).unwrap();
        let (src, dst) = (Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 5));
        let packet = |seq: u8| {
            let esp = esp_payload(seq);
            let mut p = vec![0u8; 20 + esp.len()];
            Ipv4Repr {
                src,
                dst,
                protocol: proto::ESP,
                payload_len: esp.len(),
                ttl: 33,
                tos: 0,
                ident: 0x4242,
                dont_fragment: true,
            }
            .emit(&mut p)
            .unwrap();
            p[20..].copy_from_slice(&esp);
            p
        };
        let p1 = packet(1);
        assert_eq!(tx.send_packet(&p1).unwrap(), p1.len());
        wait_readable(&[rx.as_raw_fd()], Instant::now() + WAIT);
        let mut buf = [0u8; 2048];
        let r = rx.recv(&mut buf).unwrap();
        // The whole packet, our header included, came back.
        assert_eq!(
            (r.len, r.src, r.dst),
            (p1.len(), src.into(), Some(dst.into()))
        );
        let got = &buf[..r.len];
        let s = IpSummary::parse(got).unwrap();
        assert_eq!(
            (s.src, s.dst, s.protocol),
            (src.into(), dst.into(), proto::ESP)
        );
        assert_eq!(&got[20..], &esp_payload(1)[..]);
        let o = OuterPacket::parse(got).unwrap();
        assert_eq!(
            (o.protocol, o.ipsec_offset, o.encap),
            (proto::ESP, 20, None)
        );

        // Batch receive works on raw sockets too.
        for seq in 2..6 {
            tx.send_packet(&packet(seq)).unwrap();
        }
        let mut batch = RecvBatch::new(8, DEFAULT_HEADROOM, 2048).unwrap();
        let mut seqs = Vec::new();
        recv_all(&[&rx], &mut batch, 4, |_, m, d| {
            assert_eq!(m.src, SocketAddr::new(src.into(), 0));
            assert_eq!(m.dst, Some(dst.into()));
            seqs.push(d[27]);
        });
        assert_eq!(seqs, [2, 3, 4, 5]);
        assert_eq!(
            tx.send_to(b"x", Ipv6Addr::LOCALHOST).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert!(tx.send_packet(&p1[..10]).is_err());
    });
}

#[test]
fn raw_esp_ipv6_over_loopback() {
    in_netns(|| {
        let rx = RawSocket::open(proto::ESP, true).unwrap();
        let tx = RawSocket::open(proto::ESP, true).unwrap();
        let esp = esp_payload(9);
        assert_eq!(tx.send_to(&esp, Ipv6Addr::LOCALHOST).unwrap(), esp.len());
        wait_readable(&[rx.as_raw_fd()], Instant::now() + WAIT);
        let mut storage = [0u8; 2048];
        let r = rx.recv(&mut storage[DEFAULT_HEADROOM..]).unwrap();
        // The kernel stripped the IPv6 header; packet info supplies the destination.
        assert_eq!(r.len, esp.len());
        assert_eq!(r.src, IpAddr::from(Ipv6Addr::LOCALHOST));
        assert_eq!(r.dst, Some(Ipv6Addr::LOCALHOST.into()));
        let mut buf = PacketBuf::new(&mut storage, DEFAULT_HEADROOM, r.len).unwrap();
        assert_eq!(buf.data(), &esp[..]);
        synthesize_outer(&mut buf, r.src, r.dst.unwrap(), None, proto::ESP).unwrap();
        let o = OuterPacket::parse(buf.data()).unwrap();
        assert_eq!((o.ipv6, o.protocol, o.ipsec_offset), (true, proto::ESP, 40));
        assert_eq!((o.src, o.dst), (r.src, r.dst.unwrap()));
        assert_eq!(&buf.data()[40..], &esp[..]);

        // Batched send with a chosen source, batched receive.
        let mut out = SendBatch::new(4, DEFAULT_HEADROOM, 1500).unwrap();
        let dst = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0);
        for seq in 10..13 {
            out.push_from(Some(Ipv6Addr::LOCALHOST.into()), dst, &esp_payload(seq))
                .unwrap();
        }
        assert_eq!(out.flush(&tx).unwrap().sent, 3);
        let mut batch = RecvBatch::new(4, DEFAULT_HEADROOM, 1500).unwrap();
        let mut seqs = Vec::new();
        recv_all(&[&rx], &mut batch, 3, |_, m, d| {
            assert_eq!(m.src, dst);
            assert_eq!(m.dst, Some(Ipv6Addr::LOCALHOST.into()));
            seqs.push(d[7]);
        });
        assert_eq!(seqs, [10, 11, 12]);
        assert_eq!(
            tx.send_packet(&esp).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    });
}

#[test]
fn send_batch_drops_the_rest_when_the_socket_buffer_is_full() {
    in_netns(|| {
        // A TUN device behind a very slow token bucket: queued packets keep holding the
        // sender's small socket buffer, so a nonblocking sendmmsg meets EAGAIN mid-batch.
        let _queue = tun::open_queues("tsqslow", 1).unwrap();
        tun::set_up("tsqslow", true).unwrap();
        ip(&["addr", "add", "10.98.0.1/24", "dev", "tsqslow"]);
        let tc = Command::new("tc")
            .args(["qdisc", "add", "dev", "tsqslow", "root", "tbf"])
            .args(["rate", "8kbit", "burst", "1600", "latency", "60s"])
            .status()
            .unwrap();
        assert!(tc.success());
        let tx = udp::bind_reuseport("10.98.0.1:0".parse().unwrap()).unwrap();
        let small: libc::c_int = 4096;
        // SAFETY: the option value points at a live c_int whose size is passed.
        let r = unsafe {
            libc::setsockopt(
                tx.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                (&small as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0);
        let dst: SocketAddr = "10.98.0.2:9".parse().unwrap();
        let mut out = SendBatch::new(32, DEFAULT_HEADROOM, 1500).unwrap();
        while out.push(dst, &[0x42; 1200]).is_ok() {}
        let f = out.flush(&tx).unwrap();
        eprintln!("flush into a full socket buffer: {f:?}");
        assert!(out.is_empty());
        assert_eq!(f.sent + f.dropped, 32);
        assert!(f.sent >= 1 && f.dropped >= 1, "{f:?}");
        assert_eq!(f.last_error.unwrap().kind(), io::ErrorKind::WouldBlock);
        // The single-packet path passes WouldBlock through as well.
        assert_eq!(
            tx.send_to(&[0x42; 1200], dst).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
    });
}
