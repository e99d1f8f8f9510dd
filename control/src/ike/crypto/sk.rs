//! The Encrypted payload (RFC 7296 3.14): AES-CBC with an HMAC over the whole message, or an
//! AEAD (AES-GCM, RFC 5282; ChaCha20-Poly1305, RFC 7634) whose associated data is the IKE
//! header and the SK payload header.
//!
//! The wire code builds the frame (IKE header and SK generic header, every length final,
//! see [`SkCipher::body_len`]) and hands the body here as a byte slice; this module knows
//! nothing else of the message layout.

use aes_gcm::aead::{AeadCore, AeadInOut, Nonce, Tag};
use cipher::array::Array;
use cipher::consts::{U8, U12, U16};
use cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use tunsec_dataplane::crypto::Integrity;
use zeroize::Zeroizing;

use super::encr::{AEAD_IV_LEN, AEAD_SALT_LEN, AES_BLOCK_LEN, IkeEncr};
use super::integ::IkeInteg;

/// Why an Encrypted payload could not be sealed or opened. `Short`, `Alignment`, `Integrity`
/// and `Padding` come from what the peer sent (drop the message; RFC 7296 2.21.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkError {
    /// A key of the wrong length for the suite.
    #[error("{which} key has {got} bytes, {want} needed")]
    KeyLength {
        which: &'static str,
        got: usize,
        want: usize,
    },
    /// A cipher/integrity combination that does not exist (an AEAD with an HMAC, CBC
    /// without one, or lengths the cipher has not).
    #[error("no such IKE suite: {encr:?} with {integ:?}")]
    Suite { encr: IkeEncr, integ: IkeInteg },
    /// Fewer bytes than an IV, one block or pad-length byte and an ICV.
    #[error("encrypted payload body of {0} bytes is too short")]
    Short(usize),
    /// CBC ciphertext that is not a whole number of blocks.
    #[error("ciphertext of {0} bytes is not a whole number of cipher blocks")]
    Alignment(usize),
    /// The ICV (HMAC or AEAD tag) does not match.
    #[error("integrity check failed")]
    Integrity,
    /// The pad length runs past the start of the plaintext.
    #[error("pad length {pad} does not fit {len} bytes of plaintext")]
    Padding { pad: usize, len: usize },
    /// Every explicit IV of this key has been used (after 2^64 messages: rekey long before).
    #[error("AEAD explicit IVs exhausted for this key")]
    IvExhausted,
    /// No random bytes for a CBC IV.
    #[error("no randomness for an IV: {0}")]
    Random(String),
    /// The AEAD refused to encrypt (only inputs of gigabytes can cause it).
    #[error("AEAD encryption failed")]
    Seal,
}

/// An AEAD with a 12-byte nonce, whatever its key and tag size.
trait SkAead: Send + Sync {
    /// Encrypts `buf` in place and returns the tag.
    fn seal(&self, nonce: [u8; 12], aad: &[u8], buf: &mut [u8]) -> Result<Vec<u8>, SkError>;
    /// Checks `tag` and decrypts `buf` in place.
    fn open(&self, nonce: [u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), SkError>;
}

impl<A> SkAead for A
where
    A: AeadInOut + AeadCore<NonceSize = U12> + Send + Sync,
{
    fn seal(&self, nonce: [u8; 12], aad: &[u8], buf: &mut [u8]) -> Result<Vec<u8>, SkError> {
        let nonce: Nonce<A> = Array::from(nonce);
        self.encrypt_inout_detached(&nonce, aad, buf.into())
            .map(|tag| tag.to_vec())
            .map_err(|_| SkError::Seal)
    }

    fn open(&self, nonce: [u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), SkError> {
        let nonce: Nonce<A> = Array::from(nonce);
        // The tag length is the type's; a slice of another length cannot be its tag.
        let tag = Tag::<A>::try_from(tag).map_err(|_| SkError::Integrity)?;
        self.decrypt_inout_detached(&nonce, aad, buf.into(), &tag)
            .map_err(|_| SkError::Integrity)
    }
}

/// AES-CBC keys (the key schedule is rebuilt per message: IKE sends a handful).
enum CbcKey {
    Aes128(Zeroizing<[u8; 16]>),
    Aes192(Zeroizing<[u8; 24]>),
    Aes256(Zeroizing<[u8; 32]>),
}

enum Protection {
    Cbc {
        key: CbcKey,
        /// Boxed: the keyed HMAC states are large next to the AEAD variant.
        integ: Box<Integrity>,
    },
    Aead {
        aead: Box<dyn SkAead>,
        salt: Zeroizing<[u8; AEAD_SALT_LEN]>,
    },
}

/// One direction of an IKE SA's Encrypted payloads: the sender's SK_e (and SK_a), so an
/// IKE SA has two, one for what it sends and one for what it receives.
pub struct SkCipher {
    encr: IkeEncr,
    integ: IkeInteg,
    protection: Protection,
    /// The next AEAD explicit IV. It counts up from zero and is never reused: the key is
    /// fresh per IKE SA and direction, so a counter is all RFC 5282 3.1 asks.
    next_iv: u64,
}

impl std::fmt::Debug for SkCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkCipher")
            .field("encr", &self.encr)
            .field("integ", &self.integ)
            .finish_non_exhaustive()
    }
}

