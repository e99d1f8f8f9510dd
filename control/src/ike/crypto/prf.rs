//! The IKE PRFs (RFC 7296 3.3.2 transform type 2) and prf+ (2.13).

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::keys::KeyError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prf {
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

fn mac<M: Mac + KeyInit>(key: &[u8], data: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    // HMAC takes keys of any length.
    let mut m = <M as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable_key());
    for d in data {
        m.update(d);
    }
    Zeroizing::new(m.finalize().into_bytes().to_vec())
}

#[cold]
fn unreachable_key<T>() -> T {
    // HMAC accepts every key length (RFC 2104), so new_from_slice cannot fail.
    panic!("HMAC refused a key")
}

impl Prf {
    pub fn from_transform_id(id: u16) -> Option<Prf> {
        Some(match id {
            2 => Prf::HmacSha1,
            5 => Prf::HmacSha256,
            6 => Prf::HmacSha384,
            7 => Prf::HmacSha512,
            _ => return None,
        })
    }

    pub fn transform_id(self) -> u16 {
        match self {
            Prf::HmacSha1 => 2,
            Prf::HmacSha256 => 5,
            Prf::HmacSha384 => 6,
            Prf::HmacSha512 => 7,
        }
    }

    pub fn output_len(self) -> usize {
        match self {
            Prf::HmacSha1 => 20,
            Prf::HmacSha256 => 32,
            Prf::HmacSha384 => 48,
            Prf::HmacSha512 => 64,
        }
    }

    /// SK_d, SK_pi and SK_pr are as long as the PRF's preferred key (its output, RFC 7296 2.14).
    pub fn key_len(self) -> usize {
        self.output_len()
    }

    /// prf(key, data[0] | data[1] | ...).
    pub fn compute(self, key: &[u8], data: &[&[u8]]) -> Zeroizing<Vec<u8>> {
        match self {
            Prf::HmacSha1 => mac::<Hmac<Sha1>>(key, data),
            Prf::HmacSha256 => mac::<Hmac<Sha256>>(key, data),
            Prf::HmacSha384 => mac::<Hmac<Sha384>>(key, data),
            Prf::HmacSha512 => mac::<Hmac<Sha512>>(key, data),
        }
    }

    /// prf+(key, seed) cut to `len` bytes: T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n).
    pub fn plus(
        self,
        key: &[u8],
        seed: &[&[u8]],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let rounds = len.div_ceil(self.output_len());
        if rounds > 255 {
            return Err(KeyError::TooLong(len));
        }
        let mut out = Zeroizing::new(Vec::with_capacity(rounds * self.output_len()));
        let mut last = Zeroizing::new(Vec::new());
        for n in 1..=rounds as u8 {
            let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 2);
            parts.push(&last);
            parts.extend_from_slice(seed);
            let counter = [n];
            parts.push(&counter);
            let t = self.compute(key, &parts);
            out.extend_from_slice(&t);
            last = t;
        }
        out.truncate(len);
        Ok(out)
    }
}
