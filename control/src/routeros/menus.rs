//! The part of RouterOS's command tree the importer reads (`/ip ipsec` and `/ip pool`), with
//! each menu's properties as the manual names them, RouterOS 6.43+'s split of peers into
//! peer, profile and identity included, and the pre-6.43 peer that held all of them.
//!
//! Menu and property names may be abbreviated as the console allows (`mode-conf`,
//! `address-prefix=32`): an exact name wins, otherwise a prefix of exactly one name.

/// A menu whose commands the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Menu {
    Peer,
    Profile,
    Proposal,
    Policy,
    PolicyGroup,
    Identity,
    ModeConfig,
    Key,
    User,
    UserSettings,
    Settings,
    ManualSa,
    InstalledSa,
    RemotePeers,
    ActivePeers,
    Statistics,
    Pool,
    PoolUsed,
    /// `/certificate`: the store that `certificate` and `remote-certificate` name.
    Certificate,
}

/// What a menu holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKind {
    /// A list of entries (`add`, `set`, `remove`).
    Table,
    /// One set of properties with no tunsec equivalent (`set` only).
    Settings,
    /// Run-time state (`print`, `flush`, `kill-connections`): nothing to import.
    Operational,
}

impl Menu {
    /// The menu's path as the manual writes it.
    pub fn path(self) -> &'static str {
        match self {
            Menu::Peer => "/ip ipsec peer",
            Menu::Profile => "/ip ipsec profile",
            Menu::Proposal => "/ip ipsec proposal",
            Menu::Policy => "/ip ipsec policy",
            Menu::PolicyGroup => "/ip ipsec policy group",
            Menu::Identity => "/ip ipsec identity",
            Menu::ModeConfig => "/ip ipsec mode-config",
            Menu::Key => "/ip ipsec key",
            Menu::User => "/ip ipsec user",
            Menu::UserSettings => "/ip ipsec user settings",
            Menu::Settings => "/ip ipsec settings",
            Menu::ManualSa => "/ip ipsec manual-sa",
            Menu::InstalledSa => "/ip ipsec installed-sa",
            Menu::RemotePeers => "/ip ipsec remote-peers",
            Menu::ActivePeers => "/ip ipsec active-peers",
            Menu::Statistics => "/ip ipsec statistics",
            Menu::Pool => "/ip pool",
            Menu::PoolUsed => "/ip pool used",
            Menu::Certificate => "/certificate",
        }
    }

    pub fn kind(self) -> MenuKind {
        match self {
            Menu::UserSettings | Menu::Settings => MenuKind::Settings,
            Menu::InstalledSa
            | Menu::RemotePeers
            | Menu::ActivePeers
            | Menu::Statistics
            | Menu::PoolUsed => MenuKind::Operational,
            _ => MenuKind::Table,
        }
    }

    /// The properties `add` and `set` take.
    pub fn properties(self) -> &'static [&'static str] {
        match self {
            Menu::Peer => PEER,
            Menu::Profile => PROFILE,
            Menu::Proposal => PROPOSAL,
            Menu::Policy => POLICY,
            Menu::PolicyGroup => &["comment", "name"],
            Menu::Identity => IDENTITY,
            Menu::ModeConfig => MODE_CONFIG,
            Menu::Key => &["name"],
            Menu::User => &["address", "comment", "disabled", "name", "password"],
            Menu::UserSettings => &["xauth-use-radius"],
            Menu::Settings => &["accounting", "interim-update", "xauth-use-radius"],
            Menu::ManualSa => MANUAL_SA,
            Menu::Pool => &["comment", "name", "next-pool", "ranges"],
            Menu::Certificate => CERTIFICATE,
            Menu::InstalledSa
            | Menu::RemotePeers
            | Menu::ActivePeers
            | Menu::Statistics
            | Menu::PoolUsed => &[],
        }
    }

    /// Whether entries are found by a unique `name` (`set default`, `find name=x`).
    pub fn is_named(self) -> bool {
        self.properties().contains(&"name")
    }
}

/// `/certificate add`: what the manual's examples set on a certificate template.
const CERTIFICATE: &[&str] = &[
    "comment",
    "common-name",
    "country",
    "days-valid",
    "digest-algorithm",
    "key-size",
    "key-usage",
    "locality",
    "name",
    "organization",
    "state",
    "subject-alt-name",
    "trusted",
    "unit",
];

