//! Addresses and routes of the TUN device. These change rarely and only at start, reload and
//! exit, so they go through iproute2's `ip` command rather than a netlink implementation of
//! our own; every change is recorded so shutdown removes exactly what was added.

use std::io;
use std::net::IpAddr;
use std::process::Command;

/// One change made to the system, to undo at shutdown.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    Address {
        dev: String,
        prefix: String,
    },
    Route {
        dev: String,
        prefix: String,
    },
    TableRoute {
        dev: String,
        prefix: String,
        table: String,
    },
    MarkRule {
        mark: u32,
        table: String,
        v6: bool,
    },
}

/// Applies and remembers changes; undoes them in reverse order on `undo_all` or drop.
#[derive(Debug, Default)]
pub struct NetConfig {
    applied: Vec<Change>,
}

fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip").args(args).output().map_err(|e| {
        io::Error::new(e.kind(), format!("cannot run `ip` (install iproute2): {e}"))
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "`ip {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

fn family(prefix: &str) -> &'static str {
    let addr = prefix.split('/').next().unwrap_or(prefix);
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => "-6",
        _ => "-4",
    }
}

impl NetConfig {
    pub fn new() -> Self {
        Self::default()
    }

    /// `ip addr add PREFIX dev DEV` (IPv6 without duplicate address detection, since the
    /// tunnel has no neighbours).
    pub fn add_address(&mut self, dev: &str, prefix: &str) -> io::Result<()> {
        let mut args = vec![family(prefix), "addr", "add", prefix, "dev", dev];
        if family(prefix) == "-6" {
            args.push("nodad");
        }
        ip(&args)?;
        self.applied.push(Change::Address {
            dev: dev.to_owned(),
            prefix: prefix.to_owned(),
        });
        Ok(())
    }

    /// `ip link set DEV txqueuelen LEN`: the queue of packets the kernel holds for tunsec to
    /// read. The default 500 overflows in the bursts a TCP sender produces while a worker
    /// is busy encrypting, and every overflow is a loss TCP answers by slowing down.
    pub fn set_txqueuelen(&mut self, dev: &str, len: u32) -> io::Result<()> {
        ip(&["link", "set", dev, "txqueuelen", &len.to_string()])
    }

    /// `ip route replace PREFIX dev DEV`.
    pub fn add_route(&mut self, dev: &str, prefix: &str) -> io::Result<()> {
        ip(&[family(prefix), "route", "replace", prefix, "dev", dev])?;
        self.applied.push(Change::Route {
            dev: dev.to_owned(),
            prefix: prefix.to_owned(),
        });
        Ok(())
    }

    /// `ip route replace PREFIX dev DEV table TABLE [src SRC]`.
    pub fn add_route_in_table(
        &mut self,
        dev: &str,
        prefix: &str,
        table: &str,
        src: Option<IpAddr>,
    ) -> io::Result<()> {
        let src = src.map(|s| s.to_string());
        let mut args = vec![
            family(prefix),
            "route",
            "replace",
            prefix,
            "dev",
            dev,
            "table",
            table,
        ];
        if let Some(s) = &src {
            args.extend(["src", s.as_str()]);
        }
        ip(&args)?;
        self.applied.push(Change::TableRoute {
            dev: dev.to_owned(),
            prefix: prefix.to_owned(),
            table: table.to_owned(),
        });
        Ok(())
    }

    /// Routes traffic *without* `mark` through `table` (for IPv4 and IPv6): tunsec's own
    /// sockets carry the mark, so what they send bypasses the routes into the TUN device.
    pub fn add_mark_rule(&mut self, mark: u32, table: &str) -> io::Result<()> {
        let mark_s = format!("{mark:#x}");
        for (fam, v6) in [("-4", false), ("-6", true)] {
            ip(&[
                fam, "rule", "add", "not", "fwmark", &mark_s, "table", table, "priority", "100",
            ])?;
            self.applied.push(Change::MarkRule {
                mark,
                table: table.to_owned(),
                v6,
            });
        }
        Ok(())
    }

    /// Removes one route added earlier (config reload).
    pub fn remove_route(&mut self, dev: &str, prefix: &str) -> io::Result<()> {
        let change = Change::Route {
            dev: dev.to_owned(),
            prefix: prefix.to_owned(),
        };
        self.applied.retain(|c| *c != change);
        ip(&[family(prefix), "route", "del", prefix, "dev", dev])
    }

    /// Prefixes routed into `table` so far.
    pub fn table_routes(&self, table: &str) -> Vec<String> {
        self.applied
            .iter()
            .filter_map(|c| match c {
                Change::TableRoute {
                    prefix, table: t, ..
                } if t == table => Some(prefix.clone()),
                _ => None,
            })
            .collect()
    }

    /// Removes a route added with [`add_route_in_table`](Self::add_route_in_table).
    pub fn remove_table_route(&mut self, dev: &str, prefix: &str, table: &str) -> io::Result<()> {
        self.applied.retain(|c| {
            !matches!(c, Change::TableRoute { prefix: p, table: t, .. } if p == prefix && t == table)
        });
        ip(&[
            family(prefix),
            "route",
            "del",
            prefix,
            "dev",
            dev,
            "table",
            table,
        ])
    }

    /// Undoes every change, newest first; failures (the device already gone) are ignored.
    pub fn undo_all(&mut self) {
        while let Some(change) = self.applied.pop() {
            let _ = match &change {
                Change::Route { dev, prefix } => {
                    ip(&[family(prefix), "route", "del", prefix, "dev", dev])
                }
                Change::Address { dev, prefix } => {
                    ip(&[family(prefix), "addr", "del", prefix, "dev", dev])
                }
                Change::TableRoute { dev, prefix, table } => ip(&[
                    family(prefix),
                    "route",
                    "del",
                    prefix,
                    "dev",
                    dev,
                    "table",
                    table,
                ]),
                Change::MarkRule { mark, table, v6 } => {
                    let fam = if *v6 { "-6" } else { "-4" };
                    let mark = format!("{mark:#x}");
                    ip(&[
                        fam, "rule", "del", "not", "fwmark", &mark, "table", table, "priority",
                        "100",
                    ])
                }
            };
        }
    }
}

impl Drop for NetConfig {
    fn drop(&mut self) {
        self.undo_all();
    }
}
