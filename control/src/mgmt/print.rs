//! RouterOS-style `print` output, rendered from the rows of a [`MenuDocument`].
//!
//! `print`: a `Flags:` legend, then one numbered line per row with its flag letters and the
//! menu's principal properties as `key=value` (one line, so it greps well). `print detail`:
//! every property, wrapped and indented as RouterOS does, a blank line between rows. A
//! row's `comment` goes on a `;;;` line of its own. Menus of one row (`statistics`) print
//! `name: value` lines with the names right-aligned.

use std::fmt::Write;
use std::time::Duration;

use serde_json::Value;

use super::menu::{MenuDocument, MenuSpec, QUOTED, Row};

/// Width `detail` wraps at.
const DETAIL_WIDTH: usize = 80;

/// Which of the two layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Brief,
    Detail,
}

/// RouterOS's time format for ages and countdowns: `1d2h3m4s`, `0s`.
pub fn duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (unit, len) in [
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
        ("s", 1),
    ] {
        if secs >= len {
            let _ = write!(out, "{}{unit}", secs / len);
            secs %= len;
        }
    }
    out
}

/// A value as RouterOS prints it: `yes`/`no`, lists comma-separated, names and free text
/// quoted; `None` for an unset (null) property, which is left out.
fn value_text(key: &str, value: &Value) -> Option<String> {
    let quote = |s: &str| {
        let needs = QUOTED.contains(&key)
            || s.is_empty()
            || s.contains(|c: char| c.is_whitespace() || c == '"' || c == '=' || c == ';');
        if needs {
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        } else {
            s.to_owned()
        }
    };
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(quote(s)),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            Some(quote(&parts.join(",")))
        }
        Value::Object(_) => Some(quote(&value.to_string())),
    }
}

fn legend(spec: &MenuSpec) -> Option<String> {
    if spec.flags.is_empty() {
        return None;
    }
    let parts: Vec<String> = spec
        .flags
        .iter()
        .map(|f| format!("{} - {}", f.letter, f.legend))
        .collect();
    Some(format!("Flags: {}", parts.join(", ")))
}

/// The flag column: each flag has its own position, blank when not set (` 0  * ` is a
/// default entry that is not disabled).
fn flag_letters(spec: &MenuSpec, row: &Row) -> String {
    spec.flags
        .iter()
        .map(|f| {
            if row.get(f.property) == Some(&Value::Bool(true)) {
                f.letter
            } else {
                ' '
            }
        })
        .collect()
}

/// The `key=value` items a layout shows for a row.
fn items(spec: &MenuSpec, row: &Row, layout: Layout) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |key: &str, value: &Value| {
        if let Some(text) = value_text(key, value) {
            out.push(format!("{key}={text}"));
        }
    };
    match layout {
        Layout::Brief => {
            for key in spec.brief {
                if let Some(v) = row.get(*key) {
                    push(key, v);
                }
            }
        }
        Layout::Detail => {
            for (key, v) in row {
                // Flags show as letters; the comment has its own line.
                let flag_only = spec.flags.iter().any(|f| f.property == key)
                    && !spec.brief.contains(&key.as_str());
                if !flag_only && key != "comment" {
                    push(key, v);
                }
            }
        }
    }
    out
}

