//! Algorithm names and parameters, spelled as in RouterOS's `/ip ipsec` menus.
//!
//! These enums are the vocabulary shared by the config file, the SAD and `installed-sa` output:
//! `name()` gives the manual's spelling and `FromStr` accepts it back.

use std::fmt;
use std::str::FromStr;

/// AES and Camellia key sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyBits {
    K128,
    K192,
    K256,
}

impl KeyBits {
    pub const fn bytes(self) -> usize {
        match self {
            KeyBits::K128 => 16,
            KeyBits::K192 => 24,
            KeyBits::K256 => 32,
        }
    }
}

/// ESP encryption algorithm (proposal `enc-algorithms`, manual-sa `esp-enc-algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncAlgorithm {
    /// RFC 2410: no confidentiality; needs a non-null auth algorithm.
    Null,
    /// DES-CBC, 56-bit key (legacy, RFC 8221 MUST NOT).
    Des,
    /// 3DES-CBC, 168-bit key.
    TripleDes,
    AesCbc(KeyBits),
    /// RFC 3686; the key carries a 4-byte nonce at its end.
    AesCtr(KeyBits),
    /// RFC 4106 with an ICV of 8, 12 or 16 bytes; the key carries a 4-byte salt at its end.
    AesGcm {
        key: KeyBits,
        icv_len: u8,
    },
    /// RFC 4543 NULL_AUTH_AES_GMAC: integrity only; the key carries a 4-byte salt.
    AesGmac(KeyBits),
    /// Blowfish-CBC with a 128-bit key.
    Blowfish,
    /// Twofish-CBC with a 256-bit key.
    Twofish,
    CamelliaCbc(KeyBits),
    /// RFC 7634; 256-bit key plus a 4-byte salt.
    ChaCha20Poly1305,
}

/// Integrity algorithm (proposal `auth-algorithms`, manual-sa `esp-auth-algorithm`, `ah-algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthAlgorithm {
    Null,
    /// HMAC-MD5-96 (RFC 2403).
    Md5,
    /// HMAC-SHA1-96 (RFC 2404).
    Sha1,
    /// HMAC-SHA-256-128 (RFC 4868).
    Sha256,
    /// HMAC-SHA-384-192 (RFC 4868).
    Sha384,
    /// HMAC-SHA-512-256 (RFC 4868).
    Sha512,
}

/// A name that is not one of the accepted algorithm names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm {name:?}; accepted: {accepted}")]
pub struct UnknownAlgorithm {
    pub name: String,
    pub accepted: String,
}

const ENC_ALGORITHMS: &[EncAlgorithm] = {
    use EncAlgorithm::*;
    use KeyBits::*;
    &[
        Null,
        Des,
        TripleDes,
        AesCbc(K128),
        AesCbc(K192),
        AesCbc(K256),
        AesCtr(K128),
        AesCtr(K192),
        AesCtr(K256),
        AesGcm {
            key: K128,
            icv_len: 16,
        },
        AesGcm {
            key: K192,
            icv_len: 16,
        },
        AesGcm {
            key: K256,
            icv_len: 16,
        },
        AesGcm {
            key: K128,
            icv_len: 12,
        },
        AesGcm {
            key: K192,
            icv_len: 12,
        },
        AesGcm {
            key: K256,
            icv_len: 12,
        },
        AesGcm {
            key: K128,
            icv_len: 8,
        },
        AesGcm {
            key: K192,
            icv_len: 8,
        },
        AesGcm {
            key: K256,
            icv_len: 8,
        },
        AesGmac(K128),
        AesGmac(K192),
        AesGmac(K256),
        Blowfish,
        Twofish,
        CamelliaCbc(K128),
        CamelliaCbc(K192),
        CamelliaCbc(K256),
        ChaCha20Poly1305,
    ]
};

const AUTH_ALGORITHMS: &[AuthAlgorithm] = &[
    AuthAlgorithm::Null,
    AuthAlgorithm::Md5,
    AuthAlgorithm::Sha1,
    AuthAlgorithm::Sha256,
    AuthAlgorithm::Sha384,
    AuthAlgorithm::Sha512,
];

