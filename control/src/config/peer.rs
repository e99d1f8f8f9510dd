//! `[[peer]]`: `/ip ipsec peer`, how IKE finds, reaches and authenticates a remote end.
//! Read and checked now; the IKE daemon uses them later.

use std::net::IpAddr;

use ipnet::IpNet;
use toml::Table;

use super::error::ConfigIssue;
use super::reader::{
    ACCEPTED_ADDRESS, ACCEPTED_PREFIX, EntryMeta, Keyword, Reader, Secret, keyword_enum,
    named_location, parse_prefix, quote, read_name,
};

pub(crate) const PEER_KEYS: &[&str] = &[
    "address",
    "auth-method",
    "certificate",
    "comment",
    "compatibility-options",
    "disabled",
    "exchange-mode",
    "generate-policy",
    "key",
    "local-address",
    "match-by",
    "mode-config",
    "my-id",
    "name",
    "notrack-chain",
    "passive",
    "policy-template-group",
    "port",
    "profile",
    "proposal",
    "remote-certificate",
    "remote-id",
    "remote-key",
    "secret",
    "send-initial-contact",
    "xauth-login",
    "xauth-password",
];

keyword_enum! {
    /// `exchange-mode`: IKEv1 main/aggressive/base mode, or IKEv2.
    pub enum ExchangeMode {
        Aggressive => "aggressive",
        Base => "base",
        #[default]
        Main => "main",
        /// Main mode that also allows PSK for L2TP clients (RFC 2409 5.4 relaxed).
        MainL2tp => "main-l2tp",
        Ike2 => "ike2",
    }
}

impl ExchangeMode {
    pub fn is_ikev2(self) -> bool {
        self == ExchangeMode::Ike2
    }
    /// Main and main-l2tp are one mode when telling peers apart (the manual's note).
    fn class(self) -> ExchangeMode {
        match self {
            ExchangeMode::MainL2tp => ExchangeMode::Main,
            other => other,
        }
    }
}

keyword_enum! {
    /// `auth-method`.
    pub enum AuthMethod {
        EapRadius => "eap-radius",
        #[default]
        PreSharedKey => "pre-shared-key",
        PreSharedKeyXauth => "pre-shared-key-xauth",
        RsaSignature => "rsa-signature",
        RsaKey => "rsa-key",
        RsaSignatureHybrid => "rsa-signature-hybrid",
    }
}

impl AuthMethod {
    /// XAuth is an IKEv1 extension.
    pub fn uses_xauth(self) -> bool {
        matches!(
            self,
            AuthMethod::PreSharedKeyXauth | AuthMethod::RsaSignatureHybrid
        )
    }
}

keyword_enum! {
    /// `match-by`: how the peer's identity is checked (RouterOS 7 identity).
    pub enum MatchBy {
        /// The peer's ID must be what `remote-id` says (and be vouched for by its certificate).
        #[default]
        RemoteId => "remote-id",
        /// The peer's certificate must be `remote-certificate`; `remote-id` is not consulted.
        Certificate => "certificate",
    }
}

keyword_enum! {
    /// `generate-policy`: whether a responder creates policies the peer asks for.
    pub enum GeneratePolicy {
        #[default]
        No => "no",
        PortOverride => "port-override",
        PortStrict => "port-strict",
    }
}

keyword_enum! {
    /// `compatibility-options`.
    pub enum CompatibilityOption {
        #[default]
        SkipPeerIdValidation => "skip-peer-id-validation",
    }
}

/// `my-id`: the identity IKE sends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MyId {
    /// The IP address for PSK and raw keys, the certificate's subject DN (ID_DER_ASN1_DN)
    /// for certificates, as RouterOS sends.
    #[default]
    Auto,
    /// `address` (the local address) or `address:192.0.2.1`.
    Address(Option<IpAddr>),
    Fqdn(String),
    UserFqdn(String),
    KeyId(String),
}

const ACCEPTED_MY_ID: &str =
    "auto, address, address:<ip>, fqdn:<name>, user-fqdn:<user@domain>, key-id:<id>";