/// `/ip ipsec peer`: RouterOS 6.43+'s properties and the older ones (profile and identity
/// properties were the peer's own before 6.43).
const PEER: &[&str] = &[
    "address",
    "auth-method",
    "certificate",
    "comment",
    "compatibility-options",
    "dh-group",
    "disabled",
    "dpd-interval",
    "dpd-maximum-failures",
    "enc-algorithm",
    "exchange-mode",
    "generate-policy",
    "hash-algorithm",
    "key",
    "lifebytes",
    "lifetime",
    "local-address",
    "mode-config",
    "my-id",
    "name",
    "nat-traversal",
    "notrack-chain",
    "passive",
    "policy-template-group",
    "port",
    "profile",
    "proposal",
    "proposal-check",
    "remote-certificate",
    "secret",
    "send-initial-contact",
    "xauth-login",
    "xauth-password",
];

/// The pre-6.43 peer properties that belong to a profile now.
pub const PEER_PROFILE_PROPERTIES: &[&str] = &[
    "dh-group",
    "dpd-interval",
    "dpd-maximum-failures",
    "enc-algorithm",
    "hash-algorithm",
    "lifebytes",
    "lifetime",
    "nat-traversal",
    "proposal-check",
];

const PROFILE: &[&str] = &[
    "dh-group",
    "dpd-interval",
    "dpd-maximum-failures",
    "enc-algorithm",
    "hash-algorithm",
    "lifebytes",
    "lifetime",
    "name",
    "nat-traversal",
    "prf-algorithm",
    "proposal-check",
];

const PROPOSAL: &[&str] = &[
    "auth-algorithms",
    "comment",
    "disabled",
    "enc-algorithms",
    "lifetime",
    "name",
    "pfs-group",
];

const POLICY: &[&str] = &[
    "action",
    "comment",
    "disabled",
    "dst-address",
    "dst-port",
    "group",
    "ipsec-protocols",
    "level",
    "manual-sa",
    "peer",
    "priority",
    "proposal",
    "protocol",
    "sa-dst-address",
    "sa-src-address",
    "src-address",
    "src-port",
    "template",
    "tunnel",
];

/// `/ip ipsec identity` (RouterOS 6.43+).
const IDENTITY: &[&str] = &[
    "auth-method",
    "certificate",
    "comment",
    "disabled",
    "eap-methods",
    "generate-policy",
    "key",
    "match-by",
    "mode-config",
    "my-id",
    "notrack-chain",
    "password",
    "peer",
    "policy-template-group",
    "remote-certificate",
    "remote-id",
    "remote-key",
    "secret",
    "username",
];

const MODE_CONFIG: &[&str] = &[
    "address",
    "address-pool",
    "address-prefix-length",
    "comment",
    "connection-mark",
    "name",
    "responder",
    "split-dns",
    "split-include",
    "src-address-list",
    "static-dns",
    "system-dns",
    "use-responder-dns",
];

const MANUAL_SA: &[&str] = &[
    "ah-algorithm",
    "ah-key",
    "ah-spi",
    "comment",
    "disabled",
    "esp-auth-algorithm",
    "esp-auth-key",
    "esp-enc-algorithm",
    "esp-enc-key",
    "esp-spi",
    "lifetime",
    "name",
];

/// Properties whose values are secrets: never shown in a warning.
pub fn is_secret(property: &str) -> bool {
    matches!(
        property,
        "secret"
            | "password"
            | "xauth-password"
            | "ah-key"
            | "esp-auth-key"
            | "esp-enc-key"
            | "passphrase"
    )
}

/// Why a property name was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyError {
    Unknown,
    /// An abbreviation that more than one property starts with.
    Ambiguous(Vec<&'static str>),
}

