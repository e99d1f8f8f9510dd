//! `tunsec`: a userspace IPsec VPN endpoint. This binary is the daemon and its command line.

mod demo;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hwinfo => {
            print!("{}", tunsec_dataplane::crypto::cpu::hwinfo_table());
            Ok(())
        }
        Command::Demo => demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tunsec: {e:#}");
            ExitCode::FAILURE
        }
    }
}
