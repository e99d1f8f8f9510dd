//! One row of `/ip ipsec policy`: the manual's properties, their defaults and their spellings.
//!
//! Every enum here parses from and prints as the word the manual uses (`encrypt`, `no-phase2`,
//! ...), so a config file, the `print` view and an error message all say the same thing.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};
use serde::{Deserialize, Serialize};

use super::Selector;

/// A property value that is not one of the manual's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {property} {value:?}: expected {expected}")]
pub struct ParseError {
    /// The manual's property name (`action`, `level`, ...).
    pub property: &'static str,
    pub value: String,
    /// The accepted values, as a reader would type them.
    pub expected: Cow<'static, str>,
}

impl ParseError {
    fn new(property: &'static str, value: &str, expected: impl Into<Cow<'static, str>>) -> Self {
        Self {
            property,
            value: value.to_owned(),
            expected: expected.into(),
        }
    }
}

/// Declares a closed enum whose variants have one manual spelling each, with `name()`,
/// `FromStr`, `Display`, serde as that spelling, and an error listing every spelling. The
/// manual's default is marked `#[default]`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($property:literal) {
            $($(#[$vmeta:meta])* $variant:ident => $spelling:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $spelling)]
                $variant,
            )*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The manual's spelling.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $spelling,)* }
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($spelling => Ok($name::$variant),)*
                    _ => Err(ParseError::new(
                        $property,
                        s,
                        concat!("one of" $(, " ", $spelling)*),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// `action`: what to do with a packet the policy matches.
    pub enum PolicyAction ("action") {
        /// Drop the packet (counted as `out-policy-blocked` / `in-policy-blocked`).
        Discard => "discard",
        /// Apply the transforms of this policy's SA.
        #[default]
        Encrypt => "encrypt",
        /// Pass the packet unchanged.
        None => "none",
    }
}

named_enum! {
    /// `level`: what to do when an SA this policy needs cannot be found.
    pub enum Level ("level") {
        /// Drop the packet and acquire an SA.
        #[default]
        Require => "require",
        /// Drop the packet and acquire an SA used by this policy only (clients behind one NAT).
        Unique => "unique",
        /// Skip the transform: send in the clear and acquire nothing.
        Use => "use",
    }
}

named_enum! {
    /// `ipsec-protocols`: which IPsec protocol the policy's SA applies.
    pub enum IpsecProtocols ("ipsec-protocols") {
        Ah => "ah",
        #[default]
        Esp => "esp",
    }
}

named_enum! {
    /// `ph2-state`: how far key establishment for the policy has progressed.
    pub enum Ph2State ("ph2-state") {
        Expired => "expired",
        #[default]
        NoPhase2 => "no-phase2",
        Established => "established",
    }
}

/// `src-port` / `dst-port`: `any`, or one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "PortRepr", into = "PortRepr")]
pub enum PortMatch {
    #[default]
    Any,
    Port(u16),
}

impl PortMatch {
    /// Whether a packet's port (0 for protocols without ports) is matched.
    #[inline]
    pub const fn matches(self, port: u16) -> bool {
        match self {
            PortMatch::Any => true,
            PortMatch::Port(p) => p == port,
        }
    }
}

impl FromStr for PortMatch {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s == "any" {
            return Ok(PortMatch::Any);
        }
        s.parse()
            .map(PortMatch::Port)
            .map_err(|_| ParseError::new("port", s, "any or an integer 0..65535"))
    }
}

impl fmt::Display for PortMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortMatch::Any => f.write_str("any"),
            PortMatch::Port(p) => write!(f, "{p}"),
        }
    }
}

/// How a port is written in a config file: `80`, `"80"` or `"any"`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PortRepr {
    Number(u16),
    Text(String),
}

impl TryFrom<PortRepr> for PortMatch {
    type Error = ParseError;
    fn try_from(r: PortRepr) -> Result<Self, ParseError> {
        match r {
            PortRepr::Number(p) => Ok(PortMatch::Port(p)),
            PortRepr::Text(s) => s.parse(),
        }
    }
}

