//! The tunsec configuration file: RouterOS's `/ip ipsec` menus written as TOML.
//!
//! Each menu is a table named after it and each property keeps the manual's name, type and
//! default: `[[policy]]`, `[[proposal]]`, `[[peer]]`, `[[profile]]`, `[[mode-config]]`,
//! `[[user]]`, `[[group]]`, `[[key]]`, `[[certificate]]`, `[[pool]]` (`/ip pool`, for
//! mode-config) and `[[manual-sa]]` (manually keyed SAs), plus
//! `[daemon]` and `[interface]` for what a router would otherwise provide. Times take the
//! manual's forms (`30m`, `1d2h30m`, whole seconds), booleans `yes`/`no` or `true`/`false`,
//! lists a TOML array or RouterOS's comma-separated string. `config/reference.toml` lists
//! every key with its default.
//!
//! [`parse`] reads the whole file before judging it and reports every problem it finds, one
//! line each, naming the table, the entry, the key, the bad value and what is accepted.

mod certificate;
mod daemon;
mod error;
mod manual_sa;
mod mode_config;
mod peer;
mod policy;
mod pool;
mod proposal;
mod reader;
mod time;
mod validate;

use std::fmt::Write as _;
use std::path::Path;

use ipnet::IpNet;
use toml::{Table, Value};
use tunsec_dataplane::sa::Direction;
use tunsec_dataplane::spd::{Policy, PolicyAction};

pub use certificate::Certificate;
pub use daemon::{
    DEFAULT_CONTROL_SOCKET, DEFAULT_IKE_COOKIE_THRESHOLD, DEFAULT_IKE_FRAGMENT_SIZE,
    DEFAULT_INTERFACE, Daemon, Interface, LogLevel, MAX_WORKERS, Workers,
};
pub use error::{ConfigError, ConfigIssue};
pub use manual_sa::{DEFAULT_REPLAY_WINDOW, KeyPair, ManualSa, SpiPair};
pub use mode_config::{Group, Key, ModeConfig, REQUEST_ONLY, User};
pub use peer::{
    AuthMethod, CompatibilityOption, ExchangeMode, GeneratePolicy, MatchBy, MyId, Peer, RemoteId,
};
pub use pool::{AddressRange, Pool};
pub use proposal::{DhGroup, HashAlgorithm, IkeEncAlgorithm, Profile, Proposal, ProposalCheck};
pub use reader::Secret;
pub use time::{format_time, parse_time};

use reader::{EntryMeta, check_unique_names, unknown_key_message};

/// A whole configuration, every table read and checked.
///
/// The tables with a built-in `default` entry (`proposal`, `profile`, `group`) and the
/// built-in `request-only` mode-config hold it first unless the file defines one of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub daemon: Daemon,
    pub interface: Interface,
    /// `[[policy]]` in file order (the order packets are matched in).
    pub policy: Vec<Policy>,
    pub proposal: Vec<Proposal>,
    pub group: Vec<Group>,
    pub peer: Vec<Peer>,
    pub profile: Vec<Profile>,
    pub mode_config: Vec<ModeConfig>,
    /// `/ip pool` address ranges that mode-configs hand out.
    pub pool: Vec<Pool>,
    pub user: Vec<User>,
    pub key: Vec<Key>,
    /// `[[certificate]]`: the certificate store.
    pub certificate: Vec<Certificate>,
    pub manual_sa: Vec<ManualSa>,
}

/// The two SAs a policy with `manual-sa` installs.
#[derive(Debug, Clone)]
pub struct ManualSaInstall {
    /// The policy's index in [`Config::policies`] (its `policy print` row).
    pub policy_index: usize,
    /// Receives with the incoming SPI and key, from sa-dst-address to sa-src-address.
    pub inbound: tunsec_dataplane::sa::SaParams,
    /// Sends with the outgoing SPI and key, from sa-src-address to sa-dst-address.
    pub outbound: tunsec_dataplane::sa::SaParams,
}

impl Config {
    /// The policies, in order, for the SPD.
    pub fn policies(&self) -> Vec<Policy> {
        self.policy.clone()
    }

