//! `[[proposal]]` (`/ip ipsec proposal`: what IKE offers for phase 2 SAs) and `[[profile]]`
//! (`/ip ipsec peer profile`: phase 1 parameters). Both have a `default` entry that exists
//! unless the file defines one of that name.

use std::time::Duration;

use toml::Table;
use tunsec_dataplane::crypto::{AuthAlgorithm, EncAlgorithm, KeyBits};

use super::error::ConfigIssue;
use super::reader::{EntryMeta, Reader, keyword_enum, named_location, read_name};
use super::time::ACCEPTED_TIME;

pub(crate) const PROPOSAL_KEYS: &[&str] = &[
    "auth-algorithms",
    "comment",
    "disabled",
    "enc-algorithms",
    "lifebytes",
    "lifetime",
    "name",
    "pfs-group",
];

pub(crate) const PROFILE_KEYS: &[&str] = &[
    "dh-group",
    "dpd-interval",
    "dpd-maximum-failures",
    "enc-algorithm",
    "hash-algorithm",
    "lifebytes",
    "lifetime",
    "name",
    "nat-traversal",
    "proposal-check",
];

keyword_enum! {
    /// A Diffie-Hellman group (`dh-group`, `pfs-group`).
    pub enum DhGroup {
        Modp768 => "modp768",
        #[default]
        Modp1024 => "modp1024",
        Modp1536 => "modp1536",
        Modp2048 => "modp2048",
        Modp3072 => "modp3072",
        Modp4096 => "modp4096",
        Modp6144 => "modp6144",
        Modp8192 => "modp8192",
        Ec2n155 => "ec2n155",
        Ec2n185 => "ec2n185",
        Ecp256 => "ecp256",
        Ecp384 => "ecp384",
        Ecp521 => "ecp521",
        /// RFC 8031 (IKEv2 group 31), beyond the manual's list.
        Curve25519 => "curve25519",
    }
}

keyword_enum! {
    /// A profile's `enc-algorithm` (phase 1 cipher).
    pub enum IkeEncAlgorithm {
        Des => "des",
        TripleDes => "3des",
        #[default]
        Aes128 => "aes-128",
        Aes192 => "aes-192",
        Aes256 => "aes-256",
        Blowfish => "blowfish",
        Camellia128 => "camellia-128",
        Camellia192 => "camellia-192",
        Camellia256 => "camellia-256",
        /// AEAD ciphers for the IKEv2 SA (RFC 5282, RFC 7634), beyond the manual's list;
        /// with them `hash-algorithm` only selects the PRF.
        Aes128Gcm => "aes-128-gcm",
        Aes256Gcm => "aes-256-gcm",
        ChaCha20Poly1305 => "chacha20-poly1305",
    }
}

keyword_enum! {
    /// A profile's `hash-algorithm`.
    pub enum HashAlgorithm {
        Md5 => "md5",
        #[default]
        Sha1 => "sha1",
        Sha256 => "sha256",
        Sha512 => "sha512",
    }
}

keyword_enum! {
    /// `proposal-check`: how a responder treats the initiator's phase 2 lifetime.
    pub enum ProposalCheck {
        /// Take the shorter of proposed and configured, and tell the initiator.
        Claim => "claim",
        /// Require equal lifetimes.
        Exact => "exact",
        /// Accept whatever the initiator sends.
        #[default]
        Obey => "obey",
        /// Refuse a proposed lifetime longer than the configured one.
        Strict => "strict",
    }
}

/// One `/ip ipsec proposal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub name: String,
    pub auth_algorithms: Vec<AuthAlgorithm>,
    pub enc_algorithms: Vec<EncAlgorithm>,
    pub lifetime: Duration,
    /// tunsec: bytes a child SA may carry (0: no limit); rekeyed, like `lifetime`, before.
    pub lifebytes: u64,
    /// `None` is the manual's `none`: no PFS.
    pub pfs_group: Option<DhGroup>,
    pub disabled: bool,
    pub comment: String,
}

impl Proposal {
    /// The manual's `default` proposal, with the manual's defaults.
    pub fn default_named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            auth_algorithms: vec![AuthAlgorithm::Sha1],
            enc_algorithms: vec![
                EncAlgorithm::AesCbc(KeyBits::K256),
                EncAlgorithm::AesCbc(KeyBits::K192),
                EncAlgorithm::AesCbc(KeyBits::K128),
            ],
            lifetime: Duration::from_secs(30 * 60),
            lifebytes: 0,
            pfs_group: Some(DhGroup::Modp1024),
            disabled: false,
            comment: String::new(),
        }
    }
}

/// One `/ip ipsec peer profile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub dh_group: Vec<DhGroup>,
    pub enc_algorithm: Vec<IkeEncAlgorithm>,
    pub hash_algorithm: HashAlgorithm,
    /// Phase 1 lifetime.
    pub lifetime: Duration,
    /// Phase 1 lifebytes (0: none), only sent in proposals.
    pub lifebytes: u32,
    /// `None` is the manual's `disable-dpd`.
    pub dpd_interval: Option<Duration>,
    pub dpd_maximum_failures: u8,
    pub nat_traversal: bool,
    pub proposal_check: ProposalCheck,
}

