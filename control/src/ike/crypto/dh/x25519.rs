//! Curve25519 Diffie-Hellman for IKEv2 (RFC 8031): 32-byte public values and secrets, and
//! the all-zero check of section 2.3.

use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::{DhError, DhGroup};

/// A private scalar (zeroized on drop by x25519-dalek) and its public value. `StaticSecret`
/// rather than `EphemeralSecret` because `agree` borrows: the exchange code keeps the key
/// until the IKE SA is keyed.
pub(super) struct X25519Key {
    secret: StaticSecret,
    public: [u8; 32],
}

impl X25519Key {
    pub(super) fn generate(group: DhGroup) -> Result<Self, DhError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).map_err(|e| DhError::Random {
            group: group.name(),
            reason: e.to_string(),
        })?;
        Ok(Self::from_array(&bytes))
    }

    /// The key with scalar `bytes` (clamped when used, RFC 7748 5).
    #[cfg(test)]
    pub(super) fn from_scalar(bytes: &[u8]) -> Option<Self> {
        let array = Zeroizing::new(<[u8; 32]>::try_from(bytes).ok()?);
        Some(Self::from_array(&array))
    }

    fn from_array(bytes: &[u8; 32]) -> Self {
        let secret = StaticSecret::from(*bytes);
        let public = PublicKey::from(&secret).to_bytes();
        X25519Key { secret, public }
    }

    pub(super) fn public(&self) -> &[u8] {
        &self.public
    }

    /// X25519(secret, peer), refusing the all-zero output a small-order peer value gives
    /// (RFC 8031 2.3). `peer` is already known to be 32 bytes.
    pub(super) fn agree(&self, group: DhGroup, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let peer: [u8; 32] = peer.try_into().map_err(|_| DhError::PublicLength {
            group: group.name(),
            got: peer.len(),
            want: 32,
        })?;
        let shared = self.secret.diffie_hellman(&PublicKey::from(peer));
        if !shared.was_contributory() {
            return Err(DhError::NonContributory(group.name()));
        }
        Ok(Zeroizing::new(shared.as_bytes().to_vec()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::DhPrivate;
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 7748 section 6.1, both directions.
    #[test]
    fn rfc7748_vector() {
        let a_priv = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let a_pub = h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let b_priv = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let b_pub = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        let a = DhPrivate::from_private_bytes(DhGroup::Curve25519, &a_priv).unwrap();
        let b = DhPrivate::from_private_bytes(DhGroup::Curve25519, &b_priv).unwrap();
        assert_eq!(a.public_key(), &a_pub[..]);
        assert_eq!(b.public_key(), &b_pub[..]);
        assert_eq!(&a.agree(&b_pub).unwrap()[..], &shared[..]);
        assert_eq!(&b.agree(&a_pub).unwrap()[..], &shared[..]);
    }

    /// Small-order u-coordinates (0, 1 and a point of order 8) give an all-zero secret.
    #[test]
    fn small_order_points_are_refused() {
        let key = X25519Key::generate(DhGroup::Curve25519).unwrap();
        let mut one = [0u8; 32];
        one[0] = 1;
        let order8 = h("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
        for bad in [[0u8; 32].to_vec(), one.to_vec(), order8] {
            assert_eq!(
                key.agree(DhGroup::Curve25519, &bad).unwrap_err(),
                DhError::NonContributory("curve25519")
            );
        }
    }
}
