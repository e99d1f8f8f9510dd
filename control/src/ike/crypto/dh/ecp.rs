//! ECP Diffie-Hellman over the NIST curves (RFC 5903): KE data is x | y without SEC1's 0x04
//! prefix, and the shared secret is the x coordinate of the product.

use elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use elliptic_curve::{AffinePoint, CurveArithmetic, FieldBytesSize, PublicKey, SecretKey};
use p256::elliptic_curve;
use zeroize::Zeroizing;

use super::{DhError, DhGroup};

/// Random scalars are drawn until one is below the group order; this many misses in a row
/// mean the random source is broken, not unlucky (each miss has probability below 1/2).
const MAX_SCALAR_TRIES: usize = 64;

/// A private scalar (zeroized on drop by elliptic-curve) and its public value.
pub(super) struct EcpKey<C: CurveArithmetic> {
    secret: SecretKey<C>,
    public: Vec<u8>,
}

impl<C> EcpKey<C>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    pub(super) fn generate(group: DhGroup) -> Result<Self, DhError> {
        let len = group.shared_len();
        // P-521's order is just under 2^521: clear the 7 bits above it so nearly every draw
        // is in range instead of 1 in 128.
        let top_mask = if len == 66 { 0x01 } else { 0xff };
        for _ in 0..MAX_SCALAR_TRIES {
            let mut bytes = Zeroizing::new(vec![0u8; len]);
            getrandom::fill(&mut bytes).map_err(|e| DhError::Random {
                group: group.name(),
                reason: e.to_string(),
            })?;
            if let Some(top) = bytes.first_mut() {
                *top &= top_mask;
            }
            // Refuses zero and values at or above the order.
            if let Some(key) = Self::from_scalar(&bytes) {
                return Ok(key);
            }
        }
        Err(DhError::Random {
            group: group.name(),
            reason: "no scalar below the group order".to_owned(),
        })
    }

    /// The key with scalar `bytes` (big-endian, the field's length), if in 1..n.
    pub(super) fn from_scalar(bytes: &[u8]) -> Option<Self> {
        let secret = SecretKey::<C>::from_slice(bytes).ok()?;
        let point = secret.public_key().to_sec1_point(false);
        let public = point.as_bytes().get(1..)?.to_vec();
        Some(EcpKey { secret, public })
    }

    pub(super) fn public(&self) -> &[u8] {
        &self.public
    }

    /// x(secret * peer). The SEC1 decoding checks both coordinates are below p and the point
    /// satisfies the curve equation (RFC 6989 2.3); these curves have cofactor 1, so any
    /// point on them other than the identity (which x | y cannot encode) is in the group.
    pub(super) fn agree(&self, group: DhGroup, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>, DhError> {
        let mut sec1 = Vec::with_capacity(peer.len() + 1);
        sec1.push(0x04);
        sec1.extend_from_slice(peer);
        let peer = PublicKey::<C>::from_sec1_bytes(&sec1)
            .map_err(|_| DhError::NotOnCurve(group.name()))?;
        let shared =
            elliptic_curve::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), peer.as_affine());
        Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
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

    struct Vector {
        group: DhGroup,
        i: &'static str,
        gi: [&'static str; 2],
        r: &'static str,
        gr: [&'static str; 2],
        girx: &'static str,
    }

    /// RFC 5903 section 8.1-8.3, both directions.
    const RFC5903: [Vector; 3] = [
        Vector {
            group: DhGroup::Ecp256,
            i: "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
            gi: [
                "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
                "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
            ],
            r: "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
            gr: [
                "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
                "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
            ],
            girx: "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
        },
        Vector {
            group: DhGroup::Ecp384,
            i: concat!(
                "099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f16",
                "0647b67414dce655e35b538041e649ee3faef896783ab194"
            ),
            gi: [
                concat!(
                    "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e3",
                    "1634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa"
                ),
                concat!(
                    "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ad",
                    "a024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c"
                ),
            ],
            r: concat!(
                "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060",
                "855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc"
            ),
            gr: [
                concat!(
                    "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d",
                    "83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571"
                ),
                concat!(
                    "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416",
                    "dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c"
                ),
            ],
            girx: concat!(
                "11187331c279962d93d604243fd592cb9d0a926f422e4718",
                "7521287e7156c5c4d603135569b9e9d09cf5d4a270f59746"
            ),
        },
        Vector {
            group: DhGroup::Ecp521,
            i: concat!(
                "0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a0",
                "95aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d",
                "4a52"
            ),
            gi: [
                concat!(
                    "0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbe",
                    "e1e3bf42e00b8e380aeae57c2d107564941885942af5a7f4601723c4195d176c",
                    "ed3e"
                ),
                concat!(
                    "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10a",
                    "d8a788015ac405d7799dc75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f",
                    "9582"
                ),
            ],
            r: concat!(
                "0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e",
                "9c677d600b343757a3bdbf2a3163e4c2f869cca7458aa4a4effc311f5cb15168",
                "5eb9"
            ),
            gr: [
                concat!(
                    "00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a21",
                    "9b97c356436adc6e95bb0352f6be64a6c2912d4ef2d0433ced2b6171640012d9",
                    "460f"
                ),
                concat!(
                    "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87",
                    "220b6536c5c408a1d2aebb8e86d678ae49cb57091f4732296579ab44fcd17f0f",
                    "c56a"
                ),
            ],
            girx: concat!(
                "01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04",
                "d1427e73ca4baa240a34786859810c06b3c715a3a8cc3151f2bee417996d19f3",
                "ddea"
            ),
        },
    ];

    #[test]
    fn rfc5903_vectors_both_directions() {
        for v in &RFC5903 {
            let i = DhPrivate::from_private_bytes(v.group, &h(v.i)).unwrap();
            let r = DhPrivate::from_private_bytes(v.group, &h(v.r)).unwrap();
            let gi = [h(v.gi[0]), h(v.gi[1])].concat();
            let gr = [h(v.gr[0]), h(v.gr[1])].concat();
            assert_eq!(i.public_key(), &gi[..], "{:?} g^i", v.group);
            assert_eq!(r.public_key(), &gr[..], "{:?} g^r", v.group);
            assert_eq!(
                &i.agree(&gr).unwrap()[..],
                &h(v.girx)[..],
                "{:?} i",
                v.group
            );
            assert_eq!(
                &r.agree(&gi).unwrap()[..],
                &h(v.girx)[..],
                "{:?} r",
                v.group
            );
        }
    }

    /// Points off the curve (a flipped bit of y, all zeros, coordinates of all ones, which
    /// exceed p) are refused.
    #[test]
    fn invalid_points_are_refused() {
        for v in &RFC5903 {
            let i = DhPrivate::from_private_bytes(v.group, &h(v.i)).unwrap();
            let mut gr = [h(v.gr[0]), h(v.gr[1])].concat();
            let last = gr.len() - 1;
            gr[last] ^= 1;
            let len = gr.len();
            for bad in [gr, vec![0; len], vec![0xff; len]] {
                assert_eq!(
                    i.agree(&bad).unwrap_err(),
                    DhError::NotOnCurve(v.group.name())
                );
            }
        }
    }

    #[test]
    fn scalars_out_of_range_are_refused() {
        assert!(EcpKey::<p256::NistP256>::from_scalar(&[0; 32]).is_none());
        assert!(EcpKey::<p256::NistP256>::from_scalar(&[0xff; 32]).is_none());
        assert!(EcpKey::<p521::NistP521>::from_scalar(&[0xff; 66]).is_none());
    }
}
