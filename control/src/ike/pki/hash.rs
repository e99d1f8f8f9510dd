//! The hash functions signatures use, with their RFC 7427 numbers (IANA "IKEv2 Hash
//! Algorithms") and ASN.1 OIDs.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A signature hash (RFC 7427 section 7 registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// What tunsec announces in SIGNATURE_HASH_ALGORITHMS, strongest first. SHA-1 is left
    /// out: RFC 8247 says MUST NOT for new signatures, and method 1 covers old peers.
    pub const ANNOUNCED: [HashAlg; 3] = [HashAlg::Sha512, HashAlg::Sha384, HashAlg::Sha256];

    /// The RFC 7427 hash algorithm identifier.
    pub fn ike_id(self) -> u16 {
        match self {
            HashAlg::Sha1 => 1,
            HashAlg::Sha256 => 2,
            HashAlg::Sha384 => 3,
            HashAlg::Sha512 => 4,
        }
    }

    pub fn from_ike_id(id: u16) -> Option<Self> {
        Some(match id {
            1 => HashAlg::Sha1,
            2 => HashAlg::Sha256,
            3 => HashAlg::Sha384,
            4 => HashAlg::Sha512,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha384 => "sha384",
            HashAlg::Sha512 => "sha512",
        }
    }

    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The SIGNATURE_HASH_ALGORITHMS notify data: 16-bit identifiers, network order.
    pub fn notify_data(algs: &[HashAlg]) -> Vec<u8> {
        algs.iter().flat_map(|a| a.ike_id().to_be_bytes()).collect()
    }

    /// The algorithms a SIGNATURE_HASH_ALGORITHMS notify lists that we know (unknown ones
    /// are skipped, a trailing odd byte ignored).
    pub fn parse_notify(data: &[u8]) -> Vec<HashAlg> {
        data.chunks_exact(2)
            .filter_map(|c| HashAlg::from_ike_id(u16::from_be_bytes([c[0], c[1]])))
            .collect()
    }
}

impl std::fmt::Display for HashAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
