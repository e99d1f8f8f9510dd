//! Writes the imported configuration as TOML: each table with comment lines saying where in
//! the script it came from, `name` first and then the keys in the order RouterOS gave them.
//! (The toml crate's serializer keeps no comments, and the comments are the point.)

use std::fmt::Write as _;

use super::lexer::Text;

/// A value as tunsec's configuration reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TomlValue {
    Str(Text),
    Int(i64),
    List(Vec<Text>),
}

impl TomlValue {
    pub fn str(s: &str) -> Self {
        TomlValue::Str(Text::new(s.to_owned()))
    }

    /// A RouterOS list (`aes-256-cbc,aes-128-cbc`) as a TOML array.
    pub fn list(s: &str) -> Self {
        let items = s
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| Text::new(item.to_owned()))
            .collect();
        TomlValue::List(items)
    }

    /// A number as a TOML integer; anything else stays a string for `tunsec check` to judge.
    pub fn int(s: &str) -> Self {
        match s.parse() {
            Ok(n) => TomlValue::Int(n),
            Err(_) => TomlValue::str(s),
        }
    }
}

/// One `[[name]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlTable {
    pub name: &'static str,
    /// Comment lines above the header, without the `# `.
    pub comments: Vec<String>,
    keys: Vec<(String, TomlValue, Option<String>)>,
}

impl TomlTable {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            comments: Vec::new(),
            keys: Vec::new(),
        }
    }

    pub fn comment(&mut self, line: impl Into<String>) {
        self.comments.push(line.into());
    }

    /// Sets `key`, replacing an earlier value.
    pub fn set(&mut self, key: &str, value: TomlValue) {
        self.set_noted(key, value, None);
    }

    /// Sets `key` with a comment after it.
    pub fn set_noted(&mut self, key: &str, value: TomlValue, note: Option<String>) {
        match self.keys.iter_mut().find(|(k, _, _)| k == key) {
            Some(entry) => {
                entry.1 = value;
                entry.2 = note;
            }
            None => self.keys.push((key.to_owned(), value, note)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&TomlValue> {
        self.keys
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v)
    }

    /// A string key's value.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            TomlValue::Str(s) => Some(s),
            _ => None,
        }
    }

    fn render(&self, out: &mut String) {
        for c in &self.comments {
            let _ = writeln!(out, "# {c}");
        }
        let _ = writeln!(out, "[[{}]]", self.name);
        let named = self.keys.iter().filter(|(k, _, _)| k == "name");
        let others = self.keys.iter().filter(|(k, _, _)| k != "name");
        for (key, value, note) in named.chain(others) {
            let _ = write!(out, "{key} = ");
            match value {
                TomlValue::Str(s) => out.push_str(&quote(s)),
                TomlValue::Int(n) => {
                    let _ = write!(out, "{n}");
                }
                TomlValue::List(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&quote(item));
                    }
                    out.push(']');
                }
            }
            if let Some(note) = note {
                let _ = write!(out, "  # {note}");
            }
            out.push('\n');
        }
    }
}

/// The whole file: the header comment lines, then the tables, a blank line between each.
pub fn render(header: &[String], tables: &[TomlTable]) -> Text {
    let mut out = Text::default();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    for table in tables {
        out.push('\n');
        table.render(&mut out);
    }
    out
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_render_name_first_and_round_trip() {
        let mut t = TomlTable::new("peer");
        t.comment("line 3: /ip ipsec peer add");
        t.set("address", TomlValue::str("192.0.2.2/32"));
        t.set("name", TomlValue::str("peer1"));
        t.set_noted("port", TomlValue::int("500"), Some("why".into()));
        t.set("secret", TomlValue::str("a \"b\"\\\u{7}\n"));
        t.set("dh-group", TomlValue::list("modp2048, modp1024,"));
        t.set("port", TomlValue::int("x500"));
        let text = render(&["header".into()], &[t]);
        assert_eq!(
            text.as_str(),
            "# header\n\n# line 3: /ip ipsec peer add\n[[peer]]\nname = \"peer1\"\naddress = \"192.0.2.2/32\"\nport = \"x500\"\nsecret = \"a \\\"b\\\"\\\\\\u0007\\n\"\ndh-group = [\"modp2048\", \"modp1024\"]\n"
        );
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        let peer = &parsed["peer"].as_array().unwrap()[0];
        assert_eq!(peer["secret"].as_str(), Some("a \"b\"\\\u{7}\n"));
        assert_eq!(TomlValue::list(""), TomlValue::List(vec![]));
    }
}
