//! Combined-mode ESP transforms: AES-GCM (RFC 4106), ChaCha20-Poly1305 (RFC 7634) and
//! AES-GMAC (RFC 4543 ENCR_NULL_AUTH_AES_GMAC).
//!
//! All three take a 4-byte salt from the end of the key material and send an 8-byte explicit
//! IV; the 12-byte nonce is salt ‖ IV. The IV is the SA's counter (`iv_seed` plus the 64-bit
//! sequence number) big-endian: unique per packet, which is all these modes ask of it.

use aes_gcm::aead::{AeadCore, AeadInOut, Nonce, Tag};
use cipher::array::Array;
use cipher::consts::{U12, U16};
use cipher::typenum::Unsigned;
use cipher::{BlockCipherEncrypt, KeyInit};
use ghash::GHash;
use ghash::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::{CryptoError, EspTransform, SealWithIv, esp_aad, full_seq};

/// Bytes of salt at the end of the key material (RFC 4106 section 8.1, RFC 7634 section 2).
pub(crate) const SALT_LEN: usize = 4;
/// Bytes of explicit IV on the wire.
pub(crate) const IV_LEN: usize = 8;
/// ESP payloads of AEAD transforms only need 4-byte alignment (RFC 4303 section 2.4).
const BLOCK_LEN: usize = 4;

fn salt_array(salt: &[u8]) -> Zeroizing<[u8; SALT_LEN]> {
    let mut out = Zeroizing::new([0u8; SALT_LEN]);
    for (d, s) in out.iter_mut().zip(salt) {
        *d = *s;
    }
    out
}

/// salt ‖ IV; tolerates (and debug-asserts against) an IV of the wrong length.
fn nonce_bytes(salt: &[u8; SALT_LEN], iv: &[u8]) -> [u8; SALT_LEN + IV_LEN] {
    debug_assert_eq!(iv.len(), IV_LEN, "explicit IV must be {IV_LEN} bytes");
    let mut nonce = [0u8; SALT_LEN + IV_LEN];
    nonce[..SALT_LEN].copy_from_slice(salt);
    for (d, s) in nonce[SALT_LEN..].iter_mut().zip(iv) {
        *d = *s;
    }
    nonce
}

fn write_counter_iv(counter: u64, iv: &mut [u8]) {
    debug_assert_eq!(iv.len(), IV_LEN, "explicit IV must be {IV_LEN} bytes");
    for (d, s) in iv.iter_mut().zip(counter.to_be_bytes()) {
        *d = s;
    }
}

/// AES-GCM or ChaCha20-Poly1305 over the payload, with SPI ‖ (E)SN as AAD.
pub(crate) struct AeadTransform<A> {
    aead: A,
    salt: Zeroizing<[u8; SALT_LEN]>,
    iv_seed: u64,
    accelerated: bool,
}

impl<A> AeadTransform<A>
where
    A: AeadInOut + AeadCore<NonceSize = U12>,
{
    pub(crate) fn new(aead: A, salt: &[u8], iv_seed: u64, accelerated: bool) -> Self {
        Self {
            aead,
            salt: salt_array(salt),
            iv_seed,
            accelerated,
        }
    }

    fn nonce(&self, iv: &[u8]) -> Nonce<A> {
        Array::from(nonce_bytes(&self.salt, iv))
    }
}

impl<A> EspTransform for AeadTransform<A>
where
    A: AeadInOut + AeadCore<NonceSize = U12> + Send + Sync,
{
    fn iv_len(&self) -> usize {
        IV_LEN
    }
    fn icv_len(&self) -> usize {
        A::TagSize::USIZE
    }
    fn block_len(&self) -> usize {
        BLOCK_LEN
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
        write_counter_iv(self.iv_seed.wrapping_add(full_seq(header, seq_hi)), iv);
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
        if iv.len() != IV_LEN {
            return Err(CryptoError::IcvMismatch);
        }
        let tag = Tag::<A>::try_from(icv).map_err(|_| CryptoError::IcvMismatch)?;
        let aad = esp_aad(header, seq_hi);
        // The AEAD checks the tag in constant time before it decrypts anything.
        self.aead
            .decrypt_inout_detached(&self.nonce(iv), aad.as_slice(), payload.into(), &tag)
            .map_err(|_| CryptoError::IcvMismatch)
    }
}