impl EncAlgorithm {
    /// Every supported algorithm, in the order `accepted` lists them.
    pub fn all() -> &'static [EncAlgorithm] {
        ENC_ALGORITHMS
    }

    /// The manual's spelling (`aes-128-cbc`, `3des`, `camellia-256`, ...).
    pub fn name(self) -> &'static str {
        use EncAlgorithm::*;
        use KeyBits::*;
        match self {
            Null => "null",
            Des => "des",
            TripleDes => "3des",
            AesCbc(K128) => "aes-128-cbc",
            AesCbc(K192) => "aes-192-cbc",
            AesCbc(K256) => "aes-256-cbc",
            AesCtr(K128) => "aes-128-ctr",
            AesCtr(K192) => "aes-192-ctr",
            AesCtr(K256) => "aes-256-ctr",
            AesGcm {
                key: K128,
                icv_len: 8,
            } => "aes-128-gcm-8",
            AesGcm {
                key: K192,
                icv_len: 8,
            } => "aes-192-gcm-8",
            AesGcm {
                key: K256,
                icv_len: 8,
            } => "aes-256-gcm-8",
            AesGcm {
                key: K128,
                icv_len: 12,
            } => "aes-128-gcm-12",
            AesGcm {
                key: K192,
                icv_len: 12,
            } => "aes-192-gcm-12",
            AesGcm {
                key: K256,
                icv_len: 12,
            } => "aes-256-gcm-12",
            AesGcm { key: K128, .. } => "aes-128-gcm",
            AesGcm { key: K192, .. } => "aes-192-gcm",
            AesGcm { key: K256, .. } => "aes-256-gcm",
            AesGmac(K128) => "aes-128-gmac",
            AesGmac(K192) => "aes-192-gmac",
            AesGmac(K256) => "aes-256-gmac",
            Blowfish => "blowfish",
            Twofish => "twofish",
            CamelliaCbc(K128) => "camellia-128",
            CamelliaCbc(K192) => "camellia-192",
            CamelliaCbc(K256) => "camellia-256",
            ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }

    /// Key material length in bytes, including the 4-byte salt/nonce of CTR, GCM, GMAC and
    /// ChaCha20-Poly1305 (RFC 4106/3686 keying material, as `ip xfrm` takes it).
    pub fn key_len(self) -> usize {
        use EncAlgorithm::*;
        match self {
            Null => 0,
            Des => 8,
            TripleDes => 24,
            AesCbc(k) | CamelliaCbc(k) => k.bytes(),
            AesCtr(k) | AesGcm { key: k, .. } | AesGmac(k) => k.bytes() + 4,
            Blowfish => 16,
            Twofish => 32,
            ChaCha20Poly1305 => 36,
        }
    }

    /// Key size in bits as `installed-sa enc-key-size` shows it (salt excluded).
    pub fn key_bits(self) -> usize {
        use EncAlgorithm::*;
        match self {
            AesCtr(_) | AesGcm { .. } | AesGmac(_) | ChaCha20Poly1305 => (self.key_len() - 4) * 8,
            Des => 56,
            TripleDes => 168,
            _ => self.key_len() * 8,
        }
    }

    /// Whether the algorithm authenticates by itself (auth algorithm must then be null).
    pub fn is_aead(self) -> bool {
        matches!(
            self,
            EncAlgorithm::AesGcm { .. } | EncAlgorithm::AesGmac(_) | EncAlgorithm::ChaCha20Poly1305
        )
    }

    /// The manual's `enc-algorithm` family as `installed-sa` prints it (`aes-cbc`, `aes-gcm`, ...).
    pub fn family(self) -> &'static str {
        use EncAlgorithm::*;
        match self {
            Null => "null",
            Des => "des",
            TripleDes => "3des",
            AesCbc(_) => "aes-cbc",
            AesCtr(_) => "aes-ctr",
            AesGcm { .. } => "aes-gcm",
            AesGmac(_) => "aes-gmac",
            Blowfish => "blowfish",
            Twofish => "twofish",
            CamelliaCbc(_) => "camellia",
            ChaCha20Poly1305 => "chacha20-poly1305",
        }
    }
}

