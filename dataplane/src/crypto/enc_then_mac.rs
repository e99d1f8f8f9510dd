//! ESP transforms built from a cipher mode and an HMAC: CBC (RFC 3602 and the legacy
//! ciphers), AES-CTR (RFC 3686) and NULL encryption (RFC 2410).
//!
//! Encrypt-then-MAC as RFC 4303 section 3.3.2 orders it: the ICV covers ESP header ‖ IV ‖
//! ciphertext (‖ the high 32 bits of the sequence number with ESN, section 2.2.1), and `open`
//! verifies it before a single byte is decrypted.

use cipher::array::{Array, ArraySize};
use cipher::typenum::Unsigned;
use cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, BlockSizeUser,
    InnerIvInit, StreamCipherCore,
};
use zeroize::Zeroizing;

use super::{CryptoError, EspTransform, Integrity, SealWithIv, full_seq};

/// ESP's minimum payload alignment (RFC 4303 section 2.4).
const ESP_ALIGN: usize = 4;

/// The confidentiality half of a cipher+HMAC transform.
pub(crate) trait CipherMode: Send + Sync {
    /// Explicit IV bytes on the wire.
    fn iv_len(&self) -> usize;
    /// The cipher's own block (1 for stream modes); ciphertext must be a multiple of it.
    fn cipher_block(&self) -> usize;
    /// Writes the IV for the SA's per-packet counter value.
    fn make_iv(&self, counter: u64, iv: &mut [u8]);
    /// Encrypts in place; `payload` is a multiple of `cipher_block()`, `iv` is `iv_len()`.
    fn encrypt(&self, iv: &[u8], payload: &mut [u8]) -> Result<(), CryptoError>;
    /// Decrypts in place under the same preconditions.
    fn decrypt(&self, iv: &[u8], payload: &mut [u8]) -> Result<(), CryptoError>;
}

/// RFC 2410: the identity "cipher", with no IV.
pub(crate) struct NullCipher;

impl CipherMode for NullCipher {
    fn iv_len(&self) -> usize {
        0
    }
    fn cipher_block(&self) -> usize {
        1
    }
    fn make_iv(&self, _counter: u64, _iv: &mut [u8]) {}
    fn encrypt(&self, _iv: &[u8], _payload: &mut [u8]) -> Result<(), CryptoError> {
        Ok(())
    }
    fn decrypt(&self, _iv: &[u8], _payload: &mut [u8]) -> Result<(), CryptoError> {
        Ok(())
    }
}

/// CBC over any block cipher, without padding (ESP pads the payload itself).
pub(crate) struct Cbc<C> {
    /// Key schedule; wiped on drop by the cipher crate's `zeroize` feature.
    cipher: C,
}

impl<C> Cbc<C> {
    pub(crate) fn new(cipher: C) -> Self {
        Self { cipher }
    }
}

fn as_block<N: ArraySize>(bytes: &[u8]) -> Result<&Array<u8, N>, CryptoError> {
    Array::<u8, N>::slice_as_array(bytes).ok_or(CryptoError::IcvMismatch)
}

