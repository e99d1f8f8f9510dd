//! Running as a system service: readiness for systemd, dropping the capabilities setup
//! needed, and refusing a configuration file whose secrets others could read.

pub mod caps;
pub mod notify;
pub mod permissions;
