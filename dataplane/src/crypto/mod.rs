//! ESP and AH cryptographic transforms.
//!
//! Every ESP transform, AEAD or cipher+HMAC, has one shape: [`EspTransform`] seals and opens a
//! payload in place given the ESP header, so `esp.rs` has a single encrypt and decrypt path
//! (the idea strongSwan's libipsec uses by wrapping CBC+HMAC as an AEAD). Key schedules,
//! GHASH keys and HMAC ipad/opad states are built once per SA in [`build_esp_transform`],
//! never per packet. AH uses [`Integrity`] alone.

mod aead;
mod algorithm;
pub mod cpu;
mod enc_then_mac;
mod integrity;

pub use algorithm::{AuthAlgorithm, EncAlgorithm, KeyBits, UnknownAlgorithm};
pub use integrity::Integrity;

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::AesGcm as Gcm;
use camellia::{Camellia128, Camellia192, Camellia256};
use cipher::consts::{U8, U12, U16};

use aead::{AeadTransform, Gmac, SALT_LEN, keyed};
use enc_then_mac::{CTR_NONCE_LEN, Cbc, CipherMode, Ctr, EncThenMac, NullCipher};

/// Why a transform could not be built or a packet could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("{algorithm} needs a {expected}-byte key (including any salt), got {actual} bytes")]
    KeyLength {
        algorithm: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error(
        "{enc} is an AEAD and carries its own integrity; auth algorithm must be null, not {auth}"
    )]
    AeadWithAuth {
        enc: &'static str,
        auth: &'static str,
    },
    #[error("{enc} provides no integrity; ESP without integrity needs a non-null auth algorithm")]
    NoIntegrity { enc: &'static str },
    #[error("integrity check value mismatch")]
    IcvMismatch,
    #[error("ciphertext length {len} is not a multiple of the {block}-byte block")]
    BlockAlignment { len: usize, block: usize },
    /// A parameter the algorithm enums can express but no transform implements (an AES-GCM
    /// ICV other than 8, 12 or 16 bytes), or a payload beyond what the cipher can process.
    #[error("{enc}: {reason}")]
    Unsupported {
        enc: &'static str,
        reason: &'static str,
    },
}

/// One SA's ESP transform: cipher, integrity and IV generation, with all key material expanded.
///
/// Contract for implementations:
/// - `seal` writes exactly `iv_len()` bytes of IV into `iv`, encrypts `payload` (plaintext
///   including the ESP trailer, already padded to `block_len()`) in place, and writes exactly
///   `icv_len()` bytes into `icv`.
/// - `open` verifies the ICV **before** decrypting (encrypt-then-MAC, or the AEAD's own check)
///   and leaves `payload` unspecified on error. ICVs are compared in constant time.
/// - `header` is the 8-byte ESP header on the wire (SPI, low 32 bits of the sequence number).
///   `seq_hi` is `Some(high 32 bits)` when the SA uses Extended Sequence Numbers: it joins the
///   AEAD's AAD (RFC 4106 section 5) or is appended to the HMAC input (RFC 4303 section 2.2.1).
/// - IVs never repeat within an SA: they are derived from the 64-bit sequence number (and, for
///   CBC, encrypted so they are unpredictable, NIST SP 800-38A appendix C).
/// - Neither call allocates.
pub trait EspTransform: Send + Sync {
    /// Bytes of explicit IV that follow the ESP header.
    fn iv_len(&self) -> usize;
    /// Bytes of integrity check value at the end of the packet.
    fn icv_len(&self) -> usize;
    /// Payload plus trailer must be a multiple of this (the cipher block, at least 4).
    fn block_len(&self) -> usize;
    /// Whether this transform runs on CPU crypto instructions (the manual's `hw-aead`).
    fn accelerated(&self) -> bool;
    fn seal(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &mut [u8],
        payload: &mut [u8],
        icv: &mut [u8],
    );
    fn open(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        payload: &mut [u8],
        icv: &[u8],
    ) -> Result<(), CryptoError>;
}

