//! IKEv2 cryptography: PRFs and prf+ (`prf`), Diffie-Hellman groups (`dh`), the RFC 7296
//! key schedule (`keys`), the encrypted payload (`sk`), pre-shared-key AUTH and NAT
//! detection hashes (`auth`). Every secret is zeroized on drop and no Debug output shows one.

mod auth;
pub(crate) mod dh;
mod keys;
mod prf;
mod sk;

pub use auth::{nat_detection_hash, psk_auth, signed_octets, verify_psk_auth};
pub use dh::{DhError, DhGroup, DhPrivate};
pub use keys::{IkeSaKeys, KeyError, SkeyseedInput, child_keymat};
pub use prf::Prf;
pub use sk::{IkeEncr, IkeInteg, SkCipher, SkError};

/// `n` random bytes from the operating system (nonces, SPIs).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    // getrandom only fails when the OS has no entropy source at all; retrying is all a
    // daemon can do, and it never happens on Linux after boot.
    while getrandom::fill(&mut out).is_err() {}
    out
}

#[cfg(test)]
mod tests;
