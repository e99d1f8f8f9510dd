//! The Encrypted payload (RFC 7296 3.14): AES-CBC with HMAC over the whole message, or an
//! AEAD (AES-GCM, RFC 5282; ChaCha20-Poly1305, RFC 7634) whose associated data is the IKE
//! header and the SK payload header.

use aes_gcm::aead::{AeadCore, AeadInOut, Nonce, Tag};
use cipher::array::Array;
use cipher::consts::U12;
use cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use tunsec_dataplane::crypto::{AuthAlgorithm, Integrity};
use zeroize::Zeroizing;

use super::random_bytes;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkError {
    #[error("key of {got} bytes, {want} needed")]
    KeyLength { got: usize, want: usize },
    #[error("encrypted payload too short ({0} bytes)")]
    Short(usize),
    #[error("integrity check failed")]
    Integrity,
    #[error("ciphertext is not a whole number of blocks")]
    Alignment,
    #[error("bad padding")]
    Padding,
}

/// The IKE SA's cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IkeEncr {
    AesCbc {
        key_len: usize,
    },
    /// AES-GCM with its ICV length (8, 12 or 16; tunsec offers 16).
    AesGcm {
        key_len: usize,
        icv_len: usize,
    },
    ChaCha20Poly1305,
}

/// The IKE SA's integrity algorithm (`None` with an AEAD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IkeInteg {
    None,
    HmacSha1_96,
    HmacSha256_128,
    HmacSha384_192,
    HmacSha512_256,
}

/// AEAD salt length (RFC 5282 7.1, RFC 7634 2).
const SALT_LEN: usize = 4;
/// AEAD explicit IV length.
const AEAD_IV_LEN: usize = 8;
const AES_BLOCK: usize = 16;

impl IkeEncr {
    pub fn is_aead(self) -> bool {
        !matches!(self, IkeEncr::AesCbc { .. })
    }

    /// Bytes of SK_e: the key, plus the salt for AEADs.
    pub fn key_material_len(self) -> usize {
        match self {
            IkeEncr::AesCbc { key_len } => key_len,
            IkeEncr::AesGcm { key_len, .. } => key_len + SALT_LEN,
            IkeEncr::ChaCha20Poly1305 => 32 + SALT_LEN,
        }
    }

    fn iv_len(self) -> usize {
        match self {
            IkeEncr::AesCbc { .. } => AES_BLOCK,
            _ => AEAD_IV_LEN,
        }
    }

    fn icv_len(self) -> usize {
        match self {
            IkeEncr::AesCbc { .. } => 0,
            IkeEncr::AesGcm { icv_len, .. } => icv_len,
            IkeEncr::ChaCha20Poly1305 => 16,
        }
    }
}

impl IkeInteg {
    fn algorithm(self) -> Option<AuthAlgorithm> {
        match self {
            IkeInteg::None => None,
            IkeInteg::HmacSha1_96 => Some(AuthAlgorithm::Sha1),
            IkeInteg::HmacSha256_128 => Some(AuthAlgorithm::Sha256),
            IkeInteg::HmacSha384_192 => Some(AuthAlgorithm::Sha384),
            IkeInteg::HmacSha512_256 => Some(AuthAlgorithm::Sha512),
        }
    }

    pub fn transform_id(self) -> u16 {
        match self {
            IkeInteg::None => 0,
            IkeInteg::HmacSha1_96 => 2,
            IkeInteg::HmacSha256_128 => 12,
            IkeInteg::HmacSha384_192 => 13,
            IkeInteg::HmacSha512_256 => 14,
        }
    }

    /// Bytes of SK_a: the HMAC's output length (RFC 4868 2.1.1, RFC 2404).
    pub fn key_len(self) -> usize {
        self.algorithm().map_or(0, |a| a.key_len())
    }
}

enum Cipher {
    Cbc128(Zeroizing<[u8; 16]>),
    Cbc192(Zeroizing<[u8; 24]>),
    Cbc256(Zeroizing<[u8; 32]>),
    Gcm128(Box<aes_gcm::Aes128Gcm>),
    Gcm192(Box<aes_gcm::AesGcm<aes::Aes192, U12>>),
    Gcm256(Box<aes_gcm::Aes256Gcm>),
    ChaCha(Box<chacha20poly1305::ChaCha20Poly1305>),
}

/// One direction of an IKE SA's protection: SK_e and SK_a of the sender.
pub struct SkCipher {
    encr: IkeEncr,
    cipher: Cipher,
    integ: Option<Integrity>,
    salt: [u8; SALT_LEN],
    /// AEAD explicit IVs count up from a random start, so none repeats under one key.
    counter: u64,
}

