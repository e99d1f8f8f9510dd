//! Diffie-Hellman groups for IKEv2: MODP (RFC 2409, 3526), ECP (RFC 5903) and Curve25519
//! (RFC 8031). Public values are the KE payload data; shared secrets are what SKEYSEED and
//! KEYMAT take (MODP padded to the prime's length, ECP the x coordinate only).

use std::sync::OnceLock;

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use p256::elliptic_curve;
use zeroize::Zeroizing;

#[path = "modp_primes.rs"]
pub(super) mod primes;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DhError {
    #[error("peer's public value has {got} bytes, group {group} needs {want}")]
    Length {
        group: &'static str,
        got: usize,
        want: usize,
    },
    #[error("peer's public value is not valid for group {0} (RFC 6989 checks)")]
    InvalidPublic(&'static str),
    #[error("no randomness for a DH key: {0}")]
    Random(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhGroup {
    Modp768,
    Modp1024,
    Modp1536,
    Modp2048,
    Modp3072,
    Modp4096,
    Modp6144,
    Modp8192,
    Ecp256,
    Ecp384,
    Ecp521,
    Curve25519,
}

const ALL: [DhGroup; 12] = [
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

impl DhGroup {
    pub fn from_id(id: u16) -> Option<DhGroup> {
        ALL.iter().copied().find(|g| g.id() == id)
    }

    /// IANA transform ID (type 4).
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

    /// Bits of the MODP prime, or `None` for elliptic curves.
    fn modp_bits(self) -> Option<u32> {
        Some(match self {
            DhGroup::Modp768 => 768,
            DhGroup::Modp1024 => 1024,
            DhGroup::Modp1536 => 1536,
            DhGroup::Modp2048 => 2048,
            DhGroup::Modp3072 => 3072,
            DhGroup::Modp4096 => 4096,
            DhGroup::Modp6144 => 6144,
            DhGroup::Modp8192 => 8192,
            _ => return None,
        })
    }

    /// Length of the KE payload data.
    pub fn public_len(self) -> usize {
        match self {
            DhGroup::Ecp256 => 64,
            DhGroup::Ecp384 => 96,
            DhGroup::Ecp521 => 132,
            DhGroup::Curve25519 => 32,
            modp => modp.modp_bits().map_or(0, |b| b as usize / 8),
        }
    }

    /// A fresh key pair.
    pub fn generate(self) -> Result<DhPrivate, DhError> {
        let key = match self {
            DhGroup::Ecp256 => Key::Ecp256(ecp_secret::<p256::NistP256>(32)?),
            DhGroup::Ecp384 => Key::Ecp384(ecp_secret::<p384::NistP384>(48)?),
            DhGroup::Ecp521 => Key::Ecp521(ecp_secret::<p521::NistP521>(66)?),
            DhGroup::Curve25519 => {
                let mut b = Zeroizing::new([0u8; 32]);
                getrandom::fill(b.as_mut()).map_err(|e| DhError::Random(e.to_string()))?;
                Key::X25519(Box::new(x25519_dalek::StaticSecret::from(*b)))
            }
            modp => {
                let bits = modp.modp_bits().unwrap_or(2048);
                // RFC 3526: an exponent of twice the group's strength; 512 bits covers the
                // 8192-bit group (about 200 bits of strength) and keeps exponentiation fast.
                let mut x = Zeroizing::new(vec![0u8; 64]);
                getrandom::fill(&mut x).map_err(|e| DhError::Random(e.to_string()))?;
                Key::Modp(Zeroizing::new(x.to_vec()), bits)
            }
        };
        let public = public_of(self, &key)?;
        Ok(DhPrivate {
            group: self,
            key,
            public,
        })
    }
}

enum Key {
    /// Secret exponent (big-endian) and the prime's bit length.
    Modp(Zeroizing<Vec<u8>>, u32),
    Ecp256(p256::SecretKey),
    Ecp384(p384::SecretKey),
    Ecp521(p521::SecretKey),
    X25519(Box<x25519_dalek::StaticSecret>),
}

/// Our half of a Diffie-Hellman exchange; zeroized on drop.
pub struct DhPrivate {
    group: DhGroup,
    key: Key,
    public: Vec<u8>,
}

impl std::fmt::Debug for DhPrivate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DhPrivate({})", self.group.name())
    }
}

fn ecp_secret<C>(len: usize) -> Result<elliptic_curve::SecretKey<C>, DhError>
where
    C: elliptic_curve::CurveArithmetic,
{
    loop {
        let mut b = Zeroizing::new(vec![0u8; len]);
        getrandom::fill(&mut b).map_err(|e| DhError::Random(e.to_string()))?;
        if let Ok(k) = elliptic_curve::SecretKey::<C>::from_slice(&b) {
            return Ok(k);
        }
    }
}

fn modp_params(bits: u32) -> &'static BoxedMontyParams {
    static CACHE: OnceLock<Vec<(u32, BoxedMontyParams)>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        [
            (768, primes::MODP_768),
            (1024, primes::MODP_1024),
            (1536, primes::MODP_1536),
            (2048, primes::MODP_2048),
            (3072, primes::MODP_3072),
            (4096, primes::MODP_4096),
            (6144, primes::MODP_6144),
            (8192, primes::MODP_8192),
        ]
        .into_iter()
        .filter_map(|(b, hex_p)| {
            let bytes = hex::decode(hex_p).ok()?;
            let p = BoxedUint::from_be_slice(&bytes, b).ok()?;
            let odd = Option::<Odd<BoxedUint>>::from(Odd::new(p))?;
            // The modulus is public: variable-time setup is fine.
            Some((b, BoxedMontyParams::new_vartime(odd)))
        })
        .collect()
    });
    match all.iter().find(|(b, _)| *b == bits) {
        Some((_, p)) => p,
        // Every MODP group's prime is in the table above.
        None => &all[0].1,
    }
}

