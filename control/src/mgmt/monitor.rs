//! `tunsec monitor`: a live view of the remote peers and of every installed SA with its
//! current rate (bytes/s, packets/s, Mbit/s), refreshed like `top`. Rates are the change of
//! `current-bytes`/`current-packets` between two `print installed-sa` answers divided by the
//! time between them, so they are what the dataplane counted, not an estimate.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::menu::{Menu, Row};
use super::protocol::{self, ClientError};

/// One SA's counters at one moment.
#[derive(Debug, Clone, Copy)]
struct Sample {
    bytes: u64,
    packets: u64,
    at: Instant,
}

/// An SA's rates over the last interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub bytes_per_sec: f64,
    pub packets_per_sec: f64,
}

fn text(row: &Row, key: &str) -> String {
    match row.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        _ => "-".to_owned(),
    }
}

fn number(row: &Row, key: &str) -> u64 {
    row.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Remembers the previous sample of each SA (by SPI and direction) to turn counters into
/// rates.
#[derive(Debug, Default)]
pub struct RateTracker {
    last: HashMap<(String, String), Sample>,
}

impl RateTracker {
    /// The rate of each SA row since the last call (`None` for an SA seen the first time, or
    /// whose counters went backwards, i.e. a new SA with a recycled SPI).
    pub fn update(&mut self, sas: &[Row], at: Instant) -> Vec<Option<Rate>> {
        let mut next = HashMap::new();
        let rates =
            sas.iter()
                .map(|sa| {
                    let key = (text(sa, "spi"), text(sa, "direction"));
                    let now = Sample {
                        bytes: number(sa, "current-bytes"),
                        packets: number(sa, "current-packets"),
                        at,
                    };
                    let rate = self.last.get(&key).and_then(|before| {
                        let secs = now.at.duration_since(before.at).as_secs_f64();
                        (secs > 0.0 && now.bytes >= before.bytes && now.packets >= before.packets)
                            .then(|| Rate {
                                bytes_per_sec: (now.bytes - before.bytes) as f64 / secs,
                                packets_per_sec: (now.packets - before.packets) as f64 / secs,
                            })
                    });
                    next.insert(key, now);
                    rate
                })
                .collect();
        self.last = next;
        rates
    }
}

/// A screen: the peers table and the SA table with rates.
pub fn screen(peers: &[Row], sas: &[Row], rates: &[Option<Rate>], interval: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tunsec monitor: {} remote peer(s), {} installed SA(s); every {}s (Ctrl-C quits)\n",
        peers.len(),
        sas.len(),
        interval.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "{:>2}  {:<12} {:<24} {:<16} {:<10} {:>9} {:>9} {:>4}",
        "#", "PEER", "REMOTE-ADDRESS", "STATE", "SIDE", "UPTIME", "LAST-SEEN", "PH2"
    );
    for (i, p) in peers.iter().enumerate() {
        let _ = writeln!(
            out,
            "{i:>2}  {:<12} {:<24} {:<16} {:<10} {:>9} {:>9} {:>4}",
            text(p, "peer"),
            text(p, "remote-address"),
            text(p, "state"),
            text(p, "side"),
            text(p, "uptime"),
            text(p, "last-seen"),
            text(p, "ph2-total"),
        );
    }
    let _ = writeln!(
        out,
        "\n{:>2}  {:<10} {:<3} {:<21} {:<21} {:>14} {:>11} {:>12} {:>10} {:>9}",
        "#",
        "SPI",
        "DIR",
        "SRC-ADDRESS",
        "DST-ADDRESS",
        "BYTES",
        "PACKETS",
        "BYTES/S",
        "PACKETS/S",
        "MBIT/S"
    );
    for (i, (sa, rate)) in sas.iter().zip(rates).enumerate() {
        let (bps, pps, mbit) = match rate {
            Some(r) => (
                format!("{:.0}", r.bytes_per_sec),
                format!("{:.0}", r.packets_per_sec),
                format!("{:.2}", r.bytes_per_sec * 8.0 / 1e6),
            ),
            None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
        };
        let _ = writeln!(
            out,
            "{i:>2}  {:<10} {:<3} {:<21} {:<21} {:>14} {:>11} {bps:>12} {pps:>10} {mbit:>9}",
            text(sa, "spi"),
            text(sa, "direction"),
            text(sa, "src-address"),
            text(sa, "dst-address"),
            number(sa, "current-bytes"),
            number(sa, "current-packets"),
        );
    }
    out
}

/// Runs the live view: `count` refreshes (0: until interrupted), `interval` apart. On a
/// terminal each refresh redraws the screen; otherwise screens follow each other, which is
/// what a log or a test reads.
pub fn run(socket: &Path, interval: Duration, count: u64) -> Result<(), ClientError> {
    let mut tracker = RateTracker::default();
    let tty = std::io::stdout().is_terminal();
    let mut shown = 0u64;
    loop {
        let peers = protocol::print(socket, Menu::RemotePeers, false)?;
        let sas = protocol::print(socket, Menu::InstalledSa, false)?;
        let rates = tracker.update(&sas.rows, Instant::now());
        let text = screen(&peers.rows, &sas.rows, &rates, interval);
        let mut stdout = std::io::stdout().lock();
        if tty {
            // Home and clear, as `top` redraws.
            let _ = write!(stdout, "\x1b[H\x1b[2J");
        } else if shown > 0 {
            let _ = writeln!(stdout);
        }
        let _ = write!(stdout, "{text}");
        let _ = stdout.flush();
        shown += 1;
        if count != 0 && shown >= count {
            return Ok(());
        }
        std::thread::sleep(interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mgmt::menu::RowBuilder;

    fn sa(spi: &str, bytes: u64, packets: u64) -> Row {
        RowBuilder::new()
            .text("spi", spi)
            .text("direction", "in")
            .int("current-bytes", bytes)
            .int("current-packets", packets)
            .build()
    }

    #[test]
    fn rates_are_counter_deltas_over_time() {
        let mut t = RateTracker::default();
        let t0 = Instant::now();
        assert_eq!(t.update(&[sa("0x1", 1000, 10)], t0), vec![None]);
        let rates = t.update(
            &[sa("0x1", 3_001_000, 2010), sa("0x2", 5, 1)],
            t0 + Duration::from_secs(2),
        );
        assert_eq!(
            rates[0],
            Some(Rate {
                bytes_per_sec: 1_500_000.0,
                packets_per_sec: 1000.0
            })
        );
        assert_eq!(rates[1], None);
        // A recycled SPI with smaller counters is a new SA, not a negative rate.
        let rates = t.update(&[sa("0x1", 10, 1)], t0 + Duration::from_secs(3));
        assert_eq!(rates, vec![None]);
        let text = screen(&[], &[sa("0x1", 10, 1)], &[None], Duration::from_secs(1));
        assert!(text.contains("BYTES/S"), "{text}");
    }
}
