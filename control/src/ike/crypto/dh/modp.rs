//! MODP Diffie-Hellman (RFC 2409 groups 1-2, RFC 3526 groups 5 and 14-18), generator 2.
//! Exponentiation is crypto-bigint's fixed-window Montgomery exponentiation with
//! constant-time table lookups, so its timing does not depend on the secret exponent's value;
//! the Montgomery parameters of each prime are built once per process.

use std::sync::OnceLock;

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use zeroize::Zeroizing;

use super::primes;
use super::{DhError, DhGroup};

/// One MODP group: its prime and how long our private exponents are.
pub(super) struct Spec {
    group: DhGroup,
    /// Bits of the prime (a multiple of 64 for every group).
    bits: u32,
    /// Bits of our private exponents: twice the upper strength estimate of RFC 3526 section
    /// 8, rounded up to 64, and never under 256. An exponent this long is as hard to find as
    /// the discrete log itself while costing a fraction of a full-size one (for the 8192-bit
    /// group, 640 bits instead of 8192: 13 times cheaper).
    exponent_bits: u32,
    prime_hex: &'static str,
    /// Index into `PARAMS`.
    slot: usize,
}

const SPECS: [Spec; 8] = [
    spec(DhGroup::Modp768, 768, 256, primes::MODP_768, 0),
    spec(DhGroup::Modp1024, 1024, 256, primes::MODP_1024, 1),
    spec(DhGroup::Modp1536, 1536, 256, primes::MODP_1536, 2),
    spec(DhGroup::Modp2048, 2048, 320, primes::MODP_2048, 3),
    spec(DhGroup::Modp3072, 3072, 448, primes::MODP_3072, 4),
    spec(DhGroup::Modp4096, 4096, 512, primes::MODP_4096, 5),
    spec(DhGroup::Modp6144, 6144, 576, primes::MODP_6144, 6),
    spec(DhGroup::Modp8192, 8192, 640, primes::MODP_8192, 7),
];

const fn spec(
    group: DhGroup,
    bits: u32,
    exponent_bits: u32,
    prime_hex: &'static str,
    slot: usize,
) -> Spec {
    Spec {
        group,
        bits,
        exponent_bits,
        prime_hex,
        slot,
    }
}

/// Montgomery parameters per group, built on first use (`None` if the prime failed to
/// parse, which the tests rule out).
static PARAMS: [OnceLock<Option<BoxedMontyParams>>; 8] = [const { OnceLock::new() }; 8];

impl Spec {
    /// The MODP group's spec, `None` for elliptic curves.
    pub(super) fn of(group: DhGroup) -> Option<&'static Spec> {
        SPECS.iter().find(|s| s.group == group)
    }

    /// Bytes of the prime: of public values and of shared secrets.
    pub(super) fn prime_len(&self) -> usize {
        self.bits as usize / 8
    }

    fn params(&self) -> Result<&'static BoxedMontyParams, DhError> {
        let cell = PARAMS
            .get(self.slot)
            .ok_or(DhError::PrimeTable(self.group.name()))?;
        cell.get_or_init(|| {
            let bytes = hex::decode(self.prime_hex).ok()?;
            let p = BoxedUint::from_be_slice(&bytes, self.bits).ok()?;
            let odd = Option::<Odd<BoxedUint>>::from(Odd::new(p))?;
            // The modulus is public, so variable-time setup leaks nothing.
            Some(BoxedMontyParams::new_vartime(odd))
        })
        .as_ref()
        .ok_or(DhError::PrimeTable(self.group.name()))
    }

    /// base^exponent mod p, big-endian and as long as the prime. Constant-time in the
    /// exponent's value; its length (`exponent.bits_precision()`) is public.
    fn pow(&self, base: BoxedUint, exponent: &BoxedUint) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let params = self.params()?;
        let base = BoxedMontyForm::new(base, params);
        let power = Zeroizing::new(base.pow_bounded_exp(exponent, exponent.bits_precision()));
        let value = Zeroizing::new(power.retrieve());
        let bytes = Zeroizing::new(value.to_be_bytes());
        Ok(fixed_len(&bytes, self.prime_len()))
    }
}

