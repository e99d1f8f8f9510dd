//! The IKE SA's encryption algorithms (RFC 7296 3.3.2 transform type 1) and the lengths the
//! key schedule and the Encrypted payload need from them.

/// ENCR_AES_CBC (RFC 3602).
pub const ENCR_AES_CBC: u16 = 12;
/// ENCR_AES_GCM_8 (RFC 5282).
pub const ENCR_AES_GCM_8: u16 = 18;
/// ENCR_AES_GCM_12.
pub const ENCR_AES_GCM_12: u16 = 19;
/// ENCR_AES_GCM_16.
pub const ENCR_AES_GCM_16: u16 = 20;
/// ENCR_CHACHA20_POLY1305 (RFC 7634).
pub const ENCR_CHACHA20_POLY1305: u16 = 28;

/// Salt at the end of an AEAD's key material (RFC 5282 7.1, RFC 7634 2).
pub(super) const AEAD_SALT_LEN: usize = 4;
/// Explicit IV of the AEADs in the Encrypted payload.
pub(super) const AEAD_IV_LEN: usize = 8;
/// AES block, which is also the CBC IV.
pub(super) const AES_BLOCK_LEN: usize = 16;

/// The IKE SA's cipher. Construct it with [`IkeEncr::from_transform`] from what a peer sent;
/// a hand-built value with other lengths is refused by `SkCipher::new`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IkeEncr {
    /// AES-CBC with a 16, 24 or 32-byte key, paired with an HMAC integrity algorithm.
    AesCbc {
        /// Key bytes (16, 24 or 32).
        key_len: usize,
    },
    /// AES-GCM (RFC 5282) with its ICV length.
    AesGcm {
        /// Key bytes without the salt (16, 24 or 32).
        key_len: usize,
        /// ICV bytes: 8, 12 or 16 (transform 18, 19 or 20).
        icv_len: usize,
    },
    /// ChaCha20-Poly1305 (RFC 7634): 32-byte key, 16-byte ICV.
    ChaCha20Poly1305,
}

impl IkeEncr {
    /// The cipher of transform ID `id` with Key Length attribute `key_bits` (in bits, as on
    /// the wire). AES requires the attribute (RFC 3602, 5282); ChaCha20-Poly1305 forbids it
    /// (RFC 7634 2). `None` for anything else, so the caller can skip the transform.
    pub fn from_transform(id: u16, key_bits: Option<u16>) -> Option<IkeEncr> {
        let aes_key = || match key_bits {
            Some(128) => Some(16),
            Some(192) => Some(24),
            Some(256) => Some(32),
            _ => None,
        };
        let gcm = |icv_len| aes_key().map(|key_len| IkeEncr::AesGcm { key_len, icv_len });
        match id {
            ENCR_AES_CBC => aes_key().map(|key_len| IkeEncr::AesCbc { key_len }),
            ENCR_AES_GCM_8 => gcm(8),
            ENCR_AES_GCM_12 => gcm(12),
            ENCR_AES_GCM_16 => gcm(16),
            ENCR_CHACHA20_POLY1305 if key_bits.is_none() => Some(IkeEncr::ChaCha20Poly1305),
            _ => None,
        }
    }

    /// IANA transform ID (type 1).
    pub fn transform_id(self) -> u16 {
        match self {
            IkeEncr::AesCbc { .. } => ENCR_AES_CBC,
            IkeEncr::AesGcm { icv_len: 8, .. } => ENCR_AES_GCM_8,
            IkeEncr::AesGcm { icv_len: 12, .. } => ENCR_AES_GCM_12,
            IkeEncr::AesGcm { .. } => ENCR_AES_GCM_16,
            IkeEncr::ChaCha20Poly1305 => ENCR_CHACHA20_POLY1305,
        }
    }

    /// The Key Length attribute to send, in bits (`None`: the transform has none).
    pub fn key_length_attr(self) -> Option<u16> {
        match self {
            IkeEncr::AesCbc { key_len } | IkeEncr::AesGcm { key_len, .. } => {
                Some((key_len * 8) as u16)
            }
            IkeEncr::ChaCha20Poly1305 => None,
        }
    }

    /// Whether the cipher authenticates too (then the proposal has no integrity transform).
    pub fn is_aead(self) -> bool {
        !matches!(self, IkeEncr::AesCbc { .. })
    }