impl From<PortMatch> for PortRepr {
    fn from(p: PortMatch) -> Self {
        match p {
            PortMatch::Any => PortRepr::Text("any".to_owned()),
            PortMatch::Port(p) => PortRepr::Number(p),
        }
    }
}

/// An IP protocol number with RouterOS's names. Open: every number 0..=255 is a value, named or
/// not, so an unusual protocol in a config round-trips as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpProtocol(pub u8);

/// RouterOS's protocol names (those of `/ip firewall filter protocol=`), canonical spelling first
/// for each number. The aliases after them are accepted on input only.
const PROTOCOL_NAMES: &[(&str, u8)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("ggp", 3),
    ("ipencap", 4),
    ("st", 5),
    ("tcp", 6),
    ("egp", 8),
    ("pup", 12),
    ("udp", 17),
    ("hmp", 20),
    ("xns-idp", 22),
    ("rdp", 27),
    ("iso-tp4", 29),
    ("dccp", 33),
    ("xtp", 36),
    ("ddp", 37),
    ("idpr-cmtp", 38),
    ("ipv6-encap", 41),
    ("ipv6-route", 43),
    ("ipv6-frag", 44),
    ("rsvp", 46),
    ("gre", 47),
    ("ipsec-esp", 50),
    ("ipsec-ah", 51),
    ("icmpv6", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("rspf", 73),
    ("vmtp", 81),
    ("ospf", 89),
    ("ipip", 94),
    ("etherip", 97),
    ("encap", 98),
    ("pim", 103),
    ("vrrp", 112),
    ("l2tp", 115),
    ("sctp", 132),
    ("udp-lite", 136),
    // Aliases: IANA's keywords and the short forms people type.
    ("esp", 50),
    ("ah", 51),
    ("ipv6-icmp", 58),
    ("ipv6", 41),
    ("udplite", 136),
];

impl IpProtocol {
    pub const ICMP: IpProtocol = IpProtocol(1);
    pub const IGMP: IpProtocol = IpProtocol(2);
    pub const GGP: IpProtocol = IpProtocol(3);
    /// IPv4 in IPv4 (RFC 2003), RouterOS `ipencap`.
    pub const IPENCAP: IpProtocol = IpProtocol(4);
    pub const TCP: IpProtocol = IpProtocol(6);
    pub const EGP: IpProtocol = IpProtocol(8);
    pub const UDP: IpProtocol = IpProtocol(17);
    pub const GRE: IpProtocol = IpProtocol(47);
    pub const ESP: IpProtocol = IpProtocol(50);
    pub const AH: IpProtocol = IpProtocol(51);
    pub const ICMPV6: IpProtocol = IpProtocol(58);
    pub const OSPF: IpProtocol = IpProtocol(89);
    /// The old KA9Q IP-within-IP, RouterOS (and `/etc/protocols`) `ipip`; IPv4-in-IPv4 tunnels
    /// use [`IpProtocol::IPENCAP`].
    pub const IPIP: IpProtocol = IpProtocol(94);
    pub const L2TP: IpProtocol = IpProtocol(115);
    pub const SCTP: IpProtocol = IpProtocol(132);

    /// RouterOS's name for the number, if it has one.
    pub fn name(self) -> Option<&'static str> {
        PROTOCOL_NAMES
            .iter()
            .find(|(_, n)| *n == self.0)
            .map(|(name, _)| *name)
    }

    /// Whether packets of this protocol carry 16-bit source and destination ports right after
    /// the IP header(s) (the only ones a policy's `src-port`/`dst-port` can match).
    pub const fn has_ports(self) -> bool {
        matches!(self.0, 6 | 17 | 33 | 132 | 136)
    }

    fn expected() -> String {
        let mut s = String::from("all, an integer 0..255 or one of");
        for (name, _) in PROTOCOL_NAMES {
            s.push(' ');
            s.push_str(name);
        }
        s
    }
}