/// Renders a menu document in one of the two layouts.
pub fn render(spec: &MenuSpec, doc: &MenuDocument, layout: Layout) -> String {
    let mut out = String::new();
    if spec.single {
        for row in &doc.rows {
            let width = row.keys().map(String::len).max().unwrap_or(0);
            for (key, value) in row {
                let text = value_text(key, value).unwrap_or_default();
                let _ = writeln!(out, "{key:>width$}: {text}");
            }
        }
        return out;
    }
    if let Some(l) = legend(spec) {
        let _ = writeln!(out, "{l}");
    }
    let flag_width = spec.flags.len();
    let indent = " ".repeat(3 + flag_width + 1);
    for (i, row) in doc.rows.iter().enumerate() {
        let letters = flag_letters(spec, row);
        let mut line = format!("{i:>2} {letters:<flag_width$} ");
        if let Some(Value::String(c)) = row.get("comment")
            && !c.is_empty()
        {
            let _ = writeln!(out, "{line};;; {c}");
            line = indent.clone();
        }
        let items = items(spec, row, layout);
        match layout {
            Layout::Brief => {
                let _ = writeln!(out, "{line}{}", items.join(" "));
            }
            Layout::Detail => {
                let mut width = line.len();
                let mut first = true;
                for item in items {
                    if !first && width + 1 + item.len() > DETAIL_WIDTH {
                        let _ = write!(out, "{}\n{indent}", line.trim_end());
                        line = String::new();
                        width = indent.len();
                        first = true;
                    }
                    if !first {
                        line.push(' ');
                        width += 1;
                    }
                    width += item.len();
                    line.push_str(&item);
                    first = false;
                }
                let _ = writeln!(out, "{}\n", line.trim_end());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mgmt::menu::{Menu, RowBuilder};

    #[test]
    fn routeros_durations() {
        assert_eq!(duration(Duration::ZERO), "0s");
        assert_eq!(duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(duration(Duration::from_secs(86_400 + 7_200 + 3)), "1d2h3s");
    }

    fn proposals() -> MenuDocument {
        MenuDocument {
            menu: "proposal".to_owned(),
            rows: vec![
                RowBuilder::new()
                    .text("name", "default")
                    .list("auth-algorithms", ["sha1"])
                    .list(
                        "enc-algorithms",
                        ["aes-256-cbc", "aes-192-cbc", "aes-128-cbc"],
                    )
                    .text("lifetime", "30m")
                    .text("pfs-group", "modp1024")
                    .flag("disabled", false)
                    .flag("default", true)
                    .text("comment", "")
                    .build(),
                RowBuilder::new()
                    .text("name", "site b")
                    .list("auth-algorithms", ["sha256"])
                    .list("enc-algorithms", ["aes-128-gcm"])
                    .text("lifetime", "1h")
                    .opt_text::<&str>("pfs-group", None)
                    .flag("disabled", true)
                    .flag("default", false)
                    .text("comment", "to the office")
                    .build(),
            ],
        }
    }

    #[test]
    fn brief_layout_is_the_manuals() {
        let text = render(Menu::Proposal.spec(), &proposals(), Layout::Brief);
        assert_eq!(
            text,
            "Flags: X - disabled, * - default\n\
             \x200  * name=\"default\" auth-algorithms=sha1 enc-algorithms=aes-256-cbc,aes-192-cbc,aes-128-cbc lifetime=30m pfs-group=modp1024\n\
             \x201 X  ;;; to the office\n\
             \x20     name=\"site b\" auth-algorithms=sha256 enc-algorithms=aes-128-gcm lifetime=1h\n"
        );
    }

    #[test]
    fn detail_wraps_and_shows_everything_but_flags() {
        let text = render(Menu::Proposal.spec(), &proposals(), Layout::Detail);
        for line in text.lines() {
            assert!(line.len() <= DETAIL_WIDTH, "{line:?}");
        }
        assert!(text.starts_with("Flags: X - disabled, * - default\n 0  * name=\"default\""));
        assert!(text.contains("\n      enc-algorithms=aes-256-cbc,aes-192-cbc,aes-128-cbc"));
        assert!(!text.contains("disabled="), "{text}");
        assert!(!text.contains("default=yes"), "{text}");
    }

    #[test]
    fn single_row_menus_align_names() {
        let doc = MenuDocument {
            menu: "statistics".to_owned(),
            rows: vec![
                RowBuilder::new()
                    .int("in-errors", 0)
                    .int("in-no-states", 7)
                    .build(),
            ],
        };
        let text = render(Menu::Statistics.spec(), &doc, Layout::Brief);
        assert_eq!(text, "   in-errors: 0\nin-no-states: 7\n");
    }
}
