//! The rows of each menu, built from the running configuration and the daemon's live state
//! (policy table, worker SA reports, IKE SAs, counters). Property names and their order are
//! the manual's; `docs/print-json.md` lists them with their JSON types.

use std::time::Duration;

use tunsec_dataplane::ctl::SaReport;
use tunsec_dataplane::sa::{Direction, IpsecProtocol, Timestamp};
use tunsec_dataplane::spd::{PolicyTable, protocol_name};
use tunsec_dataplane::stats::StatisticsSnapshot;

use super::menu::{Row, RowBuilder};
use super::print::duration;
use crate::config::{Config, MyId, REQUEST_ONLY, Secret, format_time};
use crate::ike::endpoint::RemotePeerReport;

/// A secret as `show-keys` prints it: text when it is printable ASCII, else `0x` and hex.
fn secret_text(s: &Secret) -> String {
    let bytes = s.expose();
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        format!("0x{}", hex::encode(bytes))
    }
}

fn shown_secret(s: &Secret, show: bool) -> Option<String> {
    show.then(|| secret_text(s))
}

fn my_id(id: &MyId) -> String {
    match id {
        MyId::Auto => "auto".to_owned(),
        MyId::Address(None) => "address".to_owned(),
        MyId::Address(Some(a)) => format!("address:{a}"),
        MyId::Fqdn(n) => format!("fqdn:{n}"),
        MyId::UserFqdn(n) => format!("user-fqdn:{n}"),
        MyId::KeyId(n) => format!("key-id:{n}"),
    }
}

/// `/ip ipsec policy`: configured properties, the table's flags, and the phase 2 state
/// (`ph2-count`: SA pairs bound to the policy now).
pub fn policy(spd: &PolicyTable, sas: &[SaReport]) -> Vec<Row> {
    spd.iter()
        .map(|row| {
            let p = row.policy;
            let index = row.id.index();
            let pairs = sas
                .iter()
                .filter(|s| s.policy == Some(index) && s.direction == Direction::Inbound)
                .count();
            RowBuilder::new()
                .opt_text("peer", (!p.peer.is_empty()).then_some(&p.peer))
                .text("group", &p.group)
                .text("src-address", p.src_address)
                .text("src-port", p.src_port)
                .text("dst-address", p.dst_address)
                .text("dst-port", p.dst_port)
                .text("protocol", protocol_name(p.protocol))
                .text("action", p.action)
                .text("level", p.level)
                .text("ipsec-protocols", p.ipsec_protocols)
                .flag("tunnel", p.tunnel)
                .text("sa-src-address", p.sa_src_address)
                .text("sa-dst-address", p.sa_dst_address)
                .text("proposal", &p.proposal)
                .opt_text("manual-sa", p.manual_sa.as_ref())
                .int("ph2-count", pairs as u64)
                .text("ph2-state", row.ph2_state)
                .flag("template", row.flags.template)
                .flag("disabled", row.flags.disabled)
                .flag("dynamic", row.flags.dynamic)
                .flag("invalid", row.flags.invalid)
                .flag("active", row.flags.active)
                .flag("default", false)
                .text("comment", &p.comment)
                .build()
        })
        .collect()
}

/// `/ip ipsec policy group`.
pub fn policy_group(cfg: &Config) -> Vec<Row> {
    cfg.group
        .iter()
        .map(|g| {
            RowBuilder::new()
                .text("name", &g.name)
                .flag("default", g.name == "default")
                .text("comment", &g.comment)
                .build()
        })
        .collect()
}

/// `/ip ipsec proposal`.
pub fn proposal(cfg: &Config) -> Vec<Row> {
    cfg.proposal
        .iter()
        .map(|p| {
            RowBuilder::new()
                .text("name", &p.name)
                .list("auth-algorithms", &p.auth_algorithms)
                .list("enc-algorithms", &p.enc_algorithms)
                .text("lifetime", format_time(p.lifetime))
                .text(
                    "pfs-group",
                    p.pfs_group.map_or("none", |g| g.name()).to_owned(),
                )
                .flag("disabled", p.disabled)
                .flag("default", p.name == "default")
                .text("comment", &p.comment)
                .build()
        })
        .collect()
}

