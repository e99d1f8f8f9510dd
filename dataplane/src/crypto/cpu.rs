//! CPU crypto features and which transforms run on them (`tunsec hwinfo`, `hw-aead`).
//!
//! The RustCrypto crates pick their backends at run time (aes: AES-NI/VAES; polyval for GHASH:
//! PCLMULQDQ+AVX; sha1/sha2: SHA-NI; chacha20 and poly1305: AVX2). This module mirrors those
//! checks so that a transform can say truthfully whether it runs on CPU instructions. The rule,
//! used by every transform's `accelerated()` and by [`hwinfo_table`] alike:
//!
//! - AES-CBC and AES-CTR: AES-NI.
//! - AES-GCM and AES-GMAC: AES-NI, and PCLMULQDQ with AVX for GHASH (polyval's own condition).
//! - ChaCha20-Poly1305: AVX2 (both chacha20 and poly1305 have AVX2 backends).
//! - HMAC-SHA1: SHA-NI (with SSSE3 and SSE4.1); HMAC-SHA-256: SHA-NI (with SSE4.1).
//! - DES, 3DES, Blowfish, Twofish, Camellia, HMAC-MD5, HMAC-SHA-384/512: never (table-based
//!   or plain scalar code; sha2 uses AVX2 for SHA-512 message scheduling, which is SIMD, not a
//!   crypto instruction, so it is not counted).
//! - A cipher+HMAC transform is accelerated only if both halves are; a NULL half does not count
//!   against it.
//!
//! Detection only covers x86_64; elsewhere every feature reads as absent and nothing is
//! reported as accelerated, even where the crates use ARMv8 crypto extensions.

use std::fmt::Write as _;
use std::sync::OnceLock;

use super::{AuthAlgorithm, EncAlgorithm};

/// x86_64 CPU features that matter to the crypto backends, as detected at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuFeatures {
    pub aes_ni: bool,
    pub pclmulqdq: bool,
    pub vaes: bool,
    pub vpclmulqdq: bool,
    pub sha_ni: bool,
    pub avx: bool,
    pub avx2: bool,
    pub avx512f: bool,
    pub avx512vl: bool,
    pub ssse3: bool,
    pub sse41: bool,
}

