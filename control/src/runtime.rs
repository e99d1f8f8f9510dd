//! `tunsec run`: the control thread. It turns a config into a running endpoint (TUN device,
//! sockets, pinned workers, installed SAs), then serves signals, the control socket and
//! timers from one mio loop until told to stop, and undoes everything on the way out.

use crate::config::{self, Config, LogLevel};
use crate::driver::IkeDriver;
use crate::ike::endpoint::Action;
use crate::logging;
use crate::mgmt::menu::{Menu, MenuDocument, Row};
use crate::mgmt::metrics::{self, MetricsServer};
use crate::mgmt::protocol::{self, Request};
use crate::mgmt::socket::ControlSocket;
use crate::mgmt::views;
use crate::netconf::NetConfig;
use crate::service;
use anyhow::{Context, Result, bail};
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use mio::{Events, Interest, Poll, Token, Waker};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tunsec_dataplane::ctl::{Command, Event, WorkerReport};
use tunsec_dataplane::engine::Engine;
use tunsec_dataplane::handoff::{Handoff, owner_of_policy};
use tunsec_dataplane::io::{raw::RawSocket, tun, udp};
use tunsec_dataplane::sa::{
    Direction, IpsecProtocol, SaEvent, SaParams, SecurityAssociation, Timestamp,
};
use tunsec_dataplane::spd::{PolicyAction, PolicyTable};
use tunsec_dataplane::stats::StatisticsSnapshot;
use tunsec_dataplane::wire::natt::NATT_PORT;
use tunsec_dataplane::worker::{self, WorkerSetup};

const SIGNALS: Token = Token(0);
const CONTROL: Token = Token(1);
const WAKE: Token = Token(2);
const METRICS: Token = Token(3);
/// The IKE driver's port-500 sockets take tokens from here on.
const IKE_SOCKETS: usize = 16;

/// Firewall mark on every socket tunsec sends from. Routes into the TUN device live in their
/// own table that only unmarked traffic consults, so what tunsec itself sends (ESP to the
/// peer, bypassed packets) can never be routed back into the tunnel and loop; and transport
/// mode can route the peer's own address into the TUN while ESP to that address still leaves
/// on the real link.
pub const SOCKET_MARK: u32 = 0x7453;
/// The routing table holding the routes into the TUN device.
const TUNNEL_TABLE: &str = "201";

/// How often NAT-keepalives go out on UDP-encapsulated SAs (RFC 3948 4: 20 s default).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(20);

/// The longest the control thread sleeps (control socket, worker events, keepalives).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Packets the kernel may queue for tunsec to read from the TUN device.
const TUN_TXQUEUELEN: u32 = 8192;

/// Default outer path MTU when nothing better is known.
const PATH_MTU: usize = 1500;

struct WorkerHandle {
    commands: Sender<Command>,
    thread: JoinHandle<std::io::Result<()>>,
}

/// What the command line overrides of the config's logging.
#[derive(Debug, Clone, Default)]
pub struct LogOverride {
    pub level: Option<LogLevel>,
    pub topics: Option<Vec<String>>,
}

impl LogOverride {
    /// The filter for `cfg` with these overrides applied.
    fn filter(&self, cfg: &Config) -> logging::Filter {
        let topics = self.topics.as_ref().unwrap_or(&cfg.daemon.log_topics);
        logging::Filter {
            level: self.level.unwrap_or(cfg.daemon.log_level),
            rules: topics.iter().filter_map(|r| r.parse().ok()).collect(),
        }
    }
}

/// Reads and checks the configuration, refusing one whose secrets others could read.
fn load_checked(path: &Path) -> Result<Config, String> {
    let cfg = config::load(path).map_err(|e| format!("{}: {e}", path.display()))?;
    service::permissions::check(path, &cfg).map_err(|e| e.to_string())?;
    Ok(cfg)
}

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(path: &Path, log: LogOverride) -> Result<()> {
    let cfg = load_checked(path).map_err(|e| anyhow::anyhow!(e))?;
    logging::set_filter(log.filter(&cfg));
    let mut daemon = Daemon::start(path.to_owned(), cfg, log)?;
    // Setup is over: from here on only routes change (reload, exit).
    if let Err(e) = service::caps::drop_to_runtime() {
        logging::emit(
            "system,warning",
            &format!("cannot drop capabilities ({e}); running with those we were given"),
        );
    }
    service::notify::tell(&format!(
        "READY=1\nSTATUS=running on {} with {} worker(s)",
        daemon.tun_name,
        daemon.workers.len()
    ));
    let result = daemon.serve();
    service::notify::tell("STOPPING=1");
    daemon.stop();
    result
}

