//! `tunsec`: a userspace IPsec VPN endpoint. This binary is the daemon and its command line.

mod cert_cli;
mod demo;
mod key_cli;

use clap::{Args, CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tunsec::config::{self, LogLevel};
use tunsec::mgmt::menu::{Menu, accepted_menus};
use tunsec::mgmt::print::{Layout, render};
use tunsec::mgmt::protocol::{self, Request};
use tunsec::{mgmt, routeros, runtime, service};

#[derive(Parser)]
#[command(
    name = "tunsec",
    version,
    about = "Userspace IPsec (ESP/AH) VPN endpoint with IKEv2, configured like RouterOS /ip ipsec"
)]
struct Cli {
    /// -c FILE / -s SOCKET may come before the subcommand or after it.
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    command: Command,
}

/// Which running daemon a command talks to.
#[derive(Args, Debug, Clone)]
struct Target {
    /// The config file (run, check), or where to find the daemon's control socket
    /// ([daemon] control-socket) for the other commands.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "socket",
        value_name = "FILE"
    )]
    config: Option<PathBuf>,
    /// The daemon's control socket.
    #[arg(short, long, global = true, value_name = "SOCKET")]
    socket: Option<PathBuf>,
}

impl Target {
    /// The config file `run` and `check` need.
    fn config_file(&self) -> anyhow::Result<PathBuf> {
        self.config
            .clone()
            .ok_or_else(|| anyhow::anyhow!("name the configuration file with -c FILE"))
    }

    fn socket(&self) -> anyhow::Result<PathBuf> {
        match (&self.socket, &self.config) {
            (Some(s), _) => Ok(s.clone()),
            (None, Some(c)) => Ok(config::load(c)
                .map_err(|e| anyhow::anyhow!("{}: {e}", c.display()))?
                .daemon
                .control_socket),
            (None, None) => Ok(PathBuf::from(config::DEFAULT_CONTROL_SOCKET)),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Show CPU crypto features and which transforms run hardware-accelerated (hw-aead).
    Hwinfo,
    /// Encrypt and decrypt sample packets between two in-process endpoints, printing what
    /// crosses the wire and the statistics counters.
    Demo,
    /// Run the endpoint: bring up the TUN device and carry traffic as the config says.
    ///
    /// The configuration (-c FILE, TOML) must not be readable by others when it holds secrets.
    Run {
        /// Most verbose messages logged (overrides [daemon] log-level).
        #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
        log_level: Option<LogLevel>,
        /// RouterOS topic rule such as "ipsec,!debug"; repeatable, a line is logged when any
        /// rule matches (overrides [daemon] log-topics).
        #[arg(long = "log-topics", value_name = "RULE", value_parser = parse_rule)]
        log_topics: Vec<String>,
    },
    /// Validate a configuration file; every error names the table, entry, key, the bad
    /// value and the accepted values.
    Check,
    /// Make and inspect certificates and keys for IKE (a test CA, gateway certificates,
    /// raw RSA keys), in PEM, without OpenSSL.
    Cert {
        #[command(subcommand)]
        command: cert_cli::CertCommand,
    },
    /// /ip ipsec key commands on key files: generate-key, import, export-pub-key.
    Key {
        #[command(subcommand)]
        command: key_cli::KeyCommand,
    },
    /// Print a menu of the running daemon, as RouterOS's `/ip ipsec <menu> print` does.
    #[command(after_help = format!(
        "Menus: {}.\n\nExamples:\n  tunsec print remote-peers -c /etc/tunsec/tunsec.toml\n  tunsec print policy detail\n  tunsec print installed-sa --json --show-keys",
        accepted_menus()
    ))]
    Print {
        /// The menu (`policy group` may be written as two words), optionally followed by
        /// `detail` for every property in key=value form.
        #[arg(required = true, num_args = 1..=3, value_name = "MENU [detail]")]
        words: Vec<String>,
        /// The daemon's JSON document instead of the table (field names in docs/print-json.md).
        #[arg(long)]
        json: bool,
        /// Include keys and secrets (installed-sa enc-key/auth-key, peer secret, user password).
        #[arg(long)]
        show_keys: bool,
    },
    /// Translate a RouterOS /ip ipsec export or script (and the /ip pool entries its
    /// mode-configs use) into tunsec TOML on stdout; what cannot be carried over is
    /// reported on stderr with its line.
    ImportRouteros {
        /// The RouterOS script (.rsc, `/export` output); `-` reads standard input.
        file: PathBuf,
        /// Write exchange-mode = ike2 for IKEv1 peers (main, RouterOS's default, and the
        /// others): tunsec negotiates only IKEv2, so the other end must run ike2 too.
        #[arg(long)]
        ike2: bool,
    },
    /// /ip ipsec remote-peers commands.
    RemotePeers {
        #[command(subcommand)]
        action: RemotePeersAction,
    },
    /// /ip ipsec installed-sa commands.
    InstalledSa {
        #[command(subcommand)]
        action: InstalledSaAction,
    },
    /// Make the running daemon re-read its config file and apply what changed; unchanged SAs
    /// and IKE SAs keep running, a file that fails `check` is refused (same as SIGHUP).
    Reload,
    /// Live view of remote peers and per-SA rates (bytes/s, packets/s), refreshed like top.
    Monitor {
        /// Seconds between refreshes.
        #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
        interval: f64,
        /// Stop after this many refreshes (0: until Ctrl-C).
        #[arg(long, default_value_t = 0)]
        count: u64,
    },
    /// Print a shell completion script (e.g. `tunsec completions bash > /etc/bash_completion.d/tunsec`).
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum RemotePeersAction {
    /// Disconnect every remote peer (delete all IKE SAs and their child SAs; peers that
    /// initiate connect again by themselves).
    KillConnections,
}