fn arr<const N: usize>(k: &[u8]) -> Result<Zeroizing<[u8; N]>, SkError> {
    let a: [u8; N] = k.try_into().map_err(|_| SkError::KeyLength {
        got: k.len(),
        want: N,
    })?;
    Ok(Zeroizing::new(a))
}

fn aead<A: KeyInit>(k: &[u8]) -> Result<Box<A>, SkError> {
    A::new_from_slice(k)
        .map(Box::new)
        .map_err(|_| SkError::KeyLength {
            got: k.len(),
            want: A::key_size(),
        })
}

fn aead_seal<A: AeadInOut + AeadCore<NonceSize = U12>>(
    a: &A,
    nonce: [u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Vec<u8> {
    let nonce: Nonce<A> = Array::from(nonce);
    match a.encrypt_inout_detached(&nonce, aad, buf.into()) {
        Ok(tag) => tag.to_vec(),
        // Only inputs over the AEAD's size limit (gigabytes) fail.
        Err(_) => Vec::new(),
    }
}

fn aead_open<A: AeadInOut + AeadCore<NonceSize = U12>>(
    a: &A,
    nonce: [u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    icv: &[u8],
) -> Result<(), SkError> {
    let nonce: Nonce<A> = Array::from(nonce);
    let tag = Tag::<A>::try_from(icv).map_err(|_| SkError::Integrity)?;
    a.decrypt_inout_detached(&nonce, aad, buf.into(), &tag)
        .map_err(|_| SkError::Integrity)
}

macro_rules! cbc_run {
    ($mode:ident, $aes:ty, $key:expr, $iv:expr, $buf:expr, $method:ident) => {{
        let (blocks, tail) = Array::<u8, cipher::consts::U16>::slice_as_chunks_mut($buf);
        if !tail.is_empty() {
            return Err(SkError::Alignment);
        }
        let mut m = cbc::$mode::<$aes>::new_from_slices($key.as_ref(), $iv)
            .map_err(|_| SkError::Alignment)?;
        m.$method(blocks);
    }};
}

impl SkCipher {
    pub fn new(
        encr: IkeEncr,
        integ: IkeInteg,
        enc_key: &[u8],
        integ_key: &[u8],
    ) -> Result<Self, SkError> {
        let want = encr.key_material_len();
        if enc_key.len() != want {
            return Err(SkError::KeyLength {
                got: enc_key.len(),
                want,
            });
        }
        let (key, salt) = if encr.is_aead() {
            enc_key.split_at(enc_key.len() - SALT_LEN)
        } else {
            (enc_key, &[][..])
        };
        let cipher = match encr {
            IkeEncr::AesCbc { key_len: 16 } => Cipher::Cbc128(arr(key)?),
            IkeEncr::AesCbc { key_len: 24 } => Cipher::Cbc192(arr(key)?),
            IkeEncr::AesCbc { .. } => Cipher::Cbc256(arr(key)?),
            IkeEncr::AesGcm { key_len: 16, .. } => Cipher::Gcm128(aead(key)?),
            IkeEncr::AesGcm { key_len: 24, .. } => Cipher::Gcm192(aead(key)?),
            IkeEncr::AesGcm { .. } => Cipher::Gcm256(aead(key)?),
            IkeEncr::ChaCha20Poly1305 => Cipher::ChaCha(aead(key)?),
        };
        let integ = match integ.algorithm() {
            Some(a) if !encr.is_aead() => {
                Some(
                    Integrity::new(a, integ_key).map_err(|_| SkError::KeyLength {
                        got: integ_key.len(),
                        want: a.key_len(),
                    })?,
                )
            }
            _ => None,
        };
        let mut s = [0u8; SALT_LEN];
        s.copy_from_slice(salt.get(..SALT_LEN).unwrap_or(&[0; SALT_LEN]));
        let start = random_bytes(8);
        let mut c = [0u8; 8];
        c.copy_from_slice(&start);
        Ok(SkCipher {
            encr,
            cipher,
            integ,
            salt: s,
            counter: u64::from_be_bytes(c),
        })
    }

    fn icv_len(&self) -> usize {
        self.encr.icv_len() + self.integ.as_ref().map_or(0, Integrity::icv_len)
    }

    /// Bytes of the padded plaintext: CBC pads to the block with a pad-length byte last; the
    /// AEADs need only the pad-length byte (RFC 5282 3).
    fn padded_len(&self, plain: usize) -> usize {
        if self.encr.is_aead() {
            plain + 1
        } else {
            (plain + 1).div_ceil(AES_BLOCK) * AES_BLOCK
        }
    }

    /// Length of the SK body (IV || ciphertext || ICV) for `plain` bytes of payloads.
    pub fn body_len(&self, plain: usize) -> usize {
        self.encr.iv_len() + self.padded_len(plain) + self.icv_len()
    }

    fn nonce(&self, iv: &[u8]) -> [u8; 12] {
        let mut n = [0u8; 12];
        n[..SALT_LEN].copy_from_slice(&self.salt);
        n[SALT_LEN..].copy_from_slice(iv);
        n
    }

    /// Encrypts `plain` into the SK body; `frame` is the IKE header and SK payload header
    /// with final lengths (the AEAD's associated data, the start of what HMAC covers).
    pub fn seal(&mut self, frame: &[u8], plain: &[u8]) -> Result<Vec<u8>, SkError> {
        let padded = self.padded_len(plain.len());
        let mut buf = Zeroizing::new(Vec::with_capacity(padded));
        buf.extend_from_slice(plain);
        let pad = padded - plain.len() - 1;
        buf.resize(plain.len() + pad, 0);
        buf.push(pad as u8);
        let iv = if self.encr.is_aead() {
            self.counter = self.counter.wrapping_add(1);
            self.counter.to_be_bytes().to_vec()
        } else {
            random_bytes(AES_BLOCK)
        };
        let mut out = iv.clone();
        let nonce = self.nonce(iv.get(..AEAD_IV_LEN).unwrap_or(&[0; 8]));
        let tag = match &self.cipher {
            Cipher::Cbc128(k) => {
                cbc_run!(Encryptor, aes::Aes128, k, &iv, &mut buf, encrypt_blocks);
                Vec::new()
            }
            Cipher::Cbc192(k) => {
                cbc_run!(Encryptor, aes::Aes192, k, &iv, &mut buf, encrypt_blocks);
                Vec::new()
            }
            Cipher::Cbc256(k) => {
                cbc_run!(Encryptor, aes::Aes256, k, &iv, &mut buf, encrypt_blocks);
                Vec::new()
            }
            Cipher::Gcm128(a) => aead_seal(a.as_ref(), nonce, frame, &mut buf),
            Cipher::Gcm192(a) => aead_seal(a.as_ref(), nonce, frame, &mut buf),
            Cipher::Gcm256(a) => aead_seal(a.as_ref(), nonce, frame, &mut buf),
            Cipher::ChaCha(a) => aead_seal(a.as_ref(), nonce, frame, &mut buf),
        };
        out.extend_from_slice(&buf);
        let icv_len = self.encr.icv_len();
        out.extend_from_slice(tag.get(..icv_len).unwrap_or(&tag));
        if let Some(integ) = &self.integ {
            let mut icv = vec![0u8; integ.icv_len()];
            integ.compute(&[frame, &out], &mut icv);
            out.extend_from_slice(&icv);
        }
        Ok(out)
    }

    /// Verifies and decrypts an SK body; returns the inner payload bytes.
    pub fn open(&self, frame: &[u8], body: &[u8]) -> Result<Zeroizing<Vec<u8>>, SkError> {
        let iv_len = self.encr.iv_len();
        let icv_len = self.icv_len();
        if body.len() < iv_len + icv_len + 1 {
            return Err(SkError::Short(body.len()));
        }
        let (rest, icv) = body.split_at(body.len() - icv_len);
        if let Some(integ) = &self.integ {
            integ
                .verify(&[frame, rest], icv)
                .map_err(|_| SkError::Integrity)?;
        }
        let (iv, ct) = rest.split_at(iv_len);
        let mut buf = Zeroizing::new(ct.to_vec());
        let nonce = self.nonce(iv.get(..AEAD_IV_LEN).unwrap_or(&[0; 8]));
        match &self.cipher {
            Cipher::Cbc128(k) => cbc_run!(Decryptor, aes::Aes128, k, iv, &mut buf, decrypt_blocks),
            Cipher::Cbc192(k) => cbc_run!(Decryptor, aes::Aes192, k, iv, &mut buf, decrypt_blocks),
            Cipher::Cbc256(k) => cbc_run!(Decryptor, aes::Aes256, k, iv, &mut buf, decrypt_blocks),
            Cipher::Gcm128(a) => aead_open(a.as_ref(), nonce, frame, &mut buf, icv)?,
            Cipher::Gcm192(a) => aead_open(a.as_ref(), nonce, frame, &mut buf, icv)?,
            Cipher::Gcm256(a) => aead_open(a.as_ref(), nonce, frame, &mut buf, icv)?,
            Cipher::ChaCha(a) => aead_open(a.as_ref(), nonce, frame, &mut buf, icv)?,
        }
        let pad = usize::from(*buf.last().ok_or(SkError::Padding)?);
        if pad + 1 > buf.len() {
            return Err(SkError::Padding);
        }
        let keep = buf.len() - pad - 1;
        buf.truncate(keep);
        Ok(buf)
    }
}