// Key hygiene. Every key schedule a transform keeps is wiped on drop by its crate's `zeroize`
// feature (aes, des, blowfish, twofish, camellia, chacha20poly1305 and aes-gcm implement
// `ZeroizeOnDrop`; the test `key_holders_zeroize_on_drop` checks the bounds at compile time).
// GHASH keys (H) are wiped by ghash/polyval; HMAC ipad/opad states by the sha1/sha2/md-5 cores
// (see `Integrity`). Our own copies of key bytes, the GCM/GMAC/ChaCha20 salts and the CTR
// nonce, sit in `zeroize::Zeroizing`. Not covered: temporaries the crates build on the stack
// while expanding a key (for example hmac's padded key block) and the caller's key slices,
// which the SA code owns. `iv_seed` is not secret: it shows on the wire as the first IV.

/// Bytes of the ESP header (SPI, low 32 bits of the sequence number) that `header` holds.
const ESP_SPI: std::ops::Range<usize> = 0..4;
const ESP_SEQ_LO: std::ops::Range<usize> = 4..8;

/// The packet's full 64-bit sequence number: `seq_hi` (ESN) above the header's low 32 bits.
fn full_seq(header: &[u8; 8], seq_hi: Option<u32>) -> u64 {
    let mut lo = [0u8; 4];
    lo.copy_from_slice(&header[ESP_SEQ_LO]);
    (u64::from(seq_hi.unwrap_or(0)) << 32) | u64::from(u32::from_be_bytes(lo))
}

/// AEAD associated data, SPI ‖ seq (8 bytes) or with ESN SPI ‖ seq_hi ‖ seq_lo (12 bytes),
/// RFC 4106 section 5 / RFC 4543 section 3.3 / RFC 7634 section 2.1.
struct EspAad {
    bytes: [u8; 12],
    len: usize,
}

impl EspAad {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

fn esp_aad(header: &[u8; 8], seq_hi: Option<u32>) -> EspAad {
    let mut bytes = [0u8; 12];
    bytes[ESP_SPI].copy_from_slice(&header[ESP_SPI]);
    match seq_hi {
        None => {
            bytes[ESP_SEQ_LO].copy_from_slice(&header[ESP_SEQ_LO]);
            EspAad { bytes, len: 8 }
        }
        Some(hi) => {
            bytes[4..8].copy_from_slice(&hi.to_be_bytes());
            bytes[8..12].copy_from_slice(&header[ESP_SEQ_LO]);
            EspAad { bytes, len: 12 }
        }
    }
}

/// Every transform can also seal with an IV given from outside; `seal` is "make the IV from
/// the sequence number, then this". Only the published-vector hook [`seal_with_iv`] uses it.
trait SealWithIv: EspTransform {
    fn seal_with_iv(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        payload: &mut [u8],
        icv: &mut [u8],
    );
}

/// Builds the ESP transform for one SA.
///
/// `enc_key` is the encryption keying material including the 4-byte salt/nonce of CTR, GCM,
/// GMAC and ChaCha20-Poly1305 ([`EncAlgorithm::key_len`]); `auth_key` is the HMAC key
/// ([`AuthAlgorithm::key_len`]). `iv_seed` is a random value the caller picks when it creates
/// the SA: each packet's IV derives from `iv_seed + 64-bit sequence number`, so IVs never
/// repeat within the SA, and a manually keyed SA restarted with the same keys and its
/// sequence numbers back at 1 does not repeat the IVs (or CTR/GCM nonces) of its previous
/// life. Counter-mode and AEAD ciphers send that value big-endian as their 8-byte IV; CBC
/// ciphers send it encrypted under the SA's key, which makes it unpredictable
/// (NIST SP 800-38A appendix C).
pub fn build_esp_transform(
    enc: EncAlgorithm,
    enc_key: &[u8],
    auth: AuthAlgorithm,
    auth_key: &[u8],
    iv_seed: u64,
) -> Result<Box<dyn EspTransform>, CryptoError> {
    Ok(build(enc, enc_key, auth, auth_key, iv_seed)?)
}

/// Seals one packet with an explicit IV instead of the sequence-derived one, so published
/// test vectors (RFC 3602 CBC cases, which fix the IV) can be checked byte for byte. Builds
/// the transform on every call: for tests only.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn seal_with_iv(
    enc: EncAlgorithm,
    enc_key: &[u8],
    auth: AuthAlgorithm,
    auth_key: &[u8],
    header: &[u8; 8],
    seq_hi: Option<u32>,
    iv: &[u8],
    payload: &mut [u8],
    icv: &mut [u8],
) -> Result<(), CryptoError> {
    let transform = build(enc, enc_key, auth, auth_key, 0)?;
    if iv.len() != transform.iv_len() || icv.len() != transform.icv_len() {
        return Err(CryptoError::IcvMismatch);
    }
    let block = enc_cipher_block(enc);
    if !payload.len().is_multiple_of(block) {
        return Err(CryptoError::BlockAlignment {
            len: payload.len(),
            block,
        });
    }
    transform.seal_with_iv(header, seq_hi, iv, payload, icv);
    Ok(())
}

