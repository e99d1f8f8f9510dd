//! `[daemon]` (how tunsec runs) and `[interface]` (the TUN device the protected traffic
//! enters and leaves by). Neither has a RouterOS menu; they replace the router around it.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use ipnet::IpNet;
use toml::Table;

use super::error::ConfigIssue;
use super::reader::{Reader, keyword_enum, quote, show};

pub(crate) const DAEMON_KEYS: &[&str] = &[
    "control-socket",
    "ike-cookie-threshold",
    "ike-fragment-size",
    "log-level",
    "log-topics",
    "metrics-listen",
    "workers",
];
pub(crate) const INTERFACE_KEYS: &[&str] = &["address", "mtu", "name", "routes"];

/// Where `tunsec` listens for `tunsec` commands unless `control-socket` says otherwise.
pub const DEFAULT_CONTROL_SOCKET: &str = "/run/tunsec/tunsec.sock";
/// The TUN device's name unless `name` says otherwise.
pub const DEFAULT_INTERFACE: &str = "tunsec0";
/// Most worker threads `workers` may ask for.
pub const MAX_WORKERS: i64 = 1024;

/// `workers`: how many packet worker threads run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Workers {
    /// One per online CPU.
    #[default]
    Auto,
    Count(NonZeroUsize),
}

keyword_enum! {
    /// `log-level`: the most verbose messages logged.
    pub enum LogLevel {
        Error => "error",
        Warn => "warn",
        #[default]
        Info => "info",
        Debug => "debug",
        Trace => "trace",
    }
}

/// The `[daemon]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daemon {
    pub workers: Workers,
    /// The Unix socket `tunsec` commands talk to the daemon through.
    pub control_socket: PathBuf,
    pub log_level: LogLevel,
    /// Largest IP datagram an IKE message goes out in once the peer agreed to IKE
    /// fragmentation (RFC 7383); larger messages are sent as fragments.
    pub ike_fragment_size: u16,
    /// Half-open IKE SAs from which on an IKE_SA_INIT request must first return our COOKIE
    /// (RFC 7296 2.6), so a flood of spoofed requests costs no DH work and no state.
    pub ike_cookie_threshold: u32,
    /// RouterOS `/system logging` topic rules (`"ipsec,!debug"`); empty: every topic.
    pub log_topics: Vec<String>,
    /// Where the Prometheus text endpoint listens; `None`: off.
    pub metrics_listen: Option<SocketAddr>,
}

/// `ike-cookie-threshold` default.
pub const DEFAULT_IKE_COOKIE_THRESHOLD: u32 = 32;

/// `ike-fragment-size` default: strongSwan's, and the IPv6 minimum MTU.
pub const DEFAULT_IKE_FRAGMENT_SIZE: u16 = 1280;
/// RFC 7383 2.5.1: IPv4 hosts must take 576-byte datagrams.
pub const MIN_IKE_FRAGMENT_SIZE: u16 = 576;

impl Default for Daemon {
    fn default() -> Self {
        Self {
            workers: Workers::Auto,
            control_socket: PathBuf::from(DEFAULT_CONTROL_SOCKET),
            log_level: LogLevel::Info,
            ike_fragment_size: DEFAULT_IKE_FRAGMENT_SIZE,
            ike_cookie_threshold: DEFAULT_IKE_COOKIE_THRESHOLD,
            log_topics: Vec::new(),
            metrics_listen: None,
        }
    }
}

/// The `[interface]` table: the TUN device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    /// Addresses given to the device, with their prefix length (`10.201.1.1/24`).
    pub address: Vec<IpNet>,
    /// `None`: the runtime derives it from the outer path's MTU and the SA overhead.
    pub mtu: Option<u16>,
    /// Prefixes routed into the device; `None`: those of the policies (see
    /// [`Config::routes`](super::Config::routes)).
    pub routes: Option<Vec<IpNet>>,
}

impl Default for Interface {
    fn default() -> Self {
        Self {
            name: DEFAULT_INTERFACE.to_owned(),
            address: Vec::new(),
            mtu: None,
            routes: None,
        }
    }
}