impl CpuFeatures {
    /// Every feature with its `hwinfo` name, in display order.
    pub fn list(&self) -> [(&'static str, bool); 11] {
        [
            ("aes-ni", self.aes_ni),
            ("pclmulqdq", self.pclmulqdq),
            ("vaes", self.vaes),
            ("vpclmulqdq", self.vpclmulqdq),
            ("sha-ni", self.sha_ni),
            ("avx", self.avx),
            ("avx2", self.avx2),
            ("avx512f", self.avx512f),
            ("avx512vl", self.avx512vl),
            ("ssse3", self.ssse3),
            ("sse4.1", self.sse41),
        ]
    }
}

/// The features of the CPU this process runs on, detected once.
pub fn detect() -> CpuFeatures {
    static FEATURES: OnceLock<CpuFeatures> = OnceLock::new();
    *FEATURES.get_or_init(detect_uncached)
}

#[cfg(target_arch = "x86_64")]
fn detect_uncached() -> CpuFeatures {
    use std::arch::is_x86_feature_detected as has;
    CpuFeatures {
        aes_ni: has!("aes"),
        pclmulqdq: has!("pclmulqdq"),
        vaes: has!("vaes"),
        vpclmulqdq: has!("vpclmulqdq"),
        sha_ni: has!("sha"),
        avx: has!("avx"),
        avx2: has!("avx2"),
        avx512f: has!("avx512f"),
        avx512vl: has!("avx512vl"),
        ssse3: has!("ssse3"),
        sse41: has!("sse4.1"),
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_uncached() -> CpuFeatures {
    CpuFeatures::default()
}

/// What runs one half (cipher or integrity) of a transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Nothing to run: NULL encryption, or the integrity half of an AEAD.
    Unused,
    /// CPU crypto instructions, named for `hwinfo`.
    Hardware(&'static str),
    /// Portable software.
    Software,
}

/// What runs the cipher of `enc` on a CPU with `features`.
pub fn cipher_engine(enc: EncAlgorithm, features: &CpuFeatures) -> Engine {
    use EncAlgorithm::*;
    match enc {
        Null => Engine::Unused,
        AesCbc(_) | AesCtr(_) if features.aes_ni => Engine::Hardware(aes_name(features)),
        AesGcm { .. } | AesGmac(_) if features.aes_ni && features.pclmulqdq && features.avx => {
            Engine::Hardware(if features.vaes {
                "VAES+PCLMULQDQ"
            } else {
                "AES-NI+PCLMULQDQ"
            })
        }
        ChaCha20Poly1305 if features.avx2 => Engine::Hardware("AVX2"),
        _ => Engine::Software,
    }
}

/// What runs the HMAC of `auth` on a CPU with `features`.
pub fn integrity_engine(auth: AuthAlgorithm, features: &CpuFeatures) -> Engine {
    match auth {
        AuthAlgorithm::Null => Engine::Unused,
        AuthAlgorithm::Sha1 if features.sha_ni && features.ssse3 && features.sse41 => {
            Engine::Hardware("SHA-NI")
        }
        AuthAlgorithm::Sha256 if features.sha_ni && features.sse41 => Engine::Hardware("SHA-NI"),
        _ => Engine::Software,
    }
}

/// Whether an ESP transform `enc` + `auth` runs on CPU crypto instructions: no half in
/// software and at least one half in hardware. This is what every transform's
/// `accelerated()` returns.
pub fn esp_accelerated(enc: EncAlgorithm, auth: AuthAlgorithm, features: &CpuFeatures) -> bool {
    let halves = [
        cipher_engine(enc, features),
        integrity_engine(auth, features),
    ];
    !halves.contains(&Engine::Software) && halves.iter().any(|e| matches!(e, Engine::Hardware(_)))
}

/// Whether HMAC `auth` alone (as AH uses it) runs on CPU crypto instructions.
pub fn integrity_accelerated(auth: AuthAlgorithm, features: &CpuFeatures) -> bool {
    matches!(integrity_engine(auth, features), Engine::Hardware(_))
}

fn aes_name(features: &CpuFeatures) -> &'static str {
    // aes 0.9 prefers VAES-512 (avx512f+vaes), then VAES-256, then AES-NI.
    match (features.vaes, features.avx512f) {
        (true, true) => "VAES-512",
        (true, false) => "VAES-256",
        _ => "AES-NI",
    }
}

fn describe(engines: &[Engine]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for engine in engines {
        match engine {
            Engine::Unused => {}
            Engine::Hardware(name) => parts.push(name),
            Engine::Software => parts.push("software"),
        }
    }
    parts.dedup();
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(" + ")
    }
}

/// The `tunsec hwinfo` report for this CPU.
pub fn hwinfo_table() -> String {
    render_hwinfo(&detect())
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// [`hwinfo_table`] for any feature set (tests render tables for made-up CPUs).
pub fn render_hwinfo(features: &CpuFeatures) -> String {
    fn row(out: &mut String, name: &str, auth: &str, hw: &str, instructions: &str) {
        let _ = writeln!(out, "{name:<20} {auth:<8} {hw:<8} {instructions}");
    }
    let mut out = String::new();
    let _ = writeln!(out, "{:<12} present", "cpu-feature");
    for (name, present) in features.list() {
        let _ = writeln!(out, "{:<12} {}", name, yes_no(present));
    }
    out.push('\n');
    row(&mut out, "enc-algorithm", "auth", "hw-aead", "instructions");
    for &enc in EncAlgorithm::all() {
        let auth = if enc.is_aead() {
            AuthAlgorithm::Null
        } else {
            AuthAlgorithm::Sha256
        };
        let engines = [
            cipher_engine(enc, features),
            integrity_engine(auth, features),
        ];
        let hw = yes_no(esp_accelerated(enc, auth, features));
        row(&mut out, enc.name(), auth.name(), hw, &describe(&engines));
    }
    out.push('\n');
    row(&mut out, "auth-algorithm", "", "hw", "instructions");
    for &auth in AuthAlgorithm::all() {
        if auth == AuthAlgorithm::Null {
            continue;
        }
        let hw = yes_no(integrity_accelerated(auth, features));
        let name = format!("hmac-{}", auth.name());
        row(
            &mut out,
            &name,
            "",
            hw,
            &describe(&[integrity_engine(auth, features)]),
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::crypto::KeyBits;

    fn all_features() -> CpuFeatures {
        CpuFeatures {
            aes_ni: true,
            pclmulqdq: true,
            vaes: false,
            vpclmulqdq: false,
            sha_ni: true,
            avx: true,
            avx2: true,
            avx512f: false,
            avx512vl: false,
            ssse3: true,
            sse41: true,
        }
    }

    #[test]
    fn detect_is_cached_and_stable() {
        assert_eq!(detect(), detect());
    }

    #[test]
    fn rules_on_a_modern_cpu() {
        let f = all_features();
        let gcm = EncAlgorithm::AesGcm {
            key: KeyBits::K256,
            icv_len: 16,
        };
        assert!(esp_accelerated(gcm, AuthAlgorithm::Null, &f));
        assert!(esp_accelerated(
            EncAlgorithm::AesCbc(KeyBits::K128),
            AuthAlgorithm::Sha256,
            &f
        ));
        assert!(esp_accelerated(
            EncAlgorithm::AesCbc(KeyBits::K128),
            AuthAlgorithm::Sha1,
            &f
        ));
        // One software half is enough to make the whole transform software.
        assert!(!esp_accelerated(
            EncAlgorithm::AesCbc(KeyBits::K128),
            AuthAlgorithm::Sha512,
            &f
        ));
        assert!(!esp_accelerated(
            EncAlgorithm::AesCbc(KeyBits::K128),
            AuthAlgorithm::Md5,
            &f
        ));
        assert!(!esp_accelerated(
            EncAlgorithm::TripleDes,
            AuthAlgorithm::Sha256,
            &f
        ));
        assert!(!esp_accelerated(
            EncAlgorithm::CamelliaCbc(KeyBits::K128),
            AuthAlgorithm::Sha256,
            &f
        ));
        assert!(esp_accelerated(
            EncAlgorithm::ChaCha20Poly1305,
            AuthAlgorithm::Null,
            &f
        ));
        assert!(esp_accelerated(
            EncAlgorithm::Null,
            AuthAlgorithm::Sha256,
            &f
        ));
        assert!(!esp_accelerated(
            EncAlgorithm::Null,
            AuthAlgorithm::Null,
            &f
        ));
    }

    #[test]
    fn gcm_needs_clmul_and_avx() {
        let gcm = EncAlgorithm::AesGcm {
            key: KeyBits::K128,
            icv_len: 16,
        };
        let mut f = all_features();
        f.pclmulqdq = false;
        assert!(!esp_accelerated(gcm, AuthAlgorithm::Null, &f));
        assert!(esp_accelerated(
            EncAlgorithm::AesCtr(KeyBits::K128),
            AuthAlgorithm::Sha256,
            &f
        ));
        let mut f = all_features();
        f.avx = false;
        assert!(!esp_accelerated(
            EncAlgorithm::AesGmac(KeyBits::K128),
            AuthAlgorithm::Null,
            &f
        ));
    }

    #[test]
    fn nothing_is_accelerated_without_features() {
        let f = CpuFeatures::default();
        for &enc in EncAlgorithm::all() {
            for &auth in AuthAlgorithm::all() {
                assert!(!esp_accelerated(enc, auth, &f), "{enc} {auth}");
            }
        }
    }

    #[test]
    fn table_lists_every_algorithm_and_feature() {
        let table = render_hwinfo(&all_features());
        for &enc in EncAlgorithm::all() {
            assert!(
                table
                    .lines()
                    .any(|l| l.starts_with(&format!("{} ", enc.name()))),
                "{enc}"
            );
        }
        assert!(table.contains("hmac-sha512"));
        assert!(table.contains("sha-ni       yes"));
        let gcm_line = table
            .lines()
            .find(|l| l.starts_with("aes-128-gcm "))
            .unwrap_or_default();
        assert!(
            gcm_line.contains("yes") && gcm_line.contains("AES-NI+PCLMULQDQ"),
            "{gcm_line}"
        );
        let des_line = table
            .lines()
            .find(|l| l.starts_with("des "))
            .unwrap_or_default();
        assert!(
            des_line.contains(" no ") && des_line.contains("software"),
            "{des_line}"
        );
        assert!(!hwinfo_table().is_empty());
    }
}
