//! The virtio-net header a TUN device opened with IFF_VNET_HDR puts in front of every packet
//! (`struct virtio_net_hdr`, 10 bytes, in the host's byte order for a legacy TUN device).

pub const HEADER_LEN: usize = 10;

mod field {
    pub const FLAGS: usize = 0;
    pub const GSO_TYPE: usize = 1;
    pub const HDR_LEN: core::ops::Range<usize> = 2..4;
    pub const GSO_SIZE: core::ops::Range<usize> = 4..6;
    pub const CSUM_START: core::ops::Range<usize> = 6..8;
    pub const CSUM_OFFSET: core::ops::Range<usize> = 8..10;
}

const F_NEEDS_CSUM: u8 = 1;
const GSO_NONE: u8 = 0;
const GSO_TCPV4: u8 = 1;

/// Segmentation and checksum instructions for one large packet written to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gso {
    pub gso_type: u8,
    pub hdr_len: u16,
    pub gso_size: u16,
    pub csum_start: u16,
    pub csum_offset: u16,
}

impl Gso {
    /// A TCP/IPv4 segment train with a partial checksum at the TCP checksum field.
    pub const fn tcpv4(hdr_len: u16, gso_size: u16, tcp_offset: u16) -> Gso {
        Gso {
            gso_type: GSO_TCPV4,
            hdr_len,
            gso_size,
            csum_start: tcp_offset,
            csum_offset: 16,
        }
    }

    pub fn emit(&self, buf: &mut [u8; HEADER_LEN]) {
        buf[field::FLAGS] = F_NEEDS_CSUM;
        buf[field::GSO_TYPE] = self.gso_type;
        buf[field::HDR_LEN].copy_from_slice(&self.hdr_len.to_ne_bytes());
        buf[field::GSO_SIZE].copy_from_slice(&self.gso_size.to_ne_bytes());
        buf[field::CSUM_START].copy_from_slice(&self.csum_start.to_ne_bytes());
        buf[field::CSUM_OFFSET].copy_from_slice(&self.csum_offset.to_ne_bytes());
    }
}

/// What the kernel says about a packet it hands us (offloads enabled with TUNSETOFFLOAD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Received {
    /// The checksum at `csum_start + csum_offset` is partial (pseudo-header sum only).
    pub needs_csum: bool,
    /// A TCP/IPv4 segment train of `gso_size`-byte segments behind `hdr_len` header bytes.
    pub tcpv4_train: bool,
    pub hdr_len: u16,
    pub gso_size: u16,
    pub csum_start: u16,
    pub csum_offset: u16,
}

impl Received {
    pub fn parse(buf: &[u8; HEADER_LEN]) -> Received {
        let u16_at =
            |r: core::ops::Range<usize>| u16::from_ne_bytes([buf[r.start], buf[r.start + 1]]);
        Received {
            needs_csum: buf[field::FLAGS] & F_NEEDS_CSUM != 0,
            tcpv4_train: buf[field::GSO_TYPE] & 0x7f == GSO_TCPV4,
            hdr_len: u16_at(field::HDR_LEN),
            gso_size: u16_at(field::GSO_SIZE),
            csum_start: u16_at(field::CSUM_START),
            csum_offset: u16_at(field::CSUM_OFFSET),
        }
    }

    /// Anything other than a plain packet with a complete checksum.
    pub fn is_offloaded(&self) -> bool {
        self.needs_csum || self.tcpv4_train
    }
}

/// The header of an ordinary packet: no segmentation, checksum complete.
pub const PLAIN: [u8; HEADER_LEN] = {
    let mut h = [0u8; HEADER_LEN];
    h[field::GSO_TYPE] = GSO_NONE;
    h
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let mut h = [0u8; HEADER_LEN];
        Gso::tcpv4(52, 1448, 20).emit(&mut h);
        assert_eq!(h[0], 1);
        assert_eq!(h[1], 1);
        assert_eq!(u16::from_ne_bytes([h[2], h[3]]), 52);
        assert_eq!(u16::from_ne_bytes([h[4], h[5]]), 1448);
        assert_eq!(u16::from_ne_bytes([h[6], h[7]]), 20);
        assert_eq!(u16::from_ne_bytes([h[8], h[9]]), 16);
        assert_eq!(PLAIN, [0; HEADER_LEN]);
    }
}
