//! The menus `tunsec print` knows, and the document the daemon answers a `print` with.
//!
//! The daemon builds every menu as a [`MenuDocument`]: rows of the manual's property names
//! with typed JSON values. `--json` prints that document as it came; the human layouts
//! (`print`, `print detail`) are rendered from the very same rows by `print.rs`, using only
//! the static [`MenuSpec`] below (flag letters, the properties a brief `print` shows), so the
//! two can never disagree. The field names are documented in `docs/print-json.md` and pinned
//! by a golden test.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// One menu of the manual (`/ip ipsec <menu>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Menu {
    Policy,
    PolicyGroup,
    Proposal,
    Peer,
    Profile,
    ModeConfig,
    User,
    Key,
    InstalledSa,
    RemotePeers,
    Statistics,
}

/// A flag letter in front of a row and the boolean property it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    pub letter: char,
    pub property: &'static str,
    /// The legend's word (RouterOS's `Flags:` line), when it differs from the property.
    pub legend: &'static str,
}

const fn flag(letter: char, property: &'static str, legend: &'static str) -> Flag {
    Flag {
        letter,
        property,
        legend,
    }
}

/// What the renderer needs to know about a menu besides its rows.
#[derive(Debug)]
pub struct MenuSpec {
    pub menu: Menu,
    /// The name in a request and in the JSON document (`installed-sa`, `policy-group`).
    pub name: &'static str,
    pub flags: &'static [Flag],
    /// The properties a plain `print` shows, in this order; `detail` shows every one.
    pub brief: &'static [&'static str],
    /// A menu of one unnumbered row (`statistics`).
    pub single: bool,
}

/// String properties RouterOS prints in quotes.
pub const QUOTED: &[&str] = &[
    "name",
    "id",
    "comment",
    "secret",
    "password",
    "xauth-login",
    "xauth-password",
    "enc-key",
    "auth-key",
    "file",
];

/// Properties the daemon fills only for `show-keys` (null otherwise).
pub const SECRET: &[&str] = &[
    "secret",
    "password",
    "xauth-password",
    "enc-key",
    "auth-key",
];

const POLICY_FLAGS: &[Flag] = &[
    flag('T', "template", "template"),
    flag('X', "disabled", "disabled"),
    flag('D', "dynamic", "dynamic"),
    flag('I', "invalid", "invalid"),
    flag('A', "active", "active"),
    flag('*', "default", "default"),
];
const DISABLED_DEFAULT: &[Flag] = &[
    flag('X', "disabled", "disabled"),
    flag('*', "default", "default"),
];
const DEFAULT_ONLY: &[Flag] = &[flag('*', "default", "default")];

pub const SPECS: &[MenuSpec] = &[
    MenuSpec {
        menu: Menu::Policy,
        name: "policy",
        flags: POLICY_FLAGS,
        brief: &[
            "peer",
            "group",
            "src-address",
            "src-port",
            "dst-address",
            "dst-port",
            "protocol",
            "action",
            "level",
            "ipsec-protocols",
            "tunnel",
            "sa-src-address",
            "sa-dst-address",
            "proposal",
            "manual-sa",
            "ph2-count",
            "ph2-state",
        ],
        single: false,
    },
    MenuSpec {
        menu: Menu::PolicyGroup,
        name: "policy-group",
        flags: DEFAULT_ONLY,
        brief: &["name"],
        single: false,
    },
    MenuSpec {
        menu: Menu::Proposal,
        name: "proposal",
        flags: DISABLED_DEFAULT,
        brief: &[
            "name",
            "auth-algorithms",
            "enc-algorithms",
            "lifetime",
            "pfs-group",
        ],
        single: false,
    },
    MenuSpec {
        menu: Menu::Peer,
        name: "peer",
        flags: &[
            flag('X', "disabled", "disabled"),
            flag('D', "dynamic", "dynamic"),
            flag('R', "responder", "responder"),
        ],
        brief: &[
            "name",
            "address",
            "local-address",
            "port",
            "passive",
            "exchange-mode",
            "profile",
            "auth-method",
            "secret",
            "my-id",
            "send-initial-contact",
        ],
        single: false,
    },
    MenuSpec {
        menu: Menu::Profile,
        name: "profile",
        flags: DEFAULT_ONLY,
        brief: &[
            "name",
            "hash-algorithm",
            "enc-algorithm",
            "dh-group",
            "lifetime",
            "proposal-check",
            "nat-traversal",
            "dpd-interval",
            "dpd-maximum-failures",
        ],
        single: false,
    },
    MenuSpec {
        menu: Menu::ModeConfig,
        name: "mode-config",
        flags: DEFAULT_ONLY,
        brief: &["name", "responder", "address-pool", "split-include"],
        single: false,
    },
    MenuSpec {
        menu: Menu::User,
        name: "user",
        flags: &[],
        brief: &["name", "address"],
        single: false,
    },
    MenuSpec {
        menu: Menu::Key,
        name: "key",
        flags: &[],
        brief: &["name", "key-size", "private-key", "rsa", "file"],
        single: false,
    },
    MenuSpec {
        menu: Menu::InstalledSa,
        name: "installed-sa",
        flags: &[
            flag('H', "hw-aead", "hw-aead"),
            flag('A', "ah", "AH"),
            flag('E', "esp", "ESP"),
        ],
        brief: &[
            "spi",
            "src-address",
            "dst-address",
            "state",
            "auth-algorithm",
            "enc-algorithm",
            "enc-key-size",
            "auth-key",
            "enc-key",
            "direction",
            "addtime",
            "expires-in",
            "add-lifetime",
            "current-bytes",
            "current-packets",
            "replay",
            "natt",
            "policy",
        ],
        single: false,
    },
    MenuSpec {
        menu: Menu::RemotePeers,
        name: "remote-peers",
        flags: &[
            flag('R', "responder", "responder"),
            flag('N', "natt-peer", "natt-peer"),
        ],
        brief: &[
            "peer",
            "id",
            "local-address",
            "remote-address",
            "state",
            "side",
            "natt-peer",
            "dynamic-address",
            "uptime",
            "last-seen",
            "ph2-total",
            "spi-i",
            "spi-r",
        ],
        single: false,
    },
    MenuSpec {
        menu: Menu::Statistics,
        name: "statistics",
        flags: &[],
        brief: &[],
        single: true,
    },
];