#[derive(Subcommand)]
enum InstalledSaAction {
    /// Remove every negotiated SA; IKE negotiates fresh ones (manual SAs are kept).
    Flush,
}

fn parse_level(s: &str) -> Result<LogLevel, String> {
    s.parse()
}

fn parse_rule(s: &str) -> Result<String, String> {
    s.parse::<tunsec::logging::TopicRule>()
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let target = cli.target;
    let result = match cli.command {
        Command::Hwinfo => {
            print!("{}", tunsec_dataplane::crypto::cpu::hwinfo_table());
            Ok(())
        }
        Command::Demo => demo::run(),
        Command::Run {
            log_level,
            log_topics,
        } => target.config_file().and_then(|config| {
            runtime::run(
                &config,
                runtime::LogOverride {
                    level: log_level,
                    topics: (!log_topics.is_empty()).then_some(log_topics),
                },
            )
        }),
        Command::Check => target.config_file().and_then(|config| check(&config)),
        Command::Cert { command } => cert_cli::run(command),
        Command::Key { command } => key_cli::run(command, target.config.as_deref()),
        Command::Print {
            words,
            json,
            show_keys,
        } => print(&words, json, show_keys, &target),
        Command::RemotePeers {
            action: RemotePeersAction::KillConnections,
        } => command(&target, Request::KillConnections),
        Command::InstalledSa {
            action: InstalledSaAction::Flush,
        } => command(&target, Request::FlushInstalledSa),
        Command::Reload => command(&target, Request::Reload),
        Command::Monitor { interval, count } => monitor(&target, interval, count),
        Command::Completions { shell } => completions(shell),
        Command::ImportRouteros { file, ike2 } => {
            routeros::run(&file, &routeros::ImportOptions { ike2 })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tunsec: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the completion script; built in memory first, since clap_complete panics on a
/// write error (a closed pipe) instead of returning it.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tunsec", &mut script);
    out(&String::from_utf8_lossy(&script))
}

fn check(path: &std::path::Path) -> anyhow::Result<()> {
    match config::check(path) {
        Ok(summary) => {
            // The certificate and key files IKE will read, read now.
            let problems = config::load(path)
                .map(|c| tunsec::ike::peers::credential_errors(&c))
                .unwrap_or_default();
            if !problems.is_empty() {
                anyhow::bail!(
                    "{}: certificate or key files unusable\n{}",
                    path.display(),
                    problems.join("\n")
                );
            }
            println!("{}: ok\n{summary}", path.display());
            // The daemon refuses such a file; say so now rather than at start-up.
            if let Ok(cfg) = config::load(path)
                && let Err(e) = service::permissions::check(path, &cfg)
            {
                println!("warning: tunsec run will refuse it: {e}");
            }
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(
            "{}: invalid configuration\n{e}",
            path.display()
        )),
    }
}

fn print(words: &[String], json: bool, show_keys: bool, target: &Target) -> anyhow::Result<()> {
    let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
    let layout = if words.last() == Some(&"detail") {
        words.pop();
        Layout::Detail
    } else {
        Layout::Brief
    };
    let menu = Menu::parse(&words)?;
    let socket = target.socket()?;
    let value = protocol::call(&socket, Request::Print { menu, show_keys })?;
    if json {
        return out(&(serde_json::to_string_pretty(&value)? + "\n"));
    }
    let doc: mgmt::menu::MenuDocument = serde_json::from_value(value)?;
    out(&render(menu.spec(), &doc, layout))
}

/// Writes to stdout; a reader that stopped early (`| grep -q`, `| head`) is not an error.
fn out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn command(target: &Target, request: Request) -> anyhow::Result<()> {
    let value = protocol::call(&target.socket()?, request)?;
    match value.get("result").and_then(serde_json::Value::as_str) {
        Some(line) => out(&format!("{line}\n")),
        None => Ok(()),
    }
}

fn monitor(target: &Target, interval: f64, count: u64) -> anyhow::Result<()> {
    if !(interval.is_finite() && interval >= 0.1) {
        anyhow::bail!("--interval {interval} is too short; accepted: 0.1 seconds or more");
    }
    mgmt::monitor::run(&target.socket()?, Duration::from_secs_f64(interval), count)?;
    Ok(())
}
