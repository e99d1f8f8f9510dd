//! IKEv2 (RFC 7296): the message codec (`wire`), the key schedule, Diffie-Hellman groups and
//! the encrypted payload (`crypto`), and the per-peer state machines that negotiate the SAs
//! the dataplane runs (`endpoint`, `exchange/`, `sa`). Nothing here does I/O or reads the
//! clock; the control thread's driver (`crate::driver`) feeds messages and the time in and
//! carries out what comes back.

pub mod crypto;
pub mod endpoint;
mod exchange;
pub mod fragment;
#[doc(hidden)]
pub mod fuzzing;
pub mod peers;
pub mod pki;
pub mod proposal;
pub mod reconfigure;
pub mod sa;
pub mod ts;
pub mod wire;

#[cfg(test)]
mod tests;
