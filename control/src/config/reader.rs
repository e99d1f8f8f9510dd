//! Reading one TOML table key by key, collecting every problem instead of stopping at the
//! first.
//!
//! serde's derive stops at the first bad value and cannot say which `[[policy]]` it was in, so
//! each table is read through a [`Reader`]: it reports unknown keys (listing the valid ones),
//! and each typed getter turns a bad value into one [`ConfigIssue`] line and carries on with
//! the default. Getters return `None` for a missing or bad value; the keys that were bad are
//! remembered so cross-checks can skip what they would only misreport.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use toml::{Table, Value};
use zeroize::Zeroizing;

use super::error::ConfigIssue;
use super::time::{ACCEPTED_TIME, parse_time};

/// A closed set of words, each the manual's spelling of one value.
pub(crate) trait Keyword: Sized + Copy + 'static {
    fn all() -> &'static [Self];
    fn name(self) -> &'static str;
    fn from_name(s: &str) -> Option<Self> {
        Self::all().iter().copied().find(|k| k.name() == s)
    }
    /// The accepted spellings for an error message: `discard, encrypt, none`.
    fn accepted() -> String {
        Self::all()
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Declares a closed enum with the manual's spellings, `name()`, `Display`, a `FromStr` and
/// [`Keyword`]. Mark the manual's default with `#[default]`.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $spelling:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// The manual's spelling.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $spelling,)* }
            }
        }

        impl $crate::config::reader::Keyword for $name {
            fn all() -> &'static [Self] {
                &[$($name::$variant,)*]
            }
            fn name(self) -> &'static str {
                $name::name(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$name as $crate::config::reader::Keyword>::from_name(s).ok_or_else(|| {
                    format!(
                        "{s:?} is not valid; accepted: {}",
                        <$name as $crate::config::reader::Keyword>::accepted()
                    )
                })
            }
        }
    };
}
pub(crate) use keyword_enum;

/// The dataplane's policy enums already carry the manual's spellings.
macro_rules! dataplane_keyword {
    ($($t:ty),*) => {$(
        impl Keyword for $t {
            fn all() -> &'static [Self] {
                <$t>::ALL
            }
            fn name(self) -> &'static str {
                <$t>::name(self)
            }
        }
    )*};
}
dataplane_keyword!(
    tunsec_dataplane::spd::PolicyAction,
    tunsec_dataplane::spd::Level,
    tunsec_dataplane::spd::IpsecProtocols
);

impl Keyword for tunsec_dataplane::crypto::EncAlgorithm {
    fn all() -> &'static [Self] {
        Self::all()
    }
    fn name(self) -> &'static str {
        Self::name(self)
    }
    fn from_name(s: &str) -> Option<Self> {
        // Also takes RouterOS's `aes-128gcm` spelling.
        s.parse().ok()
    }
}

impl Keyword for tunsec_dataplane::crypto::AuthAlgorithm {
    fn all() -> &'static [Self] {
        Self::all()
    }
    fn name(self) -> &'static str {
        Self::name(self)
    }
    fn from_name(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// A secret (PSK, password): bytes that never reach `Debug` or an error message.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }
    /// The secret's bytes, for the code that uses it (IKE).
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            f.write_str("<empty>")
        } else {
            write!(f, "<hidden, {} bytes>", self.len())
        }
    }
}

/// How a value is quoted in a message: strings in double quotes, numbers and booleans bare.
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Integer(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Table(_) => "a table".to_owned(),
    }
}

/// A string in double quotes, cut short if long.
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("{:?}...", cut)
    } else {
        format!("{s:?}")
    }
}

/// Names as a `defined:` or `accepted:` list: `"a", "b"`, or `none`.
pub(crate) fn quoted_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let list: Vec<String> = names.into_iter().map(quote).collect();
    if list.is_empty() {
        "none".to_owned()
    } else {
        list.join(", ")
    }
}