/// The cipher's own block: what a CBC payload must be a multiple of (1 for stream modes).
fn enc_cipher_block(enc: EncAlgorithm) -> usize {
    use EncAlgorithm::*;
    match enc {
        Des | TripleDes | Blowfish => 8,
        AesCbc(_) | Twofish | CamelliaCbc(_) => 16,
        _ => 1,
    }
}

fn build(
    enc: EncAlgorithm,
    enc_key: &[u8],
    auth: AuthAlgorithm,
    auth_key: &[u8],
    iv_seed: u64,
) -> Result<Box<dyn SealWithIv>, CryptoError> {
    if enc.is_aead() && auth != AuthAlgorithm::Null {
        return Err(CryptoError::AeadWithAuth {
            enc: enc.name(),
            auth: auth.name(),
        });
    }
    if enc == EncAlgorithm::Null && auth == AuthAlgorithm::Null {
        return Err(CryptoError::NoIntegrity { enc: enc.name() });
    }
    if enc_key.len() != enc.key_len() {
        return Err(CryptoError::KeyLength {
            algorithm: enc.name(),
            expected: enc.key_len(),
            actual: enc_key.len(),
        });
    }
    let accelerated = cpu::esp_accelerated(enc, auth, &cpu::detect());

    if enc.is_aead() {
        return build_aead(enc, enc_key, iv_seed, accelerated);
    }

    let integrity = Integrity::new(auth, auth_key)?;
    fn etm<M: CipherMode + 'static>(
        mode: M,
        integrity: Integrity,
        iv_seed: u64,
        accelerated: bool,
    ) -> Box<dyn SealWithIv> {
        Box::new(EncThenMac::new(mode, integrity, iv_seed, accelerated))
    }
    fn cbc<C>(name: &'static str, key: &[u8]) -> Result<Cbc<C>, CryptoError>
    where
        C: cipher::KeyInit,
    {
        Ok(Cbc::new(keyed::<C>(name, key)?))
    }
    fn ctr<C: cipher::KeyInit>(name: &'static str, key: &[u8]) -> Result<Ctr<C>, CryptoError> {
        let (key, nonce) = key.split_at(key.len() - CTR_NONCE_LEN);
        Ok(Ctr::new(keyed::<C>(name, key)?, nonce))
    }

    use EncAlgorithm::*;
    let name = enc.name();
    let key = enc_key;
    let (i, s, a) = (integrity, iv_seed, accelerated);
    Ok(match enc {
        Null => etm(NullCipher, i, s, a),
        Des => etm(cbc::<des::Des>(name, key)?, i, s, a),
        TripleDes => etm(cbc::<des::TdesEde3>(name, key)?, i, s, a),
        Blowfish => etm(cbc::<blowfish::Blowfish>(name, key)?, i, s, a),
        Twofish => etm(cbc::<twofish::Twofish>(name, key)?, i, s, a),
        AesCbc(KeyBits::K128) => etm(cbc::<Aes128>(name, key)?, i, s, a),
        AesCbc(KeyBits::K192) => etm(cbc::<Aes192>(name, key)?, i, s, a),
        AesCbc(KeyBits::K256) => etm(cbc::<Aes256>(name, key)?, i, s, a),
        CamelliaCbc(KeyBits::K128) => etm(cbc::<Camellia128>(name, key)?, i, s, a),
        CamelliaCbc(KeyBits::K192) => etm(cbc::<Camellia192>(name, key)?, i, s, a),
        CamelliaCbc(KeyBits::K256) => etm(cbc::<Camellia256>(name, key)?, i, s, a),
        AesCtr(KeyBits::K128) => etm(ctr::<Aes128>(name, key)?, i, s, a),
        AesCtr(KeyBits::K192) => etm(ctr::<Aes192>(name, key)?, i, s, a),
        AesCtr(KeyBits::K256) => etm(ctr::<Aes256>(name, key)?, i, s, a),
        AesGcm { .. } | AesGmac(_) | ChaCha20Poly1305 => {
            return build_aead(enc, enc_key, iv_seed, accelerated);
        }
    })
}