    /// The manual SA an enabled, encrypting, non-template policy uses, if any.
    fn sa_for(&self, p: &Policy) -> Option<&ManualSa> {
        if p.disabled || p.template || p.action != PolicyAction::Encrypt {
            return None;
        }
        let name = p.manual_sa.as_deref()?;
        self.manual_sa.iter().find(|s| s.name == name)
    }

    /// The SA pairs to install for the policies with `manual-sa`, each with a fresh random
    /// IV seed.
    ///
    /// # Panics
    /// If the operating system has no randomness to give (see
    /// [`try_manual_sa_installs`](Self::try_manual_sa_installs)). Installing a manually keyed
    /// SA with a guessable IV seed could repeat the nonces of its previous life.
    pub fn manual_sa_installs(&self) -> Vec<ManualSaInstall> {
        #[allow(clippy::expect_used)] // no randomness means no safe SA; see the doc
        self.try_manual_sa_installs()
            .expect("the OS random number generator failed")
    }

    /// [`manual_sa_installs`](Self::manual_sa_installs), returning the randomness error
    /// instead of panicking.
    pub fn try_manual_sa_installs(&self) -> Result<Vec<ManualSaInstall>, getrandom::Error> {
        let mut installs = Vec::new();
        for (policy_index, p) in self.policy.iter().enumerate() {
            let Some(sa) = self.sa_for(p) else { continue };
            installs.push(ManualSaInstall {
                policy_index,
                inbound: sa.sa_params(p, Direction::Inbound, getrandom::u64()?),
                outbound: sa.sa_params(p, Direction::Outbound, getrandom::u64()?),
            });
        }
        Ok(installs)
    }

    /// Prefixes to route into the TUN device: `[interface] routes` when given, else the
    /// dst-address of every enabled, encrypting tunnel-mode policy (templates excepted).
    pub fn routes(&self) -> Vec<IpNet> {
        if let Some(routes) = &self.interface.routes {
            return routes.clone();
        }
        let mut routes: Vec<IpNet> = Vec::new();
        for p in &self.policy {
            if !p.disabled
                && !p.template
                && p.tunnel
                && p.action == PolicyAction::Encrypt
                && !routes.contains(&p.dst_address)
            {
                routes.push(p.dst_address);
            }
        }
        routes
    }

    /// How many worker threads to run on a machine with `online_cpus` CPUs.
    pub fn workers(&self, online_cpus: usize) -> usize {
        match self.daemon.workers {
            Workers::Auto => online_cpus.max(1),
            Workers::Count(n) => n.get(),
        }
    }
}

/// Reads and checks the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::read(path, &e))?;
    parse(&text)
}

/// Reads and checks a configuration. On failure the error holds every problem found.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    let root: Table = toml::from_str(text).map_err(|e| ConfigError::syntax(text, &e))?;
    let mut issues = Vec::new();
    let draft = read_config(&root, &mut issues);
    validate::cross_check(&draft, &mut issues);
    if issues.is_empty() {
        Ok(draft.config)
    } else {
        Err(ConfigError::new(issues))
    }
}

