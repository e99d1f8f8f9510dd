//! IKEv2 (RFC 7296): the message codec (`wire`), the key schedule, Diffie-Hellman groups and
//! the encrypted payload (`crypto`), and the per-peer state machines that negotiate the SAs
//! the dataplane runs. Nothing here does I/O or reads the clock; the control thread's driver
//! feeds messages and the time in and carries out what comes back.

pub mod crypto;
pub mod wire;