/// The property `written` names: itself, or the one property it abbreviates.
pub fn resolve(names: &[&'static str], written: &str) -> Result<&'static str, PropertyError> {
    if let Some(exact) = names.iter().find(|n| **n == written) {
        return Ok(exact);
    }
    let candidates: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|n| !written.is_empty() && n.starts_with(written))
        .collect();
    match candidates.as_slice() {
        [] => Err(PropertyError::Unknown),
        [one] => Ok(one),
        _ => Err(PropertyError::Ambiguous(candidates)),
    }
}

/// A node of the command tree.
pub struct Node {
    pub name: &'static str,
    pub menu: Option<Menu>,
    pub children: &'static [Node],
    /// Whether every submenu is listed here. Below an incomplete node an unknown word may
    /// be a menu the importer does not read (`/ip firewall`), not a command.
    pub complete: bool,
}

const fn leaf(name: &'static str, menu: Menu) -> Node {
    Node {
        name,
        menu: Some(menu),
        children: &[],
        complete: true,
    }
}

/// A menu with submenus, every one of them known.
const fn with_children(name: &'static str, menu: Menu, children: &'static [Node]) -> Node {
    Node {
        name,
        menu: Some(menu),
        children,
        complete: true,
    }
}

const IPSEC: &[Node] = &[
    // Before 6.43 the profiles were `/ip ipsec peer profile`.
    with_children("peer", Menu::Peer, &[leaf("profile", Menu::Profile)]),
    leaf("profile", Menu::Profile),
    leaf("proposal", Menu::Proposal),
    with_children("policy", Menu::Policy, &[leaf("group", Menu::PolicyGroup)]),
    leaf("identity", Menu::Identity),
    leaf("mode-config", Menu::ModeConfig),
    leaf("key", Menu::Key),
    with_children("user", Menu::User, &[leaf("settings", Menu::UserSettings)]),
    leaf("settings", Menu::Settings),
    leaf("manual-sa", Menu::ManualSa),
    leaf("installed-sa", Menu::InstalledSa),
    leaf("remote-peers", Menu::RemotePeers),
    leaf("active-peers", Menu::ActivePeers),
    leaf("statistics", Menu::Statistics),
];

const IP: &[Node] = &[
    Node {
        name: "ipsec",
        menu: None,
        children: IPSEC,
        complete: true,
    },
    with_children("pool", Menu::Pool, &[leaf("used", Menu::PoolUsed)]),
];

/// The root of the command tree (`/`).
pub static ROOT: Node = Node {
    name: "",
    menu: None,
    children: &[
        Node {
            name: "ip",
            menu: None,
            children: IP,
            complete: false,
        },
        Node {
            name: "certificate",
            menu: Some(Menu::Certificate),
            children: &[],
            complete: false,
        },
    ],
    complete: false,
};

impl Node {
    /// The submenu `written` names, exactly or as the one submenu it abbreviates.
    pub fn child(&self, written: &str) -> Option<&'static Node> {
        let names: Vec<&'static str> = self.children.iter().map(|c| c.name).collect();
        let name = resolve(&names, written).ok()?;
        self.children.iter().find(|c| c.name == name)
    }
}

/// The node at `path` (from the root), if the whole path is in the known tree.
pub fn node_at(path: &[String]) -> Option<&'static Node> {
    let mut node = &ROOT;
    for part in path {
        node = node.children.iter().find(|c| c.name == part)?;
    }
    Some(node)
}

/// The commands of RouterOS menus (tells a command from a submenu below unknown menus).
pub const COMMANDS: &[&str] = &[
    "add",
    "comment",
    "disable",
    "edit",
    "enable",
    "export",
    "export-certificate",
    "export-pub-key",
    "find",
    "flush",
    "generate-key",
    "get",
    "import",
    "kill-connections",
    "monitor",
    "move",
    "print",
    "remove",
    "reset",
    "reset-counters",
    "set",
    "sign",
    "unset",
];

/// Console commands that are not menus (`:put`, `/put`, `:local`, ...).
pub const SCRIPT_COMMANDS: &[&str] = &[
    "beep",
    "delay",
    "do",
    "environment",
    "error",
    "execute",
    "for",
    "foreach",
    "global",
    "if",
    "local",
    "log",
    "parse",
    "put",
    "resolve",
    "return",
    "time",
    "while",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_resolve_when_unique() {
        let p = Menu::ModeConfig.properties();
        assert_eq!(resolve(p, "address-prefix"), Ok("address-prefix-length"));
        assert_eq!(resolve(p, "address"), Ok("address"));
        assert_eq!(
            resolve(p, "s"),
            Err(PropertyError::Ambiguous(vec![
                "split-dns",
                "split-include",
                "src-address-list",
                "static-dns",
                "system-dns"
            ]))
        );
        assert_eq!(resolve(p, "bogus"), Err(PropertyError::Unknown));
        assert_eq!(resolve(Menu::Pool.properties(), "range"), Ok("ranges"));
    }

    #[test]
    fn the_tree() {
        let ipsec = node_at(&["ip".into(), "ipsec".into()]).unwrap();
        assert_eq!(
            ipsec.child("mode-conf").unwrap().menu,
            Some(Menu::ModeConfig)
        );
        assert!(
            ipsec.child("p").is_none(),
            "peer, profile, proposal, policy"
        );
        let peer = ipsec.child("peer").unwrap();
        assert_eq!(peer.child("profile").unwrap().menu, Some(Menu::Profile));
        assert!(node_at(&["ip".into(), "firewall".into()]).is_none());
        for menu in [Menu::Peer, Menu::Identity, Menu::Pool] {
            let mut sorted = menu.properties().to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, menu.properties(), "{menu:?} properties sorted");
        }
    }
}
