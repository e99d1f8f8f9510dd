//! The daemon's log: one line per event, `HH:MM:SS topics message`, with RouterOS's topics
//! (`ipsec`, `ipsec,error`, `ipsec,debug`, `system,info`, ...) so the manual's
//! troubleshooting lines read the same here.
//!
//! Two filters decide what is written: `log-level` (a line's severity is its `error`,
//! `warning`, `debug` or `packet` topic, `info` otherwise) and `log-topics`, RouterOS's
//! `/system logging` rules: each rule is a comma list of topics that must all be present,
//! `!topic` ones that must be absent (`ipsec,!debug`); a line is written when any rule
//! matches (no rule: every line). Lines go to stderr, which systemd hands to the journal.
//!
//! Secrets never reach a log line: keys and pre-shared keys have redacting `Debug` impls,
//! and no log call formats key material.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::LogLevel;

/// One `log-topics` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRule {
    required: Vec<String>,
    excluded: Vec<String>,
}

/// A `log-topics` rule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a topic rule; accepted: topics separated by commas, each optionally prefixed by '!' (\"ipsec,!debug\")"
)]
pub struct BadRule(pub String);

impl std::str::FromStr for TopicRule {
    type Err = BadRule;
    fn from_str(s: &str) -> Result<Self, BadRule> {
        let mut rule = TopicRule {
            required: Vec::new(),
            excluded: Vec::new(),
        };
        for word in s.split(',') {
            let (list, word) = match word.strip_prefix('!') {
                Some(w) => (&mut rule.excluded, w),
                None => (&mut rule.required, word),
            };
            let ok = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(BadRule(s.to_owned()));
            }
            list.push(word.to_owned());
        }
        Ok(rule)
    }
}

impl TopicRule {
    fn matches(&self, topics: &[&str]) -> bool {
        self.required.iter().all(|t| topics.contains(&t.as_str()))
            && !self.excluded.iter().any(|t| topics.contains(&t.as_str()))
    }
}

/// What gets written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub level: LogLevel,
    pub rules: Vec<TopicRule>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            level: LogLevel::Info,
            rules: Vec::new(),
        }
    }
}

/// A line's severity, from its topics.
fn severity(topics: &[&str]) -> LogLevel {
    if topics.contains(&"error") || topics.contains(&"critical") {
        LogLevel::Error
    } else if topics.contains(&"warning") {
        LogLevel::Warn
    } else if topics.contains(&"packet") {
        LogLevel::Trace
    } else if topics.contains(&"debug") {
        LogLevel::Debug
    } else {
        LogLevel::Info
    }
}

fn rank(level: LogLevel) -> u8 {
    match level {
        LogLevel::Error => 0,
        LogLevel::Warn => 1,
        LogLevel::Info => 2,
        LogLevel::Debug => 3,
        LogLevel::Trace => 4,
    }
}

impl Filter {
    /// Whether a line with these topics is written.
    pub fn passes(&self, topics: &[&str]) -> bool {
        rank(severity(topics)) <= rank(self.level)
            && (self.rules.is_empty() || self.rules.iter().any(|r| r.matches(topics)))
    }
}

static FILTER: Mutex<Option<Filter>> = Mutex::new(None);

/// Sets the filter (at start, and again on every reload).
pub fn set_filter(filter: Filter) {
    *FILTER.lock().unwrap_or_else(PoisonError::into_inner) = Some(filter);
}

/// `HH:MM:SS` of the current UTC time, as RouterOS's log shows the time of day.
fn time_of_day() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        % 86_400;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The line as written, or `None` when the filter drops it.
pub fn format_line(filter: &Filter, topics: &str, message: &str) -> Option<String> {
    let list: Vec<&str> = topics.split(',').collect();
    filter
        .passes(&list)
        .then(|| format!("{} {topics} {message}", time_of_day()))
}

/// Writes one line under `topics` (`"ipsec,error"`), if the filter lets it through.
pub fn emit(topics: &str, message: &str) {
    let guard = FILTER.lock().unwrap_or_else(PoisonError::into_inner);
    let default = Filter::default();
    let filter = guard.as_ref().unwrap_or(&default);
    if let Some(line) = format_line(filter, topics, message) {
        eprintln!("{line}");
    }
}

/// Writes a line that comes with its topics as the first word (`"ipsec,error no suitable
/// proposal found."`, as IKE produces them).
pub fn emit_tagged(line: &str) {
    match line.split_once(' ') {
        Some((topics, message)) if topics.starts_with("ipsec") || topics.starts_with("system") => {
            emit(topics, message);
        }
        _ => emit("ipsec", line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(level: LogLevel, rules: &[&str]) -> Filter {
        Filter {
            level,
            rules: rules.iter().map(|r| r.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn level_follows_the_severity_topic() {
        let f = filter(LogLevel::Info, &[]);
        assert!(f.passes(&["ipsec"]));
        assert!(f.passes(&["ipsec", "error"]));
        assert!(!f.passes(&["ipsec", "debug"]));
        assert!(filter(LogLevel::Debug, &[]).passes(&["ipsec", "debug"]));
        assert!(!filter(LogLevel::Error, &[]).passes(&["ipsec"]));
        assert!(filter(LogLevel::Error, &[]).passes(&["ipsec", "error"]));
    }

    #[test]
    fn topic_rules_as_routeros_writes_them() {
        let f = filter(LogLevel::Debug, &["ipsec,!debug"]);
        assert!(f.passes(&["ipsec"]));
        assert!(f.passes(&["ipsec", "error"]));
        assert!(!f.passes(&["ipsec", "debug"]));
        assert!(!f.passes(&["system", "info"]));
        let f = filter(LogLevel::Info, &["ipsec,error", "system"]);
        assert!(f.passes(&["ipsec", "error"]));
        assert!(f.passes(&["system", "info"]));
        assert!(!f.passes(&["ipsec"]));
        assert!("ipsec,,x".parse::<TopicRule>().is_err());
        assert!("IPSEC".parse::<TopicRule>().is_err());
    }

    #[test]
    fn lines_carry_time_topics_and_message() {
        let line = format_line(
            &Filter::default(),
            "ipsec,error",
            "no suitable proposal found.",
        )
        .unwrap();
        let (time, rest) = line.split_at(8);
        assert!(time.chars().filter(|c| *c == ':').count() == 2, "{line}");
        assert_eq!(rest, " ipsec,error no suitable proposal found.");
    }
}
