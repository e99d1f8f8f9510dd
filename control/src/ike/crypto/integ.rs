//! The IKE SA's integrity algorithms (RFC 7296 3.3.2 transform type 3). The HMAC itself is
//! the dataplane's [`Integrity`]: keyed once per SA, compared in constant time.

use tunsec_dataplane::crypto::{AuthAlgorithm, Integrity};

/// The IKE SA's integrity algorithm; `None` goes with an AEAD cipher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IkeInteg {
    /// NONE (ID 0): only with AES-GCM or ChaCha20-Poly1305.
    None,
    /// AUTH_HMAC_SHA1_96 (ID 2, RFC 2404).
    HmacSha1_96,
    /// AUTH_HMAC_SHA2_256_128 (ID 12, RFC 4868).
    HmacSha256_128,
    /// AUTH_HMAC_SHA2_384_192 (ID 13).
    HmacSha384_192,
    /// AUTH_HMAC_SHA2_512_256 (ID 14).
    HmacSha512_256,
}

impl IkeInteg {
    /// The algorithm of transform type 3 ID `id` (0 is NONE). Integrity transforms carry no
    /// Key Length attribute.
    pub fn from_transform(id: u16) -> Option<IkeInteg> {
        Some(match id {
            0 => IkeInteg::None,
            2 => IkeInteg::HmacSha1_96,
            12 => IkeInteg::HmacSha256_128,
            13 => IkeInteg::HmacSha384_192,
            14 => IkeInteg::HmacSha512_256,
            _ => return None,
        })
    }

    /// IANA transform ID (type 3).
    pub fn transform_id(self) -> u16 {
        match self {
            IkeInteg::None => 0,
            IkeInteg::HmacSha1_96 => 2,
            IkeInteg::HmacSha256_128 => 12,
            IkeInteg::HmacSha384_192 => 13,
            IkeInteg::HmacSha512_256 => 14,
        }
    }

    /// The dataplane's HMAC of the same truncation.
    pub(super) fn algorithm(self) -> Option<AuthAlgorithm> {
        match self {
            IkeInteg::None => None,
            IkeInteg::HmacSha1_96 => Some(AuthAlgorithm::Sha1),
            IkeInteg::HmacSha256_128 => Some(AuthAlgorithm::Sha256),
            IkeInteg::HmacSha384_192 => Some(AuthAlgorithm::Sha384),
            IkeInteg::HmacSha512_256 => Some(AuthAlgorithm::Sha512),
        }
    }

    /// Bytes of SK_ai/SK_ar: the hash output length (RFC 2404 2, RFC 4868 2.1.1).
    pub fn key_len(self) -> usize {
        self.algorithm().map_or(0, AuthAlgorithm::key_len)
    }

    /// Bytes of the truncated ICV at the end of the Encrypted payload.
    pub fn icv_len(self) -> usize {
        self.algorithm().map_or(0, AuthAlgorithm::icv_len)
    }

    /// The keyed HMAC; `None` for NONE.
    pub(super) fn keyed(self, key: &[u8]) -> Option<Result<Integrity, usize>> {
        self.algorithm()
            .map(|alg| Integrity::new(alg, key).map_err(|_| alg.key_len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_lengths() {
        let all = [
            (IkeInteg::None, 0, 0),
            (IkeInteg::HmacSha1_96, 20, 12),
            (IkeInteg::HmacSha256_128, 32, 16),
            (IkeInteg::HmacSha384_192, 48, 24),
            (IkeInteg::HmacSha512_256, 64, 32),
        ];
        for (integ, key, icv) in all {
            assert_eq!(IkeInteg::from_transform(integ.transform_id()), Some(integ));
            assert_eq!((integ.key_len(), integ.icv_len()), (key, icv), "{integ:?}");
        }
        // AUTH_HMAC_MD5_96 (1) and AUTH_AES_XCBC_96 (5) are not implemented.
        assert_eq!(IkeInteg::from_transform(1), None);
        assert_eq!(IkeInteg::from_transform(5), None);
    }
}