impl FromStr for IpProtocol {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if let Some((_, n)) = PROTOCOL_NAMES.iter().find(|(name, _)| *name == s) {
            return Ok(IpProtocol(*n));
        }
        s.parse()
            .map(IpProtocol)
            .map_err(|_| ParseError::new("protocol", s, IpProtocol::expected()))
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Parses the `protocol` property: `all` (any protocol, `None`), a name or a number.
pub fn parse_protocol(s: &str) -> Result<Option<u8>, ParseError> {
    if s == "all" {
        return Ok(None);
    }
    s.parse::<IpProtocol>().map(|p| Some(p.0))
}

/// Prints the `protocol` property as [`parse_protocol`] reads it back.
pub fn protocol_name(protocol: Option<u8>) -> Cow<'static, str> {
    match protocol {
        None => Cow::Borrowed("all"),
        Some(p) => match IpProtocol(p).name() {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(p.to_string()),
        },
    }
}

/// serde for `protocol: Option<u8>` as the manual writes it (`"all"`, `"tcp"`, `"17"` or `17`).
mod protocol_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Number(u8),
        Text(String),
    }

    pub fn serialize<S: Serializer>(p: &Option<u8>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::protocol_name(*p))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Number(n) => Ok(Some(n)),
            Repr::Text(t) => super::parse_protocol(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// serde for the `yes | no` properties: the manual's words or booleans on input, booleans
/// on output.
mod yes_no {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Bool(bool),
        Text(String),
    }

    pub fn serialize<S: Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*b)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Bool(b) => Ok(b),
            Repr::Text(t) => match t.as_str() {
                "yes" | "true" => Ok(true),
                "no" | "false" => Ok(false),
                _ => Err(serde::de::Error::custom(format_args!(
                    "invalid value {t:?}: expected yes, no, true or false"
                ))),
            },
        }
    }
}

/// serde for `src-address`/`dst-address`: a prefix, or a bare address meaning that one host
/// (`src-address=1.1.1.1` in the manual's examples).
mod prefix_serde {
    use ipnet::IpNet;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::net::IpAddr;

    pub fn serialize<S: Serializer>(p: &IpNet, s: S) -> Result<S::Ok, S::Error> {
        p.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<IpNet, D::Error> {
        let text = String::deserialize(d)?;
        text.parse::<IpNet>()
            .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                serde::de::Error::custom(format_args!(
                    "invalid prefix {text:?}: expected an IP prefix or address"
                ))
            })
    }
}

/// serde for `manual-sa`: a name, or `none` (as RouterOS prints it) for no manual SA.
mod manual_sa_serde {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.filter(|name| !name.is_empty() && name != "none"))
    }
}

/// One `/ip ipsec policy` entry. Field names are the manual's with `-` as `_`; serde uses the
/// manual's spelling (`src-address`, ...) and fills what is missing with the manual's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct Policy {
    /// Source prefix matched in packets (IPv4 or IPv6).
    #[serde(with = "prefix_serde")]
    pub src_address: IpNet,
    /// Destination prefix matched in packets (IPv4 or IPv6).
    #[serde(with = "prefix_serde")]
    pub dst_address: IpNet,
    pub src_port: PortMatch,
    pub dst_port: PortMatch,
    /// IP protocol matched; `None` is the manual's `all`.
    #[serde(with = "protocol_serde")]
    pub protocol: Option<u8>,
    pub action: PolicyAction,
    pub level: Level,
    pub ipsec_protocols: IpsecProtocols,
    /// Tunnel mode (new outer header from `sa-src-address` to `sa-dst-address`) or transport.
    #[serde(with = "yes_no")]
    pub tunnel: bool,
    /// Local end of the SA (tunnel outer source).
    pub sa_src_address: IpAddr,
    /// Remote end of the SA (the peer).
    pub sa_dst_address: IpAddr,
    /// Name of the `/ip ipsec proposal` IKE offers for this policy.
    pub proposal: String,
    /// Name of the `/ip ipsec peer` IKE negotiates this policy's SAs with; empty: the peer
    /// whose `address` best matches `sa-dst-address`.
    pub peer: String,
    /// Policy group a template belongs to (`/ip ipsec policy group`).
    pub group: String,
    /// A template for IKE responders, never matched against packets.
    #[serde(with = "yes_no")]
    pub template: bool,
    #[serde(with = "yes_no")]
    pub disabled: bool,
    pub comment: String,
    /// tunsec extension: name of the manually keyed SA this policy uses instead of IKE.
    #[serde(deserialize_with = "manual_sa_serde::deserialize")]
    pub manual_sa: Option<String>,
}