impl AuthAlgorithm {
    pub fn all() -> &'static [AuthAlgorithm] {
        AUTH_ALGORITHMS
    }

    pub fn name(self) -> &'static str {
        match self {
            AuthAlgorithm::Null => "null",
            AuthAlgorithm::Md5 => "md5",
            AuthAlgorithm::Sha1 => "sha1",
            AuthAlgorithm::Sha256 => "sha256",
            AuthAlgorithm::Sha384 => "sha384",
            AuthAlgorithm::Sha512 => "sha512",
        }
    }

    /// HMAC key length in bytes (the hash output size, as RFC 2403/2404/4868 key them).
    pub fn key_len(self) -> usize {
        match self {
            AuthAlgorithm::Null => 0,
            AuthAlgorithm::Md5 => 16,
            AuthAlgorithm::Sha1 => 20,
            AuthAlgorithm::Sha256 => 32,
            AuthAlgorithm::Sha384 => 48,
            AuthAlgorithm::Sha512 => 64,
        }
    }

    /// Truncated ICV length in bytes.
    pub fn icv_len(self) -> usize {
        match self {
            AuthAlgorithm::Null => 0,
            AuthAlgorithm::Md5 | AuthAlgorithm::Sha1 => 12,
            AuthAlgorithm::Sha256 => 16,
            AuthAlgorithm::Sha384 => 24,
            AuthAlgorithm::Sha512 => 32,
        }
    }
}

fn accepted_names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|a| name(*a)).collect::<Vec<_>>().join(", ")
}

impl FromStr for EncAlgorithm {
    type Err = UnknownAlgorithm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // RouterOS also spells GCM without the dash before "gcm" ("aes-128gcm") in places.
        let normalized = s
            .trim()
            .to_ascii_lowercase()
            .replace("gcm", "-gcm")
            .replace("--", "-");
        let normalized = normalized.trim_start_matches('-');
        ENC_ALGORITHMS
            .iter()
            .copied()
            .find(|a| a.name() == normalized || a.name() == s)
            .ok_or_else(|| UnknownAlgorithm {
                name: s.to_string(),
                accepted: accepted_names(ENC_ALGORITHMS, EncAlgorithm::name),
            })
    }
}

impl FromStr for AuthAlgorithm {
    type Err = UnknownAlgorithm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        AUTH_ALGORITHMS
            .iter()
            .copied()
            .find(|a| a.name() == lower)
            .ok_or_else(|| UnknownAlgorithm {
                name: s.to_string(),
                accepted: accepted_names(AUTH_ALGORITHMS, AuthAlgorithm::name),
            })
    }
}

impl fmt::Display for EncAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for AuthAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in EncAlgorithm::all() {
            assert_eq!(a.name().parse::<EncAlgorithm>().unwrap(), *a);
        }
        for a in AuthAlgorithm::all() {
            assert_eq!(a.name().parse::<AuthAlgorithm>().unwrap(), *a);
        }
    }

    #[test]
    fn routeros_gcm_spelling_accepted() {
        assert_eq!(
            "aes-128gcm".parse::<EncAlgorithm>().unwrap(),
            EncAlgorithm::AesGcm {
                key: KeyBits::K128,
                icv_len: 16
            }
        );
    }

    #[test]
    fn unknown_name_lists_accepted() {
        let err = "aes-512-cbc".parse::<EncAlgorithm>().unwrap_err();
        assert!(err.to_string().contains("aes-256-cbc"), "{err}");
    }

    #[test]
    fn key_lengths_include_salt() {
        assert_eq!(
            EncAlgorithm::AesGcm {
                key: KeyBits::K128,
                icv_len: 16
            }
            .key_len(),
            20
        );
        assert_eq!(EncAlgorithm::AesCtr(KeyBits::K256).key_len(), 36);
        assert_eq!(
            EncAlgorithm::AesGcm {
                key: KeyBits::K256,
                icv_len: 16
            }
            .key_bits(),
            256
        );
    }
}
