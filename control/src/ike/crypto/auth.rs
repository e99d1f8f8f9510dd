//! Pre-shared-key authentication (RFC 7296 2.15) and NAT detection hashes (2.23).

use std::net::IpAddr;

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::prf::Prf;

/// The pad RFC 7296 2.15 mixes into the pre-shared key.
const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// What AUTH covers: the sender's first message, the peer's nonce and prf(SK_px, IDx').
pub fn signed_octets(
    message: &[u8],
    nonce: &[u8],
    prf: Prf,
    sk_p: &[u8],
    id_body: &[u8],
) -> Vec<u8> {
    let mac_id = prf.compute(sk_p, &[id_body]);
    let mut out = Vec::with_capacity(message.len() + nonce.len() + mac_id.len());
    out.extend_from_slice(message);
    out.extend_from_slice(nonce);
    out.extend_from_slice(&mac_id);
    out
}

/// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <signed octets>).
pub fn psk_auth(prf: Prf, secret: &[u8], octets: &[u8]) -> Zeroizing<Vec<u8>> {
    let key = prf.compute(secret, &[KEY_PAD]);
    prf.compute(&key, &[octets])
}

/// Compares a received AUTH with the expected one in constant time.
pub fn verify_psk_auth(prf: Prf, secret: &[u8], octets: &[u8], got: &[u8]) -> bool {
    let want = psk_auth(prf, secret, octets);
    want.len() == got.len() && bool::from(want.as_slice().ct_eq(got))
}

/// NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP | port).
pub fn nat_detection_hash(spi_i: [u8; 8], spi_r: [u8; 8], ip: IpAddr, port: u16) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(spi_i);
    h.update(spi_r);
    match ip {
        IpAddr::V4(v4) => h.update(v4.octets()),
        IpAddr::V6(v6) => h.update(v6.octets()),
    }
    h.update(port.to_be_bytes());
    h.finalize().into()
}