/// `value` right-aligned in `len` bytes (leading zeros kept or added, never cut from the
/// low end).
fn fixed_len(value: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    let skip = value.len().saturating_sub(len);
    let tail = value.get(skip..).unwrap_or_default();
    let at = len - tail.len();
    out[at..].copy_from_slice(tail);
    out
}

/// A MODP private exponent and its public value.
pub(super) struct ModpKey {
    spec: &'static Spec,
    exponent: Zeroizing<BoxedUint>,
    public: Vec<u8>,
}

impl ModpKey {
    /// A random exponent of `spec.exponent_bits` bits with the top bit set, so every key
    /// takes the same time to use and none is trivially small.
    pub(super) fn generate(group: DhGroup) -> Result<ModpKey, DhError> {
        let spec = Spec::of(group).ok_or(DhError::PrimeTable(group.name()))?;
        let mut bytes = Zeroizing::new(vec![0u8; spec.exponent_bits as usize / 8]);
        getrandom::fill(&mut bytes).map_err(|e| DhError::Random {
            group: group.name(),
            reason: e.to_string(),
        })?;
        if let Some(top) = bytes.first_mut() {
            *top |= 0x80;
        }
        Self::from_exponent(group, &bytes)
    }

    /// The key with exponent `bytes` (big-endian).
    pub(super) fn from_exponent(group: DhGroup, bytes: &[u8]) -> Result<ModpKey, DhError> {
        let spec = Spec::of(group).ok_or(DhError::PrimeTable(group.name()))?;
        let exponent = Zeroizing::new(BoxedUint::from_be_slice_vartime(bytes));
        let generator = BoxedUint::from_be_slice_truncated(&[2], spec.bits);
        let public = spec.pow(generator, &exponent)?.to_vec();
        Ok(ModpKey {
            spec,
            exponent,
            public,
        })
    }

    pub(super) fn public(&self) -> &[u8] {
        &self.public
    }

