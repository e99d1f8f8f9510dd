//! HMAC integrity (RFC 2403, 2404, 4868) for AH and for ESP's cipher+HMAC transforms.
//!
//! The keyed inner and outer hash states (ipad/opad) are computed once in [`Integrity::new`];
//! every packet clones that state, so a packet costs only the hashing of its own bytes.

use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use super::{AuthAlgorithm, CryptoError, cpu};

/// Pre-keyed HMAC state for one SA, truncated to the algorithm's ICV length.
///
/// Key material lives only inside the `Hmac` values: with the `zeroize` features of
/// hmac/digest/sha1/sha2/md-5 enabled, the hash cores (the ipad/opad chaining values, the
/// only key-derived state) and their block buffers wipe themselves on drop, and so do the
/// per-packet clones and `CtOutput` tags. Not covered: the padded key block that
/// `Hmac::new_from_slice` builds on its own stack frame is not wiped by the hmac crate.
#[derive(Clone)]
pub struct Integrity {
    alg: AuthAlgorithm,
    mac: KeyedMac,
    accelerated: bool,
}

#[derive(Clone)]
enum KeyedMac {
    Null,
    Md5(Hmac<Md5>),
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl std::fmt::Debug for Integrity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integrity")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// MAC over the concatenation of `parts`, first `out.len()` bytes written to `out`.
fn mac_parts<M: Mac + Clone>(keyed: &M, parts: &[&[u8]], out: &mut [u8]) {
    let mut mac = keyed.clone();
    for part in parts {
        mac.update(part);
    }
    let tag = mac.finalize();
    let tag = tag.as_bytes();
    let n = out.len().min(tag.len());
    out[..n].copy_from_slice(&tag[..n]);
}

fn verify_parts<M: Mac + Clone>(keyed: &M, parts: &[&[u8]], icv: &[u8]) -> Result<(), CryptoError> {
    let mut mac = keyed.clone();
    for part in parts {
        mac.update(part);
    }
    // Constant-time comparison of the leftmost icv.len() bytes (RFC 2104 truncation).
    mac.verify_truncated_left(icv)
        .map_err(|_| CryptoError::IcvMismatch)
}

impl Integrity {
    /// Keys `alg` with `key`, which must be exactly `alg.key_len()` bytes (RFC 2403/2404/4868).
    pub fn new(alg: AuthAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        if key.len() != alg.key_len() {
            return Err(CryptoError::KeyLength {
                algorithm: alg.name(),
                expected: alg.key_len(),
                actual: key.len(),
            });
        }
        Self::new_any_key_length(alg, key)
    }

