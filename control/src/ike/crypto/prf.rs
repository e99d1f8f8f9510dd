//! The IKE pseudo-random functions (RFC 7296 3.3.2, transform type 2) and prf+ (2.13), the
//! expansion every IKE and child SA key comes from.

use digest::Digest;
use digest::block_api::EagerHash;
use digest::common::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};
use zeroize::{Zeroize, Zeroizing};

use super::keys::KeyError;

/// A negotiated PRF. Only the HMAC family: PRF_AES128_XCBC/CMAC would key SKEYSEED on 64 bits
/// of each nonce (RFC 7296 2.14) and nobody tunsec talks to needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prf {
    /// PRF_HMAC_SHA1 (ID 2, RFC 2104).
    HmacSha1,
    /// PRF_HMAC_SHA2_256 (ID 5, RFC 4868).
    HmacSha256,
    /// PRF_HMAC_SHA2_384 (ID 6).
    HmacSha384,
    /// PRF_HMAC_SHA2_512 (ID 7).
    HmacSha512,
}

/// The most prf+ blocks: the counter is one octet (RFC 7296 2.13).
const MAX_PRF_PLUS_BLOCKS: usize = 255;

impl Prf {
    /// The PRF of transform type 2 ID `id`, if tunsec implements it.
    pub fn from_transform_id(id: u16) -> Option<Prf> {
        Some(match id {
            2 => Prf::HmacSha1,
            5 => Prf::HmacSha256,
            6 => Prf::HmacSha384,
            7 => Prf::HmacSha512,
            _ => return None,
        })
    }

    /// IANA transform ID (type 2).
    pub fn transform_id(self) -> u16 {
        match self {
            Prf::HmacSha1 => 2,
            Prf::HmacSha256 => 5,
            Prf::HmacSha384 => 6,
            Prf::HmacSha512 => 7,
        }
    }

    /// Bytes of one PRF output (one prf+ block).
    pub fn output_len(self) -> usize {
        match self {
            Prf::HmacSha1 => 20,
            Prf::HmacSha256 => 32,
            Prf::HmacSha384 => 48,
            Prf::HmacSha512 => 64,
        }
    }

    /// The PRF's preferred key size, which is the length of SK_d, SK_pi and SK_pr (RFC 7296
    /// 2.14). For HMAC it is the output length (RFC 4868 2.1.2).
    pub fn key_len(self) -> usize {
        self.output_len()
    }

    /// prf(key, data[0] | data[1] | ...): the parts are hashed in order, so callers need not
    /// concatenate nonces and secrets into one buffer first.
    pub fn compute(self, key: &[u8], data: &[&[u8]]) -> Zeroizing<Vec<u8>> {
        KeyedPrf::new(self, key).compute(data)
    }

    /// prf+(key, seed) cut to `len` bytes (RFC 7296 2.13):
    /// T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), output T1 | T2 | ...
    /// `seed` is the concatenation of its parts. Fails when `len` needs more than 255 blocks.
    pub fn plus(
        self,
        key: &[u8],
        seed: &[&[u8]],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let blocks = len.div_ceil(self.output_len());
        if blocks > MAX_PRF_PLUS_BLOCKS {
            return Err(KeyError::PrfPlusTooLong {
                requested: len,
                max: MAX_PRF_PLUS_BLOCKS * self.output_len(),
            });
        }
        // Keyed once: every block reuses the ipad/opad state.
        let keyed = KeyedPrf::new(self, key);
        let mut out = Zeroizing::new(Vec::with_capacity(blocks * self.output_len()));
        let mut previous = Zeroizing::new(Vec::new());
        for n in 1..=blocks {
            let counter = [n as u8];
            let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 2);
            parts.push(&previous);
            parts.extend_from_slice(seed);
            parts.push(&counter);
            let block = keyed.compute(&parts);
            drop(parts);
            out.extend_from_slice(&block);
            previous = block;
        }
        out.truncate(len);
        Ok(out)
    }
}

/// An HMAC with its key already absorbed. The hmac crate zeroizes these states on drop (its
/// `zeroize` feature is on in Cargo.toml).
#[derive(Clone)]
enum KeyedPrf {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

/// HMAC keyed with a key of any length, without the fallible `new_from_slice`: RFC 2104
/// hashes a key longer than the block and zero-pads a shorter one, and that is done here, so
/// the infallible block-sized constructor applies.
fn keyed_hmac<D: EagerHash>(key: &[u8]) -> Hmac<D>
where
    Hmac<D>: KeyInit,
{
    let mut block = Key::<Hmac<D>>::default();
    if key.len() <= block.len() {
        block.iter_mut().zip(key).for_each(|(d, s)| *d = *s);
    } else {
        let digest = <D as Digest>::digest(key);
        block
            .iter_mut()
            .zip(digest.iter())
            .for_each(|(d, s)| *d = *s);
    }
    let mac = <Hmac<D> as KeyInit>::new(&block);
    block.as_mut_slice().zeroize();
    mac
}

fn finish<M: Mac>(mut mac: M, data: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    for part in data {
        mac.update(part);
    }
    Zeroizing::new(mac.finalize().into_bytes().to_vec())
}

impl KeyedPrf {
    fn new(prf: Prf, key: &[u8]) -> Self {
        match prf {
            Prf::HmacSha1 => KeyedPrf::Sha1(keyed_hmac(key)),
            Prf::HmacSha256 => KeyedPrf::Sha256(keyed_hmac(key)),
            Prf::HmacSha384 => KeyedPrf::Sha384(keyed_hmac(key)),
            Prf::HmacSha512 => KeyedPrf::Sha512(keyed_hmac(key)),
        }
    }