    /// y^x mod p after RFC 6989 2.1's check 1 < y < p-1 (for these safe primes the only
    /// small-subgroup values are 1 and p-1, so the range check is the whole check).
    /// `peer` is already known to be as long as the prime.
    pub(super) fn agree(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let spec = self.spec;
        let out_of_range = DhError::PublicOutOfRange(spec.group.name());
        let y = BoxedUint::from_be_slice(peer, spec.bits).map_err(|_| out_of_range.clone())?;
        let one = BoxedUint::one_with_precision(spec.bits);
        let p_minus_1 = spec.params()?.modulus().as_ref().wrapping_sub(&one);
        // y is public: variable-time comparisons are fine.
        if y <= one || y >= p_minus_1 {
            return Err(out_of_range);
        }
        spec.pow(y, &self.exponent)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// Every prime parses, is as long as its group says, begins and ends with 64 one bits
    /// (RFC 2409 6 / RFC 3526 construction) and 2 has order q = (p-1)/2 modulo it, as it must
    /// for a safe prime p = 7 mod 8. (The values themselves are recomputed from pi by the
    /// Python cross-check.)
    #[test]
    fn primes_have_the_rfc_shape() {
        for spec in &SPECS {
            let params = spec.params().unwrap();
            let p = params.modulus().as_ref().clone();
            let bytes = p.to_be_bytes();
            assert_eq!(bytes.len(), spec.prime_len(), "{:?}", spec.group);
            assert!(
                bytes[..8]
                    .iter()
                    .chain(&bytes[bytes.len() - 8..])
                    .all(|b| *b == 0xff)
            );
            let one = BoxedUint::one_with_precision(spec.bits);
            let q = p.wrapping_sub(&one).shr_vartime(1).unwrap();
            let two = BoxedUint::from_be_slice_truncated(&[2], spec.bits);
            let r = BoxedMontyForm::new(two, params).pow(&q).retrieve();
            assert_eq!(r, one, "{:?}", spec.group);
            assert!(spec.exponent_bits % 64 == 0 && spec.exponent_bits >= 256);
        }
    }

    /// A vector computed with Python's pow() over the RFC 2409 1024-bit prime.
    #[test]
    fn modp1024_known_answer() {
        let a = ModpKey::from_exponent(
            DhGroup::Modp1024,
            &h("15eaa19129d90a6400e822a1137c0fc60b86eb8553c6b2ff9080d6412d8053ce"),
        )
        .unwrap();
        let b = ModpKey::from_exponent(
            DhGroup::Modp1024,
            &h("dba33d80381e912896974d8302dccd66a95284e75f954fe0fd28a0bd83b00819"),
        )
        .unwrap();
        let a_pub = h(concat!(
            "e2bf11d399e0da56a91197dade4215939f142238b438fe8274e53df9f49acbdf",
            "c1e2c9c40bb5cda76a4ed4a7a224170929ac38ccc41a40d201622225d468bb02",
            "c96a774c22c7e5ffd702603284d639778707f5703b383be76c372f2dc1debdb3",
            "c3f3f478e069869f221a21fcce75756ddbc85f46e9ef165c95a87eebdd218d54",
        ));
        let b_pub = h(concat!(
            "d71dfa7f4aafadc668c273997daeb3803b1ffe23c739bf86a33dc0023aef51e9",
            "2c21b57d2ebbb58e6bc693b1eaeaa4521f84ece731db7610163a3afec5814c17",
            "a659ba1c1c20c3fc2557ab6427a2ce7bc2559b88f8ef0514722ad5aca8ae996f",
            "07344f429146b3f04cd2b03446b0340071435dcfeba7154d0a9ecad80337dd7f",
        ));
        let shared = h(concat!(
            "564e07b0d66c447b81124a5084b87f7679df89031826b98748d43de08147983e",
            "c8b8702d430455317d9aec7cdcabbbdd4a7ba7e0dd0de556defaaa939738a938",
            "3476b037b708d9f1617dc710a9f2789ee6565e9371668b4dd818a2d03e381a0d",
            "2aab26171469c287dc342c38c2fff65d1c5d375580cc3680f580a17f388bd55b",
        ));
        assert_eq!(a.public(), &a_pub[..]);
        assert_eq!(b.public(), &b_pub[..]);
        assert_eq!(&a.agree(&b_pub).unwrap()[..], &shared[..]);
        assert_eq!(&b.agree(&a_pub).unwrap()[..], &shared[..]);
    }

    /// RFC 6989 2.1: 0, 1, p-1, p and anything above p are refused; 2 and p-2 are fine.
    #[test]
    fn public_value_range() {
        for group in [DhGroup::Modp768, DhGroup::Modp2048] {
            let spec = Spec::of(group).unwrap();
            let key = ModpKey::generate(group).unwrap();
            let p = spec
                .params()
                .unwrap()
                .modulus()
                .as_ref()
                .to_be_bytes()
                .to_vec();
            let minus = |k: u8| {
                let one = BoxedUint::one_with_precision(spec.bits);
                let mut v = BoxedUint::from_be_slice(&p, spec.bits).unwrap();
                for _ in 0..k {
                    v = v.wrapping_sub(&one);
                }
                v.to_be_bytes().to_vec()
            };
            let small = |v: u8| {
                let mut b = vec![0u8; spec.prime_len()];
                if let Some(last) = b.last_mut() {
                    *last = v;
                }
                b
            };
            for bad in [
                small(0),
                small(1),
                minus(1),
                p.clone(),
                vec![0xff; spec.prime_len()],
            ] {
                assert_eq!(
                    key.agree(&bad).unwrap_err(),
                    DhError::PublicOutOfRange(group.name())
                );
            }
            for good in [small(2), minus(2)] {
                assert_eq!(key.agree(&good).unwrap().len(), spec.prime_len());
            }
        }
    }

    #[test]
    fn shared_secret_keeps_leading_zeros() {
        assert_eq!(&fixed_len(&[1, 2], 4)[..], &[0, 0, 1, 2]);
        assert_eq!(&fixed_len(&[0, 0, 1, 2], 2)[..], &[1, 2]);
        assert_eq!(&fixed_len(&[], 2)[..], &[0, 0]);
    }

    #[test]
    fn generated_exponents_have_the_full_length() {
        for spec in &SPECS[..4] {
            let k = ModpKey::generate(spec.group).unwrap();
            assert_eq!(k.exponent.bit_width_vartime(), spec.exponent_bits);
        }
    }
}