/// The candidate closest to a misspelt `word`, if one is close enough to be what was meant.
pub(crate) fn suggestion<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// An unknown-key message: `unknown key (did you mean "x"?); accepted: a, b, c`.
pub(crate) fn unknown_key_message(what: &str, key: &str, valid: &[&str]) -> String {
    let mut message = format!("unknown {what}");
    if let Some(s) = suggestion(key, valid) {
        let _ = write!(message, " (did you mean {s:?}?)");
    }
    let _ = write!(message, "; accepted: {}", valid.join(", "));
    message
}

pub(crate) const ACCEPTED_BOOL: &str = "yes, no, true, false";
pub(crate) const ACCEPTED_PREFIX: &str =
    "an IPv4 or IPv6 prefix such as \"10.201.1.0/24\", or an address for a single host";
pub(crate) const ACCEPTED_ADDRESS: &str = "an IPv4 or IPv6 address such as \"192.0.2.1\"";

/// Parses a prefix as the manual writes it; a bare address is a host prefix (`/32`, `/128`).
pub(crate) fn parse_prefix(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Reads the keys of one table (one `[[policy]]`, the `[daemon]` table, ...).
pub(crate) struct Reader<'a> {
    table: &'a Table,
    location: String,
    issues: &'a mut Vec<ConfigIssue>,
    failed: BTreeSet<String>,
}

impl<'a> Reader<'a> {
    /// Starts reading `table`, reporting each key not in `valid`.
    pub fn new(
        table: &'a Table,
        location: String,
        valid: &[&str],
        issues: &'a mut Vec<ConfigIssue>,
    ) -> Self {
        let mut failed = BTreeSet::new();
        for key in table.keys() {
            if !valid.contains(&key.as_str()) {
                issues.push(ConfigIssue::new(
                    &location,
                    Some(key),
                    unknown_key_message("key", key, valid),
                ));
                // A misspelt key leaves the real one at its default: checks on it would
                // only report the typo's consequences.
                if let Some(meant) = suggestion(key, valid) {
                    failed.insert(meant.to_owned());
                }
            }
        }
        Self {
            table,
            location,
            issues,
            failed,
        }
    }

    /// Where the entry is and which of its keys were bad, for the cross-checks.
    pub fn finish(self) -> EntryMeta {
        EntryMeta {
            location: self.location,
            failed: self.failed,
            present: self.table.keys().cloned().collect(),
        }
    }