impl<C> CipherMode for Cbc<C>
where
    C: BlockCipherEncrypt + BlockCipherDecrypt + Send + Sync,
{
    fn iv_len(&self) -> usize {
        C::BlockSize::USIZE
    }

    fn cipher_block(&self) -> usize {
        C::BlockSize::USIZE
    }

    /// CBC IVs must be unpredictable, not just unique: an attacker who can predict the next
    /// IV and choose plaintext can confirm guesses about earlier blocks. A counter is not
    /// enough, so the IV is the counter encrypted under the SA's own cipher key (NIST SP
    /// 800-38A appendix C, second method: "apply the forward cipher function, under the same
    /// key that is used for the encryption of the plaintext, to a nonce"). The counter is
    /// `iv_seed + sequence number` and never repeats within the SA; because `iv_seed` is
    /// random per SA, a manually keyed SA that restarts with its sequence number back at 1
    /// still gets fresh IVs.
    fn make_iv(&self, counter: u64, iv: &mut [u8]) {
        debug_assert_eq!(iv.len(), self.iv_len(), "explicit IV length");
        let mut block = Array::<u8, C::BlockSize>::default();
        let counter = counter.to_be_bytes();
        let offset = block.len() - counter.len();
        block[offset..].copy_from_slice(&counter);
        self.cipher.encrypt_block(&mut block);
        for (d, s) in iv.iter_mut().zip(block.iter()) {
            *d = *s;
        }
    }

    fn encrypt(&self, iv: &[u8], payload: &mut [u8]) -> Result<(), CryptoError> {
        let iv = as_block::<C::BlockSize>(iv)?;
        let (blocks, tail) = Array::<u8, C::BlockSize>::slice_as_chunks_mut(payload);
        if !tail.is_empty() {
            return Err(CryptoError::BlockAlignment {
                len: blocks.len() * C::BlockSize::USIZE + tail.len(),
                block: C::BlockSize::USIZE,
            });
        }
        cbc::Encryptor::<&C>::inner_iv_init(&self.cipher, iv).encrypt_blocks(blocks);
        Ok(())
    }

    fn decrypt(&self, iv: &[u8], payload: &mut [u8]) -> Result<(), CryptoError> {
        let iv = as_block::<C::BlockSize>(iv)?;
        let (blocks, tail) = Array::<u8, C::BlockSize>::slice_as_chunks_mut(payload);
        if !tail.is_empty() {
            return Err(CryptoError::BlockAlignment {
                len: blocks.len() * C::BlockSize::USIZE + tail.len(),
                block: C::BlockSize::USIZE,
            });
        }
        cbc::Decryptor::<&C>::inner_iv_init(&self.cipher, iv).decrypt_blocks(blocks);
        Ok(())
    }
}

/// RFC 3686 AES-CTR: counter block = nonce (4, from the end of the key) ‖ IV (8) ‖ 32-bit
/// block counter starting at 1. The IV only has to be unique, so it is the counter itself.
pub(crate) struct Ctr<C> {
    cipher: C,
    nonce: Zeroizing<[u8; CTR_NONCE_LEN]>,
}

pub(crate) const CTR_NONCE_LEN: usize = 4;
const CTR_IV_LEN: usize = 8;

impl<C> Ctr<C> {
    pub(crate) fn new(cipher: C, nonce: &[u8]) -> Self {
        let mut n = Zeroizing::new([0u8; CTR_NONCE_LEN]);
        for (d, s) in n.iter_mut().zip(nonce) {
            *d = *s;
        }
        Self { cipher, nonce: n }
    }
}

impl<C> Ctr<C>
where
    C: BlockCipherEncrypt + BlockSizeUser<BlockSize = cipher::consts::U16>,
{
    fn apply_keystream(&self, iv: &[u8], payload: &mut [u8]) -> Result<(), CryptoError> {
        let mut block = Array::<u8, cipher::consts::U16>::default();
        block[..CTR_NONCE_LEN].copy_from_slice(&*self.nonce);
        let iv_field = &mut block[CTR_NONCE_LEN..CTR_NONCE_LEN + CTR_IV_LEN];
        if iv.len() != iv_field.len() {
            return Err(CryptoError::IcvMismatch);
        }
        iv_field.copy_from_slice(iv);
        block[CTR_NONCE_LEN + CTR_IV_LEN..].copy_from_slice(&1u32.to_be_bytes());
        ctr::CtrCore::<&C, ctr::flavors::Ctr32BE>::inner_iv_init(&self.cipher, &block)
            .try_apply_keystream_partial(payload.into())
            .map_err(|_| CryptoError::Unsupported {
                enc: "aes-ctr",
                reason: "payload longer than the 32-bit block counter allows",
            })
    }
}

