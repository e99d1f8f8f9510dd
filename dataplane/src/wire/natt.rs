//! What arrives on UDP port 4500 (RFC 3948 section 2): IKE behind a 4-byte zero "non-ESP
//! marker", a one-byte 0xFF NAT-keepalive, or ESP (whose SPI is never zero).

pub const NATT_PORT: u16 = 4500;
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
pub const KEEPALIVE: u8 = 0xff;

/// The kind of a UDP-4500 payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NattPayload<'a> {
    /// An IKE message, marker removed.
    Ike(&'a [u8]),
    /// A NAT-keepalive; nothing to do but note the peer is alive.
    Keepalive,
    /// An ESP packet starting at its SPI.
    Esp(&'a [u8]),
    /// Too short to be any of these (RFC 3948: discard).
    Invalid,
}

pub fn classify(payload: &[u8]) -> NattPayload<'_> {
    match payload {
        [KEEPALIVE] => NattPayload::Keepalive,
        [0, 0, 0, 0, ike @ ..] => NattPayload::Ike(ike),
        // The smallest ESP packet is the header (8 bytes); anything shorter is discarded.
        esp if esp.len() >= super::esp::HEADER_LEN => NattPayload::Esp(esp),
        _ => NattPayload::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demultiplexes() {
        assert_eq!(classify(&[0xff]), NattPayload::Keepalive);
        assert_eq!(classify(&[0, 0, 0, 0, 1, 2]), NattPayload::Ike(&[1, 2]));
        let esp = [0, 0, 0x10, 1, 0, 0, 0, 1, 9];
        assert_eq!(classify(&esp), NattPayload::Esp(&esp));
        assert_eq!(classify(&[1, 2, 3]), NattPayload::Invalid);
        assert_eq!(classify(&[]), NattPayload::Invalid);
    }
}