    fn compute(&self, data: &[&[u8]]) -> Zeroizing<Vec<u8>> {
        match self {
            KeyedPrf::Sha1(m) => finish(m.clone(), data),
            KeyedPrf::Sha256(m) => finish(m.clone(), data),
            KeyedPrf::Sha384(m) => finish(m.clone(), data),
            KeyedPrf::Sha512(m) => finish(m.clone(), data),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    const ALL: [Prf; 4] = [
        Prf::HmacSha1,
        Prf::HmacSha256,
        Prf::HmacSha384,
        Prf::HmacSha512,
    ];

    #[test]
    fn transform_ids_round_trip() {
        for prf in ALL {
            assert_eq!(Prf::from_transform_id(prf.transform_id()), Some(prf));
            assert_eq!(prf.key_len(), prf.output_len());
        }
        // 1 is PRF_HMAC_MD5, 4 is PRF_AES128_XCBC: not implemented.
        assert_eq!(Prf::from_transform_id(1), None);
        assert_eq!(Prf::from_transform_id(4), None);
    }

    /// RFC 4231 test cases 1, 2, 6 and 7 (6 and 7 have a 131-byte key, longer than the block
    /// of every SHA-2, so the key is hashed first) for the three SHA-2 PRFs.
    #[test]
    fn rfc4231_hmac_sha2() {
        struct Case {
            key: Vec<u8>,
            data: Vec<u8>,
            sha256: &'static str,
            sha384: &'static str,
            sha512: &'static str,
        }
        let cases = [
            Case {
                key: vec![0x0b; 20],
                data: b"Hi There".to_vec(),
                sha256: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                sha384: "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c\
                         faea9ea9076ede7f4af152e8b2fa9cb6",
                sha512: "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
                         daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            },
            Case {
                key: b"Jefe".to_vec(),
                data: b"what do ya want for nothing?".to_vec(),
                sha256: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                sha384: "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                         8e2240ca5e69e2c78b3239ecfab21649",
                sha512: "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                         9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            },
            Case {
                key: vec![0xaa; 131],
                data: b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                sha256: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                sha384: "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
                         0c2ef6ab4030fe8296248df163f44952",
                sha512: "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
                         6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
            },
            Case {
                key: vec![0xaa; 131],
                data: b"This is a test using a larger than block-size key and a larger than \
                        block-size data. The key needs to be hashed before being used by the \
                        HMAC algorithm."
                    .to_vec(),
                sha256: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                sha384: "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5\
                         a678cc31e799176d3860e6110c46523e",
                sha512: "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944\
                         b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
            },
        ];
        for (i, c) in cases.iter().enumerate() {
            for (prf, want) in [
                (Prf::HmacSha256, c.sha256),
                (Prf::HmacSha384, c.sha384),
                (Prf::HmacSha512, c.sha512),
            ] {
                let got = prf.compute(&c.key, &[&c.data]);
                assert_eq!(&got[..], &h(want)[..], "case {i} {prf:?}");
            }
        }
    }

    /// RFC 2202 section 3, test cases 1, 2, 3 and 6 (80-byte key, hashed first).
    #[test]
    fn rfc2202_hmac_sha1() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 4] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(hex::encode(&*Prf::HmacSha1.compute(&key, &[&data])), want);
        }
    }

    #[test]
    fn data_parts_are_concatenated() {
        let whole = Prf::HmacSha256.compute(b"k", &[b"abcdef"]);
        let parts = Prf::HmacSha256.compute(b"k", &[b"ab", b"", b"cde", b"f"]);
        assert_eq!(whole, parts);
    }

    /// prf+ written out block by block from RFC 7296 2.13, and cut at every length.
    #[test]
    fn prf_plus_follows_the_definition() {
        for prf in ALL {
            let key = b"prf+ key";
            let seed: [&[u8]; 2] = [b"seed-one", b"seed-two"];
            let mut expect = Vec::new();
            let mut t: Vec<u8> = Vec::new();
            for n in 1..=5u8 {
                t = prf.compute(key, &[&t, b"seed-oneseed-two", &[n]]).to_vec();
                expect.extend_from_slice(&t);
            }
            for len in 0..expect.len() {
                let got = prf.plus(key, &seed, len).unwrap();
                assert_eq!(&got[..], &expect[..len], "{prf:?} len {len}");
            }
        }
    }

    #[test]
    fn prf_plus_stops_at_255_blocks() {
        for prf in ALL {
            let max = 255 * prf.output_len();
            assert_eq!(prf.plus(b"k", &[b"s"], max).unwrap().len(), max);
            assert!(matches!(
                prf.plus(b"k", &[b"s"], max + 1),
                Err(KeyError::PrfPlusTooLong { .. })
            ));
        }
    }
}
