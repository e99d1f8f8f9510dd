//! `tunsec`: a userspace IPsec VPN endpoint. This binary is the daemon and its command line.

mod cert_cli;
mod demo;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tunsec::{config, mgmt, runtime};

#[derive(Parser)]
#[command(
    name = "tunsec",
    version,
    about = "Userspace IPsec (ESP/AH) VPN endpoint"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show CPU crypto features and which transforms run hardware-accelerated (hw-aead).
    Hwinfo,
    /// Encrypt and decrypt sample packets between two in-process endpoints, printing what
    /// crosses the wire and the statistics counters.
    Demo,
    /// Run the endpoint: bring up the TUN device and carry traffic as the config says.
    Run {
        /// Configuration file (TOML).
        #[arg(short, long)]
        config: PathBuf,
    },
    /// Validate a configuration file; every error names the table, entry, key, the bad
    /// value and the accepted values.
    Check {
        #[arg(short, long)]
        config: PathBuf,
    },
    /// Make and inspect certificates and keys for IKE (a test CA, gateway certificates,
    /// raw RSA keys), in PEM, without OpenSSL.
    Cert {
        #[command(subcommand)]
        command: cert_cli::CertCommand,
    },
    /// Print a menu of the running daemon (statistics, installed-sa, remote-peers).
    Print {
        /// The menu: statistics, installed-sa or remote-peers.
        menu: String,
        /// Find the daemon's control socket from this config file.
        #[arg(short, long, conflicts_with = "socket")]
        config: Option<PathBuf>,
        /// The daemon's control socket.
        #[arg(short, long)]
        socket: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hwinfo => {
            print!("{}", tunsec_dataplane::crypto::cpu::hwinfo_table());
            Ok(())
        }
        Command::Demo => demo::run(),
        Command::Run { config } => runtime::run(&config),
        Command::Check { config } => match config::check(&config) {
            Ok(summary) => {
                // The certificate and key files IKE will read, read now.
                let problems = config::load(&config)
                    .map(|c| tunsec::ike::peers::credential_errors(&c))
                    .unwrap_or_default();
                if problems.is_empty() {
                    println!("{}: ok\n{summary}", config.display());
                    Ok(())
                } else {
                    Err(anyhow::anyhow!(
                        "{}: certificate or key files unusable\n{}",
                        config.display(),
                        problems.join("\n")
                    ))
                }
            }
            Err(e) => Err(anyhow::anyhow!(
                "{}: invalid configuration\n{e}",
                config.display()
            )),
        },
        Command::Cert { command } => cert_cli::run(command),
        Command::Print {
            menu,
            config,
            socket,
        } => print(&menu, config, socket),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tunsec: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print(menu: &str, config: Option<PathBuf>, socket: Option<PathBuf>) -> anyhow::Result<()> {
    let socket = match (socket, config) {
        (Some(s), _) => s,
        (None, Some(c)) => config::load(&c)
            .map_err(|e| anyhow::anyhow!("{}: {e}", c.display()))?
            .daemon
            .control_socket
            .clone(),
        (None, None) => anyhow::bail!("name the daemon with --config FILE or --socket PATH"),
    };
    let answer = mgmt::socket::request(&socket, &format!("print {menu}"))?;
    if let Some(err) = answer.strip_prefix("error: ") {
        anyhow::bail!("{}", err.trim_end());
    }
    print!("{answer}");
    Ok(())
}