impl Profile {
    /// The `default` profile, with RouterOS's defaults.
    pub fn default_named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            dh_group: vec![DhGroup::Modp2048, DhGroup::Modp1024],
            enc_algorithm: vec![IkeEncAlgorithm::Aes128, IkeEncAlgorithm::TripleDes],
            hash_algorithm: HashAlgorithm::Sha1,
            lifetime: Duration::from_secs(86_400),
            lifebytes: 0,
            dpd_interval: Some(Duration::from_secs(120)),
            dpd_maximum_failures: 5,
            nat_traversal: true,
            proposal_check: ProposalCheck::Obey,
        }
    }
}

pub(crate) fn read_proposal(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Proposal, EntryMeta) {
    let location = named_location("proposal", index, table);
    let mut r = Reader::new(table, location, PROPOSAL_KEYS, issues);
    let mut p = Proposal::default_named(&read_name(&mut r, "proposal", &[]));
    if let Some(v) = r.keywords("auth-algorithms") {
        p.auth_algorithms = v;
    }
    if let Some(v) = r.keywords("enc-algorithms") {
        p.enc_algorithms = v;
    }
    if let Some(v) = r.time("lifetime") {
        p.lifetime = v;
    }
    if let Some(v) = r.integer("lifebytes", 0, i64::MAX) {
        p.lifebytes = u64::try_from(v).unwrap_or(0);
    }
    let accepted = format!(
        "none, or one of {}",
        <DhGroup as super::reader::Keyword>::accepted()
    );
    if let Some(v) = r.parsed("pfs-group", &accepted, |s| match s {
        "none" => Some(None),
        s => s.parse().ok().map(Some),
    }) {
        p.pfs_group = v;
    }
    if let Some(v) = r.boolean("disabled") {
        p.disabled = v;
    }
    if let Some(v) = r.string("comment") {
        p.comment = v;
    }
    check_proposal_algorithms(&mut r, &p);
    (p, r.finish())
}

/// `null` encryption with `null` integrity protects nothing: a proposal must offer at least
/// one combination that does.
fn check_proposal_algorithms(r: &mut Reader<'_>, p: &Proposal) {
    let null_enc = p.enc_algorithms.iter().all(|e| *e == EncAlgorithm::Null);
    let null_auth = p.auth_algorithms.iter().all(|a| *a == AuthAlgorithm::Null);
    if null_enc && null_auth {
        r.issue(
            "enc-algorithms",
            "[\"null\"] with auth-algorithms [\"null\"] would protect nothing; accepted: a cipher other than null, or an auth algorithm other than null",
        );
    }
}

pub(crate) fn read_profile(
    table: &Table,
    index: usize,
    issues: &mut Vec<ConfigIssue>,
) -> (Profile, EntryMeta) {
    let location = named_location("profile", index, table);
    let mut r = Reader::new(table, location, PROFILE_KEYS, issues);
    let mut p = Profile::default_named(&read_name(&mut r, "profile", &[]));
    if let Some(v) = r.keywords("dh-group") {
        p.dh_group = v;
    }
    if let Some(v) = r.keywords("enc-algorithm") {
        p.enc_algorithm = v;
    }
    if let Some(v) = r.keyword("hash-algorithm") {
        p.hash_algorithm = v;
    }
    if let Some(v) = r.time("lifetime") {
        if v.is_zero() {
            r.issue(
                "lifetime",
                format!("\"0s\" would expire phase 1 at once; accepted: {ACCEPTED_TIME}, above 0"),
            );
        } else {
            p.lifetime = v;
        }
    }
    if let Some(v) = r.integer("lifebytes", 0, i64::from(u32::MAX)) {
        p.lifebytes = u32::try_from(v).unwrap_or(u32::MAX);
    }
    let accepted = format!("disable-dpd, or {ACCEPTED_TIME}, above 0");
    if let Some(v) = r.read("dpd-interval", &accepted, |v| match v {
        toml::Value::String(s) if s == "disable-dpd" => Ok(None),
        toml::Value::String(s) => match super::time::parse_time(s) {
            Some(d) if !d.is_zero() => Ok(Some(d)),
            _ => Err(format!("{} is not valid", super::reader::quote(s))),
        },
        toml::Value::Integer(n) if *n > 0 => Ok(Some(Duration::from_secs(n.unsigned_abs()))),
        other => Err(format!("{} is not valid", super::reader::show(other))),
    }) {
        p.dpd_interval = v;
    }
    if let Some(v) = r.integer("dpd-maximum-failures", 1, 100) {
        p.dpd_maximum_failures = u8::try_from(v).unwrap_or(100);
    }
    if let Some(v) = r.boolean("nat-traversal") {
        p.nat_traversal = v;
    }
    if let Some(v) = r.keyword("proposal-check") {
        p.proposal_check = v;
    }
    (p, r.finish())
}