impl Menu {
    pub const ALL: &'static [Menu] = &[
        Menu::Policy,
        Menu::PolicyGroup,
        Menu::Proposal,
        Menu::Peer,
        Menu::Profile,
        Menu::ModeConfig,
        Menu::User,
        Menu::Key,
        Menu::InstalledSa,
        Menu::RemotePeers,
        Menu::Statistics,
    ];

    pub fn spec(self) -> &'static MenuSpec {
        // Every menu has exactly one spec (tested below); the first entry keeps this total.
        SPECS.iter().find(|s| s.menu == self).unwrap_or(&SPECS[0])
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// A menu from the words of a request: `policy`, `policy group` (the manual's spelling)
    /// or `policy-group`, `group`, ...
    pub fn parse(words: &[&str]) -> Result<Menu, UnknownMenu> {
        let joined = words.join("-");
        let name = match joined.as_str() {
            "group" => "policy-group",
            "peer-profile" => "profile",
            other => other,
        };
        Menu::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .ok_or(UnknownMenu(words.join(" ")))
    }
}

impl fmt::Display for Menu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A menu name `print` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown menu {0:?}; accepted: {menus}", menus = accepted_menus())]
pub struct UnknownMenu(pub String);

pub fn accepted_menus() -> String {
    Menu::ALL
        .iter()
        .map(|m| match m {
            Menu::PolicyGroup => "policy group",
            m => m.name(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row: the manual's property names, in the manual's order, with typed values (numbers,
/// booleans, strings, arrays of strings; `null` for a property that is not set).
pub type Row = Map<String, Value>;

/// The daemon's answer to `print <menu>`, and what `--json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MenuDocument {
    pub menu: String,
    pub rows: Vec<Row>,
}

/// Builds a [`Row`] property by property.
#[derive(Debug, Default)]
pub struct RowBuilder(Row);

impl RowBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A string property (anything printable: addresses, enum names, times).
    pub fn text(mut self, key: &str, value: impl fmt::Display) -> Self {
        self.0
            .insert(key.to_owned(), Value::String(value.to_string()));
        self
    }

    /// A string property that may be unset (`null`).
    pub fn opt_text<T: fmt::Display>(mut self, key: &str, value: Option<T>) -> Self {
        let v = value.map_or(Value::Null, |v| Value::String(v.to_string()));
        self.0.insert(key.to_owned(), v);
        self
    }

    pub fn int(mut self, key: &str, value: u64) -> Self {
        self.0.insert(key.to_owned(), Value::from(value));
        self
    }

    pub fn opt_int(mut self, key: &str, value: Option<u64>) -> Self {
        self.0
            .insert(key.to_owned(), value.map_or(Value::Null, Value::from));
        self
    }

    pub fn flag(mut self, key: &str, value: bool) -> Self {
        self.0.insert(key.to_owned(), Value::Bool(value));
        self
    }

    /// A yes/no property that may be unknown (`null`).
    pub fn opt_flag(mut self, key: &str, value: Option<bool>) -> Self {
        self.0
            .insert(key.to_owned(), value.map_or(Value::Null, Value::Bool));
        self
    }

    pub fn list<T: fmt::Display>(mut self, key: &str, items: impl IntoIterator<Item = T>) -> Self {
        let items = items
            .into_iter()
            .map(|i| Value::String(i.to_string()))
            .collect();
        self.0.insert(key.to_owned(), Value::Array(items));
        self
    }

    pub fn build(self) -> Row {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_menu_has_one_spec_and_parses_by_name() {
        for m in Menu::ALL {
            assert_eq!(SPECS.iter().filter(|s| s.menu == *m).count(), 1, "{m:?}");
            assert_eq!(Menu::parse(&[m.name()]), Ok(*m));
        }
        assert_eq!(Menu::parse(&["policy", "group"]), Ok(Menu::PolicyGroup));
        assert_eq!(Menu::parse(&["group"]), Ok(Menu::PolicyGroup));
        let err = Menu::parse(&["polcy"]).unwrap_err().to_string();
        assert!(
            err.contains("\"polcy\"") && err.contains("installed-sa"),
            "{err}"
        );
    }

    #[test]
    fn flag_letters_are_unique_per_menu() {
        for s in SPECS {
            let mut letters: Vec<char> = s.flags.iter().map(|f| f.letter).collect();
            letters.sort_unstable();
            letters.dedup();
            assert_eq!(letters.len(), s.flags.len(), "{}", s.name);
        }
    }
}
