//! Entry points for cargo-fuzz (fuzz/fuzz_targets/ike_message.rs): hostile bytes into the
//! IKE codec and into a responder endpoint, which must answer or drop, never panic.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use super::endpoint::Endpoint;
use super::peers::{IkeConfig, ike_config};
use super::wire::{ParsedMessage, parse_chain};

fn responder_config() -> &'static IkeConfig {
    static CFG: OnceLock<IkeConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let text = r#"
[interface]
address = ["10.201.2.1/24"]
[[profile]]
name = "p"
dh-group = ["ecp256", "modp1024"]
hash-algorithm = "sha256"
[[proposal]]
name = "e"
enc-algorithms = ["aes-128-gcm", "aes-128-cbc"]
[[peer]]
name = "any"
address = "0.0.0.0/0"
exchange-mode = "ike2"
secret = "fuzz"
profile = "p"
passive = true
[[policy]]
src-address = "10.201.2.0/24"
dst-address = "10.201.1.0/24"
sa-src-address = "192.0.2.2"
sa-dst-address = "192.0.2.1"
tunnel = true
proposal = "e"
"#;
        crate::config::parse(text)
            .map(|c| ike_config(&c).0)
            .unwrap_or_default()
    })
}

/// Parses `data` as an IKE message and as a payload chain, then hands it to a passive
/// responder (first as IKE_SA_INIT traffic on port 500, then on 4500).
pub fn ike_message(data: &[u8]) {
    if let Ok(p) = ParsedMessage::parse(data)
        && let Some(sk) = &p.encrypted
    {
        let _ = sk.aad(data);
        let _ = sk.body(data);
    }
    if let Some((&first, rest)) = data.split_first() {
        let _ = parse_chain(super::wire::PayloadType(first), rest);
    }
    let now = Instant::now();
    let mut e = Endpoint::new(responder_config().clone(), now);
    let local: SocketAddr = ([192, 0, 2, 2], 500).into();
    let remote: SocketAddr = ([192, 0, 2, 1], 500).into();
    e.handle(now, local, remote, data);
    // A second message on the same endpoint reaches the SA the first one may have created.
    e.handle(now, local, remote, data);
    e.tick(now);
    let _ = e.take_actions();
}

/// Seed inputs: a real IKE_SA_INIT request as tunsec sends it.
pub fn seeds() -> Vec<Vec<u8>> {
    let text = r#"
[interface]
address = ["10.201.1.1/24"]
[[profile]]
name = "p"
dh-group = ["ecp256"]
hash-algorithm = "sha256"
[[proposal]]
name = "e"
enc-algorithms = ["aes-128-gcm"]
[[peer]]
name = "b"
address = "192.0.2.2/32"
local-address = "192.0.2.1"
exchange-mode = "ike2"
secret = "fuzz"
profile = "p"
[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.2.0/24"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
tunnel = true
proposal = "e"
"#;
    let Ok(cfg) = crate::config::parse(text) else {
        return Vec::new();
    };
    let mut e = Endpoint::new(ike_config(&cfg).0, Instant::now());
    e.tick(Instant::now());
    e.take_actions()
        .into_iter()
        .filter_map(|a| match a {
            super::endpoint::Action::Send { message, .. } => Some(message),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn seeds_are_accepted_and_fuzz_entry_survives_them() {
        let seeds = super::seeds();
        assert!(!seeds.is_empty());
        for s in &seeds {
            super::ike_message(s);
        }
        if std::env::var_os("TUNSEC_WRITE_SEEDS").is_some() {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/seeds/ike_message");
            std::fs::create_dir_all(dir).unwrap();
            for (i, s) in seeds.iter().enumerate() {
                std::fs::write(format!("{dir}/init-{i}"), s).unwrap();
            }
        }
    }
}