fn key_array<const N: usize>(key: &[u8]) -> Result<Zeroizing<[u8; N]>, SkError> {
    let array = <[u8; N]>::try_from(key).map_err(|_| SkError::KeyLength {
        which: "encryption",
        got: key.len(),
        want: N,
    })?;
    Ok(Zeroizing::new(array))
}

fn aead<A: KeyInit + SkAead + 'static>(key: &[u8]) -> Result<Box<dyn SkAead>, SkError> {
    let a = A::new_from_slice(key).map_err(|_| SkError::KeyLength {
        which: "encryption",
        got: key.len(),
        want: A::key_size(),
    })?;
    Ok(Box::new(a))
}

type Gcm<Aes, Icv> = aes_gcm::AesGcm<Aes, U12, Icv>;

fn gcm(key: &[u8], icv_len: usize) -> Option<Result<Box<dyn SkAead>, SkError>> {
    use aes::{Aes128, Aes192, Aes256};
    Some(match (key.len(), icv_len) {
        (16, 8) => aead::<Gcm<Aes128, U8>>(key),
        (16, 12) => aead::<Gcm<Aes128, U12>>(key),
        (16, 16) => aead::<Gcm<Aes128, U16>>(key),
        (24, 8) => aead::<Gcm<Aes192, U8>>(key),
        (24, 12) => aead::<Gcm<Aes192, U12>>(key),
        (24, 16) => aead::<Gcm<Aes192, U16>>(key),
        (32, 8) => aead::<Gcm<Aes256, U8>>(key),
        (32, 12) => aead::<Gcm<Aes256, U12>>(key),
        (32, 16) => aead::<Gcm<Aes256, U16>>(key),
        _ => return None,
    })
}

/// Runs CBC over whole blocks of `buf` in place.
macro_rules! cbc {
    ($mode:ident, $aes:ty, $key:expr, $iv:expr, $buf:expr, $method:ident) => {{
        let len = $buf.len();
        let (blocks, tail) = Array::<u8, U16>::slice_as_chunks_mut($buf);
        if !tail.is_empty() {
            return Err(SkError::Alignment(len));
        }
        let mut mode = cbc::$mode::<$aes>::new_from_slices($key.as_ref(), $iv)
            .map_err(|_| SkError::Alignment(len))?;
        mode.$method(blocks);
    }};
}

impl CbcKey {
    fn encrypt(&self, iv: &[u8], buf: &mut [u8]) -> Result<(), SkError> {
        match self {
            CbcKey::Aes128(k) => cbc!(Encryptor, aes::Aes128, k, iv, buf, encrypt_blocks),
            CbcKey::Aes192(k) => cbc!(Encryptor, aes::Aes192, k, iv, buf, encrypt_blocks),
            CbcKey::Aes256(k) => cbc!(Encryptor, aes::Aes256, k, iv, buf, encrypt_blocks),
        }
        Ok(())
    }