/// `/ip ipsec peer`; `secret` and `xauth-password` only with `show-keys`.
pub fn peer(cfg: &Config, show_keys: bool) -> Vec<Row> {
    cfg.peer
        .iter()
        .map(|p| {
            RowBuilder::new()
                .text("name", &p.name)
                .text("address", p.address)
                .opt_text("local-address", p.local_address)
                .int("port", u64::from(p.port))
                .flag("passive", p.passive)
                .text("exchange-mode", p.exchange_mode)
                .text("profile", &p.profile)
                .text("proposal", &p.proposal)
                .text("auth-method", p.auth_method)
                .opt_text("secret", shown_secret(&p.secret, show_keys))
                .text("certificate", &p.certificate)
                .text("remote-certificate", &p.remote_certificate)
                .text("key", &p.key)
                .text("my-id", my_id(&p.my_id))
                .text("generate-policy", p.generate_policy)
                .text(
                    "policy-template-group",
                    p.policy_template_group.as_deref().unwrap_or("none"),
                )
                .text("mode-config", p.mode_config.as_deref().unwrap_or("none"))
                .list("compatibility-options", &p.compatibility_options)
                .text("notrack-chain", &p.notrack_chain)
                .flag("send-initial-contact", p.send_initial_contact)
                .text("xauth-login", &p.xauth_login)
                .opt_text("xauth-password", shown_secret(&p.xauth_password, show_keys))
                .flag("disabled", p.disabled)
                .flag("dynamic", false)
                .flag("responder", p.passive)
                .text("comment", &p.comment)
                .build()
        })
        .collect()
}

/// `/ip ipsec profile` (the manual's peer profiles).
pub fn profile(cfg: &Config) -> Vec<Row> {
    cfg.profile
        .iter()
        .map(|p| {
            RowBuilder::new()
                .text("name", &p.name)
                .text("hash-algorithm", p.hash_algorithm)
                .list("enc-algorithm", &p.enc_algorithm)
                .list("dh-group", &p.dh_group)
                .text("lifetime", format_time(p.lifetime))
                .int("lifebytes", u64::from(p.lifebytes))
                .text("proposal-check", p.proposal_check)
                .flag("nat-traversal", p.nat_traversal)
                .text(
                    "dpd-interval",
                    p.dpd_interval
                        .map_or_else(|| "disable-dpd".to_owned(), format_time),
                )
                .int("dpd-maximum-failures", u64::from(p.dpd_maximum_failures))
                .flag("default", p.name == "default")
                .build()
        })
        .collect()
}

/// `/ip ipsec mode-config`.
pub fn mode_config(cfg: &Config) -> Vec<Row> {
    cfg.mode_config
        .iter()
        .map(|m| {
            RowBuilder::new()
                .text("name", &m.name)
                .flag("responder", m.responder)
                .text("address-pool", m.address_pool.as_deref().unwrap_or("none"))
                .opt_int(
                    "address-prefix-length",
                    m.address_prefix_length.map(u64::from),
                )
                .list("split-include", &m.split_include)
                .text("src-address-list", &m.src_address_list)
                .list("static-dns", &m.static_dns)
                .flag("system-dns", m.system_dns)
                .flag("default", m.name == REQUEST_ONLY)
                .text("comment", &m.comment)
                .build()
        })
        .collect()
}

/// `/ip ipsec user`; `password` only with `show-keys`.
pub fn user(cfg: &Config, show_keys: bool) -> Vec<Row> {
    cfg.user
        .iter()
        .map(|u| {
            RowBuilder::new()
                .text("name", &u.name)
                .opt_text("password", shown_secret(&u.password, show_keys))
                .opt_text("address", u.address)
                .build()
        })
        .collect()
}

/// `/ip ipsec key`: each key and the PEM file it is read from.
/// `/ip ipsec key print`: the manual's read-only key-size, private-key and rsa come from the
/// key file (`null` when it cannot be read).
pub fn key(cfg: &Config) -> Vec<Row> {
    use crate::ike::pki::credentials::{KeyFile, load_key};
    use crate::ike::pki::keys::PublicKey;
    cfg.key
        .iter()
        .map(|k| {
            let (public, private) = match load_key(&k.file, "key") {
                Ok(KeyFile::Private(p)) => (Some(p.public_key()), Some(true)),
                Ok(KeyFile::Public(p)) => (Some(p), Some(false)),
                Err(_) => (None, None),
            };
            let size = public
                .as_ref()
                .and_then(PublicKey::rsa_bits)
                .map(|b| b as u64);
            RowBuilder::new()
                .text("name", &k.name)
                .opt_int("key-size", size)
                .opt_flag("private-key", private)
                .opt_flag(
                    "rsa",
                    public.as_ref().map(|p| matches!(p, PublicKey::Rsa(_))),
                )
                .text("file", k.file.display())
                .build()
        })
        .collect()
}