    /// Whether the lengths are ones the cipher exists with.
    pub fn is_valid(self) -> bool {
        match self {
            IkeEncr::AesCbc { key_len } => matches!(key_len, 16 | 24 | 32),
            IkeEncr::AesGcm { key_len, icv_len } => {
                matches!(key_len, 16 | 24 | 32) && matches!(icv_len, 8 | 12 | 16)
            }
            IkeEncr::ChaCha20Poly1305 => true,
        }
    }

    /// Bytes of the cipher key proper.
    pub fn key_len(self) -> usize {
        match self {
            IkeEncr::AesCbc { key_len } | IkeEncr::AesGcm { key_len, .. } => key_len,
            IkeEncr::ChaCha20Poly1305 => 32,
        }
    }

    /// Bytes of salt taken from the key material (4 for the AEADs, RFC 5282 7.1 and RFC 7634
    /// 2; none for CBC).
    pub fn salt_len(self) -> usize {
        if self.is_aead() { AEAD_SALT_LEN } else { 0 }
    }

    /// Bytes of SK_ei/SK_er (and of a child's encryption KEYMAT): the key plus the salt.
    pub fn key_material_len(self) -> usize {
        self.key_len() + self.salt_len()
    }

    /// Bytes of the IV at the start of the Encrypted payload.
    pub fn iv_len(self) -> usize {
        if self.is_aead() {
            AEAD_IV_LEN
        } else {
            AES_BLOCK_LEN
        }
    }

    /// Bytes of the cipher's own ICV (0 for CBC, whose ICV comes from the integrity
    /// algorithm).
    pub fn icv_len(self) -> usize {
        match self {
            IkeEncr::AesCbc { .. } => 0,
            IkeEncr::AesGcm { icv_len, .. } => icv_len,
            IkeEncr::ChaCha20Poly1305 => 16,
        }
    }

    /// What the padded plaintext must be a multiple of: the AES block for CBC; the AEADs are
    /// stream modes and need no alignment (RFC 5282 3, RFC 7634 4).
    pub fn block_len(self) -> usize {
        if self.is_aead() { 1 } else { AES_BLOCK_LEN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms_round_trip() {
        let all = [
            IkeEncr::AesCbc { key_len: 16 },
            IkeEncr::AesCbc { key_len: 24 },
            IkeEncr::AesCbc { key_len: 32 },
            IkeEncr::AesGcm {
                key_len: 16,
                icv_len: 8,
            },
            IkeEncr::AesGcm {
                key_len: 24,
                icv_len: 12,
            },
            IkeEncr::AesGcm {
                key_len: 32,
                icv_len: 16,
            },
            IkeEncr::ChaCha20Poly1305,
        ];
        for e in all {
            assert!(e.is_valid());
            assert_eq!(
                IkeEncr::from_transform(e.transform_id(), e.key_length_attr()),
                Some(e)
            );
        }
    }

    #[test]
    fn key_length_attribute_rules() {
        assert_eq!(IkeEncr::from_transform(ENCR_AES_CBC, None), None);
        assert_eq!(IkeEncr::from_transform(ENCR_AES_CBC, Some(64)), None);
        assert_eq!(IkeEncr::from_transform(ENCR_AES_GCM_16, None), None);
        assert_eq!(
            IkeEncr::from_transform(ENCR_CHACHA20_POLY1305, Some(256)),
            None
        );
        // 3DES (3), AES-CTR (13) and CCM (14-16) are not offered.
        assert_eq!(IkeEncr::from_transform(3, None), None);
        assert_eq!(IkeEncr::from_transform(13, Some(128)), None);
    }

    #[test]
    fn lengths() {
        let gcm = IkeEncr::AesGcm {
            key_len: 32,
            icv_len: 16,
        };
        assert_eq!(
            (
                gcm.key_material_len(),
                gcm.iv_len(),
                gcm.icv_len(),
                gcm.block_len()
            ),
            (36, 8, 16, 1)
        );
        let cbc = IkeEncr::AesCbc { key_len: 24 };
        assert_eq!(
            (
                cbc.key_material_len(),
                cbc.iv_len(),
                cbc.icv_len(),
                cbc.block_len()
            ),
            (24, 16, 0, 16)
        );
        let chacha = IkeEncr::ChaCha20Poly1305;
        assert_eq!(
            (chacha.key_material_len(), chacha.iv_len(), chacha.icv_len()),
            (36, 8, 16)
        );
        assert!(!IkeEncr::AesCbc { key_len: 20 }.is_valid());
        assert!(
            !IkeEncr::AesGcm {
                key_len: 16,
                icv_len: 4
            }
            .is_valid()
        );
    }
}