impl Default for Policy {
    fn default() -> Self {
        let host_zero = IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::UNSPECIFIED, 32));
        Self {
            src_address: host_zero,
            dst_address: host_zero,
            src_port: PortMatch::Any,
            dst_port: PortMatch::Any,
            protocol: None,
            action: PolicyAction::default(),
            level: Level::default(),
            ipsec_protocols: IpsecProtocols::default(),
            tunnel: false,
            sa_src_address: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            sa_dst_address: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            proposal: "default".to_owned(),
            peer: String::new(),
            group: "default".to_owned(),
            template: false,
            disabled: false,
            comment: String::new(),
            manual_sa: None,
        }
    }
}

impl Policy {
    /// Whether the policy's selectors (addresses, protocol, ports) match the packet. Says
    /// nothing about whether the policy takes part in lookups (disabled, template, invalid):
    /// that is the table's business.
    pub fn matches(&self, sel: &Selector) -> bool {
        self.src_address.contains(&sel.src)
            && self.dst_address.contains(&sel.dst)
            && self.protocol.is_none_or(|p| p == sel.protocol)
            && self.src_port.matches(sel.src_port)
            && self.dst_port.matches(sel.dst_port)
    }

    /// Whether source and destination are of one address family; a policy mixing them can
    /// match no packet.
    pub fn is_single_family(&self) -> bool {
        matches!(
            (self.src_address, self.dst_address),
            (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_manuals() {
        let p = Policy::default();
        assert_eq!(p.src_address.to_string(), "0.0.0.0/32");
        assert_eq!(p.dst_address.to_string(), "0.0.0.0/32");
        assert_eq!(p.src_port, PortMatch::Any);
        assert_eq!(p.protocol, None);
        assert_eq!(p.action, PolicyAction::Encrypt);
        assert_eq!(p.level, Level::Require);
        assert_eq!(p.ipsec_protocols, IpsecProtocols::Esp);
        assert!(!p.tunnel && !p.template && !p.disabled);
        assert_eq!(p.sa_src_address.to_string(), "::");
        assert_eq!(p.sa_dst_address.to_string(), "::");
        assert_eq!(p.proposal, "default");
        assert_eq!(p.group, "default");
        assert_eq!(Ph2State::default(), Ph2State::NoPhase2);
    }

    #[test]
    fn enums_round_trip_their_spellings() {
        for a in PolicyAction::ALL {
            assert_eq!(a.name().parse::<PolicyAction>(), Ok(*a));
        }
        for l in Level::ALL {
            assert_eq!(l.to_string().parse::<Level>(), Ok(*l));
        }
        for p in IpsecProtocols::ALL {
            assert_eq!(p.name().parse::<IpsecProtocols>(), Ok(*p));
        }
        for s in Ph2State::ALL {
            assert_eq!(s.name().parse::<Ph2State>(), Ok(*s));
        }
        assert_eq!(Ph2State::NoPhase2.name(), "no-phase2");
    }

    #[test]
    fn errors_list_the_accepted_values() {
        let e = "drop".parse::<PolicyAction>().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid action "drop": expected one of discard encrypt none"#
        );
        let e = "must".parse::<Level>().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"invalid level "must": expected one of require unique use"#
        );
        let e = "ah-esp".parse::<IpsecProtocols>().unwrap_err();
        assert!(e.to_string().ends_with("expected one of ah esp"));
        let e = "65536".parse::<PortMatch>().unwrap_err();
        assert!(e.to_string().contains("any or an integer 0..65535"));
        let e = parse_protocol("tcpp").unwrap_err();
        assert!(
            e.to_string()
                .contains("all, an integer 0..255 or one of icmp igmp")
        );
        assert!(e.to_string().contains(" sctp"));
    }

    #[test]
    fn ports() {
        assert_eq!("any".parse(), Ok(PortMatch::Any));
        assert_eq!("0".parse(), Ok(PortMatch::Port(0)));
        assert_eq!("65535".parse(), Ok(PortMatch::Port(65535)));
        assert!("-1".parse::<PortMatch>().is_err());
        assert!(PortMatch::Any.matches(0));
        assert!(PortMatch::Port(500).matches(500));
        assert!(!PortMatch::Port(500).matches(4500));
        assert_eq!(PortMatch::Port(22).to_string(), "22");
    }

    #[test]
    fn protocol_names() {
        for (name, n) in [
            ("all", None),
            ("icmp", Some(1)),
            ("igmp", Some(2)),
            ("ggp", Some(3)),
            ("egp", Some(8)),
            ("tcp", Some(6)),
            ("udp", Some(17)),
            ("icmpv6", Some(58)),
            ("ipv6-icmp", Some(58)),
            ("gre", Some(47)),
            ("esp", Some(50)),
            ("ipsec-esp", Some(50)),
            ("ah", Some(51)),
            ("ipsec-ah", Some(51)),
            ("sctp", Some(132)),
            ("ipencap", Some(4)),
            ("ipip", Some(94)),
            ("ospf", Some(89)),
            ("l2tp", Some(115)),
            ("0", Some(0)),
            ("255", Some(255)),
        ] {
            assert_eq!(parse_protocol(name), Ok(n), "{name}");
        }
        assert!(parse_protocol("256").is_err());
        assert!(parse_protocol("").is_err());
        // Printing uses RouterOS's canonical spelling and reads back.
        assert_eq!(protocol_name(Some(50)), "ipsec-esp");
        assert_eq!(protocol_name(Some(58)), "icmpv6");
        assert_eq!(protocol_name(None), "all");
        assert_eq!(protocol_name(Some(200)), "200");
        for n in 0..=255u8 {
            assert_eq!(parse_protocol(&protocol_name(Some(n))), Ok(Some(n)));
        }
    }

    #[test]
    fn serde_uses_the_manuals_names_and_defaults() {
        let p: Policy = serde_json::from_str(
            r#"{"src-address":"10.1.0.0/24","dst-address":"10.2.0.0/24","protocol":"udp",
                "dst-port":"500","src-port":"any","action":"none","tunnel":true,
                "sa-dst-address":"192.0.2.1"}"#,
        )
        .unwrap();
        assert_eq!(p.protocol, Some(17));
        assert_eq!(p.dst_port, PortMatch::Port(500));
        assert_eq!(p.action, PolicyAction::None);
        assert_eq!(p.level, Level::Require);
        assert_eq!(p.proposal, "default");
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""protocol":"udp""#), "{json}");
        assert!(json.contains(r#""dst-port":500"#), "{json}");
        assert!(json.contains(r#""src-port":"any""#), "{json}");
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Policy>(r#"{"action":"drop"}"#).is_err());
        assert!(serde_json::from_str::<Policy>(r#"{"priority":1}"#).is_err());
    }

    #[test]
    fn serde_takes_the_manuals_forms() {
        let p: Policy = serde_json::from_str(
            r#"{"src-address":"1.1.1.1","dst-address":"0.0.0.0/0","tunnel":"yes",
                "disabled":"no","template":false,"manual-sa":"none"}"#,
        )
        .unwrap();
        assert_eq!(p.src_address.to_string(), "1.1.1.1/32");
        assert!(p.tunnel && !p.disabled && !p.template);
        assert_eq!(p.manual_sa, None);
        let p: Policy = serde_json::from_str(r#"{"manual-sa":"site-b","tunnel":true}"#).unwrap();
        assert_eq!(p.manual_sa.as_deref(), Some("site-b"));
        assert!(p.tunnel);
        assert_eq!(
            serde_json::from_str::<Policy>(&serde_json::to_string(&p).unwrap()).unwrap(),
            p
        );
        assert!(serde_json::from_str::<Policy>(r#"{"tunnel":"maybe"}"#).is_err());
        assert!(serde_json::from_str::<Policy>(r#"{"src-address":"10.0.0.0/33"}"#).is_err());
    }
}
