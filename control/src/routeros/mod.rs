//! `tunsec import-routeros`: a RouterOS `/ip ipsec` export or script, and the `/ip pool`
//! entries its mode-configs hand addresses out of, translated into tunsec's configuration.
//!
//! Four steps, one module each: [`lexer`] cuts the script into statements and words (line
//! continuations, quoting, `[ find ... ]`, comments); [`command`] resolves menus, commands,
//! targets and arguments; [`model`] runs the commands against a router's built-in entries
//! as RouterOS would; [`translate`] writes tunsec's tables from what they left
//! ([`toml_out`]). Syntax errors stop the import with their line and what was expected;
//! everything else that cannot be carried over is a [`Warning`] naming the line, the menu,
//! the property and its value (never a secret's), and what tunsec does instead.

mod command;
pub mod fuzzing;
mod lexer;
mod menus;
mod model;
mod toml_out;
mod translate;
mod warning;

use std::io::{Read as _, Write as _};
use std::path::Path;

use zeroize::Zeroizing;

pub use lexer::{SyntaxError, SyntaxErrorKind, Text};
pub use warning::Warning;

use command::{CommandParser, Parsed};
use model::Model;

/// Choices an import can make differently from RouterOS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Write `exchange-mode = "ike2"` for peers that RouterOS runs with IKEv1 (main, its
    /// default, main-l2tp, aggressive, base), since tunsec negotiates only IKEv2. The other
    /// end must then run IKEv2 too. XAuth peers keep their IKEv1 mode (XAuth is IKEv1's).
    pub ike2: bool,
}

/// The translated configuration and what could not be carried over.
#[derive(Debug)]
pub struct Imported {
    /// tunsec's TOML (holds the secrets: wiped when dropped).
    pub toml: Text,
    pub warnings: Vec<Warning>,
}

/// Translates a RouterOS script. `source` names it in the output's header.
pub fn import(
    script: &str,
    source: &str,
    options: &ImportOptions,
) -> Result<Imported, SyntaxError> {
    let statements = lexer::statements(script)?;
    let mut warnings = Vec::new();
    let mut parser = CommandParser::new();
    let mut model = Model::new();
    for statement in &statements {
        match parser.parse(statement) {
            Parsed::Command(cmd) => model.execute(&cmd, &mut warnings),
            Parsed::MovedTo(_) => {}
            Parsed::Script { line, name } => warnings.push(Warning::new(
                line,
                name,
                "a scripting command, not configuration; skipped",
            )),
        }
    }
    let tables = translate::translate(&model, options, &mut warnings);
    warnings.sort_by_key(|w| w.line);
    let header = vec![
        format!("tunsec configuration imported from {source} by `tunsec import-routeros`."),
        format!(
            "{} from the import (on stderr); check the result with `tunsec check -c FILE`.",
            match warnings.len() {
                0 => "No warnings".to_owned(),
                1 => "1 warning".to_owned(),
                n => format!("{n} warnings"),
            }
        ),
        "A router's /ip ipsec export says nothing of tunsec's [daemon] (control socket) and"
            .to_owned(),
        "[interface] (the TUN device's addresses): add them for the host that runs it.".to_owned(),
    ];
    let toml = toml_out::render(&header, &tables);
    Ok(Imported { toml, warnings })
}

/// The command: reads `file` (`-`: standard input), writes the TOML to standard output and
/// the warnings, then what `tunsec check` makes of the result, to standard error.
pub fn run(file: &Path, options: &ImportOptions) -> anyhow::Result<()> {
    let shown = file.display().to_string();
    let mut bytes = Zeroizing::new(Vec::new());
    if shown == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        let mut f =
            std::fs::File::open(file).map_err(|e| anyhow::anyhow!("cannot read {shown}: {e}"))?;
        f.read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("cannot read {shown}: {e}"))?;
    }
    let script = match std::str::from_utf8(&bytes) {
        Ok(s) => s,
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            anyhow::bail!(
                "{shown}:{line}: error: byte {:#04x} is not UTF-8; expected a RouterOS export in UTF-8 or ASCII",
                bytes[at]
            );
        }
    };
    let imported = import(script, &shown, options)
        .map_err(|e| anyhow::anyhow!("{shown}:{}:{}: error: {}", e.line, e.column, e.kind))?;
    let mut stderr = std::io::stderr().lock();
    for w in &imported.warnings {
        writeln!(
            stderr,
            "{shown}:{}: warning: {}: {}",
            w.line, w.subject, w.message
        )?;
    }
    std::io::stdout()
        .lock()
        .write_all(imported.toml.as_bytes())?;
    match crate::config::parse(&imported.toml) {
        Ok(_) => writeln!(
            stderr,
            "tunsec import-routeros: {shown}: {} warning(s); the result passes tunsec check",
            imported.warnings.len()
        )?,
        Err(e) => writeln!(
            stderr,
            "tunsec import-routeros: {shown}: {} warning(s); tunsec check refuses the result:\n{e}",
            imported.warnings.len()
        )?,
    }
    Ok(())
}