/// Checks the file at `path` and summarises it in one paragraph, for `tunsec check`.
pub fn check(path: &Path) -> Result<String, ConfigError> {
    let config = load(path)?;
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(summary(&config, &path.display().to_string(), cpus))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(c: &Config, source: &str, cpus: usize) -> String {
    let enabled = c.policy.iter().filter(|p| !p.disabled).count();
    let manual = c.policy.iter().filter(|p| c.sa_for(p).is_some()).count();
    let templates = c.policy.iter().filter(|p| p.template).count();
    let mut s = format!(
        "{source} is valid: {} ({enabled} enabled, {manual} keyed by a manual SA, {templates} {}), {}, {}",
        plural(c.policy.len(), "policy", "policies"),
        if templates == 1 {
            "template"
        } else {
            "templates"
        },
        plural(c.peer.len(), "peer", "peers"),
        plural(c.manual_sa.len(), "manual SA", "manual SAs"),
    );
    let users = c.user.len();
    if users > 0 {
        let _ = write!(s, ", {}", plural(users, "XAuth user", "XAuth users"));
    }
    let i = &c.interface;
    let addresses: Vec<String> = i.address.iter().map(ToString::to_string).collect();
    let _ = write!(
        s,
        ". Interface {} with {}, MTU {}",
        i.name,
        if addresses.is_empty() {
            "no address".to_owned()
        } else {
            addresses.join(", ")
        },
        i.mtu
            .map_or("derived at start-up".to_owned(), |m| m.to_string())
    );
    let routes: Vec<String> = c.routes().iter().map(ToString::to_string).collect();
    let _ = write!(
        s,
        ", routing {} ({})",
        if routes.is_empty() {
            "nothing".to_owned()
        } else {
            routes.join(", ")
        },
        if i.routes.is_some() {
            "as configured"
        } else {
            "from the tunnel policies"
        }
    );
    let workers = c.workers(cpus);
    let _ = write!(
        s,
        ". {} ({}), control socket {}, log level {}.",
        plural(workers, "worker", "workers"),
        match c.daemon.workers {
            Workers::Auto => "auto: one per online CPU",
            Workers::Count(_) => "as configured",
        },
        c.daemon.control_socket.display(),
        c.daemon.log_level
    );
    s
}

/// The configuration as read, with what the cross-checks need to know about each entry.
pub(crate) struct Draft {
    pub config: Config,
    pub policy_meta: Vec<EntryMeta>,
    pub peer_meta: Vec<EntryMeta>,
    pub mode_config_meta: Vec<EntryMeta>,
    pub pool_meta: Vec<EntryMeta>,
    pub manual_sa_meta: Vec<EntryMeta>,
}

/// The top-level tables: `[name]` singletons and `[[name]]` arrays.
const SINGLE_TABLES: &[&str] = &["daemon", "interface"];
const ARRAY_TABLES: &[&str] = &[
    "policy",
    "proposal",
    "group",
    "peer",
    "profile",
    "mode-config",
    "pool",
    "user",
    "key",
    "certificate",
    "manual-sa",
];
const TOP_LEVEL: &str = "(top level)";

fn read_config(root: &Table, issues: &mut Vec<ConfigIssue>) -> Draft {
    let valid: Vec<String> = SINGLE_TABLES
        .iter()
        .map(|t| format!("[{t}]"))
        .chain(ARRAY_TABLES.iter().map(|t| format!("[[{t}]]")))
        .collect();
    let valid: Vec<&str> = valid.iter().map(String::as_str).collect();
    let names: Vec<&str> = SINGLE_TABLES.iter().chain(ARRAY_TABLES).copied().collect();
    for (key, value) in root {
        if names.contains(&key.as_str()) {
            continue;
        }
        // A key written above its table header lands at the top level.
        let home = [
            ("daemon", daemon::DAEMON_KEYS),
            ("interface", daemon::INTERFACE_KEYS),
        ]
        .into_iter()
        .find(|(_, keys)| keys.contains(&key.as_str()));
        let message = if let Some((table, _)) = home {
            format!(
                "is a [{table}] key outside [{table}] (keys above the first table header are top-level); accepted: {key} under [{table}]"
            )
        } else {
            let what = if value.is_table() || value.is_array() {
                "table"
            } else {
                "key"
            };
            let mut message = unknown_key_message(what, key, &names);
            // List the tables as they are written.
            if let Some(at) = message.find("; accepted: ") {
                message.truncate(at);
                let _ = write!(message, "; accepted: {}", valid.join(", "));
            }
            message
        };
        issues.push(ConfigIssue::new(TOP_LEVEL, Some(key), message));
    }

    let daemon = daemon::read_daemon(single(root, "daemon", issues), issues);
    let interface = daemon::read_interface(single(root, "interface", issues), issues);

    let (policy, policy_meta) = read_array(root, "policy", issues, policy::read_policy);
    let (mut proposal, _) = read_array(root, "proposal", issues, proposal::read_proposal);
    check_unique_names("proposal", proposal.iter().map(|x| x.name.as_str()), issues);
    let (mut group, _) = read_array(root, "group", issues, mode_config::read_group);
    check_unique_names("group", group.iter().map(|x| x.name.as_str()), issues);
    let (peer, peer_meta) = read_array(root, "peer", issues, peer::read_peer);
    check_unique_names("peer", peer.iter().map(|x| x.name.as_str()), issues);
    let (mut profile, _) = read_array(root, "profile", issues, proposal::read_profile);
    check_unique_names("profile", profile.iter().map(|x| x.name.as_str()), issues);
    let (mut mode_config, mut mode_config_meta) =
        read_array(root, "mode-config", issues, mode_config::read_mode_config);
    let names = mode_config.iter().map(|x| x.name.as_str());
    check_unique_names("mode-config", names, issues);
    let (pool, pool_meta) = read_array(root, "pool", issues, pool::read_pool);
    check_unique_names("pool", pool.iter().map(|x| x.name.as_str()), issues);
    let (user, _) = read_array(root, "user", issues, mode_config::read_user);
    check_unique_names("user", user.iter().map(|x| x.name.as_str()), issues);
    let (key, _) = read_array(root, "key", issues, mode_config::read_key);
    check_unique_names("key", key.iter().map(|x| x.name.as_str()), issues);
    let (certificate, _) = read_array(root, "certificate", issues, certificate::read_certificate);
    let names = certificate.iter().map(|x| x.name.as_str());
    check_unique_names("certificate", names, issues);
    let (manual_sa, manual_sa_meta) =
        read_array(root, "manual-sa", issues, manual_sa::read_manual_sa);
    let names = manual_sa.iter().map(|x| x.name.as_str());
    check_unique_names("manual-sa", names, issues);

    // The built-in entries, unless the file redefines them.
    if !proposal.iter().any(|p| p.name == "default") {
        proposal.insert(0, Proposal::default_named("default"));
    }
    if !profile.iter().any(|p| p.name == "default") {
        profile.insert(0, Profile::default_named("default"));
    }
    if !group.iter().any(|g| g.name == "default") {
        group.insert(
            0,
            Group {
                name: "default".to_owned(),
                comment: String::new(),
            },
        );
    }
    if !mode_config.iter().any(|m| m.name == REQUEST_ONLY) {
        mode_config.insert(0, ModeConfig::request_only());
        mode_config_meta.insert(0, EntryMeta::default());
    }

    Draft {
        config: Config {
            daemon,
            interface,
            policy,
            proposal,
            group,
            peer,
            profile,
            mode_config,
            pool,
            user,
            key,
            certificate,
            manual_sa,
        },
        policy_meta,
        peer_meta,
        mode_config_meta,
        pool_meta,
        manual_sa_meta,
    }
}

/// The `[name]` table, if present and a table.
fn single<'a>(root: &'a Table, name: &str, issues: &mut Vec<ConfigIssue>) -> Option<&'a Table> {
    match root.get(name)? {
        Value::Table(t) => Some(t),
        Value::Array(_) => {
            issues.push(ConfigIssue::new(
                TOP_LEVEL,
                Some(name),
                format!("is written [[{name}]], but there is only one; accepted: [{name}]"),
            ));
            None
        }
        other => {
            issues.push(ConfigIssue::new(
                TOP_LEVEL,
                Some(name),
                format!(
                    "{} is not a table; accepted: a [{name}] table",
                    reader::show(other)
                ),
            ));
            None
        }
    }
}