fn address(ip: std::net::IpAddr, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{ip}:{p}"),
        None => ip.to_string(),
    }
}

fn millis(m: Option<u64>) -> String {
    m.map_or_else(|| "0s".to_owned(), |m| duration(Duration::from_millis(m)))
}

/// `/ip ipsec installed-sa`, ordered by policy, then direction (in first), then SPI;
/// `enc-key`/`auth-key` only with `show-keys` (the reports carry keys only then).
pub fn installed_sa(sas: &[SaReport], now: Timestamp) -> Vec<Row> {
    let mut sorted: Vec<&SaReport> = sas.iter().collect();
    sorted.sort_by_key(|s| (s.policy, s.direction == Direction::Outbound, s.spi));
    sorted
        .into_iter()
        .map(|sa| {
            let esp = sa.protocol == IpsecProtocol::Esp;
            let age = Duration::from_millis(now.millis_since(sa.added_at));
            RowBuilder::new()
                .text("spi", format!("{:#X}", sa.spi))
                .text("src-address", address(sa.src, sa.encap.map(|e| e.src_port)))
                .text("dst-address", address(sa.dst, sa.encap.map(|e| e.dst_port)))
                .text("state", sa.state)
                .text("auth-algorithm", sa.auth)
                .text("enc-algorithm", if esp { sa.enc.family() } else { "null" })
                .int(
                    "enc-key-size",
                    if esp { sa.enc.key_bits() as u64 } else { 0 },
                )
                .opt_text(
                    "auth-key",
                    sa.keys.as_ref().map(|k| hex::encode(&*k.auth_key)),
                )
                .opt_text(
                    "enc-key",
                    sa.keys.as_ref().map(|k| hex::encode(&*k.enc_key)),
                )
                .text(
                    "direction",
                    match sa.direction {
                        Direction::Inbound => "in",
                        Direction::Outbound => "out",
                    },
                )
                .text("addtime", duration(age) + " ago")
                .text(
                    "expires-in",
                    sa.expires_in_millis.map_or_else(
                        || "never".to_owned(),
                        |m| duration(Duration::from_millis(m)),
                    ),
                )
                .text(
                    "add-lifetime",
                    format!(
                        "{}/{}",
                        millis(sa.lifetime.soft_millis),
                        millis(sa.lifetime.hard_millis)
                    ),
                )
                .int("current-bytes", sa.current_bytes)
                .int("current-packets", sa.current_packets)
                .int("replay", u64::from(sa.replay_window))
                .flag("natt", sa.encap.is_some())
                .opt_int("policy", sa.policy.map(|p| p as u64))
                .int("worker", sa.worker as u64)
                .flag("hw-aead", sa.hw_aead)
                .flag("ah", !esp)
                .flag("esp", esp)
                .build()
        })
        .collect()
}

/// `/ip ipsec remote-peers`: one row per IKE SA.
pub fn remote_peers(peers: &[RemotePeerReport]) -> Vec<Row> {
    peers
        .iter()
        .map(|r| {
            RowBuilder::new()
                .text("peer", &r.peer)
                .text("id", &r.remote_id)
                .text("local-address", r.local)
                .text("remote-address", r.remote)
                .text("state", r.state)
                .text("side", r.side)
                .flag("natt-peer", r.natt_peer)
                .opt_text::<String>("dynamic-address", None)
                .opt_text("uptime", r.uptime.map(duration))
                .text("last-seen", duration(r.last_seen))
                .int("ph2-total", r.ph2_active as u64)
                .text("spi-i", &r.spi_i)
                .text("spi-r", &r.spi_r)
                .flag("responder", r.side == "responder")
                .build()
        })
        .collect()
}

/// `/ip ipsec statistics`: one row, every counter.
pub fn statistics(total: &StatisticsSnapshot) -> Vec<Row> {
    let mut row = RowBuilder::new();
    for (counter, value) in total.iter() {
        row = row.int(counter.name(), value);
    }
    vec![row.build()]
}
