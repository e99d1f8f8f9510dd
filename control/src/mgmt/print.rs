//! RouterOS-style `print` output for the menus the daemon serves.

use std::fmt::Write;
use std::time::Duration;
use tunsec_dataplane::ctl::SaReport;
use tunsec_dataplane::sa::{Direction, IpsecProtocol, Timestamp};
use tunsec_dataplane::stats::StatisticsSnapshot;

/// `/ip ipsec statistics print`.
pub fn statistics(total: &StatisticsSnapshot) -> String {
    total.to_string()
}

/// RouterOS's time format: `1d2h3m4s`, `0s`.
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

/// `/ip ipsec installed-sa print`: numbered rows with the manual's flags and properties.
pub fn installed_sa(sas: &[SaReport], now: Timestamp) -> String {
    let mut out = String::from("Flags: H - hw-aead, A - AH, E - ESP\n");
    for (i, sa) in sas.iter().enumerate() {
        let flags = format!(
            "{}{}",
            if sa.hw_aead { "H" } else { " " },
            match sa.protocol {
                IpsecProtocol::Ah => "A",
                IpsecProtocol::Esp => "E",
            }
        );
        let enc = match sa.protocol {
            IpsecProtocol::Esp => sa.enc.family(),
            IpsecProtocol::Ah => "null",
        };
        let key_size = match sa.protocol {
            IpsecProtocol::Esp => sa.enc.key_bits(),
            IpsecProtocol::Ah => 0,
        };
        let age = Duration::from_millis(now.millis_since(sa.added_at));
        let _ = writeln!(
            out,
            "{i:>2} {flags} spi={:#X} src-address={} dst-address={} state={} auth-algorithm={} \
             enc-algorithm={enc} enc-key-size={key_size} direction={} addtime={} expires-in={} \
             current-bytes={} current-packets={} replay={} natt={}",
            sa.spi,
            address(sa.src, sa.encap.map(|e| e.src_port)),
            address(sa.dst, sa.encap.map(|e| e.dst_port)),
            sa.state,
            sa.auth,
            match sa.direction {
                Direction::Inbound => "in",
                Direction::Outbound => "out",
            },
            duration(age) + " ago",
            sa.expires_in_millis.map_or_else(
                || "never".to_owned(),
                |m| duration(Duration::from_millis(m))
            ),
            sa.current_bytes,
            sa.current_packets,
            sa.replay_window,
            if sa.encap.is_some() { "yes" } else { "no" },
        );
    }
    out
}

fn address(ip: std::net::IpAddr, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{ip}:{p}"),
        None => ip.to_string(),
    }
}

/// `/ip ipsec remote-peers print`: one row per IKE SA.
pub fn remote_peers(rows: &[crate::ike::endpoint::RemotePeerReport]) -> String {
    let mut out = String::from("Flags: R - responder, N - natt-peer\n");
    for (i, r) in rows.iter().enumerate() {
        let flags = format!(
            "{}{}",
            if r.side == "responder" { "R" } else { " " },
            if r.natt_peer { "N" } else { " " }
        );
        let _ = writeln!(
            out,
            "{i:>2} {flags} peer={} id=\"{}\" local-address={} remote-address={} state={} side={} \
             natt-peer={} uptime={} last-seen={} ph2-total={} spi-i={} spi-r={}",
            r.peer,
            r.remote_id,
            r.local,
            r.remote,
            r.state,
            r.side,
            if r.natt_peer { "yes" } else { "no" },
            r.uptime.map_or_else(|| "-".to_owned(), duration),
            duration(r.last_seen),
            r.ph2_active,
            r.spi_i,
            r.spi_r,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routeros_durations() {
        assert_eq!(duration(Duration::ZERO), "0s");
        assert_eq!(duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(duration(Duration::from_secs(86_400 + 7_200 + 3)), "1d2h3s");
    }
}