    fn decrypt(&self, iv: &[u8], buf: &mut [u8]) -> Result<(), SkError> {
        match self {
            CbcKey::Aes128(k) => cbc!(Decryptor, aes::Aes128, k, iv, buf, decrypt_blocks),
            CbcKey::Aes192(k) => cbc!(Decryptor, aes::Aes192, k, iv, buf, decrypt_blocks),
            CbcKey::Aes256(k) => cbc!(Decryptor, aes::Aes256, k, iv, buf, decrypt_blocks),
        }
        Ok(())
    }
}

impl SkCipher {
    /// The protection of one direction: `enc_key` is SK_ei or SK_er (for AEADs the key with
    /// its 4-byte salt at the end), `integ_key` SK_ai or SK_ar (empty with an AEAD).
    pub fn new(
        encr: IkeEncr,
        integ: IkeInteg,
        enc_key: &[u8],
        integ_key: &[u8],
    ) -> Result<Self, SkError> {
        let suite = SkError::Suite { encr, integ };
        if !encr.is_valid() || encr.is_aead() != (integ == IkeInteg::None) {
            return Err(suite);
        }
        let want = encr.key_material_len();
        if enc_key.len() != want {
            return Err(SkError::KeyLength {
                which: "encryption",
                got: enc_key.len(),
                want,
            });
        }
        let protection = match encr {
            IkeEncr::AesCbc { key_len } => {
                let key = match key_len {
                    16 => CbcKey::Aes128(key_array(enc_key)?),
                    24 => CbcKey::Aes192(key_array(enc_key)?),
                    32 => CbcKey::Aes256(key_array(enc_key)?),
                    _ => return Err(suite),
                };
                let hmac = match integ.keyed(integ_key) {
                    Some(Ok(i)) => i,
                    Some(Err(want)) => {
                        return Err(SkError::KeyLength {
                            which: "integrity",
                            got: integ_key.len(),
                            want,
                        });
                    }
                    None => return Err(suite),
                };
                Protection::Cbc {
                    key,
                    integ: Box::new(hmac),
                }
            }
            IkeEncr::AesGcm { .. } | IkeEncr::ChaCha20Poly1305 => {
                if !integ_key.is_empty() {
                    return Err(SkError::KeyLength {
                        which: "integrity",
                        got: integ_key.len(),
                        want: 0,
                    });
                }
                let (key, salt) = enc_key.split_at(enc_key.len() - AEAD_SALT_LEN);
                let aead = match encr {
                    IkeEncr::AesGcm { icv_len, .. } => gcm(key, icv_len).ok_or(suite)??,
                    _ => aead::<chacha20poly1305::ChaCha20Poly1305>(key)?,
                };
                let salt = Zeroizing::new(<[u8; AEAD_SALT_LEN]>::try_from(salt).map_err(|_| {
                    SkError::KeyLength {
                        which: "salt",
                        got: salt.len(),
                        want: AEAD_SALT_LEN,
                    }
                })?);
                Protection::Aead { aead, salt }
            }
        };
        Ok(SkCipher {
            encr,
            integ,
            protection,
            next_iv: 0,
        })
    }

    /// The cipher.
    pub fn encr(&self) -> IkeEncr {
        self.encr
    }

    /// The integrity algorithm (`IkeInteg::None` with an AEAD).
    pub fn integ(&self) -> IkeInteg {
        self.integ
    }

    /// Bytes of IV at the start of the body.
    pub fn iv_len(&self) -> usize {
        self.encr.iv_len()
    }

    /// Bytes of ICV at the end of the body.
    pub fn icv_len(&self) -> usize {
        self.encr.icv_len() + self.integ.icv_len()
    }

    /// Bytes of plaintext, padding and pad-length byte: CBC fills the last block (minimum
    /// padding, RFC 7296 3.14 SHOULD); the AEADs add only the pad-length byte.
    fn padded_len(&self, plain_len: usize) -> usize {
        (plain_len + 1).next_multiple_of(self.encr.block_len())
    }

    /// Length of the SK body (IV | ciphertext | ICV) that sealing `plain_len` bytes of inner
    /// payloads gives, so the caller can write the final lengths into the frame first.
    pub fn body_len(&self, plain_len: usize) -> usize {
        self.iv_len() + self.padded_len(plain_len) + self.icv_len()
    }

