//! The JSON field names of every menu are an interface for scripts: this test builds each
//! menu from a configuration that uses every table, real SAs and an IKE SA report, and
//! compares the fields, their order and their JSON types with `docs/print-schema.json`.
//! Changing a field name or type fails here; update the schema and `docs/print-json.md`
//! only on purpose.

use std::time::Duration;

use serde_json::{Map, Value};
use tunsec_dataplane::ctl::SaReport;
use tunsec_dataplane::sa::{SecurityAssociation, Timestamp};
use tunsec_dataplane::spd::PolicyTable;
use tunsec_dataplane::stats::StatisticsSnapshot;

use super::menu::{Menu, Row};
use super::views;
use crate::config::parse;
use crate::ike::endpoint::RemotePeerReport;

const SCHEMA: &str = include_str!("../../../docs/print-schema.json");

const CONFIG: &str = r#"
[[group]]
name = "roadwarriors"

[[proposal]]
name = "site"
enc-algorithms = ["aes-128-gcm"]
auth-algorithms = ["sha256"]

[[profile]]
name = "site"
dh-group = ["ecp256"]
hash-algorithm = "sha256"

[[peer]]
name = "site-b"
address = "192.0.2.2/32"
local-address = "192.0.2.1"
exchange-mode = "ike2"
secret = "example"
profile = "site"

[[pool]]
name = "pool1"
ranges = ["10.201.9.10-10.201.9.99"]

[[mode-config]]
name = "clients"
responder = "yes"
address-pool = "pool1"
address-prefix-length = 32
split-include = ["10.201.1.0/24"]

[[user]]
name = "alice"
password = "pw"
address = "10.201.3.20"

[[key]]
name = "office"
file = "/etc/tunsec/office.pem"

[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.2.0/24"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
tunnel = "yes"
peer = "site-b"
proposal = "site"

[[policy]]
src-address = "10.201.1.0/24"
dst-address = "10.201.4.0/24"
sa-src-address = "192.0.2.1"
sa-dst-address = "192.0.2.2"
tunnel = "yes"
manual-sa = "manual"
comment = "keyed by hand"

[[manual-sa]]
name = "manual"
esp-enc-algorithm = "aes-128-gcm"
esp-enc-key = "0x000102030405060708090a0b0c0d0e0f10111213/0x101112131415161718191a1b1c1d1e1f20212223"
esp-spi = "0x2001/0x1001"
lifetime = "1h"
"#;

/// The JSON type name the schema uses for a value.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn rows(menu: Menu, show_keys: bool) -> Vec<Row> {
    let cfg = parse(CONFIG).unwrap();
    let spd = PolicyTable::new(cfg.policies());
    let sas: Vec<SaReport> = cfg
        .manual_sa_installs()
        .into_iter()
        .flat_map(|i| [i.inbound, i.outbound])
        .map(|p| {
            let mut sa = SecurityAssociation::new(p, Timestamp(0)).unwrap();
            sa.policy = Some(1);
            SaReport::of(&sa, 0, Timestamp(65_000), show_keys)
        })
        .collect();
    let peers = [RemotePeerReport {
        peer: "site-b".to_owned(),
        local: "192.0.2.1:500".parse().unwrap(),
        remote: "192.0.2.2:500".parse().unwrap(),
        state: "established",
        side: "initiator",
        natt_peer: false,
        uptime: Some(Duration::from_secs(75)),
        last_seen: Duration::from_secs(2),
        remote_id: "192.0.2.2".to_owned(),
        ph2_active: 1,
        spi_i: "0011223344556677".to_owned(),
        spi_r: "8899aabbccddeeff".to_owned(),
    }];
    match menu {
        Menu::Policy => views::policy(&spd, &sas),
        Menu::PolicyGroup => views::policy_group(&cfg),
        Menu::Proposal => views::proposal(&cfg),
        Menu::Peer => views::peer(&cfg, show_keys),
        Menu::Profile => views::profile(&cfg),
        Menu::ModeConfig => views::mode_config(&cfg),
        Menu::User => views::user(&cfg, show_keys),
        Menu::Key => views::key(&cfg),
        Menu::InstalledSa => views::installed_sa(&sas, Timestamp(65_000)),
        Menu::RemotePeers => views::remote_peers(&peers),
        Menu::Statistics => views::statistics(&StatisticsSnapshot::default()),
    }
}

#[test]
fn every_menu_matches_the_documented_schema() {
    let schema: Map<String, Value> = serde_json::from_str(SCHEMA).unwrap();
    let names: Vec<&str> = Menu::ALL.iter().map(|m| m.name()).collect();
    let documented: Vec<&str> = schema.keys().map(String::as_str).collect();
    assert_eq!(documented, names, "menus in docs/print-schema.json");
    for menu in Menu::ALL {
        let fields = schema[menu.name()].as_object().unwrap();
        for show_keys in [false, true] {
            let rows = rows(*menu, show_keys);
            assert!(!rows.is_empty(), "{menu}: the sample has no row");
            for row in &rows {
                let keys: Vec<&String> = row.keys().collect();
                let expected: Vec<&String> = fields.keys().collect();
                assert_eq!(keys, expected, "{menu}: field names and order");
                for (key, value) in row {
                    let allowed = fields[key].as_str().unwrap();
                    let t = type_of(value);
                    assert!(
                        allowed.split('|').any(|a| a == t),
                        "{menu}.{key}: {t} ({value}) is not {allowed}"
                    );
                }
            }
        }
    }
}

#[test]
fn secrets_only_with_show_keys() {
    for (menu, key) in [
        (Menu::Peer, "secret"),
        (Menu::User, "password"),
        (Menu::InstalledSa, "enc-key"),
        (Menu::InstalledSa, "auth-key"),
    ] {
        assert!(
            rows(menu, false).iter().all(|r| r[key].is_null()),
            "{menu}.{key}"
        );
    }
    assert_eq!(rows(Menu::Peer, true)[0]["secret"], "example");
    assert_eq!(rows(Menu::User, true)[0]["password"], "pw");
    let sas = rows(Menu::InstalledSa, true);
    let keys: Vec<&str> = sas.iter().filter_map(|r| r["enc-key"].as_str()).collect();
    assert!(
        keys.contains(&"000102030405060708090a0b0c0d0e0f10111213"),
        "{keys:?}"
    );
}

#[test]
fn runtime_values_are_the_manuals() {
    let policy = rows(Menu::Policy, false);
    assert_eq!(policy[1]["ph2-count"], 1);
    assert_eq!(policy[1]["manual-sa"], "manual");
    assert_eq!(policy[0]["ph2-count"], 0);
    assert_eq!(policy[0]["active"], true);
    let sas = rows(Menu::InstalledSa, false);
    assert_eq!(sas[0]["spi"], "0x2001");
    assert_eq!(sas[0]["direction"], "in");
    assert_eq!(sas[0]["add-lifetime"], "54m/1h");
    assert_eq!(sas[0]["addtime"], "1m5s ago");
    assert_eq!(sas[0]["esp"], true);
    let peers = rows(Menu::RemotePeers, false);
    assert_eq!(peers[0]["uptime"], "1m15s");
    assert_eq!(peers[0]["ph2-total"], 1);
    let proposals = rows(Menu::Proposal, false);
    assert_eq!(proposals[0]["name"], "default");
    assert_eq!(proposals[0]["default"], true);
    assert_eq!(proposals[0]["pfs-group"], "modp1024");
}