impl<C> CipherMode for Ctr<C>
where
    C: BlockCipherEncrypt + BlockSizeUser<BlockSize = cipher::consts::U16> + Send + Sync,
{
    fn iv_len(&self) -> usize {
        CTR_IV_LEN
    }
    fn cipher_block(&self) -> usize {
        1
    }
    fn make_iv(&self, counter: u64, iv: &mut [u8]) {
        debug_assert_eq!(iv.len(), CTR_IV_LEN, "explicit IV length");
        for (d, s) in iv.iter_mut().zip(counter.to_be_bytes()) {
            *d = s;
        }
    }
    fn encrypt(&self, iv: &[u8], payload: &mut [u8]) -> Result<(), CryptoError> {
        self.apply_keystream(iv, payload)
    }
    fn decrypt(&self, iv: &[u8], payload: &mut [u8]) -> Result<(), CryptoError> {
        self.apply_keystream(iv, payload)
    }
}

/// A cipher mode plus HMAC, sealed and opened as one transform.
pub(crate) struct EncThenMac<M> {
    mode: M,
    integrity: Integrity,
    iv_seed: u64,
    accelerated: bool,
}

impl<M: CipherMode> EncThenMac<M> {
    pub(crate) fn new(mode: M, integrity: Integrity, iv_seed: u64, accelerated: bool) -> Self {
        Self {
            mode,
            integrity,
            iv_seed,
            accelerated,
        }
    }
}

/// The high 32 bits of an extended sequence number, as appended to the ICV input.
fn esn_trailer(seq_hi: Option<u32>) -> ([u8; 4], usize) {
    match seq_hi {
        Some(hi) => (hi.to_be_bytes(), 4),
        None => ([0; 4], 0),
    }
}

impl<M: CipherMode> EspTransform for EncThenMac<M> {
    fn iv_len(&self) -> usize {
        self.mode.iv_len()
    }
    fn icv_len(&self) -> usize {
        self.integrity.icv_len()
    }
    fn block_len(&self) -> usize {
        self.mode.cipher_block().max(ESP_ALIGN)
    }
    fn accelerated(&self) -> bool {
        self.accelerated
    }

    fn seal(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &mut [u8],
        payload: &mut [u8],
        icv: &mut [u8],
    ) {
        self.mode
            .make_iv(self.iv_seed.wrapping_add(full_seq(header, seq_hi)), iv);
        self.seal_with_iv(header, seq_hi, iv, payload, icv);
    }

    fn open(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        payload: &mut [u8],
        icv: &[u8],
    ) -> Result<(), CryptoError> {
        if iv.len() != self.mode.iv_len() {
            return Err(CryptoError::IcvMismatch);
        }
        let block = self.mode.cipher_block();
        if !payload.len().is_multiple_of(block) {
            return Err(CryptoError::BlockAlignment {
                len: payload.len(),
                block,
            });
        }
        let (hi, hi_len) = esn_trailer(seq_hi);
        self.integrity
            .verify(&[header, iv, payload, &hi[..hi_len]], icv)?;
        self.mode.decrypt(iv, payload)
    }
}

impl<M: CipherMode> SealWithIv for EncThenMac<M> {
    fn seal_with_iv(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        payload: &mut [u8],
        icv: &mut [u8],
    ) {
        debug_assert_eq!(iv.len(), self.mode.iv_len(), "explicit IV length");
        debug_assert_eq!(icv.len(), self.icv_len(), "ICV buffer length");
        if let Err(err) = self.mode.encrypt(iv, payload) {
            // A caller bug (unpadded payload, wrong IV slice): never send it readable.
            debug_assert!(false, "ESP seal failed: {err}");
            payload.fill(0);
        }
        let (hi, hi_len) = esn_trailer(seq_hi);
        self.integrity
            .compute(&[header, iv, payload, &hi[..hi_len]], icv);
    }
}