    /// Whether `key` had a bad value.
    pub fn failed(&self, key: &str) -> bool {
        self.failed.contains(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.table.get(key)
    }

    /// Reports a problem with `key`.
    pub fn issue(&mut self, key: &str, message: impl Into<String>) {
        self.failed.insert(key.to_owned());
        self.issues
            .push(ConfigIssue::new(&self.location, Some(key), message));
    }

    /// Reads `key` with `parse`, which explains what is wrong with a bad value; the issue
    /// then ends in `; accepted: {accepted}`. `None` when absent or bad.
    pub fn read<T>(
        &mut self,
        key: &str,
        accepted: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.raw(key)?;
        match parse(value) {
            Ok(v) => Some(v),
            Err(why) => {
                self.issue(key, format!("{why}; accepted: {accepted}"));
                None
            }
        }
    }

    /// A string value parsed by `parse` (`None` from it means "not valid").
    pub fn parsed<T>(
        &mut self,
        key: &str,
        accepted: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        self.read(key, accepted, |v| match v {
            Value::String(s) => parse(s).ok_or_else(|| format!("{} is not valid", quote(s))),
            other => Err(format!("{} is not a string", show(other))),
        })
    }

    pub fn string(&mut self, key: &str) -> Option<String> {
        self.read(key, "a string", |v| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("{} is not a string", show(other))),
        })
    }

    /// A secret string; `0x` followed by hex digits is taken as bytes, as RouterOS does.
    /// Problems say nothing of the value.
    pub fn secret(&mut self, key: &str) -> Option<Secret> {
        self.read(
            key,
            "a string, or 0x followed by an even number of hex digits",
            |v| match v {
                Value::String(s) => match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(hex_digits) => decode_hex(hex_digits).map(Secret).ok_or_else(|| {
                        "starts with 0x but is not an even number of hex digits (value hidden)"
                            .to_owned()
                    }),
                    None => Ok(Secret::new(s.as_bytes().to_vec())),
                },
                _ => Err("is not a string (value hidden)".to_owned()),
            },
        )
    }

    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        self.read(key, ACCEPTED_BOOL, |v| match v {
            Value::Boolean(b) => Ok(*b),
            Value::String(s) => match s.as_str() {
                "yes" | "true" => Ok(true),
                "no" | "false" => Ok(false),
                _ => Err(format!("{} is not valid", quote(s))),
            },
            other => Err(format!("{} is not valid", show(other))),
        })
    }

    /// An integer in `min..=max`, as a TOML integer or a string of digits.
    pub fn integer(&mut self, key: &str, min: i64, max: i64) -> Option<i64> {
        let accepted = format!("an integer {min}..{max}");
        self.read(key, &accepted, |v| {
            let n = match v {
                Value::Integer(n) => *n,
                Value::String(s) => s
                    .parse()
                    .map_err(|_| format!("{} is not an integer", quote(s)))?,
                other => return Err(format!("{} is not an integer", show(other))),
            };
            if (min..=max).contains(&n) {
                Ok(n)
            } else {
                Err(format!("{n} is out of range"))
            }
        })
    }

    /// A RouterOS time (`30m`, `1d2h`, whole seconds as an integer or string).
    pub fn time(&mut self, key: &str) -> Option<Duration> {
        self.read(key, ACCEPTED_TIME, |v| match v {
            Value::Integer(n) => u64::try_from(*n)
                .map(Duration::from_secs)
                .map_err(|_| format!("{n} is negative")),
            Value::String(s) => parse_time(s).ok_or_else(|| format!("{} is not a time", quote(s))),
            other => Err(format!("{} is not a time", show(other))),
        })
    }

    pub fn keyword<K: Keyword>(&mut self, key: &str) -> Option<K> {
        self.parsed(key, &K::accepted(), K::from_name)
    }

    /// A list: a TOML array of strings, or one string with commas as RouterOS writes lists
    /// (`"aes-256-cbc,aes-128-cbc"`). Each bad item is its own problem.
    pub fn list<T>(
        &mut self,
        key: &str,
        accepted: &str,
        mut parse: impl FnMut(&str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let value = self.raw(key)?;
        let items: Vec<&str> = match value {
            Value::String(s) if s.trim().is_empty() => Vec::new(),
            Value::String(s) => s.split(',').map(str::trim).collect(),
            Value::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                for item in a {
                    match item {
                        Value::String(s) => items.push(s.as_str()),
                        other => {
                            let message = format!(
                                "{} in the list is not a string; accepted: {accepted}",
                                show(other)
                            );
                            self.issue(key, message);
                            return None;
                        }
                    }
                }
                items
            }
            other => {
                let message = format!("{} is not a list; accepted: {accepted}", show(other));
                self.issue(key, message);
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match parse(item) {
                Some(v) => out.push(v),
                None => {
                    ok = false;
                    let message = format!("{} is not valid; accepted: {accepted}", quote(item));
                    self.issue(key, message);
                }
            }
        }
        ok.then_some(out)
    }

    /// A non-empty list of keywords without repeats.
    pub fn keywords<K: Keyword + PartialEq>(&mut self, key: &str) -> Option<Vec<K>> {
        let accepted = format!("one or more of {}", K::accepted());
        let list = self.list(key, &accepted, K::from_name)?;
        if list.is_empty() {
            self.issue(key, format!("[] is empty; accepted: {accepted}"));
            return None;
        }
        for (i, k) in list.iter().enumerate() {
            if list[..i].contains(k) {
                let message = format!("{:?} is listed twice; accepted: {accepted}", k.name());
                self.issue(key, message);
                return None;
            }
        }
        Some(list)
    }
}

/// What the cross-checks need to know about one entry after reading it.
#[derive(Debug, Clone, Default)]
pub(crate) struct EntryMeta {
    /// How messages name the entry.
    pub location: String,
    /// Keys whose values were bad (checks that use them stand down).
    pub failed: BTreeSet<String>,
    /// Keys the entry sets.
    pub present: BTreeSet<String>,
}

