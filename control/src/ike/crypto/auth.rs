//! Shared-key authentication (RFC 7296 2.15): the octets each side signs and the AUTH value a
//! pre-shared key gives them.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::prf::Prf;

/// The pad RFC 7296 2.15 mixes into the pre-shared key.
const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// What AUTH covers: RealMessage | Nonce | prf(SK_px, IDx').
/// `message` is the sender's first message (IKE_SA_INIT request for the initiator, response
/// for the responder) as sent; `peer_nonce` the other side's nonce data; `sk_p` the sender's
/// SK_pi or SK_pr; `id_body` the sender's ID payload without its generic header (IDx').
pub fn signed_octets(
    message: &[u8],
    peer_nonce: &[u8],
    prf: Prf,
    sk_p: &[u8],
    id_body: &[u8],
) -> Vec<u8> {
    let mac_id = prf.compute(sk_p, &[id_body]);
    let mut out = Vec::with_capacity(message.len() + peer_nonce.len() + mac_id.len());
    out.extend_from_slice(message);
    out.extend_from_slice(peer_nonce);
    out.extend_from_slice(&mac_id);
    out
}

/// AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <signed octets>) (method 2).
pub fn psk_auth(prf: Prf, secret: &[u8], octets: &[u8]) -> Zeroizing<Vec<u8>> {
    let key = prf.compute(secret, &[KEY_PAD]);
    prf.compute(&key, &[octets])
}

/// Whether a received AUTH is the one `secret` gives, compared in constant time (a mismatch
/// in length is not secret: the PRF fixes it).
pub fn verify_psk_auth(prf: Prf, secret: &[u8], octets: &[u8], received: &[u8]) -> bool {
    let want = psk_auth(prf, secret, octets);
    want.len() == received.len() && bool::from(want.as_slice().ct_eq(received))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octets_are_message_nonce_and_mac_of_id() {
        let octets = signed_octets(b"MSG", b"NONCE", Prf::HmacSha256, b"skp", b"\x01\0\0\0id");
        let mac = Prf::HmacSha256.compute(b"skp", &[b"\x01\0\0\0id"]);
        assert_eq!(&octets[..8], b"MSGNONCE");
        assert_eq!(&octets[8..], &mac[..]);
    }

    #[test]
    fn psk_auth_is_two_prfs() {
        let key = Prf::HmacSha1.compute(b"secret", &[b"Key Pad for IKEv2"]);
        let want = Prf::HmacSha1.compute(&key, &[b"octets"]);
        assert_eq!(psk_auth(Prf::HmacSha1, b"secret", b"octets"), want);
    }

    #[test]
    fn verify_refuses_wrong_secret_value_and_length() {
        let auth = psk_auth(Prf::HmacSha256, b"secret", b"octets");
        assert!(verify_psk_auth(
            Prf::HmacSha256,
            b"secret",
            b"octets",
            &auth
        ));
        assert!(!verify_psk_auth(
            Prf::HmacSha256,
            b"Secret",
            b"octets",
            &auth
        ));
        assert!(!verify_psk_auth(
            Prf::HmacSha256,
            b"secret",
            b"octetS",
            &auth
        ));
        assert!(!verify_psk_auth(
            Prf::HmacSha256,
            b"secret",
            b"octets",
            &auth[..31]
        ));
        assert!(!verify_psk_auth(Prf::HmacSha256, b"secret", b"octets", &[]));
        let mut flipped = auth.to_vec();
        flipped[31] ^= 1;
        assert!(!verify_psk_auth(
            Prf::HmacSha256,
            b"secret",
            b"octets",
            &flipped
        ));
    }
}
