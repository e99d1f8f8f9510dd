//! ESP and AH cryptographic transforms.
//!
//! Every ESP transform, AEAD or cipher+HMAC, has one shape: [`EspTransform`] seals and opens a
//! payload in place given the ESP header, so `esp.rs` has a single encrypt and decrypt path
//! (the idea strongSwan's libipsec uses by wrapping CBC+HMAC as an AEAD). Key schedules,
//! GHASH keys and HMAC ipad/opad states are built once per SA in [`build_esp_transform`],
//! never per packet. AH uses [`Integrity`] alone.

mod algorithm;

pub use algorithm::{AuthAlgorithm, EncAlgorithm, KeyBits, UnknownAlgorithm};

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