impl EntryMeta {
    pub fn failed(&self, key: &str) -> bool {
        self.failed.contains(key)
    }
    pub fn has(&self, key: &str) -> bool {
        self.present.contains(key)
    }
}

/// How an entry of a named table is called in messages: `[[peer]] "office"`, or `[[peer]] #3`
/// (its position among the `[[peer]]` tables, from 0) while it has no usable name.
pub(crate) fn named_location(table: &str, index: usize, entry: &Table) -> String {
    match entry.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => format!("[[{table}]] {}", quote(s)),
        _ => format!("[[{table}]] #{index}"),
    }
}

/// Reads the required `name` of an entry of `[[table]]`; `reserved` names mean something
/// else where the name is used. Empty when missing or bad.
pub(crate) fn read_name(r: &mut Reader<'_>, table: &str, reserved: &[&str]) -> String {
    let accepted = format!("a non-empty string, unique among [[{table}]]");
    if !r.has("name") {
        r.issue("name", format!("missing; accepted: {accepted}"));
        return String::new();
    }
    let Some(name) = r.string("name") else {
        return String::new();
    };
    if name.trim().is_empty() {
        r.issue(
            "name",
            format!("{} is empty; accepted: {accepted}", quote(&name)),
        );
        return String::new();
    }
    if reserved.contains(&name.as_str()) {
        r.issue(
            "name",
            format!(
                "{} is reserved (it means no [[{table}]] where one is named); accepted: {accepted}",
                quote(&name)
            ),
        );
        return String::new();
    }
    name
}

/// Reports each name used by more than one entry of `[[table]]` (empty names are already
/// reported as missing).
pub(crate) fn check_unique_names<'n>(
    table: &str,
    names: impl IntoIterator<Item = &'n str>,
    issues: &mut Vec<ConfigIssue>,
) {
    let names: Vec<&str> = names.into_iter().collect();
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() || names[..i].contains(name) {
            continue;
        }
        let positions: Vec<String> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| *n == name)
            .map(|(j, _)| format!("#{j}"))
            .collect();
        let times = match positions.len() {
            1 => continue,
            2 => format!("twice ({})", positions.join(" and ")),
            n => format!("{n} times ({})", positions.join(", ")),
        };
        issues.push(ConfigIssue::new(
            &format!("[[{table}]] {}", quote(name)),
            Some("name"),
            format!(
                "{} is defined {times}; accepted: a name unique among [[{table}]]",
                quote(name)
            ),
        ));
    }
}

/// Hex digits (no prefix) to bytes; `None` for odd counts and non-hex characters.
pub(crate) fn decode_hex(digits: &str) -> Option<Zeroizing<Vec<u8>>> {
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; digits.len() / 2]);
    hex::decode_to_slice(digits, &mut out[..]).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["tunnel", "template", "sa-src-address", "sa-dst-address"];
        assert_eq!(suggestion("tunel", &keys), Some("tunnel"));
        assert_eq!(suggestion("sa-src-addr", &keys), Some("sa-src-address"));
        assert_eq!(suggestion("priority", &keys), None);
    }

    #[test]
    fn secrets_hide_in_debug() {
        let s = Secret::new(b"hunter2".to_vec());
        assert_eq!(format!("{s:?}"), "<hidden, 7 bytes>");
        assert_eq!(format!("{:?}", Secret::default()), "<empty>");
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(
            decode_hex("00ff").as_deref().map(Vec::as_slice),
            Some(&[0, 255][..])
        );
        assert!(decode_hex("0").is_none());
        assert!(decode_hex("zz").is_none());
        assert_eq!(decode_hex("").map(|v| v.len()), Some(0));
    }

    #[test]
    fn prefixes_take_bare_addresses() {
        assert_eq!(
            parse_prefix("1.1.1.1").map(|p| p.to_string()).as_deref(),
            Some("1.1.1.1/32")
        );
        assert_eq!(
            parse_prefix("2001:db8::1").map(|p| p.prefix_len()),
            Some(128)
        );
        assert!(parse_prefix("10.0.0.0/33").is_none());
    }
}
