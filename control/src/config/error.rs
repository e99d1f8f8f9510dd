//! What is wrong with a configuration file: every problem found, one line each.
//!
//! A line names where the problem is (`[[manual-sa]] "site-b"`, `[[policy]] #2 (10.1.0.0/24 ->
//! 10.2.0.0/24)`, `[daemon]`), the key, the bad value and what would be accepted. Secrets
//! (keys, PSKs, passwords) never appear: messages give their length at most.

use std::fmt;
use std::path::Path;

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Where: `[daemon]`, `[[peer]] "office"`, `[[policy]] #0 (a -> b)`, `(top level)`, or
    /// empty for problems with the file as a whole (unreadable, not TOML).
    pub location: String,
    /// The key at fault, when there is one.
    pub key: Option<String>,
    /// What is wrong, usually ending in `; accepted: ...` or `; defined: ...`.
    pub message: String,
}

impl ConfigIssue {
    pub(crate) fn new(location: &str, key: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            location: location.to_owned(),
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.location.is_empty() {
            write!(f, "{}: ", self.location)?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a configuration file, in file order within each table. Displays one
/// problem per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    issues: Vec<ConfigIssue>,
}

impl ConfigError {
    pub(crate) fn new(issues: Vec<ConfigIssue>) -> Self {
        debug_assert!(!issues.is_empty(), "an error with no problems in it");
        Self { issues }
    }

    pub(crate) fn read(path: &Path, err: &std::io::Error) -> Self {
        Self::new(vec![ConfigIssue::new(
            "",
            None,
            format!("cannot read {}: {err}", path.display()),
        )])
    }

    /// A TOML syntax error, with toml's line and column. toml's own display quotes the
    /// offending line, which may hold a secret, so only its position and message are kept.
    pub(crate) fn syntax(text: &str, err: &toml::de::Error) -> Self {
        let message = err.message().trim_end();
        let message = match err.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!("TOML syntax error at line {line}, column {column}: {message}")
            }
            None => format!("TOML syntax error: {message}"),
        };
        Self::new(vec![ConfigIssue::new("", None, message)])
    }

    /// The problems, in the order they are displayed.
    pub fn issues(&self) -> &[ConfigIssue] {
        &self.issues
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("a = 1\nb = ?", 10), (2, 5));
        assert_eq!(line_column("", 0), (1, 1));
        assert_eq!(line_column("é = x", 3), (1, 3));
    }

    #[test]
    fn displays_one_issue_per_line() {
        let e = ConfigError::new(vec![
            ConfigIssue::new("[daemon]", Some("workers"), "0 is out of range"),
            ConfigIssue::new("", None, "whole file"),
        ]);
        assert_eq!(
            e.to_string(),
            "[daemon]: workers: 0 is out of range\nwhole file"
        );
    }
}