/// `remote-id`: the identity expected from the peer (RouterOS 7 identity `remote-id`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RemoteId {
    /// Any identity, as long as the peer's certificate (if any) vouches for it.
    #[default]
    Auto,
    /// The peer's address (`address`), or the given one.
    Address(Option<IpAddr>),
    /// A domain name; `*.example.com` matches any name below example.com.
    Fqdn(String),
    UserFqdn(String),
    KeyId(String),
    /// A distinguished name, kept as DER (`dn:CN=gw,O=example`).
    Dn(Vec<u8>),
    /// Any identity, and it need not match the certificate (dangerous, as the manual says).
    Ignore,
}

const ACCEPTED_REMOTE_ID: &str = "auto, ignore, address, address:<ip>, fqdn:<name or *.domain>, user-fqdn:<user@domain>, key-id:<id>, dn:<RFC 4514 name, e.g. CN=gw,O=example>";

fn parse_remote_id(s: &str) -> Option<RemoteId> {
    match s {
        "auto" => return Some(RemoteId::Auto),
        "ignore" => return Some(RemoteId::Ignore),
        "address" => return Some(RemoteId::Address(None)),
        _ => {}
    }
    let (kind, value) = s.split_once(':')?;
    if value.is_empty() {
        return None;
    }
    match kind {
        "address" => value.parse().ok().map(|a| RemoteId::Address(Some(a))),
        "fqdn" => Some(RemoteId::Fqdn(value.to_owned())),
        "user-fqdn" if value.contains('@') => Some(RemoteId::UserFqdn(value.to_owned())),
        "key-id" => Some(RemoteId::KeyId(value.to_owned())),
        "dn" => crate::ike::pki::identity::dn_der(value).map(RemoteId::Dn),
        _ => None,
    }
}

fn parse_my_id(s: &str) -> Option<MyId> {
    if s == "auto" {
        return Some(MyId::Auto);
    }
    if s == "address" {
        return Some(MyId::Address(None));
    }
    let (kind, value) = s.split_once(':')?;
    if value.is_empty() {
        return None;
    }
    match kind {
        "address" => value.parse().ok().map(|a| MyId::Address(Some(a))),
        "fqdn" => Some(MyId::Fqdn(value.to_owned())),
        "user-fqdn" if value.contains('@') => Some(MyId::UserFqdn(value.to_owned())),
        "key-id" => Some(MyId::KeyId(value.to_owned())),
        _ => None,
    }
}

/// One `/ip ipsec peer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub name: String,
    /// Remote addresses this peer configuration applies to.
    pub address: IpNet,
    /// Local address IKE binds to; `None`: any.
    pub local_address: Option<IpAddr>,
    pub port: u16,
    /// Wait for the remote end to start IKE (and act as XAuth responder).
    pub passive: bool,
    pub exchange_mode: ExchangeMode,
    pub profile: String,
    pub proposal: String,
    pub auth_method: AuthMethod,
    pub secret: Secret,
    pub certificate: String,
    /// `[[certificate]]` the peer's certificate must be (empty: any one chaining to a
    /// trusted CA).
    pub remote_certificate: String,
    /// `[[key]]` name of our private key, for `auth-method = "rsa-key"`.
    pub key: String,
    /// `[[key]]` name of the peer's public key, for `rsa-key` (empty: any public key of the
    /// key table).
    pub remote_key: String,
    pub my_id: MyId,
    pub remote_id: RemoteId,
    pub match_by: MatchBy,
    pub generate_policy: GeneratePolicy,
    /// `None` is the manual's `none`.
    pub policy_template_group: Option<String>,
    /// `[[mode-config]]` name (`request-only` is built in); `None` is the manual's `none`.
    pub mode_config: Option<String>,
    pub compatibility_options: Vec<CompatibilityOption>,
    pub notrack_chain: String,
    pub send_initial_contact: bool,
    pub xauth_login: String,
    pub xauth_password: Secret,
    pub disabled: bool,
    pub comment: String,
}

