//! The optional Prometheus endpoint (`[daemon] metrics-listen`, off by default): a plain
//! HTTP/1.0 answer to `GET /metrics` in the text exposition format, built from the same
//! rows as `print statistics`, `print installed-sa` and `print remote-peers`.
//!
//! The control thread accepts a scrape and renders the text; a short-lived thread of its own
//! (at most four at once) reads the request and writes the answer, so a slow or stuck client
//! never holds up IKE.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::menu::Row;

/// How long a scraper may take, in all, to send its request, and to read the answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);

/// Scrapes answered at once; more connections are closed unanswered.
const MAX_SCRAPES_IN_FLIGHT: usize = 4;

/// The listening socket.
pub struct MetricsServer {
    listener: TcpListener,
    in_flight: Arc<AtomicUsize>,
}

impl MetricsServer {
    pub fn bind(addr: SocketAddr) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(MetricsServer {
            listener,
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }

    /// The next waiting scraper, or `None` when nobody waits.
    pub fn accept(&self) -> io::Result<Option<TcpStream>> {
        match self.listener.accept() {
            Ok((stream, _)) => Ok(Some(stream)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Answers `stream` with `body` (the metrics, rendered by the caller at accept time) on a
    /// thread of its own: the endpoint is reachable over the network, and a scraper that
    /// sends or reads slowly must not hold up the control thread's IKE work.
    pub fn respond_in_background(&self, stream: TcpStream, body: String) {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_SCRAPES_IN_FLIGHT {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let in_flight = Arc::clone(&self.in_flight);
        let spawned = std::thread::Builder::new()
            .name("metrics".to_owned())
            .spawn(move || {
                let _ = respond(stream, &body);
                in_flight.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Reads the request head within [`CLIENT_TIMEOUT`] in all and writes the answer: the
/// metrics for `GET /metrics`, 404 otherwise.
fn respond(mut stream: TcpStream, body: &str) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    // The request line is all we need; stop at the end of the head or at 8 KiB.
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(_) => return Ok(()),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let path = match text.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["GET", path, ..] => (*path).to_owned(),
        _ => String::new(),
    };
    let answer = if path == "/metrics" {
        format!(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    } else {
        "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nonly /metrics is here".to_owned()
    };
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    stream.write_all(answer.as_bytes())
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn text<'a>(row: &'a Row, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or("")
}

fn number(row: &Row, key: &str) -> u64 {
    row.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// The exposition text from the rows of `statistics`, `installed-sa` and `remote-peers`.
pub fn render(statistics: &[Row], sas: &[Row], peers: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "# HELP tunsec_ipsec_statistics_total IPsec error counters of /ip ipsec statistics.\n\
         # TYPE tunsec_ipsec_statistics_total counter\n",
    );
    for row in statistics {
        for (name, value) in row {
            let v = value.as_u64().unwrap_or(0);
            let _ = writeln!(
                out,
                "tunsec_ipsec_statistics_total{{counter=\"{}\"}} {v}",
                label(name)
            );
        }
    }
    for (metric, key, help) in [
        (
            "tunsec_sa_bytes_total",
            "current-bytes",
            "Bytes carried by the installed SA.",
        ),
        (
            "tunsec_sa_packets_total",
            "current-packets",
            "Packets carried by the installed SA.",
        ),
    ] {
        let _ = writeln!(out, "# HELP {metric} {help}\n# TYPE {metric} counter");
        for sa in sas {
            let policy = sa
                .get("policy")
                .and_then(Value::as_u64)
                .map_or_else(String::new, |p| p.to_string());
            let _ = writeln!(
                out,
                "{metric}{{spi=\"{}\",direction=\"{}\",src=\"{}\",dst=\"{}\",policy=\"{policy}\"}} {}",
                label(text(sa, "spi")),
                label(text(sa, "direction")),
                label(text(sa, "src-address")),
                label(text(sa, "dst-address")),
                number(sa, key),
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP tunsec_installed_sas SAs installed in the dataplane.\n# TYPE tunsec_installed_sas gauge\ntunsec_installed_sas {}",
        sas.len()
    );
    out.push_str("# HELP tunsec_ike_sas IKE SAs by state.\n# TYPE tunsec_ike_sas gauge\n");
    let mut states: Vec<(&str, usize)> = Vec::new();
    for state in ["established", "connecting"] {
        states.push((state, 0));
    }
    for p in peers {
        let state = if text(p, "state") == "established" {
            "established"
        } else {
            "connecting"
        };
        if let Some(entry) = states.iter_mut().find(|(s, _)| *s == state) {
            entry.1 += 1;
        }
    }
    for (state, n) in states {
        let _ = writeln!(out, "tunsec_ike_sas{{state=\"{state}\"}} {n}");
    }
    out.push_str(
        "# HELP tunsec_ike_child_sas Child SA pairs per IKE SA.\n# TYPE tunsec_ike_child_sas gauge\n",
    );
    for p in peers {
        let _ = writeln!(
            out,
            "tunsec_ike_child_sas{{peer=\"{}\",remote=\"{}\",spi_i=\"{}\"}} {}",
            label(text(p, "peer")),
            label(text(p, "remote-address")),
            label(text(p, "spi-i")),
            number(p, "ph2-total"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mgmt::menu::RowBuilder;

    #[test]
    fn a_silent_scraper_does_not_hold_up_the_caller_or_the_next_scrape() {
        let server = MetricsServer::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = server.listener().local_addr().unwrap();
        let _silent = TcpStream::connect(addr).unwrap();
        let accept = || loop {
            if let Some(s) = server.accept().unwrap() {
                break s;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let started = Instant::now();
        server.respond_in_background(accept(), "m 1\n".to_owned());
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "the caller waited"
        );
        let mut good = TcpStream::connect(addr).unwrap();
        good.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
        server.respond_in_background(accept(), "m 1\n".to_owned());
        let mut answer = String::new();
        good.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.0 200 OK"), "{answer}");
        assert!(answer.ends_with("\r\n\r\nm 1\n"), "{answer}");
    }

    #[test]
    fn exposition_format() {
        let stats = vec![
            RowBuilder::new()
                .int("in-errors", 0)
                .int("in-no-states", 3)
                .build(),
        ];
        let sas = vec![
            RowBuilder::new()
                .text("spi", "0x1001")
                .text("src-address", "192.0.2.2")
                .text("dst-address", "192.0.2.1")
                .text("direction", "in")
                .int("current-bytes", 1500)
                .int("current-packets", 1)
                .opt_int("policy", Some(0))
                .build(),
        ];
        let peers = vec![
            RowBuilder::new()
                .text("peer", "site-b")
                .text("remote-address", "192.0.2.2:500")
                .text("state", "established")
                .text("spi-i", "00ff")
                .int("ph2-total", 1)
                .build(),
        ];
        let text = render(&stats, &sas, &peers);
        assert!(text.contains("tunsec_ipsec_statistics_total{counter=\"in-no-states\"} 3\n"));
        assert!(text.contains(
            "tunsec_sa_bytes_total{spi=\"0x1001\",direction=\"in\",src=\"192.0.2.2\",dst=\"192.0.2.1\",policy=\"0\"} 1500\n"
        ));
        assert!(text.contains("tunsec_ike_sas{state=\"established\"} 1\n"));
        assert!(text.contains("tunsec_ike_sas{state=\"connecting\"} 0\n"));
        assert!(text.contains("tunsec_installed_sas 1\n"));
        // Every sample line is `name{labels} value` or `name value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<u64>().is_ok(), "{line}");
        }
    }
}
