//! Diffie-Hellman for IKEv2 (transform type 4): MODP groups (RFC 2409, 3526), NIST ECP groups
//! (RFC 5903) and Curve25519 (RFC 8031). Public values are KE payload data; shared secrets are
//! what SKEYSEED and KEYMAT take. Every check a peer's public value needs (RFC 6989, RFC 8031
//! 2.3) happens in [`DhPrivate::agree`].

mod ecp;
mod modp;
pub(crate) mod primes;
mod x25519;

use zeroize::Zeroizing;

/// Why a key could not be made or agreed. Every variant but `Random` and `PrimeTable` is the
/// peer's fault (INVALID_SYNTAX / INVALID_KE_PAYLOAD territory).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DhError {
    /// The KE data is not as long as the group's public values.
    #[error("{group} public value has {got} bytes, {want} expected")]
    PublicLength {
        group: &'static str,
        got: usize,
        want: usize,
    },
    /// A MODP public value outside 2..=p-2 (RFC 6989 2.1).
    #[error("{0} public value is not in 1 < y < p-1")]
    PublicOutOfRange(&'static str),
    /// An ECP public value that is not a point of the curve (RFC 6989 2.3).
    #[error("{0} public value is not a point on the curve")]
    NotOnCurve(&'static str),
    /// A Curve25519 public value of small order: the shared secret came out all zeros
    /// (RFC 8031 2.3).
    #[error("{0} shared secret is all zeros (small-order public value)")]
    NonContributory(&'static str),
    /// The operating system gave no random bytes for the private key.
    #[error("no randomness for a {group} private key: {reason}")]
    Random { group: &'static str, reason: String },
    /// A built-in MODP prime failed to parse (a build defect; the tests parse every one).
    #[error("{0} prime is not usable")]
    PrimeTable(&'static str),
}

/// A Diffie-Hellman group tunsec implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhGroup {
    /// Group 1, 768-bit MODP (RFC 2409). RFC 8247: MUST NOT.
    Modp768,
    /// Group 2, 1024-bit MODP (RFC 2409). RFC 8247: SHOULD NOT.
    Modp1024,
    /// Group 5, 1536-bit MODP (RFC 3526).
    Modp1536,
    /// Group 14, 2048-bit MODP.
    Modp2048,
    /// Group 15, 3072-bit MODP.
    Modp3072,
    /// Group 16, 4096-bit MODP.
    Modp4096,
    /// Group 17, 6144-bit MODP.
    Modp6144,
    /// Group 18, 8192-bit MODP.
    Modp8192,
    /// Group 19, NIST P-256 (RFC 5903).
    Ecp256,
    /// Group 20, NIST P-384.
    Ecp384,
    /// Group 21, NIST P-521.
    Ecp521,
    /// Group 31, Curve25519 (RFC 8031).
    Curve25519,
}

impl DhGroup {
    /// Every group, weakest MODP first.
    pub const ALL: [DhGroup; 12] = [
        DhGroup::Modp768,
        DhGroup::Modp1024,
        DhGroup::Modp1536,
        DhGroup::Modp2048,
        DhGroup::Modp3072,
        DhGroup::Modp4096,
        DhGroup::Modp6144,
        DhGroup::Modp8192,
        DhGroup::Ecp256,
        DhGroup::Ecp384,
        DhGroup::Ecp521,
        DhGroup::Curve25519,
    ];

    /// The group of transform type 4 ID `id`, if tunsec implements it.
    pub fn from_id(id: u16) -> Option<DhGroup> {
        Self::ALL.into_iter().find(|g| g.id() == id)
    }

    /// IANA transform ID (type 4), also the KE payload's group number.
    pub fn id(self) -> u16 {
        match self {
            DhGroup::Modp768 => 1,
            DhGroup::Modp1024 => 2,
            DhGroup::Modp1536 => 5,
            DhGroup::Modp2048 => 14,
            DhGroup::Modp3072 => 15,
            DhGroup::Modp4096 => 16,
            DhGroup::Modp6144 => 17,
            DhGroup::Modp8192 => 18,
            DhGroup::Ecp256 => 19,
            DhGroup::Ecp384 => 20,
            DhGroup::Ecp521 => 21,
            DhGroup::Curve25519 => 31,
        }
    }

    /// The name RouterOS (and tunsec's config) uses.
    pub fn name(self) -> &'static str {
        match self {
            DhGroup::Modp768 => "modp768",
            DhGroup::Modp1024 => "modp1024",
            DhGroup::Modp1536 => "modp1536",
            DhGroup::Modp2048 => "modp2048",
            DhGroup::Modp3072 => "modp3072",
            DhGroup::Modp4096 => "modp4096",
            DhGroup::Modp6144 => "modp6144",
            DhGroup::Modp8192 => "modp8192",
            DhGroup::Ecp256 => "ecp256",
            DhGroup::Ecp384 => "ecp384",
            DhGroup::Ecp521 => "ecp521",
            DhGroup::Curve25519 => "curve25519",
        }
    }

    /// Whether this is a MODP group, whose large members cost milliseconds (see
    /// `DhGroup::generate`), so a driver may want them off its poll loop.
    pub fn is_modp(self) -> bool {
        modp::Spec::of(self).is_some()
    }

    /// Bytes of KE payload data: the prime's length for MODP, x | y for ECP (RFC 5903 7),
    /// the u-coordinate for Curve25519.
    pub fn public_len(self) -> usize {
        match self {
            DhGroup::Ecp256 => 64,
            DhGroup::Ecp384 => 96,
            DhGroup::Ecp521 => 132,
            DhGroup::Curve25519 => 32,
            other => modp::Spec::of(other).map_or(0, |s| s.prime_len()),
        }
    }

    /// Bytes of the shared secret: as long as the prime for MODP, the x coordinate for ECP.
    pub fn shared_len(self) -> usize {
        match self {
            DhGroup::Ecp256 => 32,
            DhGroup::Ecp384 => 48,
            DhGroup::Ecp521 => 66,
            DhGroup::Curve25519 => 32,
            other => modp::Spec::of(other).map_or(0, |s| s.prime_len()),
        }
    }

    /// A fresh private key and its public value. MODP private exponents are twice as long
    /// as RFC 3526's upper strength estimate (320 bits for group 14, 640 for group 18).
    pub fn generate(self) -> Result<DhPrivate, DhError> {
        let key = match self {
            DhGroup::Ecp256 => Key::Ecp256(ecp::EcpKey::generate(self)?),
            DhGroup::Ecp384 => Key::Ecp384(ecp::EcpKey::generate(self)?),
            DhGroup::Ecp521 => Key::Ecp521(ecp::EcpKey::generate(self)?),
            DhGroup::Curve25519 => Key::X25519(x25519::X25519Key::generate(self)?),
            other => Key::Modp(modp::ModpKey::generate(other)?),
        };
        Ok(DhPrivate { group: self, key })
    }
}

enum Key {
    Modp(modp::ModpKey),
    Ecp256(ecp::EcpKey<p256::NistP256>),
    Ecp384(ecp::EcpKey<p384::NistP384>),
    Ecp521(ecp::EcpKey<p521::NistP521>),
    X25519(x25519::X25519Key),
}

/// Our half of one Diffie-Hellman exchange: the private key (zeroized on drop) and the
/// public value. `Send`, so large MODP work can move to another thread.
pub struct DhPrivate {
    group: DhGroup,
    key: Key,
}

impl std::fmt::Debug for DhPrivate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DhPrivate")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl DhPrivate {
    /// The group the key belongs to.
    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// The KE payload data ([`DhGroup::public_len`] bytes).
    pub fn public_key(&self) -> &[u8] {
        match &self.key {
            Key::Modp(k) => k.public(),
            Key::Ecp256(k) => k.public(),
            Key::Ecp384(k) => k.public(),
            Key::Ecp521(k) => k.public(),
            Key::X25519(k) => k.public(),
        }
    }

    /// The shared secret g^ir with the peer's KE data, after checking the peer's value
    /// (length; MODP range, ECP point, Curve25519 contribution).
    pub fn agree(&self, peer_public: &[u8]) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let want = self.group.public_len();
        if peer_public.len() != want {
            return Err(DhError::PublicLength {
                group: self.group.name(),
                got: peer_public.len(),
                want,
            });
        }
        match &self.key {
            Key::Modp(k) => k.agree(peer_public),
            Key::Ecp256(k) => k.agree(self.group, peer_public),
            Key::Ecp384(k) => k.agree(self.group, peer_public),
            Key::Ecp521(k) => k.agree(self.group, peer_public),
            Key::X25519(k) => k.agree(self.group, peer_public),
        }
    }

    /// A key from known private bytes, for published test vectors: the ECP scalar or the
    /// X25519 scalar (big-endian / as on the wire), or the MODP exponent big-endian.
    #[cfg(test)]
    pub(crate) fn from_private_bytes(group: DhGroup, private: &[u8]) -> Option<DhPrivate> {
        let key = match group {
            DhGroup::Ecp256 => Key::Ecp256(ecp::EcpKey::from_scalar(private)?),
            DhGroup::Ecp384 => Key::Ecp384(ecp::EcpKey::from_scalar(private)?),
            DhGroup::Ecp521 => Key::Ecp521(ecp::EcpKey::from_scalar(private)?),
            DhGroup::Curve25519 => Key::X25519(x25519::X25519Key::from_scalar(private)?),
            other => Key::Modp(modp::ModpKey::from_exponent(other, private).ok()?),
        };
        Some(DhPrivate { group, key })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for g in DhGroup::ALL {
            assert_eq!(DhGroup::from_id(g.id()), Some(g));
        }
        for unknown in [0, 3, 4, 22, 23, 24, 25, 26, 32] {
            assert_eq!(DhGroup::from_id(unknown), None);
        }
    }

    /// Both sides of a generated pair agree, in every group, and the values have the
    /// lengths the RFCs fix.
    #[test]
    fn every_group_agrees_with_itself() {
        for g in DhGroup::ALL {
            let a = g.generate().unwrap();
            let b = g.generate().unwrap();
            assert_eq!(a.public_key().len(), g.public_len(), "{g:?}");
            assert_ne!(a.public_key(), b.public_key(), "{g:?}");
            let ab = a.agree(b.public_key()).unwrap();
            let ba = b.agree(a.public_key()).unwrap();
            assert_eq!(ab, ba, "{g:?}");
            assert_eq!(ab.len(), g.shared_len(), "{g:?}");
            assert_eq!(a.group(), g);
        }
    }

    #[test]
    fn wrong_lengths_are_refused() {
        for g in DhGroup::ALL {
            let a = g.generate().unwrap();
            let b = g.generate().unwrap();
            let peer = b.public_key();
            for bad in [&peer[1..], &[peer, &[0][..]].concat()[..], &[][..]] {
                assert!(
                    matches!(a.agree(bad), Err(DhError::PublicLength { .. })),
                    "{g:?} len {}",
                    bad.len()
                );
            }
        }
    }

    #[test]
    fn private_key_is_send_and_hidden() {
        fn send<T: Send>() {}
        send::<DhPrivate>();
        let k = DhGroup::Curve25519.generate().unwrap();
        assert_eq!(format!("{k:?}"), "DhPrivate { group: Curve25519, .. }");
    }

    /// Cost of generate and of agree for each group (`cargo test --release -p tunsec --lib
    /// dh_cost -- --ignored --nocapture`). The minimum of many runs is reported, as it is the
    /// least disturbed by other load on the machine; the median is shown beside it.
    #[test]
    #[ignore = "timing report, not a check"]
    fn dh_cost() {
        fn summary(mut runs: Vec<std::time::Duration>) -> String {
            runs.sort();
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
            format!(
                "{:8.3} ms (median {:8.3})",
                ms(runs[0]),
                ms(runs[runs.len() / 2])
            )
        }
        for g in DhGroup::ALL {
            let peer = g.generate().unwrap();
            let rounds = if g.public_len() >= 768 { 10 } else { 40 };
            let (mut generate, mut agree) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let start = std::time::Instant::now();
                let k = g.generate().unwrap();
                generate.push(start.elapsed());
                let start = std::time::Instant::now();
                std::hint::black_box(k.agree(peer.public_key()).unwrap());
                agree.push(start.elapsed());
            }
            println!(
                "{:>10}: generate {}  agree {}",
                g.name(),
                summary(generate),
                summary(agree)
            );
        }
    }
}