struct Daemon {
    path: PathBuf,
    cfg: Config,
    /// The policy table the workers run (its ph2 state is what `print policy` shows).
    spd: Arc<PolicyTable>,
    log: LogOverride,
    metrics: Option<MetricsServer>,
    poll: Poll,
    workers: Vec<WorkerHandle>,
    wakers: Arc<Vec<Waker>>,
    events: Receiver<Event>,
    net: NetConfig,
    control: ControlSocket,
    epoch: Instant,
    /// The SA pairs running now (manual and negotiated), to remove exactly these later.
    installed: Vec<InstalledPair>,
    /// IKEv2, when the configuration has ike2 peers.
    ike: Option<IkeDriver>,
    /// The TUN device's name as created (a reload cannot rename it).
    tun_name: String,
}

/// An SA pair as installed on its owning worker.
#[derive(Debug, Clone, Copy)]
struct InstalledPair {
    policy_index: usize,
    owner: usize,
    protocol: IpsecProtocol,
    inbound_spi: u32,
    outbound_spi: u32,
    /// Negotiated by IKE (reloads leave these to IKE) rather than a manual SA.
    negotiated: bool,
    /// For UDP-encapsulated SAs: where NAT-keepalives go (our address, the peer's).
    keepalive: Option<(IpAddr, SocketAddr)>,
}

/// The routes into the TUN device a config asks for: its own list (or the tunnel policies'
/// destinations), plus, for transport-mode policies, the peer's address, which must leave
/// from our SA address rather than the TUN's (hence the source).
fn wanted_routes(cfg: &Config) -> Vec<(String, Option<IpAddr>)> {
    let mut routes: Vec<(String, Option<IpAddr>)> =
        cfg.routes().iter().map(|r| (r.to_string(), None)).collect();
    let spd = PolicyTable::new(cfg.policies());
    for row in spd.iter() {
        let p = row.policy;
        if row.flags.active && !p.tunnel && p.action == PolicyAction::Encrypt {
            let r = p.dst_address.to_string();
            if !routes.iter().any(|(have, _)| *have == r) {
                routes.push((r, Some(p.sa_src_address)));
            }
        }
    }
    routes
}

/// Bytes an SA adds to an inner packet at most (outer headers, ESP/AH header, IV, worst-case
/// padding, ICV).
fn overhead(params: &SaParams) -> Result<usize> {
    let sa = SecurityAssociation::new(params.clone(), Timestamp(0))?;
    Ok(sa.max_overhead())
}

fn tunnel_mtu(
    cfg: &Config,
    installs: &[config::ManualSaInstall],
    negotiated: bool,
) -> Result<usize> {
    if let Some(mtu) = cfg.interface.mtu {
        return Ok(mtu as usize);
    }
    let mut worst = 0;
    for i in installs {
        worst = worst.max(overhead(&i.outbound)?);
    }
    // Without any SA yet, or with SAs IKE will negotiate later, assume AES-CBC + SHA-512
    // over IPv6 with NAT-T (the largest common).
    if worst == 0 || negotiated {
        worst = worst.max(40 + 8 + 8 + 16 + 15 + 2 + 32);
    }
    Ok(PATH_MTU - worst)
}