fn build_aead(
    enc: EncAlgorithm,
    enc_key: &[u8],
    iv_seed: u64,
    accelerated: bool,
) -> Result<Box<dyn SealWithIv>, CryptoError> {
    fn aead<A>(
        name: &'static str,
        key: &[u8],
        iv_seed: u64,
        accelerated: bool,
    ) -> Result<Box<dyn SealWithIv>, CryptoError>
    where
        A: aes_gcm::aead::AeadInOut
            + aes_gcm::aead::AeadCore<NonceSize = U12>
            + cipher::KeyInit
            + Send
            + Sync
            + 'static,
    {
        let (key, salt) = key.split_at(key.len() - SALT_LEN);
        Ok(Box::new(AeadTransform::new(
            keyed::<A>(name, key)?,
            salt,
            iv_seed,
            accelerated,
        )))
    }
    fn gmac<C>(
        name: &'static str,
        key: &[u8],
        iv_seed: u64,
        accelerated: bool,
    ) -> Result<Box<dyn SealWithIv>, CryptoError>
    where
        C: cipher::BlockCipherEncrypt<BlockSize = U16> + cipher::KeyInit + Send + Sync + 'static,
    {
        let (key, salt) = key.split_at(key.len() - SALT_LEN);
        Ok(Box::new(Gmac::new(
            keyed::<C>(name, key)?,
            salt,
            iv_seed,
            accelerated,
        )))
    }

    use EncAlgorithm::*;
    use KeyBits::*;
    let (n, k, s, a) = (enc.name(), enc_key, iv_seed, accelerated);
    match enc {
        AesGcm {
            key: K128,
            icv_len: 16,
        } => aead::<Gcm<Aes128, U12, U16>>(n, k, s, a),
        AesGcm {
            key: K192,
            icv_len: 16,
        } => aead::<Gcm<Aes192, U12, U16>>(n, k, s, a),
        AesGcm {
            key: K256,
            icv_len: 16,
        } => aead::<Gcm<Aes256, U12, U16>>(n, k, s, a),
        AesGcm {
            key: K128,
            icv_len: 12,
        } => aead::<Gcm<Aes128, U12, U12>>(n, k, s, a),
        AesGcm {
            key: K192,
            icv_len: 12,
        } => aead::<Gcm<Aes192, U12, U12>>(n, k, s, a),
        AesGcm {
            key: K256,
            icv_len: 12,
        } => aead::<Gcm<Aes256, U12, U12>>(n, k, s, a),
        AesGcm {
            key: K128,
            icv_len: 8,
        } => aead::<Gcm<Aes128, U12, U8>>(n, k, s, a),
        AesGcm {
            key: K192,
            icv_len: 8,
        } => aead::<Gcm<Aes192, U12, U8>>(n, k, s, a),
        AesGcm {
            key: K256,
            icv_len: 8,
        } => aead::<Gcm<Aes256, U12, U8>>(n, k, s, a),
        AesGcm { .. } => Err(CryptoError::Unsupported {
            enc: n,
            reason: "AES-GCM ICV must be 8, 12 or 16 bytes",
        }),
        AesGmac(K128) => gmac::<Aes128>(n, k, s, a),
        AesGmac(K192) => gmac::<Aes192>(n, k, s, a),
        AesGmac(K256) => gmac::<Aes256>(n, k, s, a),
        ChaCha20Poly1305 => aead::<chacha20poly1305::ChaCha20Poly1305>(n, k, s, a),
        _ => Err(CryptoError::Unsupported {
            enc: n,
            reason: "not a combined-mode algorithm",
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn key(len: usize, tweak: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(29).wrapping_add(tweak))
            .collect()
    }

    fn auths_for(enc: EncAlgorithm) -> Vec<AuthAlgorithm> {
        if enc.is_aead() {
            vec![AuthAlgorithm::Null]
        } else if enc == EncAlgorithm::Null {
            AuthAlgorithm::all()
                .iter()
                .copied()
                .filter(|a| *a != AuthAlgorithm::Null)
                .collect()
        } else {
            AuthAlgorithm::all().to_vec()
        }
    }

    fn build_for(enc: EncAlgorithm, auth: AuthAlgorithm, seed: u64) -> Box<dyn EspTransform> {
        build_esp_transform(
            enc,
            &key(enc.key_len(), 1),
            auth,
            &key(auth.key_len(), 2),
            seed,
        )
        .unwrap_or_else(|e| panic!("{enc}/{auth}: {e}"))
    }

    fn header(spi: u32, seq: u32) -> [u8; 8] {
        let mut h = [0u8; 8];
        h[..4].copy_from_slice(&spi.to_be_bytes());
        h[4..].copy_from_slice(&seq.to_be_bytes());
        h
    }

    /// A sealed packet, its parts kept apart as the ESP engine slices them.
    struct Sealed {
        iv: Vec<u8>,
        payload: Vec<u8>,
        icv: Vec<u8>,
    }

    fn seal(t: &dyn EspTransform, hdr: &[u8; 8], seq_hi: Option<u32>, plain: &[u8]) -> Sealed {
        let mut s = Sealed {
            iv: vec![0; t.iv_len()],
            payload: plain.to_vec(),
            icv: vec![0; t.icv_len()],
        };
        t.seal(hdr, seq_hi, &mut s.iv, &mut s.payload, &mut s.icv);
        s
    }

    fn open(
        t: &dyn EspTransform,
        hdr: &[u8; 8],
        seq_hi: Option<u32>,
        s: &Sealed,
    ) -> Result<Vec<u8>, CryptoError> {
        let mut payload = s.payload.clone();
        t.open(hdr, seq_hi, &s.iv, &mut payload, &s.icv)
            .map(|()| payload)
    }

    fn plaintext(block: usize) -> Vec<u8> {
        // Three blocks' worth, already "padded" to the transform's alignment.
        (0..block * 3 + 48).map(|i| i as u8).collect()
    }

    #[test]
    fn round_trip_every_algorithm_with_and_without_esn() {
        for &enc in EncAlgorithm::all() {
            for auth in auths_for(enc) {
                let t = build_for(enc, auth, 0x0123_4567_89ab_cdef);
                assert!(
                    t.block_len() >= 4 && t.block_len().is_multiple_of(4),
                    "{enc}"
                );
                let plain = plaintext(t.block_len());
                for seq_hi in [None, Some(0), Some(7)] {
                    let hdr = header(0x1000_0001, 42);
                    let sealed = seal(t.as_ref(), &hdr, seq_hi, &plain);
                    let encrypts = !matches!(enc, EncAlgorithm::Null | EncAlgorithm::AesGmac(_));
                    assert_eq!(sealed.payload != plain, encrypts, "{enc}/{auth}");
                    let opened = open(t.as_ref(), &hdr, seq_hi, &sealed)
                        .unwrap_or_else(|e| panic!("{enc}/{auth}/{seq_hi:?}: {e}"));
                    assert_eq!(opened, plain, "{enc}/{auth}/{seq_hi:?}");
                }
            }
        }
    }

    #[test]
    fn tampering_is_detected() {
        for &enc in EncAlgorithm::all() {
            for auth in auths_for(enc) {
                let t = build_for(enc, auth, 99);
                let plain = plaintext(t.block_len());
                let hdr = header(0xdead_beef, 1000);
                let esn = Some(3);
                let sealed = seal(t.as_ref(), &hdr, esn, &plain);
                let what = format!("{enc}/{auth}");
                if t.icv_len() == 0 {
                    // Encryption without integrity: allowed by RFC 4303, nothing to check.
                    continue;
                }

                let mut bad = Sealed {
                    icv: sealed.icv.clone(),
                    ..clone(&sealed)
                };
                bad.icv[0] ^= 0x80;
                assert_eq!(
                    open(t.as_ref(), &hdr, esn, &bad),
                    Err(CryptoError::IcvMismatch),
                    "{what} icv"
                );

                let mut bad = clone(&sealed);
                bad.payload[5] ^= 1;
                assert_eq!(
                    open(t.as_ref(), &hdr, esn, &bad),
                    Err(CryptoError::IcvMismatch),
                    "{what} payload"
                );

                if !bad.iv.is_empty() {
                    let mut bad = clone(&sealed);
                    bad.iv[0] ^= 1;
                    assert_eq!(
                        open(t.as_ref(), &hdr, esn, &bad),
                        Err(CryptoError::IcvMismatch),
                        "{what} iv"
                    );
                }

                for hdr_byte in [0, 7] {
                    let mut h = hdr;
                    h[hdr_byte] ^= 1;
                    assert_eq!(
                        open(t.as_ref(), &h, esn, &sealed),
                        Err(CryptoError::IcvMismatch),
                        "{what} hdr"
                    );
                }
                assert_eq!(
                    open(t.as_ref(), &hdr, Some(4), &sealed),
                    Err(CryptoError::IcvMismatch),
                    "{what} seq_hi"
                );
                assert_eq!(
                    open(t.as_ref(), &hdr, None, &sealed),
                    Err(CryptoError::IcvMismatch),
                    "{what} no esn"
                );
            }
        }
    }

    #[test]
    fn encryption_without_integrity_round_trips_and_checks_alignment() {
        let enc = EncAlgorithm::AesCbc(KeyBits::K256);
        let t = build_for(enc, AuthAlgorithm::Null, 1);
        assert_eq!(t.icv_len(), 0);
        let hdr = header(1, 1);
        let sealed = seal(t.as_ref(), &hdr, None, &plaintext(16));
        assert_eq!(open(t.as_ref(), &hdr, None, &sealed), Ok(plaintext(16)));
        let mut odd = clone(&sealed);
        odd.payload.pop();
        assert_eq!(
            open(t.as_ref(), &hdr, None, &odd),
            Err(CryptoError::BlockAlignment {
                len: odd.payload.len(),
                block: 16
            })
        );
        let mut long_icv = clone(&sealed);
        long_icv.icv.push(0);
        assert_eq!(
            open(t.as_ref(), &hdr, None, &long_icv),
            Err(CryptoError::IcvMismatch)
        );
    }

    fn clone(s: &Sealed) -> Sealed {
        Sealed {
            iv: s.iv.clone(),
            payload: s.payload.clone(),
            icv: s.icv.clone(),
        }
    }

    #[test]
    fn malformed_lengths_are_errors_not_panics() {
        for &enc in EncAlgorithm::all() {
            for auth in auths_for(enc) {
                let t = build_for(enc, auth, 5);
                let plain = plaintext(t.block_len());
                let hdr = header(1, 2);
                let sealed = seal(t.as_ref(), &hdr, None, &plain);
                let what = format!("{enc}/{auth}");
                if t.icv_len() == 0 {
                    // Encryption without integrity: allowed by RFC 4303, nothing to check.
                    continue;
                }

                let mut short_icv = clone(&sealed);
                short_icv.icv.pop();
                assert!(open(t.as_ref(), &hdr, None, &short_icv).is_err(), "{what}");
                let mut long_icv = clone(&sealed);
                long_icv.icv.push(0);
                assert!(open(t.as_ref(), &hdr, None, &long_icv).is_err(), "{what}");
                let mut empty_icv = clone(&sealed);
                empty_icv.icv.clear();
                assert!(open(t.as_ref(), &hdr, None, &empty_icv).is_err(), "{what}");

                let mut long_iv = clone(&sealed);
                long_iv.iv.push(0);
                assert!(open(t.as_ref(), &hdr, None, &long_iv).is_err(), "{what}");
                if !sealed.iv.is_empty() {
                    let mut short_iv = clone(&sealed);
                    short_iv.iv.pop();
                    assert!(open(t.as_ref(), &hdr, None, &short_iv).is_err(), "{what}");
                }

                let mut odd = clone(&sealed);
                odd.payload.pop();
                let err = open(t.as_ref(), &hdr, None, &odd).unwrap_err();
                if t.block_len() > 4 {
                    assert!(
                        matches!(err, CryptoError::BlockAlignment { .. }),
                        "{what}: {err}"
                    );
                }
                let empty = Sealed {
                    payload: Vec::new(),
                    ..clone(&sealed)
                };
                assert!(open(t.as_ref(), &hdr, None, &empty).is_err(), "{what}");
            }
        }
    }

    #[test]
    fn key_lengths_and_combinations_are_validated() {
        for &enc in EncAlgorithm::all() {
            let auth = if enc.is_aead() {
                AuthAlgorithm::Null
            } else {
                AuthAlgorithm::Sha256
            };
            for bad_len in [enc.key_len().saturating_sub(1), enc.key_len() + 1] {
                if bad_len == enc.key_len() {
                    continue;
                }
                let err =
                    build_esp_transform(enc, &key(bad_len, 0), auth, &key(auth.key_len(), 0), 0)
                        .err()
                        .unwrap_or_else(|| panic!("{enc} accepted a {bad_len}-byte key"));
                assert_eq!(
                    err,
                    CryptoError::KeyLength {
                        algorithm: enc.name(),
                        expected: enc.key_len(),
                        actual: bad_len
                    }
                );
            }
        }
        let cbc = EncAlgorithm::AesCbc(KeyBits::K128);
        let err = build_esp_transform(cbc, &key(16, 0), AuthAlgorithm::Sha1, &key(16, 0), 0).err();
        assert_eq!(
            err,
            Some(CryptoError::KeyLength {
                algorithm: "sha1",
                expected: 20,
                actual: 16
            })
        );

        let gcm = EncAlgorithm::AesGcm {
            key: KeyBits::K128,
            icv_len: 16,
        };
        let err = build_esp_transform(gcm, &key(20, 0), AuthAlgorithm::Sha1, &key(20, 0), 0).err();
        assert!(matches!(err, Some(CryptoError::AeadWithAuth { .. })));
        let err = build_esp_transform(EncAlgorithm::Null, &[], AuthAlgorithm::Null, &[], 0).err();
        assert!(matches!(err, Some(CryptoError::NoIntegrity { .. })));
        let odd_gcm = EncAlgorithm::AesGcm {
            key: KeyBits::K128,
            icv_len: 10,
        };
        let err = build_esp_transform(odd_gcm, &key(20, 0), AuthAlgorithm::Null, &[], 0).err();
        assert!(matches!(err, Some(CryptoError::Unsupported { .. })));
    }

    #[test]
    fn sizes_match_the_algorithm_tables() {
        for &enc in EncAlgorithm::all() {
            for auth in auths_for(enc) {
                let t = build_for(enc, auth, 0);
                let (iv, block) = match enc {
                    EncAlgorithm::Null => (0, 4),
                    EncAlgorithm::Des | EncAlgorithm::TripleDes | EncAlgorithm::Blowfish => (8, 8),
                    EncAlgorithm::AesCbc(_)
                    | EncAlgorithm::Twofish
                    | EncAlgorithm::CamelliaCbc(_) => (16, 16),
                    _ => (8, 4),
                };
                assert_eq!((t.iv_len(), t.block_len()), (iv, block), "{enc}");
                let icv = match enc {
                    EncAlgorithm::AesGcm { icv_len, .. } => usize::from(icv_len),
                    EncAlgorithm::AesGmac(_) | EncAlgorithm::ChaCha20Poly1305 => 16,
                    _ => auth.icv_len(),
                };
                assert_eq!(t.icv_len(), icv, "{enc}/{auth}");
                assert_eq!(
                    t.accelerated(),
                    cpu::esp_accelerated(enc, auth, &cpu::detect()),
                    "{enc}/{auth}"
                );
            }
        }
    }

    #[test]
    fn ivs_are_unique_across_sequence_numbers_and_esn_epochs() {
        for &enc in EncAlgorithm::all() {
            let auth = if enc.is_aead() {
                AuthAlgorithm::Null
            } else {
                AuthAlgorithm::Sha1
            };
            let t = build_for(enc, auth, 0xffff_ffff_ffff_fff0);
            if t.iv_len() == 0 {
                continue;
            }
            let plain = plaintext(t.block_len());
            let mut seen = std::collections::HashSet::new();
            for seq_hi in [None, Some(1), Some(u32::MAX)] {
                for seq in (0..64u32).chain([u32::MAX - 1, u32::MAX]) {
                    let sealed = seal(t.as_ref(), &header(7, seq), seq_hi, &plain);
                    // seq_hi None and Some(0) are the same 64-bit number, so only count once.
                    assert!(
                        seen.insert(sealed.iv.clone()),
                        "{enc}: IV repeated at {seq_hi:?}/{seq}"
                    );
                }
            }
        }
    }

    #[test]
    fn counter_ivs_are_seed_plus_sequence_big_endian() {
        let enc = EncAlgorithm::AesGcm {
            key: KeyBits::K128,
            icv_len: 16,
        };
        let t = build_for(enc, AuthAlgorithm::Null, 1000);
        let sealed = seal(t.as_ref(), &header(1, 5), Some(2), &[0; 16]);
        assert_eq!(sealed.iv, (1000u64 + (2u64 << 32) + 5).to_be_bytes());
        // The seed wraps instead of overflowing.
        let t = build_for(
            EncAlgorithm::AesCtr(KeyBits::K256),
            AuthAlgorithm::Sha256,
            u64::MAX,
        );
        let sealed = seal(t.as_ref(), &header(1, 1), None, &[0; 16]);
        assert_eq!(sealed.iv, 0u64.to_be_bytes());
    }

    #[test]
    fn cbc_ivs_are_encrypted_counters() {
        for &enc in EncAlgorithm::all() {
            let block = enc_cipher_block(enc);
            if block == 1 {
                continue;
            }
            let seed = 0x0102_0304_0506_0708u64;
            let t = build_for(enc, AuthAlgorithm::Sha256, seed);
            for seq in [0u32, 1, 2, 1000] {
                let sealed = seal(t.as_ref(), &header(9, seq), None, &plaintext(block));
                let counter = seed.wrapping_add(u64::from(seq)).to_be_bytes();
                let mut plain_counter = vec![0u8; block];
                plain_counter[block - 8..].copy_from_slice(&counter);
                assert_ne!(sealed.iv, plain_counter, "{enc}: IV is the bare counter");
                assert!(
                    !sealed.iv.windows(8).any(|w| w == counter),
                    "{enc}: counter visible in IV"
                );
            }
            // Another key gives other IVs for the same counter: they come from the cipher.
            let other = build_esp_transform(
                enc,
                &key(enc.key_len(), 77),
                AuthAlgorithm::Sha256,
                &key(32, 2),
                seed,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let a = seal(t.as_ref(), &header(9, 1), None, &plaintext(block));
            let b = seal(other.as_ref(), &header(9, 1), None, &plaintext(block));
            assert_ne!(a.iv, b.iv, "{enc}");
        }
    }

    #[test]
    fn seal_with_iv_hook_matches_seal() {
        // The vector hook and the normal path agree when given the IV that seal chose.
        for &enc in EncAlgorithm::all() {
            let auth = if enc.is_aead() {
                AuthAlgorithm::Null
            } else {
                AuthAlgorithm::Md5
            };
            let (ek, ak) = (key(enc.key_len(), 1), key(auth.key_len(), 2));
            let t = build_esp_transform(enc, &ek, auth, &ak, 0).unwrap_or_else(|e| panic!("{e}"));
            let hdr = header(3, 4);
            let sealed = seal(t.as_ref(), &hdr, Some(9), &plaintext(t.block_len()));
            let mut payload = plaintext(t.block_len());
            let mut icv = vec![0; t.icv_len()];
            seal_with_iv(
                enc,
                &ek,
                auth,
                &ak,
                &hdr,
                Some(9),
                &sealed.iv,
                &mut payload,
                &mut icv,
            )
            .unwrap_or_else(|e| panic!("{enc}: {e}"));
            assert_eq!((payload, icv), (sealed.payload, sealed.icv), "{enc}");
        }
    }

    #[test]
    fn key_holders_zeroize_on_drop() {
        fn wiped<T: zeroize::ZeroizeOnDrop>() {}
        wiped::<Aes128>();
        wiped::<Aes192>();
        wiped::<Aes256>();
        wiped::<des::Des>();
        wiped::<des::TdesEde3>();
        wiped::<blowfish::Blowfish>();
        wiped::<twofish::Twofish>();
        wiped::<Camellia128>();
        wiped::<Camellia192>();
        wiped::<Camellia256>();
        wiped::<Gcm<Aes128, U12, U8>>();
        wiped::<Gcm<Aes256, U12, U16>>();
        wiped::<chacha20poly1305::ChaCha20Poly1305>();
        // The hash cores behind Integrity's HMAC states.
        wiped::<md5::Md5>();
        wiped::<sha1::Sha1>();
        wiped::<sha2::Sha256>();
        wiped::<sha2::Sha512>();
        wiped::<zeroize::Zeroizing<[u8; 4]>>();
    }

    #[test]
    fn esp_aad_layout() {
        let hdr = header(0x0102_0304, 0x0a0b_0c0d);
        assert_eq!(esp_aad(&hdr, None).as_slice(), &hdr[..]);
        assert_eq!(
            esp_aad(&hdr, Some(0x1122_3344)).as_slice(),
            &[1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x0a, 0x0b, 0x0c, 0x0d]
        );
        assert_eq!(full_seq(&hdr, Some(1)), (1 << 32) | 0x0a0b_0c0d);
        assert_eq!(full_seq(&hdr, None), 0x0a0b_0c0d);
    }
}