    /// Keys `alg` with a key of any length, as plain HMAC (RFC 2104) allows. IPsec SAs use
    /// [`Integrity::new`]; this exists for published HMAC test vectors with other key sizes.
    #[doc(hidden)]
    pub fn new_any_key_length(alg: AuthAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        // HMAC accepts keys of any length, so new_from_slice does not fail in practice; if it
        // ever did, report the key length rather than unwrap.
        fn keyed<M: KeyInit>(alg: AuthAlgorithm, key: &[u8]) -> Result<M, CryptoError> {
            M::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
                algorithm: alg.name(),
                expected: alg.key_len(),
                actual: key.len(),
            })
        }
        let mac = match alg {
            AuthAlgorithm::Null => KeyedMac::Null,
            AuthAlgorithm::Md5 => KeyedMac::Md5(keyed(alg, key)?),
            AuthAlgorithm::Sha1 => KeyedMac::Sha1(keyed(alg, key)?),
            AuthAlgorithm::Sha256 => KeyedMac::Sha256(keyed(alg, key)?),
            AuthAlgorithm::Sha384 => KeyedMac::Sha384(keyed(alg, key)?),
            AuthAlgorithm::Sha512 => KeyedMac::Sha512(keyed(alg, key)?),
        };
        Ok(Self {
            alg,
            mac,
            accelerated: cpu::integrity_accelerated(alg, &cpu::detect()),
        })
    }

    pub fn algorithm(&self) -> AuthAlgorithm {
        self.alg
    }

    /// Bytes of truncated ICV (0 for null integrity).
    pub fn icv_len(&self) -> usize {
        self.alg.icv_len()
    }

    /// Whether the hash runs on CPU instructions (SHA-NI for SHA-1 and SHA-256).
    pub fn accelerated(&self) -> bool {
        self.accelerated
    }

    /// Writes the ICV over the concatenation of `parts` into `out[..icv_len()]`.
    pub fn compute(&self, parts: &[&[u8]], out: &mut [u8]) {
        debug_assert!(out.len() >= self.icv_len(), "ICV buffer too short");
        let n = self.icv_len().min(out.len());
        let out = &mut out[..n];
        match &self.mac {
            KeyedMac::Null => {}
            KeyedMac::Md5(m) => mac_parts(m, parts, out),
            KeyedMac::Sha1(m) => mac_parts(m, parts, out),
            KeyedMac::Sha256(m) => mac_parts(m, parts, out),
            KeyedMac::Sha384(m) => mac_parts(m, parts, out),
            KeyedMac::Sha512(m) => mac_parts(m, parts, out),
        }
    }

    /// Checks `icv` against the ICV over the concatenation of `parts`, in constant time.
    /// An `icv` of the wrong length is a mismatch.
    pub fn verify(&self, parts: &[&[u8]], icv: &[u8]) -> Result<(), CryptoError> {
        if icv.len() != self.icv_len() {
            return Err(CryptoError::IcvMismatch);
        }
        match &self.mac {
            KeyedMac::Null => Ok(()),
            KeyedMac::Md5(m) => verify_parts(m, parts, icv),
            KeyedMac::Sha1(m) => verify_parts(m, parts, icv),
            KeyedMac::Sha256(m) => verify_parts(m, parts, icv),
            KeyedMac::Sha384(m) => verify_parts(m, parts, icv),
            KeyedMac::Sha512(m) => verify_parts(m, parts, icv),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn key(alg: AuthAlgorithm) -> Vec<u8> {
        (0..alg.key_len()).map(|i| i as u8 ^ 0x5a).collect()
    }

    #[test]
    fn wrong_key_length_is_rejected() {
        for &alg in AuthAlgorithm::all() {
            let mut k = key(alg);
            k.push(0);
            let err = Integrity::new(alg, &k).unwrap_err();
            assert!(
                matches!(err, CryptoError::KeyLength { expected, actual, .. }
                if expected == alg.key_len() && actual == alg.key_len() + 1)
            );
        }
    }

    #[test]
    fn compute_verify_round_trip_and_tamper() {
        for &alg in AuthAlgorithm::all() {
            let mac = Integrity::new(alg, &key(alg)).unwrap();
            assert_eq!(mac.algorithm(), alg);
            assert_eq!(mac.icv_len(), alg.icv_len());
            let mut icv = [0u8; 64];
            mac.compute(&[b"hello ", b"world"], &mut icv);
            let icv = &icv[..mac.icv_len()];
            mac.verify(&[b"hello world"], icv).unwrap();
            if alg == AuthAlgorithm::Null {
                assert!(mac.verify(&[b"x"], &[]).is_ok());
                assert_eq!(mac.verify(&[b"x"], &[0]), Err(CryptoError::IcvMismatch));
                continue;
            }
            assert_eq!(
                mac.verify(&[b"hello world!"], icv),
                Err(CryptoError::IcvMismatch)
            );
            let mut bad = icv.to_vec();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                mac.verify(&[b"hello world"], &bad),
                Err(CryptoError::IcvMismatch)
            );
            // Truncated or over-long ICVs are mismatches, never panics.
            assert_eq!(
                mac.verify(&[b"hello world"], &icv[..4]),
                Err(CryptoError::IcvMismatch)
            );
            assert_eq!(
                mac.verify(&[b"hello world"], &[]),
                Err(CryptoError::IcvMismatch)
            );
            let mut long = icv.to_vec();
            long.push(0);
            assert_eq!(
                mac.verify(&[b"hello world"], &long),
                Err(CryptoError::IcvMismatch)
            );
        }
    }

    #[test]
    fn null_writes_nothing() {
        let mac = Integrity::new(AuthAlgorithm::Null, &[]).unwrap();
        let mut out = [7u8; 4];
        mac.compute(&[b"abc"], &mut out);
        assert_eq!(out, [7u8; 4]);
    }

    #[test]
    fn accelerated_follows_cpu_rule() {
        for &alg in AuthAlgorithm::all() {
            let mac = Integrity::new(alg, &key(alg)).unwrap();
            assert_eq!(
                mac.accelerated(),
                cpu::integrity_accelerated(alg, &cpu::detect())
            );
        }
    }
}