fn set_mark(fd: &impl AsRawFd) -> std::io::Result<()> {
    let mark = SOCKET_MARK as libc::c_int;
    // SAFETY: `mark` lives for the call and its size is passed.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_MARK,
            (&mark as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

impl Daemon {
    fn start(path: PathBuf, cfg: Config, log: LogOverride) -> Result<Daemon> {
        let online = core_affinity::get_core_ids().map_or(1, |c| c.len()).max(1);
        let n = cfg.workers(online);
        let installs = cfg
            .try_manual_sa_installs()
            .map_err(|e| anyhow::anyhow!("no randomness for SA IVs: {e}"))?;
        let pairs = installs.len();
        let name = cfg.interface.name.clone();
        let epoch = Instant::now();

        let control = ControlSocket::bind(&cfg.daemon.control_socket)
            .with_context(|| format!("control socket {}", cfg.daemon.control_socket.display()))?;

        let queues = tun::open_queues(&name, n).with_context(|| format!("TUN device {name}"))?;
        // TCP segmentation and checksum offload on the TUN: local TCP senders hand over 64 KB
        // trains, which the workers cut up before encrypting. Without it (old kernels) every
        // segment crosses the kernel's stack on its own, which is slower but correct.
        if let Some(Err(e)) = queues.first().map(|q| q.enable_offloads()) {
            logging::emit(
                "system,warning",
                &format!("TUN offloads unavailable ({e}); continuing without them"),
            );
        }
        let (ike, warnings) = IkeDriver::new(&cfg, Instant::now(), set_mark)
            .context("IKE sockets on UDP port 500")?;
        for w in warnings {
            logging::emit("ipsec,error", &w);
        }
        let ike_families: HashSet<bool> = ike
            .as_ref()
            .map(|d| {
                d.endpoint
                    .config()
                    .peers
                    .iter()
                    .map(|p| p.address.addr().is_ipv6())
                    .collect()
            })
            .unwrap_or_default();
        let mtu = tunnel_mtu(&cfg, &installs, ike.is_some())?;
        tun::set_mtu(&name, mtu as u32).with_context(|| format!("MTU {mtu} on {name}"))?;
        if !cfg.interface.address.iter().any(|a| a.addr().is_ipv6()) {
            // No IPv6 in this tunnel: keep the kernel from sending router solicitations and
            // MLD reports into it, which no policy could carry anywhere.
            let knob = format!("/proc/sys/net/ipv6/conf/{name}/disable_ipv6");
            let _ = std::fs::write(knob, "1");
        }
        tun::set_up(&name, true)?;
        let mut net = NetConfig::new();
        net.set_txqueuelen(&name, TUN_TXQUEUELEN)?;
        for a in &cfg.interface.address {
            net.add_address(&name, &a.to_string())?;
        }
        let spd = Arc::new(PolicyTable::new(cfg.policies()));
        net.add_mark_rule(SOCKET_MARK, TUNNEL_TABLE)?;
        let routes = wanted_routes(&cfg);
        for (r, src) in &routes {
            net.add_route_in_table(&name, r, TUNNEL_TABLE, *src)?;
        }

        // IKE may negotiate ESP-in-UDP (NAT) or plain ESP with any of its peers.
        let needs_udp =
            !ike_families.is_empty() || installs.iter().any(|i| i.outbound.encap.is_some());
        let mut needs_raw: HashSet<(u8, bool)> = installs
            .iter()
            .filter(|i| i.inbound.encap.is_none())
            .map(|i| (i.inbound.protocol.ip_protocol(), i.inbound.dst.is_ipv6()))
            .collect();
        needs_raw.extend(
            ike_families
                .iter()
                .map(|v6| (IpsecProtocol::Esp.ip_protocol(), *v6)),
        );
        let mut families: HashSet<bool> =
            installs.iter().map(|i| i.inbound.dst.is_ipv6()).collect();
        families.extend(ike_families.iter().copied());

        // Up to 4096 packets in flight between workers (~40 MiB), 2048 per worker's queue:
        // enough to ride out the other worker being busy for a couple of milliseconds.
        let handoff = Arc::new(Handoff::new(n, 4096, 2048));
        let poll = Poll::new()?;
        let control_waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
        let (event_tx, events) = unbounded();
        let mut polls = Vec::new();
        let mut wakers = Vec::new();
        for _ in 0..n {
            let poll = Poll::new()?;
            wakers.push(Waker::new(poll.registry(), worker::WAKE)?);
            polls.push(poll);
        }
        let wakers = Arc::new(wakers);
        let cores = core_affinity::get_core_ids().unwrap_or_default();
        let local_v4 = cfg
            .interface
            .address
            .iter()
            .map(|a| a.addr())
            .find(IpAddr::is_ipv4);
        let local_v6 = cfg
            .interface
            .address
            .iter()
            .map(|a| a.addr())
            .find(IpAddr::is_ipv6);

        let mut workers = Vec::new();
        for (index, (poll, tun)) in polls.into_iter().zip(queues).enumerate() {
            let mut udp_sockets = Vec::new();
            if needs_udp {
                for &v6 in &families {
                    let any: IpAddr = if v6 {
                        Ipv6Addr::UNSPECIFIED.into()
                    } else {
                        Ipv4Addr::UNSPECIFIED.into()
                    };
                    let s = udp::bind_reuseport(SocketAddr::new(any, NATT_PORT))
                        .context("UDP port 4500")?;
                    set_mark(&s)?;
                    udp_sockets.push(s);
                }
            }
            let mut raw_receivers = Vec::new();
            if index == 0 {
                for &(protocol, v6) in &needs_raw {
                    raw_receivers.push(RawSocket::open(protocol, v6).context("raw IPsec socket")?);
                }
            }
            let raw_send_v4 = RawSocket::open_sender(false)?;
            set_mark(&raw_send_v4)?;
            let raw_send_v6 = RawSocket::open_sender(true)?;
            set_mark(&raw_send_v6)?;
            let (tx, rx) = bounded(1024);
            let setup = WorkerSetup {
                index,
                workers: n,
                engine: Engine::new(spd.clone()),
                poll,
                tun,
                udp: udp_sockets,
                raw_receivers,
                raw_send_v4: Some(raw_send_v4),
                raw_send_v6: Some(raw_send_v6),
                commands: rx,
                events: event_tx.clone(),
                handoff: handoff.clone(),
                wakers: wakers.clone(),
                control_waker: Some(control_waker.clone()),
                tunnel_mtu: mtu,
                clamp_mss: Some(tunsec_dataplane::mtu::mss_for_mtu(mtu, false)),
                local_v4,
                local_v6,
                epoch,
            };
            let core = cores.get(index % cores.len().max(1)).copied();
            let thread = std::thread::Builder::new()
                .name(format!("tunsec-worker-{index}"))
                .spawn(move || {
                    if let Some(core) = core {
                        core_affinity::set_for_current(core);
                    }
                    // Capabilities are per thread; a worker needs none beyond what the
                    // control thread keeps (its sockets are open already).
                    let _ = service::caps::drop_to_runtime();
                    worker::run(setup)
                })?;
            workers.push(WorkerHandle {
                commands: tx,
                thread,
            });
        }

        let metrics = match cfg.daemon.metrics_listen {
            Some(addr) => Some(
                MetricsServer::bind(addr)
                    .with_context(|| format!("[daemon] metrics-listen {addr}"))?,
            ),
            None => None,
        };
        let mut daemon = Daemon {
            path,
            cfg,
            spd: spd.clone(),
            log,
            metrics,
            poll,
            workers,
            wakers,
            events,
            net,
            control,
            epoch,
            installed: Vec::new(),
            ike,
            tun_name: name.clone(),
        };
        for install in installs {
            daemon.install(install, false)?;
        }
        if let Some(ike) = &daemon.ike {
            ike.register(daemon.poll.registry(), IKE_SOCKETS)?;
        }
        logging::emit(
            "system,info",
            &format!(
                "tunsec: running on {name} (mtu {mtu}) with {n} worker{}, {} polic{}, {} manual SA pair{}",
                if n == 1 { "" } else { "s" },
                spd.len(),
                if spd.len() == 1 { "y" } else { "ies" },
                pairs,
                if pairs == 1 { "" } else { "s" },
            ),
        );
        Ok(daemon)
    }

    fn send(&self, worker: usize, cmd: Command) {
        if let Some(w) = self.workers.get(worker) {
            let _ = w.commands.send(cmd);
            if let Some(waker) = self.wakers.get(worker) {
                let _ = waker.wake();
            }
        }
    }

    fn broadcast(&self, make: impl Fn() -> Command) {
        for i in 0..self.workers.len() {
            self.send(i, make());
        }
    }

    /// Sends a manual SA pair to the worker that owns its policy and tells every worker where
    /// the inbound SPI lives.
    fn install(&mut self, install: config::ManualSaInstall, negotiated: bool) -> Result<()> {
        let spd_len = self.cfg.policies().len();
        if install.policy_index >= spd_len {
            bail!(
                "manual SA bound to missing policy #{}",
                install.policy_index
            );
        }
        let owner = owner_of_policy(install.policy_index, self.workers.len());
        let policy = PolicyTable::new(self.cfg.policies())
            .id_at(install.policy_index)
            .context("policy id")?;
        let (protocol, spi) = (install.inbound.protocol, install.inbound.spi);
        let keepalive = install.outbound.encap.map(|e| {
            (
                install.outbound.src,
                SocketAddr::new(install.outbound.dst, e.dst_port),
            )
        });
        self.installed.push(InstalledPair {
            policy_index: install.policy_index,
            owner,
            protocol,
            inbound_spi: spi,
            outbound_spi: install.outbound.spi,
            negotiated,
            keepalive,
        });
        self.send(
            owner,
            Command::InstallSa {
                policy,
                params: Box::new(install.outbound),
            },
        );
        self.send(
            owner,
            Command::InstallSa {
                policy,
                params: Box::new(install.inbound),
            },
        );
        self.broadcast(|| Command::RouteSpi {
            protocol,
            spi,
            owner,
        });
        Ok(())
    }

    fn serve(&mut self) -> Result<()> {
        let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP])?;
        self.poll
            .registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        let listener_fd = self.control.listener().as_raw_fd();
        self.poll.registry().register(
            &mut mio::unix::SourceFd(&listener_fd),
            CONTROL,
            Interest::READABLE,
        )?;
        if let Some(m) = &self.metrics {
            let fd = m.listener().as_raw_fd();
            self.poll.registry().register(
                &mut mio::unix::SourceFd(&fd),
                METRICS,
                Interest::READABLE,
            )?;
        }
        let _ = WAKE;
        let mut events = Events::with_capacity(16);
        // The first keepalive goes out at once: it opens the NAT binding before traffic does.
        let mut next_keepalive = Instant::now();
        loop {
            let now = Instant::now();
            let timeout = self
                .ike
                .as_ref()
                .and_then(|d| d.endpoint.next_deadline(now))
                .map_or(POLL_INTERVAL, |t| {
                    t.saturating_duration_since(now).min(POLL_INTERVAL)
                });
            self.poll.poll(&mut events, Some(timeout)).or_else(|e| {
                if e.kind() == std::io::ErrorKind::Interrupted {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            for sig in signals.pending() {
                match sig {
                    SIGHUP => {
                        service::notify::tell("RELOADING=1");
                        let _ = self.reload();
                        service::notify::tell("READY=1");
                    }
                    _ => {
                        logging::emit("system,info", "tunsec: shutting down");
                        return Ok(());
                    }
                }
            }
            loop {
                match self.control.accept() {
                    Ok(Some((stream, line))) => {
                        let answer = self.answer(&line);
                        crate::mgmt::socket::answer_in_background(stream, answer);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        // Out of descriptors, say: the clients wait; the daemon goes on.
                        logging::emit("system,error", &format!("control socket: {e}"));
                        break;
                    }
                }
            }
            while let Some(stream) = match &self.metrics {
                Some(m) => m.accept().unwrap_or(None),
                None => None,
            } {
                let body = self.metrics_text();
                if let Some(m) = &self.metrics {
                    m.respond_in_background(stream, body);
                }
            }
            while let Ok(event) = self.events.try_recv() {
                self.on_event(event);
            }
            if Instant::now() >= next_keepalive {
                let mut peers: Vec<(IpAddr, SocketAddr)> =
                    self.installed.iter().filter_map(|p| p.keepalive).collect();
                peers.sort();
                peers.dedup();
                for (from, to) in peers {
                    self.send(0, Command::SendKeepalive { from, to });
                }
                next_keepalive += KEEPALIVE_INTERVAL;
            }
            self.drive_ike();
            for (i, w) in self.workers.iter().enumerate() {
                if w.thread.is_finished() {
                    bail!("worker {i} stopped unexpectedly");
                }
            }
        }
    }

    /// Removes one installed pair from its worker and from every worker's SPI routing.
    fn uninstall(&mut self, pair: InstalledPair) {
        let protocol = pair.protocol;
        self.send(
            pair.owner,
            Command::RemoveSa {
                protocol,
                spi: pair.inbound_spi,
                direction: Direction::Inbound,
            },
        );
        self.send(
            pair.owner,
            Command::RemoveSa {
                protocol,
                spi: pair.outbound_spi,
                direction: Direction::Outbound,
            },
        );
        let spi = pair.inbound_spi;
        self.broadcast(|| Command::UnrouteSpi { protocol, spi });
    }

    /// `tunsec reload` and SIGHUP: applies a changed config file, touching only what
    /// changed (see `crate::reload`). SA pairs and IKE SAs whose configuration is unchanged
    /// keep running (no traffic gap); changed ones are removed and installed or negotiated
    /// again; new ones are added; routes follow. A file that does not pass `tunsec check`
    /// (or whose secrets others could read) is refused and the running configuration stays.
    /// `[daemon]` (but for logging) and the TUN device's name, addresses and MTU need a
    /// restart. Returns the summary line, or why the file was refused.
    fn reload(&mut self) -> Result<String, String> {
        let outcome = self.apply_reload();
        match &outcome {
            Ok(line) => logging::emit("system,info", &format!("reload: {line}")),
            Err(why) => logging::emit(
                "system,error",
                &format!(
                    "reload of {} refused, the running configuration stays:\n{why}",
                    self.path.display()
                ),
            ),
        }
        outcome
    }

    fn apply_reload(&mut self) -> Result<String, String> {
        let new = load_checked(&self.path)?;
        if new == self.cfg {
            return Ok(format!("{} is unchanged", self.path.display()));
        }
        let installs = new
            .try_manual_sa_installs()
            .map_err(|e| format!("no randomness for SA IVs: {e}"))?;
        let plan = crate::reload::plan(&self.cfg, &new);
        let mut notes = Vec::new();
        if !plan.restart_needed.is_empty() {
            notes.push(format!(
                "{} apply at the next restart",
                plan.restart_needed.join(", ")
            ));
        }
        let old_cfg = std::mem::replace(&mut self.cfg, new);
        logging::set_filter(self.log.filter(&self.cfg));

        if plan.policies_changed {
            let spd = Arc::new(PolicyTable::new(self.cfg.policies()));
            let keep = plan.keep_rows.clone();
            self.broadcast(|| Command::ReplacePolicies {
                table: spd.clone(),
                keep: keep.clone(),
            });
            self.spd = spd;
        }
        // SA pairs of rows that are not kept go; the workers already dropped them with a
        // new table, so this withdraws their SPI routes (and removes them otherwise).
        let (kept, gone): (Vec<InstalledPair>, Vec<InstalledPair>) =
            std::mem::take(&mut self.installed)
                .into_iter()
                .partition(|p| plan.keep_rows.contains(&p.policy_index));
        self.installed = kept;
        let removed = gone.len();
        for pair in gone {
            self.uninstall(pair);
        }
        let mut installed = 0;
        for install in installs {
            if plan.keep_rows.contains(&install.policy_index) {
                continue;
            }
            installed += 1;
            if let Err(e) = self.install(install, false) {
                logging::emit("system,error", &format!("reload: {e}"));
            }
        }
        let mut ike_note = String::new();
        if plan.ike_changed {
            let (new_ike, warnings) = crate::ike::peers::ike_config(&self.cfg);
            for w in warnings {
                logging::emit("ipsec,error", &w);
            }
            match self.ike.as_mut() {
                Some(ike) if new_ike.is_empty() => {
                    ike.endpoint.kill_all(Instant::now());
                    self.carry_out_ike();
                    self.ike = None;
                    ike_note = "IKE stopped (no ike2 peers left)".to_owned();
                }
                Some(ike) => {
                    let done = ike.endpoint.reconfigure(
                        Instant::now(),
                        new_ike,
                        &plan.keep_peers,
                        &plan.keep_rows,
                    );
                    self.carry_out_ike();
                    ike_note = format!(
                        "IKE: {} IKE SA(s) kept, {} renegotiated, {} child SA(s) renegotiated",
                        done.kept, done.deleted, done.children_deleted
                    );
                }
                None if !new_ike.is_empty() => {
                    notes.push("ike2 peers added to a daemon started without any apply at the next restart".to_owned());
                }
                None => {}
            }
        }
        self.sync_routes(&self.cfg.clone());
        let _ = old_cfg;
        let kept_pairs = self.installed.len() - installed;
        let mut line = format!(
            "{} applied: {kept_pairs} SA pair(s) unchanged, {removed} removed, {installed} manual pair(s) installed",
            self.path.display()
        );
        if !ike_note.is_empty() {
            line.push_str("; ");
            line.push_str(&ike_note);
        }
        for n in notes {
            line.push_str("; ");
            line.push_str(&n);
        }
        Ok(line)
    }

    /// Makes the routes into the TUN device those `cfg` asks for.
    fn sync_routes(&mut self, cfg: &Config) {
        let name = self.tun_name.clone();
        let wanted: Vec<String> = wanted_routes(cfg).into_iter().map(|(r, _)| r).collect();
        for have in self.net.table_routes(TUNNEL_TABLE) {
            if !wanted.contains(&have)
                && let Err(e) = self.net.remove_table_route(&name, &have, TUNNEL_TABLE)
            {
                logging::emit("system,error", &format!("reload: {e}"));
            }
        }
        let have = self.net.table_routes(TUNNEL_TABLE);
        for (r, src) in wanted_routes(cfg) {
            if !have.contains(&r)
                && let Err(e) = self.net.add_route_in_table(&name, &r, TUNNEL_TABLE, src)
            {
                logging::emit("system,error", &format!("reload: {e}"));
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Sa {
                event: SaEvent::SoftExpired { spi, direction },
                ..
            } => {
                logging::emit(
                    "ipsec,debug",
                    &format!("SA {spi:#x} ({direction:?}) reached its soft lifetime"),
                );
                if let Some(ike) = self.ike.as_mut() {
                    ike.endpoint.child_expired(Instant::now(), spi, false);
                }
            }
            Event::Sa {
                worker,
                event: SaEvent::HardExpired { spi, direction },
            } => {
                logging::emit(
                    "ipsec",
                    &format!("SA {spi:#x} ({direction:?}) reached its hard lifetime; removing it"),
                );
                let protocol = self
                    .installed
                    .iter()
                    .find(|p| p.inbound_spi == spi || p.outbound_spi == spi)
                    .map_or(IpsecProtocol::Esp, |p| p.protocol);
                self.send(
                    worker,
                    Command::RemoveSa {
                        protocol,
                        spi,
                        direction,
                    },
                );
                if direction == Direction::Inbound {
                    self.broadcast(|| Command::UnrouteSpi { protocol, spi });
                }
                self.installed
                    .retain(|p| p.inbound_spi != spi && p.outbound_spi != spi);
                if let Some(ike) = self.ike.as_mut() {
                    ike.endpoint.child_expired(Instant::now(), spi, true);
                }
            }
            Event::Acquire { policy, .. } => {
                if let Some(ike) = self.ike.as_mut() {
                    ike.endpoint.acquire(Instant::now(), policy.index());
                }
            }
            Event::Ike {
                from,
                local,
                message,
            } => {
                if let Some(ike) = self.ike.as_mut() {
                    let local = SocketAddr::new(local, NATT_PORT);
                    ike.endpoint.handle(Instant::now(), local, from, &message);
                }
            }
            Event::InstallFailed { worker, reason } => {
                logging::emit(
                    "ipsec,error",
                    &format!("worker {worker} could not install an SA: {reason}"),
                );
            }
        }
    }

    /// Feeds IKE its port-500 traffic and timers and carries out what it asks for.
    fn drive_ike(&mut self) {
        let Some(ike) = self.ike.as_mut() else {
            return;
        };
        let now = Instant::now();
        ike.receive(now);
        ike.endpoint.tick(now);
        self.carry_out_ike();
    }

    fn carry_out_ike(&mut self) {
        let Some(ike) = self.ike.as_mut() else {
            return;
        };
        let actions = ike.take_actions();
        for action in actions {
            match action {
                Action::Send {
                    local,
                    remote,
                    message,
                } => {
                    if local.port() == NATT_PORT || remote.port() == NATT_PORT {
                        self.send(
                            0,
                            Command::SendIke {
                                from: local.ip(),
                                to: remote,
                                message,
                            },
                        );
                    } else if let Some(ike) = self.ike.as_ref() {
                        ike.send_500(remote, &message);
                    }
                }
                Action::Install(child) => {
                    let install = config::ManualSaInstall {
                        policy_index: child.policy_index,
                        inbound: child.inbound,
                        outbound: child.outbound,
                    };
                    if let Err(e) = self.install(install, true) {
                        logging::emit("ipsec,error", &format!("cannot install child SA: {e}"));
                    }
                }
                Action::Remove { inbound_spi, .. } => {
                    if let Some(i) = self
                        .installed
                        .iter()
                        .position(|p| p.inbound_spi == inbound_spi)
                    {
                        let pair = self.installed.remove(i);
                        self.uninstall(pair);
                    }
                }
                Action::Log(line) => logging::emit_tagged(&line),
            }
        }
    }

    /// Every worker's SAs and counters (with the SA keys when `keys`).
    fn reports(&self, keys: bool) -> Vec<WorkerReport> {
        let (tx, rx) = bounded(self.workers.len());
        self.broadcast(|| Command::Report {
            reply: tx.clone(),
            keys,
        });
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut out = Vec::new();
        while out.len() < self.workers.len() {
            match rx.recv_deadline(deadline) {
                Ok(r) => out.push(r),
                Err(_) => break,
            }
        }
        out.sort_by_key(|r| r.worker);
        out
    }

    fn now(&self) -> Timestamp {
        Timestamp(self.epoch.elapsed().as_millis() as u64)
    }

    /// The rows of a menu, from the running configuration and live state.
    fn menu_rows(&self, menu: Menu, show_keys: bool) -> Vec<Row> {
        match menu {
            Menu::Policy => {
                let sas: Vec<_> = self
                    .reports(false)
                    .into_iter()
                    .flat_map(|r| r.sas)
                    .collect();
                views::policy(&self.spd, &sas)
            }
            Menu::PolicyGroup => views::policy_group(&self.cfg),
            Menu::Proposal => views::proposal(&self.cfg),
            Menu::Peer => views::peer(&self.cfg, show_keys),
            Menu::Profile => views::profile(&self.cfg),
            Menu::ModeConfig => views::mode_config(&self.cfg),
            Menu::User => views::user(&self.cfg, show_keys),
            Menu::Key => views::key(&self.cfg),
            Menu::InstalledSa => {
                let sas: Vec<_> = self
                    .reports(show_keys)
                    .into_iter()
                    .flat_map(|r| r.sas)
                    .collect();
                views::installed_sa(&sas, self.now())
            }
            Menu::RemotePeers => {
                let rows = self
                    .ike
                    .as_ref()
                    .map(|d| d.endpoint.remote_peers(Instant::now()))
                    .unwrap_or_default();
                views::remote_peers(&rows)
            }
            Menu::Statistics => {
                let mut total = StatisticsSnapshot::default();
                for r in self.reports(false) {
                    total.add(&r.statistics);
                }
                views::statistics(&total)
            }
        }
    }

    /// The Prometheus text for a scrape.
    fn metrics_text(&self) -> String {
        metrics::render(
            &self.menu_rows(Menu::Statistics, false),
            &self.menu_rows(Menu::InstalledSa, false),
            &self.menu_rows(Menu::RemotePeers, false),
        )
    }

    /// `remote-peers kill-connections`: deletes every IKE SA, telling the peers; non-passive
    /// peers negotiate again by themselves.
    fn kill_connections(&mut self) -> String {
        let Some(ike) = self.ike.as_mut() else {
            return "no IKE peers configured; nothing to kill".to_owned();
        };
        let peers = ike.endpoint.remote_peers(Instant::now());
        let n = peers.len();
        ike.endpoint.kill_all(Instant::now());
        for p in peers {
            logging::emit(
                "ipsec",
                &format!(
                    "{} ike2 SA deleted (kill-connections), peer {}, {} child SA(s)",
                    p.remote.ip(),
                    p.peer,
                    p.ph2_active
                ),
            );
        }
        self.carry_out_ike();
        let line = format!("killed {n} IKE SA(s) and their child SAs");
        logging::emit("ipsec", &format!("remote-peers kill-connections: {line}"));
        line
    }

    /// `installed-sa flush`: removes every SA IKE negotiated (telling the peers), after which
    /// they are negotiated afresh. Manual SAs stay: nothing could renegotiate them, and
    /// reinstalling one would restart its sequence numbers under the peer's replay window.
    fn flush_installed_sa(&mut self) -> String {
        let manual = self.installed.iter().filter(|p| !p.negotiated).count();
        let flushed = match self.ike.as_mut() {
            Some(ike) => ike.endpoint.flush_children(Instant::now()),
            None => 0,
        };
        self.carry_out_ike();
        let line =
            format!("flushed {flushed} negotiated SA pair(s); {manual} manual SA pair(s) kept");
        logging::emit("ipsec", &format!("installed-sa flush: {line}"));
        line
    }

    /// Answers one control-socket request line with a JSON document.
    fn answer(&mut self, line: &str) -> String {
        let value = match Request::parse(line) {
            Err(e) => protocol::error(&e.to_string()),
            Ok(Request::Print { menu, show_keys }) => {
                let doc = MenuDocument {
                    menu: menu.name().to_owned(),
                    rows: self.menu_rows(menu, show_keys),
                };
                serde_json::to_value(doc)
                    .unwrap_or_else(|e| protocol::error(&format!("cannot encode: {e}")))
            }
            Ok(Request::KillConnections) => protocol::result(&self.kill_connections()),
            Ok(Request::FlushInstalledSa) => protocol::result(&self.flush_installed_sa()),
            Ok(Request::Reload) => match self.reload() {
                Ok(line) => protocol::result(&line),
                Err(why) => protocol::error(&format!(
                    "reload refused, the running configuration stays:\n{why}"
                )),
            },
        };
        let mut text = value.to_string();
        text.push('\n');
        text
    }

    fn stop(&mut self) {
        // Tell IKE peers we are going, so they do not wait for DPD to notice.
        if let Some(ike) = self.ike.as_mut() {
            ike.endpoint.kill_all(Instant::now());
        }
        self.carry_out_ike();
        self.broadcast(|| Command::Stop);
        for w in self.workers.drain(..) {
            match w.thread.join() {
                Ok(Err(e)) => logging::emit("system,error", &format!("worker error: {e}")),
                Err(_) => logging::emit("system,error", "a worker panicked"),
                Ok(Ok(())) => {}
            }
        }
        self.net.undo_all();
    }
}
