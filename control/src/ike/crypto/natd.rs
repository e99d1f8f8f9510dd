//! NAT detection (RFC 7296 2.23): the hash in NAT_DETECTION_SOURCE_IP and
//! NAT_DETECTION_DESTINATION_IP notifies.

use std::net::IpAddr;

use sha1::{Digest, Sha1};

/// SHA-1(SPIi | SPIr | IP | port): the address in network order (4 or 16 bytes), the port
/// as two bytes big-endian. In IKE_SA_INIT's request SPIr is all zeros.
pub fn nat_detection_hash(spi_i: [u8; 8], spi_r: [u8; 8], addr: IpAddr, port: u16) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(spi_i);
    h.update(spi_r);
    match addr {
        IpAddr::V4(v4) => h.update(v4.octets()),
        IpAddr::V6(v6) => h.update(v6.octets()),
    }
    h.update(port.to_be_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_spis_address_and_port() {
        let spi_i = *b"\x01\x02\x03\x04\x05\x06\x07\x08";
        let got = nat_detection_hash(spi_i, [0; 8], IpAddr::from([192, 0, 2, 1]), 500);
        let mut input = spi_i.to_vec();
        input.extend_from_slice(&[0; 8]);
        input.extend_from_slice(&[192, 0, 2, 1, 0x01, 0xf4]);
        assert_eq!(got, <[u8; 20]>::from(Sha1::digest(&input)));
        let v6 = nat_detection_hash(
            spi_i,
            [0; 8],
            IpAddr::from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            4500,
        );
        let mut input = spi_i.to_vec();
        input.extend_from_slice(&[0; 8]);
        input.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        input.extend_from_slice(&4500u16.to_be_bytes());
        assert_eq!(v6, <[u8; 20]>::from(Sha1::digest(&input)));
        assert_ne!(
            got,
            nat_detection_hash(spi_i, [0; 8], IpAddr::from([192, 0, 2, 1]), 4500)
        );
    }
}
