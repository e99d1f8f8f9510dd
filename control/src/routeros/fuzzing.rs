//! Entry point for cargo-fuzz (fuzz/fuzz_targets/routeros_import.rs): hostile bytes as a
//! RouterOS script. The import must finish with TOML or a syntax error, never panic, and what
//! it writes must be TOML that the configuration check judges without panicking either.

use super::{ImportOptions, import};

pub fn import_script(data: &[u8]) {
    let Ok(script) = std::str::from_utf8(data) else {
        return;
    };
    for ike2 in [false, true] {
        if let Ok(imported) = import(script, "fuzz", &ImportOptions { ike2 }) {
            if let Err(e) = toml::from_str::<toml::Table>(&imported.toml) {
                panic!("the import wrote TOML that does not parse: {e}");
            }
            let _ = crate::config::parse(&imported.toml);
        }
    }
}
