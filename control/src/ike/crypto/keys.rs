//! The IKE SA key schedule: SKEYSEED and the seven keys of RFC 7296 2.14, and their
//! derivation when an IKE SA is rekeyed (2.18).

use zeroize::Zeroizing;

use super::encr::IkeEncr;
use super::integ::IkeInteg;
use super::prf::Prf;

/// What went wrong deriving keys. Only a local bug or an absurd request gets here: no peer
/// input decides these lengths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// prf+ has a one-octet counter, so it yields at most 255 PRF blocks.
    #[error("prf+ cannot produce {requested} bytes (at most {max} with this PRF)")]
    PrfPlusTooLong { requested: usize, max: usize },
    /// KEYMAT handed to a split is not exactly as long as the keys it is cut into.
    #[error("KEYMAT has {got} bytes, the keys need {want}")]
    KeymatLength { got: usize, want: usize },
}

/// What SKEYSEED mixes: both nonces and the Diffie-Hellman shared secret g^ir (for a rekey,
/// the new exchange's nonces and secret).
pub struct SkeyseedInput<'a> {
    /// Ni, the initiator's nonce (payload data, without the generic header).
    pub ni: &'a [u8],
    /// Nr, the responder's nonce.
    pub nr: &'a [u8],
    /// g^ir as [`DhPrivate::agree`](super::DhPrivate::agree) returns it.
    pub shared: &'a [u8],
}

/// The keys of one IKE SA, zeroized on drop. "i" keys protect and authenticate what the
/// original initiator of this IKE SA sends, "r" keys what the responder sends.
pub struct IkeSaKeys {
    /// SK_d: keys child SAs (2.17) and the next IKE SA (2.18).
    pub sk_d: Zeroizing<Vec<u8>>,
    /// SK_ai: integrity key of the initiator's messages (empty with an AEAD).
    pub sk_ai: Zeroizing<Vec<u8>>,
    /// SK_ar: integrity key of the responder's messages.
    pub sk_ar: Zeroizing<Vec<u8>>,
    /// SK_ei: encryption key of the initiator's messages (with the 4-byte salt for AEADs).
    pub sk_ei: Zeroizing<Vec<u8>>,
    /// SK_er: encryption key of the responder's messages.
    pub sk_er: Zeroizing<Vec<u8>>,
    /// SK_pi: key for the initiator's AUTH payload (2.15).
    pub sk_pi: Zeroizing<Vec<u8>>,
    /// SK_pr: key for the responder's AUTH payload.
    pub sk_pr: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for IkeSaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IkeSaKeys").finish_non_exhaustive()
    }
}

impl IkeSaKeys {
    /// A new IKE SA's keys (RFC 7296 2.14):
    /// SKEYSEED = prf(Ni | Nr, g^ir), then
    /// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
    pub fn derive(
        prf: Prf,
        encr: IkeEncr,
        integ: IkeInteg,
        input: &SkeyseedInput<'_>,
        spi_i: [u8; 8],
        spi_r: [u8; 8],
    ) -> Result<IkeSaKeys, KeyError> {
        let mut nonces = Zeroizing::new(Vec::with_capacity(input.ni.len() + input.nr.len()));
        nonces.extend_from_slice(input.ni);
        nonces.extend_from_slice(input.nr);
        let skeyseed = prf.compute(&nonces, &[input.shared]);
        Self::expand(prf, encr, integ, &skeyseed, input, spi_i, spi_r)
    }

    /// The keys of an IKE SA that replaces one (RFC 7296 2.18):
    /// SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), computed with the OLD SA's PRF, then
    /// expanded as in [`derive`](Self::derive) with the NEW SA's PRF, nonces and SPIs.
    #[allow(clippy::too_many_arguments)] // the RFC's inputs, each needed
    pub fn derive_rekey(
        old_prf: Prf,
        old_sk_d: &[u8],
        prf: Prf,
        encr: IkeEncr,
        integ: IkeInteg,
        input: &SkeyseedInput<'_>,
        spi_i: [u8; 8],
        spi_r: [u8; 8],
    ) -> Result<IkeSaKeys, KeyError> {
        let skeyseed = old_prf.compute(old_sk_d, &[input.shared, input.ni, input.nr]);
        Self::expand(prf, encr, integ, &skeyseed, input, spi_i, spi_r)
    }

    /// Bytes of prf+ output the seven keys take.
    pub fn total_len(prf: Prf, encr: IkeEncr, integ: IkeInteg) -> usize {
        3 * prf.key_len() + 2 * integ.key_len() + 2 * encr.key_material_len()
    }

