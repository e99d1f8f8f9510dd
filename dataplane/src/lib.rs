//! tunsec's packet engine: ESP and AH in tunnel and transport mode, the policy (SPD) and SA
//! (SAD) databases, anti-replay, and the statistics counters of RouterOS's `/ip ipsec statistics`.
//!
//! The engine is I/O-free: functions take buffers and `now` and return what to do, so it can
//! be driven by the TUN runtime, by tests with two engines in one process, and by fuzzers.
//! The OS lives in `io/` (TUN, sockets) and `worker.rs` (the per-core packet loop). Packets are transformed in place inside a caller-provided [`buf::PacketBuf`] with
//! head- and tailroom; the hot path allocates nothing.

pub mod ah;
pub mod buf;
pub mod crypto;
pub mod ctl;
pub mod drop;
pub mod engine;
pub mod esp;
#[doc(hidden)]
pub mod fuzzing;
pub mod gro;
pub mod handoff;
pub mod io;
pub mod mode;
pub mod mtu;
pub mod replay;
pub mod sa;
pub mod sad;
pub mod spd;
pub mod stats;
pub mod tso;
pub mod wire;
pub mod worker;

pub use drop::DropReason;
