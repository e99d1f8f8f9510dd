//! Typed, zero-copy views over the wire formats the engine touches.
//!
//! Each format follows one contract (smoltcp's): `View::new_checked(buffer)` validates every
//! length the accessors rely on, after which no accessor panics; setters exist only when the
//! buffer is mutable. Byte offsets live in each module's `field` table and nowhere else in the
//! crate. Parsed meaning that is not a plain field (a checksum, an extension-header walk) is
//! computed here too, so the engine reads packets only through these views.

pub mod ah;
pub mod checksum;
pub mod esp;
pub mod icmp;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod natt;
pub mod tcp;
pub mod udp;
pub mod vnet;

/// Why a buffer is not a valid instance of a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("buffer shorter than the header or the length it declares")]
    Truncated,
    #[error("header field has an invalid value")]
    Malformed,
    #[error("not the expected protocol")]
    WrongProtocol,
}

pub type Result<T> = core::result::Result<T, WireError>;

/// A byte range inside a header.
pub(crate) type Field = core::ops::Range<usize>;

#[inline]
pub(crate) fn read_u16(b: &[u8], f: Field) -> u16 {
    u16::from_be_bytes([b[f.start], b[f.start + 1]])
}

#[inline]
pub(crate) fn read_u32(b: &[u8], f: Field) -> u32 {
    u32::from_be_bytes([b[f.start], b[f.start + 1], b[f.start + 2], b[f.start + 3]])
}

#[inline]
pub(crate) fn write_u16(b: &mut [u8], f: Field, v: u16) {
    b[f].copy_from_slice(&v.to_be_bytes());
}

#[inline]
pub(crate) fn write_u32(b: &mut [u8], f: Field, v: u32) {
    b[f].copy_from_slice(&v.to_be_bytes());
}

/// IP protocol numbers the engine cares about (IANA "Assigned Internet Protocol Numbers").
pub mod proto {
    pub const HOP_BY_HOP: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPV4: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NO_NEXT_HEADER: u8 = 59;
    pub const DESTINATION_OPTIONS: u8 = 60;
    pub const SCTP: u8 = 132;
}
