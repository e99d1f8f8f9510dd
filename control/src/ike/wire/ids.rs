//! Transform IDs (RFC 7296 3.3.2 and the IANA "IKEv2 Transform Type N" registries) under
//! their IANA names, the Diffie-Hellman group newtype, and names for logs.

use std::fmt;

use super::sa::TransformType;

/// Defines `u16` consts and a lookup from value to name for one transform type.
macro_rules! transform_ids {
    ($lookup:ident: $($name:ident = $v:literal),* $(,)?) => {
        $(pub const $name: u16 = $v;)*

        pub(super) fn $lookup(id: u16) -> Option<&'static str> {
            match id {
                $($v => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

/// Transform IDs as `u16` consts, named as in the IANA registries (the prefix says which
/// transform type they belong to: ENCR_, PRF_, AUTH_, ESN_; DH groups are [`DhGroupId`]).
pub mod transform_id {
    transform_ids! {
        encr_name:
        ENCR_DES_IV64 = 1,
        ENCR_DES = 2,
        ENCR_3DES = 3,
        ENCR_BLOWFISH = 7,
        ENCR_NULL = 11,
        ENCR_AES_CBC = 12,
        ENCR_AES_CTR = 13,
        ENCR_AES_CCM_8 = 14,
        ENCR_AES_CCM_12 = 15,
        ENCR_AES_CCM_16 = 16,
        ENCR_AES_GCM_8 = 18,
        ENCR_AES_GCM_12 = 19,
        ENCR_AES_GCM_16 = 20,
        ENCR_NULL_AUTH_AES_GMAC = 21,
        ENCR_CAMELLIA_CBC = 23,
        ENCR_CAMELLIA_CTR = 24,
        ENCR_CHACHA20_POLY1305 = 28,
    }

    transform_ids! {
        prf_name:
        PRF_HMAC_MD5 = 1,
        PRF_HMAC_SHA1 = 2,
        PRF_AES128_XCBC = 4,
        PRF_HMAC_SHA2_256 = 5,
        PRF_HMAC_SHA2_384 = 6,
        PRF_HMAC_SHA2_512 = 7,
        PRF_AES128_CMAC = 8,
    }

    transform_ids! {
        integ_name:
        AUTH_NONE = 0,
        AUTH_HMAC_MD5_96 = 1,
        AUTH_HMAC_SHA1_96 = 2,
        AUTH_AES_XCBC_96 = 5,
        AUTH_AES_CMAC_96 = 8,
        AUTH_HMAC_SHA2_256_128 = 12,
        AUTH_HMAC_SHA2_384_192 = 13,
        AUTH_HMAC_SHA2_512_256 = 14,
    }

    transform_ids! {
        esn_name:
        ESN_NO = 0,
        ESN_YES = 1,
    }
}

/// A Diffie-Hellman group number (transform type 4, and the KE payload's group field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DhGroupId(pub u16);

impl DhGroupId {
    /// No DH (an ESP proposal without PFS may list it).
    pub const NONE: Self = Self(0);
    pub const MODP_768: Self = Self(1);
    pub const MODP_1024: Self = Self(2);
    pub const MODP_1536: Self = Self(5);
    pub const MODP_2048: Self = Self(14);
    pub const MODP_3072: Self = Self(15);
    pub const MODP_4096: Self = Self(16);
    pub const MODP_6144: Self = Self(17);
    pub const MODP_8192: Self = Self(18);
    pub const ECP_256: Self = Self(19);
    pub const ECP_384: Self = Self(20);
    pub const ECP_521: Self = Self(21);
    pub const CURVE25519: Self = Self(31);
    pub const CURVE448: Self = Self(32);

    /// The IANA name, or `None` for a group this table does not know.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::NONE => "NONE",
            Self::MODP_768 => "MODP_768",
            Self::MODP_1024 => "MODP_1024",
            Self::MODP_1536 => "MODP_1536",
            Self::MODP_2048 => "MODP_2048",
            Self::MODP_3072 => "MODP_3072",
            Self::MODP_4096 => "MODP_4096",
            Self::MODP_6144 => "MODP_6144",
            Self::MODP_8192 => "MODP_8192",
            Self::ECP_256 => "ECP_256",
            Self::ECP_384 => "ECP_384",
            Self::ECP_521 => "ECP_521",
            Self::CURVE25519 => "CURVE25519",
            Self::CURVE448 => "CURVE448",
            _ => return None,
        })
    }
}

impl fmt::Display for DhGroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "DH_{}", self.0),
        }
    }
}

/// The IANA name of transform `id` of type `kind`, if the tables know it.
pub fn transform_name(kind: TransformType, id: u16) -> Option<&'static str> {
    match kind {
        TransformType::ENCR => transform_id::encr_name(id),
        TransformType::PRF => transform_id::prf_name(id),
        TransformType::INTEG => transform_id::integ_name(id),
        TransformType::DH => DhGroupId(id).name(),
        TransformType::ESN => transform_id::esn_name(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_registries() {
        assert_eq!(transform_id::ENCR_AES_GCM_16, 20);
        assert_eq!(transform_id::AUTH_HMAC_SHA2_512_256, 14);
        assert_eq!(
            transform_name(TransformType::ENCR, 28),
            Some("ENCR_CHACHA20_POLY1305")
        );
        assert_eq!(
            transform_name(TransformType::PRF, 5),
            Some("PRF_HMAC_SHA2_256")
        );
        assert_eq!(
            transform_name(TransformType::INTEG, 12),
            Some("AUTH_HMAC_SHA2_256_128")
        );
        assert_eq!(transform_name(TransformType::DH, 31), Some("CURVE25519"));
        assert_eq!(transform_name(TransformType::ESN, 1), Some("ESN_YES"));
        assert_eq!(transform_name(TransformType::ENCR, 999), None);
        assert_eq!(transform_name(TransformType(9), 1), None);
        assert_eq!(DhGroupId(1234).to_string(), "DH_1234");
    }
}