    fn expand(
        prf: Prf,
        encr: IkeEncr,
        integ: IkeInteg,
        skeyseed: &[u8],
        input: &SkeyseedInput<'_>,
        spi_i: [u8; 8],
        spi_r: [u8; 8],
    ) -> Result<IkeSaKeys, KeyError> {
        let total = Self::total_len(prf, encr, integ);
        let keymat = prf.plus(skeyseed, &[input.ni, input.nr, &spi_i, &spi_r], total)?;
        let mut rest: &[u8] = &keymat;
        let mut next = |len: usize| {
            let (key, tail) = rest.split_at(len.min(rest.len()));
            rest = tail;
            Zeroizing::new(key.to_vec())
        };
        let (p, a, e) = (prf.key_len(), integ.key_len(), encr.key_material_len());
        Ok(IkeSaKeys {
            sk_d: next(p),
            sk_ai: next(a),
            sk_ar: next(a),
            sk_ei: next(e),
            sk_er: next(e),
            sk_pi: next(p),
            sk_pr: next(p),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn input<'a>(ni: &'a [u8], nr: &'a [u8], shared: &'a [u8]) -> SkeyseedInput<'a> {
        SkeyseedInput { ni, nr, shared }
    }

    /// The seven keys are consecutive slices of one prf+ stream, in the RFC's order, with
    /// the lengths the suite asks for.
    #[test]
    fn keys_are_the_prf_plus_stream_in_order() {
        let (ni, nr, gir) = ([1u8; 32], [2u8; 48], [3u8; 256]);
        let (spi_i, spi_r) = ([4u8; 8], [5u8; 8]);
        let cases = [
            (
                Prf::HmacSha256,
                IkeEncr::AesCbc { key_len: 32 },
                IkeInteg::HmacSha256_128,
            ),
            (
                Prf::HmacSha1,
                IkeEncr::AesCbc { key_len: 16 },
                IkeInteg::HmacSha1_96,
            ),
            (
                Prf::HmacSha384,
                IkeEncr::AesGcm {
                    key_len: 32,
                    icv_len: 16,
                },
                IkeInteg::None,
            ),
            (Prf::HmacSha512, IkeEncr::ChaCha20Poly1305, IkeInteg::None),
        ];
        for (prf, encr, integ) in cases {
            let keys =
                IkeSaKeys::derive(prf, encr, integ, &input(&ni, &nr, &gir), spi_i, spi_r).unwrap();
            let mut nonces = ni.to_vec();
            nonces.extend_from_slice(&nr);
            let skeyseed = prf.compute(&nonces, &[&gir]);
            let total = IkeSaKeys::total_len(prf, encr, integ);
            let stream = prf
                .plus(&skeyseed, &[&ni, &nr, &spi_i, &spi_r], total)
                .unwrap();
            let joined: Vec<u8> = [
                &keys.sk_d,
                &keys.sk_ai,
                &keys.sk_ar,
                &keys.sk_ei,
                &keys.sk_er,
                &keys.sk_pi,
                &keys.sk_pr,
            ]
            .iter()
            .flat_map(|k| k.iter().copied())
            .collect();
            assert_eq!(joined, &stream[..]);
            assert_eq!(keys.sk_d.len(), prf.key_len());
            assert_eq!(keys.sk_pr.len(), prf.key_len());
            assert_eq!(keys.sk_ai.len(), integ.key_len());
            assert_eq!(keys.sk_er.len(), encr.key_material_len());
        }
    }

    #[test]
    fn rekey_uses_the_old_prf_and_sk_d() {
        let (ni, nr, gir) = ([7u8; 16], [8u8; 16], [9u8; 32]);
        let old_sk_d = [0x5a; 20];
        let (encr, integ) = (IkeEncr::AesCbc { key_len: 16 }, IkeInteg::HmacSha256_128);
        let keys = IkeSaKeys::derive_rekey(
            Prf::HmacSha1,
            &old_sk_d,
            Prf::HmacSha256,
            encr,
            integ,
            &input(&ni, &nr, &gir),
            [1; 8],
            [2; 8],
        )
        .unwrap();
        let skeyseed = Prf::HmacSha1.compute(&old_sk_d, &[&gir, &ni, &nr]);
        assert_eq!(skeyseed.len(), 20);
        let total = IkeSaKeys::total_len(Prf::HmacSha256, encr, integ);
        let stream = Prf::HmacSha256
            .plus(&skeyseed, &[&ni, &nr, &[1; 8], &[2; 8]], total)
            .unwrap();
        assert_eq!(&keys.sk_d[..], &stream[..32]);
        assert_eq!(&keys.sk_pr[..], &stream[total - 32..]);
    }

    #[test]
    fn debug_shows_no_key() {
        let keys = IkeSaKeys::derive(
            Prf::HmacSha256,
            IkeEncr::AesCbc { key_len: 16 },
            IkeInteg::HmacSha256_128,
            &input(&[1; 8], &[2; 8], &[3; 8]),
            [0; 8],
            [0; 8],
        )
        .unwrap();
        let shown = format!("{keys:?}");
        assert_eq!(shown, "IkeSaKeys { .. }");
    }
}