impl<A> SealWithIv for AeadTransform<A>
where
    A: AeadInOut + AeadCore<NonceSize = U12> + Send + Sync,
{
    fn seal_with_iv(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        payload: &mut [u8],
        icv: &mut [u8],
    ) {
        debug_assert_eq!(icv.len(), self.icv_len(), "ICV buffer length");
        let aad = esp_aad(header, seq_hi);
        match self
            .aead
            .encrypt_inout_detached(&self.nonce(iv), aad.as_slice(), payload.into())
        {
            Ok(tag) => {
                for (d, s) in icv.iter_mut().zip(tag.iter()) {
                    *d = *s;
                }
            }
            // Only a payload past GCM's 64 GiB limit fails; never send it readable.
            Err(_) => {
                payload.fill(0);
                icv.fill(0);
            }
        }
    }
}

/// GHASH over a byte stream given in pieces, zero-padded once at the end; the pieces need
/// not be block-aligned and nothing is allocated.
struct GhashStream {
    ghash: GHash,
    pending: ghash::Block,
    pending_len: usize,
    total_len: u64,
}

impl GhashStream {
    fn new(ghash: GHash) -> Self {
        Self {
            ghash,
            pending: ghash::Block::default(),
            pending_len: 0,
            total_len: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total_len += data.len() as u64;
        if self.pending_len > 0 {
            let take = (self.pending.len() - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < self.pending.len() {
                return;
            }
            self.ghash.update(std::slice::from_ref(&self.pending));
            self.pending_len = 0;
        }
        let (blocks, rest) = ghash::Block::slice_as_chunks(data);
        self.ghash.update(blocks);
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// GHASH(H, A, C) for AAD = everything given to `update` and an empty ciphertext.
    fn finalize_as_aad(mut self) -> ghash::Block {
        if self.pending_len > 0 {
            self.pending[self.pending_len..].fill(0);
            self.ghash.update(std::slice::from_ref(&self.pending));
        }
        let mut lengths = ghash::Block::default();
        lengths[..8].copy_from_slice(&(self.total_len * 8).to_be_bytes());
        self.ghash.update(std::slice::from_ref(&lengths));
        self.ghash.finalize()
    }
}

/// RFC 4543 ENCR_NULL_AUTH_AES_GMAC: nothing is encrypted; the 16-byte tag is GCM's over
/// AAD = SPI ‖ (E)SN ‖ IV ‖ payload and an empty plaintext. Those pieces are not contiguous
/// in the caller's buffers, so GHASH runs here over the pieces rather than through `AesGcm`.
pub(crate) struct Gmac<C> {
    cipher: C,
    /// Keyed with H = E_K(0^128); wiped on drop by ghash/polyval's `zeroize` feature.
    ghash: GHash,
    salt: Zeroizing<[u8; SALT_LEN]>,
    iv_seed: u64,
    accelerated: bool,
}

const GMAC_TAG_LEN: usize = 16;

impl<C> Gmac<C>
where
    C: BlockCipherEncrypt<BlockSize = U16>,
{
    pub(crate) fn new(cipher: C, salt: &[u8], iv_seed: u64, accelerated: bool) -> Self {
        let mut h = ghash::Block::default();
        cipher.encrypt_block(&mut h);
        let ghash = GHash::new(&h);
        h.zeroize();
        Self {
            cipher,
            ghash,
            salt: salt_array(salt),
            iv_seed,
            accelerated,
        }
    }

    fn tag(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        payload: &[u8],
    ) -> ghash::Block {
        let mut stream = GhashStream::new(self.ghash.clone());
        stream.update(esp_aad(header, seq_hi).as_slice());
        stream.update(iv);
        stream.update(payload);
        let mut tag = stream.finalize_as_aad();

        // J0 = salt ‖ IV ‖ 0x00000001 for a 96-bit nonce (NIST SP 800-38D section 7.1).
        let mut j0 = ghash::Block::default();
        j0[..SALT_LEN + IV_LEN].copy_from_slice(&nonce_bytes(&self.salt, iv));
        j0[15] = 1;
        self.cipher.encrypt_block(&mut j0);
        for (t, m) in tag.iter_mut().zip(j0.iter()) {
            *t ^= *m;
        }
        j0.zeroize();
        tag
    }
}

impl<C> EspTransform for Gmac<C>
where
    C: BlockCipherEncrypt<BlockSize = U16> + Send + Sync,
{
    fn iv_len(&self) -> usize {
        IV_LEN
    }
    fn icv_len(&self) -> usize {
        GMAC_TAG_LEN
    }
    fn block_len(&self) -> usize {
        BLOCK_LEN
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
        write_counter_iv(self.iv_seed.wrapping_add(full_seq(header, seq_hi)), iv);
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
        if iv.len() != IV_LEN || icv.len() != GMAC_TAG_LEN {
            return Err(CryptoError::IcvMismatch);
        }
        let expected = self.tag(header, seq_hi, iv, payload);
        if bool::from(expected.as_slice().ct_eq(icv)) {
            Ok(())
        } else {
            Err(CryptoError::IcvMismatch)
        }
    }
}

impl<C> SealWithIv for Gmac<C>
where
    C: BlockCipherEncrypt<BlockSize = U16> + Send + Sync,
{
    fn seal_with_iv(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        payload: &mut [u8],
        icv: &mut [u8],
    ) {
        debug_assert_eq!(icv.len(), GMAC_TAG_LEN, "ICV buffer length");
        let tag = self.tag(header, seq_hi, iv, payload);
        for (d, s) in icv.iter_mut().zip(tag.iter()) {
            *d = *s;
        }
    }
}

/// Builds a cipher from `key` (length already validated by the caller).
pub(crate) fn keyed<C: KeyInit>(algorithm: &'static str, key: &[u8]) -> Result<C, CryptoError> {
    C::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
        algorithm,
        expected: C::key_size(),
        actual: key.len(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn ghash_stream_matches_contiguous() {
        // Feeding the same bytes in awkward pieces must give the same GHASH as one slice.
        let h = ghash::Block::from([0x42u8; 16]);
        let data: Vec<u8> = (0..77u8).collect();
        let mut whole = GhashStream::new(GHash::new(&h));
        whole.update(&data);
        let whole = whole.finalize_as_aad();
        for split in [0, 1, 4, 12, 15, 16, 17, 20, 33, 76, 77] {
            for split2 in [split, (split + 5).min(77), 77] {
                let mut pieces = GhashStream::new(GHash::new(&h));
                pieces.update(&data[..split]);
                pieces.update(&data[split..split2]);
                pieces.update(&data[split2..]);
                assert_eq!(pieces.finalize_as_aad(), whole, "split at {split}/{split2}");
            }
        }
    }

    #[test]
    fn ghash_stream_matches_update_padded() {
        // Cross-check the padding and length block against the crate's own padded update.
        let h = ghash::Block::from([0x17u8; 16]);
        let data: Vec<u8> = (0..45u8).collect();
        let mut reference = GHash::new(&h);
        reference.update_padded(&data);
        let mut lengths = ghash::Block::default();
        lengths[..8].copy_from_slice(&(45u64 * 8).to_be_bytes());
        reference.update(std::slice::from_ref(&lengths));
        let mut stream = GhashStream::new(GHash::new(&h));
        stream.update(&data[..7]);
        stream.update(&data[7..]);
        assert_eq!(stream.finalize_as_aad(), reference.finalize());
    }
}