impl Peer {
    pub fn default_named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            address: IpNet::V4(ipnet::Ipv4Net::default()),
            local_address: None,
            port: 500,
            passive: false,
            exchange_mode: ExchangeMode::Main,
            profile: "default".to_owned(),
            proposal: "default".to_owned(),
            auth_method: AuthMethod::PreSharedKey,
            secret: Secret::default(),
            certificate: String::new(),
            remote_certificate: String::new(),
            key: String::new(),
            remote_key: String::new(),
            my_id: MyId::Auto,
            remote_id: RemoteId::Auto,
            match_by: MatchBy::RemoteId,
            generate_policy: GeneratePolicy::No,
            policy_template_group: Some("default".to_owned()),
            mode_config: None,
            compatibility_options: Vec::new(),
            notrack_chain: String::new(),
            send_initial_contact: true,
            xauth_login: String::new(),
            xauth_password: Secret::default(),
            disabled: false,
            comment: String::new(),
        }
    }
}

pub(crate) fn read_peer(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Peer, EntryMeta) {
    let location = named_location("peer", index, table);
    let mut r = Reader::new(table, location, PEER_KEYS, issues);
    let mut p = Peer::default_named(&read_name(&mut r, "peer", &[]));
    if let Some(v) = r.parsed("address", ACCEPTED_PREFIX, parse_prefix) {
        p.address = v.trunc();
    }
    if let Some(v) = r.parsed("local-address", ACCEPTED_ADDRESS, |s| s.parse().ok()) {
        p.local_address = Some(v);
    }
    if let Some(v) = r.integer("port", 1, 65535) {
        p.port = u16::try_from(v).unwrap_or(500);
    }
    if let Some(v) = r.boolean("passive") {
        p.passive = v;
    }
    let accepted = format!("{} (ike is taken as main)", ExchangeMode::accepted());
    if let Some(v) = r.parsed("exchange-mode", &accepted, |s| match s {
        "ike" => Some(ExchangeMode::Main),
        s => ExchangeMode::from_name(s),
    }) {
        p.exchange_mode = v;
    }
    for (key, field) in [
        ("profile", &mut p.profile),
        ("proposal", &mut p.proposal),
        ("certificate", &mut p.certificate),
        ("remote-certificate", &mut p.remote_certificate),
        ("key", &mut p.key),
        ("remote-key", &mut p.remote_key),
        ("notrack-chain", &mut p.notrack_chain),
        ("xauth-login", &mut p.xauth_login),
        ("comment", &mut p.comment),
    ] {
        if let Some(v) = r.string(key) {
            *field = v;
        }
    }
    if let Some(v) = r.keyword("auth-method") {
        p.auth_method = v;
    }
    if let Some(v) = r.secret("secret") {
        p.secret = v;
    }
    if let Some(v) = r.secret("xauth-password") {
        p.xauth_password = v;
    }
    if let Some(v) = r.parsed("my-id", ACCEPTED_MY_ID, parse_my_id) {
        p.my_id = v;
    }
    if let Some(v) = r.parsed("remote-id", ACCEPTED_REMOTE_ID, parse_remote_id) {
        p.remote_id = v;
    }
    if let Some(v) = r.keyword("match-by") {
        p.match_by = v;
    }
    // The manual's examples write remote-certificate=none for "no pinned certificate".
    if p.remote_certificate == "none" {
        p.remote_certificate.clear();
    }
    if let Some(v) = r.keyword("generate-policy") {
        p.generate_policy = v;
    }
    if let Some(v) = r.string("policy-template-group") {
        p.policy_template_group = (!v.is_empty() && v != "none").then_some(v);
    }
    if let Some(v) = r.string("mode-config") {
        p.mode_config = (!v.is_empty() && v != "none").then_some(v);
    }
    let accepted = CompatibilityOption::accepted();
    if let Some(v) = r.list(
        "compatibility-options",
        &accepted,
        CompatibilityOption::from_name,
    ) {
        p.compatibility_options = v;
    }
    if let Some(v) = r.boolean("send-initial-contact") {
        p.send_initial_contact = v;
    }
    if let Some(v) = r.boolean("disabled") {
        p.disabled = v;
    }
    check_peer(&mut r, &p);
    (p, r.finish())
}

