//! The optional Prometheus endpoint (`[daemon] metrics-listen`, off by default): a plain
//! HTTP/1.0 answer to `GET /metrics` in the text exposition format, built from the same
//! rows as `print statistics`, `print installed-sa` and `print remote-peers`.
//!
//! It is served from the control thread's loop: each scrape is one short-lived connection
//! with tight timeouts, so a stuck client costs the loop at most a second.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use serde_json::Value;

use super::menu::Row;

/// How long a scraper may take to send its request or read the answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);

/// The listening socket.
pub struct MetricsServer {
    listener: TcpListener,
}

impl MetricsServer {
    pub fn bind(addr: SocketAddr) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(MetricsServer { listener })
    }

    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }

    /// The next waiting scraper with its request path, or `None` when nobody waits.
    pub fn accept(&self) -> io::Result<Option<(TcpStream, String)>> {
        let (mut stream, _) = match self.listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) => return Err(e),
        };
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
        stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        // The request line is all we need; stop at the end of the head or at 8 KiB.
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        let text = String::from_utf8_lossy(&head);
        let path = match text.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["GET", path, ..] => (*path).to_owned(),
            _ => String::new(),
        };
        Ok(Some((stream, path)))
    }
}

/// Writes the answer for `path`: the metrics for `/metrics`, 404 otherwise.
pub fn respond(mut stream: TcpStream, path: &str, body: impl FnOnce() -> String) {
    let answer = if path == "/metrics" {
        let body = body();
        format!(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    } else {
        "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nonly /metrics is here".to_owned()
    };
    let _ = stream.write_all(answer.as_bytes());
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
