//! IKEv2 cryptography: the PRFs and prf+ (`prf`), the IKE SA's ciphers and integrity
//! algorithms (`encr`, `integ`), Diffie-Hellman (`dh`), the key schedule of the IKE SA
//! (`keys`) and of child SAs (`child`), the Encrypted payload (`sk`), shared-key AUTH
//! (`auth`) and NAT detection hashes (`natd`).
//!
//! Everything here is a pure function of its inputs (randomness aside): no I/O, no clock.
//! Every secret is zeroized on drop and no Debug output shows one. Peer-controlled input
//! (KE data, SK bodies, AUTH values) yields errors, never panics.

mod auth;
mod child;
mod dh;
mod encr;
mod integ;
mod keys;
mod natd;
mod prf;
mod sk;

#[cfg(test)]
mod crosscheck;
#[cfg(test)]
mod tests;

pub use auth::{psk_auth, signed_octets, verify_psk_auth};
pub use child::{ChildKeys, child_keymat, child_keymat_len};
pub use dh::{DhError, DhGroup, DhPrivate};
pub use encr::{
    ENCR_AES_CBC, ENCR_AES_GCM_8, ENCR_AES_GCM_12, ENCR_AES_GCM_16, ENCR_CHACHA20_POLY1305, IkeEncr,
};
pub use integ::IkeInteg;
pub use keys::{IkeSaKeys, KeyError, SkeyseedInput};
pub use natd::nat_detection_hash;
pub use prf::Prf;
pub use sk::{SkCipher, SkError};

/// `n` random bytes from the operating system (nonces, SPIs).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    // getrandom only fails when the OS has no entropy source at all; retrying is all a
    // daemon can do, and it never happens on Linux after boot.
    while getrandom::fill(&mut out).is_err() {}
    out
}
