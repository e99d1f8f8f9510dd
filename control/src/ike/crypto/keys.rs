//! The RFC 7296 key schedule: SKEYSEED and the seven IKE SA keys (2.14), their derivation
//! when the IKE SA is rekeyed (2.18), and child SA KEYMAT (2.17).

use zeroize::Zeroizing;

use super::prf::Prf;
use super::sk::{IkeEncr, IkeInteg};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("prf+ cannot produce {0} bytes (at most 255 blocks)")]
    TooLong(usize),
}

/// The inputs SKEYSEED mixes: both nonces and the DH shared secret.
pub struct SkeyseedInput<'a> {
    pub ni: &'a [u8],
    pub nr: &'a [u8],
    pub shared: &'a [u8],
}

/// The keys of one IKE SA (all zeroized on drop).
pub struct IkeSaKeys {
    pub sk_d: Zeroizing<Vec<u8>>,
    pub sk_ai: Zeroizing<Vec<u8>>,
    pub sk_ar: Zeroizing<Vec<u8>>,
    pub sk_ei: Zeroizing<Vec<u8>>,
    pub sk_er: Zeroizing<Vec<u8>>,
    pub sk_pi: Zeroizing<Vec<u8>>,
    pub sk_pr: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for IkeSaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IkeSaKeys(<hidden>)")
    }
}

impl IkeSaKeys {
    /// RFC 7296 2.14: SKEYSEED = prf(Ni | Nr, g^ir), then
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

    /// RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's
    /// PRF; the new SA's PRF expands it.
    #[allow(clippy::too_many_arguments)]
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

    fn expand(
        prf: Prf,
        encr: IkeEncr,
        integ: IkeInteg,
        skeyseed: &[u8],
        input: &SkeyseedInput<'_>,
        spi_i: [u8; 8],
        spi_r: [u8; 8],
    ) -> Result<IkeSaKeys, KeyError> {
        let (p, a, e) = (prf.key_len(), integ.key_len(), encr.key_material_len());
        let total = 3 * p + 2 * a + 2 * e;
        let km = prf.plus(skeyseed, &[input.ni, input.nr, &spi_i, &spi_r], total)?;
        let mut at = 0;
        let mut next = |len: usize| {
            let k = Zeroizing::new(km[at..at + len].to_vec());
            at += len;
            k
        };
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

/// RFC 7296 2.17: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr).
pub fn child_keymat(
    prf: Prf,
    sk_d: &[u8],
    shared: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    match shared {
        Some(s) => prf.plus(sk_d, &[s, ni, nr], len),
        None => prf.plus(sk_d, &[ni, nr], len),
    }
}