/// What the chosen auth-method needs, and which exchange modes it works with.
fn check_peer(r: &mut Reader<'_>, p: &Peer) {
    let method = p.auth_method;
    match method {
        AuthMethod::PreSharedKey | AuthMethod::PreSharedKeyXauth
            if p.secret.is_empty() && !r.failed("secret") =>
        {
            r.issue(
                "secret",
                format!("missing, but auth-method is {method}; accepted: the pre-shared key, as text or 0x followed by hex digits"),
            );
        }
        AuthMethod::RsaSignature if p.certificate.is_empty() => r.issue(
            "certificate",
            format!("missing, but auth-method is {method}; accepted: the name of a certificate with its private key"),
        ),
        AuthMethod::RsaSignatureHybrid if p.passive && p.certificate.is_empty() => r.issue(
            "certificate",
            format!("missing, but auth-method is {method} and passive is yes (the responder signs); accepted: the name of a certificate with its private key"),
        ),
        AuthMethod::RsaKey if p.key.is_empty() => r.issue(
            "key",
            format!("missing, but auth-method is {method}; accepted: the name of a [[key]]"),
        ),
        _ => {}
    }
    if p.match_by == MatchBy::Certificate
        && p.remote_certificate.is_empty()
        && !r.failed("remote-certificate")
    {
        r.issue(
            "match-by",
            "\"certificate\" needs remote-certificate, the certificate the peer must present; accepted: remote-id, or set remote-certificate",
        );
    }
    if method.uses_xauth() && !p.passive && p.xauth_login.is_empty() {
        r.issue(
            "xauth-login",
            format!("missing, but auth-method is {method} and passive is no (this end is the XAuth client); accepted: the XAuth user name"),
        );
    }
    if r.has("exchange-mode") {
        if method == AuthMethod::EapRadius && !p.exchange_mode.is_ikev2() {
            r.issue(
                "exchange-mode",
                format!(
                    "{} cannot carry auth-method eap-radius (EAP is IKEv2's); accepted: ike2",
                    quote(p.exchange_mode.name())
                ),
            );
        }
        if method.uses_xauth() && p.exchange_mode.is_ikev2() {
            r.issue(
                "exchange-mode",
                format!("\"ike2\" cannot carry auth-method {method} (XAuth is IKEv1's); accepted: main, aggressive, base, main-l2tp"),
            );
        }
    } else if method == AuthMethod::EapRadius {
        r.issue(
            "exchange-mode",
            "missing (default main), but auth-method eap-radius needs IKEv2; accepted: ike2",
        );
    }
    if let Some(local) = p.local_address
        && local.is_ipv4() != matches!(p.address, IpNet::V4(_))
    {
        r.issue(
            "local-address",
            format!(
                "{local} is not of address's family ({}); accepted: an address of the same family as address",
                p.address
            ),
        );
    }
}

/// Two enabled peers for the same remote prefix and exchange mode leave IKE no way to choose
/// (the manual: the exchange mode is what tells such peers apart).
pub(crate) fn check_peer_overlap(
    peers: &[Peer],
    metas: &[EntryMeta],
    issues: &mut Vec<ConfigIssue>,
) {
    for (i, p) in peers.iter().enumerate() {
        if p.disabled || p.name.is_empty() || metas[i].failed("address") {
            continue;
        }
        let earlier = peers[..i].iter().enumerate().find(|(j, q)| {
            !q.disabled
                && !metas[*j].failed("address")
                && q.address == p.address
                && q.exchange_mode.class() == p.exchange_mode.class()
        });
        if let Some((_, q)) = earlier {
            issues.push(ConfigIssue::new(
                &metas[i].location,
                Some("address"),
                format!(
                    "\"{}\" with exchange-mode {} is already [[peer]] {}'s (exchange-mode {}), and only the exchange mode tells peers of one address apart (main and main-l2tp count as one); accepted: another address or exchange-mode",
                    p.address,
                    p.exchange_mode,
                    quote(&q.name),
                    q.exchange_mode
                ),
            ));
        }
    }
}