/// Reads each `[[name]]` entry with `read`.
fn read_array<T>(
    root: &Table,
    name: &str,
    issues: &mut Vec<ConfigIssue>,
    read: impl Fn(&Table, usize, &mut Vec<ConfigIssue>) -> (T, EntryMeta),
) -> (Vec<T>, Vec<EntryMeta>) {
    let mut out = (Vec::new(), Vec::new());
    let items = match root.get(name) {
        None => return out,
        Some(Value::Array(items)) => items,
        Some(Value::Table(_)) => {
            issues.push(ConfigIssue::new(
                TOP_LEVEL,
                Some(name),
                format!("is written [{name}]; accepted: [[{name}]], one for each entry"),
            ));
            return out;
        }
        Some(other) => {
            issues.push(ConfigIssue::new(
                TOP_LEVEL,
                Some(name),
                format!(
                    "{} is not a table; accepted: [[{name}]] tables",
                    reader::show(other)
                ),
            ));
            return out;
        }
    };
    for (index, item) in items.iter().enumerate() {
        match item {
            Value::Table(t) => {
                let (value, meta) = read(t, index, issues);
                out.0.push(value);
                out.1.push(meta);
            }
            other => issues.push(ConfigIssue::new(
                &format!("[[{name}]] #{index}"),
                None,
                format!(
                    "{} is not a table; accepted: [[{name}]] tables",
                    reader::show(other)
                ),
            )),
        }
    }
    out
}