fn modp_pow(base: &BoxedUint, exponent: &[u8], bits: u32) -> Zeroizing<Vec<u8>> {
    let params = modp_params(bits);
    let e = BoxedUint::from_be_slice_truncated(exponent, (exponent.len() * 8) as u32);
    let b = BoxedMontyForm::new(base.clone(), params);
    // Constant time in the secret exponent (crypto-bigint's Montgomery ladder).
    let r = b
        .pow_bounded_exp(&e, (exponent.len() * 8) as u32)
        .retrieve();
    Zeroizing::new(r.to_be_bytes().to_vec())
}

fn public_of(group: DhGroup, key: &Key) -> Result<Vec<u8>, DhError> {
    use elliptic_curve::sec1::ToSec1Point;
    Ok(match key {
        Key::Modp(x, bits) => {
            let g = BoxedUint::from_be_slice_truncated(&[2], *bits);
            pad(&modp_pow(&g, x, *bits), *bits as usize / 8)
        }
        Key::Ecp256(k) => k.public_key().to_sec1_point(false).as_bytes()[1..].to_vec(),
        Key::Ecp384(k) => k.public_key().to_sec1_point(false).as_bytes()[1..].to_vec(),
        Key::Ecp521(k) => k.public_key().to_sec1_point(false).as_bytes()[1..].to_vec(),
        Key::X25519(k) => x25519_dalek::PublicKey::from(k.as_ref())
            .as_bytes()
            .to_vec(),
    })
    .inspect(|v| debug_assert_eq!(v.len(), group.public_len()))
}

fn pad(v: &[u8], len: usize) -> Vec<u8> {
    let skip = v.len().saturating_sub(len);
    let v = &v[skip..];
    let mut out = vec![0u8; len - v.len()];
    out.extend_from_slice(v);
    out
}

fn ecp_agree<C>(
    group: DhGroup,
    secret: &elliptic_curve::SecretKey<C>,
    peer: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DhError>
where
    C: elliptic_curve::CurveArithmetic,
    elliptic_curve::AffinePoint<C>:
        elliptic_curve::sec1::FromSec1Point<C> + elliptic_curve::sec1::ToSec1Point<C>,
    elliptic_curve::FieldBytesSize<C>: elliptic_curve::sec1::ModulusSize,
{
    // RFC 5903: x || y without the SEC1 0x04 prefix; from_sec1_bytes checks the point is on
    // the curve and not the identity.
    let mut sec1 = Vec::with_capacity(peer.len() + 1);
    sec1.push(0x04);
    sec1.extend_from_slice(peer);
    let pk = elliptic_curve::PublicKey::<C>::from_sec1_bytes(&sec1)
        .map_err(|_| DhError::InvalidPublic(group.name()))?;
    let shared = elliptic_curve::ecdh::diffie_hellman(secret.to_nonzero_scalar(), pk.as_affine());
    Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
}

impl DhPrivate {
    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// The KE payload data.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// The shared secret g^ir with the peer's public value.
    pub fn agree(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let want = self.group.public_len();
        if peer.len() != want {
            return Err(DhError::Length {
                group: self.group.name(),
                got: peer.len(),
                want,
            });
        }
        match &self.key {
            Key::Modp(x, bits) => {
                let y = BoxedUint::from_be_slice(peer, *bits)
                    .map_err(|_| DhError::InvalidPublic(self.group.name()))?;
                // RFC 6989 2.1: 1 < y < p - 1.
                let p = modp_params(*bits).modulus().as_ref().clone();
                let one = BoxedUint::one_with_precision(*bits);
                let p_minus_1 = p.wrapping_sub(&one);
                if y <= one || y >= p_minus_1 {
                    return Err(DhError::InvalidPublic(self.group.name()));
                }
                Ok(Zeroizing::new(pad(
                    &modp_pow(&y, x, *bits),
                    *bits as usize / 8,
                )))
            }
            Key::Ecp256(k) => ecp_agree(self.group, k, peer),
            Key::Ecp384(k) => ecp_agree(self.group, k, peer),
            Key::Ecp521(k) => ecp_agree(self.group, k, peer),
            Key::X25519(k) => {
                let mut b = [0u8; 32];
                b.copy_from_slice(peer);
                let s = k.diffie_hellman(&x25519_dalek::PublicKey::from(b));
                // RFC 8031 2.3: an all-zero result means a low-order point.
                if !s.was_contributory() {
                    return Err(DhError::InvalidPublic(self.group.name()));
                }
                Ok(Zeroizing::new(s.as_bytes().to_vec()))
            }
        }
    }
}
