//! What an import could not carry over, said precisely: the script line, the menu, the
//! property and its value (never a secret's), and what tunsec does instead.

use std::fmt;

/// One thing the import dropped, changed or cannot make work yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The script line it comes from (1-based; where a statement spans lines, its first).
    pub line: usize,
    /// What it is about: `/ip ipsec peer exchange-mode=main`, `/ip firewall nat add`.
    pub subject: String,
    /// What tunsec does about it.
    pub message: String,
}

impl Warning {
    pub fn new(line: usize, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line,
            subject: subject.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.subject, self.message)
    }
}

/// `property=value` for a message, the value hidden when it is a secret and quoted when it
/// would not read as one word.
pub fn shown(property: &str, value: &str) -> String {
    if super::menus::is_secret(property) {
        return format!("{property}=(hidden)");
    }
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '"');
    if plain {
        format!("{property}={value}")
    } else {
        format!("{property}={value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_hidden_and_odd_values_quoted() {
        assert_eq!(shown("secret", "hunter2"), "secret=(hidden)");
        assert_eq!(shown("xauth-password", "x"), "xauth-password=(hidden)");
        assert_eq!(shown("exchange-mode", "main"), "exchange-mode=main");
        assert_eq!(shown("comment", "two words"), "comment=\"two words\"");
        assert_eq!(shown("comment", ""), "comment=\"\"");
    }
}