pub(crate) fn read_daemon(table: Option<&Table>, issues: &mut Vec<ConfigIssue>) -> Daemon {
    let mut daemon = Daemon::default();
    let Some(table) = table else {
        return daemon;
    };
    let mut r = Reader::new(table, "[daemon]".to_owned(), DAEMON_KEYS, issues);
    let accepted = format!("auto, or an integer 1..{MAX_WORKERS}");
    if let Some(w) = r.read("workers", &accepted, |v| match v {
        toml::Value::String(s) if s == "auto" => Ok(Workers::Auto),
        toml::Value::Integer(n) => usize::try_from(*n)
            .ok()
            .filter(|n| (*n as i64) <= MAX_WORKERS)
            .and_then(NonZeroUsize::new)
            .map(Workers::Count)
            .ok_or_else(|| format!("{n} is out of range")),
        other => Err(format!("{} is not valid", show(other))),
    }) {
        daemon.workers = w;
    }
    if let Some(path) = r.string("control-socket") {
        if path.starts_with('/') {
            daemon.control_socket = PathBuf::from(path);
        } else {
            r.issue(
                "control-socket",
                format!(
                    "{} is not an absolute path; accepted: an absolute path such as {:?}",
                    quote(&path),
                    DEFAULT_CONTROL_SOCKET
                ),
            );
        }
    }
    if let Some(level) = r.keyword("log-level") {
        daemon.log_level = level;
    }
    if let Some(size) = r.integer("ike-fragment-size", MIN_IKE_FRAGMENT_SIZE.into(), 65535) {
        daemon.ike_fragment_size = u16::try_from(size).unwrap_or(DEFAULT_IKE_FRAGMENT_SIZE);
    }
    if let Some(n) = r.integer("ike-cookie-threshold", 0, 1_000_000) {
        daemon.ike_cookie_threshold = u32::try_from(n).unwrap_or(DEFAULT_IKE_COOKIE_THRESHOLD);
    }
    let accepted = "a list of topic rules such as [\"ipsec\", \"system,!debug\"]: topics separated by commas, each optionally prefixed by '!'";
    if let Some(rules) = r.read("log-topics", accepted, |v| {
        let items: Vec<&toml::Value> = match v {
            toml::Value::Array(a) => a.iter().collect(),
            one @ toml::Value::String(_) => vec![one],
            other => return Err(format!("{} is not a list", show(other))),
        };
        items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(s) => s
                    .parse::<crate::logging::TopicRule>()
                    .map(|_| s.clone())
                    .map_err(|_| format!("{} is not a topic rule", quote(s))),
                other => Err(format!("{} in the list is not a string", show(other))),
            })
            .collect()
    }) {
        daemon.log_topics = rules;
    }
    if let Some(listen) = r.string("metrics-listen") {
        match listen.parse::<SocketAddr>() {
            Ok(a) => daemon.metrics_listen = Some(a),
            Err(_) => r.issue(
                "metrics-listen",
                format!(
                    "{} is not an address and port; accepted: an address and port such as \"127.0.0.1:9474\" or \"[::1]:9474\"",
                    quote(&listen)
                ),
            ),
        }
    }
    daemon
}

pub(crate) fn read_interface(table: Option<&Table>, issues: &mut Vec<ConfigIssue>) -> Interface {
    let mut interface = Interface::default();
    let Some(table) = table else {
        return interface;
    };
    let mut r = Reader::new(table, "[interface]".to_owned(), INTERFACE_KEYS, issues);
    if let Some(name) = r.string("name") {
        // Linux: at most IFNAMSIZ - 1 = 15 bytes, and no '/', whitespace or ':'.
        let ok = !name.is_empty()
            && name.len() <= 15
            && name != "."
            && name != ".."
            && !name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace());
        if ok {
            interface.name = name;
        } else {
            r.issue(
                "name",
                format!(
                    "{} is not a usable interface name; accepted: 1 to 15 characters without '/', ':' or spaces",
                    quote(&name)
                ),
            );
        }
    }
    let accepted = "addresses with their prefix length such as \"10.201.1.1/24\"";
    if let Some(addresses) = r.list("address", accepted, |s| s.parse::<IpNet>().ok()) {
        for (i, a) in addresses.iter().enumerate() {
            if addresses[..i].contains(a) {
                r.issue(
                    "address",
                    format!("\"{a}\" is listed twice; accepted: {accepted}"),
                );
            }
        }
        interface.address = addresses;
    }
    if let Some(mtu) = r.integer("mtu", 68, 65535) {
        let has_v6 = interface.address.iter().any(|a| matches!(a, IpNet::V6(_)));
        if has_v6 && mtu < 1280 {
            r.issue(
                "mtu",
                format!("{mtu} is below IPv6's minimum of 1280 and address has an IPv6 address; accepted: an integer 1280..65535"),
            );
        } else {
            interface.mtu = u16::try_from(mtu).ok();
        }
    }
    let accepted = "network prefixes such as \"10.201.2.0/24\"";
    if let Some(routes) = r.list("routes", accepted, |s| s.parse::<IpNet>().ok()) {
        for route in &routes {
            if route.trunc() != *route {
                r.issue(
                    "routes",
                    format!(
                        "\"{route}\" has host bits set; accepted: a network prefix such as \"{}\"",
                        route.trunc()
                    ),
                );
            }
        }
        interface.routes = Some(routes);
    }
    interface
}
