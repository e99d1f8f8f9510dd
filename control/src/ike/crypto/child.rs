//! Child SA keying material (RFC 7296 2.17): KEYMAT from SK_d, and its cut into the four keys
//! of an ESP or AH SA pair.

use zeroize::Zeroizing;

use super::keys::KeyError;
use super::prf::Prf;

/// KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) when the
/// CREATE_CHILD_SA exchange ran its own Diffie-Hellman (PFS). `ni`/`nr` are the nonces of
/// the exchange that created the child (those of IKE_SA_INIT for the first child).
pub fn child_keymat(
    prf: Prf,
    sk_d: &[u8],
    shared: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    match shared {
        Some(gir) => prf.plus(sk_d, &[gir, ni, nr], len),
        None => prf.plus(sk_d, &[ni, nr], len),
    }
}

/// Bytes of KEYMAT one child SA pair takes: an encryption and an integrity key each way.
pub fn child_keymat_len(encr_key_len: usize, integ_key_len: usize) -> usize {
    2 * (encr_key_len + integ_key_len)
}

/// The keys of a child SA pair, zeroized on drop. "i" is the initiator of the exchange that
/// created the child (not necessarily of the IKE SA): its keys protect the SA that carries
/// traffic from that initiator to the responder.
pub struct ChildKeys {
    /// Encryption key initiator to responder; for AEAD ciphers it ends with the salt
    /// (RFC 4106 8.1, RFC 7634 2), as ESP key material does.
    pub encr_i: Zeroizing<Vec<u8>>,
    /// Integrity key initiator to responder (empty for AEAD ciphers).
    pub integ_i: Zeroizing<Vec<u8>>,
    /// Encryption key responder to initiator.
    pub encr_r: Zeroizing<Vec<u8>>,
    /// Integrity key responder to initiator.
    pub integ_r: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for ChildKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildKeys").finish_non_exhaustive()
    }
}

impl ChildKeys {
    /// Cuts KEYMAT in the order RFC 7296 2.17 gives for one protocol: all keys of the SA from
    /// initiator to responder first, encryption before integrity, then the other direction.
    /// `keymat` must be exactly [`child_keymat_len`] bytes.
    pub fn split(
        keymat: &[u8],
        encr_key_len: usize,
        integ_key_len: usize,
    ) -> Result<ChildKeys, KeyError> {
        let want = child_keymat_len(encr_key_len, integ_key_len);
        if keymat.len() != want {
            return Err(KeyError::KeymatLength {
                got: keymat.len(),
                want,
            });
        }
        let (encr_i, rest) = keymat.split_at(encr_key_len);
        let (integ_i, rest) = rest.split_at(integ_key_len);
        let (encr_r, integ_r) = rest.split_at(encr_key_len);
        let own = |k: &[u8]| Zeroizing::new(k.to_vec());
        Ok(ChildKeys {
            encr_i: own(encr_i),
            integ_i: own(integ_i),
            encr_r: own(encr_r),
            integ_r: own(integ_r),
        })
    }

    /// [`child_keymat`] of the right length, then [`split`](Self::split).
    pub fn derive(
        prf: Prf,
        sk_d: &[u8],
        shared: Option<&[u8]>,
        ni: &[u8],
        nr: &[u8],
        encr_key_len: usize,
        integ_key_len: usize,
    ) -> Result<ChildKeys, KeyError> {
        let len = child_keymat_len(encr_key_len, integ_key_len);
        let keymat = child_keymat(prf, sk_d, shared, ni, nr, len)?;
        Self::split(&keymat, encr_key_len, integ_key_len)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn pfs_secret_comes_before_the_nonces() {
        let (sk_d, ni, nr, gir) = ([1u8; 32], [2u8; 16], [3u8; 16], [4u8; 64]);
        let plain = child_keymat(Prf::HmacSha256, &sk_d, None, &ni, &nr, 100).unwrap();
        assert_eq!(
            plain,
            Prf::HmacSha256.plus(&sk_d, &[&ni, &nr], 100).unwrap()
        );
        let pfs = child_keymat(Prf::HmacSha256, &sk_d, Some(&gir), &ni, &nr, 100).unwrap();
        assert_eq!(
            pfs,
            Prf::HmacSha256.plus(&sk_d, &[&gir, &ni, &nr], 100).unwrap()
        );
        assert_ne!(plain, pfs);
    }

    #[test]
    fn split_order_is_encr_integ_per_direction() {
        // AES-CBC-128 + HMAC-SHA-256: 16 + 32 each way.
        let keymat: Vec<u8> = (0..96u8).collect();
        let k = ChildKeys::split(&keymat, 16, 32).unwrap();
        assert_eq!(&k.encr_i[..], &keymat[0..16]);
        assert_eq!(&k.integ_i[..], &keymat[16..48]);
        assert_eq!(&k.encr_r[..], &keymat[48..64]);
        assert_eq!(&k.integ_r[..], &keymat[64..96]);
        // AES-GCM-256: 32 + 4 salt each way, no integrity key.
        let keymat: Vec<u8> = (0..72u8).collect();
        let k = ChildKeys::split(&keymat, 36, 0).unwrap();
        assert_eq!(&k.encr_i[..], &keymat[..36]);
        assert!(k.integ_i.is_empty() && k.integ_r.is_empty());
        assert_eq!(&k.encr_r[..], &keymat[36..]);
    }

    #[test]
    fn split_refuses_the_wrong_length() {
        assert_eq!(
            ChildKeys::split(&[0; 95], 16, 32).unwrap_err(),
            KeyError::KeymatLength { got: 95, want: 96 }
        );
        assert!(ChildKeys::split(&[0; 97], 16, 32).is_err());
    }

    #[test]
    fn derive_is_keymat_then_split() {
        let (sk_d, ni, nr) = ([9u8; 48], [1u8; 32], [2u8; 32]);
        let k = ChildKeys::derive(Prf::HmacSha384, &sk_d, None, &ni, &nr, 20, 20).unwrap();
        let keymat = child_keymat(Prf::HmacSha384, &sk_d, None, &ni, &nr, 80).unwrap();
        assert_eq!(&k.integ_r[..], &keymat[60..]);
        assert_eq!(format!("{k:?}"), "ChildKeys { .. }");
    }
}