    /// Encrypts `plain` (the inner payloads) into the SK body IV | ciphertext | ICV.
    /// `frame` is the IKE header and the SK generic header with every length final (the
    /// message will be `frame | body`): the AEAD's associated data, and the start of what
    /// the HMAC covers.
    pub fn seal(&mut self, frame: &[u8], plain: &[u8]) -> Result<Vec<u8>, SkError> {
        let iv_len = self.iv_len();
        let padded = self.padded_len(plain.len());
        let mut body = Vec::with_capacity(self.body_len(plain.len()));
        match &self.protection {
            Protection::Cbc { .. } => {
                let mut iv = [0u8; AES_BLOCK_LEN];
                getrandom::fill(&mut iv).map_err(|e| SkError::Random(e.to_string()))?;
                body.extend_from_slice(&iv);
            }
            Protection::Aead { .. } => {
                let iv = self.next_iv;
                self.next_iv = iv.checked_add(1).ok_or(SkError::IvExhausted)?;
                body.extend_from_slice(&iv.to_be_bytes());
            }
        }
        // Padding bytes are zero; the RFC lets them be anything.
        body.extend_from_slice(plain);
        body.resize(iv_len + padded - 1, 0);
        body.push((padded - plain.len() - 1) as u8);
        let (iv, text) = body.split_at_mut(iv_len);
        match &self.protection {
            Protection::Cbc { key, integ } => {
                key.encrypt(iv, text)?;
                let mut icv = vec![0u8; integ.icv_len()];
                integ.compute(&[frame, &body], &mut icv);
                body.extend_from_slice(&icv);
            }
            Protection::Aead { aead, salt } => {
                let tag = aead.seal(nonce(salt, iv), frame, text)?;
                body.extend_from_slice(&tag);
            }
        }
        Ok(body)
    }

    /// Checks and decrypts an SK body (IV | ciphertext | ICV) that follows `frame`; returns
    /// the inner payloads without padding. The ICV is checked before any decryption
    /// result is looked at, in constant time; the padding content is not checked (RFC 7296
    /// 3.14 lets it be anything).
    pub fn open(&self, frame: &[u8], body: &[u8]) -> Result<Zeroizing<Vec<u8>>, SkError> {
        let (iv_len, icv_len) = (self.iv_len(), self.icv_len());
        // At least the pad-length byte, and for CBC one whole block.
        let min_text = self.encr.block_len();
        if body.len() < iv_len + min_text + icv_len {
            return Err(SkError::Short(body.len()));
        }
        let (covered, icv) = body.split_at(body.len() - icv_len);
        let (iv, text) = covered.split_at(iv_len);
        if text.len() % self.encr.block_len() != 0 {
            return Err(SkError::Alignment(text.len()));
        }
        let mut plain = Zeroizing::new(text.to_vec());
        match &self.protection {
            Protection::Cbc { key, integ } => {
                integ
                    .verify(&[frame, covered], icv)
                    .map_err(|_| SkError::Integrity)?;
                key.decrypt(iv, &mut plain)?;
            }
            Protection::Aead { aead, salt } => {
                aead.open(nonce(salt, iv), frame, &mut plain, icv)?;
            }
        }
        let len = plain.len();
        let pad = plain.last().map_or(0, |b| usize::from(*b));
        if pad + 1 > len {
            return Err(SkError::Padding { pad, len });
        }
        plain.truncate(len - pad - 1);
        Ok(plain)
    }

    /// Makes the next AEAD explicit IV `iv` (for reproducing published examples).
    #[cfg(test)]
    pub(crate) fn set_next_iv(&mut self, iv: u64) {
        self.next_iv = iv;
    }
}

/// salt | explicit IV (RFC 5282 4, RFC 7634 4).
fn nonce(salt: &[u8; AEAD_SALT_LEN], iv: &[u8]) -> [u8; AEAD_SALT_LEN + AEAD_IV_LEN] {
    let mut n = [0u8; AEAD_SALT_LEN + AEAD_IV_LEN];
    n[..AEAD_SALT_LEN].copy_from_slice(salt);
    n[AEAD_SALT_LEN..]
        .iter_mut()
        .zip(iv)
        .for_each(|(d, s)| *d = *s);
    n
}

#[cfg(test)]
#[path = "sk_tests.rs"]
mod tests;
